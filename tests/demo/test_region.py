"""The pure generator of the demo region: identifiers, profiles, determinism."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest
from stdnum.cn import uscc

from greenfin.carbon.factors import load_factor_set
from greenfin.demo import region


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("60003734", "600037341"),  # the organisation code inside stdnum's example 91110000600037341L
        ("D2143569", "D2143569X"),  # the textbook example D2143569-X (letters count 10-35; 10 is X)
    ],
)
def test_organisation_code_check_digit_follows_gb_11714(body: str, code: str) -> None:
    assert region.organisation_code(body) == code


def test_uscc_check_digit_matches_official_example() -> None:
    assert region.uscc_check_digit("91110000600037341") == "L"
    assert region.make_uscc(authority="9", kind="1", region="110000", organisation="600037341") == "91110000600037341L"


def test_enterprise_codes_are_valid_and_unique_with_valid_organisation_codes() -> None:
    codes = [region.enterprise_uscc(7, index, "330881") for index in range(5_000)]
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert uscc.is_valid(code), code
        assert code[:8] == "91330881"
        assert region.organisation_code(code[8:16]) == code[8:17]
    quzhou = region.place("330800")
    regulator, bank = region.regulator_uscc(7, quzhou), region.bank_uscc(7, quzhou)
    assert uscc.is_valid(regulator) and regulator.startswith("11330800")
    assert uscc.is_valid(bank) and bank.startswith("91330802")  # 柯城区, the first county
    assert bank not in codes and regulator not in codes


def test_a_huzhou_demo_draws_from_the_huzhou_region_file() -> None:
    huzhou = region.place("330500")
    assert list(huzhou.counties) == ["330502", "330503", "330521", "330522", "330523"]
    assert huzhou.counties["330521"] == ("德清县", "德清")
    drawn = [region.draw_enterprise(3, i, set(), huzhou) for i in range(60)]
    assert {e.county_code for e in drawn} == set(huzhou.counties)
    assert drawn[0].county_code == "330503"  # the showcase firm: the second county
    assert all(uscc.is_valid(e.uscc) and e.uscc[2:8] == e.county_code for e in drawn)
    assert region.regulator_uscc(7, huzhou).startswith("11330500")


def test_the_same_seed_draws_the_same_enterprises_and_another_seed_does_not() -> None:
    first = [region.draw_enterprise(3, i, set()) for i in range(50)]
    again = [region.draw_enterprise(3, i, set()) for i in range(50)]
    other = [region.draw_enterprise(4, i, set()) for i in range(50)]
    assert first == again
    assert [e.uscc for e in first] != [e.uscc for e in other]


def test_energy_records_are_exact_in_the_entered_unit_and_cover_36_months() -> None:
    kgce = {energy: load_factor_set().energy(energy).standard_coal.value for energy in region.ENERGIES}
    chunk = [region.draw_enterprise(11, i, set()) for i in range(40)]
    frame = region.energy_frame(chunk, 1, seed=11, kgce=kgce)
    assert frame.equals(region.energy_frame(chunk, 1, seed=11, kgce=kgce))
    for row in frame.iter_rows(named=True):
        unit, per_entered, _ = region.ENTERED_UNIT[row["energy"]]
        assert row["unit_entered"] == unit
        assert Decimal(row["quantity_entered"]) * per_entered * 1000 == row["quantity_milli"]
        assert 0 < row["quantity_milli"] <= region.MAX_RECORD_UNITS * 1000
        assert row["data_quality"] in ("metered", "declared", "audited")
    months = frame.group_by("enterprise_id").agg((pl.col("year") * 100 + pl.col("month")).n_unique().alias("months"))
    assert months["months"].to_list() == [36] * 40
    electricity = frame.filter(frame["energy"] == "electricity")
    assert electricity.height == 40 * 36  # every firm buys electricity every month


def test_profiles_are_quzhou_industries_with_process_emissions_where_they_belong() -> None:
    divisions = {industry.code[:2] for industry in region.INDUSTRIES}
    assert {"13", "14", "22", "26", "30", "31", "32", "33", "39"} <= divisions
    processes = {industry.code: industry.process_source for industry in region.INDUSTRIES if industry.process_source}
    assert processes["3011"] == "clinker_calcination"
    assert processes["3012"] == "lime_calcination"
    assert processes["3041"] == "glass_carbonate"
    assert "3982" not in processes  # electronics have no process CO2
    known = set(load_factor_set().energies)
    for industry in region.INDUSTRIES:
        assert {use.energy for use in industry.energies} <= known
        assert set(region.ENERGIES) <= known


def test_trends_mostly_improve_and_some_worsen() -> None:
    trends = [region.draw_enterprise(5, i, set()).trend for i in range(2_000)]
    improving = sum(t < -0.01 for t in trends) / len(trends)
    worsening = sum(t > 0.02 for t in trends) / len(trends)
    assert 0.6 < improving < 0.8
    assert 0.1 < worsening < 0.2
