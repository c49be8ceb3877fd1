"""Bulk file intake: a day of a city's events (10 M rows) streamed into the ledger, set-based.

The file (``source,external_id,id_number,scenario,occurred_at,amount_fen``) is read in
chunks with Polars; each chunk is validated with vectorised expressions, its ID numbers are
turned into keyed hashes once per distinct number *of the file* (a resolved-number frame is
kept across chunks) and joined to the accounts. Memory stays bounded by the chunk size plus
the account index and one row per (account, scenario, day) group of the file.

Each chunk's surviving rows go **straight into** ``personal_event`` with
``ON CONFLICT (source, external_id) DO NOTHING`` semantics (SQLite: ``executemany``;
PostgreSQL: ``COPY`` while no row is a duplicate, else ``COPY`` into a staging table and one
``INSERT … SELECT … ON CONFLICT DO NOTHING``), with the full award of their scenario. The
database write of a chunk runs on a worker thread while the next chunk is read and
validated (:class:`_Background`: one call in flight, the session used by one thread at a
time), so the database's work and the client's overlap on two cores. Idempotency is the
unique key; the first delivery of a key wins. When a chunk inserts fewer rows than it
carried (a re-delivery), the keys actually stored are read back so that the group counts
below count only stored events.

The daily cap is then applied only where it can bite: per (account, scenario, local day)
the file's stored events are counted in Polars (plus, when an earlier delivery touched the
same days, the events of that group rewarded before). Groups whose count stays within the
cap need nothing. The few others are read back and ranked by ``(occurred_at, external_id,
source)`` — the contract of :func:`greenfin.personal.rules.award` (``already + rank <=
cap``; ``(source, external_id)`` is unique, so the order is total) — and the events beyond
the cap are set to 0 points, ``capped``. This replaces a global sort of every staged row.
When no earlier delivery touched the file's days, a first pass over the file finds the
groups that can go over the cap; their rows are *held* and ranked once the file is read
(SQLite: written with their chunks, the capped ones updated by id; PostgreSQL: copied last
with their final award), so nothing is read back.

Finally one earn entry per (account, local day) is computed from the same group frame and
chained onto each account's head (:func:`greenfin.personal.rules.entry_hash`, sequential per
account, accounts in order), hashed and written in blocks, each block's write overlapping
the next block's hashing.

Rejected rows (unknown source, malformed or future time, unknown scenario, scenario not in
force that day, malformed amount, invalid or unknown ID number) change nothing; the summary
counts them by reason and lists the first :data:`MAX_LISTED` with their line numbers.
"""

from __future__ import annotations

import hashlib
import io
import logging
import resource
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import text
from sqlalchemy.orm import Session

from greenfin.auth import rules as identity
from greenfin.auth import service as auth
from greenfin.auth.service import Principal
from greenfin.db import utcnow
from greenfin.errors import InvalidInput
from greenfin.personal import repository as repo
from greenfin.personal import service
from greenfin.personal.rules import EntryHasher, entry_hasher
from greenfin.settings import Settings

COLUMNS = ("source", "external_id", "id_number", "scenario", "occurred_at", "amount_fen")
MAX_LISTED = 200
STAGE = "personal_intake_stage"
# Rows a chunk holds. Two chunks are alive at a time (one being written, the next being
# validated); 200 k rows of ~80 bytes keep that to ~100 MiB of frames, and each chunk is
# still large enough that a COPY or executemany amortises its fixed costs.
CHUNK_ROWS = 200_000
# The event columns a chunk writes (points and CO2 at the full award; the cap pass fixes the few over it).
_EVENT_COLUMNS = (
    "source",
    "external_id",
    "account_id",
    "scenario",
    "catalogue_version",
    "occurred_at",
    "local_day",
    "amount_fen",
    "points",
    "avoided_co2_g",
    "capped",
    "batch_id",
)
_GROUP = ("account_id", "sidx", "local_day")
# SQLite page cache (negative: KiB) during a file intake, and the connection default it is reset to.
SQLITE_CACHE_KIB = (-1_048_576, -262_144)
_COMPACT_EVERY = 10  # chunks between two re-aggregations of the group counts
_LEDGER_BLOCK = 50_000  # earn entries hashed and written at a time
# A resident ID number already in stdnum's compact form (ASCII digits, upper-case X, no
# spaces): compact_id_number would return it unchanged, so the per-number Python call is skipped.
_COMPACT_ID = r"^[0-9]{17}[0-9X]$"
_PG_TIME = "%Y-%m-%d %H:%M:%S%.6f+00"
# A UTC time in the ledger hash's form (rules.canonical_entry_bytes), formatted a column at a time.
_HASH_TIME = "%Y-%m-%dT%H:%M:%S%.6fZ"
# Events fall in 2000–2100 (service.MIN_EVENT_YEAR, MAX_EVENT_YEAR); a later one is refused as in the future.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_DAY = date(2100, 12, 31)
log = logging.getLogger(__name__)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(8 << 20):
            digest.update(block)
    return digest.hexdigest()


def _chunks(path: Path, rows: int) -> Iterator[pl.DataFrame]:
    """The file as data frames of about ``rows`` rows each (all columns text), streamed.

    The file is read in blocks cut at the last line break (no per-line Python objects); a
    field cannot hold a line break, as before.
    """
    with path.open("rb") as handle:
        header = handle.readline()
        names = tuple(h.strip() for h in header.decode("utf-8-sig").strip().split(","))
        if names != COLUMNS:
            raise InvalidInput(
                f"{path.name}: the header must be {','.join(COLUMNS)}; found {','.join(names)}",
                errors=[{"row": 1, "column": "header", "reason": "unexpected columns"}],
            )
        size = max(rows, 1) * 80  # ~80 bytes a row: a size hint, not a limit
        rest = b""
        while True:
            block = handle.read(size)
            data = rest + block
            if not block:
                if data.strip():
                    yield _parse(data)
                return
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                rest = data
                continue
            rest = data[cut:]
            if data[:cut].strip():
                yield _parse(data[:cut])


def _parse(data: bytes) -> pl.DataFrame:
    return pl.read_csv(
        data,
        has_header=False,
        schema=dict.fromkeys(COLUMNS, pl.Utf8),
        encoding="utf8-lossy",
        truncate_ragged_lines=True,
    ).with_columns(pl.all().fill_null(""))


def _scenario_frame() -> pl.DataFrame:
    cat = service.catalogue()
    return pl.DataFrame(
        {
            "scenario": [s.code for s in cat.scenarios],
            "sidx": list(range(len(cat.scenarios))),
            "catalogue_version": [s.catalogue_version for s in cat.scenarios],
            "points": [s.points for s in cat.scenarios],
            "co2": [s.avoided_co2_g for s in cat.scenarios],
            "cap": [s.daily_cap for s in cat.scenarios],
            "valid_from": [s.valid_from for s in cat.scenarios],
            "valid_to": [s.valid_to or date(9999, 12, 31) for s in cat.scenarios],
        },
        schema_overrides={"sidx": pl.Int32, "points": pl.Int64, "co2": pl.Int64, "cap": pl.Int64},
    )


