"""Input and output of the financing platform's API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

BorrowerKind = Literal["enterprise", "farm", "resident"]
Family = Literal["green_credit", "guarantee", "insurance"]
LoanMethod = Literal["credit", "guarantee", "mortgage", "pledge", "eco_pledge"]
Collateral = Literal["none", "guarantee", "mortgage", "pledge", "eco_pledge"]
IndustrialLabel = Literal["dark_green", "light_green", "yellow", "red"]
AgriculturalLabel = Literal["dark_green", "light_green", "yellow"]
PersonalGrade = Literal["dark_green", "mid_green", "light_green"]  # greenfin.carbon.labels.GRADES
Quality = Literal["normal", "special_mention", "substandard", "doubtful", "loss"]
DeclineReason = Literal[
    "insufficient_cash_flow",
    "insufficient_collateral",
    "credit_record",
    "outside_policy",
    "incomplete_documents",
    "over_indebted",
    "other",
]

MAX_AMOUNT_FEN = 10_000_000_000_00  # 100 亿元 (market-v1.toml [bounds])
MAX_TERM_MONTHS = 360
Amount = Field(gt=0, le=MAX_AMOUNT_FEN, description="Amount, fen (1 yuan = 100 fen), at most 100 亿元")
Term = Field(gt=0, le=MAX_TERM_MONTHS, description="Term, months, at most 30 years")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Contract(BaseModel):
    """Bodies of the published contract: fields other clients add are ignored, not refused."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class ProductCreate(_Contract):
    """A new product (a draft until published)."""

    name: str = Field(min_length=1, max_length=200)
    family: Family = "green_credit"
    loan_method: LoanMethod = "credit"
    min_amount_fen: int = Field(gt=0, le=MAX_AMOUNT_FEN, description="Smallest amount, fen")
    max_amount_fen: int = Field(gt=0, le=MAX_AMOUNT_FEN, description="Largest amount, fen")
    min_term_months: int = Field(gt=0, le=MAX_TERM_MONTHS, description="Shortest term, months")
    max_term_months: int = Field(gt=0, le=MAX_TERM_MONTHS, description="Longest term, months")
    rate_spread_bp: int = Field(default=0, ge=-300, le=2000, description="Annual rate over the one-year LPR, bp")
    borrower_kinds: list[BorrowerKind] = Field(default=["enterprise"], min_length=1, max_length=3)
    counties: list[Annotated[str, Field(max_length=6)]] | None = Field(
        default=None, max_length=200, description="County codes (6 digits); null = the whole region"
    )
    industries: list[Annotated[str, Field(max_length=4)]] | None = Field(
        default=None, max_length=500, description="GB/T 4754-2017 code prefixes; null = any"
    )
    eligible_labels: list[IndustrialLabel] | None = Field(
        default=None, max_length=4, description="Industrial carbon labels accepted; null = any (also without a label)"
    )
    agricultural_labels: list[AgriculturalLabel] | None = Field(default=None, max_length=3)
    personal_grades: list[PersonalGrade] | None = Field(default=None, max_length=10)
    green_uses: list[Annotated[str, Field(max_length=20)]] | None = Field(
        default=None, max_length=300, description="Green use category codes financed; null = any"
    )
    documents: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list, max_length=30)
    accept_days: int | None = Field(default=None, ge=1, le=60, description="Working days to accept; default 1")
    decide_days: int | None = Field(default=None, ge=1, le=60, description="Working days to decide; default 9")
    description: str = Field(default="", max_length=4000)

    @model_validator(mode="after")
    def _ranges(self) -> ProductCreate:
        if self.min_amount_fen > self.max_amount_fen:
            raise ValueError("max_amount_fen: must not be below min_amount_fen")
        if self.min_term_months > self.max_term_months:
            raise ValueError("max_term_months: must not be below min_term_months")
        for code in self.counties or []:
            if not (len(code) == 6 and code.isdigit()):
                raise ValueError(f"counties: {code!r} is not a 6-digit county code")
        for code in self.industries or []:
            if not (1 <= len(code) <= 4 and code.isdigit()):
                raise ValueError(f"industries: {code!r} is not a GB/T 4754 code prefix (1–4 digits)")
        return self


class ProductRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    product_key: str
    version: int
    status: str
    org_code: str
    org_name: str
    name: str
    family: str
    loan_method: str
    min_amount_fen: int
    max_amount_fen: int
    min_term_months: int
    max_term_months: int
    rate_spread_bp: int
    rate_bp: int = Field(description="LPR + spread today, bp")
    lpr_bp: int
    borrower_kinds: list[str]
    counties: list[str] | None
    industries: list[str] | None
    eligible_labels: list[str] | None
    agricultural_labels: list[str] | None
    personal_grades: list[str] | None
    green_uses: list[str] | None
    documents: list[str]
    accept_days: int
    decide_days: int
    description: str
    created_at: datetime
    published_at: datetime | None
    withdrawn_at: datetime | None


