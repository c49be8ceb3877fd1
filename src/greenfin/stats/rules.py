"""Green-finance statistics as pure rules: ratios, growth, benefits, financed emissions, catalogues.

Four families of rules, each with its source in ``docs/methodology/stats.md``:

1. **Green-loan statistics** (PBoC 绿色贷款专项统计制度, 银发〔2019〕326号). A share is green ÷
   all; year-on-year growth is (B_t − B_{t−12m}) ÷ B_{t−12m}; growth since the start of the
   year (较年初) is the increase since 1 January ÷ the balance on 1 January, and the balance
   on 1 January is the balance at 31 December of the year before; "高于各项贷款增速 X 个百分点"
   is the green growth minus the all-loan growth, in percentage points. Worked case (金沙县
   农信社 2024, all in 万元): green 211,672.44 of all loans 773,363.21 is a share of
   27.37 %; the green increase of 79,735.22 on a balance at 1 January of
   211,672.44 − 79,735.22 = 131,937.22 is growth of 60.43 %; the all-loan increase of
   86,901.31 on 686,461.90 is 12.66 %; green grew 47.77 percentage points faster::

       >>> percent(share(Decimal("211672.44"), Decimal("773363.21")))
       Decimal('27.37')
       >>> percent(growth_from_increase(Decimal("211672.44"), Decimal("79735.22")))
       Decimal('60.43')

2. **Environmental benefits** of a green loan: the project's annual benefit × the loan ÷ the
   project's total investment (the PBoC carbon-reduction support tool's rule).
3. **Financed emissions**, PCAF Part A 2nd edition: attribution factor × the borrower's (or
   project's, building's, vehicle's) emissions, scopes 1, 2 and 3 and removals apart; the
   data-quality score weighted by outstanding amount.
4. **Green use catalogues**: codes, names, ancestors and the mapping of a code between
   catalogue versions.

Ratios are exact ``Decimal`` quotients (40 significant digits) and are rounded only for
display, half-even (GB/T 8170-2008 数值修约规则) — :func:`round_ratio`, :func:`percent`.
"""

from __future__ import annotations

import calendar
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Literal, get_args

from greenfin.errors import InvalidInput

__all__ = [
    "ASSET_CLASSES",
    "BENEFIT_INDICATORS",
    "AssetClass",
    "Balances",
    "Benefits",
    "CatalogueSet",
    "DataQualityTable",
    "EvaluationIndicator",
    "Exposure",
    "FinancedEmissions",
    "GreenUseCatalogue",
    "GreenUseCategory",
    "MappedCategory",
    "PeriodFigures",
    "PortfolioTotals",
    "attributed_benefits",
    "attribution_factor",
    "company_value",
    "evaluate_indicator",
    "evic",
    "financed_emissions",
    "growth",
    "growth_from_increase",
    "is_quarter_end",
    "multiple",
    "one_year_before",
    "percent",
    "period_figures",
    "points_above",
    "portfolio_totals",
    "project_share",
    "quarter_ends",
    "quarterly_series",
    "round_ratio",
    "share",
    "sum_benefits",
    "weighted_data_quality",
    "year_start_base",
]

Number = Decimal | int
PRECISION = 40  # significant digits of every quotient; display rounding happens later


def _decimal(value: Number) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(value)


def _quotient(numerator: Number, denominator: Number) -> Decimal:
    with localcontext() as context:
        context.prec = PRECISION
        return _decimal(numerator) / _decimal(denominator)


def _refuse(reason: str, field_name: str) -> InvalidInput:
    return InvalidInput(reason, errors=[{"field": field_name, "reason": reason}])


# ---------------------------------------------------------------------------- ratios and growth


def share(part: Number, whole: Number) -> Decimal:
    """``part ÷ whole`` as a fraction (0.2737 for 27.37 %); the whole must be positive."""
    if whole <= 0:
        raise _refuse(f"a share needs a positive whole, got {whole}", "whole")
    if part < 0:
        raise _refuse(f"a share needs a part of zero or more, got {part}", "part")
    return _quotient(part, whole)


def growth(current: Number, previous: Number) -> Decimal:
    """``(current − previous) ÷ previous`` as a fraction; the earlier balance must be positive."""
    if previous <= 0:
        raise _refuse(f"growth needs a positive earlier balance, got {previous}", "previous")
    return _quotient(_decimal(current) - _decimal(previous), previous)


