"""The points ledger: hash chain and tamper detection, balance as of a day, expiry, corrections."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from greenfin.auth.service import SYSTEM
from greenfin.errors import Conflict
from greenfin.personal import service
from greenfin.personal.models import LedgerEntry
from greenfin.personal.rules import ExpiryMode, ExpiryRule
from greenfin.settings import Settings
from tests.personal.conftest import NOW, Bank, Resident, deliver, event

TWO_YEARS = ExpiryRule(version="t", mode=ExpiryMode.CALENDAR_YEARS, n=2, note="test")


def earn(session: Session, settings: Settings, bank: Bank, day: str, eid: str, scenario: str = "bus_ride") -> None:
    result = deliver(
        session,
        bank.principal,
        settings=settings,
        events=[event(eid, scenario=scenario, at=f"{day}T09:00:00+08:00")],
        now=NOW,
    )
    assert result.accepted == 1


def account(session: Session, resident: Resident):  # type: ignore[no-untyped-def]
    return service.account_for(session, resident.principal, "me")


def test_tampering_is_detected(session: Session, settings: Settings, bank: Bank, resident: Resident) -> None:
    for i, day in enumerate(("2026-01-05", "2026-01-06", "2026-01-07")):
        earn(session, settings, bank, day, f"E{i}")
    session.flush()
    assert service.verify(session) == (1, 3, [])
    session.execute(
        text("UPDATE personal_ledger SET points = 120 WHERE account_id = :a AND seq = 2"), {"a": resident.account_id}
    )
    session.expire_all()
    accounts, entries, breaks = service.verify(session)
    assert (accounts, entries) == (1, 3)
    assert [(b.seq, b.reason) for b in breaks] == [(2, "hash")]


def test_deleting_an_entry_breaks_the_chain(
    session: Session, settings: Settings, bank: Bank, resident: Resident
) -> None:
    for i, day in enumerate(("2026-01-05", "2026-01-06", "2026-01-07")):
        earn(session, settings, bank, day, f"E{i}")
    session.execute(text("DELETE FROM personal_ledger WHERE seq = 2"))
    _, _, breaks = service.verify(session)
    assert {(b.seq, b.reason) for b in breaks} == {(3, "seq"), (3, "prev_hash")}


def test_balance_as_of_a_day(session: Session, settings: Settings, bank: Bank, resident: Resident) -> None:
    earn(session, settings, bank, "2026-01-05", "E1")  # 12
    earn(session, settings, bank, "2026-01-07", "E2", scenario="recycling_pickup")  # 210
    acc = account(session, resident)
    assert service.balance_as_of(session, acc, as_of=date(2026, 1, 4)) == 0
    assert service.balance_as_of(session, acc, as_of=date(2026, 1, 5)) == 12
    assert service.balance_as_of(session, acc, as_of=date(2026, 1, 6)) == 12
    assert service.balance_as_of(session, acc, as_of=date(2026, 1, 7)) == 222


def test_history_filters_and_pages(session: Session, settings: Settings, bank: Bank, resident: Resident) -> None:
    earn(session, settings, bank, "2026-01-05", "E1")
    earn(session, settings, bank, "2026-01-06", "E2", scenario="recycling_pickup")
    earn(session, settings, bank, "2026-01-07", "E3")
    acc = account(session, resident)
    rows, total = service.history(session, acc, kind=None, scenario="bus_ride", offset=0, limit=1)
    assert (total, [r.earned_on.isoformat() for r in rows]) == (2, ["2026-01-07"])
    rows, total = service.history(
        session,
        acc,
        kind="earn",
        scenario=None,
        first_day=date(2026, 1, 6),
        last_day=date(2026, 1, 6),
        offset=0,
        limit=10,
    )
    assert (total, [r.points for r in rows]) == (1, [210])


def test_expiry_is_idempotent(session: Session, settings: Settings, bank: Bank, resident: Resident) -> None:
    earn(session, settings, bank, "2023-06-01", "OLD1", scenario="recycling_pickup")  # 210, lapses 2026-01-01
    earn(session, settings, bank, "2024-02-01", "MID1")  # 12, lapses 2027-01-01
    acc = account(session, resident)
    assert service.expire(session, SYSTEM, as_of=date(2025, 12, 31), rule=TWO_YEARS)["points"] == 0
    first = service.expire(session, SYSTEM, as_of=date(2026, 1, 1), rule=TWO_YEARS)
    again = service.expire(session, SYSTEM, as_of=date(2026, 1, 1), rule=TWO_YEARS)
    assert (first["accounts"], first["points"], first["cutoff"]) == (1, 210, "2023-12-31")
    assert (again["accounts"], again["points"]) == (0, 0)
    assert service.balance_as_of(session, acc, as_of=date(2025, 12, 31)) == 222
    assert service.balance_as_of(session, acc, as_of=date(2026, 1, 1)) == 12
    assert service.verify(session)[2] == []


def test_expiry_takes_redeemed_points_first(
    session: Session, settings: Settings, bank: Bank, resident: Resident
) -> None:
    earn(session, settings, bank, "2023-06-01", "OLD1", scenario="recycling_pickup")  # 210
    earn(session, settings, bank, "2024-02-01", "MID1", scenario="recycling_pickup")  # 210
    acc = account(session, resident)
    service.correct(session, SYSTEM, ref=acc.ref, reason="manual redemption by phone", points=-150)
    # The 150 spent (today, 2026) came out of the oldest points: of the 210 earned in 2023 only
    # 60 are left to lapse when the expiry runs at the end of 2026; 210 (earned in 2024) remain.
    assert service.expire(session, SYSTEM, as_of=date(2026, 12, 31), rule=TWO_YEARS)["points"] == 60
    assert service.balance_as_of(session, acc, as_of=None) == 210


def test_a_reversal_points_at_what_it_corrects(
    session: Session, settings: Settings, bank: Bank, resident: Resident
) -> None:
    earn(session, settings, bank, "2026-01-05", "E1", scenario="recycling_pickup")
    acc = account(session, resident)
    entry = service.correct(session, SYSTEM, ref=acc.ref, reason="pickup was cancelled", corrects_seq=1)
    original = session.scalars(select(LedgerEntry).where(LedgerEntry.seq == 1)).one()
    assert (entry.kind, entry.points, entry.avoided_co2_g, entry.corrects_id, entry.reason) == (
        "reverse",
        -210,
        -2100,
        original.id,
        "pickup was cancelled",
    )
    assert service.balance_as_of(session, acc, as_of=None) == 0
    with pytest.raises(Conflict):
        service.correct(session, SYSTEM, ref=acc.ref, reason="too much", points=-1)
