"""Agricultural carbon account: emission reductions of three practices, and three labels.

A farm reports practice records — organic fertiliser applied in place of chemical
fertiliser (有机肥替代), straw returned to the field (秸秆还田), a biogas project (沼气工程) —
and a baseline (chemical N before, herd, area). Each record's reduction is a sum of
explainable :class:`Term` s, each with its formula, its inputs (every factor with its source)
and its value in kg CO2e (positive = emissions avoided, negative = emissions added). The
farm's reduction divided by its denominator (per tonne of product, per head or per mu)
gives its label: 深绿 / 浅绿 / 黄.

Worked example (methodology v1, IPCC 2019 Refinement + AR6): a grower replaces 10 t of
chemical N (10,000 kg N) and applies no organic N::

    avoided N2O-N = 10,000 × (EF1 0.010 + FracGASF 0.11 × EF4 0.010 + FracLEACH 0.24 × EF5 0.011)
                  = 10,000 × 0.01374 = 137.4 kg N2O-N
    avoided CO2e  = 137.4 × 44/28 × 273 = 58,944.6 kg

    >>> m = load_methodology("v1")
    >>> r = reduction(OrganicFertiliserSubstitution(
    ...     applied_t=Decimal(0), n_content_pct=Decimal(0),
    ...     chemical_n_before_kg=Decimal(10000), chemical_n_after_kg=Decimal(0)), m)
    >>> r.co2e_kg
    Decimal('58944.600')

Every term is rounded to 0.001 kg (one gram) with ROUND_HALF_EVEN, and ``co2e_kg`` is the
sum of the rounded terms, so the breakdown always adds up to the total shown. The
derivation of every formula is in ``docs/methodology/agriculture.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal
from typing import Any, ClassVar

from greenfin.agriculture.methodology import (
    FARM_TYPES,
    Factor,
    LabelBands,
    Methodology,
    load_methodology,
)
from greenfin.errors import InvalidInput

__all__ = [
    "FARM_TYPES",
    "MAX_QUANTITY",
    "Band",
    "BiogasProject",
    "FarmBaseline",
    "FarmReduction",
    "Label",
    "OrganicFertiliserSubstitution",
    "PracticeRecord",
    "Reduction",
    "StrawReturn",
    "Term",
    "TermInput",
    "denominator_for",
    "farm_label",
    "farm_reduction",
    "label",
    "load_methodology",
    "reduction",
]

KG = Decimal("0.001")
"""Quantum of every kg CO2e figure: one gram."""

_N2O_PER_N = (Decimal(44), Decimal(28))  # kg N2O per kg N2O-N, kept as a ratio: divide last
_CO2_PER_C = (Decimal(44), Decimal(12))  # kg CO2 per kg C
_ZERO = Decimal(0)

MAX_QUANTITY: dict[str, tuple[int, str]] = {
    "applied_t": (10**6, "t"),
    "chemical_n_before_kg": (10**8, "kg N"),
    "chemical_n_after_kg": (10**8, "kg N"),
    "chemical_n_kg": (10**8, "kg N"),
    "straw_t": (10**6, "t"),
    "area_mu": (10**7, "mu"),
    "digester_volume_m3": (10**9, "m3"),
    "manure_treated_t": (10**8, "t"),
    "biogas_produced_m3": (10**9, "m3"),
    "biogas_used_m3": (10**9, "m3"),
    "product_t": (10**8, "t"),
    "heads_served": (10**7, "heads"),
    "herd_heads": (10**7, "heads"),
}
"""Upper bound (inclusive) and unit of every record and baseline quantity, per record.