def _account_index(session: Session) -> pl.DataFrame:
    """Every account's (id_hash, id), read in blocks straight into Polars (no ORM rows).

    ``hkey`` (the hash's first 15 hex digits as an integer) is the join key: joining on an
    integer is many times cheaper than on 64-character text; the full hash is compared after.
    """
    schema = {"id_hash": pl.Utf8, "account_id": pl.Int64}
    frames = [pl.DataFrame(schema=schema)]
    for block in repo.account_hash_blocks(session):
        frames.append(pl.DataFrame(block, schema=schema, orient="row"))
    return pl.concat(frames, rechunk=True).with_columns(_hash_key())


def _hash_key() -> pl.Expr:
    return pl.col("id_hash").str.slice(0, 15).str.to_integer(base=16, strict=False).alias("hkey")


def _number_key() -> pl.Expr:
    """An ID number in compact form (17 digits and a check character) as an exact integer, else null.

    ``17 digits × 11 + check`` (X = 10) is one-to-one on compact numbers and below 2^63, so two
    numbers have the same key exactly when they are the same text.
    """
    number = pl.col("id_number")
    check = pl.when(number.str.ends_with("X")).then(pl.lit(10, pl.Int64)).otherwise(number.str.slice(17, 1))
    return (
        pl.when(number.str.contains(_COMPACT_ID))
        .then(number.str.slice(0, 17).cast(pl.Int64, strict=False) * 11 + check.cast(pl.Int64, strict=False))
        .alias("nkey")
    )


def _reason(condition: pl.Expr, reason: str, current: pl.Expr) -> pl.Expr:
    return pl.when(current.is_null() & condition).then(pl.lit(reason)).otherwise(current)


def _sqlite_time(column: str) -> pl.Expr:
    # SQLAlchemy's SQLite DateTime text form (UTCDateTime stores UTC).
    return pl.col(column).dt.strftime("%Y-%m-%d %H:%M:%S%.6f")


def _csv(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=False, null_value="")
    return buffer.getvalue()


