"""Calculation against official worked values: factor choice, year and region rules, errors."""

from __future__ import annotations

from decimal import Decimal

import pytest

from greenfin.carbon.factors import load_factor_set
from greenfin.carbon.rules import (
    CalculationItem,
    FactorRow,
    LineError,
    LineResult,
    calculate,
    co2_factor,
    factor_rows,
    resolve_region,
    round_tco2,
    totals,
)
from greenfin.errors import InvalidInput

D = Decimal
FS = load_factor_set()


def one(energy: str, quantity: str, unit: str, *, year: int = 2023, region: str = "330800") -> LineResult:
    [line] = calculate([CalculationItem(energy, quantity, unit)], year=year, region=region, factor_set=FS)
    assert isinstance(line, LineResult), line
    return line


@pytest.mark.parametrize(
    ("energy", "quantity", "unit", "tco2", "tce"),
    [
        # 1 x 10^4 Nm3 natural gas = 21.622 tCO2 (published), 10 000 Nm3 x 1.33 kgce = 13.3 tce
        ("natural_gas", "1", "10^4 Nm3", "21.622", "13.3"),
        ("natural_gas", "10000", "Nm3", "21.622", "13.3"),
        ("diesel", "1", "t", "3.0959", "1.4571"),
        ("coke", "1000", "kg", "2.8604", "0.9714"),
        ("raw_coal", "1", "t", "1.9003", "0.7143"),
        ("fuel_oil", "1", "t", "3.1705", "1.4286"),
        ("heat", "1", "GJ", "0.11", "0.03412"),
        ("heat", "1000", "MJ", "0.11", "0.03412"),
    ],
)
def test_official_worked_values(energy: str, quantity: str, unit: str, tco2: str, tce: str) -> None:
    line = one(energy, quantity, unit)
    digits = -D(tco2).as_tuple().exponent  # type: ignore[operator]
    assert line.tco2.quantize(D(1).scaleb(-digits)) == D(tco2)
    assert line.tce == D(tce)
    assert line.factor_set == "cn-2024"
    assert line.source


def test_line_echoes_factor_unit_and_canonical_quantity() -> None:
    line = one("natural_gas", "1.5", "万Nm3")
    assert (line.unit, line.canonical_quantity, line.canonical_unit) == ("10^4 Nm3", D(15000), "Nm3")
    assert (line.factor, line.factor_unit) == (D("21.6219"), "tCO2/10^4 Nm3")
    assert "GB/T 32151.22-2024" in line.source


@pytest.mark.parametrize(
    ("region", "year", "factor", "grid", "assumed"),
    [
        ("330800", 2023, "0.4974", "zhejiang", False),  # Quzhou
        ("330881", 2022, "0.5153", "zhejiang", False),  # Jiangshan
        ("33", 2021, "0.5422", "zhejiang", False),
        ("zhejiang", 2023, "0.4974", "zhejiang", False),
        ("320500", 2023, "0.55", "east_china", False),  # Suzhou, Jiangsu
        ("310000", 2021, "0.5992", "east_china", False),
        ("east_china", 2022, "0.5617", "east_china", False),
        ("110000", 2023, "0.5306", "national", False),  # Beijing
        ("440300", 2022, "0.5366", "national", False),
        ("national", 2021, "0.5568", "national", False),
        ("330800", 2025, "0.4974", "zhejiang", True),  # newer than the newest: newest
        ("110000", 2024, "0.5306", "national", True),
        ("330800", 2019, "0.5422", "zhejiang", True),  # older than the oldest: oldest
    ],
)
def test_electricity_by_year_and_region(region: str, year: int, factor: str, grid: str, assumed: bool) -> None:
    line = one("electricity", "1", "MWh", year=year, region=region)
    assert (line.factor, line.grid, line.factor_unit) == (D(factor), grid, "tCO2/MWh")
    assert line.tco2 == D(factor)
    assert line.tce == D("0.1229")  # 1000 kWh x 0.1229 kgce/kWh
    assert (line.assumption is not None) is assumed
    if assumed:
        assert str(line.factor_year) in line.assumption  # type: ignore[operator]


def test_fuel_factor_does_not_depend_on_year_or_region() -> None:
    a = co2_factor(FS, "diesel", year=2021, region="110000")
    b = co2_factor(FS, "diesel", year=2025, region="330881")
    assert a == b and a.grid is None


