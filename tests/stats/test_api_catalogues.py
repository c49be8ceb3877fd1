"""Green use catalogues over HTTP: any signed-in principal reads them; nobody anonymous."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

URL = "/api/v1/stats/catalogues"


def test_read_lookup_and_counterparts(client: TestClient, headers_for: Any) -> None:
    h = headers_for("enterprise")
    top = client.get(f"{URL}/gic-2019/categories", headers=h)
    assert top.status_code == 200
    assert [c["name"] for c in top.json()][:2] == ["节能环保产业", "清洁生产产业"]
    found = client.get(f"{URL}/gic-2019/categories/4.1.6", headers=h).json()
    assert found["name"] == "碳汇林、植树种草及林木种苗花卉"
    assert [a["code"] for a in found["ancestors"]] == ["4", "4.1"]
    mapped = client.get(f"{URL}/gic-2019/categories/1.1.8/counterparts", params={"target": "glt-2024"}, headers=h)
    assert mapped.status_code == 200
    (counterpart,) = mapped.json()["counterparts"]
    assert (counterpart["name"], counterpart["relation"]) == ("节能降碳产业", "broader")


def test_refusals(client: TestClient, headers_for: Any) -> None:
    assert client.get(f"{URL}/gic-2019/categories").status_code == 401
    h = headers_for("bank")
    unknown = client.get(f"{URL}/gic-2019/categories/9.9", headers=h)
    assert unknown.status_code == 422
    assert "not in green use catalogue gic-2019" in unknown.json()["detail"]
    assert client.get(f"{URL}/GIC/categories", headers=h).status_code == 422
    assert client.get(f"{URL}/gic-2015/categories", headers=h).status_code == 422
