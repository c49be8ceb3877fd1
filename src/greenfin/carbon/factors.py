"""Factor sets: versioned, sourced emission factors and standard-coal coefficients.

A *factor set* is one TOML file under ``data/factor-sets/`` (``cn-2024.toml`` is the
default). Every number in it has a value, a unit and an official ``source`` (document and
table), and where the reference says so a ``confidence`` (H / M / L) and ``notes``. The
loader refuses a file with an unknown key, a missing source, a non-positive value or a
unit that does not fit the energy, so a bad set never reaches a calculation.

An energy is computed by one of three methods:

``combustion``
    fuels: the set stores GB/T 32151 parameters and the factor is derived here,
    ``NCV x carbon content x oxidation rate x 44/12``, rounded half-even to
    ``factor_decimals`` (4) in the official unit. Diesel::

        42.652 GJ/t x 20.2 tC/TJ / 1000 x 98 % x 44/12 = 3.09590... -> 3.0959 tCO2/t

``grid``
    electricity: one published value per grid and year (tCO2/MWh), chosen by
    :func:`greenfin.carbon.rules.co2_factor` from the accounting year and the region.

``direct``
    a factor given as such, e.g. purchased heat 0.11 tCO2/GJ.

Each energy also carries its standard-coal coefficient (GB/T 2589), in kgce per
canonical unit (kg, Nm3, kWh, MJ). A regulator publishes a new methodology by adding a new
file with a new ``version``; stored results record the version they used.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar, Literal

from greenfin.carbon.units import CANONICAL_UNIT, MAX_MG_PER_UNIT, Kind, unit_by_symbol
from greenfin.errors import GreenfinError, InvalidInput

DEFAULT_FACTOR_SET = "cn-2024"
"""The version used when a caller names none."""

CO2_PER_C = Decimal(44) / Decimal(12)
"""Molecular weight ratio CO2 / C (exact to 28 digits)."""

Method = Literal["combustion", "grid", "direct"]

_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_VERSION = re.compile(r"^[a-z0-9][a-z0-9.-]*$")


class FactorSetInvalid(GreenfinError):
    """A factor-set data file breaks a rule; the platform's methodology is at fault."""

    status = 500
    code = "factor-set-invalid"
    title = "Invalid factor set"


@dataclass(frozen=True)
class SourcedValue:
    """One number of the methodology with its unit and official source."""

    value: Decimal
    unit: str
    source: str
    confidence: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class GridFactor:
    """The published electricity CO2 factor of one grid region for one year."""

    grid: str
    year: int
    value: Decimal
    unit: str
    source: str
    confidence: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class Grid:
    """A grid region a set has electricity factors for (national, east_china, zhejiang)."""

    key: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class Energy:
    """One energy carrier: how its CO2 factor is obtained and its standard-coal coefficient."""

    key: str
    name_zh: str
    name_en: str
    unit: str
    kind: Kind
    method: Method
    standard_coal: SourcedValue
    factor: Decimal | None = None
    ncv: SourcedValue | None = None
    carbon_content: SourcedValue | None = None
    oxidation_rate: SourcedValue | None = None
    co2: SourcedValue | None = None
    grid_factors: tuple[GridFactor, ...] = ()
    reference_factor: SourcedValue | None = None

    @property
    def factor_unit(self) -> str:
        """The unit of the CO2 factor, e.g. ``tCO2/t`` or ``tCO2/10^4 Nm3``."""
        return f"tCO2/{self.unit}"

    @property
    def canonical_unit(self) -> str:
        """The storage unit of quantities of this energy (kg, Nm3, kWh or MJ)."""
        return CANONICAL_UNIT[self.kind]

    @property
    def source(self) -> str:
        """The source of the CO2 factor (for ``grid`` energies see each grid factor)."""
        if self.co2 is not None:
            return self.co2.source
        parts = [p for p in (self.ncv, self.carbon_content, self.oxidation_rate) if p]
        sources = list(dict.fromkeys(p.source for p in parts))
        if len(sources) == 1:
            return f"{sources[0]}; derived NCV x CC x OF x 44/12"
        labelled = zip(("NCV", "carbon content", "oxidation rate"), parts, strict=True)
        listed = "; ".join(f"{label}: {p.source}" for label, p in labelled)
        return f"{listed}; derived NCV x CC x OF x 44/12"


