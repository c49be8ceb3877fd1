"""Pure rules of the platform against hand-computed values."""

from __future__ import annotations

from datetime import date

import pytest

from greenfin.errors import Conflict
from greenfin.market import rules, service
from greenfin.market.rules import NeedFacts, ProductFacts

PRODUCT = ProductFacts(
    product_id="p1",
    org_code="b",
    loan_method="credit",
    min_amount_fen=1_000_000,
    max_amount_fen=400_000_000,
    min_term_months=3,
    max_term_months=24,
    borrower_kinds=("enterprise",),
)
NEED = NeedFacts(borrower_kind="enterprise", amount_fen=100_000_000, term_months=12, county_code="330802")


def test_score_by_hand() -> None:
    # rate 330 vs LPR 300: 500 − 2×30 = 440; amount 200 × 1e8 ÷ 4e8 = 50; term 100 × 12 ÷ 24 = 50;
    # record 200 × 7 ÷ 9 = 155 (rounded down) → 695
    match = rules.match_one(NEED, PRODUCT, base_rate_bp=350, rate_bp=330, lpr_bp=300, on_time=7, answered=9)
    assert match is not None and match.score == 695
    # no record: 100 points; a rate 250 bp over the LPR: 0 rate points; at or under the LPR: 500
    assert rules.record_points(0, 0) == 100
    assert rules.rate_points(550, 300) == 0 and rules.rate_points(290, 300) == 500


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"borrower_kinds": ("farm",)}, "x_kind"),
        ({"counties": ("330803",)}, "x_county"),
        ({"industries": ("22",)}, "x_industry"),
        ({"carbon_labels": ("dark_green",)}, "x_carbon_label"),
        ({"green_uses": ("3",)}, "x_green_use"),
        ({"max_amount_fen": 50_000_000}, "x_amount"),
        ({"min_term_months": 13}, "x_term"),
        ({"loan_method": "mortgage"}, "x_collateral"),
    ],
)
def test_each_rule_excludes(change: dict[str, object], key: str) -> None:
    product = ProductFacts(**{**PRODUCT.__dict__, **change})  # type: ignore[arg-type]
    assert [r.key for r in rules.exclusions(NEED, product)] == [f"market.reason.{key}"]
    assert rules.match_one(NEED, product, base_rate_bp=350, rate_bp=350, lpr_bp=300, on_time=0, answered=0) is None


def test_industry_prefix_and_ranking_ties() -> None:
    need = NeedFacts(borrower_kind="enterprise", amount_fen=100_000_000, term_months=12, industry_code="2221")
    assert rules.exclusions(need, ProductFacts(**{**PRODUCT.__dict__, "industries": ("22",)})) == []  # type: ignore[arg-type]
    a = rules.Match("b", 500, 350, ())
    b = rules.Match("a", 500, 350, ())
    c = rules.Match("c", 500, 340, ())
    assert [m.product_id for m in rules.rank([a, None, b, c])] == ["c", "a", "b"]


def test_transitions() -> None:
    assert rules.next_state("submitted", "accept") == "accepted"
    assert {"declined", "disbursed", "withdrawn", "expired"} == rules.TERMINAL
    with pytest.raises(Conflict, match="declined already"):
        rules.next_state("declined", "approve")
    with pytest.raises(Conflict):
        rules.next_state("submitted", "approve")


def test_working_days_over_the_national_day_holiday() -> None:
    # 2025: 国庆节+中秋节 1–8 October off, Sunday 28 September and Saturday 11 October worked
    # (国务院办公厅 国办发明电〔2024〕12号). From Friday 26 September, 1 working day → Sunday 28 September;
    # 2 → Monday 29; 4 → Thursday 9 October; 5 → Friday 10; 6 → Saturday 11 October.
    start = date(2025, 9, 26)
    got = [service.due_date(start, n) for n in (1, 2, 4, 5, 6)]
    assert got == [date(2025, 9, 28), date(2025, 9, 29), date(2025, 10, 9), date(2025, 10, 10), date(2025, 10, 11)]
    assert service.calendar_for(start, 6).startswith("chinesecalendar-")


def test_unknown_years_fall_back_to_weekdays_and_say_so() -> None:
    # chinesecalendar 1.11 knows up to 2026; 2030-01-01 is a Tuesday.
    assert service.due_date(date(2030, 1, 4), 1) == date(2030, 1, 7)  # Friday + 1 → Monday
    assert service.calendar_for(date(2030, 1, 4), 1).startswith("weekdays")


def test_subsidy_and_labels() -> None:
    # 1,000,000 yuan × 2 % × 12 ÷ 12 = 20,000 yuan = 2,000,000 fen; a 6-month loan gets half
    assert rules.subsidy_fen(100_000_000, 200, 12) == 2_000_000
    assert rules.subsidy_fen(100_000_000, 200, 6) == 1_000_000
    assert rules.subsidy_fen(100_000_000, 200, 36) == 2_000_000  # one year at most
    assert rules.label_at_least("dark_green", "light_green") and not rules.label_at_least("yellow", "light_green")
    assert not rules.label_at_least(None, "light_green") and rules.label_at_least(None, None)
    assert rules.bp_percent(365) == "3.65" and rules.bp_percent(-5) == "-0.05"
