"""Green-loan statistics against published figures (hand-checked arithmetic in each docstring)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from greenfin.errors import InvalidInput
from greenfin.stats.methodology import load_evaluation
from greenfin.stats.rules import (
    Balances,
    evaluate_indicator,
    growth,
    growth_from_increase,
    is_quarter_end,
    multiple,
    one_year_before,
    percent,
    period_figures,
    points_above,
    quarter_ends,
    quarterly_series,
    round_ratio,
    share,
    year_start_base,
)

# 金沙县农信社 2024 disclosure, in 万元 (FINANCE.md §2, M).
JINSHA_GREEN = Decimal("211672.44")
JINSHA_ALL = Decimal("773363.21")
JINSHA_GREEN_INCREASE = Decimal("79735.22")
JINSHA_ALL_INCREASE = Decimal("86901.31")
WAN_FEN = 1_000_000  # fen in 1 万元


def test_jinsha_published_share() -> None:
    """27.37 % = 211,672.44 ÷ 773,363.21 = 0.273704 (the share is balance ÷ all-loan balance)."""
    assert percent(share(JINSHA_GREEN, JINSHA_ALL)) == Decimal("27.37")


def test_jinsha_published_growth_is_increase_over_start_of_year_balance() -> None:
    """60.43 % and 12.66 % are the increase ÷ the balance at 1 January (balance − increase).

    Green: 79,735.22 ÷ (211,672.44 − 79,735.22 = 131,937.22) = 0.604342 → 60.43 %.
    All loans: 86,901.31 ÷ (773,363.21 − 86,901.31 = 686,461.90) = 0.126593 → 12.66 %.
    Dividing by the end balance instead would give 37.67 % and 11.24 %, not what was published.
    """
    green = growth_from_increase(JINSHA_GREEN, JINSHA_GREEN_INCREASE)
    every = growth_from_increase(JINSHA_ALL, JINSHA_ALL_INCREASE)
    assert (percent(green), percent(every)) == (Decimal("60.43"), Decimal("12.66"))
    # "高于各项贷款增速 47.77 个百分点": 60.4342 − 12.6593 = 47.7749 pp
    assert points_above(green, every).quantize(Decimal("0.01")) == Decimal("47.77")
    assert percent(share(JINSHA_GREEN_INCREASE, JINSHA_GREEN)) == Decimal("37.67")


def test_jinsha_case_from_daily_balances_in_fen() -> None:
    """The same case as balances on 2023-12-31 and 2024-12-31: at a year end, YoY = YTD."""
    balances = {
        date(2023, 12, 31): Balances(green_fen=13_193_722 * 10_000, all_fen=68_646_190 * 10_000),
        date(2024, 12, 31): Balances(green_fen=21_167_244 * 10_000, all_fen=77_336_321 * 10_000),
    }
    assert balances[date(2024, 12, 31)].green_fen == int(JINSHA_GREEN * WAN_FEN)
    figures = period_figures(balances, date(2024, 12, 31), base=date(2023, 12, 31))
    assert round_ratio(figures.share) == Decimal("0.2737")  # type: ignore[arg-type]
    assert percent(figures.yoy_growth) == percent(figures.ytd_growth) == Decimal("60.43")  # type: ignore[arg-type]
    assert percent(figures.all_yoy_growth) == Decimal("12.66")  # type: ignore[arg-type]
    assert figures.yoy_points_above_all is not None
    assert figures.yoy_points_above_all.quantize(Decimal("0.01")) == Decimal("47.77")
    assert figures.growth_vs_base == figures.yoy_growth
    assert figures.base_green_fen == 13_193_722 * 10_000


def test_seed_share_fixes_the_all_loan_balance_to_a_narrow_interval() -> None:
    """Quzhou 2023-Q1: 1181.58 亿元 is 36.46 % of all loans.

    A share that rounds to 0.3646 lies in [0.36455, 0.36465), so all loans lie in
    (1181.58 ÷ 0.36465, 1181.58 ÷ 0.36455] = (3240.3126, 3241.2015] 亿元 — what the demo
    loan book must produce.
    """
    green = Decimal("1181.58")
    assert round_ratio(share(green, Decimal("3240.32"))) == Decimal("0.3646")
    assert round_ratio(share(green, Decimal("3241.20"))) == Decimal("0.3646")
    assert round_ratio(share(green, Decimal("3240.31"))) == Decimal("0.3647")
    assert round_ratio(share(green, Decimal("3241.21"))) == Decimal("0.3645")


def test_seed_about_five_times_the_end_of_2016() -> None:
    """ "About 5×": 1181.58 ÷ 236.32 = 4.99992 → 5.0; growth against the base (× − 1) 3.99992."""
    assert multiple(Decimal("1181.58"), Decimal("236.32")).quantize(Decimal("0.1")) == Decimal("5.0")
    assert growth(Decimal("1181.58"), Decimal("236.32")).quantize(Decimal("0.0001")) == Decimal("3.9999")


def test_national_releases_points_above_and_direct_indirect_share() -> None:
    """PBoC 2022 end: +38.5 % is 28.1 pp above all loans, so all loans grew 10.4 %.

    Direct + indirect carbon-reduction loans: (8.62 + 6.08) ÷ 22.03 = 0.66727 → 66.7 %;
    2024-Q1: (11.21 + 11.34) ÷ 33.77 = 0.66775 → 66.8 %. (2021-Q1's rounded inputs give
    (6.47 + 2.29) ÷ 13.03 = 67.23 % against the published 67.3 %: computed from the
    unrounded data — why greenfin computes from fen, never from rounded 亿元.)
    """
    assert points_above(Decimal("0.385"), Decimal("0.104")) == Decimal("28.100")
    assert percent(share(Decimal("8.62") + Decimal("6.08"), Decimal("22.03")), 1) == Decimal("66.7")
    assert percent(share(Decimal("11.21") + Decimal("11.34"), Decimal("33.77")), 1) == Decimal("66.8")
    assert percent(share(Decimal("6.47") + Decimal("2.29"), Decimal("13.03")), 1) == Decimal("67.2")


def test_rounding_is_half_even() -> None:
    """GB/T 8170-2008: a 5 followed by nothing rounds to the even digit."""
    assert percent(Decimal("0.123450")) == Decimal("12.34")
    assert percent(Decimal("0.123350")) == Decimal("12.34")
    assert percent(Decimal("0.1233501")) == Decimal("12.34")
    assert percent(Decimal("0.1234501")) == Decimal("12.35")


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: share(1, 0), "whole"),
        (lambda: share(-1, 10), "part"),
        (lambda: growth(5, 0), "previous"),
        (lambda: multiple(5, 0), "base"),
    ],
)
def test_undefined_ratios_are_refused(call: object, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        call()  # type: ignore[operator]
    assert caught.value.errors[0]["field"] == field


def test_dates_of_comparison() -> None:
    assert year_start_base(date(2024, 3, 31)) == date(2023, 12, 31)
    assert one_year_before(date(2024, 2, 29)) == date(2023, 2, 28)
    assert one_year_before(date(2024, 6, 30)) == date(2023, 6, 30)
    assert quarter_ends(date(2023, 11, 15), date(2024, 7, 1)) == (
        date(2023, 12, 31),
        date(2024, 3, 31),
        date(2024, 6, 30),
    )
    assert quarter_ends(date(2024, 3, 31), date(2024, 3, 31)) == (date(2024, 3, 31),)
    assert quarter_ends(date(2024, 4, 1), date(2024, 6, 29)) == ()
    assert [is_quarter_end(d) for d in (date(2024, 9, 30), date(2024, 9, 29), date(2024, 2, 29))] == [
        True,
        False,
        False,
    ]


def test_quarterly_series_by_hand() -> None:
    """Balances in fen; every figure below is worked by hand.

    2024-03-31: share 120 ÷ 400 = 0.30; YoY (120 − 80) ÷ 80 = 0.50, all (400 − 320) ÷ 320
    = 0.25 → 25 pp above; YTD (120 − 100) ÷ 100 = 0.20, all (400 − 380) ÷ 380.
    2024-06-30: share 150 ÷ 500 = 0.30; no balance a year before → YoY None; YTD 0.50;
    against the base 2023-03-31: 150 ÷ 80 = 1.875 times, growth 0.875.
    """
    balances = {
        date(2023, 3, 31): Balances(80, 320),
        date(2023, 12, 31): Balances(100, 380),
        date(2024, 3, 31): Balances(120, 400),
        date(2024, 6, 30): Balances(150, 500),
    }
    series = quarterly_series(balances, date(2024, 1, 1), date(2024, 9, 30), base=date(2023, 3, 31))
    assert [f.as_of for f in series] == [date(2024, 3, 31), date(2024, 6, 30)]
    march, june = series
    assert (march.share, march.yoy_growth, march.all_yoy_growth) == (Decimal("0.3"), Decimal("0.5"), Decimal("0.25"))
    assert march.yoy_points_above_all == Decimal("25.00")
    assert march.ytd_growth == Decimal("0.2")
    assert march.all_ytd_growth == share(20, 380)
    assert (june.yoy_growth, june.all_yoy_growth, june.yoy_points_above_all) == (None, None, None)
    assert june.ytd_growth == Decimal("0.5")
    assert (june.multiple_of_base, june.growth_vs_base) == (Decimal("1.875"), Decimal("0.875"))


def test_period_without_balances_and_impossible_balances_are_refused() -> None:
    with pytest.raises(InvalidInput):
        period_figures({}, date(2024, 3, 31))
    with pytest.raises(InvalidInput):
        Balances(green_fen=5, all_fen=4)
    with pytest.raises(InvalidInput):
        Balances(green_fen=-1, all_fen=4)


def test_evaluation_indicators_from_the_data_file() -> None:
    """By hand: green 30 of 100 → 0.30; 30 of the region's 300 → 0.10; 30 vs 24 a year
    earlier → 0.25; 0.6 non-performing of 30 → 0.02 (lower is better). Weights add to 100 %."""
    meta, indicators = load_evaluation("v1")
    assert meta.quantitative_weight_pct == 80
    inputs = {
        "green_business_fen": 30,
        "all_business_fen": 100,
        "region_green_business_fen": 300,
        "green_business_year_ago_fen": 24,
        "green_risk_fen": Decimal("0.6"),
    }
    values = {i.key: evaluate_indicator(i, inputs) for i in indicators}
    assert values == {
        "green_share": Decimal("0.3"),
        "market_share": Decimal("0.1"),
        "yoy_growth": Decimal("0.25"),
        "risk_share": Decimal("0.02"),
    }
    assert [i.better for i in indicators] == ["higher", "higher", "higher", "lower"]
    assert sum(i.weight_pct for i in indicators) == 100
    assert evaluate_indicator(indicators[2], {**inputs, "green_business_year_ago_fen": 0}) is None
    with pytest.raises(InvalidInput, match="needs all_business_fen"):
        evaluate_indicator(indicators[0], {"green_business_fen": 1})
