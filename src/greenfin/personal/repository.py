"""Every query of the personal carbon account (routes, services and templates build no SQL)."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Table,
    and_,
    case,
    exists,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from greenfin.auth.models import Organisation
from greenfin.db import page_of
from greenfin.personal.models import (
    Account,
    Event,
    IntakeBatch,
    LedgerAnchor,
    LedgerCheckpoint,
    LedgerEntry,
    PostingRun,
    Redemption,
    Reward,
)

INTAKE_LOCK = 0x6766_7065_7273  # "gfpers": PostgreSQL advisory lock between bulk and single intake
POSTING_LOCK = 0x6766_706F_7374  # "gfpost": one posting run of pending API deliveries at a time
CHECKPOINT_LOCK = 0x6766_6368_6B70  # "gfchkp": one ledger checkpoint at a time (the checkpoints are chained)

# Lists travel to PostgreSQL as one parameter, so a statement keeps one shape whatever the
# number of values: a JSON text through SQLAlchemy (psycopg adapts a Python list in text form
# element by element, ~7 µs each), or, on the intake's hot path, a binary array through
# psycopg itself (:func:`_execute_binary`: encoded in C, no JSON to write or to parse).
# A key set is a relation (``IN (SELECT …)``, or a LATERAL join where each key must probe an
# index), never ``= ANY(ARRAY(SELECT …))``: a filter on an array that is not a constant is
# searched element by element for every row, so when the planner scans a table whose
# statistics lag behind its growth (a busy day's events) 40,000 accounts cost 8e9 comparisons
# (seen: 8–19 s posting runs instead of 0.3 s). A relation is hashed or probed: linear at worst.
_TEXT_SET = "(SELECT value FROM json_array_elements_text(CAST(:{} AS json)))"
_BIGINT_SET = "(SELECT CAST(value AS bigint) FROM json_array_elements_text(CAST(:{} AS json)))"


def _execute_binary(session: Session, statement: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Run a PostgreSQL statement on the session's connection with psycopg's binary parameters.

    For the intake's large lists (``%(name)b`` placeholders, each a Python list sent as one
    binary array): psycopg encodes a list of 2,000 strings in binary in C, where JSON costs
    an encoding in Python and a parse in the server — the 11 columns of a 2,000-event
    delivery in ~5 ms instead of ~13 ms. A naive datetime would be sent as a ``timestamp`` and read
    in the server's time zone, so callers check their times are aware first.
    """
    raw = session.connection().connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def _json_value(value: object) -> str:
    if isinstance(value, datetime) and value.utcoffset() is None:
        raise TypeError(f"a time sent to the database must carry a UTC offset: {value.isoformat()}")
    if isinstance(value, date):  # datetime too: ISO 8601 with its offset
        return value.isoformat()
    raise TypeError(f"cannot send {type(value).__name__} as JSON")


def _json_list(values: Iterable[object]) -> str:
    return json.dumps(list(values), default=_json_value)


