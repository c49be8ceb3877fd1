"""Use cases of the statistics domain: green-loan statistics and financed emissions over the loan
book, green use categories, divisions and pilot banks.

The statistics and the financed emissions read the market's loan book through its service
(set-based reads) and are scoped: regulators see the region (or one bank), a bank only its
own book (docs/methodology/stats.md §7–§9).

Green use catalogues are public methodology: any signed-in principal reads them, and other
domains (the loan book) check a loan's catalogue version and code with
:func:`green_use_category`. Regulators (and admins) register every fact; a bank registers and closes its own
divisions. The region's counts on a day are public figures (the seed publishes them), read
by regulators and banks; a bank sees the registrations of its own organisation only.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

import polars as pl
from pydantic import ValidationError
from sqlalchemy.orm import Session

from greenfin.auth import service as auth
from greenfin.auth.service import Principal
from greenfin.errors import Conflict, InvalidInput, NotFound
from greenfin.market import service as market
from greenfin.market.schemas import BENEFIT_COLUMNS
from greenfin.region import service as region
from greenfin.stats import repository
from greenfin.stats.methodology import load_catalogues, load_data_quality, load_evaluation, load_sector_intensities
from greenfin.stats.models import GreenFinanceDivision, PilotBank
from greenfin.stats.rules import (
    BENEFIT_INDICATORS,
    Balances,
    Exposure,
    GreenUseCategory,
    PeriodFigures,
    evaluate_indicator,
    financed_emissions,
    is_quarter_end,
    one_year_before,
    period_figures,
    portfolio_totals,
    quarter_ends,
    round_ratio,
    share,
    weighted_data_quality,
    year_start_base,
)
from greenfin.stats.schemas import (
    DIMENSIONS,
    MAX_EXPOSURES,
    CategoryBrief,
    CategoryMappingRead,
    CategoryRead,
    CounterpartRead,
    DivisionCreate,
    DivisionRead,
    ExposureIn,
    FiguresRead,
    GreenLoanStatisticsRead,
    GroupFiguresRead,
    PilotBankCreate,
    PilotBankRead,
    RegisteredFactsRead,
    coverage_out,
    item_out,
    points_out,
    ratio_out,
    score_out,
    totals_out,
)

Stored = TypeVar("Stored", GreenFinanceDivision, PilotBank)
METHOD = "PCAF Part A, 2nd edition (2022)"
MAX_BODY_BYTES = 256 * 1024 * 1024  # bytes (characters for text): about a million exposures of ~250 bytes


def _require_bank(session: Session, bank_code: str) -> None:
    organisation = auth.organisation_by_code(session, bank_code)
    if organisation is None:
        raise NotFound(f"no organisation has the code {bank_code}")
    if organisation.kind != "bank":
        raise InvalidInput(
            f"{bank_code} is a {organisation.kind}, not a bank",
            errors=[{"field": "bank_code", "reason": "not a bank"}],
        )


def _stored(session: Session, row: Stored) -> Stored:
    session.add(row)
    session.flush()
    return row


def register_division(session: Session, principal: Principal, *, division_in: DivisionCreate) -> GreenFinanceDivision:
    """Register a green-finance division of a bank (a regulator, or the bank itself)."""
    auth.require_role(principal, "regulator", "bank")
    auth.require_tenant(principal, division_in.bank_code)
    _require_bank(session, division_in.bank_code)
    if repository.division_by_name(session, division_in.bank_code, division_in.name) is not None:
        raise Conflict(f"{division_in.bank_code} has a division named {division_in.name} already")
    return _stored(session, GreenFinanceDivision(**division_in.model_dump()))


def close_division(
    session: Session, principal: Principal, *, division_id: str, closed_on: date
) -> GreenFinanceDivision:
    """Record the day a division closed (a regulator, or its bank)."""
    auth.require_role(principal, "regulator", "bank")
    division = repository.division_by_id(session, division_id)
    if division is None:
        raise NotFound(f"no green-finance division {division_id}")
    auth.require_tenant(principal, division.bank_code)
    if division.closed_on is not None:
        raise Conflict(f"the division closed on {division.closed_on.isoformat()} already")
    if closed_on <= division.established_on:
        raise InvalidInput(
            "a division closes after the day it was established",
            errors=[{"field": "closed_on", "reason": "not after established_on"}],
        )
    division.closed_on = closed_on
    session.flush()
    return division


def designate_pilot_bank(session: Session, principal: Principal, *, pilot_in: PilotBankCreate) -> PilotBank:
    """Record a bank's designation as a green-finance reform pilot bank (regulators only)."""
    auth.require_role(principal, "regulator")
    _require_bank(session, pilot_in.bank_code)
    if repository.pilot_designation(session, pilot_in.bank_code, pilot_in.designated_on) is not None:
        raise Conflict(f"{pilot_in.bank_code} was designated on {pilot_in.designated_on.isoformat()} already")
    return _stored(session, PilotBank(**pilot_in.model_dump()))


