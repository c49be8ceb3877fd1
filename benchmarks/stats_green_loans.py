"""Benchmark: green-loan statistics and financed emissions over 1,000,000 loans × 24 month-ends.

    .venv/bin/python benchmarks/stats_green_loans.py --db sqlite [--loans 1000000]
    .venv/bin/python benchmarks/stats_green_loans.py --db postgresql [--loans 1000000]

Builds a loan book of ``--loans`` loans over 32 banks, the region's counties, three borrower
kinds, eight GB/T 4754 classes and the 2019 catalogue's codes (about a third green), with a
balance and a five-class quality at each of the 24 month-ends of 2023–2024 (24 M rows at full
scale), plus carbon accounts for 10,000 of the borrowers. Then, in one run, it times:

1. ``stats.service.green_loan_statistics`` of 2024-12-31 against 2023-12-31, by every
   dimension (category, bank, county, borrower kind, industry, quality) — target ≤ 3 s;
2. ``stats.service.quarterly_series`` over the eight quarter-ends of the 24 months, totals and
   every dimension — target ≤ 10 s;
3. ``stats.service.financed_emissions_of_book`` of every loan on 2024-12-31 — target ≤ 10 s;

and each against the same aggregation hand-written in SQL and fetched (target ≤ 2×). The
databases are dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import io
import os
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Engine, create_engine, insert, text

from greenfin.auth.service import Principal
from greenfin.db import ANALYTIC_SETTINGS, Base, import_all_models, make_engine, make_session_factory, session_scope
from greenfin.industry.models import Enterprise, ProcessEmission
from greenfin.market import repository as book_repository
from greenfin.market.balances import summary_cells
from greenfin.market.repository import LOAN_TERMS
from greenfin.region.service import county_names
from greenfin.stats import service
from greenfin.stats.demo import month_ends

PG_ADMIN = os.environ.get("GREENFIN_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_NAME = "greenfin_bench_stats"
REGULATOR = Principal(actor="benchmark", role="regulator")
DAYS = month_ends(date(2023, 1, 31), date(2024, 12, 31))
AS_OF, BASE = date(2024, 12, 31), date(2023, 12, 31)
CODES = ("1", "1.1", "2", "3", "3.2", "4", "4.1", "4.2", "5", "5.5", "6")
CLASSES = ("4411", "3011", "2614", "3130", "2211", "1351", "3825", "0151")
QUALITIES = ("normal",) * 16 + ("special_mention", "substandard", "doubtful", "loss")
ACCOUNTS = 10_000
DIMENSION_SQL = {
    "totals": "",
    "category": "green_catalogue, green_use",
    "bank": "bank_code",
    "county": "county_code",
    "borrower_kind": "borrower_kind",
    "industry": "division",
    "quality": "quality",
}


def database(db: str, workdir: Path) -> str:
    if db == "postgresql":
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{PG_NAME}"'))
        admin.dispose()
        return PG_ADMIN.rsplit("/", 1)[0] + f"/{PG_NAME}"
    path = workdir / "stats.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def drop(db: str, workdir: Path) -> None:
    if db == "postgresql":
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)'))
        admin.dispose()
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{workdir / 'stats.db'}{suffix}").unlink(missing_ok=True)


def _copy(engine: Engine, table: str, frame: pl.DataFrame) -> None:
    """Bulk-append a frame: COPY on PostgreSQL, executemany on SQLite (set-up, not timed)."""
    columns = ", ".join(frame.columns)
    with engine.begin() as connection:
        raw: Any = connection.connection.dbapi_connection
        if engine.dialect.name == "postgresql":
            out = io.BytesIO()
            frame.write_csv(out, include_header=False)
            with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
                copy.write(out.getvalue())
        else:
            marks = ", ".join("?" for _ in frame.columns)
            raw.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", frame.iter_rows())


def build(engine: Engine, loans: int) -> tuple[float, float]:
    """The loan book, its 24 month-ends (with the book's summary, summed from each month's rows as a
    balance import does) and 10,000 carbon accounts: seconds taken in all, and by the summary."""
    started = time.perf_counter()
    counties = list(county_names())
    i = pl.int_range(0, loans, eager=True)
    green = (pl.col("i") * 7 % 20) < 7  # 35 %

    def pick(values: tuple[str, ...], key: pl.Expr) -> pl.Expr:
        return (key % len(values)).replace_strict(dict(enumerate(values)), return_dtype=pl.Utf8)

    book = pl.DataFrame({"i": i}).with_columns(
        pl.format("L{}", pl.col("i")).alias("id"),
        pl.format("bench-bank-{}", pl.col("i") % 32).alias("bank_code"),
        pl.format("N{}", pl.col("i")).alias("loan_no"),
        pl.when(pl.col("i") % 10 < 7)
        .then(pl.lit("enterprise"))
        .when(pl.col("i") % 10 < 9)
        .then(pl.lit("farm"))
        .otherwise(pl.lit("resident"))
        .alias("borrower_kind"),
        pl.format("B{}", pl.col("i") % 300_000).alias("borrower_code"),
        pl.lit("借款人").alias("borrower_name"),
        pl.lit("reported").alias("source"),
        (1_000_000 + (pl.col("i") * 7919) % 500_000_000).alias("amount_fen"),
        pl.lit(400).alias("rate_bp"),
        pl.lit(60).alias("term_months"),
        pl.lit("2022-12-31").alias("start_date"),
        pl.lit("2027-12-31").alias("maturity_date"),
        pl.when(green).then(pick(CODES, pl.col("i") // 3)).otherwise(None).alias("green_use"),
        pl.when(green).then(pl.lit("2019")).otherwise(None).alias("green_catalogue"),
        pl.lit("").alias("purpose"),
        pl.lit("none").alias("collateral"),
        pl.lit("2023-01-01 00:00:00").alias("created_at"),
        pick(tuple(counties), pl.col("i") // 7).alias("county_code"),
        pick(CLASSES, pl.col("i") // 11).alias("industry_code"),
    )
    _copy(engine, "market_loan", book.drop("i"))
    summing = 0.0
    for k, day in enumerate(DAYS):
        month = book.select(
            "bank_code",
            "loan_no",
            pl.lit(day).alias("as_of"),
            (pl.col("amount_fen") * (100 + k * ((pl.col("i") % 7) - 2)) // 100).alias("balance_fen"),
            pick(QUALITIES, pl.col("i") + k).alias("quality"),
            pl.lit("bench").alias("import_id"),
        )
        _copy(engine, "market_loan_balance", month)
        began = time.perf_counter()
        dimensions = book.select("loan_no", *(c for c in LOAN_TERMS if c in book.columns and c != "loan_no"))
        _copy(engine, "market_book_summary", summary_cells(month.join(dimensions, on="loan_no")))
        summing += time.perf_counter() - began
    with engine.begin() as connection:
        connection.execute(
            insert(Enterprise),
            [
                {"id": n + 1, "uscc": f"B{n * 30}", "name": f"企业{n}", "county_code": counties[n % len(counties)]}
                | {"industry_code": "3011"}
                for n in range(min(ACCOUNTS, loans))
            ],
        )
        connection.execute(
            insert(ProcessEmission),
            [
                {"enterprise_id": n + 1, "year": 2024, "source": "clinker_calcination", "co2_g": 10**9 + n * 10**6}
                | {"data_quality": ("audited", "metered", "declared")[n % 3]}
                for n in range(min(ACCOUNTS, loans))
            ],
        )
        connection.execute(text("ANALYZE"))
    return time.perf_counter() - started, summing


def _same_settings(connection: Any) -> None:
    """The hand-written SQL runs with the service's PostgreSQL settings (greenfin.db.ANALYTIC_SETTINGS)."""
    if connection.dialect.name == "postgresql":
        for name, value in ANALYTIC_SETTINGS.items():
            connection.execute(text("SELECT set_config(:n, :v, true)"), {"n": name, "v": value})