def copy_rows(session: Session, table: Table, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> None:
    """Append rows to a PostgreSQL table by binary ``COPY`` in the session's transaction.

    For plain appends (no conflict handling): 8x less time than a JSON recordset of the same
    rows (70 k ledger entries: 0.2 s against 1.6 s). psycopg encodes in C with the columns'
    own types and refuses a naive datetime for a ``timestamptz`` column (``TypeError``).
    """
    raw = session.connection().connection.driver_connection
    assert raw is not None
    with raw.cursor().copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(_copy_types(session.get_bind().dialect, table, columns))
        for row in rows:
            copy.write_row(tuple(row[c] for c in columns))


def _copy_types(dialect: Dialect, table: Table, columns: Sequence[str]) -> list[str]:
    """PostgreSQL type names of these columns (``VARCHAR(64)`` -> ``varchar``) for binary parameters and COPY."""
    return [re.sub(r"\(.*\)", "", table.c[c].type.compile(dialect=dialect)).lower() for c in columns]


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# --- serialisation -------------------------------------------------------------------------


def lock_for_bulk_intake(session: Session) -> None:
    """Exclude every other ledger writer while a file is posted (PostgreSQL; SQLite has one writer)."""
    if is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": INTAKE_LOCK})
    else:
        take_sqlite_write_lock(session)


def lock_accounts(session: Session, account_ids: Iterable[int]) -> None:
    """Serialise writers of these accounts' ledgers until the transaction ends.

    PostgreSQL: a shared advisory lock (a file intake takes it exclusively) and the account
    rows ``FOR UPDATE`` in id order (no deadlock between two writers). SQLite: the database
    write lock, taken before anything is read for the write (``BEGIN IMMEDIATE``-style).
    """
    ids = sorted(set(account_ids))
    if is_postgres(session):
        if not ids:
            session.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": INTAKE_LOCK})
            return
        # One round trip: the shared advisory lock (an InitPlan, taken before any row is read),
        # then the rows in id order. The ids travel as one JSON parameter (see _json_list).
        session.execute(
            text(
                "WITH intake_lock AS MATERIALIZED (SELECT pg_advisory_xact_lock_shared(:k)) "
                f"SELECT a.id FROM personal_account a WHERE a.id IN {_BIGINT_SET.format('ids')} "
                "AND EXISTS (SELECT 1 FROM intake_lock) ORDER BY a.id FOR UPDATE OF a"
            ),
            {"k": INTAKE_LOCK, "ids": _json_list(ids)},
        )
    else:
        take_sqlite_write_lock(session)


def take_sqlite_write_lock(session: Session) -> None:
    # A write that changes nothing still takes SQLite's RESERVED lock (waiting up to busy_timeout),
    # so the reads that follow see the last committed state and no other writer can interleave.
    session.execute(update(IntakeBatch).where(literal(False)).values(accepted=0))


# --- accounts ----------------------------------------------------------------------------


def account_by_ref(session: Session, ref: str) -> Account | None:
    return session.scalar(select(Account).where(Account.ref == ref))


def account_by_hash(session: Session, id_hash: str) -> Account | None:
    return session.scalar(select(Account).where(Account.id_hash == id_hash))


def account_by_user(session: Session, user_id: str) -> Account | None:
    return session.scalar(select(Account).where(Account.user_id == user_id))


def account_ids_by_hash(session: Session, hashes: Iterable[str]) -> dict[str, int]:
    wanted = list(set(hashes))
    found: dict[str, int] = {}
    if not wanted:
        return found
    if is_postgres(session):
        statement = "SELECT id_hash, id FROM personal_account WHERE id_hash IN (SELECT unnest(%(h)b::text[]))"
        rows = _execute_binary(session, statement, {"h": wanted})
        return {h: int(i) for h, i in rows}
    for start in range(0, len(wanted), 500):
        chunk = session.execute(
            select(Account.id_hash, Account.id).where(Account.id_hash.in_(wanted[start : start + 500]))
        )
        found.update({h: i for h, i in chunk})
    return found


def existing_hashes(session: Session, hashes: Sequence[str]) -> set[str]:
    return set(account_ids_by_hash(session, hashes))


def insert_accounts(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(Account), rows)


def all_account_hashes(session: Session) -> Iterable[tuple[str, int]]:
    """Every (id_hash, account id), streamed."""
    result = session.execute(select(Account.id_hash, Account.id).execution_options(yield_per=100_000))
    for row in result:
        yield row[0], row[1]


def account_hash_blocks(session: Session, size: int = 200_000) -> Iterable[list[tuple[str, int]]]:
    """Every (id_hash, account id) in blocks, from the driver's cursor (bulk intake's account index)."""
    raw: Any = session.connection().connection.dbapi_connection
    cursor = raw.cursor()
    try:
        cursor.execute("SELECT id_hash, id FROM personal_account")
        while block := cursor.fetchmany(size):
            yield block
    finally:
        cursor.close()


def account_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Account)) or 0


# --- organisations and consent ------------------------------------------------------------


def organisation_by_code(session: Session, code: str) -> Organisation | None:
    return session.scalar(select(Organisation).where(Organisation.code == code))


def bank_codes(session: Session) -> list[str]:
    return list(
        session.scalars(select(Organisation.code).where(Organisation.kind == "bank").order_by(Organisation.code))
    )


def data_source_codes(session: Session) -> set[str]:
    return set(session.scalars(select(Organisation.code).where(Organisation.kind.in_(("data_source", "bank")))))


# --- intake ------------------------------------------------------------------------------


_BATCH = cast(Table, IntakeBatch.__table__)  # Core statements: no ORM bulk machinery per request


def new_batch(session: Session, **values: Any) -> int:
    return int(session.execute(insert(_BATCH).values(**values).returning(_BATCH.c.id)).scalar_one())


def finish_batch(session: Session, batch_id: int, **values: Any) -> None:
    session.execute(update(_BATCH).where(_BATCH.c.id == batch_id).values(**values))


