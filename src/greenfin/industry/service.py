"""Use cases of the industrial carbon account: import, account, labels, lists, overview.

Every function takes ``session, principal`` and keyword-only arguments, checks scope
(staff see the region; an enterprise only itself; banks — until consent exists — and
residents nothing), and never commits: the request or the CLI command does.

Imports validate the whole file before anything is stored: one bad row refuses the file
with an :class:`InvalidInput` whose ``errors`` list every bad row (row, column, reason).
An accepted file becomes an :class:`ImportBatch`; its rows are a new version of each period
they cover (energy: enterprise-month; process and annual: enterprise-year), the earlier
rows of those periods stay stored with ``is_current = False``.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from stdnum.cn import uscc as uscc_number
from stdnum.exceptions import ValidationError as NumberError

from greenfin.auth import service as auth
from greenfin.auth.service import Principal
from greenfin.bounds import csv_rows, decode_text_file
from greenfin.carbon import FactorSet, factor_rows, load_factor_set, to_canonical, to_milli
from greenfin.carbon.units import Kind, unit_by_symbol
from greenfin.db import utcnow
from greenfin.errors import Conflict, GreenfinError, InvalidInput, NotFound
from greenfin.industry import repository, rules
from greenfin.industry.methodology import (
    LABEL_NAMES,
    LABELS,
    Methodology,
    check_county_code,
    check_industry_code,
    county_name,
    division_name,
    load_methodology,
)
from greenfin.industry.methodology import industry_name as industry_name  # other domains' pages name classes
from greenfin.industry.models import ImportBatch, Label, LabelRun
from greenfin.industry.schemas import (
    AccountRead,
    AnnualFiguresRead,
    AnnualRow,
    ConflictRead,
    ConflictResolve,
    CountyRead,
    Emitter,
    EnergyLine,
    EnergyRow,
    EnterpriseListItem,
    EnterpriseRead,
    EnterpriseRow,
    FilterOption,
    FilterOptions,
    GroupCount,
    HistoryLine,
    ImportRead,
    IndustryRead,
    Intensities,
    LabelExplanation,
    LabelRead,
    LabelRunRead,
    MonthLine,
    NextLabel,
    OverviewRead,
    ProcessLine,
    ProcessRow,
    Provenance,
    RegionCounts,
    SourceRead,
    ThresholdCheck,
    TrendPoint,
    VersionRead,
)

MAX_VALUE_FEN = 9_000_000_000_000  # 900亿元: keeps intensity arithmetic within 64 bits
MAX_PRODUCT_MILLI = 9_000_000_000_000_000
# The largest single plants emit ~10^7 tCO2 a year; 10^8 t per row and per enterprise-year
# is far above any real one and keeps the region's SUM(co2_g) far below 2**63 (9.2 x 10^18 g):
# one enterprise contributes at most 10^14 g of process CO2, so the batch cannot overflow
# unless tens of thousands of enterprises each report the implausible maximum.
MAX_PROCESS_G = 100_000_000 * 1_000_000  # 10^8 tCO2 in one row
MAX_PROCESS_YEAR_G = 100_000_000 * 1_000_000  # 10^8 tCO2 of current process rows per enterprise-year
MAX_ROWS = 5_000_000
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # 50 MiB: ~1 million CSV rows; split larger files
MAX_ERRORS_SHOWN = 1_000  # the problem lists the first 1,000 bad cells; the detail gives the total

# Who may set which data quality (see docs/methodology/industry.md §1 and
# docs/security.md): an enterprise's own figures are declarations; "metered" (readings
# from a utility's or an online monitoring system's meters) comes from a data-source
# organisation's key; "audited" (checked by a verifier) is entered by the regulator. The
# quality is the authority of the figure: a lower one never replaces a higher one.
QUALITIES = ("declared", "metered", "audited")
MAX_QUALITY = {"enterprise": "declared", "data_source": "metered", "regulator": "audited", "admin": "audited"}
SELF_DECLARED_QUALITY = ("declared",)

KINDS: dict[str, type[BaseModel]] = {
    "enterprises": EnterpriseRow,
    "energy": EnergyRow,
    "process": ProcessRow,
    "annual": AnnualRow,
}


class UploadTooLarge(GreenfinError):
    """An uploaded file is larger than :data:`MAX_UPLOAD_BYTES`."""

    status = 413
    code = "payload-too-large"
    title = "File too large"


# --- scope --------------------------------------------------------------------------------


def own_uscc(principal: Principal) -> str | None:
    """The one enterprise a non-staff principal may see (``""``: none); None for staff (the region)."""
    return None if principal.is_staff else (principal.organisation_code or "")


def _require_reader(principal: Principal, uscc: str | None = None) -> None:
    """Staff see the region, an enterprise only itself; banks (no consent yet) and residents nothing."""
    auth.require_role(principal, "regulator", "enterprise")
    if uscc is not None:
        auth.require_tenant(principal, uscc)


def _enterprise(session: Session, principal: Principal, uscc: str) -> Any:
    _require_reader(principal, uscc)
    enterprise = repository.enterprise_by_uscc(session, uscc)
    if enterprise is None:
        raise NotFound(f"no enterprise with unified social credit code {uscc}")
    return enterprise


def enterprise_name(session: Session, uscc: str) -> str | None:
    """The name an enterprise has on the register (None when it is not on it); identity only, no account data."""
    enterprise = repository.enterprise_by_uscc(session, uscc)
    return enterprise.name if enterprise is not None else None


# --- small conversions --------------------------------------------------------------------


def _t(grams: int | None) -> Decimal | None:
    return rules.tonnes(grams)


def _tt(grams: int) -> Decimal:
    return rules.tonnes(grams) or Decimal(0)


def _yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def _enterprise_read(enterprise: Any) -> EnterpriseRead:
    county = county_name(enterprise.county_code)
    industry = industry_name(enterprise.industry_code)
    division = division_name(enterprise.industry_code)
    return EnterpriseRead(
        uscc=enterprise.uscc,
        name=enterprise.name,
        county=CountyRead(code=county.code, name_zh=county.name_zh, name_en=county.name_en),
        industry=IndustryRead(
            code=industry.code,
            name_zh=industry.name_zh,
            name_en=industry.name_en,
            division=division.code,
            division_name_zh=division.name_zh,
            division_name_en=division.name_en,
        ),
    )


def _methodology_for(version: str) -> Methodology:
    try:
        return load_methodology(version)
    except InvalidInput:
        return _REGISTERED.get(version) or load_methodology()


_REGISTERED: dict[str, Methodology] = {}


def label_read(label: Label, uscc: str) -> LabelRead:
    """A stored label with its explanation, rebuilt from the stored figures by the pure rules."""
    methodology = _methodology_for(label.methodology_version)
    intensity = {
        "added_value": label.intensity_added_g_per_wan,
        "output_value": label.intensity_output_g_per_wan,
        "tax": label.intensity_tax_g_per_wan,
    }[methodology.basis]
    figures = rules.Figures(
        intensity_g=intensity,
        previous_g=label.previous_intensity_g_per_wan,
        benchmark_g=label.benchmark_g_per_wan,
        benchmark_source=label.benchmark_source,
        peer_group=label.peer_group,
        peer_count=label.peer_count,
        region_contribution_bp=label.region_contribution_bp,
    )
    why = rules.explain(figures, methodology, label.label)
    step = why.next_step
    source = {
        "peers": f"average of {label.peer_count} peers in division {label.peer_group} (CO2 ÷ {methodology.basis})",
        "region": f"regional average of {label.peer_count} enterprises (fewer than {methodology.min_peers} peers)",
    }.get(label.benchmark_source, label.benchmark_source)
    explanation = LabelExplanation(
        basis=methodology.basis,
        intensity_t_per_wan=_t(intensity),
        previous_intensity_t_per_wan=_t(label.previous_intensity_g_per_wan),
        benchmark_t_per_wan=_t(label.benchmark_g_per_wan),
        benchmark_source=source,
        peer_group=label.peer_group,
        peer_count=label.peer_count,
        k_ratio=None if label.k_ratio_milli is None else Decimal(label.k_ratio_milli) / 1000,
        yoy_change_pct=None if label.yoy_change_bp is None else Decimal(label.yoy_change_bp) / 100,
        region_contribution_pct=(
            None if label.region_contribution_bp is None else Decimal(label.region_contribution_bp) / 100
        ),
        thresholds=[ThresholdCheck(rule=c.rule, label=c.label, value=c.value, met=c.met) for c in why.checks],
        reason_zh=why.reason_zh,
        reason_en=why.reason_en,
        next_label=None
        if step is None
        else NextLabel(
            label=step.label,
            target_intensity_t_per_wan=_t(step.target_g),
            cut_pct=step.cut_pct,
            text_zh=step.text_zh,
            text_en=step.text_en,
        ),
        assumptions=list(methodology.assumptions),
    )
    zh, en = LABEL_NAMES[label.label]
    return LabelRead(
        uscc=uscc,
        year=label.year,
        label=label.label,
        name_zh=zh,
        name_en=en,
        methodology_version=label.methodology_version,
        factor_set_version=label.factor_set_version,
        computed_at=label.computed_at,
        energy_co2_t=_tt(label.energy_co2_g),
        process_co2_t=_tt(label.process_co2_g),
        total_co2_t=_tt(label.energy_co2_g + label.process_co2_g),
        energy_tce=_tt(label.energy_ce_g),
        intensity_output_t_per_wan=_t(label.intensity_output_g_per_wan),
        intensity_added_t_per_wan=_t(label.intensity_added_g_per_wan),
        intensity_tax_t_per_wan=_t(label.intensity_tax_g_per_wan),
        intensity_product_t_per_unit=_t(label.intensity_product_g_per_unit),
        explanation=explanation,
    )


# --- the account --------------------------------------------------------------------------


def _grams(quantity_milli: int, mg_per_unit: int) -> int:
    """Grams from thousandths of a unit × mg per unit, rounded half up (as the batch)."""
    return rules.div_round(quantity_milli * mg_per_unit, 1_000_000)


def _factor_table(factor_set: FactorSet, years: list[int], region: str) -> dict[tuple[str, int], tuple[int, int]]:
    if not years:
        return {}
    return {
        (r.energy, r.year): (r.co2_mg_per_unit, r.ce_mg_per_unit)
        for r in factor_rows(factor_set, years=years, region=region)
    }


def _scope(factor_set: FactorSet, energy: str) -> int:
    spec = factor_set.energies.get(energy)
    return 2 if spec is not None and spec.kind in (Kind.ELECTRICITY, Kind.HEAT) else 1


def get_account(session: Session, principal: Principal, *, uscc: str, year: int) -> AccountRead:
    """The carbon account of one enterprise and year."""
    enterprise = _enterprise(session, principal, uscc)
    factor_set = load_factor_set()
    region = enterprise.county_code
    factors = _factor_table(factor_set, [year], region)
    by_energy_q: dict[str, int] = defaultdict(int)
    month_g: dict[int, int] = defaultdict(int)
    month_ce: dict[int, int] = defaultdict(int)
    for energy, month, quantity in repository.energy_by_month(session, enterprise.id, year):
        mg = factors.get((energy, year))
        by_energy_q[energy] += int(quantity)
        if mg is not None:
            month_g[int(month)] += _grams(int(quantity), mg[0])
            month_ce[int(month)] += _grams(int(quantity), mg[1])
    lines: list[tuple[str, int, int, int]] = []  # energy, quantity_milli, g, ce_g
    for energy, quantity in sorted(by_energy_q.items()):
        mg = factors.get((energy, year), (0, 0))
        lines.append((energy, quantity, _grams(quantity, mg[0]), _grams(quantity, mg[1])))
    energy_g = sum(line[2] for line in lines)
    energy_ce = sum(line[3] for line in lines)
    scope2_energy_g = sum(line[2] for line in lines if _scope(factor_set, line[0]) == 2)
    processes = repository.process_lines(session, enterprise.id, year)
    process_g = sum(p.co2_g for p, _ in processes)
    total_g = energy_g + process_g
    by_energy = []
    for energy, quantity, grams, ce in lines:
        spec = factor_set.energies.get(energy)
        unit = unit_by_symbol(spec.unit) if spec else None
        shown = Decimal(quantity) / 1000 / (unit.per_canonical if unit else 1)
        by_energy.append(
            EnergyLine(
                energy=energy,
                name_zh=spec.name_zh if spec else energy,
                name_en=spec.name_en if spec else energy,
                quantity=shown.quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN).normalize(),
                unit=spec.unit if spec else "",
                scope=_scope(factor_set, energy),
                tco2=_tt(grams),
                tce=_tt(ce),
                share=rules.share_pct(grams, energy_g),
            )
        )
    figures = repository.annual_figures(session, enterprise.id, year)
    quality = repository.data_quality_counts(session, enterprise.id, year)
    records = sum(quality.values())
    label = repository.label_of(session, enterprise.id, year)
    return AccountRead(
        enterprise=_enterprise_read(enterprise),
        year=year,
        factor_set_version=factor_set.version,
        energy_co2_t=_tt(energy_g),
        process_co2_t=_tt(process_g),
        total_co2_t=_tt(total_g),
        energy_tce=_tt(energy_ce),
        scope1_t=_tt(total_g - scope2_energy_g),
        scope2_t=_tt(scope2_energy_g),
        by_energy=by_energy,
        process=[ProcessLine(source=p.source, tco2=_tt(p.co2_g), provenance=_provenance(p, b)) for p, b in processes],
        monthly=[MonthLine(month=m, tco2=_tt(month_g.get(m, 0)), tce=_tt(month_ce.get(m, 0))) for m in range(1, 13)],
        figures=None
        if figures is None
        else AnnualFiguresRead(
            output_value_yuan=_yuan(figures.output_value_fen),
            added_value_yuan=_yuan(figures.added_value_fen),
            tax_yuan=_yuan(figures.tax_fen),
            product_output=(Decimal(figures.product_output_milli) / 1000).quantize(Decimal("0.001")),
            product_unit=figures.product_unit,
        ),
        intensities=Intensities(
            output_t_per_wan=_t(rules.intensity_g_per_wan(total_g, figures.output_value_fen if figures else None)),
            added_value_t_per_wan=_t(rules.intensity_g_per_wan(total_g, figures.added_value_fen if figures else None)),
            tax_t_per_wan=_t(rules.intensity_g_per_wan(total_g, figures.tax_fen if figures else None)),
            product_t_per_unit=_t(
                rules.intensity_g_per_unit(total_g, figures.product_output_milli if figures else None)
            ),
            product_unit=figures.product_unit if figures else None,
        ),
        data_quality={q: rules.share_pct(n, records) for q, n in sorted(quality.items())},
        label=label_read(label, enterprise.uscc) if label else None,
        history=_history(session, enterprise, factor_set),
        conflicts=_conflicts(session, enterprise_id=enterprise.id, year=year, status="open"),
        sources=[
            SourceRead(
                kind=row.kind,
                rows=row.rows,
                provenance=Provenance(
                    data_quality=row.data_quality,
                    import_id=row.import_id,
                    imported_by=row.imported_by,
                    organisation_code=row.organisation_code,
                    role=row.role,
                    imported_at=row.imported_at,
                ),
            )
            for row in repository.current_sources(session, enterprise.id, year)
        ],
    )


def _history(session: Session, enterprise: Any, factor_set: FactorSet) -> list[HistoryLine]:
    quantities = repository.energy_by_year(session, enterprise.id)
    process = repository.process_by_year(session, enterprise.id)
    years = sorted(
        {int(y) for y, _, _ in quantities} | set(process) | set(repository.annual_years(session, enterprise.id))
    )
    factors = _factor_table(factor_set, years, enterprise.county_code)
    energy_g: dict[int, int] = defaultdict(int)
    ce_g: dict[int, int] = defaultdict(int)
    for year, energy, quantity in quantities:
        mg = factors.get((energy, int(year)))
        if mg is not None:
            energy_g[int(year)] += _grams(int(quantity), mg[0])
            ce_g[int(year)] += _grams(int(quantity), mg[1])
    history = []
    for year in sorted(years, reverse=True):
        label = repository.label_of(session, enterprise.id, year)
        history.append(
            HistoryLine(
                year=year,
                energy_co2_t=_tt(energy_g[year]),
                process_co2_t=_tt(process.get(year, 0)),
                total_co2_t=_tt(energy_g[year] + process.get(year, 0)),
                energy_tce=_tt(ce_g[year]),
                label=label.label if label else None,
            )
        )
    return history


# --- lists and overview -------------------------------------------------------------------


def list_enterprises(
    session: Session,
    principal: Principal,
    *,
    year: int | None = None,
    county_code: str | None = None,
    industry_code: str | None = None,
    label: str | None = None,
    q: str | None = None,
    offset: int = 0,
    limit: int = 50,
    order: str = "uscc",
    descending: bool = False,
) -> tuple[list[EnterpriseListItem], int]:
    """One page of enterprises with their label of ``year`` (default: the latest labelled year), and the total;
    ``order`` is one of uscc, name, county, industry, co2, label."""
    _require_reader(principal)
    if label is not None and label not in LABELS:
        raise InvalidInput(f"unknown label {label!r}; known: {', '.join(LABELS)}")
    shown_year = year if year is not None else repository.latest_label_year(session)
    run = repository.latest_run(session, shown_year) if shown_year is not None else None
    if label is not None and run is None:
        return [], 0
    own = own_uscc(principal)
    rows, total = repository.list_enterprises(
        session,
        year=shown_year,
        run=run,
        uscc=own,
        county_code=county_code,
        industry_code=industry_code,
        label=label,
        q=q,
        offset=offset,
        limit=limit,
        order=order,
        descending=descending,
    )
    items = [
        EnterpriseListItem(
            uscc=e.uscc,
            name=e.name,
            county_code=e.county_code,
            county_name_zh=county_name(e.county_code).name_zh,
            county_name_en=county_name(e.county_code).name_en,
            industry_code=e.industry_code,
            industry_name_zh=industry_name(e.industry_code).name_zh,
            industry_name_en=industry_name(e.industry_code).name_en,
            year=lab.year if lab else None,
            total_co2_t=_tt(lab.energy_co2_g + lab.process_co2_g) if lab else None,
            label=lab.label if lab else None,
        )
        for e, lab in rows
    ]
    return items, total


def _counts(raw: dict[str, int]) -> dict[str, int]:
    return {code: raw.get(code, 0) for code in LABELS}


def _groups(rows: list[tuple[str, str, int, int]], namer: Callable[[str], Any]) -> list[GroupCount]:
    grouped: dict[str, dict[str, int]] = defaultdict(dict)
    grams: dict[str, int] = defaultdict(int)
    for code, lab, n, g in rows:
        grouped[code][lab] = n
        grams[code] += g
    result = []
    for code in sorted(grouped):
        name = namer(code)
        result.append(
            GroupCount(
                code=code,
                name_zh=name.name_zh,
                name_en=name.name_en,
                counts=_counts(grouped[code]),
                total_co2_t=_tt(grams[code]),
            )
        )
    return result


def _run_counts(run: LabelRun) -> dict[str, int]:
    return {code: int(getattr(run, code)) for code in LABELS}


def region_counts(session: Session, principal: Principal, *, year: int) -> RegionCounts | None:
    """The region's labels in aggregate (counts only), from one stored run row: public.

    ``year``'s latest run, or the latest labelled year's when ``year`` has none; None when
    nothing is labelled. Never names an enterprise (the landing page, §4.1).
    """
    del principal  # public: the region's aggregate counts are shown to everyone, anonymous too
    run = repository.latest_run_row(session, year)
    if run is None or not run.enterprises:
        latest = repository.latest_label_year(session)
        run = repository.latest_run_row(session, latest) if latest is not None and latest != year else run
    if run is None or not run.enterprises:
        return None
    return RegionCounts(year=run.year, enterprises=run.enterprises, counts=_run_counts(run))


def filter_options(session: Session, principal: Principal) -> FilterOptions:
    """Counties and industry divisions present in the region, with Chinese and English names (staff)."""
    _require_reader(principal)
    if own_uscc(principal) is not None:  # an enterprise's list holds itself only: nothing to filter
        return FilterOptions(counties=[], divisions=[])
    counties, divisions = repository.counties_and_divisions(session)
    return FilterOptions(
        counties=[
            FilterOption(code=c, name_zh=county_name(c).name_zh, name_en=county_name(c).name_en) for c in counties
        ],
        divisions=[
            FilterOption(code=d, name_zh=division_name(d).name_zh, name_en=division_name(d).name_en) for d in divisions
        ],
    )


def overview(session: Session, principal: Principal, *, year: int) -> OverviewRead:
    """Region-wide label distribution, emitters and trends for one year (the year's latest labelling run)."""
    auth.require_role(principal, "regulator")
    latest = repository.latest_run_row(session, year)
    run = (latest.methodology_version, latest.factor_set_version) if latest else None
    trend = [
        TrendPoint(year=each.year, total_co2_t=_tt(each.total_co2_g), counts=_run_counts(each))
        for each in repository.latest_runs(session)
    ]
    if latest is None or run is None:
        return OverviewRead(
            year=year,
            methodology_version="",
            factor_set_version="",
            enterprises=0,
            total_co2_t=Decimal(0),
            counts=_counts({}),
            by_county=[],
            by_industry=[],
            top_emitters=[],
            trend=trend,
        )
    return OverviewRead(
        year=year,
        methodology_version=run[0],
        factor_set_version=run[1],
        enterprises=latest.enterprises,
        total_co2_t=_tt(latest.total_co2_g),
        counts=_run_counts(latest),
        by_county=_groups(repository.counts_by(session, year, run, "county"), county_name),
        by_industry=_groups(repository.counts_by(session, year, run, "industry"), division_name),
        top_emitters=[
            Emitter(
                uscc=e.uscc,
                name=e.name,
                county_code=e.county_code,
                industry_code=e.industry_code,
                total_co2_t=_tt(lab.energy_co2_g + lab.process_co2_g),
                label=lab.label,
            )
            for e, lab in repository.top_emitters(session, year, run)
        ],
        trend=trend,
    )


def label_history(session: Session, principal: Principal, *, uscc: str) -> list[LabelRead]:
    """Every stored label of one enterprise (all versions), newest year first."""
    enterprise = _enterprise(session, principal, uscc)
    return [label_read(label, enterprise.uscc) for label in repository.labels_of(session, enterprise.id)]


def versions(session: Session, principal: Principal, *, uscc: str, year: int) -> list[VersionRead]:
    """Every imported version of one enterprise's data for a year (energy per month, process, annual)."""
    enterprise = _enterprise(session, principal, uscc)
    result: list[VersionRead] = []
    for kind in ("energy", "process", "annual"):
        # Items are versioned one by one (an import replaces only what it names): one entry per
        # month (energy) and import, holding that import's rows, each with its own state.
        groups: dict[tuple[int | None, str | None], list[tuple[Any, Any]]] = defaultdict(list)
        for row, batch in repository.period_rows(session, kind, enterprise.id, year):
            groups[(row.month if kind == "energy" else None, row.import_id)].append((row, batch))
        ordered = sorted(groups.items(), key=lambda item: (item[0][0] or 0, min(r.id for r, _ in item[1])))
        for (month, _), members in ordered:
            first, batch = members[0]
            result.append(
                VersionRead(
                    kind=kind,
                    month=month,
                    version=max(row.version for row, _ in members),
                    is_current=any(row.is_current for row, _ in members),
                    rows=len(members),
                    import_id=first.import_id,
                    filename=batch.filename if batch else None,
                    imported_by=batch.imported_by if batch else None,
                    imported_at=batch.imported_at if batch else None,
                    detail=[_detail(kind, row) for row, _ in members],
                )
            )
    return result


def _detail(kind: str, row: Any) -> dict[str, Any]:
    state = {"version": row.version, "is_current": row.is_current, "conflict": row.conflict}
    if kind == "energy":
        return {
            "energy": row.energy,
            "quantity": row.quantity_entered,
            "unit": row.unit_entered,
            "data_quality": row.data_quality,
        } | state
    if kind == "process":
        return {"source": row.source, "tco2": str(_tt(row.co2_g)), "data_quality": row.data_quality} | state
    return _annual_figure(row) | {"data_quality": row.data_quality} | state


def _annual_figure(row: Any) -> dict[str, str]:
    return {
        "output_value_yuan": str(_yuan(row.output_value_fen)),
        "added_value_yuan": str(_yuan(row.added_value_fen)),
        "tax_yuan": str(_yuan(row.tax_fen)),
        "product_output": str(Decimal(row.product_output_milli) / 1000),
        "product_unit": row.product_unit,
    }


# --- provenance and conflicts --------------------------------------------------------------


def _provenance(row: Any, batch: ImportBatch | None) -> Provenance:
    return Provenance(
        data_quality=row.data_quality,
        accepted=row.conflict == "accepted",
        import_id=row.import_id,
        imported_by=batch.imported_by if batch else None,
        organisation_code=batch.organisation_code if batch else None,
        role=batch.role if batch else None,
        imported_at=batch.imported_at if batch else None,
    )


def _figure(kind: str, row: Any) -> dict[str, str]:
    """The figure(s) of a row as exact text."""
    if kind == "energy":
        return {"quantity": row.quantity_entered, "unit": row.unit_entered, "quantity_milli": str(row.quantity_milli)}
    if kind == "process":
        return {"tco2": f"{_tt(row.co2_g).normalize():f}"}
    return _annual_figure(row)


def _item(kind: str, row: Any) -> str:
    return str(row.energy if kind == "energy" else row.source if kind == "process" else "annual")


def _conflicts(
    session: Session, *, enterprise_id: int | None, year: int | None, status: str | None
) -> list[ConflictRead]:
    return [
        _conflict_read(session, kind, found)
        for kind in ("energy", "process", "annual")
        for found in repository.held_rows(session, kind, enterprise_id=enterprise_id, year=year, status=status)
    ]


def _conflict_read(session: Session, kind: str, found: Any) -> ConflictRead:
    row, batch, uscc = found
    current = repository.current_of_item(session, kind, row)
    now, now_batch = current[0] if current else (None, None)
    names = (_item(kind, row), _item(kind, row))
    if kind == "energy" and (spec := load_factor_set().energies.get(row.energy)) is not None:
        names = (spec.name_zh, spec.name_en)
    elif kind == "annual":
        names = ("年度经济数据", "annual figures")
    return ConflictRead(
        kind=kind,
        id=row.id,
        uscc=uscc,
        year=row.year,
        month=row.month if kind == "energy" else None,
        item=_item(kind, row),
        item_name_zh=names[0],
        item_name_en=names[1],
        status=row.conflict,
        held=_figure(kind, row),
        held_provenance=_provenance(row, batch),
        current=None if now is None else _figure(kind, now),
        current_provenance=None if now is None else _provenance(now, now_batch),
    )


def list_conflicts(
    session: Session,
    principal: Principal,
    *,
    uscc: str | None = None,
    year: int | None = None,
    status: str | None = "open",
) -> list[ConflictRead]:
    """Figures kept aside because a higher-authority figure of the same item is in use (staff: the
    region; an enterprise: itself), at most 1,000 per kind, newest year first."""
    _require_reader(principal)
    if status is not None and status not in ("open", "accepted", "rejected", "superseded"):
        raise InvalidInput(f"unknown conflict status {status!r}; known: open, accepted, rejected, superseded")
    own = own_uscc(principal)
    wanted = uscc if uscc is not None else own  # another enterprise's code is refused below
    enterprise_id = None
    if wanted is not None:
        enterprise = _enterprise(session, principal, wanted)
        enterprise_id = enterprise.id
    return _conflicts(session, enterprise_id=enterprise_id, year=year, status=status)


def resolve_conflict(
    session: Session, principal: Principal, *, kind: str, row_id: int, decision: ConflictResolve
) -> ConflictRead:
    """A regulator decides an open conflict: accept the held figure (it becomes the one in use) or reject it.

    Audited with the figures before and after and the note. Labels change at the next labelling run.
    """
    auth.require_role(principal, "regulator")
    if kind not in ("energy", "process", "annual"):
        raise InvalidInput(f"unknown data kind {kind!r}; known: energy, process, annual")
    row = repository.period_row(session, kind, row_id)
    if row is None:
        raise NotFound(f"no {kind} row {row_id}")
    if row.conflict != "open":
        raise Conflict(f"{kind} row {row_id} is not an open conflict ({row.conflict or 'never held'})")
    before = [_figure(kind, now) | {"id": str(now.id)} for now, _ in repository.current_of_item(session, kind, row)]
    retired = repository.resolve(session, kind, row, accept=decision.decision == "accept")
    auth.record(
        session,
        principal,
        action=f"conflict_{decision.decision}",
        entity_type=f"industry_{kind}",
        entity_id=str(row_id),
        before={"current": before},
        after={"held": _figure(kind, row), "note": decision.note, "retired": retired},
    )
    session.flush()
    session.expire(row)
    return _conflict_read(session, kind, repository.held_row(session, kind, row_id))


# --- labelling ----------------------------------------------------------------------------


def label_all(
    session: Session,
    principal: Principal,
    *,
    year: int,
    methodology_version: str | None = None,
    factor_set_version: str | None = None,
) -> LabelRunRead:
    """Label every enterprise with data in ``year`` in one set-based batch (idempotent per versions)."""
    auth.require_role(principal, "regulator")
    return label_with(
        session,
        principal,
        year=year,
        methodology=load_methodology(methodology_version),
        factor_set_version=factor_set_version,
    )


def label_years(
    session: Session,
    principal: Principal,
    *,
    years: Sequence[int],
    methodology_version: str | None = None,
    factor_set_version: str | None = None,
) -> list[LabelRunRead]:
    """Label several years in one pass over the records: the same labels and runs as :func:`label_all` per year."""
    auth.require_role(principal, "regulator")
    return _label_batch(
        session,
        principal,
        years=years,
        methodology=load_methodology(methodology_version),
        factor_set_version=factor_set_version,
    )


def label_with(
    session: Session,
    principal: Principal,
    *,
    year: int,
    methodology: Methodology,
    factor_set_version: str | None = None,
) -> LabelRunRead:
    """The batch under a given methodology object (a shipped version or a draft under test)."""
    auth.require_role(principal, "regulator")
    return _label_batch(
        session, principal, years=[year], methodology=methodology, factor_set_version=factor_set_version
    )[0]


def _label_batch(
    session: Session,
    principal: Principal,
    *,
    years: Sequence[int],
    methodology: Methodology,
    factor_set_version: str | None,
) -> list[LabelRunRead]:
    """Label each of ``years`` (in order) from one work table of the enterprise-years they and
    their previous years need: the energy records are read once, however many years."""
    wanted = sorted(set(years))
    for year in wanted:
        if not 1991 <= year <= 2100:
            raise InvalidInput(f"year must be from 1991 to 2100; got {year}")
    factor_set = load_factor_set(factor_set_version)
    _REGISTERED.setdefault(methodology.version, methodology)
    provinces, industries = repository.provinces_and_industries(session)
    needed = sorted(set(wanted) | {year - 1 for year in wanted})
    factors = [(p, row) for p in provinces for row in factor_rows(factor_set, years=needed, region=p)]
    official = []
    for code in industries:
        bench = methodology.official_benchmark(code)
        if bench is not None:
            official.append((code, bench.industry, bench.g_per_wan, bench.source))
    runs = []
    with repository.batch_settings(session):
        if factors:
            repository.build_figures(session, years=needed, factors=factors)
        for year in wanted:
            runs.append(
                _label_one(
                    session,
                    principal,
                    year=year,
                    methodology=methodology,
                    factor_set_version=factor_set.version,
                    official=official,
                    figures=bool(factors),
                )
            )
        if factors:
            repository.drop_figures(session)
    return runs


def _label_one(
    session: Session,
    principal: Principal,
    *,
    year: int,
    methodology: Methodology,
    factor_set_version: str,
    official: list[tuple[str, str, int, str]],
    figures: bool,
) -> LabelRunRead:
    """Replace the labels and the run of one year from the work table (none without factors)."""
    computed_at = utcnow()
    replaced = repository.delete_labels(
        session, year=year, methodology=methodology.version, factor_set=factor_set_version
    )
    inserted = 0
    if figures:
        inserted = repository.insert_labels(
            session,
            year=year,
            methodology=methodology,
            factor_set_version=factor_set_version,
            official=official,
            computed_at=computed_at,
        )
    raw_counts, total_g = repository.label_count_rows(session, year, methodology.version, factor_set_version)
    counts = _counts(raw_counts)
    repository.save_run(
        session,
        {
            "year": year,
            "methodology_version": methodology.version,
            "factor_set_version": factor_set_version,
            "computed_at": computed_at,
            "enterprises": sum(counts.values()),
            "total_co2_g": total_g,
            **counts,
        },
    )
    auth.record(
        session,
        principal,
        action="label",
        entity_type="industry_label",
        entity_id=str(year),
        after={
            "year": year,
            "methodology_version": methodology.version,
            "factor_set_version": factor_set_version,
            "labelled": inserted,
            "replaced": replaced,
            "counts": counts,
        },
    )
    session.flush()
    return LabelRunRead(
        year=year,
        methodology_version=methodology.version,
        factor_set_version=factor_set_version,
        enterprises=sum(counts.values()),
        counts=counts,
        replaced=replaced,
    )


# --- imports ------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def _read_table(filename: str, content: bytes) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) of a CSV or XLSX file, the header being row 1."""
    lower = filename.lower()
    if lower.endswith(".csv"):
        textual = decode_text_file(filename, content)
        for number, cells in enumerate(csv_rows(filename, csv.reader(io.StringIO(textual, newline=""))), start=1):
            yield number, [c.strip() for c in cells]
        return
    if lower.endswith(".xlsx"):
        from openpyxl import load_workbook  # type: ignore[import-untyped]

        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a broken file
            raise InvalidInput(f"{filename}: not a readable XLSX file ({type(exc).__name__})") from None
        try:
            sheet = workbook.worksheets[0]
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, [_cell(v) for v in values]
        finally:
            workbook.close()
        return
    raise InvalidInput(f"{filename}: give a .csv or .xlsx file")


def _parse_rows(kind: str, filename: str, content: bytes) -> tuple[list[tuple[int, Any]], list[dict[str, Any]]]:
    model = KINDS[kind]
    expected = list(model.model_fields)
    rows = _read_table(filename, content)
    header_row = next(rows, None)
    if header_row is None:
        raise InvalidInput(f"{filename} is empty", errors=[{"row": 1, "column": None, "reason": "no header row"}])
    header = [h.strip().lower() for h in header_row[1]]
    while header and header[-1] == "":
        header.pop()
    missing = [c for c in expected if c not in header]
    unknown = [c for c in header if c not in expected]
    if missing or unknown:
        problems: list[dict[str, Any]] = [{"row": 1, "column": c, "reason": "missing column"} for c in missing]
        problems += [
            {"row": 1, "column": c or "(empty)", "reason": f"unknown column; expected {', '.join(expected)}"}
            for c in unknown
        ]
        raise InvalidInput(f"{filename}: the header must name the columns {', '.join(expected)}", errors=problems)
    parsed: list[tuple[int, Any]] = []
    errors: list[dict[str, Any]] = []
    for number, cells in rows:
        if not any(cells):
            continue
        if len(parsed) + len(errors) >= MAX_ROWS:
            raise InvalidInput(f"{filename}: more than {MAX_ROWS} rows; split the file")
        extra = [c for c in cells[len(header) :] if c]
        if extra:
            errors.append(
                {"row": number, "column": None, "reason": f"{len(extra)} cell(s) beyond the header's columns"}
            )
            continue
        data: dict[str, str | None] = {
            name: (cells[i] if i < len(cells) and cells[i] != "" else None) for i, name in enumerate(header)
        }
        try:
            parsed.append((number, model.model_validate(data)))
        except ValidationError as exc:
            for err in exc.errors():
                column = str(err["loc"][0]) if err["loc"] else None
                reason = (
                    "required" if data.get(column or "") is None and err["type"] != "extra_forbidden" else err["msg"]
                )
                errors.append({"row": number, "column": column, "reason": reason})
    return parsed, errors


def _check_uscc(value: str) -> str | None:
    try:
        uscc_number.validate(value)
    except NumberError as exc:
        return f"not a valid unified social credit code ({exc})"
    return None


def _decimal_to_int(value: Decimal, scale: int) -> int:
    return int((value * scale).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def _require_importer(principal: Principal, kind: str) -> str | None:
    """Who may import what; the one enterprise the rows must belong to (None: any)."""
    if kind == "enterprises":
        # Master data (name, county, industry) decides the peer group: staff only.
        auth.require_role(principal, "regulator")
        return None
    auth.require_role(principal, "regulator", "enterprise", "data_source")
    auth.require_scope(principal, f"industry_{kind}")  # an API key writes only the kinds it was given
    if principal.role == "data_source":
        return None  # a utility's or monitoring system's feed covers the enterprises it serves
    return own_uscc(principal)


def check_upload_size(size: int, filename: str) -> None:
    """Refuse a file larger than :data:`MAX_UPLOAD_BYTES` (413)."""
    if size > MAX_UPLOAD_BYTES:
        raise UploadTooLarge(
            f"{filename}: larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MiB; split the file "
            f"(at most {MAX_UPLOAD_BYTES:,} bytes per upload)"
        )


def _refuse(filename: str, errors: list[dict[str, Any]]) -> InvalidInput:
    """The refusal of a file: every bad row counted, the first :data:`MAX_ERRORS_SHOWN` listed."""
    errors.sort(key=lambda e: (e["row"], e["column"] or ""))
    bad_rows = len({e["row"] for e in errors})
    first = errors[0]
    shown = (
        f"; the first {MAX_ERRORS_SHOWN} of {len(errors)} problems are listed" if len(errors) > MAX_ERRORS_SHOWN else ""
    )
    return InvalidInput(
        f"{filename}: {bad_rows} invalid row(s), {len(errors)} problem(s), nothing was stored{shown}; first: "
        f"row {first['row']}{', ' + first['column'] if first['column'] else ''}: {first['reason']}",
        errors=errors[:MAX_ERRORS_SHOWN],
    )


def import_file(session: Session, principal: Principal, *, kind: str, filename: str, content: bytes) -> ImportRead:
    """Validate a whole CSV/XLSX file and store it as a new version, or refuse it entirely."""
    if kind not in KINDS:
        raise InvalidInput(f"unknown import kind {kind!r}; known: {', '.join(KINDS)}")
    own = _require_importer(principal, kind)
    check_upload_size(len(content), filename)
    parsed, errors = _parse_rows(kind, filename, content)
    highest = _highest_quality(principal)
    for number, row in parsed:
        reason = _check_uscc(row.uscc)
        if reason:
            errors.append({"row": number, "column": "uscc", "reason": reason})
        elif own is not None and row.uscc != own:
            errors.append(
                {"row": number, "column": "uscc", "reason": "you may only import data of your own enterprise"}
            )
        elif not auth.scope_allows(principal, row.uscc):
            errors.append(
                {"row": number, "column": "uscc", "reason": "this API key may not write this enterprise's data"}
            )
        quality = getattr(row, "data_quality", None)
        if quality is not None and QUALITIES.index(quality) > QUALITIES.index(highest):
            errors.append({"row": number, "column": "data_quality", "reason": _quality_refusal(principal, quality)})
    valid_usccs = {row.uscc for _, row in parsed}
    ids = repository.enterprise_ids(session, valid_usccs)
    factor_set = load_factor_set()
    records: list[dict[str, Any]] = []
    seen: dict[tuple[Any, ...], int] = {}
    process_year_g: dict[tuple[int, int], int] = defaultdict(int)
    process_year_rows: dict[tuple[int, int], list[int]] = defaultdict(list)
    process_named: dict[tuple[int, int], set[str]] = defaultdict(set)

    def duplicate(key: tuple[Any, ...], number: int) -> bool:
        if key in seen:
            errors.append({"row": number, "column": None, "reason": f"duplicates row {seen[key]}"})
            return True
        seen[key] = number
        return False

    for number, row in parsed:
        if kind == "enterprises":
            for column, reason in (
                ("county_code", check_county_code(row.county_code)),
                ("industry_code", check_industry_code(row.industry_code)),
            ):
                if reason:
                    errors.append({"row": number, "column": column, "reason": reason})
            if not duplicate((row.uscc,), number):
                records.append(
                    {
                        "uscc": row.uscc,
                        "name": row.name,
                        "county_code": row.county_code,
                        "industry_code": row.industry_code,
                    }
                )
            continue
        if row.uscc not in ids:
            if not _check_uscc(row.uscc):
                errors.append({"row": number, "column": "uscc", "reason": f"no enterprise {row.uscc}; import it first"})
            continue
        enterprise_id = ids[row.uscc]
        if kind == "energy":
            if duplicate((row.uscc, row.year, row.month, row.energy), number):
                continue
            try:
                canonical = to_canonical(row.energy, row.quantity, row.unit, factor_set)
                milli = to_milli(canonical)
            except InvalidInput as exc:
                column = str(exc.errors[0].get("field", "quantity")) if exc.errors else "quantity"
                errors.append({"row": number, "column": column, "reason": exc.detail})
                continue
            records.append(
                {
                    "enterprise_id": enterprise_id,
                    "year": row.year,
                    "month": row.month,
                    "energy": row.energy,
                    "quantity_milli": milli,
                    "quantity_entered": str(row.quantity)[:40],
                    "unit_entered": row.unit[:20],
                    "data_quality": row.data_quality,
                }
            )
        elif kind == "process":
            if duplicate((row.uscc, row.year, row.source), number):
                continue
            grams = _decimal_to_int(row.tco2, 1_000_000)
            if grams > MAX_PROCESS_G:
                errors.append(
                    {"row": number, "column": "tco2", "reason": "more than 10^8 tCO2 in one row (no plant emits that)"}
                )
                continue
            process_year_g[(enterprise_id, row.year)] += grams
            process_year_rows[(enterprise_id, row.year)].append(number)
            process_named[(enterprise_id, row.year)].add(row.source)
            records.append(
                {
                    "enterprise_id": enterprise_id,
                    "year": row.year,
                    "source": row.source,
                    "co2_g": grams,
                    "data_quality": row.data_quality,
                }
            )
        else:
            if duplicate((row.uscc, row.year), number):
                continue
            values = {}
            for column in ("output_value_yuan", "added_value_yuan", "tax_yuan"):
                fen = _decimal_to_int(getattr(row, column), 100)
                if abs(fen) > MAX_VALUE_FEN:
                    errors.append({"row": number, "column": column, "reason": "above 90 billion yuan (9 x 10^10)"})
                values[column.replace("_yuan", "_fen")] = fen
            product = _decimal_to_int(row.product_output, 1000)
            if product > MAX_PRODUCT_MILLI:
                errors.append({"row": number, "column": "product_output", "reason": "too large"})
            records.append(
                {
                    "enterprise_id": enterprise_id,
                    "year": row.year,
                    **values,
                    "product_output_milli": product,
                    "product_unit": row.product_unit,
                    "data_quality": highest,  # no file column: the importer's authority
                }
            )
    # A process import replaces the sources it names; the other current sources of that
    # enterprise-year stay, so they count towards the year's total (at most, if every row wins).
    if process_year_g:
        keys = list(process_year_g)
        for enterprise_id, year, source, grams in repository.current_process(
            session, [k[0] for k in keys], [k[1] for k in keys]
        ):
            if (enterprise_id, year) in process_year_g and source not in process_named[(enterprise_id, year)]:
                process_year_g[(enterprise_id, year)] += int(grams)
    for key, grams in process_year_g.items():
        if grams > MAX_PROCESS_YEAR_G:
            for number in process_year_rows[key]:
                errors.append(
                    {
                        "row": number,
                        "column": "tco2",
                        "reason": f"process CO2 of this enterprise in {key[1]} would total "
                        f"{_tt(grams)} t, above 10^8 tCO2 a year",
                    }
                )
    if errors:
        raise _refuse(filename, errors)
    if not records:
        raise InvalidInput(f"{filename} holds no rows")
    batch = ImportBatch(
        kind=kind,
        filename=filename[:255],
        sha256=hashlib.sha256(content).hexdigest(),
        row_count=len(records),
        imported_by=principal.actor,
        imported_at=utcnow(),
        organisation_code=principal.organisation_code,
        role=principal.role,
    )
    session.add(batch)
    session.flush()
    counts = {"superseded": 0, "conflicts": 0, "kept": 0}
    before: dict[str, Any] | None = None
    after: dict[str, Any] = {"filename": batch.filename, "sha256": batch.sha256, "rows": len(records)}
    if kind == "enterprises":
        counts["superseded"], changes, created = _store_enterprises(session, records)
        if changes:
            before = {"changed": {uscc: old for uscc, (old, _) in changes.items()}}
        after |= {"created": created, "changed": {uscc: new for uscc, (_, new) in changes.items()}}
    else:
        counts = _store_version(session, kind, batch.id, records)
    auth.record(
        session,
        principal,
        action="import",
        entity_type=f"industry_{kind}",
        entity_id=batch.id,
        before=before,
        after=after | counts,
    )
    session.flush()
    return ImportRead(
        id=batch.id,
        kind=kind,
        filename=batch.filename,
        sha256=batch.sha256,
        rows=len(records),
        imported_by=batch.imported_by,
        imported_at=batch.imported_at,
        superseded=counts["superseded"],
        conflicts=counts["conflicts"],
        kept=counts["kept"],
    )


MASTER_FIELDS = ("name", "county_code", "industry_code")


def _store_enterprises(
    session: Session, records: list[dict[str, Any]]
) -> tuple[int, dict[str, tuple[dict[str, str], dict[str, str]]], int]:
    """Insert new enterprises, update changed ones; (changed rows, {uscc: (before, after)}, created)."""
    existing = repository.enterprise_master(session, [r["uscc"] for r in records])
    new = [r for r in records if r["uscc"] not in existing]
    repository.insert_enterprises(session, new)
    changes: dict[str, tuple[dict[str, str], dict[str, str]]] = {}
    updates = []
    for record in records:
        old = existing.get(record["uscc"])
        if old is None:
            continue
        changed = [f for f in MASTER_FIELDS if old[f] != record[f]]
        if changed:
            changes[record["uscc"]] = ({f: old[f] for f in changed}, {f: record[f] for f in changed})
            updates.append({"id": old["id"], **{f: record[f] for f in changed}})
    # Grouped by the set of changed columns: one executemany per shape (bulk UPDATE by key).
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in updates:
        shapes[tuple(sorted(row))].append(row)
    for rows in shapes.values():
        repository.update_enterprises(session, rows)
    return len(updates), changes, len(new)


def _store_version(session: Session, kind: str, import_id: str, records: list[dict[str, Any]]) -> dict[str, int]:
    """Insert rows as the next version of their items, then settle which become current.

    The enterprises' rows are locked first (PostgreSQL), so that a concurrent import of the
    same enterprises waits and then numbers its rows after these: two imports of one item
    can never both stay current. Where the database refuses instead (SQLite: a second
    writer whose snapshot went stale), the import fails with :class:`Conflict`.
    """
    ids = sorted({r["enterprise_id"] for r in records})
    years = sorted({r["year"] for r in records})
    try:
        repository.lock_enterprises(session, ids)
        latest = repository.max_versions(session, kind, ids, years)
        keys = repository.ITEM_KEYS[kind]
        for record in records:
            record["version"] = latest.get(tuple(record[k] for k in keys), 0) + 1
            record["is_current"] = False  # until settled against the item's current row
            record["import_id"] = import_id
        repository.insert_period_rows(session, kind, records)
        settled = repository.settle(session, kind, import_id=import_id, enterprise_ids=ids, years=years)
    except OperationalError as exc:
        if "locked" in str(exc.orig).lower() or "busy" in str(exc.orig).lower():
            raise Conflict(
                "another import of the same enterprises is being stored; nothing was stored, try again"
            ) from None
        raise
    applied = settled["current"]
    return {
        "superseded": settled["superseded"],
        "conflicts": settled["conflicts"],
        "kept": len(records) - applied - settled["conflicts"],
    }


def _highest_quality(principal: Principal) -> str:
    """The highest data quality this principal may give a figure (see :data:`MAX_QUALITY`)."""
    return MAX_QUALITY.get(principal.role, "declared")


def _quality_refusal(principal: Principal, quality: str) -> str:
    if principal.role == "enterprise":
        return (
            f"an enterprise reports its own data as 'declared'; '{quality}' data come from "
            "the regulator or a data source (meter readings, verified reports)"
        )
    return (
        f"a {principal.role} delivers data as at most '{_highest_quality(principal)}'; '{quality}' data are "
        "entered by the regulator (verified reports)"
    )


# --- the accounts' emissions, set-based, for other domains (financed emissions) ------------------------------

QUALITY_OF_RANK = {rank: quality for quality, rank in repository.AUTHORITY.items()}


def account_emissions(session: Session, principal: Principal, *, year: int) -> dict[str, tuple[int, int, str]]:
    """Every carbon account's emissions of a year: ``{uscc: (scope 1 g, scope 2 g, weakest data quality)}``.

    Scope 1 is fuel combustion and process CO2, scope 2 purchased electricity and heat, each
    energy with the factor of the enterprise's county and the year (as the account itself);
    the data quality is the weakest of the year's current records (declared < metered <
    audited). Banks and regulators read it for financed emissions (PCAF).
    """
    auth.require_role(principal, "regulator", "bank")
    factor_set = load_factor_set()
    factors: dict[str, dict[str, int]] = {}
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0, 3])
    for uscc, county, energy, quantity, rank in repository.account_energy_totals(session, year):
        if county not in factors:
            factors[county] = {
                r.energy: r.co2_mg_per_unit for r in factor_rows(factor_set, years=[year], region=county)
            }
        mg = factors[county].get(energy)
        line = out[uscc]
        if mg is not None:
            line[_scope(factor_set, energy) - 1] += _grams(int(quantity), mg)
        line[2] = min(line[2], int(rank))
    for uscc, co2_g, rank in repository.account_process_totals(session, year):
        line = out[uscc]
        line[0] += int(co2_g)
        line[2] = min(line[2], int(rank))
    return {uscc: (s1, s2, QUALITY_OF_RANK[rank]) for uscc, (s1, s2, rank) in out.items()}


def version_titles(methodology_version: str | None, factor_set_version: str | None, lang: str) -> tuple[str, str]:
    """The titles a reader sees for a label's methodology and factor set (the version itself when unknown)."""
    from greenfin.carbon.factors import load_factor_set
    from greenfin.industry.methodology import load_methodology

    def title(load: Callable[[str], Any], version: str | None) -> str:
        if not version:
            return "—"
        try:
            found = load(version)
        except (GreenfinError, FileNotFoundError, ValueError):
            return version
        return str(found.title_en if lang == "en" else found.title_zh) or version

    return title(load_methodology, methodology_version), title(load_factor_set, factor_set_version)
