"""API shapes of the agricultural carbon account (Pydantic v2).

Stored figures are integers (grams, thousandths); these shapes show them in the units
people read — kg CO2e, tonnes, mu, heads — as exact ``Decimal`` values serialised as JSON
numbers. The unit is in every field's name or description.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from greenfin.bounds import MAX_DIGITS, Measure


def _json_number(value: Decimal) -> int | float:
    # Values are quantized to at most 4 places; float() keeps such values exact in JSON text.
    return int(value) if value == value.to_integral_value() and abs(value) < 2**53 else float(value)


Number = Annotated[Decimal, PlainSerializer(_json_number, when_used="json"), WithJsonSchema({"type": "number"})]

FarmType = Literal["organic_fertiliser_producer", "pig_farm", "grain_grower", "cooperative"]
Practice = Literal["organic_fertiliser_substitution", "straw_return", "biogas_project"]
DataQuality = Literal["metered", "declared", "audited"]
AgriLabel = Literal["dark_green", "light_green", "yellow"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --- farms --------------------------------------------------------------------------------


class FarmCreate(_In):
    """A farm to put on the register: identified by USCC or by the holder's ID number."""

    farm_type: FarmType
    name: str = Field(min_length=1, max_length=200)
    uscc: str | None = Field(default=None, max_length=40, description="Unified social credit code, 18 characters")
    holder_id_number: str | None = Field(
        default=None,
        max_length=40,
        description="Resident ID number of the holder; stored only as a keyed hash and masked",
    )
    county_code: str = Field(pattern=r"^\d{6}$", max_length=6, description="GB/T 2260 county-level division code")
    township: str = Field(min_length=1, max_length=100)
    # Same upper bounds as rules.MAX_QUANTITY: the register feeds the baseline's area and herd.
    area_mu: Decimal | None = Field(
        default=None, ge=0, le=10**7, max_digits=MAX_DIGITS, description="Cultivated area, mu (at most 10^7)"
    )
    herd_heads: int | None = Field(
        default=None, ge=0, le=10**7, description="Pig herd (annual average), heads (at most 10^7)"
    )
    open_account: bool = Field(default=False, description="Open the farm's carbon account at once")


class FarmRead(BaseModel):
    id: str
    farm_type: FarmType
    farm_type_name_zh: str
    farm_type_name_en: str
    name: str
    uscc: str | None
    holder_id_masked: str | None = Field(description="The holder's ID number, masked")
    county_code: str
    township: str
    area_mu: Number | None = Field(description="Cultivated area, mu")
    herd_heads: int | None
    has_account: bool
    account_opened_at: datetime | None
    registered_at: datetime


# --- records ------------------------------------------------------------------------------


class BaselineIn(_In):
    """The farm before its practices, for one year."""

    chemical_n_kg: Measure | None = Field(default=None, description="Chemical fertiliser N, kg N")
    herd_heads: int | None = Field(default=None, ge=0, le=10**7, description="Pig herd (annual average), heads")
    area_mu: Measure | None = Field(default=None, description="Cultivated area, mu")
    product_t: Measure | None = Field(default=None, description="Organic fertiliser produced, tonnes")
    data_quality: DataQuality = "declared"


class OrganicIn(_In):
    practice: Literal["organic_fertiliser_substitution"]
    season: str = Field(default="", max_length=20)
    applied_t: Measure = Field(description="Organic fertiliser applied, tonnes")
    n_content_pct: Decimal = Field(ge=0, le=100, max_digits=MAX_DIGITS, description="N content, % of mass")
    chemical_n_before_kg: Measure = Field(description="Chemical N before, kg N")
    chemical_n_after_kg: Measure = Field(description="Chemical N after, kg N")
    data_quality: DataQuality = "declared"


class StrawIn(_In):
    practice: Literal["straw_return"]
    season: str = Field(default="", max_length=20)
    crop: str = Field(min_length=1, max_length=20, description="rice, wheat or maize (methodology v1)")
    straw_t: Measure = Field(description="Straw returned, tonnes")
    area_mu: Measure = Field(description="Area it was returned to, mu")
    data_quality: DataQuality = "declared"


class BiogasIn(_In):
    practice: Literal["biogas_project"]
    season: str = Field(default="", max_length=20)
    digester_volume_m3: Measure = Field(description="Digester volume, m3")
    manure_treated_t: Measure = Field(description="Manure treated, tonnes")
    heads_served: int = Field(ge=0, le=10**7, description="Pigs whose manure goes to the digester")
    biogas_produced_m3: Measure = Field(description="Biogas produced, m3")
    biogas_used_m3: Measure = Field(description="Biogas used as fuel, m3")
    days: int = Field(default=365, ge=1, le=366)
    data_quality: DataQuality = "declared"


PracticeIn = Annotated[OrganicIn | StrawIn | BiogasIn, Field(discriminator="practice")]


