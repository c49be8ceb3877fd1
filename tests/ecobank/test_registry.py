"""The registry over HTTP on both databases: who registers, who sees, certificates, documents, valuations."""

from __future__ import annotations

import hashlib
import random
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from greenfin.auth import rules as identity
from greenfin.auth import service as auth
from greenfin.ecobank.models import Asset
from greenfin.personal import service as personal
from greenfin.personal.schemas import AccountOpen
from greenfin.settings import Settings
from tests.conftest import bearer, make_organisation, make_user

CHANGSHAN, KAIHUA = "330822", "330824"
COLLECTIVE = "N2330822MF0000001X"


def asset_body(certificate: str = "浙(2024)常山县不动产权第0000001号", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "orchard",
        "name": "同弓乡胡柚园",
        "crop": "胡柚",
        "owner": {"kind": "collective", "collective_code": COLLECTIVE, "collective_name": "太公山村股份经济合作社"},
        "county_code": CHANGSHAN,
        "township_code": "330822104",
        "village_code": "330822104201",
        "area_mu": "120.5",
        "certificates": [certificate],
        "right_start": "2020-01-01",
        "right_end": "2049-12-31",
    }
    body.update(changes)
    return body


def farmer_id() -> str:
    return identity.synthetic_id_number(random.Random(7), 1, ("330822",))


def test_staff_register_and_read(client: TestClient, headers_for: Any) -> None:
    admin = headers_for("admin")
    created = client.post("/api/v1/ecobank/assets", json=asset_body(), headers=admin)
    assert created.status_code == 201, created.text
    asset = created.json()
    assert asset["area_milli_mu"] == 120_500
    assert asset["owner_display"] == "太公山村股份经济合作社"
    assert asset["remaining_years"] is not None and asset["remaining_years"] > 20
    read = client.get(f"/api/v1/ecobank/assets/{asset['id']}", headers=admin)
    assert read.json()["certificates"] == ["浙(2024)常山县不动产权第0000001号"]
    listed = client.get("/api/v1/ecobank/assets", params={"county_code": CHANGSHAN, "kind": "orchard"}, headers=admin)
    assert [item["id"] for item in listed.json()["items"]] == [asset["id"]]
    assert client.get("/api/v1/ecobank/assets", params={"kind": "forest_right"}, headers=admin).json()["total"] == 0


def test_duplicate_certificate_is_refused(client: TestClient, headers_for: Any) -> None:
    admin = headers_for("admin")
    assert client.post("/api/v1/ecobank/assets", json=asset_body("林证-001"), headers=admin).status_code == 201
    again = client.post("/api/v1/ecobank/assets", json=asset_body("林证-001", name="另一片"), headers=admin)
    assert again.status_code == 409
    assert "林证-001" in again.json()["detail"]
    twice = client.post("/api/v1/ecobank/assets", json=asset_body(certificates=["A-1", "A-1"]), headers=admin)
    assert twice.status_code == 422


def test_bad_places_and_kinds_are_refused(client: TestClient, headers_for: Any) -> None:
    admin = headers_for("admin")
    for changes in (
        {"township_code": "330824104"},  # not in the county
        {"village_code": "330822105201"},  # not in the township
        {"area_mu": "1.0005"},  # finer than a thousandth of a 亩
        {"area_mu": "0"},
        {"kind": "gold_mine"},
        {"crop": None},  # an orchard needs its crop
        {"right_end": "2019-01-01"},
        {"owner": {"kind": "farmer", "name": "张三"}},  # no ID number
    ):
        answer = client.post("/api/v1/ecobank/assets", json=asset_body(**changes), headers=admin)
        assert answer.status_code == 422, changes
    bad_id = asset_body(owner={"kind": "farmer", "id_number": "330822199001011230", "name": "张三"})
    assert client.post("/api/v1/ecobank/assets", json=bad_id, headers=admin).status_code == 422


def test_farmer_is_stored_as_keyed_hash_and_mask(
    client: TestClient, headers_for: Any, session: Session, settings: Settings
) -> None:
    number = farmer_id()
    body = asset_body("农户-1", owner={"kind": "farmer", "id_number": number, "name": "张三丰"})
    created = client.post("/api/v1/ecobank/assets", json=body, headers=headers_for("admin")).json()
    assert created["owner_display"] == f"张** {number[:4]}{'*' * 10}{number[-4:]}"
    assert created["owner_code"] is None
    row = session.scalar(select(Asset).where(Asset.id == created["id"]))
    assert row is not None and row.owner_id_hash == identity.id_hash(number, settings.secret_key)
    assert number not in str([getattr(row, c.key) for c in Asset.__table__.columns])


