"""Pages of the agricultural carbon account: a farm's account and the regulator's coverage.

Each handler asks ``agriculture.service`` (which scopes by the principal: a farm sees only
itself, staff see the register) and renders a template under
``web/templates/agriculture/``. Figures stay as the service gives them; the page only
picks the year, names things in the page's language and shapes the chart's figures
(drawn by ``/static/greenfin.js`` from a JSON script tag, with the vendored ECharts).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from greenfin.agriculture import service
from greenfin.agriculture.methodology import FARM_TYPES
from greenfin.agriculture.schemas import AssessmentRead, CoverageRead, FarmConflictRead, FarmRead
from greenfin.clock import BEIJING
from greenfin.http import SessionDep
from greenfin.region.service import county_label
from greenfin.web.formatting import chart_number
from greenfin.web.i18n import translate
from greenfin.web.listing import EXPORT_LIMIT, export_rows, list_query
from greenfin.web.pages import LangDep, PagePrincipalDep, page_router, render

router = page_router()

YearQuery = Annotated[int | None, Query(ge=1990, le=2100)]

PRACTICE_COLOURS = {
    "organic_fertiliser_substitution": "#4f9d69",
    "straw_return": "#e0a030",
    "biogas_project": "#2f6f8f",
}
ACCOUNT_COLOUR, NO_ACCOUNT_COLOUR = "#1e7b45", "#c9d3cf"


# --- a farm's account ----------------------------------------------------------------------


@router.get("/agriculture/farms/{farm_ref}", response_class=HTMLResponse)
def farm_page(
    request: Request,
    farm_ref: str,
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    year: YearQuery = None,
) -> Response:
    """One farm's account for a year: identity, reductions by practice with their terms, label and why."""
    account = service.get_account(session, principal, farm_ref=farm_ref)
    years = [a.year for a in account.assessments]
    if year is None:
        year = years[0] if years else None
    assessment = next((a for a in account.assessments if a.year == year), None)
    context = {
        "account": account,
        "farm": account.farm,
        "year": year,
        "years": years,
        "assessment": assessment,
        "next_band": next_band(assessment) if assessment else None,
        "county_name": county_label(account.farm.county_code, lang),
        "practice_chart": practice_chart(assessment, lang) if assessment else None,
        "can_simulate": principal.is_staff or principal.role == "enterprise",
        "can_resolve": principal.role == "regulator",
        "methodology_title": service.methodology_title(assessment.methodology_version if assessment else None, lang),
        "conflicts": [conflict_line(c, lang) for c in account.conflicts],
    }
    return render(request, "agriculture/farm.html", context, lang=lang)


def conflict_line(conflict: FarmConflictRead, lang: str) -> dict[str, Any]:
    """A held submission as the conflicts card shows it (the same card as the industrial account's)."""
    part = "agri.conflict_baseline" if conflict.baseline else "agri.conflict_records"
    when = f"{conflict.submitted_at.astimezone(BEIJING):%Y-%m-%d %H:%M} {translate('trust.beijing_time', lang)}"
    return {
        "kind": "farm",
        "id": conflict.id,
        "item": f"{translate('agri.conflict_year_value', lang, year=conflict.year)} · {translate(part, lang)}",
        "held": translate(f"quality.{conflict.data_quality}", lang),
        "held_source": f"{conflict.submitted_by.split(':', 1)[-1]} · {when}",
        "current": translate(f"quality.{conflict.held_against}", lang),
        "current_source": "",
        "action": f"/agriculture/conflicts/{conflict.id}/resolve",
        "hidden": {},
    }


@router.post("/agriculture/conflicts/{conflict_id}/resolve", response_class=HTMLResponse)
def resolve_conflict(
    request: Request,
    conflict_id: str,
    session: SessionDep,
    principal: PagePrincipalDep,
    decision: Annotated[Literal["accept", "reject"], Form()],
    note: Annotated[str, Form(min_length=1, max_length=500)],
) -> Response:
    """The regulator's decision on a held submission, from the farm's page."""
    resolved = service.resolve_conflict(
        session, principal, conflict_id=conflict_id, accept=decision == "accept", note=note
    )
    return RedirectResponse(f"/agriculture/farms/{resolved.farm_id}?year={resolved.year}", status_code=303)


def next_band(assessment: AssessmentRead) -> dict[str, Any] | None:
    """The next better band than the farm's label, and the gap to it (per unit and for the farm)."""
    bands = list(assessment.bands)  # best first
    codes = [band.code for band in bands]
    if assessment.label not in codes:
        return None
    position = codes.index(assessment.label)
    if position == 0:
        return None
    target = bands[position - 1]
    if target.min_intensity is None:
        return None
    gap = max(target.min_intensity - assessment.intensity, Decimal(0))
    return {"code": target.code, "target": target.min_intensity, "gap": gap, "total_kg": gap * assessment.denominator}


