"""Carbon-linked credit terms, worked by hand against the Quzhou policy table v1.

Units: rates and fees in basis points (4.35 % = 435 bp), amounts in integer fen
(1,000,000.00 yuan = 100,000,000 fen). Amounts are rounded to whole fen half-to-even.
"""

from __future__ import annotations

import copy
import tomllib
from decimal import Decimal as D
from importlib import resources
from typing import Any

import pytest

from greenfin.errors import InvalidInput, NotFound
from greenfin.finance.policy import LABEL_CODES, available_policies, load_policy, parse_policy
from greenfin.finance.rules import (
    Adjustment,
    BaseOffer,
    BorrowerStanding,
    Terms,
    round_fen,
    terms_for,
)

POLICY = load_policy("330800", "v1")
BASE = BaseOffer(rate_bp=435, amount_fen=100_000_000, term_months=12, guarantee_fee_bp=150)


def _raw() -> dict[str, Any]:
    text = (resources.files("greenfin.finance") / "data" / "policies" / "quzhou-v1.toml").read_text(encoding="utf-8")
    return tomllib.loads(text, parse_float=D)


def _by_field(terms: Terms, field: str) -> list[Adjustment]:
    return [a for a in terms.adjustments if a.field == field]


def _fields(exc: pytest.ExceptionInfo[InvalidInput]) -> list[str]:
    return [e["field"] for e in exc.value.errors]


# ---------------------------------------------------------------------------------------
# The policy table
# ---------------------------------------------------------------------------------------


def test_quzhou_v1_is_the_default_and_complete() -> None:
    assert ("330800", "v1") in available_policies()
    assert load_policy() is POLICY
    assert POLICY.policy_id == "330800/v1"
    for account_type, codes in LABEL_CODES.items():
        for code in codes:
            cell = POLICY.cells[(account_type, code)]
            assert cell.source
            assert isinstance(cell.credit_line_multiplier, D)
            if cell.assumption:
                assert "assumption" in cell.source.lower()
    assert POLICY.products["tan_rong_tong"].name_zh == "碳融通"
    assert POLICY.products["tan_rong_tong"].reference_rate_bp == 500
    assert POLICY.limits.rate_floor_bp == 300


def test_unknown_region_or_version_is_not_found() -> None:
    with pytest.raises(NotFound, match="330100"):
        load_policy("330100")
    with pytest.raises(NotFound, match="v9"):
        load_policy("330800", "v9")


def test_broken_policy_is_refused_with_every_problem_named() -> None:
    raw = _raw()
    raw["cells"]["industrial"]["dark_green"]["credit_line_multiplier"] = D(0)
    raw["cells"]["industrial"]["purple"] = copy.deepcopy(raw["cells"]["industrial"]["yellow"])
    raw["cells"]["personal"]["light_green"]["eligible_products"] = ["moon_loan"]
    raw["cells"]["agricultural"]["yellow"]["rate_adjustment_bp"] = D("-10.5")
    raw["cells"]["agricultural"]["light_green"]["rate_discount"] = -5
    del raw["cells"]["personal"]["mid_green"]
    raw["banks"]["jiangshan_rcb"]["agricultural"]["red"] = {"rate_adjustment_bp": -5, "source": "x"}
    raw["banks"]["jiangshan_rcb"]["leasing"] = {"dark_green": {"fast_track": True, "source": "x"}}
    raw["banks"]["jiangshan_rcb"]["agricultural"]["dark_green"]["credit_line_multiplier"] = D("-1")
    raw["limits"]["max_credit_line_multiplier"] = D(0)
    with pytest.raises(InvalidInput) as exc:
        parse_policy(raw, origin="broken.toml")
    assert set(_fields(exc)) == {
        "cells.industrial.dark_green.credit_line_multiplier",
        "cells.industrial.purple",
        "cells.personal.light_green.eligible_products",
        "cells.agricultural.yellow.rate_adjustment_bp",
        "cells.agricultural.light_green.rate_discount",
        "cells.personal.mid_green",
        "banks.jiangshan_rcb.agricultural.red",
        "banks.jiangshan_rcb.leasing",
        "banks.jiangshan_rcb.agricultural.dark_green.credit_line_multiplier",
        "limits.max_credit_line_multiplier",
    }
    assert "broken.toml" in exc.value.detail


