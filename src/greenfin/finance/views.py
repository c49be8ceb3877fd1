"""Pages of carbon-linked finance: carbon credit reports, consents, and the what-if.

* ``/finance/reports`` — a bank's reports and its form to request one for a consenting
  borrower; the borrower and staff see the reports issued about it / in the region.
* ``/finance/reports/{id}`` — one signed report, drawn from the stored signed document
  (never recomputed), with the PDF link; reading it is audited like any other read.
* ``/finance/consents`` — the borrower grants and revokes banks' access and sees who read
  its reports; a bank sees the consents it holds.
* ``/finance/what-if`` — an enterprise changes its energy mix (or, with ``?farm=``, a farm
  adds a biogas digester) and sees emissions, label and terms before and after; htmx gets
  only the result fragment (``HX-Request``), NetBox style.

Every figure comes from ``finance.service``; the handlers only turn form fields into the
service's inputs and pick the sentence a refusal is shown with.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

import segno
from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from greenfin.agriculture import service as agriculture
from greenfin.auth import service as auth
from greenfin.auth.service import Principal
from greenfin.clock import BEIJING
from greenfin.errors import Forbidden, GreenfinError, InvalidInput, NotFound
from greenfin.finance import report as report_text
from greenfin.finance import service
from greenfin.finance.policy import COAL_ENERGIES, load_lpr
from greenfin.finance.schemas import ConsentCreate, ConsentRead, EnterpriseWhatIf, FarmWhatIfIn, ReportRequest
from greenfin.http import SessionDep, SettingsDep
from greenfin.industry.service import industry_name
from greenfin.region.service import county_label
from greenfin.web.formatting import has_chinese, name_code
from greenfin.web.i18n import translate
from greenfin.web.listing import ListQuery, export_rows, list_query
from greenfin.web.pages import (
    LangDep,
    PagePrincipalDep,
    consent_history_response,
    nav_provider,
    page_router,
    render,
    templates,
)

router = page_router()
# The report's wording of a rule and of the LPR, shared by the page, the what-if and the PDF.
templates.globals.update(
    basis_sentence=report_text.basis_sentence,
    reference_rate_sentence=report_text.reference_rate_sentence,
)

COAL = COAL_ENERGIES
DEFAULT_CONSENT_DAYS = 365

Pct = Annotated[Decimal, Query(ge=0, le=100)]
Amount = Annotated[Decimal, Query(ge=0, le=10**12)]


@nav_provider
def borrower_nav(session: Session, principal: Principal) -> dict[str, Any]:
    """For a borrower's login: its enterprise (if on the industrial register), its farms, and its start page.

    A farm's organisation is not on the industrial register, so its start page is its
    agricultural account and its navigation shows only the farm's pages.
    """
    if principal.role != "enterprise" or not principal.organisation_code:
        return {}
    borrowers = service.own_borrowers(session, principal)
    enterprise = next((b.ref for b in borrowers if b.kind == "enterprise"), None)
    farms = [{"id": b.ref, "name": b.name} for b in borrowers if b.kind == "farm"]
    if enterprise is not None or not farms:
        home = f"/industry/enterprises/{principal.organisation_code}"
    else:
        home = f"/agriculture/farms/{farms[0]['id']}"
    return {"enterprise": enterprise, "farms": farms, "home": home}


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") is None


def product_names() -> dict[str, tuple[str, str]]:
    """Names of the policy's loan products (code → zh, en)."""
    return report_text.product_names()


def refusal_key(consents: list[ConsentRead], borrower_ref: str) -> str:
    """The sentence for a bank refused a borrower's data, from the consents the bank holds."""
    mine = [c for c in consents if c.borrower_ref == borrower_ref]
    if any(c.status == "revoked" for c in mine) and not any(c.status == "active" for c in mine):
        return "fin.refused_revoked"
    if any(c.status == "expired" for c in mine) and not any(c.status == "active" for c in mine):
        return "fin.refused_expired"
    return "fin.refused_none"


# --- reports ---------------------------------------------------------------------------------


