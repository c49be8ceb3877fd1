"""Valuing ecological assets: the income, market-comparison and replacement-cost approaches,
the ecosystem-service value (GEP) and the loan-to-value cap — pure rules over Decimals.

**Income approach (收益现值法).** An asset that yields the same net income ``A`` every year
for ``n`` more years is worth the present value of that annuity at the rate ``r``::

    E = K × A × [(1 + r)^n − 1] / [r × (1 + r)^n]        (r = 0: E = K × A × n)

``A`` is the yearly net income at full bearing: ``yield × price − costs`` when those are
given; ``K`` the stand-quality factor (stand yield ÷ reference yield, 1 unless known).
Worked example (a textbook exercise of the 资产评估师 examination): a 100-亩 jujube orchard,
net income 8,700 − 3,500 = 5,200 元/亩 a year, 76 bearing years left, r = 10 %::

    >>> income_value(IncomeInput(annual_net_income=Decimal(5200), years=76, rate=Decimal("0.1"),
    ...                          area_mu=Decimal(100))).value
    Decimal('5196283.28')

**Market comparison (市场比较法).** Each recorded transfer's per-亩 price is corrected for
how it differs from the subject — transaction circumstances, transaction date, regional
and individual factors — each correction a ratio ``subject index / comparable index`` (for
example ``100/96``); the corrected prices are averaged and multiplied by the subject's area.

**Replacement cost (重置成本法).** ``E = K × α × C``: the cost ``C`` of establishing the same
stand today, times the quality factor ``K`` and the condition factor ``α`` (成新率). For a
bearing orchard ``α = 1 − (n − m) / (u − m)`` with ``n`` its age, ``m`` the year full bearing
starts and ``u`` its economic life (a 20-year tea-oil stand, m = 10, u = 50: α = 0.75).

**Ecosystem-service value (GEP, 生态产品总值).** The yearly quantity of each service —
water retained, soil retained, CO₂ fixed, O₂ released … — times its unit price (shadow
project, replacement cost, market price), summed. It is shown beside the money value and is
never a loan basis by itself.

**Loan-to-value.** A pledge is capped at a share of the appraised value (forest right
60 %) or at a multiple of a yearly income (ecological compensation right 5×), by kind.

Every figure is rounded once, at the end, to the fen (half up); intermediate results keep
40 significant digits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from greenfin.errors import InvalidInput

FEN = Decimal("0.01")
PRECISION = 40
MAX_YEARS = 200
"""The longest remaining term the income approach accepts (years)."""

ASSET_KINDS: tuple[str, ...] = (
    "orchard",
    "forest_right",
    "tea_garden",
    "water_right",
    "idle_farmhouse",
    "collective_construction_land",
    "land_contract_right",
    "carbon_sink",
)
"""The kinds of ecological asset the Two Mountains Bank registers."""

CONFIDENCES: tuple[str, ...] = ("H", "M", "L")
"""H: official text or several sources agree; M: one secondary source; L: weak or greenfin's choice."""

MARKET_FACTORS: tuple[str, ...] = ("transaction", "date", "regional", "individual", "term")
"""Corrections of a comparable, in the order the textbooks write them (交易情况, 交易日期,
区域因素, 个别因素, 年期)."""


def _invalid(field_name: str, reason: str) -> InvalidInput:
    return InvalidInput(f"{field_name}: {reason}", errors=[{"field": field_name, "reason": reason}])


def to_fen(value: Decimal) -> Decimal:
    """``value`` yuan rounded half up to the fen."""
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def yuan_to_fen(value: Decimal) -> int:
    """Yuan (already at most two decimals after rounding) as integer fen."""
    return int(to_fen(value) * 100)


# --- income approach ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IncomeInput:
    """What the income approach needs; either ``annual_net_income`` or yield, price (and costs)."""

    years: int
    rate: Decimal
    annual_net_income: Decimal | None = None
    annual_yield: Decimal | None = None
    unit_price: Decimal | None = None
    annual_costs: Decimal = Decimal(0)
    quality_factor: Decimal = Decimal(1)
    area_mu: Decimal | None = None  # when given, the income figures are per 亩


@dataclass(frozen=True, slots=True)
class IncomeValuation:
    value: Decimal  # yuan, to the fen
    annual_net_income: Decimal  # A of the whole asset, yuan a year (to the fen)
    annuity_factor: Decimal  # [(1+r)^n − 1] / [r (1+r)^n], 6 decimals (for display)
    formula: str


INCOME_FORMULA = "E = K × A × [(1+r)^n − 1] / [r × (1+r)^n]"


