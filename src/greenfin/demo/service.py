"""Building, finding and resetting the demo region in a database.

:func:`build_region` writes the region drawn by :mod:`greenfin.demo.region` — enterprises,
36 months of energy records, process emissions and annual figures for 2023–2025 — plus
the demo organisations and logins, then labels every year with the industrial account's
own batch (``greenfin.industry.service.label_all``). It is set-based and streams: the
enterprises are drawn in chunks of :data:`CHUNK`, each chunk's energy records are built as
one Polars frame and loaded with ``executemany`` on SQLite and ``COPY`` on PostgreSQL, so
memory stays bounded at any size (``--enterprises 100000`` is 12+ million records).

The demo is marked by the organisation :data:`DEMO_PLATFORM_CODE` and by four import
batches (``imported_by = "demo"``) whose file name records the seed, the size and the
enterprise ids, so :func:`find_demo` can say what a database holds and :func:`reset_region`
can remove exactly the demo's rows (and, through every foreign key, whatever points at
them). Fixed passwords exist only here and are refused in production.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

import polars as pl
from sqlalchemy import Engine, Table, delete, func, insert, inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.schema import AddConstraint, DropConstraint

from greenfin.auth import service as auth
from greenfin.auth.models import AuditEvent, Organisation
from greenfin.auth.service import SYSTEM, Principal
from greenfin.carbon.factors import load_factor_set
from greenfin.db import Base, import_all_models, make_session_factory, session_scope, utcnow
from greenfin.demo import region
from greenfin.errors import Conflict, Forbidden, InvalidInput
from greenfin.industry import service as industry
from greenfin.industry.models import AnnualFigures, EnergyRecord, Enterprise, ImportBatch, ProcessEmission
from greenfin.settings import Settings, get_settings

DEMO_PLATFORM_CODE = "GREENFIN-DEMO"
DEMO_PASSWORD = "greenfin-demo"  # demo data only: refused in production
DEMO_IMPORTER = "demo"
DEFAULT_ENTERPRISES = 600
DEFAULT_RESIDENTS = 200
DEFAULT_SEED = 42
MAX_ENTERPRISES = 1_000_000
CHUNK = 2_000  # enterprises per chunk: about 250,000 energy records
BULK_LOAD_THRESHOLD = 20_000  # enterprises from which PostgreSQL loads without indexes, then rebuilds them

Progress = Callable[[str, int, int], None]
"""``progress(step, done, total)``: called as a long step advances."""

_FILENAME = re.compile(r"^greenfin-demo seed=(-?\d+) enterprises=(\d+) ids=(\d+)-(\d+)$")


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    display_name: str


DEMO_USERS = (
    DemoUser("admin", "admin", "平台管理员"),
    DemoUser("regulator", "regulator", "人民银行{city}分行 绿色金融处"),
    DemoUser("bank", "bank", "{short}农商银行 信贷经理"),
    DemoUser("enterprise", "enterprise", "企业碳账户填报员"),
    DemoUser("resident", "resident", "{short}市民"),
)
"""The demo logins; ``{city}`` / ``{short}`` in a display name are the region's names (衢州市 / 衢州)."""


@dataclass(frozen=True)
class DemoRegion:
    """What a database holds of the demo: its seed, size and enterprise ids."""

    seed: int
    enterprises: int
    first_id: int
    last_id: int


@dataclass
class DemoSummary:
    """What a build wrote, how long each step took, and a digest of the generated rows."""

    seed: int
    enterprises: int = 0
    energy_records: int = 0
    process_emissions: int = 0
    annual_figures: int = 0
    organisations: int = 0
    users: int = 0
    labels: dict[int, dict[str, int]] = field(default_factory=dict)
    farms: dict[str, int] = field(default_factory=dict)
    consents: int = 0
    residents: dict[str, int] = field(default_factory=dict)
    market: dict[str, int] = field(default_factory=dict)
    stats: dict[str, int] = field(default_factory=dict)
    ecobank: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    digest: str = ""


