"""Every query of the industrial carbon account, including the set-based labelling batch.

The batch runs in two steps, inside the caller's transaction, on two temporary work tables:

1. :func:`build_figures` — one ``CREATE TEMPORARY TABLE … AS SELECT`` of every
   enterprise-year of the wanted years (each labelled year and its previous year) — the
   only pass over the energy records, however many years are labelled:

   ``q``      current energy records summed per enterprise, year and energy (aggregate
              first: 11 M rows → ~1 M);
   ``en``     × the factor work table (county, energy, year → mg CO2 and mg coal
              equivalent per canonical unit; filled by ``executemany``), summed per
              enterprise-year;
   ``pr``/``an`` current process emissions and annual figures;
   ``t``      totals and intensities (grams per 10,000 yuan, rounded half up).

2. :func:`insert_labels`, per labelled year — one ``INSERT INTO industry_label … SELECT``
   over the work table: ``peers``/``reg`` (the peers' and the region's weighted average
   intensity), ``rred`` (the region's year-on-year reduction, for the contribution
   figure) and the label by ``CASE`` with every threshold a bound parameter.

On PostgreSQL the work tables are ``ANALYZE``d (the next statement is planned on real row
counts, not on the estimates of an inline ``VALUES`` list or an expression join), and
:func:`batch_settings` raises ``work_mem`` and switches JIT off for the batch only.

Portable SQL only (SQLite and PostgreSQL): integer arithmetic with ``/`` on integers (both
truncate toward zero; every operand here is non-negative where it matters), every ``SUM``
cast back to ``BIGINT`` (PostgreSQL sums ``bigint`` as ``numeric``), and products split so
that no intermediate exceeds 2**63: ``a × m ÷ b`` is computed as
``(a / b) × m + ((a % b) × m + b / 2) / b``, exact and rounded half up.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import (
    String,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from greenfin.carbon import FactorRow
from greenfin.db import UTCDateTime
from greenfin.industry.methodology import Methodology
from greenfin.industry.models import (
    AnnualFigures,
    EnergyRecord,
    Enterprise,
    ImportBatch,
    Label,
    LabelRun,
    ProcessEmission,
)

CHUNK = 5_000
INT_CLAMP = 2_000_000_000  # K, yoy and contribution columns are 32-bit integers
MAX_INTENSITY_RATIO = 900_000_000  # total_g / basis_fen above this: intensity not computed (overflow guard)


# --- enterprises --------------------------------------------------------------------------


def enterprise_by_uscc(session: Session, uscc: str) -> Enterprise | None:
    return session.scalars(select(Enterprise).where(Enterprise.uscc == uscc)).one_or_none()


def enterprise_ids(session: Session, usccs: Iterable[str]) -> dict[str, int]:
    """USCC → id of the enterprises that exist."""
    wanted = sorted(set(usccs))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        found.update(
            (u, i) for u, i in session.execute(select(Enterprise.uscc, Enterprise.id).where(Enterprise.uscc.in_(chunk)))
        )
    return found


def enterprise_master(session: Session, usccs: Iterable[str]) -> dict[str, dict[str, Any]]:
    """USCC → {id, name, county_code, industry_code} of the enterprises that exist."""
    wanted = sorted(set(usccs))
    e = Enterprise
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        stmt = select(e.uscc, e.id, e.name, e.county_code, e.industry_code).where(e.uscc.in_(chunk))
        for uscc, id_, name, county, industry in session.execute(stmt):
            found[uscc] = {"id": id_, "name": name, "county_code": county, "industry_code": industry}
    return found


def lock_enterprises(session: Session, enterprise_ids: Iterable[int]) -> None:
    """Take the row locks of these enterprises (PostgreSQL ``FOR UPDATE``), in id order.

    Imports of the same enterprises then serialise: the second waits until the first
    commits and only then reads the versions (READ COMMITTED sees the first's rows). The
    id order keeps two overlapping imports from deadlocking. SQLite has no row locks; it
    admits one writer at a time, and a second import whose snapshot went stale fails.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    ids = sorted(set(enterprise_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        stmt = select(Enterprise.id).where(Enterprise.id.in_(chunk)).order_by(Enterprise.id).with_for_update()
        session.execute(stmt).all()


def insert_enterprises(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(Enterprise), rows)


def update_enterprises(session: Session, rows: list[dict[str, Any]]) -> None:
    """Bulk UPDATE by primary key (``id`` in each dict)."""
    if rows:
        session.execute(update(Enterprise), rows)


# --- imports and versions -----------------------------------------------------------------

_PERIOD_MODELS: dict[str, Any] = {"energy": EnergyRecord, "process": ProcessEmission, "annual": AnnualFigures}

# What one row is the figure of (an **item**): an import replaces only the items it names.
ITEM_KEYS: dict[str, tuple[str, ...]] = {
    "energy": ("enterprise_id", "year", "month", "energy"),
    "process": ("enterprise_id", "year", "source"),
    "annual": ("enterprise_id", "year"),
}
# The figure(s) of an item: two rows of one item that agree on these are not in conflict.
VALUE_COLUMNS: dict[str, tuple[str, ...]] = {
    "energy": ("quantity_milli",),
    "process": ("co2_g",),
    "annual": ("output_value_fen", "added_value_fen", "tax_fen", "product_output_milli", "product_unit"),
}
AUTHORITY = {"declared": 1, "metered": 2, "audited": 3}


def _rank(table: Any) -> Any:
    """The authority of a row: its data quality's, or audited once a regulator accepted it."""
    return case(
        (table.c.conflict == "accepted", AUTHORITY["audited"]),
        (table.c.data_quality == "audited", AUTHORITY["audited"]),
        (table.c.data_quality == "metered", AUTHORITY["metered"]),
        else_=AUTHORITY["declared"],
    )


def max_versions(
    session: Session, kind: str, enterprise_ids: Sequence[int], years: Sequence[int]
) -> dict[tuple[Any, ...], int]:
    """Highest stored version per item (:data:`ITEM_KEYS`) among these enterprises and years."""
    model = _PERIOD_MODELS[kind]
    keys = [getattr(model, k) for k in ITEM_KEYS[kind]]
    result: dict[tuple[Any, ...], int] = {}
    ids = sorted(set(enterprise_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        stmt = (
            select(*keys, func.max(model.version))
            .where(model.enterprise_id.in_(chunk), model.year.in_(sorted(set(years))))
            .group_by(*keys)
        )
        for row in session.execute(stmt):
            result[tuple(row[:-1])] = int(row[-1])
    return result


ANALYZE_FROM_ROWS = 10_000


def insert_period_rows(session: Session, kind: str, rows: list[dict[str, Any]]) -> None:
    """Bulk insert of one import's rows (set-based executemany).

    PostgreSQL: after a large insert the table's statistics are refreshed (``ANALYZE``, a
    sample of 30,000 rows; it counts this transaction's own rows). Without it, the first
    large import into a young table is planned on estimates of a few rows, and the
    self-joins of :func:`settle` run as nested loops: minutes instead of seconds.
    """
    if not rows:
        return
    session.execute(insert(_PERIOD_MODELS[kind]), rows)
    connection = session.connection()
    if len(rows) >= ANALYZE_FROM_ROWS and connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"ANALYZE {_PERIOD_MODELS[kind].__tablename__}")


def current_process(session: Session, enterprise_ids: Sequence[int], years: Sequence[int]) -> list[tuple[Any, ...]]:
    """Current process rows of these enterprises and years: (enterprise_id, year, source, co2_g)."""
    p = ProcessEmission
    found: list[tuple[Any, ...]] = []
    ids = sorted(set(enterprise_ids))
    for start in range(0, len(ids), CHUNK):
        stmt = select(p.enterprise_id, p.year, p.source, p.co2_g).where(
            p.enterprise_id.in_(ids[start : start + CHUNK]), p.year.in_(sorted(set(years))), p.is_current.is_(True)
        )
        found.extend(tuple(row) for row in session.execute(stmt))
    return found


def settle(
    session: Session, kind: str, *, import_id: str, enterprise_ids: Sequence[int], years: Sequence[int]
) -> dict[str, int]:
    """Decide, set-based, which of one import's rows (stored not current) become current.

    Per item: a row of at least the current row's authority replaces it; a row of lower
    authority stays beside it, not current — an open conflict when its figure differs, a
    mere confirmation when it agrees. A row of at least an older open conflict's authority
    closes it. Returns the counts ``superseded`` (earlier rows retired), ``conflicts``
    (rows held as open conflicts) and ``kept`` (lower-authority rows that agree).
    """
    model = _PERIOD_MODELS[kind]
    table = model.__table__
    other = table.alias("o")
    same_item = [other.c[k] == table.c[k] for k in ITEM_KEYS[kind]]
    differs = or_(*(other.c[v] != table.c[v] for v in VALUE_COLUMNS[kind]))
    from_import = table.c.import_id == import_id
    higher_current = (
        select(1).select_from(other).where(*same_item, other.c.is_current.is_(True), _rank(other) > _rank(table))
    )
    statements = {
        # Older open conflicts that this import answers with a figure of at least their authority.
        "closed": update(table)
        .where(
            table.c.conflict == "open",
            or_(table.c.import_id.is_(None), table.c.import_id != import_id),
            select(1)
            .select_from(other)
            .where(*same_item, other.c.import_id == import_id, _rank(other) >= _rank(table))
            .exists(),
        )
        .values(conflict="superseded"),
        "conflicts": update(table).where(from_import, higher_current.where(differs).exists()).values(conflict="open"),
        "current": update(table).where(from_import, ~higher_current.exists()).values(is_current=True),
        "superseded": update(table)
        .where(
            table.c.is_current.is_(True),
            or_(table.c.import_id.is_(None), table.c.import_id != import_id),
            select(1)
            .select_from(other)
            .where(*same_item, other.c.import_id == import_id, other.c.is_current.is_(True))
            .exists(),
        )
        .values(is_current=False),
    }
    counts = dict.fromkeys(statements, 0)
    ids = sorted(set(enterprise_ids))
    for start in range(0, len(ids), CHUNK):
        scope = [table.c.enterprise_id.in_(ids[start : start + CHUNK]), table.c.year.in_(sorted(set(years)))]
        for name, stmt in statements.items():  # in this order: each reads what the previous left
            counts[name] += _rowcount(session.execute(stmt.where(*scope).execution_options(synchronize_session=False)))
    return counts


def _held_select(kind: str) -> Any:
    model = _PERIOD_MODELS[kind]
    return (
        select(model, ImportBatch, Enterprise.uscc)
        .join(Enterprise, Enterprise.id == model.enterprise_id)
        .outerjoin(ImportBatch, ImportBatch.id == model.import_id)
    )


def held_row(session: Session, kind: str, row_id: int) -> Any:
    """One row with its import and enterprise code: (row, batch, uscc)."""
    return session.execute(_held_select(kind).where(_PERIOD_MODELS[kind].id == row_id)).one()


def held_rows(
    session: Session, kind: str, *, enterprise_id: int | None, year: int | None, status: str | None
) -> list[Any]:
    """Rows kept beside a higher-authority figure (conflicts), with their import, newest first."""
    model = _PERIOD_MODELS[kind]
    stmt = (
        _held_select(kind)
        .where(model.conflict.is_not(None) if status is None else model.conflict == status)
        .order_by(model.year.desc(), model.id.desc())
        .limit(1000)
    )
    if enterprise_id is not None:
        stmt = stmt.where(model.enterprise_id == enterprise_id)
    if year is not None:
        stmt = stmt.where(model.year == year)
    return list(session.execute(stmt))


def current_of_item(session: Session, kind: str, row: Any) -> list[Any]:
    """The current row(s) of the item ``row`` belongs to, with their import."""
    model = _PERIOD_MODELS[kind]
    stmt = (
        select(model, ImportBatch)
        .outerjoin(ImportBatch, ImportBatch.id == model.import_id)
        .where(*(getattr(model, k) == getattr(row, k) for k in ITEM_KEYS[kind]), model.is_current.is_(True))
    )
    return list(session.execute(stmt))


def period_row(session: Session, kind: str, row_id: int) -> Any:
    """One stored row by id (for update), or None."""
    model = _PERIOD_MODELS[kind]
    return session.scalars(select(model).where(model.id == row_id).with_for_update()).one_or_none()


def resolve(session: Session, kind: str, row: Any, *, accept: bool) -> int:
    """Settle one open conflict: accepted, the row becomes the item's current figure (the earlier
    current row retired, other open conflicts of the item superseded); rejected, it stays aside."""
    model = _PERIOD_MODELS[kind]
    table = model.__table__
    if not accept:
        session.execute(update(table).where(table.c.id == row.id).values(conflict="rejected"))
        return 0
    item = [table.c[k] == getattr(row, k) for k in ITEM_KEYS[kind]]
    retired = _rowcount(
        session.execute(
            update(table).where(*item, table.c.is_current.is_(True), table.c.id != row.id).values(is_current=False)
        )
    )
    session.execute(
        update(table).where(*item, table.c.conflict == "open", table.c.id != row.id).values(conflict="superseded")
    )
    session.execute(update(table).where(table.c.id == row.id).values(conflict="accepted", is_current=True))
    return retired


def period_rows(session: Session, kind: str, enterprise_id: int, year: int) -> list[Any]:
    """Every stored row (all versions) of one enterprise-year of a kind, with its import."""
    model = _PERIOD_MODELS[kind]
    order = [model.version, model.id] if kind != "energy" else [model.month, model.version, model.energy]
    stmt = (
        select(model, ImportBatch)
        .outerjoin(ImportBatch, ImportBatch.id == model.import_id)
        .where(model.enterprise_id == enterprise_id, model.year == year)
        .order_by(*order)
    )
    return list(session.execute(stmt))


# --- the account --------------------------------------------------------------------------


def energy_by_month(session: Session, enterprise_id: int, year: int) -> list[tuple[Any, ...]]:
    """Current energy quantities of one enterprise-year: (energy, month, quantity_milli)."""
    r = EnergyRecord
    stmt = (
        select(r.energy, r.month, func.sum(r.quantity_milli))
        .where(r.enterprise_id == enterprise_id, r.year == year, r.is_current.is_(True))
        .group_by(r.energy, r.month)
    )
    return [tuple(row) for row in session.execute(stmt)]


def energy_by_year(session: Session, enterprise_id: int) -> list[tuple[Any, ...]]:
    """Current energy quantities of one enterprise, every year: (year, energy, quantity_milli)."""
    r = EnergyRecord
    stmt = (
        select(r.year, r.energy, func.sum(r.quantity_milli))
        .where(r.enterprise_id == enterprise_id, r.is_current.is_(True))
        .group_by(r.year, r.energy)
    )
    return [tuple(row) for row in session.execute(stmt)]


def data_quality_counts(session: Session, enterprise_id: int, year: int) -> dict[str, int]:
    r = EnergyRecord
    stmt = (
        select(r.data_quality, func.count())
        .where(r.enterprise_id == enterprise_id, r.year == year, r.is_current.is_(True))
        .group_by(r.data_quality)
    )
    return {quality: int(n) for quality, n in session.execute(stmt)}


def process_lines(session: Session, enterprise_id: int, year: int) -> list[tuple[ProcessEmission, ImportBatch | None]]:
    """The current process rows of one enterprise-year, each with its import (provenance)."""
    p = ProcessEmission
    stmt = (
        select(p, ImportBatch)
        .outerjoin(ImportBatch, ImportBatch.id == p.import_id)
        .where(p.enterprise_id == enterprise_id, p.year == year, p.is_current.is_(True))
        .order_by(p.source)
    )
    return [(row, batch) for row, batch in session.execute(stmt)]


def process_by_year(session: Session, enterprise_id: int) -> dict[int, int]:
    p = ProcessEmission
    stmt = (
        select(p.year, func.sum(p.co2_g))
        .where(p.enterprise_id == enterprise_id, p.is_current.is_(True))
        .group_by(p.year)
    )
    return {int(year): int(g) for year, g in session.execute(stmt)}


def annual_figures(session: Session, enterprise_id: int, year: int) -> AnnualFigures | None:
    a = AnnualFigures
    stmt = select(a).where(a.enterprise_id == enterprise_id, a.year == year, a.is_current.is_(True))
    return session.scalars(stmt.order_by(a.version.desc()).limit(1)).one_or_none()


def annual_years(session: Session, enterprise_id: int) -> list[int]:
    a = AnnualFigures
    stmt = select(a.year).where(a.enterprise_id == enterprise_id, a.is_current.is_(True)).distinct()
    return [int(y) for y in session.scalars(stmt)]


# --- labels -------------------------------------------------------------------------------


def latest_run_row(session: Session, year: int) -> LabelRun | None:
    """The most recent labelling run of ``year`` (one indexed row)."""
    stmt = (
        select(LabelRun).where(LabelRun.year == year).order_by(LabelRun.computed_at.desc(), LabelRun.id.desc()).limit(1)
    )
    return session.scalars(stmt).first()


def latest_run(session: Session, year: int) -> tuple[str, str] | None:
    """(methodology, factor set) versions of the most recent labelling run of ``year``."""
    run = latest_run_row(session, year)
    return (run.methodology_version, run.factor_set_version) if run else None


def latest_runs(session: Session) -> list[LabelRun]:
    """The most recent run of every labelled year, oldest year first (the trend)."""
    newest = select(LabelRun.year, func.max(LabelRun.computed_at).label("at")).group_by(LabelRun.year).subquery()
    stmt = (
        select(LabelRun)
        .join(newest, and_(newest.c.year == LabelRun.year, newest.c.at == LabelRun.computed_at))
        .order_by(LabelRun.year, LabelRun.id.desc())
    )
    runs: dict[int, LabelRun] = {}
    for run in session.scalars(stmt):
        runs.setdefault(run.year, run)  # two runs at the same instant: the later id
    return list(runs.values())


def latest_label_year(session: Session) -> int | None:
    value = session.scalar(select(func.max(LabelRun.year)))
    return int(value) if value is not None else None


def save_run(session: Session, row: dict[str, Any]) -> None:
    """Store the run of one batch, replacing an earlier run of the same year and versions."""
    session.execute(
        delete(LabelRun)
        .where(
            LabelRun.year == row["year"],
            LabelRun.methodology_version == row["methodology_version"],
            LabelRun.factor_set_version == row["factor_set_version"],
        )
        .execution_options(synchronize_session=False)
    )
    session.execute(insert(LabelRun), [row])


def label_of(session: Session, enterprise_id: int, year: int) -> Label | None:
    """The label of the latest run of that year."""
    run = latest_run(session, year)
    if run is None:
        return None
    stmt = select(Label).where(
        Label.enterprise_id == enterprise_id,
        Label.year == year,
        Label.methodology_version == run[0],
        Label.factor_set_version == run[1],
    )
    return session.scalars(stmt).one_or_none()


def labels_of(session: Session, enterprise_id: int) -> list[Label]:
    stmt = (
        select(Label)
        .where(Label.enterprise_id == enterprise_id)
        .order_by(Label.year.desc(), Label.computed_at.desc(), Label.id.desc())
    )
    return list(session.scalars(stmt))


def _run_condition(year: int, run: tuple[str, str]) -> Any:
    return and_(Label.year == year, Label.methodology_version == run[0], Label.factor_set_version == run[1])


LABEL_ORDER = ("dark_green", "light_green", "yellow", "red")
"""Labels best first: the order a list sorted by label shows."""


def list_enterprises(
    session: Session,
    *,
    year: int | None,
    run: tuple[str, str] | None,
    uscc: str | None,
    county_code: str | None,
    industry_code: str | None,
    label: str | None,
    q: str | None,
    offset: int,
    limit: int,
    order: str = "uscc",
    descending: bool = False,
) -> tuple[list[tuple[Enterprise, Label | None]], int]:
    """A page of enterprises with their label of ``year``'s latest run, in ``order``, and the total."""
    e = Enterprise
    if year is not None and run is not None:
        join_on = and_(Label.enterprise_id == e.id, _run_condition(year, run))
    else:
        join_on = and_(Label.enterprise_id == e.id, Label.id.is_(None))  # no label to show
    base = select(e, Label).outerjoin(Label, join_on)
    conditions = []
    if uscc is not None:
        conditions.append(e.uscc == uscc)
    if county_code:
        conditions.append(e.county_code == county_code)
    if industry_code:
        # A class (4 digits) or a division / group prefix (2-3 digits).
        conditions.append(e.industry_code.startswith(industry_code, autoescape=True))
    if label:
        conditions.append(Label.label == label)
    if q:
        pattern = q.strip()
        conditions.append(or_(e.name.contains(pattern, autoescape=True), e.uscc.startswith(pattern.upper())))
    stmt = base.where(*conditions)
    total = session.scalar(select(func.count()).select_from(stmt.with_only_columns(e.id).subquery())) or 0
    rank = case({code: i for i, code in enumerate(LABEL_ORDER)}, value=Label.label, else_=len(LABEL_ORDER))
    columns: dict[str, Any] = {
        "uscc": e.uscc,
        "name": e.name,
        "county": e.county_code,
        "industry": e.industry_code,
        "co2": Label.energy_co2_g + Label.process_co2_g,
        "label": rank,
    }
    column = columns.get(order, e.uscc)
    sort = column.desc() if descending else column.asc()
    # Missing labels (and figures) go last either way; the USCC keeps equal rows in a stable order.
    rows = session.execute(stmt.order_by(column.is_(None), sort, e.uscc).offset(offset).limit(limit))
    return [(ent, lab) for ent, lab in rows], int(total)


def _total_g() -> Any:
    return Label.energy_co2_g + Label.process_co2_g


def label_counts(session: Session, year: int, run: tuple[str, str]) -> tuple[dict[str, int], int]:
    stmt = (
        select(Label.label, func.count(), func.sum(_total_g())).where(_run_condition(year, run)).group_by(Label.label)
    )
    counts: dict[str, int] = {}
    total_g = 0
    for code, n, g in session.execute(stmt):
        counts[code] = int(n)
        total_g += int(g or 0)
    return counts, total_g


def counts_by(session: Session, year: int, run: tuple[str, str], key: str) -> list[tuple[str, str, int, int]]:
    """(group code, label, enterprises, total grams) by county or by industry division."""
    column = Enterprise.county_code if key == "county" else func.substr(Enterprise.industry_code, 1, 2)
    grouped = column.label("grp")
    stmt = (
        select(grouped, Label.label, func.count(), func.sum(_total_g()))
        .join(Enterprise, Enterprise.id == Label.enterprise_id)
        .where(_run_condition(year, run))
        .group_by(grouped, Label.label)
        .order_by(grouped)
    )
    return [(str(g), str(lab), int(n), int(s or 0)) for g, lab, n, s in session.execute(stmt)]


def top_emitters(session: Session, year: int, run: tuple[str, str], limit: int = 10) -> list[tuple[Enterprise, Label]]:
    stmt = (
        select(Enterprise, Label)
        .join(Label, Label.enterprise_id == Enterprise.id)
        .where(_run_condition(year, run))
        .order_by(_total_g().desc(), Enterprise.uscc)
        .limit(limit)
    )
    return [(ent, lab) for ent, lab in session.execute(stmt)]


def label_count_rows(session: Session, year: int, methodology: str, factor_set: str) -> tuple[dict[str, int], int]:
    """Labels per colour of one run, and their total grams of CO2."""
    return label_counts(session, year, (methodology, factor_set))


def delete_labels(session: Session, *, year: int, methodology: str, factor_set: str) -> int:
    stmt = (
        delete(Label)
        .where(Label.year == year, Label.methodology_version == methodology, Label.factor_set_version == factor_set)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(session.execute(stmt))


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def counties_and_divisions(session: Session) -> tuple[list[str], list[str]]:
    """The distinct county codes and GB/T 4754 divisions (2 digits) of the enterprises."""
    counties = session.scalars(select(Enterprise.county_code).distinct())
    divisions = session.scalars(select(func.substr(Enterprise.industry_code, 1, 2)).distinct())
    return sorted(str(c) for c in counties), sorted(str(d) for d in divisions)


def provinces_and_industries(session: Session) -> tuple[list[str], list[str]]:
    """The distinct province prefixes of county codes and the distinct industry classes."""
    provinces = session.scalars(select(func.substr(Enterprise.county_code, 1, 2)).distinct())
    industries = session.scalars(select(Enterprise.industry_code).distinct())
    return sorted(str(p) for p in provinces), sorted(str(i) for i in industries)


# --- the batch ----------------------------------------------------------------------------


def _ratio(a: str, b: str, m: int) -> str:
    """SQL for round-half-up(a × m ÷ b), a ≥ 0, b > 0, without intermediates above b × m."""
    return f"(({a}) / ({b})) * {m} + ((({a}) % ({b})) * {m} + ({b}) / 2) / ({b})"


def _intensity(total: str, value: str) -> str:
    return (
        f"CASE WHEN {value} > 0 AND {total} / {value} < {MAX_INTENSITY_RATIO} "
        f"THEN {_ratio(total, value, 1_000_000)} END"
    )


def _benchmark(sum_g: str, sum_fen: str) -> str:
    # Sums of a whole region can exceed 9e12 fen; then divide by 10 yuan units (error < 1e-9).
    return (
        f"CASE WHEN {sum_fen} <= 9000000000000 THEN {_ratio(sum_g, sum_fen, 1_000_000)} "
        f"ELSE {_ratio(sum_g, f'({sum_fen} / 1000)', 1000)} END"
    )


def _clamp(expr: str) -> str:
    return (
        f"CASE WHEN ({expr}) > {INT_CLAMP} THEN {INT_CLAMP} "
        f"WHEN ({expr}) < -{INT_CLAMP} THEN -{INT_CLAMP} ELSE ({expr}) END"
    )


_BASIS_COLUMNS = {
    "added_value": ("i_add", "add_fen"),
    "output_value": ("i_out", "out_fen"),
    "tax": ("i_tax", "tax_fen"),
}


# Work tables of the batch: temporary (private to the connection), created and dropped by
# each call inside the caller's transaction (a failure rolls them back with it).
_FACTOR_TABLE = "industry_label_work_factor"
_FIGURES_TABLE = "industry_label_work_figures"
_POSTGRES_SETTINGS = {
    # The per-energy aggregation of two years (~1.3 M groups, ~160 MB) stays in memory;
    # with the default 4 MB it spills hundreds of MB to disk and merges externally.
    "work_mem": "256MB",
    # The statements are large and their estimated costs high, so JIT compiles them with
    # full optimisation: seconds of compile time for a few hundred milliseconds of work.
    "jit": "off",
}


def _drop_work_tables(connection: Any) -> None:
    for table in (_FIGURES_TABLE, _FACTOR_TABLE):
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")


def _load_factors(connection: Any, factors: Sequence[tuple[str, FactorRow]]) -> None:
    """The factor table keyed by county code (the enterprises' own column, so that the
    planner's statistics apply to the join), one row per county, energy and year."""
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {_FACTOR_TABLE} (county_code VARCHAR(6) NOT NULL, energy VARCHAR(30) NOT NULL, "
        "year INTEGER NOT NULL, co2_mg BIGINT NOT NULL, ce_mg BIGINT NOT NULL, PRIMARY KEY (county_code, energy, year))"
    )
    by_province: dict[str, list[FactorRow]] = {}
    for province, row in factors:
        by_province.setdefault(province, []).append(row)
    counties = connection.execute(select(Enterprise.county_code).distinct()).scalars()
    rows = [
        {"c": county, "e": row.energy, "y": row.year, "co2": row.co2_mg_per_unit, "ce": row.ce_mg_per_unit}
        for county in sorted(str(c) for c in counties)
        for row in by_province.get(county[:2], ())
    ]
    if rows:
        connection.execute(text(f"INSERT INTO {_FACTOR_TABLE} VALUES (:c, :e, :y, :co2, :ce)"), rows)


def _analyze(connection: Any, table: str, postgres: bool) -> None:
    # PostgreSQL: real row counts and distributions for the next statement's plan (a
    # temporary table is never analysed automatically). SQLite plans these joins well
    # without statistics (automatic indexes on the join keys).
    if postgres:
        connection.exec_driver_sql(f"ANALYZE {table}")


@contextmanager
def batch_settings(session: Session) -> Iterator[None]:
    """PostgreSQL: the batch's planner settings (:data:`_POSTGRES_SETTINGS`) for the block only.

    ``set_config(..., true)`` is transaction-local; the previous values are put back at the
    end so that the rest of the caller's transaction runs as configured. On an error the
    transaction is aborted and rolled back anyway (and the settings with it).
    """
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        yield
        return
    saved: dict[str, Any] = {}
    for name, value in _POSTGRES_SETTINGS.items():
        saved[name] = connection.execute(text("SELECT current_setting(:n)"), {"n": name}).scalar()
        connection.execute(text("SELECT set_config(:n, :v, true)"), {"n": name, "v": value})
    yield
    for name, value in saved.items():
        connection.execute(text("SELECT set_config(:n, :v, true)"), {"n": name, "v": value})


def build_figures(session: Session, *, years: Sequence[int], factors: Sequence[tuple[str, FactorRow]]) -> None:
    """Create the work table of every enterprise-year with data in ``years`` (one pass over the records).

    ``factors``: (province, FactorRow) for every year of ``years``. The table lives until
    :func:`drop_figures` (or the end of the transaction if it fails).
    """
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    _drop_work_tables(connection)
    _load_factors(connection, factors)
    _analyze(connection, _FACTOR_TABLE, postgres)
    wanted = sorted(set(years))
    params: dict[str, Any] = {"true": True} | {f"y{i}": y for i, y in enumerate(wanted)}
    connection.execute(text(_figures_sql([f":y{i}" for i in range(len(wanted))])), params)
    _analyze(connection, _FIGURES_TABLE, postgres)


def drop_figures(session: Session) -> None:
    _drop_work_tables(session.connection())


def _figures_sql(years: Sequence[str]) -> str:
    """Every enterprise-year of ``years`` (bound parameters) with data: grams, money and intensities.

    The only pass over the energy records: summed per enterprise, year and energy first
    (the factor applies to the summed quantity, rounded once), then × factors per
    enterprise-year.
    """
    q_co2 = "(q.q / 1000000) * f.co2_mg + ((q.q % 1000000) * f.co2_mg + 500000) / 1000000"
    q_ce = "(q.q / 1000000) * f.ce_mg + ((q.q % 1000000) * f.ce_mg + 500000) / 1000000"
    in_years = ", ".join(years)
    return f"""
CREATE TEMPORARY TABLE {_FIGURES_TABLE} AS
WITH
q AS (
    SELECT r.enterprise_id, r.year, r.energy, CAST(SUM(r.quantity_milli) AS BIGINT) AS q
    FROM industry_energy_record r
    WHERE r.year IN ({in_years}) AND r.is_current = :true
    GROUP BY r.enterprise_id, r.year, r.energy
),
en AS (
    SELECT q.enterprise_id, q.year, CAST(SUM({q_co2}) AS BIGINT) AS co2_g, CAST(SUM({q_ce}) AS BIGINT) AS ce_g
    FROM q
    JOIN industry_enterprise e ON e.id = q.enterprise_id
    JOIN {_FACTOR_TABLE} f ON f.county_code = e.county_code AND f.energy = q.energy AND f.year = q.year
    GROUP BY q.enterprise_id, q.year
),
pr AS (
    SELECT p.enterprise_id, p.year, CAST(SUM(p.co2_g) AS BIGINT) AS co2_g
    FROM industry_process_emission p
    WHERE p.year IN ({in_years}) AND p.is_current = :true
    GROUP BY p.enterprise_id, p.year
),
an AS (
    SELECT a.enterprise_id, a.year, a.output_value_fen, a.added_value_fen, a.tax_fen, a.product_output_milli
    FROM industry_annual_figures a
    WHERE a.year IN ({in_years}) AND a.is_current = :true
),
k AS (
    SELECT enterprise_id, year FROM en
    UNION SELECT enterprise_id, year FROM pr
    UNION SELECT enterprise_id, year FROM an
),
t AS (
    SELECT k.enterprise_id, k.year,
        COALESCE(en.co2_g, 0) AS energy_g, COALESCE(pr.co2_g, 0) AS process_g, COALESCE(en.ce_g, 0) AS ce_g,
        COALESCE(en.co2_g, 0) + COALESCE(pr.co2_g, 0) AS total_g,
        an.output_value_fen AS out_fen, an.added_value_fen AS add_fen, an.tax_fen AS tax_fen,
        an.product_output_milli AS prod_milli
    FROM k
    LEFT JOIN en ON en.enterprise_id = k.enterprise_id AND en.year = k.year
    LEFT JOIN pr ON pr.enterprise_id = k.enterprise_id AND pr.year = k.year
    LEFT JOIN an ON an.enterprise_id = k.enterprise_id AND an.year = k.year
)
SELECT t.*,
    {_intensity("t.total_g", "t.out_fen")} AS i_out,
    {_intensity("t.total_g", "t.add_fen")} AS i_add,
    {_intensity("t.total_g", "t.tax_fen")} AS i_tax,
    CASE WHEN t.prod_milli > 0 THEN {_ratio("t.total_g", "t.prod_milli", 1000)} END AS i_prod
FROM t
"""


def insert_labels(
    session: Session,
    *,
    year: int,
    methodology: Methodology,
    factor_set_version: str,
    official: Sequence[tuple[str, str, int, str]],
    computed_at: datetime,
) -> int:
    """Insert the labels of every enterprise with data in ``year``, graded against its peers, from the
    work table of :func:`build_figures` (which must hold ``year`` and ``year - 1``); the number inserted.

    ``official``: (industry class, matched prefix, benchmark g per 10,000 yuan, source) per
    class that has one.
    """
    params: dict[str, Any] = {
        "y": year,
        "py": year - 1,
        "mv": methodology.version,
        "fv": factor_set_version,
        "now": computed_at,
        "min_peers": methodology.min_peers,
        "dg_k": methodology.dark_green_k_milli,
        "dg_yoy": methodology.dark_green_yoy_below_bp,
        "lg_k": methodology.light_green_k_milli,
        "lg_yoy": methodology.light_green_yoy_max_bp,
        "red_k": methodology.red_k_above_milli,
        "nohist": 1 if methodology.no_history_counts_as_not_rising else 0,
        "ungradable": methodology.ungradable_label,
        "src_peers": "peers",
        "src_region": "region",
    }
    if official:
        rows = []
        for i, (code, prefix, g, source) in enumerate(official):
            params.update({f"oc{i}": code, f"op{i}": prefix, f"og{i}": g, f"os{i}": source[:120]})
            rows.append(
                f"(CAST(:oc{i} AS VARCHAR(4)), CAST(:op{i} AS VARCHAR(10)), CAST(:og{i} AS BIGINT), "
                f"CAST(:os{i} AS VARCHAR(120)))"
            )
        official_cte = f"ob(industry_code, grp, bench_g, source) AS (VALUES {', '.join(rows)})"
    else:
        official_cte = (
            "ob(industry_code, grp, bench_g, source) AS (SELECT CAST(NULL AS VARCHAR(4)), CAST(NULL AS VARCHAR(10)), "
            "CAST(NULL AS BIGINT), CAST(NULL AS VARCHAR(120)) WHERE 1 = 0)"
        )
    intensity_column, basis_column = _BASIS_COLUMNS[methodology.basis]
    bench = "b.bench_g"
    sql = f"""
WITH
{official_cte},
cur AS (
    SELECT ti.*, ti.{intensity_column} AS ib,
        CASE WHEN ti.{intensity_column} IS NOT NULL THEN ti.{basis_column} END AS basis_fen,
        e.industry_code, SUBSTR(e.industry_code, 1, {methodology.prefix_digits}) AS grp
    FROM {_FIGURES_TABLE} ti JOIN industry_enterprise e ON e.id = ti.enterprise_id
    WHERE ti.year = :y
),
prev AS (SELECT enterprise_id, {intensity_column} AS ib, total_g FROM {_FIGURES_TABLE} WHERE year = :py),
peers AS (
    SELECT grp, COUNT(*) AS n, CAST(SUM(total_g) AS BIGINT) AS sg, CAST(SUM(basis_fen) AS BIGINT) AS sb
    FROM cur WHERE ib IS NOT NULL GROUP BY grp
),
reg AS (
    SELECT COUNT(*) AS n, CAST(SUM(total_g) AS BIGINT) AS sg, CAST(SUM(basis_fen) AS BIGINT) AS sb
    FROM cur WHERE ib IS NOT NULL
),
rred AS (
    SELECT CAST(SUM(p.total_g - c.total_g) AS BIGINT) AS red
    FROM cur c JOIN prev p ON p.enterprise_id = c.enterprise_id
),
b AS (
    SELECT c.enterprise_id,
        CASE WHEN ob.bench_g IS NOT NULL THEN ob.bench_g
             WHEN COALESCE(pe.n, 0) >= :min_peers THEN {_benchmark("pe.sg", "pe.sb")}
             WHEN reg.n > 0 THEN {_benchmark("reg.sg", "reg.sb")}
        END AS bench_g,
        CASE WHEN ob.bench_g IS NOT NULL THEN ob.grp
             WHEN COALESCE(pe.n, 0) >= :min_peers THEN c.grp
             ELSE '*' END AS peer_group,
        CASE WHEN ob.bench_g IS NOT NULL THEN COALESCE(pe.n, 0)
             WHEN COALESCE(pe.n, 0) >= :min_peers THEN pe.n
             ELSE reg.n END AS peer_count,
        CASE WHEN ob.bench_g IS NOT NULL THEN ob.source
             WHEN COALESCE(pe.n, 0) >= :min_peers THEN :src_peers
             ELSE :src_region END AS bench_source
    FROM cur c
    CROSS JOIN reg
    LEFT JOIN peers pe ON pe.grp = c.grp
    LEFT JOIN ob ON ob.industry_code = c.industry_code
)
INSERT INTO industry_label (
    enterprise_id, year, label, methodology_version, factor_set_version, computed_at,
    energy_co2_g, process_co2_g, energy_ce_g, output_value_fen, added_value_fen, tax_fen,
    intensity_output_g_per_wan, intensity_added_g_per_wan, intensity_tax_g_per_wan, intensity_product_g_per_unit,
    previous_intensity_g_per_wan, peer_group, peer_count, benchmark_g_per_wan, benchmark_source,
    k_ratio_milli, yoy_change_bp, region_contribution_bp
)
SELECT c.enterprise_id, c.year,
    CASE
        WHEN c.ib IS NULL OR {bench} IS NULL THEN :ungradable
        WHEN c.ib * 1000 > CAST(:red_k AS BIGINT) * {bench} THEN 'red'
        WHEN c.ib * 1000 <= CAST(:dg_k AS BIGINT) * {bench} AND p.ib IS NOT NULL
             AND (c.ib - p.ib) * 10000 < CAST(:dg_yoy AS BIGINT) * p.ib THEN 'dark_green'
        WHEN c.ib * 1000 <= CAST(:lg_k AS BIGINT) * {bench}
             AND ((p.ib IS NULL AND :nohist = 1)
                  OR (p.ib IS NOT NULL AND (c.ib - p.ib) * 10000 <= CAST(:lg_yoy AS BIGINT) * p.ib)) THEN 'light_green'
        ELSE 'yellow'
    END,
    :mv, :fv, :now,
    c.energy_g, c.process_g, c.ce_g, COALESCE(c.out_fen, 0), COALESCE(c.add_fen, 0), COALESCE(c.tax_fen, 0),
    c.i_out, c.i_add, c.i_tax, c.i_prod,
    p.ib, b.peer_group, COALESCE(b.peer_count, 0), {bench}, b.bench_source,
    CASE WHEN c.ib IS NOT NULL AND {bench} > 0 THEN {_clamp(_ratio("c.ib", bench, 1000))} END,
    CASE WHEN c.ib IS NOT NULL AND p.ib > 0 THEN {_clamp("(c.ib - p.ib) * 10000 / p.ib")} END,
    CASE WHEN rred.red > 0 AND p.total_g IS NOT NULL THEN {_clamp("(p.total_g - c.total_g) * 10000 / rred.red")} END
FROM cur c
JOIN b ON b.enterprise_id = c.enterprise_id
CROSS JOIN rred
LEFT JOIN prev p ON p.enterprise_id = c.enterprise_id
"""
    stmt = text(sql).bindparams(
        bindparam("now", type_=UTCDateTime()),
        bindparam("mv", type_=String()),
        bindparam("fv", type_=String()),
        bindparam("ungradable", type_=String()),
    )
    return _rowcount(session.execute(stmt, params))


def account_energy_totals(session: Session, year: int) -> list[tuple[Any, ...]]:
    """Every account's current energy use of a year: (uscc, county, energy, quantity_milli, weakest quality rank)."""
    r, e = EnergyRecord.__table__, Enterprise
    stmt = (
        select(e.uscc, e.county_code, r.c.energy, func.sum(r.c.quantity_milli), func.min(_rank(r)))
        .join(e, e.id == r.c.enterprise_id)
        .where(r.c.year == year, r.c.is_current.is_(True))
        .group_by(e.uscc, e.county_code, r.c.energy)
    )
    return [tuple(row) for row in session.execute(stmt)]


def account_process_totals(session: Session, year: int) -> list[tuple[Any, ...]]:
    """Every account's current process CO2 of a year: (uscc, co2_g, weakest quality rank)."""
    p, e = ProcessEmission.__table__, Enterprise
    stmt = (
        select(e.uscc, func.sum(p.c.co2_g), func.min(_rank(p)))
        .join(e, e.id == p.c.enterprise_id)
        .where(p.c.year == year, p.c.is_current.is_(True))
        .group_by(e.uscc)
    )
    return [tuple(row) for row in session.execute(stmt)]


def current_sources(session: Session, enterprise_id: int, year: int) -> list[Any]:
    """The imports whose current rows make up an enterprise-year: kind, import, quality, rows, who, when."""
    parts: list[Any] = [
        select(
            literal_column(f"'{kind}'").label("kind"),
            table.import_id,
            table.data_quality,
            func.count().label("rows"),
        )
        .where(table.enterprise_id == enterprise_id, table.year == year, table.is_current.is_(True))
        .group_by(table.import_id, table.data_quality)
        for kind, table in (("energy", EnergyRecord), ("process", ProcessEmission), ("annual", AnnualFigures))
    ]
    found = union_all(*parts).subquery()
    query = (
        select(found, ImportBatch.imported_by, ImportBatch.organisation_code, ImportBatch.role, ImportBatch.imported_at)
        .outerjoin(ImportBatch, ImportBatch.id == found.c.import_id)
        .order_by(found.c.kind, ImportBatch.imported_at, found.c.import_id)
    )
    return list(session.execute(query))
