"""Benchmark: one bank's monthly balance file of 1,000,000 loans, against a hand-written bulk insert.

    .venv/bin/python benchmarks/market_balances.py --db sqlite
    .venv/bin/python benchmarks/market_balances.py --db postgresql

In one run: writes the CSV, imports it through ``balances.import_balances`` (parse, check every
row, insert, audit; one transaction), then times the plain bulk insert of the same rows into
an empty table of the same shape (SQLite ``executemany`` of prepared tuples; PostgreSQL
``COPY``) and the replay of the file (nothing inserted). Targets: import ≤ 60 s and ≤ 3× the
bulk insert.
"""

from __future__ import annotations

import argparse
import io
import os
import time
from pathlib import Path

import polars as pl
from sqlalchemy import Engine, create_engine, text

from greenfin.auth.service import Principal
from greenfin.db import Base, import_all_models, make_engine, make_session_factory, session_scope
from greenfin.market import balances

PG_ADMIN = os.environ.get("GREENFIN_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BANK = Principal(actor="benchmark", role="bank", organisation_kind="bank", organisation_code="bench_bank")


def database(db: str, workdir: Path) -> str:
    if db == "postgresql":
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text('DROP DATABASE IF EXISTS "greenfin_bench_balances" WITH (FORCE)'))
            connection.execute(text('CREATE DATABASE "greenfin_bench_balances"'))
        admin.dispose()
        return PG_ADMIN.rsplit("/", 1)[0] + "/greenfin_bench_balances"
    path = workdir / "balances.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def _book(engine: Engine, loan_nos: pl.Series) -> None:
    """The bank's loans, one per file row (100,000,000 fen from 2025-01-02), written in bulk."""
    loans = pl.DataFrame({"loan_no": loan_nos}).select(
        pl.col("loan_no").alias("id"),
        pl.lit("bench_bank").alias("bank_code"),
        "loan_no",
        pl.lit("enterprise").alias("borrower_kind"),
        pl.lit("91330802MA2XXXXX1A").alias("borrower_code"),
        pl.lit("benchmark").alias("borrower_name"),
        pl.lit("reported").alias("source"),
        pl.lit(100_000_000).alias("amount_fen"),
        pl.lit(350).alias("rate_bp"),
        pl.lit(12).alias("term_months"),
        pl.lit("2025-01-02").alias("start_date"),
        pl.lit("2026-01-02").alias("maturity_date"),
        pl.lit("").alias("purpose"),
        pl.lit("none").alias("collateral"),
        pl.lit("2025-01-02 00:00:00").alias("created_at"),
    )
    columns = ",".join(loans.columns)
    with engine.begin() as connection:
        raw = connection.connection.dbapi_connection
        assert raw is not None
        if engine.dialect.name == "postgresql":
            out = io.BytesIO()
            loans.write_csv(out, include_header=False)
            with (
                raw.cursor() as cursor,
                cursor.copy(f"COPY market_loan ({columns}) FROM STDIN WITH (FORMAT csv)") as copy,
            ):
                copy.write(out.getvalue())
        else:
            marks = ",".join("?" * len(loans.columns))
            raw.executemany(f"INSERT INTO market_loan ({columns}) VALUES ({marks})", loans.iter_rows())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=Path("var/bench"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    url = database(args.db, args.workdir)
    import_all_models()
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    n = args.rows
    frame = pl.DataFrame(
        {
            "loan_no": [f"L{i:09d}" for i in range(n)],
            "as_of": ["2025-10-31"] * n,
            "balance_fen": [str(100_000 + (i * 7919) % 10_000_000) for i in range(n)],
            "quality": [("normal", "normal", "normal", "special_mention", "substandard")[i % 5] for i in range(n)],
        }
    )
    buffer = io.BytesIO()
    frame.write_csv(buffer)
    content = buffer.getvalue()
    print(f"{args.db}: file of {n:,} rows, {len(content) / 1e6:.1f} MB")
    _book(engine, frame["loan_no"])  # every row is checked against the loan book: the loans exist first (untimed)

    t0 = time.perf_counter()
    with session_scope(factory) as session:
        _, rows, inserted = balances.import_balances(session, BANK, filename="balances.csv", content=content)
    imported = time.perf_counter() - t0
    assert inserted == n, inserted

    t0 = time.perf_counter()
    with session_scope(factory) as session:
        again = balances.import_balances(session, BANK, filename="balances.csv", content=content)
    replay = time.perf_counter() - t0
    assert again[2] == 0

    # The hand-written bulk insert of the same rows, typed as the table wants them, into an empty twin table.
    typed = frame.select(
        pl.lit("bench_bank").alias("bank_code"),
        "loan_no",
        "as_of",
        pl.col("balance_fen").cast(pl.Int64),
        "quality",
        pl.lit("x" * 32).alias("import_id"),
    )
    columns = "bank_code,loan_no,as_of,balance_fen,quality,import_id"
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS bench_twin"))
        if engine.dialect.name == "postgresql":
            connection.execute(text("CREATE TABLE bench_twin (LIKE market_loan_balance INCLUDING ALL)"))
        else:
            connection.execute(
                text(
                    "CREATE TABLE bench_twin (bank_code VARCHAR(40), loan_no VARCHAR(64), as_of DATE, "
                    "balance_fen BIGINT, quality VARCHAR(16), import_id VARCHAR(32), "
                    "PRIMARY KEY (bank_code, loan_no, as_of))"
                )
            )
            connection.execute(text("CREATE INDEX ix_bench_twin_as_of ON bench_twin (as_of)"))  # as the real table
    tuples = list(typed.iter_rows())
    t0 = time.perf_counter()
    with engine.begin() as connection:
        raw = connection.connection.dbapi_connection
        assert raw is not None
        if engine.dialect.name == "postgresql":
            out = io.BytesIO()
            typed.write_csv(out, include_header=False)
            with (
                raw.cursor() as cursor,
                cursor.copy(f"COPY bench_twin ({columns}) FROM STDIN WITH (FORMAT csv)") as copy,
            ):
                copy.write(out.getvalue())
        else:
            raw.executemany(f"INSERT INTO bench_twin ({columns}) VALUES (?,?,?,?,?,?)", tuples)
    bulk = time.perf_counter() - t0
    print(
        f"{args.db}: import {imported:.1f} s ({rows / imported:,.0f} rows/s); bulk insert {bulk:.1f} s; "
        f"ratio {imported / bulk:.2f}x; replay {replay:.1f} s (0 inserted)"
    )
    engine.dispose()


if __name__ == "__main__":
    main()
