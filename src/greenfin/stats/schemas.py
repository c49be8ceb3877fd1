"""The edge of the statistics domain: the financed-emissions contract and the registered facts.

Input is validated here, before any rule runs: numbers must be JSON numbers (not strings
or booleans), finite, within bounds and with at most 10 decimal places; unknown keys are
refused. Output numbers are ``Decimal`` rounded half-even (GB/T 8170-2008) to the places
in :data:`PLACES`, written as JSON numbers by the CLI.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
)

from greenfin.stats.rules import AssetClass, Attribution, FinancedEmissions, PortfolioTotals

MAX_AMOUNT = Decimal(10) ** 18  # currency units; far above any loan, refuses absurd exponents
MAX_TONNES = Decimal(10) ** 11  # tCO2e a year; world emissions are about 5.7 × 10^10 t
MAX_EXPOSURES = 1_000_000

PLACES = {"attribution_factor": 6, "tonnes": 6, "weighted_data_quality": 2, "coverage": 4}
"""Decimal places of each output number: the factor to 10^-6, tonnes to the gram, the
weighted data-quality score to two places as PCAF Box 8 prints it, coverage to 0.01 %."""


MAX_PLACES = 10


def _json_number(value: object) -> object:
    # Pydantic would turn "12" into Decimal("12") and True into 1; a JSON contract wants numbers.
    # The places are checked here: pydantic's decimal_places check is slow pure Python.
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError("must be a JSON number")
    if isinstance(value, Decimal) and value.is_finite() and int(value.as_tuple().exponent) < -MAX_PLACES:
        raise ValueError(f"must have at most {MAX_PLACES} decimal places")
    return value


Amount = Annotated[
    Decimal,
    BeforeValidator(_json_number),
    Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False),
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": int(MAX_AMOUNT)}),
]
Denominator = Annotated[
    Decimal,
    BeforeValidator(_json_number),
    Field(gt=0, le=MAX_AMOUNT, allow_inf_nan=False),
    WithJsonSchema({"type": "number", "exclusiveMinimum": 0, "maximum": int(MAX_AMOUNT)}),
]
Tonnes = Annotated[
    Decimal,
    BeforeValidator(_json_number),
    Field(ge=0, le=MAX_TONNES, allow_inf_nan=False),
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": int(MAX_TONNES)}),
]


MAX_EXPOSURES = 1_000_000  # a large bank's whole book in one call


class ExposureIn(BaseModel):
    """One exposure of the financed-emissions contract (outstanding and denominator in one currency)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: (
        Annotated[str, StringConstraints(min_length=1, max_length=200)]
        | Annotated[StrictInt, Field(ge=-(2**63), le=2**63 - 1)]
    ) = Field(description="The caller's identifier of the loan or investment, echoed back.")
    asset_class: AssetClass = Field(description="PCAF asset class.")
    outstanding: Amount = Field(description="Outstanding amount at the accounting date.")
    denominator: Denominator | None = Field(
        description="What the class attributes by (EVIC, equity + debt, value at origination); "
        "null only for a motor-vehicle loan whose vehicle value is unknown (100 % attribution)."
    )
    scope1_t: Tonnes = Field(description="Borrower's scope 1 emissions, tCO2e a year.")
    scope2_t: Tonnes = Field(description="Borrower's scope 2 emissions, tCO2e a year.")
    scope3_t: Tonnes | None = Field(default=None, description="Borrower's scope 3 emissions, tCO2e a year.")
    removals_t: Tonnes | None = Field(default=None, description="Borrower's emission removals, tCO2 a year.")
    data_quality: Annotated[StrictInt, Field(ge=1, le=5)] | None = Field(
        default=None, description="PCAF data-quality score, 1 (best) to 5."
    )
    credits_retired_t: Tonnes | None = Field(default=None, description="Carbon credits the borrower retired, tCO2e.")
    credits_generated_t: Tonnes | None = Field(
        default=None, description="Carbon credits the borrower generated, tCO2e."
    )
    attribution: Attribution = Field(
        default="pcaf",
        description="pcaf: outstanding ÷ the asset class's denominator; pboc: outstanding ÷ the project's total "
        "investment given as the denominator (the PBoC's project rule).",
    )


class ExposureList(RootModel[Annotated[list[ExposureIn], Field(max_length=MAX_EXPOSURES)]]):
    """The body of the financed-emissions contract: a JSON list of exposures."""


_KEYS: dict[str, str] = {}


def json_text(value: Any) -> str:
    """One line of JSON; Decimals as plain numbers (json.dumps would need floats, pydantic writes strings)."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):
        keys = _KEYS
        parts = []
        for key, item in value.items():
            text = keys.get(key)
            if text is None:
                text = keys[key] = json.dumps(str(key), ensure_ascii=False) + ": "
            parts.append(text + json_text(item))
        return "{" + ", ".join(parts) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(json_text(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _rounded(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def _tonnes(value: Decimal | None) -> Decimal | None:
    return None if value is None else _rounded(value, PLACES["tonnes"])


def item_out(item: FinancedEmissions) -> dict[str, Any]:
    """One exposure's result, numbers rounded for the contract."""
    return {
        "id": item.id,
        "asset_class": item.asset_class,
        "attribution": item.attribution,
        "attribution_factor": _rounded(item.attribution_factor, PLACES["attribution_factor"]),
        "capped": item.capped,
        "scope1_t": _tonnes(item.scope1_t),
        "scope2_t": _tonnes(item.scope2_t),
        "scope3_t": _tonnes(item.scope3_t),
        "removals_t": _tonnes(item.removals_t),
        "data_quality": item.data_quality,
        "credits_retired_t": _tonnes(item.credits_retired_t),
        "credits_generated_t": _tonnes(item.credits_generated_t),
    }


