"""API shapes of the industrial carbon account (Pydantic v2).

Stored figures are integers (grams, fen, thousandths); these shapes show them in the units
people read — tCO2, tce, yuan, tCO2 per 10,000 yuan (万元) — as exact ``Decimal`` values,
serialised as JSON numbers. The unit is in every field's name or description.

Import rows (``*Row``) are the validated lines of an uploaded file, one model per kind.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from greenfin.bounds import MAX_DIGITS, MAX_QUANTITY, Quantity


def _json_number(value: Decimal) -> int | float:
    # Values are already quantized (≤ 6 places); float() keeps such values exact in JSON text.
    return int(value) if value == value.to_integral_value() and abs(value) < 2**53 else float(value)


Number = Annotated[Decimal, PlainSerializer(_json_number, when_used="json"), WithJsonSchema({"type": "number"})]

LabelCode = Literal["dark_green", "light_green", "yellow", "red"]
ImportKind = Literal["enterprises", "energy", "process", "annual"]


# --- reference ----------------------------------------------------------------------------


class CountyRead(BaseModel):
    code: str = Field(description="GB/T 2260 division code, 6 digits")
    name_zh: str
    name_en: str


class IndustryRead(BaseModel):
    code: str = Field(description="GB/T 4754-2017 class (4 digits) or division (2 digits)")
    name_zh: str
    name_en: str
    division: str = Field(description="GB/T 4754-2017 division (first 2 digits)")
    division_name_zh: str
    division_name_en: str


class EnterpriseRead(BaseModel):
    uscc: str = Field(description="Unified social credit code (GB 32100-2015), 18 characters")
    name: str
    county: CountyRead
    industry: IndustryRead


# --- labels -------------------------------------------------------------------------------


class ThresholdCheck(BaseModel):
    """One threshold of the label rule and whether the enterprise meets it."""

    rule: str = Field(description="e.g. 'K ≤ 0.8'")
    label: LabelCode = Field(description="The label the threshold belongs to")
    value: str = Field(description="The enterprise's figure, e.g. 'K = 0.742'")
    met: bool | None = Field(description="None when the figure is missing")


class NextLabel(BaseModel):
    """What would move the enterprise to the next better label."""

    label: LabelCode
    target_intensity_t_per_wan: Number | None = Field(description="Intensity to reach, tCO2 per 10,000 yuan")
    cut_pct: Number | None = Field(description="Cut of intensity needed, percent of today's")
    text_zh: str
    text_en: str


class LabelExplanation(BaseModel):
    """Why the label is what it is: figures, benchmark, thresholds, and the way up."""

    basis: str = Field(description="Intensity basis of K: added_value, output_value or tax")
    intensity_t_per_wan: Number | None = Field(description="tCO2 per 10,000 yuan of the basis")
    previous_intensity_t_per_wan: Number | None = Field(description="The same, previous year")
    benchmark_t_per_wan: Number | None = Field(description="Benchmark, tCO2 per 10,000 yuan")
    benchmark_source: str
    peer_group: str = Field(description="Industry code prefix of the peers; '*' for the whole region")
    peer_count: int
    k_ratio: Number | None = Field(description="K = intensity ÷ benchmark")
    yoy_change_pct: Number | None = Field(description="Year-on-year change of intensity, percent")
    region_contribution_pct: Number | None = Field(description="Share of the region's year-on-year reduction, percent")
    thresholds: list[ThresholdCheck]
    reason_zh: str
    reason_en: str
    next_label: NextLabel | None = Field(description="None at dark green")
    assumptions: list[str] = Field(description="Thresholds of the methodology that are assumptions")


class LabelRead(BaseModel):
    """A stored label with the versions that produced it and its explanation."""

    uscc: str
    year: int
    label: LabelCode
    name_zh: str = Field(description="深绿 / 浅绿 / 黄 / 红")
    name_en: str
    methodology_version: str
    factor_set_version: str
    computed_at: datetime
    energy_co2_t: Number
    process_co2_t: Number
    total_co2_t: Number
    energy_tce: Number
    intensity_output_t_per_wan: Number | None
    intensity_added_t_per_wan: Number | None
    intensity_tax_t_per_wan: Number | None
    intensity_product_t_per_unit: Number | None
    explanation: LabelExplanation


class LabelRunRead(BaseModel):
    """The result of one labelling batch."""

    year: int
    methodology_version: str
    factor_set_version: str
    enterprises: int = Field(description="Enterprises labelled")
    counts: dict[str, int] = Field(description="Enterprises per label (every label present, maybe 0)")
    replaced: int = Field(description="Labels of the same year and versions replaced")


# --- account ------------------------------------------------------------------------------


class EnergyLine(BaseModel):
    energy: str
    name_zh: str
    name_en: str
    quantity: Number = Field(description="Quantity in `unit` (the factor set's official unit)")
    unit: str
    scope: int = Field(description="1: fuel combustion; 2: purchased electricity and heat")
    tco2: Number
    tce: Number
    share: Number = Field(description="Share of energy CO2, percent")


class MonthLine(BaseModel):
    month: int
    tco2: Number
    tce: Number


DataQuality = Literal["declared", "metered", "audited"]
ConflictStatus = Literal["open", "accepted", "rejected", "superseded"]


class Provenance(BaseModel):
    """Where a figure comes from: its authority (data quality), who delivered it, when, in which import."""

    data_quality: DataQuality = Field(description="declared < metered < audited (the figure's authority)")
    accepted: bool = Field(default=False, description="A regulator accepted it over a higher-authority figure")
    import_id: str | None
    imported_by: str | None = Field(description="The user or API key that imported it")
    organisation_code: str | None = Field(description="The organisation it was imported for (a data source's code)")
    role: str | None = Field(description="The importer's role")
    imported_at: datetime | None


class SourceRead(BaseModel):
    """One import whose current rows make up part of an account-year (what the figures rest on)."""

    kind: Literal["energy", "process", "annual"]
    rows: int
    provenance: Provenance


class ProcessLine(BaseModel):
    source: str
    tco2: Number
    provenance: Provenance | None = None


class ConflictRead(BaseModel):
    """A figure kept beside the current figure of the same item because its authority is lower."""

    kind: Literal["energy", "process", "annual"]
    id: int = Field(description="The held row's id (resolve it with POST /industry/conflicts/{kind}/{id}/resolve)")
    uscc: str
    year: int
    month: int | None = Field(description="Energy records only")
    item: str = Field(description="The energy, the process source, or 'annual'")
    item_name_zh: str
    item_name_en: str
    status: ConflictStatus
    held: dict[str, str] = Field(description="The held figure(s), as exact text")
    held_provenance: Provenance
    current: dict[str, str] | None = Field(description="The figure(s) in use, as exact text")
    current_provenance: Provenance | None


class ConflictResolve(BaseModel):
    """A regulator's decision on an open conflict."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["accept", "reject"] = Field(
        description="accept: the held figure becomes the one in use (audited weight); reject: it stays aside"
    )
    note: str = Field(min_length=1, max_length=500, description="Why (kept in the audit log)")