class NeedCreate(_Contract):
    """A financing need; the borrower's county, industry and labels are taken from its accounts."""

    amount_fen: int = Amount
    term_months: int = Term
    purpose: str = Field(min_length=1, max_length=500)
    green_use: str | None = Field(default=None, max_length=20, description="Green use category code (2019 catalogue)")
    collateral: Collateral = "none"
    collateral_note: str = Field(default="", max_length=500)
    farm_ref: str | None = Field(default=None, max_length=40, description="For a farm of yours: its id")


class NeedUpdate(_In):
    amount_fen: int | None = Field(default=None, gt=0, le=MAX_AMOUNT_FEN)
    term_months: int | None = Field(default=None, gt=0, le=MAX_TERM_MONTHS)
    purpose: str | None = Field(default=None, min_length=1, max_length=500)
    green_use: str | None = Field(default=None, max_length=20)
    collateral: Collateral | None = None
    collateral_note: str | None = Field(default=None, max_length=500)


class NeedRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    status: str
    borrower_kind: str
    borrower_code: str | None = Field(description="Hidden (null) to a bank without the borrower's consent")
    borrower_name: str | None
    county_code: str | None
    industry_code: str | None
    industrial_label: str | None
    agricultural_label: str | None
    personal_grade: str | None
    amount_fen: int
    term_months: int
    purpose: str
    green_use: str | None
    green_catalogue: str | None
    collateral: str
    created_at: datetime


class MatchRead(BaseModel):
    product_id: str
    product_name: str
    bank_code: str
    bank_name: str
    score: int = Field(description="0–1000, higher is better")
    rate_bp: int = Field(description="Rate after the carbon terms, bp")
    reasons: list[str]


class MatchList(BaseModel):
    items: list[MatchRead]


class NeedMatchRead(BaseModel):
    need: NeedRead
    products: list[str] = Field(description="Your products that can serve it, best first")
    score: int


class NeedMatchList(BaseModel):
    items: list[NeedMatchRead]


class ApplicationCreate(_Contract):
    need_id: str = Field(min_length=1, max_length=32)
    product_id: str = Field(min_length=1, max_length=32)


class Decision(_Contract):
    decision: Literal["accept", "approve", "decline"]
    amount_fen: int | None = Field(default=None, gt=0, le=MAX_AMOUNT_FEN, description="Approved amount, fen")
    rate_bp: int | None = Field(default=None, ge=0, le=2400, description="Approved annual rate, bp")
    term_months: int | None = Field(default=None, gt=0, le=MAX_TERM_MONTHS)
    reason: DeclineReason | None = Field(default=None, description="Required when declining")
    note: str = Field(default="", max_length=1000)

    @model_validator(mode="after")
    def _reason(self) -> Decision:
        if self.decision == "decline" and self.reason is None:
            raise ValueError("reason: a refusal always carries a reason from the list")
        return self


class Disbursement(_In):
    loan_no: str | None = Field(default=None, min_length=1, max_length=64, description="The bank's loan number")
    start_date: date | None = None
    project_investment_fen: int | None = Field(default=None, gt=0, le=10**14)
    annual_co2_reduction_g: int | None = Field(default=None, ge=0, le=10**15)


class EventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    actor: str
    action: str
    from_state: str | None
    to_state: str
    reason_code: str | None
    note: str


class ApplicationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    need_id: str
    product_id: str
    bank_code: str
    borrower_kind: str
    borrower_code: str | None = Field(description="None to a bank whose consent is no longer live")
    state: str
    amount_fen: int
    term_months: int
    quoted_rate_bp: int
    lpr_bp: int
    submitted_at: datetime
    due_on: date | None
    calendar: str
    overdue_since: date | None
    approved_amount_fen: int | None
    approved_rate_bp: int | None
    approved_term_months: int | None
    decline_reason: str | None
    decline_note: str
    loan_id: str | None = None
    product_name: str | None = None
    institution_name: str | None = None
    borrower_name: str | None = Field(default=None, description="None to a bank whose consent is no longer live")
    purpose: str | None = Field(default=None, description="None to a bank whose consent is no longer live")
    data_closed: bool = Field(
        default=False, description="The borrower's consent to this bank ended: its data is closed"
    )
    events: list[EventRead] = Field(default_factory=list)