def totals_out(totals: PortfolioTotals) -> dict[str, Any]:
    """Portfolio totals (sums of the unrounded items, then rounded)."""
    return {
        "scope1_t": _tonnes(totals.scope1_t),
        "scope2_t": _tonnes(totals.scope2_t),
        "scope3_t": _tonnes(totals.scope3_t),
        "removals_t": _tonnes(totals.removals_t),
        "scope3_reported": totals.scope3_reported,
        "credits_retired_t": _tonnes(totals.credits_retired_t),
        "credits_generated_t": _tonnes(totals.credits_generated_t),
    }


def score_out(score: Decimal | None) -> Decimal | None:
    """The weighted data-quality score to two places, or None."""
    return None if score is None else _rounded(score, PLACES["weighted_data_quality"])


def coverage_out(coverage: Decimal | None) -> Decimal | None:
    """The share of the outstanding amount that carries a data-quality score, or None."""
    return None if coverage is None else _rounded(coverage, PLACES["coverage"])


# --- registered facts: green-finance divisions and pilot banks -----------------------------

BankCode = Annotated[str, StringConstraints(min_length=1, max_length=40, strip_whitespace=True)]
DivisionKind = Literal["division", "specialised_branch", "green_branch"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class DivisionCreate(_In):
    """A green-finance division to register: a bank's dedicated green-finance unit."""

    bank_code: BankCode = Field(description="The bank's organisation code.")
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        description="The unit's name, e.g. 衢州分行绿色金融事业部."
    )
    kind: DivisionKind = Field(description="绿色金融事业部 (division), 绿色专营机构 (specialised_branch) or 绿色支行.")
    county_code: Annotated[str, Field(max_length=6, pattern=r"^\d{6}$")] | None = Field(
        default=None, description="GB/T 2260 code of the county where it sits."
    )
    established_on: date = Field(description="Day it was established.")
    source: Annotated[str, StringConstraints(min_length=1, max_length=300)] = Field(
        description="Where the fact comes from: the bank's or the regulator's document."
    )


class DivisionClose(_In):
    """The day a division closed (it is counted until the day before)."""

    closed_on: date


class DivisionRead(BaseModel):
    """A registered green-finance division."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    bank_code: str
    name: str
    kind: DivisionKind
    county_code: str | None
    established_on: date
    closed_on: date | None
    source: str


class PilotBankCreate(_In):
    """A bank's designation as a green-finance reform pilot bank."""

    bank_code: BankCode = Field(description="The bank's organisation code.")
    designated_on: date = Field(description="Day of the designation.")
    document: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        description="The designating document (number and title)."
    )


class PilotBankRead(BaseModel):
    """A pilot-bank designation."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    bank_code: str
    designated_on: date
    ended_on: date | None
    document: str


class RegisteredFactsRead(BaseModel):
    """The region's counts on a day, and the registrations the reader may see."""

    as_of: date
    divisions: int = Field(description="Green-finance divisions open on the day, region-wide.")
    pilot_banks: int = Field(description="Banks designated as pilot banks on the day, region-wide.")
    division_items: list[DivisionRead]
    pilot_bank_items: list[PilotBankRead]


# --- green use catalogues --------------------------------------------------------------------


class CategoryBrief(BaseModel):
    """A green use category: code, name, level (1 = top) and the confidence of its transcription."""

    code: str
    name: str
    level: int
    confidence: Literal["H", "M", "L"] = Field(description="H official text, M one secondary source, L to be checked.")


class CategoryRead(CategoryBrief):
    """A category of one catalogue version with its ancestors (top first) and children."""

    catalogue: str
    title: str
    ancestors: list[CategoryBrief]
    children: list[CategoryBrief]


class CounterpartRead(CategoryBrief):
    """A category's counterpart in another version and how the counterpart's scope relates to it."""

    relation: Literal["exact", "broader", "narrower", "overlap"]
    via: list[str] = Field(description="The catalogue versions the mapping went through.")
    mapping_confidence: Literal["H", "M", "L"]


class CategoryMappingRead(BaseModel):
    """The counterparts of a code of one catalogue version in another."""

    code: str
    source: str
    target: str
    counterparts: list[CounterpartRead]


# --- green-loan statistics over the loan book --------------------------------------------------------------

Dimension = Literal["category", "bank", "county", "borrower_kind", "industry", "quality"]
DIMENSIONS: tuple[str, ...] = ("category", "bank", "county", "borrower_kind", "industry", "quality")
RATIO_PLACES = 4  # fractions to 0.0001: a percentage with two decimals, as PBoC releases print them
POINT_PLACES = 2  # percentage points to 0.01


