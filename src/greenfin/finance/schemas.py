"""API shapes of carbon-linked finance: terms, consents, signed reports, what-if."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from greenfin.agriculture.schemas import AssessmentRead, PracticeIn
from greenfin.bounds import MAX_DIGITS, MAX_QUANTITY
from greenfin.clock import BEIJING
from greenfin.finance.policy import load_lpr


def _json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() and abs(value) < 2**53 else float(value)


Number = Annotated[Decimal, PlainSerializer(_json_number, when_used="json"), WithJsonSchema({"type": "number"})]
BorrowerKind = Literal["enterprise", "farm"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class BaseOfferIn(_In):
    """A bank's offer before carbon terms."""

    # Bounds keep nonsense out (a rate above 100 %, a loan above 1 trillion yuan): 422, never an overflow.
    rate_bp: int = Field(ge=0, le=10_000, description="Annual interest rate, basis points (4.35 % = 435), ≤ 100 %")
    amount_fen: int = Field(gt=0, le=10**14, description="Loan amount, fen, at most 10^14 fen (1 trillion yuan)")
    term_months: int = Field(default=12, gt=0, le=600, description="Term, months, at most 50 years")
    guarantee_fee_bp: int = Field(
        default=0, ge=0, le=10_000, description="Annual guarantee fee, basis points, at most 100 %"
    )


def reference_offer(
    *, amount_fen: int | None = None, term_months: int | None = None, on: date | None = None
) -> BaseOfferIn:
    """The offer terms are shown against when the bank names no rate: the LPR in force (1-year, or
    5-year above five years) plus the table's default spread, for the amount and term given (the
    table's defaults otherwise), with the table's default guarantee fee (``finance/data/lpr``)."""
    lpr = load_lpr()
    term = term_months or lpr.default_term_months
    rate_bp, _ = lpr.rate_bp(on or datetime.now(BEIJING).date(), term)
    return BaseOfferIn(
        rate_bp=rate_bp + lpr.default_spread_bp,
        amount_fen=amount_fen or lpr.default_amount_fen,
        term_months=term,
        guarantee_fee_bp=lpr.default_guarantee_fee_bp,
    )


class BorrowerRef(_In):
    kind: BorrowerKind
    ref: str = Field(min_length=1, max_length=40, description="USCC of an enterprise, id or USCC of a farm")


class StandingRead(BaseModel):
    account_type: Literal["industrial", "agricultural", "personal"]
    label_code: str
    name_zh: str
    name_en: str
    year: int | None
    holder: str


class AdjustmentRead(BaseModel):
    rule_id: str = Field(description="The policy rule that made the change")
    field: str
    before: Any
    after: Any
    reason_zh: str
    reason_en: str
    source: str


class TermsRequest(_In):
    borrower: BorrowerRef
    base_offer: BaseOfferIn
    bank_code: str | None = Field(
        default=None, max_length=40, description="Bank whose overrides apply; a bank gets its own"
    )
    resident_ref: str | None = Field(
        default=None,
        min_length=1,
        max_length=32,
        description=(
            "Personal carbon account of the person who is the borrower (a farm's holder): their green-credit "
            "grade is added as a standing, read under their grade consent to the bank (403 without it)"
        ),
    )


class TermsRead(BaseModel):
    """The credit terms a borrower's current labels earn on a base offer, each change traced."""

    borrower: BorrowerRef
    standings: list[StandingRead]
    base_offer: BaseOfferIn
    rate_bp: int
    amount_fen: int
    term_months: int
    guarantee_fee_bp: int
    fast_track: bool
    eligible_products: list[str]
    adjustments: list[AdjustmentRead]
    policy_id: str
    bank_code: str | None


# --- consent ---------------------------------------------------------------------------------


class ConsentCreate(_In):
    """A borrower's grant to a bank: scope and expiry."""

    bank_code: str = Field(min_length=1, max_length=40, description="The bank's organisation code")
    scope: Literal["credit_report"] = "credit_report"
    expires_at: datetime = Field(description="When the access ends (aware datetime)")
    farm_ref: str | None = Field(
        default=None, max_length=40, description="For a farm: its id or USCC; else the enterprise itself"
    )


class ConsentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    borrower_kind: BorrowerKind
    borrower_ref: str
    bank_code: str
    scope: str
    granted_by: str
    granted_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    status: Literal["active", "revoked", "expired"]


# --- reports ---------------------------------------------------------------------------------


class ReportRequest(_In):
    borrower: BorrowerRef
    year: int | None = Field(default=None, ge=1990, le=2100, description="Newest year to report; the latest if None")
    base_offer: BaseOfferIn | None = Field(
        default=None, description="Offer to show the terms against; if None, the LPR in force plus the default spread"
    )
    amount_fen: int | None = Field(
        default=None, gt=0, le=10**14, description="Loan amount, fen, when no base_offer is given (default 100 万元)"
    )
    term_months: int | None = Field(
        default=None, gt=0, le=600, description="Term, months, when no base_offer is given (default 12)"
    )


