"""Issue 16, part 6: every finding of the attack on hostile input, replayed on both databases.

Each one gave a 500 (or took a whole batch down) before; each must now be refused as it should:
422 naming the field, 413 for a body over its cap, a bad event rejected alone in its batch.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from greenfin.personal.models import Event, IntakeBatch, LedgerEntry
from greenfin.settings import Settings
from tests.conftest import PASSWORD, make_user
from tests.personal.conftest import ID_A, Bank, Resident, make_bank, make_resident

PROBLEM = "application/problem+json"


@pytest.fixture
def bank(session: Session) -> Bank:
    return make_bank(session, "QZB01")


@pytest.fixture
def resident(session: Session, settings: Settings) -> Resident:
    return make_resident(session, settings, "resident-a", ID_A)


def _refused(response, status: int = 422, location: str | None = None) -> dict:  # type: ignore[no-untyped-def, type-arg]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    if location is not None:
        locations = [e.get("location") or e.get("field") for e in body.get("errors", [])]
        assert any(location in str(where) for where in locations), body
    return body


def _event(external_id: str, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "source": "QZB01",
        "external_id": external_id,
        "id_number": ID_A,
        "scenario": "bus_ride",
        "occurred_at": "2026-03-02T08:15:00+08:00",
        "amount_fen": 200,
    }
    body.update(changes)
    return body


# --- NUL bytes -------------------------------------------------------------------------------


def test_a_nul_byte_in_the_login_form_is_refused_not_a_500(client: TestClient, session: Session) -> None:
    make_user(session, "alice", "admin")
    session.commit()
    _refused(client.post("/api/v1/auth/token", data={"username": "ali\x00ce", "password": PASSWORD}), location="body")
    _refused(client.post("/api/v1/auth/token", data={"username": "alice", "password": "x\x00"}), location="body")
    _refused(client.post("/login", data={"username": "ali\x00ce", "password": PASSWORD}), location="body")


def test_a_browser_gets_a_readable_page_for_a_nul_byte_or_an_oversized_form(client: TestClient) -> None:
    """A page's form (login, registration …) refused by the input guard answers HTML in the page's language."""
    html = {"Accept": "text/html,application/xhtml+xml", "Content-Type": "application/x-www-form-urlencoded"}
    answer = client.post("/login", content=b"username=a%00b&password=x", headers=html)
    assert answer.status_code == 422 and answer.headers["content-type"].startswith("text/html")
    assert "空字符（NUL）" in answer.text and "problem" not in answer.text
    client.cookies.set("lang", "en")
    english = client.post("/register", content=b"name=%00", headers=html)
    assert english.status_code == 422 and "invisible NUL character" in english.text
    client.cookies.clear()
    too_big = client.post("/login", content=b"username=" + b"a" * 2_000_000, headers=html)
    assert too_big.status_code == 413 and "超过了允许的大小" in too_big.text
    # the API keeps problem+json
    _refused(client.post("/api/v1/auth/token", content=b"username=a%00b&password=x", headers=html), location="body")


def test_a_nul_byte_in_json_a_query_or_a_path_is_refused(client: TestClient, headers_for) -> None:  # type: ignore[no-untyped-def]
    admin = headers_for("admin")
    farm = {"farm_type": "pig_farm", "name": "猪场\u0000", "county_code": "330881", "township": "x"}
    _refused(client.post("/api/v1/agriculture/farms", json=farm, headers=admin), location="body")
    _refused(client.get("/api/v1/industry/enterprises?county=33%00", headers=admin), location="query")
    _refused(client.get("/api/v1/personal/accounts/a%00b", headers=admin), location="path")


# --- size and depth ---------------------------------------------------------------------------


def test_a_body_over_its_cap_is_413_problem_json_whether_announced_or_not(
    client: TestClient, settings: Settings, headers_for
) -> None:  # type: ignore[no-untyped-def]
    admin = headers_for("admin")
    big = b'{"year": 2023, "region": "330881", "items": [' + b'{"energy": "diesel"},' * 60_000 + b"{}]}"
    assert len(big) > settings.max_body_bytes
    headers = {**admin, "content-type": "application/json"}
    _refused(client.post("/api/v1/carbon/calculations", content=big, headers=headers), 413, location="body")

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for start in range(0, len(big), 65_536):
            yield big[start : start + 65_536]

    _refused(client.post("/api/v1/carbon/calculations", content=chunks(), headers=headers), 413)


def test_an_agricultural_upload_is_capped(client: TestClient, settings: Settings, headers_for) -> None:  # type: ignore[no-untyped-def]
    client.app.state.settings = settings.model_copy(update={"max_upload_bytes": 64 * 1024})  # type: ignore[attr-defined]
    admin = headers_for("admin")
    content = b"farm,year\n" + b"x,2025\n" * 20_000
    files = {"file": ("farms.csv", content, "text/csv")}
    _refused(client.post("/api/v1/agriculture/imports", files=files, headers=admin), 413)


def test_a_batch_intake_may_be_larger_than_a_plain_request(
    client: TestClient, session: Session, settings: Settings, bank: Bank, resident: Resident
) -> None:
    events = [_event(f"E{i}") for i in range(8_000)]
    body = json.dumps({"events": events}).encode()
    assert settings.max_body_bytes < len(body) < settings.max_batch_body_bytes
    headers = {**bank.headers, "content-type": "application/json"}
    answer = client.post("/api/v1/personal/events/batch", content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == 8_000


def test_deeply_nested_json_is_refused(client: TestClient, headers_for) -> None:  # type: ignore[no-untyped-def]
    admin = headers_for("admin")
    deep = b'{"year": 2023, "region": ' + b"[" * 100_000 + b"]" * 100_000 + b', "items": []}'
    headers = {**admin, "content-type": "application/json"}
    body = _refused(client.post("/api/v1/carbon/calculations", content=deep, headers=headers), location="body")
    assert "deeper than" in body["detail"]


# --- numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("quantity", [1e308, "1" * 5_000, "0." + "1" * 5_000])
def test_an_enormous_quantity_is_422_naming_the_field(client: TestClient, headers_for, quantity: object) -> None:  # type: ignore[no-untyped-def]
    admin = headers_for("admin")
    calc = {"year": 2023, "region": "330881", "items": [{"energy": "diesel", "quantity": quantity, "unit": "t"}]}
    answer = client.post("/api/v1/carbon/calculations", json=calc, headers=admin)
    assert answer.status_code in (200, 422), answer.text  # per item or the whole request, never 500
    if answer.status_code == 200:
        assert answer.json()["results"][0]["ok"] is False
    farm = {"farm_type": "grain_grower", "name": "x", "county_code": "330881", "township": "x", "area_mu": quantity}
    _refused(client.post("/api/v1/agriculture/farms", json=farm, headers=admin), location="body.area_mu")
    what_if = {"uscc": "91330881MA2APXFA0X", "changes": [{"kind": "solar", "kwh": quantity}]}
    _refused(client.post("/api/v1/finance/what-if/enterprise", json=what_if, headers=admin), location="kwh")


@pytest.mark.parametrize("offset", ["1e20", str(10**20), str(2**63), "-1"])
def test_an_offset_out_of_range_is_422(client: TestClient, headers_for, offset: str) -> None:  # type: ignore[no-untyped-def]
    admin = headers_for("admin")
    _refused(client.get(f"/api/v1/industry/enterprises?offset={offset}", headers=admin), location="query.offset")
    _refused(client.get(f"/api/v1/audit?offset={offset}", headers=admin), location="query.offset")


def test_out_of_range_integers_are_422_naming_the_field(client: TestClient, bank: Bank, headers_for) -> None:  # type: ignore[no-untyped-def]
    admin = headers_for("admin")
    _refused(client.post("/api/v1/personal/events", json=_event("X", amount_fen=2**63), headers=bank.headers),
             location="amount_fen")  # fmt: skip
    farm = {"farm_type": "pig_farm", "name": "x", "county_code": "330881", "township": "x", "herd_heads": 2**40}
    _refused(client.post("/api/v1/agriculture/farms", json=farm, headers=admin), location="herd_heads")
    _refused(client.post("/api/v1/agriculture/farms/x/assessments/99999999999", headers=admin), location="year")


def test_a_year_one_timestamp_is_rejected_not_a_500(
    client: TestClient, session: Session, bank: Bank, resident: Resident, headers_for
) -> None:  # type: ignore[no-untyped-def]
    for at in ("0001-01-01T00:00:00+08:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"):
        answer = client.post("/api/v1/personal/events", json=_event(f"Y{at[:4]}", occurred_at=at), headers=bank.headers)
        _refused(answer)
    consent = {"bank_code": "QZB01", "expires_at": "0001-01-01T00:00:00+08:00"}
    answer = client.post("/api/v1/finance/consents", json=consent, headers=headers_for("enterprise"))
    assert answer.status_code in (403, 422), answer.text


def test_a_staff_correction_of_two_to_the_62_points_is_refused_and_breaks_nothing(
    client: TestClient, session: Session, resident: Resident, headers_for
) -> None:  # type: ignore[no-untyped-def]
    admin = headers_for("admin")
    url = f"/api/v1/personal/accounts/{resident.ref}/corrections"
    _refused(client.post(url, json={"points": 2**62, "reason": "overflow"}, headers=admin), location="points")
    _refused(client.post(url, json={"points": -(2**62), "reason": "overflow"}, headers=admin), location="points")
    _refused(client.post(url, json={"corrects_seq": 2**40, "reason": "overflow"}, headers=admin), location="seq")
    assert session.scalar(select(func.count()).select_from(LedgerEntry)) == 0
    assert client.get(f"/api/v1/personal/accounts/{resident.ref}", headers=admin).status_code == 200
    assert client.get("/api/v1/personal/overview", headers=admin).status_code == 200
    ok = client.post(url, json={"points": 100, "reason": "goodwill"}, headers=admin)
    assert ok.status_code == 201, ok.text


# --- batches ---------------------------------------------------------------------------------


def test_one_bad_event_is_refused_alone_in_a_batch_of_ten_thousand(
    client: TestClient, session: Session, bank: Bank, resident: Resident
) -> None:
    events = [_event(f"B{i}") for i in range(10_000)]
    events[4_321] = _event("B4321", amount_fen=-5)  # a schema error in one event
    events[7_000] = {"external_id": "B7000"}  # fields missing
    answer = client.post("/api/v1/personal/events/batch", json={"events": events}, headers=bank.headers)
    assert answer.status_code == 200, answer.text
    read = answer.json()
    assert (read["accepted"], read["rejected"]) == (9_998, 2)
    assert [r["index"] for r in read["results"]] == list(range(10_000))
    bad = read["results"][4_321]
    assert (bad["external_id"], bad["status"]) == ("B4321", "rejected") and "amount_fen" in bad["reason"]
    assert read["results"][7_000]["status"] == "rejected"
    assert read["results"][4_322]["status"] == "accepted"
    assert session.scalar(select(func.count()).select_from(Event)) == 9_998
    # the stored delivery adds up to what was sent: the schema's refusals are among its rejected
    stored = session.scalars(select(IntakeBatch)).one()
    assert (stored.accepted, stored.duplicates, stored.rejected) == (9_998, 0, 2)


def test_a_batch_that_is_not_a_batch_is_still_refused_whole(client: TestClient, bank: Bank) -> None:
    too_many = {"events": [_event(f"T{i}") for i in range(10_001)]}
    _refused(client.post("/api/v1/personal/events/batch", json=too_many, headers=bank.headers), location="events")
    _refused(client.post("/api/v1/personal/events/batch", json={"events": "no"}, headers=bank.headers))
