"""The industrial label methodology and the reference tables, as versioned data files.

A methodology is a TOML file in ``industry/data/methodology/`` (``v1.toml`` …). Every
number has a ``value``, a ``source`` and ``assumption = true`` where greenfin chose it.
Loading validates the whole file and refuses it with one error naming the problem::

    >>> m = load_methodology()            # the newest version, "v1"
    >>> m.dark_green_k_milli, m.light_green_k_milli, m.red_k_above_milli
    (800, 1200, 2000)
    >>> m.basis, m.prefix_digits, m.min_peers
    ('added_value', 2, 5)

Thresholds become integers (K in thousandths, year-on-year change in basis points) so that
the set-based batch and the pure rules compare exactly the same numbers.

Official benchmarks (``data/benchmarks/<name>.toml``) hold per-industry intensities, each
with its source; the methodology names the file it uses (``none`` by default).

The reference tables — county-level divisions (GB/T 2260) and industry classes
(GB/T 4754-2017) with Chinese and English names — live in ``data/`` too.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from greenfin.carbon import labels
from greenfin.carbon.rules import PROVINCES
from greenfin.errors import GreenfinError, InvalidInput
from greenfin.region import service as region_service

# The four labels, best first, and their names: one home for every account (greenfin.carbon.labels).
LABELS = labels.LABELS
LABEL_NAMES = labels.LABEL_NAMES
BASES: dict[str, str] = {"added_value": "added_value_fen", "output_value": "output_value_fen", "tax": "tax_fen"}
"""Intensity bases a methodology may choose, and the column of annual figures each reads."""

_VERSION = re.compile(r"^[a-z0-9][a-z0-9.-]*$")


class MethodologyInvalid(GreenfinError):
    """A methodology data file breaks a rule; the platform's configuration is at fault."""

    status = 500
    code = "methodology-invalid"
    title = "Invalid methodology"


@dataclass(frozen=True)
class Benchmark:
    """An official intensity benchmark of an industry class or division."""

    industry: str  # 2 or 4 digits
    g_per_wan: int  # grams of CO2 per 10,000 yuan of the basis
    source: str


@dataclass(frozen=True)
class Methodology:
    """A validated label methodology; thresholds as exact integers."""

    version: str
    title_zh: str
    title_en: str
    basis: str
    prefix_digits: int
    min_peers: int
    benchmarks_name: str
    benchmarks: tuple[Benchmark, ...]
    dark_green_k_milli: int
    dark_green_yoy_below_bp: int
    light_green_k_milli: int
    light_green_yoy_max_bp: int
    red_k_above_milli: int
    no_history_counts_as_not_rising: bool
    ungradable_label: str
    assumptions: tuple[str, ...] = field(default=())
    sources: dict[str, str] = field(default_factory=dict)

    def official_benchmark(self, industry_code: str) -> Benchmark | None:
        """The official benchmark of the class, else of the division, else None."""
        by_code = {b.industry: b for b in self.benchmarks}
        return by_code.get(industry_code) or by_code.get(industry_code[:2])


def _data_dir(*parts: str) -> Path:
    return Path(str(resources.files("greenfin.industry").joinpath("data", *parts)))


def available_methodologies() -> list[str]:
    """Versions of the shipped methodologies, oldest first (v1, v2, … v10)."""
    names = [p.stem for p in _data_dir("methodology").glob("*.toml")]
    return sorted(names, key=lambda n: (len(n), n))


def load_methodology(version: str | None = None) -> Methodology:
    """The validated methodology ``version`` (the newest when None)."""
    known = available_methodologies()
    wanted = version if version is not None else known[-1]
    if not isinstance(wanted, str) or not _VERSION.match(wanted) or wanted not in known:
        reason = f"unknown methodology {wanted!r}; available: {', '.join(known)}"
        raise InvalidInput(reason, errors=[{"field": "methodology", "reason": reason}])
    return _load(wanted)


@lru_cache(maxsize=8)
def _load(version: str) -> Methodology:
    path = _data_dir("methodology", f"{version}.toml")
    return parse_methodology(tomllib.loads(path.read_text(encoding="utf-8"), parse_float=Decimal), name=path.name)


