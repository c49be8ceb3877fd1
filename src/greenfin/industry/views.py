"""Pages of the industrial carbon account: an enterprise's account, the regional overview, the list.

Each handler asks ``industry.service`` (which scopes by the principal: an enterprise sees
only itself, staff see the region) and renders a template under
``web/templates/industry/``. Charts take their figures from a JSON script tag on the page
(built here by the ``*_chart`` functions) and are drawn by ``/static/greenfin.js`` with the
vendored ECharts — no extra round trip, nothing from a CDN. The enterprise list answers a
whole page, or only its results table when htmx asks (``HX-Request``), NetBox style.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from greenfin.auth.service import Principal
from greenfin.clock import BEIJING
from greenfin.errors import InvalidInput
from greenfin.http import SessionDep
from greenfin.industry import service
from greenfin.industry.methodology import industry_name
from greenfin.industry.schemas import (
    AccountRead,
    ConflictRead,
    ConflictResolve,
    EnterpriseListItem,
    GroupCount,
    OverviewRead,
)
from greenfin.web.formatting import chart_number, tonnes_scale
from greenfin.web.i18n import LABELS, month_name, process_name, translate
from greenfin.web.listing import EXPORT_LIMIT, export_rows, list_query
from greenfin.web.pages import LangDep, PagePrincipalDep, page_router, render, templates
from greenfin.web.views import default_year

router = page_router()


def peer_group_name(code: str | None, lang: str = "zh") -> str:
    """The industry a peer group's code prefix names ("30" → 非金属矿物制品业（30）)."""
    if not code:
        return "—"
    name = industry_name(code)
    return name.name_zh if lang == "zh" else name.name_en


def rule_text(rule: str, lang: str = "zh") -> str:
    """A label threshold ("yoy change < 0%") in the page's words (强度同比 < 0%)."""
    return rule.replace("yoy change", "强度同比") if lang == "zh" else rule.replace("yoy change", "year-on-year change")


templates.globals.update(peer_group_name=peer_group_name, rule_text=rule_text)

PAGE_SIZE = 20
YearQuery = Annotated[int | None, Query(ge=1990, le=2100)]

# The four colours of the labels, shared by badges (CSS) and charts (here).
LABEL_COLOURS = {"dark_green": "#1e7b45", "light_green": "#8cc63f", "yellow": "#f2c12e", "red": "#d9453b"}
SOURCE_PALETTE = ("#2f6f8f", "#4f9d69", "#e0a030", "#c8553d", "#7a5c99", "#3a9fbf", "#8f8f3a", "#b86f9b", "#5c7a99")


def _name(item: Any, lang: str) -> str:
    return str(item.name_en if lang == "en" else item.name_zh)


# --- the enterprise's own account ----------------------------------------------------------


@router.get("/industry/enterprises/{uscc}", response_class=HTMLResponse)
def account_page(
    request: Request, uscc: str, session: SessionDep, principal: PagePrincipalDep, lang: LangDep, year: YearQuery = None
) -> Response:
    """One enterprise's carbon account for a year: emissions by source, monthly trend, label and why."""
    if year is None:
        labels = service.label_history(session, principal, uscc=uscc)
        year = labels[0].year if labels else default_year()
    account = service.get_account(session, principal, uscc=uscc, year=year)
    years = sorted({line.year for line in account.history} | {account.year}, reverse=True)
    context = {
        "account": account,
        "conflicts": [
            {
                **conflict_line(c, lang),
                "action": f"/industry/conflicts/{c.kind}/{c.id}/resolve",
                "hidden": {"uscc": account.enterprise.uscc, "year": account.year},
            }
            for c in account.conflicts
        ],
        "can_resolve": principal.role in ("regulator", "admin"),
        "resolved": request.query_params.get("resolved"),
        "years": years,
        "labels": LABELS,
        "label_colours": LABEL_COLOURS,
        "sources_chart": sources_chart(account, lang),
        "monthly_chart": monthly_chart(account, lang),
        "titles": service.version_titles(
            account.label.methodology_version if account.label else None,
            account.label.factor_set_version if account.label else account.factor_set_version,
            lang,
        ),
    }
    return render(request, "industry/account.html", context, lang=lang)


def _beijing(moment: datetime | None, lang: str) -> str:
    if moment is None:
        return "—"
    shown = moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    return f"{shown} {translate('trust.beijing_time', lang)}"