class Intensities(BaseModel):
    output_t_per_wan: Number | None = Field(description="tCO2 per 10,000 yuan of output value")
    added_value_t_per_wan: Number | None = Field(description="tCO2 per 10,000 yuan of added value")
    tax_t_per_wan: Number | None = Field(description="tCO2 per 10,000 yuan of tax")
    product_t_per_unit: Number | None = Field(description="tCO2 per unit of main product")
    product_unit: str | None


class AnnualFiguresRead(BaseModel):
    output_value_yuan: Number
    added_value_yuan: Number
    tax_yuan: Number
    product_output: Number
    product_unit: str


class HistoryLine(BaseModel):
    year: int
    energy_co2_t: Number
    process_co2_t: Number
    total_co2_t: Number
    energy_tce: Number
    label: LabelCode | None


class AccountRead(BaseModel):
    """The industrial carbon account of one enterprise and year."""

    enterprise: EnterpriseRead
    year: int
    factor_set_version: str
    energy_co2_t: Number
    process_co2_t: Number
    total_co2_t: Number
    energy_tce: Number
    scope1_t: Number = Field(description="Fuel combustion + process, tCO2")
    scope2_t: Number = Field(description="Purchased electricity and heat, tCO2")
    by_energy: list[EnergyLine]
    process: list[ProcessLine]
    monthly: list[MonthLine]
    figures: AnnualFiguresRead | None
    intensities: Intensities
    data_quality: dict[str, Number] = Field(description="Share of energy records per data quality, percent")
    label: LabelRead | None
    history: list[HistoryLine]
    conflicts: list[ConflictRead] = Field(
        default_factory=list, description="Open conflicts of the year: lower-authority figures kept aside, not used"
    )
    sources: list[SourceRead] = Field(
        default_factory=list, description="The imports the year's figures in use come from, with their authority"
    )


