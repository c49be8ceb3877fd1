"""Green use catalogues: the shipped versions, lookups, ancestors, mappings, and refused files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from greenfin.errors import InvalidInput
from greenfin.stats.methodology import CatalogueFile, MappingFile, _read, catalogue_file, load_catalogues


def test_shipped_versions_and_their_top_levels() -> None:
    """2019: six categories (发改环资〔2019〕293号) with 30 second-level ones; 2024: seven; 2025: nine."""
    catalogues = load_catalogues()
    assert sorted(catalogues.catalogues) == ["gfs-2025", "gic-2019", "glt-2024"]
    gic = catalogues.catalogue("gic-2019")
    assert [c.name for c in gic.children(None)] == [
        "节能环保产业",
        "清洁生产产业",
        "清洁能源产业",
        "生态环境产业",
        "基础设施绿色升级",
        "绿色服务",
    ]
    assert sum(1 for c in gic.categories if c.level == 2) == 30
    assert [c.name for c in catalogues.catalogue("glt-2024").children(None)] == [
        "节能降碳产业",
        "环境保护产业",
        "资源循环利用产业",
        "能源绿色低碳转型",
        "生态保护修复和利用",
        "基础设施绿色升级",
        "绿色服务",
    ]
    assert [c.name for c in catalogues.catalogue("gfs-2025").children(None)][-2:] == ["绿色贸易", "绿色消费"]
    assert catalogue_file("gic-2019").document.startswith("发改环资〔2019〕293号")


def test_lookup_with_ancestors_and_confidence() -> None:
    """FINANCE.md's examples by name: 绿色有机农业 (胡柚), 碳汇林、植树种草, 太阳能."""
    gic = load_catalogues().catalogue("gic-2019")
    organic = gic.get("4.1.2")
    assert (organic.name, organic.level, organic.parent, organic.confidence) == ("绿色有机农业", 3, "4.1", "L")
    assert [(c.code, c.name) for c in gic.ancestors("4.1.2")] == [("4", "生态环境产业"), ("4.1", "生态农业")]
    assert gic.get("4.1.6").name == "碳汇林、植树种草及林木种苗花卉"
    assert gic.get("3.2.2").name == "太阳能利用设施建设和运营"
    assert gic.top_level("3.2.2").name == "清洁能源产业"
    assert gic.get("4").confidence == "H"
    assert gic.get("4.1").confidence == "M"
    assert [c.code for c in gic.children("1.4")] == ["1.4.1", "1.4.2", "1.4.3"]
    with pytest.raises(InvalidInput, match="not in green use catalogue gic-2019"):
        gic.get("7")
    with pytest.raises(InvalidInput, match="unknown green use catalogue"):
        load_catalogues().catalogue("gic-2015")


def test_mapping_follows_versions_and_ancestors() -> None:
    """1.4.1 (new-energy vehicle parts) → 2024 节能降碳产业 (broader) → 2025 节能降碳 (exact)."""
    catalogues = load_catalogues()
    (mapped,) = catalogues.map_code("1.4.1", source="gic-2019", target="gfs-2025")
    assert (mapped.category.name, mapped.relation, mapped.confidence) == ("节能降碳", "broader", "L")
    assert mapped.via == ("gic-2019", "glt-2024", "gfs-2025")
    (direct,) = catalogues.map_code("1.4", source="gic-2019", target="glt-2024")
    assert (direct.category.code, direct.relation, direct.confidence) == ("1", "broader", "M")
    # 1 节能环保产业 overlaps three 2024 categories
    assert {m.category.code for m in catalogues.map_code("1", source="gic-2019", target="glt-2024")} == {"1", "2", "3"}
    # backwards, the relations turn round: a 2019 part of 2024 节能降碳产业 is "narrower" than it
    back = {m.category.code: m.relation for m in catalogues.map_code("1", source="glt-2024", target="gic-2019")}
    assert back["1.1"] == "narrower"
    assert back["1"] == "overlap"
    # 绿色贸易 has no 2024 counterpart
    assert catalogues.map_code("8", source="gfs-2025", target="glt-2024") == ()
    (same,) = catalogues.map_code("3.2.2", source="gic-2019", target="gic-2019")
    assert (same.category.code, same.relation) == ("3.2.2", "exact")


def _catalogue(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "version": "tst-2030",
        "title": "t",
        "document": "d",
        "issued": "2030-01-01",
        "in_force_from": "2030-01-01",
        "source": "s",
        "confidence": "L",
        "completeness": "c",
        "categories": [{"code": "1", "name": "a"}, {"code": "1.1", "name": "b"}],
    }
    return {**base, **changes}


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"categories": [{"code": "1", "name": "a"}, {"code": "2.1", "name": "b"}]}, "has no parent 2"),
        ({"categories": [{"code": "1", "name": "a"}, {"code": "1", "name": "b"}]}, "appears twice"),
        ({"categories": [{"code": "1.0", "name": "a"}]}, "should match pattern"),
        ({"in_force_to": "2029-01-01"}, "before in_force_from"),
        ({"confidence": "X"}, "Input should be 'H', 'M' or 'L'"),
        ({"extra": 1}, "Extra inputs are not permitted"),
    ],
)
def test_bad_catalogue_files_are_refused(changes: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        CatalogueFile.model_validate(_catalogue(**changes))


def test_the_loader_lists_every_problem_of_a_file(tmp_path: Path) -> None:
    bad = tmp_path / "map.toml"
    bad.write_text('source_version = "gic-2019"\ntarget_version = "x"\n', encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        _read(bad, MappingFile)
    fields = {e["field"] for e in caught.value.errors}
    assert {"target_version", "source", "method", "entries"} <= fields
    broken = tmp_path / "broken.toml"
    broken.write_text("version = ", encoding="utf-8")
    with pytest.raises(InvalidInput, match="not valid TOML"):
        _read(broken, CatalogueFile)
