"""Pages of the financing platform (衢融通).

* ``/market`` — 信贷超市: published products, filtered by borrower kind;
* ``/market/needs/new`` — 发布融资需求 (a borrower); then ``/market/needs/{id}`` — 匹配结果,
  each product with its reasons and an apply button (applying grants the bank consent);
* ``/market/applications`` — 我的申请 with each application's timeline (a borrower), or the
  bank's workbench: its applications with the countdown to each deadline and the actions,
  and the anonymous needs its products can serve;
* ``/market/dashboard`` — the regulator's platform dashboard.

Every figure comes from ``market.service``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from fastapi import Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from greenfin.auth import service as auth_service
from greenfin.auth.service import Principal
from greenfin.errors import Conflict, Forbidden, InvalidInput
from greenfin.http import SessionDep
from greenfin.market import balances, rules, service
from greenfin.market.schemas import (
    ApplicationCreate,
    ApplicationRead,
    Decision,
    Disbursement,
    LoanRead,
    NeedCreate,
    ProductRead,
    SubsidyCreate,
    SubsidyReview,
)
from greenfin.web.formatting import money
from greenfin.web.i18n import translate
from greenfin.web.listing import EXPORT_LIMIT, export_rows, list_query
from greenfin.web.pages import LangDep, PagePrincipalDep, page_router, render

router = page_router()


def _rate(bp: int | None) -> str:
    return "—" if bp is None else f"{rules.bp_percent(bp)}%"


def _fen_of_wan(text: str) -> int:
    """An amount a form gives in 万元 as whole fen; ValueError when it is not a finite number."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation as exc:
        raise ValueError(text) from exc
    if not value.is_finite():
        raise ValueError(text)
    return int(value * 1_000_000)


def _wan_of_fen(fen: int) -> str:
    """Whole fen as the 万元 a form shows back (1500000 → "1.5")."""
    return f"{Decimal(fen) / 1_000_000:f}".rstrip("0").rstrip(".")


def _bj(value: datetime | None) -> str:
    """A time in 北京时间."""
    return "—" if value is None else value.astimezone(service.BEIJING).strftime("%Y-%m-%d %H:%M")


def _countdown(application: object) -> tuple[str, int | None]:
    """("escalated" | "overdue" | "today" | "left" | "", working days left) of an application's current
    deadline: escalated once ``greenfin market escalate`` flagged it, overdue when past its day before that."""
    due = getattr(application, "due_on", None)
    if getattr(application, "overdue_since", None) is not None:
        return "escalated", None
    if due is None or getattr(application, "state", "") not in rules.OPEN_STATES:
        return "", None
    today = service.beijing_today()
    if due < today:  # past its day, whether or not the days between were working days
        return "overdue", None
    if due == today:
        return "today", 0
    return "left", rules.working_days_between(today, due, service.is_workday)


PRODUCT_SORTS = ("institution", "name", "rate", "max_amount", "max_term", "decide_days")


def _product_columns(lang: str) -> list[str]:
    keys = ("market.col_product", "market.form.family", "market.col_institution", "market.col_method",
            "market.col_amount", "market.col_term", "market.col_rate", "market.col_deadline")  # fmt: skip
    return [translate(key, lang) for key in keys]


def _product_row(p: ProductRead, lang: str) -> list[object]:
    return [
        p.name,
        translate(f"market.family.{p.family}", lang),
        p.org_name,
        translate(f"market.method.{p.loan_method}", lang),
        f"{money(p.min_amount_fen, lang)} – {money(p.max_amount_fen, lang)}",
        " – ".join(translate("market.months", lang, n=n) for n in (p.min_term_months, p.max_term_months)),
        _rate(p.rate_bp),
        translate("market.deadline_days", lang, accept=p.accept_days, decide=p.decide_days),
    ]


