"""``greenfin finance``: terms, consents, carbon credit reports, the signing key, offline verification.

The CLI runs as the platform operator (``cli``, admin). Consent is the borrower's act and a
report is a bank's request, so those commands act **for** one organisation: ``consent
grant/revoke`` and ``report reads`` as the borrower (``--borrower``), ``report issue`` as
the bank (``--bank``), ``report show`` and ``terms`` as a bank when given ``--as-bank``.
The principal is scoped to that organisation alone (``finance.service.acting_for_*``) and
audited with actor ``cli``; whatever the organisation would be refused through the API
(no consent, another bank's report, another borrower's consent) is refused here too.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime, time
from enum import StrEnum
from pathlib import Path

import typer
from sqlalchemy.orm import Session

from greenfin.auth.service import Principal
from greenfin.cli import CLI_PRINCIPAL, cli_session
from greenfin.clock import BEIJING
from greenfin.errors import InvalidInput
from greenfin.finance import report as report_pdf
from greenfin.finance import service, signing
from greenfin.finance.schemas import (
    BaseOfferIn,
    BorrowerRef,
    ConsentCreate,
    ConsentRead,
    ReportRequest,
    TermsRequest,
    reference_offer,
)
from greenfin.settings import get_settings
from greenfin.web import formatting

app = typer.Typer(help="Carbon-linked finance (碳账户金融).", no_args_is_help=True)
consent_app = typer.Typer(help="Borrowers' consents to banks (授权).", no_args_is_help=True)
report_app = typer.Typer(help="Signed carbon credit reports (碳征信报告).", no_args_is_help=True)
app.add_typer(consent_app, name="consent")
app.add_typer(report_app, name="report")


class Kind(StrEnum):
    enterprise = "enterprise"
    farm = "farm"


class Scope(StrEnum):
    credit_report = "credit_report"


def _act(session: Session, principal: Principal) -> Principal:
    """Make ``principal`` the actor of the command's audited writes, and return it."""
    session.info["actor"] = principal
    return principal


def _expiry(text: str) -> datetime:
    """``YYYY-MM-DD`` (the end of that day, China time) or an aware ISO 8601 time."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        return datetime.combine(day, time(23, 59, 59), tzinfo=BEIJING).astimezone(UTC)
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"--expires: {text!r} is neither a date (YYYY-MM-DD) nor an ISO 8601 time") from None
    if at.tzinfo is None:
        raise InvalidInput("--expires: give a timezone with a time (e.g. 2026-12-31T23:59:59+08:00), or a date")
    return at


def _consent_line(c: ConsentRead) -> str:
    expires = c.expires_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    return f"{c.id}  {c.status:<7}  {c.borrower_kind}:{c.borrower_ref}  →  {c.bank_code}  {c.scope}  until {expires}"


@app.command("terms")
def terms_command(
    borrower: str = typer.Argument(..., help="USCC of an enterprise, or id/USCC of a farm (with --farm)"),
    farm: bool = typer.Option(False, "--farm", help="The borrower is a farm"),
    rate_bp: int | None = typer.Option(
        None, help="Base annual rate, basis points; default the LPR in force (1-year, 5-year above 60 months) + spread"
    ),
    amount_fen: int | None = typer.Option(None, help="Amount the bank offers, fen (default: the table's)"),
    term_months: int | None = typer.Option(None, help="Term, months (default: the table's)"),
    guarantee_fee_bp: int | None = typer.Option(None, help="Guarantee fee, basis points (default: the table's)"),
    bank: str | None = typer.Option(None, help="Bank code whose overrides apply (as the operator)"),
    as_bank: str | None = typer.Option(
        None, "--as-bank", help="Act for this bank: its overrides, and only under the borrower's consent"
    ),
    resident: str | None = typer.Option(
        None, "--resident", help="Personal account ref of the farm's holder: add their green-credit grade"
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
) -> None:
    """Which terms the borrower's current labels (and, with --resident, personal grade) earn on a base offer."""
    reference = reference_offer(amount_fen=amount_fen, term_months=term_months)
    request = TermsRequest(
        borrower=BorrowerRef(kind="farm" if farm else "enterprise", ref=borrower),
        base_offer=BaseOfferIn(
            rate_bp=reference.rate_bp if rate_bp is None else rate_bp,
            amount_fen=reference.amount_fen,
            term_months=reference.term_months,
            guarantee_fee_bp=reference.guarantee_fee_bp if guarantee_fee_bp is None else guarantee_fee_bp,
        ),
        bank_code=bank,
        resident_ref=resident,
    )
    with cli_session() as session:
        principal = _act(session, service.acting_for_bank(session, bank_code=as_bank)) if as_bank else CLI_PRINCIPAL
        terms = service.credit_terms(session, principal, request=request)
    if as_json:
        typer.echo(terms.model_dump_json(indent=2))
        return
    for standing in terms.standings:
        typer.echo(report_pdf.standing_text(standing.model_dump()))
    products = report_pdf.product_names()
    typer.echo(
        f"年利率 {formatting.rate_bp(terms.rate_bp)}，额度 {formatting.yuan_exact(terms.amount_fen)}，"
        f"担保费率 {formatting.rate_bp(terms.guarantee_fee_bp)}，快速审批 {'是' if terms.fast_track else '否'}，"
        f"可申请产品 {'、'.join(products.get(p, (p, p))[0] for p in terms.eligible_products) or '无'}"
    )
    for adjustment in terms.adjustments:
        typer.echo(f"  {report_pdf.basis_sentence(adjustment.model_dump(), products, 'zh')}")


