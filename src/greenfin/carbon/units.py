"""Units of energy quantities: every quantity says what it measures and in which unit.

An energy kind has a small, closed list of units and one *canonical* unit in which
greenfin stores quantities:

==============  ===========================  =========
kind            accepted units               canonical
==============  ===========================  =========
mass            t, kg                        kg
gas_volume      Nm3, 10^4 Nm3                Nm3
electricity     kWh, MWh, 10^4 kWh           kWh
heat            GJ, MJ                       MJ
==============  ===========================  =========

Solid and liquid fuels (including LNG and LPG, which are reported by mass) are ``mass``;
gaseous fuels are ``gas_volume`` at normal conditions (0 °C, 101.325 kPa). A bare ``m3``
is refused on purpose: Chinese gas bills are often at 20 °C, about 7 % more volume than
Nm3, so the reporter must convert and say ``Nm3``. Common spellings are accepted
(``10^4Nm3``, ``万Nm3``, ``万kWh``, ``吨``, ``千瓦时`` …), case-insensitively.

Worked example::

    >>> to_canonical("natural_gas", Decimal("1.5"), "10^4 Nm3", load_factor_set())
    Decimal('15000.0')            # Nm3
    >>> to_milli(Decimal("15000.0"))
    15000000                      # thousandths of a Nm3 (litres), for integer SQL

Integer arithmetic for bulk SQL: a quantity is stored as ``quantity_milli``, the integer
number of thousandths of its canonical unit (rounded half-even: 1 g, 1 L, 1 Wh, 1 kJ),
and a factor as integer milligrams per canonical unit (at most :data:`MAX_MG_PER_UNIT`).
:data:`MAX_QUANTITY_MILLI` caps one record so that ``quantity_milli * mg_per_unit``
stays below 2**63 - 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from enum import StrEnum
from typing import TYPE_CHECKING

from greenfin.errors import InvalidInput

if TYPE_CHECKING:
    from greenfin.carbon.factors import FactorSet


class Kind(StrEnum):
    """What a quantity measures."""

    MASS = "mass"
    GAS_VOLUME = "gas_volume"
    ELECTRICITY = "electricity"
    HEAT = "heat"


@dataclass(frozen=True)
class Unit:
    """A unit of one kind; ``per_canonical`` is how many canonical units one of it holds."""

    symbol: str
    kind: Kind
    per_canonical: Decimal
    aliases: tuple[str, ...] = ()


UNITS: tuple[Unit, ...] = (
    Unit("t", Kind.MASS, Decimal(1000), ("吨", "tonne", "tonnes")),
    Unit("kg", Kind.MASS, Decimal(1), ("千克", "公斤")),
    Unit("Nm3", Kind.GAS_VOLUME, Decimal(1), ("标准立方米", "标方")),
    Unit(
        "10^4 Nm3",
        Kind.GAS_VOLUME,
        Decimal(10_000),
        ("万Nm3", "万标准立方米", "万标方", "1e4 Nm3"),
    ),
    Unit("kWh", Kind.ELECTRICITY, Decimal(1), ("千瓦时", "度")),
    Unit("MWh", Kind.ELECTRICITY, Decimal(1000), ("兆瓦时",)),
    Unit("10^4 kWh", Kind.ELECTRICITY, Decimal(10_000), ("万kWh", "万千瓦时", "万度", "1e4 kWh")),
    Unit("GJ", Kind.HEAT, Decimal(1000), ("吉焦",)),
    Unit("MJ", Kind.HEAT, Decimal(1), ("兆焦",)),
)

CANONICAL_UNIT: dict[Kind, str] = {
    Kind.MASS: "kg",
    Kind.GAS_VOLUME: "Nm3",
    Kind.ELECTRICITY: "kWh",
    Kind.HEAT: "MJ",
}

#: Largest factor, in integer milligrams per canonical unit, a factor set may hold (10 kg).
MAX_MG_PER_UNIT = 10_000_000
#: Largest quantity of one record, in thousandths of the canonical unit (9 x 10^8 units:
#: 900,000 t, 900 GWh, 9 x 10^8 Nm3 or 900,000 GJ); 9e11 * 1e7 < 2**63 - 1.
MAX_QUANTITY_MILLI = 900_000_000_000
#: Largest quantity accepted as given, in its own unit (the same bound as greenfin.bounds.MAX_QUANTITY):
#: 1e308 or 5,000 digits would make every later step fail or crawl.
MAX_QUANTITY_GIVEN = Decimal(10) ** 12

_MILLI = Decimal("0.001")


def _spelling_key(text: str) -> str:
    """Fold a unit spelling: no spaces, case-insensitive, superscripts as plain digits."""
    folded = re.sub(r"\s+", "", text).replace("³", "3").replace("⁴", "^4")
    return folded.replace("**", "^").casefold()


_BY_SPELLING: dict[str, Unit] = {
    _spelling_key(spelling): unit for unit in UNITS for spelling in (unit.symbol, *unit.aliases)
}


def units_of(kind: Kind) -> tuple[Unit, ...]:
    """The units accepted for a kind, official symbols in table order."""
    return tuple(unit for unit in UNITS if unit.kind is kind)


def unit_by_symbol(symbol: str) -> Unit:
    """The unit whose official symbol is ``symbol`` (for data files; raises KeyError)."""
    for unit in UNITS:
        if unit.symbol == symbol:
            return unit
    raise KeyError(symbol)


def _accepted(kind: Kind) -> str:
    return ", ".join(unit.symbol for unit in units_of(kind))


def parse_unit(unit: object, kind: Kind, *, energy: str) -> Unit:
    """The unit spelled ``unit``, refused unless it measures ``kind``."""
    accepted = _accepted(kind)
    if not isinstance(unit, str) or not unit.strip():
        raise _invalid("unit", f"a unit is required for {energy}; accepted: {accepted}")
    found = _BY_SPELLING.get(_spelling_key(unit))
    if found is None:
        if _spelling_key(unit) in {"m3", "m³", "立方米", "方", "万m3", "10^4m3"}:
            raise _invalid(
                "unit",
                f"unit {unit!r} is ambiguous: give gas volumes at normal conditions "
                f"(0 °C, 101.325 kPa); accepted for {energy}: {accepted}",
            )
        raise _invalid("unit", f"unit {unit!r} is not a known unit; accepted for {energy}: {accepted}")
    if found.kind is not kind:
        raise _invalid("unit", f"unit {unit!r} is not a unit for {energy}; accepted: {accepted}")
    return found


def parse_quantity(value: object) -> Decimal:
    """A finite, non-negative Decimal from a Decimal, an int or a numeric string."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        kind = "float (give a Decimal or a numeric string)" if isinstance(value, float) else None
        shown = kind or type(value).__name__
        raise _invalid("quantity", f"quantity must be a number; got {shown}")
    if isinstance(value, str):
        text = value.strip()
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise _invalid("quantity", f"quantity {value!r} is not a number; give a decimal such as 12.5") from None
    else:
        number = Decimal(value)
    if not number.is_finite():
        raise _invalid("quantity", f"quantity must be a finite number; got {number}")
    if number < 0:
        raise _invalid("quantity", f"quantity must not be negative; got {number}")
    if number > MAX_QUANTITY_GIVEN:
        raise _invalid("quantity", f"quantity must be at most 10^12 in its unit; got {number:.3E}")
    return number


