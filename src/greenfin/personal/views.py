"""Pages of the personal carbon account: the resident's own account and the regulator's overview.

* ``/personal/account`` — the logged-in resident's account (never another's: the service
  is always asked for ``me``): points balance, CO2 avoided this month and over the trailing
  12 months, the green-credit grade and what the next one needs, points and CO2 per month,
  the ledger with filters and pagination (htmx gets only the table, ``HX-Request``), the
  rewards with a redeem button, the vouchers redeemed, and the consents that let a bank
  read the grade. Built for a phone first: residents use their phones.
* ``/personal/overview`` — the region for the regulator: accounts, events per day, CO2
  avoided by scenario and the points issued, redeemed and outstanding.

Forms post and then redirect (POST → 303 → GET), so a reload never redeems twice; a
refusal (too few points, out of stock, an unknown bank) is the page again with one
sentence. Every figure comes from ``personal.service``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from greenfin.auth import service as auth
from greenfin.auth.service import Principal
from greenfin.clock import BEIJING
from greenfin.errors import Conflict, Forbidden, GreenfinError, InvalidInput, NotFound
from greenfin.http import SessionDep, SettingsDep
from greenfin.personal import service
from greenfin.personal.schemas import AccountOpen
from greenfin.web.formatting import chart_number, grouped, name_code
from greenfin.web.i18n import CATALOGUE, month_name, translate
from greenfin.web.listing import EXPORT_LIMIT, ListQuery, export_rows, list_query
from greenfin.web.pages import LangDep, PagePrincipalDep, consent_history_response, page_router, render

if TYPE_CHECKING:
    from greenfin.personal.models import Account

router = page_router()

PAGE_SIZE = 20
KINDS = ("earn", "redeem", "expire", "adjust", "reverse")
CONSENT_DAYS = (90, 180, 365)
POINTS_COLOUR = "#2f6f8f"
CO2_COLOUR = "#1e7b45"


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") is None


def co2_kg(grams: int, lang: str) -> str:
    """Grams of CO2 as the pages show them: kilograms with one decimal ("12.3 千克")."""
    return f"{grouped(Decimal(grams) / 1000, 1)} {translate('personal.unit_kg', lang)}"


def local_day(at: datetime) -> date:
    """The Asia/Shanghai day of a stored time (SQLite hands back naive UTC)."""
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(BEIJING).date()


def scenario_names(lang: str) -> dict[str, str]:
    """Scenario code → name in ``lang``, from the catalogue in force."""
    return {s.code: (s.name_en if lang == "en" else s.name_zh) for s in service.catalogue().scenarios}


def grade_name(code: str | None, lang: str) -> str:
    """A grade band's name (bands are data: an unknown code is shown as itself)."""
    key = f"personal.grade.{code}"
    return translate(key, lang) if key in CATALOGUE else str(code)


# --- the resident's account ----------------------------------------------------------------


def _filters(kind: str | None, scenario: str | None, first_day: date | None, last_day: date | None) -> dict[str, Any]:
    return {
        "kind": kind if kind in KINDS else None,
        "scenario": scenario if scenario in service.catalogue().codes else None,
        "first_day": first_day,
        "last_day": last_day,
    }


LEDGER_SORTS = ("date", "points", "co2")


def _ledger_list(request: Request, filters: dict[str, Any]) -> ListQuery:
    """The ledger's list state in the URL: its filters, sort (newest first by default), page and size."""
    query = {
        "kind": filters["kind"],
        "scenario": filters["scenario"],
        "from": filters["first_day"].isoformat() if filters["first_day"] else None,
        "to": filters["last_day"].isoformat() if filters["last_day"] else None,
    }
    return list_query(request, sorts=LEDGER_SORTS, default_sort="date", filters=query, default_descending=True)


