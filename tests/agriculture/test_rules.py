"""Agricultural reductions pinned against hand-computed IPCC 2019 / NY/T 4243-2022 values.

Constants used below (methodology v1):

    44/28 × GWP_N2O 273                        = 429            (exact: 273/28 = 9.75)
    synthetic N: EF1 + FracGASF·EF4 + FracLEACH·EF5 = 0.010 + 0.11×0.010 + 0.24×0.011 = 0.01374
    organic N:   EF1 + FracGASM·EF4 + FracLEACH·EF5 = 0.010 + 0.21×0.010 + 0.24×0.011 = 0.01474
    residue N:   EF1 + FracLEACH·EF5                = 0.010 + 0.24×0.011              = 0.01264
    → 5.89446 kg CO2e per kg chemical N, 6.32346 per kg organic N, 5.42256 per kg residue N
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D
from typing import Any

import pytest

from greenfin.agriculture.methodology import (
    available_versions,
    load_methodology,
    parse_methodology,
)
from greenfin.agriculture.rules import (
    BiogasProject,
    FarmBaseline,
    OrganicFertiliserSubstitution,
    Reduction,
    StrawReturn,
    denominator_for,
    farm_label,
    farm_reduction,
    label,
    reduction,
)
from greenfin.errors import InvalidInput, NotFound

M = load_methodology("v1")


def _terms(r: Reduction) -> dict[str, D]:
    return {t.name: t.value for t in r.breakdown}


def _fields(exc: pytest.ExceptionInfo[InvalidInput]) -> list[str]:
    return [e["field"] for e in exc.value.errors]


# ---------------------------------------------------------------------------------------
# Methodology file
# ---------------------------------------------------------------------------------------


def test_v1_is_the_newest_and_carries_the_official_values() -> None:
    assert available_versions()[-1] == "v1"
    assert load_methodology() is M
    expected = {
        "gwp_ch4": D("27.9"),
        "gwp_n2o": D("273"),
        "ef1": D("0.010"),
        "frac_gasf": D("0.11"),
        "frac_gasm": D("0.21"),
        "ef4": D("0.010"),
        "frac_leach": D("0.24"),
        "ef5": D("0.011"),
        "pig_manure_ch4": D("5.08"),
        "pig_manure_n2o": D("0.175"),
        "mcf_digester": D("0.10"),
        "burn_ch4": D("2.7"),
        "burn_n2o": D("0.07"),
    }
    for key, value in expected.items():
        factor = M.factor(key)
        assert factor.value == value, key
        assert isinstance(factor.value, D)
        assert factor.source and not factor.assumption, key


def test_every_factor_has_a_source_and_assumptions_say_so() -> None:
    for factor in M.factors.values():
        assert factor.unit and factor.source
        if factor.assumption:
            assert "assumption" in factor.source.lower()
    assumed = {k for k, f in M.factors.items() if f.assumption}
    assert assumed == {
        "biogas_ch4_share",
        "displaced_fuel_cc",
        "straw_dry_matter",
        "baseline_burn_share",
    }
    assert all(b.assumption for b in M.labels.values())


def test_unknown_methodology_version_is_not_found() -> None:
    with pytest.raises(NotFound, match="v99"):
        load_methodology("v99")


def _raw_v1() -> dict[str, Any]:
    import tomllib
    from importlib import resources

    text = (resources.files("greenfin.agriculture") / "data" / "methodology" / "v1.toml").read_text(encoding="utf-8")
    return tomllib.loads(text, parse_float=D)


def test_broken_methodology_is_refused_with_every_problem_named() -> None:
    raw = _raw_v1()
    del raw["factors"]["ef5"]
    raw["factors"]["frac_gasf"]["value"] = D("1.1")
    raw["factors"]["gwp_ch4"]["source"] = ""
    raw["factors"]["straw_dry_matter"]["source"] = "we think so"
    raw["labels"]["pig_farm"]["dark_green_min"] = D(10)
    raw["labels"]["dairy_farm"] = {}
    del raw["crops"]["rice"]["residue_n"]
    with pytest.raises(InvalidInput) as exc:
        parse_methodology(raw, origin="test.toml")
    assert set(_fields(exc)) >= {
        "factors.ef5",
        "factors.frac_gasf.value",
        "factors.gwp_ch4.source",
        "factors.straw_dry_matter.source",
        "labels.pig_farm.dark_green_min",
        "labels.dairy_farm",
        "crops.rice.residue_n",
    }
    assert "test.toml" in exc.value.detail


# ---------------------------------------------------------------------------------------
# Organic fertiliser substitution
# ---------------------------------------------------------------------------------------
#
# | case | chem N cut kg | organic N kg           | avoided           | added             | net        |
# |------|---------------|------------------------|-------------------|-------------------|------------|
# | A    | 10,000        | 0                      | 10,000×5.89446    | 0                 | 58,944.600 |
# |      |               |                        | = 137.4 N2O-N×429 |                   |            |
# | B    | 30,000        | 1,000 t × 2 % = 20,000 | 176,833.800       | 20,000×6.32346    | 50,364.600 |
# |      |               |                        |                   | = 126,469.200     |            |
# | C    | 100           | 5 t × 2 % = 100        | 589.446           | 632.346           | −42.900    |
#
# Case C: a kg of organic N replacing a kg of chemical N *adds* N2O, because IPCC's
# volatilisation share is higher for organic N (0.21) than for synthetic N (0.11).


@pytest.mark.parametrize(
    ("applied_t", "pct", "before", "after", "avoided", "added", "net"),
    [
        ("0", "0", "10000", "0", "58944.600", "0.000", "58944.600"),
        ("1000", "2", "40000", "10000", "176833.800", "-126469.200", "50364.600"),
        ("5", "2", "300", "200", "589.446", "-632.346", "-42.900"),
    ],
)
def test_organic_substitution_hand_computed(
    applied_t: str, pct: str, before: str, after: str, avoided: str, added: str, net: str
) -> None:
    r = reduction(
        OrganicFertiliserSubstitution(
            applied_t=D(applied_t),
            n_content_pct=D(pct),
            chemical_n_before_kg=D(before),
            chemical_n_after_kg=D(after),
        ),
        M,
    )
    assert _terms(r) == {
        "avoided_chemical_n_soil_n2o": D(avoided),
        "added_organic_n_soil_n2o": D(added),
    }
    assert r.co2e_kg == D(net)
    assert r.practice == "organic_fertiliser_substitution"
    assert r.methodology_version == "v1"


def test_terms_explain_their_inputs_and_sources() -> None:
    r = reduction(OrganicFertiliserSubstitution(D(0), D(0), D(10000), D(0)), M)
    term = r.breakdown[0]
    assert "EF1" in term.formula and "FracGASF" in term.formula
    by_name = {i.name: i for i in term.inputs}
    assert by_name["N_before − N_after"].value == D(10000)
    assert by_name["frac_leach"].value == D("0.24")
    assert "IPCC 2019" in by_name["ef1"].source
    assert "AR6" in by_name["gwp_n2o"].source


# ---------------------------------------------------------------------------------------
# Straw returned (avoided open burning, minus the N2O of the residue N returned)
# ---------------------------------------------------------------------------------------
#
# 10 t rice straw, air-dry: dry matter 10 × 0.85 = 8.5 t; burnt in baseline 8.5 × 1.0 × Cf 0.80 = 6.8 t
# | term                       | arithmetic                                   | kg CO2e   |
# |----------------------------|----------------------------------------------|-----------|
# | avoided burning CH4        | 6.8 × 2.7 g/kg = 18.36 kg CH4 × 27.9         | 512.244   |
# | avoided burning N2O        | 6.8 × 0.07 g/kg = 0.476 kg N2O × 273         | 129.948   |
# | added residue-N soil N2O   | 6,800 kg × 0.007 = 47.6 kg N × 5.42256       | −258.114  |
# | net                        |                                              | 384.078   |
#
# 10 t wheat straw: burnt 8.5 × 0.90 = 7.65 t
# | avoided burning CH4        | 7.65 × 2.7 = 20.655 × 27.9                   | 576.2745 → 576.274 (half-even) |
# | avoided burning N2O        | 7.65 × 0.07 = 0.5355 × 273                   | 146.1915 → 146.192 (half-even) |
# | added residue-N soil N2O   | 7,650 × 0.006 = 45.9 kg N × 5.42256          | −248.895504 → −248.896 |
# | net                        |                                              | 473.570   |


@pytest.mark.parametrize(
    ("crop", "ch4", "n2o", "residue", "net"),
    [
        ("rice", "512.244", "129.948", "-258.114", "384.078"),
        ("wheat", "576.274", "146.192", "-248.896", "473.570"),
        ("maize", "512.244", "129.948", "-221.240", "420.952"),
    ],
)
def test_straw_return_hand_computed(crop: str, ch4: str, n2o: str, residue: str, net: str) -> None:
    r = reduction(StrawReturn(crop=crop, straw_t=D(10), area_mu=D(20)), M)
    assert _terms(r) == {
        "avoided_burning_ch4": D(ch4),
        "avoided_burning_n2o": D(n2o),
        "added_residue_n_soil_n2o": D(residue),
    }
    assert r.co2e_kg == D(net)
    assert r.co2e_kg == sum(t.value for t in r.breakdown)


# ---------------------------------------------------------------------------------------
# Biogas project (NY/T 4243-2022, East China pigs)
# ---------------------------------------------------------------------------------------
#
# 1,000 pigs for 365 days; 42,000 m3 biogas produced, 40,000 m3 used.
# | term                      | arithmetic                                                   | kg CO2e     |
# |---------------------------|--------------------------------------------------------------|-------------|
# | avoided manure CH4        | 1,000 × 5.08 = 5,080 kg CH4 × 27.9                           | 141,732.000 |
# | digester leakage CH4      | 1,000×365 × 0.3 × 0.29 × 0.67 × 0.10 = 2,127.585 kg × 27.9    | −59,359.622 |
# |                           |   (= 59,359.6215, half-even to the gram)                     |             |
# | avoided manure N2O        | 1,000 × 0.175 = 175 kg N2O × 273                             | 47,775.000  |
# | digester N2O              | Nex 11 × EF3 0 = 0                                           | 0.000       |
# | displaced natural gas CO2 | 40,000 × 0.60 × 0.67 = 16,080 kg CH4 × 50.4 MJ/kg            | 45,010.583  |
# |                           |   = 810.432 GJ × 15.3 kg C/GJ × 0.99 × 44/12 = 45,010.582848 |             |
# | unused biogas (vented)    | 2,000 × 0.60 × 0.67 = 804 kg CH4 × 27.9                      | −22,431.600 |
# | net                       |                                                              | 152,726.361 |


def test_biogas_project_hand_computed() -> None:
    r = reduction(
        BiogasProject(
            digester_volume_m3=D(500),
            manure_treated_t=D(2000),
            heads_served=1000,
            biogas_produced_m3=D(42000),
            biogas_used_m3=D(40000),
        ),
        M,
    )
    assert _terms(r) == {
        "avoided_manure_ch4": D("141732.000"),
        "digester_leakage_ch4": D("-59359.622"),
        "avoided_manure_n2o": D("47775.000"),
        "digester_n2o": D("0.000"),
        "displaced_fuel_co2": D("45010.583"),
        "unused_biogas_ch4": D("-22431.600"),
    }
    assert r.co2e_kg == D("152726.361")


def test_biogas_half_year_scales_per_head_factors() -> None:
    # 730 pigs for 73 days = 146 head-years (per-year factors × days / 365)
    # avoided manure CH4 = 146 × 5.08 × 27.9 = 20,692.872; leakage = 730×73 × 0.3×0.29×0.67×0.10 × 27.9
    # = 53,290 × 0.0058290 = 310.627410 kg CH4 × 27.9 = 8,666.504739 → 8,666.505
    r = reduction(BiogasProject(D(100), D(300), 730, D(0), D(0), days=73), M)
    terms = _terms(r)
    assert terms["avoided_manure_ch4"] == D("20692.872")
    assert terms["digester_leakage_ch4"] == D("-8666.505")
    assert terms["avoided_manure_n2o"] == D("6975.150")  # 146 × 0.175 = 25.55 kg N2O × 273
    assert terms["displaced_fuel_co2"] == D("0.000")


# ---------------------------------------------------------------------------------------
# Farm reduction and labels
# ---------------------------------------------------------------------------------------

GROWER = FarmBaseline(farm_type="grain_grower", chemical_n_kg=D(1500), area_mu=D(100))


def test_grain_grower_worked_example() -> None:
    # 100 mu: chemical N 1,500 → 1,000 kg (−5 kg/mu), 15 t organic fertiliser at 2 % N = 300 kg N,
    # 40 t rice straw returned on all 100 mu.
    # organic: 500 × 5.89446 − 300 × 6.32346 = 2,947.230 − 1,897.038 = 1,050.192
    # straw:   burnt 40 × 0.85 × 0.80 = 27.2 t dm
    #          CH4 27.2 × 2.7 × 27.9 = 2,048.976; N2O 27.2 × 0.07 × 273 = 519.792;
    #          residue 27,200 × 0.007 = 190.4 kg N × 5.42256 = 1,032.455424 → −1,032.455
    #          = 1,536.313 (not 4 × 384.078: each term is rounded once, on its own total)
    # farm:    2,586.505 kg → 25.86505 → 25.865 kg/mu (half-even) → 深绿 (≥ 20)
    records = [
        OrganicFertiliserSubstitution(D(15), D(2), D(1500), D(1000)),
        StrawReturn("rice", D(40), D(100)),
    ]
    result, lab = farm_label(records, GROWER, M)
    assert [r.co2e_kg for r in result.reductions] == [D("1050.192"), D("1536.313")]
    assert result.co2e_kg == D("2586.505")
    assert lab.code == "dark_green"
    assert lab.name_zh == "深绿"
    assert lab.intensity == D("25.865")
    assert lab.unit == "kg CO2e / mu"
    assert lab.next_code is None and lab.next_label_gap is None
    assert "已是最高档" in lab.explanation_zh


@pytest.mark.parametrize(
    ("farm_type", "co2e", "denominator", "code", "gap"),
    [
        # per mu: bands 深绿 ≥ 20, 浅绿 ≥ 8
        ("grain_grower", "2000", "100", "dark_green", None),  # exactly 20.000: inclusive
        ("grain_grower", "1999.9", "100", "light_green", "0.001"),  # 19.999
        ("cooperative", "800", "100", "light_green", "12.000"),  # exactly 8
        ("cooperative", "799.9", "100", "yellow", "0.001"),  # 7.999
        ("grain_grower", "-50", "10", "yellow", "13.000"),  # net increase: −5 per mu
        # per head: 深绿 ≥ 100, 浅绿 ≥ 30
        ("pig_farm", "100000", "1000", "dark_green", None),
        ("pig_farm", "99999", "1000", "light_green", "0.001"),
        ("pig_farm", "30000", "1000", "light_green", "70.000"),
        ("pig_farm", "29999", "1000", "yellow", "0.001"),
        # per tonne of product: 深绿 ≥ 40, 浅绿 ≥ 10
        ("organic_fertiliser_producer", "40000", "1000", "dark_green", None),
        ("organic_fertiliser_producer", "9999", "1000", "yellow", "0.001"),
    ],
)
def test_label_bands_at_and_around_thresholds(
    farm_type: str, co2e: str, denominator: str, code: str, gap: str | None
) -> None:
    fake = Reduction("farm", D(co2e), (), "v1")
    lab = label(farm_type, fake, D(denominator), M)
    assert lab.code == code
    assert lab.next_label_gap == (D(gap) if gap is not None else None)
    assert [b.code for b in lab.bands] == ["dark_green", "light_green", "yellow"]


def test_label_explains_the_gap_for_a_pig_farm() -> None:
    # 152,726.361 kg over a herd of 2,000 → 76.363 kg/head → 浅绿; 深绿 needs 23.637/head,
    # i.e. 200,000 − 152,726.361 = 47,273.639 kg; a pig-year in a digester avoids
    # (5.08 − 2.127585) × 27.9 + 0.175 × 273 = 82.3723785 + 47.775 = 130.1473785 kg
    # → 47,273.639 / 130.147… = 363.23 → 364 more pigs.
    r = Reduction("biogas_project", D("152726.361"), (), "v1")
    lab = label("pig_farm", r, 2000, M)
    assert (lab.code, lab.intensity) == ("light_green", D("76.363"))
    assert lab.next_code == "dark_green"
    assert lab.next_label_gap == D("23.637")
    assert lab.next_label_gap_kg == D("47273.639")
    assert lab.equivalent_digester_heads == 364
    assert lab.equivalent_chemical_n_kg is None
    assert "364" in lab.explanation_zh and "深绿" in lab.explanation_zh


def test_label_gap_for_a_grower_in_chemical_n() -> None:
    # 500 kg over 100 mu = 5/mu → 黄; 浅绿 needs 800 − 500 = 300 kg = 300 / 5.89446 = 50.895… kg N
    lab = label("grain_grower", Reduction("farm", D(500), (), "v1"), 100, M)
    assert lab.code == "yellow"
    assert lab.next_label_gap_kg == D("300.000")
    assert lab.equivalent_chemical_n_kg == D("50.896")  # rounded up
    assert lab.assumption and "assumption" in lab.source


def test_denominator_comes_from_the_baseline_by_farm_type() -> None:
    assert denominator_for(GROWER, M) == D(100)
    pig = FarmBaseline("pig_farm", herd_heads=2000)
    assert denominator_for(pig, M) == D(2000)
    producer = FarmBaseline("organic_fertiliser_producer", product_t=D(5000))
    assert denominator_for(producer, M) == D(5000)


# ---------------------------------------------------------------------------------------
# Refusals
# ---------------------------------------------------------------------------------------


def test_negative_quantities_are_refused_naming_each_field() -> None:
    with pytest.raises(InvalidInput) as exc:
        OrganicFertiliserSubstitution(D(-1), D(2), D(-5), D(0))
    assert _fields(exc) == [
        "organic_fertiliser_substitution.applied_t",
        "organic_fertiliser_substitution.chemical_n_before_kg",
    ]
    assert "applied_t" in exc.value.detail and "negative" in exc.value.detail


def test_n_content_above_100_percent_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"n_content_pct: must not exceed 100"):
        OrganicFertiliserSubstitution(D(1), D("100.1"), D(0), D(0))


def test_floats_are_refused_as_inexact() -> None:
    with pytest.raises(InvalidInput, match=r"straw_t: must be an exact number"):
        StrawReturn("rice", 1.5, D(1))  # type: ignore[arg-type]


def test_missing_data_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"straw_return.crop: is required"):
        StrawReturn("", D(1), D(1))
    with pytest.raises(InvalidInput, match=r"heads_served: is required"):
        BiogasProject(D(1), D(1), None, D(0), D(0))  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match=r"baseline.chemical_n_kg: is required"):
        farm_reduction(
            [OrganicFertiliserSubstitution(D(1), D(2), D(10), D(5))],
            FarmBaseline("grain_grower", area_mu=D(10)),
            M,
        )
    with pytest.raises(InvalidInput, match=r"baseline.herd_heads is required"):
        farm_label([], FarmBaseline("pig_farm"), M)


def test_unknown_crop_and_farm_type_are_refused() -> None:
    with pytest.raises(InvalidInput, match=r"straw_return.crop: unknown crop 'sorghum'"):
        reduction(StrawReturn("sorghum", D(1), D(1)), M)
    with pytest.raises(InvalidInput) as exc:
        FarmBaseline("dairy_farm")
    assert _fields(exc) == ["baseline.farm_type"]
    with pytest.raises(InvalidInput, match=r"farm_type: unknown farm type 'dairy_farm'"):
        label("dairy_farm", Reduction("farm", D(1), (), "v1"), 1, M)


def test_zero_or_negative_denominator_is_refused() -> None:
    r = Reduction("farm", D(1), (), "v1")
    with pytest.raises(InvalidInput, match=r"label.denominator: must be greater than zero"):
        label("grain_grower", r, 0, M)
    with pytest.raises(InvalidInput, match=r"label.denominator: must not be negative"):
        label("grain_grower", r, -1, M)


def test_biogas_used_cannot_exceed_produced() -> None:
    with pytest.raises(InvalidInput, match=r"biogas_used_m3: must not exceed biogas_produced_m3"):
        BiogasProject(D(1), D(1), 10, D(100), D(101))
    with pytest.raises(InvalidInput, match=r"days: must be between 1 and 366"):
        BiogasProject(D(1), D(1), 10, D(100), D(10), days=0)


def test_records_cannot_claim_more_than_the_baseline() -> None:
    with pytest.raises(InvalidInput) as exc:
        farm_reduction(
            [
                OrganicFertiliserSubstitution(D(1), D(2), D(1000), D(500)),
                OrganicFertiliserSubstitution(D(1), D(2), D(600), D(500)),
                StrawReturn("rice", D(10), D(120)),
            ],
            GROWER,
            M,
        )
    assert _fields(exc) == [
        "organic_fertiliser_substitution.chemical_n_before_kg",
        "straw_return.area_mu",
    ]


def test_records_are_immutable() -> None:
    record = StrawReturn("rice", D(1), D(1))
    with pytest.raises(AttributeError):
        record.straw_t = D(2)  # type: ignore[misc]
    assert replace(record, straw_t=D(2)).straw_t == D(2)
