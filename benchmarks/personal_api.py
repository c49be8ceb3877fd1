"""Benchmark: event intake over HTTP on loopback (single events and batches).

    uv run python benchmarks/personal_api.py --db postgresql

Builds a fresh database with N residents (100 k) and a data-source API key, starts uvicorn
(2 workers, each with its in-process poster) as a subprocess on 127.0.0.1, then drives it
on loopback:

* single: ``POST /api/v1/personal/events``, one event each, a closed loop of C connections
  (32) for ``--limit`` seconds (60), by ``wrk`` when installed (``apt-get install wrk``: the
  load generator's own CPU stays small), else by the asyncio client below; prints
  requests/s and latency percentiles (target: >= 1,000 requests/s with p99 < 50 ms);
* batch: ``POST /api/v1/personal/events/batch``, B batches (300) of 2,000 events from four
  connections; prints the events/s acknowledged (target: >= 20,000 events/s);
* posted: how long the posters then take to credit the last batch, and the events/s from
  the first batch to the last earn entry.

Events are yesterday's (Quzhou time) for random residents, so caps bite as in a real day.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from greenfin.auth import rules as identity
from greenfin.auth import service as auth
from greenfin.clock import BEIJING
from greenfin.db import Base, import_all_models, make_engine, make_session_factory, session_scope
from greenfin.region.service import current_region

PG_ADMIN = os.environ.get("GREENFIN_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
SECRET = "benchmark-secret-key"
SCENARIOS = ("online_transfer", "qr_payment", "e_receipt", "bus_ride", "shared_bike", "ecny_payment")


def prepare(db: str, workdir: Path, residents: int) -> tuple[str, str, list[str]]:
    if db == "postgresql":
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text('DROP DATABASE IF EXISTS "greenfin_bench_api" WITH (FORCE)'))
            connection.execute(text('CREATE DATABASE "greenfin_bench_api"'))
        admin.dispose()
        url = PG_ADMIN.rsplit("/", 1)[0] + "/greenfin_bench_api"
    else:
        path = workdir / "api.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    import_all_models()
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    rng = random.Random(11)
    numbers = sorted({identity.synthetic_id_number(rng, i, current_region().county_codes) for i in range(residents)})
    digest = identity.hasher(SECRET)
    now = datetime.now(BEIJING)
    with session_scope(make_session_factory(engine)) as session:
        bank = auth.create_organisation(session, kind="bank", name="Bench bank", code="QZB01", region_code="330800")
        _, key = auth.create_api_key(session, organisation=bank, name="bench", role="data_source")
        from greenfin.personal.models import Account

        session.execute(
            Account.__table__.insert(),
            [
                {
                    "ref": f"{i:032x}",
                    "id_hash": digest(n),
                    "id_masked": identity.mask_id_number(n),
                    "name_masked": "张*",
                    "consent_ref": f"B-{i}",
                    "consent_channel": "bank",
                    "consent_at": now,
                    "consent_by": "bench",
                    "opened_at": now,
                }
                for i, n in enumerate(numbers)
            ],
        )
    engine.dispose()
    return url, key, numbers


class Client:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, port: int, key: str) -> None:
        self.port, self.key = port, key

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"X-API-Key: {self.key}\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.writer.write(head + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        payload = await self.reader.readexactly(length)
        return int(status_line.split()[1]), payload


def event_day() -> datetime:
    """Midnight of yesterday in Quzhou: the events are a day's payments, none in the future."""
    today = datetime.now(BEIJING).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=1)


def event(numbers: list[str], i: int, rng: random.Random) -> dict[str, object]:
    at = event_day() + timedelta(seconds=rng.randrange(86_400))
    return {
        "source": "QZB01",
        "external_id": f"api-{i}",
        "id_number": numbers[rng.randrange(len(numbers))],
        "scenario": rng.choice(SCENARIOS),
        "occurred_at": at.isoformat(),
        "amount_fen": rng.randrange(100, 10_000),
    }


