"""The statistics methodology as data: green use catalogues, their mappings, the evaluation indicators.

Every file under ``greenfin/stats/data/`` is TOML whose shape is a Pydantic model below;
one loader (:func:`_read`) reads a file, validates it against its model and refuses it
with every problem listed. A published file is never edited: a new catalogue or a
corrected mapping is a new file, because a loan keeps the catalogue version and code it
was classified under.

- ``catalogues/<version>.toml`` — one version of a green use catalogue: title, document
  number, source, and its categories (code, name, confidence). A code's parent is the
  code without its last dotted part (``4.1.2`` → ``4.1``), checked to exist.
- ``mappings/<source>__<target>.toml`` — correspondences between two versions, each with
  its relation (exact / broader / narrower / overlap, the target's scope against the
  source's) and confidence.
- ``evaluation/<version>.toml`` — the PBoC green-finance evaluation's quantitative
  indicators as formulas over named quantities.
- ``pcaf/data-quality-<version>.toml`` — PCAF's data-quality score of every option of
  every asset class, and greenfin's own data sources read onto those options.

    >>> catalogues = load_catalogues()
    >>> catalogues.catalogue("gic-2019").get("3.2.2").name
    '太阳能利用设施建设和运营'
    >>> [c.name for c in catalogues.catalogue("gic-2019").ancestors("3.2.2")]
    ['清洁能源产业', '清洁能源设施建设和运营']
"""

from __future__ import annotations

import re
import tomllib
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from greenfin.errors import InvalidInput, NotFound
from greenfin.stats.rules import (
    ASSET_CLASSES,
    CatalogueSet,
    DataQualityTable,
    EvaluationIndicator,
    GreenUseCatalogue,
    GreenUseCategory,
    MappingEntry,
)

Confidence = Literal["H", "M", "L"]
Version = Annotated[str, Field(pattern=r"^[a-z]+-[0-9]{4}$")]
Code = Annotated[str, Field(pattern=r"^[1-9][0-9]*(\.[1-9][0-9]*)*$")]
Text = Annotated[str, Field(min_length=1, max_length=500)]
_MAPPING_FILE = re.compile(r"([a-z]+-[0-9]{4})__([a-z]+-[0-9]{4})\.toml")

Model = TypeVar("Model", bound=BaseModel)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CategoryFile(_Strict):
    """One category line of a catalogue file."""

    code: Code
    name: Text
    name_en: Text | None = None
    confidence: Confidence | None = None


class CatalogueFile(_Strict):
    """A catalogue file: one published version of a green use catalogue."""

    version: Version
    title: Text
    document: Text
    issued: date
    in_force_from: date
    in_force_to: date | None = None
    source: Text
    confidence: Confidence
    completeness: Text
    categories: list[CategoryFile] = Field(min_length=1)

    @model_validator(mode="after")
    def _tree(self) -> CatalogueFile:
        codes = [c.code for c in self.categories]
        problems = [f"code {code} appears twice" for code in sorted({c for c in codes if codes.count(c) > 1})]
        known = set(codes)
        for code in codes:
            parent = code.rpartition(".")[0]
            if parent and parent not in known:
                problems.append(f"code {code} has no parent {parent}")
        if self.in_force_to is not None and self.in_force_to < self.in_force_from:
            problems.append("in_force_to is before in_force_from")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class MappingLine(_Strict):
    """One correspondence: the source code, its counterpart and how the target's scope relates."""

    source: Code
    target: Code
    relation: Literal["exact", "broader", "narrower", "overlap"]
    confidence: Confidence
    note: Text | None = None


class MappingFile(_Strict):
    """A mapping file between two catalogue versions."""

    source_version: Version
    target_version: Version
    source: Text
    method: Text
    entries: list[MappingLine] = Field(min_length=1)


class IndicatorFile(_Strict):
    """One quantitative indicator of the evaluation as a formula over named quantities."""

    key: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    name: Text
    name_en: Text
    kind: Literal["ratio", "growth"]
    numerator: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    denominator: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    weight_pct: Annotated[Decimal, Field(ge=0, le=100, allow_inf_nan=False)]
    better: Literal["higher", "lower"]
    source: Text
    confidence: Confidence


class QuantityFile(_Strict):
    """A named input quantity of the evaluation formulas."""

    key: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    name: Text
    unit: Literal["fen"]
    definition: Text


class EvaluationFile(_Strict):
    """The PBoC green-finance evaluation's quantitative part (银发〔2021〕142号) as formulas."""

    version: Annotated[str, Field(pattern=r"^v[1-9][0-9]*$")]
    title: Text
    document: Text
    source: Text
    quantitative_weight_pct: Annotated[Decimal, Field(ge=0, le=100, allow_inf_nan=False)]
    quantities: list[QuantityFile] = Field(min_length=1)
    indicators: list[IndicatorFile] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> EvaluationFile:
        known = {q.key for q in self.quantities}
        problems = [
            f"indicator {i.key} uses unknown quantity {name}"
            for i in self.indicators
            for name in (i.numerator, i.denominator)
            if name not in known
        ]
        total = sum((i.weight_pct for i in self.indicators), Decimal(0))
        if total != 100:
            problems.append(f"indicator weights add up to {total} %, not 100 %")
        if problems:
            raise ValueError("; ".join(problems))
        return self