def store_api_delivery(
    session: Session, rows: list[dict[str, Any]], *, actor: str, received_at: datetime, duplicates: int, rejected: int
) -> tuple[int, dict[str, int]]:
    """Store an API delivery's events (ignoring keys already stored) and its batch row, pending.

    ``duplicates`` and ``rejected`` count the request's own; keys stored earlier add to the
    duplicates. Returns the batch id and external id -> event id of the events stored.
    PostgreSQL: the shared intake lock (a file intake holds it exclusively) with the batch
    id, then the events and the batch row in one statement — two round trips, where a single
    event's request is dominated by round trips.
    """
    if not is_postgres(session):
        # SQLite: the caller holds the database's write lock (see service.intake_events).
        batch_id = new_batch(session, channel="api", actor=actor, received_at=received_at)
        for row in rows:
            row["batch_id"] = batch_id
        inserted = insert_events_returning(session, rows)
        days = [row["local_day"] for row in rows if row["external_id"] in inserted]
        finish_batch(
            session,
            batch_id,
            accepted=len(inserted),
            duplicates=duplicates + len(rows) - len(inserted),
            rejected=rejected,
            first_day=min(days) if days else None,
            last_day=max(days) if days else None,
            first_event_id=min(inserted.values()) if inserted else None,
            last_event_id=max(inserted.values()) if inserted else None,
            posted_at=None if inserted else received_at,
        )
        return batch_id, inserted
    batch_id = int(
        session.execute(
            text(
                "SELECT nextval(pg_get_serial_sequence('personal_intake_batch', 'id')) "
                "FROM (SELECT pg_advisory_xact_lock_shared(:k)) AS intake_lock"
            ),
            {"k": INTAKE_LOCK},
        ).scalar_one()
    )
    if received_at.utcoffset() is None or any(row["occurred_at"].utcoffset() is None for row in rows):
        raise ValueError("naive datetime given; greenfin stores aware UTC datetimes only")  # as db.UTCDateTime
    stored = _execute_binary(
        session,
        _store_delivery_statement(session.get_bind().dialect),
        {
            **{c: [row[c] for row in rows] for c in _DELIVERY_COLUMNS},
            "id": batch_id,
            "actor": actor,
            "at": received_at,
            "duplicates": duplicates,
            "n": len(rows),
            "rejected": rejected,
        },
    )
    return batch_id, {e: int(i) for e, i in stored}


@functools.cache
def _store_delivery_statement(dialect: Dialect) -> str:
    """The events (each column one binary array, unnested in step into rows) and their batch row."""
    types = _copy_types(dialect, cast(Table, Event.__table__), _DELIVERY_COLUMNS)
    arrays = ", ".join(f"%({c})b::{t}[]" for c, t in zip(_DELIVERY_COLUMNS, types, strict=True))
    names = ", ".join(_DELIVERY_COLUMNS)
    return (
        f"WITH stored AS (INSERT INTO personal_event ({names}, batch_id) SELECT {names}, %(id)s "
        f"FROM unnest({arrays}) AS r({names}) "
        "ON CONFLICT (source, external_id) DO NOTHING RETURNING external_id, id, local_day), "
        "batch AS (INSERT INTO personal_intake_batch (id, channel, actor, received_at, accepted, duplicates, "
        "rejected, first_day, last_day, first_event_id, last_event_id, posted_at) "
        "SELECT %(id)s, 'api', %(actor)s, %(at)s, count(*), %(duplicates)s + %(n)s - count(*), %(rejected)s, "
        "min(local_day), max(local_day), min(id), max(id), CASE WHEN count(*) = 0 THEN %(at)s END "
        "FROM stored) "
        "SELECT external_id, id FROM stored"
    )


def lock_for_posting(session: Session) -> None:
    """One posting run at a time, none during a file intake, until the transaction ends.

    PostgreSQL: the intake lock shared (a file intake holds it exclusively), then the
    posting lock exclusively — always in this order, so a file intake that posts the
    pending deliveries first cannot deadlock with a run. SQLite: the database write lock.
    """
    if is_postgres(session):
        # The intake lock in a materialised CTE read first: taken before the posting lock.
        session.execute(
            text(
                "WITH intake_lock AS MATERIALIZED (SELECT pg_advisory_xact_lock_shared(:i)) "
                "SELECT pg_advisory_xact_lock(:p) FROM intake_lock"
            ),
            {"i": INTAKE_LOCK, "p": POSTING_LOCK},
        )
    else:
        take_sqlite_write_lock(session)


@dataclass(frozen=True)
class Deliveries:
    """Unposted API deliveries taken by a posting run, and the range of event ids they stored."""

    ids: list[int]
    first_event_id: int = 0
    last_event_id: int = 0
    events: int = 0


def pending_batches(session: Session, *, max_events: int) -> Deliveries:
    """Unposted deliveries, oldest first: as many as hold ``max_events`` events (at least one)."""
    rows = session.execute(
        select(IntakeBatch.id, IntakeBatch.accepted, IntakeBatch.first_event_id, IntakeBatch.last_event_id)
        .where(IntakeBatch.posted_at.is_(None))
        .order_by(IntakeBatch.id)
        .limit(10_000)
    ).all()
    taken: list[int] = []
    firsts: list[int] = []
    lasts: list[int] = []
    total = 0
    for batch_id, accepted, first, last in rows:
        if taken and total + accepted > max_events:
            break
        taken.append(int(batch_id))
        if first is not None and last is not None:
            firsts.append(int(first))
            lasts.append(int(last))
        total += accepted
    return Deliveries(taken, min(firsts, default=0), max(lasts, default=0), total)


def _batch_in(session: Session, column: Any, batch_ids: Sequence[int]) -> Any:
    """``column IN`` these ids, sent as one JSON parameter (see _json_list)."""
    values = literal(_json_list(batch_ids))
    if is_postgres(session):
        return column.in_(select(sql_cast(func.json_array_elements_text(sql_cast(values, JSON)), BigInteger)))
    return column.in_(select(literal_column("value")).select_from(func.json_each(values)))


