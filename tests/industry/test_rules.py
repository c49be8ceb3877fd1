"""The pure label rules, at and around every threshold of methodology v1."""

from __future__ import annotations

from decimal import Decimal

import pytest

from greenfin.industry import rules
from greenfin.industry.methodology import load_methodology
from greenfin.industry.rules import Figures

M = load_methodology("v1")
BENCH = 1_000_000  # 1 tCO2 per 10,000 yuan


def test_v1_thresholds_are_the_documented_defaults() -> None:
    assert (M.dark_green_k_milli, M.light_green_k_milli, M.red_k_above_milli) == (800, 1200, 2000)
    assert (M.dark_green_yoy_below_bp, M.light_green_yoy_max_bp) == (0, 0)
    assert (M.basis, M.prefix_digits, M.min_peers, M.ungradable_label) == ("added_value", 2, 5, "yellow")
    assert M.no_history_counts_as_not_rising is True
    assert "dark_green_k_max" in M.assumptions and "red_k_above" in M.assumptions
    assert all(M.sources.values())


@pytest.mark.parametrize(
    ("intensity", "previous", "expected"),
    [
        (800_000, 800_001, "dark_green"),  # K = 0.8 exactly and falling
        (799_999, 900_000, "dark_green"),
        (800_001, 900_000, "light_green"),  # K just above 0.8
        (800_000, 800_000, "light_green"),  # K = 0.8 but not falling (flat)
        (500_000, None, "light_green"),  # no history: not rising, but never dark green
        (1_200_000, 1_200_000, "light_green"),  # K = 1.2 exactly, flat
        (1_200_000, 1_199_999, "yellow"),  # K = 1.2 but rising
        (1_200_001, 1_500_000, "yellow"),  # K just above 1.2
        (700_000, 699_999, "yellow"),  # low K, but rising
        (2_000_000, None, "yellow"),  # K = 2.0 is not above 2.0
        (2_000_000, 3_000_000, "yellow"),
        (2_000_001, 3_000_000, "red"),  # K just above 2.0, even though falling
        (0, 0, "light_green"),  # zero emissions, flat
    ],
)
def test_grade_table(intensity: int, previous: int | None, expected: str) -> None:
    assert rules.grade(Figures(intensity, previous, BENCH), M) == expected


def test_ungradable_without_intensity_or_benchmark() -> None:
    assert rules.grade(Figures(None, 500_000, BENCH), M) == "yellow"
    assert rules.grade(Figures(500_000, None, None), M) == "yellow"
    why = rules.explain(Figures(None, None, BENCH), M)
    assert why.next_step is not None and why.next_step.label == "light_green"
    assert "added_value" in why.next_step.text_en


def test_integer_helpers_round_like_the_sql() -> None:
    # 14,150,749,580 g / 137,119 t: 137,119 x 103,200 = 14,150,680,800, remainder 68,780 > 137,119 / 2
    assert rules.intensity_g_per_unit(14_150_749_580, 137_119_000) == 103_201
    # 1 t per 10,000 yuan: 1e6 g per 1e6 fen
    assert rules.intensity_g_per_wan(1_000_000, 1_000_000) == 1_000_000
    assert rules.intensity_g_per_wan(5, 0) is None and rules.intensity_g_per_wan(5, -10) is None
    assert rules.div_round(5, 2) == 3 and rules.div_round(4, 3) == 1
    assert rules.yoy_bp(500_000, 600_000) == -1666  # -16.666…% truncated toward zero
    assert rules.yoy_bp(1_000_000, 900_000) == 1111
    assert rules.k_milli(500_000, 1_200_000) == 417  # 0.41666… rounded half up


def test_next_label_from_yellow_needs_both_k_and_no_rise() -> None:
    # intensity 1.0, last year 0.9, benchmark 1.2: K = 0.833 but rising -> yellow;
    # light green needs <= min(1.2 x 1.2, 0.9) = 0.9 -> cut 10.0 %.
    why = rules.explain(Figures(1_000_000, 900_000, 1_200_000), M)
    assert why.label == "yellow"
    step = why.next_step
    assert step is not None
    assert (step.label, step.target_g, step.cut_pct) == ("light_green", 900_000, Decimal("10.0"))
    assert step.text_en == "cut intensity by 10.0% to ≤ 0.9000 tCO2/万元 to reach light green"
    assert step.text_zh == "碳排放强度降低 10.0% 至 ≤ 0.9000 tCO2/万元，可达浅绿"


def test_next_label_from_red_and_light_green() -> None:
    red = rules.explain(Figures(2_500_000, 3_000_000, 1_200_000), M)
    assert red.label == "red"
    assert red.next_step is not None
    # yellow needs K <= 2.0: 2.4 t/万元, a cut of 0.1/2.5 = 4.0 %
    assert (red.next_step.label, red.next_step.target_g, red.next_step.cut_pct) == ("yellow", 2_400_000, Decimal("4.0"))
    light = rules.explain(Figures(1_000_000, 1_100_000, 1_000_000), M)
    assert light.label == "light_green"
    assert light.next_step is not None
    # dark green needs K <= 0.8 (0.8 t) and a fall (< 1.1 t): 0.8 t, a cut of 20.0 %
    assert (light.next_step.target_g, light.next_step.cut_pct) == (800_000, Decimal("20.0"))
    best = rules.explain(Figures(700_000, 800_000, 1_000_000), M)
    assert best.label == "dark_green" and best.next_step is None


def test_thresholds_crossed_are_listed() -> None:
    why = rules.explain(Figures(1_000_000, 900_000, 1_200_000), M)
    met = {(c.rule, c.label): c.met for c in why.checks}
    assert met[("K ≤ 0.8", "dark_green")] is False
    assert met[("K ≤ 1.2", "light_green")] is True
    assert met[("yoy change ≤ 0%", "light_green")] is False
    assert met[("K > 2.0", "red")] is False
