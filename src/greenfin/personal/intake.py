"""Bulk file intake: a day of a city's events (10 M rows) streamed into the ledger, set-based.

The file (``source,external_id,id_number,scenario,occurred_at,amount_fen``) is read in
chunks with Polars; each chunk is validated with vectorised expressions, its ID numbers are
turned into keyed hashes once per distinct number and joined to the accounts, and the
surviving rows go to a staging table (``executemany`` on SQLite, ``COPY`` on PostgreSQL).
Memory stays bounded by the chunk size plus the account index (hash → id).

Then two statements do the rest inside the database:

1. ``INSERT INTO personal_event … SELECT … ON CONFLICT (source, external_id) DO NOTHING``:
   rows already stored are skipped (``NOT EXISTS``), the daily cap is applied with
   ``DENSE_RANK() OVER (PARTITION BY account, scenario, local day ORDER BY occurred_at,
   external_id, source)`` plus the events of that group rewarded before (looked up only if
   an earlier delivery touched the same days) — the contract of
   :func:`greenfin.personal.rules.award` (``already + rank <= cap``). ``DENSE_RANK`` gives
   a row repeated within the file the same rank, so a repeat never takes a cap slot.
2. One earn entry per (account, local day) is posted from the events just inserted (an id
   range: the intake holds the write lock, nothing else inserts meanwhile) and chained onto
   each account's head in a single ordered pass, streamed.

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
from greenfin.db import UTCDateTime, utcnow
from greenfin.errors import InvalidInput
from greenfin.personal import identity
from greenfin.personal import repository as repo
from greenfin.personal.service import FUTURE_SKEW, catalogue, chain_rows
from greenfin.settings import Settings

COLUMNS = ("source", "external_id", "id_number", "scenario", "occurred_at", "amount_fen")
MAX_LISTED = 200
STAGE = "personal_intake_stage"
_STAGED = (
    "source",
    "external_id",
    "account_id",
    "scenario",
    "catalogue_version",
    "occurred_at",
    "local_day",
    "amount_fen",
    "points",
    "co2",
    "cap",
)


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
            "catalogue_version": [s.catalogue_version for s in cat.scenarios],
            "points": [s.points for s in cat.scenarios],
            "co2": [s.avoided_co2_g for s in cat.scenarios],
            "cap": [s.daily_cap for s in cat.scenarios],
            "valid_from": [s.valid_from for s in cat.scenarios],
            "valid_to": [s.valid_to or date(9999, 12, 31) for s in cat.scenarios],
        },
        schema_overrides={"points": pl.Int64, "co2": pl.Int64, "cap": pl.Int64},
    )


def _account_index(session: Session) -> pl.DataFrame:
    hashes: list[str] = []
    ids: list[int] = []
    for account_hash, account_id in repo.all_account_hashes(session):
        hashes.append(account_hash)
        ids.append(account_id)
    return pl.DataFrame({"id_hash": hashes, "account_id": ids}, schema={"id_hash": pl.Utf8, "account_id": pl.Int64})


def _reason(condition: pl.Expr, reason: str, current: pl.Expr) -> pl.Expr:
    return pl.when(current.is_null() & condition).then(pl.lit(reason)).otherwise(current)


class _Stage:
    """The staging table of one intake, per dialect."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.postgres = repo.is_postgres(session)
        self.rows = 0
        if self.postgres:
            session.execute(text(f"DROP TABLE IF EXISTS pg_temp.{STAGE}"))
            session.execute(
                text(
                    f"CREATE TEMP TABLE {STAGE} (source varchar(40), external_id varchar(80), account_id bigint, "
                    "scenario varchar(40), catalogue_version varchar(10), occurred_at timestamptz, local_day date, "
                    "amount_fen bigint, points integer, co2 integer, cap integer)"
                )
            )
        else:
            session.execute(text(f"DROP TABLE IF EXISTS temp.{STAGE}"))
            session.execute(
                text(
                    f"CREATE TEMP TABLE {STAGE} (source TEXT, external_id TEXT, account_id INTEGER, scenario TEXT, "
                    "catalogue_version TEXT, occurred_at TEXT, local_day TEXT, amount_fen INTEGER, points INTEGER, "
                    "co2 INTEGER, cap INTEGER)"
                )
            )

    def add(self, frame: pl.DataFrame) -> None:
        if frame.is_empty():
            return
        self.rows += frame.height
        if self.postgres:
            out = frame.select(
                *_STAGED[:5],
                pl.col("occurred_at").dt.strftime("%Y-%m-%d %H:%M:%S%.6f+00"),
                *_STAGED[6:],
            )
            buffer = io.BytesIO()
            out.write_csv(buffer, include_header=False, null_value="")
            raw = self.session.connection().connection.dbapi_connection
            assert raw is not None
            with (
                raw.cursor() as cursor,
                cursor.copy(  # type: ignore[attr-defined]
                    f"COPY {STAGE} ({','.join(_STAGED)}) FROM STDIN WITH (FORMAT csv)"
                ) as copy,
            ):
                copy.write(buffer.getvalue())
        else:
            out = frame.select(
                *_STAGED[:5],
                pl.col("occurred_at").dt.strftime("%Y-%m-%d %H:%M:%S%.6f"),
                pl.col("local_day").dt.strftime("%Y-%m-%d"),
                *_STAGED[7:],
            )
            raw = self.session.connection().connection.dbapi_connection
            assert raw is not None
            raw.executemany(  # type: ignore[attr-defined]
                f"INSERT INTO temp.{STAGE} VALUES ({','.join('?' * len(_STAGED))})", out.iter_rows()
            )

    def drop(self) -> None:
        schema = "pg_temp" if self.postgres else "temp"
        self.session.execute(text(f"DROP TABLE IF EXISTS {schema}.{STAGE}"))


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
    stage = _Stage(session)
    reasons: Counter[str] = Counter()
    listed: list[dict[str, Any]] = []
    in_file_duplicates = 0
    seen_rows = 0
    first_day: date | None = None
    last_day: date | None = None
    latest = (now + FUTURE_SKEW).astimezone(UTC)

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

        numbers = frame.filter(pl.col("reason").is_null()).get_column("id_number").unique()
        lookup = pl.DataFrame(
            {"id_number": numbers, "id_hash": [digest(n) for n in numbers.to_list()]},
            schema={"id_number": pl.Utf8, "id_hash": pl.Utf8},
        ).join(accounts, on="id_hash", how="left")
        unknown = lookup.filter(pl.col("account_id").is_null()).get_column("id_number").to_list()
        invalid = [n for n in unknown if identity.id_number_problem(n) is not None]
        frame = frame.join(lookup.select("id_number", "account_id"), on="id_number", how="left")
        reason = pl.col("reason")
        reason = _reason(pl.col("id_number").is_in(invalid), "invalid ID number (checksum, date or division)", reason)
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
        in_file_duplicates += good.height - unique.height
        if unique.height:
            low, high = unique.get_column("local_day").min(), unique.get_column("local_day").max()
            first_day = low if first_day is None or low < first_day else first_day  # type: ignore[operator]
            last_day = high if last_day is None or high > last_day else last_day  # type: ignore[operator]
        stage.add(
            unique.with_columns(pl.col("at").alias("occurred_at"), pl.col("amount").alias("amount_fen")).select(_STAGED)
        )

    inserted = 0
    if stage.rows:
        assert first_day is not None and last_day is not None
        overlap = repo.batches_overlap(session, first_day, last_day, besides=batch_id)
        inserted = _insert_events(session, batch_id=batch_id, overlap=overlap, postgres=stage.postgres)
    stage.drop()
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
        first_day=first_day if inserted else None,
        last_day=last_day if inserted else None,
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


