"""Carbon-linked credit terms: a borrower's carbon labels applied to a bank's base offer.

A bank makes a **base offer** (annual rate in basis points, amount in integer fen, term,
guarantee fee). The borrower brings one or more **standings** — an enterprise's industrial
label, a farm's agricultural label, a person's personal grade. The region's policy table
(:mod:`greenfin.finance.policy`), with the bank's overrides, turns them into **terms**, and
every change is an :class:`Adjustment` naming the rule that made it.

Worked example (Quzhou policy v1, no bank override): base 4.35 % = 435 bp, 1,000,000.00
yuan = 100,000,000 fen, guarantee fee 1.50 % = 150 bp; the enterprise is industrial 深绿::

    rate       435 − 50 bp                  = 385 bp        (cells.industrial.dark_green)
    amount     100,000,000 × 1.3            = 130,000,000 fen
    guarantee  150 − 20 bp = 130, cap 80 bp = 80 bp
    fast track yes; eligible: carbon_account_loan

How several standings combine (the published rules are silent; these are greenfin's):

- standings are applied in the fixed order industrial, agricultural, personal, at most one
  per account type;
- rate adjustments add up; the net discount is capped at ``limits.max_total_discount_bp``;
  the result never goes below ``min(limits.rate_floor_bp, base rate)`` — a discount never
  crosses the floor, and the floor never raises a base rate that is already lower;
- credit-line multipliers multiply, each step rounded to whole fen with ROUND_HALF_EVEN
  (banker's rounding: no upward drift over many loans), and the stacked amount is capped at
  ``base × limits.max_credit_line_multiplier`` (rounded the same way);
- guarantee-fee discounts add up (never below 0), then the lowest cap applies;
- fast track if any standing grants it; eligible products are the union of the standings'
  products minus any product a standing excludes (a red industrial label excludes the
  carbon-account loan whatever the owner's personal grade).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from greenfin.errors import InvalidInput
from greenfin.finance.policy import (
    ACCOUNT_NAMES,
    ACCOUNT_TYPES,
    LABEL_CODES,
    LABEL_NAMES,
    Policy,
    load_policy,
)

__all__ = [
    "Adjustment",
    "BaseOffer",
    "BorrowerStanding",
    "Terms",
    "load_policy",
    "round_fen",
    "terms_for",
]

MAX_TERM_MONTHS = 600
"""Longest loan term accepted (50 years)."""

AdjustmentValue = int | bool | tuple[str, ...]


@dataclass(frozen=True)
class BaseOffer:
    """A bank's offer before carbon terms: annual rate in bp, amount in fen, term, guarantee fee."""

    rate_bp: int
    """Annual interest rate in basis points (4.35 % = 435)."""
    amount_fen: int
    """Loan amount in fen (1 yuan = 100 fen)."""
    term_months: int
    """Term in months."""
    guarantee_fee_bp: int = 0
    """Annual guarantee fee in basis points of the amount (1 % = 100); 0 if unguaranteed."""


@dataclass(frozen=True)
class BorrowerStanding:
    """One carbon account the borrower brings, with its current label or grade."""

    account_type: str
    """industrial, agricultural or personal."""
    label_code: str
    """The label (industrial, agricultural) or grade (personal) code."""
    holder: str = ""
    """Who holds the account, for the trace (e.g. the USCC, or 法定代表人)."""


@dataclass(frozen=True)
class Adjustment:
    """One change to the terms and the rule that made it."""

    rule_id: str
    """``region/version:cells.<type>.<label>.<field>``, ``…:banks.<bank>.<type>.<label>.<field>``
    or ``…:limits.<limit>``."""
    field: str
    before: AdjustmentValue
    after: AdjustmentValue
    reason_zh: str
    reason_en: str
    source: str


@dataclass(frozen=True)
class Terms:
    """The credit terms that apply, and why."""

    rate_bp: int
    amount_fen: int
    term_months: int
    guarantee_fee_bp: int
    fast_track: bool
    eligible_products: tuple[str, ...]
    adjustments: tuple[Adjustment, ...]
    base_offer: BaseOffer
    policy_id: str
    bank_code: str | None


def round_fen(value: Decimal) -> int:
    """Round an amount in fen to a whole fen, half to even (banker's rounding)."""
    return int(value.quantize(Decimal(1), ROUND_HALF_EVEN))


@dataclass(frozen=True)
class _Field:
    value: Any
    rule_id: str
    source: str
    by_bank: bool