def conflict_line(conflict: ConflictRead, lang: str) -> dict[str, Any]:
    """One open conflict as the page shows it: what, the figure held aside and the one in use, by whom."""
    if conflict.kind == "energy":
        energy = conflict.item_name_en if lang == "en" else conflict.item_name_zh
        item = translate("trust.energy_month", lang, energy=energy, month=month_name(conflict.month or 1, lang))
    elif conflict.kind == "process":
        item = process_name(conflict.item, lang)
    else:
        item = translate("trust.annual", lang)

    def figure(values: dict[str, str] | None) -> str:
        if values is None:
            return "—"
        if conflict.kind == "energy":
            return f"{values['quantity']} {values['unit']}"
        if conflict.kind == "process":
            return f"{values['tco2']} tCO₂"
        return translate(
            "trust.annual_value", lang, output=values["output_value_yuan"], added=values["added_value_yuan"]
        )

    def source(provenance: Any) -> str:
        if provenance is None:
            return "—"
        quality = translate(f"quality.{provenance.data_quality}", lang)
        who = provenance.organisation_code or provenance.imported_by or "—"
        return f"{quality} · {who} · {_beijing(provenance.imported_at, lang)}"

    return {
        "kind": conflict.kind,
        "id": conflict.id,
        "item": item,
        "held": figure(conflict.held),
        "held_source": source(conflict.held_provenance),
        "current": figure(conflict.current),
        "current_source": source(conflict.current_provenance),
    }


