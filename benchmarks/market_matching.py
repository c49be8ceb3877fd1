"""Benchmark: matching over HTTP with 1,000 published products and 100,000 open needs.

    .venv/bin/python benchmarks/market_matching.py --db sqlite
    .venv/bin/python benchmarks/market_matching.py --db postgresql

Builds a fresh database (32 banks, ``--products`` published products with mixed ranges and
eligibility, ``--needs`` open needs of enterprises, farms and residents), starts uvicorn (one
worker) on loopback and, one request at a time, asks

* ``GET /api/v1/market/needs/{id}/matches`` for random needs as their borrower (target p95 ≤ 20 ms);
* ``GET /api/v1/market/needs/matching`` (first page) as random banks (target p95 ≤ 50 ms);

and prints p50 / p95 / p99 in milliseconds.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, text
from sqlalchemy.orm import Session

from greenfin.auth import service as auth
from greenfin.auth.models import Organisation, User
from greenfin.db import Base, import_all_models, make_engine, make_session_factory, new_id, session_scope
from greenfin.settings import Settings

PG_ADMIN = os.environ.get("GREENFIN_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
COUNTIES = ("330802", "330803", "330822", "330824", "330825", "330881")
LABELS = (None, "dark_green", "light_green", "yellow", "red")
USES = (None, "1", "3", "4", "4.1", "5.5")


def database(db: str, workdir: Path) -> str:
    if db == "postgresql":
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text('DROP DATABASE IF EXISTS "greenfin_bench_market" WITH (FORCE)'))
            connection.execute(text('CREATE DATABASE "greenfin_bench_market"'))
        admin.dispose()
        return PG_ADMIN.rsplit("/", 1)[0] + "/greenfin_bench_market"
    path = workdir / "market.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


_HASH = auth.hash_password("benchmark-pass")


def _user(session: Session, username: str, role: str, organisation: Organisation) -> User:
    """A user without an argon2 hash per user (hundreds of them would take minutes)."""
    user = User(
        username=username, display_name=username, password_hash=_HASH, role=role, organisation_id=organisation.id
    )
    session.add(user)
    session.flush()
    return user


def prepare(url: str, products: int, needs: int, seed: int) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Build the region; returns bank tokens by code and (need id, borrower token) samples."""
    from greenfin.market.models import Need, Product

    rng = random.Random(seed)
    import_all_models()
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    settings = Settings(database_url=url, environment="test")
    bank_tokens: dict[str, str] = {}
    samples: list[tuple[str, str]] = []
    with session_scope(factory) as session:
        banks = []
        for i in range(32):
            org = auth.create_organisation(
                session, kind="bank", name=f"银行{i:02d}", code=f"bank{i:02d}", region_code="330800"
            )
            user = _user(session, f"bank{i:02d}", "bank", org)
            bank_tokens[org.code], _ = auth.issue_token(session, settings, user)
            banks.append(org)
        rows = []
        for i in range(products):
            bank = banks[i % 32]
            low = rng.choice((10_000_00, 100_000_00, 1_000_000_00, 5_000_000_00))
            rows.append(
                {
                    "id": new_id(),
                    "product_key": new_id(),
                    "version": 1,
                    "status": "published",
                    "org_code": bank.code,
                    "org_name": bank.name,
                    "name": f"产品{i}",
                    "family": "green_credit",
                    "loan_method": rng.choice(("credit", "credit", "credit", "guarantee", "mortgage")),
                    "min_amount_fen": low,
                    "max_amount_fen": low * rng.choice((10, 50, 100)),
                    "min_term_months": rng.choice((1, 3, 6, 12)),
                    "max_term_months": rng.choice((12, 24, 36, 60)),
                    "rate_spread_bp": rng.randrange(-20, 200, 5),
                    "for_enterprise": rng.random() < 0.7,
                    "for_farm": rng.random() < 0.4,
                    "for_resident": rng.random() < 0.3,
                    "counties": None if rng.random() < 0.6 else rng.sample(COUNTIES, 2),
                    "industries": None if rng.random() < 0.8 else [rng.choice(("13", "22", "26", "30", "38"))],
                    "carbon_labels": None if rng.random() < 0.7 else ["dark_green", "light_green"],
                    "agricultural_labels": None,
                    "personal_grades": None,
                    "green_uses": None if rng.random() < 0.7 else rng.sample(USES[1:], 2),
                    "documents": [],
                    "accept_days": 1,
                    "decide_days": 9,
                    "description": "",
                    "created_by": "benchmark",
                    "created_at": datetime.now(UTC),
                    "published_at": datetime.now(UTC),
                }
            )
        session.execute(insert(Product), rows)
        borrowers = []
        for i in range(200):
            code = f"9133080{i:04d}XXXXXXX"[:18]
            org = auth.create_organisation(session, kind="enterprise", name=f"企业{i}", code=code, region_code="330802")
            user = _user(session, f"firm{i}", "enterprise", org)
            token, _ = auth.issue_token(session, settings, user)
            borrowers.append((code, token))
        start = datetime.now(UTC) - timedelta(days=365)
        batch = []
        for i in range(needs):
            code, token = borrowers[i % len(borrowers)]
            need_id = new_id()
            kind = "enterprise" if i % len(borrowers) < 150 else rng.choice(("farm", "resident"))
            batch.append(
                {
                    "id": need_id,
                    "status": "open",
                    "borrower_kind": kind,
                    "borrower_code": code,
                    "borrower_name": code,
                    "county_code": rng.choice(COUNTIES),
                    "industry_code": rng.choice(("1310", "2221", "2614", "3011", "3825")),
                    "industrial_label": rng.choice(LABELS) if kind == "enterprise" else None,
                    "amount_fen": rng.choice((50_000_00, 300_000_00, 1_000_000_00, 5_000_000_00, 20_000_000_00)),
                    "term_months": rng.choice((6, 12, 24, 36)),
                    "purpose": "设备更新",
                    "green_use": rng.choice(USES),
                    "green_catalogue": "2019",
                    "collateral": rng.choice(("none", "none", "guarantee", "mortgage")),
                    "collateral_note": "",
                    "created_by": "benchmark",
                    "created_at": start + timedelta(seconds=i * 300),
                    "updated_at": start,
                }
            )
            if rng.random() < 0.01:
                samples.append((need_id, token))
            if len(batch) == 10_000:
                session.execute(insert(Need), batch)
                batch = []
        if batch:
            session.execute(insert(Need), batch)
        from greenfin.market import service

        service.reindex(session, auth.SYSTEM)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("ANALYZE"))
        else:
            connection.execute(text("ANALYZE"))
    engine.dispose()
    return bank_tokens, samples


