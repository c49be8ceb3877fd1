"""File intake: groups that can go over the daily cap are held, ranked once the file is read, and capped."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from greenfin.cli import CLI_PRINCIPAL
from greenfin.personal import intake, service
from greenfin.personal.intake import ingest_file
from greenfin.personal.models import Event, LedgerEntry
from greenfin.settings import Settings
from tests.personal.conftest import ID_A, ID_B, ID_C, NOW, Bank, Resident, make_resident

HEADER = "source,external_id,id_number,scenario,occurred_at,amount_fen\n"


def write(path: Path, lines: list[str]) -> Path:
    path.write_text(HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def stored(session: Session) -> dict[str, tuple[str, int, bool]]:
    return {e.external_id: (e.scenario, e.points, e.capped) for e in session.scalars(select(Event))}


def test_a_repeated_key_keeps_its_first_line_when_that_line_is_held_back(
    session: Session, settings: Settings, bank: Bank, resident: Resident, tmp_path: Path
) -> None:
    # online_loan has a cap of 1: R1 and R2 are held back; the later R1 (a bus ride, not held
    # by its group) repeats R1's key and must not win over the first line.
    path = write(
        tmp_path / "r.csv",
        [
            f"QZB01,R2,{ID_A},online_loan,2026-03-02T09:00:00+08:00,1",
            f"QZB01,R1,{ID_A},online_loan,2026-03-02T08:00:00+08:00,1",
            f"QZB01,R1,{ID_A},bus_ride,2026-03-02T10:00:00+08:00,1",
            f"QZB01,B1,{ID_A},bus_ride,2026-03-02T11:00:00+08:00,1",
        ],
    )
    summary = ingest_file(session, CLI_PRINCIPAL, settings=settings, path=path, now=NOW, chunk_rows=1)
    assert (summary["accepted"], summary["duplicates"], summary["rejected"]) == (3, 1, 0)
    assert stored(session) == {
        "R1": ("online_loan", 28, False),
        "R2": ("online_loan", 0, True),
        "B1": ("bus_ride", 12, False),
    }
    (entry,) = session.scalars(select(LedgerEntry)).all()
    assert entry.points == 28 + 12
    assert service.verify(session)[2] == []


def test_a_held_back_key_stored_by_an_earlier_file_of_another_day_is_a_duplicate(
    session: Session, settings: Settings, bank: Bank, resident: Resident, tmp_path: Path
) -> None:
    # The first file (20 February) stores K1. The second (2 March, no day in common) repeats
    # K1 with another time in a group over the cap: K1 stays as stored, K2 is ranked without it.
    first = write(tmp_path / "a.csv", [f"QZB01,K1,{ID_A},online_loan,2026-02-20T10:00:00+08:00,1"])
    second = write(
        tmp_path / "b.csv",
        [
            f"QZB01,K1,{ID_A},online_loan,2026-03-02T08:00:00+08:00,1",
            f"QZB01,K2,{ID_A},online_loan,2026-03-02T09:00:00+08:00,1",
        ],
    )
    ingest_file(session, CLI_PRINCIPAL, settings=settings, path=first, now=NOW, chunk_rows=2)
    summary = ingest_file(session, CLI_PRINCIPAL, settings=settings, path=second, now=NOW, chunk_rows=2)
    assert (summary["accepted"], summary["duplicates"]) == (1, 1)
    assert stored(session) == {"K1": ("online_loan", 28, False), "K2": ("online_loan", 28, False)}
    entries = session.scalars(select(LedgerEntry).order_by(LedgerEntry.seq)).all()
    days = [(e.seq, e.points, e.earned_on.isoformat()) for e in entries]
    assert days == [(1, 28, "2026-02-20"), (2, 28, "2026-03-02")]
    assert service.verify(session)[2] == []


@pytest.mark.parametrize("earlier_file", [False, True])
def test_held_groups_are_capped_on_their_own_rows_whatever_order_the_chunks_wrote_them_in(
    session: Session,
    settings: Settings,
    bank: Bank,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    earlier_file: bool,
) -> None:
    # Accounts C < B < A; the file lists them A, B, B, C, A, about two lines a chunk, and SQLite
    # writes a chunk in (account, day) order, so the held rows (L*, K*: online loans, cap 1) are
    # not stored in file order. The cap must fall on L2 and K2 (the later ones of their groups)
    # and on nothing else. With the earlier file, K1 is a duplicate: its chunk stores fewer rows
    # than it carried (the ids are read back) and K2 is ranked without it. One ledger entry a
    # block: SQLite's updates of the capped rows go in parts, one before each block.
    monkeypatch.setattr(intake, "_LEDGER_BLOCK", 1)
    c = make_resident(session, settings, "resident-c", ID_C)
    b = make_resident(session, settings, "resident-b", ID_B)
    a = make_resident(session, settings, "resident-a", ID_A)
    if earlier_file:
        first = write(tmp_path / "a.csv", [f"QZB01,K1,{ID_A},online_loan,2026-02-20T10:00:00+08:00,1"])
        ingest_file(session, CLI_PRINCIPAL, settings=settings, path=first, now=NOW, chunk_rows=2)
    second = write(
        tmp_path / "b.csv",
        [
            f"QZB01,K1,{ID_A},online_loan,2026-03-02T08:00:00+08:00,1",
            f"QZB01,L2,{ID_B},online_loan,2026-03-02T09:00:00+08:00,1",
            f"QZB01,L1,{ID_B},online_loan,2026-03-02T08:00:00+08:00,1",
            f"QZB01,B1,{ID_C},bus_ride,2026-03-02T10:00:00+08:00,1",
            f"QZB01,K2,{ID_A},online_loan,2026-03-02T09:00:00+08:00,1",
        ],
    )
    summary = ingest_file(session, CLI_PRINCIPAL, settings=settings, path=second, now=NOW, chunk_rows=2)
    assert (summary["accepted"], summary["duplicates"]) == ((4, 1) if earlier_file else (5, 0))
    assert stored(session) == {
        "L1": ("online_loan", 28, False),
        "L2": ("online_loan", 0, True),
        "B1": ("bus_ride", 12, False),
        "K1": ("online_loan", 28, False),
        "K2": ("online_loan", 28, False) if earlier_file else ("online_loan", 0, True),
    }
    entries = {
        (e.account_id, e.seq): (e.points, e.earned_on.isoformat())
        for e in session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "earn"))
    }
    expected_a = {(a.account_id, 1): (28, "2026-02-20"), (a.account_id, 2): (28, "2026-03-02")}
    assert entries == {
        (b.account_id, 1): (28, "2026-03-02"),
        (c.account_id, 1): (12, "2026-03-02"),
        **(expected_a if earlier_file else {(a.account_id, 1): (28, "2026-03-02")}),
    }
    assert service.verify(session)[2] == []