def _fail(name: str, where: str, reason: str) -> MethodologyInvalid:
    return MethodologyInvalid(f"methodology {name}: {where}: {reason}")


def parse_methodology(data: dict[str, Any], *, name: str = "<data>") -> Methodology:
    """Validate parsed methodology TOML (a shipped file or a draft) into a Methodology."""
    assumptions: list[str] = []
    sources: dict[str, str] = {}

    def item(section: str, key: str) -> Any:
        table = data.get(section)
        if not isinstance(table, dict) or not isinstance(table.get(key), dict):
            raise _fail(name, f"{section}.{key}", "missing; expected {value, source}")
        entry = table[key]
        if not isinstance(entry.get("source"), str) or not entry["source"].strip():
            raise _fail(name, f"{section}.{key}", "every value needs a source")
        if "value" not in entry:
            raise _fail(name, f"{section}.{key}", "missing value")
        sources[key] = entry["source"]
        if entry.get("assumption") is True:
            assumptions.append(key)
        return entry["value"]

    def scaled(section: str, key: str, scale: int) -> int:
        value = item(section, key)
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            raise _fail(name, f"{section}.{key}", "expected a number")
        result = Decimal(value) * scale
        if result != result.to_integral_value():
            raise _fail(name, f"{section}.{key}", f"at most {len(str(scale)) - 1} decimal places")
        return int(result)

    meta = data.get("methodology")
    if not isinstance(meta, dict) or not isinstance(meta.get("version"), str) or not _VERSION.match(meta["version"]):
        raise _fail(name, "methodology.version", "missing or invalid")
    basis = item("intensity", "basis")
    if basis not in BASES:
        raise _fail(name, "intensity.basis", f"expected one of {', '.join(BASES)}")
    prefix_digits = item("peers", "prefix_digits")
    if prefix_digits not in (2, 3, 4):
        raise _fail(name, "peers.prefix_digits", "expected 2, 3 or 4")
    min_peers = item("peers", "min_count")
    if isinstance(min_peers, bool) or not isinstance(min_peers, int) or min_peers < 1:
        raise _fail(name, "peers.min_count", "expected a positive integer")
    if item("peers", "fallback") != "region":
        raise _fail(name, "peers.fallback", "only 'region' is supported")
    benchmarks_name = item("peers", "benchmarks")
    ungradable = item("edge_cases", "ungradable_label")
    if ungradable not in LABELS:
        raise _fail(name, "edge_cases.ungradable_label", f"expected one of {', '.join(LABELS)}")
    no_history = item("edge_cases", "no_history_counts_as_not_rising")
    if not isinstance(no_history, bool):
        raise _fail(name, "edge_cases.no_history_counts_as_not_rising", "expected true or false")
    methodology = Methodology(
        version=meta["version"],
        title_zh=str(meta.get("title_zh", "")),
        title_en=str(meta.get("title_en", "")),
        basis=basis,
        prefix_digits=prefix_digits,
        min_peers=min_peers,
        benchmarks_name=str(benchmarks_name),
        benchmarks=load_benchmarks(str(benchmarks_name)),
        dark_green_k_milli=scaled("thresholds", "dark_green_k_max", 1000),
        dark_green_yoy_below_bp=scaled("thresholds", "dark_green_yoy_below_pct", 100),
        light_green_k_milli=scaled("thresholds", "light_green_k_max", 1000),
        light_green_yoy_max_bp=scaled("thresholds", "light_green_yoy_max_pct", 100),
        red_k_above_milli=scaled("thresholds", "red_k_above", 1000),
        no_history_counts_as_not_rising=no_history,
        ungradable_label=ungradable,
        assumptions=tuple(assumptions),
        sources=sources,
    )
    if not 0 < methodology.dark_green_k_milli <= methodology.light_green_k_milli <= methodology.red_k_above_milli:
        raise _fail(name, "thresholds", "expected 0 < dark_green_k_max ≤ light_green_k_max ≤ red_k_above")
    return methodology