@pytest.mark.parametrize(
    ("region", "message"),
    [
        ("990000", "99 is no GB/T 2260 province"),
        ("3308", "unknown region '3308'"),
        ("quzhou", "unknown region 'quzhou'"),
        ("", "a region is required"),
        ("33080a", "unknown region"),
    ],
)
def test_unknown_region_is_refused(region: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        calculate([CalculationItem("diesel", "1", "t")], year=2023, region=region, factor_set=FS)


@pytest.mark.parametrize("year", [1989, 2101])
def test_year_out_of_range_is_refused(year: int) -> None:
    with pytest.raises(InvalidInput, match="year must be"):
        calculate([], year=year, region="33", factor_set=FS)


def test_region_resolution() -> None:
    assert resolve_region("330881", FS).grids == ("zhejiang", "east_china", "national")
    assert resolve_region("350100", FS).grids == ("east_china", "national")
    assert resolve_region("650100", FS).grids == ("national",)


def test_batch_answers_every_item_in_order() -> None:
    items = [
        CalculationItem("diesel", "1", "t"),
        CalculationItem("natural_gas", "1", "kWh"),
        CalculationItem("coal", "1", "t"),
        CalculationItem("electricity", "-5", "kWh"),
        CalculationItem("electricity", "2", "MWh"),
        CalculationItem("heat", "x", "GJ"),
    ]
    answers = calculate(items, year=2023, region="330800", factor_set=FS)
    assert [type(a).__name__ for a in answers] == [
        "LineResult",
        "LineError",
        "LineError",
        "LineError",
        "LineResult",
        "LineError",
    ]
    assert [a.index for a in answers] == list(range(6))
    errors = [a for a in answers if isinstance(a, LineError)]
    assert [e.field for e in errors] == ["unit", "energy", "quantity", "quantity"]
    assert "accepted: Nm3, 10^4 Nm3" in errors[0].error
    summed = totals(answers)
    # 3.0959 (1 t diesel) + 2 x 0.4974 (2 MWh in Zhejiang 2023)
    assert (summed.tco2, summed.lines, summed.errors) == (D("4.0907"), 2, 4)
    # 1.4571 tce + 2000 kWh x 0.1229 kgce/kWh
    assert summed.tce == D("1.7029")


def test_rounding_for_display_is_half_even_to_grams() -> None:
    assert round_tco2(D("0.0000005")) == D("0.000000")
    assert round_tco2(D("0.0000015")) == D("0.000002")


def test_factor_rows_are_integer_milligrams_per_canonical_unit() -> None:
    rows = factor_rows(FS, years=[2023, 2022, 2023], region="national")
    by_key = {(r.energy, r.year): r for r in rows}
    assert len(rows) == 2 * len(FS.energies)
    # raw coal 1.9003 tCO2/t = 1 900 300 mg per kg; 0.7143 kgce/kg = 714 300 mg
    assert by_key["raw_coal", 2023] == FactorRow("raw_coal", 2023, 1_900_300, 714_300)
    # electricity national 2023 0.5306 tCO2/MWh = 530 600 mg per kWh; 0.1229 kgce/kWh
    assert by_key["electricity", 2023] == FactorRow("electricity", 2023, 530_600, 122_900)
    assert by_key["electricity", 2022].co2_mg_per_unit == 536_600
    # natural gas 21.6219 tCO2/10^4 Nm3 = 2 162 190 mg per Nm3; 1.33 kgce/Nm3
    assert by_key["natural_gas", 2023] == FactorRow("natural_gas", 2023, 2_162_190, 1_330_000)
    # heat 0.11 tCO2/GJ = 110 000 mg per MJ; 0.03412 kgce/MJ
    assert by_key["heat", 2022] == FactorRow("heat", 2022, 110_000, 34_120)
    assert [r.year for r in rows] == sorted(r.year for r in rows)


def test_factor_rows_follow_the_region_and_integer_formula() -> None:
    [zj] = [r for r in factor_rows(FS, years=[2024], region="330800") if r.energy == "electricity"]
    assert zj.co2_mg_per_unit == 497_400  # newest Zhejiang value (2023)
    # 2 MWh = 2 000 000 milli-kWh; grams = quantity_milli * mg / 1 000 000 = 994.8 kg
    assert 2_000_000 * zj.co2_mg_per_unit // 1_000_000 == 994_800


def test_factor_rows_refuse_bad_year_or_region() -> None:
    with pytest.raises(InvalidInput):
        factor_rows(FS, years=[1800], region="33")
    with pytest.raises(InvalidInput):
        factor_rows(FS, years=[2023], region="00")