def growth_from_increase(balance: Number, increase: Number) -> Decimal:
    """Growth when a disclosure gives the balance and the increase: increase ÷ (balance − increase)."""
    return growth(balance, _decimal(balance) - _decimal(increase))


def points_above(rate: Decimal, other: Decimal) -> Decimal:
    """ "高于…增速 X 个百分点": ``(rate − other) × 100`` percentage points (rates as fractions)."""
    return (rate - other) * 100


def multiple(current: Number, base: Number) -> Decimal:
    """How many times the base the current balance is ("about 5× the end of 2016")."""
    if base <= 0:
        raise _refuse(f"a multiple needs a positive base, got {base}", "base")
    return _quotient(current, base)


def round_ratio(value: Decimal, places: int = 4) -> Decimal:
    """A fraction rounded half-even for display or a JSON contract (0.3646 for 36.46 %)."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def percent(value: Decimal, places: int = 2) -> Decimal:
    """A fraction as a percentage rounded half-even (0.273702… → 27.37)."""
    return (value * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


# ---------------------------------------------------------------------------- dates of comparison


def year_start_base(as_of: date) -> date:
    """The date whose balance is "the balance at 1 January" of ``as_of``'s year: 31 December before."""
    return date(as_of.year - 1, 12, 31)


def one_year_before(as_of: date) -> date:
    """The same day twelve months earlier; 29 February falls back to 28 February."""
    day = min(as_of.day, calendar.monthrange(as_of.year - 1, as_of.month)[1])
    return date(as_of.year - 1, as_of.month, day)


def is_quarter_end(day: date) -> bool:
    """True on 31 March, 30 June, 30 September and 31 December."""
    return day.month in (3, 6, 9, 12) and day.day == calendar.monthrange(day.year, day.month)[1]


