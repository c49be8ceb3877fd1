"""Posting pending API deliveries: caps across deliveries, once only, concurrently, by the poster thread and the CLI."""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from greenfin.app import create_app
from greenfin.auth import service as auth
from greenfin.cli import app as cli
from greenfin.db import Base, import_all_models, make_engine, make_session_factory, session_scope
from greenfin.http import SESSION_COOKIE
from greenfin.personal import service
from greenfin.personal.models import Event, IntakeBatch, LedgerEntry, PostingRun
from greenfin.settings import Settings, get_settings
from tests.personal.conftest import ID_A, ID_B, ID_C, NOW, Bank, Resident, event, make_bank, make_resident

# Caps of catalogue v1 (hand-copied from data/catalogue/v1.toml, not read from the code):
# bus_ride 12 points, 4 a day; online_transfer 2 points, 10 a day.
BUS = (12, 4)
TRANSFER = (2, 10)


def test_a_later_delivery_continues_the_cap_and_the_earlier_keeps_its_awards(
    session: Session, settings: Settings, bank: Bank, resident: Resident
) -> None:
    first = service.intake_events(
        session, bank.principal, settings=settings, now=NOW,
        events=[event(f"A{i}", at=f"2026-03-02T1{i}:00:00+08:00") for i in range(3)],
    )  # fmt: skip
    assert service.post_pending(session, now=NOW).capped == 0
    # Three more rides, one of them earlier in the day than all of the first three: the first
    # delivery keeps its three awards, one slot is left, taken by the earliest of the new rides.
    service.intake_events(
        session, bank.principal, settings=settings, now=NOW,
        events=[event("B0", at="2026-03-02T07:00:00+08:00"), event("B1", at="2026-03-02T20:00:00+08:00"),
                event("B2", at="2026-03-02T21:00:00+08:00")],
    )  # fmt: skip
    run = service.post_pending(session, now=NOW)
    assert (run.events, run.capped, run.entries) == (3, 2, 1)
    points = dict(session.execute(select(Event.external_id, Event.points)).all())
    assert points == {"A0": 12, "A1": 12, "A2": 12, "B0": 12, "B1": 0, "B2": 0}
    assert first.results[0].pending
    entries = session.scalars(select(LedgerEntry).order_by(LedgerEntry.seq)).all()
    assert [(e.seq, e.points, e.posting_id is not None) for e in entries] == [(1, 36, True), (2, 12, True)]
    assert service.verify(session)[2] == []


def test_history_filters_posted_entries_by_scenario(
    client: TestClient, session: Session, settings: Settings, bank: Bank, resident: Resident
) -> None:
    service.intake_events(
        session, bank.principal, settings=settings, now=NOW,
        events=[event("S1", scenario="online_transfer"), event("S2", at="2026-03-01T09:00:00+08:00")],
    )  # fmt: skip
    service.post_pending(session, now=NOW)
    session.commit()
    url = "/api/v1/personal/accounts/me/history"
    transfers = client.get(url, params={"scenario": "online_transfer"}, headers=resident.headers).json()
    rides = client.get(url, params={"scenario": "bus_ride"}, headers=resident.headers).json()
    assert [i["points"] for i in transfers["items"]] == [TRANSFER[0]]
    assert [i["points"] for i in rides["items"]] == [BUS[0]]


def test_nothing_pending_writes_no_run(session: Session) -> None:
    assert service.post_pending(session, now=NOW).run_id is None
    assert session.scalar(select(func.count()).select_from(PostingRun)) == 0


# --- on a committed PostgreSQL database: threads, the poster thread ------------------------------


def _setup(url: str) -> tuple[sessionmaker[Session], Settings, Bank, list[Resident]]:
    import_all_models()
    engine = make_engine(url, pool_size=12, max_overflow=0)
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    auth.install_audit(factory)
    settings = Settings(environment="test", database_url=url, posting_interval_seconds=0)
    with session_scope(factory) as session:
        bank = make_bank(session, "QZB01")
        residents = [make_resident(session, settings, f"r{i}", n) for i, n in enumerate((ID_A, ID_B, ID_C))]
    return factory, settings, bank, residents


@pytest.fixture(params=["sqlite", "postgresql"])
def committed_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database file or a throw-away PostgreSQL database that threads share."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'race.db'}"
    url: str = request.getfixturevalue("committed_postgres")
    return url