Each is one to two orders of magnitude above the largest real farm or project (a county
has a few million mu; the largest pig operations a few million head), so no true record is
refused, while absurd values (``1e30``) are refused with the field and the limit instead of
overflowing the 28-digit arithmetic or the stored integers.
"""


# ---------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganicFertiliserSubstitution:
    """有机肥替代: organic fertiliser applied where chemical N was cut (one field or season)."""

    practice: ClassVar[str] = "organic_fertiliser_substitution"

    applied_t: Decimal
    """Organic fertiliser applied, tonnes as delivered."""
    n_content_pct: Decimal
    """Total N content of the product as applied, % of mass (0–100)."""
    chemical_n_before_kg: Decimal
    """Chemical (synthetic) fertiliser N on the same land before substitution, kg N."""
    chemical_n_after_kg: Decimal
    """Chemical fertiliser N after substitution, kg N."""

    def __post_init__(self) -> None:
        errors: list[dict[str, Any]] = []
        for name in ("applied_t", "n_content_pct", "chemical_n_before_kg", "chemical_n_after_kg"):
            _quantity(errors, self.practice, name, getattr(self, name))
        pct = self.n_content_pct
        if isinstance(pct, int | Decimal) and not isinstance(pct, bool) and pct > 100:
            errors.append(_error(self.practice, "n_content_pct", "must not exceed 100 %"))
        _raise(errors, self.practice)


@dataclass(frozen=True)
class StrawReturn:
    """秸秆还田: straw of one crop returned to the field instead of being burnt."""

    practice: ClassVar[str] = "straw_return"

    crop: str
    """Crop code from the methodology (``rice``, ``wheat``, ``maize`` in v1)."""
    straw_t: Decimal
    """Straw returned, tonnes as weighed (air-dry)."""
    area_mu: Decimal
    """Area it was returned to, mu."""

    def __post_init__(self) -> None:
        errors: list[dict[str, Any]] = []
        if not isinstance(self.crop, str) or not self.crop.strip():
            errors.append(_error(self.practice, "crop", "is required"))
        _quantity(errors, self.practice, "straw_t", self.straw_t)
        _quantity(errors, self.practice, "area_mu", self.area_mu)
        _raise(errors, self.practice)


@dataclass(frozen=True)
class BiogasProject:
    """沼气工程: a digester treating pig manure, over a period of ``days``."""

    practice: ClassVar[str] = "biogas_project"

    digester_volume_m3: Decimal
    """Digester volume, m3 (recorded for verification; not in the formula)."""
    manure_treated_t: Decimal
    """Manure fed to the digester in the period, tonnes (recorded for verification)."""
    heads_served: int
    """Average number of pigs whose manure goes to the digester (annual average population)."""
    biogas_produced_m3: Decimal
    """Biogas produced in the period, m3 (metered)."""
    biogas_used_m3: Decimal
    """Biogas used as fuel (cooking, heating, power) in the period, m3 (metered)."""
    days: int = 365
    """Length of the period in days (1–366); per-year factors are scaled by days / 365."""

    def __post_init__(self) -> None:
        errors: list[dict[str, Any]] = []
        for name in ("digester_volume_m3", "manure_treated_t", "biogas_produced_m3", "biogas_used_m3"):
            _quantity(errors, self.practice, name, getattr(self, name))
        _count(errors, self.practice, "heads_served", self.heads_served)
        if isinstance(self.days, bool) or not isinstance(self.days, int):
            errors.append(_error(self.practice, "days", "must be a whole number of days"))
        elif not 1 <= self.days <= 366:
            errors.append(_error(self.practice, "days", "must be between 1 and 366"))
        if not errors and self.biogas_used_m3 > self.biogas_produced_m3:
            errors.append(_error(self.practice, "biogas_used_m3", "must not exceed biogas_produced_m3"))
        _raise(errors, self.practice)


PracticeRecord = OrganicFertiliserSubstitution | StrawReturn | BiogasProject
"""Any one of the three practice records."""


@dataclass(frozen=True)
class FarmBaseline:
    """The farm before its practices: type, chemical N, herd, area, product output."""

    farm_type: str
    """One of FARM_TYPES."""
    chemical_n_kg: Decimal | None = None
    """Chemical fertiliser N applied in the baseline year, kg N."""
    herd_heads: int | None = None
    """Average pig herd (annual average population), heads."""
    area_mu: Decimal | None = None
    """Cultivated area, mu."""
    product_t: Decimal | None = None
    """Organic fertiliser produced in the period (producers only), tonnes."""

    def __post_init__(self) -> None:
        errors: list[dict[str, Any]] = []
        if self.farm_type not in FARM_TYPES:
            errors.append(
                _error(
                    "baseline",
                    "farm_type",
                    f"unknown farm type {self.farm_type!r}; expected one of {', '.join(FARM_TYPES)}",
                )
            )
        for name in ("chemical_n_kg", "area_mu", "product_t"):
            if getattr(self, name) is not None:
                _quantity(errors, "baseline", name, getattr(self, name))
        if self.herd_heads is not None:
            _count(errors, "baseline", "herd_heads", self.herd_heads)
        _raise(errors, "baseline")


# ---------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TermInput:
    """One input of a term: a record quantity or a methodology factor, with its source."""

    name: str
    value: Decimal
    unit: str
    source: str


@dataclass(frozen=True)
class Term:
    """One explainable part of a reduction, in kg CO2e (positive = avoided)."""

    name: str
    name_zh: str
    formula: str
    inputs: tuple[TermInput, ...]
    value: Decimal


@dataclass(frozen=True)
class Reduction:
    """The reduction of one practice record: total kg CO2e and its breakdown."""

    practice: str
    co2e_kg: Decimal
    breakdown: tuple[Term, ...]
    methodology_version: str


@dataclass(frozen=True)
class FarmReduction:
    """A farm's reduction over all its records in one period."""

    farm_type: str
    co2e_kg: Decimal
    reductions: tuple[Reduction, ...]
    methodology_version: str