class _Background:
    """Database writes on one worker thread, one at a time, while the caller prepares the next.

    The session's connection is only ever used by one thread at a time: the caller takes the
    result of the call in flight (:meth:`wait`) before it submits another or touches the
    session itself. Polars, the database drivers' socket waits and SQLite's page work release
    the GIL, so the two cores work in parallel. ``threaded=False`` runs each call inline.
    """

    def __init__(self, *, threaded: bool) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="greenfin-intake") if threaded else None
        self._pending: Future[Any] | None = None

    def submit(self, call: Callable[..., Any], *args: Any) -> None:
        if self._pending is not None:
            raise RuntimeError("a database write is still in flight")
        if self._pool is None:
            future: Future[Any] = Future()
            future.set_result(call(*args))
        else:
            future = self._pool.submit(call, *args)
        self._pending = future

    def wait(self) -> Any:
        """The result of the call in flight (None if there is none); its error is raised here."""
        pending, self._pending = self._pending, None
        return None if pending is None else pending.result()

    def close(self) -> None:
        """Let the call in flight finish (its result or error is dropped: the caller is already failing)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        self._pending = None


@dataclass(frozen=True)
class _SqliteRows:
    """A chunk's SQLite values: the columns that vary as a frame, those the chunk holds one value of as literals.

    A column bound per row costs the writer thread a Python object and a bind for each of
    the chunk's rows (the source, the catalogue version, ``capped`` and the batch id are
    usually one value a chunk): 12 % less time per ``executemany`` with four of twelve inlined.
    """

    frame: pl.DataFrame
    values: str  # the statement's VALUES list in _EVENT_COLUMNS order: ``?`` or a literal

    @classmethod
    def of(cls, frame: pl.DataFrame) -> _SqliteRows:
        constant = {
            c: frame.get_column(c)[0]
            for c in _INLINED
            if frame.height and frame.get_column(c).null_count() == 0 and frame.get_column(c).n_unique() == 1
        }
        values = ",".join(_sql_literal(constant[c]) if c in constant else "?" for c in _EVENT_COLUMNS)
        return cls(frame.drop(list(constant)), values)


_INLINED = ("source", "catalogue_version", "capped", "batch_id")


def _sql_literal(value: object) -> str:
    """A SQL literal of a str or int (quotes doubled: the standard string literal, no other escape)."""
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, int):
        return str(int(value))
    raise TypeError(f"no SQL literal for {type(value).__name__}")


class _Writer:
    """Writes a chunk's rows into ``personal_event`` (duplicates skipped) and reads back what was stored."""

    def __init__(self, session: Session, *, batch_id: int) -> None:
        self.session = session
        self.batch_id = batch_id
        self.postgres = repo.is_postgres(session)
        raw = session.connection().connection.dbapi_connection
        assert raw is not None
        self.raw: Any = raw
        self.inserted = 0
        # PostgreSQL: COPY straight into personal_event while no row of the file is a duplicate
        # (inside a savepoint); the first unique violation rolls the chunk back and switches
        # this intake to the staging table + INSERT … ON CONFLICT DO NOTHING.
        self.direct = self.postgres
        self.staging = False
        self.before = self._max_id()
        if not self.postgres:
            # A larger page cache for this connection while the file is written, so that the event
            # indexes' pages stay in memory (bounded: the cache size, not the file size).
            self.raw.execute(f"PRAGMA cache_size={SQLITE_CACHE_KIB[0]}")

    def _max_id(self) -> int:
        return int(self.session.execute(text("SELECT coalesce(max(id), 0) FROM personal_event")).scalar_one())

    def order(self, frame: pl.DataFrame) -> pl.DataFrame:
        """A chunk's rows in the order they are written (caller's thread; :meth:`add` numbers SQLite's ids by it).

        SQLite: (account, day) order within the chunk, so that the ix_personal_event_account_day
        inserts cluster on neighbouring pages instead of one random page per row, while the
        (source, external_id) key of a chunk stays within its own narrow range of the index.
        PostgreSQL: file order (the unique key's inserts stay sequential; sorting chunks by
        account made the server slower).
        """
        return frame if self.postgres else frame.sort("account_id", "local_day")

    def encode(self, frame: pl.DataFrame) -> Any:
        """The rows in the form the driver takes (caller's thread): COPY CSV bytes, or a frame of SQLite values."""
        if self.postgres:
            return _csv(
                frame.select(*_EVENT_COLUMNS[:5], pl.col("occurred_at").dt.strftime(_PG_TIME), *_EVENT_COLUMNS[6:])
            )
        values = frame.select(
            *_EVENT_COLUMNS[:5],
            _sqlite_time("occurred_at"),
            pl.col("local_day").dt.strftime("%Y-%m-%d"),
            *_EVENT_COLUMNS[7:10],
            pl.col("capped").cast(pl.Int32),
            pl.col("batch_id"),
        )
        return _SqliteRows.of(values)

    def add(self, frame: pl.DataFrame, payload: Any) -> pl.DataFrame:
        """Insert the rows (``_EVENT_COLUMNS`` and ``sidx``); returns those actually stored (not duplicates).

        On SQLite the stored rows come with their ``id``, for the cap pass to find them again.
        """
        if frame.is_empty():
            return frame
        before = self._max_id()
        columns = ",".join(_EVENT_COLUMNS)
        if self.postgres:
            stored = self._copy_direct(payload, columns, frame.height) if self.direct else None
            if stored is None:
                if not self.staging:
                    self.raw.execute(f"DROP TABLE IF EXISTS pg_temp.{STAGE}")
                    self.raw.execute(
                        f"CREATE TEMP TABLE {STAGE} (source varchar(40), external_id varchar(80), account_id bigint, "
                        "scenario varchar(40), catalogue_version varchar(10), occurred_at timestamptz, "
                        "local_day date, amount_fen bigint, points integer, avoided_co2_g integer, capped boolean, "
                        "batch_id bigint)"
                    )
                    self.staging = True
                self.raw.execute(f"TRUNCATE {STAGE}")
                with self.raw.cursor() as cursor:
                    with cursor.copy(f"COPY {STAGE} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
                        copy.write(payload)
                    cursor.execute(
                        f"INSERT INTO personal_event ({columns}) SELECT {columns} FROM {STAGE} "
                        "ON CONFLICT (source, external_id) DO NOTHING"
                    )
                    stored = cursor.rowcount
        else:
            cursor = self.raw.executemany(
                f"INSERT INTO personal_event ({columns}) "
                f"VALUES ({payload.values}) ON CONFLICT (source, external_id) DO NOTHING",
                payload.frame.iter_rows(),
            )
            stored = cursor.rowcount
        self.inserted += stored
        if stored == frame.height and self.postgres:
            return frame
        # Every row stored, ids consecutive from the chunk's start: a new rowid is one more than
        # the largest (SQLite's rowid rule, the intake being the only writer), so the rows got
        # them in the order they were written.
        if stored == frame.height and self._max_id() == before + stored:
            return frame.with_columns(pl.int_range(before + 1, before + 1 + stored, dtype=pl.Int64).alias("id"))
        # A re-delivery: only the rows this chunk stored, read back (ids above the chunk's start;
        # the intake holds the write lock, nothing else inserts meanwhile).
        keys = self.session.execute(
            text("SELECT id, source, external_id FROM personal_event WHERE id > :before"), {"before": before}
        ).all()
        kept = pl.DataFrame(keys, schema={"id": pl.Int64, "source": pl.Utf8, "external_id": pl.Utf8}, orient="row")
        return frame.join(
            kept.drop("id") if self.postgres else kept, on=["source", "external_id"], how="inner", maintain_order="left"
        )

    def add_new(self, frame: pl.DataFrame) -> bool:
        """PostgreSQL: copy rows none of which may be stored yet; False (nothing stored) if one is."""
        assert self.postgres, "SQLite writes its held rows with their chunks"
        if frame.is_empty():
            return True
        direct = self.direct
        stored = self._copy_direct(self.encode(frame), ",".join(_EVENT_COLUMNS), frame.height)
        self.direct = direct
        if stored is None:
            return False
        self.inserted += frame.height
        return True

    def _copy_direct(self, data: bytes, columns: str, rows: int) -> int | None:
        """COPY the chunk into personal_event; None (nothing stored) if a row is a duplicate."""
        import psycopg

        self.raw.execute("SAVEPOINT personal_intake_copy")
        try:
            with (
                self.raw.cursor() as cursor,
                cursor.copy(f"COPY personal_event ({columns}) FROM STDIN WITH (FORMAT csv)") as copy,
            ):
                copy.write(data)
        except psycopg.errors.UniqueViolation:
            self.raw.execute("ROLLBACK TO SAVEPOINT personal_intake_copy")
            self.direct = False
            return None
        self.raw.execute("RELEASE SAVEPOINT personal_intake_copy")
        return rows

    def drop(self) -> None:
        if self.postgres:
            if self.staging:
                self.session.execute(text(f"DROP TABLE IF EXISTS pg_temp.{STAGE}"))
        else:
            self.raw.execute(f"PRAGMA cache_size={SQLITE_CACHE_KIB[1]}")


def _temp_table(session: Session, name: str, columns: dict[str, str], frame: pl.DataFrame) -> str:
    """A temporary table filled from ``frame`` (columns: name -> SQL type); returns its qualified name."""
    postgres = repo.is_postgres(session)
    qualified = f"pg_temp.{name}" if postgres else f"temp.{name}"
    session.execute(text(f"DROP TABLE IF EXISTS {qualified}"))
    session.execute(text(f"CREATE TEMP TABLE {name} ({', '.join(f'{c} {t}' for c, t in columns.items())})"))
    raw: Any = session.connection().connection.dbapi_connection
    if postgres:
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY {name} ({','.join(columns)}) FROM STDIN WITH (FORMAT csv)") as copy,
        ):
            copy.write(_csv(frame.select(list(columns))))
    else:
        out = frame.select(
            pl.col(c).dt.strftime("%Y-%m-%d") if frame.schema[c] == pl.Date else pl.col(c) for c in columns
        )
        raw.executemany(f"INSERT INTO {qualified} VALUES ({','.join('?' * len(columns))})", out.iter_rows())
    return qualified


class _Clock:
    """Phase timings of an intake, logged at DEBUG (``greenfin.personal.intake``)."""

    def __init__(self) -> None:
        self.last = time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        log.debug("personal intake: %s %.1f s (peak RSS %.0f MiB)", phase, now - self.last, peak)
        self.last = now


def _threaded(session: Session) -> bool:
    # An in-memory SQLite database lives in one pysqlite connection that refuses other threads.
    return repo.is_postgres(session) or session.connection().engine.url.database not in (None, "", ":memory:")