def _borrower_options(session: SessionDep, consents: list[ConsentRead]) -> list[dict[str, Any]]:
    """Every borrower that ever consented to the bank, with its best consent status."""
    rank = {"active": 0, "expired": 1, "revoked": 2}
    best: dict[tuple[str, str], str] = {}
    for consent in consents:
        key = (consent.borrower_kind, consent.borrower_ref)
        if key not in best or rank[consent.status] < rank[best[key]]:
            best[key] = consent.status
    options = []
    for (kind, ref), status in best.items():
        try:
            name = service.resolve_borrower(session, kind=kind, ref=ref).name
        except GreenfinError:
            name = ref
        options.append({"value": f"{kind}:{ref}", "kind": kind, "ref": ref, "name": name, "status": status})
    return sorted(options, key=lambda o: (rank[o["status"]], o["kind"], o["name"]))


def _reports_page(
    request: Request,
    session: SessionDep,
    principal: Principal,
    lang: str,
    *,
    error: str | None = None,
    selected: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    reports = service.list_reports(session, principal)
    options: list[dict[str, Any]] = []
    if principal.role == "bank":
        options = _borrower_options(session, service.list_consents(session, principal))
    context = {
        "reports": reports,
        "options": options,
        "error": error,
        "selected": selected,
        "bank_names": auth.organisation_names(session, {r.bank_code for r in reports}),
        "default_term": load_lpr().default_term_months,
    }
    return render(request, "finance/reports.html", context, lang=lang, status=status)


@router.get("/finance/reports", response_class=HTMLResponse)
def reports_page(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    borrower: Annotated[str | None, Query(max_length=80, description="kind:ref to preselect in the form")] = None,
) -> Response:
    """Reports a bank requested (with the request form, a borrower preselected from the workbench), or
    reports issued about the borrower."""
    return _reports_page(request, session, principal, lang, selected=borrower)


@router.post("/finance/reports", response_class=HTMLResponse)
def request_report(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    borrower: Annotated[str, Form(max_length=80)] = "",
    year: Annotated[str, Form(max_length=4)] = "",
    amount_wan: Annotated[str, Form(max_length=20, description="Loan amount, 万元")] = "",
    term_months: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """A bank requests a signed report for a consenting borrower, for the amount and term it enters;
    a refusal is one sentence on the form."""
    kind, _, ref = borrower.partition(":")
    if kind not in ("enterprise", "farm") or not ref:
        raise InvalidInput(translate("fin.err_borrower", lang))
    if year and not (year.isdigit() and 1990 <= int(year) <= 2100):
        raise InvalidInput(translate("fin.err_year", lang))
    amount_fen = _amount_fen(amount_wan, lang)
    if term_months and not (term_months.isdigit() and 1 <= int(term_months) <= 360):
        raise InvalidInput(translate("fin.err_term", lang))
    report_in = ReportRequest.model_validate(
        {
            "borrower": {"kind": kind, "ref": ref},
            "year": int(year) if year else None,
            "amount_fen": amount_fen,
            "term_months": int(term_months) if term_months else None,
        }
    )
    try:
        envelope = service.issue_report(session, principal, request=report_in, settings=settings)
    except Forbidden:
        if principal.role != "bank":
            raise
        key = refusal_key(service.list_consents(session, principal), ref)
        return _reports_page(request, session, principal, lang, error=key, selected=borrower, status=403)
    return RedirectResponse(f"/finance/reports/{envelope.report['report_id']}", status_code=303)


def _amount_fen(amount_wan: str, lang: str) -> int | None:
    """An amount typed in 万元 ("150", "1,200.5") as integer fen; empty → None (the default)."""
    text = amount_wan.replace(",", "").replace("，", "").strip()
    if not text:
        return None
    try:
        wan = Decimal(text)
    except ArithmeticError:
        wan = Decimal(-1)
    if not wan.is_finite() or not Decimal("0.01") <= wan <= Decimal(100_000_000):
        raise InvalidInput(translate("fin.err_amount", lang))
    return int((wan * 1_000_000).to_integral_value())


@router.get("/finance/reports/{report_id}", response_class=HTMLResponse)
def report_page(
    request: Request, report_id: str, session: SessionDep, principal: PagePrincipalDep, lang: LangDep
) -> Response:
    """One signed carbon credit report, as stored; the read is audited."""
    try:
        stored = service.read_report(session, principal, report_id=report_id, form="page")
    except Forbidden:
        if principal.role != "bank":
            raise
        held = service.list_consents(session, principal)
        issued = {r.id: r.borrower_ref for r in service.list_reports(session, principal)}
        if report_id not in issued:
            raise
        key = refusal_key(held, issued[report_id])
        context = {"status": 403, "message_key": key, "detail": None}
        return render(request, "error.html", context, lang=lang, status=403)
    envelope = stored.document
    report = envelope["report"]
    borrower = report["borrower"]
    context = {
        "report": report,
        "signature": envelope["signature"],
        "borrower": borrower,
        **report_names(report, lang),
        "terms": report["terms"],
        "products": product_names(),
        # The id and SHA-256 as a QR code a reader scans to match this page with the signed JSON.
        "qr_svg": Markup(segno.make_qr(report_text.qr_payload(envelope), error="m").svg_inline(scale=3)),
        "qr_payload": report_text.qr_payload(envelope),
    }
    return render(request, "finance/report.html", context, lang=lang)


def report_names(report: dict[str, Any], lang: str) -> dict[str, str]:
    """County, industry and region names of a signed report in the page's language.

    A report of schema /2 carries them (zh and en) under its signature; a /1 report carries
    only the Chinese, so the English page names its signed codes from today's catalogue.
    The stored document is never changed, so every report stays verifiable as signed.
    """
    borrower, issuer = report["borrower"], report.get("issuer", {})
    code = borrower.get("county_code") or ""
    county = borrower.get(f"county_name_{lang}") or (
        borrower["county_name_zh"] if lang == "zh" and borrower.get("county_name_zh") else county_label(code, lang)
    )
    industry = ""
    if borrower.get("industry_code"):
        industry = borrower.get(f"industry_name_{lang}") or (
            borrower.get("industry_name_zh", "") if lang == "zh" else industry_name(borrower["industry_code"]).name_en
        )
    region = issuer.get(f"region_name_{lang}") or issuer.get("region_name_zh", "")
    return {"county_name": county, "industry_name": industry, "region_name": region}


# --- consents --------------------------------------------------------------------------------


def _consents_page(
    request: Request,
    session: SessionDep,
    principal: Principal,
    lang: str,
    *,
    notice: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    consents = service.list_consents(session, principal)
    is_borrower = principal.role == "enterprise"
    borrowers = service.own_borrowers(session, principal) if is_borrower else []
    every_read = _borrower_reads(session, principal)
    known_banks = sorted({c.bank_code for c in consents})
    bank_names = auth.organisation_names(
        session, {c.bank_code for c in consents} | {r.bank_code or "" for r in every_read}
    )
    reads_list = _reads_list(request)
    ordered = _ordered_reads(every_read, reads_list, bank_names)
    reads = ordered[reads_list.offset : reads_list.offset + reads_list.size]
    borrower_names = {} if is_borrower else _borrower_names(session, consents)
    default_expiry = (datetime.now(BEIJING).date() + timedelta(days=DEFAULT_CONSENT_DAYS)).isoformat()
    context = {
        "consents": consents,
        "reads": reads,
        "reads_list": reads_list,
        "reads_total": len(ordered),
        "is_borrower": is_borrower,
        "borrowers": borrowers,
        "known_banks": known_banks,
        "bank_names": bank_names,
        "borrower_names": borrower_names,
        "default_expiry": default_expiry,
        "today": datetime.now(BEIJING).date().isoformat(),
        "notice": notice,
        "error": error,
    }
    return render(request, "finance/consents.html", context, lang=lang, status=status)


def _borrower_reads(session: SessionDep, principal: Principal) -> list[Any]:
    """Every read of the reports about the borrowers the principal acts for, newest first."""
    borrowers = service.own_borrowers(session, principal) if principal.role == "enterprise" else []
    reads = (
        r
        for b in borrowers
        for r in service.report_reads(session, principal, farm_ref=b.ref if b.kind == "farm" else None)
    )
    return sorted(reads, key=lambda r: r.at, reverse=True)


READ_SORTS = ("at", "bank", "form")


def _reads_list(request: Request) -> ListQuery:
    """The report reads' list state in the URL: sort (newest first by default), page and size."""
    return list_query(request, sorts=READ_SORTS, default_sort="at", default_descending=True)


def _ordered_reads(reads: list[Any], listed: ListQuery, bank_names: dict[str, str]) -> list[Any]:
    """A borrower's reads (tens, not millions) in the list's order; ties newest first."""
    key = {
        "at": lambda r: r.at,
        "bank": lambda r: bank_names.get(r.bank_code or "", r.bank_code or ""),
        "form": lambda r: r.form or "",
    }[listed.sort or "at"]
    newest = sorted(reads, key=lambda r: r.at, reverse=True)
    return sorted(newest, key=key, reverse=listed.descending)


def _export_reads(request: Request, session: SessionDep, principal: Principal, lang: str, fmt: str) -> Response:
    """Who read the borrower's reports, as a file in the list's order: time (Beijing), reader, bank, form, report."""
    if principal.role != "enterprise":
        raise Forbidden(translate("fin.err_reads_borrower", lang))
    every_read = _borrower_reads(session, principal)
    banks = auth.organisation_names(session, {r.bank_code or "" for r in every_read})
    reads = _ordered_reads(every_read, _reads_list(request), banks)
    keys = ("fin.read_at", "fin.reader", "fin.bank", "fin.form", "fin.report_id")
    rows = [
        [
            r.at,
            r.actor.split(":", 1)[-1] + (f" · {translate('role.' + r.actor_role, lang)}" if r.actor_role else ""),
            name_code(banks.get(r.bank_code or ""), r.bank_code, lang) if r.bank_code else "",
            translate(f"fin.form.{r.form}", lang) if r.form in ("issue", "json", "pdf", "page") else (r.form or ""),
            r.report_id or "",
        ]
        for r in reads
    ]
    header = [translate(key, lang) for key in keys]
    return export_rows(header, rows, name=translate("fin.reads_title", lang), fmt=fmt, lang=lang, total=len(rows))


def _borrower_names(session: SessionDep, consents: list[ConsentRead]) -> dict[str, str]:
    names: dict[str, str] = {}
    for consent in consents:
        if consent.borrower_ref in names:
            continue
        try:
            names[consent.borrower_ref] = service.resolve_borrower(
                session, kind=consent.borrower_kind, ref=consent.borrower_ref
            ).name
        except GreenfinError:
            names[consent.borrower_ref] = consent.borrower_ref
    return names


@router.get("/finance/banks", response_class=HTMLResponse)
def bank_search(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    bank_query: Annotated[str, Query(max_length=60)] = "",
) -> Response:
    """Banks whose name contains what was typed (or whose code starts with it): the consent form's
    search-as-you-type list (htmx swaps it in; the page works without it, see ``grant_consent``)."""
    banks = auth.search_organisations(session, principal, kind="bank", text=bank_query, limit=12)
    return render(request, "finance/_bank_options.html", {"banks": banks, "q": bank_query.strip()}, lang=lang)


@router.get("/finance/consents", response_class=HTMLResponse)
def consents_page(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    granted: Annotated[str | None, Query(max_length=40)] = None,
    revoked: Annotated[int | None, Query(ge=0, le=1)] = None,
    export: Annotated[str | None, Query(pattern="^(xlsx|csv)$")] = None,
) -> Response:
    """The borrower's consents (grant, revoke) and who read its reports (``export``: the reads as a file);
    a bank's consents held."""
    if export:
        return _export_reads(request, session, principal, lang, export)
    notice = None
    if granted:
        name = auth.organisation_names(session, [granted]).get(granted)
        notice = translate("fin.granted", lang, bank=name_code(name, granted, lang))
    elif revoked:
        notice = translate("fin.revoked", lang)
    return _consents_page(request, session, principal, lang, notice=notice)


@router.get("/finance/consents/history", response_class=HTMLResponse)
def consent_history_page(request: Request, session: SessionDep, principal: PagePrincipalDep, lang: LangDep) -> Response:
    """The borrower's consent history: every grant, to whom, scope, expiry, revocation and reads."""
    records, names = service.consent_history(session, principal)
    return consent_history_response(request, records, names, lang=lang)


@router.post("/finance/consents", response_class=HTMLResponse)
def grant_consent(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    bank_code: Annotated[str, Form(max_length=40)] = "",
    bank_query: Annotated[str, Form(max_length=60, description="The bank's name as typed (no script)")] = "",
    scope: Annotated[str, Form(max_length=40)] = "credit_report",
    expires_on: Annotated[str, Form(max_length=10)] = "",
    borrower: Annotated[str, Form(max_length=60, description="farm:<id> for a farm, else the enterprise")] = "",
) -> Response:
    """The borrower (its enterprise or one of its farms) grants a bank access until the end of a day (China time)."""
    try:
        day = date.fromisoformat(expires_on)
    except ValueError:
        day = None
    try:
        if not bank_code.strip() and bank_query.strip():
            # Without script the list never fills the code: one bank matching the typed name is the choice.
            found = auth.search_organisations(session, principal, kind="bank", text=bank_query, limit=2)
            if len(found) == 1:
                bank_code = found[0][0]
        if not bank_code.strip():
            raise InvalidInput(translate("fin.err_bank", lang))
        if day is None:
            raise InvalidInput(translate("fin.err_expiry", lang))
        if scope != "credit_report":
            raise InvalidInput(translate("fin.err_scope", lang))
        expires_at = datetime.combine(day, time(23, 59, 59), tzinfo=BEIJING).astimezone(UTC)
        farm_ref = borrower.removeprefix("farm:") if borrower.startswith("farm:") else None
        consent_in = ConsentCreate(
            bank_code=bank_code.strip(), scope="credit_report", expires_at=expires_at, farm_ref=farm_ref
        )
        consent = service.grant_consent(session, principal, consent_in=consent_in)
    except Forbidden:
        raise
    except GreenfinError as exc:
        return _consents_page(request, session, principal, lang, error=consent_error(exc, lang), status=exc.status)
    return RedirectResponse(f"/finance/consents?granted={consent.organisation_code}", status_code=303)


def consent_error(exc: GreenfinError, lang: str) -> str:
    """One sentence for a refused grant: our own translated sentences as they are, the service's by kind."""
    detail = exc.detail or ""
    if lang == "en" and detail:
        return detail
    if has_chinese(detail):
        return detail
    key = {404: "fin.err_no_bank", 409: "fin.err_conflict"}.get(exc.status, "fin.err_grant")
    return translate(key, lang)


@router.get("/finance/consents/{consent_id}/revoke", response_class=HTMLResponse)
def confirm_revoke(
    request: Request, consent_id: str, session: SessionDep, principal: PagePrincipalDep, lang: LangDep
) -> Response:
    """Ask before revoking: which bank loses access to what, from when."""
    consent = next((c for c in service.list_consents(session, principal) if c.id == consent_id), None)
    if consent is None:
        raise NotFound(translate("fin.err_no_consent", lang))
    bank = auth.organisation_names(session, [consent.bank_code]).get(consent.bank_code)
    context = {"consent": consent, "bank": name_code(bank, consent.bank_code, lang)}
    return render(request, "finance/revoke_confirm.html", context, lang=lang)


@router.post("/finance/consents/{consent_id}/revoke", response_class=HTMLResponse)
def revoke_consent(consent_id: str, session: SessionDep, principal: PagePrincipalDep) -> Response:
    """The borrower revokes a consent now; the bank is refused from then on."""
    service.revoke_consent(session, principal, consent_id=consent_id)
    return RedirectResponse("/finance/consents?revoked=1", status_code=303)


# --- what-if ---------------------------------------------------------------------------------


@router.get("/finance/what-if", response_class=HTMLResponse)
def what_if_page(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    farm: Annotated[str | None, Query(max_length=40)] = None,
    coal_pct: Pct = Decimal(0),
    pv_kwh: Amount = Decimal(0),
    pv_mwh: Annotated[Decimal, Query(ge=0, le=10**9, description="Rooftop PV a year, MWh (as the account)")] = Decimal(
        0
    ),
    gas_cut_pct: Pct = Decimal(0),
    technology: Annotated[Literal["heat_pump", "electric_boiler"], Query()] = "heat_pump",
    digester_volume_m3: Amount | None = None,
    heads_served: Annotated[int | None, Query(ge=0, le=10**7)] = None,
    manure_treated_t: Amount | None = None,
    biogas_produced_m3: Amount | None = None,
    biogas_used_m3: Amount | None = None,
) -> Response:
    """Emissions, label and terms now and after a change; htmx gets only the result fragment."""
    if farm:
        digester = {
            "digester_volume_m3": digester_volume_m3,
            "heads_served": heads_served,
            "manure_treated_t": manure_treated_t,
            "biogas_produced_m3": biogas_produced_m3,
            "biogas_used_m3": biogas_used_m3,
        }
        context = _farm_what_if(session, principal, farm, digester)
        page, fragment = "finance/what_if_farm.html", "finance/_what_if_farm_result.html"
    else:
        pv_mwh = pv_mwh or pv_kwh / 1000
        inputs = {"coal_pct": coal_pct, "pv_kwh": pv_mwh * 1000, "pv_mwh": pv_mwh, "gas_cut_pct": gas_cut_pct}
        context = _enterprise_what_if(session, principal, inputs, technology=technology)
        page, fragment = "finance/what_if.html", "finance/_what_if_result.html"
    context["products"] = product_names()
    response = render(request, fragment if _is_htmx(request) else page, context, lang=lang)
    response.headers["Vary"] = "HX-Request"
    return response


def _enterprise_what_if(
    session: SessionDep, principal: Principal, inputs: dict[str, Decimal], *, technology: str
) -> dict[str, Any]:
    if principal.role != "enterprise" or not principal.organisation_code:
        raise Forbidden("the what-if is for an enterprise's own account (or a farm's, from its account page)")
    uscc = principal.organisation_code
    current = service.enterprise_what_if(session, principal, what_if_in=EnterpriseWhatIf(uscc=uscc))
    present = {line.energy for line in current.energies if line.before_quantity}
    changes: list[dict[str, Any]] = []
    if inputs["coal_pct"]:
        changes += [
            {
                "kind": "shift",
                "from_energy": key,
                "to_energy": "electricity",
                "share_pct": str(inputs["coal_pct"]),
                "technology": technology,
            }
            for key in COAL
            if key in present
        ]
    if inputs["gas_cut_pct"] and "natural_gas" in present:
        changes.append({"kind": "scale", "energy": "natural_gas", "change_pct": str(-inputs["gas_cut_pct"])})
    if inputs["pv_kwh"]:
        changes.append({"kind": "solar", "kwh": str(inputs["pv_kwh"])})
    result = current
    error = None
    if changes:
        try:
            result = service.enterprise_what_if(
                session,
                principal,
                what_if_in=EnterpriseWhatIf.model_validate({"uscc": uscc, "year": current.year, "changes": changes}),
            )
        except InvalidInput as exc:
            error = exc.detail
    return {
        "result": result,
        "inputs": inputs,
        "has_coal": bool(present & set(COAL)),
        "has_gas": "natural_gas" in present,
        "technology": technology,
        "error": error,
        "change_t": result.after.total_co2_t - result.before.total_co2_t,
    }


def _farm_what_if(session: SessionDep, principal: Principal, farm_ref: str, digester: dict[str, Any]) -> dict[str, Any]:
    account = agriculture.get_account(session, principal, farm_ref=farm_ref)
    farm = account.farm
    if account.latest is None:
        raise InvalidInput(f"farm {farm.id} has no assessment yet; nothing to compare with")
    year = account.latest.year
    served_already = sum(
        int(r.quantities.get("heads_served", 0))
        for r in account.records
        if r.year == year and r.practice == "biogas_project"
    )
    herd = farm.herd_heads or 0
    heads = max(herd - served_already, 0) or herd or 100
    defaults: dict[str, Any] = {
        "heads_served": heads,
        "digester_volume_m3": Decimal(max(50, heads // 5)),
        "manure_treated_t": Decimal(heads) * Decimal("1.5"),
        "biogas_produced_m3": Decimal(heads * 40),
        "biogas_used_m3": Decimal(heads * 36),
    }
    values = {key: defaults[key] if value is None else value for key, value in digester.items()}
    error = None
    result = None
    try:
        what_if_in = FarmWhatIfIn.model_validate(
            {
                "farm_ref": farm.id,
                "year": year,
                "add": [{"practice": "biogas_project", **{k: str(v) for k, v in values.items()}}],
            }
        )
        result = service.farm_what_if(session, principal, what_if_in=what_if_in)
    except InvalidInput as exc:
        error = exc.detail
    return {"farm": farm, "year": year, "values": values, "result": result, "error": error}