def _ledger_context(
    session: SessionDep,
    account: Account,
    lang: str,
    filters: dict[str, Any],
    ledger: ListQuery,
    *,
    export: bool = False,
) -> dict[str, Any]:
    offset, limit = (0, EXPORT_LIMIT + 1) if export else (ledger.offset, ledger.size)
    rows, total = service.history(
        session,
        account,
        offset=offset,
        limit=limit,
        sort=ledger.sort or "date",
        descending=ledger.descending,
        **filters,
    )
    query = dict(ledger.filters)
    names = scenario_names(lang)
    separator = "、" if lang == "zh" else ", "
    scenarios = service.entry_scenarios(session, rows)
    rewards = {
        f"redeem:{redemption.id}": (reward.name_en if lang == "en" else reward.name_zh)
        for redemption, reward in service.redemptions(session, account)
    }
    entries = [
        {
            "seq": row.seq,
            "kind": row.kind,
            "points": row.points,
            "avoided_co2_g": row.avoided_co2_g,
            "day": row.earned_on or local_day(row.occurred_at),
            "reason": row.reason,
            # What the entry was for: the scenarios an earning sums, the reward a redemption bought.
            "what": separator.join(names.get(code, code) for code in scenarios.get(row.id, []))
            or rewards.get(row.ref, ""),
        }
        for row in rows
    ]
    return {
        "entries": entries,
        "total": total,
        "offset": offset,
        "limit": ledger.size,
        "ledger": ledger,
        "filters": filters,
        "query": {key: value for key, value in query.items() if value},
    }


def monthly_chart(series: list[tuple[date, int, int]], today: date, lang: str) -> dict[str, Any]:
    """Points earned (bars) and CO2 avoided in kg (line) per month of the trailing 12 months."""
    months: list[tuple[int, int]] = []
    year, month = today.year, today.month
    for _ in range(12):
        months.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    months.reverse()
    points = dict.fromkeys(months, 0)
    grams = dict.fromkeys(months, 0)
    for day, day_points, day_grams in series:
        key = (day.year, day.month)
        if key in points:
            points[key] += day_points
            grams[key] += day_grams
    return {
        "kind": "trend",
        "categories": [
            f"{year % 100:02d}/{month:02d}" if month == 1 or index == 0 else month_name(month, lang)
            for index, (year, month) in enumerate(months)
        ],
        "series": [
            {"name": translate("personal.points", lang), "color": POINTS_COLOUR, "data": [points[m] for m in months]}
        ],
        "line": {
            "name": translate("personal.co2_kg", lang),
            "unit": translate("personal.unit_kg", lang),
            "color": CO2_COLOUR,
            "data": [chart_number(Decimal(grams[m]) / 1000, 1) for m in months],
        },
    }