@dataclass(frozen=True)
class FactorSet:
    """A validated, immutable factor set."""

    version: str
    title_zh: str
    title_en: str
    published: dt.date | None
    description: str
    factor_decimals: int
    energies: Mapping[str, Energy]
    grids: Mapping[str, Grid]
    province_grids: Mapping[str, tuple[str, ...]]
    default_grids: tuple[str, ...]

    def energy(self, key: object) -> Energy:
        """The energy ``key``, or InvalidInput naming the accepted keys."""
        if isinstance(key, str) and key in self.energies:
            return self.energies[key]
        accepted = ", ".join(self.energies)
        shown = "missing" if key is None else repr(key)
        reason = f"unknown energy {shown}; accepted: {accepted}"
        raise InvalidInput(reason, errors=[{"field": "energy", "reason": reason}])

    def grid_factors(self, grid: str) -> tuple[GridFactor, ...]:
        """Electricity factors of ``grid`` by year, oldest first."""
        electricity = next((e for e in self.energies.values() if e.method == "grid"), None)
        if electricity is None:
            return ()
        return tuple(f for f in electricity.grid_factors if f.grid == grid)


def derive_combustion_factor(ncv: Decimal, carbon_content: Decimal, oxidation: Decimal) -> Decimal:
    """tCO2 per unit from NCV (GJ/unit), carbon content (tC/TJ) and oxidation rate (%)."""
    with localcontext() as ctx:
        ctx.prec = 40
        return ncv * carbon_content / 1000 * oxidation / 100 * 44 / 12


def factor_sets_dir() -> Path:
    """The folder holding the shipped factor-set files."""
    return Path(str(resources.files("greenfin.carbon").joinpath("data", "factor-sets")))


def available_factor_sets() -> list[str]:
    """Versions of the shipped factor sets, sorted."""
    return sorted(p.stem for p in factor_sets_dir().glob("*.toml"))


def load_factor_set(version: str | None = None) -> FactorSet:
    """The validated factor set ``version`` (the default set when None)."""
    wanted = DEFAULT_FACTOR_SET if version is None else version
    if not isinstance(wanted, str) or not _VERSION.match(wanted):
        raise _unknown_version(wanted)
    path = factor_sets_dir() / f"{wanted}.toml"
    if not path.is_file():
        raise _unknown_version(wanted)
    return _load_cached(str(path), wanted)


@functools.lru_cache(maxsize=16)
def _load_cached(path: str, version: str) -> FactorSet:
    factor_set = load_factor_set_file(Path(path))
    if factor_set.version != version:
        raise FactorSetInvalid(f"factor set file {version}.toml declares version {factor_set.version!r}")
    return factor_set


def _unknown_version(version: object) -> InvalidInput:
    reason = f"unknown factor set {version!r}; available: {', '.join(available_factor_sets())}"
    return InvalidInput(reason, errors=[{"field": "factor_set", "reason": reason}])