class SignatureRead(BaseModel):
    algorithm: str
    key_id: str
    sha256: str = Field(description="SHA-256 of the canonical report bytes")
    value: str = Field(description="Base64 Ed25519 signature over the canonical report bytes")


class SignedReport(BaseModel):
    """A carbon credit report and the platform's signature over its canonical encoding."""

    report: dict[str, Any]
    signature: SignatureRead


class ReportSummary(BaseModel):
    id: str
    borrower_kind: BorrowerKind
    borrower_ref: str
    borrower_name: str
    bank_code: str
    issued_at: datetime
    key_id: str


class ReportReadEvent(BaseModel):
    """One read of a report about the borrower: who, when, which report, in what form."""

    at: datetime
    actor: str
    actor_role: str | None
    bank_code: str | None
    report_id: str | None
    form: str | None


class SigningKeyRead(BaseModel):
    algorithm: str
    key_id: str
    public_key: str = Field(description="Base64 of the raw 32-byte Ed25519 public key")
    public_key_pem: str
    valid_from: datetime | None = Field(default=None, description="Reports signed from this time")
    valid_to: datetime | None = Field(default=None, description="Retired at this time (None: in use)")


class SigningKeyList(BaseModel):
    """The platform's signing keys, old and current: save it and verify with ``--trusted-keys``."""

    keys: list[SigningKeyRead]


class VerifyRead(BaseModel):
    valid: bool
    reason: str


# --- what-if ---------------------------------------------------------------------------------


class ShiftChange(_In):
    """Move a share of one energy's use to another, at equal useful energy (data/what-if/v1.toml)."""

    kind: Literal["shift"]
    from_energy: str = Field(min_length=1, max_length=40)
    to_energy: str = Field(default="electricity", min_length=1, max_length=40)
    share_pct: Decimal = Field(gt=0, le=100, max_digits=MAX_DIGITS)
    technology: str = Field(
        default="heat_pump",
        max_length=40,
        description="For electricity: heat_pump (COP) or electric_boiler (efficiency)",
    )


class ScaleChange(_In):
    """Change one energy's use by a percentage (−10 = cut by 10 %)."""

    kind: Literal["scale"]
    energy: str = Field(min_length=1, max_length=40)
    change_pct: Decimal = Field(ge=-100, le=10_000, max_digits=MAX_DIGITS)


class SolarChange(_In):
    """Rooftop PV generation used on site, replacing grid electricity."""

    kind: Literal["solar"]
    kwh: Decimal = Field(gt=0, le=MAX_QUANTITY, max_digits=MAX_DIGITS)


Change = Annotated[ShiftChange | ScaleChange | SolarChange, Field(discriminator="kind")]


class EnterpriseWhatIf(_In):
    uscc: str = Field(min_length=1, max_length=40)
    year: int | None = Field(
        default=None, ge=1990, le=2100, description="Year of the account to change; the latest label's if None"
    )
    changes: list[Change] = Field(default_factory=list, max_length=100)
    base_offer: BaseOfferIn = Field(default_factory=reference_offer)


class EnergyChangeRead(BaseModel):
    energy: str = Field(description="Energy key of the factor set")
    name_zh: str = Field(description="The energy's Chinese name (factor set)")
    name_en: str = Field(description="The energy's English name (factor set)")
    before_quantity: Number
    after_quantity: Number
    unit: str
    before_tco2: Number
    after_tco2: Number


class WhatIfSide(BaseModel):
    total_co2_t: Number
    intensity_t_per_wan: Number | None
    label: str
    label_name_zh: str
    label_name_en: str
    reason_zh: str
    reason_en: str
    terms: TermsRead


class EnterpriseWhatIfRead(BaseModel):
    uscc: str
    year: int
    basis: str
    benchmark_t_per_wan: Number | None = Field(description="Stored peer benchmark of the latest label")
    energies: list[EnergyChangeRead]
    before: WhatIfSide
    after: WhatIfSide
    assumptions: list[str] = Field(description="Assumptions made, in English")
    assumptions_zh: list[str] = Field(default_factory=list, description="The same assumptions, in Chinese")


class FarmWhatIfIn(_In):
    farm_ref: str = Field(min_length=1, max_length=40)
    year: int = Field(ge=1990, le=2100)
    add: list[PracticeIn] = Field(min_length=1, max_length=100)
    base_offer: BaseOfferIn = Field(default_factory=reference_offer)


class FarmWhatIfTermsRead(BaseModel):
    farm_id: str
    year: int
    before: AssessmentRead | None
    after: AssessmentRead
    change_kg: Number
    terms_before: TermsRead | None
    terms_after: TermsRead