@dataclass(frozen=True)
class Band:
    """One label band: the label and its inclusive lower bound (None: no lower bound)."""

    code: str
    name_zh: str
    name_en: str
    min_intensity: Decimal | None


@dataclass(frozen=True)
class Label:
    """A farm's label, the intensity it rests on, the bands, and what the next label needs."""

    farm_type: str
    code: str
    name_zh: str
    name_en: str
    intensity: Decimal
    unit: str
    denominator: Decimal
    bands: tuple[Band, ...]
    next_code: str | None
    next_label_gap: Decimal | None
    """Additional reduction intensity needed for the next label, in ``unit``."""
    next_label_gap_kg: Decimal | None
    """The same gap as a total for the farm, kg CO2e (rounded up to the gram)."""
    equivalent_chemical_n_kg: Decimal | None
    """Crop farms and producers: chemical N cut (kg N, rounded up) that alone closes the gap."""
    equivalent_digester_heads: int | None
    """Pig farms: more pigs (head-years, rounded up) whose manure would go to a digester."""
    source: str
    assumption: bool
    methodology_version: str
    explanation_zh: str
    explanation_en: str


# ---------------------------------------------------------------------------------------
# Reductions
# ---------------------------------------------------------------------------------------


def reduction(record: PracticeRecord, methodology: Methodology) -> Reduction:
    """The emission reduction of one practice record, with every term explained."""
    if isinstance(record, OrganicFertiliserSubstitution):
        terms = _organic_terms(record, methodology)
    elif isinstance(record, StrawReturn):
        terms = _straw_terms(record, methodology)
    elif isinstance(record, BiogasProject):
        terms = _biogas_terms(record, methodology)
    else:
        raise InvalidInput(
            f"Unknown practice record {type(record).__name__}.",
            errors=[{"field": "record", "reason": "unknown practice"}],
        )
    total = sum((t.value for t in terms), _ZERO)
    return Reduction(
        practice=record.practice,
        co2e_kg=total,
        breakdown=tuple(terms),
        methodology_version=methodology.version,
    )


def farm_reduction(
    records: Iterable[PracticeRecord], baseline: FarmBaseline, methodology: Methodology
) -> FarmReduction:
    """The farm's reduction: the records' reductions, after checking them against the baseline.

    Every problem is reported at once. An error about one record carries ``record``, its
    index in ``records``; a total above the baseline is reported at the record where the
    running total first passes it.
    """
    records = list(records)
    errors: list[dict[str, Any]] = []
    claimed = area = _ZERO
    n_passed = area_passed = False
    for index, r in enumerate(records):
        if isinstance(r, StrawReturn) and r.crop not in methodology.crops:
            errors.append({**_unknown_crop(r.crop, methodology), "record": index})
        if isinstance(r, OrganicFertiliserSubstitution):
            claimed += r.chemical_n_before_kg
            if baseline.chemical_n_kg is not None and claimed > baseline.chemical_n_kg and not n_passed:
                n_passed = True
                reason = f"records total {claimed} kg N, more than the baseline chemical_n_kg {baseline.chemical_n_kg}"
                errors.append({**_error(r.practice, "chemical_n_before_kg", reason), "record": index})
        if isinstance(r, StrawReturn) and baseline.area_mu is not None:
            area += r.area_mu
            if area > baseline.area_mu and not area_passed:
                area_passed = True
                reason = f"records total {area} mu, more than the baseline area_mu {baseline.area_mu}"
                errors.append({**_error(r.practice, "area_mu", reason), "record": index})
    if baseline.chemical_n_kg is None and any(isinstance(r, OrganicFertiliserSubstitution) for r in records):
        errors.append(
            _error("baseline", "chemical_n_kg", "is required when organic fertiliser substitution is claimed")
        )
    _raise(errors, "farm")
    reductions = tuple(reduction(r, methodology) for r in records)
    return FarmReduction(
        farm_type=baseline.farm_type,
        co2e_kg=sum((r.co2e_kg for r in reductions), _ZERO),
        reductions=reductions,
        methodology_version=methodology.version,
    )