# --- consent ---------------------------------------------------------------------------------


@consent_app.command("grant")
def consent_grant(
    borrower: str = typer.Option(..., "--borrower", help="USCC of the enterprise, or id/USCC of the farm"),
    borrower_kind: Kind = typer.Option(Kind.enterprise, "--borrower-kind", help="enterprise or farm"),
    bank: str = typer.Option(..., "--bank", help="The bank's organisation code"),
    scope: Scope = typer.Option(Scope.credit_report, "--scope", help="What the bank may read"),
    expires: str = typer.Option(..., "--expires", help="Last day (YYYY-MM-DD, China time) or an aware ISO time"),
    as_json: bool = typer.Option(False, "--json", help="Print the consent as JSON"),
) -> None:
    """Record the borrower's grant of access to a bank (acting for the borrower, audited as cli)."""
    with cli_session() as session:
        found, principal = service.acting_for_borrower(session, kind=borrower_kind.value, ref=borrower)
        _act(session, principal)
        consent_in = ConsentCreate(
            bank_code=bank,
            scope=scope.value,
            expires_at=_expiry(expires),
            farm_ref=found.ref if found.kind == "farm" else None,
        )
        read = service.consent_read(service.grant_consent(session, principal, consent_in=consent_in))
    typer.echo(read.model_dump_json(indent=2) if as_json else f"granted {_consent_line(read)}")


@consent_app.command("revoke")
def consent_revoke(
    consent_id: str = typer.Argument(..., help="The consent's id"),
    borrower: str | None = typer.Option(
        None, "--borrower", help="Act for this borrower (refused if the consent is not its own); else its own"
    ),
    borrower_kind: Kind = typer.Option(Kind.enterprise, "--borrower-kind", help="enterprise or farm"),
) -> None:
    """Record the borrower's revocation of a consent now (acting for the borrower, audited as cli)."""
    with cli_session() as session:
        if borrower is None:
            consent = service.get_consent(session, CLI_PRINCIPAL, consent_id=consent_id)
            _, principal = service.acting_for_borrower(session, kind=consent.subject_kind, ref=consent.subject_ref)
        else:
            _, principal = service.acting_for_borrower(session, kind=borrower_kind.value, ref=borrower)
        _act(session, principal)
        read = service.consent_read(service.revoke_consent(session, principal, consent_id=consent_id))
    typer.echo(f"revoked {_consent_line(read)}")


