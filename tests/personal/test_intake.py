"""Event intake through the service and the API: acceptance, idempotency, caps and every refusal."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from greenfin.auth import service as auth
from greenfin.errors import Forbidden
from greenfin.personal import repository as repo
from greenfin.personal import service
from greenfin.personal.models import Event, LedgerEntry
from greenfin.personal.rules import award_day
from greenfin.settings import Settings
from tests.personal.conftest import BAD_CHECKSUM, ID_B, NOW, Bank, Resident, deliver, event, hours_later


def intake(session: Session, settings: Settings, bank: Bank, events):  # type: ignore[no-untyped-def]
    return deliver(session, bank.principal, settings=settings, events=events, now=NOW)


def test_one_bus_ride_earns_12_points_and_123_g(
    session: Session, settings: Settings, bank: Bank, resident: Resident
) -> None:
    result = intake(session, settings, bank, [event("E1")])
    assert (result.accepted, result.duplicates, result.rejected) == (1, 0, 0)
    assert (result.results[0].points, result.results[0].avoided_co2_g) == (12, 123)
    (entry,) = session.scalars(select(LedgerEntry).where(LedgerEntry.account_id == resident.account_id)).all()
    assert (entry.kind, entry.points, entry.avoided_co2_g, entry.seq, entry.prev_hash) == ("earn", 12, 123, 1, None)
    assert entry.earned_on.isoformat() == "2026-03-02"


def test_a_repeated_delivery_counts_once(session: Session, settings: Settings, bank: Bank, resident: Resident) -> None:
    first = intake(session, settings, bank, [event("E1"), event("E1")])
    again = intake(session, settings, bank, [event("E1")])
    assert (first.accepted, first.duplicates) == (1, 1)
    assert (again.accepted, again.duplicates, again.batch_id is not None) == (0, 1, True)
    assert session.scalar(select(func.count()).select_from(Event)) == 1
    assert service.balance_as_of(session, service.account_for(session, resident.principal, "me"), as_of=None) == 12


def test_over_the_daily_cap_events_are_kept_but_earn_nothing(
    session: Session, settings: Settings, bank: Bank, resident: Resident
) -> None:
    # bus_ride: cap 4 a day. Six rides, delivered out of order: the four earliest earn 12 each.
    times = [hours_later("2026-03-02T07:00:00+08:00", h) for h in (5, 0, 3, 1, 4, 2)]
    result = intake(session, settings, bank, [event(f"R{i}", at=t) for i, t in enumerate(times)])
    assert result.accepted == 6
    by_id = {r.external_id: r for r in result.results}
    # Ranked by time: R1 (07:00), R3 (08:00), R5 (09:00), R2 (10:00) earn; R4 (11:00), R0 (12:00) are capped.
    assert [by_id[f"R{i}"].points for i in range(6)] == [0, 12, 12, 12, 0, 12]
    assert [by_id[f"R{i}"].capped for i in range(6)] == [True, False, False, False, True, False]
    assert session.scalar(select(func.count()).select_from(Event)) == 6
    # A seventh ride the same day, delivered later, earns nothing either; one the next day earns.
    later = intake(
        session,
        settings,
        bank,
        [event("R6", at="2026-03-02T06:00:00+08:00"), event("R7", at="2026-03-03T06:00:00+08:00")],
    )
    assert [r.points for r in later.results] == [0, 12]
    assert service.balance_as_of(session, service.account_for(session, resident.principal, "me"), as_of=None) == 60


def test_the_cap_day_is_the_shanghai_day(session: Session, settings: Settings, bank: Bank, resident: Resident) -> None:
    # 2026-03-01T23:30Z is 07:30 on 2 March in Shanghai: the same cap day as four rides at 01:00-04:00
    # on 2 March, so it is the fifth ride of that day and earns nothing (by the UTC day it would earn 12).
    rides = [event(f"S{i}", at=f"2026-03-02T0{i + 1}:00:00+08:00") for i in range(4)]
    result = intake(session, settings, bank, [*rides, event("S9", at="2026-03-01T23:30:00Z")])
    assert [r.points for r in result.results] == [12, 12, 12, 12, 0]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"scenario": "car_ride"}, "unknown scenario 'car_ride'"),
        ({"id_number": ID_B}, "unknown resident"),
        ({"id_number": BAD_CHECKSUM}, "not a valid resident ID number"),
        ({"at": "2026-03-03T21:00:00+08:00"}, "in the future"),
        ({"at": "2026-03-02 8:15"}, "malformed time"),
        ({"at": "2026-03-02T08:15:00"}, "a UTC offset is required"),
        ({"source": "QZB99"}, "wrong source 'QZB99'"),
    ],
)
def test_refused_events_change_nothing(
    session: Session, settings: Settings, bank: Bank, resident: Resident, changes: dict[str, str], reason: str
) -> None:
    result = intake(session, settings, bank, [event("X1", **changes)])  # type: ignore[arg-type]
    assert (result.accepted, result.rejected) == (0, 1)
    assert reason in (result.results[0].reason or "")
    assert session.scalar(select(func.count()).select_from(Event)) == 0
    assert session.scalar(select(func.count()).select_from(LedgerEntry)) == 0


def test_only_data_sources_deliver(session: Session, settings: Settings, resident: Resident) -> None:
    with pytest.raises(Forbidden):
        service.intake_events(session, resident.principal, settings=settings, events=[event("E1")], now=NOW)


def test_a_mixed_batch_answers_per_event(session: Session, settings: Settings, bank: Bank, resident: Resident) -> None:
    result = intake(
        session,
        settings,
        bank,
        [event("M1"), event("M2", scenario="nope"), event("M1"), event("M3", scenario="recycling_pickup")],
    )
    assert [r.status for r in result.results] == ["accepted", "rejected", "duplicate", "accepted"]
    assert (result.accepted, result.duplicates, result.rejected) == (2, 1, 1)
    # 12 (bus) + 210 (recycling) on one day: one earn entry of 222 points and 123 + 2100 g.
    (entry,) = session.scalars(select(LedgerEntry)).all()
    assert (entry.points, entry.avoided_co2_g) == (222, 2223)


def test_the_service_agrees_with_award_day(
    session: Session, settings: Settings, bank: Bank, resident: Resident
) -> None:
    cat = service.catalogue()
    scenario = cat.scenario("online_transfer", on=NOW.date())
    times = [NOW - timedelta(hours=30) + timedelta(minutes=7 * i) for i in range(13)]
    result = intake(
        session, settings, bank, [event(f"T{i}", scenario="online_transfer", at=t) for i, t in enumerate(times)]
    )
    reference = {eid: a.points for _, eid, a in award_day(scenario, [(t, f"T{i}") for i, t in enumerate(times)])}
    assert {r.external_id: r.points for r in result.results} == reference
    assert sum(reference.values()) == 20  # 10 transfers x 2 points, hand-computed


# --- over HTTP -------------------------------------------------------------------------------


def test_api_single_event_then_duplicate(client: TestClient, bank: Bank, resident: Resident) -> None:
    body = event("H1").model_dump()
    first = client.post("/api/v1/personal/events", json=body, headers=bank.headers)
    again = client.post("/api/v1/personal/events", json=body, headers=bank.headers)
    assert first.status_code == 201, first.text
    assert (first.json()["points"], first.json()["pending"]) == (12, True)
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")


def test_api_rejects_another_source_as_problem_json(client: TestClient, bank: Bank, resident: Resident) -> None:
    response = client.post(
        "/api/v1/personal/events", json=event("H2", source="OTHER").model_dump(), headers=bank.headers
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "wrong source" in response.json()["detail"]


def test_api_batch_is_pending_until_posted_then_capped(
    client: TestClient, session: Session, bank: Bank, resident: Resident
) -> None:
    events = [event(f"B{i}", at=f"2026-03-02T1{i}:00:00+08:00").model_dump() for i in range(6)]
    response = client.post("/api/v1/personal/events/batch", json={"events": events}, headers=bank.headers)
    assert response.status_code == 200, response.text
    data = response.json()
    assert (data["accepted"], data["duplicates"], data["rejected"]) == (6, 0, 0)
    # Accepted with the award before the cap, pending; nothing credited yet.
    assert [(r["points"], r["pending"]) for r in data["results"]] == [(12, True)] * 6
    me = client.get("/api/v1/personal/accounts/me/balance", headers=resident.headers).json()
    assert me["balance"] == 0
    assert me["pending_points"] == 72

    posting = service.post_pending(session, now=NOW)
    assert (posting.batches, posting.events, posting.capped, posting.entries) == (1, 6, 2, 1)
    # The cap (4 bus rides a day) in cap order: the two latest rides earn nothing.
    stored = dict(session.execute(select(Event.external_id, Event.points).order_by(Event.external_id)).all())
    assert stored == {"B0": 12, "B1": 12, "B2": 12, "B3": 12, "B4": 0, "B5": 0}
    me = client.get("/api/v1/personal/accounts/me/balance", headers=resident.headers).json()
    assert (me["balance"], me["pending_points"]) == (48, 0)
    assert service.post_pending(session, now=NOW).run_id is None  # nothing left: a second run credits nothing


def test_api_needs_a_data_source_key(client: TestClient, resident: Resident) -> None:
    response = client.post("/api/v1/personal/events", json=event("H3").model_dump(), headers=resident.headers)
    assert response.status_code == 403
    assert client.post("/api/v1/personal/events", json=event("H3").model_dump()).status_code == 401


def test_a_revoked_or_forged_key_cannot_deliver_even_after_a_cached_delivery(
    client: TestClient, session: Session, bank: Bank, resident: Resident
) -> None:
    assert (
        client.post("/api/v1/personal/events", json=event("K1").model_dump(), headers=bank.headers).status_code == 201
    )
    forged = {"X-API-Key": bank.key[:-4] + "AAAA"}
    assert client.post("/api/v1/personal/events", json=event("K2").model_dump(), headers=forged).status_code == 401
    auth.revoke_api_key(session, prefix=bank.key.split("_")[1])
    session.commit()
    refused = client.post("/api/v1/personal/events", json=event("K3").model_dump(), headers=bank.headers)
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert session.scalar(select(func.count()).select_from(Event)) == 1


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def test_an_id_number_in_full_width_digits_finds_the_same_account(
    session: Session, settings: Settings, bank: Bank, resident: Resident
) -> None:
    """Banks' systems sometimes send ０-９; accounts are keyed on stdnum's compact form, so it is the same person."""
    from tests.personal.conftest import ID_A

    result = intake(session, settings, bank, [event("FW1", id_number=ID_A.translate(FULL_WIDTH))])
    assert (result.accepted, result.rejected) == (1, 0)
    assert session.scalar(select(Event.account_id).where(Event.external_id == "FW1")) == resident.account_id


def test_api_single_event_refuses_bad_bodies_as_problem_json(client: TestClient, bank: Bank) -> None:
    url = "/api/v1/personal/events"
    broken = client.post(
        url, content=b'{"source": "QZB01"', headers={**bank.headers, "Content-Type": "application/json"}
    )
    missing = client.post(url, json={"source": "QZB01"}, headers=bank.headers)
    assert (broken.status_code, missing.status_code) == (422, 422)
    assert broken.headers["content-type"].startswith("application/problem+json")
    assert broken.json()["detail"] == "the request body is not valid JSON (the error is at character 18)"
    assert missing.json()["detail"] == "body.external_id: Field required (and 3 more)"


def test_api_batch_refuses_without_a_data_source_key_or_with_a_bad_body(
    client: TestClient, session: Session, bank: Bank, resident: Resident
) -> None:
    url = "/api/v1/personal/events/batch"
    body = {"events": [event("R1").model_dump()]}
    assert client.post(url, json=body).status_code == 401
    assert client.post(url, json=body, headers=resident.headers).status_code == 403
    broken = client.post(url, content=b'{"events": [', headers={**bank.headers, "Content-Type": "application/json"})
    empty = client.post(url, json={"events": []}, headers=bank.headers)
    too_many = client.post(
        url, json={"events": [event(f"M{i}").model_dump() for i in range(10_001)]}, headers=bank.headers
    )
    assert (broken.status_code, empty.status_code, too_many.status_code) == (422, 422, 422)
    assert all(r.headers["content-type"].startswith("application/problem+json") for r in (broken, empty, too_many))
    assert broken.json()["detail"] == "the request body is not valid JSON (the error is at character 12)"
    assert empty.json()["detail"].startswith("body.events: List should have at least 1 item")
    assert session.scalar(select(func.count()).select_from(Event)) == 0


def test_the_store_refuses_a_time_without_offset_and_keeps_nothing(
    session: Session, bank: Bank, resident: Resident
) -> None:
    """Both stores refuse a naive time (PostgreSQL would read it in the server's own zone)."""
    row = {
        "source": bank.code,
        "external_id": "naive-1",
        "account_id": resident.account_id,
        "scenario": "bus_ride",
        "catalogue_version": "2025.1",
        "occurred_at": datetime(2026, 3, 2, 8, 15),  # no offset
        "local_day": date(2026, 3, 2),
        "amount_fen": 200,
        "points": 12,
        "avoided_co2_g": 123,
        "capped": False,
    }
    with pytest.raises(Exception, match="naive datetime"):
        repo.store_api_delivery(session, [row], actor="key:QZB01", received_at=NOW, duplicates=0, rejected=0)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Event)) == 0
