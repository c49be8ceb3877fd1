"""Pages of the Two Mountains Bank: the asset registry (filters, paging, CSV export) and an asset's page.

Each handler asks ``ecobank.service`` (which scopes by the principal: staff see the region,
an ecological bank its county, an owner its own assets) and renders a template under
``web/templates/ecobank/``. The registry answers htmx requests with its results table only.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from greenfin.auth import service as auth
from greenfin.clock import BEIJING
from greenfin.ecobank import service
from greenfin.ecobank.schemas import SummaryRead
from greenfin.http import SessionDep
from greenfin.web.i18n import translate
from greenfin.web.listing import export_rows
from greenfin.web.pages import LangDep, PagePrincipalDep, page_router, render

router = page_router()

PAGE_SIZE = 50


def _filters(county: str | None, kind: str | None) -> tuple[str | None, str | None]:
    county = county if county and county.isdigit() and len(county) == 6 else None
    kind = kind if kind in service.kinds() else None
    return county, kind


SUMMARY_COLUMNS = (
    ("assets", "eco.sum.assets"),
    ("area_milli_mu", "eco.sum.area"),
    ("value_fen", "eco.sum.value"),
    ("gep_fen", "eco.sum.gep"),
    ("deposits", "eco.sum.deposits"),
    ("pledges", "eco.sum.pledges"),
    ("pledged_fen", "eco.sum.pledged"),
    ("paid_fen", "eco.sum.paid"),
    ("households", "eco.sum.households"),
)


def _group_name(by: str, key: str, lang: str) -> str:
    return service.county_name(key, lang) if by == "county" else translate(f"eco.kind.{key}", lang)


def _summary_chart(summary: SummaryRead, lang: str) -> dict[str, Any]:
    """Assets by county, stacked by kind: a bar per county."""
    kinds = [group.key for group in summary.by_kind]
    counties = [group.key for group in summary.by_county]
    counts = {(county, kind): 0 for county in counties for kind in kinds}
    for cell in summary.cells:
        counts[(cell.county_code, cell.kind)] = cell.assets
    return {
        "kind": "stacked",
        "categories": [service.county_name(county, lang) for county in counties],
        "series": [
            {"name": translate(f"eco.kind.{kind}", lang), "data": [counts[(county, kind)] for county in counties]}
            for kind in kinds
        ],
    }


@router.get("/ecobank", response_class=HTMLResponse)
def dashboard_page(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    county: Annotated[str | None, Query(max_length=6)] = None,
) -> Response:
    """The ecological bank's dashboard: what it holds, what it is worth, what it secures and pays out."""
    county, _ = _filters(county, None)
    summary = service.summary(session, principal, county_code=county)
    context: dict[str, Any] = {
        "s": summary,
        "county": county,
        "counties": [(code, service.county_name(code, lang)) for code in service.counties(session, principal)],
        "county_names": {group.key: service.county_name(group.key, lang) for group in summary.by_county},
        "bank_names": auth.organisation_names(session, {p.bank_code for p in summary.latest_pledges}),
        "chart_data": _summary_chart(summary, lang),
        "query": {"county": county} if county else {},
    }
    return render(request, "ecobank/dashboard.html", context, lang=lang)


@router.get("/ecobank/summary.{fmt}")
def summary_export(
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    fmt: Annotated[str, Path(pattern="^(csv|xlsx)$")],
    by: Annotated[str, Query(pattern="^(kind|county)$")] = "kind",
    county: Annotated[str | None, Query(max_length=6)] = None,
) -> Response:
    """The dashboard's table by kind or by county, as CSV or XLSX (amounts in yuan, areas in 亩)."""
    county, _ = _filters(county, None)
    summary = service.summary(session, principal, county_code=county)
    groups = summary.by_kind if by == "kind" else summary.by_county
    header = [translate("eco.kind" if by == "kind" else "eco.county", lang)]
    header += [translate(key, lang) for _, key in SUMMARY_COLUMNS]
    table = [
        [_group_name(by, group.key, lang)]
        + [
            f"{Decimal(value) / 1000:.3f}" if name == "area_milli_mu"
            else f"{Decimal(value) / 100:.2f}" if name.endswith("_fen")
            else str(value)
            for name, value in ((name, getattr(group, name)) for name, _ in SUMMARY_COLUMNS)
        ]
        for group in groups
    ]  # fmt: skip
    title = translate("eco.dashboard_by_" + by, lang)
    return export_rows(header, table, name=title, fmt=fmt, lang=lang, total=len(table))