class LoanCreate(_In):
    """A loan made outside the platform, reported by the bank."""

    loan_no: str = Field(min_length=1, max_length=64)
    borrower_kind: BorrowerKind = "enterprise"
    borrower_code: str = Field(min_length=1, max_length=40)
    borrower_name: str = Field(min_length=1, max_length=200)
    amount_fen: int = Amount
    rate_bp: int = Field(ge=0, le=2400, description="Annual rate, bp")
    term_months: int = Term
    start_date: date
    green_use: str | None = Field(default=None, max_length=20)
    purpose: str = Field(default="", max_length=500)
    collateral: Collateral = "none"
    project_investment_fen: int | None = Field(default=None, gt=0, le=10**14)
    annual_co2_reduction_g: int | None = Field(default=None, ge=0, le=10**15)
    county_code: str | None = Field(default=None, min_length=6, max_length=6, description="The borrower's county")
    industry_code: str | None = Field(default=None, min_length=1, max_length=4, description="GB/T 4754-2017 class")


class LoanRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    bank_code: str
    loan_no: str
    borrower_kind: str
    borrower_code: str
    borrower_name: str
    application_id: str | None
    source: str
    amount_fen: int
    rate_bp: int
    term_months: int
    start_date: date
    maturity_date: date
    green_use: str | None
    green_catalogue: str | None
    purpose: str
    collateral: str
    project_investment_fen: int | None
    annual_co2_reduction_g: int | None
    project_name: str | None = None
    standard_coal_saved_g: int | None = None
    cod_reduction_g: int | None = None
    ammonia_nitrogen_reduction_g: int | None = None
    so2_reduction_g: int | None = None
    nox_reduction_g: int | None = None
    water_saved_g: int | None = None
    benefits_basis: str | None = None


BENEFIT_COLUMNS = {
    "standard_coal_t": "standard_coal_saved_g",
    "co2e_t": "annual_co2_reduction_g",
    "cod_t": "cod_reduction_g",
    "ammonia_nitrogen_t": "ammonia_nitrogen_reduction_g",
    "so2_t": "so2_reduction_g",
    "nox_t": "nox_reduction_g",
    "water_t": "water_saved_g",
}
"""The seven yearly benefit indicators (tonnes on the API) and the loan's columns keeping them in grams."""

BenefitTonnes = Annotated[
    Decimal, Field(ge=0, le=10**9, decimal_places=6, allow_inf_nan=False, description="tonnes a year, to the gram")
]


class ProjectBenefitsIn(_In):
    """A green loan's project: its total investment and yearly environmental benefits, from the project's
    feasibility study, environmental impact assessment or a third party's verification."""

    project_name: str = Field(min_length=1, max_length=200)
    project_investment_fen: int = Field(gt=0, le=10**14, description="The project's total investment, fen")
    standard_coal_t: BenefitTonnes = Decimal(0)
    co2e_t: BenefitTonnes = Decimal(0)
    cod_t: BenefitTonnes = Decimal(0)
    ammonia_nitrogen_t: BenefitTonnes = Decimal(0)
    so2_t: BenefitTonnes = Decimal(0)
    nox_t: BenefitTonnes = Decimal(0)
    water_t: BenefitTonnes = Decimal(0)
    basis: str = Field(min_length=1, max_length=200, description="where the figures come from (可研报告, 环评 …)")


class BalanceIn(_In):
    loan_no: str = Field(min_length=1, max_length=64)
    as_of: date
    balance_fen: int = Field(ge=0, le=10**14)
    quality: Quality


class BalancesIn(_In):
    items: list[BalanceIn] = Field(min_length=1, max_length=100_000)
    correction: str | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description="Why stored months are corrected; without it, other figures for a stored month are refused",
    )


class BalanceImportRead(BaseModel):
    import_id: str | None
    rows: int
    inserted: int = Field(description="Rows new to the loan book or corrected; 0 when the file was replayed")


class PolicyCreate(_In):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(default="", max_length=20_000)
    valid_from: date
    valid_to: date
    min_label: IndustrialLabel | None = None
    green_only: bool = True
    subsidy_rate_bp: int = Field(gt=0, le=1000, description="Annual subsidy, bp of the loan amount")
    budget_fen: int = Field(gt=0, le=10**14)


class PolicyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    title: str
    body: str
    valid_from: date
    valid_to: date
    min_label: str | None
    green_only: bool
    subsidy_rate_bp: int
    budget_fen: int
    committed_fen: int
    paid_fen: int


class SubsidyCreate(_In):
    policy_id: str = Field(min_length=1, max_length=32)
    loan_id: str = Field(min_length=1, max_length=32)


class SubsidyReview(_In):
    decision: Literal["approve", "refuse", "pay"]
    note: str = Field(default="", max_length=500)


class SubsidyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    policy_id: str
    loan_id: str
    borrower_code: str
    amount_fen: int
    status: str
    note: str
    paid_fen: int
    created_at: datetime | None = None
    reviewed_at: datetime | None = None
    paid_at: datetime | None = None
    policy_title: str | None = None
    bank_code: str | None = None
    bank_name: str | None = None
    loan_no: str | None = None
    loan_amount_fen: int | None = None
    borrower_name: str | None = None