def _hand_statistics(engine: Engine, dates: list[date]) -> int:
    """The same aggregation written by hand: one join of the dates' balances, grouped every way."""
    listed = ", ".join(f"'{d.isoformat()}'" for d in dates)
    parts = []
    for index, columns in enumerate(DIMENSION_SQL.values()):
        keys = [c.strip() for c in columns.split(",") if c.strip()]
        shown = ", ".join([*keys, *["NULL"] * (2 - len(keys))])
        grouped = ", ".join(["as_of", *keys])
        parts.append(f"SELECT {index}, as_of, {shown}, SUM(green_fen), SUM(balance_fen) FROM j GROUP BY {grouped}")
    sql = (
        "WITH j AS MATERIALIZED (SELECT b.as_of, b.bank_code, b.quality, b.balance_fen, l.county_code, "
        "l.borrower_kind, substr(l.industry_code, 1, 2) AS division, l.green_catalogue, l.green_use, "
        "CASE WHEN l.green_use IS NOT NULL THEN b.balance_fen ELSE 0 END AS green_fen "
        "FROM market_loan_balance b JOIN market_loan l ON l.bank_code = b.bank_code AND l.loan_no = b.loan_no "
        f"WHERE b.as_of IN ({listed})) " + " UNION ALL ".join(parts)
    )
    with engine.connect() as connection:
        _same_settings(connection)
        return len(connection.execute(text(sql)).all())


def _hand_summary(engine: Engine, dates: list[date]) -> int:
    """The same figures by hand off the book's summary: every dimension's cells, and each bank's totals."""
    listed = ", ".join(f"'{d.isoformat()}'" for d in dates)
    sql = (
        "SELECT as_of, dimension, catalogue, key, SUM(green_fen), SUM(all_fen) FROM market_book_summary "
        f"WHERE as_of IN ({listed}) GROUP BY as_of, dimension, catalogue, key UNION ALL "
        "SELECT as_of, 'bank', '', bank_code, green_fen, all_fen FROM market_book_summary "
        f"WHERE as_of IN ({listed}) AND dimension = 'total'"
    )
    with engine.connect() as connection:
        return len(connection.execute(text(sql)).all())


