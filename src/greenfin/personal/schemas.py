"""Shapes of the personal carbon account's API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from greenfin.bounds import MAX_INT32

# The most points one staff correction may add or remove: a regional year's issue is ~10^9 points; a
# bound this size keeps every sum of an account and of the region far inside a 64-bit integer.
MAX_POINTS = 10_000_000


class EventIn(BaseModel):
    """One low-carbon payment event as a data source delivers it.

    Fields are checked one event at a time by the service (not by the schema), so that a
    batch answers with a reason per event instead of refusing the whole request.
    """

    source: str = Field(max_length=40, description="Code of the delivering organisation; must be the API key's own")
    external_id: str = Field(min_length=1, max_length=80, description="The source's id of the event")
    id_number: str = Field(
        max_length=40, description="Resident ID number (18 characters); hashed on arrival, never stored"
    )
    scenario: str = Field(max_length=40, description="Scenario code of the catalogue in force")
    occurred_at: str = Field(
        max_length=40, description="ISO 8601 time with a UTC offset, e.g. 2026-03-02T08:15:00+08:00"
    )
    amount_fen: int | None = Field(
        default=None, ge=0, le=10**14, description="Payment amount in fen, if any (at most 10^14)"
    )


class EventBatchIn(BaseModel):
    events: list[EventIn] = Field(min_length=1, max_length=10_000)


class EventResult(BaseModel):
    index: int
    external_id: str
    status: str = Field(description="accepted | duplicate | rejected")
    reason: str | None = None
    points: int = Field(default=0, description="Points the event earned (0 over the daily cap)")
    avoided_co2_g: int = Field(default=0, description="Avoided CO2 in grams credited for the event")
    capped: bool = False
    pending: bool = Field(
        default=False,
        description="Accepted and not yet posted: the points are the scenario's award before the daily cap; "
        "the next posting run (within seconds) applies the cap and credits the ledger",
    )


class IntakeRead(BaseModel):
    batch_id: int | None
    accepted: int
    duplicates: int
    rejected: int
    results: list[EventResult]


class AccountOpen(BaseModel):
    """A resident opens their own account and consents to it (with the operator's verification code)."""

    id_number: str = Field(max_length=40)
    name: str = Field(min_length=1, max_length=60)
    phone: str | None = Field(default=None, max_length=20)
    consent: bool = Field(description="The resident agrees to the account's terms (must be true)")
    consent_ref: str | None = Field(default=None, max_length=80, description="Version of the terms agreed to")
    verification_code: str | None = Field(
        default=None,
        max_length=40,
        description="The code the operator handed out after checking the resident's ID card (when self-service "
        "opening is on)",
    )


class EnrolRow(BaseModel):
    id_number: str = Field(max_length=40)
    name: str = Field(max_length=60)
    phone: str | None = Field(default=None, max_length=20)
    consent_ref: str = Field(max_length=80)


class EnrolIn(BaseModel):
    rows: list[EnrolRow] = Field(min_length=1, max_length=10_000)


class EnrolRead(BaseModel):
    enrolled: int
    already_enrolled: int
    refs: list[str] = Field(description="Account reference per row, in input order")


class GradeRead(BaseModel):
    code: str
    name_zh: str
    name_en: str
    avoided_co2_g: int = Field(description="Avoided CO2 of the trailing 12 months, grams")
    uplift_co2_g: int = Field(description="Grade credit from credit-uplift rewards in force, grams")
    next_code: str | None
    to_next_g: int | None
    bands_version: str
    as_of: date


class AccountRead(BaseModel):
    ref: str
    id_masked: str
    name_masked: str
    phone_masked: str | None
    opened_at: datetime
    consent_ref: str
    consent_channel: str
    balance: int = Field(description="Points available now")
    earned: int
    redeemed: int = Field(description="Points spent on rewards (positive)")
    expired: int = Field(description="Points lapsed (positive)")
    avoided_co2_g: int = Field(description="CO2 avoided since the account opened, grams")
    pending_events: int = Field(description="Events delivered and not yet posted to the ledger")
    pending_points: int = Field(description="Their points before the daily cap (posted within seconds)")
    grade: GradeRead


class LedgerEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    seq: int
    kind: str
    points: int
    avoided_co2_g: int
    occurred_at: datetime
    earned_on: date | None
    ref: str
    reason: str | None
    corrects_id: int | None
    catalogue_version: str | None
    hash: str


class EventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    source: str
    external_id: str
    scenario: str
    catalogue_version: str
    occurred_at: datetime
    local_day: date
    amount_fen: int | None
    points: int
    avoided_co2_g: int
    capped: bool


class BalanceRead(BaseModel):
    ref: str
    as_of: date | None = Field(description="End of this Asia/Shanghai day; None means now")
    balance: int
    pending_points: int = Field(
        default=0, description="Now only: points of delivered events not yet posted (before the daily cap)"
    )


class ConsentCreate(BaseModel):
    bank_code: str = Field(min_length=1, max_length=40)
    days: int = Field(default=365, ge=1, le=3 * 365, description="How long the consent lasts")
    consent_ref: str | None = Field(default=None, max_length=80)


class ConsentRead(BaseModel):
    id: str
    account_ref: str
    bank_code: str
    bank_name: str
    scope: str
    consent_ref: str
    granted_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    active: bool


class RewardCreate(BaseModel):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$", max_length=40)
    kind: str = Field(max_length=20)
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    points_price: int = Field(ge=1, le=MAX_POINTS)
    stock: int = Field(ge=0, le=MAX_INT32)
    valid_from: date = Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))
    valid_to: date | None = Field(default=None, ge=date(2000, 1, 1), le=date(2100, 12, 31))
    uplift_co2_g: int = Field(default=0, ge=0, le=10**12)
    uplift_days: int = Field(default=0, ge=0, le=3660)
    provider: str | None = Field(default=None, max_length=200)


class RewardRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    kind: str
    name_zh: str
    name_en: str
    points_price: int
    stock: int
    valid_from: date
    valid_to: date | None
    uplift_co2_g: int
    uplift_days: int
    provider: str | None


class RedeemIn(BaseModel):
    reward_code: str = Field(max_length=40)


class RedemptionRead(BaseModel):
    id: str
    reward_code: str
    reward_name_zh: str
    reward_name_en: str
    points: int
    voucher_code: str
    redeemed_at: datetime
    balance_after: int


class CorrectionIn(BaseModel):
    """An adjustment (``points``) or a reversal of an entry (``corrects_seq``), with a reason."""

    points: int | None = Field(
        default=None,
        ge=-MAX_POINTS,
        le=MAX_POINTS,
        description=f"Points to add (negative to remove); for adjust; at most {MAX_POINTS:,} either way",
    )
    corrects_seq: int | None = Field(default=None, ge=1, le=MAX_INT32, description="Seq of the entry corrected")
    reason: str = Field(min_length=3, max_length=500)


class OverviewRead(BaseModel):
    accounts: int
    active_accounts_30d: int
    points_issued: int
    points_redeemed: int
    points_expired: int
    points_adjusted: int
    points_outstanding: int
    events_per_day: list[dict[str, object]]
    co2_by_scenario: list[dict[str, object]]
    avoided_co2_g_30d: int


class ChainBreakRead(BaseModel):
    account_id: str
    seq: int
    reason: str
    detail: str


class VerifyRead(BaseModel):
    accounts: int
    entries: int
    breaks: list[ChainBreakRead]