async def run_single(
    port: int, key: str, numbers: list[str], *, connections: int, requests: int, limit_s: float, first: int = 0
) -> dict:  # type: ignore[type-arg]
    counter = iter(range(first, first + requests))
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    deadline = time.perf_counter() + limit_s

    async def worker(seed: int) -> None:
        rng = random.Random(seed)
        client = Client(port, key)
        await client.open()
        for i in counter:
            if time.perf_counter() > deadline:
                break
            body = json.dumps(event(numbers, i, rng)).encode()
            started = time.perf_counter()
            status, _ = await client.post("/api/v1/personal/events", body)
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1
        client.writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker(s) for s in range(connections)))
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return {
        "requests": len(latencies),
        "seconds": round(elapsed, 2),
        "requests_per_s": round(len(latencies) / elapsed),
        "p50_ms": round(pct(0.50), 1),
        "p99_ms": round(pct(0.99), 1),
        "max_ms": round(latencies[-1] * 1000, 1),
        "statuses": statuses,
    }


async def run_batch(
    port: int, key: str, numbers: list[str], *, connections: int, batches: int, size: int, limit_s: float
) -> dict:  # type: ignore[type-arg]
    # The bodies are built before the clock starts: serialising 600 k events costs the client
    # ~4 s of CPU, which on this 2-core machine would be taken from the server being measured
    # (wrk likewise formats its single events in C, outside the server's cores).
    rng = random.Random(1000)
    bodies = iter(
        [
            json.dumps({"events": [event(numbers, 10_000_000 + b * size + j, rng) for j in range(size)]}).encode()
            for b in range(batches)
        ]
    )
    accepted = 0
    statuses: dict[int, int] = {}
    deadline = time.perf_counter() + limit_s

    async def worker() -> None:
        nonlocal accepted
        client = Client(port, key)
        await client.open()
        for body in bodies:
            if time.perf_counter() > deadline:
                break
            status, payload = await client.post("/api/v1/personal/events/batch", body)
            statuses[status] = statuses.get(status, 0) + 1
            if status == 200:
                accepted += json.loads(payload)["accepted"]
        client.writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    return {
        "accepted": accepted,
        "seconds": round(elapsed, 2),
        "events_per_s": round(accepted / elapsed),
        "statuses": statuses,
    }


WRK_SCRIPT = r"""
-- One single-event delivery per request, each with its own external id.
local numbers, scenarios, counter, tid, run, day = {}, {"online_transfer", "qr_payment", "e_receipt", "bus_ride",
  "shared_bike", "ecny_payment"}, 0, 0, "", ""
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
function init(args)
  for line in io.lines(args[1]) do table.insert(numbers, line) end
  run, day = args[2], args[3]
  math.randomseed(tid * 7919)
end
function request()
  counter = counter + 1
  local body = string.format(
    '{"source":"QZB01","external_id":"wrk-%s-%d-%d","id_number":"%s","scenario":"%s",' ..
    '"occurred_at":"%sT%02d:%02d:%02d+08:00","amount_fen":%d}',
    run, tid, counter, numbers[math.random(#numbers)], scenarios[math.random(#scenarios)], day,
    math.random(0, 23), math.random(0, 59), math.random(0, 59), math.random(100, 9999))
  return wrk.format("POST", "/api/v1/personal/events", {["Content-Type"] = "application/json",
    ["X-API-Key"] = wrk.headers["X-API-Key"]}, body)
end
function done(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "seconds": %.2f, "requests_per_s": %d, "p50_ms": %.1f, "p99_ms": %.1f, ' ..
    '"max_ms": %.1f, "non_2xx": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout))
end
"""