def _pending_events(session: Session, deliveries: Deliveries) -> Any:
    """The events of these deliveries: the primary-key range they span, filtered to their batches.

    The range lets the planner read the events by the primary key instead of scanning the
    table to join on ``batch_id`` (which has no index).
    """
    return (
        select(Event)
        .where(
            Event.id >= deliveries.first_event_id,
            Event.id <= deliveries.last_event_id,
            _batch_in(session, Event.batch_id, deliveries.ids),
        )
        .subquery()
    )


def over_cap_groups(
    session: Session, deliveries: Deliveries, caps: dict[tuple[str, str], int]
) -> dict[tuple[int, str, date], int]:
    """Groups (account, scenario, local day) of pending events that go over their daily cap: group -> rewarded before.

    ``caps`` maps (catalogue version, scenario) to the daily cap; a group's version is the
    newest among its pending events. A group is over when its rewarded events, posted and
    pending, outnumber the cap; the value is how many were rewarded before these deliveries.
    PostgreSQL: one statement, each group probing the (account_id, local_day) index, so only
    the groups over their cap come back (a run of 100 k groups sent 100 k rows twice before).
    """
    if is_postgres(session):
        found = session.execute(
            text(
                "WITH pending AS (SELECT account_id, scenario, local_day, max(catalogue_version) AS version, "
                "count(*) AS n FROM personal_event WHERE id BETWEEN :first AND :last "
                f"AND batch_id IN {_BIGINT_SET.format('batches')} AND NOT capped "
                "GROUP BY account_id, scenario, local_day) "
                "SELECT p.account_id, p.scenario, p.local_day, p.version, c.cap, t.rewarded - p.n FROM pending p "
                "LEFT JOIN json_to_recordset(CAST(:caps AS json)) AS c(version text, scenario text, cap int) "
                "ON c.version = p.version AND c.scenario = p.scenario "
                "CROSS JOIN LATERAL (SELECT count(*) AS rewarded FROM personal_event e "
                "WHERE e.account_id = p.account_id AND e.local_day = p.local_day AND e.scenario = p.scenario "
                "AND NOT e.capped) AS t "
                "WHERE c.cap IS NULL OR t.rewarded > c.cap"
            ),
            {
                "first": deliveries.first_event_id,
                "last": deliveries.last_event_id,
                "batches": _json_list(deliveries.ids),
                "caps": json.dumps([{"version": v, "scenario": c, "cap": n} for (v, c), n in caps.items()]),
            },
        ).all()
        for _, code, _, version, cap, _ in found:
            if cap is None:  # as caps[...] below: a version or scenario no catalogue file holds
                raise KeyError((version, code))
        return {(int(a), sc, d): int(before) for a, sc, d, _, _, before in found}
    e = _pending_events(session, deliveries)
    groups = [
        ((int(a), sc, d), v, int(n))
        for a, sc, d, v, n in session.execute(
            select(e.c.account_id, e.c.scenario, e.c.local_day, func.max(e.c.catalogue_version), func.count())
            .where(e.c.capped.is_(False))
            .group_by(e.c.account_id, e.c.scenario, e.c.local_day)
        )
    ]
    totals = _rewarded_counts(session, {key for key, _, _ in groups})
    return {
        key: totals.get(key, pending) - pending
        for key, version, pending in groups
        if totals.get(key, pending) > caps[(version, key[1])]
    }


def pending_events_of_groups(session: Session, deliveries: Deliveries, groups: set[tuple[int, str, date]]) -> list[Any]:
    """(id, account, scenario, day, occurred_at, external_id, source, catalogue_version) of these groups."""
    e = _pending_events(session, deliveries)
    accounts = sorted({g[0] for g in groups})
    rows = session.execute(
        select(
            e.c.id, e.c.account_id, e.c.scenario, e.c.local_day, e.c.occurred_at, e.c.external_id, e.c.source,
            e.c.catalogue_version,
        ).where(e.c.account_id.in_(accounts), e.c.capped.is_(False))
    ).all()  # fmt: skip
    return [r for r in rows if (r[1], r[2], r[3]) in groups]


def cap_events(session: Session, event_ids: Sequence[int]) -> None:
    """Set events the daily cap cut to 0 points (few: only where a cap bites)."""
    for start in range(0, len(event_ids), 500):
        session.execute(
            update(Event)
            .where(Event.id.in_(event_ids[start : start + 500]))
            .values(points=0, avoided_co2_g=0, capped=True)
        )


