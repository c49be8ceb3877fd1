"""Monthly balance files of the loan book: whole file or nothing, every bad row named, set-based.

A bank's file (CSV or XLSX) has the columns ``loan_no,as_of,balance_fen,quality`` (or their Chinese
names 借据号,月末日期,余额（分）,五级分类); quality
is a five-class code (normal, special_mention, substandard, doubtful, loss) or its Chinese
name (正常/关注/次级/可疑/损失). The file is checked whole with vectorised Polars
expressions; one bad row refuses the whole file, naming every bad row (its line number,
column and reason). A good file is written with ``INSERT … ON CONFLICT DO NOTHING`` on the
key (bank, loan number, as-of date) — SQLite by ``executemany``, PostgreSQL by ``COPY`` into
a staging table and one ``INSERT … SELECT`` — so replaying a file changes nothing.
"""

from __future__ import annotations

import hashlib
import io
from typing import Any

import polars as pl
from psycopg.errors import UniqueViolation
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from greenfin.auth.service import Principal, record, require_role
from greenfin.db import new_id
from greenfin.errors import Conflict, Forbidden, InvalidInput
from greenfin.market import repository
from greenfin.market.models import BalanceImport
from greenfin.market.rules import QUALITY_CLASSES

COLUMNS = ("loan_no", "as_of", "balance_fen", "quality")
HEADERS = {
    "借据号": "loan_no",
    "月末日期": "as_of",
    "余额（分）": "balance_fen",
    "余额(分)": "balance_fen",
    "五级分类": "quality",
}
"""The Chinese column names a bank's own file may carry instead of :data:`COLUMNS`."""
REASONS = {
    "missing_column": "missing column",
    "empty": "empty",
    "too_long": "longer than 64 characters",
    "not_date": "not a date (YYYY-MM-DD)",
    "not_integer": "not a whole number of fen",
    "negative": "negative",
    "too_large": "above 10^14 fen",
    "not_quality": "not one of 正常/关注/次级/可疑/损失",
    "duplicate": "the same loan and date twice in the file",
    "unknown_loan": "no loan with this number in your bank's loan book",
    "above_amount": "above the loan's amount",
    "before_start": "before the loan was disbursed",
    "changed": "already reported for this date with other figures; send the file as a correction, with its reason",
}
"""Why a row is refused: a stable code (each error carries it, so a page can say it in its language)
and the English sentence of the API's problem details."""
QUALITY_NAMES = {"正常": "normal", "关注": "special_mention", "次级": "substandard", "可疑": "doubtful", "损失": "loss"}
MAX_ERRORS_LISTED = 1000
MAX_FILE_BYTES = 200 * 1024 * 1024
STAGE = "market_balance_stage"


def _read(filename: str, content: bytes) -> pl.DataFrame:
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook  # type: ignore[import-untyped]

        sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [str(c).strip() if c is not None else "" for c in next(rows, ())]
        data = [["" if c is None else str(c) for c in row[: len(header)]] for row in rows]
        frame = (
            pl.DataFrame(data, schema=header, orient="row")
            if data
            else pl.DataFrame(schema=dict.fromkeys(header, pl.Utf8))
        )
    else:
        try:
            frame = pl.read_csv(content, infer_schema=False, encoding="utf8-lossy")
        except pl.exceptions.NoDataError:
            frame = pl.DataFrame(schema=dict.fromkeys(COLUMNS, pl.Utf8))
    frame = frame.rename({c: HEADERS.get(c.strip(), c.strip()) for c in frame.columns})
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise InvalidInput(
            f"{filename}: the header lacks the column(s) {', '.join(missing)}; expected {','.join(COLUMNS)}",
            errors=[
                {"row": 1, "column": c, "code": "missing_column", "reason": REASONS["missing_column"]} for c in missing
            ],
        )
    return frame.select(pl.col(c).cast(pl.Utf8).str.strip_chars() for c in COLUMNS)


