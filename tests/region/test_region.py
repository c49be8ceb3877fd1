"""The region is data: the shipped region files, the configured region, and no region code in the code."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from greenfin.errors import InvalidInput, NotFound
from greenfin.region import service
from greenfin.settings import Settings

SRC = Path(__file__).resolve().parents[2] / "src" / "greenfin"


def test_every_shipped_region_file_loads() -> None:
    service.check_regions()
    assert service.available_regions() == ["330500", "330800"]


def test_huzhou_has_its_five_counties_by_gb_t_2260() -> None:
    huzhou = service.load_region("330500")
    assert (huzhou.name_zh, huzhou.bank_rate.reference) == ("湖州市", "lpr_1y")
    assert [(c.code, c.name_zh) for c in huzhou.counties] == [
        ("330502", "吴兴区"),
        ("330503", "南浔区"),
        ("330521", "德清县"),
        ("330522", "长兴县"),
        ("330523", "安吉县"),
    ]


def test_quzhou_keeps_its_six_counties() -> None:
    assert service.county_names("330800") == {
        "330802": "柯城区",
        "330803": "衢江区",
        "330822": "常山县",
        "330824": "开化县",
        "330825": "龙游县",
        "330881": "江山市",
    }


def test_county_checks_name_the_region() -> None:
    assert service.county_problem("330881", region="330800") is None
    assert service.county_problem("330521", region="330800") == "county 330521 is not in 衢州市 (330800)"
    assert service.require_county("330521", region="330500").name_zh == "德清县"
    with pytest.raises(InvalidInput, match="its counties are 吴兴区 330502"):
        service.require_county("330881", region="330500")
    assert service.county_name("330523").name_zh == "安吉县"  # any shipped region
    assert service.county_name("110101").name_zh == "110101"  # unknown: named by its code


def test_the_region_is_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().region == "330800"
    monkeypatch.setenv("GREENFIN_REGION", "330500")
    assert Settings().region == "330500"
    monkeypatch.setenv("GREENFIN_REGION", "33050")
    with pytest.raises(ValueError, match="region"):
        Settings()
    with pytest.raises(NotFound, match="shipped regions: 330500, 330800"):
        service.load_region("330100")


# --- no region code in the code ----------------------------------------------------------------

# The one place a region code is written outside the data files: the configured default.
ALLOWED = {("settings.py", "330800")}


def _region_codes() -> set[str]:
    codes = set()
    for code in service.available_regions():
        region = service.load_region(code)
        codes |= {region.code, *region.county_codes}
    return codes


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def test_no_region_code_literal_in_src_outside_data_files() -> None:
    codes = _region_codes()
    pattern = re.compile(r"(?<![0-9])(" + "|".join(sorted(codes)) + r")(?![0-9])")
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = _docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                for match in pattern.finditer(node.value):
                    if (path.name, match.group(1)) not in ALLOWED:
                        found.append(f"{path.relative_to(SRC)}:{node.lineno}: {match.group(1)}")
    assert found == [], "region codes belong in src/greenfin/region/data, not in code:\n" + "\n".join(found)