def test_an_assumed_cell_must_say_so() -> None:
    raw = _raw()
    raw["cells"]["industrial"]["yellow"]["source"] = "our guess"
    with pytest.raises(InvalidInput) as exc:
        parse_policy(raw)
    assert _fields(exc) == ["cells.industrial.yellow.source"]


# ---------------------------------------------------------------------------------------
# Worked examples
# ---------------------------------------------------------------------------------------
#
# | standing          | rate bp        | amount fen                      | guarantee fee bp        |
# |-------------------|----------------|---------------------------------|-------------------------|
# | industrial 深绿    | 435 − 50 = 385 | 100,000,000 × 1.3 = 130,000,000 | 150 − 20 = 130 → cap 80  |
# | industrial 浅绿    | 435 − 25 = 410 | × 1.1 = 110,000,000             | 150 − 10 = 140 → cap 100 |
# | industrial 黄      | 435            | 100,000,000                     | 150                     |
# | industrial 红      | 435 + 20 = 455 | 100,000,000                     | 150                     |
# | agricultural 浅绿  | 435 − 10 = 425 | × 1.1 = 110,000,000             | 150 − 10 = 140 → cap 100 |
# | personal 中绿      | 435 − 30 = 405 | × 1.1 = 110,000,000             | 150                     |


@pytest.mark.parametrize(
    ("account_type", "code", "rate", "amount", "fee", "fast", "products"),
    [
        ("industrial", "dark_green", 385, 130_000_000, 80, True, ("carbon_account_loan",)),
        ("industrial", "light_green", 410, 110_000_000, 100, True, ("carbon_account_loan",)),
        ("industrial", "yellow", 435, 100_000_000, 150, False, ()),
        ("industrial", "red", 455, 100_000_000, 150, False, ()),
        ("agricultural", "light_green", 425, 110_000_000, 100, True, ("tan_rong_tong",)),
        ("personal", "mid_green", 405, 110_000_000, 150, False, ("green_consumer_loan",)),
    ],
)
def test_single_standing_worked_examples(
    account_type: str, code: str, rate: int, amount: int, fee: int, fast: bool, products: tuple[str, ...]
) -> None:
    t = terms_for(BorrowerStanding(account_type, code), BASE, POLICY)
    assert (t.rate_bp, t.amount_fen, t.guarantee_fee_bp, t.fast_track) == (rate, amount, fee, fast)
    assert t.eligible_products == products
    assert t.term_months == 12
    assert t.base_offer == BASE
    assert t.policy_id == "330800/v1"


def test_dark_green_trace_names_every_rule() -> None:
    t = terms_for(BorrowerStanding("industrial", "dark_green", holder="91330800MA2XXXXXXX"), BASE, POLICY)
    trace = [(a.rule_id, a.field, a.before, a.after) for a in t.adjustments]
    cell = "330800/v1:cells.industrial.dark_green"
    assert trace == [
        (f"{cell}.rate_adjustment_bp", "rate_bp", 435, 385),
        (f"{cell}.credit_line_multiplier", "amount_fen", 100_000_000, 130_000_000),
        (f"{cell}.guarantee_fee_discount_bp", "guarantee_fee_bp", 150, 130),
        (f"{cell}.guarantee_fee_cap_bp", "guarantee_fee_bp", 130, 80),
        (f"{cell}.fast_track", "fast_track", False, True),
        (f"{cell}.eligible_products", "eligible_products", (), ("carbon_account_loan",)),
    ]
    first = t.adjustments[0]
    assert first.reason_zh == "工业碳账户深绿：利率调整 -50 bp"
    assert first.reason_en == "industrial carbon account dark green: rate -50 bp"
    assert "文登" in first.source


def test_yellow_changes_nothing_and_says_nothing() -> None:
    t = terms_for(BorrowerStanding("agricultural", "yellow"), BASE, POLICY)
    assert t.adjustments == ()
    assert (t.rate_bp, t.amount_fen, t.guarantee_fee_bp) == (435, 100_000_000, 150)


def test_no_standing_means_the_base_offer() -> None:
    t = terms_for([], BASE, POLICY)
    assert (t.rate_bp, t.amount_fen, t.fast_track, t.adjustments) == (435, 100_000_000, False, ())


# ---------------------------------------------------------------------------------------
# Several standings
# ---------------------------------------------------------------------------------------