def terms_for(
    standings: BorrowerStanding | Sequence[BorrowerStanding],
    base_offer: BaseOffer,
    policy: Policy,
    *,
    bank_code: str | None = None,
) -> Terms:
    """The terms this borrower's standings earn on this base offer, each change traced."""
    items = [standings] if isinstance(standings, BorrowerStanding) else list(standings)
    _validate(items, base_offer, bank_code)
    items.sort(key=lambda s: ACCOUNT_TYPES.index(s.account_type))
    resolved = [(s, _resolve(s, policy, bank_code)) for s in items]
    adjustments: list[Adjustment] = []

    def add(
        rule: _Field | tuple[str, str],
        field: str,
        before: AdjustmentValue,
        after: AdjustmentValue,
        zh: str,
        en: str,
    ) -> None:
        rule_id, source = (rule.rule_id, rule.source) if isinstance(rule, _Field) else rule
        adjustments.append(Adjustment(rule_id, field, before, after, zh, en, source))

    # Interest rate: add the standings' adjustments, cap the net discount, then the floor.
    rate = base_offer.rate_bp
    for standing, cell in resolved:
        f = cell["rate_adjustment_bp"]
        if f.value:
            zh, en = _who(standing, f)
            add(f, "rate_bp", rate, rate + f.value, f"{zh}：利率调整 {f.value:+d} bp", f"{en}: rate {f.value:+d} bp")
            rate += f.value
    limits = policy.limits
    pid = policy.policy_id
    lowest = base_offer.rate_bp - limits.max_total_discount_bp
    if rate < lowest:
        add(
            (f"{pid}:limits.max_total_discount_bp", limits.max_total_discount_source),
            "rate_bp",
            rate,
            lowest,
            f"叠加优惠封顶 {limits.max_total_discount_bp} bp",
            f"stacked discount capped at {limits.max_total_discount_bp} bp",
        )
        rate = lowest
    floor = min(limits.rate_floor_bp, base_offer.rate_bp)
    if rate < floor:
        add(
            (f"{pid}:limits.rate_floor_bp", limits.rate_floor_source),
            "rate_bp",
            rate,
            floor,
            f"利率不低于下限 {floor} bp",
            f"rate not below the floor of {floor} bp",
        )
        rate = floor

    # Credit line: multiply, rounding each step to whole fen, then cap the stack.
    amount = base_offer.amount_fen
    for standing, cell in resolved:
        f = cell["credit_line_multiplier"]
        if f.value != 1:
            zh, en = _who(standing, f)
            after = round_fen(amount * f.value)
            add(f, "amount_fen", amount, after, f"{zh}：授信额度 ×{f.value}", f"{en}: credit line ×{f.value}")
            amount = after
    ceiling = round_fen(base_offer.amount_fen * limits.max_credit_line_multiplier)
    if amount > ceiling:
        add(
            (f"{pid}:limits.max_credit_line_multiplier", limits.max_credit_line_multiplier_source),
            "amount_fen",
            amount,
            ceiling,
            f"叠加额度上限为基础额度 ×{limits.max_credit_line_multiplier}",
            f"stacked credit line capped at ×{limits.max_credit_line_multiplier} of the base",
        )
        amount = ceiling

    # Guarantee fee: discounts first (never below 0), then the lowest cap.
    fee = base_offer.guarantee_fee_bp
    for standing, cell in resolved:
        f = cell["guarantee_fee_discount_bp"]
        if f.value and fee > 0:
            zh, en = _who(standing, f)
            after = max(0, fee - f.value)
            add(
                f,
                "guarantee_fee_bp",
                fee,
                after,
                f"{zh}：担保费率下调 {f.value} bp",
                f"{en}: guarantee fee −{f.value} bp",
            )
            fee = after
    for standing, cell in resolved:
        f = cell["guarantee_fee_cap_bp"]
        if f.value is not None and fee > f.value:
            zh, en = _who(standing, f)
            add(
                f,
                "guarantee_fee_bp",
                fee,
                f.value,
                f"{zh}：担保费率不高于 {f.value} bp",
                f"{en}: guarantee fee capped at {f.value} bp",
            )
            fee = f.value

    # Fast track: any standing that grants it.
    fast = False
    for standing, cell in resolved:
        f = cell["fast_track"]
        if f.value and not fast:
            zh, en = _who(standing, f)
            add(f, "fast_track", False, True, f"{zh}：绿色快速审批通道", f"{en}: fast-track approval")
            fast = True

    # Products: union of eligibilities, then exclusions.
    products: tuple[str, ...] = ()
    for standing, cell in resolved:
        f = cell["eligible_products"]
        new = tuple(p for p in f.value if p not in products)
        if new:
            zh, en = _who(standing, f)
            names_zh = "、".join(policy.products[p].name_zh for p in new)
            add(
                f,
                "eligible_products",
                products,
                products + new,
                f"{zh}：可申请 {names_zh}",
                f"{en}: eligible for {', '.join(new)}",
            )
            products = products + new
    for standing, cell in resolved:
        f = cell["excluded_products"]
        gone = tuple(p for p in f.value if p in products)
        if gone:
            zh, en = _who(standing, f)
            names_zh = "、".join(policy.products[p].name_zh for p in gone)
            after_products = tuple(p for p in products if p not in gone)
            add(
                f,
                "eligible_products",
                products,
                after_products,
                f"{zh}：不得申请 {names_zh}",
                f"{en}: excluded from {', '.join(gone)}",
            )
            products = after_products

    return Terms(
        rate_bp=rate,
        amount_fen=amount,
        term_months=base_offer.term_months,
        guarantee_fee_bp=fee,
        fast_track=fast,
        eligible_products=products,
        adjustments=tuple(adjustments),
        base_offer=base_offer,
        policy_id=pid,
        bank_code=bank_code,
    )


