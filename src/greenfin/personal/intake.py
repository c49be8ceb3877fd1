"""Bulk file intake: a day of a city's events (10 M rows) streamed into the ledger, set-based.

The file (``source,external_id,id_number,scenario,occurred_at,amount_fen``) is read in
chunks with Polars; each chunk is validated with vectorised expressions, its ID numbers are
turned into keyed hashes once per distinct number *of the file* (a resolved-number frame is
kept across chunks) and joined to the accounts. Memory stays bounded by the chunk size plus
the account index and one row per (account, scenario, day) group of the file.

Each chunk's surviving rows go **straight into** ``personal_event`` with
``ON CONFLICT (source, external_id) DO NOTHING`` (SQLite: ``executemany``; PostgreSQL:
``COPY`` into a per-chunk staging table, then one ``INSERT … SELECT``), with the full award
of their scenario. Idempotency is the unique key; the first delivery of a key wins. When a
chunk inserts fewer rows than it carried (a re-delivery), the keys actually stored are read
back so that the group counts below count only stored events.

The daily cap is then applied only where it can bite: per (account, scenario, local day)
the file's stored events are counted in Polars (plus, when an earlier delivery touched the
same days, the events of that group rewarded before). Groups whose count stays within the
cap need nothing. The few others are ranked in SQL with ``ROW_NUMBER() OVER (PARTITION BY
account, scenario, local day ORDER BY occurred_at, external_id, source)`` — the contract of
:func:`greenfin.personal.rules.award` (``already + rank <= cap``; ``(source, external_id)``
is unique, so the order is total) — and the events beyond the cap are set to 0 points,
``capped``. This replaces a global sort of every staged row (the former window over the
whole file), which on SQLite cost most of the time and 4 GiB of temp store.

Finally one earn entry per (account, local day) is computed from the same group frame and
chained onto each account's head (:func:`greenfin.personal.rules.entry_hash`, sequential per
account, accounts in order), then written with ``executemany``/``COPY``.

Rejected rows (unknown source, malformed or future time, unknown scenario, scenario not in
force that day, malformed amount, invalid or unknown ID number) change nothing; the summary
counts them by reason and lists the first :data:`MAX_LISTED` with their line numbers.
"""

from __future__ import annotations

import hashlib
import io
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import text
from sqlalchemy.orm import Session

from greenfin.auth import service as auth
from greenfin.auth.service import Principal
from greenfin.db import utcnow
from greenfin.errors import InvalidInput
from greenfin.personal import identity
from greenfin.personal import repository as repo
from greenfin.personal.rules import entry_hash
from greenfin.personal.service import FUTURE_SKEW, catalogue
from greenfin.settings import Settings

COLUMNS = ("source", "external_id", "id_number", "scenario", "occurred_at", "amount_fen")
MAX_LISTED = 200
STAGE = "personal_intake_stage"
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
_COMPACT_EVERY = 8  # chunks between two re-aggregations of the group counts


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(8 << 20):
            digest.update(block)
    return digest.hexdigest()


def _chunks(path: Path, rows: int) -> Iterator[pl.DataFrame]:
    """The file as data frames of about ``rows`` rows each (all columns text), streamed."""
    with path.open("rb") as handle:
        header = handle.readline()
        names = tuple(h.strip() for h in header.decode("utf-8-sig").strip().split(","))
        if names != COLUMNS:
            raise InvalidInput(
                f"{path.name}: the header must be {','.join(COLUMNS)}; found {','.join(names)}",
                errors=[{"row": 1, "column": "header", "reason": "unexpected columns"}],
            )
        schema = dict.fromkeys(COLUMNS, pl.Utf8)
        while True:
            lines = handle.readlines(rows * 80)  # ~80 bytes a row: a size hint, not a limit
            if not lines:
                return
            yield pl.read_csv(
                io.BytesIO(b"".join(lines)),
                has_header=False,
                schema=schema,
                encoding="utf8-lossy",
                truncate_ragged_lines=True,
            ).with_columns(pl.all().fill_null(""))


def _scenario_frame() -> pl.DataFrame:
    cat = catalogue()
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
    """Every account's (id_hash, id), read in blocks straight into Polars (no ORM rows)."""
    schema = {"id_hash": pl.Utf8, "account_id": pl.Int64}
    frames = [pl.DataFrame(schema=schema)]
    for block in repo.account_hash_blocks(session):
        frames.append(pl.DataFrame(block, schema=schema, orient="row"))
    return pl.concat(frames)


def _reason(condition: pl.Expr, reason: str, current: pl.Expr) -> pl.Expr:
    return pl.when(current.is_null() & condition).then(pl.lit(reason)).otherwise(current)


