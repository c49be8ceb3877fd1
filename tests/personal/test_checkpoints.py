"""Issue 16, part 5: the ledger hash covers every field, and signed checkpoints anchor the chain heads.

Each attack of the issue is played against the database directly (as someone with write access
to it but without the platform's secret would) and must be reported.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from greenfin.cli import app
from greenfin.db import make_engine
from greenfin.errors import Conflict
from greenfin.personal import service
from greenfin.personal.models import LedgerEntry
from greenfin.personal.rules import HASHED_FIELDS, entry_hash
from greenfin.settings import Settings
from tests.personal.conftest import ID_A, NOW, Bank, Resident, deliver, event
from tests.personal.test_cli import database  # noqa: F401  (the CLI's SQLite file fixture)

runner = CliRunner()


def _three_days(session: Session, settings: Settings, bank: Bank) -> None:
    for i, day in enumerate(("2026-01-05", "2026-01-06", "2026-01-07")):
        events = [event(f"E{i}", at=f"{day}T09:00:00+08:00")]
        assert deliver(session, bank.principal, settings=settings, events=events, now=NOW).accepted == 1
    session.flush()


def _reasons(breaks: list) -> list[tuple[int, str]]:  # type: ignore[type-arg]
    return [(b.seq, b.reason) for b in breaks]


def _recompute_chain_from(session: Session, account_id: int, *, seq: int, **changes: object) -> None:
    """What a forger with database access does: change an entry, then re-hash it and every later one."""
    rows = session.query(LedgerEntry).filter(LedgerEntry.account_id == account_id).order_by(LedgerEntry.seq).all()
    prev = None
    for row in rows:
        if row.seq == seq:
            for name, value in changes.items():
                setattr(row, name, value)
        fields = {name: getattr(row, name) for name in HASHED_FIELDS}
        fields["account_id"] = str(account_id)
        for name in ("occurred_at", "recorded_at"):
            if fields[name].tzinfo is None:
                fields[name] = fields[name].replace(tzinfo=UTC)
        row.prev_hash, row.hash = prev, entry_hash(prev, **fields)
        prev = row.hash
    session.flush()
    session.expire_all()


def test_raising_avoided_co2_in_the_database_is_a_break(
    session: Session, settings: Settings, bank: Bank, resident: Resident
) -> None:
    _three_days(session, settings, bank)
    session.execute(
        text("UPDATE personal_ledger SET avoided_co2_g = 50000 WHERE account_id = :a AND seq = 2"),
        {"a": resident.account_id},
    )
    session.expire_all()
    assert _reasons(service.verify(session)[2]) == [(2, "hash")]


@pytest.mark.parametrize(
    ("column", "value"),
    [("earned_on", "2026-02-01"), ("reason", "'gift'"), ("corrects_id", "1"), ("catalogue_version", "'v9'")],
)
def test_changing_any_other_field_is_a_break(
    session: Session, settings: Settings, bank: Bank, resident: Resident, column: str, value: str
) -> None:
    _three_days(session, settings, bank)
    value = f"'{value}'" if column == "earned_on" else value
    session.execute(text(f"UPDATE personal_ledger SET {column} = {value} WHERE seq = 3"))
    session.expire_all()
    assert _reasons(service.verify(session)[2]) == [(3, "hash")]


def test_a_clean_ledger_is_anchored_and_verifies(
    session: Session, settings: Settings, bank: Bank, resident: Resident
) -> None:
    _three_days(session, settings, bank)
    made = service.checkpoint(session, settings)
    assert (made.accounts, made.entries) == (1, 3)
    assert service.verify_anchors(session, settings) == []
    # The chain grows past its anchor: still fine, and the next checkpoint chains onto this one.
    deliver(session, bank.principal, settings=settings, events=[event("E9", at="2026-01-08T09:00:00+08:00")], now=NOW)
    session.flush()
    assert service.verify_anchors(session, settings) == []
    later = service.checkpoint(session, settings)
    assert (later.accounts, later.entries) == (1, 4)
    assert service.verify_anchors(session, settings) == []


def test_truncation_passes_the_chain_but_not_the_anchor(
    session: Session, settings: Settings, bank: Bank, resident: Resident
) -> None:
    _three_days(session, settings, bank)
    service.checkpoint(session, settings)
    session.execute(text("DELETE FROM personal_ledger WHERE seq = 3"))
    session.expire_all()
    assert service.verify(session)[2] == []  # the chain alone cannot tell
    assert _reasons(service.verify_anchors(session, settings)) == [(3, "anchor")]
    with pytest.raises(Conflict):  # and no new checkpoint blesses the shorter chain
        service.checkpoint(session, settings)


def test_a_recomputed_chain_passes_the_chain_but_not_the_anchor(
    session: Session, settings: Settings, bank: Bank, resident: Resident
) -> None:
    _three_days(session, settings, bank)
    service.checkpoint(session, settings)
    _recompute_chain_from(session, resident.account_id, seq=1, avoided_co2_g=500_000)
    assert service.verify(session)[2] == []
    [only] = service.verify_anchors(session, settings)
    assert (only.seq, only.reason) == (3, "anchor") and "recomputed" in only.detail


def test_moving_the_anchor_too_breaks_the_checkpoints_digest_and_forging_that_breaks_its_mac(
    session: Session, settings: Settings, bank: Bank, resident: Resident
) -> None:
    _three_days(session, settings, bank)
    made = service.checkpoint(session, settings)
    _recompute_chain_from(session, resident.account_id, seq=1, avoided_co2_g=500_000)
    head = session.execute(text("SELECT hash FROM personal_ledger WHERE seq = 3")).scalar_one()
    session.execute(text("UPDATE personal_ledger_anchor SET hash = :h"), {"h": head})
    breaks = service.verify_anchors(session, settings)
    assert [(b.account_id, b.seq, b.reason) for b in breaks] == [("checkpoint", made.id, "checkpoint")]
    # Recompute the digest too: without the secret the MAC cannot follow.
    from greenfin.personal.rules import checkpoint_mac, heads_digest

    digest = heads_digest([(resident.account_id, 3, head)])
    forged = checkpoint_mac(
        b"a guessed key",
        checkpoint_id=made.id,
        made_at=made.made_at,
        accounts=1,
        entries=3,
        heads_sha256=digest,
        prev_mac=None,
    )
    session.execute(
        text("UPDATE personal_ledger_checkpoint SET heads_sha256 = :d, mac = :m"), {"d": digest, "m": forged}
    )
    session.expire_all()
    [only] = service.verify_anchors(session, settings)
    assert (only.reason, only.detail) == ("checkpoint", "its MAC does not verify")
    other = settings.model_copy(update={"secret_key": "another-secret-of-another-platform"})
    assert service.verify_anchors(session, other) != []


def test_a_deleted_checkpoint_breaks_the_chain_of_checkpoints(
    session: Session, settings: Settings, bank: Bank, resident: Resident
) -> None:
    _three_days(session, settings, bank)
    first = service.checkpoint(session, settings)
    service.checkpoint(session, settings)
    service.checkpoint(session, settings)
    session.execute(text("DELETE FROM personal_ledger_checkpoint WHERE id = :i"), {"i": first.id + 1})
    session.expire_all()
    assert [b.detail for b in service.verify_anchors(session, settings)] == [
        "does not chain onto the previous checkpoint"
    ]


def test_a_checkpoint_is_due_every_configured_interval(
    session: Session, settings: Settings, bank: Bank, resident: Resident
) -> None:
    _three_days(session, settings, bank)
    hourly = settings.model_copy(update={"ledger_checkpoint_minutes": 60})
    start = datetime(2026, 1, 8, 12, tzinfo=UTC)
    assert service.checkpoint_if_due(session, hourly, now=start) is not None
    assert service.checkpoint_if_due(session, hourly, now=start + timedelta(minutes=59)) is None
    assert service.checkpoint_if_due(session, hourly, now=start + timedelta(minutes=60)) is not None
    off = settings.model_copy(update={"ledger_checkpoint_minutes": 0})
    assert service.checkpoint_if_due(session, off, now=start + timedelta(days=1)) is None


def test_the_cli_anchors_a_clean_ledger_and_then_reports_a_truncation(database: str, tmp_path: Path) -> None:  # noqa: F811
    people = tmp_path / "people.csv"
    people.write_text(f"id_number,name,phone,consent_ref\n{ID_A},张三,13812345678,C1\n")
    assert runner.invoke(app, ["personal", "enrol", str(people)]).exit_code == 0
    events = tmp_path / "events.csv"
    events.write_text(
        "source,external_id,id_number,scenario,occurred_at,amount_fen\n"
        f"QZB01,1,{ID_A},bus_ride,2026-03-02T08:00:00+08:00,200\n"
        f"QZB01,2,{ID_A},bus_ride,2026-03-03T08:00:00+08:00,200\n"
    )
    assert runner.invoke(app, ["personal", "ingest", str(events)]).exit_code == 0
    clean = runner.invoke(app, ["personal", "verify"])
    assert clean.exit_code == 0, clean.output
    report = json.loads(clean.output)
    assert report["breaks"] == [] and report["checkpoint"]["entries"] == 2
    engine = make_engine(database)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM personal_ledger WHERE seq = 2"))
    engine.dispose()
    truncated = runner.invoke(app, ["personal", "verify"])
    assert truncated.exit_code == 1
    assert [(b["seq"], b["reason"]) for b in json.loads(truncated.output)["breaks"]] == [(2, "anchor")]
    assert "checkpoint" not in json.loads(truncated.output)