def test_concurrent_deliveries_and_posting_runs_credit_each_event_once(committed_database: str) -> None:
    # On SQLite this also proves no delivery fails with "database is locked" (a reader that
    # turned writer after another writer's commit used to fail at once, under load a 500).
    factory, settings, bank, _ = _setup(committed_database)
    rng = random.Random(7)
    # 240 deliveries of one event from 8 threads, every key delivered twice (by different threads),
    # 3 residents x 2 scenarios x 2 days: many groups go over their caps.
    keys = [
        (f"K{i}", rng.choice((ID_A, ID_B, ID_C)), rng.choice(("bus_ride", "online_transfer")),
         f"2026-03-0{rng.choice((1, 2))}T{rng.randrange(6, 22):02}:{rng.randrange(60):02}:00+08:00")
        for i in range(120)
    ]  # fmt: skip
    work = keys + keys
    rng.shuffle(work)
    chunks = [work[i::8] for i in range(8)]
    barrier = threading.Barrier(9)
    errors: list[BaseException] = []

    def deliver(chunk: list[tuple[str, str, str, str]]) -> None:
        barrier.wait()
        try:
            for key, id_number, scenario, at in chunk:
                with session_scope(factory) as session:
                    service.intake_events(
                        session, bank.principal, settings=settings,
                        events=[event(key, id_number=id_number, scenario=scenario, at=at)], now=NOW,
                    )  # fmt: skip
        except BaseException as exc:
            errors.append(exc)

    def post() -> None:
        barrier.wait()
        try:
            for _ in range(40):
                with session_scope(factory) as session:
                    service.post_pending(session, now=NOW, max_events=7)
                time.sleep(0.005)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=deliver, args=(c,)) for c in chunks] + [threading.Thread(target=post)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with session_scope(factory) as session:
        service.post_all_pending(session, now=NOW)
        assert session.scalar(select(func.count()).select_from(Event)) == 120
        assert session.scalar(select(func.count()).where(IntakeBatch.posted_at.is_(None))) == 0
        # Per (resident, scenario, day): min(events, cap) rewarded, whatever the interleaving.
        groups = Counter((i, s, a[:10]) for _, i, s, a in keys)
        expected = sum(
            min(n, (BUS if s == "bus_ride" else TRANSFER)[1]) * (BUS if s == "bus_ride" else TRANSFER)[0]
            for (_, s, _), n in groups.items()
        )
        ledger = session.scalar(select(func.sum(LedgerEntry.points)))
        events = session.scalar(select(func.sum(Event.points)))
        assert ledger == events == expected
        assert service.verify(session)[2] == []
    _dispose(factory)


def test_the_poster_thread_credits_api_deliveries_within_seconds(committed_postgres: str) -> None:
    factory, settings, bank, residents = _setup(committed_postgres)
    app = create_app(settings.model_copy(update={"posting_interval_seconds": 0.1}))
    with TestClient(app) as client:
        for i in range(3):
            sent = client.post(
                "/api/v1/personal/events", json=event(f"P{i}", at=NOW.isoformat()).model_dump(), headers=bank.headers
            )
            assert (sent.status_code, sent.json()["pending"]) == (201, True), sent.text
        balance = {}
        for _ in range(100):
            balance = client.get("/api/v1/personal/accounts/me/balance", headers=residents[0].headers).json()
            if balance["balance"] == 3 * BUS[0]:
                break
            time.sleep(0.05)
        assert (balance["balance"], balance["pending_points"]) == (3 * BUS[0], 0)
    app.state.engine.dispose()
    _dispose(factory)


def test_cli_post_prints_what_it_posted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'post.db'}"
    monkeypatch.setenv("GREENFIN_DATABASE_URL", url)
    monkeypatch.setenv("GREENFIN_ENVIRONMENT", "test")
    get_settings.cache_clear()
    factory, settings, bank, _ = _setup(url)
    with session_scope(factory) as session:
        service.intake_events(
            session, bank.principal, settings=settings, now=NOW,
            events=[event(f"C{i}", at=f"2026-03-02T1{i}:00:00+08:00") for i in range(5)],
        )  # fmt: skip
    runner = CliRunner()
    first = runner.invoke(cli, ["personal", "post"])
    again = runner.invoke(cli, ["personal", "post"])
    get_settings.cache_clear()
    assert first.exit_code == 0, first.output
    assert json.loads(first.output) == {"batches": 1, "events": 5, "capped": 1, "entries": 1}
    assert json.loads(again.output) == {"batches": 0, "events": 0, "capped": 0, "entries": 0}
    _dispose(factory)


def _dispose(factory: sessionmaker[Session]) -> None:
    factory.kw["bind"].dispose()


def test_the_account_page_shows_pending_points_until_posted(
    client: TestClient, session: Session, settings: Settings, bank: Bank, resident: Resident
) -> None:
    service.intake_events(session, bank.principal, settings=settings, events=[event("W1")], now=NOW)
    session.commit()
    client.cookies.set(SESSION_COOKIE, resident.headers["Authorization"].removeprefix("Bearer "))
    page = client.get("/personal/account")
    assert page.status_code == 200, page.text
    assert "另有 1 笔待入账（至多 12 分，按每日上限入账）" in page.text
    service.post_pending(session, now=NOW)
    session.commit()
    page = client.get("/personal/account")
    assert "待入账" not in page.text and 'data-points="12"' in page.text
