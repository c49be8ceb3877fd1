"""Two imports of the same period at once, on a real PostgreSQL database with committed data.

The test's rolled-back transaction cannot show concurrency, so this test builds its own
database (as ``tests/test_migrations.py`` does), commits, and runs two imports in two
threads, each with its own session. Each import, once it has read the stored versions,
waits (up to two seconds) for the other to have read them too: without serialisation both
read version 1, both write version 2, and both stay current — the month counted twice.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, select, text

from greenfin.db import Base, import_all_models, make_engine, make_session_factory, session_scope
from greenfin.industry import repository
from greenfin.industry.models import EnergyRecord
from tests.conftest import POSTGRES_ADMIN_URL
from tests.industry.factories import ENERGY_HEADER, ENTERPRISE_HEADER, load, make_uscc

A = make_uscc(7001)


@pytest.fixture
def committed_postgres(worker: str) -> Iterator[Engine]:
    """A fresh PostgreSQL database with every table; dropped afterwards."""
    name = f"greenfin_concurrency_{worker}_{os.getpid()}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    try:
        import_all_models()
        Base.metadata.create_all(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_concurrent_reimports_of_a_month_never_both_stay_current(
    committed_postgres: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    factory = make_session_factory(committed_postgres)
    with session_scope(factory) as session:
        load(session, "enterprises", ENTERPRISE_HEADER, [(A, "甲", "330881", "2614")])
        load(session, "energy", ENERGY_HEADER, [(A, 2024, 1, "electricity", "100", "MWh", "metered")])

    has_read = {"first": threading.Event(), "second": threading.Event()}
    read_versions = repository.max_versions

    def max_versions_then_wait(*args, **kwargs):  # type: ignore[no-untyped-def]
        found = read_versions(*args, **kwargs)
        me = threading.current_thread().name
        other = "second" if me == "first" else "first"
        has_read[me].set()
        has_read[other].wait(timeout=2)  # serialised: the other is blocked on the lock; go on
        return found

    monkeypatch.setattr(repository, "max_versions", max_versions_then_wait)
    failures: dict[str, BaseException] = {}

    def reimport(megawatt_hours: str) -> None:
        try:
            with session_scope(factory) as session:
                rows = [(A, 2024, 1, "electricity", megawatt_hours, "MWh", "audited")]
                load(session, "energy", ENERGY_HEADER, rows)
        except BaseException as exc:
            failures[threading.current_thread().name] = exc

    threads = [
        threading.Thread(target=reimport, args=("120",), name="first"),
        threading.Thread(target=reimport, args=("130",), name="second"),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures

    with session_scope(factory) as session:
        rows = session.execute(
            select(EnergyRecord.version, EnergyRecord.is_current, EnergyRecord.quantity_milli).order_by(
                EnergyRecord.version
            )
        ).all()
    # Serialised: versions 1, 2, 3 and exactly one current row for January (not 250 MWh).
    assert [version for version, _, _ in rows] == [1, 2, 3]
    current = [quantity for _, is_current, quantity in rows if is_current]
    assert len(current) == 1 and current[0] in (120_000_000, 130_000_000)
    assert rows[-1][1] is True
