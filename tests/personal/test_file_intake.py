"""File intake (``greenfin personal ingest``): the set-based path agrees with the rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from greenfin.cli import CLI_PRINCIPAL
from greenfin.personal import service
from greenfin.personal.intake import ingest_file
from greenfin.personal.models import Event, LedgerEntry
from greenfin.personal.rules import award_day
from greenfin.settings import Settings
from tests.personal.conftest import BAD_CHECKSUM, ID_A, ID_B, ID_C, NOW, Bank, Resident, deliver, event, make_resident

HEADER = "source,external_id,id_number,scenario,occurred_at,amount_fen\n"


def write(path: Path, lines: list[str]) -> Path:
    path.write_text(HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def ingest(session: Session, settings: Settings, path: Path) -> dict:  # type: ignore[type-arg]
    return ingest_file(session, CLI_PRINCIPAL, settings=settings, path=path, now=NOW, chunk_rows=4)


def test_a_file_with_every_kind_of_refusal(
    session: Session, settings: Settings, bank: Bank, resident: Resident, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "day.csv",
        [
            f"QZB01,F1,{ID_A},bus_ride,2026-03-02T08:00:00+08:00,200",  # ok: 12
            f"QZB01,F2,{ID_A},recycling_pickup,2026-03-02T09:00:00+08:00,",  # ok: 210, no amount
            f"QZB01,F1,{ID_A},bus_ride,2026-03-02T08:00:00+08:00,200",  # repeated in the file
            f"QZB01,F3,{ID_A},car_ride,2026-03-02T08:00:00+08:00,200",  # unknown scenario
            f"QZB01,F4,{ID_B},bus_ride,2026-03-02T08:00:00+08:00,200",  # unknown resident
            f"QZB01,F5,{BAD_CHECKSUM},bus_ride,2026-03-02T08:00:00+08:00,200",  # bad checksum
            f"QZB01,F6,{ID_A},bus_ride,2026-03-04T08:00:00+08:00,200",  # future (NOW is 3 March 20:00 local)
            f"QZB01,F7,{ID_A},bus_ride,yesterday,200",  # malformed time
            f"NOBODY,F8,{ID_A},bus_ride,2026-03-02T08:00:00+08:00,200",  # unknown source
            f"QZB01,F9,{ID_A},bus_ride,2026-03-02T08:00:00+08:00,12.5",  # malformed amount
        ],
    )
    summary = ingest(session, settings, path)
    assert (summary["accepted"], summary["duplicates"], summary["rejected"]) == (2, 1, 7)
    assert summary["reasons"] == {
        "invalid ID number (date, province code or check character)": 1,
        "malformed amount_fen (a non-negative integer of fen)": 1,
        "malformed time (ISO 8601 with a UTC offset required)": 1,
        "time in the future": 1,
        "unknown or wrong source": 1,
        "unknown resident: no account for this ID number": 1,
        "unknown scenario": 1,
    }
    assert {r["row"] for r in summary["rejections"]} == {5, 6, 7, 8, 9, 10, 11}
    (entry,) = session.scalars(select(LedgerEntry)).all()
    assert (entry.points, entry.avoided_co2_g, entry.earned_on.isoformat()) == (222, 2223, "2026-03-02")


def test_ingesting_the_same_file_twice_counts_once(
    session: Session, settings: Settings, bank: Bank, resident: Resident, tmp_path: Path
) -> None:
    lines = [f"QZB01,D{i},{ID_A},online_transfer,2026-03-02T0{i}:00:00+08:00,100" for i in range(3)]
    path = write(tmp_path / "d.csv", lines)
    first = ingest(session, settings, path)
    second = ingest(session, settings, path)
    assert (first["accepted"], first["duplicates"]) == (3, 0)
    assert (second["accepted"], second["duplicates"], second["rejected"]) == (0, 3, 0)
    assert session.scalar(select(func.count()).select_from(Event)) == 3
    assert session.scalar(select(func.sum(LedgerEntry.points))) == 6  # 3 x 2 points


def test_the_bulk_path_agrees_with_award_and_with_the_api_path(
    session: Session, settings: Settings, bank: Bank, resident: Resident, tmp_path: Path
) -> None:
    second = make_resident(session, settings, "resident-c", ID_C)
    cat = service.catalogue()
    base = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)
    # 13 transfers (cap 10) and 6 bus rides (cap 4) for resident A, spread over chunks of 4 rows
    # and out of time order; resident C has 3 rides.
    rows = []
    for i in range(13):
        rows.append(("online_transfer", ID_A, f"A-T{i:02}", base + timedelta(minutes=(i * 37) % 300)))
    for i in range(6):
        rows.append(("bus_ride", ID_A, f"A-B{i}", base + timedelta(minutes=(i * 53) % 200)))
    for i in range(3):
        rows.append(("bus_ride", ID_C, f"C-B{i}", base + timedelta(minutes=i)))
    path = write(tmp_path / "mix.csv", [f"QZB01,{e},{n},{s},{t.isoformat()},1" for s, n, e, t in rows])
    summary = ingest(session, settings, path)
    assert summary["accepted"] == 22
    stored = {e.external_id: e.points for e in session.scalars(select(Event))}
    expected: dict[str, int] = {}
    for code, number, prefix in (
        ("online_transfer", ID_A, "A-T"),
        ("bus_ride", ID_A, "A-B"),
        ("bus_ride", ID_C, "C-B"),
    ):
        group = [(t, e) for s, n, e, t in rows if s == code and n == number and e.startswith(prefix)]
        expected.update({e: a.points for _, e, a in award_day(cat.scenario(code, on=base.date()), group)})
    assert stored == expected
    # By hand: A earns 10 x 2 + 4 x 12 = 68, C earns 3 x 12 = 36.
    assert service.balance_as_of(session, service.account_for(session, resident.principal, "me"), as_of=None) == 68
    assert service.balance_as_of(session, service.account_for(session, second.principal, "me"), as_of=None) == 36
    # The API path, delivered afterwards for the same day, sees the caps already reached.
    late = deliver(session, bank.principal, settings=settings, events=[event("late", at=base.isoformat())], now=NOW)
    assert late.results[0].points == 0 and late.results[0].capped


def test_a_second_file_for_the_same_day_continues_the_cap(
    session: Session, settings: Settings, bank: Bank, resident: Resident, tmp_path: Path
) -> None:
    first = write(
        tmp_path / "a.csv", [f"QZB01,P{i},{ID_A},bus_ride,2026-03-02T0{i + 1}:00:00+08:00,1" for i in range(3)]
    )
    second = write(tmp_path / "b.csv", [f"QZB01,Q{i},{ID_A},bus_ride,2026-03-02T1{i}:00:00+08:00,1" for i in range(3)])
    ingest(session, settings, first)
    ingest(session, settings, second)
    points = {e: p for e, p in session.execute(select(Event.external_id, Event.points))}
    assert points == {"P0": 12, "P1": 12, "P2": 12, "Q0": 12, "Q1": 0, "Q2": 0}
    entries = session.scalars(select(LedgerEntry).order_by(LedgerEntry.seq)).all()
    assert [(e.seq, e.points) for e in entries] == [(1, 36), (2, 12)]
    assert entries[1].prev_hash == entries[0].hash
    assert service.verify(session)[2] == []


def test_a_file_with_the_wrong_header_is_refused(
    session: Session, settings: Settings, bank: Bank, tmp_path: Path
) -> None:
    import pytest

    from greenfin.errors import InvalidInput

    path = tmp_path / "bad.csv"
    path.write_text("source,id,who\nQZB01,1,2\n", encoding="utf-8")
    with pytest.raises(InvalidInput):
        ingest(session, settings, path)
    assert session.scalar(select(func.count()).select_from(Event)) == 0


def test_a_partial_redelivery_stores_only_the_new_events_and_continues_the_cap(
    session: Session, settings: Settings, bank: Bank, resident: Resident, tmp_path: Path
) -> None:
    # Bus rides, cap 4. The second file repeats P1 and P2, brings Q0..Q2, and repeats Q0 in a
    # later chunk: only Q0..Q2 are stored; Q0 takes the last cap slot (3 rewarded before).
    first = write(
        tmp_path / "a.csv", [f"QZB01,P{i},{ID_A},bus_ride,2026-03-02T0{i + 1}:00:00+08:00,1" for i in range(3)]
    )
    lines = [f"QZB01,P{i},{ID_A},bus_ride,2026-03-02T0{i + 1}:00:00+08:00,1" for i in (1, 2)]
    lines += [f"QZB01,Q{i},{ID_A},bus_ride,2026-03-02T1{i}:00:00+08:00,1" for i in range(3)]
    lines += [f"QZB01,X{i},{ID_A},online_transfer,2026-03-02T1{i}:00:00+08:00,1" for i in range(4)]
    lines += [f"QZB01,Q0,{ID_A},bus_ride,2026-03-02T10:00:00+08:00,1"]
    second = write(tmp_path / "b.csv", lines)
    ingest(session, settings, first)
    summary = ingest(session, settings, second)
    assert (summary["accepted"], summary["duplicates"], summary["rejected"]) == (7, 3, 0)
    points = {e: p for e, p in session.execute(select(Event.external_id, Event.points))}
    assert {k: v for k, v in points.items() if k[0] in "PQ"} == {
        "P0": 12, "P1": 12, "P2": 12, "Q0": 12, "Q1": 0, "Q2": 0,
    }  # fmt: skip
    entries = session.scalars(select(LedgerEntry).order_by(LedgerEntry.seq)).all()
    assert [(e.seq, e.points) for e in entries] == [(1, 36), (2, 12 + 4 * 2)]
    # The entry's time is the last rewarded event's (Q0 at 10:00 and X3 at 13:00 Shanghai).
    assert entries[1].occurred_at == datetime(2026, 3, 2, 5, 0, tzinfo=UTC)
    assert service.verify(session)[2] == []


def test_a_file_with_full_width_digits_finds_the_same_account(
    session: Session, settings: Settings, bank: Bank, resident: Resident, tmp_path: Path
) -> None:
    wide = ID_A.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    path = write(tmp_path / "w.csv", [f"QZB01,W1,{wide},online_transfer,2026-03-02T09:00:00+08:00,100"])
    result = ingest(session, settings, path)
    assert (result["accepted"], result["rejected"]) == (1, 0)
    assert session.scalar(select(Event.account_id).where(Event.external_id == "W1")) == resident.account_id


def test_sqlite_rows_inline_the_columns_a_chunk_holds_one_value_of() -> None:
    import sqlite3

    import polars as pl

    from greenfin.personal.intake import _EVENT_COLUMNS, _SqliteRows

    frame = pl.DataFrame(
        {
            "source": ["O'B", "O'B"],  # a quote in a value stays a value
            "external_id": ["e1", "e2"],
            "account_id": [1, 2],
            "scenario": ["bus_ride", "bus_ride"],
            "catalogue_version": ["2025.1", "2026.1"],  # two values: bound per row
            "occurred_at": ["2026-03-02 00:00:00.000000"] * 2,
            "local_day": ["2026-03-02"] * 2,
            "amount_fen": [100, None],
            "points": [12, 12],
            "avoided_co2_g": [123, 123],
            "capped": [0, 0],
            "batch_id": [7, 7],
        }
    )
    rows = _SqliteRows.of(frame)
    assert rows.frame.columns == [c for c in _EVENT_COLUMNS if c not in ("source", "capped", "batch_id")]
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE TABLE t ({', '.join(_EVENT_COLUMNS)})")
    db.executemany(f"INSERT INTO t ({', '.join(_EVENT_COLUMNS)}) VALUES ({rows.values})", rows.frame.iter_rows())
    assert db.execute(f"SELECT {', '.join(_EVENT_COLUMNS)} FROM t ORDER BY external_id").fetchall() == list(
        frame.iter_rows()
    )