def registered_facts(session: Session, principal: Principal, *, as_of: date) -> RegisteredFactsRead:
    """The region's divisions and pilot banks on a day; a bank sees only its own registrations."""
    auth.require_role(principal, "regulator", "bank")
    divisions = repository.divisions_open_on(session, as_of)
    pilots = repository.pilot_banks_on(session, as_of)

    def mine(bank_code: str) -> bool:
        return principal.is_staff or bank_code == principal.organisation_code

    return RegisteredFactsRead(
        as_of=as_of,
        divisions=len(divisions),
        pilot_banks=len({p.bank_code for p in pilots}),
        division_items=[DivisionRead.model_validate(d) for d in divisions if mine(d.bank_code)],
        pilot_bank_items=[PilotBankRead.model_validate(p) for p in pilots if mine(p.bank_code)],
    )


# --- green use catalogues --------------------------------------------------------------------


def _brief(category: GreenUseCategory) -> CategoryBrief:
    return CategoryBrief(code=category.code, name=category.name, level=category.level, confidence=category.confidence)


def category_label(version: str, code: str, lang: str) -> str:
    """A category's name in a page's language: its English name where the catalogue gives one, else its
    Chinese name; the code itself when the catalogue has no such category."""
    catalogue = load_catalogues().catalogue(version)
    if code not in catalogue:
        return code
    category = catalogue.get(code)
    return (category.name_en or category.name) if lang == "en" else category.name


def green_use_top_level(*, version: str) -> list[CategoryBrief]:
    """The top-level categories of a catalogue version, in catalogue order."""
    return [_brief(c) for c in load_catalogues().catalogue(version).children(None)]


def green_use_category(*, version: str, code: str) -> CategoryRead:
    """A category with its ancestors and children; InvalidInput if the version lacks the code."""
    catalogue = load_catalogues().catalogue(version)
    found = catalogue.get(code)
    return CategoryRead(
        **_brief(found).model_dump(),
        catalogue=version,
        title=catalogue.title,
        ancestors=[_brief(c) for c in catalogue.ancestors(code)],
        children=[_brief(c) for c in catalogue.children(code)],
    )


def map_green_use_category(*, code: str, source: str, target: str) -> CategoryMappingRead:
    """The counterparts of a category in another catalogue version."""
    mapped = load_catalogues().map_code(code, source=source, target=target)
    return CategoryMappingRead(
        code=code,
        source=source,
        target=target,
        counterparts=[
            CounterpartRead(
                **_brief(m.category).model_dump(),
                relation=m.relation,
                via=list(m.via),
                mapping_confidence=m.confidence,
            )
            for m in mapped
        ],
    )


# --- financed emissions ---------------------------------------------------------------------

_BOUNDS = {
    "greater_than_equal": ("ge", "must be at least"),
    "greater_than": ("gt", "must be more than"),
    "less_than_equal": ("le", "must be at most"),
}
_OBJECT = "expected an object with id, asset_class, outstanding, denominator, scope1_t and scope2_t"


class _NotANumber(ValueError):
    pass


def _refuse_constant(name: str) -> Decimal:
    raise _NotANumber(name)


def _read_json(text: str | bytes) -> Any:
    """JSON text read with exact decimals; NaN, Infinity and malformed JSON are InvalidInput."""
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
    except _NotANumber as exc:
        raise InvalidInput(f"input contains {exc}, which is not a number; give finite JSON numbers") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"input is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


def _problem(row: int, error: Any) -> dict[str, Any]:
    column = str(error["loc"][0]) if error["loc"] else ""
    kind = error["type"]
    if not column:
        reason = _OBJECT
    elif kind == "missing":
        reason = "is missing"
    elif kind == "extra_forbidden":
        reason = "is not an accepted key"
    elif kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        bound = str(error.get("ctx", {})[key]).removeprefix("Decimal('").removesuffix("')")  # pydantic gives a repr
        reason = f"{words} {bound}"
    else:
        reason = "is invalid: " + str(error["msg"]).removeprefix("Value error, ").rstrip(".")
    return {"row": row, "column": column, "reason": reason}


def _exposures(data: Any) -> list[Exposure]:
    if not isinstance(data, list):
        raise InvalidInput("input must be a JSON list of exposures")
    if len(data) > MAX_EXPOSURES:
        raise InvalidInput(f"input has {len(data)} exposures; at most {MAX_EXPOSURES} are accepted at once")
    exposures: list[Exposure] = []
    problems: list[dict[str, Any]] = []
    seen: set[str | int] = set()
    for row, raw in enumerate(data):
        try:
            item = ExposureIn.model_validate(raw)
        except ValidationError as exc:
            first = {str(e["loc"][0]) if e["loc"] else "": e for e in reversed(exc.errors())}  # one per key
            problems.extend(_problem(row, e) for e in reversed(first.values()))
            continue
        if item.denominator is None and (item.asset_class != "motor_vehicle" or item.attribution == "pboc"):
            reason = "is null; only a motor_vehicle loan attributed by PCAF may omit it"
            problems.append({"row": row, "column": "denominator", "reason": reason})
        elif item.id in seen:
            problems.append({"row": row, "column": "id", "reason": f"{item.id!r} appears more than once"})
        else:
            seen.add(item.id)
            exposures.append(
                Exposure(
                    item.id,
                    item.asset_class,
                    item.outstanding,
                    item.denominator,
                    item.scope1_t,
                    item.scope2_t,
                    item.scope3_t,
                    item.removals_t,
                    item.data_quality,
                    item.credits_retired_t,
                    item.credits_generated_t,
                    item.attribution,
                )
            )
    if problems:
        raise InvalidInput(f"{len(problems)} problem(s) in the exposures", errors=problems)
    return exposures


