"""``greenfin finance``: terms, the signing key, and offline verification of reports."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from greenfin.cli import CLI_PRINCIPAL, cli_session
from greenfin.finance import service, signing
from greenfin.finance.schemas import BaseOfferIn, BorrowerRef, TermsRequest
from greenfin.settings import get_settings

app = typer.Typer(help="Carbon-linked finance (碳账户金融).", no_args_is_help=True)


@app.command("terms")
def terms_command(
    borrower: str = typer.Argument(..., help="USCC of an enterprise, or id/USCC of a farm (with --farm)"),
    farm: bool = typer.Option(False, "--farm", help="The borrower is a farm"),
    rate_bp: int = typer.Option(435, help="Base annual rate, basis points"),
    amount_fen: int = typer.Option(100_000_000, help="Base amount, fen"),
    term_months: int = typer.Option(12, help="Term, months"),
    guarantee_fee_bp: int = typer.Option(0, help="Guarantee fee, basis points"),
    bank: str | None = typer.Option(None, help="Bank code whose overrides apply"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
) -> None:
    """Which terms the borrower's current labels earn on a base offer, and why."""
    request = TermsRequest(
        borrower=BorrowerRef(kind="farm" if farm else "enterprise", ref=borrower),
        base_offer=BaseOfferIn(
            rate_bp=rate_bp, amount_fen=amount_fen, term_months=term_months, guarantee_fee_bp=guarantee_fee_bp
        ),
        bank_code=bank,
    )
    with cli_session() as session:
        terms = service.credit_terms(session, CLI_PRINCIPAL, request=request)
    if as_json:
        typer.echo(terms.model_dump_json(indent=2))
        return
    for standing in terms.standings:
        typer.echo(f"{standing.account_type}: {standing.name_zh} ({standing.year})")
    typer.echo(
        f"rate {terms.rate_bp} bp, amount {terms.amount_fen} fen, guarantee fee {terms.guarantee_fee_bp} bp, "
        f"fast track {'yes' if terms.fast_track else 'no'}, products {', '.join(terms.eligible_products) or '-'}"
    )
    for adjustment in terms.adjustments:
        typer.echo(f"  {adjustment.reason_zh}  [{adjustment.rule_id}]")


@app.command("signing-key")
def signing_key_command(pem: bool = typer.Option(False, "--pem", help="Print PEM instead of raw base64")) -> None:
    """Print this platform's report-signing public key (what GET /api/v1/finance/signing-key publishes)."""
    info = service.signing_key(get_settings())
    typer.echo(info.public_key_pem if pem else info.public_key)


@app.command("verify")
def verify_command(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="A signed report (JSON)"),
    public_key: str | None = typer.Option(
        None, "--public-key", help="The platform's public key: base64, PEM, or a file holding either"
    ),
) -> None:
    """Verify a signed carbon credit report offline with the platform's public key; exit 1 if altered."""
    if public_key is None:
        text = service.signing_key(get_settings()).public_key
    else:
        candidate = Path(public_key)
        text = candidate.read_text() if candidate.is_file() else public_key
    try:
        envelope = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        typer.echo(f"invalid: not a JSON document ({exc})", err=True)
        sys.exit(1)
    valid, reason = signing.verify(envelope, signing.load_public_key(text))
    if not valid:
        typer.echo(f"invalid: {reason}", err=True)
        sys.exit(1)
    report = envelope["report"]
    typer.echo(f"{reason}; report {report.get('report_id')} for {report.get('bank', {}).get('name')}")