@router.post("/industry/conflicts/{kind}/{row_id}/resolve", response_class=HTMLResponse)
def resolve_conflict(
    kind: Annotated[Literal["energy", "process", "annual"], Path()],
    row_id: Annotated[int, Path(ge=1, le=2**62)],
    session: SessionDep,
    principal: PagePrincipalDep,
    uscc: Annotated[str, Form(pattern="^[0-9A-Za-z]{18}$")],
    year: Annotated[int, Form(ge=1990, le=2100)],
    decision: Annotated[str, Form(max_length=10)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """The regulator accepts or rejects a figure held aside; back to the account with a notice."""
    try:
        body = ConflictResolve.model_validate({"decision": decision, "note": note.strip()})
    except ValidationError:
        raise InvalidInput("decision: accept or reject, with a note of 1-500 characters") from None
    service.resolve_conflict(session, principal, kind=kind, row_id=row_id, decision=body)
    return RedirectResponse(f"/industry/enterprises/{uscc}?year={year}&resolved={body.decision}", status_code=303)


def sources_chart(account: AccountRead, lang: str) -> dict[str, Any]:
    """Emissions by energy type and process source: a pie's figures."""
    items = [{"name": _name(line, lang), "value": chart_number(line.tco2)} for line in account.by_energy if line.tco2]
    items += [
        {"name": process_name(line.source, lang), "value": chart_number(line.tco2)}
        for line in account.process
        if line.tco2
    ]
    colours = [SOURCE_PALETTE[index % len(SOURCE_PALETTE)] for index in range(len(items))]
    return {"kind": "pie", "unit": "tCO₂", "items": items, "colors": colours}


def monthly_chart(account: AccountRead, lang: str) -> dict[str, Any]:
    """Energy emissions per month: a line's figures."""
    return {
        "kind": "line",
        "unit": "tCO₂",
        "categories": [month_name(line.month, lang) for line in account.monthly],
        "series": [
            {
                "name": translate("industry.energy_co2", lang),
                "data": [chart_number(line.tco2) for line in account.monthly],
                "color": "#2f6f8f",
            }
        ],
    }


# --- the regulator's overview --------------------------------------------------------------


@router.get("/industry/overview", response_class=HTMLResponse)
def overview_page(
    request: Request, session: SessionDep, principal: PagePrincipalDep, lang: LangDep, year: YearQuery = None
) -> Response:
    """The region for a year: labels by county and industry, biggest emitters, trend."""
    summary = latest_overview(session, principal, year=year)
    county_names = {group.code: _name(group, lang) for group in summary.by_county}
    division_names = {group.code: _name(group, lang) for group in summary.by_industry}
    years = sorted({point.year for point in summary.trend} | {summary.year}, reverse=True)
    context = {
        "summary": summary,
        "years": years,
        "labels": LABELS,
        "county_names": county_names,
        "division_names": division_names,
        "county_chart": groups_chart(summary.by_county, lang, horizontal=False),
        "industry_chart": groups_chart(summary.by_industry, lang, horizontal=True),
        "trend_chart": trend_chart(summary, lang),
        "titles": service.version_titles(summary.methodology_version, summary.factor_set_version, lang),
    }
    return render(request, "industry/overview.html", context, lang=lang)


def latest_overview(session: SessionDep, principal: Principal, *, year: int | None) -> OverviewRead:
    """The overview of ``year``; without one, of the last complete year, or of the latest labelled year."""
    if year is not None:
        return service.overview(session, principal, year=year)
    summary = service.overview(session, principal, year=default_year())
    labelled = [point.year for point in summary.trend if sum(point.counts.values())]
    if not summary.enterprises and labelled and max(labelled) != summary.year:
        summary = service.overview(session, principal, year=max(labelled))
    return summary


def _label_series(lang: str, values: dict[str, list[int]]) -> list[dict[str, Any]]:
    return [
        {"name": translate(f"label.{code}", lang), "color": LABEL_COLOURS[code], "data": values[code]}
        for code in LABELS
    ]


def groups_chart(groups: list[GroupCount], lang: str, *, horizontal: bool) -> dict[str, Any]:
    """Enterprises per label in each group (county or industry): stacked bars' figures."""
    values = {code: [group.counts.get(code, 0) for group in groups] for code in LABELS}
    return {
        "kind": "stacked",
        "horizontal": horizontal,
        "categories": [_name(group, lang) for group in groups],
        "series": _label_series(lang, values),
    }


def trend_chart(summary: OverviewRead, lang: str) -> dict[str, Any]:
    """Labels (stacked bars) and total emissions (line) per year."""
    points = sorted(summary.trend, key=lambda point: point.year)
    values = {code: [point.counts.get(code, 0) for point in points] for code in LABELS}
    divisor, unit = tonnes_scale([point.total_co2_t for point in points], "tCO₂", lang)
    return {
        "kind": "trend",
        "categories": [str(point.year) for point in points],
        "series": _label_series(lang, values),
        "line": {
            "name": translate("industry.total_co2", lang),
            "unit": unit,
            "color": "#2f4858",
            "data": [chart_number(point.total_co2_t / divisor, 0 if divisor == 1 else 2) for point in points],
        },
    }


# --- the enterprise list -------------------------------------------------------------------


ENTERPRISE_SORTS = ("name", "uscc", "county", "industry", "co2", "label")


@router.get("/industry/enterprises", response_class=HTMLResponse)
def enterprises_page(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    county: Annotated[str | None, Query(max_length=6)] = None,
    industry: Annotated[str | None, Query(max_length=4)] = None,
    label: Annotated[str | None, Query(max_length=12)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    year: YearQuery = None,
) -> Response:
    """Enterprises with their labels, filtered, sorted and paged (or exported); htmx gets only the table."""
    county, industry, q = county or None, industry or None, (q or "").strip() or None
    label = label if label in LABELS else None
    filters: dict[str, str | int | None] = {
        "county": county,
        "industry": industry,
        "label": label,
        "q": q,
        "year": year,
    }
    listed = list_query(request, sorts=ENTERPRISE_SORTS, default_sort="uscc", filters=filters)

    def page(offset: int, limit: int) -> tuple[list[EnterpriseListItem], int]:
        return service.list_enterprises(
            session,
            principal,
            year=year,
            county_code=county,
            industry_code=industry,
            label=label,
            q=q,
            order=listed.sort or "uscc",
            descending=listed.descending,
            offset=offset,
            limit=limit,
        )

    if listed.export:
        everything, total = page(0, EXPORT_LIMIT + 1)
        return _export_enterprises(everything, total, listed.export, lang)
    items, total = page(listed.offset, listed.size)
    context: dict[str, Any] = {
        "items": items,
        "total": total,
        "list": listed,
        "filters": filters,
        "labels": LABELS,
    }
    fragment = request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") is None
    if fragment:
        response = render(request, "industry/_enterprise_table.html", context, lang=lang)
    else:
        context.update(_filter_options(session, principal, lang))
        response = render(request, "industry/enterprises.html", context, lang=lang)
    response.headers["Vary"] = "HX-Request"
    return response


def _export_enterprises(items: list[EnterpriseListItem], total: int, fmt: str, lang: str) -> Response:
    """The filtered enterprises as a file: names first, then codes, the label by name."""
    header = [
        translate(key, lang)
        for key in (
            "industry.enterprise",
            "industry.uscc",
            "industry.county",
            "industry.industry",
            "common.year",
            "industry.export_co2",
            "industry.label",
        )
    ]
    zh = lang == "zh"
    rows = [
        [
            item.name,
            item.uscc,
            item.county_name_zh if zh else item.county_name_en,
            item.industry_name_zh if zh else item.industry_name_en,
            item.year,
            item.total_co2_t,
            translate(f"label.{item.label or 'none'}", lang),
        ]
        for item in items
    ]
    return export_rows(header, rows, name=translate("industry.list_title", lang), fmt=fmt, lang=lang, total=total)


def _filter_options(session: SessionDep, principal: Principal, lang: str) -> dict[str, Any]:
    """Counties and industry divisions to filter by, named in ``lang`` (two DISTINCT reads)."""
    options = service.filter_options(session, principal)
    return {
        "counties": [(option.code, _name(option, lang)) for option in options.counties],
        "divisions": [(option.code, _name(option, lang)) for option in options.divisions],
    }