def financed_emissions_report(principal: Principal, *, text: str | bytes) -> dict[str, Any]:
    """PCAF financed emissions of a JSON list of exposures (banks, regulators): items, totals, data quality."""
    auth.require_role(principal, "bank", "regulator")
    if len(text) > MAX_BODY_BYTES:
        raise InvalidInput(f"input is larger than {MAX_BODY_BYTES} bytes; send the exposures in parts")
    items = [financed_emissions(e) for e in _exposures(_read_json(text))]
    scored = [(i.outstanding, i.data_quality) for i in items if i.data_quality is not None]
    total_outstanding = sum((i.outstanding for i in items), Decimal(0))
    scored_outstanding = sum((outstanding for outstanding, _ in scored), Decimal(0))
    coverage = share(scored_outstanding, total_outstanding) if total_outstanding > 0 else None
    return {
        "method": METHOD,
        "items": [item_out(i) for i in items],
        "totals": totals_out(portfolio_totals(items)),
        "weighted_data_quality": score_out(weighted_data_quality(scored)),
        "data_quality_coverage": coverage_out(coverage),
    }


# --- green-loan statistics over the loan book ---------------------------------------------------------------

DEFAULT_CATALOGUE = "gic-2019"
"""The catalogue the PBoC's green-loan statistics count uses by (绿色产业指导目录 2019)."""
CATALOGUE_ALIASES = {"2019": "gic-2019", "2024": "glt-2024", "2025": "gfs-2025"}
"""The market's catalogue version names (the year) read as the statistics domain's versions."""
UNMAPPED = "unmapped"
_RELATION_ORDER = {"exact": 0, "narrower": 1, "broader": 2, "overlap": 3}


@cache
def _category_in(catalogue: str | None, code: str | None, target: str, level: int) -> str | None:
    """The code of ``target`` at ``level`` a loan's (catalogue, code) is counted under; None if not green.

    A code is followed through the version mappings; where it has several counterparts the
    closest relation (exact, narrower, broader, overlap) and then the lowest code is taken, so
    every green loan is counted once. A code no mapping reaches is counted as "unmapped".
    """
    if code is None:
        return None
    catalogues = load_catalogues()
    version = CATALOGUE_ALIASES.get(catalogue or "", catalogue or DEFAULT_CATALOGUE)
    try:
        mapped = catalogues.map_code(code, source=version, target=target)
    except InvalidInput:
        return UNMAPPED
    if not mapped:
        return UNMAPPED
    best = min(mapped, key=lambda m: (_RELATION_ORDER[m.relation], m.category.code))
    chain = (*catalogues.catalogue(target).ancestors(best.category.code), best.category)
    return next((c.code for c in chain if c.level == level), best.category.code)


def _figures_out(figures: PeriodFigures, green_total: int | None = None) -> dict[str, Any]:
    last_year = figures.yoy_growth
    return {
        "as_of": figures.as_of,
        "green_balance_fen": figures.green_fen,
        "all_balance_fen": figures.all_fen,
        "share": ratio_out(figures.share),
        "share_of_green": ratio_out(share(figures.green_fen, green_total)) if green_total else None,
        "last_year_green_fen": None,
        "yoy_growth": ratio_out(last_year),
        "all_yoy_growth": ratio_out(figures.all_yoy_growth),
        "yoy_points_above_all": points_out(figures.yoy_points_above_all),
        "year_start_green_fen": None,
        "ytd_growth": ratio_out(figures.ytd_growth),
        "all_ytd_growth": ratio_out(figures.all_ytd_growth),
        "ytd_points_above_all": points_out(figures.ytd_points_above_all),
        "base": figures.base,
        "base_balance_fen": figures.base_green_fen,
        "growth_vs_base": ratio_out(figures.growth_vs_base),
        "multiple_of_base": ratio_out(figures.multiple_of_base),
    }


def _figures(balances: dict[date, Balances], as_of: date, base: date | None, green_total: int | None) -> dict[str, Any]:
    out = _figures_out(period_figures(balances, as_of, base=base), green_total)
    last_year, year_start = balances.get(one_year_before(as_of)), balances.get(year_start_base(as_of))
    out["last_year_green_fen"] = last_year.green_fen if last_year else None
    out["year_start_green_fen"] = year_start.green_fen if year_start else None
    return out


def _comparison_dates(as_ofs: Sequence[date], base: date | None) -> list[date]:
    dates = {d for day in as_ofs for d in (day, one_year_before(day), year_start_base(day))}
    if base is not None:
        dates.add(base)
    return sorted(dates)