def demo_logins(session: Session) -> list[str]:
    """What in this database lets someone in with the demo's published password (empty: nothing).

    The demo's marker organisation (:data:`DEMO_PLATFORM_CODE`), and every active login under a
    demo username whose password still verifies against :data:`DEMO_PASSWORD` — a handful of
    argon2 checks, whatever the number of users. Production refuses to start on any of them.
    """
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    from greenfin.auth.models import User
    from greenfin.finance.demo import FARM_USERNAME

    found = []
    if session.scalar(select(Organisation.id).where(Organisation.code == DEMO_PLATFORM_CODE)) is not None:
        found.append(f"the demo platform organisation {DEMO_PLATFORM_CODE}")
    names = sorted({user.username for user in DEMO_USERS} | {FARM_USERNAME})
    hasher = PasswordHasher()
    for username, password_hash in session.execute(
        select(User.username, User.password_hash).where(User.username.in_(names), User.is_active.is_(True))
    ):
        try:
            hasher.verify(password_hash, DEMO_PASSWORD)
        except (VerificationError, InvalidHashError):
            continue
        found.append(f"the login {username!r} with the demo password")
    return found


def refuse_in_production(settings: Settings) -> None:
    if settings.environment == "production":
        raise Forbidden(
            "the demo region (with its fixed password) is never built in production; "
            "set GREENFIN_ENVIRONMENT to demo, dev or test"
        )


def _batch_id(seed: int, kind: str) -> str:
    return hashlib.sha256(f"greenfin-demo/{seed}/{kind}".encode()).hexdigest()[:32]


def find_demo(session: Session) -> DemoRegion | None:
    """The demo region the database holds, or None."""
    batch = session.scalar(
        select(ImportBatch).where(ImportBatch.imported_by == DEMO_IMPORTER, ImportBatch.kind == "enterprises")
    )
    if batch is not None and (match := _FILENAME.match(batch.filename)):
        seed, count, first, last = (int(group) for group in match.groups())
        return DemoRegion(seed=seed, enterprises=count, first_id=first, last_id=last)
    if session.scalar(select(Organisation.id).where(Organisation.code == DEMO_PLATFORM_CODE)) is not None:
        return DemoRegion(seed=0, enterprises=0, first_id=0, last_id=-1)  # logins only (an interrupted build)
    return None


# --- writing --------------------------------------------------------------------------------


class _BulkWriter:
    """Appends rows to a table on the session's own connection (same transaction):
    ``executemany`` on SQLite, ``COPY … FROM STDIN (FORMAT csv)`` on PostgreSQL."""

    def __init__(self, session: Session) -> None:
        connection = session.connection()
        self.dialect = connection.dialect.name
        self.raw: Any = connection.connection.driver_connection

    def write(self, table: str, frame: pl.DataFrame, digest: Any) -> int:
        csv = frame.write_csv(include_header=False).encode()
        digest.update(csv)
        columns = ", ".join(frame.columns)
        if self.dialect == "postgresql":
            with (
                self.raw.cursor() as cursor,
                cursor.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT csv)") as copy,
            ):
                copy.write(csv)
        else:
            marks = ", ".join("?" for _ in frame.columns)
            cursor = self.raw.cursor()
            try:
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", frame.iter_rows())
            finally:
                cursor.close()
        return frame.height


@contextmanager
def _bulk_load(session: Session, *, large: bool) -> Iterator[None]:
    """On PostgreSQL, load a large region the way its manual advises (14.4 Populating a
    Database): drop the energy records' secondary indexes and foreign keys, load, then
    rebuild the indexes by sorting and validate the keys with one join each. Transactional
    DDL, so a failure leaves everything as it was. Elsewhere, or for small loads, a no-op."""
    connection = session.connection()
    if not large or connection.dialect.name != "postgresql":
        yield
        return
    table = cast(Table, EnergyRecord.__table__)
    indexes = sorted(table.indexes, key=lambda index: str(index.name))
    foreign_keys = sorted(table.foreign_key_constraints, key=lambda constraint: str(constraint.name))
    for constraint in foreign_keys:
        connection.execute(DropConstraint(constraint))
    for index in indexes:
        index.drop(connection)
    yield
    connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '512MB'")
    for index in indexes:
        index.create(connection)
    for constraint in foreign_keys:
        connection.execute(AddConstraint(constraint))


def _with_batch(frame: pl.DataFrame, import_id: str) -> pl.DataFrame:
    return frame.with_columns(version=pl.lit(1), is_current=pl.lit(True), import_id=pl.lit(import_id))


def _frame(rows: Sequence[tuple[Any, ...]], columns: Sequence[str]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=list(columns), orient="row")


def _chunks(total: int) -> Iterator[range]:
    for start in range(0, total, CHUNK):
        yield range(start, min(start + CHUNK, total))