def pending_earnings(session: Session, deliveries: Deliveries) -> list[tuple[int, date, int, int, Any, str]]:
    """(account, day, points, CO2 g, latest time, newest catalogue version) of the rewarded pending events."""
    e = _pending_events(session, deliveries)
    rows = session.execute(
        select(
            e.c.account_id, e.c.local_day, func.sum(e.c.points), func.sum(e.c.avoided_co2_g), func.max(e.c.occurred_at),
            func.max(e.c.catalogue_version),
        )
        .where(e.c.points > 0)
        .group_by(e.c.account_id, e.c.local_day)
        .order_by(e.c.account_id, e.c.local_day)
    ).all()  # fmt: skip
    return [(int(a), d, int(p), int(c), t, v) for a, d, p, c, t, v in rows]


def new_posting_run(session: Session, **values: Any) -> int:
    return int(session.execute(insert(PostingRun).values(**values).returning(PostingRun.id)).scalar_one())


def finish_posting(session: Session, run_id: int, batch_ids: Sequence[int], *, now: datetime, **values: Any) -> None:
    session.execute(update(PostingRun).where(PostingRun.id == run_id).values(**values))
    session.execute(
        update(IntakeBatch)
        .where(  # the range keeps the read to the run's own rows, however long the table
            IntakeBatch.id.between(min(batch_ids), max(batch_ids)), _batch_in(session, IntakeBatch.id, batch_ids)
        )
        .values(posted_at=now, posting_id=run_id)
    )


def pending_points(session: Session, account_id: int) -> tuple[int, int]:
    """(events, points before the daily cap) of an account's deliveries not yet posted."""
    row = session.execute(
        select(func.count(), func.coalesce(func.sum(Event.points), 0))
        .select_from(Event)
        .join(IntakeBatch, IntakeBatch.id == Event.batch_id)
        .where(Event.account_id == account_id, IntakeBatch.posted_at.is_(None))
    ).one()
    return int(row[0]), int(row[1])


def batches_overlap(session: Session, first_day: date, last_day: date, *, besides: int) -> bool:
    """Whether an earlier delivery accepted events on any day in [first_day, last_day]."""
    return (
        session.scalar(
            select(
                exists().where(
                    IntakeBatch.id != besides,
                    IntakeBatch.first_day <= last_day,
                    IntakeBatch.last_day >= first_day,
                )
            )
        )
        or False
    )


def _rewarded_counts(session: Session, groups: set[tuple[int, str, date]]) -> dict[tuple[int, str, date], int]:
    """Events already rewarded (not capped) per (account, scenario, local day), on SQLite."""
    if not groups:
        return {}
    accounts = {g[0] for g in groups}
    days = {g[2] for g in groups}
    rows = session.execute(
        select(Event.account_id, Event.scenario, Event.local_day, func.count())
        .where(Event.account_id.in_(accounts), Event.local_day.in_(days), Event.capped.is_(False))
        .group_by(Event.account_id, Event.scenario, Event.local_day)
    )
    return {(a, s, d): n for a, s, d, n in rows if (a, s, d) in groups}