def _organic_terms(r: OrganicFertiliserSubstitution, m: Methodology) -> list[Term]:
    ef1, gasf, gasm, ef4, leach, ef5, gwp = (
        m.factor(k) for k in ("ef1", "frac_gasf", "frac_gasm", "ef4", "frac_leach", "ef5", "gwp_n2o")
    )
    cut_n = r.chemical_n_before_kg - r.chemical_n_after_kg
    organic_n = r.applied_t * 1000 * r.n_content_pct / 100
    syn = ef1.value + gasf.value * ef4.value + leach.value * ef5.value
    org = ef1.value + gasm.value * ef4.value + leach.value * ef5.value
    return [
        Term(
            name="avoided_chemical_n_soil_n2o",
            name_zh="减少化肥氮的土壤N2O（直接+间接）",
            formula="(N_before − N_after) × (EF1 + FracGASF×EF4 + FracLEACH×EF5) × 44/28 × GWP_N2O",
            inputs=(
                _record("N_before − N_after", cut_n, "kg N"),
                *_inputs(ef1, gasf, ef4, leach, ef5, gwp),
            ),
            value=_kg(cut_n * syn * _N2O_PER_N[0] * gwp.value / _N2O_PER_N[1]),
        ),
        Term(
            name="added_organic_n_soil_n2o",
            name_zh="施用有机肥氮的土壤N2O（直接+间接）",
            formula="−(t × 1000 × N% / 100) × (EF1 + FracGASM×EF4 + FracLEACH×EF5) × 44/28 × GWP_N2O",
            inputs=(
                _record("organic N applied", organic_n, "kg N"),
                *_inputs(ef1, gasm, ef4, leach, ef5, gwp),
            ),
            value=-_kg(organic_n * org * _N2O_PER_N[0] * gwp.value / _N2O_PER_N[1]),
        ),
    ]


def _straw_terms(r: StrawReturn, m: Methodology) -> list[Term]:
    crop = m.crops.get(r.crop)
    if crop is None:
        error = _unknown_crop(r.crop, m)
        raise InvalidInput(f"{error['field']}: {error['reason']}.", errors=[error])
    dm, share, ch4, n2o, ef1, leach, ef5, gwp_ch4, gwp_n2o = (
        m.factor(k)
        for k in (
            "straw_dry_matter",
            "baseline_burn_share",
            "burn_ch4",
            "burn_n2o",
            "ef1",
            "frac_leach",
            "ef5",
            "gwp_ch4",
            "gwp_n2o",
        )
    )
    cf, n_ag = crop.combustion_factor, crop.residue_n
    # Dry matter that open burning would have consumed, t; t × (g/kg) = kg of gas.
    burnt_t = r.straw_t * dm.value * share.value * cf.value
    burnt = _record(f"{crop.name_en} straw burnt in the baseline", burnt_t, "t dry matter")
    straw = _record(f"{crop.name_en} straw returned", r.straw_t, "t")
    residue_n = burnt_t * 1000 * n_ag.value
    return [
        Term(
            name="avoided_burning_ch4",
            name_zh="避免秸秆露天焚烧的CH4",
            formula="t × DM × burn share × Cf × EF_CH4(g/kg) × GWP_CH4",
            inputs=(straw, *_inputs(dm, share, cf, ch4, gwp_ch4)),
            value=_kg(burnt_t * ch4.value * gwp_ch4.value),
        ),
        Term(
            name="avoided_burning_n2o",
            name_zh="避免秸秆露天焚烧的N2O",
            formula="t × DM × burn share × Cf × EF_N2O(g/kg) × GWP_N2O",
            inputs=(straw, *_inputs(dm, share, cf, n2o, gwp_n2o)),
            value=_kg(burnt_t * n2o.value * gwp_n2o.value),
        ),
        Term(
            name="added_residue_n_soil_n2o",
            name_zh="还田秸秆氮的土壤N2O（直接+淋溶）",
            formula="−(t × DM × burn share × Cf × 1000 × N_AG) × (EF1 + FracLEACH×EF5) × 44/28 × GWP_N2O",
            inputs=(burnt, *_inputs(n_ag, ef1, leach, ef5, gwp_n2o)),
            value=-_kg(
                residue_n * (ef1.value + leach.value * ef5.value) * _N2O_PER_N[0] * gwp_n2o.value / _N2O_PER_N[1]
            ),
        ),
    ]