def _organisations_and_users(
    session: Session, *, seed: int, showcase: region.DemoEnterprise, where: region.Place
) -> tuple[int, int]:
    organisations = {
        "admin": auth.create_organisation(
            session, kind="platform", name="greenfin 演示平台", code=DEMO_PLATFORM_CODE, region_code=where.city_code
        ),
        "regulator": auth.create_organisation(
            session,
            kind="regulator",
            name=f"中国人民银行{where.city_name}分行",
            code=region.regulator_uscc(seed, where),
            region_code=where.city_code,
        ),
        "bank": auth.create_organisation(
            session,
            kind="bank",
            name=f"{where.city_short}农商银行",
            code=region.bank_uscc(seed, where),
            region_code=where.bank_county,
        ),
        "enterprise": auth.create_organisation(
            session, kind="enterprise", name=showcase.name, code=showcase.uscc, region_code=showcase.county_code
        ),
    }
    for user in DEMO_USERS:
        auth.create_user(
            session,
            username=user.username,
            password=DEMO_PASSWORD,
            role=user.role,
            display_name=user.display_name.format(city=where.city_name, short=where.city_short),
            organisation=organisations.get(user.username),
        )
    return len(organisations), len(DEMO_USERS)


def build_region(
    target: Session | Engine,
    *,
    enterprises: int = DEFAULT_ENTERPRISES,
    seed: int = DEFAULT_SEED,
    settings: Settings | None = None,
    principal: Principal = SYSTEM,
    residents: int = DEFAULT_RESIDENTS,
    label: bool = True,
    progress: Progress | None = None,
) -> DemoSummary:
    """Write the deterministic demo region of ``seed`` with ``enterprises`` enterprises, then label it.

    Then the other accounts: farms and their practices (agriculture), consents of the demo
    enterprise and a farm to the demo bank (finance), and ``residents`` residents with a
    year of payment events (personal), the demo ``resident`` login owning the first.
    """
    settings = settings or get_settings()
    refuse_in_production(settings)
    if not 1 <= enterprises <= MAX_ENTERPRISES:
        raise InvalidInput(f"the demo region has 1 to {MAX_ENTERPRISES:,} enterprises, not {enterprises:,}")
    if isinstance(target, Engine):
        factory = make_session_factory(target)
        auth.install_audit(factory)
        with session_scope(factory) as session:
            session.info["actor"] = principal
            return build_region(
                session,
                enterprises=enterprises,
                seed=seed,
                settings=settings,
                principal=principal,
                residents=residents,
                label=label,
                progress=progress,
            )
    session = target
    if find_demo(session) is not None:
        raise Conflict("the database holds the demo region already; reset it first")
    report = progress or (lambda _step, _done, _total: None)
    summary = DemoSummary(seed=seed)
    started = time.perf_counter()

    first_id = (session.scalar(select(func.max(Enterprise.id))) or 0) + 1
    last_id = first_id + enterprises - 1
    batches = {kind: _batch_id(seed, kind) for kind in ("enterprises", "energy", "process", "annual")}
    now = utcnow()
    session.execute(
        insert(ImportBatch),
        [
            {
                "id": batch_id,
                "kind": kind,
                "filename": f"greenfin-demo seed={seed} enterprises={enterprises} ids={first_id}-{last_id}",
                "sha256": "0" * 64,
                "row_count": 0,
                "imported_by": DEMO_IMPORTER,
                "imported_at": now,
            }
            for kind, batch_id in batches.items()
        ],
    )
    where = region.place(settings.region)
    kgce = {energy: load_factor_set().energy(energy).standard_coal.value for energy in region.ENERGIES}
    digests = {kind: hashlib.sha256() for kind in batches}
    writer = _BulkWriter(session)
    taken_names: set[str] = set()
    showcase: region.DemoEnterprise | None = None
    offset = first_id  # enterprise index i gets id first_id + i
    report("enterprises", 0, enterprises)
    with _bulk_load(session, large=enterprises >= BULK_LOAD_THRESHOLD):
        for indexes in _chunks(enterprises):
            chunk = [region.draw_enterprise(seed, index, taken_names, where) for index in indexes]
            showcase = showcase or chunk[0]
            rows = region.enterprise_rows(chunk, offset)
            digests["enterprises"].update(
                _frame(rows, region.ENTERPRISE_COLUMNS).write_csv(include_header=False).encode()
            )
            session.execute(
                insert(Enterprise),
                [dict(zip(region.ENTERPRISE_COLUMNS, row, strict=True)) | {"created_at": now} for row in rows],
            )
            summary.enterprises += len(rows)
            summary.annual_figures += writer.write(
                AnnualFigures.__tablename__,
                _with_batch(_frame(region.annual_rows(chunk, offset), region.ANNUAL_COLUMNS), batches["annual"]),
                digests["annual"],
            )
            process = region.process_rows(chunk, offset)
            if process:
                summary.process_emissions += writer.write(
                    ProcessEmission.__tablename__,
                    _with_batch(_frame(process, region.PROCESS_COLUMNS), batches["process"]),
                    digests["process"],
                )
            summary.energy_records += writer.write(
                EnergyRecord.__tablename__,
                _with_batch(region.energy_frame(chunk, offset, seed=seed, kgce=kgce), batches["energy"]),
                digests["energy"],
            )
            report("enterprises", indexes.stop, enterprises)
    if writer.dialect == "postgresql":  # fresh statistics for the labelling that follows
        for table in (Enterprise, EnergyRecord, ProcessEmission, AnnualFigures):
            session.connection().exec_driver_sql(f"ANALYZE {table.__tablename__}")
    if writer.dialect == "postgresql":  # explicit ids: move the sequence past them
        session.connection().exec_driver_sql(
            "SELECT setval(pg_get_serial_sequence('industry_enterprise', 'id'),"
            " (SELECT max(id) FROM industry_enterprise))"
        )
    counts = {
        "enterprises": summary.enterprises,
        "energy": summary.energy_records,
        "process": summary.process_emissions,
        "annual": summary.annual_figures,
    }
    for kind, batch_id in batches.items():
        session.execute(
            update(ImportBatch)
            .where(ImportBatch.id == batch_id)
            .values(sha256=digests[kind].hexdigest(), row_count=counts[kind])
        )
    summary.digest = hashlib.sha256("".join(digests[kind].hexdigest() for kind in batches).encode()).hexdigest()
    assert showcase is not None  # at least one enterprise
    summary.organisations, summary.users = _organisations_and_users(session, seed=seed, showcase=showcase, where=where)
    auth.record(
        session,
        principal,
        action="demo_build",
        entity_type="demo_region",
        entity_id=str(seed),
        after={"seed": seed, **counts, "digest": summary.digest},
    )
    session.flush()
    summary.seconds["build"] = time.perf_counter() - started
    if label:
        label_region(session, principal, summary=summary, progress=report)
        showcase_yellow_enterprise(session)
    _other_accounts(session, seed=seed, settings=settings, residents=residents, summary=summary, progress=report)
    return summary