class _Namer:
    """Names of group keys: catalogue names, bank names (one query), county names; codes otherwise."""

    def __init__(self, session: Session, version: str, banks: set[str]) -> None:
        self.catalogue = load_catalogues().catalogue(version)
        self.banks = auth.organisation_names(session, sorted(banks))

    def __call__(self, dimension: str, key: str | None) -> str:
        if key is None:
            return "—"
        if dimension == "category" and key in self.catalogue:
            return self.catalogue.get(key).name
        if dimension == "county":
            return region.county_name(key).name_zh
        if dimension == "bank":
            return self.banks.get(key, key)
        return key


def _book_figures(
    session: Session,
    principal: Principal,
    *,
    as_ofs: Sequence[date],
    base: date | None,
    by: Sequence[str],
    catalogue_version: str | None,
    category_level: int,
    bank_code: str | None,
) -> list[GreenLoanStatisticsRead]:
    by = tuple(dict.fromkeys(by))  # each dimension once
    unknown = [name for name in by if name not in DIMENSIONS]
    if unknown:
        raise InvalidInput(
            f"unknown dimension {unknown[0]!r}; known: {', '.join(DIMENSIONS)}",
            errors=[{"field": "by", "reason": "unknown dimension"}],
        )
    version = catalogue_version or DEFAULT_CATALOGUE
    load_catalogues().catalogue(version)  # InvalidInput for an unknown version
    if not 1 <= category_level <= 4:
        raise InvalidInput("category_level is 1 (top level) to 4", errors=[{"field": "category_level"}])
    dates = _comparison_dates(as_ofs, base)
    rows = market.book_summary(session, principal, dates=dates, dimensions=by, bank_code=bank_code)
    cells = pl.DataFrame(
        rows,
        schema={
            "as_of": pl.Date,
            "dimension": pl.Utf8,
            "catalogue": pl.Utf8,
            "key": pl.Utf8,
            "green": pl.Int64,
            "all": pl.Int64,
        },
        orient="row",
    )
    totals: dict[date, Balances] = {
        day: Balances(green, every)
        for day, green, every in cells.filter(pl.col("dimension") == "total")
        .select("as_of", "green", "all")
        .iter_rows()
    }
    missing = [day for day in (*as_ofs, *([base] if base else [])) if day not in totals]
    if missing and (base in missing or len(as_ofs) == 1):
        raise InvalidInput(
            f"no loan balances are reported on {missing[0].isoformat()}; balances are month-end figures",
            errors=[{"field": "as_of" if missing[0] != base else "base", "reason": "no balances on that day"}],
        )
    grouped: dict[str, dict[str | None, dict[date, tuple[int, int]]]] = {}
    for dimension in by:
        source = cells.filter(pl.col("dimension") == dimension)
        if dimension == "category":
            pairs = source.select("catalogue", "key").unique()
            keys = [_category_in(c, code, version, category_level) for c, code in pairs.iter_rows()]
            mapped = pairs.with_columns(pl.Series("mapped", keys, dtype=pl.Utf8))
            source = (
                source.join(mapped, on=["catalogue", "key"], how="left", nulls_equal=True)
                .filter(pl.col("key").is_not_null())
                .drop("key")
                .rename({"mapped": "key"})
            )
        rolled = source.group_by("as_of", "key").agg(pl.col("green").sum(), pl.col("all").sum())
        groups: dict[str | None, dict[date, tuple[int, int]]] = defaultdict(dict)
        for day, key, green, every in rolled.iter_rows():
            groups[key][day] = (green, every)
        grouped[dimension] = groups
    namer = _Namer(session, version, {k for k in grouped.get("bank", {}) if k is not None})
    scope = "region" if principal.is_staff and bank_code is None else (bank_code or principal.organisation_code or "")
    out: list[GreenLoanStatisticsRead] = []
    for as_of in as_ofs:
        if as_of not in totals:
            continue
        green_total = totals[as_of].green_fen
        result = GreenLoanStatisticsRead(
            scope=scope,
            catalogue_version=version,
            totals=FiguresRead(**_figures(totals, as_of, base, None)),
        )
        for dimension, groups in grouped.items():
            items = []
            for key in sorted(groups, key=lambda k: (k is None, k or "")):
                series = {day: Balances(green, every) for day, (green, every) in groups[key].items()}
                if as_of not in series:
                    continue
                items.append(
                    GroupFiguresRead(
                        dimension=dimension,
                        key=key,
                        name=namer(dimension, key),
                        **_figures(series, as_of, base if base in series else None, green_total),
                    )
                )
            result.groups[dimension] = items
        out.append(result)
    return out


