"""File intake and posting runs: a file is posted when stored, after the API deliveries pending before it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from greenfin.cli import CLI_PRINCIPAL
from greenfin.personal import service
from greenfin.personal.intake import ingest_file
from greenfin.personal.models import Event, IntakeBatch, LedgerEntry
from greenfin.settings import Settings
from tests.personal.conftest import ID_A, NOW, Bank, Resident, event

HEADER = "source,external_id,id_number,scenario,occurred_at,amount_fen\n"


def write(path: Path, lines: list[str]) -> Path:
    path.write_text(HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_a_file_is_posted_in_its_own_transaction_and_never_pending(
    session: Session, settings: Settings, bank: Bank, resident: Resident, tmp_path: Path
) -> None:
    lines = [f"QZB01,F{i},{ID_A},bus_ride,2026-03-02T0{i + 1}:00:00+08:00,1" for i in range(2)]
    path = write(tmp_path / "f.csv", lines)
    summary = ingest_file(session, CLI_PRINCIPAL, settings=settings, path=path, now=NOW, chunk_rows=1)
    batch = session.get(IntakeBatch, summary["batch_id"])
    assert batch is not None and batch.posted_at is not None
    run = service.post_all_pending(session, now=NOW)
    assert (run.batches, run.events, run.entries) == (0, 0, 0)
    assert [e.points for e in session.scalars(select(LedgerEntry))] == [24]


def test_api_deliveries_pending_before_a_file_are_posted_first_and_keep_their_cap_slots(
    session: Session, settings: Settings, bank: Bank, resident: Resident, tmp_path: Path
) -> None:
    # Bus rides, cap 4 a day: three delivered by the API (pending), then a file with three
    # earlier rides of the same day. The API's three were delivered first: they keep their
    # slots; the file's first ride (in cap order) takes the last one, the other two are capped.
    read = service.intake_events(
        session,
        bank.principal,
        settings=settings,
        events=[event(f"A{i}", at=f"2026-03-02T1{i}:00:00+08:00") for i in range(3)],
        now=NOW,
    )
    assert read.accepted == 3
    lines = [f"QZB01,F{i},{ID_A},bus_ride,2026-03-02T0{i + 1}:00:00+08:00,1" for i in range(3)]
    path = write(tmp_path / "f.csv", lines)
    summary = ingest_file(session, CLI_PRINCIPAL, settings=settings, path=path, now=NOW, chunk_rows=2)
    assert summary["accepted"] == 3
    points = {e: p for e, p in session.execute(select(Event.external_id, Event.points))}
    assert points == {"A0": 12, "A1": 12, "A2": 12, "F0": 12, "F1": 0, "F2": 0}
    entries = session.scalars(select(LedgerEntry).order_by(LedgerEntry.seq)).all()
    assert [(e.seq, e.points, e.batch_id is None) for e in entries] == [(1, 36, True), (2, 12, False)]
    assert entries[1].prev_hash == entries[0].hash
    assert service.verify(session)[2] == []
    assert service.post_all_pending(session, now=NOW).batches == 0
