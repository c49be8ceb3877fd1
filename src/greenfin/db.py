"""The database: engine, sessions and the declarative base shared by every domain.

SQLite (a file under ``var/``) is the embedded default; PostgreSQL is the production
database. Models stay portable: integers for money (fen), emissions (grams) and points,
UUID/strings made in Python, nothing dialect-only. Services add and flush; the request or
the CLI command is the one transaction boundary (``session_scope``).
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import polars as pl
from sqlalchemy import DateTime, Engine, MetaData, Select, create_engine, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

T = TypeVar("T")

# Stable constraint names, so migrations can name what they alter (Alembic batch mode on SQLite).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; greenfin stores aware UTC datetimes only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


def new_id() -> str:
    """A new random identifier (UUID4 as 32 hex characters), made in Python."""
    return uuid.uuid4().hex


def utcnow() -> datetime:
    """Now, timezone-aware, in UTC."""
    return datetime.now(UTC)


def page_of(session: Session, query: Select[T], *, offset: int, limit: int) -> tuple[Sequence[T], int]:
    """One page of an ordered query's first column, and the total across all pages."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    return session.scalars(query.offset(offset).limit(limit)).all(), total


def import_all_models() -> None:
    """Import every domain's models so that Base.metadata knows every table."""
    import importlib

    for domain in ("auth", "industry", "personal", "agriculture", "finance", "market", "stats", "ecobank"):
        try:
            importlib.import_module(f"greenfin.{domain}.models")
        except ModuleNotFoundError as exc:  # a domain without tables yet
            if exc.name not in (f"greenfin.{domain}", f"greenfin.{domain}.models"):
                raise


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, emit BEGIN, so that SAVEPOINT and transactional DDL
    # work (SQLAlchemy's documented recipe for pysqlite).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB page cache
    cursor.close()


WRITER = {"sqlite_begin_immediate": True}
"""Execution options of a transaction that will write (see :func:`session_scope`)."""


def _sqlite_begin(connection: Any) -> None:
    # A transaction that reads and then writes after another writer's commit fails at once
    # ("database is locked", the busy timeout never applies); one that begins as the writer
    # waits its turn. Read-only transactions stay deferred and never wait for a writer.
    immediate = connection.get_execution_options().get("sqlite_begin_immediate", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that never expire loaded objects on commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session], *, writer: bool = False) -> Iterator[Session]:
    """One transaction: commit when the block ends, roll back if it raises.

    ``writer``: the transaction will write; on SQLite it then takes the database's write
    lock when it begins, so its reads cannot go stale before its first write.
    """
    session = factory()
    try:
        if writer:
            session.connection(execution_options=WRITER)
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


ANALYTIC_SETTINGS = {"work_mem": "256MB", "jit": "off"}
"""PostgreSQL planner settings for one large aggregation: hash tables stay in memory (the default
4 MB spills them to disk), and no JIT compile of seconds for work of a few hundred milliseconds."""


@contextmanager
def postgres_settings(session: Session, settings: dict[str, str] = ANALYTIC_SETTINGS) -> Iterator[None]:
    """PostgreSQL: ``settings`` for the block only (transaction-local, previous values put back); elsewhere a no-op."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        yield
        return
    from sqlalchemy import text

    saved = {name: connection.execute(text("SELECT current_setting(:n)"), {"n": name}).scalar() for name in settings}
    for name, value in settings.items():
        connection.execute(text("SELECT set_config(:n, :v, true)"), {"n": name, "v": value})
    yield
    for name, before in saved.items():
        connection.execute(text("SELECT set_config(:n, :v, true)"), {"n": name, "v": before})


def _sqlite_param(value: Any) -> Any:
    if isinstance(value, datetime):
        raise TypeError("read_frame binds dates, not datetimes, on SQLite")
    return value.isoformat() if isinstance(value, date) else value


def read_frame(session: Session, query: Select[*tuple[Any, ...]], schema: dict[str, Any]) -> pl.DataFrame:
    """The rows of a query straight into a Polars frame of ``schema`` (column name → Polars type, in the
    query's order): PostgreSQL streams them with ``COPY … TO STDOUT`` as CSV, SQLite's own cursor
    fetches them — both far faster than building a Python row object per row, for reads of up to
    millions of rows. Dates arrive as ISO text and are typed here."""
    connection = session.connection()
    compiled = query.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    raw: Any = connection.connection.dbapi_connection
    texts = {name: pl.Utf8 if kind == pl.Date else kind for name, kind in schema.items()}
    if connection.dialect.name == "postgresql":
        buffer = io.BytesIO()
        statement = f"COPY ({compiled.string}) TO STDOUT (FORMAT csv)"
        with postgres_settings(session), raw.cursor() as cursor, cursor.copy(statement, compiled.params) as copy:
            for chunk in copy:
                buffer.write(chunk)
        if buffer.getbuffer().nbytes:
            buffer.seek(0)
            frame = pl.read_csv(buffer, has_header=False, new_columns=list(schema), schema=texts)
        else:
            frame = pl.DataFrame(schema=texts)
    else:
        # the raw cursor skips SQLAlchemy's bind processing: dates go in as the ISO text SQLite stores
        params = [_sqlite_param(compiled.params[name]) for name in compiled.positiontup or ()]
        frame = pl.DataFrame(raw.execute(compiled.string, params).fetchall(), schema=texts, orient="row")
    dates = [pl.col(name).str.to_date("%Y-%m-%d") for name, kind in schema.items() if kind == pl.Date]
    return frame.with_columns(dates) if dates else frame