def annuity_factor(rate: Decimal, years: int) -> Decimal:
    """The present value of 1 a year for ``years`` years at ``rate`` (``years`` when the rate is 0)."""
    if rate == 0:
        return Decimal(years)
    with localcontext() as ctx:
        ctx.prec = PRECISION
        growth = (1 + rate) ** years
        return (growth - 1) / (rate * growth)


def net_income(item: IncomeInput) -> Decimal:
    """A: the given yearly net income, or yield × price − costs."""
    if item.annual_net_income is not None:
        return item.annual_net_income
    if item.annual_yield is None or item.unit_price is None:
        raise _invalid("annual_net_income", "give annual_net_income, or annual_yield and unit_price (and annual_costs)")
    return item.annual_yield * item.unit_price - item.annual_costs


def _check_income(item: IncomeInput) -> None:
    if isinstance(item.years, bool) or not isinstance(item.years, int) or not 1 <= item.years <= MAX_YEARS:
        raise _invalid("years", f"must be a whole number of years from 1 to {MAX_YEARS}")
    if not 0 <= item.rate < 1:
        raise _invalid("rate", "must be a fraction from 0 up to (not including) 1, e.g. 0.08 for 8 %")
    if item.quality_factor <= 0:
        raise _invalid("quality_factor", "must be greater than 0")
    if item.area_mu is not None and item.area_mu <= 0:
        raise _invalid("area_mu", "must be greater than 0")
    for name in ("annual_yield", "unit_price", "annual_costs"):
        value = getattr(item, name)
        if value is not None and value < 0:
            raise _invalid(name, "must not be negative")


def income_value(item: IncomeInput) -> IncomeValuation:
    """The income-approach value of an asset (see the module's worked example)."""
    _check_income(item)
    income = net_income(item)
    if income < 0:
        raise _invalid("annual_net_income", "is negative: the income approach does not apply (use cost)")
    with localcontext() as ctx:
        ctx.prec = PRECISION
        whole = income * (item.area_mu if item.area_mu is not None else 1)
        factor = annuity_factor(item.rate, item.years)
        value = item.quality_factor * whole * factor
    return IncomeValuation(
        value=to_fen(value),
        annual_net_income=to_fen(whole),
        annuity_factor=factor.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP),
        formula=INCOME_FORMULA if item.rate else "E = K × A × n (r = 0)",
    )


# --- market comparison -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ratio:
    """A correction written as ``subject index / comparable index`` (``100/96``) or a plain number."""

    numerator: Decimal
    denominator: Decimal = Decimal(1)


@dataclass(frozen=True, slots=True)
class Comparable:
    """A recorded transfer: its price per 亩 (yuan) and its corrections by factor name."""

    price_per_mu: Decimal
    corrections: Mapping[str, Ratio] = field(default_factory=dict)
    weight: Decimal = Decimal(1)
    reference: str = ""


@dataclass(frozen=True, slots=True)
class MarketValuation:
    value: Decimal  # yuan, to the fen
    price_per_mu: Decimal  # the weighted mean of the corrected prices, to the fen
    corrected: tuple[Decimal, ...]  # each comparable's corrected price per 亩, to the fen
    formula: str


MARKET_FORMULA = "P_i = P_i' × 交易情况 × 交易日期 × 区域因素 × 个别因素 (× 年期); E = area × Σ w_i P_i / Σ w_i"


def parse_ratio(value: Any, field_name: str) -> Ratio:
    """A correction from ``"100/96"``, a number, or a Decimal."""
    try:
        if isinstance(value, str) and "/" in value:
            top, bottom = value.split("/", 1)
            ratio = Ratio(Decimal(top.strip()), Decimal(bottom.strip()))
        elif isinstance(value, bool):
            raise ValueError
        else:
            ratio = Ratio(Decimal(str(value)))
    except (ArithmeticError, ValueError) as exc:
        raise _invalid(field_name, "must be a number or a ratio such as '100/96'") from exc
    if not (ratio.numerator.is_finite() and ratio.denominator.is_finite()) or ratio.numerator <= 0:
        raise _invalid(field_name, "must be greater than 0")
    if ratio.denominator <= 0:
        raise _invalid(field_name, "the index below the line must be greater than 0")
    return ratio