def insert_events_returning(session: Session, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert events on SQLite, ignoring (source, external_id) already stored; external id -> id of those inserted.

    PostgreSQL stores an API delivery in one statement (:func:`store_api_delivery`).
    """
    if not rows:
        return {}
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    statement = sqlite_insert(cast(Table, Event.__table__)).on_conflict_do_nothing(
        index_elements=["source", "external_id"]
    )
    stored = session.execute(statement.returning(Event.__table__.c.external_id, Event.__table__.c.id), rows)
    return {e: int(i) for e, i in stored}


_EVENT_COLUMNS = (
    "source", "external_id", "account_id", "scenario", "catalogue_version", "occurred_at", "local_day",
    "amount_fen", "points", "avoided_co2_g", "capped", "batch_id",
)  # fmt: skip
_DELIVERY_COLUMNS = tuple(c for c in _EVENT_COLUMNS if c != "batch_id")  # an API delivery's batch id is one for all
_LEDGER_COLUMNS = (
    "account_id", "seq", "kind", "points", "avoided_co2_g", "occurred_at", "earned_on", "ref", "reason",
    "corrects_id", "batch_id", "posting_id", "catalogue_version", "prev_hash", "hash", "recorded_at",
)  # fmt: skip


# --- ledger ------------------------------------------------------------------------------


def chain_heads(session: Session, account_ids: Iterable[int]) -> dict[int, tuple[int, str]]:
    """The last (seq, hash) of each account's chain (accounts without entries are absent)."""
    ids = list(set(account_ids))
    heads: dict[int, tuple[int, str]] = {}
    if is_postgres(session) and ids:
        # Each account reads its last entry only (backwards on (account_id, seq)), however long its history.
        rows = session.execute(
            text(
                f"SELECT k.id, h.seq, h.hash FROM {_BIGINT_SET.format('ids')} AS k(id) "
                "CROSS JOIN LATERAL (SELECT seq, hash FROM personal_ledger "
                "WHERE account_id = k.id ORDER BY seq DESC LIMIT 1) AS h"
            ),
            {"ids": _json_list(ids)},
        )
        return {a: (s, h) for a, s, h in rows}
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        last = (
            select(LedgerEntry.account_id, func.max(LedgerEntry.seq).label("seq"))
            .where(LedgerEntry.account_id.in_(part))
            .group_by(LedgerEntry.account_id)
            .subquery()
        )
        rows = session.execute(
            select(LedgerEntry.account_id, LedgerEntry.seq, LedgerEntry.hash).join(
                last, and_(last.c.account_id == LedgerEntry.account_id, last.c.seq == LedgerEntry.seq)
            )
        )
        heads.update({a: (s, h) for a, s, h in rows})
    return heads


def insert_ledger(session: Session, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if is_postgres(session):
        copy_rows(session, cast(Table, LedgerEntry.__table__), _LEDGER_COLUMNS, rows)
        return
    session.execute(insert(cast(Table, LedgerEntry.__table__)), rows)


def ledger_entry_by_seq(session: Session, account_id: int, seq: int) -> LedgerEntry | None:
    return session.scalar(select(LedgerEntry).where(LedgerEntry.account_id == account_id, LedgerEntry.seq == seq))


def ledger_entry(session: Session, entry_id: int) -> LedgerEntry | None:
    return session.get(LedgerEntry, entry_id)


def entries_in_chain_order(session: Session, *, account_id: int | None = None) -> Iterable[Any]:
    """Ledger rows in (account, seq) order, streamed, with every field the chain covers."""
    query = select(*(getattr(LedgerEntry, name) for name in _LEDGER_COLUMNS)).order_by(
        LedgerEntry.account_id, LedgerEntry.seq
    )
    if account_id is not None:
        query = query.where(LedgerEntry.account_id == account_id)
    yield from session.execute(query.execution_options(yield_per=50_000))


def balance(session: Session, account_id: int, *, before: datetime | None = None) -> int:
    query = select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(LedgerEntry.account_id == account_id)
    if before is not None:
        query = query.where(LedgerEntry.occurred_at < before)
    return int(session.scalar(query) or 0)


def account_totals(session: Session, account_id: int) -> dict[str, int]:
    """Points by kind and CO2 avoided of one account."""
    rows = session.execute(
        select(LedgerEntry.kind, func.sum(LedgerEntry.points), func.sum(LedgerEntry.avoided_co2_g))
        .where(LedgerEntry.account_id == account_id)
        .group_by(LedgerEntry.kind)
    )
    totals = {"co2_g": 0}
    for kind, points, co2 in rows:
        totals[kind] = int(points or 0)
        totals["co2_g"] += int(co2 or 0)
    return totals


def avoided_between(session: Session, account_id: int, *, after: date, through: date) -> int:
    """CO2 avoided (earn entries and their reversals) with earned_on in (after, through]."""
    return int(
        session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.avoided_co2_g), 0)).where(
                LedgerEntry.account_id == account_id,
                LedgerEntry.earned_on > after,
                LedgerEntry.earned_on <= through,
            )
        )
        or 0
    )


def uplift_in_force(session: Session, account_id: int, *, on: date) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(Redemption.uplift_co2_g), 0)).where(
                Redemption.account_id == account_id,
                Redemption.uplift_co2_g > 0,
                Redemption.uplift_until >= on,
            )
        )
        or 0
    )


def history(
    session: Session,
    account_id: int,
    *,
    kind: str | None,
    scenario: str | None,
    start: datetime | None,
    end: datetime | None,
    offset: int,
    limit: int,
    sort: str = "date",
    descending: bool = True,
) -> tuple[Sequence[LedgerEntry], int]:
    """One page of an account's ledger, filtered; in the chosen order (``date``: the ledger's own
    order, ``points``, ``co2``), ties newest first."""
    query = select(LedgerEntry).where(LedgerEntry.account_id == account_id)
    if kind:
        query = query.where(LedgerEntry.kind == kind)
    if start is not None:
        query = query.where(LedgerEntry.occurred_at >= start)
    if end is not None:
        query = query.where(LedgerEntry.occurred_at < end)
    if scenario:
        query = query.where(
            LedgerEntry.kind == "earn",
            or_(
                exists().where(  # a file's entry
                    Event.account_id == LedgerEntry.account_id,
                    Event.batch_id == LedgerEntry.batch_id,
                    Event.local_day == LedgerEntry.earned_on,
                    Event.scenario == scenario,
                ),
                exists().where(  # a posting run's entry: the events of the deliveries it posted
                    IntakeBatch.posting_id == LedgerEntry.posting_id,
                    Event.batch_id == IntakeBatch.id,
                    Event.account_id == LedgerEntry.account_id,
                    Event.local_day == LedgerEntry.earned_on,
                    Event.scenario == scenario,
                ),
            ),
        )
    column = {"date": LedgerEntry.seq, "points": LedgerEntry.points, "co2": LedgerEntry.avoided_co2_g}[sort]
    order = [column.desc() if descending else column.asc(), LedgerEntry.seq.desc()]
    return page_of(session, query.order_by(*order), offset=offset, limit=limit)


