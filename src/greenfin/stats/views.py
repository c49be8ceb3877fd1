"""Pages of the green-finance statistics: the regulator's dashboard (each bank's own view of it) and the
PBoC green-finance evaluation's quantitative indicators, with XLSX/CSV exports of every table.

Each handler asks ``stats.service`` (which scopes by the principal: a regulator the region or a
bank it picks, a bank only its own book) and renders a template under ``web/templates/stats/``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from greenfin.auth.service import Principal
from greenfin.errors import Forbidden, InvalidInput
from greenfin.http import SessionDep
from greenfin.industry.methodology import division_name
from greenfin.market.rules import QUALITY_CLASSES
from greenfin.region import service as region
from greenfin.stats import disclosure, service
from greenfin.stats.rules import is_quarter_end
from greenfin.stats.schemas import GreenLoanStatisticsRead
from greenfin.web.formatting import chart_number
from greenfin.web.i18n import translate
from greenfin.web.listing import export_rows
from greenfin.web.pages import LangDep, PagePrincipalDep, page_router, render

router = page_router()

YI_FEN = 10_000_000_000  # fen in 1 亿元
CATALOGUES = ("gic-2019", "glt-2024", "gfs-2025")
BankQuery = Annotated[str | None, Query(max_length=40)]
DayQuery = Annotated[date | None, Query()]
CatalogueQuery = Annotated[str | None, Query(max_length=20)]
DIMENSIONS = ("county", "bank", "category", "borrower_kind", "industry", "quality")
QUALITY_ORDER = QUALITY_CLASSES


def _view(principal: Principal, bank: str | None) -> str | None:
    """The bank shown: a regulator's choice (None: the region), a bank always its own."""
    if principal.role not in ("admin", "regulator", "bank"):
        raise Forbidden("green-finance statistics are for the regulators and the banks")
    return (bank or None) if principal.is_staff else principal.organisation_code


def _period(
    session: SessionDep, principal: Principal, bank: str | None, as_of: date | None, base: date | None = None
) -> tuple[list[date], date | None, date | None]:
    """The book's month-ends, the day shown (asked, else the latest quarter-end) and the base date (asked
    when it is an earlier month-end of the book, else the book's first)."""
    days = service.book_dates(session, principal, bank_code=bank)
    if not days:
        return [], None, None
    quarters = [day for day in days if is_quarter_end(day)] or days
    shown = as_of if as_of in days else quarters[-1]
    if base in days and base < shown:
        return days, shown, base
    return days, shown, days[0] if days[0] < shown else None


def _statistics(
    session: SessionDep, principal: Principal, bank: str | None, day: date, base: date | None, catalogue: str | None
) -> GreenLoanStatisticsRead:
    by = [d for d in DIMENSIONS if d != "bank" or bank is None]
    version = catalogue if catalogue in CATALOGUES else None
    stats = service.green_loan_statistics(
        session, principal, as_of=day, base=base, by=by, catalogue_version=version, bank_code=bank
    )
    if "quality" in stats.groups:  # the five classes in their own order, not the codes'
        stats.groups["quality"].sort(key=lambda item: QUALITY_ORDER.index(item.key) if item.key in QUALITY_ORDER else 9)
    return stats


def _group_label(dimension: str, item: Any, lang: str, version: str = CATALOGUES[0]) -> str:
    """A group's name in the page's language (names first; codes only where nothing has a name)."""
    if dimension in ("borrower_kind", "quality") and item.key:
        return translate(f"stats.{dimension}.{item.key}", lang)
    if item.key is None:
        return translate("stats.not_recorded", lang)
    if dimension == "county" and lang == "en":
        return region.county_label(item.key, lang)
    if dimension == "industry":
        name = division_name(item.key)
        return f"{name.name_en if lang == 'en' else name.name_zh} {item.key}"
    if dimension == "category":
        if item.key == service.UNMAPPED:
            return translate("stats.unmapped", lang)
        return service.category_label(version, item.key, lang)
    return str(item.name)


def _series_chart(series: list[GreenLoanStatisticsRead], lang: str) -> dict[str, Any]:
    """Green and all-loan balances at each quarter-end, in 亿元."""
    return {
        "kind": "line",
        "unit": translate("stats.unit_yi", lang),
        "categories": [point.totals.as_of.isoformat() for point in series],
        "series": [
            {
                "name": translate("stats.green_balance", lang),
                "data": [chart_number(Decimal(p.totals.green_balance_fen) / YI_FEN) for p in series],
                "color": "#1f7a4a",
            },
            {
                "name": translate("stats.all_balance", lang),
                "data": [chart_number(Decimal(p.totals.all_balance_fen) / YI_FEN) for p in series],
                "color": "#8aa0b4",
            },
        ],
    }


