"""The financed-emissions contract over HTTP: the same numbers as the CLI, refusals as problem+json."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

URL = "/api/v1/stats/financed-emissions"

# PCAF Part A Tables 5-4 / 5-5: factors 10 %, 25 %, 20 % → scope 1 6,100, scope 2 1,260,
# scope 3 10,000, removals 2,200 tCO2e.
TABLE_5_4 = [
    {"id": "forestry", "asset_class": "business_loan", "outstanding": 10, "denominator": 100,
     "scope1_t": 1000, "scope2_t": 100, "scope3_t": 5000, "removals_t": 20000},
    {"id": "industrial", "asset_class": "business_loan", "outstanding": 25, "denominator": 100,
     "scope1_t": 20000, "scope2_t": 5000, "scope3_t": 30000, "removals_t": 0},
    {"id": "energy", "asset_class": "project_finance", "outstanding": 20, "denominator": 100,
     "scope1_t": 5000, "scope2_t": 0, "scope3_t": 10000, "removals_t": 1000},
]  # fmt: skip


def test_bank_gets_pcaf_totals_as_json_numbers(client: TestClient, headers_for: Any) -> None:
    answer = client.post(URL, content=json.dumps(TABLE_5_4), headers=headers_for("bank"))
    assert answer.status_code == 200, answer.text
    totals = json.loads(answer.text, parse_float=Decimal)["totals"]
    assert (totals["scope1_t"], totals["scope2_t"], totals["scope3_t"], totals["removals_t"]) == (
        Decimal(6100),
        Decimal(1260),
        Decimal(10000),
        Decimal(2200),
    )


def test_refusals(client: TestClient, headers_for: Any) -> None:
    body = json.dumps(TABLE_5_4)
    assert client.post(URL, content=body).status_code == 401
    assert client.post(URL, content=body, headers=headers_for("enterprise")).status_code == 403
    h = headers_for("regulator")
    nan = client.post(URL, content='[{"outstanding": NaN}]', headers=h)
    assert nan.status_code == 422
    assert nan.headers["content-type"].startswith("application/problem+json")
    assert "NaN, which is not a number" in nan.json()["detail"]
    bad = client.post(URL, content=json.dumps([{**TABLE_5_4[0], "outstanding": -5}, TABLE_5_4[1]]), headers=h)
    assert bad.status_code == 422
    assert bad.json()["errors"] == [{"row": 0, "column": "outstanding", "reason": "must be at least 0"}]