@router.get("/market", response_class=HTMLResponse)
def supermarket(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    kind: Annotated[str | None, Query(max_length=12)] = None,
    family: Annotated[str | None, Query(max_length=20)] = None,
    method: Annotated[str | None, Query(max_length=20)] = None,
    amount_wan: Annotated[str | None, Query(max_length=12)] = None,
    term: Annotated[str | None, Query(max_length=4)] = None,
    q: Annotated[str | None, Query(max_length=60)] = None,
) -> Response:
    """信贷超市: published products filtered by borrower kind, family, loan method, an amount and a term they
    can lend, and a name; sortable (rate, amount, term, answer time), paged, exported as filtered."""
    chosen = kind if kind in rules.BORROWER_KINDS else None
    family = family if family in rules.FAMILIES else None
    method = method if method in rules.LOAN_METHODS else None
    try:
        amount_fen = _fen_of_wan(amount_wan) if amount_wan and amount_wan.strip() else None
        if amount_fen is not None and not 0 < amount_fen <= 10**14:
            amount_fen, amount_wan = None, None
    except ValueError:  # not a number (NaN, Infinity, text): no amount filter
        amount_fen, amount_wan = None, None
    term_months = int(term) if term and term.isdigit() and 0 < int(term) <= 600 else None
    text = (q or "").strip() or None
    listed = list_query(
        request,
        sorts=PRODUCT_SORTS,
        default_sort="rate",
        filters={
            "kind": chosen,
            "family": family,
            "method": method,
            "amount_wan": amount_wan,
            "term": term_months,
            "q": text,
        },
    )
    filters: dict[str, Any] = {
        "family": family,
        "loan_method": method,
        "amount_fen": amount_fen,
        "term_months": term_months,
        "text": text,
        "sort": listed.sort,
        "descending": listed.descending,
    }
    lpr = service.lpr_bp()
    if listed.export:
        rows, total = service.list_products(session, principal, kind=chosen, limit=EXPORT_LIMIT, **filters)
        body = [_product_row(service.product_read(r, lpr), lang) for r in rows]
        return export_rows(_product_columns(lang), body, name=translate("market.title", lang), fmt=listed.export,
                           lang=lang, total=total)  # fmt: skip
    rows, total = service.list_products(
        session, principal, kind=chosen, limit=listed.size, offset=listed.offset, **filters
    )
    context = {
        "products": [service.product_read(r, lpr) for r in rows],
        "total": total,
        "list": listed,
        "filters": {
            "kind": chosen or "",
            "family": family or "",
            "method": method or "",
            "amount_wan": amount_wan or "",
            "term": term_months or "",
            "q": text or "",
        },
        "kinds": rules.BORROWER_KINDS,
        "families": rules.FAMILIES,
        "methods": rules.LOAN_METHODS,
        "lpr": rules.bp_percent(lpr),
        "rate": _rate,
    }
    return render(request, "market/supermarket.html", context, lang=lang)


@router.get("/market/needs/new", response_class=HTMLResponse)
def new_need(request: Request, principal: PagePrincipalDep, lang: LangDep) -> Response:
    """发布融资需求."""
    return _need_form(request, lang, error=None)


def _need_form(request: Request, lang: str, *, error: str | None, status: int = 200) -> Response:
    data = service.platform_data()
    context = {"catalogue": data.catalogue, "collaterals": rules.COLLATERALS, "error": error}
    return render(request, "market/need_new.html", context, lang=lang, status=status)


@router.post("/market/needs", response_class=HTMLResponse)
def post_need(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    amount_wan: Annotated[str, Form(max_length=20)],
    term_months: Annotated[int, Form(gt=0, le=360)],
    purpose: Annotated[str, Form(min_length=1, max_length=500)],
    green_use: Annotated[str, Form(max_length=20)] = "",
    collateral: Annotated[str, Form(max_length=20)] = "none",
) -> Response:
    try:
        amount_fen = _fen_of_wan(amount_wan)
    except ValueError:
        return _need_form(request, lang, error=f"{amount_wan}: 金额须为数字 / the amount must be a number", status=422)
    try:
        need_in = NeedCreate.model_validate(
            {
                "amount_fen": amount_fen,
                "term_months": term_months,
                "purpose": purpose,
                "green_use": green_use or None,
                "collateral": collateral,
            }
        )
    except ValueError as exc:
        return _need_form(request, lang, error=str(exc).splitlines()[0], status=422)
    need = service.create_need(session, principal, need_in=need_in)
    return RedirectResponse(f"/market/needs/{need.id}", status_code=303)