@router.get("/stats", response_class=HTMLResponse)
def dashboard_page(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    as_of: DayQuery = None,
    bank: BankQuery = None,
    catalogue: CatalogueQuery = None,
    base: DayQuery = None,
) -> Response:
    """The region's (or one bank's) green loans on a quarter-end: headline figures, series, tables."""
    shown_bank = _view(principal, bank)
    days, day, base = _period(session, principal, shown_bank, as_of, base)
    context: dict[str, Any] = {
        "days": [d for d in days if is_quarter_end(d)],
        "all_days": days,
        "day": day,
        "base": base,
        "bank": shown_bank,
        "banks": service.bank_choices(session, principal) if principal.is_staff else [],
        "catalogue": catalogue if catalogue in CATALOGUES else CATALOGUES[0],
        "catalogues": CATALOGUES,
        "stats": None,
    }
    if day is not None:
        stats = _statistics(session, principal, shown_bank, day, base, catalogue)
        series = service.quarterly_series(session, principal, start=days[0], end=day, bank_code=shown_bank)
        facts = service.registered_facts(session, principal, as_of=day)
        context |= {
            "stats": stats,
            "facts": facts,
            "series_chart": _series_chart(series, lang),
            "series": series,
            "labels": {
                dimension: {item.key: _group_label(dimension, item, lang, stats.catalogue_version) for item in items}
                for dimension, items in stats.groups.items()
            },
        }
    return render(request, "stats/dashboard.html", context, lang=lang)


def _fen_yuan(fen: int | None) -> str:
    return "" if fen is None else f"{Decimal(fen) / 100:.2f}"


def _ratio(value: Decimal | None) -> str:
    return "" if value is None else f"{value * 100:.2f}%"


@router.get("/stats/green-loans.{fmt}")
def statistics_export(
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    fmt: Annotated[str, Path(pattern="^(csv|xlsx)$")],
    by: Annotated[str, Query(pattern="^(county|bank|category|borrower_kind|industry|quality|series)$")] = "county",
    as_of: DayQuery = None,
    bank: BankQuery = None,
    catalogue: CatalogueQuery = None,
    base: DayQuery = None,
) -> Response:
    """One table of the dashboard (or the quarterly series) as XLSX or CSV: amounts in yuan, ratios in %."""
    shown_bank = _view(principal, bank)
    days, day, base = _period(session, principal, shown_bank, as_of, base)
    head = [
        *("stats.green_balance", "stats.all_balance", "stats.share", "stats.yoy_growth"),
        *("stats.ytd_growth", "stats.points_above_all_short"),
    ]
    rows: list[list[str]] = []
    if day is not None and by == "series":
        first = translate("stats.as_of", lang)
        for point in service.quarterly_series(session, principal, start=days[0], end=day, bank_code=shown_bank):
            t = point.totals
            rows.append([t.as_of.isoformat(), *_figures_row(t)])
    elif day is not None:
        first = translate(f"stats.by_{by}", lang)
        stats = _statistics(session, principal, shown_bank, day, base, catalogue)
        for item in stats.groups.get(by, []):
            rows.append([_group_label(by, item, lang, stats.catalogue_version), *_figures_row(item)])
    else:
        first = translate("stats.as_of", lang)
    header = [first, *(translate(key, lang) for key in head)]
    name = translate("stats.dashboard", lang) + (f"-{day.isoformat()}" if day else "")
    return export_rows(header, rows, name=name, fmt=fmt, lang=lang, total=len(rows))


def _figures_row(figures: Any) -> list[str]:
    return [
        _fen_yuan(figures.green_balance_fen),
        _fen_yuan(figures.all_balance_fen),
        _ratio(figures.share),
        _ratio(figures.yoy_growth),
        _ratio(figures.ytd_growth),
        "" if figures.yoy_points_above_all is None else f"{figures.yoy_points_above_all:.2f}",
    ]


@router.get("/stats/evaluation", response_class=HTMLResponse)
def evaluation_page(
    request: Request, session: SessionDep, principal: PagePrincipalDep, lang: LangDep, as_of: DayQuery = None
) -> Response:
    """The PBoC evaluation's four quantitative indicators per bank on a quarter-end (a bank: its own)."""
    _view(principal, None)
    days, day, _ = _period(session, principal, None if principal.is_staff else principal.organisation_code, as_of)
    report = service.evaluation_indicators(session, principal, as_of=day) if day is not None else None
    context = {"days": [d for d in days if is_quarter_end(d)], "day": day, "report": report}
    return render(request, "stats/evaluation.html", context, lang=lang)