def load_benchmarks(name: str) -> tuple[Benchmark, ...]:
    """The official benchmarks of file ``name`` (``none``: no benchmark)."""
    if not _VERSION.match(name):
        raise MethodologyInvalid(f"benchmark file name {name!r} is invalid")
    path = _data_dir("benchmarks", f"{name}.toml")
    if not path.is_file():
        raise MethodologyInvalid(f"benchmark file {name}.toml is missing")
    data = tomllib.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    return parse_benchmarks(data.get("benchmarks", {}).get("entries", []), name=name)


def parse_benchmarks(entries: list[dict[str, Any]], *, name: str = "<data>") -> tuple[Benchmark, ...]:
    """Validate benchmark entries ``{industry, t_per_wan, source}``."""
    result = []
    for index, entry in enumerate(entries):
        where = f"benchmarks {name} entry {index + 1}"
        industry = entry.get("industry")
        value = entry.get("t_per_wan")
        source = entry.get("source")
        if not (isinstance(industry, str) and industry.isdigit() and len(industry) in (2, 4)):
            raise MethodologyInvalid(f"{where}: industry must be a GB/T 4754 division or class code")
        if isinstance(value, bool) or not isinstance(value, int | Decimal) or Decimal(value) <= 0:
            raise MethodologyInvalid(f"{where}: t_per_wan must be a positive number")
        if not isinstance(source, str) or not source.strip():
            raise MethodologyInvalid(f"{where}: every benchmark needs a source")
        result.append(Benchmark(industry, int(Decimal(value) * 1_000_000), source.strip()))
    return tuple(result)


# --- reference tables ---------------------------------------------------------------------


@dataclass(frozen=True)
class Name:
    code: str
    name_zh: str
    name_en: str


@lru_cache(maxsize=1)
def _industries() -> tuple[dict[str, Name], dict[str, Name]]:
    data = tomllib.loads(_data_dir("industries.toml").read_text(encoding="utf-8"))
    divisions = {code: Name(code, v["name_zh"], v["name_en"]) for code, v in data["divisions"].items()}
    classes = {code: Name(code, v["name_zh"], v["name_en"]) for code, v in data["classes"].items()}
    return divisions, classes


def counties() -> dict[str, Name]:
    """The configured region's county-level divisions (its region file), by code."""
    return {c.code: Name(c.code, c.name_zh, c.name_en) for c in region_service.current_region().counties}


def county_name(code: str) -> Name:
    """Names of a county code of any shipped region; an unlisted code is named by itself."""
    county = region_service.county_name(code)
    return Name(code, county.name_zh, county.name_en)


def division_name(code: str) -> Name:
    """Names of a GB/T 4754 division (2 digits)."""
    return _industries()[0].get(code[:2]) or Name(code[:2], f"行业大类 {code[:2]}", f"Division {code[:2]}")


def industry_name(code: str) -> Name:
    """Names of a GB/T 4754 class (4 digits), falling back to its division."""
    known = _industries()[1].get(code)
    if known is not None:
        return known
    division = division_name(code)
    return Name(code, f"{division.name_zh}（{code}）", f"{division.name_en} ({code})")


def industry_classes() -> dict[str, Name]:
    """The named industry classes."""
    return dict(_industries()[1])


def check_county_code(code: str) -> str | None:
    """None if ``code`` looks like a GB/T 2260 county-level code, else the reason."""
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return "county code must be 6 digits (GB/T 2260)"
    if code[:2] not in PROVINCES:
        return f"county code {code}: {code[:2]} is no GB/T 2260 province"
    if code[2:] == "0000":
        return f"county code {code} is a province, not a county-level division"
    return None


def check_industry_code(code: str) -> str | None:
    """None if ``code`` looks like a GB/T 4754-2017 class (4 digits, division 01–97), else the reason."""
    if not (len(code) == 4 and code.isascii() and code.isdigit()):
        return "industry code must be a 4-digit GB/T 4754-2017 class, e.g. 2614"
    if not 1 <= int(code[:2]) <= 97:
        return f"industry code {code}: division {code[:2]} does not exist in GB/T 4754-2017 (01–97)"
    return None
