"""Environmental benefits of the loan book over HTTP, on SQLite and PostgreSQL.

By hand (PBoC: a loan carries its project's yearly benefits × loan ÷ total investment):
- bank A's A1, 2,000 万元 outstanding in a project of 8,000 万元 saving 3,500 tce, 10,000 tCO2e,
  COD 12.5 t, NH3-N 1.2 t, SO2 40 t, NOx 22 t and 150,000 t of water a year: 25 % → 875 tce,
  2,500 tCO2e, 3.125, 0.3, 10, 5.5 and 37,500 t;
- bank B's B1, lent 1,000 万元 of which 500 万元 outstanding on 2024-12-31, in a project of
  2,000 万元 reducing 4,000 tCO2e: 25 % on the balance → 1,000 t; 50 % on the amount → 2,000 t;
- A2 is green without a recorded project (counted apart, attributes nothing); A3 is not green.
Region on the balance: 875 tce and 3,500 tCO2e.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import make_organisation

WAN = 1_000_000
AS_OF = "2024-12-31"
PROJECT = {
    "project_name": "衢州经济技术开发区余热发电项目",
    "project_investment_fen": 8_000 * WAN,
    "standard_coal_t": 3500,
    "co2e_t": 10000,
    "cod_t": "12.5",
    "ammonia_nitrogen_t": "1.2",
    "so2_t": 40,
    "nox_t": 22,
    "water_t": 150000,
    "basis": "项目可行性研究报告（2023）",
}


def _loan(client: TestClient, headers: dict[str, str], number: str, wan: int, green: str | None, county: str) -> str:
    body = {
        "loan_no": number,
        "borrower_code": "91330802MA2BENEF01",
        "borrower_name": "衢州测试能源有限公司",
        "amount_fen": wan * WAN,
        "rate_bp": 350,
        "term_months": 60,
        "start_date": "2024-01-15",
        "green_use": green,
        "county_code": county,
    }
    created = client.post("/api/v1/loans", json=body, headers=headers)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _read(response: Any) -> Any:
    """The JSON with exact decimals (benefits are JSON numbers, tonnes to the gram)."""
    assert response.status_code == 200, response.text
    return json.loads(response.text, parse_float=Decimal)


def _book(client: TestClient, session: Session, headers_for: Any) -> dict[str, Any]:
    a = headers_for("bank", make_organisation(session, kind="bank", code="bank-a", name="衢州银行"))
    b = headers_for("bank", make_organisation(session, kind="bank", code="bank-b", name="常山农商银行"))
    ids = {
        "A1": _loan(client, a, "A1", 2_000, "3.2", "330802"),
        "A2": _loan(client, a, "A2", 300, "4.1", "330802"),
        "A3": _loan(client, a, "A3", 100, None, "330802"),
        "B1": _loan(client, b, "B1", 1_000, "1.1", "330822"),
    }
    for headers, rows in (
        (a, [("A1", 2_000), ("A2", 300), ("A3", 100)]),
        (b, [("B1", 500)]),
    ):
        items = [{"loan_no": n, "as_of": AS_OF, "balance_fen": wan * WAN, "quality": "normal"} for n, wan in rows]
        assert client.post("/api/v1/loans/balances", json={"items": items}, headers=headers).status_code == 200
    done = client.put(f"/api/v1/loans/{ids['A1']}/project", json=PROJECT, headers=a)
    assert done.status_code == 200, done.text
    assert done.json()["standard_coal_saved_g"] == 3_500_000_000
    b_project = {"project_name": "常山光伏", "project_investment_fen": 2_000 * WAN, "co2e_t": 4000, "basis": "环评报告"}
    assert client.put(f"/api/v1/loans/{ids['B1']}/project", json=b_project, headers=b).status_code == 200
    return {"a": a, "b": b, "ids": ids}


def test_benefits_by_hand(client: TestClient, session: Session, headers_for: Any) -> None:
    _book(client, session, headers_for)
    regulator = headers_for("regulator")
    data = _read(client.get("/api/v1/stats/benefits", params={"as_of": AS_OF}, headers=regulator))
    totals = data["totals"]
    assert (data["green_loans"], data["loans_without_project"], totals["loans"]) == (3, 1, 2)
    assert (totals["standard_coal_t"], totals["co2e_t"], totals["cod_t"]) == (875, 3500, Decimal("3.125"))
    assert (totals["ammonia_nitrogen_t"], totals["so2_t"], totals["nox_t"], totals["water_t"]) == (
        Decimal("0.3"), 10, Decimal("5.5"), 37500
    )  # fmt: skip
    by_bank = {g["key"]: g for g in data["by_bank"]}
    assert by_bank["bank-b"]["co2e_t"] == 1000 and by_bank["bank-a"]["name"] == "衢州银行"
    assert {g["key"]: g["co2e_t"] for g in data["by_county"]} == {"330802": 2500, "330822": 1000}
    assert {g["key"]: g["name"] for g in data["by_category"]} == {"1": "节能环保产业", "3": "清洁能源产业"}
    on_amount = client.get("/api/v1/stats/benefits", params={"as_of": AS_OF, "basis": "amount"}, headers=regulator)
    assert _read(on_amount)["totals"]["co2e_t"] == 4500  # 2,500 + 2,000


def test_benefits_refusals(client: TestClient, session: Session, headers_for: Any) -> None:
    book = _book(client, session, headers_for)
    a, b, ids = book["a"], book["b"], book["ids"]
    # a bank sees its own book only
    own = _read(client.get("/api/v1/stats/benefits", params={"as_of": AS_OF}, headers=b))
    assert [g["key"] for g in own["by_bank"]] == ["bank-b"]
    theirs = client.get("/api/v1/stats/benefits", params={"as_of": AS_OF, "bank_code": "bank-a"}, headers=b)
    assert theirs.status_code == 403
    assert (
        client.get("/api/v1/stats/benefits", params={"as_of": AS_OF}, headers=headers_for("enterprise")).status_code
        == 403
    )
    # only the lending bank records a project; the figures must make sense
    assert client.put(f"/api/v1/loans/{ids['A1']}/project", json=PROJECT, headers=b).status_code == 404
    small = client.put(
        f"/api/v1/loans/{ids['A1']}/project", json={**PROJECT, "project_investment_fen": 1_000 * WAN}, headers=a
    )
    assert small.status_code == 422 and "total investment" in small.json()["detail"]
    brown = client.put(f"/api/v1/loans/{ids['A3']}/project", json=PROJECT, headers=a)
    assert brown.status_code == 422 and "green" in brown.json()["detail"]
    negative = client.put(f"/api/v1/loans/{ids['A1']}/project", json={**PROJECT, "so2_t": -1}, headers=a)
    assert negative.status_code == 422 and negative.headers["content-type"].startswith("application/problem+json")
    basis = client.get("/api/v1/stats/benefits", params={"as_of": AS_OF, "basis": "peak"}, headers=a)
    assert basis.status_code == 422