@router.get("/ecobank/assets", response_class=HTMLResponse)
def registry_page(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    county: Annotated[str | None, Query(max_length=6)] = None,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """The registry, filtered by county and kind, newest first; htmx gets only the results table."""
    county, kind = _filters(county, kind)
    items, total = service.list_assets(
        session, principal, county_code=county, kind=kind, offset=offset, limit=PAGE_SIZE
    )
    query = {key: value for key, value in (("county", county), ("kind", kind)) if value}
    codes = {item.county_code for item in items}
    context: dict[str, Any] = {
        "items": items,
        "total": total,
        "offset": offset,
        "limit": PAGE_SIZE,
        "filters": {"county": county, "kind": kind},
        "query": query,
        "county_names": {code: service.county_name(code, lang) for code in codes},
    }
    fragment = request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") is None
    if fragment:
        response = render(request, "ecobank/_asset_table.html", context, lang=lang)
    else:
        counties = service.counties(session, principal)
        context["counties"] = [(code, service.county_name(code, lang)) for code in counties]
        context["kinds"] = list(service.kinds())
        response = render(request, "ecobank/registry.html", context, lang=lang)
    response.headers["Vary"] = "HX-Request"
    return response


@router.get("/ecobank/assets.{fmt}")
def registry_export(
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    fmt: Annotated[str, Path(pattern="^(csv|xlsx)$")],
    county: Annotated[str | None, Query(max_length=6)] = None,
    kind: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """The filtered registry as CSV or XLSX (web/listing: the page's headings, Chinese-safe, formula-guarded)."""
    county, kind = _filters(county, kind)
    rows = service.export_assets(session, principal, county_code=county, kind=kind)
    keys = (
        *("eco.csv.id", "eco.asset", "eco.kind", "eco.crop", "eco.owner", "eco.county", "eco.village", "eco.area"),
        *("eco.certificate", "eco.right_end", "eco.value", "eco.valued_on"),
    )
    table = [
        [
            item.id,
            item.name,
            translate(f"eco.kind.{item.kind}", lang),
            item.crop or "",
            item.owner_display,
            service.county_name(item.county_code, lang),
            item.village_code,
            f"{Decimal(item.area_milli_mu) / 1000:.3f}",
            item.certificate,
            item.right_end.isoformat() if item.right_end else "",
            f"{Decimal(item.value_fen) / 100:.2f}" if item.value_fen is not None else "",
            item.valued_on.isoformat() if item.valued_on else "",
        ]
        for item in rows
    ]
    header = [translate(key, lang) for key in keys]
    return export_rows(header, table, name=translate("eco.registry_title", lang), fmt=fmt, lang=lang, total=len(table))


@router.get("/ecobank/assets/{asset_id}", response_class=HTMLResponse)
def asset_page(
    request: Request, asset_id: str, session: SessionDep, principal: PagePrincipalDep, lang: LangDep
) -> Response:
    """One asset: identity, term, current value beside its GEP, loan-to-value cap, valuations, documents."""
    asset = service.get_asset(session, principal, asset_id)
    read = service.asset_read(session, asset)
    history = service.valuations(session, principal, asset_id=asset_id)
    gep = next((v for v in history if v.method == "gep"), None)
    pledges = service.asset_pledges(session, principal, asset_id=asset_id)
    documents = service.documents(session, principal, asset_id=asset_id)
    context = {
        "asset": read,
        "kind_name": translate(f"eco.kind.{read.kind}", lang),
        "county_name": service.county_name(read.county_code, lang),
        "registered_on": read.registered_at.astimezone(BEIJING).date(),
        "history": history,
        "gep": gep,
        "ltv": service.ltv(asset),
        "documents": documents,
        "documents_by_id": {d.id: d for d in documents},
        "deposits": service.deposits(session, principal, asset_id=asset_id),
        "operator_names": service.operator_names(session),
        "pledges": pledges,
        "bank_names": auth.organisation_names(session, {p.bank_code for p in pledges}),
    }
    return render(request, "ecobank/asset.html", context, lang=lang)
