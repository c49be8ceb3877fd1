"""The methodology files load whole, carry a source and confidence for every number, and bad ones are refused."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from greenfin.ecobank.methodology import METHODS, load_ltv, load_methods, parse_ltv, parse_methods
from greenfin.ecobank.rules import ASSET_KINDS
from greenfin.errors import InvalidInput, NotFound


def test_methods_v1() -> None:
    methods = load_methods()
    assert methods.version == "v1"
    assert set(methods.methods) == set(METHODS)
    assert methods.methods["market"].max_combined_correction is not None
    assert methods.gep.prices["water_retention"].value == Decimal("7.06")  # FINANCE.md §6
    assert methods.gep.prices["carbon_fixation"].confidence == "M"
    assert all(n.confidence == "L" for n in methods.gep.defaults["forest_right"].values())  # placeholders
    assert methods.gep.service_prices()["oxygen_release"].price == Decimal(1000)


def test_ltv_v1() -> None:
    policy = load_ltv()
    assert set(ASSET_KINDS) <= set(policy.caps)
    assert policy.cap("forest_right").ratio == Decimal("0.6")
    assert policy.cap("ecological_compensation_right").ratio == Decimal(5)
    with pytest.raises(NotFound):
        policy.cap("moon")
    with pytest.raises(NotFound):
        load_ltv("v99")


def _methods() -> dict[str, Any]:
    return load_methods().model_dump()


def test_a_number_without_source_is_refused() -> None:
    data = _methods()
    del data["gep"]["prices"]["water_retention"]["source"]
    with pytest.raises(InvalidInput) as caught:
        parse_methods(data)
    assert any("source" in e["field"] for e in caught.value.errors)


def test_unknown_kinds_and_missing_methods_are_refused() -> None:
    data = _methods()
    data["methods"]["income"]["kinds"] = ["moon"]
    with pytest.raises(InvalidInput):
        parse_methods(data)
    data = _methods()
    del data["methods"]["gep"]
    with pytest.raises(InvalidInput):
        parse_methods(data)
    ltv = load_ltv().model_dump()
    ltv["caps"]["forest_right"]["ratio"] = Decimal("1.5")
    with pytest.raises(InvalidInput):
        parse_ltv(ltv)
    ltv = load_ltv().model_dump()
    del ltv["caps"]["orchard"]
    with pytest.raises(InvalidInput):
        parse_ltv(ltv)