def events_of_account(
    session: Session,
    account_id: int,
    *,
    scenario: str | None,
    first_day: date | None,
    last_day: date | None,
    offset: int,
    limit: int,
) -> tuple[Sequence[Event], int]:
    query = select(Event).where(Event.account_id == account_id)
    if scenario:
        query = query.where(Event.scenario == scenario)
    if first_day is not None:
        query = query.where(Event.local_day >= first_day)
    if last_day is not None:
        query = query.where(Event.local_day <= last_day)
    return page_of(session, query.order_by(Event.occurred_at.desc(), Event.id.desc()), offset=offset, limit=limit)


def daily_points(session: Session, account_id: int, *, first_day: date) -> list[tuple[date, int, int]]:
    """(day, points earned, CO2 avoided) per earning day from ``first_day``."""
    rows = session.execute(
        select(LedgerEntry.earned_on, func.sum(LedgerEntry.points), func.sum(LedgerEntry.avoided_co2_g))
        .where(
            LedgerEntry.account_id == account_id,
            LedgerEntry.kind == "earn",
            LedgerEntry.earned_on >= first_day,
        )
        .group_by(LedgerEntry.earned_on)
        .order_by(LedgerEntry.earned_on)
    )
    return [(d, int(p or 0), int(c or 0)) for d, p, c in rows if d is not None]


def expiry_candidates(session: Session, *, cutoff: date, before: datetime) -> list[tuple[int, int]]:
    """(account, points to expire): credits earned on or before ``cutoff`` not yet consumed.

    Debits (redeem, expire, negative adjustments and reversals) consume the oldest credits
    first, so what lapses is ``credits up to cutoff − all debits``, when positive.
    """
    old_credit = func.sum(
        case((and_(LedgerEntry.points > 0, LedgerEntry.earned_on <= cutoff), LedgerEntry.points), else_=0)
    )
    debits = func.sum(case((LedgerEntry.points < 0, -LedgerEntry.points), else_=0))
    rows = session.execute(
        select(LedgerEntry.account_id, (old_credit - debits).label("lapse"))
        .where(LedgerEntry.occurred_at < before)
        .group_by(LedgerEntry.account_id)
        .having(old_credit - debits > 0)
        .order_by(LedgerEntry.account_id)
    )
    return [(int(a), int(n)) for a, n in rows]


# --- rewards -----------------------------------------------------------------------------


def rewards(session: Session, *, on: date | None = None) -> Sequence[Reward]:
    query = select(Reward).order_by(Reward.points_price, Reward.code)
    if on is not None:
        query = query.where(Reward.valid_from <= on, or_(Reward.valid_to.is_(None), Reward.valid_to >= on))
    return session.scalars(query).all()


def reward_by_code(session: Session, code: str) -> Reward | None:
    return session.scalar(select(Reward).where(Reward.code == code))


def lock_reward(session: Session, reward_id: str) -> None:
    if is_postgres(session):
        session.execute(select(Reward.id).where(Reward.id == reward_id).with_for_update())


def take_one_from_stock(session: Session, reward_id: str) -> bool:
    """Atomically take one unit of stock; False when none is left."""
    result = session.execute(
        update(Reward).where(Reward.id == reward_id, Reward.stock > 0).values(stock=Reward.stock - 1)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def redemptions_of_account(session: Session, account_id: int) -> Sequence[tuple[Redemption, Reward]]:
    rows = session.execute(
        select(Redemption, Reward)
        .join(Reward, Reward.id == Redemption.reward_id)
        .where(Redemption.account_id == account_id)
        .order_by(Redemption.redeemed_at.desc())
    )
    return [(r, w) for r, w in rows]


# --- overview ------------------------------------------------------------------------------


def points_by_kind(session: Session) -> dict[str, int]:
    rows = session.execute(select(LedgerEntry.kind, func.sum(LedgerEntry.points)).group_by(LedgerEntry.kind))
    return {k: int(p or 0) for k, p in rows}


def events_per_day(session: Session, *, first_day: date, last_day: date) -> list[tuple[date, int, int]]:
    rows = session.execute(
        select(Event.local_day, func.count(), func.sum(Event.avoided_co2_g))
        .where(Event.local_day >= first_day, Event.local_day <= last_day)
        .group_by(Event.local_day)
        .order_by(Event.local_day)
    )
    return [(d, int(n), int(c or 0)) for d, n, c in rows]


def co2_by_scenario(session: Session, *, first_day: date, last_day: date) -> list[tuple[str, int, int]]:
    rows = session.execute(
        select(Event.scenario, func.count(), func.sum(Event.avoided_co2_g))
        .where(Event.local_day >= first_day, Event.local_day <= last_day)
        .group_by(Event.scenario)
        .order_by(func.sum(Event.avoided_co2_g).desc())
    )
    return [(s, int(n), int(c or 0)) for s, n, c in rows]


def accounts_with_events(session: Session, *, first_day: date, last_day: date) -> int:
    query = select(func.count(func.distinct(Event.account_id))).where(
        Event.local_day >= first_day, Event.local_day <= last_day
    )
    return int(session.scalar(query) or 0)


# --- checkpoints ---------------------------------------------------------------------------


def lock_for_checkpoint(session: Session) -> None:
    """One checkpoint at a time: each one chains onto the previous one's MAC."""
    if is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHECKPOINT_LOCK})
    else:
        take_sqlite_write_lock(session)