class RecordsSubmit(_In):
    """A farm's baseline and practice records for one year; replaces that year's current ones."""

    year: int = Field(ge=1990, le=2100)
    baseline: BaselineIn | None = None
    records: list[PracticeIn] = Field(default_factory=list, max_length=1_000)


class FarmConflictRead(BaseModel):
    """A submission kept beside a farm-year's stronger figures (not used until a regulator accepts it)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    farm_id: str
    farm_name: str | None = None
    year: int
    import_id: str = Field(description="The held submission (its rows are stored, not current)")
    baseline: bool = Field(description="The submission names a baseline (else practice records only)")
    data_quality: str = Field(description="The strongest quality its submitter may give")
    held_against: str = Field(description="The strongest quality stored for the farm-year")
    status: str = Field(description="open | accepted | rejected | superseded")
    submitted_by: str
    submitted_at: datetime
    resolved_by: str | None
    resolved_at: datetime | None
    note: str


class ConflictResolve(BaseModel):
    model_config = ConfigDict(extra="forbid")

    accept: bool = Field(description="true: the held figures become the farm-year's; false: they are rejected")
    note: str = Field(default="", max_length=500)


class ImportRead(BaseModel):
    id: str
    filename: str
    sha256: str
    rows: int
    farms: int = Field(description="Farm-years assessed anew")
    conflicts: list[FarmConflictRead] = Field(
        default_factory=list, description="Farm-years held beside stronger figures (open conflicts), not used"
    )
    imported_by: str
    imported_at: datetime


# --- assessments ---------------------------------------------------------------------------


class TermInputRead(BaseModel):
    name: str
    value: str = Field(description="Exact value as text")
    unit: str
    source: str


class TermRead(BaseModel):
    name: str
    name_zh: str
    formula: str
    value_kg: Number = Field(description="kg CO2e, positive = avoided")
    inputs: list[TermInputRead]


class ReductionRead(BaseModel):
    practice: str
    co2e_kg: Number = Field(description="kg CO2e")
    terms: list[TermRead]


class BandRead(BaseModel):
    code: str
    name_zh: str
    name_en: str
    min_intensity: Number | None


class AssessmentRead(BaseModel):
    """A farm's reduction and label for one year, with the terms that produced it."""

    farm_id: str
    year: int
    methodology_version: str
    computed_at: datetime
    farm_type: FarmType
    co2e_kg: Number = Field(description="Reduction, kg CO2e (positive = avoided)")
    co2e_t: Number = Field(description="Reduction, t CO2e")
    denominator: Number
    denominator_unit: str
    intensity: Number = Field(description="Reduction intensity in `unit`")
    unit: str
    label: AgriLabel
    label_name_zh: str
    label_name_en: str
    data_quality: DataQuality
    explanation_zh: str
    explanation_en: str
    bands: list[BandRead]
    label_source: str
    label_assumption: bool
    reductions: list[ReductionRead]


class BaselineRead(BaseModel):
    year: int
    chemical_n_kg: Number | None
    herd_heads: int | None
    area_mu: Number | None
    product_t: Number | None
    data_quality: DataQuality
    version: int


class PracticeRead(BaseModel):
    year: int
    season: str
    practice: Practice
    crop: str
    quantities: dict[str, Number] = Field(description="The record's quantities, in the units of the input")
    data_quality: DataQuality
    version: int


class FarmAccountRead(BaseModel):
    """A farm's agricultural carbon account: register entry, assessments, current records."""

    farm: FarmRead
    latest: AssessmentRead | None
    assessments: list[AssessmentRead] = Field(description="Newest year first")
    baselines: list[BaselineRead]
    records: list[PracticeRead]
    conflicts: list[FarmConflictRead] = Field(
        default_factory=list, description="Open conflicts: submissions held beside stronger figures, not used"
    )


# --- coverage -----------------------------------------------------------------------------


class CoverageRow(BaseModel):
    category: FarmType
    name_zh: str
    name_en: str
    county_code: str | None = Field(description="None for the whole region")
    registered: int = Field(description="Farms on the register")
    with_account: int = Field(description="Registered farms with a carbon account")
    share: Number = Field(description="with_account ÷ registered, 4 decimals (0 when none registered)")
    share_pct: Number = Field(description="The same in percent, 1 decimal")


class CoverageRead(BaseModel):
    categories: list[CoverageRow]
    by_county: list[CoverageRow]


# --- what-if ------------------------------------------------------------------------------


class FarmWhatIf(_In):
    """Practices a farm is considering, added to a year's current records."""

    year: int = Field(ge=1990, le=2100)
    add: list[PracticeIn] = Field(min_length=1, max_length=100)


class FarmWhatIfRead(BaseModel):
    farm_id: str
    year: int
    before: AssessmentRead | None
    after: AssessmentRead
    change_kg: Number = Field(description="Extra reduction, kg CO2e")