@consent_app.command("list")
def consent_list(
    borrower: str | None = typer.Option(None, "--borrower", help="As this borrower: the consents it granted"),
    borrower_kind: Kind = typer.Option(Kind.enterprise, "--borrower-kind", help="enterprise or farm"),
    bank: str | None = typer.Option(
        None, "--bank", help="As this bank: the consents it holds (with --borrower: a filter)"
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
) -> None:
    """Consents a borrower granted, a bank holds, or (neither given) every consent in the region."""
    with cli_session() as session:
        if borrower is not None:
            found, principal = service.acting_for_borrower(session, kind=borrower_kind.value, ref=borrower)
            rows = service.list_consents(session, _act(session, principal), bank_code=bank, borrower_ref=found.ref)
        elif bank is not None:
            rows = service.list_consents(session, _act(session, service.acting_for_bank(session, bank_code=bank)))
        else:
            rows = service.list_consents(session, CLI_PRINCIPAL)
    if as_json:
        typer.echo(json.dumps([row.model_dump(mode="json") for row in rows], ensure_ascii=False, indent=2))
        return
    for row in rows:
        typer.echo(_consent_line(row))
    if not rows:
        typer.echo("no consents")


# --- reports ---------------------------------------------------------------------------------


def _write_pdf(path: Path, document: dict[str, object]) -> None:
    path.write_bytes(report_pdf.render_pdf(document))


@report_app.command("issue")
def report_issue(
    bank: str = typer.Option(..., "--bank", help="The requesting bank (the command acts for it)"),
    borrower_kind: Kind = typer.Option(..., "--borrower-kind", help="enterprise or farm"),
    ref: str = typer.Option(..., "--ref", help="USCC of the enterprise, or id/USCC of the farm"),
    year: int | None = typer.Option(None, "--year", min=1990, max=2100, help="Newest year; the latest if not given"),
    as_json: bool = typer.Option(False, "--json", help="Print the signed envelope (verifiable with `verify`)"),
    pdf: Path | None = typer.Option(None, "--pdf", dir_okay=False, help="Also write the report as PDF here"),
) -> None:
    """Issue a signed carbon credit report for a bank, under the borrower's live consent to that bank."""
    request = ReportRequest(borrower=BorrowerRef(kind=borrower_kind.value, ref=ref), year=year)
    with cli_session() as session:
        principal = _act(session, service.acting_for_bank(session, bank_code=bank))
        envelope = service.issue_report(session, principal, request=request, settings=get_settings())
    document = envelope.model_dump(mode="json")
    if pdf is not None:
        _write_pdf(pdf, document)
    if as_json:
        typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    report = envelope.report
    typer.echo(
        f"issued report {report['report_id']} to {bank} about {borrower_kind.value}:{report['borrower']['ref']}, "
        f"signed by key {envelope.signature.key_id}"
    )
    if pdf is not None:
        typer.echo(f"PDF written to {pdf}")


@report_app.command("show")
def report_show(
    report_id: str = typer.Argument(..., help="The report's id"),
    as_bank: str | None = typer.Option(None, "--as-bank", help="Read as this bank (its report, consent still live)"),
    as_json: bool = typer.Option(False, "--json", help="Print the signed envelope as stored"),
    pdf: Path | None = typer.Option(None, "--pdf", dir_okay=False, help="Write the report as PDF here"),
) -> None:
    """Show a stored signed report (the read is audited, like every read)."""
    form = "pdf" if pdf is not None and not as_json else "json"
    with cli_session() as session:
        principal = _act(session, service.acting_for_bank(session, bank_code=as_bank)) if as_bank else CLI_PRINCIPAL
        stored = service.read_report(session, principal, report_id=report_id, form=form)
        document = stored.document
    if pdf is not None:
        _write_pdf(pdf, document)
    if as_json:
        typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    report, borrower = document["report"], document["report"]["borrower"]
    typer.echo(f"report {report['report_id']} ({report.get('schema')}) issued {report['issued_at']}")
    typer.echo(f"bank {report['bank']['name']} ({report['bank']['code']}); consent {report['consent']['id']}")
    typer.echo(f"borrower {borrower.get('name')} ({borrower['kind']}:{borrower['ref']})")
    for y in report["years"]:
        label = y.get("label") or {}
        figure = y.get("total_co2_t") or y.get("reduction_co2e_kg")
        unit = "tCO2" if "total_co2_t" in y else "kg CO2e reduced"
        typer.echo(f"  {y['year']}: {figure} {unit}; label {label.get('name_zh', '-')} ({label.get('code', '-')})")
    terms = report["terms"]
    typer.echo(
        f"terms: rate {terms['rate_bp']} bp, amount {terms['amount_fen']} fen, "
        f"guarantee fee {terms['guarantee_fee_bp']} bp, fast track {'yes' if terms['fast_track'] else 'no'}"
    )
    typer.echo(f"signature {document['signature']['algorithm']} key {document['signature']['key_id']}")


@report_app.command("reads")
def report_reads(
    borrower: str = typer.Option(..., "--borrower", help="USCC of the enterprise, or id/USCC of the farm"),
    borrower_kind: Kind = typer.Option(Kind.enterprise, "--borrower-kind", help="enterprise or farm"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
) -> None:
    """Who read carbon credit reports about the borrower, when, and in what form (acting for the borrower)."""
    with cli_session() as session:
        found, principal = service.acting_for_borrower(session, kind=borrower_kind.value, ref=borrower)
        farm_ref = found.ref if found.kind == "farm" else None
        reads = service.report_reads(session, _act(session, principal), farm_ref=farm_ref)
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in reads], ensure_ascii=False, indent=2))
        return
    for r in reads:
        at = r.at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
        typer.echo(f"{at}  {r.actor} ({r.actor_role})  bank {r.bank_code}  report {r.report_id}  {r.form}")
    if not reads:
        typer.echo("no reads")