def checkpoints(session: Session) -> Sequence[LedgerCheckpoint]:
    return session.scalars(select(LedgerCheckpoint).order_by(LedgerCheckpoint.id)).all()


def latest_checkpoint(session: Session) -> LedgerCheckpoint | None:
    return session.scalar(select(LedgerCheckpoint).order_by(LedgerCheckpoint.id.desc()).limit(1))


def advance_anchors(session: Session, checkpoint_id: int) -> None:
    """Anchor every account's chain head, set-based; an anchor only ever moves forward."""
    session.execute(
        text(
            "INSERT INTO personal_ledger_anchor (account_id, seq, hash, checkpoint_id) "
            "SELECT l.account_id, l.seq, l.hash, :cp FROM personal_ledger l "
            "JOIN (SELECT account_id, max(seq) AS seq FROM personal_ledger GROUP BY account_id) h "
            "ON h.account_id = l.account_id AND h.seq = l.seq WHERE true "
            "ON CONFLICT (account_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, "
            "checkpoint_id = excluded.checkpoint_id WHERE personal_ledger_anchor.seq < excluded.seq"
        ),
        {"cp": checkpoint_id},
    )


def anchor_totals(session: Session) -> tuple[int, int]:
    """(accounts anchored, entries up to their anchored heads): seqs run 1, 2, … so the heads' sum counts them."""
    accounts, entries = session.execute(
        select(func.count(), func.coalesce(func.sum(LedgerAnchor.seq), 0)).select_from(LedgerAnchor)
    ).one()
    return int(accounts), int(entries)


def anchors_in_order(session: Session) -> Iterable[Any]:
    """Every anchor (account_id, seq, hash) by account, streamed."""
    query = select(LedgerAnchor.account_id, LedgerAnchor.seq, LedgerAnchor.hash).order_by(LedgerAnchor.account_id)
    yield from session.execute(query.execution_options(yield_per=50_000))


def broken_anchors(session: Session) -> Sequence[Any]:
    """Anchors whose entry is gone (truncation) or holds another hash (a recomputed chain), set-based."""
    return session.execute(
        select(
            LedgerAnchor.account_id, LedgerAnchor.seq, LedgerAnchor.hash, LedgerAnchor.checkpoint_id, LedgerEntry.hash
        )
        .outerjoin(
            LedgerEntry,
            and_(LedgerEntry.account_id == LedgerAnchor.account_id, LedgerEntry.seq == LedgerAnchor.seq),
        )
        .where(or_(LedgerEntry.hash.is_(None), LedgerEntry.hash != LedgerAnchor.hash))
        .order_by(LedgerAnchor.account_id)
    ).all()


def scenarios_of_entries(session: Session, entries: Sequence[LedgerEntry]) -> dict[int, list[str]]:
    """The scenarios whose events each earning entry sums (entry id → scenario codes, sorted)."""
    earnings = [e for e in entries if e.kind == "earn" and e.earned_on is not None]
    if not earnings:
        return {}
    account_ids = {e.account_id for e in earnings}
    days = {e.earned_on for e in earnings}
    by_batch: dict[tuple[Any, Any], set[str]] = {}
    batches = {e.batch_id for e in earnings if e.batch_id is not None}
    if batches:
        rows = session.execute(
            select(Event.batch_id, Event.local_day, Event.scenario)
            .where(Event.account_id.in_(account_ids), Event.batch_id.in_(batches), Event.local_day.in_(days))
            .distinct()
        ).all()
        for batch, day, scenario in rows:
            by_batch.setdefault((batch, day), set()).add(scenario)
    by_posting: dict[tuple[Any, Any], set[str]] = {}
    postings = {e.posting_id for e in earnings if e.posting_id is not None}
    if postings:
        posted = session.execute(
            select(IntakeBatch.posting_id, Event.local_day, Event.scenario)
            .join(IntakeBatch, Event.batch_id == IntakeBatch.id)
            .where(Event.account_id.in_(account_ids), IntakeBatch.posting_id.in_(postings), Event.local_day.in_(days))
            .distinct()
        ).all()
        for posting, day, scenario in posted:
            by_posting.setdefault((posting, day), set()).add(scenario)
    found: dict[int, list[str]] = {}
    for e in earnings:
        codes = by_batch.get((e.batch_id, e.earned_on), set()) | by_posting.get((e.posting_id, e.earned_on), set())
        found[e.id] = sorted(codes)
    return found