def _biogas_terms(r: BiogasProject, m: Methodology) -> list[Term]:
    keys = (
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
        "gwp_ch4",
        "gwp_n2o",
    )
    (manure_ch4, manure_n2o, vs, b0, nex, mcf, ef3, rho, share, ncv, cc, of, gwp_ch4, gwp_n2o) = (
        m.factor(k) for k in keys
    )
    heads = Decimal(r.heads_served)
    days = Decimal(r.days)
    head_years = heads * days / 365
    hy = _record("head-years (heads × days / 365)", head_years, "head·yr")
    head_days = _record("head-days (heads × days)", heads * days, "head·d")
    used_ch4 = r.biogas_used_m3 * share.value * rho.value
    unused_ch4 = (r.biogas_produced_m3 - r.biogas_used_m3) * share.value * rho.value
    used_gj = used_ch4 * ncv.value / 1000
    return [
        Term(
            name="avoided_manure_ch4",
            name_zh="避免的粪便管理CH4（基准）",
            formula="heads × days/365 × EF_CH4,manure × GWP_CH4",
            inputs=(hy, *_inputs(manure_ch4, gwp_ch4)),
            value=_kg(head_years * manure_ch4.value * gwp_ch4.value),
        ),
        Term(
            name="digester_leakage_ch4",
            name_zh="沼气池泄漏CH4",
            formula="−heads × days × VS × B0 × 0.67 × MCF_digester × GWP_CH4",
            inputs=(head_days, *_inputs(vs, b0, rho, mcf, gwp_ch4)),
            value=-_kg(heads * days * vs.value * b0.value * rho.value * mcf.value * gwp_ch4.value),
        ),
        Term(
            name="avoided_manure_n2o",
            name_zh="避免的粪便管理直接N2O（基准）",
            formula="heads × days/365 × EF_N2O,manure × GWP_N2O",
            inputs=(hy, *_inputs(manure_n2o, gwp_n2o)),
            value=_kg(head_years * manure_n2o.value * gwp_n2o.value),
        ),
        Term(
            name="digester_n2o",
            name_zh="沼气池直接N2O",
            formula="−heads × days/365 × Nex × EF3_digester × 44/28 × GWP_N2O",
            inputs=(hy, *_inputs(nex, ef3, gwp_n2o)),
            value=-_kg(head_years * nex.value * ef3.value * _N2O_PER_N[0] * gwp_n2o.value / _N2O_PER_N[1]),
        ),
        Term(
            name="displaced_fuel_co2",
            name_zh="沼气替代化石燃料（天然气）的CO2",
            formula="m3 used × CH4 share × 0.67 × NCV_CH4 / 1000 × CC × OF × 44/12",
            inputs=(
                _record("biogas used", r.biogas_used_m3, "m3"),
                *_inputs(share, rho, ncv, cc, of),
            ),
            value=_kg(used_gj * cc.value * of.value * _CO2_PER_C[0] / _CO2_PER_C[1]),
        ),
        Term(
            name="unused_biogas_ch4",
            name_zh="产而未用沼气的CH4（保守按放空计）",
            formula="−(m3 produced − m3 used) × CH4 share × 0.67 × GWP_CH4",
            inputs=(
                _record("biogas produced but not used", r.biogas_produced_m3 - r.biogas_used_m3, "m3"),
                *_inputs(share, rho, gwp_ch4),
            ),
            value=-_kg(unused_ch4 * gwp_ch4.value),
        ),
    ]


# ---------------------------------------------------------------------------------------
# Labels
# ---------------------------------------------------------------------------------------


def denominator_for(baseline: FarmBaseline, methodology: Methodology) -> Decimal:
    """The label denominator of a farm (tonnes of product, heads or mu) from its baseline."""
    bands = methodology.labels[baseline.farm_type]
    value = getattr(baseline, bands.denominator)
    if value is None:
        raise InvalidInput(
            f"baseline.{bands.denominator} is required to label a {bands.name_en} ({bands.unit}).",
            errors=[{"field": f"baseline.{bands.denominator}", "reason": "required for the label"}],
        )
    return Decimal(value)