@router.get("/stats/evaluation.{fmt}")
def evaluation_export(
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    fmt: Annotated[str, Path(pattern="^(csv|xlsx)$")],
    as_of: DayQuery = None,
) -> Response:
    """The indicators per bank as XLSX or CSV (ratios in %, amounts in yuan)."""
    _view(principal, None)
    _, day, _ = _period(session, principal, None if principal.is_staff else principal.organisation_code, as_of)
    report = service.evaluation_indicators(session, principal, as_of=day) if day is not None else None
    keys = [i["key"] for i in report["indicators"]] if report else []
    header = [
        translate("stats.by_bank", lang),
        translate("stats.evaluation.green_business", lang),
        *(translate(f"stats.evaluation.{key}", lang) for key in keys),
    ]
    rows = [
        [item["name"], _fen_yuan(item["green_business_fen"]), *(_ratio(item["indicators"][key]) for key in keys)]
        for item in (report["items"] if report else [])
    ]
    name = translate("stats.evaluation.title", lang) + (f"-{day.isoformat()}" if day else "")
    return export_rows(header, rows, name=name, fmt=fmt, lang=lang, total=len(rows))


# --- the environmental-information disclosure (JR/T 0227—2021) -------------------------------------------

YearQuery = Annotated[int | None, Query(ge=2000, le=2100)]


def _disclosure_page(
    request: Request,
    session: SessionDep,
    principal: Principal,
    lang: str,
    *,
    bank: str | None,
    year: int | None,
    error: str | None = None,
    draft: tuple[str, str] | None = None,
) -> Response:
    """The report of a bank and year (a regulator picks the bank), with the bank's edit forms."""
    shown_bank = _view(principal, bank)
    days = service.book_dates(session, principal, bank_code=shown_bank) if shown_bank else []
    years = sorted({day.year for day in days}, reverse=True)
    complete = [day.year for day in days if (day.month, day.day) == (12, 31)]  # a report covers a whole year
    year = year or (max(complete) if complete else years[0] if years else None)
    report = (
        disclosure.report(session, principal, bank_code=shown_bank, year=year, lang=lang)
        if shown_bank and year
        else None
    )
    context = {
        "report": report,
        "bank": shown_bank,
        "banks": service.bank_choices(session, principal) if principal.is_staff else [],
        "year": year,
        "years": years,
        "editable": not principal.is_staff,
        "error": error,
        "draft": draft,
    }
    return render(request, "stats/disclosure.html", context, lang=lang, status=400 if error else 200)


@router.get("/stats/disclosure", response_class=HTMLResponse)
def disclosure_page(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    bank: BankQuery = None,
    year: YearQuery = None,
) -> Response:
    """A bank's annual environmental-information disclosure: greenfin's figures and the bank's text."""
    return _disclosure_page(request, session, principal, lang, bank=bank, year=year)


@router.post("/stats/disclosure/{section}", response_class=HTMLResponse)
def disclosure_write(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    section: Annotated[str, Path(pattern="^[a-z_]{1,40}$")],
    year: Annotated[int, Form(ge=2000, le=2100)],
    text: Annotated[str, Form(max_length=disclosure.MAX_TEXT * 2)] = "",
) -> Response:
    """The bank saves a new version of one of its sections; a refused text is shown again with the reason."""
    try:
        disclosure.write_section(
            session, principal, bank_code=principal.organisation_code, year=year, section=section, text=text
        )
    except InvalidInput as exc:
        session.rollback()
        reason = translate("disclosure.refused", lang, reason=exc.detail if lang == "en" else _reason_zh(exc))
        return _disclosure_page(
            request, session, principal, lang, bank=None, year=year, error=reason, draft=(section, text)
        )
    return RedirectResponse(f"/stats/disclosure?year={year}#section-{section}", status_code=303)


def _reason_zh(exc: InvalidInput) -> str:
    field = next((str(e.get("field")) for e in exc.errors if e.get("field")), "")
    return translate(
        f"disclosure.refused_{field}" if field in ("text", "section", "year") else "disclosure.refused_other", "zh"
    )


@router.get("/stats/disclosure.pdf")
def disclosure_pdf(
    session: SessionDep, principal: PagePrincipalDep, lang: LangDep, bank: BankQuery = None, year: YearQuery = None
) -> Response:
    """The report as a Chinese PDF (the download names the bank and year)."""
    shown_bank = _view(principal, bank)
    if not shown_bank or not year:
        raise InvalidInput(translate("disclosure.choose_bank", lang), errors=[{"field": "bank"}])
    report = disclosure.report(session, principal, bank_code=shown_bank, year=year, lang="zh")
    name = f"{report.bank_name}-{year}-环境信息披露报告.pdf"
    headers = {"Content-Disposition": "attachment; filename*=UTF-8''" + quote(name)}
    return Response(disclosure.render_pdf(report), media_type="application/pdf", headers=headers)