@router.get("/market/needs/{need_id}", response_class=HTMLResponse)
def need_page(
    request: Request, session: SessionDep, principal: PagePrincipalDep, lang: LangDep, need_id: str
) -> Response:
    """匹配结果 of one need."""
    need = service.get_need(session, principal, need_id=need_id)
    context = {
        "need": need,
        "matches": service.matches(session, principal, need_id=need_id, lang=lang),
        "catalogue": service.platform_data().catalogue,
        "rate": _rate,
    }
    return render(request, "market/need.html", context, lang=lang)


@router.post("/market/applications", response_class=HTMLResponse)
def post_application(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    need_id: Annotated[str, Form(max_length=32)],
    product_id: Annotated[str, Form(max_length=32)],
) -> Response:
    service.apply(session, principal, application_in=ApplicationCreate(need_id=need_id, product_id=product_id))
    return RedirectResponse("/market/applications", status_code=303)


APPLICATION_SORTS = ("submitted", "amount", "due", "state")


def _application_columns(is_bank: bool, lang: str) -> list[str]:
    keys = [
        "market.col_submitted",
        "market.col_borrower" if is_bank else "market.col_institution",
        "market.col_product",
        "market.col_amount",
        "market.col_term",
        "market.col_annual_rate",
        "market.col_state",
        "market.col_due",
    ]
    return [translate(key, lang) for key in keys]


def _application_row(a: ApplicationRead, is_bank: bool, lang: str) -> list[object]:
    rate_bp = a.approved_rate_bp if a.approved_rate_bp is not None else a.quoted_rate_bp
    party = (a.borrower_name or translate("market.data_closed", lang)) if is_bank else (a.institution_name or "")
    return [
        a.submitted_at,
        party,
        a.product_name or "",
        money(a.approved_amount_fen or a.amount_fen, lang),
        translate("market.months", lang, n=a.approved_term_months or a.term_months),
        _rate(rate_bp),
        translate(f"market.state.{a.state}", lang),
        a.due_on if a.state in rules.OPEN_STATES else None,
    ]


