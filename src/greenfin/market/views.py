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

from datetime import datetime
from typing import Annotated

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from greenfin.http import SessionDep
from greenfin.market import rules, service
from greenfin.market.schemas import ApplicationCreate, Decision, NeedCreate
from greenfin.web.pages import LangDep, PagePrincipalDep, page_router, render

router = page_router()


def _rate(bp: int | None) -> str:
    return "—" if bp is None else f"{rules.bp_percent(bp)}%"


def _bj(value: datetime | None) -> str:
    """A time in 北京时间."""
    return "—" if value is None else value.astimezone(service.BEIJING).strftime("%Y-%m-%d %H:%M")


def _countdown(application: object) -> tuple[str, int | None]:
    """("overdue" | "today" | "left" | "", working days left) of an application's current deadline."""
    due = getattr(application, "due_on", None)
    if getattr(application, "overdue_since", None) is not None:
        return "overdue", None
    if due is None or getattr(application, "state", "") not in rules.OPEN_STATES:
        return "", None
    today = service.beijing_today()
    left = rules.working_days_between(today, due, service.is_workday)
    if left < 0:
        return "overdue", None
    return ("today", 0) if left == 0 else ("left", left)


@router.get("/market", response_class=HTMLResponse)
def supermarket(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    kind: Annotated[str | None, Query(max_length=12)] = None,
) -> Response:
    """信贷超市."""
    chosen = kind if kind in rules.BORROWER_KINDS else None
    rows, total = service.list_products(session, principal, kind=chosen, limit=200)
    lpr = service.lpr_bp()
    context = {
        "products": [service.product_read(r, lpr) for r in rows],
        "total": total,
        "kind": chosen,
        "kinds": rules.BORROWER_KINDS,
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
    from decimal import Decimal, InvalidOperation

    try:
        amount_fen = int(Decimal(amount_wan) * 1_000_000)
    except InvalidOperation:
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


@router.get("/market/applications", response_class=HTMLResponse)
def applications(request: Request, session: SessionDep, principal: PagePrincipalDep, lang: LangDep) -> Response:
    """我的申请 (a borrower, with timelines) or the bank's workbench."""
    rows, total = service.list_applications(session, principal, limit=100)
    is_bank = principal.role == "bank" and not principal.is_staff
    detailed = [service.get_application(session, principal, application_id=r.id) for r in rows]
    context = {
        "applications": [(a, *_countdown(a)) for a in detailed],
        "total": total,
        "is_bank": is_bank,
        "served": service.needs_for_bank(session, principal, limit=20) if is_bank else [],
        "reasons": rules.DECLINE_REASONS,
        "rate": _rate,
        "bj": _bj,
    }
    return render(request, "market/applications.html", context, lang=lang)


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
) -> Response:
    try:
        decision_in = Decision.model_validate({"decision": decision, "reason": reason or None, "note": note})
    except ValueError as exc:
        from greenfin.errors import InvalidInput

        raise InvalidInput(str(exc).splitlines()[-1]) from exc
    service.decide(session, principal, application_id=application_id, decision=decision_in)
    return RedirectResponse("/market/applications", status_code=303)


@router.get("/market/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, session: SessionDep, principal: PagePrincipalDep, lang: LangDep) -> Response:
    """The regulator's platform dashboard."""
    data = service.dashboard(session, principal)
    return render(request, "market/dashboard.html", {"d": data}, lang=lang)


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

    def fen(wan: str) -> int:
        return int(Decimal(wan) * 1_000_000)

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
                raw[key] = fen(value)
            except (InvalidOperation, ValueError):
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