def ingest_file(
    session: Session,
    principal: Principal,
    *,
    settings: Settings,
    path: Path,
    now: datetime | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> dict[str, Any]:
    """Ingest an events file; returns ``{batch_id, accepted, duplicates, rejected, reasons, rejections}``."""
    auth.require_role(principal, "data_source")
    now = now or utcnow()
    repo.lock_for_bulk_intake(session)
    # API deliveries stored before this file are posted first (their daily caps applied in
    # delivery order), so that the file's caps continue from posted events only.
    service.post_all_pending(session, now=now)
    if repo.is_postgres(session):
        session.execute(text("SET LOCAL work_mem = '256MB'"))
    # A file is posted in the transaction that stores it: never pending for a posting run.
    batch_id = repo.new_batch(
        session,
        channel="file",
        actor=principal.actor,
        filename=path.name,
        sha256=file_sha256(path),
        received_at=now,
        posted_at=now,
    )
    sources = {principal.organisation_code} if principal.role == "data_source" else repo.data_source_codes(session)
    clock = _Clock()
    accounts = _account_index(session)
    clock.lap("account index")
    scenarios = _scenario_frame()
    digest = identity.hasher(settings.secret_key)
    writer = _Writer(session, batch_id=batch_id)
    background = _Background(threaded=_threaded(session))
    # Daily-cap groups that may go over the cap are *held*: ranked once the whole file is read
    # (PostgreSQL: held back and copied last with their final award; SQLite: written with their
    # chunk at the full award, the few beyond the cap set to 0 afterwards by id) — unless an
    # earlier delivery touched the file's days, when events rewarded before count too (then the
    # cap pass below does it).
    candidates, first_seen, last_seen = _cap_candidates(path, chunk_rows, scenarios)
    classic = first_seen is not None and repo.batches_overlap(session, first_seen, last_seen, besides=batch_id)  # type: ignore[arg-type]
    if classic:
        candidates = candidates.clear()
    held: list[pl.DataFrame] = []  # PostgreSQL: the held rows; SQLite: the stored held rows' ids and rank keys
    held_keys = pl.Series("k", [], dtype=pl.UInt64)
    clock.lap("cap candidates")
    # ID numbers already resolved in this file (keyed hash computed once per distinct number): account
    # id or null. Compact numbers by their integer key, the rare others (full-width digits…) by text.
    resolved = pl.DataFrame(schema={"nkey": pl.Int64, "account_id": pl.Int64, "invalid": pl.Boolean})
    resolved_text = pl.DataFrame(schema={"id_number": pl.Utf8, "account_id": pl.Int64, "invalid": pl.Boolean})
    groups: list[pl.DataFrame] = []
    reasons: Counter[str] = Counter()
    listed: list[dict[str, Any]] = []
    seen_rows = 0
    latest = (now + service.FUTURE_SKEW).astimezone(UTC)

    def count(stored: pl.DataFrame | None) -> None:
        nonlocal groups
        if stored is None or stored.is_empty():
            return
        if "held" in stored.columns:  # SQLite: held rows are counted once ranked
            held.append(stored.filter("held").select("id", *_GROUP, "occurred_at", "external_id", "source"))
            stored = stored.filter(~pl.col("held"))
        groups.append(_group_counts(stored))
        if len(groups) >= _COMPACT_EVERY:
            groups = [_merge(groups)]

    try:
        for chunk in _chunks(path, chunk_rows):
            frame = chunk.with_row_index("line", offset=seen_rows + 2)
            seen_rows += chunk.height
            frame = _validate(frame, scenarios=scenarios, sources=sources, latest=latest).with_columns(_cap_key(frame))

            frame = frame.with_columns(_number_key())
            passing = frame.filter(pl.col("reason").is_null())
            numbers = (
                passing.filter(pl.col("nkey").is_not_null())
                .unique(subset="nkey")
                .join(resolved, on="nkey", how="anti")
                .get_column("id_number")
            )
            if numbers.len():
                found = _resolve(numbers, accounts, digest).with_columns(_number_key())
                resolved = pl.concat([resolved, found.select(resolved.columns)])
            others = (
                passing.filter(pl.col("nkey").is_null())
                .select(pl.col("id_number").unique())
                .join(resolved_text, on="id_number", how="anti")
                .get_column("id_number")
            )
            if others.len():
                resolved_text = pl.concat([resolved_text, _resolve(others, accounts, digest)])
            del passing
            frame = frame.join(resolved, on="nkey", how="left", maintain_order="left")
            if not resolved_text.is_empty():
                frame = (
                    frame.join(resolved_text, on="id_number", how="left", maintain_order="left", suffix="_text")
                    .with_columns(
                        pl.coalesce("account_id", "account_id_text").alias("account_id"),
                        pl.coalesce("invalid", "invalid_text").alias("invalid"),
                    )
                    .drop("account_id_text", "invalid_text")
                )
            reason = pl.col("reason")
            reason = _reason(
                pl.col("invalid").fill_null(False), "invalid ID number (date, province code or check character)", reason
            )
            reason = _reason(pl.col("account_id").is_null(), "unknown resident: no account for this ID number", reason)
            frame = frame.with_columns(reason.alias("reason"))

            bad = frame.filter(pl.col("reason").is_not_null())
            if bad.height:
                reasons.update(dict(bad.group_by("reason").len().iter_rows()))
                room = MAX_LISTED - len(listed)
                if room > 0:
                    listed.extend(
                        {"row": line, "external_id": eid, "reason": why}
                        for line, eid, why in bad.head(room).select("line", "external_id", "reason").iter_rows()
                    )
            rows = (
                frame.filter(pl.col("reason").is_null())
                .unique(subset=["source", "external_id"], keep="first", maintain_order=True)
                .select(
                    "source",
                    "external_id",
                    "account_id",
                    "scenario",
                    "catalogue_version",
                    pl.col("at").alias("occurred_at"),
                    "local_day",
                    pl.col("amount").alias("amount_fen"),
                    "points",
                    pl.col("co2").alias("avoided_co2_g"),
                    pl.lit(False).alias("capped"),
                    pl.lit(batch_id, dtype=pl.Int64).alias("batch_id"),
                    "sidx",
                    "ckey",
                )
            )
            del frame, bad, chunk
            if not candidates.is_empty() and writer.postgres:
                # A row of a candidate group, or repeating the key of a held row (the first in the file wins), waits.
                wait = pl.col("ckey").is_in(candidates.implode()) | _row_key().is_in(held_keys.implode())
                waiting = rows.filter(wait)
                if waiting.height:
                    held.append(waiting)
                    held_keys = pl.concat([held_keys, waiting.select(_row_key()).to_series()])
                    rows = rows.filter(~wait)
            elif not candidates.is_empty():
                # Written now in file order (the first line of a key wins by the unique key), marked for the ranking.
                rows = rows.with_columns(pl.col("ckey").is_in(candidates.implode()).alias("held"))
            rows = writer.order(rows)
            payload = writer.encode(rows) if rows.height else None
            count(background.wait())  # the previous chunk's write: the connection is free again
            if rows.height:
                background.submit(writer.add, rows, payload)
            del rows, payload
        count(background.wait())
        if writer.postgres and held:
            # Ranked with their final award and copied at once (else the slow path: see _write_held).
            ranked = _rank_held(pl.concat(held).unique(subset=["source", "external_id"], keep="first"), scenarios)
            if not writer.add_new(ranked):
                ranked = _write_held(session, writer, ranked, scenarios)
            count(ranked.filter(~pl.col("capped")))
            del ranked
        capped = pl.Series("id", [], dtype=pl.Int64)
        if not writer.postgres and held:
            # SQLite: the stored held rows ranked; those beyond the cap are set to 0 during the
            # ledger phase, where the updates overlap the hashing.
            ranked = _cap_rank(pl.concat(held), scenarios)
            capped = ranked.filter("capped").get_column("id").sort()
            count(ranked.filter(~pl.col("capped")))
            del ranked
        held.clear()
        del held_keys, accounts, resolved, resolved_text, candidates
        clock.lap("events")

        first_day = last_day = None
        if writer.inserted:
            counted = _merge(groups)
            del groups
            first_day, last_day = counted.get_column("local_day").min(), counted.get_column("local_day").max()
            if classic:
                # An earlier delivery touched the file's days: its rewarded events count too.
                overlap = repo.batches_overlap(session, first_day, last_day, besides=batch_id)  # type: ignore[arg-type]
                counted = _apply_caps(
                    session,
                    counted.join(scenarios.select("sidx", "scenario", "cap"), on="sidx"),
                    before=writer.before,
                    overlap=overlap,
                ).select(*_GROUP, "rewarded", "last_at")
            else:
                # No group counted is over its cap: the held groups were counted as ranked.
                counted = counted.rename({"n": "rewarded"})
            clock.lap("daily caps")
            _post_earnings(
                session, counted, scenarios=scenarios, batch_id=batch_id, now=now, background=background, capped=capped
            )
            del capped
            clock.lap("ledger")
        inserted = writer.inserted
    finally:
        background.close()
        writer.drop()
    rejected = sum(reasons.values())
    summary = {
        "batch_id": batch_id,
        "rows": seen_rows,
        "accepted": inserted,
        "duplicates": seen_rows - rejected - inserted,
        "rejected": rejected,
        "reasons": dict(sorted(reasons.items())),
        "rejections": listed,
    }
    repo.finish_batch(
        session,
        batch_id,
        accepted=inserted,
        duplicates=summary["duplicates"],
        rejected=rejected,
        first_day=first_day,
        last_day=last_day,
    )
    auth.record(
        session,
        principal,
        action="ingest",
        entity_type="personal_intake_batch",
        entity_id=str(batch_id),
        after={k: summary[k] for k in ("rows", "accepted", "duplicates", "rejected")} | {"file": path.name},
    )
    session.flush()
    return summary


def _validate(
    frame: pl.DataFrame, *, scenarios: pl.DataFrame, sources: Collection[str | None], latest: datetime
) -> pl.DataFrame:
    """The chunk with its parsed time, amount, local day, scenario terms and the first ``reason`` a row fails."""
    raw_time = pl.col("occurred_at")
    at = pl.coalesce(
        raw_time.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%z", strict=False, time_zone="UTC", time_unit="us"),
        raw_time.str.to_datetime("%Y-%m-%dT%H:%M:%S%#z", strict=False, time_zone="UTC", time_unit="us"),
    )
    frame = frame.with_columns(
        at.alias("at"),
        pl.col("amount_fen").str.strip_chars().cast(pl.Int64, strict=False).alias("amount"),
        pl.col("id_number").str.strip_chars().str.to_uppercase().alias("id_number"),
    ).with_columns(
        pl.col("at").dt.convert_time_zone("Asia/Shanghai").dt.date().alias("local_day"),
    )
    frame = frame.join(scenarios, on="scenario", how="left", maintain_order="left")
    reason = pl.lit(None, dtype=pl.Utf8)
    reason = _reason(~pl.col("source").is_in(list(sources)), "unknown or wrong source", reason)
    reason = _reason(
        (pl.col("external_id").str.len_chars() == 0) | (pl.col("external_id").str.len_chars() > 80),
        "external_id missing or longer than 80 characters",
        reason,
    )
    reason = _reason(
        pl.col("external_id").str.contains("\x00", literal=True)
        | pl.col("external_id").str.contains("\ufffd", literal=True),
        "external_id holds a NUL byte or is not UTF-8",
        reason,
    )
    reason = _reason(pl.col("at").is_null(), "malformed time (ISO 8601 with a UTC offset required)", reason)
    reason = _reason(pl.col("at") > pl.lit(latest), "time in the future", reason)
    reason = _reason(pl.col("at") < pl.lit(EARLIEST), "time before 2000", reason)
    reason = _reason(pl.col("cap").is_null(), "unknown scenario", reason)
    reason = _reason(
        (pl.col("local_day") < pl.col("valid_from")) | (pl.col("local_day") > pl.col("valid_to")),
        "scenario not in force on that day",
        reason,
    )
    reason = _reason(
        (pl.col("amount_fen").str.strip_chars().str.len_chars() > 0)
        & (pl.col("amount").is_null() | (pl.col("amount") < 0)),
        "malformed amount_fen (a non-negative integer of fen)",
        reason,
    )
    return frame.with_columns(reason.alias("reason"))


def _resolve(numbers: pl.Series, accounts: pl.DataFrame, digest: Callable[[str], str]) -> pl.DataFrame:
    """New ID numbers of the file → (id_number, account_id or null, invalid): one keyed hash per number."""
    # Keyed like the accounts: stdnum's compact folds full-width digits (called only where it would change something).
    keyed = numbers.to_list()
    for i in (~numbers.str.contains(_COMPACT_ID)).arg_true().to_list():
        keyed[i] = identity.compact_id_number(keyed[i])
    lookup = (
        pl.DataFrame(
            {"id_number": numbers, "id_hash": [digest(n) for n in keyed]},
            schema={"id_number": pl.Utf8, "id_hash": pl.Utf8},
        )
        .with_columns(_hash_key())
        .join(accounts, on="hkey", how="left", maintain_order="left")
        # Equal prefixes of different hashes (rare) are no match: compare the whole hash.
        .with_columns(pl.when(pl.col("id_hash_right") == pl.col("id_hash")).then(pl.col("account_id")))
        .group_by("id_number", maintain_order=True)
        .agg(pl.col("account_id").max())
    )
    unknown = lookup.filter(pl.col("account_id").is_null()).get_column("id_number").to_list()
    invalid = [n for n in unknown if identity.id_number_problem(n) is not None]
    return lookup.select("id_number", "account_id", pl.col("id_number").is_in(invalid).alias("invalid"))


def _compact_text(frame: pl.DataFrame) -> pl.Series:
    """Each row's ID number in stdnum's compact form (the text accounts are keyed on), stripped and upper-cased."""
    text = frame.get_column("id_number").str.strip_chars().str.to_uppercase()
    odd = text.filter(~text.str.contains(_COMPACT_ID)).unique().to_list()
    if not odd:
        return text
    return text.replace({n: identity.compact_id_number(n) for n in odd})


def _cap_key(frame: pl.DataFrame) -> pl.Series:
    """A 64-bit hash of (compact ID number, scenario): every daily-cap group of a file lies within one key."""
    return (
        pl.DataFrame({"n": _compact_text(frame), "s": frame.get_column("scenario")})
        .select(pl.struct("n", "s").hash(seed=0).alias("ckey"))
        .to_series()
    )


def _row_key() -> pl.Expr:
    return pl.struct("source", "external_id").hash(seed=0)


def _cap_candidates(path: Path, chunk_rows: int, scenarios: pl.DataFrame) -> tuple[pl.Series, date | None, date | None]:
    """Pass 1: the cap keys whose rows outnumber their scenario's daily cap, and a range holding the file's local days.

    Every row with a known scenario is counted, valid or not, and rows of different days or
    colliding hashes share a count: each count is an upper bound of every daily-cap group
    within it, so a group that can go over the cap is always among the candidates. The days
    are the times' own calendar dates widened by a day each side (offsets are within ±14 h).
    """
    caps = scenarios.select("scenario", "cap")
    parts: list[pl.DataFrame] = []
    first: date | None = None
    last: date | None = None
    for chunk in _chunks(path, chunk_rows):
        keyed = chunk.select("scenario", _cap_key(chunk)).join(caps, on="scenario")
        parts.append(keyed.group_by("ckey").agg(pl.len().alias("n"), pl.col("cap").min().cast(pl.UInt32)))
        days = chunk.select(pl.col("occurred_at").str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)).to_series()
        days = days.filter(
            days.is_between(EARLIEST.date(), LATEST_DAY)
        )  # rows outside are refused; ±1 day stays a date
        low, high = days.min(), days.max()
        if isinstance(low, date) and isinstance(high, date):
            first = low if first is None else min(first, low)
            last = high if last is None else max(last, high)
        if len(parts) >= _COMPACT_EVERY:
            parts = [_count_keys(parts)]
    if not parts:
        return pl.Series("ckey", [], dtype=pl.UInt64), None, None
    counts = _count_keys(parts)
    candidates = counts.filter(pl.col("n") > pl.col("cap")).get_column("ckey")
    day = timedelta(days=1)
    return candidates, (first - day if first else None), (last + day if last else None)