def green_loan_statistics(
    session: Session,
    principal: Principal,
    *,
    as_of: date,
    base: date | None = None,
    by: Sequence[str] = (),
    catalogue_version: str | None = None,
    category_level: int = 1,
    bank_code: str | None = None,
) -> GreenLoanStatisticsRead:
    """Green-loan statistics of a month-end from the loan book, optionally grouped by dimensions.

    ``totals`` has the green and all-loan balances (fen), the share, year-on-year growth,
    growth since the start of the year, growth and multiple against ``base``, and the points
    by which green growth exceeds all-loan growth (rules: ``stats.rules.period_figures``).
    ``by`` names any of :data:`~greenfin.stats.schemas.DIMENSIONS` — category (in
    ``catalogue_version``, default gic-2019, at ``category_level``; loans classified under
    another version are counted through the version mappings), bank, county, borrower_kind,
    industry (GB/T 4754 division) and quality (five-class, on each date) — each grouped on its
    own. Regulators see the region (or ``bank_code``), a bank only itself. InvalidInput when
    nothing is reported on ``as_of`` or ``base``.
    """
    return _book_figures(
        session,
        principal,
        as_ofs=[as_of],
        base=base,
        by=by,
        catalogue_version=catalogue_version,
        category_level=category_level,
        bank_code=bank_code,
    )[0]


def quarterly_series(
    session: Session,
    principal: Principal,
    *,
    start: date,
    end: date,
    base: date | None = None,
    by: Sequence[str] = (),
    catalogue_version: str | None = None,
    category_level: int = 1,
    bank_code: str | None = None,
) -> list[GreenLoanStatisticsRead]:
    """The statistics of every quarter-end from ``start`` to ``end`` that has balances, oldest first.

    Same figures, dimensions and scope as :func:`green_loan_statistics`; each quarter's
    comparisons (a year before, 31 December before, ``base``) are read in the same queries.
    """
    if end < start:
        raise InvalidInput("the period ends before it starts", errors=[{"field": "end", "reason": "before start"}])
    days = quarter_ends(start, end)
    if len(days) > 200:
        raise InvalidInput("a series covers at most 200 quarters (50 years)", errors=[{"field": "start"}])
    if not days:
        return []
    return _book_figures(
        session,
        principal,
        as_ofs=list(days),
        base=base,
        by=by,
        catalogue_version=catalogue_version,
        category_level=category_level,
        bank_code=bank_code,
    )


# --- financed emissions over the loan book ------------------------------------------------------------------

GRAMS_PER_TONNE = 1_000_000
ACCOUNT_SOURCES = ("audited", "metered", "declared")
FEN_PER_WAN = 1_000_000


def _tonnes_of(grams: int) -> Decimal:
    return Decimal(grams) / GRAMS_PER_TONNE


def _sector_factors(version: str) -> tuple[dict[str, tuple[int, int]], tuple[str, ...], str]:
    """{division or '*': (scope 1 g, scope 2 g per 万元)}, the borrower kinds covered, the PCAF option."""
    table = load_sector_intensities(version)
    factors = {}
    for entry in table.sectors:
        grams = entry.tco2e_per_wan * GRAMS_PER_TONNE
        scope1 = int((grams * entry.scope1_share).to_integral_value())
        factors[entry.sector] = (scope1, int(grams.to_integral_value()) - scope1)
    return factors, tuple(table.covers), table.pcaf_option


def _accounts_of(session: Session, principal: Principal, as_of: date, year: int | None) -> tuple[int, dict[str, Any]]:
    """The account year used and its emissions: ``year``, else the as-of year's, else the year before's."""
    from greenfin.industry import service as industry

    for candidate in (year,) if year is not None else (as_of.year, as_of.year - 1):
        assert candidate is not None
        found = industry.account_emissions(session, principal, year=candidate)
        if found or year is not None:
            return candidate, found
    return as_of.year - 1, {}


