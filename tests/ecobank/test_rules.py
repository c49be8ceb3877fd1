"""Valuation rules against published worked examples (and hand computations where none was found).

Sources of the expected figures:

* Income approach — 资产评估师 examination, 经济林资产评估 (红星林场 jujube orchard): 100 亩,
  yearly income 8,700 元/亩, costs 3,500 元/亩, 76 bearing years left, 10 % →
  **5,196,283.28 元** (the published answer).
* Income approach, finite term — 房地产估价师《理论与方法》模拟试卷 23: a 40-year income value of
  150 万元 at 10 % is worth **144.6 万元** over 30 years (option C).
* Replacement cost — 经济林林木资产评估实验 (100 亩 tea-oil stand, 20 years old, full bearing from
  year 10, economic life 50, 27 kg/亩 against a reference 30 kg/亩, cost 3,200 元/亩):
  K = 0.9, α = 0.75, **2,160 元/亩**.
* Loan-to-value on a yearly income — 安吉 ecological compensation right: 4,794 亩 × 35 元 × 5 =
  **838,950 元** (FINANCE.md §6).
* Market comparison — no published exercise with a complete answer was found: the case below
  was computed by hand (exact fractions, rounded once at the end), see each line.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from greenfin.ecobank.rules import (
    Comparable,
    CostInput,
    IncomeInput,
    LtvCap,
    ServicePrice,
    allocate_fen,
    condition_factor,
    cost_value,
    gep_value,
    income_value,
    market_value,
    max_loan_fen,
    parse_ratio,
)
from greenfin.errors import InvalidInput

D = Decimal


def test_income_textbook_jujube_orchard() -> None:
    result = income_value(
        IncomeInput(annual_net_income=D(5200), years=76, rate=D("0.1"), area_mu=D(100)),
    )
    assert result.value == D("5196283.28")
    assert result.annual_net_income == D("520000.00")


def test_income_built_from_yield_price_and_costs() -> None:
    # The same orchard with A = 1 × 8,700 − 3,500 per 亩 (income as yield 1 unit at 8,700 元).
    result = income_value(
        IncomeInput(
            annual_yield=D(1), unit_price=D(8700), annual_costs=D(3500), years=76, rate=D("0.1"), area_mu=D(100)
        )
    )
    assert result.value == D("5196283.28")


def test_income_forty_against_thirty_years() -> None:
    # A = 150 万 × 0.1 / (1 − 1.1^−40); the 30-year value is 144.6 万 (the exam's option C).
    forty = income_value(IncomeInput(annual_net_income=D(1), years=40, rate=D("0.1")))
    thirty = income_value(IncomeInput(annual_net_income=D(1), years=30, rate=D("0.1")))
    assert (D(150) * thirty.annuity_factor / forty.annuity_factor).quantize(D("0.1")) == D("144.6")


def test_income_at_rate_zero_is_income_times_years() -> None:
    result = income_value(IncomeInput(annual_net_income=D("5600"), years=10, rate=D(0)))
    assert result.value == D("56000.00")  # 衢江's farmhouse deposit slip: 5,600 元 a year for 10 years


def test_income_quality_factor_scales() -> None:
    result = income_value(IncomeInput(annual_net_income=D(100), years=1, rate=D("0.08"), quality_factor=D("0.9")))
    assert result.value == D("83.33")  # 0.9 × 100 / 1.08 = 83.333…


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"years": 0}, "years"),
        ({"years": 201}, "years"),
        ({"rate": D("-0.01")}, "rate"),
        ({"rate": D(1)}, "rate"),
        ({"annual_net_income": D(-1)}, "annual_net_income"),
        ({"annual_net_income": None}, "annual_net_income"),
        ({"quality_factor": D(0)}, "quality_factor"),
        ({"area_mu": D(0)}, "area_mu"),
    ],
)
def test_income_refusals(changes: dict[str, object], field: str) -> None:
    values: dict[str, object] = {"annual_net_income": D(100), "years": 10, "rate": D("0.08"), **changes}
    with pytest.raises(InvalidInput) as caught:
        income_value(IncomeInput(**values))  # type: ignore[arg-type]
    assert caught.value.errors[0]["field"] == field


def test_cost_textbook_tea_oil_stand() -> None:
    assert condition_factor(age=20, bearing_start=10, economic_life=50) == D("0.75")
    per_mu = cost_value(
        CostInput(
            replacement_cost=D(3200),
            age_years=20,
            bearing_start_year=10,
            economic_life_years=50,
            quality_factor=D("0.9"),
        )
    )
    assert per_mu.value == D("2160.00")
    whole = cost_value(
        CostInput(replacement_cost=D(3200), condition_factor=D("0.75"), quality_factor=D("0.9"), area_mu=D(100))
    )
    assert whole.value == D("216000.00")


def test_condition_factor_bounds() -> None:
    assert condition_factor(age=5, bearing_start=10, economic_life=50) == 1  # not yet in full bearing
    assert condition_factor(age=60, bearing_start=10, economic_life=50) == 0  # past its economic life
    with pytest.raises(InvalidInput):
        condition_factor(age=5, bearing_start=50, economic_life=50)
    with pytest.raises(InvalidInput):
        cost_value(CostInput(replacement_cost=D(1)))  # neither α nor the stand's ages
    with pytest.raises(InvalidInput):
        cost_value(CostInput(replacement_cost=D(1), condition_factor=D("1.2")))


def test_market_hand_computed_three_transfers() -> None:
    # A: 12,000 × 105/100 × 100/98 × 100/102 = 12,605.042016…
    # B: 11,500 × 103/100 × 100/95            = 12,468.421052…
    # C: 12,600 × 100/103 × 100/104           = 11,762.509335…
    # mean 12,278.657468… 元/亩; × 50 亩 = 613,932.873412… → 613,932.87 元
    comparables = [
        Comparable(D(12000), {"date": parse_ratio("105/100", "d"), "regional": parse_ratio("100/98", "r"),
                              "individual": parse_ratio("100/102", "i")}),
        Comparable(D(11500), {"date": parse_ratio("103/100", "d"), "regional": parse_ratio("100/95", "r")}),
        Comparable(D(12600), {"regional": parse_ratio("100/103", "r"), "individual": parse_ratio("100/104", "i")}),
    ]  # fmt: skip
    result = market_value(comparables, area_mu=D(50), max_correction=D("0.3"))
    assert result.corrected == (D("12605.04"), D("12468.42"), D("11762.51"))
    assert result.price_per_mu == D("12278.66")
    assert result.value == D("613932.87")


def test_market_refusals() -> None:
    with pytest.raises(InvalidInput):
        market_value([], area_mu=D(1))
    with pytest.raises(InvalidInput) as caught:
        market_value(
            [Comparable(D(100), {"regional": parse_ratio("100/60", "r")})], area_mu=D(1), max_correction=D("0.3")
        )
    assert "30%" in caught.value.detail
    with pytest.raises(InvalidInput):
        market_value([Comparable(D(100), {"weather": parse_ratio(1, "w")})], area_mu=D(1))
    for bad in ("100/0", "x", "-1", True):
        with pytest.raises(InvalidInput):
            parse_ratio(bad, "date")


def test_gep_given_quantities_and_defaults() -> None:
    prices = {
        "water_retention": ServicePrice("water_retention", D("7.06"), "元/m³", "M"),
        "carbon_fixation": ServicePrice("carbon_fixation", D("97.49"), "元/t CO₂", "M"),
    }
    # 10,000 m³ × 7.06 = 70,600.00; default 0.2 t/亩 × 100 亩 = 20 t × 97.49 = 1,949.80
    result = gep_value(
        prices=prices,
        quantities={"water_retention": D(10000)},
        default_rates={"carbon_fixation": (D("0.2"), "L")},
        area_mu=D(100),
    )
    assert [row.value for row in result.services] == [D("70600.00"), D("1949.80")]
    assert result.value_per_year == D("72549.80")
    assert result.confidence == "L"
    with pytest.raises(InvalidInput):
        gep_value(prices=prices, quantities={"noise": D(1)}, default_rates={}, area_mu=D(1))


def test_ltv_caps() -> None:
    forest = LtvCap("forest_right", "appraised_value", D("0.6"), "M")
    assert max_loan_fen(forest, appraised_value_fen=123_456_789) == 74_074_073  # 0.6 × 1,234,567.89 元, rounded down
    anji = LtvCap("ecological_compensation_right", "yearly_income", D(5), "M")
    assert max_loan_fen(anji, yearly_income_fen=4794 * 35 * 100) == 838_950_00
    with pytest.raises(InvalidInput):
        max_loan_fen(anji, appraised_value_fen=1)


def test_allocate_fen_by_shares() -> None:
    # Hand-computed: 100 fen over 1:1:1 → 33.33… each; the one fen left goes to the first.
    assert allocate_fen(100, [1, 1, 1]) == [34, 33, 33]
    # 2,000,000 fen (2 万元) over 7 households with 120, 80, 100, 95, 60, 45, 200 trees (700):
    # exact parts 342,857.14 / 228,571.43 / 285,714.29 / 271,428.57 / 171,428.57 / 128,571.43 / 571,428.57;
    # floors sum to 1,999,997; the 3 fen go to the largest remainders (.57 ×3, earliest first).
    assert allocate_fen(2_000_000, [120, 80, 100, 95, 60, 45, 200]) == [
        342_857, 228_571, 285_714, 271_429, 171_429, 128_571, 571_429,
    ]  # fmt: skip
    assert sum(allocate_fen(999_999, [3, 7, 11])) == 999_999
    with pytest.raises(InvalidInput):
        allocate_fen(100, [1, 0])
