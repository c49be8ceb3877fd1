"""The agricultural methodology file: every factor of the reduction formulas, with its source.

A methodology is a versioned TOML file in ``agriculture/data/methodology/`` (``v1.toml``,
``v2.toml`` …). Each factor has a ``value`` (read as :class:`~decimal.Decimal`, never as a
float), a ``unit``, a ``source`` naming the official document, and ``assumption = true``
where the published rules are silent and greenfin chose the value. The file also holds the
crops (combustion factor, residue N) and the three label bands per farm type.

Loading validates the whole file at once and refuses it with one :class:`InvalidInput`
listing every problem, for example::

    >>> m = load_methodology()          # the newest version, "v1"
    >>> m.factor("gwp_n2o").value
    Decimal('273')
    >>> m.labels["pig_farm"].dark_green_min
    Decimal('100')

Stored reductions and labels record ``methodology.version``, so history stays reproducible
when a regulator publishes a new version.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from greenfin.carbon.labels import AGRICULTURAL_LABELS
from greenfin.errors import InvalidInput, NotFound

FARM_TYPES: tuple[str, ...] = (
    "organic_fertiliser_producer",
    "pig_farm",
    "grain_grower",
    "cooperative",
)
"""The farm types of the agricultural carbon account (one label table each)."""

LABEL_CODES: tuple[str, ...] = AGRICULTURAL_LABELS
"""The three agricultural labels, best first."""

DENOMINATORS: tuple[str, ...] = ("product_t", "herd_heads", "area_mu")
"""Baseline fields a label table may divide by."""

REQUIRED_FACTORS: tuple[str, ...] = (
    "gwp_ch4",
    "gwp_n2o",
    "ef1",
    "frac_gasf",
    "frac_gasm",
    "ef4",
    "frac_leach",
    "ef5",
    "pig_manure_ch4",
    "pig_manure_n2o",
    "pig_vs",
    "pig_b0",
    "pig_nex",
    "mcf_digester",
    "ef3_digester",
    "ch4_density",
    "biogas_ch4_share",
    "ch4_ncv",
    "displaced_fuel_cc",
    "displaced_fuel_of",
    "burn_ch4",
    "burn_n2o",
    "straw_dry_matter",
    "baseline_burn_share",
)
"""Every factor the rules read; a methodology file must define all of them."""

FRACTION_FACTORS: frozenset[str] = frozenset(
    {
        "ef1",
        "frac_gasf",
        "frac_gasm",
        "ef4",
        "frac_leach",
        "ef5",
        "mcf_digester",
        "ef3_digester",
        "biogas_ch4_share",
        "displaced_fuel_of",
        "straw_dry_matter",
        "baseline_burn_share",
    }
)
"""Factors that are shares and must lie in [0, 1]."""

_VERSION = re.compile(r"^v(\d+)$")
_DATA_PACKAGE = "greenfin.agriculture"


@dataclass(frozen=True)
class Factor:
    """One number of the methodology, with its unit and source."""

    key: str
    value: Decimal
    unit: str
    source: str
    assumption: bool = False


@dataclass(frozen=True)
class Crop:
    """A crop whose straw can be returned: combustion factor and N content of its residue."""

    code: str
    name_zh: str
    name_en: str
    combustion_factor: Factor
    residue_n: Factor


@dataclass(frozen=True)
class LabelName:
    """Display names of one label code."""

    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class LabelBands:
    """The band thresholds of one farm type; a band's minimum is inclusive."""

    farm_type: str
    name_zh: str
    name_en: str
    denominator: str
    unit: str
    dark_green_min: Decimal
    light_green_min: Decimal
    source: str
    assumption: bool


@dataclass(frozen=True)
class Methodology:
    """A validated, immutable methodology version."""

    version: str
    title_zh: str
    title_en: str
    published: str
    factors: Mapping[str, Factor]
    crops: Mapping[str, Crop]
    label_names: Mapping[str, LabelName]
    labels: Mapping[str, LabelBands]

    def factor(self, key: str) -> Factor:
        """The factor called ``key`` (every key in REQUIRED_FACTORS exists after loading)."""
        return self.factors[key]


def available_versions() -> list[str]:
    """The methodology versions shipped with greenfin, oldest first."""
    folder = resources.files(_DATA_PACKAGE) / "data" / "methodology"
    versions = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".toml") and _VERSION.match(name[:-5]):
            versions.append(name[:-5])
    return sorted(versions, key=lambda v: int(v[1:]))


def load_methodology(version: str | None = None) -> Methodology:
    """Load and validate a methodology version (the newest when ``version`` is None)."""
    versions = available_versions()
    if version is None:
        if not versions:
            raise NotFound("No agricultural methodology is installed.")
        version = versions[-1]
    if version not in versions:
        raise NotFound(
            f"Unknown agricultural methodology version {version!r}; available: {', '.join(versions) or 'none'}."
        )
    return _load(version)


@lru_cache(maxsize=8)
def _load(version: str) -> Methodology:
    path = resources.files(_DATA_PACKAGE) / "data" / "methodology" / f"{version}.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    return parse_methodology(data, origin=f"agriculture/data/methodology/{version}.toml")


