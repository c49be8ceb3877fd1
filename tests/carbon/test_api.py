"""The calculation endpoint: a batch answered item by item, each with factor, version and source."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient


def test_batch_answers_in_order_with_a_result_or_an_error_per_item(client: TestClient, headers_for) -> None:  # type: ignore[no-untyped-def]
    body = {
        "year": 2023,
        "region": "330800",
        "items": [
            {"energy": "natural_gas", "quantity": 1, "unit": "10^4 Nm3"},
            {"energy": "natural_gas", "quantity": 1, "unit": "kWh"},
            {"energy": "diesel", "quantity": "2", "unit": "t"},
            {"energy": "diesel", "quantity": -1, "unit": "t"},
        ],
    }
    response = client.post("/api/v1/carbon/calculations", json=body, headers=headers_for("enterprise"))
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["ok"] for r in results] == [True, False, True, False]
    assert [r["index"] for r in results] == [0, 1, 2, 3]
    # GB/T 32151.22-2024 Table C.1: natural gas 21.622 tCO2 per 10^4 Nm3, diesel 3.0959 tCO2/t.
    assert round(Decimal(str(results[0]["tco2"])), 3) == Decimal("21.622")
    assert round(Decimal(str(results[2]["tco2"])), 4) == Decimal("6.1918")
    assert "GB/T 32151" in results[0]["source"]
    assert results[0]["factor_set"] == response.json()["factor_set"]
    assert "accepted" in results[1]["error"]
    assert response.json()["errors"] == 2


def test_calculation_needs_a_login(client: TestClient) -> None:
    body = {"year": 2023, "region": "330800", "items": [{"energy": "diesel", "quantity": 1, "unit": "t"}]}
    response = client.post("/api/v1/carbon/calculations", json=body)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


def test_unknown_region_is_a_problem_for_the_whole_request(client: TestClient, headers_for) -> None:  # type: ignore[no-untyped-def]
    body = {"year": 2023, "region": "999999", "items": [{"energy": "diesel", "quantity": 1, "unit": "t"}]}
    response = client.post("/api/v1/carbon/calculations", json=body, headers=headers_for("regulator"))
    assert response.status_code == 422
    assert response.json()["title"] == "Invalid input"


def test_factor_sets_are_published_with_sources(client: TestClient, headers_for) -> None:  # type: ignore[no-untyped-def]
    headers = headers_for("bank")
    versions = client.get("/api/v1/carbon/factor-sets", headers=headers).json()
    assert versions
    published = client.get(f"/api/v1/carbon/factor-sets/{versions[0]}", headers=headers).json()
    raw_coal = next(f for f in published["factors"] if f["key"] == "raw_coal")
    assert Decimal(str(raw_coal["factor"])) == Decimal("1.9003")
    assert all(f["source"] for f in published["factors"])
