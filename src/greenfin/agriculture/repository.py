"""Queries of the agricultural carbon account."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session

from greenfin.agriculture.models import Assessment, Baseline, Farm, FarmConflict, PracticeRecord


def farm_by_id(session: Session, farm_id: str) -> Farm | None:
    return session.get(Farm, farm_id)


def farm_by_uscc(session: Session, uscc: str) -> Farm | None:
    return session.scalar(select(Farm).where(Farm.uscc == uscc))


def farm_by_holder_hash(session: Session, holder_hash: str) -> Farm | None:
    return session.scalar(select(Farm).where(Farm.holder_id_hash == holder_hash))


def farms_by_keys(session: Session, keys: Iterable[str]) -> dict[str, Farm]:
    """Farms by id or USCC, keyed by what was asked."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    rows = session.scalars(select(Farm).where((Farm.id.in_(wanted)) | (Farm.uscc.in_(wanted)))).all()
    found: dict[str, Farm] = {}
    for farm in rows:
        if farm.id in wanted:
            found[farm.id] = farm
        if farm.uscc and farm.uscc in wanted:
            found[farm.uscc] = farm
    return found


def farms_of_organisation(session: Session, organisation_code: str) -> Sequence[Farm]:
    return session.scalars(select(Farm).where(Farm.organisation_code == organisation_code).order_by(Farm.name)).all()


def list_farms(
    session: Session,
    *,
    farm_type: str | None,
    county_code: str | None,
    with_account: bool | None,
    organisation_code: str | None,
    offset: int,
    limit: int,
    order: str = "county",
    descending: bool = False,
    q: str | None = None,
) -> tuple[Sequence[Farm], int]:
    query = select(Farm)
    if q:
        query = query.where(
            or_(Farm.name.contains(q, autoescape=True), Farm.uscc.startswith(q.upper(), autoescape=True))
        )
    if farm_type:
        query = query.where(Farm.farm_type == farm_type)
    if county_code:
        query = query.where(Farm.county_code == county_code)
    if with_account is not None:
        query = query.where(Farm.account_opened_at.is_not(None) if with_account else Farm.account_opened_at.is_(None))
    if organisation_code:
        query = query.where(Farm.organisation_code == organisation_code)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    columns: dict[str, Any] = {
        "county": Farm.county_code,
        "name": Farm.name,
        "type": Farm.farm_type,
        "account": Farm.account_opened_at,
        "registered": Farm.registered_at,
    }
    column = columns.get(order, Farm.county_code)
    ordered = query.order_by(column.desc() if descending else column.asc(), Farm.name, Farm.id)
    rows = session.scalars(ordered.offset(offset).limit(limit)).all()
    return rows, total


def coverage_counts(session: Session) -> list[tuple[str, str, int, int]]:
    """(farm_type, county_code, registered, with_account) for every group on the register."""
    rows = session.execute(
        select(
            Farm.farm_type,
            Farm.county_code,
            func.count(),
            func.count(Farm.account_opened_at),
        )
        .group_by(Farm.farm_type, Farm.county_code)
        .order_by(Farm.farm_type, Farm.county_code)
    ).all()
    return [(str(t), str(c), int(n), int(a)) for t, c, n, a in rows]


def current_baseline(session: Session, farm_id: str, year: int) -> Baseline | None:
    return session.scalar(
        select(Baseline).where(Baseline.farm_id == farm_id, Baseline.year == year, Baseline.is_current.is_(True))
    )


def current_baselines(session: Session, farm_id: str) -> Sequence[Baseline]:
    return session.scalars(
        select(Baseline)
        .where(Baseline.farm_id == farm_id, Baseline.is_current.is_(True))
        .order_by(Baseline.year.desc())
    ).all()


def current_records(session: Session, farm_id: str, year: int | None = None) -> Sequence[PracticeRecord]:
    query = select(PracticeRecord).where(PracticeRecord.farm_id == farm_id, PracticeRecord.is_current.is_(True))
    if year is not None:
        query = query.where(PracticeRecord.year == year)
    return session.scalars(
        query.order_by(PracticeRecord.year.desc(), PracticeRecord.season, PracticeRecord.practice, PracticeRecord.id)
    ).all()


def next_versions(session: Session, farm_id: str, year: int) -> tuple[int, int]:
    """The next version numbers of the farm-year's baseline and records."""
    baseline = session.scalar(
        select(func.max(Baseline.version)).where(Baseline.farm_id == farm_id, Baseline.year == year)
    )
    records = session.scalar(
        select(func.max(PracticeRecord.version)).where(PracticeRecord.farm_id == farm_id, PracticeRecord.year == year)
    )
    return (baseline or 0) + 1, (records or 0) + 1


