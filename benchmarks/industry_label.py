"""Benchmark: labelling the whole demo region, against one hand-written SQL aggregation.

For each backend the script builds the demo region into a fresh database (SQLite: a temp
file; PostgreSQL: the database ``greenfin_bench``, dropped and created through the admin
URL), in a child process so that its memory does not count, then in this process:

(a) runs the real service ``greenfin.industry.service.label_years`` for 2023, 2024 and
    2025 (the same labels, runs and audit events as ``label_all`` year by year, from one
    pass over the records), reading the records from and writing the labels to the
    database, committed;
(b) runs ONE hand-written SELECT over the same records — records x factors -> per
    enterprise-year energy CO2, plus process CO2, intensity per 10,000 yuan of added value,
    the division's benchmark and K ratio, year-on-year change — materialised with
    ``CREATE TEMP TABLE … AS`` and counted.

Both read a warm cache (a full scan of the records runs first). It prints, per backend:
enterprises, energy rows, labels written, seconds of (a) and (b), (a)/(b), peak RSS of this
process, and PASS/FAIL against the targets (a) < 60 s, RSS < 4 GiB, (a) ≤ 3 x (b), and the
600-enterprise demo labelled in < 1 s. Usage::

    uv run python benchmarks/industry_label.py --enterprises 100000 --backends sqlite,postgresql
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, func, select, text

from greenfin.auth.service import SYSTEM
from greenfin.carbon.factors import load_factor_set
from greenfin.carbon.rules import factor_rows
from greenfin.db import make_engine, make_session_factory, session_scope
from greenfin.demo.region import CITY_CODE, YEARS
from greenfin.demo.service import build_region
from greenfin.industry.models import EnergyRecord, Label
from greenfin.migrations import upgrade
from greenfin.settings import Settings

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BENCH_DATABASE = "greenfin_bench"
TARGET_SECONDS = 60.0
TARGET_RSS_BYTES = 4 * 1024**3
TARGET_RATIO = 3.0
TARGET_SMALL_SECONDS = 1.0
SMALL = 600

HAND_WRITTEN_SQL = """
CREATE TEMP TABLE bench_result AS
WITH energy AS (
    SELECT r.enterprise_id, r.year,
           SUM(r.quantity_milli * f.co2_mg / 1000000) AS energy_g
    FROM industry_energy_record r
    JOIN bench_factor f ON f.energy = r.energy AND f.year = r.year
    WHERE r.is_current = :true AND r.year BETWEEN :first AND :last
    GROUP BY r.enterprise_id, r.year
),
process AS (
    SELECT enterprise_id, year, SUM(co2_g) AS process_g
    FROM industry_process_emission
    WHERE is_current = :true AND year BETWEEN :first AND :last
    GROUP BY enterprise_id, year
),
intensity AS (
    SELECT e.enterprise_id, e.year, SUBSTR(ent.industry_code, 1, 2) AS division,
           e.energy_g + COALESCE(p.process_g, 0) AS total_g, a.added_value_fen,
           (e.energy_g + COALESCE(p.process_g, 0)) / (a.added_value_fen / 1000000.0) AS g_per_wan
    FROM energy e
    JOIN industry_enterprise ent ON ent.id = e.enterprise_id
    JOIN industry_annual_figures a
      ON a.enterprise_id = e.enterprise_id AND a.year = e.year AND a.is_current = :true
    LEFT JOIN process p ON p.enterprise_id = e.enterprise_id AND p.year = e.year
    WHERE a.added_value_fen > 0
),
peers AS (
    SELECT year, division, COUNT(*) AS peer_count, SUM(total_g) / (SUM(added_value_fen) / 1000000.0) AS benchmark
    FROM intensity
    GROUP BY year, division
)
SELECT i.enterprise_id, i.year, i.total_g, i.g_per_wan, p.benchmark, p.peer_count,
       i.g_per_wan / p.benchmark AS k_ratio,
       (i.g_per_wan - LAG(i.g_per_wan) OVER w) / LAG(i.g_per_wan) OVER w AS yoy_change