def quarter_ends(start: date, end: date) -> tuple[date, ...]:
    """Every quarter-end from ``start`` to ``end``, both included, oldest first."""
    found: list[date] = []
    year, month = start.year, start.month
    while True:
        if month in (3, 6, 9, 12):
            day = date(year, month, calendar.monthrange(year, month)[1])
            if day > end:
                break
            if day >= start:
                found.append(day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        if date(year, month, 1) > end:
            break
    return tuple(found)


# ---------------------------------------------------------------------------- statistics of a period


@dataclass(frozen=True, slots=True)
class Balances:
    """Green and all-loan balances (本外币) on one day, in fen."""

    green_fen: int
    all_fen: int

    def __post_init__(self) -> None:
        if self.green_fen < 0 or self.all_fen < 0:
            raise _refuse("balances cannot be negative", "balance")
        if self.green_fen > self.all_fen:
            raise _refuse(f"green balance {self.green_fen} exceeds the all-loan balance {self.all_fen}", "green_fen")


@dataclass(frozen=True, slots=True)
class PeriodFigures:
    """The published figures of one as-of date; a comparison is None when its balance is unknown."""

    as_of: date
    green_fen: int
    all_fen: int
    share: Decimal | None
    yoy_growth: Decimal | None
    all_yoy_growth: Decimal | None
    yoy_points_above_all: Decimal | None
    ytd_growth: Decimal | None
    all_ytd_growth: Decimal | None
    ytd_points_above_all: Decimal | None
    base: date | None
    base_green_fen: int | None
    growth_vs_base: Decimal | None
    multiple_of_base: Decimal | None


def _growth_pair(now: Balances, then: Balances | None) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    if then is None:
        return None, None, None
    green = growth(now.green_fen, then.green_fen) if then.green_fen > 0 else None
    every = growth(now.all_fen, then.all_fen) if then.all_fen > 0 else None
    above = points_above(green, every) if green is not None and every is not None else None
    return green, every, above


def period_figures(balances: Mapping[date, Balances], as_of: date, *, base: date | None = None) -> PeriodFigures:
    """Share, year-on-year, year-to-date and base-date figures of ``as_of`` from daily balances."""
    now = balances.get(as_of)
    if now is None:
        raise _refuse(f"no balances on {as_of.isoformat()}", "as_of")
    yoy, all_yoy, yoy_above = _growth_pair(now, balances.get(one_year_before(as_of)))
    ytd, all_ytd, ytd_above = _growth_pair(now, balances.get(year_start_base(as_of)))
    then = balances.get(base) if base is not None else None
    usable = then is not None and then.green_fen > 0
    return PeriodFigures(
        as_of=as_of,
        green_fen=now.green_fen,
        all_fen=now.all_fen,
        share=share(now.green_fen, now.all_fen) if now.all_fen > 0 else None,
        yoy_growth=yoy,
        all_yoy_growth=all_yoy,
        yoy_points_above_all=yoy_above,
        ytd_growth=ytd,
        all_ytd_growth=all_ytd,
        ytd_points_above_all=ytd_above,
        base=base,
        base_green_fen=then.green_fen if then is not None else None,
        growth_vs_base=growth(now.green_fen, then.green_fen) if usable and then is not None else None,
        multiple_of_base=multiple(now.green_fen, then.green_fen) if usable and then is not None else None,
    )


def quarterly_series(
    balances: Mapping[date, Balances], start: date, end: date, *, base: date | None = None
) -> tuple[PeriodFigures, ...]:
    """The figures of every quarter-end from ``start`` to ``end`` that has balances, oldest first."""
    return tuple(period_figures(balances, day, base=base) for day in quarter_ends(start, end) if day in balances)


# ---------------------------------------------------------------------------- PBoC evaluation indicators


@dataclass(frozen=True, slots=True)
class EvaluationIndicator:
    """One quantitative indicator of the PBoC green-finance evaluation, as a configurable formula.

    ``kind`` "ratio" is numerator ÷ denominator; "growth" is (numerator − denominator) ÷
    denominator, the denominator being the same quantity a year earlier. ``better`` says
    which direction scores higher. Inputs are named quantities of one bank and quarter.
    """

    key: str
    name: str
    kind: Literal["ratio", "growth"]
    numerator: str
    denominator: str
    weight_pct: Decimal
    better: Literal["higher", "lower"]


def evaluate_indicator(indicator: EvaluationIndicator, inputs: Mapping[str, Number]) -> Decimal | None:
    """The indicator's value for one bank and quarter, or None when its denominator is zero."""
    missing = [name for name in (indicator.numerator, indicator.denominator) if name not in inputs]
    if missing:
        raise _refuse(f"indicator {indicator.key} needs {', '.join(missing)}", indicator.key)
    numerator, denominator = inputs[indicator.numerator], inputs[indicator.denominator]
    if denominator == 0:
        return None
    if indicator.kind == "growth":
        return growth(numerator, denominator)
    return share(numerator, denominator)


# ---------------------------------------------------------------------------- environmental benefits

BENEFIT_INDICATORS: tuple[str, ...] = (
    "standard_coal_t",
    "co2e_t",
    "cod_t",
    "ammonia_nitrogen_t",
    "so2_t",
    "nox_t",
    "water_t",
)
"""The seven benefit indicators of the green-loan statistics (CBRC), each in tonnes a year:
standard coal saved, CO2e reduced, COD, ammonia nitrogen, SO2 and NOx reduced, water saved."""


@dataclass(frozen=True, slots=True)
class Benefits:
    """Annual environmental benefits in tonnes, one value per indicator of BENEFIT_INDICATORS."""

    standard_coal_t: Decimal = Decimal(0)
    co2e_t: Decimal = Decimal(0)
    cod_t: Decimal = Decimal(0)
    ammonia_nitrogen_t: Decimal = Decimal(0)
    so2_t: Decimal = Decimal(0)
    nox_t: Decimal = Decimal(0)
    water_t: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        for name in BENEFIT_INDICATORS:
            value = getattr(self, name)
            if not value.is_finite() or value < 0:
                raise _refuse(f"{name} must be a finite number of tonnes, zero or more, got {value}", name)

    def scaled(self, factor: Decimal) -> Benefits:
        """Every indicator multiplied by ``factor``."""
        with localcontext() as context:
            context.prec = PRECISION
            return Benefits(**{name: getattr(self, name) * factor for name in BENEFIT_INDICATORS})


def project_share(loan_fen: int, project_total_investment_fen: int) -> Decimal:
    """A loan's share of its project: loan ÷ the project's total investment (PBoC rule)."""
    if project_total_investment_fen <= 0:
        raise _refuse("the project's total investment must be positive", "project_total_investment_fen")
    if not 0 <= loan_fen <= project_total_investment_fen:
        raise _refuse(
            f"the loan ({loan_fen} fen) must be between 0 and the project's total investment "
            f"({project_total_investment_fen} fen)",
            "loan_fen",
        )
    return _quotient(loan_fen, project_total_investment_fen)


def attributed_benefits(project: Benefits, *, loan_fen: int, project_total_investment_fen: int) -> Benefits:
    """The part of a project's annual benefits attributed to one loan: × loan ÷ total investment."""
    return project.scaled(project_share(loan_fen, project_total_investment_fen))


def sum_benefits(items: Iterable[Benefits]) -> Benefits:
    """Indicator by indicator sum, for a bank, a category or a region."""
    totals = dict.fromkeys(BENEFIT_INDICATORS, Decimal(0))
    for item in items:
        for name in BENEFIT_INDICATORS:
            totals[name] += getattr(item, name)
    return Benefits(**totals)


# ---------------------------------------------------------------------------- financed emissions (PCAF)

AssetClass = Literal[
    "business_loan",
    "listed_equity",
    "corporate_bond",
    "project_finance",
    "commercial_real_estate",
    "mortgage",
    "motor_vehicle",
]
ASSET_CLASSES: tuple[str, ...] = get_args(AssetClass)

DENOMINATORS: Mapping[str, str] = {
    "business_loan": "total equity + debt of the borrower (EVIC when it is listed)",
    "listed_equity": "EVIC (market capitalisation + book value of debt + minorities; cash not deducted)",
    "corporate_bond": "EVIC (equity + debt for a bond of a private company)",
    "project_finance": "total equity + debt of the project (total financing at the start)",
    "commercial_real_estate": "property value at origination",
    "mortgage": "property value at origination",
    "motor_vehicle": "vehicle value at origination",
}
"""What each asset class attributes by (PCAF Part A 2nd ed., §5.1–5.6)."""

Attribution = Literal["pcaf", "pboc"]
ATTRIBUTIONS: Mapping[str, str] = {
    "pcaf": "PCAF Part A 2nd ed.: outstanding ÷ the asset class's denominator (DENOMINATORS)",
    "pboc": "PBoC project rule (碳减排支持工具, 银发〔2021〕278号): loan ÷ the project's total investment",
}
"""The named attribution methods: PCAF's, and the PBoC's project share offered beside it."""


def company_value(total_equity: Decimal, total_debt: Decimal) -> Decimal:
    """Total equity + debt of a private company or project; negative equity counts as 0 (PCAF fn 90, 121)."""
    if total_debt < 0:
        raise _refuse("total debt cannot be negative", "total_debt")
    return max(total_equity, Decimal(0)) + total_debt


def evic(
    *, ordinary_market_cap: Decimal, preferred_market_cap: Decimal, total_debt: Decimal, minorities: Decimal
) -> Decimal:
    """Enterprise value including cash: both market capitalisations + book debt + minorities, cash kept."""
    parts = (ordinary_market_cap, preferred_market_cap, total_debt, minorities)
    if any(part < 0 for part in parts):
        raise _refuse("the parts of EVIC cannot be negative", "evic")
    return sum(parts, Decimal(0))


@dataclass(frozen=True, slots=True)
class Exposure:
    """One loan or investment: outstanding and denominator in one currency, emissions in tCO2e a year.

    ``denominator`` None is allowed only for a motor-vehicle loan whose vehicle value at
    origination is unknown (PCAF: assume 100 % attribution).
    """

    id: str | int
    asset_class: AssetClass
    outstanding: Decimal
    denominator: Decimal | None
    scope1_t: Decimal
    scope2_t: Decimal
    scope3_t: Decimal | None = None
    removals_t: Decimal | None = None
    data_quality: int | None = None
    credits_retired_t: Decimal | None = None
    credits_generated_t: Decimal | None = None
    attribution: Attribution = "pcaf"


@dataclass(frozen=True, slots=True)
class FinancedEmissions:
    """An exposure's attribution factor and its attributed emissions (tCO2e), unrounded."""

    id: str | int
    asset_class: AssetClass
    outstanding: Decimal
    attribution_factor: Decimal
    capped: bool
    scope1_t: Decimal
    scope2_t: Decimal
    scope3_t: Decimal | None
    removals_t: Decimal | None
    data_quality: int | None
    credits_retired_t: Decimal | None = None
    credits_generated_t: Decimal | None = None
    attribution: Attribution = "pcaf"


def attribution_factor(
    asset_class: AssetClass, outstanding: Decimal, denominator: Decimal | None, attribution: Attribution = "pcaf"
) -> tuple[Decimal, bool]:
    """Attribution factor outstanding ÷ denominator, capped at 1; also whether the cap applied.

    Under ``pboc`` the denominator is the financed project's total investment, for every asset
    class (the PBoC's rule, ``ATTRIBUTIONS``). Under ``pcaf`` it is the asset class's own
    (``DENOMINATORS``); a motor-vehicle loan without a vehicle value is attributed 100 % (PCAF §5.6). The 2nd
    edition states no cap for the other classes, but its attribution principle (§4.2) splits
    100 % of emissions over all equity and debt providers, so one exposure above its
    denominator is capped at 1 and flagged (docs/methodology/stats.md, "the cap").
    """
    if asset_class not in ASSET_CLASSES:
        raise _refuse(f"unknown asset class {asset_class!r}", "asset_class")
    if attribution not in ATTRIBUTIONS:
        raise _refuse(f"unknown attribution {attribution!r}; known: {', '.join(ATTRIBUTIONS)}", "attribution")
    if outstanding < 0:
        raise _refuse("the outstanding amount cannot be negative", "outstanding")
    if denominator is None:
        if attribution == "pboc":
            raise _refuse("the PBoC rule needs the project's total investment as the denominator", "denominator")
        if asset_class != "motor_vehicle":
            raise _refuse(f"{asset_class} needs a denominator: {DENOMINATORS[asset_class]}", "denominator")
        return Decimal(1), False
    if denominator <= 0:
        raise _refuse("the denominator must be positive", "denominator")
    factor = _quotient(outstanding, denominator)
    if factor > 1:
        return Decimal(1), True
    return factor, False


def financed_emissions(exposure: Exposure) -> FinancedEmissions:
    """Attribution factor × each scope, the removals and the carbon credits of one exposure, kept apart.

    Credits retired or generated by the borrower are attributed with the same factor
    (PCAF §5.1–5.3) and never deducted from emissions.
    """
    factor, capped = attribution_factor(
        exposure.asset_class, exposure.outstanding, exposure.denominator, exposure.attribution
    )
    if exposure.data_quality is not None and not 1 <= exposure.data_quality <= 5:
        raise _refuse("the PCAF data-quality score is 1 (best) to 5", "data_quality")
    with localcontext() as context:
        context.prec = PRECISION
        return FinancedEmissions(
            id=exposure.id,
            asset_class=exposure.asset_class,
            outstanding=exposure.outstanding,
            attribution_factor=factor,
            capped=capped,
            scope1_t=factor * exposure.scope1_t,
            scope2_t=factor * exposure.scope2_t,
            scope3_t=None if exposure.scope3_t is None else factor * exposure.scope3_t,
            removals_t=None if exposure.removals_t is None else factor * exposure.removals_t,
            data_quality=exposure.data_quality,
            credits_retired_t=None if exposure.credits_retired_t is None else factor * exposure.credits_retired_t,
            credits_generated_t=None if exposure.credits_generated_t is None else factor * exposure.credits_generated_t,
            attribution=exposure.attribution,
        )


@dataclass(frozen=True, slots=True)
class PortfolioTotals:
    """Sums over a portfolio in tCO2e; scope 3 and removals sum only the exposures that give them."""

    scope1_t: Decimal
    scope2_t: Decimal
    scope3_t: Decimal
    removals_t: Decimal
    scope3_reported: int = field(default=0)
    credits_retired_t: Decimal = Decimal(0)
    credits_generated_t: Decimal = Decimal(0)


def portfolio_totals(items: Iterable[FinancedEmissions]) -> PortfolioTotals:
    """Scope 1, 2, 3, removals and carbon credits summed apart (PCAF: never netted)."""
    scope1 = scope2 = scope3 = removals = retired = generated = Decimal(0)
    reported = 0
    for item in items:
        scope1 += item.scope1_t
        scope2 += item.scope2_t
        if item.scope3_t is not None:
            scope3 += item.scope3_t
            reported += 1
        if item.removals_t is not None:
            removals += item.removals_t
        if item.credits_retired_t is not None:
            retired += item.credits_retired_t
        if item.credits_generated_t is not None:
            generated += item.credits_generated_t
    return PortfolioTotals(scope1, scope2, scope3, removals, reported, retired, generated)


def weighted_data_quality(pairs: Iterable[tuple[Decimal, int]]) -> Decimal | None:
    """PCAF Box 8: Σ outstanding × score ÷ Σ outstanding, over (outstanding, score) pairs.

    None when there is nothing to weigh (no pair, or every outstanding is zero).
    """
    weighted = total = Decimal(0)
    for outstanding, score in pairs:
        if not 1 <= score <= 5:
            raise _refuse("the PCAF data-quality score is 1 (best) to 5", "data_quality")
        weighted += outstanding * score
        total += outstanding
    return _quotient(weighted, total) if total > 0 else None


CORPORATE_CLASSES: tuple[str, ...] = ("listed_equity", "corporate_bond", "business_loan", "project_finance")


@dataclass(frozen=True)
class DataQualityTable:
    """PCAF's data-quality score of each (asset class, option), and greenfin's sources read onto options."""

    version: str
    scores: Mapping[tuple[str, str], int]
    sources: Mapping[str, str]

    def score(self, asset_class: str, option: str) -> int:
        """The score of one option of an asset class's table (e.g. business_loan 3a → 4)."""
        found = self.scores.get((asset_class, option))
        if found is None:
            raise _refuse(f"PCAF has no option {option!r} for {asset_class}", "option")
        return found

    def mixed_score(self, asset_class: str, options: Iterable[str]) -> int:
        """A line estimated with several options takes the lowest-rated one's score (PCAF §5.6)."""
        scores = [self.score(asset_class, option) for option in options]
        if not scores:
            raise _refuse("a score needs at least one option", "option")
        return max(scores)

    def score_for_source(self, asset_class: str, kind: str) -> int:
        """The score of emissions from one of greenfin's sources (audited, metered, declared, sector…)."""
        if asset_class not in CORPORATE_CLASSES:
            raise _refuse(f"greenfin's sources are read onto the corporate classes, not {asset_class}", "asset_class")
        option = self.sources.get(kind)
        if option is None:
            raise _refuse(f"unknown data source {kind!r}; known: {', '.join(self.sources)}", "kind")
        return self.score(asset_class, option)


# ---------------------------------------------------------------------------- green use catalogues

Relation = Literal["exact", "broader", "narrower", "overlap"]


@dataclass(frozen=True, slots=True)
class GreenUseCategory:
    """One entry of a green use catalogue: its code, name, level (1 = top) and parent code."""

    version: str
    code: str
    name: str
    level: int
    parent: str | None
    confidence: Literal["H", "M", "L"]
    name_en: str | None = None  # where the catalogue file gives one (the top levels)


@dataclass(frozen=True)
class GreenUseCatalogue:
    """One version of a green use catalogue (e.g. 绿色产业指导目录 2019) as a tree of codes."""

    version: str
    title: str
    document: str
    source: str
    categories: tuple[GreenUseCategory, ...]
    _by_code: dict[str, GreenUseCategory] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_code", {c.code: c for c in self.categories})

    def get(self, code: str) -> GreenUseCategory:
        """The category ``code``, or InvalidInput naming the version."""
        found = self._by_code.get(code)
        if found is None:
            raise _refuse(f"code {code!r} is not in green use catalogue {self.version}", "code")
        return found

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def ancestors(self, code: str) -> tuple[GreenUseCategory, ...]:
        """The category's ancestors from the top level down, without the category itself."""
        chain: list[GreenUseCategory] = []
        parent = self.get(code).parent
        while parent is not None:
            found = self.get(parent)
            chain.append(found)
            parent = found.parent
        return tuple(reversed(chain))

    def children(self, code: str | None) -> tuple[GreenUseCategory, ...]:
        """The categories directly below ``code`` (the top level for None), in catalogue order."""
        if code is not None:
            self.get(code)
        return tuple(c for c in self.categories if c.parent == code)

    def top_level(self, code: str) -> GreenUseCategory:
        """The level-1 category a code belongs to."""
        chain = self.ancestors(code)
        return chain[0] if chain else self.get(code)


@dataclass(frozen=True, slots=True)
class MappingEntry:
    """One published or derived correspondence between a code of one version and one of another."""

    source_code: str
    target_code: str
    relation: Relation
    confidence: Literal["H", "M", "L"]


@dataclass(frozen=True, slots=True)
class MappedCategory:
    """A code's counterpart in another version, with how their scopes relate."""

    category: GreenUseCategory
    relation: Relation
    via: tuple[str, ...]
    confidence: Literal["H", "M", "L"]


_CONFIDENCE_ORDER = {"H": 0, "M": 1, "L": 2}


def _compose(first: Relation, second: Relation) -> Relation:
    if first == "exact":
        return second
    if second == "exact" or first == second:
        return first
    return "overlap"


def _weaker(first: Literal["H", "M", "L"], second: Literal["H", "M", "L"]) -> Literal["H", "M", "L"]:
    return first if _CONFIDENCE_ORDER[first] >= _CONFIDENCE_ORDER[second] else second


@dataclass(frozen=True)
class CatalogueSet:
    """Every loaded catalogue version and the mappings between pairs of versions."""

    catalogues: Mapping[str, GreenUseCatalogue]
    mappings: Mapping[tuple[str, str], tuple[MappingEntry, ...]]

    def catalogue(self, version: str) -> GreenUseCatalogue:
        """The catalogue ``version``, or InvalidInput listing the known versions."""
        found = self.catalogues.get(version)
        if found is None:
            known = ", ".join(sorted(self.catalogues))
            raise _refuse(f"unknown green use catalogue {version!r}; known: {known}", "version")
        return found

    def _direct(self, source: str, target: str, code: str) -> list[tuple[str, Relation, Literal["H", "M", "L"]]]:
        entries = self.mappings.get((source, target))
        if entries is not None:
            return [(e.target_code, e.relation, e.confidence) for e in entries if e.source_code == code]
        back = self.mappings.get((target, source), ())
        inverse: dict[Relation, Relation] = {"broader": "narrower", "narrower": "broader"}
        return [
            (e.source_code, inverse.get(e.relation, e.relation), e.confidence) for e in back if e.target_code == code
        ]

    def _route(self, source: str, target: str) -> tuple[str, ...] | None:
        """The shortest chain of versions linked by mappings, from source to target."""
        links: dict[str, set[str]] = {}
        for a, b in self.mappings:
            links.setdefault(a, set()).add(b)
            links.setdefault(b, set()).add(a)
        paths: list[tuple[str, ...]] = [(source,)]
        seen = {source}
        while paths:
            path = paths.pop(0)
            if path[-1] == target:
                return path
            for step in sorted(links.get(path[-1], ())):
                if step not in seen:
                    seen.add(step)
                    paths.append((*path, step))
        return None

    def map_code(self, code: str, *, source: str, target: str) -> tuple[MappedCategory, ...]:
        """The counterparts of ``code`` in version ``target``, following mappings through versions.

        A code without a mapping of its own is mapped through its nearest mapped ancestor
        (the counterpart is then at best ``broader``). Empty when nothing corresponds.
        """
        self.catalogue(source).get(code)
        self.catalogue(target)
        if source == target:
            return (MappedCategory(self.catalogue(source).get(code), "exact", (source,), "H"),)
        route = self._route(source, target)
        if route is None:
            raise _refuse(f"no mapping links {source} and {target}", "target")
        frontier: list[tuple[str, Relation, Literal["H", "M", "L"]]] = [(code, "exact", "H")]
        for here, there in itertools.pairwise(route):
            frontier = [
                (mapped, _compose(relation, step), _weaker(confidence, step_confidence))
                for current, relation, confidence in frontier
                for mapped, step, step_confidence in self._mapped_or_ancestor(here, there, current)
            ]
        best: dict[str, tuple[Relation, Literal["H", "M", "L"]]] = {}
        for mapped, relation, confidence in frontier:
            best.setdefault(mapped, (relation, confidence))
        catalogue = self.catalogue(target)
        return tuple(MappedCategory(catalogue.get(c), r, route, conf) for c, (r, conf) in best.items())

    def _mapped_or_ancestor(
        self, source: str, target: str, code: str
    ) -> list[tuple[str, Relation, Literal["H", "M", "L"]]]:
        direct = self._direct(source, target, code)
        if direct:
            return direct
        for ancestor in reversed(self.catalogue(source).ancestors(code)):
            found = self._direct(source, target, ancestor.code)
            if found:
                return [(mapped, _compose("broader", relation), confidence) for mapped, relation, confidence in found]
        return []