def _account_page(
    request: Request,
    session: SessionDep,
    principal: Principal,
    lang: str,
    *,
    filters: dict[str, Any],
    notice: str | None = None,
    redeem_error: str | None = None,
    consent_error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    account = service.account_for(session, principal, "me")
    ledger = _ledger_context(session, account, lang, filters, _ledger_list(request, filters))
    if _is_htmx(request):
        response = render(request, "personal/_ledger_table.html", {**ledger, "kinds": KINDS}, lang=lang)
        response.headers["Vary"] = "HX-Request"
        return response
    summary = service.account_summary(session, account)
    today = service.today()
    series = service.daily_series(session, account, days=366)
    month_start = today.replace(day=1)
    consents = service.consents(session, principal)
    context = {
        **ledger,
        "summary": summary,
        "grade": summary["grade"],
        "next_grade": grade_name(summary["grade"]["next_code"], lang) if summary["grade"]["next_code"] else None,
        "month_co2_g": sum(grams for day, _, grams in series if day >= month_start),
        "month_points": sum(points for day, points, _ in series if day >= month_start),
        "history_chart": monthly_chart(series, today, lang),
        "rewards": service.list_rewards(session),
        "redemptions": service.redemptions(session, account)[:5],
        "consents": consents,
        "known_banks": sorted({c["bank_code"] for c in consents}),
        "consent_days": CONSENT_DAYS,
        "kinds": KINDS,
        "scenarios": sorted(scenario_names(lang).items(), key=lambda item: item[0]),
        "notice": notice,
        "redeem_error": redeem_error,
        "consent_error": consent_error,
        "co2_kg": lambda grams: co2_kg(grams, lang),
        "grade_name": lambda code: grade_name(code, lang),
    }
    response = render(request, "personal/account.html", context, lang=lang, status=status)
    response.headers["Vary"] = "HX-Request"
    return response


@router.get("/personal/account", response_class=HTMLResponse)
def account_page(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    kind: Annotated[str | None, Query(max_length=10)] = None,
    scenario: Annotated[str | None, Query(max_length=40)] = None,
    first_day: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    last_day: Annotated[str | None, Query(alias="to", max_length=10)] = None,
    redeemed: Annotated[str | None, Query(max_length=32)] = None,
    granted: Annotated[str | None, Query(max_length=40)] = None,
    revoked: Annotated[int | None, Query(ge=0, le=1)] = None,
    export: Annotated[str | None, Query(pattern="^(xlsx|csv)$")] = None,
) -> Response:
    """The resident's own account; htmx gets only the ledger table; ``export`` the filtered ledger as a
    file; without an account, the form to open it."""
    if principal.role == "resident":
        try:
            service.account_for(session, principal, "me")
        except NotFound:  # no account yet: the page to open one, with consent
            return _open_page(request, lang)
    notice = None
    if redeemed:
        account = service.account_for(session, principal, "me")
        found = next(((r, w) for r, w in service.redemptions(session, account) if r.id == redeemed), None)
        if found is not None:
            redemption, reward = found
            name = reward.name_en if lang == "en" else reward.name_zh
            notice = translate(
                "personal.redeemed", lang, reward=name, points=redemption.points, voucher=redemption.voucher_code
            )
    elif granted:
        bank_name = auth.organisation_names(session, [granted]).get(granted)
        notice = translate("personal.granted", lang, bank=name_code(bank_name, granted, lang))
    elif revoked:
        notice = translate("personal.revoked", lang)
    filters = _filters(kind or None, scenario or None, _day(first_day, "from"), _day(last_day, "to"))
    if export:
        return _export_ledger(request, session, principal, lang, filters, export)
    return _account_page(request, session, principal, lang, filters=filters, notice=notice)


def _export_ledger(
    request: Request, session: SessionDep, principal: Principal, lang: str, filters: dict[str, Any], fmt: str
) -> Response:
    """The filtered ledger as a file, in the list's order: day, kind, what it was for, points, CO₂ avoided (g)."""
    account = service.account_for(session, principal, "me")
    ledger = _ledger_context(session, account, lang, filters, _ledger_list(request, filters), export=True)
    keys = ("personal.date", "personal.kind", "personal.ledger_what", "personal.points", "personal.export_co2_g")
    rows = [
        [
            entry["day"],
            translate(f"personal.kind.{entry['kind']}", lang) if entry["kind"] in KINDS else entry["kind"],
            entry["what"] or entry["reason"] or "",
            entry["points"],
            entry["avoided_co2_g"],
        ]
        for entry in ledger["entries"]
    ]
    header = [translate(key, lang) for key in keys]
    title = translate("personal.ledger_title", lang)
    return export_rows(header, rows, name=title, fmt=fmt, lang=lang, total=ledger["total"])


def _export_overview(figures: dict[str, Any], rows: list[dict[str, Any]], lang: str, fmt: str) -> Response:
    """The overview's figures as a file: each scenario's events and CO₂ avoided in the period, then each day's."""
    period = f"{figures['first_day']} – {figures['last_day']}"
    header = [translate(key, lang) for key in ("personal.period_days", "personal.scenario", "personal.events")]
    header.append(translate("personal.export_co2_g", lang))
    name = "name_en" if lang == "en" else "name_zh"
    table: list[list[Any]] = [[period, r[name], r["events"], r["avoided_co2_g"]] for r in rows]
    table += [[day["day"], translate("personal.export_all_scenarios", lang), day["events"], day["avoided_co2_g"]]
              for day in figures["events_per_day"]]  # fmt: skip
    title = translate("personal.overview_title", lang)
    return export_rows(header, table, name=title, fmt=fmt, lang=lang, total=len(table))


def _open_page(
    request: Request, lang: str, *, error: str | None = None, values: dict[str, str] | None = None, status: int = 200
) -> Response:
    blank = {"id_number": "", "name": "", "phone": ""}
    settings = request.app.state.settings
    context = {"error": error, "values": values or blank, "self_service": settings.personal_self_service != "off"}
    return render(request, "personal/open.html", context, lang=lang, status=status)


@router.post("/personal/account/open", response_class=HTMLResponse)
def open_account(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    id_number: Annotated[str, Form(max_length=18)],
    name: Annotated[str, Form(max_length=60)],
    phone: Annotated[str, Form(max_length=20)] = "",
    consent: Annotated[str, Form(max_length=3)] = "",
    verification_code: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """A resident opens their own account on the page, consenting to its terms (with the operator's code)."""
    values = {"id_number": "", "name": name, "phone": phone}  # the ID number is never echoed back
    try:
        account_in = AccountOpen(
            id_number=id_number,
            name=name,
            phone=phone or None,
            consent=consent == "yes",
            consent_ref="terms-v1",
            verification_code=verification_code or None,
        )
        service.open_account(session, principal, settings=settings, account_in=account_in)
    except ValidationError as exc:
        reason = exc.errors()[0]["msg"]
        return _open_page(request, lang, error=reason, values=values, status=422)
    except (InvalidInput, Conflict, Forbidden) as exc:
        key = (
            "personal.open_no_consent"
            if "consent" in exc.detail
            else "personal.open_bad_code"
            if any(e.get("field") == "verification_code" for e in exc.errors)
            else "personal.open_off"
            if isinstance(exc, Forbidden)
            else "personal.open_refused"
            if isinstance(exc, Conflict)
            else None
        )
        key = next((e["message"] for e in exc.errors if e.get("field") == "id_number" and "message" in e), key)
        error = translate(key, lang) if key else exc.detail
        return _open_page(request, lang, error=error, values=values, status=exc.status)
    return RedirectResponse("/personal/account?opened=1", status_code=303)


def _day(value: str | None, field: str) -> date | None:
    """A day from a date field; the form sends an empty string for "any"."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{field}: a date as YYYY-MM-DD") from None


def _empty_filters() -> dict[str, Any]:
    return _filters(None, None, None, None)


@router.get("/personal/redemptions/confirm", response_class=HTMLResponse)
def confirm_redeem(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    reward: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """Ask before spending points: the reward, its price, and the balance left afterwards."""
    account = service.account_for(session, principal, "me")
    found = next((r for r in service.list_rewards(session) if r.code == reward.strip()), None)
    if found is None:
        raise NotFound(translate("personal.refused_unavailable", lang))
    balance = service.account_summary(session, account)["balance"]
    context = {"reward": found, "balance": balance, "after": balance - found.points_price}
    return render(request, "personal/redeem_confirm.html", context, lang=lang)


@router.get("/personal/vouchers", response_class=HTMLResponse)
def vouchers_page(request: Request, session: SessionDep, principal: PagePrincipalDep, lang: LangDep) -> Response:
    """我的券: every voucher the resident redeemed, with its code and whether it can still be used."""
    account = service.account_for(session, principal, "me")
    today = service.today()
    vouchers = [
        {
            "redemption": redemption,
            "reward": reward,
            "state": "expired" if reward.valid_to is not None and reward.valid_to < today else "valid",
        }
        for redemption, reward in service.redemptions(session, account)
    ]
    return render(request, "personal/vouchers.html", {"vouchers": vouchers}, lang=lang)


@router.post("/personal/redemptions", response_class=HTMLResponse)
def redeem(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    reward_code: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Spend points on a reward; too few points or no stock left is one sentence on the page."""
    try:
        redemption, _, _ = service.redeem(session, principal, reward_code=reward_code.strip())
    except (Conflict, NotFound) as exc:
        sentence = _redeem_refusal(session, principal, reward_code.strip(), lang, exc)
        return _account_page(
            request, session, principal, lang, filters=_empty_filters(), redeem_error=sentence, status=exc.status
        )
    return RedirectResponse(f"/personal/account?redeemed={redemption.id}#rewards", status_code=303)


def _redeem_refusal(session: SessionDep, principal: Principal, code: str, lang: str, exc: GreenfinError) -> str:
    """Why a redemption was refused, read again from the account and the reward."""
    reward = next((r for r in service.list_rewards(session) if r.code == code), None)
    if reward is None:
        return translate("personal.refused_unavailable", lang)
    balance = service.account_summary(session, service.account_for(session, principal, "me"))["balance"]
    name = reward.name_en if lang == "en" else reward.name_zh
    if balance < reward.points_price:
        return translate(
            "personal.refused_points", lang, reward=name, price=grouped(reward.points_price), balance=grouped(balance)
        )
    if reward.stock <= 0:
        return translate("personal.refused_stock", lang, reward=name)
    return translate("personal.refused_other", lang, detail=exc.detail or "")


@router.post("/personal/consents", response_class=HTMLResponse)
def grant_consent(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    bank_code: Annotated[str, Form(max_length=40)] = "",
    bank_query: Annotated[str, Form(max_length=60)] = "",
    days: Annotated[int, Form(ge=1, le=3 * 365)] = 365,
) -> Response:
    """The resident lets a bank (chosen by name) read the green-credit grade for a number of days."""
    code = bank_code.strip()
    if not code and bank_query.strip():  # without script: one bank matching the typed name is the choice
        found = auth.search_organisations(session, principal, kind="bank", text=bank_query, limit=2)
        code = found[0][0] if len(found) == 1 else bank_query.strip()
    try:
        if not code:
            raise InvalidInput("bank_code: give the bank's code")
        service.grant_consent(session, principal, bank_code=code, days=days)
    except (InvalidInput, NotFound) as exc:
        key = "personal.consent_no_bank" if isinstance(exc, NotFound) else "personal.consent_missing_bank"
        return _account_page(
            request,
            session,
            principal,
            lang,
            filters=_empty_filters(),
            consent_error=translate(key, lang, bank=code),
            status=exc.status,
        )
    return RedirectResponse(f"/personal/account?granted={code}#consents", status_code=303)


@router.get("/personal/consents/history", response_class=HTMLResponse)
def consent_history_page(request: Request, session: SessionDep, principal: PagePrincipalDep, lang: LangDep) -> Response:
    """The resident's consent history: every grant, to whom, scope, expiry, revocation and reads."""
    return consent_history_response(request, service.consent_history(session, principal), {}, lang=lang)


@router.get("/personal/consents/{consent_id}/revoke", response_class=HTMLResponse)
def confirm_revoke(
    request: Request, consent_id: str, session: SessionDep, principal: PagePrincipalDep, lang: LangDep
) -> Response:
    """Ask before withdrawing a consent: which bank stops seeing the grade."""
    consent = next((c for c in service.consents(session, principal) if c["id"] == consent_id and c["active"]), None)
    if consent is None:
        raise NotFound(translate("fin.err_no_consent", lang))
    bank = name_code(consent["bank_name"], consent["bank_code"], lang)
    return render(request, "personal/revoke_confirm.html", {"consent": consent, "bank": bank}, lang=lang)


@router.post("/personal/consents/{consent_id}/revoke", response_class=HTMLResponse)
def revoke_consent(consent_id: str, session: SessionDep, principal: PagePrincipalDep) -> Response:
    """The resident withdraws a consent; the bank's next read of the grade is refused."""
    service.revoke_consent(session, principal, consent_id=consent_id)
    return RedirectResponse("/personal/account?revoked=1#consents", status_code=303)


# --- the regulator's overview --------------------------------------------------------------


def _co2_unit(grams: list[int]) -> tuple[Decimal, str]:
    """Tonnes when the largest figure is 10 t or more, else kilograms."""
    return (Decimal(1_000_000), "t") if max(grams, default=0) >= 10_000_000 else (Decimal(1000), "kg")


def events_chart(per_day: list[dict[str, Any]], lang: str) -> dict[str, Any]:
    """Events (bars) and CO2 avoided (line) per day."""
    divisor, unit = _co2_unit([int(p["avoided_co2_g"]) for p in per_day])
    unit_name = translate(f"personal.unit_{unit}", lang)
    return {
        "kind": "trend",
        "categories": [str(p["day"])[5:] for p in per_day],
        "series": [
            {"name": translate("personal.events", lang), "color": POINTS_COLOUR, "data": [p["events"] for p in per_day]}
        ],
        "line": {
            "name": translate("personal.co2_avoided_unit", lang, unit=unit_name),
            "unit": unit_name,
            "color": CO2_COLOUR,
            "data": [chart_number(Decimal(int(p["avoided_co2_g"])) / divisor, 2) for p in per_day],
        },
    }


def scenario_chart(by_scenario: list[dict[str, Any]], lang: str) -> dict[str, Any]:
    """CO2 avoided per scenario: horizontal bars, largest first."""
    rows = sorted(by_scenario, key=lambda r: -int(r["avoided_co2_g"]))
    divisor, unit = _co2_unit([int(r["avoided_co2_g"]) for r in rows])
    unit_name = translate(f"personal.unit_{unit}", lang)
    return {
        "kind": "stacked",
        "horizontal": True,
        "categories": [str(r["name_en"] if lang == "en" else r["name_zh"]) for r in rows],
        "series": [
            {
                "name": translate("personal.co2_avoided_unit", lang, unit=unit_name),
                "color": CO2_COLOUR,
                "data": [chart_number(Decimal(int(r["avoided_co2_g"])) / divisor, 2) for r in rows],
            }
        ],
    }


OVERVIEW_DAYS = (7, 30, 90, 180, 365)


@router.get("/personal/overview", response_class=HTMLResponse)
def overview_page(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
    first_day: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    last_day: Annotated[str | None, Query(alias="to", max_length=10)] = None,
    export: Annotated[str | None, Query(pattern="^(xlsx|csv)$")] = None,
) -> Response:
    """Region-wide figures of the personal carbon account over a period: the last ``days`` days, or
    ``from``–``to`` (Beijing days); ``export`` the figures by scenario and by day as a file
    (regulator and admin only)."""
    first, last = _day(first_day, "from"), _day(last_day, "to")
    figures = service.overview(session, principal, days=days, first_day=first, last_day=last)
    rows = sorted(figures["co2_by_scenario"], key=lambda r: -int(r["avoided_co2_g"]))
    if export:
        return _export_overview(figures, rows, lang, export)
    shown_first, shown_last = date.fromisoformat(figures["first_day"]), date.fromisoformat(figures["last_day"])
    span = (shown_last - shown_first).days + 1
    query = {"from": first_day, "to": last_day} if first or last else {"days": str(days)}
    context = {
        "figures": figures,
        "scenario_rows": rows,
        "events_30d": sum(int(p["events"]) for p in figures["events_per_day"]),
        "events_chart": events_chart(figures["events_per_day"], lang),
        "scenario_chart": scenario_chart(figures["co2_by_scenario"], lang),
        "first_day": shown_first,
        "last_day": shown_last,
        "ranged": bool(first or last),
        "days": span,
        "day_choices": sorted({*OVERVIEW_DAYS, days}),
        "chosen_days": days,
        "period_words": (
            translate("personal.period_range", lang, first=shown_first.isoformat(), last=shown_last.isoformat())
            if first or last
            else translate("personal.days_recent", lang, days=span)
        ),
        "export_query": {key: value for key, value in query.items() if value},
        "co2_kg": lambda grams: co2_kg(grams, lang),
    }
    return render(request, "personal/overview.html", context, lang=lang)
