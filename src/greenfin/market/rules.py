"""The platform's pure rules: application states, working-day deadlines and matching.

**States** move only along :data:`TRANSITIONS` (action → from states → to state); a state
with no way out is terminal (declined, disbursed, withdrawn, expired).

**Deadlines** count working days with a calendar given as a function (the service passes
the Chinese statutory calendar: public holidays off, make-up working days on).

**Matching** is deterministic and explainable. A product is *excluded* by any rule the
need fails (borrower kind, county, industry, labels, grade, green use, amount, term,
collateral); an excluded product never appears. An eligible product scores 0–1000:

* rate, 500: ``500 − 2 × (rate after the carbon terms − LPR)`` in bp, floored at 0, capped at 500
  (a product at the LPR or below scores 500; 250 bp over the LPR scores 0);
* amount fit, 200: ``200 × need amount ÷ product maximum`` (a product sized for the need
  scores more than one built for far larger loans);
* term fit, 100: ``100 × need term ÷ product maximum term``;
* answer record, 200: ``200 × on-time answers ÷ answers`` of the bank over its past
  decisions; 100 when the bank has no record yet.

Integer arithmetic, rounding down. Ties go to the lower rate, then the product id.
Every reason is a message key with parameters, translated where it is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from greenfin.carbon import labels
from greenfin.errors import Conflict

BORROWER_KINDS = ("enterprise", "farm", "resident")
FAMILIES = ("green_credit", "guarantee", "insurance")
# The family of products each kind of institution publishes.
FAMILY_OF_KIND = {"bank": "green_credit", "guarantor": "guarantee", "insurer": "insurance"}
LOAN_METHODS = ("credit", "guarantee", "mortgage", "pledge", "eco_pledge")
COLLATERALS = ("none", "guarantee", "mortgage", "pledge", "eco_pledge")
INDUSTRIAL_LABELS = labels.LABELS
AGRICULTURAL_LABELS = labels.AGRICULTURAL_LABELS
PERSONAL_GRADES = labels.GRADES
QUALITY_CLASSES = ("normal", "special_mention", "substandard", "doubtful", "loss")
DECLINE_REASONS = (
    "insufficient_cash_flow",
    "insufficient_collateral",
    "credit_record",
    "outside_policy",
    "incomplete_documents",
    "over_indebted",
    "other",
)

# action -> (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "accept": (frozenset({"submitted"}), "accepted"),
    "approve": (frozenset({"accepted"}), "approved"),
    "decline": (frozenset({"submitted", "accepted"}), "declined"),
    "contract": (frozenset({"approved"}), "contracted"),
    "disburse": (frozenset({"approved", "contracted"}), "disbursed"),
    "withdraw": (frozenset({"submitted", "accepted", "approved"}), "withdrawn"),
    "expire": (frozenset({"approved"}), "expired"),
}
STATES = ("submitted", "accepted", "approved", "declined", "contracted", "disbursed", "withdrawn", "expired")
TERMINAL = frozenset(s for s in STATES if not any(s in starts for starts, _ in TRANSITIONS.values()))
OPEN_STATES = ("submitted", "accepted")
"""States in which the bank owes an answer by a deadline."""

RATE_POINTS, AMOUNT_POINTS, TERM_POINTS, RECORD_POINTS = 500, 200, 100, 200
RATE_POINTS_PER_BP = 2
NO_RECORD_POINTS = 100


def next_state(state: str, action: str) -> str:
    """The state ``action`` leads to from ``state``; Conflict if the move is not allowed."""
    if action not in TRANSITIONS:
        raise Conflict(f"unknown action {action!r}")
    starts, to = TRANSITIONS[action]
    if state not in starts:
        if state in TERMINAL:
            raise Conflict(f"the application is {state} already; no {action} after that")
        raise Conflict(f"an application that is {state} cannot be {to}")
    return to


def add_working_days(start: date, days: int, is_workday: Callable[[date], bool]) -> date:
    """The date ``days`` working days after ``start`` (``start`` itself not counted)."""
    current = start
    left = days
    while left > 0:
        current += timedelta(days=1)
        if is_workday(current):
            left -= 1
    return current


def working_days_between(start: date, end: date, is_workday: Callable[[date], bool]) -> int:
    """Working days after ``start`` up to and including ``end`` (negative when end is before start)."""
    if end < start:
        return -working_days_between(end, start, is_workday)
    return sum(1 for n in range(1, (end - start).days + 1) if is_workday(start + timedelta(days=n)))


# --- matching --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NeedFacts:
    """What a need and its borrower bring to matching."""

    borrower_kind: str
    amount_fen: int
    term_months: int
    county_code: str | None = None
    industry_code: str | None = None
    industrial_label: str | None = None
    agricultural_label: str | None = None
    personal_grade: str | None = None
    green_use: str | None = None
    collateral: str = "none"


@dataclass(frozen=True)
class ProductFacts:
    """A published product as matching sees it."""

    product_id: str
    org_code: str
    loan_method: str
    min_amount_fen: int
    max_amount_fen: int
    min_term_months: int
    max_term_months: int
    borrower_kinds: tuple[str, ...]
    counties: tuple[str, ...] | None = None
    industries: tuple[str, ...] | None = None
    carbon_labels: tuple[str, ...] | None = None
    agricultural_labels: tuple[str, ...] | None = None
    personal_grades: tuple[str, ...] | None = None
    green_uses: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Reason:
    """One reason of a match or an exclusion: a message key and its parameters."""

    key: str
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Match:
    """An eligible product's score and why."""

    product_id: str
    score: int
    rate_bp: int
    reasons: tuple[Reason, ...]