def label(
    farm_type: str,
    reduction: Reduction | FarmReduction,
    denominator: Decimal | int,
    methodology: Methodology,
) -> Label:
    """The label of a farm type for this reduction per unit of denominator, explained."""
    if farm_type not in FARM_TYPES or farm_type not in methodology.labels:
        raise InvalidInput(
            f"farm_type: unknown farm type {farm_type!r}; expected one of {', '.join(FARM_TYPES)}.",
            errors=[{"field": "farm_type", "reason": f"unknown farm type {farm_type!r}"}],
        )
    errors: list[dict[str, Any]] = []
    _quantity(errors, "label", "denominator", denominator)
    if not errors and Decimal(denominator) == 0:
        errors.append(_error("label", "denominator", "must be greater than zero"))
    _raise(errors, "label")
    bands_cfg: LabelBands = methodology.labels[farm_type]
    names = methodology.label_names
    denom = Decimal(denominator)
    intensity = _kg(reduction.co2e_kg / denom)
    bands = (
        Band("dark_green", names["dark_green"].name_zh, names["dark_green"].name_en, bands_cfg.dark_green_min),
        Band("light_green", names["light_green"].name_zh, names["light_green"].name_en, bands_cfg.light_green_min),
        Band("yellow", names["yellow"].name_zh, names["yellow"].name_en, None),
    )
    # Graded on the intensity as shown (rounded to 0.001), so the explanation never
    # contradicts the label; a band's minimum is inclusive.
    index = next(i for i, b in enumerate(bands) if b.min_intensity is None or intensity >= b.min_intensity)
    current = bands[index]
    nxt = bands[index - 1] if index > 0 else None
    gap = gap_kg = equivalent_n = None
    equivalent_heads: int | None = None
    if nxt is not None and nxt.min_intensity is not None:
        gap = nxt.min_intensity - intensity
        gap_kg = (nxt.min_intensity * denom - reduction.co2e_kg).quantize(KG, ROUND_CEILING)
        if bands_cfg.denominator == "herd_heads":
            per_head = _digester_co2e_per_head_year(methodology)
            equivalent_heads = int((gap_kg / per_head).to_integral_value(ROUND_CEILING))
        else:
            per_n = _synthetic_n_co2e_per_kg(methodology)
            equivalent_n = (gap_kg / per_n).quantize(KG, ROUND_CEILING)
    shown = f"{intensity} {bands_cfg.unit}"
    if equivalent_heads is not None:
        hint_zh = f"约相当于再有 {equivalent_heads} 头猪的粪污进入沼气池"
        hint_en = f"about {equivalent_heads} more pigs' manure treated in a digester"
    else:
        hint_zh = f"约相当于再减少化肥氮 {equivalent_n} kg"
        hint_en = f"about {equivalent_n} kg less chemical N"
    if nxt is None or gap is None:
        zh = f"减排强度 {shown}，达到{current.name_zh}（≥ {current.min_intensity}），已是最高档。"
        en = f"Reduction intensity {shown} reaches {current.name_en} (≥ {current.min_intensity}), the best label."
    else:
        floor_zh = f"（≥ {current.min_intensity}）" if current.min_intensity is not None else ""
        floor_en = f" (≥ {current.min_intensity})" if current.min_intensity is not None else ""
        zh = (
            f"减排强度 {shown}，为{current.name_zh}{floor_zh}；距{nxt.name_zh}（≥ {nxt.min_intensity}）"
            f"还差 {gap}，即全场再减排 {gap_kg} kg CO2e，{hint_zh}。"
        )
        en = (
            f"Reduction intensity {shown} is {current.name_en}{floor_en}; {nxt.name_en} "
            f"(≥ {nxt.min_intensity}) needs {gap} more, i.e. {gap_kg} kg CO2e more for the "
            f"farm, {hint_en}."
        )
    return Label(
        farm_type=farm_type,
        code=current.code,
        name_zh=current.name_zh,
        name_en=current.name_en,
        intensity=intensity,
        unit=bands_cfg.unit,
        denominator=denom,
        bands=bands,
        next_code=nxt.code if nxt is not None else None,
        next_label_gap=gap,
        next_label_gap_kg=gap_kg,
        equivalent_chemical_n_kg=equivalent_n,
        equivalent_digester_heads=equivalent_heads,
        source=bands_cfg.source,
        assumption=bands_cfg.assumption,
        methodology_version=methodology.version,
        explanation_zh=zh,
        explanation_en=en,
    )