def convert(quantity: Decimal, from_unit: Unit, to_unit: Unit) -> Decimal:
    """``quantity`` in ``from_unit`` expressed in ``to_unit`` (same kind), exactly."""
    if from_unit.kind is not to_unit.kind:
        raise ValueError(f"cannot convert {from_unit.symbol} to {to_unit.symbol}")
    return quantity * from_unit.per_canonical / to_unit.per_canonical


def to_canonical(energy: str, quantity: Decimal, unit: str, factor_set: FactorSet) -> Decimal:
    """``quantity`` of ``energy`` in ``unit``, converted to the energy's canonical unit."""
    spec = factor_set.energy(energy)
    number = parse_quantity(quantity)
    found = parse_unit(unit, spec.kind, energy=spec.key)
    return number * found.per_canonical


def canonical_unit(kind: Kind) -> Unit:
    """The storage unit of a kind: kg, Nm3, kWh or MJ."""
    return unit_by_symbol(CANONICAL_UNIT[kind])


def to_milli(canonical: Decimal) -> int:
    """Integer thousandths of a canonical quantity, rounded half-even, within the cap."""
    number = parse_quantity(canonical)
    milli = int((number / _MILLI).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    if milli > MAX_QUANTITY_MILLI:
        raise _invalid(
            "quantity",
            f"quantity {number} exceeds the per-record maximum of "
            f"{MAX_QUANTITY_MILLI // 1000} canonical units; split it into several records",
        )
    return milli


def _invalid(field: str, reason: str) -> InvalidInput:
    return InvalidInput(reason, errors=[{"field": field, "reason": reason}])