def current_qualities(session: Session, farm_id: str, year: int, *, baseline: bool) -> set[str]:
    """The data qualities of the farm-year's current records (and baseline, if asked)."""
    found = set(
        session.scalars(
            select(PracticeRecord.data_quality)
            .where(PracticeRecord.farm_id == farm_id, PracticeRecord.year == year, PracticeRecord.is_current.is_(True))
            .distinct()
        )
    )
    if baseline:
        found |= set(
            session.scalars(
                select(Baseline.data_quality)
                .where(Baseline.farm_id == farm_id, Baseline.year == year, Baseline.is_current.is_(True))
                .distinct()
            )
        )
    return found


def retire_records(session: Session, farm_id: str, year: int, *, baseline: bool) -> int:
    """Mark the farm-year's current records (and baseline, if asked) as not current; the count retired."""
    result = session.execute(
        update(PracticeRecord)
        .where(PracticeRecord.farm_id == farm_id, PracticeRecord.year == year, PracticeRecord.is_current.is_(True))
        .values(is_current=False)
    )
    count = int(getattr(result, "rowcount", 0) or 0)
    if baseline:
        result = session.execute(
            update(Baseline)
            .where(Baseline.farm_id == farm_id, Baseline.year == year, Baseline.is_current.is_(True))
            .values(is_current=False)
        )
        count += int(getattr(result, "rowcount", 0) or 0)
    return count


def hold_rows(session: Session, farm_id: str, year: int, import_id: str) -> None:
    """Keep a held submission's rows out of the account (stored, not current)."""
    for table in (Baseline, PracticeRecord):
        session.execute(
            update(table)
            .where(table.farm_id == farm_id, table.year == year, table.import_id == import_id)
            .values(is_current=False)
        )


def make_current(session: Session, farm_id: str, year: int, import_id: str) -> None:
    """Make a submission's rows the farm-year's current figures (a regulator accepted them)."""
    for table in (Baseline, PracticeRecord):
        session.execute(
            update(table)
            .where(table.farm_id == farm_id, table.year == year, table.import_id == import_id)
            .values(is_current=True)
        )


def supersede_conflicts(session: Session, farm_id: str, year: int) -> None:
    """Open conflicts of a farm-year that a submission of at least the stored authority answers."""
    session.execute(
        update(FarmConflict)
        .where(FarmConflict.farm_id == farm_id, FarmConflict.year == year, FarmConflict.status == "open")
        .values(status="superseded")
    )


def conflicts(
    session: Session,
    *,
    organisation_code: str | None = None,
    farm_id: str | None = None,
    status: str | None,
    limit: int = 500,
) -> Sequence[tuple[FarmConflict, Farm]]:
    """Held submissions with their farm, newest first; of one organisation's farms, of one farm, or all."""
    query = select(FarmConflict, Farm).join(Farm, Farm.id == FarmConflict.farm_id)
    if organisation_code is not None:
        query = query.where(Farm.organisation_code == organisation_code)
    if farm_id is not None:
        query = query.where(FarmConflict.farm_id == farm_id)
    if status is not None:
        query = query.where(FarmConflict.status == status)
    rows = session.execute(query.order_by(FarmConflict.submitted_at.desc(), FarmConflict.id).limit(limit))
    return [(c, f) for c, f in rows]


def conflict(session: Session, conflict_id: str) -> FarmConflict | None:
    return session.get(FarmConflict, conflict_id, with_for_update=True)


def insert_records(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(PracticeRecord), rows)


def insert_baselines(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(Baseline), rows)


def assessment(session: Session, farm_id: str, year: int, methodology_version: str) -> Assessment | None:
    return session.scalar(
        select(Assessment).where(
            Assessment.farm_id == farm_id,
            Assessment.year == year,
            Assessment.methodology_version == methodology_version,
        )
    )


def assessments_of(session: Session, farm_id: str, methodology_version: str | None = None) -> Sequence[Assessment]:
    query = select(Assessment).where(Assessment.farm_id == farm_id)
    if methodology_version:
        query = query.where(Assessment.methodology_version == methodology_version)
    return session.scalars(query.order_by(Assessment.year.desc(), Assessment.computed_at.desc())).all()


def peer_position(
    session: Session, *, farm_type: str, year: int, methodology_version: str, intensity_g: int
) -> tuple[int, int]:
    """(rank, peers): 1 + farms of the type with a higher intensity that year, and all of them."""
    base = select(func.count()).where(
        Assessment.farm_type == farm_type,
        Assessment.year == year,
        Assessment.methodology_version == methodology_version,
    )
    peers = session.scalar(base.select_from(Assessment)) or 0
    better = session.scalar(base.select_from(Assessment).where(Assessment.intensity_g > intensity_g)) or 0
    return better + 1, peers


def first_farm_with_account(session: Session, *, farm_type: str) -> Farm | None:
    """The farm of a type with an account and a USCC that sorts first by USCC (the demo's showcase)."""
    return session.scalar(
        select(Farm)
        .where(Farm.farm_type == farm_type, Farm.account_opened_at.is_not(None), Farm.uscc.is_not(None))
        .order_by(Farm.uscc)
        .limit(1)
    )