def _count_keys(parts: list[pl.DataFrame]) -> pl.DataFrame:
    return (
        pl.concat(parts).lazy().group_by("ckey").agg(pl.col("n").sum(), pl.col("cap").min()).collect(engine="streaming")
    )


def _cap_rank(held: pl.DataFrame, scenarios: pl.DataFrame) -> pl.DataFrame:
    """The held rows with ``capped``: within each (account, scenario, local day), in
    :func:`greenfin.personal.rules.cap_order_key` order, those after the first ``cap``.

    No event was rewarded before in these groups (the file's days touch no earlier delivery),
    so this is :func:`greenfin.personal.rules.award` with ``already + rank <= cap``.
    """
    return (
        held.join(scenarios.select("sidx", "cap"), on="sidx")
        .sort(*_GROUP, "occurred_at", "external_id", "source")
        .with_columns((pl.int_range(1, pl.len() + 1).over(_GROUP) > pl.col("cap")).alias("capped"))
        .drop("cap")
    )


def _rank_held(held: pl.DataFrame, scenarios: pl.DataFrame) -> pl.DataFrame:
    """The held rows (PostgreSQL) with their final award: :func:`_cap_rank`, the capped ones at 0 points and CO2."""
    over = pl.col("capped")
    return _cap_rank(held, scenarios).with_columns(
        pl.when(over).then(0).otherwise(pl.col("points")).alias("points"),
        pl.when(over).then(0).otherwise(pl.col("avoided_co2_g")).alias("avoided_co2_g"),
    )


