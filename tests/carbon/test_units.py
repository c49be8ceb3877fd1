"""Unit conversions to the canonical unit, and every refusal of a quantity or unit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from greenfin.carbon.factors import load_factor_set
from greenfin.carbon.units import (
    MAX_QUANTITY_MILLI,
    convert,
    to_canonical,
    to_milli,
    unit_by_symbol,
)
from greenfin.errors import InvalidInput

D = Decimal


@pytest.mark.parametrize(
    ("energy", "quantity", "unit", "canonical"),
    [
        ("diesel", "2.5", "t", "2500"),
        ("diesel", "2500", "kg", "2500"),
        ("lng", "1", "吨", "1000"),
        ("natural_gas", "1.5", "10^4 Nm3", "15000"),
        ("natural_gas", "1.5", "10^4Nm3", "15000"),
        ("natural_gas", "1.5", "万Nm3", "15000"),
        ("natural_gas", "1.5", "10⁴ Nm³", "15000"),
        ("natural_gas", "15000", "Nm3", "15000"),
        ("natural_gas", "15000", "nm3", "15000"),
        ("electricity", "2", "MWh", "2000"),
        ("electricity", "2", "10^4 kWh", "20000"),
        ("electricity", "2", "万kWh", "20000"),
        ("electricity", "2000", "kWh", "2000"),
        ("electricity", "2000", " kwh ", "2000"),
        ("heat", "3", "GJ", "3000"),
        ("heat", "3000", "MJ", "3000"),
    ],
)
def test_to_canonical(energy: str, quantity: str, unit: str, canonical: str) -> None:
    assert to_canonical(energy, D(quantity), unit, load_factor_set()) == D(canonical)


@pytest.mark.parametrize(
    ("amount", "from_unit", "to_unit", "expected"),
    [
        ("1", "10^4 Nm3", "Nm3", "10000"),
        ("10000", "Nm3", "10^4 Nm3", "1"),
        ("1", "MWh", "kWh", "1000"),
        ("1000", "kWh", "MWh", "1"),
        ("1", "t", "kg", "1000"),
        ("1000", "kg", "t", "1"),
        ("1", "GJ", "MJ", "1000"),
        ("1000", "MJ", "GJ", "1"),
    ],
)
def test_convert_both_ways(amount: str, from_unit: str, to_unit: str, expected: str) -> None:
    assert convert(D(amount), unit_by_symbol(from_unit), unit_by_symbol(to_unit)) == D(expected)


def test_convert_across_kinds_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="cannot convert"):
        convert(D(1), unit_by_symbol("t"), unit_by_symbol("kWh"))


@pytest.mark.parametrize(
    ("energy", "quantity", "unit", "message"),
    [
        ("natural_gas", D(1), "kWh", "unit 'kWh' is not a unit for natural_gas; accepted: Nm3, 10\\^4 Nm3"),
        ("electricity", D(1), "t", "unit 't' is not a unit for electricity; accepted: kWh, MWh, 10\\^4 kWh"),
        ("heat", D(1), "kWh", "accepted: GJ, MJ"),
        ("diesel", D(1), "litre", "unit 'litre' is not a known unit; accepted for diesel: t, kg"),
        ("diesel", D(1), "", "a unit is required for diesel; accepted: t, kg"),
        ("natural_gas", D(1), "m3", "ambiguous.*accepted for natural_gas: Nm3, 10\\^4 Nm3"),
        ("natural_gas", D(1), "万m3", "ambiguous"),
        ("diesel", D(-1), "t", "must not be negative"),
        ("diesel", "abc", "t", "'abc' is not a number"),
        ("diesel", "", "t", "is not a number"),
        ("diesel", D("NaN"), "t", "finite"),
        ("diesel", "Infinity", "t", "finite"),
        ("diesel", D("-Infinity"), "t", "finite"),
        ("diesel", True, "t", "must be a number; got bool"),
        ("diesel", 1.5, "t", "must be a number; got float"),
        ("diesel", None, "t", "must be a number; got NoneType"),
        ("coal", D(1), "t", "unknown energy 'coal'; accepted: raw_coal, anthracite"),
    ],
)
def test_refusals_name_what_is_accepted(energy: str, quantity: object, unit: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        to_canonical(energy, quantity, unit, load_factor_set())  # type: ignore[arg-type]
    assert caught.value.errors[0]["field"] in {"energy", "quantity", "unit"}


@pytest.mark.parametrize(
    ("canonical", "milli"),
    [
        ("1", 1000),
        ("2500", 2_500_000),
        ("0.0015", 2),  # half-even: 1.5 -> 2
        ("0.0025", 2),  # half-even: 2.5 -> 2
        ("0.0004", 0),
        ("0", 0),
        ("900000000", MAX_QUANTITY_MILLI),
    ],
)
def test_to_milli(canonical: str, milli: int) -> None:
    assert to_milli(D(canonical)) == milli


def test_to_milli_refuses_above_the_cap_and_negatives() -> None:
    with pytest.raises(InvalidInput, match="per-record maximum"):
        to_milli(D("900000000.001"))
    with pytest.raises(InvalidInput, match="negative"):
        to_milli(D("-1"))


def test_cap_keeps_the_integer_product_within_64_bits() -> None:
    from greenfin.carbon.units import MAX_MG_PER_UNIT

    assert MAX_QUANTITY_MILLI * MAX_MG_PER_UNIT < 2**63 - 1