@router.get("/market/applications", response_class=HTMLResponse)
def applications(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    state: Annotated[str | None, Query(max_length=12)] = None,
    overdue: Annotated[str | None, Query(pattern="^(yes)?$")] = None,
    notice: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """我的申请 (a borrower, with timelines) or the bank's workbench: sortable, paged, filtered by state
    and overdue in the URL, exported as filtered; each row's actions by its state."""
    state = state if state in rules.STATES else None
    is_bank = principal.role == "bank" and not principal.is_staff
    listed = list_query(  # a bank's desk opens on the nearest deadline; a borrower's on the newest application
        request,
        sorts=APPLICATION_SORTS,
        default_sort="due" if is_bank else "submitted",
        filters={"state": state, "overdue": overdue},
        default_descending=not is_bank,
    )

    def page(limit: int, offset: int, events: bool) -> tuple[list[ApplicationRead], int]:
        return service.list_applications(
            session, principal, state=state, overdue=True if overdue else None, limit=limit, offset=offset,
            sort=listed.sort or "submitted", descending=listed.descending, events=events,
        )  # fmt: skip

    if listed.export:
        rows, total = page(EXPORT_LIMIT, 0, False)
        title = translate("market.workbench" if is_bank else "market.my_applications", lang)
        body = [_application_row(a, is_bank, lang) for a in rows]
        return export_rows(_application_columns(is_bank, lang), body, name=title, fmt=listed.export, lang=lang,
                           total=total)  # fmt: skip
    rows, total = page(listed.size, listed.offset, True)
    context = {
        "applications": [(a, *_countdown(a)) for a in rows],
        "total": total,
        "list": listed,
        "filters": {"state": state or "", "overdue": overdue or ""},
        "states": rules.STATES,
        "is_bank": is_bank,
        "served": service.needs_for_bank(session, principal, limit=20) if is_bank else [],
        "reasons": rules.DECLINE_REASONS,
        "notice": notice if notice in NOTICES else None,
        **({} if is_bank or principal.is_staff else _subsidy_context(session, principal)),
        "today": service.beijing_today().isoformat(),
        "rate": _rate,
        "bj": _bj,
        "wan": _wan_of_fen,
        "pct": rules.bp_percent,
    }
    return render(request, "market/applications.html", context, lang=lang)


def _subsidy_context(session: SessionDep, principal: Principal) -> dict[str, object]:
    """A borrower's side of the interest subsidies: the policies in force and its own applications."""
    today = service.beijing_today()
    policies = [p for p in service.list_policies(session, principal) if p.valid_from <= today <= p.valid_to]
    subsidies, _ = service.list_subsidies(session, principal, limit=100)
    return {"policies": policies, "subsidies": subsidies, "subsidised": {s.loan_id for s in subsidies}}


NOTICES = (
    "accepted", "approved", "declined", "contracted", "disbursed", "withdrawn",
    "subsidy_applied", "subsidy_refused", "subsidy_duplicate",
)  # fmt: skip
"""What a step on the applications page tells its reader afterwards (``?notice=``)."""


def _back(request: Request, notice: str) -> RedirectResponse:
    """Back to the list the form was sent from (its filters, sort and page), with the step's notice."""
    referer = request.headers.get("referer") or ""
    query = referer.split("?", 1)[1] if referer.startswith(str(request.base_url)) and "?" in referer else ""
    kept = [part for part in query.split("&") if part and not part.startswith("notice=")]
    return RedirectResponse(f"/market/applications?{'&'.join([*kept, f'notice={notice}'])}", status_code=303)


@router.post("/market/applications/{application_id}/decision", response_class=HTMLResponse)
def post_decision(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    application_id: str,
    decision: Annotated[str, Form(max_length=10)],
    reason: Annotated[str, Form(max_length=40)] = "",
    note: Annotated[str, Form(max_length=1000)] = "",
    amount_wan: Annotated[str, Form(max_length=20)] = "",
    rate_pct: Annotated[str, Form(max_length=10)] = "",
    term_months: Annotated[str, Form(max_length=4)] = "",
) -> Response:
    """Accept, approve (at the terms asked, or those the officer enters) or decline with a reason and a note."""
    values: dict[str, object] = {"decision": decision, "reason": reason or None, "note": note}
    try:
        if amount_wan.strip():
            values["amount_fen"] = _fen_of_wan(amount_wan)
        if rate_pct.strip():
            values["rate_bp"] = int(Decimal(rate_pct.strip()) * 100)
        if term_months.strip():
            values["term_months"] = int(term_months.strip())
        decision_in = Decision.model_validate(values)
    except (ValueError, ArithmeticError) as exc:
        raise InvalidInput(translate("market.err_decision", lang)) from exc
    service.decide(session, principal, application_id=application_id, decision=decision_in)
    return _back(request, {"accept": "accepted", "approve": "approved"}.get(decision, "declined"))


@router.post("/market/applications/{application_id}/contract", response_class=HTMLResponse)
def post_contract(request: Request, session: SessionDep, principal: PagePrincipalDep, application_id: str) -> Response:
    service.contract(session, principal, application_id=application_id)
    return _back(request, "contracted")


@router.post("/market/applications/{application_id}/disburse", response_class=HTMLResponse)
def post_disburse(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    application_id: str,
    loan_no: Annotated[str, Form(max_length=64)] = "",
    start_date: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """The bank disburses: its loan number (or the platform's) and the value date (today by default)."""
    try:
        disbursement = Disbursement(
            loan_no=loan_no.strip() or None, start_date=date.fromisoformat(start_date) if start_date else None
        )
    except ValueError as exc:
        raise InvalidInput(translate("market.err_disburse", lang)) from exc
    service.disburse(session, principal, application_id=application_id, disbursement=disbursement)
    return _back(request, "disbursed")


@router.post("/market/subsidies", response_class=HTMLResponse)
def post_subsidy(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    loan_id: Annotated[str, Form(max_length=32)],
    policy_id: Annotated[str, Form(max_length=32)],
) -> Response:
    """A borrower applies for an interest subsidy on its loan; a loan the policy does not cover is told in
    one sentence (validity, green use, carbon label), nothing stored."""
    try:
        service.apply_subsidy(session, principal, subsidy_in=SubsidyCreate(loan_id=loan_id, policy_id=policy_id))
    except Conflict:
        return _back(request, "subsidy_duplicate")
    except InvalidInput:
        return _back(request, "subsidy_refused")
    return _back(request, "subsidy_applied")


@router.post("/market/applications/{application_id}/withdraw", response_class=HTMLResponse)
def post_withdraw_application(
    request: Request, session: SessionDep, principal: PagePrincipalDep, application_id: str
) -> Response:
    service.withdraw_application(session, principal, application_id=application_id)
    return _back(request, "withdrawn")


@router.get("/market/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, session: SessionDep, principal: PagePrincipalDep, lang: LangDep) -> Response:
    """The regulator's platform dashboard, with the subsidy applications still to review or to pay."""
    data = service.dashboard(session, principal)
    subsidies, total = service.list_subsidies(session, principal, statuses=("applied", "approved"), limit=100)
    notice = request.query_params.get("notice")
    context = {
        "d": data,
        "subsidies": subsidies,
        "subsidies_total": total,
        "notice": notice if notice in ("approve", "refuse", "pay") else None,
    }
    return render(request, "market/dashboard.html", context, lang=lang)


@router.post("/market/subsidies/{subsidy_id}/review", response_class=HTMLResponse)
def post_subsidy_review(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    subsidy_id: str,
    decision: Annotated[Literal["approve", "refuse", "pay"], Form()],
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """The regulator approves (within the budget), refuses (with a note) or records the payout."""
    review = SubsidyReview(decision=decision, note=note)
    service.review_subsidy(session, principal, subsidy_id=subsidy_id, review=review)
    return RedirectResponse(f"/market/dashboard?notice={decision}#subsidy-review", status_code=303)


def category_text(code: str | None, lang: str) -> str:
    """A green use by its name in the page's language (the platform's catalogue), code second; 非绿色 for none."""
    if code is None:
        return translate("market.not_green", lang)
    names = service.platform_data().catalogue.get(code)
    return f"{names[0] if lang == 'zh' else names[1]}（{code}）" if names else code


# --- the loan book (贷款台账): a bank its own, the regulator all ---------------------------------------------

LOAN_SORTS = ("start", "maturity", "amount", "rate", "borrower")


def _loan_columns(lang: str, *, staff: bool) -> list[str]:
    keys = ["market.loan_no", "market.col_borrower", "market.col_amount", "market.col_annual_rate", "market.col_term",
            "market.col_start", "market.col_maturity", "market.col_green_use", "market.col_source",
            "market.col_balance", "market.col_quality"]  # fmt: skip
    return [translate(key, lang) for key in (["market.col_bank", *keys] if staff else keys)]


def _loan_row(
    loan: LoanRead, balance: tuple[int, str] | None, lang: str, *, staff: bool, banks: dict[str, str]
) -> list[object]:
    row: list[object] = [
        loan.loan_no,
        loan.borrower_name,
        money(loan.amount_fen, lang),
        _rate(loan.rate_bp),
        translate("market.months", lang, n=loan.term_months),
        loan.start_date,
        loan.maturity_date,
        category_text(loan.green_use, lang),
        translate(f"market.source.{loan.source}", lang),
        money(balance[0], lang) if balance else "—",
        translate(f"market.quality.{balance[1]}", lang) if balance else "—",
    ]
    return [banks.get(loan.bank_code, loan.bank_code), *row] if staff else row


@router.get("/market/loans", response_class=HTMLResponse)
def loan_book(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    source: Annotated[str | None, Query(max_length=10)] = None,
    green: Annotated[str | None, Query(max_length=3)] = None,
    q: Annotated[str | None, Query(max_length=60)] = None,
) -> Response:
    """贷款台账: the bank's loans (from the platform and reported) with the latest month-end balance and
    five-class quality, filtered, sorted, paged and exported; the monthly balance file uploaded here."""
    return _loan_book(request, session, principal, lang, source=source, green=green, q=q)


def _loan_book(
    request: Request,
    session: SessionDep,
    principal: Principal,
    lang: str,
    *,
    source: str | None,
    green: str | None,
    q: str | None,
    problems: list[dict[str, Any]] | None = None,
    problem: str | None = None,
    status: int = 200,
) -> Response:
    source = source if source in ("platform", "reported") else None
    green = green if green in ("yes", "no") else None
    text = (q or "").strip() or None
    listed = list_query(
        request,
        sorts=LOAN_SORTS,
        default_sort="start",
        filters={"source": source, "green": green, "q": text},
        default_descending=True,
    )
    filters: dict[str, Any] = {
        "source": source,
        "green": None if green is None else green == "yes",
        "text": text,
        "sort": listed.sort or "start",
        "descending": listed.descending,
    }
    staff = principal.is_staff
    if not staff and principal.role != "bank":
        raise Forbidden(translate("market.err_loan_book", lang))
    limit, offset = (EXPORT_LIMIT, 0) if listed.export else (listed.size, listed.offset)
    loans, total = service.list_loans(session, principal, limit=limit, offset=offset, **filters)
    as_of, balances_of = service.latest_balances(session, principal, loans)
    banks = auth_service.organisation_names(session, {loan.bank_code for loan in loans}) if staff else {}
    if listed.export:
        body = [
            _loan_row(loan, balances_of.get((loan.bank_code, loan.loan_no)), lang, staff=staff, banks=banks)
            for loan in loans
        ]
        return export_rows(_loan_columns(lang, staff=staff), body, name=translate("market.loan_book", lang),
                           fmt=listed.export, lang=lang, total=total)  # fmt: skip
    context = {
        "loans": [(loan, balances_of.get((loan.bank_code, loan.loan_no))) for loan in loans],
        "total": total,
        "list": listed,
        "filters": {"source": source or "", "green": green or "", "q": text or ""},
        "as_of": as_of,
        "staff": staff,
        "banks": banks,
        "rate": _rate,
        "category": category_text,
        "problems": problems or [],
        "problem": problem,
        "notice": request.query_params.get("imported"),
        "imported_rows": request.query_params.get("rows"),
    }
    return render(request, "market/loans.html", context, lang=lang, status=status)


@router.post("/market/loans/balances", response_class=HTMLResponse)
def post_balance_file(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    file: UploadFile,
    correction: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """The bank's monthly balance file (CSV or XLSX): whole file or nothing; every bad row named on the page
    in its language, nothing imported. A plain function: FastAPI runs it in its thread pool, so a long import
    never blocks the event loop."""
    content = file.file.read()
    try:
        _, rows, inserted = balances.import_balances(
            session, principal, filename=file.filename or "balances.csv", content=content,
            correction=correction.strip() or None,
        )  # fmt: skip
    except InvalidInput as exc:
        session.rollback()
        named = [e for e in exc.errors if isinstance(e, dict) and "code" in e]
        sentence = translate("market.balance_refused", lang, n=len({e["row"] for e in named})) if named else None
        return _loan_book(request, session, principal, lang, source=None, green=None, q=None, problems=named[:50],
                          problem=sentence or translate("market.balance_unreadable", lang), status=422)  # fmt: skip
    except Conflict:
        session.rollback()
        return _loan_book(request, session, principal, lang, source=None, green=None, q=None,
                          problem=translate("market.balance_conflict", lang), status=409)  # fmt: skip
    return RedirectResponse(f"/market/loans?imported={inserted}&rows={rows}", status_code=303)


# --- the product editor (a bank, guarantor or insurer) ---------------------------------------------------

FIELD_KEYS = {
    "name": "market.col_product",
    "family": "market.form.family",
    "loan_method": "market.col_method",
    "min_amount_fen": "market.form.min_amount",
    "max_amount_fen": "market.form.max_amount",
    "min_term_months": "market.form.min_term",
    "max_term_months": "market.form.max_term",
    "rate_spread_bp": "market.form.spread",
    "borrower_kinds": "market.filter_kind",
    "counties": "market.form.counties",
    "eligible_labels": "market.form.labels",
    "green_uses": "market.form.green_uses",
    "documents": "market.form.documents",
    "accept_days": "market.form.accept_days",
    "decide_days": "market.form.decide_days",
    "description": "market.form.description",
}


def _form_problem(exc: Exception, lang: str) -> str:
    """One readable sentence naming the first field a product form got wrong."""
    from pydantic import ValidationError

    from greenfin.web.i18n import translate

    field = ""
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else str(first.get("msg", "")).split(":", 1)[0].split()[-1]
    else:
        errors = getattr(exc, "errors", None) or [{}]
        field = str(errors[0].get("field", ""))
    label = translate(FIELD_KEYS[field], lang) if field in FIELD_KEYS else translate("market.form.fields", lang)
    return translate("market.form.invalid", lang, field=label)


def _product_form(
    request: Request, lang: str, *, product: object | None, error: str | None = None, status: int = 200
) -> Response:
    from greenfin.region.service import county_names

    context = {
        "product": product,
        "error": error,
        "families": rules.FAMILIES,
        "methods": rules.LOAN_METHODS,
        "kinds": rules.BORROWER_KINDS,
        "labels": rules.INDUSTRIAL_LABELS,
        "counties": county_names(),
        "catalogue": service.platform_data().catalogue,
        "spread": lambda bp: f"{rules.bp_percent(bp)}",
    }
    return render(request, "market/product_form.html", context, lang=lang, status=status)


@router.get("/market/products", response_class=HTMLResponse)
def my_products(request: Request, session: SessionDep, principal: PagePrincipalDep, lang: LangDep) -> Response:
    """The institution's products, every version with its state, and the actions on each."""
    rows, total = service.list_products(session, principal, mine=True, limit=500)
    lpr = service.lpr_bp()
    context = {"products": [service.product_read(r, lpr) for r in rows], "total": total, "rate": _rate}
    return render(request, "market/products.html", context, lang=lang)


@router.get("/market/products/new", response_class=HTMLResponse)
def new_product(request: Request, session: SessionDep, principal: PagePrincipalDep, lang: LangDep) -> Response:
    service.list_products(session, principal, mine=True, limit=1)  # refuses anyone but an institution
    return _product_form(request, lang, product=None)


@router.get("/market/products/{product_id}/edit", response_class=HTMLResponse)
def edit_product(
    request: Request, session: SessionDep, principal: PagePrincipalDep, lang: LangDep, product_id: str
) -> Response:
    product = service.own_product(session, principal, product_id=product_id)
    return _product_form(request, lang, product=service.product_read(product))


@router.post("/market/products", response_class=HTMLResponse)
@router.post("/market/products/{product_id}", response_class=HTMLResponse)
def post_product(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    name: Annotated[str, Form(max_length=200)],
    min_amount_wan: Annotated[str, Form(max_length=20)],
    max_amount_wan: Annotated[str, Form(max_length=20)],
    min_term_months: Annotated[str, Form(max_length=4)],
    max_term_months: Annotated[str, Form(max_length=4)],
    spread_percent: Annotated[str, Form(max_length=8)] = "0",
    family: Annotated[str, Form(max_length=20)] = "green_credit",
    loan_method: Annotated[str, Form(max_length=20)] = "credit",
    borrower_kinds: Annotated[list[str] | None, Form(max_length=3)] = None,
    counties: Annotated[list[str] | None, Form(max_length=200)] = None,
    eligible_labels: Annotated[list[str] | None, Form(max_length=4)] = None,
    green_uses: Annotated[list[str] | None, Form(max_length=300)] = None,
    documents: Annotated[str, Form(max_length=6000)] = "",
    accept_days: Annotated[str, Form(max_length=3)] = "",
    decide_days: Annotated[str, Form(max_length=3)] = "",
    description: Annotated[str, Form(max_length=4000)] = "",
    product_id: str | None = None,
) -> Response:
    """Create a draft, or save an edit (a published version gets a new draft version); errors re-show the form."""
    from decimal import Decimal, InvalidOperation

    from greenfin.errors import InvalidInput
    from greenfin.market.schemas import ProductCreate

    raw: dict[str, object] = {
        "name": name,
        "family": family,
        "loan_method": loan_method,
        "min_term_months": min_term_months,
        "max_term_months": max_term_months,
        "borrower_kinds": borrower_kinds or [],
        "counties": counties or None,
        "eligible_labels": eligible_labels or None,
        "green_uses": green_uses or None,
        "documents": [line.strip() for line in documents.splitlines() if line.strip()],
        "accept_days": accept_days or None,
        "decide_days": decide_days or None,
        "description": description,
    }
    try:
        for key, value in (("min_amount_fen", min_amount_wan), ("max_amount_fen", max_amount_wan)):
            try:
                raw[key] = _fen_of_wan(value)
            except ValueError:
                raise InvalidInput(key, errors=[{"field": key}]) from None
        try:
            raw["rate_spread_bp"] = int(Decimal(spread_percent) * 100)
        except (InvalidOperation, ValueError):
            raise InvalidInput("rate_spread_bp", errors=[{"field": "rate_spread_bp"}]) from None
        product_in = ProductCreate.model_validate(raw)
        if product_id is None:
            service.create_product(session, principal, product_in=product_in)
        else:
            service.update_product(session, principal, product_id=product_id, product_in=product_in)
    except (ValueError, InvalidInput) as exc:
        shown = {**raw, "id": product_id, "min_amount_fen": None, "max_amount_fen": None}
        return _product_form(request, lang, product=_Shown(shown), error=_form_problem(exc, lang), status=422)
    return RedirectResponse("/market/products", status_code=303)


class _Shown:
    """What the institution typed, re-shown on a refused form."""

    def __init__(self, values: dict[str, object]) -> None:
        self.__dict__.update(values)
        self.rate_spread_bp = values.get("rate_spread_bp", 0)


@router.post("/market/products/{product_id}/publish", response_class=HTMLResponse)
def post_publish(request: Request, session: SessionDep, principal: PagePrincipalDep, product_id: str) -> Response:
    service.publish_product(session, principal, product_id=product_id)
    return RedirectResponse("/market/products", status_code=303)


@router.post("/market/products/{product_id}/withdraw", response_class=HTMLResponse)
def post_withdraw(request: Request, session: SessionDep, principal: PagePrincipalDep, product_id: str) -> Response:
    service.withdraw_product(session, principal, product_id=product_id)
    return RedirectResponse("/market/products", status_code=303)