def _group_counts(stored: pl.DataFrame) -> pl.DataFrame:
    """The stored rows' group keys and times (~24 bytes a row), to be aggregated by :func:`_merge`."""
    return stored.select(*_GROUP, pl.lit(1, pl.Int32).alias("n"), pl.col("occurred_at").alias("last_at"))


def _write_held(session: Session, writer: _Writer, ranked: pl.DataFrame, scenarios: pl.DataFrame) -> pl.DataFrame:
    """Store the ranked held rows that no earlier delivery stored, ranked again; returns them as stored.

    PostgreSQL's slow path, when a held key turned out stored by an earlier delivery (the copy
    of :meth:`_Writer.add_new` failed): the stored keys are looked up and left out, and the
    rest ranked again from their scenario's award (what every held row carried before its
    first ranking).
    """
    award = scenarios.select("sidx", pl.col("points").alias("award"), pl.col("co2").alias("award_co2"))
    held = (
        ranked.join(award, on="sidx")
        .with_columns(
            pl.col("award").cast(ranked.schema["points"]).alias("points"),
            pl.col("award_co2").cast(ranked.schema["avoided_co2_g"]).alias("avoided_co2_g"),
            pl.lit(False).alias("capped"),
        )
        .drop("award", "award_co2")
    )
    table = _temp_table(session, "personal_intake_held", {"source": "varchar(40)", "external_id": "varchar(80)"}, held)
    stored = session.execute(
        text(
            f"SELECT h.source, h.external_id FROM {table} h JOIN personal_event e "
            "ON e.source = h.source AND e.external_id = h.external_id"
        )
    ).all()
    session.execute(text(f"DROP TABLE {table}"))
    known = pl.DataFrame([tuple(r) for r in stored], schema={"source": pl.Utf8, "external_id": pl.Utf8}, orient="row")
    ranked = _rank_held(held.join(known, on=["source", "external_id"], how="anti"), scenarios)
    if not writer.add_new(ranked):
        raise RuntimeError("held events collided with stored ones after the collisions were left out")
    return ranked


def _merge(groups: list[pl.DataFrame]) -> pl.DataFrame:
    # Polars' streaming engine: about half the peak memory of the in-memory group-by on millions of groups.
    return (
        pl.concat(groups)
        .lazy()
        .group_by(_GROUP)
        .agg(pl.col("n").sum(), pl.col("last_at").max())
        .collect(engine="streaming")
    )


