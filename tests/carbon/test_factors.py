"""The default factor set pins the official values; the loader refuses bad files."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from greenfin.carbon.factors import (
    DEFAULT_FACTOR_SET,
    FactorSetInvalid,
    available_factor_sets,
    derive_combustion_factor,
    factor_sets_dir,
    load_factor_set,
    load_factor_set_file,
)
from greenfin.errors import InvalidInput

D = Decimal


def published(value: Decimal, digits: int) -> Decimal:
    return value.quantize(D(1).scaleb(-digits))


# Official composites (GB/T 32151 / NDRC guideline practice), at their published digits.
@pytest.mark.parametrize(
    ("energy", "official", "unit"),
    [
        ("natural_gas", "21.622", "tCO2/10^4 Nm3"),
        ("diesel", "3.0959", "tCO2/t"),
        ("coke", "2.8604", "tCO2/t"),
        ("raw_coal", "1.9003", "tCO2/t"),
        ("fuel_oil", "3.1705", "tCO2/t"),
    ],
)
def test_published_fuel_factors(energy: str, official: str, unit: str) -> None:
    spec = load_factor_set().energies[energy]
    digits = -D(official).as_tuple().exponent  # type: ignore[operator]
    assert spec.factor is not None
    assert published(spec.factor, digits) == D(official)
    assert spec.factor_unit == unit


# NCV x CC x OF x 44/12 worked by hand from GB/T 32151.22-2024 Table C.1 (reference CSV).
@pytest.mark.parametrize(
    ("energy", "ncv", "cc", "of", "expected"),
    [
        ("anthracite", "26.7", "27.4", "94", "2.5215"),
        ("bituminous_coal", "19.57", "26.1", "93", "1.7417"),
        ("crude_oil", "41.816", "20.1", "98", "3.0202"),
        ("gasoline", "43.07", "18.9", "98", "2.9251"),
        ("kerosene", "43.07", "19.6", "98", "3.0334"),
        ("lpg", "50.179", "17.2", "98", "3.1013"),
        ("lng", "51.498", "15.3", "98", "2.8313"),
        ("coke_oven_gas", "179.81", "13.58", "99", "8.8638"),
        ("raw_coal", "20.908", "26.37", "94", "1.9003"),
    ],
)
def test_combustion_parameters_and_factor(energy: str, ncv: str, cc: str, of: str, expected: str) -> None:
    spec = load_factor_set().energies[energy]
    assert spec.method == "combustion"
    assert (spec.ncv and spec.ncv.value, spec.carbon_content and spec.carbon_content.value) == (
        D(ncv),
        D(cc),
    )
    assert spec.oxidation_rate is not None and spec.oxidation_rate.value == D(of)
    assert spec.factor == D(expected)


def test_derivation_formula_diesel() -> None:
    # 42.652 GJ/t x 20.2 tC/TJ / 1000 x 98 % x 44/12 = 3.0959096... tCO2/t
    exact = derive_combustion_factor(D("42.652"), D("20.2"), D("98"))
    assert D("3.09590963") < exact < D("3.09590964")


@pytest.mark.parametrize(
    ("grid", "year", "value"),
    [
        ("national", 2021, "0.5568"),
        ("national", 2022, "0.5366"),
        ("national", 2023, "0.5306"),
        ("east_china", 2021, "0.5992"),
        ("east_china", 2022, "0.5617"),
        ("east_china", 2023, "0.55"),
        ("zhejiang", 2021, "0.5422"),
        ("zhejiang", 2022, "0.5153"),
        ("zhejiang", 2023, "0.4974"),
    ],
)
def test_electricity_factors_by_grid_and_year(grid: str, year: int, value: str) -> None:
    [factor] = [f for f in load_factor_set().grid_factors(grid) if f.year == year]
    assert factor.value == D(value)
    assert factor.unit == "tCO2/MWh"
    assert "生态环境部" in factor.source


def test_enterprise_reporting_value_is_kept_for_reference() -> None:
    reference = load_factor_set().energies["electricity"].reference_factor
    assert reference is not None and reference.value == D("0.5703")
    assert "环办气候函〔2023〕43号" in reference.source


def test_purchased_heat() -> None:
    heat = load_factor_set().energies["heat"]
    assert (heat.factor, heat.factor_unit) == (D("0.11"), "tCO2/GJ")


@pytest.mark.parametrize(
    ("energy", "kgce", "unit"),
    [
        ("raw_coal", "0.7143", "kgce/kg"),
        ("washed_coal", "0.9000", "kgce/kg"),
        ("coke", "0.9714", "kgce/kg"),
        ("crude_oil", "1.4286", "kgce/kg"),
        ("fuel_oil", "1.4286", "kgce/kg"),
        ("gasoline", "1.4714", "kgce/kg"),
        ("diesel", "1.4571", "kgce/kg"),
        ("tar", "1.1429", "kgce/kg"),
        ("natural_gas", "1.33", "kgce/Nm3"),
        ("bf_gas", "0.1286", "kgce/Nm3"),
        ("electricity", "0.1229", "kgce/kWh"),
        ("heat", "0.03412", "kgce/MJ"),
    ],
)
def test_standard_coal_coefficients(energy: str, kgce: str, unit: str) -> None:
    coal = load_factor_set().energies[energy].standard_coal
    assert (coal.value, coal.unit) == (D(kgce), unit)
    assert "GB/T 2589" in coal.source


REQUIRED = [
    "raw_coal",
    "anthracite",
    "bituminous_coal",
    "coke",
    "crude_oil",
    "fuel_oil",
    "gasoline",
    "diesel",
    "kerosene",
    "lpg",
    "lng",
    "natural_gas",
    "coke_oven_gas",
    "electricity",
    "heat",
]


def test_default_set_has_every_required_energy_with_sources() -> None:
    factor_set = load_factor_set()
    assert set(REQUIRED) <= set(factor_set.energies)
    for energy in factor_set.energies.values():
        assert energy.standard_coal.source
        assert energy.source if energy.method != "grid" else energy.grid_factors


def test_versions() -> None:
    assert DEFAULT_FACTOR_SET in available_factor_sets()
    assert load_factor_set() is load_factor_set(DEFAULT_FACTOR_SET)
    assert load_factor_set().version == "cn-2024"


@pytest.mark.parametrize("version", ["cn-1999", "../cn-2024", "", "CN 2024"])
def test_unknown_version_is_refused(version: str) -> None:
    with pytest.raises(InvalidInput, match=r"unknown factor set .*available: cn-2024"):
        load_factor_set(version)


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = (factor_sets_dir() / "cn-2024.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "draft.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('method = "combustion"', 'method = "combustion"\ncolour = "red"', "unknown key"),
        (
            'ncv = { value = 42.652, unit = "GJ/t", source = "GB/T 32151.22-2024 附录C 表C.1 '
            '(same table in NY/T 4243-2022 附录C)", ',
            'ncv = { value = 42.652, unit = "GJ/t", ',
            "diesel.ncv: missing source",
        ),
        ("value = 42.652", "value = -42.652", "must be positive"),
        ("value = 0.11,", "value = 0,", "heat.co2.value: must be positive"),
        ('value = 42.652, unit = "GJ/t"', 'value = 42.652, unit = "GJ/kg"', "expected 'GJ/t'"),
        ('unit = "kgce/kWh"', 'unit = "kgce/MWh"', "expected 'kgce/kWh'"),
        ('grid = "zhejiang"\nyear = 2022', 'grid = "zhejiang"\nyear = 2021', "duplicate"),
        ('grid = "national"', 'grid = "mars"', "unknown grid 'mars'"),
        ('version = "cn-2024"', 'version = "cn 2024"', "not a valid version"),
    ],
)
def test_loader_refuses_bad_files(tmp_path: Path, old: str, new: str, message: str) -> None:
    with pytest.raises(FactorSetInvalid, match=message):
        load_factor_set_file(_variant(tmp_path, old, new))


def test_loader_refuses_invalid_toml(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[factor_set\n", encoding="utf-8")
    with pytest.raises(FactorSetInvalid, match="not valid TOML"):
        load_factor_set_file(path)


@pytest.mark.parametrize("version", available_factor_sets())
def test_every_shipped_set_loads(version: str) -> None:
    assert load_factor_set(version).version == version
