"""The region in force and its counties: one loader for every region file, looked up by code.

Worked example (the shipped files)::

    >>> current_region("330500").name_zh
    '湖州市'
    >>> [c.name_zh for c in current_region("330500").counties][:2]
    ['吴兴区', '南浔区']
    >>> county_name("330881").name_zh
    '江山市'
    >>> county_problem("330502", region="330800")
    'county 330502 is not in 衢州市 (330800)'
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources

from pydantic import ValidationError

from greenfin.errors import GreenfinError, InvalidInput, NotFound
from greenfin.region.schemas import County, Region
from greenfin.settings import get_settings


@lru_cache(maxsize=1)
def _files() -> dict[str, str]:
    directory = resources.files("greenfin.region").joinpath("data")
    return {
        entry.name.removesuffix(".toml"): entry.read_text(encoding="utf-8")
        for entry in directory.iterdir()
        if entry.name.endswith(".toml")
    }


def available_regions() -> list[str]:
    """Codes of every region file shipped with greenfin."""
    return sorted(_files())


@lru_cache(maxsize=16)
def load_region(code: str) -> Region:
    """The region file ``data/<code>.toml``, validated; NotFound for a region not shipped."""
    text = _files().get(code)
    if text is None:
        raise NotFound(f"no region file for {code!r}; shipped regions: {', '.join(available_regions())}")
    try:
        region = Region.model_validate(tomllib.loads(text))
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise GreenfinError(f"region file {code}.toml is invalid: {exc}") from exc
    if region.code != code:
        raise GreenfinError(f"region file {code}.toml describes region {region.code}")
    return region


def current_region(region: str | None = None) -> Region:
    """The region ``region`` names, or the one configured (``GREENFIN_REGION``) when None."""
    return load_region(region or get_settings().region)


def check_regions() -> None:
    """Load and validate every shipped region file (start-up and tests)."""
    for code in available_regions():
        load_region(code)


@lru_cache(maxsize=1)
def _all_counties() -> dict[str, County]:
    return {county.code: county for code in available_regions() for county in load_region(code).counties}


def county(code: str) -> County | None:
    """A county of any shipped region by code, or None."""
    return _all_counties().get(code)


def county_name(code: str) -> County:
    """Names of a county of any shipped region; an unlisted code is named by itself."""
    return county(code) or County(code=code, name_zh=code, name_en=code, short_name=code)


def county_label(code: str, lang: str) -> str:
    """A county's name in a page's language (``zh`` or ``en``); the code itself when it is no shipped county."""
    county_found = county_name(code)
    return county_found.name_en if lang == "en" else county_found.name_zh


def county_names(region: str | None = None) -> dict[str, str]:
    """``{code: 中文名}`` of the region's counties, in the file's order."""
    return {c.code: c.name_zh for c in current_region(region).counties}


def county_problem(code: str, *, region: str | None = None) -> str | None:
    """Why ``code`` is not a county of the region, or None when it is."""
    found = current_region(region)
    if found.county(code) is None:
        return f"county {code} is not in {found.name_zh} ({found.code})"
    return None


def require_county(code: str, *, region: str | None = None) -> County:
    """The region's county ``code``, or InvalidInput naming the region's counties."""
    problem = county_problem(code, region=region)
    if problem is not None:
        known = ", ".join(f"{c.name_zh} {c.code}" for c in current_region(region).counties)
        raise InvalidInput(f"{problem}; its counties are {known}", errors=[{"field": "county_code", "reason": problem}])
    county_found = current_region(region).county(code)
    assert county_found is not None
    return county_found