def farm_label(
    records: Iterable[PracticeRecord], baseline: FarmBaseline, methodology: Methodology
) -> tuple[FarmReduction, Label]:
    """The farm's reduction and its label, the denominator taken from the baseline."""
    result = farm_reduction(records, baseline, methodology)
    denominator = denominator_for(baseline, methodology)
    return result, label(baseline.farm_type, result, denominator, methodology)


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------


def _synthetic_n_co2e_per_kg(m: Methodology) -> Decimal:
    """kg CO2e of soil N2O (direct + indirect) per kg of chemical N (5.89446 in v1)."""
    ef1, gasf, ef4, leach, ef5, gwp = (
        m.factor(k).value for k in ("ef1", "frac_gasf", "ef4", "frac_leach", "ef5", "gwp_n2o")
    )
    return (ef1 + gasf * ef4 + leach * ef5) * _N2O_PER_N[0] * gwp / _N2O_PER_N[1]


def _digester_co2e_per_head_year(m: Methodology) -> Decimal:
    """kg CO2e avoided per pig-year sent to a digester, before fuel use (130.147… in v1)."""
    ch4, n2o, vs, b0, rho, mcf, nex, ef3, gwp_ch4, gwp_n2o = (
        m.factor(k).value
        for k in (
            "pig_manure_ch4",
            "pig_manure_n2o",
            "pig_vs",
            "pig_b0",
            "ch4_density",
            "mcf_digester",
            "pig_nex",
            "ef3_digester",
            "gwp_ch4",
            "gwp_n2o",
        )
    )
    leakage = vs * 365 * b0 * rho * mcf
    digester_n2o = nex * ef3 * _N2O_PER_N[0] / _N2O_PER_N[1]
    return (ch4 - leakage) * gwp_ch4 + (n2o - digester_n2o) * gwp_n2o


def _unknown_crop(crop: str, m: Methodology) -> dict[str, Any]:
    return _error(
        "straw_return", "crop", f"unknown crop {crop!r}; methodology {m.version} knows {', '.join(sorted(m.crops))}"
    )


def _kg(value: Decimal) -> Decimal:
    return value.quantize(KG, ROUND_HALF_EVEN)


def _record(name: str, value: Decimal, unit: str) -> TermInput:
    return TermInput(name=name, value=value, unit=unit, source="practice record")


def _inputs(*factors: Factor) -> tuple[TermInput, ...]:
    return tuple(TermInput(f.key, f.value, f.unit, f.source) for f in factors)


def _error(where: str, field: str, reason: str) -> dict[str, Any]:
    return {"field": f"{where}.{field}", "reason": reason}


def _raise(errors: Sequence[dict[str, Any]], where: str) -> None:
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise InvalidInput(f"{first['field']}: {first['reason']}{more}.", errors=errors)


def _quantity(errors: list[dict[str, Any]], where: str, field: str, value: object) -> None:
    """A non-negative exact number (Decimal or int; floats are refused as inexact)."""
    if value is None:
        errors.append(_error(where, field, "is required"))
    elif isinstance(value, bool) or not isinstance(value, int | Decimal):
        errors.append(_error(where, field, f"must be an exact number (Decimal or int), not {type(value).__name__}"))
    elif not Decimal(value).is_finite():
        errors.append(_error(where, field, "must be a finite number"))
    elif value < 0:
        errors.append(_error(where, field, "must not be negative"))
    else:
        _at_most(errors, where, field, value)


def _at_most(errors: list[dict[str, Any]], where: str, field: str, value: int | Decimal) -> None:
    if field in MAX_QUANTITY:
        limit, unit = MAX_QUANTITY[field]
        if value > limit:
            errors.append(_error(where, field, f"must not exceed {limit:,} {unit} (the upper bound per record)"))


def _count(errors: list[dict[str, Any]], where: str, field: str, value: object) -> None:
    if value is None:
        errors.append(_error(where, field, "is required"))
    elif isinstance(value, bool) or not isinstance(value, int):
        errors.append(_error(where, field, "must be a whole number"))
    elif value < 0:
        errors.append(_error(where, field, "must not be negative"))
    else:
        _at_most(errors, where, field, value)
