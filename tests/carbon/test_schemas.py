"""The API shapes: numbers in as JSON numbers or strings, results per item, numbers out."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from greenfin.carbon.factors import load_factor_set
from greenfin.carbon.schemas import (
    CalculationRequest,
    CalculationResponse,
    FactorSetOut,
    calculate_request,
)
from greenfin.errors import InvalidInput


def run(payload: dict[str, object]) -> dict[str, object]:
    request = CalculationRequest.model_validate_json(json.dumps(payload))
    response = calculate_request(request)
    data: dict[str, object] = json.loads(response.model_dump_json())
    return data


def test_numbers_and_numeric_strings_are_accepted_and_each_item_answered() -> None:
    data = run(
        {
            "year": 2023,
            "region": "330881",
            "items": [
                {"energy": "diesel", "quantity": 1, "unit": "t"},
                {"energy": "diesel", "quantity": "0.5", "unit": "t"},
                {"energy": "natural_gas", "quantity": 0.1, "unit": "10^4 Nm3"},
                {"energy": "natural_gas", "quantity": 1, "unit": "kWh"},
                {"energy": "diesel", "quantity": "-1", "unit": "t"},
            ],
        }
    )
    results = data["results"]
    assert isinstance(results, list)
    assert [r["ok"] for r in results] == [True, True, True, False, False]
    assert results[0]["tco2"] == 3.0959  # a JSON number
    assert results[1]["tco2"] == 1.54795
    assert results[2]["tco2"] == 2.16219  # 0.1 x 21.6219, no float drift
    assert results[3] == {
        "ok": False,
        "index": 3,
        "field": "unit",
        "error": "unit 'kWh' is not a unit for natural_gas; accepted: Nm3, 10^4 Nm3",
    }
    assert results[4]["field"] == "quantity"
    assert data["total_tco2"] == 6.80604  # 3.0959 + 1.54795 + 2.16219
    assert data["errors"] == 2
    assert results[0]["factor_set"] == "cn-2024" and "GB/T 32151" in results[0]["source"]


def test_whole_request_errors() -> None:
    with pytest.raises(ValidationError):
        CalculationRequest.model_validate({"year": 2023, "region": "33", "items": []})
    with pytest.raises(ValidationError):
        CalculationRequest.model_validate(
            {"year": 2023, "region": "33", "items": [{"energy": "diesel", "quantity": 1}]}
        )
    with pytest.raises(InvalidInput, match="unknown region"):
        run({"year": 2023, "region": "99", "items": [{"energy": "x", "quantity": 1, "unit": "t"}]})


def test_schema_documents_units() -> None:
    schema = CalculationResponse.model_json_schema(mode="serialization")
    assert "tCO2" in json.dumps(schema)
    item = CalculationRequest.model_json_schema()["$defs"]["CalculationItemIn"]
    assert item["properties"]["quantity"]["anyOf"] == [
        {"type": "number", "minimum": 0, "maximum": 10**12},  # issue 16: every input bounded
        {"type": "string", "maxLength": 60},
    ]


def test_factor_set_out_lists_electricity_by_grid_and_year() -> None:
    out = FactorSetOut.from_set(load_factor_set())
    electricity = [f for f in out.factors if f.key == "electricity"]
    assert len(electricity) == 9
    assert json.loads(out.model_dump_json())["factors"][0]["factor"] == 1.9003