def ratio_out(value: Decimal | None) -> Decimal | None:
    """A fraction rounded half-even to :data:`RATIO_PLACES` (0.3646 for 36.46 %)."""
    return None if value is None else _rounded(value, RATIO_PLACES)


def points_out(value: Decimal | None) -> Decimal | None:
    """Percentage points rounded half-even to :data:`POINT_PLACES`."""
    return None if value is None else _rounded(value, POINT_PLACES)


class FiguresRead(BaseModel):
    """The published figures of one as-of date (and one group): balances in fen, ratios as fractions.

    Growth figures are None when the earlier balance is missing or zero; points are
    percentage points (green growth − all-loan growth) × 100.
    """

    as_of: date
    green_balance_fen: int = Field(description="Green-loan balance, fen (本外币)")
    all_balance_fen: int = Field(description="All-loan balance of the same scope, fen")
    share: Decimal | None = Field(description="Green ÷ all loans, a fraction rounded to 4 places")
    share_of_green: Decimal | None = Field(
        default=None, description="This group's green balance ÷ the scope's green balance (groups only)"
    )
    last_year_green_fen: int | None = Field(description="Green balance twelve months before, fen")
    yoy_growth: Decimal | None = Field(description="(B_t − B_{t−12m}) ÷ B_{t−12m}, a fraction")
    all_yoy_growth: Decimal | None = Field(description="The same for all loans")
    yoy_points_above_all: Decimal | None = Field(description="高于各项贷款增速 X 个百分点 (year on year)")
    year_start_green_fen: int | None = Field(description="Green balance at 31 December of the year before, fen")
    ytd_growth: Decimal | None = Field(description="Growth since the start of the year (较年初), a fraction")
    all_ytd_growth: Decimal | None = Field(description="The same for all loans")
    ytd_points_above_all: Decimal | None = Field(description="高于各项贷款增速 X 个百分点 (year to date)")
    base: date | None = Field(description="The base date asked for")
    base_balance_fen: int | None = Field(description="Green balance on the base date, fen")
    growth_vs_base: Decimal | None = Field(description="(B_t − B_base) ÷ B_base, a fraction")
    multiple_of_base: Decimal | None = Field(description='B_t ÷ B_base ("about 5×"), rounded to 4 places')


class GroupFiguresRead(FiguresRead):
    """The figures of one group of a dimension (a category, bank, county, …)."""

    dimension: str
    key: str | None = Field(description="The group's code (null: not recorded on the loans)")
    name: str = Field(description="The group's name (Chinese) or its code when it has none")


class GreenLoanStatisticsRead(BaseModel):
    """Green-loan statistics of one as-of date: the scope's figures and each asked dimension's groups."""

    scope: str = Field(description="'region' for a regulator's view, else the bank's organisation code")
    catalogue_version: str = Field(description="The catalogue version categories are counted in")
    totals: FiguresRead
    groups: dict[str, list[GroupFiguresRead]] = Field(default_factory=dict)


# --- the environmental-information disclosure (JR/T 0227—2021) -------------------------------------------


class DisclosureTextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=20_000, description="The section's text; paragraphs split by lines.")


class DisclosureTextRead(BaseModel):
    bank_code: str
    year: int
    section: str
    version: int
    text: str
    written_by: str
    written_at: datetime


class DisclosureBlockRead(BaseModel):
    kind: str = Field(description="p, small or table")
    text: str = ""
    rows: list[list[str]] = Field(default_factory=list)
    header: bool = False


class DisclosureSectionRead(BaseModel):
    key: str
    number: str
    title: str
    guide: str
    filled: str = Field(description="data, bank or both: who writes the section")
    text: str
    version: int = Field(description="0: not written yet")
    written_by: str | None
    written_at: datetime | None
    versions: int
    facts: list[DisclosureBlockRead] = Field(description="greenfin's figures, as printed")


class DisclosureRead(BaseModel):
    bank_code: str
    bank_name: str
    year: int
    as_of: date | None = Field(description="The month-end the figures are taken at (None: no balances that year)")
    document: str
    title: str
    sections: list[DisclosureSectionRead]

    @classmethod
    def of(cls, report: Any) -> DisclosureRead:
        """The API's view of a :class:`greenfin.stats.disclosure.Disclosure`."""
        return cls(
            bank_code=report.bank_code,
            bank_name=report.bank_name,
            year=report.year,
            as_of=report.as_of,
            document=report.document,
            title=report.title,
            sections=[
                DisclosureSectionRead(
                    key=s.key,
                    number=s.number,
                    title=s.title,
                    guide=s.guide,
                    filled=s.filled,
                    text=s.text,
                    version=s.version,
                    written_by=s.written_by,
                    written_at=s.written_at,
                    versions=len(s.versions),
                    facts=[
                        DisclosureBlockRead(kind=b.kind, text=b.text, rows=b.rows, header=b.header) for b in s.facts
                    ],
                )
                for s in report.sections
            ],
        )