def corrected_price(item: Comparable) -> Decimal:
    """A comparable's price per 亩 after every correction (unrounded)."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        top, bottom = item.price_per_mu, Decimal(1)
        for ratio in item.corrections.values():
            top *= ratio.numerator
            bottom *= ratio.denominator
        return top / bottom


def market_value(
    comparables: Sequence[Comparable], *, area_mu: Decimal, max_correction: Decimal | None = None
) -> MarketValuation:
    """The market-comparison value: corrected per-亩 prices averaged (weighted), times the area.

    ``max_correction`` bounds how far the corrections may move a recorded price (0.3: 30 %);
    a transfer that needs more is not comparable and is refused.
    """
    if not comparables:
        raise _invalid("comparables", "at least one recorded transfer is needed (three are usual)")
    if area_mu <= 0:
        raise _invalid("area_mu", "must be greater than 0")
    corrected = []
    for index, item in enumerate(comparables):
        where = f"comparables[{index}]"
        if item.price_per_mu <= 0:
            raise _invalid(f"{where}.price_per_mu", "must be greater than 0")
        if item.weight <= 0:
            raise _invalid(f"{where}.weight", "must be greater than 0")
        unknown = sorted(set(item.corrections) - set(MARKET_FACTORS))
        if unknown:
            raise _invalid(f"{where}.{unknown[0]}", f"unknown correction; known: {', '.join(MARKET_FACTORS)}")
        price = corrected_price(item)
        if max_correction is not None and abs(price / item.price_per_mu - 1) > max_correction:
            raise _invalid(
                where, f"the corrections move the price by more than {max_correction:%}: not a comparable transfer"
            )
        corrected.append(price)
    with localcontext() as ctx:
        ctx.prec = PRECISION
        weights = sum((item.weight for item in comparables), Decimal(0))
        mean = sum((p * item.weight for p, item in zip(corrected, comparables, strict=True)), Decimal(0)) / weights
        value = mean * area_mu
    return MarketValuation(
        value=to_fen(value),
        price_per_mu=to_fen(mean),
        corrected=tuple(to_fen(p) for p in corrected),
        formula=MARKET_FORMULA,
    )


# --- replacement cost --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CostInput:
    """Replacement cost per 亩 (or of the whole asset when ``area_mu`` is None) and the factors.

    The condition factor is either given or derived from a bearing stand's age, the year its
    full bearing starts and its economic life.
    """

    replacement_cost: Decimal
    condition_factor: Decimal | None = None
    age_years: int | None = None
    bearing_start_year: int | None = None
    economic_life_years: int | None = None
    quality_factor: Decimal = Decimal(1)
    area_mu: Decimal | None = None


@dataclass(frozen=True, slots=True)
class CostValuation:
    value: Decimal
    condition_factor: Decimal  # α, 6 decimals
    formula: str


COST_FORMULA = "E = K × α × C"


def condition_factor(*, age: int, bearing_start: int, economic_life: int) -> Decimal:
    """成新率 of a bearing stand: 1 − (n − m) / (u − m); 1 before full bearing, 0 past its life."""
    if not 0 <= bearing_start < economic_life:
        raise _invalid("bearing_start_year", "must be at least 0 and below economic_life_years")
    if age < 0:
        raise _invalid("age_years", "must not be negative")
    if age <= bearing_start:
        return Decimal(1)
    if age >= economic_life:
        return Decimal(0)
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return 1 - Decimal(age - bearing_start) / Decimal(economic_life - bearing_start)


def cost_value(item: CostInput) -> CostValuation:
    """The replacement-cost value ``K × α × C`` (times the area when ``C`` is per 亩)."""
    if item.replacement_cost < 0:
        raise _invalid("replacement_cost", "must not be negative")
    if item.quality_factor <= 0:
        raise _invalid("quality_factor", "must be greater than 0")
    if item.area_mu is not None and item.area_mu <= 0:
        raise _invalid("area_mu", "must be greater than 0")
    if item.condition_factor is not None:
        alpha = item.condition_factor
        if not 0 <= alpha <= 1:
            raise _invalid("condition_factor", "must lie between 0 and 1")
    elif None not in (item.age_years, item.bearing_start_year, item.economic_life_years):
        assert item.age_years is not None and item.bearing_start_year is not None
        assert item.economic_life_years is not None
        alpha = condition_factor(
            age=item.age_years, bearing_start=item.bearing_start_year, economic_life=item.economic_life_years
        )
    else:
        raise _invalid(
            "condition_factor", "give condition_factor, or age_years, bearing_start_year and economic_life_years"
        )
    with localcontext() as ctx:
        ctx.prec = PRECISION
        value = item.quality_factor * alpha * item.replacement_cost * (item.area_mu or 1)
    return CostValuation(
        value=to_fen(value),
        condition_factor=alpha.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP),
        formula=COST_FORMULA,
    )


# --- ecosystem-service value (GEP) ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServicePrice:
    """The unit price of one ecosystem service, with the confidence of its source."""

    service: str
    price: Decimal  # yuan per unit of quantity
    unit: str
    confidence: str


@dataclass(frozen=True, slots=True)
class ServiceValue:
    service: str
    quantity: Decimal
    unit: str
    price: Decimal
    value: Decimal  # yuan a year, to the fen
    quantity_source: str  # "given" or "default" (per 亩 rate of the methodology × area)
    confidence: str


@dataclass(frozen=True, slots=True)
class GepValuation:
    value_per_year: Decimal  # yuan a year, to the fen
    services: tuple[ServiceValue, ...]
    confidence: str  # the weakest of the numbers used
    formula: str


GEP_FORMULA = "GEP = Σ_i Q_i × P_i (per year)"


def weakest(confidences: Sequence[str]) -> str:
    """The lowest confidence among ``confidences`` (H > M > L)."""
    return max(confidences, key=CONFIDENCES.index) if confidences else "L"


def gep_value(
    *,
    prices: Mapping[str, ServicePrice],
    quantities: Mapping[str, Decimal],
    default_rates: Mapping[str, tuple[Decimal, str]],
    area_mu: Decimal,
) -> GepValuation:
    """The yearly ecosystem-service value: given quantities, else the per-亩 defaults × area.

    ``default_rates`` maps a service to (quantity per 亩 a year, its confidence); a service
    with neither a given quantity nor a default is left out.
    """
    if area_mu <= 0:
        raise _invalid("area_mu", "must be greater than 0")
    unknown = sorted(set(quantities) - set(prices))
    if unknown:
        raise _invalid(f"quantities.{unknown[0]}", f"unknown service; known: {', '.join(sorted(prices))}")
    rows: list[ServiceValue] = []
    with localcontext() as ctx:
        ctx.prec = PRECISION
        for service, price in prices.items():
            if service in quantities:
                quantity, source, confidence = quantities[service], "given", price.confidence
                if quantity < 0:
                    raise _invalid(f"quantities.{service}", "must not be negative")
            elif service in default_rates:
                rate, rate_confidence = default_rates[service]
                quantity, source = rate * area_mu, "default"
                confidence = weakest([price.confidence, rate_confidence])
            else:
                continue
            rows.append(
                ServiceValue(
                    service=service,
                    quantity=quantity,
                    unit=price.unit,
                    price=price.price,
                    value=to_fen(quantity * price.price),
                    quantity_source=source,
                    confidence=confidence,
                )
            )
    if not rows:
        raise _invalid("quantities", "no service quantity given and no default for this kind of asset")
    total = sum((row.value for row in rows), Decimal(0))
    return GepValuation(
        value_per_year=total,
        services=tuple(rows),
        confidence=weakest([row.confidence for row in rows]),
        formula=GEP_FORMULA,
    )


# --- loan-to-value ---------------------------------------------------------------------------

LTV_BASES: tuple[str, ...] = ("appraised_value", "yearly_income")
"""A cap is a share of the appraised value, or a multiple of a yearly income (compensation,
rent, carbon-sink value)."""


@dataclass(frozen=True, slots=True)
class LtvCap:
    kind: str
    basis: str
    ratio: Decimal  # a share (0.6) of the appraised value, or a multiple (5) of the yearly income
    confidence: str


def max_loan_fen(cap: LtvCap, *, appraised_value_fen: int | None = None, yearly_income_fen: int | None = None) -> int:
    """The largest loan (fen, rounded down) the cap allows on this basis."""
    basis_fen = appraised_value_fen if cap.basis == "appraised_value" else yearly_income_fen
    name = "appraised_value_fen" if cap.basis == "appraised_value" else "yearly_income_fen"
    if basis_fen is None:
        raise _invalid(name, f"the cap of {cap.kind} is set on {cap.basis}; give it")
    if basis_fen < 0:
        raise _invalid(name, "must not be negative")
    return int((Decimal(basis_fen) * cap.ratio).to_integral_value(rounding=ROUND_DOWN))


# --- pooled projects: dividends by household share ------------------------------------------------


def allocate_fen(amount_fen: int, shares: Sequence[int]) -> list[int]:
    """Split ``amount_fen`` in proportion to ``shares``, to the fen, summing exactly to the amount.

    Largest remainder: each holder gets the floor of its exact part; the fen left over go one
    each to the largest remainders (ties to the earlier holder). 100 fen over shares 1:1:1
    gives 34, 33, 33.
    """
    if amount_fen < 0:
        raise _invalid("amount_fen", "must not be negative")
    if not shares or any(share <= 0 for share in shares):
        raise _invalid("shares", "every holder needs a positive share")
    total = sum(shares)
    parts = [amount_fen * share // total for share in shares]
    remainders = sorted(range(len(shares)), key=lambda i: (-(amount_fen * shares[i] % total), i))
    for index in remainders[: amount_fen - sum(parts)]:
        parts[index] += 1
    return parts