def _refuse(filename: str, frame: pl.DataFrame, checks: list[tuple[str, pl.Expr, str]]) -> None:
    """InvalidInput naming every row of ``frame`` (with its ``row`` number) that fails a check (column,
    condition, reason code of :data:`REASONS`)."""
    bad = frame.select(
        "row",
        *[
            pl.when(cond.fill_null(False)).then(pl.lit(f"{col}|{why}")).alias(f"c{i}")
            for i, (col, cond, why) in enumerate(checks)
        ],
    )
    problems = (
        bad.unpivot(index="row", value_name="problem")
        .drop_nulls("problem")
        .sort("row", "variable")
        .select("row", "problem")
    )
    if not problems.height:
        return
    errors: list[dict[str, Any]] = []
    for row, problem in problems.head(MAX_ERRORS_LISTED).iter_rows():
        column, code = problem.split("|", 1)
        errors.append({"row": row, "column": column, "code": code, "reason": REASONS[code]})
    rows = problems["row"].n_unique()
    first = errors[0]
    raise InvalidInput(
        f"{filename}: {rows} bad row(s), nothing was imported; first: line {first['row']}, "
        f"{first['column']}: {first['reason']}",
        errors=errors,
    )


BOOK_CHECKS = [
    ("loan_no", pl.col("unknown"), "unknown_loan"),
    ("balance_fen", pl.col("above"), "above_amount"),
    ("as_of", pl.col("early"), "before_start"),
]
"""What the loan book refuses: an unknown loan (another bank's is unknown to this one: the
answer tells nothing of others' books), a balance above the loan, a date before it."""