def _insert_events(session: Session, *, batch_id: int, overlap: bool, postgres: bool) -> int:
    """Move the staged rows into the events (caps applied), then post the earnings; returns rows inserted."""
    before = session.execute(text("SELECT coalesce(max(id), 0) FROM personal_event")).scalar_one()
    true, false = ("true", "false") if postgres else ("1", "0")
    stage = STAGE if postgres else f"temp.{STAGE}"
    prior = (
        "(SELECT count(*) FROM personal_event e WHERE e.account_id = s.account_id AND e.local_day = s.local_day "
        f"AND e.scenario = s.scenario AND e.capped = {false})"
        if overlap
        else "0"
    )
    within = "rn + prior_n <= cap"
    result = session.execute(
        text(
            "INSERT INTO personal_event (source, external_id, account_id, scenario, catalogue_version, occurred_at, "
            "local_day, amount_fen, points, avoided_co2_g, capped, batch_id) "
            "SELECT source, external_id, account_id, scenario, catalogue_version, occurred_at, local_day, amount_fen, "
            f"CASE WHEN {within} THEN points ELSE 0 END, CASE WHEN {within} THEN co2 ELSE 0 END, "
            f"CASE WHEN {within} THEN {false} ELSE {true} END, :batch "
            "FROM (SELECT s.*, DENSE_RANK() OVER (PARTITION BY account_id, scenario, local_day "
            f"ORDER BY occurred_at, external_id, source) AS rn, {prior} AS prior_n FROM {stage} s "
            "WHERE NOT EXISTS (SELECT 1 FROM personal_event x WHERE x.source = s.source "
            "AND x.external_id = s.external_id)) ranked "
            "WHERE 1 = 1 ON CONFLICT (source, external_id) DO NOTHING"
        ),
        {"batch": batch_id},
    )
    inserted = int(result.rowcount)  # type: ignore[attr-defined]
    if inserted:
        post_batch(session, batch_id=batch_id, after_id=int(before), postgres=postgres)
    return inserted