# ---------------------------------------------------------------------------- the one loader


def _data(*parts: str) -> Traversable:
    return resources.files("greenfin.stats").joinpath("data", *parts)


def _read(item: Traversable, model: type[Model]) -> Model:
    """Read one TOML file and validate it against ``model``; InvalidInput lists every problem."""
    origin = f"stats methodology file {item.name}"
    try:
        raw: dict[str, Any] = tomllib.loads(item.read_text(encoding="utf-8"), parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"{origin} is not valid TOML: {exc}", errors=[{"field": "", "reason": str(exc)}]) from None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        errors = [{"field": ".".join(str(p) for p in e["loc"]) or "(file)", "reason": e["msg"]} for e in exc.errors()]
        listed = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
        raise InvalidInput(f"{origin} is invalid: {listed}", errors=errors) from None


def _toml_files(folder: Traversable) -> list[Traversable]:
    return sorted((i for i in folder.iterdir() if i.is_file() and i.name.endswith(".toml")), key=lambda i: i.name)


# ---------------------------------------------------------------------------- catalogues and mappings


def parse_catalogue(data: CatalogueFile) -> GreenUseCatalogue:
    """The rules' catalogue from a validated file."""
    categories = tuple(
        GreenUseCategory(
            version=data.version,
            code=c.code,
            name=c.name,
            level=c.code.count(".") + 1,
            parent=c.code.rpartition(".")[0] or None,
            confidence=c.confidence or data.confidence,
            name_en=c.name_en,
        )
        for c in data.categories
    )
    return GreenUseCatalogue(data.version, data.title, data.document, data.source, categories)


def _check_mapping(name: str, data: MappingFile, catalogues: dict[str, GreenUseCatalogue]) -> None:
    match = _MAPPING_FILE.fullmatch(name)
    if match is None or match.groups() != (data.source_version, data.target_version):
        raise InvalidInput(f"mapping file {name} must be named {data.source_version}__{data.target_version}.toml")
    problems: list[dict[str, Any]] = []
    for index, entry in enumerate(data.entries):
        for side, version, code in (
            ("source", data.source_version, entry.source),
            ("target", data.target_version, entry.target),
        ):
            if version not in catalogues:
                problems.append({"field": f"entries.{index}.{side}", "reason": f"unknown catalogue {version}"})
            elif code not in catalogues[version]:
                problems.append({"field": f"entries.{index}.{side}", "reason": f"{code} is not in {version}"})
    if problems:
        listed = "; ".join(f"{p['field']}: {p['reason']}" for p in problems)
        raise InvalidInput(f"mapping file {name} is invalid: {listed}", errors=problems)


@cache
def load_catalogues() -> CatalogueSet:
    """Every green use catalogue version and every mapping, validated (cached)."""
    catalogues: dict[str, GreenUseCatalogue] = {}
    for item in _toml_files(_data("catalogues")):
        data = _read(item, CatalogueFile)
        if item.name != f"{data.version}.toml":
            raise InvalidInput(f"catalogue file {item.name} must be named {data.version}.toml")
        catalogues[data.version] = parse_catalogue(data)
    mappings: dict[tuple[str, str], tuple[MappingEntry, ...]] = {}
    for item in _toml_files(_data("mappings")):
        mapping = _read(item, MappingFile)
        _check_mapping(item.name, mapping, catalogues)
        mappings[(mapping.source_version, mapping.target_version)] = tuple(
            MappingEntry(e.source, e.target, e.relation, e.confidence) for e in mapping.entries
        )
    return CatalogueSet(catalogues, mappings)


def catalogue_file(version: str) -> CatalogueFile:
    """The validated file of one catalogue version (title, dates, source, completeness)."""
    item = _data("catalogues", f"{version}.toml")
    if not item.is_file():
        raise NotFound(f"green use catalogue {version!r} not found")
    return _read(item, CatalogueFile)


# ---------------------------------------------------------------------------- evaluation indicators


@cache
def load_evaluation(version: str = "v1") -> tuple[EvaluationFile, tuple[EvaluationIndicator, ...]]:
    """The evaluation file ``version`` and its indicators as rules (cached)."""
    item = _data("evaluation", f"{version}.toml")
    if not item.is_file():
        raise NotFound(f"evaluation formulas {version!r} not found")
    data = _read(item, EvaluationFile)
    indicators = tuple(
        EvaluationIndicator(i.key, i.name, i.kind, i.numerator, i.denominator, i.weight_pct, i.better)
        for i in data.indicators
    )
    return data, indicators


# ---------------------------------------------------------------------------- PCAF data quality


class DataQualityOption(_Strict):
    """One row of a PCAF data-quality table."""

    asset_class: Annotated[str, Field(pattern=r"^[a-z_]+$")]
    option: Annotated[str, Field(pattern=r"^[1-3][a-c]?$")]
    score: Annotated[int, Field(ge=1, le=5)]
    description: Text
    source: Text