def _apply_caps(session: Session, counted: pl.DataFrame, *, before: int, overlap: bool) -> pl.DataFrame:
    """Zero the events beyond each group's daily cap; returns the groups with ``rewarded`` and its ``last_at``.

    ``counted``: one row per (account, scenario, local day) of this delivery's stored events
    (``n``, ``last_at``, the scenario's ``scenario`` code and ``cap``).
    """
    postgres = repo.is_postgres(session)
    false = "false" if postgres else "0"
    keys = {"account_id": "bigint", "scenario": "varchar(40)", "local_day": "date"}
    counted = counted.with_columns(pl.lit(0, dtype=pl.Int64).alias("prior"))
    if overlap:
        # An earlier delivery touched these days: count what each group was already rewarded.
        table = _temp_table(session, "personal_intake_groups", keys, counted)
        rows = session.execute(
            text(
                f"SELECT g.account_id, g.scenario, g.local_day, count(*) FROM {table} g JOIN personal_event e "
                "ON e.account_id = g.account_id AND e.local_day = g.local_day AND e.scenario = g.scenario "
                f"WHERE e.id <= :before AND e.capped = {false} GROUP BY g.account_id, g.scenario, g.local_day"
            ),
            {"before": before},
        ).all()
        session.execute(text(f"DROP TABLE {table}"))
        if rows:
            prior = pl.DataFrame(
                [(a, s, d if isinstance(d, date) else date.fromisoformat(d), n) for a, s, d, n in rows],
                schema={"account_id": pl.Int64, "scenario": pl.Utf8, "local_day": pl.Date, "prior_n": pl.Int64},
                orient="row",
            )
            counted = (
                counted.join(prior, on=["account_id", "scenario", "local_day"], how="left")
                .with_columns(pl.col("prior_n").fill_null(0).alias("prior"))
                .drop("prior_n")
            )
    over = counted.filter(pl.col("n") + pl.col("prior") > pl.col("cap"))
    counted = counted.with_columns(
        pl.min_horizontal(pl.col("n"), (pl.col("cap") - pl.col("prior")).clip(lower_bound=0)).alias("rewarded")
    )
    if over.is_empty():
        return counted
    table = _temp_table(
        session,
        "personal_intake_over",
        keys | {"room": "integer"},
        over.with_columns((pl.col("cap") - pl.col("prior")).clip(lower_bound=0).alias("room")),
    )
    del over
    events = _over_cap_events(session, table, before=before)
    session.execute(text(f"DROP TABLE {table}"))
    group = ["account_id", "scenario", "local_day"]
    events = events.sort(*group, "occurred_at", "external_id", "source").with_columns(
        pl.int_range(1, pl.len() + 1).over(group).alias("rn")
    )
    _set_capped(session, events.filter(pl.col("rn") > pl.col("room")).get_column("id"))
    # The last rewarded time of the groups the cap cut (the ledger entry's occurred_at).
    cut = events.filter(pl.col("rn") <= pl.col("room")).group_by(group).agg(pl.col("occurred_at").max().alias("cut_at"))
    return (
        counted.join(cut, on=group, how="left")
        .with_columns(pl.coalesce("cut_at", "last_at").alias("last_at"))
        .drop("cut_at")
    )


def _set_capped(session: Session, ids: pl.Series) -> None:
    """Set these events to 0 points and CO2, ``capped`` (SQLite: in place, no indexed column changes)."""
    raw: Any = session.connection().connection.dbapi_connection
    if repo.is_postgres(session):
        with raw.cursor() as cursor:
            cursor.execute(
                "UPDATE personal_event SET points = 0, avoided_co2_g = 0, capped = true WHERE id = ANY(%s)",
                (ids.to_list(),),
            )
    else:
        raw.executemany(
            "UPDATE personal_event SET points = 0, avoided_co2_g = 0, capped = 1 WHERE id = ?",
            ids.to_frame().iter_rows(),
        )


def _over_cap_events(session: Session, table: str, *, before: int) -> pl.DataFrame:
    """This delivery's events of the over-cap groups in ``table`` (with the group's ``room``), straight into Polars."""
    raw: Any = session.connection().connection.dbapi_connection
    schema: dict[str, Any] = {
        "id": pl.Int64,
        "account_id": pl.Int64,
        "scenario": pl.Utf8,
        "local_day": pl.Utf8,
        "occurred_at": pl.Utf8,
        "external_id": pl.Utf8,
        "source": pl.Utf8,
        "room": pl.Int64,
    }
    if repo.is_postgres(session):
        # COPY out as CSV (days as day numbers, times as epoch microseconds): no per-row Python objects.
        schema |= {"local_day": pl.Int32, "occurred_at": pl.Int64}
        buffer = io.BytesIO()
        with (
            raw.cursor() as cursor,
            cursor.copy(
                "COPY (SELECT e.id, e.account_id, e.scenario, e.local_day - DATE '1970-01-01', "
                "(extract(epoch FROM e.occurred_at) * 1000000)::bigint, e.external_id, e.source, o.room "
                f"FROM {table} o JOIN personal_event e ON e.account_id = o.account_id "
                f"AND e.local_day = o.local_day AND e.scenario = o.scenario WHERE e.id > {int(before)}) "
                "TO STDOUT WITH (FORMAT csv)"
            ) as copy,
        ):
            for data in copy:
                buffer.write(data)
        events = pl.read_csv(buffer.getvalue(), has_header=False, schema=schema) if buffer.tell() else None
        if events is None:
            events = pl.DataFrame(schema=schema)
        return events.with_columns(
            pl.col("local_day").cast(pl.Date), pl.from_epoch("occurred_at", time_unit="us").dt.replace_time_zone("UTC")
        )
    # One read driven by the small table (CROSS JOIN fixes SQLite's join order).
    cursor = raw.execute(
        "SELECT e.id, e.account_id, e.scenario, e.local_day, e.occurred_at, e.external_id, e.source, o.room "
        f"FROM {table} o CROSS JOIN personal_event e ON e.account_id = o.account_id "
        "AND e.local_day = o.local_day AND e.scenario = o.scenario WHERE e.id > ?",
        (before,),
    )
    frames = [pl.DataFrame(schema=schema)]
    while block := cursor.fetchmany(100_000):
        frames.append(pl.DataFrame(block, schema=schema, orient="row"))
    # SQLite keeps UTC times as 'YYYY-MM-DD HH:MM:SS.ffffff': text order is time order.
    return pl.concat(frames).with_columns(
        pl.col("local_day").str.to_date("%Y-%m-%d"),
        pl.col("occurred_at").str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_zone="UTC", time_unit="us"),
    )


_LEDGER_COLUMNS = (
    "account_id",
    "seq",
    "kind",
    "points",
    "avoided_co2_g",
    "occurred_at",
    "earned_on",
    "ref",
    "batch_id",
    "catalogue_version",
    "prev_hash",
    "hash",
    "recorded_at",
)