FROM intensity i
JOIN peers p ON p.year = i.year AND p.division = i.division
WINDOW w AS (PARTITION BY i.enterprise_id ORDER BY i.year)
"""


@dataclass(frozen=True)
class Result:
    backend: str
    enterprises: int
    energy_rows: int
    labels: int
    hand_rows: int
    build_s: float
    label_s: float
    hand_s: float
    rss: int
    small_s: float

    @property
    def ratio(self) -> float:
        return self.label_s / self.hand_s if self.hand_s else float("inf")


def _fresh_url(backend: str, workdir: Path, enterprises: int) -> str:
    if backend == "sqlite":
        return f"sqlite:///{workdir / f'bench-{enterprises}.db'}"
    name = f"{BENCH_DATABASE}_{enterprises}" if enterprises == SMALL else BENCH_DATABASE
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _drop(backend: str, url: str) -> None:
    if backend == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
        return
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


def _build(url: str, enterprises: int, seed: int) -> dict[str, float]:
    """Build in a child process (its memory is not this process's); its seconds and peak RSS."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, __file__, "--build-only", url, "--enterprises", str(enterprises), "--seed", str(seed)],
        check=True,
    )
    return {"seconds": time.perf_counter() - started}


def _build_only(url: str, enterprises: int, seed: int) -> None:
    upgrade(url)
    engine = make_engine(url)
    summary = build_region(
        engine, enterprises=enterprises, seed=seed, settings=Settings(environment="test", database_url=url), label=False
    )
    engine.dispose()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(
        f"  built {summary.enterprises:,} enterprises, {summary.energy_records:,} energy records in "
        f"{summary.seconds['build']:.1f} s (peak RSS of the build process {rss / 1024**2:,.0f} MiB)",
        flush=True,
    )


def _warm(engine: Engine) -> int:
    with engine.connect() as connection:
        connection.execute(text("SELECT SUM(quantity_milli) FROM industry_energy_record")).scalar()
        return int(connection.execute(select(func.count()).select_from(EnergyRecord)).scalar() or 0)


def _label(engine: Engine) -> tuple[float, int, dict[int, dict[str, int]]]:
    from greenfin.industry.service import label_years

    factory = make_session_factory(engine)
    started = time.perf_counter()
    with session_scope(factory) as session:
        counts = {run.year: dict(run.counts) for run in label_years(session, SYSTEM, years=YEARS)}
    seconds = time.perf_counter() - started
    with engine.connect() as connection:
        written = int(connection.execute(select(func.count()).select_from(Label)).scalar() or 0)
    return seconds, written, counts


def _hand_written(engine: Engine) -> tuple[float, int]:
    rows = factor_rows(load_factor_set(), years=range(YEARS[0] - 1, YEARS[-1] + 1), region=CITY_CODE)
    with engine.connect() as connection, connection.begin():
        connection.execute(
            text(
                "CREATE TEMP TABLE bench_factor (energy VARCHAR(30), year INTEGER, co2_mg BIGINT, ce_mg BIGINT, "
                "PRIMARY KEY (energy, year))"
            )
        )
        connection.execute(
            text("INSERT INTO bench_factor VALUES (:energy, :year, :co2, :ce)"),
            [{"energy": r.energy, "year": r.year, "co2": r.co2_mg_per_unit, "ce": r.ce_mg_per_unit} for r in rows],
        )
        started = time.perf_counter()
        connection.execute(text(HAND_WRITTEN_SQL), {"true": True, "first": YEARS[0] - 1, "last": YEARS[-1]})
        count = int(connection.execute(text("SELECT COUNT(*) FROM bench_result")).scalar() or 0)
        seconds = time.perf_counter() - started
        connection.execute(text("DROP TABLE bench_result"))
        connection.execute(text("DROP TABLE bench_factor"))
    return seconds, count


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _measure(url: str) -> dict[str, Any]:
    """In a child process: warm the cache, time (a) and (b); the figures as a dict."""
    engine = make_engine(url)
    energy_rows = _warm(engine)
    label_seconds, written, counts = _label(engine)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    hand_seconds, hand_rows = _hand_written(engine)
    engine.dispose()
    return {
        "energy_rows": energy_rows,
        "label_s": label_seconds,
        "labels": written,
        "counts": counts,
        "rss": rss,
        "hand_s": hand_seconds,
        "hand_rows": hand_rows,
    }