def test_operator_writes_its_county_only(client: TestClient, session: Session, settings: Settings) -> None:
    admin = bearer(session, settings, make_user(session, "eco-admin", "admin"))
    firm = make_organisation(session, kind="enterprise", code="91330822MA2EBANK01", name="常山两山银行")
    staff = bearer(session, settings, make_user(session, "eco-staff", "enterprise", firm))
    assert client.post("/api/v1/ecobank/assets", json=asset_body("E-1"), headers=staff).status_code == 403
    operator = {"organisation_code": firm.code, "name": firm.name, "county_code": CHANGSHAN}
    assert client.post("/api/v1/ecobank/operators", json=operator, headers=staff).status_code == 403  # admin only
    assert client.post("/api/v1/ecobank/operators", json=operator, headers=admin).status_code == 201
    assert client.post("/api/v1/ecobank/operators", json=operator, headers=admin).status_code == 409
    mine = client.post("/api/v1/ecobank/assets", json=asset_body("E-1"), headers=staff)
    assert mine.status_code == 201
    kaihua = asset_body("E-2", county_code=KAIHUA, township_code="330824100", village_code="330824100001")
    assert client.post("/api/v1/ecobank/assets", json=kaihua, headers=staff).status_code == 403
    assert client.post("/api/v1/ecobank/assets", json=kaihua, headers=admin).status_code == 201
    # The ecological bank lists its county only, even when it asks for another.
    assert client.get("/api/v1/ecobank/assets", headers=staff).json()["total"] == 1
    assert client.get("/api/v1/ecobank/assets", params={"county_code": KAIHUA}, headers=staff).json()["total"] == 0


def test_owners_see_their_own_only(client: TestClient, headers_for: Any, session: Session, settings: Settings) -> None:
    admin = headers_for("admin")
    number = farmer_id()
    ours = client.post("/api/v1/ecobank/assets", json=asset_body("C-1"), headers=admin).json()
    farmer_body = asset_body("F-1", owner={"kind": "farmer", "id_number": number, "name": "李四"})
    theirs = client.post("/api/v1/ecobank/assets", json=farmer_body, headers=admin).json()

    collective = make_organisation(session, kind="enterprise", code=COLLECTIVE, name="太公山村股份经济合作社")
    village = bearer(session, settings, make_user(session, "village", "enterprise", collective))
    listed = client.get("/api/v1/ecobank/assets", headers=village).json()
    assert [item["id"] for item in listed["items"]] == [ours["id"]]
    assert client.get(f"/api/v1/ecobank/assets/{ours['id']}", headers=village).status_code == 200
    assert client.get(f"/api/v1/ecobank/assets/{theirs['id']}", headers=village).status_code == 403
    assert client.get("/api/v1/ecobank/assets/nope", headers=village).status_code == 403  # no existence oracle

    user = make_user(session, "farmer-li", "resident")
    principal = auth.principal_for_user(session, user)
    on = settings.model_copy(update={"personal_self_service": "code"})  # the operator verified the holder
    code = personal.verification_code(on, id_number=number, days=1)
    account_in = AccountOpen(id_number=number, name="李四", consent=True, verification_code=code)
    personal.open_account(session, principal, settings=on, account_in=account_in)
    resident = bearer(session, settings, user)
    assert [i["id"] for i in client.get("/api/v1/ecobank/assets", headers=resident).json()["items"]] == [theirs["id"]]
    assert client.get(f"/api/v1/ecobank/assets/{ours['id']}", headers=resident).status_code == 403
    # Writes stay with staff and ecological banks.
    valuation = {"method": "income", "inputs": {"annual_net_income": 1000, "rate": 0.08}, "valuer": "me"}
    assert (
        client.post(f"/api/v1/ecobank/assets/{theirs['id']}/valuations", json=valuation, headers=resident).status_code
        == 403
    )
    assert client.get("/api/v1/ecobank/assets", headers=headers_for("resident")).status_code == 403  # no account
    assert client.get("/api/v1/ecobank/assets").status_code == 401