class EnterpriseListItem(BaseModel):
    uscc: str
    name: str
    county_code: str
    county_name_zh: str
    county_name_en: str
    industry_code: str
    industry_name_zh: str
    industry_name_en: str
    year: int | None = Field(description="Year of the label shown")
    total_co2_t: Number | None = Field(description="Total tCO2 of that year's label")
    label: LabelCode | None


# --- overview -----------------------------------------------------------------------------


class GroupCount(BaseModel):
    code: str
    name_zh: str
    name_en: str
    counts: dict[str, int] = Field(description="Enterprises per label")
    total_co2_t: Number


class Emitter(BaseModel):
    uscc: str
    name: str
    county_code: str
    industry_code: str
    total_co2_t: Number
    label: LabelCode


class TrendPoint(BaseModel):
    year: int
    total_co2_t: Number
    counts: dict[str, int]


class OverviewRead(BaseModel):
    """The region at a glance for one year (labels of the default methodology and factor set)."""

    year: int
    methodology_version: str
    factor_set_version: str
    enterprises: int
    total_co2_t: Number
    counts: dict[str, int]
    by_county: list[GroupCount]
    by_industry: list[GroupCount] = Field(description="By GB/T 4754 division (2 digits)")
    top_emitters: list[Emitter]
    trend: list[TrendPoint]


class RegionCounts(BaseModel):
    """The region's labels in aggregate for one year: counts only, public (the landing page)."""

    year: int
    enterprises: int
    counts: dict[str, int] = Field(description="Enterprises per label")


class FilterOption(BaseModel):
    code: str
    name_zh: str
    name_en: str


class FilterOptions(BaseModel):
    """What the enterprise list can be filtered by: counties and industry divisions present."""

    counties: list[FilterOption]
    divisions: list[FilterOption] = Field(description="GB/T 4754 divisions (2 digits)")


# --- imports and versions -----------------------------------------------------------------


class ImportRead(BaseModel):
    id: str
    kind: ImportKind
    filename: str
    sha256: str
    rows: int
    imported_by: str
    imported_at: datetime
    superseded: int = Field(description="Earlier rows marked not current by this import")
    conflicts: int = Field(
        default=0,
        description="Rows kept beside a current figure of higher authority that they contradict (not used until a "
        "regulator accepts them)",
    )
    kept: int = Field(default=0, description="Rows of lower authority that agree with the current figure (not used)")


class VersionRead(BaseModel):
    """One stored version of an enterprise's data for a year."""

    kind: Literal["energy", "process", "annual"]
    month: int | None = Field(description="Energy records only")
    version: int
    is_current: bool
    rows: int
    import_id: str | None
    filename: str | None
    imported_by: str | None
    imported_at: datetime | None
    detail: list[dict[str, Any]] = Field(description="The rows of that version, as stored")


# --- validated import rows ----------------------------------------------------------------


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class EnterpriseRow(_Row):
    uscc: str = Field(max_length=40)
    name: str = Field(min_length=1, max_length=200)
    county_code: str = Field(max_length=12)
    industry_code: str = Field(max_length=12)


class EnergyRow(_Row):
    uscc: str = Field(max_length=40)
    year: int = Field(ge=1990, le=2100)
    month: int = Field(ge=1, le=12)
    energy: str = Field(max_length=40)
    quantity: Decimal = Field(ge=-MAX_QUANTITY, le=MAX_QUANTITY, max_digits=MAX_DIGITS)
    unit: str = Field(max_length=20)
    data_quality: DataQuality


class ProcessRow(_Row):
    uscc: str = Field(max_length=40)
    year: int = Field(ge=1990, le=2100)
    source: str = Field(min_length=1, max_length=60)
    tco2: Decimal = Field(ge=0, le=MAX_QUANTITY, max_digits=MAX_DIGITS)
    data_quality: DataQuality


class AnnualRow(_Row):
    uscc: str = Field(max_length=40)
    year: int = Field(ge=1990, le=2100)
    output_value_yuan: Quantity
    added_value_yuan: Decimal = Field(ge=-MAX_QUANTITY, le=MAX_QUANTITY, max_digits=MAX_DIGITS)
    tax_yuan: Decimal = Field(ge=-MAX_QUANTITY, le=MAX_QUANTITY, max_digits=MAX_DIGITS)
    product_output: Quantity
    product_unit: str = Field(min_length=1, max_length=20)