def test_enterprise_and_person_stack_within_the_caps() -> None:
    # industrial 深绿 (−50, ×1.3) + personal 深绿 (−50, ×1.2), given in reverse order:
    # rate 435 − 50 − 50 = 335 (net −100 = the cap, not exceeded)
    # amount 100,000,000 × 1.3 = 130,000,000 × 1.2 = 156,000,000 → cap ×1.5 = 150,000,000
    t = terms_for(
        [BorrowerStanding("personal", "dark_green", holder="法定代表人"), BorrowerStanding("industrial", "dark_green")],
        BASE,
        POLICY,
    )
    assert t.rate_bp == 335
    assert t.amount_fen == 150_000_000
    amounts = [(a.rule_id.split(":")[1], a.before, a.after) for a in _by_field(t, "amount_fen")]
    assert amounts == [
        ("cells.industrial.dark_green.credit_line_multiplier", 100_000_000, 130_000_000),
        ("cells.personal.dark_green.credit_line_multiplier", 130_000_000, 156_000_000),
        ("limits.max_credit_line_multiplier", 156_000_000, 150_000_000),
    ]
    assert t.eligible_products == ("carbon_account_loan", "green_consumer_loan")
    assert len(_by_field(t, "fast_track")) == 1  # granted once, by the first standing


def test_stacked_discount_is_capped() -> None:
    raw = _raw()
    raw["limits"]["max_total_discount_bp"] = 80
    policy = parse_policy(raw)
    # 435 − 50 − 50 = 335; net −100 exceeds the 80 bp cap → 355
    t = terms_for(
        [BorrowerStanding("industrial", "dark_green"), BorrowerStanding("personal", "dark_green")], BASE, policy
    )
    assert t.rate_bp == 355
    last = _by_field(t, "rate_bp")[-1]
    assert (last.rule_id, last.before, last.after) == ("330800/v1:limits.max_total_discount_bp", 335, 355)


def test_red_label_excludes_products_another_label_would_open() -> None:
    # an enterprise with industrial 红 (+20 bp) that also runs a farm with agricultural 深绿 (−20 bp):
    # 435 + 20 − 20 = 435; the farm label opens carbon_account_loan and tan_rong_tong, the red
    # label then removes carbon_account_loan.
    t = terms_for(
        [BorrowerStanding("industrial", "red"), BorrowerStanding("agricultural", "dark_green")],
        BASE,
        POLICY,
    )
    assert t.rate_bp == 435 + 20 - 20
    assert t.eligible_products == ("tan_rong_tong",)
    removed = _by_field(t, "eligible_products")[-1]
    assert removed.rule_id == "330800/v1:cells.industrial.red.excluded_products"
    assert removed.before == ("carbon_account_loan", "tan_rong_tong")
    assert removed.after == ("tan_rong_tong",)
    assert "碳账户贷" in removed.reason_zh


# ---------------------------------------------------------------------------------------
# Floor, rounding, bank overrides
# ---------------------------------------------------------------------------------------


def test_rate_floor() -> None:
    # base 320 − 50 = 270 < floor 300 → 300, traced to the limit
    t = terms_for(BorrowerStanding("industrial", "dark_green"), BaseOffer(320, 100_000_000, 12), POLICY)
    assert t.rate_bp == 300
    floor = _by_field(t, "rate_bp")[-1]
    assert (floor.rule_id, floor.before, floor.after) == ("330800/v1:limits.rate_floor_bp", 270, 300)
    assert "LPR" in floor.source


def test_floor_never_raises_a_base_rate_already_below_it() -> None:
    t = terms_for(BorrowerStanding("industrial", "dark_green"), BaseOffer(290, 100_000_000, 12), POLICY)
    assert t.rate_bp == 290


def test_amounts_round_half_to_even() -> None:
    assert round_fen(D("110000005.5")) == 110_000_006
    assert round_fen(D("110000016.5")) == 110_000_016
    # 100,000,005 × 1.1 = 110,000,005.5 → 110,000,006; 100,000,015 × 1.1 = 110,000,016.5 → 110,000,016
    for base, expected in ((100_000_005, 110_000_006), (100_000_015, 110_000_016)):
        t = terms_for(BorrowerStanding("industrial", "light_green"), BaseOffer(435, base, 12), POLICY)
        assert t.amount_fen == expected


