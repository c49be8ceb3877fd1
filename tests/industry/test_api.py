"""The industry API over HTTP: lists, accounts, problems, scope refusals, upload, labelling."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from greenfin.industry import service
from tests.conftest import make_organisation
from tests.industry.factories import ENERGY_HEADER, STAFF, csv_bytes
from tests.industry.test_batch import U, build_region

API = "/api/v1/industry"


def test_list_pages_and_filters(client: TestClient, session: Session, headers_for) -> None:  # type: ignore[no-untyped-def]
    build_region(session)
    service.label_all(session, STAFF, year=2024)
    session.commit()
    staff = headers_for("regulator")
    page = client.get(f"{API}/enterprises", params={"limit": 3}, headers=staff).json()
    assert page["total"] == 7 and len(page["items"]) == 3 and page["offset"] == 0
    assert page["items"][0]["uscc"] == sorted(U.values())[0]
    second = client.get(f"{API}/enterprises", params={"limit": 3, "offset": 6}, headers=staff).json()
    assert len(second["items"]) == 1
    red = client.get(f"{API}/enterprises", params={"label": "red", "year": 2024}, headers=staff).json()
    assert [i["uscc"] for i in red["items"]] == [U["E"]] and red["items"][0]["total_co2_t"] == 2500
    cement = client.get(f"{API}/enterprises", params={"industry": "30"}, headers=staff).json()
    assert [i["uscc"] for i in cement["items"]] == [U["F"]]
    named = client.get(f"{API}/enterprises", params={"q": "企业C", "county": "330881"}, headers=staff).json()
    assert [i["uscc"] for i in named["items"]] == [U["C"]]
    assert client.get(f"{API}/enterprises", params={"county": "330802"}, headers=staff).json()["total"] == 0


def test_account_json_and_problems(client: TestClient, session: Session, headers_for) -> None:  # type: ignore[no-untyped-def]
    build_region(session)
    service.label_all(session, STAFF, year=2024)
    session.commit()
    staff = headers_for("admin")
    body = client.get(f"{API}/enterprises/{U['A']}/account", params={"year": 2024}, headers=staff).json()
    assert body["total_co2_t"] == 500 and body["process_co2_t"] == 500 and body["energy_co2_t"] == 0
    assert body["intensities"]["added_value_t_per_wan"] == 0.5
    assert body["label"]["label"] == "dark_green" and body["label"]["explanation"]["k_ratio"] == 0.417
    assert body["enterprise"]["county"]["name_zh"] == "江山市"
    assert [h["year"] for h in body["history"]] == [2024, 2023]
    unknown = client.get(f"{API}/enterprises/{U['A'][:-2]}XX/account", params={"year": 2024}, headers=staff)
    assert unknown.status_code == 404 and unknown.headers["content-type"] == "application/problem+json"
    overview = client.get(f"{API}/overview", params={"year": 2024}, headers=staff).json()
    assert overview["counts"] == {"dark_green": 1, "light_green": 2, "yellow": 3, "red": 1}
    assert overview["top_emitters"][0]["uscc"] == U["F"]
    assert {g["code"] for g in overview["by_industry"]} == {"26", "30"}
    labels = client.get(f"{API}/enterprises/{U['C']}/labels", headers=staff).json()
    assert labels[0]["explanation"]["next_label"]["label"] == "light_green"


def test_scope_refusals(client: TestClient, session: Session, headers_for) -> None:  # type: ignore[no-untyped-def]
    build_region(session)
    own = make_organisation(session, kind="enterprise", code=U["A"])
    session.commit()
    enterprise = headers_for("enterprise", own)
    url = f"{API}/enterprises/{{}}/account"
    assert client.get(url.format(U["A"]), params={"year": 2024}, headers=enterprise).status_code == 200
    assert client.get(url.format(U["B"]), params={"year": 2024}, headers=enterprise).status_code == 403
    listed = client.get(f"{API}/enterprises", headers=enterprise).json()
    assert [i["uscc"] for i in listed["items"]] == [U["A"]]
    for role in ("bank", "resident"):
        refused = client.get(url.format(U["A"]), params={"year": 2024}, headers=headers_for(role))
        assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
        assert client.get(f"{API}/enterprises", headers=headers_for(role)).status_code == 403
    assert client.get(url.format(U["A"]), params={"year": 2024}).status_code == 401
    assert client.post(f"{API}/labels/2024", headers=enterprise).status_code == 403
    assert client.get(f"{API}/overview", params={"year": 2024}, headers=enterprise).status_code == 403


def test_upload_and_label_over_http(client: TestClient, session: Session, headers_for) -> None:  # type: ignore[no-untyped-def]
    build_region(session)
    session.commit()
    staff = headers_for("regulator")
    content = csv_bytes(ENERGY_HEADER, [(U["A"], 2024, 5, "diesel", "1", "t", "metered")])
    created = client.post(f"{API}/imports/energy", files={"file": ("e.csv", content, "text/csv")}, headers=staff)
    assert created.status_code == 201 and created.json()["rows"] == 1
    bad = csv_bytes(ENERGY_HEADER, [(U["A"], 2024, 5, "diesel", "-1", "t", "metered")])
    refused = client.post(f"{API}/imports/energy", files={"file": ("e.csv", bad, "text/csv")}, headers=staff)
    assert refused.status_code == 422 and refused.json()["errors"][0]["row"] == 2
    run = client.post(f"{API}/labels/2024", headers=staff).json()
    assert run["enterprises"] == 7 and sum(run["counts"].values()) == 7
    versions = client.get(f"{API}/enterprises/{U['A']}/versions", params={"year": 2024}, headers=staff).json()
    assert {v["kind"] for v in versions} == {"energy", "process", "annual"}