def _post_earnings(
    session: Session,
    counted: pl.DataFrame,
    *,
    scenarios: pl.DataFrame,
    batch_id: int,
    now: datetime,
    background: _Background,
    capped: pl.Series,
) -> int:
    """One earn entry per (account, local day) of the rewarded groups, chained onto each account's head.

    ``counted``: one row per (account, scenario, local day) with ``rewarded`` events and the last one's time.
    Each block of entries is written on the worker thread while the next one is hashed, after a
    part of the ``capped`` events' update (SQLite's held rows beyond the cap, :func:`_write_block`).
    """
    postgres = repo.is_postgres(session)
    terms = scenarios.lazy().select("sidx", "catalogue_version", "points", "co2")
    earned = (
        counted.lazy()
        .join(terms, on="sidx")
        .filter((pl.col("rewarded") > 0) & (pl.col("points") > 0))
        .group_by("account_id", "local_day")
        .agg(
            (pl.col("rewarded") * pl.col("points")).sum().alias("points"),
            (pl.col("rewarded") * pl.col("co2")).sum().alias("co2"),
            pl.col("last_at").max(),
            pl.col("catalogue_version").max(),
        )
        .collect(engine="streaming")
    )
    if earned.is_empty():
        if capped.len():  # nothing earned: still the updates
            _set_capped(session, capped)
        return 0
    blocks = -(-earned.height // _LEDGER_BLOCK)
    part = max(1, -(-capped.len() // blocks))  # at most one part before each block
    parts = (capped.slice(offset, part) for offset in range(0, capped.len(), part))
    heads = _chain_heads(session, earned.select(pl.col("account_id").unique()))
    earned = (
        earned.join(heads, on="account_id", how="left")
        .sort("account_id", "local_day")
        .with_columns(
            (pl.col("head_seq").fill_null(0) + pl.int_range(1, pl.len() + 1).over("account_id")).alias("seq"),
            (pl.col("account_id").shift(1) != pl.col("account_id")).fill_null(True).alias("first"),
            (pl.lit(f"batch:{batch_id}:") + pl.col("local_day").dt.strftime("%Y-%m-%d")).alias("ref"),
        )
    )
    del counted, heads
    recorded = now.astimezone(UTC)
    recorded_text = recorded.strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # the hashed form (rules._utc_text)
    hashers: dict[str, EntryHasher] = {}  # one per catalogue version (a file's days may span two)
    if postgres:
        stamp = recorded.strftime("%Y-%m-%d %H:%M:%S.%f+00")
        times = (pl.col("last_at").dt.strftime(_PG_TIME), pl.col("local_day"))
    else:
        stamp = recorded.strftime("%Y-%m-%d %H:%M:%S.%f")
        times = (_sqlite_time("last_at"), pl.col("local_day").dt.strftime("%Y-%m-%d"))
    head: str | None = None
    written = 0
    for offset in range(0, earned.height, _LEDGER_BLOCK):
        block = earned.slice(offset, _LEDGER_BLOCK)
        # The chain is sequential within an account: the single definition of the hash, in one pass.
        previous: list[str | None] = []
        hashes: list[str] = []
        hashed = block.select(
            pl.col("last_at").dt.convert_time_zone("UTC").dt.strftime(_HASH_TIME),
            pl.col("local_day").dt.strftime("%Y-%m-%d"),
        )
        for account_id, seq, points, co2, last_at, day, ref, version, first, head_hash in zip(
            *(block.get_column(c).to_list() for c in ("account_id", "seq", "points", "co2")),
            *(hashed.get_column(c).to_list() for c in ("last_at", "local_day")),
            *(block.get_column(c).to_list() for c in ("ref", "catalogue_version", "first", "head_hash")),
            strict=True,
        ):
            prev = head_hash if first else head
            # Every field the row is written with (rules.canonical_entry_bytes); reason, corrects_id and
            # posting_id are absent from an earn entry of a file, the rest shared by the file's entries.
            hash_one = hashers.get(version) or hashers.setdefault(
                version,
                entry_hasher(kind="earn", batch_id=batch_id, catalogue_version=version, recorded_at=recorded_text),
            )
            head = hash_one(prev, str(account_id), seq, points, last_at, ref, co2, day)
            previous.append(prev)
            hashes.append(head)
        rows = block.select(
            "account_id",
            "seq",
            pl.lit("earn").alias("kind"),
            "points",
            pl.col("co2").alias("avoided_co2_g"),
            times[0].alias("occurred_at"),
            times[1].alias("earned_on"),
            "ref",
            pl.lit(batch_id, dtype=pl.Int64).alias("batch_id"),
            "catalogue_version",
            pl.Series("prev_hash", previous, dtype=pl.Utf8),
            pl.Series("hash", hashes, dtype=pl.Utf8),
            pl.lit(stamp).alias("recorded_at"),
        )
        payload = _csv(rows) if postgres else rows
        written += background.wait() or 0
        background.submit(_write_block, session, next(parts, None), payload, rows.height)
    written += background.wait() or 0
    assert next(parts, None) is None, "every part of the capped events goes before a block"
    return written


def _write_block(session: Session, capped: pl.Series | None, payload: bytes | pl.DataFrame, rows: int) -> int:
    """A part of the capped events set to 0 points, then a block of earn entries (worker thread); returns ``rows``."""
    if capped is not None:
        _set_capped(session, capped)
    return _write_ledger(session, payload, rows)


def _write_ledger(session: Session, payload: bytes | pl.DataFrame, rows: int) -> int:
    """Write one block of earn entries (PostgreSQL: COPY CSV bytes; SQLite: a frame of values); returns ``rows``."""
    raw: Any = session.connection().connection.dbapi_connection
    columns = ",".join(_LEDGER_COLUMNS)
    if isinstance(payload, bytes):
        with raw.cursor() as cursor, cursor.copy(f"COPY personal_ledger ({columns}) FROM STDIN (FORMAT csv)") as cp:
            cp.write(payload)
    else:
        raw.executemany(
            f"INSERT INTO personal_ledger ({columns}) VALUES ({','.join('?' * len(_LEDGER_COLUMNS))})",
            payload.iter_rows(),
        )
    return rows


def _chain_heads(session: Session, accounts: pl.DataFrame) -> pl.DataFrame:
    """These accounts' chain heads (``head_seq``, ``head_hash``), set-based; accounts without entries are absent."""
    schema = {"account_id": pl.Int64, "head_seq": pl.Int64, "head_hash": pl.Utf8}
    if session.execute(text("SELECT 1 FROM personal_ledger LIMIT 1")).first() is None:
        return pl.DataFrame(schema=schema)
    table = _temp_table(session, "personal_intake_accounts", {"account_id": "bigint"}, accounts)
    rows = session.execute(
        text(
            f"SELECT t.account_id, l.seq, l.hash FROM {table} t JOIN personal_ledger l "
            "ON l.account_id = t.account_id AND l.seq = "
            "(SELECT max(x.seq) FROM personal_ledger x WHERE x.account_id = t.account_id)"
        )
    ).all()
    session.execute(text(f"DROP TABLE {table}"))
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")