class DataSourceReading(_Strict):
    """How greenfin reads one of its own data sources onto a PCAF option."""

    kind: Annotated[str, Field(pattern=r"^[a-z_]+$")]
    option: Annotated[str, Field(pattern=r"^[1-3][a-c]?$")]
    reason: Text
    confidence: Confidence


class DataQualityFile(_Strict):
    """The PCAF data-quality tables of every asset class, and greenfin's readings."""

    version: Annotated[str, Field(pattern=r"^v[1-9][0-9]*$")]
    source: Text
    mixed_options: Text
    options: list[DataQualityOption] = Field(min_length=1)
    greenfin_sources: list[DataSourceReading] = Field(min_length=1)

    @model_validator(mode="after")
    def _complete(self) -> DataQualityFile:
        keys = [(o.asset_class, o.option) for o in self.options]
        problems = [f"{c} option {o} appears twice" for c, o in sorted({k for k in keys if keys.count(k) > 1})]
        problems += [f"unknown asset class {c}" for c in sorted({c for c, _ in keys} - set(ASSET_CLASSES))]
        problems += [f"no options for {c}" for c in ASSET_CLASSES if c not in {k[0] for k in keys}]
        problems += [
            f"source {s.kind} reads onto option {s.option}, which business_loan does not have"
            for s in self.greenfin_sources
            if ("business_loan", s.option) not in keys
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return self


@cache
def load_data_quality(version: str = "v1") -> DataQualityTable:
    """The PCAF data-quality table ``version`` (cached)."""
    item = _data("pcaf", f"data-quality-{version}.toml")
    if not item.is_file():
        raise NotFound(f"PCAF data-quality table {version!r} not found")
    data = _read(item, DataQualityFile)
    return DataQualityTable(
        version=data.version,
        scores={(o.asset_class, o.option): o.score for o in data.options},
        sources={s.kind: s.option for s in data.greenfin_sources},
    )


# ---------------------------------------------------------------------------- sector intensities (PCAF 3b)


class NumberSource(_Strict):
    """Where one input number of a derived factor comes from."""

    number: Text
    source: Text


class SectorIntensity(_Strict):
    """One sector's emission factor per 万元 outstanding, with its derivation and sources."""

    sector: Annotated[str, Field(pattern=r"^(\*|[0-9]{2})$", description="GB/T 4754 division (2 digits), or * for any")]
    name: Text
    tco2e_per_wan: Annotated[Decimal, Field(ge=0, le=1000)]
    scope1_share: Annotated[Decimal, Field(ge=0, le=1)]
    derivation: Text
    confidence: Confidence
    sources: list[NumberSource] = Field(min_length=1)


class SectorIntensityFile(_Strict):
    """A versioned table of sector intensities; ``*`` is required (the fallback)."""

    version: Annotated[str, Field(pattern=r"^v[1-9][0-9]*$")]
    unit: Text
    pcaf_option: Annotated[str, Field(pattern=r"^[1-3][a-c]?$")]
    covers: list[Literal["enterprise", "farm", "resident"]] = Field(min_length=1)
    source: Text
    sectors: list[SectorIntensity] = Field(min_length=1)

    @model_validator(mode="after")
    def _fallback(self) -> SectorIntensityFile:
        codes = [s.sector for s in self.sectors]
        if "*" not in codes or len(codes) != len(set(codes)):
            raise ValueError("the table needs exactly one entry per sector and a '*' fallback")
        return self


@cache
def load_sector_intensities(version: str = "v1") -> SectorIntensityFile:
    """The sector-intensity table ``version`` (cached)."""
    item = _data("pcaf", f"sector-intensity-{version}.toml")
    if not item.is_file():
        raise NotFound(f"sector-intensity table {version!r} not found")
    return _read(item, SectorIntensityFile)


# ---------------------------------------------------------------------------- the disclosure guide


class DisclosureSection(_Strict):
    """One section of the environmental-information disclosure (JR/T 0227—2021, 5.x)."""

    key: Annotated[str, Field(pattern=r"^[a-z_]+$")]
    number: Annotated[str, Field(pattern=r"^5\.[0-9]+$")]
    title: Text
    title_en: Text
    filled: Literal["data", "bank", "both"]
    guide: Text
    guide_en: Text


class DisclosureGuide(_Strict):
    format: Literal["greenfin-disclosure-guide/1"]
    version: Annotated[str, Field(pattern=r"^[a-z0-9-]+$")]
    title: Text
    document: Text
    source: Text
    frequency: Text
    sections: list[DisclosureSection] = Field(min_length=1)


@cache
def load_disclosure_guide(version: str = "jrt-0227-2021") -> DisclosureGuide:
    """The sections of the annual disclosure, in the standard's order (cached)."""
    item = _data("disclosure", f"{version}.toml")
    if not item.is_file():
        raise NotFound(f"disclosure guide {version!r} not found")
    return _read(item, DisclosureGuide)