def _other_accounts(
    session: Session, *, seed: int, settings: Settings, residents: int, summary: DemoSummary, progress: Progress
) -> None:
    """The agricultural, finance and personal demo data, each from its own domain's demo function."""
    from greenfin.agriculture.demo import add_agriculture_demo
    from greenfin.auth import repository as auth_repository
    from greenfin.finance.demo import add_finance_demo
    from greenfin.personal.demo import add_personal_demo

    started = time.perf_counter()
    progress("accounts", 0, 3)
    summary.farms = add_agriculture_demo(
        session, seed=seed, secret_key=settings.secret_key, region_code=settings.region
    )
    progress("accounts", 1, 3)
    summary.consents = len(add_finance_demo(session, seed=seed))
    progress("accounts", 2, 3)
    resident = auth_repository.user_by_username(session, "resident")
    bank_user = auth_repository.user_by_username(session, "bank")
    bank = (
        auth_repository.organisation_by_id(session, bank_user.organisation_id)
        if bank_user and bank_user.organisation_id
        else None
    )
    if residents:
        summary.residents = add_personal_demo(
            session,
            residents=residents,
            seed=seed,
            settings=settings,
            resident_user_id=resident.id if resident else None,
            bank_code=bank.code if bank else None,
        )
    progress("accounts", 3, 3)
    summary.seconds["accounts"] = time.perf_counter() - started
    from greenfin.market.demo import add_market_demo

    started = time.perf_counter()
    summary.market = add_market_demo(session, seed=seed, region=settings.region)
    summary.seconds["market"] = time.perf_counter() - started
    from greenfin.stats.demo import add_stats_demo

    started = time.perf_counter()
    summary.stats = add_stats_demo(session, seed=seed, region=settings.region)
    summary.seconds["stats"] = time.perf_counter() - started
    from greenfin.ecobank.demo import add_ecobank_demo

    started = time.perf_counter()
    summary.ecobank = add_ecobank_demo(session, seed=seed, secret_key=settings.secret_key, region=settings.region)
    summary.seconds["ecobank"] = time.perf_counter() - started


