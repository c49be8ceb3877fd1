"""The personal carbon account's methodology as data: scenario catalogues, grade bands, expiry.

Each is a versioned TOML file shipped in ``greenfin/personal/data/<kind>/v<N>.toml``; a
regulator publishes a change as a new version and never edits a published file, because
points already earned keep the catalogue version they were earned under (each
:class:`~greenfin.personal.rules.Scenario` carries its ``catalogue_version``). Loading
validates everything and refuses a file with every problem listed.

Worked example::

    >>> cat = load_catalogue()                      # the newest version, "v1"
    >>> s = cat.scenario("bus_ride", on=date(2026, 3, 2))
    >>> (s.avoided_co2_g, s.points, s.daily_cap)
    (123, 12, 4)
    >>> cat.inputs["grid_co2_kg_per_kwh"].value      # every input carries its source
    Decimal('0.5306')

``bus_ride`` is 5 km × (51.228 − 26.692) g per passenger-km = 122.68 → 123 g (the
derivation is its ``method``; ``docs/methodology/personal.md`` explains every scenario),
and 123 g ÷ 10 g per point = 12.3 → 12 points.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from importlib.resources.abc import Traversable
from types import MappingProxyType
from typing import Any

from greenfin.errors import InvalidInput, NotFound
from greenfin.personal.rules import (
    Category,
    Confidence,
    ExpiryMode,
    ExpiryRule,
    GradeBand,
    GradeBands,
    PointsRule,
    Scenario,
    points_for,
)

_VERSION_FILE = re.compile(r"v([1-9][0-9]*)\.toml")
_CODE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")

SCENARIOS = "scenarios"
GRADE_BANDS = "grade_bands"
EXPIRY = "expiry"


@dataclass(frozen=True, slots=True)
class FactorInput:
    """One input of the factor derivations: a number with its unit, source and confidence."""

    key: str
    value: Decimal
    unit: str
    source: str
    confidence: Confidence


@dataclass(frozen=True)
class ScenarioCatalogue:
    """One published version of the 18 daily payment scenarios."""

    version: str
    published: date
    publisher: str
    points_rule: PointsRule
    inputs: Mapping[str, FactorInput]
    scenarios: tuple[Scenario, ...]
    _by_code: dict[str, Scenario] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_code", {s.code: s for s in self.scenarios})

    @property
    def codes(self) -> tuple[str, ...]:
        """Scenario codes in catalogue order."""
        return tuple(s.code for s in self.scenarios)

    def scenario(self, code: str, on: date) -> Scenario:
        """The scenario ``code`` for an event on day ``on``, or InvalidInput saying why not."""
        found = self._by_code.get(code)
        if found is None:
            raise InvalidInput(
                f"unknown scenario {code!r}; known: {', '.join(self.codes)}",
                errors=[{"field": "scenario", "reason": "unknown", "value": code}],
            )
        if not found.is_valid_on(on):
            until = found.valid_to.isoformat() if found.valid_to else "open-ended"
            raise InvalidInput(
                f"scenario {code!r} is not valid on {on.isoformat()} "
                f"(valid {found.valid_from.isoformat()} to {until}, catalogue {self.version})",
                errors=[{"field": "scenario", "reason": "not valid on date", "value": code}],
            )
        return found

    def in_force(self, on: date) -> tuple[Scenario, ...]:
        """The scenarios valid on day ``on``."""
        return tuple(s for s in self.scenarios if s.is_valid_on(on))


# ---------------------------------------------------------------------------- files


def _folder(kind: str, directory: Traversable | None) -> Traversable:
    if directory is not None:
        return directory
    return resources.files("greenfin.personal").joinpath("data", kind)


def _versions(folder: Traversable) -> list[str]:
    found: list[tuple[int, str]] = []
    if folder.is_dir():
        for item in folder.iterdir():
            m = _VERSION_FILE.fullmatch(item.name)
            if m and item.is_file():
                found.append((int(m.group(1)), f"v{m.group(1)}"))
    return [name for _, name in sorted(found)]


def _read(kind: str, label: str, version: str | None, directory: Traversable | None) -> tuple[str, str, dict[str, Any]]:
    folder = _folder(kind, directory)
    versions = _versions(folder)
    if not versions:
        raise NotFound(f"no {label} found in {folder}")
    chosen = versions[-1] if version is None else version
    if chosen not in versions:
        raise NotFound(f"{label} {chosen!r} not found; available: {', '.join(versions)}")
    item = folder.joinpath(f"{chosen}.toml")
    origin = f"{label} {chosen} ({item})"
    try:
        data = tomllib.loads(item.read_text(encoding="utf-8"), parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(
            f"{origin} is not valid TOML: {exc}",
            errors=[{"field": "", "reason": f"TOML syntax: {exc}"}],
        ) from None
    return chosen, origin, data


def available_catalogues(*, directory: Traversable | None = None) -> list[str]:
    """Versions of the scenario catalogue, oldest first (``["v1", "v2", …]``)."""
    return _versions(_folder(SCENARIOS, directory))


def available_grade_bands(*, directory: Traversable | None = None) -> list[str]:
    """Versions of the grade bands, oldest first."""
    return _versions(_folder(GRADE_BANDS, directory))


def available_expiry_rules(*, directory: Traversable | None = None) -> list[str]:
    """Versions of the expiry rule, oldest first."""
    return _versions(_folder(EXPIRY, directory))


def load_catalogue(version: str | None = None, *, directory: Traversable | None = None) -> ScenarioCatalogue:
    """Load and validate a scenario catalogue version (default: the newest)."""
    chosen, origin, data = _read(SCENARIOS, "scenario catalogue", version, directory)
    return parse_catalogue(data, origin=origin, expected_version=chosen)


def load_grade_bands(version: str | None = None, *, directory: Traversable | None = None) -> GradeBands:
    """Load and validate a version of the green-credit grade bands (default: the newest)."""
    chosen, origin, data = _read(GRADE_BANDS, "grade bands", version, directory)
    return parse_grade_bands(data, origin=origin, expected_version=chosen)


def load_expiry_rule(version: str | None = None, *, directory: Traversable | None = None) -> ExpiryRule:
    """Load and validate a version of the points expiry rule (default: the newest)."""
    chosen, origin, data = _read(EXPIRY, "expiry rule", version, directory)
    return parse_expiry_rule(data, origin=origin, expected_version=chosen)


# ---------------------------------------------------------------------------- checks


class _Checker:
    """Collects every problem of one file, so the regulator sees them all at once."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.errors: list[dict[str, Any]] = []

    def fail(self, path: str, reason: str) -> None:
        self.errors.append({"field": path, "reason": reason})

    def raise_if_any(self) -> None:
        if self.errors:
            listed = "; ".join(f"{e['field'] or '(file)'}: {e['reason']}" for e in self.errors)
            raise InvalidInput(
                f"{self.origin} is invalid ({len(self.errors)} problem"
                f"{'s' if len(self.errors) != 1 else ''}): {listed}",
                errors=self.errors,
            )

    def table(self, parent: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
        value = parent.get(key)
        if not isinstance(value, Mapping):
            self.fail(path, "required table is missing" if value is None else "must be a table")
            return {}
        return value

    def tables(self, parent: Mapping[str, Any], key: str, path: str) -> list[Mapping[str, Any]]:
        value = parent.get(key)
        if not isinstance(value, list) or not value:
            self.fail(path, "at least one entry is required")
            return []
        if not all(isinstance(v, Mapping) for v in value):
            self.fail(path, "every entry must be a table")
            return []
        return value

    def only(self, table: Mapping[str, Any], allowed: set[str], path: str) -> None:
        for key in sorted(set(table) - allowed):
            self.fail(f"{path}.{key}" if path else key, "unknown field")

    def text(self, table: Mapping[str, Any], key: str, path: str, *, optional: bool = False) -> str:
        value = table.get(key)
        if value is None and optional:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.fail(path, "required" if value is None else "must be a non-empty string")
            return ""
        return value

    def code(self, table: Mapping[str, Any], key: str, path: str) -> str:
        value = self.text(table, key, path)
        if value and not _CODE.fullmatch(value):
            self.fail(path, f"{value!r} is not a snake_case code")
        return value

    def integer(self, table: Mapping[str, Any], key: str, path: str, *, minimum: int) -> int:
        value = table.get(key)
        if value is None:
            self.fail(path, "required")
            return minimum
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail(path, f"must be an integer, got {value!r}")
            return minimum
        if value < minimum:
            self.fail(path, f"must be at least {minimum}, got {value}")
            return minimum
        return value

    def number(self, table: Mapping[str, Any], key: str, path: str) -> Decimal:
        value = table.get(key)
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            self.fail(path, "required" if value is None else f"must be a number, got {value!r}")
            return Decimal(0)
        number = Decimal(value)
        if not number.is_finite() or number < 0:
            self.fail(path, f"must be a finite non-negative number, got {value}")
            return Decimal(0)
        return number

    def day(self, table: Mapping[str, Any], key: str, path: str, *, optional: bool = False) -> date | None:
        value = table.get(key)
        if value is None:
            if not optional:
                self.fail(path, "required")
            return None
        if isinstance(value, datetime) or not isinstance(value, date):
            self.fail(path, f"must be a date (YYYY-MM-DD), got {value!r}")
            return None
        return value

    def choice(self, table: Mapping[str, Any], key: str, path: str, options: list[str]) -> str:
        value = self.text(table, key, path)
        if value and value not in options:
            self.fail(path, f"{value!r} is not one of {', '.join(options)}")
            return ""
        return value

    def header(self, data: Mapping[str, Any], expected_version: str | None) -> tuple[str, date, str]:
        version = self.text(data, "version", "version")
        if version and expected_version is not None and version != expected_version:
            self.fail("version", f"{version!r} does not match the file name {expected_version!r}")
        published = self.day(data, "published", "published") or date.min
        publisher = self.text(data, "publisher", "publisher")
        return version, published, publisher


_CATALOGUE_FIELDS = {"version", "published", "publisher", "points_rule", "inputs", "scenarios"}
_INPUT_FIELDS = {"value", "unit", "source", "confidence"}
_SCENARIO_FIELDS = {
    "code",
    "name_zh",
    "name_en",
    "category",
    "avoided_co2_g",
    "method",
    "source",
    "confidence",
    "inputs",
    "points",
    "daily_cap",
    "valid_from",
    "valid_to",
    "peer",
}
_CONFIDENCES = [c.value for c in Confidence]
_CATEGORIES = [c.value for c in Category]


def parse_catalogue(data: Mapping[str, Any], *, origin: str, expected_version: str | None = None) -> ScenarioCatalogue:
    """Validate parsed TOML of a scenario catalogue; InvalidInput lists every problem."""
    c = _Checker(origin)
    c.only(data, _CATALOGUE_FIELDS, "")
    version, published, publisher = c.header(data, expected_version)

    before_rule = len(c.errors)
    pr = c.table(data, "points_rule", "points_rule")
    c.only(pr, {"grams_per_point", "minimum", "note"}, "points_rule")
    rule = PointsRule(
        grams_per_point=c.integer(pr, "grams_per_point", "points_rule.grams_per_point", minimum=1),
        minimum=c.integer(pr, "minimum", "points_rule.minimum", minimum=0),
        note=c.text(pr, "note", "points_rule.note"),
    )

    rule_ok = len(c.errors) == before_rule

    inputs: dict[str, FactorInput] = {}
    for key, raw in c.table(data, "inputs", "inputs").items():
        path = f"inputs.{key}"
        if not isinstance(raw, Mapping):
            c.fail(path, "must be a table")
            continue
        c.only(raw, _INPUT_FIELDS, path)
        inputs[key] = FactorInput(
            key=key,
            value=c.number(raw, "value", f"{path}.value"),
            unit=c.text(raw, "unit", f"{path}.unit"),
            source=c.text(raw, "source", f"{path}.source"),
            confidence=Confidence(c.choice(raw, "confidence", f"{path}.confidence", _CONFIDENCES) or "L"),
        )

    scenarios: list[Scenario] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(c.tables(data, "scenarios", "scenarios")):
        path = f"scenarios[{i}]"
        code = c.code(raw, "code", f"{path}.code")
        if code:
            path = f"scenarios[{i}] ({code})"
            if code in seen:
                c.fail(f"{path}.code", f"duplicate code, first used by scenarios[{seen[code]}]")
            else:
                seen[code] = i
        c.only(raw, _SCENARIO_FIELDS, path)
        problems = len(c.errors)
        avoided = c.integer(raw, "avoided_co2_g", f"{path}.avoided_co2_g", minimum=0)
        points = c.integer(raw, "points", f"{path}.points", minimum=0)
        if rule_ok and len(c.errors) == problems:
            expected = points_for(avoided, rule)
            if points != expected:
                c.fail(
                    f"{path}.points",
                    f"{points} does not follow the points rule ({avoided} g gives {expected})",
                )
        used = raw.get("inputs", [])
        if not isinstance(used, list) or not all(isinstance(u, str) for u in used):
            c.fail(f"{path}.inputs", "must be a list of input keys")
            used = []
        for key in used:
            if key not in inputs:
                c.fail(f"{path}.inputs", f"{key!r} is not defined under [inputs]")
        valid_from = c.day(raw, "valid_from", f"{path}.valid_from")
        valid_to = c.day(raw, "valid_to", f"{path}.valid_to", optional=True)
        if valid_from and valid_to and valid_to < valid_from:
            c.fail(
                f"{path}.valid_to",
                f"{valid_to.isoformat()} is before valid_from {valid_from.isoformat()}",
            )
        peer = c.text(raw, "peer", f"{path}.peer", optional=True) or None
        scenarios.append(
            Scenario(
                code=code,
                name_zh=c.text(raw, "name_zh", f"{path}.name_zh"),
                name_en=c.text(raw, "name_en", f"{path}.name_en"),
                category=Category(c.choice(raw, "category", f"{path}.category", _CATEGORIES) or "green_payment"),
                avoided_co2_g=avoided,
                method=c.text(raw, "method", f"{path}.method"),
                source=c.text(raw, "source", f"{path}.source"),
                confidence=Confidence(c.choice(raw, "confidence", f"{path}.confidence", _CONFIDENCES) or "L"),
                inputs=tuple(used),
                points=points,
                daily_cap=c.integer(raw, "daily_cap", f"{path}.daily_cap", minimum=1),
                valid_from=valid_from or date.min,
                valid_to=valid_to,
                catalogue_version=version,
                peer=peer,
            )
        )
    c.raise_if_any()
    return ScenarioCatalogue(
        version=version,
        published=published,
        publisher=publisher,
        points_rule=rule,
        inputs=MappingProxyType(inputs),
        scenarios=tuple(scenarios),
    )


def parse_grade_bands(data: Mapping[str, Any], *, origin: str, expected_version: str | None = None) -> GradeBands:
    """Validate parsed TOML of grade bands: ascending thresholds from 0 kg, unique codes."""
    c = _Checker(origin)
    c.only(data, {"version", "published", "publisher", "bands"}, "")
    version, published, publisher = c.header(data, expected_version)
    bands: list[GradeBand] = []
    codes: set[str] = set()
    for i, raw in enumerate(c.tables(data, "bands", "bands")):
        path = f"bands[{i}]"
        c.only(raw, {"code", "name_zh", "name_en", "min_co2_kg", "note"}, path)
        code = c.code(raw, "code", f"{path}.code")
        if code in codes:
            c.fail(f"{path}.code", f"duplicate code {code!r}")
        codes.add(code)
        min_kg = c.integer(raw, "min_co2_kg", f"{path}.min_co2_kg", minimum=0)
        if i == 0 and min_kg != 0:
            c.fail(f"{path}.min_co2_kg", "the first band must start at 0 kg")
        if bands and min_kg * 1000 <= bands[-1].min_co2_g:
            c.fail(f"{path}.min_co2_kg", "thresholds must strictly ascend")
        bands.append(
            GradeBand(
                code=code,
                name_zh=c.text(raw, "name_zh", f"{path}.name_zh"),
                name_en=c.text(raw, "name_en", f"{path}.name_en"),
                min_co2_g=min_kg * 1000,
                note=c.text(raw, "note", f"{path}.note"),
            )
        )
    c.raise_if_any()
    return GradeBands(version=version, published=published, publisher=publisher, bands=tuple(bands))


def parse_expiry_rule(data: Mapping[str, Any], *, origin: str, expected_version: str | None = None) -> ExpiryRule:
    """Validate parsed TOML of an expiry rule (mode calendar_years / months / never, n)."""
    c = _Checker(origin)
    c.only(data, {"version", "published", "publisher", "mode", "n", "note"}, "")
    version, _, _ = c.header(data, expected_version)
    mode = c.choice(data, "mode", "mode", [m.value for m in ExpiryMode])
    n = c.integer(data, "n", "n", minimum=0)
    if mode == ExpiryMode.MONTHS and n < 1:
        c.fail("n", "months mode needs n of at least 1")
    if mode == ExpiryMode.NEVER and n != 0:
        c.fail("n", "never mode needs n = 0")
    note = c.text(data, "note", "note")
    c.raise_if_any()
    return ExpiryRule(version=version, mode=ExpiryMode(mode), n=n, note=note)


# ---------------------------------------------------------------------------- output


def catalogue_as_json(catalogue: ScenarioCatalogue) -> list[dict[str, Any]]:
    """The catalogue as JSON-ready rows, for ``greenfin personal scenarios --json``."""
    return [
        {
            "catalogue_version": s.catalogue_version,
            "code": s.code,
            "name_zh": s.name_zh,
            "name_en": s.name_en,
            "category": s.category.value,
            "avoided_co2_g": s.avoided_co2_g,
            "points": s.points,
            "daily_cap": s.daily_cap,
            "valid_from": s.valid_from.isoformat(),
            "valid_to": s.valid_to.isoformat() if s.valid_to else None,
            "method": s.method,
            "source": s.source,
            "confidence": s.confidence.value,
            "inputs": [
                {
                    "key": key,
                    "value": str(catalogue.inputs[key].value),
                    "unit": catalogue.inputs[key].unit,
                    "source": catalogue.inputs[key].source,
                    "confidence": catalogue.inputs[key].confidence.value,
                }
                for key in s.inputs
            ],
            "peer": s.peer,
        }
        for s in catalogue.scenarios
    ]