def _emissions_frame(
    session: Session, principal: Principal, *, as_of: date, year: int | None, bank_code: str | None, version: str
) -> tuple[pl.DataFrame, int]:
    """One row per loan: its source, attribution factor, attributed scope 1 and 2 grams and data-quality score."""
    loans, borrowers = market.book_loans_on(session, principal, as_of=as_of, bank_code=bank_code)
    loans = loans.with_columns(pl.col("green_use").is_not_null().alias("green")).drop("green_use")
    if borrowers is None:  # the region's book: every borrower's loans are here
        totals = loans.group_by("borrower_code").agg(pl.col("balance_fen").sum().alias("borrower_fen"))
    else:
        totals = borrowers
    loans = loans.join(totals, on="borrower_code", how="left")
    used_year, accounts = _accounts_of(session, principal, as_of, year)
    table = pl.DataFrame(
        [(uscc, s1, s2, quality) for uscc, (s1, s2, quality) in accounts.items()],
        schema={"borrower_code": pl.Utf8, "account_s1_g": pl.Int64, "account_s2_g": pl.Int64, "account": pl.Utf8},
        orient="row",
    )
    factors, covers, option = _sector_factors(version)
    sectors = pl.DataFrame(
        [(k, s1, s2) for k, (s1, s2) in factors.items() if k != "*"],
        schema={"division": pl.Utf8, "sector_s1": pl.Int64, "sector_s2": pl.Int64},
        orient="row",
    )
    quality = load_data_quality()
    scores = {kind: quality.score_for_source("business_loan", kind) for kind in ACCOUNT_SOURCES}
    sector_score = quality.score("business_loan", option)
    fallback_s1, fallback_s2 = factors["*"]
    big = pl.Int128
    balance, borrower = pl.col("balance_fen").cast(big), pl.col("borrower_fen").cast(big)
    has_account = pl.col("account").is_not_null() & (pl.col("borrower_kind") == "enterprise") & (borrower > 0)
    covered = pl.col("borrower_kind").is_in(list(covers))
    frame = (
        loans.join(table, on="borrower_code", how="left")
        .with_columns(pl.col("industry_code").str.slice(0, 2).alias("division"))
        .join(sectors, on="division", how="left")
        .with_columns(
            pl.when(has_account)
            .then(pl.col("account"))
            .when(covered)
            .then(pl.lit("sector"))
            .otherwise(pl.lit("not_covered"))
            .alias("source"),
        )
        .with_columns(
            pl.when(pl.col("source") == "sector")
            .then(balance * pl.col("sector_s1").fill_null(fallback_s1).cast(big) // FEN_PER_WAN)
            .when(pl.col("source") == "not_covered")
            .then(0)
            .otherwise(pl.col("account_s1_g").cast(big) * balance // borrower.clip(1))
            .alias("scope1_g"),
            pl.when(pl.col("source") == "sector")
            .then(balance * pl.col("sector_s2").fill_null(fallback_s2).cast(big) // FEN_PER_WAN)
            .when(pl.col("source") == "not_covered")
            .then(0)
            .otherwise(pl.col("account_s2_g").cast(big) * balance // borrower.clip(1))
            .alias("scope2_g"),
            pl.col("source").replace_strict({**scores, "sector": sector_score}, default=None).alias("data_quality"),
        )
    )
    return frame, used_year


def _sums(frame: pl.DataFrame, key: str) -> list[dict[str, Any]]:
    """Loans, outstanding and attributed scopes per value of ``key``; per source also its PCAF score."""
    grouped = frame.group_by(key).agg(
        pl.len().alias("loans"),
        pl.col("balance_fen").sum().alias("outstanding_fen"),
        pl.col("scope1_g").sum(),
        pl.col("scope2_g").sum(),
        pl.col("data_quality").first(),
    )
    return [
        {
            key: row[key],
            "loans": int(row["loans"]),
            "outstanding_fen": int(row["outstanding_fen"]),
            "scope1_t": _tonnes_of(int(row["scope1_g"])),
            "scope2_t": _tonnes_of(int(row["scope2_g"])),
            **({"data_quality": row["data_quality"]} if key == "source" else {}),
        }
        for row in grouped.sort(key, nulls_last=True).iter_rows(named=True)
    ]


def financed_emissions_of_book(
    session: Session,
    principal: Principal,
    *,
    as_of: date,
    year: int | None = None,
    bank_code: str | None = None,
    items: bool = False,
    sector_table: str = "v1",
) -> dict[str, Any]:
    """PCAF financed emissions of the loan book on a month-end (a bank's own, or the region's for regulators).

    A business borrower with a greenfin carbon account uses its account of ``year`` (default:
    the as-of year's, else the year before's); the attribution factor is the loan's balance ÷
    the borrower's balance over the region's whole loan book (its bank debt: greenfin holds no
    balance sheet, so this is an upper bound of outstanding ÷ (equity + debt)); the score is
    the account's weakest data quality read onto PCAF (audited 1, metered 2, declared 3). Other
    enterprise and farm loans are estimated as outstanding × the sector intensity of
    ``sector_table`` (PCAF option 3b, score 5); residents' consumer loans are not covered.
    Tonnes are exact decimals (grams ÷ 10^6); ``items`` adds one line per loan.
    """
    auth.require_role(principal, "regulator", "bank")
    frame, used_year = _emissions_frame(
        session, principal, as_of=as_of, year=year, bank_code=bank_code, version=sector_table
    )
    scored = frame.filter(pl.col("data_quality").is_not_null())
    pairs = [
        (Decimal(int(row[1])), int(row[0]))
        for row in scored.group_by("data_quality").agg(pl.col("balance_fen").sum()).iter_rows()
        if row[1]
    ]
    outstanding = int(frame["balance_fen"].sum() or 0)
    covered = int(scored["balance_fen"].sum() or 0)
    scope = "region" if principal.is_staff and bank_code is None else (bank_code or principal.organisation_code or "")
    result: dict[str, Any] = {
        "method": METHOD,
        "scope": scope,
        "as_of": as_of,
        "account_year": used_year,
        "sector_table": sector_table,
        "loans": frame.height,
        "outstanding_fen": outstanding,
        "totals": {
            "scope1_t": _tonnes_of(int(frame["scope1_g"].sum() or 0)),
            "scope2_t": _tonnes_of(int(frame["scope2_g"].sum() or 0)),
            "scope3_t": None,  # no borrower's scope 3 is known to greenfin: reported as not estimated
            "removals_t": None,
        },
        "weighted_data_quality": score_out(weighted_data_quality(pairs)),
        "data_quality_coverage": coverage_out(share(covered, outstanding) if outstanding else None),
        "by_source": _sums(frame, "source"),
        "by_bank": _sums(frame, "bank_code"),
        "by_industry": _sums(frame.with_columns(pl.col("industry_code").str.slice(0, 2).alias("division")), "division"),
        "by_green": _sums(frame, "green"),
    }
    if items:
        result["items"] = [
            {
                "loan_no": row["loan_no"],
                "bank_code": row["bank_code"],
                "borrower_code": row["borrower_code"],
                "balance_fen": row["balance_fen"],
                "source": row["source"],
                "attribution_factor": _rounded_factor(row["balance_fen"], row["borrower_fen"])
                if row["source"] in ACCOUNT_SOURCES
                else None,
                "scope1_t": _tonnes_of(int(row["scope1_g"])),
                "scope2_t": _tonnes_of(int(row["scope2_g"])),
                "data_quality": row["data_quality"],
            }
            for row in frame.iter_rows(named=True)
        ]
    return result


def _rounded_factor(balance_fen: int, borrower_fen: int) -> Decimal:
    return (Decimal(balance_fen) / Decimal(borrower_fen)).quantize(Decimal("0.000001"))


def financed_emissions_for_bank(
    session: Session,
    principal: Principal,
    *,
    bank_code: str,
    as_of: date,
    year: int | None = None,
    items: bool = False,
) -> dict[str, Any]:
    """One bank's financed emissions on a month-end (the bank itself, or a regulator): see
    :func:`financed_emissions_of_book` for the keys (totals by scope, by source, bank,
    industry and green/other; weighted data quality and coverage; items on request)."""
    auth.require_tenant(principal, bank_code)
    return financed_emissions_of_book(session, principal, as_of=as_of, year=year, bank_code=bank_code, items=items)


# --- environmental benefits of green loans ----------------------------------------------------------------

BENEFIT_METHOD = "PBoC/CBRC: a project's yearly benefits × loan ÷ the project's total investment"
BENEFIT_GRAMS = BENEFIT_COLUMNS
"""Each of ``rules.BENEFIT_INDICATORS`` and the loan-book column holding the project's yearly grams."""
assert tuple(BENEFIT_GRAMS) == BENEFIT_INDICATORS
BENEFIT_BASES = ("balance", "amount")


def _benefit_sums(frame: pl.DataFrame, key: str | None) -> list[dict[str, Any]]:
    sums = [pl.len().alias("loans"), pl.col("loan_fen").sum()] + [pl.col(name).sum() for name in BENEFIT_GRAMS]
    grouped = frame.group_by(key).agg(sums).sort(key, nulls_last=True) if key else frame.select(sums)
    return [
        {
            **({key: row[key]} if key else {}),
            "loans": int(row["loans"]),
            "loan_fen": int(row["loan_fen"] or 0),
            **{name: _tonnes_of(int(row[name] or 0)) for name in BENEFIT_GRAMS},
        }
        for row in grouped.iter_rows(named=True)
    ]


def benefits_totals(
    session: Session,
    principal: Principal,
    *,
    as_of: date,
    bank_code: str | None = None,
    basis: str = "balance",
    items: bool = False,
) -> dict[str, Any]:
    """Yearly environmental benefits of the green loans outstanding on a month-end, attributed to each loan
    by its share of its project (PBoC rule: loan ÷ the project's total investment), summed per bank,
    green-use category (top level of the 2019 catalogue, other versions mapped), county and in total.

    ``basis`` is the loan amount the share is taken on: ``balance`` (the month-end's outstanding
    balance, default: the loans' part of the book on that day) or ``amount`` (the principal lent, as
    the PBoC carbon-reduction support tool counts). A green loan whose project is not recorded is
    counted in ``loans_without_project`` and attributes nothing. Grams are floored per loan; tonnes
    are exact decimals. Regulators read the region (or one bank), a bank only its own book.
    Returns plain dicts (the disclosure report and the pages read them).
    """
    auth.require_role(principal, "regulator", "bank")
    if basis not in BENEFIT_BASES:
        raise InvalidInput(f"basis is one of {', '.join(BENEFIT_BASES)}", errors=[{"field": "basis"}])
    rows = market.green_loans_on(session, principal, as_of=as_of, bank_code=bank_code)
    schema = {name: pl.Int64 if name.endswith(("_fen", "_g")) else pl.Utf8 for name in market.GREEN_LOAN_COLUMNS}
    loans = pl.DataFrame(rows, schema=schema, orient="row")
    reported = loans.filter(pl.col("project_investment_fen").is_not_null())
    big = pl.Int128
    loan_fen = pl.col("balance_fen" if basis == "balance" else "amount_fen")
    frame = reported.with_columns(
        loan_fen.alias("loan_fen"),
        *(
            (
                pl.col(column).fill_null(0).cast(big) * loan_fen.cast(big) // pl.col("project_investment_fen").cast(big)
            ).alias(name)
            for name, column in BENEFIT_GRAMS.items()
        ),
    )
    pairs = frame.select("green_catalogue", "green_use").unique()
    categories = [_category_in(c, code, DEFAULT_CATALOGUE, 1) for c, code in pairs.iter_rows()]
    frame = frame.join(
        pairs.with_columns(pl.Series("category", categories, dtype=pl.Utf8)),
        on=["green_catalogue", "green_use"],
        how="left",
        nulls_equal=True,
    )
    namer = _Namer(session, DEFAULT_CATALOGUE, set(frame["bank_code"].unique().to_list()))
    scope = "region" if principal.is_staff and bank_code is None else (bank_code or principal.organisation_code or "")
    result: dict[str, Any] = {
        "method": BENEFIT_METHOD,
        "basis": basis,
        "scope": scope,
        "as_of": as_of,
        "catalogue_version": DEFAULT_CATALOGUE,
        "green_loans": loans.height,
        "loans_without_project": loans.height - reported.height,
        "totals": _benefit_sums(frame, None)[0],
    }
    for dimension, column in (("bank", "bank_code"), ("category", "category"), ("county", "county_code")):
        groups = _benefit_sums(frame, column)
        for group in groups:
            group["key"] = group.pop(column)
            group["name"] = namer(dimension, group["key"])
        result[f"by_{dimension}"] = groups
    if items:
        result["items"] = [
            {
                "bank_code": row["bank_code"],
                "loan_no": row["loan_no"],
                "loan_fen": row["loan_fen"],
                "project_investment_fen": row["project_investment_fen"],
                "share": round_ratio(share(row["loan_fen"], row["project_investment_fen"]), 6),
                **{name: _tonnes_of(int(row[name])) for name in BENEFIT_GRAMS},
            }
            for row in frame.iter_rows(named=True)
        ]
    return result


# --- the PBoC green-finance evaluation's quantitative indicators ------------------------------------------

NON_PERFORMING = ("substandard", "doubtful", "loss")


def evaluation_indicators(
    session: Session, principal: Principal, *, as_of: date, version: str = "v1"
) -> dict[str, Any]:
    """The four quantitative indicators of the PBoC evaluation (银发〔2021〕142号) per bank on a quarter-end:
    green share, share of the region's green business, year-on-year growth and non-performing share,
    from the loan book, by the formulas of ``data/evaluation/<version>.toml``. Regulators read every
    bank, a bank itself (its share of the region uses the region's total, an aggregate). A value is
    None where its denominator is zero (e.g. no balance a year before)."""
    auth.require_role(principal, "regulator", "bank")
    if not is_quarter_end(as_of):
        raise InvalidInput("as_of: the evaluation is per quarter: give a quarter-end", errors=[{"field": "as_of"}])
    evaluation, indicators = load_evaluation(version)
    year_ago = one_year_before(as_of)
    totals = market.book_summary_by_bank(session, principal, dates=[as_of, year_ago])
    if not any(day == as_of for day, *_ in totals):
        raise InvalidInput(
            f"no loan balances are reported on {as_of.isoformat()}",
            errors=[{"field": "as_of", "reason": "no balances"}],
        )
    risk = market.book_summary_by_bank(session, principal, dates=[as_of], dimension="quality")
    region_green = market.region_green_fen(session, principal, as_of=as_of)
    quantities: dict[str, dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(
            ("green_business_fen", "all_business_fen", "green_business_year_ago_fen", "green_risk_fen"), 0
        )
    )
    for day, bank, _, green, every in totals:
        if day == as_of:
            quantities[bank]["green_business_fen"] += green
            quantities[bank]["all_business_fen"] += every
        else:
            quantities[bank]["green_business_year_ago_fen"] += green
    for _, bank, quality, green, _ in risk:
        if quality in NON_PERFORMING:
            quantities[bank]["green_risk_fen"] += green
    names = auth.organisation_names(session, list(quantities))
    items: list[dict[str, Any]] = []
    for bank, figures in quantities.items():
        inputs = {**figures, "region_green_business_fen": region_green}
        values = {indicator.key: evaluate_indicator(indicator, inputs) for indicator in indicators}
        items.append(
            {
                "bank_code": bank,
                "name": names.get(bank, bank),
                **figures,
                "indicators": {key: None if value is None else round_ratio(value) for key, value in values.items()},
            }
        )
    items.sort(key=lambda item: (-item["green_business_fen"], item["bank_code"]))
    return {
        "as_of": as_of,
        "version": evaluation.version,
        "document": evaluation.document,
        "quantitative_weight_pct": evaluation.quantitative_weight_pct,
        "indicators": [
            {"key": i.key, "name": i.name, "kind": i.kind, "weight_pct": i.weight_pct, "better": i.better}
            for i in indicators
        ],
        "region_green_business_fen": region_green,
        "items": items,
    }


def book_dates(session: Session, principal: Principal, *, bank_code: str | None = None) -> list[date]:
    """The month-ends with balances in the book the principal reads (the region, or one bank), oldest first."""
    return market.book_dates(session, principal, bank_code=bank_code)


def bank_choices(session: Session, principal: Principal) -> list[tuple[str, str]]:
    """(code, name) of the banks with balances in the book, by name: what a regulator may pick (staff)."""
    auth.require_role(principal, "regulator")
    days = market.book_dates(session, principal)
    if not days:
        return []
    banks = {bank for _, bank, *_ in market.book_summary_by_bank(session, principal, dates=[days[-1]])}
    names = auth.organisation_names(session, banks)
    return sorted(((code, names.get(code, code)) for code in banks), key=lambda pair: (pair[1], pair[0]))
