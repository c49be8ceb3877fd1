"""Every code of the statistics that a page shows has a name in both languages."""

from __future__ import annotations

from greenfin.stats.methodology import load_catalogues, load_evaluation
from greenfin.stats.rules import ASSET_CLASSES, BENEFIT_INDICATORS
from greenfin.web.i18n import CATALOGUE


def test_codes_have_names_in_the_catalogue() -> None:
    keys = [f"stats.pcaf.{c}" for c in ASSET_CLASSES]
    keys += [f"stats.benefit.{b}" for b in BENEFIT_INDICATORS]
    keys += [f"stats.catalogue.{v}" for v in load_catalogues().catalogues]
    keys += [f"stats.evaluation.{i.key}" for i in load_evaluation()[1]]
    missing = [k for k in keys if k not in CATALOGUE]
    assert missing == []
    assert all(CATALOGUE[k][0] and CATALOGUE[k][1] for k in keys)


def test_evaluation_indicator_names_match_the_data_file() -> None:
    for indicator in load_evaluation()[1]:
        assert CATALOGUE[f"stats.evaluation.{indicator.key}"][0] == indicator.name