def post_batch(session: Session, *, batch_id: int, after_id: int, postgres: bool) -> int:
    """Post one earn entry per (account, local day) for events with id > ``after_id``; streamed."""
    query = (
        text(
            "SELECT g.account_id, g.local_day, g.points, g.co2, g.last_at, g.version, h.seq, h.hash FROM "
            "(SELECT account_id, local_day, sum(points) AS points, sum(avoided_co2_g) AS co2, "
            "max(occurred_at) AS last_at, max(catalogue_version) AS version FROM personal_event "
            "WHERE id > :after AND points > 0 GROUP BY account_id, local_day) g "
            "LEFT JOIN personal_ledger h ON h.account_id = g.account_id AND h.seq = "
            "(SELECT max(seq) FROM personal_ledger x WHERE x.account_id = g.account_id) "
            "ORDER BY g.account_id, g.local_day"
        )
        .columns()
        .bindparams(after=after_id)
    )
    now = utcnow()
    stored = UTCDateTime()
    posted = 0
    result = session.execute(query, execution_options={"yield_per": 100_000})
    pending: list[dict[str, Any]] = []
    heads: dict[int, tuple[int, str]] = {}
    for partition in result.partitions():
        for account_id, day, points, co2, last_at, version, seq, head_hash in partition:
            if account_id not in heads and seq is not None:
                heads[account_id] = (int(seq), head_hash)
            if isinstance(last_at, str):
                last_at = stored.process_result_value(datetime.fromisoformat(last_at), None)
            if isinstance(day, str):
                day = date.fromisoformat(day)
            pending.append(
                {
                    "account_id": int(account_id),
                    "kind": "earn",
                    "points": int(points),
                    "avoided_co2_g": int(co2),
                    "occurred_at": last_at,
                    "earned_on": day,
                    "ref": f"batch:{batch_id}:{day.isoformat()}",
                    "batch_id": batch_id,
                    "catalogue_version": version,
                }
            )
        # Flush whole accounts only, so a chain never straddles two flushes with a stale head.
        keep = pending[-1]["account_id"] if pending else None
        ready = [p for p in pending if p["account_id"] != keep]
        pending = [p for p in pending if p["account_id"] == keep]
        posted += _write_ledger(session, chain_rows(ready, heads, now=now), postgres=postgres)
        heads = {keep: heads[keep]} if keep in heads else {}
    posted += _write_ledger(session, chain_rows(pending, heads, now=now), postgres=postgres)
    return posted


_LEDGER_COLUMNS = (
    "account_id",
    "seq",
    "kind",
    "points",
    "avoided_co2_g",
    "occurred_at",
    "earned_on",
    "ref",
    "reason",
    "corrects_id",
    "batch_id",
    "catalogue_version",
    "prev_hash",
    "hash",
    "recorded_at",
)


def _write_ledger(session: Session, rows: list[dict[str, Any]], *, postgres: bool) -> int:
    if not rows:
        return 0
    raw = session.connection().connection.dbapi_connection
    assert raw is not None
    if postgres:
        with (
            raw.cursor() as cursor,
            cursor.copy(  # type: ignore[attr-defined]
                f"COPY personal_ledger ({','.join(_LEDGER_COLUMNS)}) FROM STDIN"
            ) as copy,
        ):
            for row in rows:
                copy.write_row([row[c] for c in _LEDGER_COLUMNS])
    else:

        def sqlite_value(value: Any) -> Any:
            if isinstance(value, datetime):
                return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
            if isinstance(value, date):
                return value.isoformat()
            return value

        placeholders = ",".join("?" * len(_LEDGER_COLUMNS))
        raw.executemany(  # type: ignore[attr-defined]
            f"INSERT INTO personal_ledger ({','.join(_LEDGER_COLUMNS)}) VALUES ({placeholders})",
            ([sqlite_value(row[c]) for c in _LEDGER_COLUMNS] for row in rows),
        )
    return len(rows)
