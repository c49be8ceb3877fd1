"""Deposits (存入) and their payment ledger over HTTP on both databases."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from greenfin.settings import Settings
from tests.conftest import bearer, make_organisation, make_user
from tests.ecobank.test_registry import CHANGSHAN, asset_body

BANK_CODE = "91330822MA2EBANK01"


def _setup(client: TestClient, session: Session, settings: Settings) -> dict[str, Any]:
    admin = bearer(session, settings, make_user(session, "dep-admin", "admin"))
    firm = make_organisation(session, kind="enterprise", code=BANK_CODE, name="常山两山银行")
    staff = bearer(session, settings, make_user(session, "dep-staff", "enterprise", firm))
    operator = {"organisation_code": BANK_CODE, "name": firm.name, "county_code": CHANGSHAN}
    assert client.post("/api/v1/ecobank/operators", json=operator, headers=admin).status_code == 201
    asset = client.post("/api/v1/ecobank/assets", json=asset_body("DEP-1"), headers=staff).json()
    return {"admin": admin, "staff": staff, "asset": asset}


def test_deposit_pay_reverse_and_end(client: TestClient, session: Session, settings: Settings) -> None:
    ctx = _setup(client, session, settings)
    staff, url = ctx["staff"], f"/api/v1/ecobank/assets/{ctx['asset']['id']}/deposits"
    # 衢江's first deposit slip: 10 years of use rights for 5,600 元 a year.
    terms = {"start_on": "2026-01-01", "end_on": "2035-12-31", "income_kind": "rent", "rent_fen_per_year": 560_000}
    deposit = client.post(url, json=terms, headers=staff)
    assert deposit.status_code == 201, deposit.text
    deposit_id = deposit.json()["id"]
    assert deposit.json()["operator_code"] == BANK_CODE
    assert client.post(url, json=terms, headers=staff).status_code == 409  # one active deposit per asset
    assert client.get(f"/api/v1/ecobank/assets/{ctx['asset']['id']}", headers=staff).json()["status"] == "deposited"

    pay = f"/api/v1/ecobank/deposits/{deposit_id}/payments"
    first = client.post(pay, json={"paid_on": "2026-06-30", "amount_fen": 280_000, "period": "2026-H1"}, headers=staff)
    wrong = client.post(pay, json={"paid_on": "2026-07-01", "amount_fen": 28_000, "period": "2026-H2"}, headers=staff)
    assert first.status_code == wrong.status_code == 201
    reversal = client.post(
        f"/api/v1/ecobank/payments/{wrong.json()['id']}/reversal", json={"reason": "少录一个零"}, headers=staff
    )
    assert reversal.status_code == 201 and reversal.json()["amount_fen"] == -28_000
    again = client.post(f"/api/v1/ecobank/payments/{wrong.json()['id']}/reversal", json={"reason": "x"}, headers=staff)
    assert again.status_code == 409
    of_reversal = client.post(
        f"/api/v1/ecobank/payments/{reversal.json()['id']}/reversal", json={"reason": "x"}, headers=staff
    )
    assert of_reversal.status_code == 422
    client.post(pay, json={"paid_on": "2026-12-31", "amount_fen": 280_000, "period": "2026-H2"}, headers=staff)
    ledger = client.get(pay, headers=staff).json()
    assert sorted(p["amount_fen"] for p in ledger) == [-28_000, 28_000, 280_000, 280_000]
    assert next(p for p in ledger if p["amount_fen"] < 0)["reverses_id"] == wrong.json()["id"]
    listed = client.get(url, headers=staff).json()
    assert listed[0]["paid_fen"] == 560_000  # 5,600 元 for 2026, the mistaken entry reversed

    ended = client.post(f"/api/v1/ecobank/deposits/{deposit_id}/end", json={}, headers=staff)
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    assert client.post(f"/api/v1/ecobank/deposits/{deposit_id}/end", json={}, headers=staff).status_code == 409
    assert client.post(url, json=terms, headers=staff).status_code == 201  # a new deposit after the end


def test_deposit_refusals(client: TestClient, session: Session, settings: Settings, headers_for: Any) -> None:
    ctx = _setup(client, session, settings)
    url = f"/api/v1/ecobank/assets/{ctx['asset']['id']}/deposits"
    terms = {"start_on": "2026-01-01", "end_on": "2035-12-31", "income_kind": "rent", "rent_fen_per_year": 560_000}
    assert client.post(url, json=terms, headers=ctx["admin"]).status_code == 422  # staff must name the bank
    other = {**terms, "operator_code": "91330824MA2OTHER01"}
    assert client.post(url, json=other, headers=ctx["admin"]).status_code == 422  # not this county's bank
    assert client.post(url, json={**terms, "end_on": "2025-01-01"}, headers=ctx["staff"]).status_code == 422
    assert client.post(url, json={**terms, "rent_fen_per_year": None}, headers=ctx["staff"]).status_code == 422
    assert client.post(url, json=terms, headers=headers_for("bank")).status_code == 403
    deposit = client.post(url, json={**terms, "operator_code": BANK_CODE}, headers=ctx["admin"]).json()
    pay = f"/api/v1/ecobank/deposits/{deposit['id']}/payments"
    early = {"paid_on": "2025-12-31", "amount_fen": 1, "period": "2025"}
    assert client.post(pay, json=early, headers=ctx["staff"]).status_code == 422
    assert (
        client.post(pay, json={**early, "paid_on": "2026-02-01", "amount_fen": 0}, headers=ctx["staff"]).status_code
        == 422
    )
    assert client.get(pay, headers=headers_for("bank")).status_code == 403


def test_pooled_orchard_pays_households_by_share(
    client: TestClient, session: Session, settings: Settings, headers_for: Any
) -> None:
    ctx = _setup(client, session, settings)
    staff = ctx["staff"]
    trees = [120, 80, 200]
    deposits = []
    for index in range(len(trees)):
        asset = client.post("/api/v1/ecobank/assets", json=asset_body(f"POOL-{index}"), headers=staff).json()
        terms = {"start_on": "2026-01-01", "end_on": "2030-12-31", "income_kind": "dividend"}
        deposits.append(client.post(f"/api/v1/ecobank/assets/{asset['id']}/deposits", json=terms, headers=staff).json())
    contract = {
        "name": "太公山共富果园",
        "county_code": CHANGSHAN,
        "transferee": "常山胡柚产业发展有限公司",
        "transfer_price_fen_per_year": 6_000_000,
        "transfer_start": "2026-01-01",
        "transfer_end": "2030-12-31",
    }
    project = client.post("/api/v1/ecobank/projects", json=contract, headers=staff)
    assert project.status_code == 201, project.text
    url = f"/api/v1/ecobank/projects/{project.json()['id']}"
    for deposit, count in zip(deposits, trees, strict=True):
        joined = client.post(f"{url}/shares", json={"deposit_id": deposit["id"], "shares": count}, headers=staff)
        assert joined.status_code == 201, joined.text
    again = client.post(f"{url}/shares", json={"deposit_id": deposits[0]["id"], "shares": 1}, headers=staff)
    assert again.status_code == 409
    read = client.get(url, headers=staff).json()
    assert read["total_shares"] == 400
    assert [h["share"] for h in read["holders"]] == ["0.300000", "0.200000", "0.500000"]
    # 60,000.01 元 over 120 : 80 : 200 trees → 18,000.00 / 12,000.00 / 30,000.00 and the odd fen to the first
    # largest remainder (hand-computed: 6,000,001 × 0.3 = 1,800,000.3; × 0.2 = 1,200,000.2; × 0.5 = 3,000,000.5).
    paid = client.post(
        f"{url}/distributions", json={"amount_fen": 6_000_001, "paid_on": "2026-12-31", "period": "2026"}, headers=staff
    )
    assert paid.status_code == 201, paid.text
    assert [p["amount_fen"] for p in paid.json()] == [1_800_000, 1_200_000, 3_000_001]
    ledger = client.get(f"/api/v1/ecobank/deposits/{deposits[2]['id']}/payments", headers=staff).json()
    assert [p["amount_fen"] for p in ledger] == [3_000_001]
    # Refusals: a rent deposit does not pool; strangers neither see nor pay.
    rent_asset = client.post("/api/v1/ecobank/assets", json=asset_body("POOL-R"), headers=staff).json()
    rent = {"start_on": "2026-01-01", "end_on": "2030-12-31", "income_kind": "rent", "rent_fen_per_year": 100}
    rent_deposit = client.post(f"/api/v1/ecobank/assets/{rent_asset['id']}/deposits", json=rent, headers=staff).json()
    refused = client.post(f"{url}/shares", json={"deposit_id": rent_deposit["id"], "shares": 5}, headers=staff)
    assert refused.status_code == 422
    bank = headers_for("bank")
    assert client.get(url, headers=bank).status_code == 403
    payout = {"amount_fen": 1, "paid_on": "2026-12-31", "period": "2026"}
    assert client.post(f"{url}/distributions", json=payout, headers=bank).status_code == 403
    half = {**contract, "transferee": None}
    assert client.post("/api/v1/ecobank/projects", json=half, headers=staff).status_code == 422