def _child_measure(url: str) -> dict[str, Any]:
    # A fresh process per measurement: its peak RSS is its own (Linux keeps ru_maxrss across
    # fork and exec, so this parent stays small and does no database work itself).
    done = subprocess.run([sys.executable, __file__, "--measure-only", url], check=True, capture_output=True, text=True)
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))
    return dict(json.loads(line.removeprefix("RESULT ")))


def run(backends: list[str], enterprises: int, seed: int, keep: bool) -> int:
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="greenfin-bench-") as tmp:
        workdir = Path(tmp)
        for backend in backends:
            print(f"[{backend}] {SMALL} enterprises", flush=True)
            small_url = _fresh_url(backend, workdir, SMALL)
            _build(small_url, SMALL, seed)
            small = _child_measure(small_url)
            _drop(backend, small_url)

            print(f"[{backend}] {enterprises:,} enterprises", flush=True)
            url = _fresh_url(backend, workdir, enterprises)
            build = _build(url, enterprises, seed)
            big = _child_measure(url)
            if not keep:
                _drop(backend, url)
            print(f"  labels by year: {json.dumps(big['counts'])}", flush=True)
            results.append(
                Result(
                    backend=backend,
                    enterprises=enterprises,
                    energy_rows=big["energy_rows"],
                    labels=big["labels"],
                    hand_rows=big["hand_rows"],
                    build_s=build["seconds"],
                    label_s=big["label_s"],
                    hand_s=big["hand_s"],
                    rss=big["rss"],
                    small_s=small["label_s"],
                )
            )
    header = (
        f"{'backend':<11}{'enterpr.':>9}{'energy rows':>13}{'labels':>9}{'build s':>9}{'(a) s':>8}{'(b) s':>8}"
        f"{'a/b':>6}{'RSS MiB':>9}{'600 s':>7}  <60s <4GiB ≤3x <1s(600)"
    )
    print()
    print(header)
    print("-" * len(header))
    failed = 0
    for r in results:
        checks = [
            r.label_s < TARGET_SECONDS,
            r.rss < TARGET_RSS_BYTES,
            r.ratio <= TARGET_RATIO,
            r.small_s < TARGET_SMALL_SECONDS,
        ]
        failed += checks.count(False)
        print(
            f"{r.backend:<11}{r.enterprises:>9,}{r.energy_rows:>13,}{r.labels:>9,}{r.build_s:>9.1f}"
            f"{r.label_s:>8.2f}{r.hand_s:>8.2f}{r.ratio:>6.2f}{r.rss / 1024**2:>9,.0f}{r.small_s:>7.2f}"
            f"  {_verdict(checks[0])} {_verdict(checks[1])}  {_verdict(checks[2])} {_verdict(checks[3])}"
        )
    print(
        "\n(a) label_years 2023-2025 (label_all's batch, one pass over the records), committed; "
        "(b) one hand-written SELECT of the same aggregation, materialised"
    )
    return 1 if failed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", action="store_true", help="keep the large PostgreSQL database greenfin_bench")
    parser.add_argument("--build-only", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--measure-only", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_only:
        print("RESULT " + json.dumps(_measure(args.measure_only)), flush=True)
        return
    if args.build_only:
        _build_only(args.build_only, args.enterprises, args.seed)
        return
    sys.exit(run(args.backends.split(","), args.enterprises, args.seed, args.keep))


if __name__ == "__main__":
    main()