def practice_chart(assessment: AssessmentRead, lang: str) -> dict[str, Any]:
    """Reduction by practice, in kg CO2e: one bar per practice."""
    names = [translate(f"agri.practice.{r.practice}", lang) for r in assessment.reductions]
    return {
        "kind": "stacked",
        "horizontal": True,
        "categories": names,
        "series": [
            {
                "name": translate("agri.reduction", lang) + " (kg CO₂e)",
                "color": "#2f6f8f",
                "data": [chart_number(r.co2e_kg, 1) for r in assessment.reductions],
            }
        ],
    }


# --- the regulator's farm list ---------------------------------------------------------------

FARM_SORTS = ("name", "type", "county", "account", "registered")


@router.get("/agriculture/farms", response_class=HTMLResponse)
def farms_page(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    farm_type: Annotated[str | None, Query(max_length=40)] = None,
    county: Annotated[str | None, Query(max_length=6)] = None,
    account: Annotated[str | None, Query(max_length=4)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """Every farm on the register (a farm's own login: its own), filtered, sorted, paged or exported."""
    farm_type = farm_type if farm_type in FARM_TYPES else None
    county, q = county or None, (q or "").strip() or None
    with_account = {"yes": True, "no": False}.get(account or "")
    filters = {
        "farm_type": farm_type,
        "county": county,
        "account": account if with_account is not None else None,
        "q": q,
    }
    listed = list_query(request, sorts=FARM_SORTS, default_sort="county", filters=filters)

    def page(offset: int, limit: int) -> tuple[list[FarmRead], int]:
        return service.list_farms(
            session,
            principal,
            farm_type=farm_type,
            county_code=county,
            with_account=with_account,
            q=q,
            order=listed.sort or "county",
            descending=listed.descending,
            offset=offset,
            limit=limit,
        )

    if listed.export:
        everything, total = page(0, EXPORT_LIMIT + 1)
        return _export_farms(everything, total, listed.export, lang)
    farms, total = page(listed.offset, listed.size)
    counties = sorted({row.county_code for row in service.coverage(session, principal).by_county if row.county_code})
    context = {
        "farms": farms,
        "total": total,
        "list": listed,
        "filters": filters,
        "farm_types": FARM_TYPES,
        "counties": [(code, county_label(code, lang)) for code in counties],
        "county_names": {farm.county_code: county_label(farm.county_code, lang) for farm in farms},
    }
    return render(request, "agriculture/farms.html", context, lang=lang)


def _export_farms(farms: list[FarmRead], total: int, fmt: str, lang: str) -> Response:
    keys = ("list.farm_name", "list.farm_type", "list.county", "agri.township", "agri.uscc", "agri.holder_id")
    header = [translate(key, lang) for key in keys]
    header += [translate(key, lang) for key in ("agri.area", "agri.herd", "list.account", "list.registered_at")]
    rows = [
        [
            farm.name,
            farm.farm_type_name_zh if lang == "zh" else farm.farm_type_name_en,
            county_label(farm.county_code, lang),
            farm.township,
            farm.uscc,
            farm.holder_id_masked,
            farm.area_mu,
            farm.herd_heads,
            translate("list.account_open" if farm.has_account else "list.account_none", lang),
            farm.registered_at,
        ]
        for farm in farms
    ]
    return export_rows(header, rows, name=translate("list.farms_title", lang), fmt=fmt, lang=lang, total=total)


# --- the regulator's coverage ---------------------------------------------------------------


@router.get("/agriculture/coverage", response_class=HTMLResponse)
def coverage_page(request: Request, session: SessionDep, principal: PagePrincipalDep, lang: LangDep) -> Response:
    """Registered farms with an account, per category (the paper's three) and per county."""
    coverage = service.coverage(session, principal)
    counties = sorted({row.county_code for row in coverage.by_county if row.county_code})
    context = {
        "coverage": coverage,
        "counties": [(code, county_label(code, lang)) for code in counties],
        "county_rows": _by_county(coverage),
        "county_chart": county_chart(coverage, counties, lang),
    }
    return render(request, "agriculture/coverage.html", context, lang=lang)


def _by_county(coverage: CoverageRead) -> dict[tuple[str, str], Any]:
    return {(row.category, row.county_code or ""): row for row in coverage.by_county}


def county_chart(coverage: CoverageRead, counties: list[str], lang: str) -> dict[str, Any]:
    """Farms of the paper's categories with and without an account, per county: stacked bars."""
    categories = {row.category for row in coverage.categories}
    with_account = dict.fromkeys(counties, 0)
    without = dict.fromkeys(counties, 0)
    for row in coverage.by_county:
        if row.category in categories and row.county_code in with_account:
            with_account[row.county_code] += row.with_account
            without[row.county_code] += row.registered - row.with_account
    return {
        "kind": "stacked",
        "horizontal": False,
        "categories": [county_label(code, lang) for code in counties],
        "series": [
            {
                "name": translate("agri.with_account", lang),
                "color": ACCOUNT_COLOUR,
                "data": [with_account[c] for c in counties],
            },
            {
                "name": translate("agri.without_account", lang),
                "color": NO_ACCOUNT_COLOUR,
                "data": [without[c] for c in counties],
            },
        ],
    }
