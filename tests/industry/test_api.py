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
    # ordered by USCC: make_uscc(100) … make_uscc(106) are A … G
    assert [i["uscc"] for i in page["items"]] == [U["A"], U["B"], U["C"]]
    first = page["items"][0]
    assert (first["county_name_zh"], first["county_name_en"]) == ("江山市", "Jiangshan City")
    assert (first["industry_name_zh"], first["industry_name_en"]) == (
        "有机化学原料制造",
        "Organic chemical raw materials",
    )
    assert (first["year"], first["total_co2_t"], first["label"]) == (2024, 500, "dark_green")
    second = client.get(f"{API}/enterprises", params={"limit": 3, "offset": 6}, headers=staff).json()
    assert [i["uscc"] for i in second["items"]] == [U["G"]]
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
    # A now 500 + 3.0959 t (1 t diesel): division 26 benchmark 6,003.0959 t / 5,000 万元 = 1.200619;
    # A's K = 0.503096 / 1.200619 = 0.419, falling from 0.6 -> still dark green; the others as before.
    assert run["enterprises"] == 7 and run["replaced"] == 0
    assert run["counts"] == {"dark_green": 1, "light_green": 2, "yellow": 3, "red": 1}
    account = client.get(f"{API}/enterprises/{U['A']}/account", params={"year": 2024}, headers=staff).json()
    assert account["energy_co2_t"] == 3.0959 and account["label"]["explanation"]["k_ratio"] == 0.419
    assert account["label"]["explanation"]["benchmark_t_per_wan"] == 1.200619
    versions = client.get(f"{API}/enterprises/{U['A']}/versions", params={"year": 2024}, headers=staff).json()
    assert [(v["kind"], v["month"], v["version"], v["is_current"], v["rows"]) for v in versions] == [
        ("energy", 5, 1, True, 1),
        ("process", None, 1, True, 1),
        ("annual", None, 1, True, 1),
    ]


def test_oversized_upload_is_a_413_problem(client: TestClient, session: Session, headers_for, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    build_region(session)
    session.commit()
    monkeypatch.setattr(service, "MAX_UPLOAD_BYTES", 100)
    content = csv_bytes(ENERGY_HEADER, [(U["A"], 2024, m, "diesel", "1", "t", "metered") for m in range(1, 4)])
    assert len(content) > 100
    staff = headers_for("regulator")
    refused = client.post(f"{API}/imports/energy", files={"file": ("e.csv", content, "text/csv")}, headers=staff)
    assert refused.status_code == 413 and refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"].endswith("/payload-too-large")