def parse_methodology(data: Mapping[str, Any], *, origin: str = "<memory>") -> Methodology:
    """Validate a parsed methodology document and build the immutable Methodology."""
    errors: list[dict[str, Any]] = []

    def err(field: str, reason: str) -> None:
        errors.append({"field": field, "reason": reason})

    version = _text(data, "version", err)
    if version and not _VERSION.match(version):
        err("version", "must look like 'v1', 'v2', …")

    factors: dict[str, Factor] = {}
    raw_factors = data.get("factors")
    if not isinstance(raw_factors, Mapping):
        err("factors", "missing table [factors]")
        raw_factors = {}
    for key in REQUIRED_FACTORS:
        if key not in raw_factors:
            err(f"factors.{key}", "required factor is missing")
    for key, raw in raw_factors.items():
        factor = _factor(f"factors.{key}", key, raw, err)
        if factor is None:
            continue
        if key in FRACTION_FACTORS and factor.value > 1:
            err(f"factors.{key}.value", "is a share and must not exceed 1")
        factors[key] = factor

    crops: dict[str, Crop] = {}
    raw_crops = data.get("crops")
    if not isinstance(raw_crops, Mapping) or not raw_crops:
        err("crops", "at least one crop is required")
        raw_crops = {}
    for code, raw in raw_crops.items():
        where = f"crops.{code}"
        if not isinstance(raw, Mapping):
            err(where, "must be a table")
            continue
        cf = _factor(f"{where}.combustion_factor", "combustion_factor", raw.get("combustion_factor"), err)
        rn = _factor(f"{where}.residue_n", "residue_n", raw.get("residue_n"), err)
        if cf is not None and cf.value > 1:
            err(f"{where}.combustion_factor.value", "is a share and must not exceed 1")
        name_zh = _text(raw, "name_zh", err, where)
        name_en = _text(raw, "name_en", err, where)
        if cf is not None and rn is not None:
            crops[code] = Crop(code, name_zh, name_en, cf, rn)

    label_names: dict[str, LabelName] = {}
    raw_names = data.get("label_names")
    if not isinstance(raw_names, Mapping):
        raw_names = {}
    for code in LABEL_CODES:
        raw = raw_names.get(code)
        if not isinstance(raw, Mapping):
            err(f"label_names.{code}", "missing")
            continue
        where = f"label_names.{code}"
        label_names[code] = LabelName(code, _text(raw, "name_zh", err, where), _text(raw, "name_en", err, where))
    for code in raw_names:
        if code not in LABEL_CODES:
            err(f"label_names.{code}", f"unknown label code; expected one of {', '.join(LABEL_CODES)}")

    labels: dict[str, LabelBands] = {}
    raw_labels = data.get("labels")
    if not isinstance(raw_labels, Mapping):
        raw_labels = {}
    for farm_type in raw_labels:
        if farm_type not in FARM_TYPES:
            err(f"labels.{farm_type}", f"unknown farm type; expected one of {', '.join(FARM_TYPES)}")
    for farm_type in FARM_TYPES:
        where = f"labels.{farm_type}"
        raw = raw_labels.get(farm_type)
        if not isinstance(raw, Mapping):
            err(where, "missing label bands for this farm type")
            continue
        denominator = _text(raw, "denominator", err, where)
        if denominator and denominator not in DENOMINATORS:
            err(f"{where}.denominator", f"must be one of {', '.join(DENOMINATORS)}")
        dark = _decimal(raw.get("dark_green_min"), f"{where}.dark_green_min", err, signed=True)
        light = _decimal(raw.get("light_green_min"), f"{where}.light_green_min", err, signed=True)
        if dark is not None and light is not None and dark <= light:
            err(f"{where}.dark_green_min", "must be greater than light_green_min")
        source = _text(raw, "source", err, where)
        if dark is not None and light is not None:
            labels[farm_type] = LabelBands(
                farm_type=farm_type,
                name_zh=_text(raw, "name_zh", err, where),
                name_en=_text(raw, "name_en", err, where),
                denominator=denominator,
                unit=_text(raw, "unit", err, where),
                dark_green_min=dark,
                light_green_min=light,
                source=source,
                assumption=bool(raw.get("assumption", False)),
            )

    if errors:
        raise InvalidInput(
            f"Agricultural methodology {origin} is invalid ({len(errors)} problem(s)); "
            f"first: {errors[0]['field']}: {errors[0]['reason']}.",
            errors=errors,
        )
    return Methodology(
        version=version,
        title_zh=str(data.get("title_zh", "")),
        title_en=str(data.get("title_en", "")),
        published=str(data.get("published", "")),
        factors=MappingProxyType(factors),
        crops=MappingProxyType(crops),
        label_names=MappingProxyType(label_names),
        labels=MappingProxyType(labels),
    )


def _text(raw: Mapping[str, Any], key: str, err: Any, where: str = "") -> str:
    value = raw.get(key)
    field = f"{where}.{key}" if where else key
    if not isinstance(value, str) or not value.strip():
        err(field, "required text is missing")
        return ""
    return value


def _decimal(value: Any, field: str, err: Any, *, signed: bool = False) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        err(field, "must be a number")
        return None
    number = Decimal(value)
    if not number.is_finite():
        err(field, "must be a finite number")
        return None
    if not signed and number < 0:
        err(field, "must not be negative")
        return None
    return number


def _factor(field: str, key: str, raw: Any, err: Any) -> Factor | None:
    if not isinstance(raw, Mapping):
        err(field, "must be a table with value, unit and source")
        return None
    value = _decimal(raw.get("value"), f"{field}.value", err)
    unit = _text(raw, "unit", err, field)
    source = _text(raw, "source", err, field)
    assumption = raw.get("assumption", False)
    if not isinstance(assumption, bool):
        err(f"{field}.assumption", "must be true or false")
        assumption = False
    if assumption and "assumption" not in source.lower():
        err(f"{field}.source", "an assumed value must say 'assumption' and why in its source")
    if value is None or not unit or not source:
        return None
    return Factor(key=key, value=value, unit=unit, source=source, assumption=assumption)