def _r(key: str, **params: object) -> Reason:
    return Reason(f"market.reason.{key}", tuple((k, str(v)) for k, v in params.items()))


def exclusions(need: NeedFacts, product: ProductFacts) -> list[Reason]:
    """Every rule of the product the need fails (empty: eligible)."""
    out: list[Reason] = []
    if need.borrower_kind not in product.borrower_kinds:
        out.append(_r("x_kind", kind=need.borrower_kind))
    if product.counties is not None and need.county_code not in product.counties:
        out.append(_r("x_county"))
    if product.industries is not None and not (
        need.industry_code and any(need.industry_code.startswith(p) for p in product.industries)
    ):
        out.append(_r("x_industry"))
    if product.carbon_labels is not None and need.industrial_label not in product.carbon_labels:
        out.append(_r("x_carbon_label"))
    if product.agricultural_labels is not None and need.agricultural_label not in product.agricultural_labels:
        out.append(_r("x_agricultural_label"))
    if product.personal_grades is not None and need.personal_grade not in product.personal_grades:
        out.append(_r("x_personal_grade"))
    if product.green_uses is not None and need.green_use not in product.green_uses:
        out.append(_r("x_green_use"))
    if not product.min_amount_fen <= need.amount_fen <= product.max_amount_fen:
        out.append(_r("x_amount"))
    if not product.min_term_months <= need.term_months <= product.max_term_months:
        out.append(_r("x_term"))
    if product.loan_method != "credit" and need.collateral != product.loan_method:
        out.append(_r("x_collateral", method=product.loan_method))
    return out


def rate_points(rate_bp: int, lpr_bp: int) -> int:
    """Points for the rate after the carbon terms (see the module text)."""
    return max(0, min(RATE_POINTS, RATE_POINTS - RATE_POINTS_PER_BP * (rate_bp - lpr_bp)))


def record_points(on_time: int, answered: int) -> int:
    """Points for the bank's answer record."""
    if answered <= 0:
        return NO_RECORD_POINTS
    return RECORD_POINTS * on_time // answered


def match_one(
    need: NeedFacts,
    product: ProductFacts,
    *,
    base_rate_bp: int,
    rate_bp: int,
    lpr_bp: int,
    on_time: int,
    answered: int,
) -> Match | None:
    """The product's match for the need, or None when a rule excludes it."""
    if exclusions(need, product):
        return None
    reasons: list[Reason] = [_r("kind_ok", kind=need.borrower_kind)]
    if product.counties is not None:
        reasons.append(_r("county_ok"))
    if product.industries is not None:
        reasons.append(_r("industry_ok"))
    if product.carbon_labels is not None:
        reasons.append(_r("carbon_label_ok", label=need.industrial_label))
    if product.agricultural_labels is not None:
        reasons.append(_r("agricultural_label_ok", label=need.agricultural_label))
    if product.personal_grades is not None:
        reasons.append(_r("personal_grade_ok", grade=need.personal_grade))
    if product.green_uses is not None:
        reasons.append(_r("green_use_ok", code=need.green_use))
    reasons.append(_r("rate", base=bp_percent(base_rate_bp), rate=bp_percent(rate_bp), delta=rate_bp - base_rate_bp))
    reasons.append(_r("amount_fit", max=product.max_amount_fen, share=100 * need.amount_fen // product.max_amount_fen))
    reasons.append(_r("term_fit", term=need.term_months, max=product.max_term_months))
    if answered:
        reasons.append(_r("record", on_time=on_time, answered=answered))
    else:
        reasons.append(_r("no_record"))
    score = (
        rate_points(rate_bp, lpr_bp)
        + AMOUNT_POINTS * need.amount_fen // product.max_amount_fen
        + TERM_POINTS * need.term_months // product.max_term_months
        + record_points(on_time, answered)
    )
    return Match(product.product_id, score, rate_bp, tuple(reasons))


def rank(matches: Sequence[Match | None]) -> list[Match]:
    """Eligible matches, best first (score, then lower rate, then product id)."""
    found = [m for m in matches if m is not None]
    return sorted(found, key=lambda m: (-m.score, m.rate_bp, m.product_id))


def bp_percent(rate_bp: int) -> str:
    """A rate in bp as a percentage with two decimals (365 → "3.65")."""
    sign = "-" if rate_bp < 0 else ""
    whole, frac = divmod(abs(rate_bp), 100)
    return f"{sign}{whole}.{frac:02d}"


def subsidy_fen(amount_fen: int, subsidy_rate_bp: int, term_months: int) -> int:
    """Interest subsidy on a loan: amount × rate × years (at most one year), rounded down to a fen."""
    months = min(term_months, 12)
    return amount_fen * subsidy_rate_bp * months // (10_000 * 12)


def label_at_least(label: str | None, minimum: str | None) -> bool:
    """True when an industrial label is as good as ``minimum`` or better (None minimum: any)."""
    if minimum is None:
        return True
    if label not in INDUSTRIAL_LABELS:
        return False
    return INDUSTRIAL_LABELS.index(label) <= INDUSTRIAL_LABELS.index(minimum)