def _hand_emissions(engine: Engine) -> int:
    """Financed emissions by hand: each loan's share of its borrower's account, or balance × the fallback factor."""
    sql = """
    WITH book AS (
        SELECT l.borrower_kind, l.borrower_code, b.balance_fen,
               SUM(b.balance_fen) OVER (PARTITION BY l.borrower_code) AS borrower_fen
        FROM market_loan_balance b JOIN market_loan l ON l.bank_code = b.bank_code AND l.loan_no = b.loan_no
        WHERE b.as_of = :as_of
    ), account AS (
        SELECT e.uscc, SUM(p.co2_g) AS co2_g FROM industry_process_emission p
        JOIN industry_enterprise e ON e.id = p.enterprise_id WHERE p.year = 2024 GROUP BY e.uscc
    )
    SELECT book.borrower_kind, account.uscc IS NOT NULL,
           SUM(CASE WHEN account.uscc IS NOT NULL THEN account.co2_g * book.balance_fen / book.borrower_fen
                    ELSE book.balance_fen * 530300 / 1000000 END),
           COUNT(*)
    FROM book LEFT JOIN account ON account.uscc = book.borrower_code
    GROUP BY book.borrower_kind, account.uscc IS NOT NULL
    """
    with engine.connect() as connection:
        _same_settings(connection)
        return len(connection.execute(text(sql), {"as_of": AS_OF}).all())


def _timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=Path("var/bench"))
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    url = database(args.db, args.workdir)
    import_all_models()
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    try:
        loaded, summing = build(engine, args.loans)
        print(
            f"{args.db}: {args.loans:,} loans × {len(DAYS)} month-ends loaded in {loaded:.1f} s, of which "
            f"{summing:.1f} s summing each month's rows into the book's summary (balances.summary_cells)"
        )
        with session_scope(factory) as session:  # what a re-sent month costs: summed again from its rows in SQL
            resumming_s, _ = _timed(
                lambda: book_repository.refresh_book_summary(session, bank_codes=["bench-bank-0"], dates=[AS_OF])
            )
        print(f"{args.db}: one bank's month-end ({args.loans // 32:,} loans) summed again in SQL {resumming_s:.2f} s")
        everything = ("category", "bank", "county", "borrower_kind", "industry", "quality")
        quarter_days = [d for d in DAYS if d.month in (3, 6, 9, 12)]

        def statistics() -> Any:
            with session_scope(factory) as session:
                return service.green_loan_statistics(session, REGULATOR, as_of=AS_OF, base=BASE, by=everything)

        def series() -> Any:
            with session_scope(factory) as session:
                return service.quarterly_series(session, REGULATOR, start=DAYS[0], end=DAYS[-1], by=everything)

        def emissions() -> Any:
            with session_scope(factory) as session:
                return service.financed_emissions_of_book(session, REGULATOR, as_of=AS_OF)

        stats_s, result = _timed(statistics)
        hand_stats_s, _ = _timed(lambda: _hand_statistics(engine, [AS_OF, BASE]))
        summary_stats_s, _ = _timed(lambda: _hand_summary(engine, [AS_OF, BASE]))
        series_s, quarters = _timed(series)
        series_dates = sorted({*quarter_days, *(date(d.year - 1, d.month, d.day) for d in quarter_days)})
        hand_series_s, _ = _timed(lambda: _hand_statistics(engine, series_dates))
        summary_series_s, _ = _timed(lambda: _hand_summary(engine, series_dates))
        emissions_s, report = _timed(emissions)
        hand_emissions_s, _ = _timed(lambda: _hand_emissions(engine))
        print(
            f"{args.db}: statistics of {AS_OF} by every dimension {stats_s:.3f} s (by hand over the balances "
            f"{hand_stats_s:.2f} s, {stats_s / hand_stats_s:.2f}×; by hand over the summary {summary_stats_s:.3f} s, "
            f"{stats_s / summary_stats_s:.2f}×); share {result.totals.share}, yoy {result.totals.yoy_growth}"
        )
        print(
            f"{args.db}: quarterly series of {len(quarters)} quarters by every dimension {series_s:.3f} s "
            f"(by hand over the balances {hand_series_s:.2f} s, {series_s / hand_series_s:.2f}×; "
            f"by hand over the summary {summary_series_s:.3f} s, {series_s / summary_series_s:.2f}×)"
        )
        print(
            f"{args.db}: financed emissions of {report['loans']:,} loans {emissions_s:.2f} s "
            f"(by hand {hand_emissions_s:.2f} s, {emissions_s / hand_emissions_s:.2f}×); "
            f"scope 1 {report['totals']['scope1_t']:.0f} t, weighted data quality {report['weighted_data_quality']}"
        )
    finally:
        engine.dispose()
        if not args.keep:
            drop(args.db, args.workdir)


if __name__ == "__main__":
    main()
