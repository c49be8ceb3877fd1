"""Benchmark: the Two Mountains Bank's registry page with 100,000 assets, on SQLite and PostgreSQL.

For each backend the script migrates a fresh database (SQLite: a temp file; PostgreSQL: the
database ``greenfin_bench_ecobank``, dropped and created through the admin URL), inserts
``--assets`` assets (six Quzhou counties, the eight kinds, each with its certificate, two
thirds valued) set-based, logs in an admin through a page session, and then requests the
registry page ``GET /ecobank/assets`` in process (the whole FastAPI stack: session cookie,
scope, count, page query, template) with a rotation of filters — none, a county, a kind,
county and kind, and deep pages (offset 5,000) — after a warm-up. It prints p50, p95 and max
per backend and PASS/FAIL against the target p95 ≤ 200 ms. The PostgreSQL table is vacuumed after
the load, as autovacuum would. Usage::

    uv run python benchmarks/ecobank_registry.py --assets 100000 --backends sqlite,postgresql
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert, text

from greenfin.app import create_app
from greenfin.auth import repository as auth_repository
from greenfin.auth import service as auth
from greenfin.db import make_engine, make_session_factory, new_id, session_scope
from greenfin.ecobank.models import Asset, Certificate
from greenfin.ecobank.rules import ASSET_KINDS
from greenfin.http import SESSION_COOKIE
from greenfin.migrations import upgrade
from greenfin.settings import Settings

PG_ADMIN = os.environ.get("GREENFIN_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BENCH_DATABASE = "greenfin_bench_ecobank"
TARGET_P95_MS = 200.0
COUNTIES = ("330802", "330803", "330822", "330824", "330825", "330881")
CROPS = {"orchard": "胡柚", "tea_garden": "茶"}
CHUNK = 5_000


def _database_url(backend: str, folder: Path, *, reuse: bool) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'ecobank-bench.db'}"
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{BENCH_DATABASE}"
    if reuse:
        return url
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{BENCH_DATABASE}"'))
    admin.dispose()
    return url


def _asset_rows(count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    start = datetime(2021, 1, 1, tzinfo=UTC)
    rows = []
    for index in range(count):
        county = COUNTIES[index % len(COUNTIES)]
        kind = ASSET_KINDS[rng.randrange(len(ASSET_KINDS))]
        township = f"{county}{100 + rng.randrange(15):03d}"
        village = f"{township}{200 + rng.randrange(30):03d}"
        valued = rng.random() < 2 / 3
        rows.append(
            {
                "id": new_id(),
                "kind": kind,
                "name": f"{village[-6:]} 号资源 {index}",
                "crop": CROPS.get(kind),
                "owner_kind": "collective",
                "owner_code": f"N2{village}",
                "owner_id_hash": None,
                "owner_display": f"{village[-6:]} 村股份经济合作社",
                "county_code": county,
                "township_code": township,
                "village_code": village,
                "area_milli_mu": rng.randrange(1_000, 500_000_000),
                "certificate": f"BENCH-{index:07d}",
                "right_start": date(2020, 1, 1),
                "right_end": date(2040 + rng.randrange(30), 12, 31),
                "status": "registered",
                "note": "",
                "value_fen": rng.randrange(1_000_000, 10_000_000_000) if valued else None,
                "valued_on": date(2026, 6, 30) if valued else None,
                "registered_at": start + timedelta(minutes=index),
                "registered_by": "bench",
            }
        )
    return rows


def login(url: str) -> str:
    """A fresh page session of the benchmark's admin (built before)."""
    engine = make_engine(url)
    settings = Settings(environment="test", database_url=url)
    with session_scope(make_session_factory(engine)) as session:
        user = auth_repository.user_by_username(session, "admin")
        if user is None:
            raise SystemExit("no benchmark database to reuse: run without --reuse first")
        secret, _ = auth.issue_token(session, settings, user, kind="session")
    engine.dispose()
    return secret


def build(url: str, assets: int) -> str:
    """Migrate, insert the assets and an admin; return the admin's page-session secret."""
    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    rows = _asset_rows(assets, seed=15)
    started = time.perf_counter()
    with session_scope(factory) as session:
        for offset in range(0, len(rows), CHUNK):
            chunk = rows[offset : offset + CHUNK]
            session.execute(insert(Asset), chunk)
            certificates = [{"number": r["certificate"], "asset_id": r["id"], "position": 0} for r in chunk]
            session.execute(insert(Certificate), certificates)
        auth.record(session, auth.SYSTEM, action="bulk_insert", entity_type="ecobank_asset", after={"rows": assets})
    print(f"  inserted {assets:,} assets in {time.perf_counter() - started:.1f} s")
    settings = Settings(environment="test", database_url=url)
    with session_scope(factory) as session:
        platform = auth.create_organisation(session, kind="platform", name="greenfin", code="platform")
        user = auth.create_user(
            session, username="admin", password="bench-password", role="admin", organisation=platform
        )
        secret, _ = auth.issue_token(session, settings, user, kind="session")
    # What autovacuum does to an insert-only table (PostgreSQL ≥ 13): statistics, and the
    # visibility map that lets a count be an index-only scan.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE ecobank_asset" if engine.dialect.name == "postgresql" else "ANALYZE")
    engine.dispose()
    return secret


def measure(url: str, secret: str, requests: int) -> list[float]:
    """Milliseconds of each registry-page request, over a rotation of filters."""
    settings = Settings(environment="test", database_url=url, posting_interval_seconds=0)
    app = create_app(settings)
    queries: list[dict[str, str | int]] = [
        {},
        {"county": "330822"},
        {"kind": "orchard"},
        {"county": "330824", "kind": "forest_right"},
        {"offset": 5_000},
        {"county": "330881", "offset": 1_000},
    ]
    timings: list[float] = []
    with TestClient(app) as client:
        client.cookies.set(SESSION_COOKIE, secret)
        for index in range(requests + len(queries)):
            params = queries[index % len(queries)]
            started = time.perf_counter()
            answer = client.get("/ecobank/assets", params=params)
            elapsed = (time.perf_counter() - started) * 1000
            if answer.status_code != 200:
                raise RuntimeError(f"the registry page answered {answer.status_code}: {answer.text[:200]}")
            if index >= len(queries):  # the first round warms the caches
                timings.append(elapsed)
    app.state.engine.dispose()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--reuse", action="store_true", help="PostgreSQL only: measure the database built before")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for backend in args.backends.split(","):
            print(f"{backend}:")
            reuse = args.reuse and backend == "postgresql"
            url = _database_url(backend, Path(folder), reuse=reuse)
            secret = login(url) if reuse else build(url, args.assets)
            timings = sorted(measure(url, secret, args.requests))
            p50 = statistics.median(timings)
            p95 = timings[int(0.95 * (len(timings) - 1))]
            verdict = "PASS" if p95 <= TARGET_P95_MS else "FAIL"
            print(
                f"  registry page, {args.assets:,} assets, {len(timings)} requests: p50 {p50:.1f} ms, "
                f"p95 {p95:.1f} ms, max {timings[-1]:.1f} ms — {verdict} (p95 ≤ {TARGET_P95_MS:.0f} ms); "
                f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
            )


if __name__ == "__main__":
    main()