def _sqlite_time(column: str) -> pl.Expr:
    # SQLAlchemy's SQLite DateTime text form (UTCDateTime stores UTC).
    return pl.col(column).dt.strftime("%Y-%m-%d %H:%M:%S%.6f")


class _Writer:
    """Writes a chunk's rows into ``personal_event`` (duplicates skipped) and reads back what was stored."""

    def __init__(self, session: Session, *, batch_id: int) -> None:
        self.session = session
        self.batch_id = batch_id
        self.postgres = repo.is_postgres(session)
        raw = session.connection().connection.dbapi_connection
        assert raw is not None
        self.raw: Any = raw
        self.staged = 0
        self.inserted = 0
        # PostgreSQL: COPY straight into personal_event while no row of the file is a duplicate
        # (inside a savepoint); the first unique violation rolls the chunk back and switches
        # this intake to the staging table + INSERT … ON CONFLICT DO NOTHING.
        self.direct = self.postgres
        self.before = self._max_id()
        if not self.postgres:
            # A larger page cache for this connection while the file is written, so that the event
            # indexes' pages stay in memory (bounded: the cache size, not the file size).
            self.raw.execute(f"PRAGMA cache_size={SQLITE_CACHE_KIB[0]}")
        if self.postgres:
            session.execute(text(f"DROP TABLE IF EXISTS pg_temp.{STAGE}"))
            session.execute(
                text(
                    f"CREATE TEMP TABLE {STAGE} (source varchar(40), external_id varchar(80), account_id bigint, "
                    "scenario varchar(40), catalogue_version varchar(10), occurred_at timestamptz, local_day date, "
                    "amount_fen bigint, points integer, avoided_co2_g integer, capped boolean, batch_id bigint)"
                )
            )

    def _max_id(self) -> int:
        return int(self.session.execute(text("SELECT coalesce(max(id), 0) FROM personal_event")).scalar_one())

    def add(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Insert the rows (``_EVENT_COLUMNS`` and ``sidx``); returns those actually stored (not duplicates)."""
        if frame.is_empty():
            return frame
        before = self._max_id()
        self.staged += frame.height
        if self.postgres:
            out = frame.select(
                *_EVENT_COLUMNS[:5],
                pl.col("occurred_at").dt.strftime("%Y-%m-%d %H:%M:%S%.6f+00"),
                *_EVENT_COLUMNS[6:],
            )
            buffer = io.BytesIO()
            out.write_csv(buffer, include_header=False, null_value="")
            columns = ",".join(_EVENT_COLUMNS)
            stored = self._copy_direct(buffer.getvalue(), columns, frame.height) if self.direct else None
            if stored is None:
                self.raw.execute(f"TRUNCATE {STAGE}")
                with self.raw.cursor() as cursor:
                    with cursor.copy(f"COPY {STAGE} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
                        copy.write(buffer.getvalue())
                    cursor.execute(
                        f"INSERT INTO personal_event ({columns}) SELECT {columns} FROM {STAGE} "
                        "ON CONFLICT (source, external_id) DO NOTHING"
                    )
                    stored = cursor.rowcount
        else:
            # In (account, day) order within the chunk: the ix_personal_event_account_day inserts
            # cluster on neighbouring pages instead of one random page per row, while the
            # (source, external_id) key of a chunk stays within its own narrow range of the index.
            out = frame.sort("account_id", "local_day").select(
                *_EVENT_COLUMNS[:5],
                _sqlite_time("occurred_at"),
                pl.col("local_day").dt.strftime("%Y-%m-%d"),
                *_EVENT_COLUMNS[7:10],
                pl.col("capped").cast(pl.Int32),
                pl.col("batch_id"),
            )
            cursor = self.raw.executemany(
                f"INSERT INTO personal_event ({','.join(_EVENT_COLUMNS)}) "
                f"VALUES ({','.join('?' * len(_EVENT_COLUMNS))}) ON CONFLICT (source, external_id) DO NOTHING",
                out.iter_rows(),
            )
            stored = cursor.rowcount
        self.inserted += stored
        if stored == frame.height:
            return frame
        # A re-delivery: count only the rows this chunk stored (ids above the chunk's start; the
        # intake holds the write lock, nothing else inserts meanwhile).
        keys = self.session.execute(
            text("SELECT source, external_id FROM personal_event WHERE id > :before"), {"before": before}
        ).all()
        kept = pl.DataFrame(keys, schema={"source": pl.Utf8, "external_id": pl.Utf8}, orient="row")
        return frame.join(kept, on=["source", "external_id"], how="semi")

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
        buffer = io.BytesIO()
        frame.select(list(columns)).write_csv(buffer, include_header=False, null_value="")
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY {name} ({','.join(columns)}) FROM STDIN WITH (FORMAT csv)") as copy,
        ):
            copy.write(buffer.getvalue())
    else:
        out = frame.select(
            pl.col(c).dt.strftime("%Y-%m-%d") if frame.schema[c] == pl.Date else pl.col(c) for c in columns
        )
        raw.executemany(f"INSERT INTO {qualified} VALUES ({','.join('?' * len(columns))})", out.iter_rows())
    return qualified


def ingest_file(
    session: Session,
    principal: Principal,
    *,
    settings: Settings,
    path: Path,
    now: datetime | None = None,
    chunk_rows: int = 500_000,
) -> dict[str, Any]:
    """Ingest an events file; returns ``{batch_id, accepted, duplicates, rejected, reasons, rejections}``."""
    auth.require_role(principal, "data_source")
    now = now or utcnow()
    repo.lock_for_bulk_intake(session)
    if repo.is_postgres(session):
        session.execute(text("SET LOCAL work_mem = '256MB'"))
    batch_id = repo.new_batch(
        session, channel="file", actor=principal.actor, filename=path.name, sha256=file_sha256(path), received_at=now
    )
    sources = {principal.organisation_code} if principal.role == "data_source" else repo.data_source_codes(session)
    accounts = _account_index(session)
    scenarios = _scenario_frame()
    digest = identity.hasher(settings.secret_key)
    writer = _Writer(session, batch_id=batch_id)
    # ID numbers already resolved in this file (hash computed once per distinct number): account id or null.
    resolved = pl.DataFrame(schema={"id_number": pl.Utf8, "account_id": pl.Int64, "invalid": pl.Boolean})
    groups: list[pl.DataFrame] = []
    reasons: Counter[str] = Counter()
    listed: list[dict[str, Any]] = []
    seen_rows = 0
    latest = (now + FUTURE_SKEW).astimezone(UTC)

    try:
        for chunk in _chunks(path, chunk_rows):
            frame = chunk.with_row_index("line", offset=seen_rows + 2)
            seen_rows += chunk.height
            at = pl.coalesce(
                pl.col("occurred_at").str.to_datetime(
                    "%Y-%m-%dT%H:%M:%S%.f%z", strict=False, time_zone="UTC", time_unit="us"
                ),
                pl.col("occurred_at").str.to_datetime(
                    "%Y-%m-%dT%H:%M:%S%#z", strict=False, time_zone="UTC", time_unit="us"
                ),
            )
            frame = frame.with_columns(
                at.alias("at"),
                pl.col("amount_fen").str.strip_chars().cast(pl.Int64, strict=False).alias("amount"),
                pl.col("id_number").str.strip_chars().str.to_uppercase().alias("id_number"),
            ).with_columns(
                pl.col("at").dt.convert_time_zone("Asia/Shanghai").dt.date().alias("local_day"),
            )
            frame = frame.join(scenarios, on="scenario", how="left")
            reason = pl.lit(None, dtype=pl.Utf8)
            reason = _reason(~pl.col("source").is_in(list(sources)), "unknown or wrong source", reason)
            reason = _reason(
                (pl.col("external_id").str.len_chars() == 0) | (pl.col("external_id").str.len_chars() > 80),
                "external_id missing or longer than 80 characters",
                reason,
            )
            reason = _reason(pl.col("at").is_null(), "malformed time (ISO 8601 with a UTC offset required)", reason)
            reason = _reason(pl.col("at") > pl.lit(latest), "time in the future", reason)
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
            frame = frame.with_columns(reason.alias("reason"))

            numbers = (
                frame.filter(pl.col("reason").is_null())
                .select(pl.col("id_number").unique())
                .join(resolved, on="id_number", how="anti")
                .get_column("id_number")
            )
            if numbers.len():
                lookup = pl.DataFrame(
                    # Keyed like the accounts: stdnum's compact folds full-width digits (once per distinct number).
                    {
                        "id_number": numbers,
                        "id_hash": [digest(identity.compact_id_number(n)) for n in numbers.to_list()],
                    },
                    schema={"id_number": pl.Utf8, "id_hash": pl.Utf8},
                ).join(accounts, on="id_hash", how="left")
                unknown = set(lookup.filter(pl.col("account_id").is_null()).get_column("id_number").to_list())
                invalid = [n for n in unknown if identity.id_number_problem(n) is not None]
                resolved = pl.concat(
                    [
                        resolved,
                        lookup.select("id_number", "account_id", pl.col("id_number").is_in(invalid).alias("invalid")),
                    ]
                )
            frame = frame.join(resolved, on="id_number", how="left")
            reason = pl.col("reason")
            reason = _reason(
                pl.col("invalid").fill_null(False), "invalid ID number (checksum, date or division)", reason
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
            good = frame.filter(pl.col("reason").is_null())
            unique = good.unique(subset=["source", "external_id"], keep="first", maintain_order=True)
            stored = writer.add(
                unique.with_columns(
                    pl.col("at").alias("occurred_at"),
                    pl.col("amount").alias("amount_fen"),
                    pl.col("co2").alias("avoided_co2_g"),
                    pl.lit(False).alias("capped"),
                    pl.lit(batch_id, dtype=pl.Int64).alias("batch_id"),
                ).select(*_EVENT_COLUMNS, "sidx")
            )
            if stored.height:
                groups.append(
                    stored.group_by(_GROUP).agg(
                        pl.len().cast(pl.Int64).alias("n"), pl.col("occurred_at").max().alias("last_at")
                    )
                )
            if len(groups) >= _COMPACT_EVERY:
                groups = [_merge(groups)]

        inserted = writer.inserted
        first_day = last_day = None
        if inserted:
            counted = _merge(groups).join(
                scenarios.select("sidx", "scenario", "catalogue_version", "points", "co2", "cap"), on="sidx"
            )
            del groups
            first_day, last_day = counted.get_column("local_day").min(), counted.get_column("local_day").max()
            overlap = repo.batches_overlap(session, first_day, last_day, besides=batch_id)  # type: ignore[arg-type]
            counted = _apply_caps(session, counted, before=writer.before, overlap=overlap)
            _post_earnings(session, counted, batch_id=batch_id, now=now, postgres=writer.postgres)
    finally:
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


def _merge(groups: list[pl.DataFrame]) -> pl.DataFrame:
    return pl.concat(groups).group_by(_GROUP).agg(pl.col("n").sum(), pl.col("last_at").max())


def _apply_caps(session: Session, counted: pl.DataFrame, *, before: int, overlap: bool) -> pl.DataFrame:
    """Zero the events beyond each group's daily cap; returns the groups with ``rewarded`` and its ``last_at``.

    ``counted``: one row per (account, scenario, local day) of this delivery's stored events
    (``n``, ``last_at``, the scenario's ``points``, ``co2``, ``cap``, ``catalogue_version``).
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
    # One read of the over-cap groups' events (driven by the small table: CROSS JOIN fixes
    # SQLite's join order), ranked in Polars in rules.cap_order_key order.
    join = "JOIN" if postgres else "CROSS JOIN"
    day_type: Any = pl.Date if postgres else pl.Utf8
    time_type: Any = pl.Datetime("us", "UTC") if postgres else pl.Utf8
    schema: dict[str, Any] = {
        "id": pl.Int64,
        "account_id": pl.Int64,
        "scenario": pl.Utf8,
        "local_day": day_type,
        "occurred_at": time_type,
        "external_id": pl.Utf8,
        "source": pl.Utf8,
        "room": pl.Int64,
    }
    result = session.execute(
        text(
            "SELECT e.id, e.account_id, e.scenario, e.local_day, e.occurred_at, e.external_id, e.source, o.room "
            f"FROM {table} o {join} personal_event e ON e.account_id = o.account_id "
            "AND e.local_day = o.local_day AND e.scenario = o.scenario WHERE e.id > :before"
        ),
        {"before": before},
        execution_options={"yield_per": 100_000},
    )
    # Streamed into Polars in blocks: ~800 k rows for the 10 M-row file would be ~0.5 GB as Python tuples.
    events = pl.concat(
        [pl.DataFrame(schema=schema)]
        + [pl.DataFrame([tuple(r) for r in part], schema=schema, orient="row") for part in result.partitions()]
    )
    session.execute(text(f"DROP TABLE {table}"))
    if not postgres:
        # SQLite keeps UTC times as 'YYYY-MM-DD HH:MM:SS.ffffff': text order is time order.
        events = events.with_columns(
            pl.col("local_day").str.to_date("%Y-%m-%d"),
            pl.col("occurred_at").str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_zone="UTC", time_unit="us"),
        )
    group = ["account_id", "scenario", "local_day"]
    events = events.sort(*group, "occurred_at", "external_id", "source").with_columns(
        pl.int_range(1, pl.len() + 1).over(group).alias("rn")
    )
    capped = events.filter(pl.col("rn") > pl.col("room")).get_column("id").to_list()
    if postgres:
        session.execute(
            text("UPDATE personal_event SET points = 0, avoided_co2_g = 0, capped = true WHERE id = ANY(:ids)"),
            {"ids": capped},
        )
    else:
        raw: Any = session.connection().connection.dbapi_connection
        raw.executemany(
            "UPDATE personal_event SET points = 0, avoided_co2_g = 0, capped = 1 WHERE id = ?", ((i,) for i in capped)
        )
    # The last rewarded time of the groups the cap cut (the ledger entry's occurred_at).
    cut = events.filter(pl.col("rn") <= pl.col("room")).group_by(group).agg(pl.col("occurred_at").max().alias("cut_at"))
    return (
        counted.join(cut, on=group, how="left")
        .with_columns(pl.coalesce("cut_at", "last_at").alias("last_at"))
        .drop("cut_at")
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


def _post_earnings(session: Session, counted: pl.DataFrame, *, batch_id: int, now: datetime, postgres: bool) -> int:
    """One earn entry per (account, local day) of the rewarded groups, chained onto each account's head."""
    earned = (
        counted.filter((pl.col("rewarded") > 0) & (pl.col("points") > 0))
        .group_by("account_id", "local_day")
        .agg(
            (pl.col("rewarded") * pl.col("points")).sum().alias("points"),
            (pl.col("rewarded") * pl.col("co2")).sum().alias("co2"),
            pl.col("last_at").max(),
            pl.col("catalogue_version").max(),
        )
        .sort("account_id", "local_day")
    )
    if earned.is_empty():
        return 0
    heads = _chain_heads(session, earned.select(pl.col("account_id").unique()))
    raw: Any = session.connection().connection.dbapi_connection
    stamp = now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    block: list[tuple[Any, ...]] = []
    written = 0
    last_account = None
    seq, head = 0, None
    for account_id, day, points, co2, last_at, version in earned.iter_rows():
        if account_id != last_account:
            seq, head = heads.get(account_id, (0, None))
            last_account = account_id
        seq += 1
        ref = f"batch:{batch_id}:{day.isoformat()}"
        entry = entry_hash(
            head, account_id=str(account_id), seq=seq, kind="earn", points=points, occurred_at=last_at, ref=ref
        )
        if postgres:
            block.append((account_id, seq, "earn", points, co2, last_at, day, ref, batch_id, version, head, entry, now))
        else:
            at = last_at.strftime("%Y-%m-%d %H:%M:%S.%f")
            block.append(
                (account_id, seq, "earn", points, co2, at, day.isoformat(), ref, batch_id, version, head, entry, stamp)
            )
        head = entry
        if len(block) == 50_000:
            written += _write_ledger(raw, block, postgres=postgres)
            block = []
    return written + _write_ledger(raw, block, postgres=postgres)


def _write_ledger(raw: Any, rows: list[tuple[Any, ...]], *, postgres: bool) -> int:
    if not rows:
        return 0
    columns = ",".join(_LEDGER_COLUMNS)
    if postgres:
        with raw.cursor() as cursor, cursor.copy(f"COPY personal_ledger ({columns}) FROM STDIN") as copy:
            copy.write(_copy_text(rows))
    else:
        raw.executemany(
            f"INSERT INTO personal_ledger ({columns}) VALUES ({','.join('?' * len(_LEDGER_COLUMNS))})", rows
        )
    return len(rows)


def _chain_heads(session: Session, accounts: pl.DataFrame) -> dict[int, tuple[int, str]]:
    """The last (seq, hash) of these accounts' chains, set-based (accounts without entries are absent)."""
    if session.execute(text("SELECT 1 FROM personal_ledger LIMIT 1")).first() is None:
        return {}
    table = _temp_table(session, "personal_intake_accounts", {"account_id": "bigint"}, accounts)
    rows = session.execute(
        text(
            f"SELECT t.account_id, l.seq, l.hash FROM {table} t JOIN personal_ledger l "
            "ON l.account_id = t.account_id AND l.seq = "
            "(SELECT max(x.seq) FROM personal_ledger x WHERE x.account_id = t.account_id)"
        )
    ).all()
    session.execute(text(f"DROP TABLE {table}"))
    return {int(a): (int(s), h) for a, s, h in rows}


def _copy_text(rows: list[tuple[Any, ...]]) -> bytes:
    """Ledger rows in COPY text format (no field holds a tab, newline or backslash: ids, codes, hex, times)."""
    out = []
    for row in rows:
        out.append(
            "\t".join("\\N" if v is None else v.isoformat() if isinstance(v, date | datetime) else str(v) for v in row)
        )
    return ("\n".join(out) + "\n").encode()