def test_valuations_history_and_ltv(client: TestClient, headers_for: Any) -> None:
    admin = headers_for("admin")
    body = asset_body("V-1", kind="forest_right", crop=None, area_mu="100", right_end="2099-12-31")
    asset = client.post("/api/v1/ecobank/assets", json=body, headers=admin).json()
    url = f"/api/v1/ecobank/assets/{asset['id']}"
    # The textbook orchard's figures on this asset: 5,196,283.28 元 over 76 years at 10 %.
    income = {
        "method": "income",
        "inputs": {"annual_net_income": 5200, "years": 76, "rate": "0.1", "area_mu": 100},
        "valuer": "衢州林业资产评估事务所",
        "valued_on": "2026-06-30",
    }
    stored = client.post(f"{url}/valuations", json=income, headers=admin)
    assert stored.status_code == 201, stored.text
    assert stored.json()["value_fen"] == 519_628_328
    assert stored.json()["method_version"] == "v1"
    cost = {
        "method": "cost",
        "inputs": {"replacement_cost": 3200, "condition_factor": "0.75", "quality_factor": "0.9", "area_mu": 100},
        "valuer": "复核",
        "valued_on": "2026-05-01",
    }
    assert client.post(f"{url}/valuations", json=cost, headers=admin).json()["value_fen"] == 21_600_000
    gep = {"method": "gep", "inputs": {"quantities": {"water_retention": 10000}}, "valuer": "生态环境局"}
    gep_row = client.post(f"{url}/valuations", json=gep, headers=admin).json()
    assert gep_row["per_year"] is True and gep_row["inputs"]["kind"] == "forest_right"
    # Given water retention 70,600.00 plus the per-亩 defaults (L) for the other forest services.
    assert gep_row["confidence"] == "L" and gep_row["value_fen"] > 7_060_000
    history = client.get(f"{url}/valuations", headers=admin).json()
    assert [v["method"] for v in history] == ["gep", "income", "cost"]
    # The current value is the latest money valuation (the older cost appraisal did not replace it).
    current = client.get(url, headers=admin).json()
    assert (current["value_fen"], current["valued_on"]) == (519_628_328, "2026-06-30")
    cap = client.get(f"{url}/ltv", headers=admin).json()
    assert (cap["ratio"], cap["max_loan_fen"]) == ("0.6", 311_776_996)  # 0.6 × 5,196,283.28 元, rounded down


def test_valuation_refusals(client: TestClient, headers_for: Any) -> None:
    admin = headers_for("admin")
    asset = client.post("/api/v1/ecobank/assets", json=asset_body("R-1", right_end=None), headers=admin).json()
    url = f"/api/v1/ecobank/assets/{asset['id']}/valuations"
    gep = {"method": "gep", "inputs": {}, "valuer": "x"}
    assert client.post(url, json=gep, headers=admin).status_code == 422  # GEP is for forest and water
    no_years = {"method": "income", "inputs": {"annual_net_income": 1, "rate": "0.08"}, "valuer": "x"}
    answer = client.post(url, json=no_years, headers=admin)  # no right_end to take the years from
    assert answer.status_code == 422 and "years" in answer.json()["detail"]
    future = {"method": "cost", "inputs": {"replacement_cost": 1, "condition_factor": 1}, "valuer": "x",
              "valued_on": "2999-01-01"}  # fmt: skip
    assert client.post(url, json=future, headers=admin).status_code == 422
    assert client.get(f"/api/v1/ecobank/assets/{asset['id']}/valuations", headers=admin).json() == []


def test_documents_keep_their_sha256(client: TestClient, headers_for: Any) -> None:
    admin = headers_for("admin")
    asset = client.post("/api/v1/ecobank/assets", json=asset_body("D-1"), headers=admin).json()
    url = f"/api/v1/ecobank/assets/{asset['id']}/documents"
    content = "林权证扫描件".encode() * 100
    uploaded = client.post(url, files={"file": ("林权证.pdf", content, "application/pdf")}, headers=admin)
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["sha256"] == hashlib.sha256(content).hexdigest()
    listed = client.get(url, headers=admin).json()
    assert [d["size_bytes"] for d in listed] == [len(content)]
    fetched = client.get(f"{url}/{listed[0]['id']}", headers=admin)
    assert fetched.content == content and fetched.headers["x-content-sha256"] == hashlib.sha256(content).hexdigest()
    assert client.post(url, files={"file": ("empty.pdf", b"", "application/pdf")}, headers=admin).status_code == 422
    resident = headers_for("resident")
    assert client.post(url, files={"file": ("x.pdf", b"x", "application/pdf")}, headers=resident).status_code == 403


def test_the_calculator(client: TestClient, headers_for: Any) -> None:
    headers = headers_for("bank")
    answer = client.post(
        "/api/v1/ecobank/value/income",
        json={"annual_net_income": 5200, "years": 76, "rate": 0.1, "area_mu": 100},
        headers=headers,
    )
    assert answer.status_code == 200
    assert Decimal(str(answer.json()["value"])) == Decimal("5196283.28")
    bad = client.post("/api/v1/ecobank/value/income", json={"annual_net_income": 1, "years": 1}, headers=headers)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert client.post("/api/v1/ecobank/value/income", json={}).status_code == 401
    methods = client.get("/api/v1/ecobank/methods", headers=headers).json()
    assert methods["ltv_caps"]["forest_right"]["ratio"] == "0.6"