def run_wrk(port: int, key: str, numbers: list[str], *, connections: int, seconds: float, workdir: Path) -> dict:  # type: ignore[type-arg]
    """The single-event phase driven by wrk (C, one thread): the load generator's own CPU stays small."""
    script, ids = workdir / "single.lua", workdir / "numbers.txt"
    script.write_text(WRK_SCRIPT)
    ids.write_text("\n".join(numbers) + "\n")
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{int(seconds)}s", "--timeout", "5s", "-s", str(script),
         "-H", f"X-API-Key: {key}", f"http://127.0.0.1:{port}/api/v1/personal/events",
         "--", str(ids), str(time.time_ns()), event_day().date().isoformat()],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    line = next(line for line in out.stdout.splitlines() if line.startswith("{"))
    result: dict = json.loads(line)  # type: ignore[type-arg]
    return result


def drain(url: str, *, accepted: int, intake_seconds: float, limit_s: float = 600) -> dict:  # type: ignore[type-arg]
    """Wait until the server's posters have posted every delivery; how long that took after the batches.

    Intake answers before posting (see docs/personal-intake.md), so the batch figure alone
    would hide a poster that cannot keep up: this prints the time to an empty backlog and the
    events per second from the first batch to the last earn entry.
    """
    engine = create_engine(url)
    started = time.perf_counter()
    with engine.connect() as connection:
        while time.perf_counter() - started < limit_s:
            pending = connection.execute(
                text("SELECT count(*) FROM personal_intake_batch WHERE posted_at IS NULL")
            ).scalar_one()
            connection.commit()
            if pending == 0:
                break
            time.sleep(0.1)
    engine.dispose()
    drained = time.perf_counter() - started
    return {
        "pending_batches": pending,
        "drain_seconds": round(drained, 2),
        "end_to_end_events_per_s": round(accepted / (intake_seconds + drained)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--batches", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=2_000)
    parser.add_argument("--limit", type=float, default=60.0, help="seconds per phase at most")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--client", choices=("wrk", "python"), default="wrk" if shutil.which("wrk") else "python",
        help="load generator of the single-event phase (wrk when installed: apt-get install wrk)",
    )  # fmt: skip
    parser.add_argument("--workdir", type=Path, default=Path("var/bench"))
    parser.add_argument(
        "--phases", default="single,batch", help="comma-separated phases to run (single, batch); both by default"
    )
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    url, key, numbers = prepare(args.db, args.workdir, args.residents)
    env = {**os.environ, "GREENFIN_DATABASE_URL": url, "GREENFIN_SECRET_KEY": SECRET, "GREENFIN_ENVIRONMENT": "test"}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "greenfin.app:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(args.port), "--workers", str(args.workers), "--log-level", "warning", "--no-access-log"],
        env=env,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                asyncio.run(asyncio.open_connection("127.0.0.1", args.port))
                break
            except OSError:
                time.sleep(0.2)
        time.sleep(1.0)
        # Warm-up: every worker imports, connects and caches the catalogue.
        asyncio.run(run_single(args.port, key, numbers, connections=8, requests=400, limit_s=20, first=5_000_000))
        phases = set(args.phases.split(","))
        if "single" in phases:
            run_single_phase(args, key, numbers)
        if "batch" in phases:
            run_batch_phase(args, url, key, numbers)
    finally:
        server.terminate()
        server.wait(timeout=120)


def run_single_phase(args: argparse.Namespace, key: str, numbers: list[str]) -> None:
    if args.client == "wrk":
        single = run_wrk(args.port, key, numbers, connections=args.connections, seconds=args.limit,
                         workdir=args.workdir)  # fmt: skip
    else:
        single = asyncio.run(
            run_single(
                args.port, key, numbers, connections=args.connections, requests=args.requests, limit_s=args.limit
            )
        )
    print("single", json.dumps(single))


def run_batch_phase(args: argparse.Namespace, url: str, key: str, numbers: list[str]) -> None:
    batch = asyncio.run(
        run_batch(
            args.port, key, numbers, connections=max(2, args.workers * 2), batches=args.batches,
            size=args.batch_size, limit_s=args.limit,
        )
    )  # fmt: skip
    print("batch ", json.dumps(batch))
    print("posted", json.dumps(drain(url, accepted=batch["accepted"], intake_seconds=batch["seconds"])))


if __name__ == "__main__":
    main()