def against_book(session: Session, bank_code: str, filename: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Refuse the rows the bank's loan book contradicts (:data:`BOOK_CHECKS`), each named; else the rows
    with their loans' terms and keys (``repository.LOAN_TERMS``)."""
    book = repository.loan_terms(session, bank_code)
    joined = frame.with_row_index("row", offset=2).join(book, on="loan_no", how="left", coalesce=True)
    flags = joined.select(
        "row",
        pl.col("amount_fen").is_null().alias("unknown"),
        (pl.col("balance_fen") > pl.col("amount_fen")).alias("above"),
        (pl.col("as_of") < pl.col("start_date")).alias("early"),
    )
    _refuse(filename, flags, BOOK_CHECKS)
    return joined


def summary_cells(rows: pl.DataFrame) -> pl.DataFrame:
    """The ``market_book_summary`` cells of balance rows joined to their loans (columns bank_code, as_of,
    balance_fen, quality and the keys of ``repository.LOAN_TERMS``): what
    ``repository.refresh_book_summary`` sums in SQL, summed here from a file already in memory."""
    keyed = rows.select(
        "as_of",
        "bank_code",
        pl.col("county_code").fill_null("").alias("county"),
        "borrower_kind",
        pl.col("industry_code").str.slice(0, 2).fill_null("").alias("industry"),
        "quality",
        pl.col("green_catalogue").fill_null("").alias("catalogue"),
        pl.col("green_use").fill_null("").alias("category"),
        pl.when(pl.col("green_use").is_not_null()).then(pl.col("balance_fen")).otherwise(0).alias("green_fen"),
        pl.col("balance_fen").alias("all_fen"),
    )
    parts = []
    for dimension in repository.SUMMARY_DIMENSIONS:
        keys = [] if dimension == "total" else [dimension, *(["catalogue"] if dimension == "category" else [])]
        part = keyed.group_by("as_of", "bank_code", *keys).agg(pl.col("green_fen").sum(), pl.col("all_fen").sum())
        parts.append(
            part.select(
                "as_of",
                "bank_code",
                pl.lit(dimension).alias("dimension"),
                (pl.col("catalogue") if dimension == "category" else pl.lit("")).alias("catalogue"),
                (pl.lit("") if dimension == "total" else pl.col(dimension)).alias("key"),
                "green_fen",
                "all_fen",
            )
        )
    return pl.concat(parts)


def parse(filename: str, content: bytes) -> pl.DataFrame:
    """The file's rows, typed; InvalidInput naming every bad row (line numbers count the header as 1)."""
    if len(content) > MAX_FILE_BYTES:
        raise InvalidInput(f"{filename}: the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    raw = _read(filename, content).with_row_index("row", offset=2)
    quality = pl.col("quality").replace(QUALITY_NAMES)
    typed = raw.select(
        "row",
        pl.col("loan_no"),
        pl.col("as_of").str.to_date("%Y-%m-%d", strict=False).alias("as_of"),
        pl.col("balance_fen").str.to_integer(strict=False).alias("balance_fen"),
        quality.alias("quality"),
        pl.col("as_of").alias("as_of_raw"),
        pl.col("balance_fen").alias("balance_raw"),
    )
    checks = [
        ("loan_no", pl.col("loan_no").is_null() | (pl.col("loan_no").str.len_chars() == 0), "empty"),
        ("loan_no", pl.col("loan_no").str.len_chars() > 64, "too_long"),
        ("as_of", pl.col("as_of").is_null(), "not_date"),
        ("balance_fen", pl.col("balance_fen").is_null(), "not_integer"),
        ("balance_fen", pl.col("balance_fen") < 0, "negative"),
        ("balance_fen", pl.col("balance_fen") > 10**14, "too_large"),
        (
            "quality",
            ~pl.col("quality").is_in(list(QUALITY_CLASSES)) | pl.col("quality").is_null(),
            "not_quality",
        ),
        (
            "loan_no",
            pl.struct("loan_no", "as_of").is_duplicated() & pl.col("as_of").is_not_null(),
            "duplicate",
        ),
    ]
    _refuse(filename, typed, checks)
    if typed.height == 0:
        raise InvalidInput(f"{filename}: the file has no rows")
    return typed.select("loan_no", "as_of", "balance_fen", "quality")


def import_balances(
    session: Session,
    principal: Principal,
    *,
    filename: str,
    content: bytes,
    correction: str | None = None,
) -> tuple[str | None, int, int]:
    """Import a bank's balance file: (import id or None when nothing changed, rows, rows inserted or corrected).

    Every row must fit the bank's loan book. A month already stored with the same figures is
    skipped (a replay changes nothing); with other figures the file is refused, unless it is
    sent as a ``correction`` (its reason): then those figures replace the stored ones and each
    previous figure is kept in ``market_balance_correction``.
    """
    require_role(principal, "bank")
    bank_code = principal.organisation_code
    if principal.is_staff or not bank_code:
        raise Forbidden("a balance file is the bank's own report")
    frame = parse(filename, content)
    import_id = new_id()
    inserted, summed = write(session, bank_code, import_id, frame, filename=filename)
    corrected = 0
    if inserted < frame.height:  # some months were stored already: the same figures, or corrections
        changed = _changed(session, bank_code, frame)
        if changed.height and correction is None:
            _refuse(
                filename,
                changed.with_columns(pl.lit(True).alias("changed")),
                [("balance_fen", pl.col("changed"), "changed")],
            )  # fmt: skip
        if changed.height:
            repository.correct_balances(
                session, bank_code, import_id, (correction or "")[:500], changed.drop("row").to_dicts()
            )
            corrected = changed.height
    if inserted + corrected == 0:
        return None, frame.height, 0
    if not summed:  # a month stored before: its summary is summed again from its rows
        try:
            repository.refresh_book_summary(session, bank_codes=[bank_code], dates=frame["as_of"].unique().to_list())
        except IntegrityError as exc:  # another file of the same month summed it at the same moment
            raise Conflict(f"{filename}: another import of the same month ran meanwhile; send it again") from exc
    session.add(
        BalanceImport(
            id=import_id,
            bank_code=bank_code,
            filename=filename[:255],
            sha256=hashlib.sha256(content).hexdigest(),
            row_count=frame.height,
            inserted=inserted + corrected,
            imported_by=principal.actor,
        )
    )
    record(
        session,
        principal,
        action="correct" if corrected else "import",
        entity_type="market_loan_balance",
        entity_id=import_id,
        after={"filename": filename, "rows": frame.height, "inserted": inserted, "corrected": corrected,
               "reason": correction},
    )  # fmt: skip
    session.flush()
    return import_id, frame.height, inserted + corrected


def _changed(session: Session, bank_code: str, frame: pl.DataFrame) -> pl.DataFrame:
    """The file's rows whose month was stored with other figures: row, key, old and new figures."""
    stored = pl.DataFrame(
        repository.stored_balances(session, bank_code, frame["as_of"].unique().to_list()),
        schema={"loan_no": pl.Utf8, "as_of": pl.Date, "old_balance_fen": pl.Int64, "old_quality": pl.Utf8},
        orient="row",
    )
    return (
        frame.with_row_index("row", offset=2)
        .join(stored, on=["loan_no", "as_of"], how="inner")
        .filter((pl.col("balance_fen") != pl.col("old_balance_fen")) | (pl.col("quality") != pl.col("old_quality")))
        .select(
            "row",
            "loan_no",
            "as_of",
            "old_balance_fen",
            "old_quality",
            pl.col("balance_fen").alias("new_balance_fen"),
            pl.col("quality").alias("new_quality"),
        )
    )


def write(session: Session, bank_code: str, import_id: str, frame: pl.DataFrame, *, filename: str) -> tuple[int, bool]:
    """Check the rows against the bank's loan book, then insert those not stored yet (key: bank, loan
    number, as-of date): the number inserted, and whether the book's summary is up to date — so it
    is when the months are reported for the first time (their cells are added from the file); a
    month already (partly) stored is summed again by the caller, after any correction."""
    book = against_book(session, bank_code, filename, frame)
    full = frame.select(
        pl.lit(bank_code).alias("bank_code"),
        "loan_no",
        "as_of",
        "balance_fen",
        "quality",
        pl.lit(import_id).alias("import_id"),
    )
    fresh = not repository.has_balances(session, bank_code, frame["as_of"].unique().to_list())
    try:
        inserted = write_rows(session, full, fresh=fresh)
    except UniqueViolation as exc:
        raise Conflict(f"{filename}: another import of the same month ran meanwhile; send it again") from exc
    if fresh:
        repository.add_book_summary(session, summary_cells(book.with_columns(pl.lit(bank_code).alias("bank_code"))))
    return inserted, fresh


def write_rows(session: Session, full: pl.DataFrame, *, fresh: bool = False) -> int:
    """Insert balance rows of any banks (columns bank_code, loan_no, as_of, balance_fen, quality,
    import_id) not stored yet; the number inserted. ``COPY`` on PostgreSQL, ``executemany`` on SQLite.

    ``fresh``: none of these keys can be stored yet (a month not reported before, no duplicate
    key in the rows): PostgreSQL copies them straight into the table, whose primary key still
    refuses a concurrent writer of the same keys (``UniqueViolation``)."""
    columns = "bank_code,loan_no,as_of,balance_fen,quality,import_id"
    full = full.select(columns.split(","))
    session.flush()
    raw: Any = session.connection().connection.dbapi_connection
    if session.get_bind().dialect.name == "postgresql":
        buffer = io.BytesIO()
        full.write_csv(buffer, include_header=False)
        if fresh:
            with (
                raw.cursor() as cursor,
                cursor.copy(f"COPY market_loan_balance ({columns}) FROM STDIN WITH (FORMAT csv)") as copy,
            ):
                copy.write(buffer.getvalue())
            return full.height
        session.execute(text(f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} (LIKE market_loan_balance) ON COMMIT DROP"))
        session.execute(text(f"TRUNCATE {STAGE}"))
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY {STAGE} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
                copy.write(buffer.getvalue())
            cursor.execute(
                f"INSERT INTO market_loan_balance ({columns}) SELECT {columns} FROM {STAGE} "
                "ON CONFLICT (bank_code, loan_no, as_of) DO NOTHING"
            )
            inserted = int(cursor.rowcount)
        session.execute(text(f"TRUNCATE {STAGE}"))
        return inserted
    rows = full.with_columns(pl.col("as_of").dt.strftime("%Y-%m-%d"))
    before = raw.total_changes
    raw.executemany(
        f"INSERT INTO market_loan_balance ({columns}) VALUES (?,?,?,?,?,?) ON CONFLICT DO NOTHING", rows.iter_rows()
    )
    return int(raw.total_changes - before)