def _resolve(standing: BorrowerStanding, policy: Policy, bank_code: str | None) -> dict[str, _Field]:
    """Each term field of the standing's cell, from the bank's override if it has one."""
    key = (standing.account_type, standing.label_code)
    cell = policy.cells[key]
    bank = policy.banks.get(bank_code) if bank_code else None
    override = bank.overrides.get(key) if bank else None
    cell_path = f"{standing.account_type}.{standing.label_code}"
    resolved: dict[str, _Field] = {}
    for name in (
        "rate_adjustment_bp",
        "credit_line_multiplier",
        "guarantee_fee_discount_bp",
        "guarantee_fee_cap_bp",
        "fast_track",
        "eligible_products",
        "excluded_products",
    ):
        if override is not None and name in override.values:
            resolved[name] = _Field(
                override.values[name],
                f"{policy.policy_id}:banks.{override.bank_code}.{cell_path}.{name}",
                override.source,
                True,
            )
        else:
            resolved[name] = _Field(
                getattr(cell, name), f"{policy.policy_id}:cells.{cell_path}.{name}", cell.source, False
            )
    return resolved


def _who(standing: BorrowerStanding, f: _Field) -> tuple[str, str]:
    account_zh, account_en = ACCOUNT_NAMES[standing.account_type]
    label_zh, label_en = LABEL_NAMES[standing.label_code]
    zh, en = f"{account_zh}{label_zh}", f"{account_en} {label_en}"
    if f.by_bank:
        zh, en = f"{zh}（银行自定）", f"{en} (bank's own terms)"
    return zh, en


def _validate(standings: list[BorrowerStanding], offer: BaseOffer, bank_code: str | None) -> None:
    errors: list[dict[str, Any]] = []

    def err(field: str, reason: str) -> None:
        errors.append({"field": field, "reason": reason})

    if not isinstance(offer, BaseOffer):
        err("base_offer", "is required")
    else:
        for name, minimum in (("rate_bp", 0), ("amount_fen", 1), ("term_months", 1), ("guarantee_fee_bp", 0)):
            value = getattr(offer, name)
            if isinstance(value, bool) or not isinstance(value, int):
                err(f"base_offer.{name}", "must be a whole number")
            elif value < minimum:
                err(f"base_offer.{name}", "must not be negative" if minimum == 0 else "must be greater than zero")
        if isinstance(offer.term_months, int) and offer.term_months > MAX_TERM_MONTHS:
            err("base_offer.term_months", f"must not exceed {MAX_TERM_MONTHS}")
    seen: set[str] = set()
    for i, s in enumerate(standings):
        where = f"standings[{i}]"
        if not isinstance(s, BorrowerStanding):
            err(where, "must be a BorrowerStanding")
            continue
        if s.account_type not in ACCOUNT_TYPES:
            err(
                f"{where}.account_type",
                f"unknown account type {s.account_type!r}; expected one of {', '.join(ACCOUNT_TYPES)}",
            )
            continue
        if s.label_code not in LABEL_CODES[s.account_type]:
            err(
                f"{where}.label_code",
                f"unknown {s.account_type} label code {s.label_code!r}; expected one of "
                f"{', '.join(LABEL_CODES[s.account_type])}",
            )
        if s.account_type in seen:
            err(f"{where}.account_type", f"duplicate {s.account_type} standing; at most one per account type")
        seen.add(s.account_type)
    if bank_code is not None and (not isinstance(bank_code, str) or not bank_code.strip()):
        err("bank_code", "must be a non-empty bank code or None")
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise InvalidInput(f"{first['field']}: {first['reason']}{more}.", errors=errors)


def substitute_useful_energy(
    quantity: Decimal,
    *,
    from_kgce_per_unit: Decimal,
    from_efficiency: Decimal,
    to_kgce_per_unit: Decimal,
    to_efficiency: Decimal,
) -> Decimal:
    """The quantity of the target energy that delivers the same useful energy as ``quantity``.

    Both quantities are in their energies' canonical units; the energy content of each unit is
    its standard-coal coefficient (GB/T 2589), so the MJ-per-kgce constant cancels. Example:
    1,000 kg of raw coal (0.7143 kgce/kg) in an 80 % boiler → 571.44 kgce useful; a heat pump
    with COP 3 on electricity (0.1229 kgce/kWh) needs 571.44 ÷ (0.1229 × 3) = 1,549.88 kWh.
    """
    return quantity * from_kgce_per_unit * from_efficiency / (to_kgce_per_unit * to_efficiency)
