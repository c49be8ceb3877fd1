"""Two Mountains Bank I/O: valuation inputs per method, the registry's assets, documents and valuations."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator, model_validator

from greenfin.ecobank.rules import ASSET_KINDS

AssetKind = Literal[
    "orchard",
    "forest_right",
    "tea_garden",
    "water_right",
    "idle_farmhouse",
    "collective_construction_land",
    "land_contract_right",
    "carbon_sink",
]
assert tuple(AssetKind.__args__) == ASSET_KINDS  # type: ignore[attr-defined]  # one list of kinds
Method = Literal["income", "market", "cost", "gep"]
DocumentKind = Literal["certificate", "contract", "survey", "pledge_consent", "other"]
DOCUMENT_KINDS: tuple[str, ...] = DocumentKind.__args__  # type: ignore[attr-defined]
OwnerKind = Literal["collective", "farmer"]

MAX_FEN = 10**15  # 10 万亿元: above any single asset, payment or rent

Yuan = Annotated[Decimal, Field(allow_inf_nan=False, description="yuan")]
Mu = Annotated[Decimal, Field(gt=0, le=10**9, max_digits=16, allow_inf_nan=False, description="亩")]
Fraction = Annotated[Decimal, Field(allow_inf_nan=False)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- valuation inputs (one shape per method) -------------------------------------------------


class IncomeIn(_In):
    """Income approach: A (or yield × price − costs) over ``years`` at ``rate``."""

    annual_net_income: Yuan | None = Field(None, description="A: yearly net income in yuan (of the whole asset, "
                                                               "or per 亩 when area_mu is given)")  # fmt: skip
    annual_yield: Fraction | None = Field(None, description="yearly yield at full bearing (kg, t …), instead of A")
    unit_price: Yuan | None = Field(None, description="yuan per unit of yield")
    annual_costs: Yuan = Field(Decimal(0), description="yearly costs in yuan (subtracted from yield × price)")
    years: StrictInt = Field(description="n: remaining years of income (the right's remaining term)")
    rate: Fraction = Field(description="r: yearly rate as a fraction, e.g. 0.08")
    quality_factor: Fraction = Field(Decimal(1), description="K: stand yield ÷ reference yield")
    area_mu: Mu | None = Field(None, description="when given, the income figures are per 亩")


class ComparableIn(_In):
    """A recorded transfer and its corrections, each a number (1.05) or a ratio string ('105/100')."""

    price_per_mu: Yuan = Field(description="recorded price in yuan per 亩")
    transaction: Fraction | str | None = Field(None, description="交易情况修正")
    date: Fraction | str | None = Field(None, description="交易日期修正")
    regional: Fraction | str | None = Field(None, description="区域因素修正")
    individual: Fraction | str | None = Field(None, description="个别因素修正")
    term: Fraction | str | None = Field(None, description="年期修正")
    weight: Fraction = Field(Decimal(1), description="weight in the mean (1: arithmetic mean)")
    reference: str = Field("", max_length=200, description="the transfer's record (contract or certificate number)")


class MarketIn(_In):
    area_mu: Mu = Field(description="the subject's area in 亩")
    comparables: list[ComparableIn] = Field(min_length=1, max_length=50)


class CostIn(_In):
    replacement_cost: Yuan = Field(description="C: yuan to establish the same stand today (per 亩 if area_mu given)")
    condition_factor: Fraction | None = Field(None, description="α (成新率), 0–1; or give the three ages")
    age_years: StrictInt | None = Field(None, description="n: the stand's age")
    bearing_start_year: StrictInt | None = Field(None, description="m: the year full bearing starts")
    economic_life_years: StrictInt | None = Field(None, description="u: economic life")
    quality_factor: Fraction = Field(Decimal(1), description="K: stand yield ÷ reference yield")
    area_mu: Mu | None = None


class GepIn(_In):
    kind: Literal["forest_right", "water_right", "carbon_sink"]
    area_mu: Mu
    quantities: dict[str, Fraction] = Field(
        default_factory=dict, description="yearly quantity per service (m³, t …); defaults per 亩 otherwise"
    )


METHOD_INPUTS: dict[str, type[_In]] = {"income": IncomeIn, "market": MarketIn, "cost": CostIn, "gep": GepIn}


class ValuationResult(BaseModel):
    """A value computed by one method (not stored)."""

    method: Method
    method_version: str
    formula: str
    value: Decimal = Field(description="yuan, to the fen (GEP: yuan a year)")
    value_fen: int
    per_year: bool = Field(False, description="true for GEP, a yearly flow")
    confidence: str = Field(description="H, M or L: the weakest source behind the figure")
    details: dict[str, Any]


# --- the registry --------------------------------------------------------------------------

CountyCode = Annotated[str, Field(min_length=6, max_length=6, pattern=r"^\d{6}$", description="GB/T 2260 county code")]


class OwnerIn(_In):
    kind: OwnerKind
    collective_code: str | None = Field(
        None, min_length=6, max_length=40, description="a village collective: its code (USCC or 12-digit village code)"
    )
    collective_name: str | None = Field(None, max_length=200)
    id_number: str | None = Field(None, max_length=40, description="a farmer: resident ID number (never stored)")
    name: str | None = Field(None, max_length=60, description="a farmer's name (stored masked)")

    @model_validator(mode="after")
    def _one_identity(self) -> OwnerIn:
        if self.kind == "collective" and not (self.collective_code and self.collective_name):
            raise ValueError("a village collective needs collective_code and collective_name")
        if self.kind == "farmer" and not (self.id_number and self.name):
            raise ValueError("a farmer needs id_number and name")
        return self


class AssetCreate(_In):
    kind: AssetKind
    name: str = Field(min_length=1, max_length=200)
    crop: str | None = Field(None, max_length=60, description="an orchard's or tea garden's crop (胡柚, 茶 …)")
    owner: OwnerIn
    county_code: CountyCode
    township_code: str = Field(min_length=9, max_length=9, pattern=r"^\d{9}$", description="9-digit township code")
    village_code: str = Field(min_length=12, max_length=12, pattern=r"^\d{12}$", description="12-digit village code")
    area_mu: Mu = Field(description="亩, up to three decimals")
    certificates: list[Annotated[str, Field(min_length=3, max_length=60)]] = Field(min_length=1, max_length=10)
    right_start: date | None = None
    right_end: date | None = Field(None, description="the right's end: the remaining term is counted to it")
    note: str = Field("", max_length=1000)

    @field_validator("area_mu")
    @classmethod
    def _thousandths(cls, value: Decimal) -> Decimal:
        if value != value.quantize(Decimal("0.001")):
            raise ValueError("at most three decimals (thousandths of a 亩)")
        return value

    @field_validator("certificates")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        cleaned = [number.strip() for number in value]
        if len(set(cleaned)) != len(cleaned):
            raise ValueError("a certificate number is listed twice")
        return cleaned

    @model_validator(mode="after")
    def _places(self) -> AssetCreate:
        if not self.township_code.startswith(self.county_code):
            raise ValueError("township_code must start with county_code")
        if not self.village_code.startswith(self.township_code):
            raise ValueError("village_code must start with township_code")
        if self.right_start and self.right_end and self.right_end <= self.right_start:
            raise ValueError("right_end must be after right_start")
        if self.kind in ("orchard", "tea_garden") and not self.crop:
            raise ValueError("an orchard or tea garden needs its crop")
        return self


class AssetRead(BaseModel):
    id: str
    kind: AssetKind
    name: str
    crop: str | None
    owner_kind: OwnerKind
    owner_code: str | None = Field(description="a collective's code; never a farmer's identifier")
    owner_display: str = Field(description="the collective's name, or the farmer's masked name and ID number")
    county_code: str
    township_code: str
    village_code: str
    area_milli_mu: int = Field(description="area in thousandths of a 亩")
    area_mu: Decimal
    certificates: list[str]
    right_start: date | None
    right_end: date | None
    remaining_years: int | None = Field(description="whole years left on the right (None: no end recorded)")
    status: str
    value_fen: int | None = Field(description="latest appraised value in fen")
    valued_on: date | None
    registered_at: datetime


class AssetListItem(BaseModel):
    id: str
    kind: AssetKind
    name: str
    crop: str | None
    owner_display: str
    county_code: str
    village_code: str
    area_milli_mu: int
    certificate: str
    right_end: date | None
    value_fen: int | None
    valued_on: date | None


class DocumentRead(BaseModel):
    id: str
    asset_id: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    kind: DocumentKind = Field(description="certificate, contract, survey, pledge_consent (the owner's signed consent "
                                           "to a pledge) or other")  # fmt: skip
    uploaded_at: datetime
    uploaded_by: str


class ValuationCreate(_In):
    method: Method
    inputs: dict[str, Any] = Field(description="the method's input object (see /ecobank/methods)")
    valuer: str = Field(min_length=1, max_length=120, description="who appraised (person or firm)")
    valued_on: date | None = Field(None, description="appraisal date (today when omitted)")


class ValuationRead(BaseModel):
    id: str
    asset_id: str
    method: Method
    method_version: str
    inputs: dict[str, Any]
    parameters: dict[str, Any]
    formula: str
    value_fen: int
    per_year: bool
    confidence: str
    valuer: str
    valued_on: date
    recorded_by: str
    created_at: datetime


class LtvRead(BaseModel):
    kind: str
    policy_version: str
    basis: str
    ratio: Decimal
    confidence: str
    source: str
    max_loan_fen: int | None = Field(description="the cap on the asset's latest appraised value (None: no basis yet)")


class OperatorCreate(_In):
    organisation_code: str = Field(min_length=3, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    county_code: CountyCode


class OperatorRead(BaseModel):
    organisation_code: str
    name: str
    county_code: str


# --- deposits and payments ------------------------------------------------------------------


class DepositCreate(_In):
    start_on: date
    end_on: date
    income_kind: Literal["rent", "dividend"] = Field(
        description="a fixed yearly rent, or dividends of a pooled project"
    )
    rent_fen_per_year: int | None = Field(
        None, gt=0, le=MAX_FEN, description="the agreed yearly rent in fen (rent deposits)"
    )
    operator_code: str | None = Field(
        None, max_length=40, description="the ecological bank taking the deposit (staff must name it)"
    )

    @model_validator(mode="after")
    def _terms(self) -> DepositCreate:
        if self.end_on <= self.start_on:
            raise ValueError("end_on must be after start_on")
        if self.income_kind == "rent" and self.rent_fen_per_year is None:
            raise ValueError("a rent deposit needs rent_fen_per_year")
        if self.income_kind == "dividend" and self.rent_fen_per_year is not None:
            raise ValueError("a dividend deposit has no fixed rent")
        return self


class DepositRead(BaseModel):
    id: str
    asset_id: str
    operator_code: str
    start_on: date
    end_on: date
    income_kind: str
    rent_fen_per_year: int | None
    status: str
    paid_fen: int = Field(description="sum of the payment ledger (reversals included), in fen")


class PaymentCreate(_In):
    paid_on: date
    amount_fen: int = Field(gt=0, le=MAX_FEN, description="fen paid to the depositor")
    period: str = Field(min_length=1, max_length=20, description="what it pays for, e.g. 2026 or 2026-H1")


class ReversalCreate(_In):
    reason: str = Field(min_length=1, max_length=200)


class PaymentRead(BaseModel):
    id: str
    deposit_id: str
    paid_on: date
    amount_fen: int
    period: str
    reverses_id: str | None
    reason: str
    recorded_at: datetime
    recorded_by: str


# --- pooled projects ------------------------------------------------------------------------


class ProjectCreate(_In):
    name: str = Field(min_length=1, max_length=200)
    county_code: CountyCode
    operator_code: str | None = Field(None, max_length=40, description="the ecological bank (staff must name it)")
    transferee: str | None = Field(None, max_length=200, description="the operator the pooled rights go to (流转)")
    transfer_price_fen_per_year: int | None = Field(None, gt=0, le=MAX_FEN)
    transfer_start: date | None = None
    transfer_end: date | None = None

    @model_validator(mode="after")
    def _transfer(self) -> ProjectCreate:
        given = [self.transferee, self.transfer_price_fen_per_year, self.transfer_start, self.transfer_end]
        if any(v is not None for v in given) and not all(v is not None for v in given):
            raise ValueError(
                "a transfer needs transferee, transfer_price_fen_per_year, transfer_start and transfer_end"
            )
        if self.transfer_start and self.transfer_end and self.transfer_end <= self.transfer_start:
            raise ValueError("transfer_end must be after transfer_start")
        return self


class ShareCreate(_In):
    deposit_id: str = Field(min_length=1, max_length=32)
    shares: int = Field(gt=0, le=10**12, description="the household's shares (trees, thousandths of a 亩 …)")


class ShareRead(BaseModel):
    deposit_id: str
    asset_id: str
    owner_display: str
    shares: int
    share: Decimal = Field(description="fraction of the project's shares")


class ProjectRead(BaseModel):
    id: str
    name: str
    operator_code: str
    county_code: str
    transferee: str | None
    transfer_price_fen_per_year: int | None
    transfer_start: date | None
    transfer_end: date | None
    total_shares: int
    holders: list[ShareRead]


class DistributionCreate(_In):
    amount_fen: int = Field(gt=0, le=MAX_FEN, description="the dividend to share out, in fen")
    paid_on: date
    period: str = Field(min_length=1, max_length=20)


class PledgeCreate(_In):
    """A bank pledges an asset (or its income right) for one of its own loans."""

    asset_id: str = Field(min_length=1, max_length=32)
    loan_id: str = Field(min_length=1, max_length=32, description="a loan of the bank's own loan book")
    amount_fen: int = Field(gt=0, le=MAX_FEN, description="the amount the pledge secures, fen")
    pledged_right: Literal["asset", "income"] = Field("asset", description="the right itself, or its income")
    yearly_income_fen: int | None = Field(
        None, gt=0, le=MAX_FEN, description="the right's yearly income, fen (kinds capped on a yearly income)"
    )
    consent_document_id: str = Field(
        min_length=1,
        max_length=32,
        description="the owner's signed consent to this pledge: a document of the asset of kind pledge_consent, "
        "not used by another pledge",
    )


class PledgeEnd(_In):
    note: str = Field("", max_length=500, description="e.g. the repayment or the enforcement's reference")


class PledgeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    asset_id: str
    loan_id: str
    bank_code: str
    pledged_right: str
    amount_fen: int
    max_loan_fen: int
    ltv_policy_version: str
    consent_document_id: str | None = Field(description="the owner's signed consent (a document of the asset)")
    status: str = Field(description="active | released | enforced")
    pledged_at: datetime
    pledged_by: str
    ended_at: datetime | None
    ended_by: str | None
    note: str


# --- the ecological bank's dashboard ----------------------------------------------------------------


class SummaryFigures(BaseModel):
    """What the ecological bank holds and has turned into money, for a county, a kind or the whole."""

    assets: int = 0
    area_milli_mu: int = 0
    value_fen: int = Field(0, description="sum of the assets' latest appraised values")
    appraised: int = Field(0, description="assets with an appraised value")
    gep_fen: int = Field(0, description="yearly ecosystem-service value (GEP), latest per asset")
    deposits: int = Field(0, description="active deposits (存入)")
    rent_fen: int = Field(0, description="yearly rent agreed on the active deposits")
    pledges: int = Field(0, description="active pledges")
    pledged_fen: int = Field(0, description="amount the active pledges secure")
    loans: int = Field(0, description="loans the active pledges secure")
    paid_fen: int = Field(0, description="rent and dividends paid to owners (reversals netted)")
    households: int = Field(0, description="owners (farmers and collectives) paid")


class SummaryGroup(SummaryFigures):
    key: str = Field(description="a county code or an asset kind")


class SummaryCell(BaseModel):
    county_code: str
    kind: str
    assets: int
    value_fen: int


class SummaryPayment(BaseModel):
    asset_id: str
    asset_name: str
    owner_display: str
    paid_on: date
    amount_fen: int
    period: str


class SummaryPledge(BaseModel):
    asset_id: str
    asset_name: str
    bank_code: str
    amount_fen: int
    status: str
    pledged_at: datetime


class SummaryRead(BaseModel):
    """The ecological bank's dashboard: the region (staff) or one county (its ecological bank)."""

    county_code: str | None = Field(description="the county shown; None for the whole region")
    totals: SummaryFigures
    loans_fen: int = Field(description="amount lent by the loans the active pledges secure")
    by_kind: list[SummaryGroup]
    by_county: list[SummaryGroup]
    cells: list[SummaryCell] = Field(description="assets and appraised value per county and kind")
    latest_payments: list[SummaryPayment]
    latest_pledges: list[SummaryPledge]