SHOWCASE_COAL_PCT = Decimal(60)
"""The what-if the demo ``enterprise`` is chosen by: 60 % of its coal moved to an industrial heat pump."""
SHOWCASE_CANDIDATES = 40


def showcase_yellow_enterprise(session: Session) -> str | None:
    """Let the demo ``enterprise`` act for a 黄 enterprise whose what-if reaches 浅绿.

    A 深绿 showcase could never show a better label. Among the first 黄 enterprises of the
    latest labelled year, the first whose "60 % of coal to a heat pump" what-if earns 浅绿 (or
    better) becomes the login's organisation (its code, name and county follow). Returns its
    USCC, or None when no candidate reaches 浅绿 (the login then keeps its first enterprise).
    """
    from greenfin.auth import repository as auth_repository
    from greenfin.finance import service as finance
    from greenfin.finance.policy import COAL_ENERGIES
    from greenfin.finance.schemas import EnterpriseWhatIf

    user = auth_repository.user_by_username(session, "enterprise")
    organisation = (
        auth_repository.organisation_by_id(session, user.organisation_id) if user and user.organisation_id else None
    )
    if organisation is None:
        return None
    candidates, _ = industry.list_enterprises(session, SYSTEM, label="yellow", limit=SHOWCASE_CANDIDATES)
    for candidate in candidates:
        principal = Principal(
            actor="demo", role="enterprise", organisation_kind="enterprise", organisation_code=candidate.uscc
        )
        current = finance.enterprise_what_if(session, principal, what_if_in=EnterpriseWhatIf(uscc=candidate.uscc))
        coal = [line.energy for line in current.energies if line.before_quantity and line.energy in COAL_ENERGIES]
        if not coal:
            continue
        changes = [
            {
                "kind": "shift",
                "from_energy": energy,
                "to_energy": "electricity",
                "share_pct": str(SHOWCASE_COAL_PCT),
                "technology": "heat_pump",
            }
            for energy in coal
        ]
        what_if = EnterpriseWhatIf.model_validate({"uscc": candidate.uscc, "year": current.year, "changes": changes})
        after = finance.enterprise_what_if(session, principal, what_if_in=what_if).after.label
        if after in ("light_green", "dark_green"):
            organisation.code, organisation.name = candidate.uscc, candidate.name
            organisation.region_code = candidate.county_code
            session.flush()
            return candidate.uscc
    return None


def label_region(
    session: Session, principal: Principal, *, summary: DemoSummary, progress: Progress | None = None
) -> None:
    """Label every demo year with the industrial account's batch; counts go into ``summary``."""
    started = time.perf_counter()
    if progress:
        progress("labels", 0, len(region.YEARS))
    for run in industry.label_years(session, principal, years=region.YEARS):  # one pass over the records
        summary.labels[run.year] = dict(run.counts)
    if progress:
        progress("labels", len(region.YEARS), len(region.YEARS))
    summary.seconds["label"] = time.perf_counter() - started


# --- reset ----------------------------------------------------------------------------------


def reset_region(session: Session, *, settings: Settings | None = None) -> int:
    """Empty every greenfin table of a demo database; the number of rows deleted.

    A demo database holds only demo data (the demo refuses production), so the reset is
    total: industrial, agricultural, personal and finance rows alike, and the label runs
    that summarise them. The audit log keeps one event saying it happened.
    """
    refuse_in_production(settings or get_settings())
    import_all_models()
    demo = find_demo(session)
    if demo is None:
        return 0
    existing = set(inspect(session.connection()).get_table_names())
    deleted = 0
    for table in reversed(Base.metadata.sorted_tables):
        if table.name in existing and table.name != AuditEvent.__tablename__:
            deleted += int(session.execute(delete(table)).rowcount or 0)  # type: ignore[attr-defined]
    auth.record(
        session,
        session.info.get("actor", SYSTEM),
        action="demo_reset",
        entity_type="demo_region",
        entity_id=str(demo.seed),
        before={"seed": demo.seed, "enterprises": demo.enterprises},
    )
    session.flush()
    return deleted