def percentiles(times: list[float]) -> str:
    ordered = sorted(times)
    q = statistics.quantiles(ordered, n=100)
    return f"p50 {q[49]:.1f} ms  p95 {q[94]:.1f} ms  p99 {q[98]:.1f} ms  (n={len(ordered)})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--products", type=int, default=1_000)
    parser.add_argument("--needs", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--workdir", type=Path, default=Path("var/bench"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    url = database(args.db, args.workdir)
    began = time.perf_counter()
    banks, samples = prepare(url, args.products, args.needs, seed=13)
    print(f"{args.db}: built {args.products} products, {args.needs} needs in {time.perf_counter() - began:.1f} s")
    env = {
        **os.environ,
        "GREENFIN_DATABASE_URL": url,
        "GREENFIN_ENVIRONMENT": "test",
        "GREENFIN_POSTING_INTERVAL_SECONDS": "0",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "greenfin.app:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(args.port), "--workers", "1", "--log-level", "warning", "--no-access-log"],
        env=env,
    )  # fmt: skip
    rng = random.Random(7)
    try:
        for _ in range(600):
            try:
                probe = http.client.HTTPConnection("127.0.0.1", args.port, timeout=5)
                probe.request("GET", "/health")
                probe.getresponse().read()
                break
            except OSError:
                time.sleep(0.2)
        connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)

        def get(path: str, token: str) -> tuple[float, object]:
            t0 = time.perf_counter()
            connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
            response = connection.getresponse()
            body = response.read()
            elapsed = (time.perf_counter() - t0) * 1000
            if response.status != 200:
                raise SystemExit(f"{path}: {response.status} {body[:300]!r}")
            return elapsed, json.loads(body)

        need_times: list[float] = []
        counts = []
        for i in range(args.requests + 20):
            need_id, token = samples[i % len(samples)]
            elapsed, data = get(f"/api/v1/market/needs/{need_id}/matches", token)
            if i >= 20:  # warm-up
                need_times.append(elapsed)
                counts.append(len(data["items"]))  # type: ignore[index]
        print(f"{args.db}: one need's matches {percentiles(need_times)}; {statistics.mean(counts):.1f} matches a need")
        bank_times: list[float] = []
        codes = sorted(banks)
        found = []
        for i in range(args.requests + 20):
            elapsed, data = get("/api/v1/market/needs/matching?limit=20", banks[rng.choice(codes)])
            if i >= 20:
                bank_times.append(elapsed)
                found.append(len(data["items"]))  # type: ignore[index]
        print(
            f"{args.db}: a bank's matching needs {percentiles(bank_times)}; {statistics.mean(found):.1f} needs a page"
        )
    finally:
        server.terminate()
        server.wait(timeout=60)


if __name__ == "__main__":
    main()
