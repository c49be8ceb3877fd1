"""Emission calculation: quantity x factor, one line per energy record, never a float.

For each item (energy, quantity, unit) the rules pick the CO2 factor of the factor set —
for electricity by accounting year and grid region — and the standard-coal coefficient:

    tco2 = quantity in the factor's official unit x factor (tCO2 per official unit)
    tce  = quantity in the canonical unit x coefficient (kgce per canonical unit) / 1000

Worked example (Quzhou, 2023, cn-2024)::

    item                     official quantity   factor                 tCO2      tce
    natural_gas 15000 Nm3    1.5 x 10^4 Nm3      21.6219 tCO2/10^4 Nm3  32.43285  19.95
    electricity 2 MWh        2 MWh               0.4974 tCO2/MWh (浙江)  0.9948    0.2458

Region: a GB/T 2260 division code (``330881``) or its province prefix (``33``) picks the
set's grid list for that province (Zhejiang: zhejiang, east_china, national) and the first
grid with a factor applies; the words ``national``, ``east_china``, ``zhejiang`` name a
grid directly. Year: the factor published for the accounting year; a year after the newest
published value uses the newest, a year before the oldest uses the oldest, and the line
says so in ``assumption``.

A batch never fails as a whole: :func:`calculate` answers every item, in order, with a
:class:`LineResult` or a :class:`LineError`. Values are exact Decimals; round only for
display with :func:`round_tco2` / :func:`round_tce` (6 places, half-even).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from greenfin.carbon.factors import Energy, FactorSet, GridFactor
from greenfin.carbon.units import (
    MAX_MG_PER_UNIT,
    parse_quantity,
    parse_unit,
    unit_by_symbol,
)
from greenfin.errors import GreenfinError, InvalidInput

MIN_YEAR = 1990
MAX_YEAR = 2100

#: GB/T 2260 province-level codes (the first two digits of every division code).
PROVINCES: frozenset[str] = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37"}
    | {"41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64"}
    | {"65", "71", "81", "82"}
)

_OUTPUT_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class CalculationItem:
    """One energy record to calculate; ``quantity`` is a Decimal, an int or a numeric string."""

    energy: str
    quantity: Decimal | int | str
    unit: str


@dataclass(frozen=True)
class AppliedFactor:
    """The CO2 factor applied to an energy, with where it came from."""

    energy: str
    value: Decimal
    unit: str
    source: str
    grid: str | None = None
    year: int | None = None
    assumption: str | None = None


@dataclass(frozen=True)
class LineResult:
    """The emissions and energy of one item, with the factor that produced them."""

    index: int
    energy: str
    quantity: Decimal
    unit: str
    canonical_quantity: Decimal
    canonical_unit: str
    factor: Decimal
    factor_unit: str
    source: str
    factor_set: str
    tco2: Decimal
    tce: Decimal
    tce_coefficient: Decimal
    tce_coefficient_unit: str
    tce_source: str
    grid: str | None = None
    factor_year: int | None = None
    assumption: str | None = None


@dataclass(frozen=True)
class LineError:
    """Why one item was refused; ``field`` is energy, quantity or unit."""

    index: int
    field: str
    error: str


@dataclass(frozen=True)
class Totals:
    """Sums over the calculated lines (exact), and how many lines were refused."""

    tco2: Decimal
    tce: Decimal
    lines: int
    errors: int


@dataclass(frozen=True)
class Region:
    """A resolved region: what was asked and the grids tried, most specific first."""

    code: str
    province: str | None
    grids: tuple[str, ...]


@dataclass(frozen=True)
class FactorRow:
    """Integer factors for set-based SQL: milligrams of CO2 and of coal equivalent per canonical
    unit, so that ``emissions_g = quantity_milli * co2_mg_per_unit / 1_000_000``."""

    energy: str
    year: int
    co2_mg_per_unit: int
    ce_mg_per_unit: int


def _invalid(field: str, reason: str) -> InvalidInput:
    return InvalidInput(reason, errors=[{"field": field, "reason": reason}])


def check_year(year: object) -> int:
    """The accounting year, refused unless an integer from 1990 to 2100."""
    if isinstance(year, bool) or not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        raise _invalid("year", f"year must be an integer from {MIN_YEAR} to {MAX_YEAR}; got {year}")
    return year


def resolve_region(region: object, factor_set: FactorSet) -> Region:
    """The grids that apply to a division code, a province prefix or a grid word."""
    words = ", ".join(factor_set.grids)
    if not isinstance(region, str) or not region.strip():
        raise _invalid("region", f"a region is required: a GB/T 2260 code or one of {words}")
    code = region.strip()
    if code in factor_set.grids:
        tail = tuple(g for g in factor_set.default_grids if g != code)
        return Region(code, None, (code, *tail))
    if not (code.isascii() and code.isdigit() and len(code) in (2, 6)):
        raise _invalid(
            "region",
            f"unknown region {region!r}; give a 6-digit GB/T 2260 code, "
            f"a 2-digit province code (e.g. 33) or one of {words}",
        )
    province = code[:2]
    if province not in PROVINCES:
        raise _invalid("region", f"unknown region {region!r}: {province} is no GB/T 2260 province")
    return Region(code, province, factor_set.province_grids.get(province, factor_set.default_grids))


def grid_factor(factor_set: FactorSet, *, year: int, region: str) -> tuple[GridFactor, str | None]:
    """The electricity factor for an accounting year and region, and the assumption made."""
    check_year(year)
    resolved = resolve_region(region, factor_set)
    for grid in resolved.grids:
        published = factor_set.grid_factors(grid)
        if not published:
            continue
        exact = next((f for f in published if f.year == year), None)
        if exact is not None:
            return exact, None
        if year > published[-1].year:
            chosen = published[-1]
            word = "newest"
        else:
            chosen = published[0]
            word = "oldest"
        note = f"no {year} electricity factor published for {grid}; the {word} ({chosen.year}) applies"
        return chosen, note
    raise GreenfinError(f"factor set {factor_set.version} has no electricity factor for {region}")


def co2_factor(factor_set: FactorSet, energy: str, *, year: int, region: str) -> AppliedFactor:
    """The CO2 factor of ``energy`` for an accounting year and region."""
    spec = factor_set.energy(energy)
    if spec.method == "grid":
        chosen, assumption = grid_factor(factor_set, year=year, region=region)
        return AppliedFactor(
            spec.key,
            chosen.value,
            spec.factor_unit,
            chosen.source,
            grid=chosen.grid,
            year=chosen.year,
            assumption=assumption,
        )
    if spec.factor is None:  # pragma: no cover - the loader guarantees a factor
        raise GreenfinError(f"energy {spec.key} has no factor")
    return AppliedFactor(spec.key, spec.factor, spec.factor_unit, spec.source)


def _line(
    index: int,
    item: CalculationItem,
    spec: Energy,
    applied: AppliedFactor,
    factor_set: FactorSet,
) -> LineResult:
    quantity = parse_quantity(item.quantity)
    unit = parse_unit(item.unit, spec.kind, energy=spec.key)
    canonical = quantity * unit.per_canonical
    official = canonical / unit_by_symbol(spec.unit).per_canonical
    coal = spec.standard_coal
    return LineResult(
        index=index,
        energy=spec.key,
        quantity=quantity,
        unit=unit.symbol,
        canonical_quantity=canonical,
        canonical_unit=spec.canonical_unit,
        factor=applied.value,
        factor_unit=applied.unit,
        source=applied.source,
        factor_set=factor_set.version,
        tco2=official * applied.value,
        tce=canonical * coal.value / 1000,
        tce_coefficient=coal.value,
        tce_coefficient_unit=coal.unit,
        tce_source=coal.source,
        grid=applied.grid,
        factor_year=applied.year,
        assumption=applied.assumption,
    )


def calculate(
    items: Sequence[CalculationItem], *, year: int, region: str, factor_set: FactorSet
) -> list[LineResult | LineError]:
    """One LineResult or LineError per item, in order; year and region apply to all."""
    check_year(year)
    resolve_region(region, factor_set)
    answers: list[LineResult | LineError] = []
    for index, item in enumerate(items):
        try:
            spec = factor_set.energy(item.energy)
            applied = co2_factor(factor_set, spec.key, year=year, region=region)
            answers.append(_line(index, item, spec, applied, factor_set))
        except InvalidInput as exc:
            field = str(exc.errors[0].get("field", "item")) if exc.errors else "item"
            answers.append(LineError(index, field, exc.detail))
    return answers


def totals(results: Iterable[LineResult | LineError]) -> Totals:
    """Exact sums of tCO2 and tce over the results, counting lines and errors."""
    tco2 = tce = Decimal(0)
    lines = errors = 0
    for result in results:
        if isinstance(result, LineError):
            errors += 1
        else:
            lines += 1
            tco2 += result.tco2
            tce += result.tce
    return Totals(tco2, tce, lines, errors)


def round_tco2(value: Decimal) -> Decimal:
    """tCO2 for display: 6 decimal places (1 g), half-even."""
    return value.quantize(_OUTPUT_PLACES, rounding=ROUND_HALF_EVEN)


def round_tce(value: Decimal) -> Decimal:
    """tce for display: 6 decimal places (1 g of coal equivalent), half-even."""
    return value.quantize(_OUTPUT_PLACES, rounding=ROUND_HALF_EVEN)


def _mg(value: Decimal) -> int:
    mg = int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    if not 0 <= mg <= MAX_MG_PER_UNIT:  # pragma: no cover - the loader guarantees the range
        raise GreenfinError(f"factor of {mg} mg per unit is outside the integer range")
    return mg


def factor_rows(factor_set: FactorSet, *, years: Iterable[int], region: str) -> list[FactorRow]:
    """Integer mg factors per canonical unit for every energy and year, ordered by year, energy."""
    wanted = sorted({check_year(year) for year in years})
    rows = []
    for year in wanted:
        for spec in factor_set.energies.values():
            applied = co2_factor(factor_set, spec.key, year=year, region=region)
            per_official = unit_by_symbol(spec.unit).per_canonical
            rows.append(
                FactorRow(
                    energy=spec.key,
                    year=year,
                    co2_mg_per_unit=_mg(applied.value * 10**9 / per_official),
                    ce_mg_per_unit=_mg(spec.standard_coal.value * 10**6),
                )
            )
    return rows