# --- signing ---------------------------------------------------------------------------------


@app.command("keygen")
def keygen_command(
    path: Path = typer.Argument(..., dir_okay=False, help="Where to write the new private key (PEM, mode 0600)"),
) -> None:
    """Generate a new report-signing key pair; set GREENFIN_SIGNING_KEY_FILE to the file to use it.

    Restarting with the new file rotates the key: the old key is retired in the key list and
    its reports stay verifiable under its key id."""
    key = signing.generate_key()
    signing.write_private_key(path, key)
    info = signing.public_key_info(key.public_key())
    typer.echo(f"wrote {path} (mode 0600); key id {info.key_id}; public key {info.public_key}")


@app.command("signing-key")
def signing_key_command(pem: bool = typer.Option(False, "--pem", help="Print PEM instead of raw base64")) -> None:
    """Print this platform's report-signing public key (what GET /api/v1/finance/signing-key publishes)."""
    with cli_session() as session:
        info = service.signing_key(session, get_settings())
    typer.echo(info.public_key_pem if pem else info.public_key)


@app.command("keys")
def keys_command() -> None:
    """Print the key list as JSON (what GET /api/v1/finance/keys publishes; give it to `verify --trusted-keys`)."""
    from greenfin.finance.schemas import SigningKeyList

    with cli_session() as session:
        listed = SigningKeyList(keys=service.signing_keys(session, get_settings()))
    typer.echo(listed.model_dump_json(indent=2))


def _read_text(value: str, what: str) -> str:
    candidate = Path(value)
    try:
        return candidate.read_text(encoding="utf-8") if candidate.is_file() else value
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{what} {value} cannot be read ({exc})") from None


@app.command("verify")
def verify_command(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="A signed report (JSON)"),
    public_key: str | None = typer.Option(
        None, "--public-key", help="The platform's public key: base64, PEM, or a file holding either"
    ),
    trusted_keys: Path | None = typer.Option(
        None, "--trusted-keys", exists=True, dir_okay=False, help="A key list saved from GET /api/v1/finance/keys"
    ),
    key_id: str | None = typer.Option(None, "--key-id", help="Accept only this key id (pinned)"),
) -> None:
    """Verify a signed carbon credit report offline; exit 1 if it is not exactly what a trusted key signed.

    Never trusts this machine's settings: give the platform's public key or a trusted key list."""
    if (public_key is None) == (trusted_keys is None):
        raise InvalidInput(
            "verify needs exactly one of --public-key or --trusted-keys (it never trusts local settings)"
        )
    if public_key is not None:
        key = signing.load_public_key(_read_text(public_key, "--public-key"))
        trusted = {signing.key_id(key): signing.TrustedKey(key)}
    else:
        assert trusted_keys is not None
        trusted = signing.trusted_keys(_read_text(str(trusted_keys), "--trusted-keys"))
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        typer.echo(f"invalid: not UTF-8 text ({exc})", err=True)
        sys.exit(1)
    valid, reason = signing.verify_text(text, trusted, pinned_key_id=key_id)
    if not valid:
        typer.echo(f"invalid: {reason}", err=True)
        sys.exit(1)
    report = json.loads(text)["report"]
    bank = report.get("bank") if isinstance(report.get("bank"), dict) else {}
    typer.echo(f"{reason}; report {report.get('report_id')} for {bank.get('name')}")
