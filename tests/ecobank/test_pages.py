"""The registry and asset pages over HTTP on both databases: filters, export, scope, Chinese text."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from greenfin.auth.models import AuditEvent
from greenfin.http import SESSION_COOKIE
from tests.ecobank.test_registry import asset_body


def _login(client: TestClient, headers: dict[str, str]) -> None:
    client.cookies.set(SESSION_COOKIE, headers["Authorization"].removeprefix("Bearer "))


def _seed(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    orchard = client.post("/api/v1/ecobank/assets", json=asset_body("P-1"), headers=headers).json()
    forest = asset_body(
        "P-2",
        kind="forest_right",
        crop=None,
        name="开化林场林权",
        county_code="330824",
        township_code="330824100",
        village_code="330824100001",
    )
    forest_asset = client.post("/api/v1/ecobank/assets", json=forest, headers=headers).json()
    valuation = {"method": "income", "inputs": {"annual_net_income": 5200, "rate": "0.08"}, "valuer": "评估所"}
    client.post(f"/api/v1/ecobank/assets/{orchard['id']}/valuations", json=valuation, headers=headers)
    gep = {"method": "gep", "inputs": {"quantities": {"water_retention": 1000}}, "valuer": "生态环境局"}
    client.post(f"/api/v1/ecobank/assets/{forest_asset['id']}/valuations", json=gep, headers=headers)
    return {"orchard": orchard, "forest": forest_asset}


def test_registry_filters_and_export(client: TestClient, headers_for: Any, session: Session) -> None:
    admin = headers_for("admin")
    seeded = _seed(client, admin)
    _login(client, admin)
    page = client.get("/ecobank/assets")
    assert page.status_code == 200
    assert "同弓乡胡柚园" in page.text and "开化林场林权" in page.text
    assert "常山县" in page.text and "开化县" in page.text  # county names, not codes
    assert ">forest_right<" not in page.text and ">orchard<" not in page.text  # names, not enum values
    only_forest = client.get("/ecobank/assets", params={"kind": "forest_right"}, headers={"HX-Request": "true"})
    assert "开化林场林权" in only_forest.text and "同弓乡胡柚园" not in only_forest.text
    assert "<html" not in only_forest.text  # the fragment only
    exported = client.get("/ecobank/assets.csv", params={"county": "330822"})
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["资产编号", "资产", "资产类型"]
    assert [row[0] for row in rows[1:]] == [seeded["orchard"]["id"]]
    assert rows[1][2] == "果园" and rows[1][7] == "120.500"
    exports = session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all()
    assert [event.entity_type for event in exports] == ["ecobank_asset"]  # who exported the registry is on record


def test_asset_page_shows_value_gep_and_history(client: TestClient, headers_for: Any) -> None:
    admin = headers_for("admin")
    seeded = _seed(client, admin)
    _login(client, admin)
    forest = client.get(f"/ecobank/assets/{seeded['forest']['id']}")
    assert forest.status_code == 200
    assert "生态产品总值（GEP，每年）" in forest.text and "生态产品总值核算" in forest.text
    orchard = client.get(f"/ecobank/assets/{seeded['orchard']['id']}")
    assert "收益现值法" in orchard.text and "评估所" in orchard.text
    assert "评估价值的 60%" in orchard.text  # forest and orchard: 60 % of the appraised value


def test_pages_refuse_strangers(client: TestClient, headers_for: Any) -> None:
    seeded = _seed(client, headers_for("admin"))
    assert client.get("/ecobank/assets", follow_redirects=False).status_code == 303  # to the login form
    _login(client, headers_for("bank"))
    answer = client.get(f"/ecobank/assets/{seeded['orchard']['id']}")
    assert answer.status_code == 403 and "<html" in answer.text
    assert client.get("/ecobank/assets").text.count('data-kind="') == 0  # a bank owns nothing here