def test_bank_override_wins_and_is_traced() -> None:
    # 江山农商银行, agricultural 深绿: the bank's −10 bp (碳融通) and ×1.3 replace the region's
    # −20 bp and ×1.2; the guarantee terms still come from the region's cell.
    # rate 510 − 10 = 500 bp (碳融通's 5.0 %); amount 30,000,000 × 1.3 = 39,000,000; fee 100 − 20 = 80
    base = BaseOffer(rate_bp=510, amount_fen=30_000_000, term_months=12, guarantee_fee_bp=100)
    standing = BorrowerStanding("agricultural", "dark_green")
    region = terms_for(standing, base, POLICY)
    bank = terms_for(standing, base, POLICY, bank_code="jiangshan_rcb")
    assert (region.rate_bp, region.amount_fen) == (490, 36_000_000)
    assert (bank.rate_bp, bank.amount_fen, bank.guarantee_fee_bp) == (500, 39_000_000, 80)
    assert bank.bank_code == "jiangshan_rcb"
    rules = {a.field: a.rule_id for a in bank.adjustments}
    assert rules["rate_bp"] == "330800/v1:banks.jiangshan_rcb.agricultural.dark_green.rate_adjustment_bp"
    assert rules["amount_fen"] == "330800/v1:banks.jiangshan_rcb.agricultural.dark_green.credit_line_multiplier"
    assert rules["guarantee_fee_bp"] == "330800/v1:cells.agricultural.dark_green.guarantee_fee_discount_bp"
    rate = _by_field(bank, "rate_bp")[0]
    assert "银行自定" in rate.reason_zh and "碳融通" in rate.source


def test_override_of_one_field_leaves_the_others() -> None:
    t = terms_for(BorrowerStanding("agricultural", "light_green"), BASE, POLICY, bank_code="jiangshan_rcb")
    assert t.eligible_products == ("carbon_account_loan", "tan_rong_tong")
    assert t.rate_bp == 425  # region's −10 bp
    products = _by_field(t, "eligible_products")[0]
    assert products.rule_id.startswith("330800/v1:banks.jiangshan_rcb.")


def test_a_bank_without_overrides_gets_the_region_terms() -> None:
    standing = BorrowerStanding("industrial", "dark_green")
    assert terms_for(standing, BASE, POLICY, bank_code="quzhou_bank").rate_bp == 385


# ---------------------------------------------------------------------------------------
# Refusals
# ---------------------------------------------------------------------------------------


def test_unknown_label_code_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as exc:
        terms_for(BorrowerStanding("agricultural", "red"), BASE, POLICY)
    assert _fields(exc) == ["standings[0].label_code"]
    assert "unknown agricultural label code 'red'" in exc.value.detail


def test_unknown_account_type_and_duplicates_are_refused() -> None:
    with pytest.raises(InvalidInput) as exc:
        terms_for(
            [
                BorrowerStanding("forestry", "dark_green"),
                BorrowerStanding("personal", "dark_green"),
                BorrowerStanding("personal", "light_green"),
            ],
            BASE,
            POLICY,
        )
    assert _fields(exc) == ["standings[0].account_type", "standings[2].account_type"]


@pytest.mark.parametrize(
    ("offer", "field"),
    [
        (BaseOffer(-1, 100, 12), "base_offer.rate_bp"),
        (BaseOffer(435, 0, 12), "base_offer.amount_fen"),
        (BaseOffer(435, 100, 0), "base_offer.term_months"),
        (BaseOffer(435, 100, 12, -5), "base_offer.guarantee_fee_bp"),
        (BaseOffer(435, D("100.5"), 12), "base_offer.amount_fen"),  # type: ignore[arg-type]
    ],
)
def test_bad_base_offer_is_refused(offer: BaseOffer, field: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        terms_for(BorrowerStanding("industrial", "yellow"), offer, POLICY)
    assert _fields(exc) == [field]
    assert field in exc.value.detail


def test_personal_grades_use_the_personal_account_codes() -> None:
    # The personal account grades 浅绿 / 中绿 / 深绿 as light_green / mid_green / dark_green: 深绿 is
    # dark_green everywhere, and the old personal name deep_green is refused.
    with pytest.raises(InvalidInput, match=r"standings\[0\].label_code: unknown personal label code 'deep_green'"):
        terms_for(BorrowerStanding("personal", "deep_green"), BASE, POLICY)
    t = terms_for(BorrowerStanding("personal", "dark_green"), BASE, POLICY)
    assert (t.rate_bp, t.amount_fen) == (385, 120_000_000)
