"""Financed emissions (PCAF Part A, 2nd ed., Dec 2022) against the standard's own examples.

Page references are to the standard's text (repository PEERCARBONEARTH/PCAF-client, ref.md
at 6527061496e5acafd032893f748ca2196ee05538). The standard prints no per-asset-class example
with currency amounts; where a test says "by hand" the value is computed from the formula.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from greenfin.errors import InvalidInput
from greenfin.stats.methodology import load_data_quality
from greenfin.stats.rules import (
    Exposure,
    attribution_factor,
    company_value,
    evic,
    financed_emissions,
    portfolio_totals,
    weighted_data_quality,
)

D = Decimal


def _pcaf_table_5_4() -> list[Exposure]:
    """Tables 5-4 / 5-8 / 5-12: forestry 10 %, industrial 25 %, energy 20 % attribution."""
    return [
        Exposure("forestry", "business_loan", D(10), D(100), D(1000), D(100), D(5000), D(20000), None, D(0), D(5000)),
        Exposure("industrial", "business_loan", D(25), D(100), D(20000), D(5000), D(30000), D(0), None, D(25000), D(0)),
        Exposure("energy", "project_finance", D(20), D(100), D(5000), D(0), D(10000), D(1000), None, D(5000), D(500)),
    ]


def test_pcaf_portfolio_example_tables_5_4_and_5_5() -> None:
    """Table 5-5: scope 1 6,100; scope 2 1,260; scope 3 10,000; removals 2,200; credits retired
    7,250 (25,000 × 25 % + 5,000 × 20 %) and generated 600 (5,000 × 10 % + 500 × 20 %) — apart."""
    items = [financed_emissions(e) for e in _pcaf_table_5_4()]
    assert [i.attribution_factor for i in items] == [D("0.1"), D("0.25"), D("0.2")]
    totals = portfolio_totals(items)
    assert (totals.scope1_t, totals.scope2_t, totals.scope3_t, totals.removals_t) == (
        D(6100),
        D(1260),
        D(10000),
        D(2200),
    )
    assert totals.scope3_reported == 3
    assert (totals.credits_retired_t, totals.credits_generated_t) == (D(7250), D(600))


def test_pcaf_box_8_weighted_data_quality() -> None:
    """Box 8: business loans 3.03; oil & gas 3.53 (Σ outstanding × score ÷ Σ outstanding).

    By hand: 3,105,217 ÷ 1,023,967 = 3.0325; (1,567,275 + 937,245) ÷ 709,874 = 3.5281.
    (The printed denominator says 108,977 for company D's 108,997; both round to 3.03.)
    """
    loans = [
        (D(522425), 3),
        (D(187449), 5),
        (D(82778), 1),
        (D(108997), 1),
        (D(67556), 2),
        (D(54762), 5),
    ]
    assert weighted_data_quality(loans).quantize(D("0.01")) == D("3.03")  # type: ignore[union-attr]
    assert weighted_data_quality(loans[:2]).quantize(D("0.01")) == D("3.53")  # type: ignore[union-attr]
    assert weighted_data_quality([]) is None
    with pytest.raises(InvalidInput):
        weighted_data_quality([(D(1), 6)])


def test_pcaf_box_5_evic_keeps_cash() -> None:
    """Box 5: equity 50, debt 50, cash 20 → EVIC 100 (cash not deducted): 50 % + 50 % = 100 %."""
    value = evic(ordinary_market_cap=D(50), preferred_market_cap=D(0), total_debt=D(50), minorities=D(0))
    assert value == D(100)
    equity, _ = attribution_factor("listed_equity", D(50), value)
    debt, _ = attribution_factor("corporate_bond", D(50), value)
    assert (equity, debt, equity + debt) == (D("0.5"), D("0.5"), D(1))


def test_negative_equity_counts_as_zero() -> None:
    """Footnote 90: negative total equity is set to 0, so the debt carries all the emissions."""
    assert company_value(D(-30), D(70)) == D(70)
    assert company_value(D(30), D(70)) == D(100)
    factor, capped = attribution_factor("business_loan", D(70), company_value(D(-30), D(70)))
    assert (factor, capped) == (D(1), False)


@pytest.mark.parametrize(
    ("asset_class", "outstanding", "denominator", "emissions", "expected_t"),
    [
        # by hand: 25 M ÷ 50 M property value at origination = 0.5 × 800 t = 400 t
        ("commercial_real_estate", D(25_000_000), D(50_000_000), D(800), D(400)),
        # by hand: 1.2 M outstanding ÷ 2 M home value at origination = 0.6 × 3.5 t = 2.1 t
        ("mortgage", D(1_200_000), D(2_000_000), D("3.5"), D("2.10")),
        # by hand: 60,000 ÷ 150,000 vehicle price = 0.4 × 4.2 t = 1.68 t
        ("motor_vehicle", D(60_000), D(150_000), D("4.2"), D("1.680")),
        # by hand: 300 M ÷ (400 M equity + 800 M debt of the project) = 0.25 × 12,000 t = 3,000 t
        ("project_finance", D(300_000_000), D(1_200_000_000), D(12000), D(3000)),
        # by hand: 5 M ÷ 40 M EVIC = 0.125 × 80,000 t = 10,000 t
        ("listed_equity", D(5_000_000), D(40_000_000), D(80000), D(10000)),
    ],
)
def test_attribution_by_asset_class_by_hand(
    asset_class: str, outstanding: Decimal, denominator: Decimal, emissions: Decimal, expected_t: Decimal
) -> None:
    item = financed_emissions(Exposure("x", asset_class, outstanding, denominator, emissions, D(0)))  # type: ignore[arg-type]
    assert item.scope1_t == expected_t
    assert (item.scope2_t, item.scope3_t, item.removals_t, item.capped) == (D(0), None, None, False)


def test_motor_vehicle_of_unknown_value_is_attributed_in_full() -> None:
    """§5.6: vehicle value at origination unknown → assume 100 % attribution."""
    item = financed_emissions(Exposure("car", "motor_vehicle", D(60_000), None, D("4.2"), D("0.3")))
    assert (item.attribution_factor, item.scope1_t, item.scope2_t) == (D(1), D("4.2"), D("0.3"))
    with pytest.raises(InvalidInput, match="needs a denominator"):
        attribution_factor("mortgage", D(1), None)


def test_the_pboc_project_rule_is_a_named_alternative() -> None:
    """PBoC: a 2,000 万元 loan to a project of 8,000 万元 total investment carries 2,000 ÷ 8,000 = 25 % of
    its 10,000 t → 2,500 t, whatever the asset class; the project's investment cannot be omitted."""
    item = financed_emissions(
        Exposure("p", "business_loan", D(20_000_000), D(80_000_000), D(10000), D(400), attribution="pboc")
    )
    assert (item.attribution, item.attribution_factor, item.scope1_t, item.scope2_t) == (
        "pboc", D("0.25"), D(2500), D(100)
    )  # fmt: skip
    with pytest.raises(InvalidInput, match="project's total investment"):
        attribution_factor("motor_vehicle", D(1), None, "pboc")
    with pytest.raises(InvalidInput, match="unknown attribution"):
        attribution_factor("business_loan", D(1), D(2), "equal_share")  # type: ignore[arg-type]


def test_factor_above_one_is_capped_and_flagged() -> None:
    """Outstanding 120 on a home valued 100 at origination: factor 1.2 → capped at 1 (see docs)."""
    item = financed_emissions(Exposure("m", "mortgage", D(120), D(100), D(2), D(1)))
    assert (item.attribution_factor, item.capped, item.scope1_t) == (D(1), True, D(2))


def test_repaid_loan_attributes_nothing() -> None:
    """§5.2: attribution declines to 0 when the loan is repaid."""
    item = financed_emissions(Exposure("z", "business_loan", D(0), D(100), D(500), D(50), D(10)))
    assert (item.scope1_t, item.scope2_t, item.scope3_t) == (D(0), D(0), D(0))


@pytest.mark.parametrize(
    "exposure",
    [
        Exposure("a", "business_loan", D(-1), D(100), D(1), D(1)),
        Exposure("b", "business_loan", D(1), D(0), D(1), D(1)),
        Exposure("c", "sovereign_debt", D(1), D(100), D(1), D(1)),  # type: ignore[arg-type]
        Exposure("d", "business_loan", D(1), D(100), D(1), D(1), data_quality=0),
    ],
)
def test_bad_exposures_are_refused(exposure: Exposure) -> None:
    with pytest.raises(InvalidInput):
        financed_emissions(exposure)


@pytest.mark.parametrize(
    ("asset_class", "option", "score"),
    [
        # Table 5-7 (business loans): 1a verified 1; 1b unverified and 2a energy 2; 2b production 3; 3a 4; 3b, 3c 5
        ("business_loan", "1a", 1),
        ("business_loan", "1b", 2),
        ("business_loan", "2a", 2),
        ("business_loan", "2b", 3),
        ("business_loan", "3a", 4),
        ("business_loan", "3b", 5),
        ("business_loan", "3c", 5),
        ("listed_equity", "2a", 2),
        ("project_finance", "3a", 4),
        # Table 5-15 (mortgages): metered × supplier factor 1, × average factor 2, label × area 3,
        # statistics × area 4, per building 5
        ("mortgage", "1a", 1),
        ("mortgage", "1b", 2),
        ("mortgage", "2a", 3),
        ("mortgage", "2b", 4),
        ("mortgage", "3", 5),
        ("commercial_real_estate", "2b", 4),
        # Table 5-16 (motor vehicles): 1a and 1b 1, 2a 2, 2b 3, 3a 4, 3b 5
        ("motor_vehicle", "1b", 1),
        ("motor_vehicle", "2a", 2),
        ("motor_vehicle", "2b", 3),
        ("motor_vehicle", "3a", 4),
        ("motor_vehicle", "3b", 5),
    ],
)
def test_pcaf_data_quality_tables(asset_class: str, option: str, score: int) -> None:
    assert load_data_quality().score(asset_class, option) == score


def test_mixed_options_take_the_lowest_rated_and_greenfin_sources() -> None:
    """§5.6: actual distance (1b) with only the vehicle type known (3a) scores 4, as the standard says."""
    table = load_data_quality()
    assert table.mixed_score("motor_vehicle", ["1b", "3a"]) == 4
    # an account with audited emissions scores better than metered, metered better than declared
    assert [table.score_for_source("business_loan", k) for k in ("audited", "metered", "declared")] == [1, 2, 3]
    assert [table.score_for_source("business_loan", k) for k in ("sector_revenue", "sector_asset")] == [4, 5]
    with pytest.raises(InvalidInput):
        table.score("mortgage", "3a")
    with pytest.raises(InvalidInput):
        table.score_for_source("mortgage", "metered")
    with pytest.raises(InvalidInput):
        table.score_for_source("business_loan", "guessed")
    with pytest.raises(InvalidInput):
        table.mixed_score("business_loan", [])