def load_factor_set_file(path: Path) -> FactorSet:
    """Parse and validate one factor-set TOML file (any path, e.g. a draft)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise FactorSetInvalid(f"factor set {path.name}: not valid TOML: {exc}") from exc
    return _Reader(path.name).factor_set(data)


class _Reader:
    """Validates the parsed TOML, naming the offending path in every error."""

    SET_KEYS: ClassVar[set[str]] = {"factor_set", "grids", "regions", "energies"}
    META_KEYS: ClassVar[set[str]] = {
        "version",
        "title_zh",
        "title_en",
        "published",
        "description",
        "factor_decimals",
    }
    VALUE_KEYS: ClassVar[set[str]] = {"value", "unit", "source", "confidence", "notes"}
    ENERGY_KEYS: ClassVar[set[str]] = {
        "name_zh",
        "name_en",
        "unit",
        "method",
        "standard_coal",
        "ncv",
        "carbon_content",
        "oxidation_rate",
        "co2",
        "grid_factors",
        "reference_factor",
    }
    METHOD_KEYS: ClassVar[dict[str, set[str]]] = {
        "combustion": {"ncv", "carbon_content", "oxidation_rate"},
        "direct": {"co2"},
        "grid": {"grid_factors"},
    }

    def __init__(self, name: str) -> None:
        self.name = name

    def fail(self, where: str, reason: str) -> FactorSetInvalid:
        return FactorSetInvalid(f"factor set {self.name}: {where}: {reason}")

    def table(self, value: object, where: str, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "expected a table")
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise self.fail(where, f"unknown key(s) {', '.join(unknown)}")
        return value

    def text(self, table: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
        value = table.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{where}.{key}", "missing or empty text")
        return value.strip()

    def positive(self, value: object, where: str) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            raise self.fail(where, "expected a number")
        number = Decimal(value)
        if not number.is_finite() or number <= 0:
            raise self.fail(where, f"must be positive, got {number}")
        return number

    def sourced(self, value: object, where: str, unit: str) -> SourcedValue:
        table = self.table(value, where, self.VALUE_KEYS)
        if "source" not in table:
            raise self.fail(where, "missing source")
        number = self.positive(table.get("value"), f"{where}.value")
        given_unit = self.text(table, "unit", where)
        if given_unit != unit:
            raise self.fail(f"{where}.unit", f"expected {unit!r}, got {given_unit!r}")
        return SourcedValue(
            value=number,
            unit=given_unit,
            source=self.text(table, "source", where),
            confidence=self.text(table, "confidence", where, required=False) or None,
            notes=self.text(table, "notes", where, required=False) or None,
        )

    def factor_set(self, data: dict[str, Any]) -> FactorSet:
        self.table(data, "top level", self.SET_KEYS)
        meta = self.table(data.get("factor_set"), "factor_set", self.META_KEYS)
        version = self.text(meta, "version", "factor_set")
        if not _VERSION.match(version):
            raise self.fail("factor_set.version", f"{version!r} is not a valid version name")
        decimals = meta.get("factor_decimals")
        if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 12:
            raise self.fail("factor_set.factor_decimals", "expected an integer from 0 to 12")
        published = meta.get("published")
        if published is not None and not isinstance(published, dt.date):
            raise self.fail("factor_set.published", "expected a date (YYYY-MM-DD)")
        grids = self.grids(data.get("grids"))
        energies = self.energies(data.get("energies"), decimals, grids)
        province_grids, default_grids = self.regions(data.get("regions"), grids, energies)
        return FactorSet(
            version=version,
            title_zh=self.text(meta, "title_zh", "factor_set"),
            title_en=self.text(meta, "title_en", "factor_set"),
            published=published,
            description=self.text(meta, "description", "factor_set", required=False),
            factor_decimals=decimals,
            energies=MappingProxyType(energies),
            grids=MappingProxyType(grids),
            province_grids=MappingProxyType(province_grids),
            default_grids=default_grids,
        )

    def grids(self, value: object) -> dict[str, Grid]:
        tables = self.table(value, "grids", set(value) if isinstance(value, dict) else set())
        grids = {}
        for key, raw in tables.items():
            if not _KEY.match(key):
                raise self.fail(f"grids.{key}", "grid keys are lower_snake_case")
            table = self.table(raw, f"grids.{key}", {"name_zh", "name_en"})
            grids[key] = Grid(
                key,
                self.text(table, "name_zh", f"grids.{key}"),
                self.text(table, "name_en", f"grids.{key}"),
            )
        return grids

    def energies(self, value: object, decimals: int, grids: Mapping[str, Grid]) -> dict[str, Energy]:
        tables = self.table(value, "energies", set(value) if isinstance(value, dict) else set())
        if not tables:
            raise self.fail("energies", "a factor set needs at least one energy")
        result = {}
        for key, raw in tables.items():
            if not _KEY.match(key):
                raise self.fail(f"energies.{key}", "energy keys are lower_snake_case")
            result[key] = self.energy(key, raw, decimals, grids)
        if sum(1 for e in result.values() if e.method == "grid") > 1:
            raise self.fail("energies", "at most one energy may use the grid method")
        return result

    def energy(self, key: str, raw: object, decimals: int, grids: Mapping[str, Grid]) -> Energy:
        where = f"energies.{key}"
        table = self.table(raw, where, self.ENERGY_KEYS)
        method = table.get("method")
        if method not in self.METHOD_KEYS:
            raise self.fail(f"{where}.method", "expected combustion, direct or grid")
        optional = {"ncv", "carbon_content", "oxidation_rate", "co2", "grid_factors"}
        misplaced = sorted((set(table) & optional) - self.METHOD_KEYS[method])
        missing = sorted(self.METHOD_KEYS[method] - set(table))
        if misplaced or missing:
            raise self.fail(where, f"method {method} needs {', '.join(sorted(self.METHOD_KEYS[method]))}")
        unit_symbol = self.text(table, "unit", where)
        try:
            kind = unit_by_symbol(unit_symbol).kind
        except KeyError:
            raise self.fail(f"{where}.unit", f"unknown unit {unit_symbol!r}") from None
        canonical = CANONICAL_UNIT[kind]
        energy = Energy(
            key=key,
            name_zh=self.text(table, "name_zh", where),
            name_en=self.text(table, "name_en", where),
            unit=unit_symbol,
            kind=kind,
            method=method,
            standard_coal=self.sourced(table.get("standard_coal"), f"{where}.standard_coal", f"kgce/{canonical}"),
        )
        fields: dict[str, Any] = {}
        if method == "combustion":
            ncv = self.sourced(table["ncv"], f"{where}.ncv", f"GJ/{unit_symbol}")
            cc = self.sourced(table["carbon_content"], f"{where}.carbon_content", "tC/TJ")
            of = self.sourced(table["oxidation_rate"], f"{where}.oxidation_rate", "%")
            if of.value > 100:
                raise self.fail(f"{where}.oxidation_rate", "must not exceed 100 %")
            exact = derive_combustion_factor(ncv.value, cc.value, of.value)
            fields = {"ncv": ncv, "carbon_content": cc, "oxidation_rate": of}
            fields["factor"] = exact.quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_EVEN)
        elif method == "direct":
            co2 = self.sourced(table["co2"], f"{where}.co2", f"tCO2/{unit_symbol}")
            fields = {"co2": co2, "factor": co2.value}
        else:
            fields["grid_factors"] = self.grid_factor_list(table["grid_factors"], where, grids)
            if "reference_factor" in table:
                fields["reference_factor"] = self.sourced(
                    table["reference_factor"], f"{where}.reference_factor", f"tCO2/{unit_symbol}"
                )
        if "reference_factor" in table and method != "grid":
            raise self.fail(f"{where}.reference_factor", "only grid energies have one")
        energy = dataclasses.replace(energy, **fields)
        self.check_integer_range(energy, where)
        return energy

    def grid_factor_list(self, value: object, where: str, grids: Mapping[str, Grid]) -> tuple[GridFactor, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail(f"{where}.grid_factors", "expected a non-empty array of tables")
        seen: set[tuple[str, int]] = set()
        factors = []
        for number, raw in enumerate(value):
            here = f"{where}.grid_factors[{number}]"
            table = self.table(raw, here, self.VALUE_KEYS | {"grid", "year"})
            grid, year = table.get("grid"), table.get("year")
            if not isinstance(grid, str) or grid not in grids:
                raise self.fail(f"{here}.grid", f"unknown grid {grid!r}; declare it in [grids]")
            if isinstance(year, bool) or not isinstance(year, int) or not 1990 <= year <= 2100:
                raise self.fail(f"{here}.year", "expected a year from 1990 to 2100")
            if (grid, year) in seen:
                raise self.fail(here, f"duplicate factor for {grid} {year}")
            seen.add((grid, year))
            sourced = self.sourced({k: v for k, v in table.items() if k not in {"grid", "year"}}, here, "tCO2/MWh")
            factors.append(
                GridFactor(
                    grid,
                    year,
                    sourced.value,
                    sourced.unit,
                    sourced.source,
                    sourced.confidence,
                    sourced.notes,
                )
            )
        return tuple(sorted(factors, key=lambda f: (f.grid, f.year)))

    def check_integer_range(self, energy: Energy, where: str) -> None:
        per_official = unit_by_symbol(energy.unit).per_canonical
        co2_values = [f.value for f in energy.grid_factors]
        if energy.factor is not None:
            co2_values.append(energy.factor)
        for value in co2_values:
            if value * Decimal(10**9) / per_official > MAX_MG_PER_UNIT:
                raise self.fail(where, f"factor {value} exceeds {MAX_MG_PER_UNIT} mg per unit")
        if energy.standard_coal.value * Decimal(10**6) > MAX_MG_PER_UNIT:
            raise self.fail(f"{where}.standard_coal", f"exceeds {MAX_MG_PER_UNIT} mg per unit")

    def regions(
        self, value: object, grids: Mapping[str, Grid], energies: Mapping[str, Energy]
    ) -> tuple[dict[str, tuple[str, ...]], tuple[str, ...]]:
        table = self.table(value, "regions", {"default", "provinces"})
        with_factors = {f.grid for e in energies.values() for f in e.grid_factors}

        def chain(raw: object, here: str) -> tuple[str, ...]:
            if not isinstance(raw, list) or not raw or not all(isinstance(g, str) for g in raw):
                raise self.fail(here, "expected a non-empty list of grid keys")
            for grid in raw:
                if grid not in grids:
                    raise self.fail(here, f"unknown grid {grid!r}")
            if with_factors and not with_factors & set(raw):
                raise self.fail(here, "no grid in this list has an electricity factor")
            return tuple(raw)

        default = chain(table.get("default"), "regions.default")
        provinces_raw = table.get("provinces", {})
        if not isinstance(provinces_raw, dict):
            raise self.fail("regions.provinces", "expected a table")
        provinces = {}
        for code, raw in provinces_raw.items():
            if not re.fullmatch(r"[1-9]\d", code):
                raise self.fail(f"regions.provinces.{code}", "keys are 2-digit GB/T 2260 codes")
            provinces[code] = chain(raw, f"regions.provinces.{code}")
        return provinces, default
