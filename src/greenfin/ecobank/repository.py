"""Every query of the Two Mountains Bank's registry."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from greenfin.ecobank.models import (
    Asset,
    Certificate,
    Deposit,
    Document,
    Operator,
    Payment,
    Pledge,
    Project,
    ProjectShare,
    Valuation,
)

Q = TypeVar("Q", bound=Any)


@dataclass(frozen=True, slots=True)
class AssetFilter:
    """Which assets a list shows: by place and kind, and the owner scope of the principal."""

    county_code: str | None = None
    kind: str | None = None
    owner_code: str | None = None
    owner_id_hash: str | None = None
    village_code: str | None = None
    pledged_to: str | None = None  # a bank: the assets it holds (or held) a pledge on


def operator_by_code(session: Session, organisation_code: str) -> Operator | None:
    return session.scalar(select(Operator).where(Operator.organisation_code == organisation_code))


def operators(session: Session) -> Sequence[Operator]:
    return session.scalars(select(Operator).order_by(Operator.county_code, Operator.organisation_code)).all()


def asset_by_id(session: Session, asset_id: str) -> Asset | None:
    return session.get(Asset, asset_id)


def taken_certificates(session: Session, numbers: Sequence[str]) -> list[str]:
    """The numbers of ``numbers`` some asset holds already."""
    return list(session.scalars(select(Certificate.number).where(Certificate.number.in_(numbers))))


def certificates_of(session: Session, asset_id: str) -> list[str]:
    query = select(Certificate.number).where(Certificate.asset_id == asset_id).order_by(Certificate.position)
    return list(session.scalars(query))


def _filtered(query: Select[Q], where: AssetFilter) -> Select[Q]:
    if where.county_code:
        query = query.where(Asset.county_code == where.county_code)
    if where.kind:
        query = query.where(Asset.kind == where.kind)
    if where.village_code:
        query = query.where(Asset.village_code == where.village_code)
    if where.pledged_to is not None:
        query = query.where(Asset.id.in_(select(Pledge.asset_id).where(Pledge.bank_code == where.pledged_to)))
    if where.owner_code is not None or where.owner_id_hash is not None:
        query = query.where((Asset.owner_code == where.owner_code) | (Asset.owner_id_hash == where.owner_id_hash))
    return query


def list_assets(session: Session, where: AssetFilter, *, offset: int, limit: int) -> tuple[Sequence[Asset], int]:
    """One page of assets, newest first, and the total matching."""
    query = _filtered(select(Asset), where).order_by(Asset.registered_at.desc(), Asset.id.desc())
    total = session.scalar(_filtered(select(func.count()).select_from(Asset), where)) or 0
    return session.scalars(query.offset(offset).limit(limit)).all(), total


def iter_assets(session: Session, where: AssetFilter) -> Iterator[Asset]:
    """Every matching asset, oldest first, streamed in batches (exports)."""
    query = _filtered(select(Asset), where).order_by(Asset.registered_at, Asset.id)
    yield from session.scalars(query.execution_options(yield_per=1000))


def documents_of(session: Session, asset_id: str) -> Sequence[Document]:
    query = select(Document).where(Document.asset_id == asset_id).order_by(Document.uploaded_at)
    return session.scalars(query).all()


def document(session: Session, document_id: str) -> Document | None:
    return session.get(Document, document_id)


def valuations_of(session: Session, asset_id: str) -> Sequence[Valuation]:
    query = (
        select(Valuation)
        .where(Valuation.asset_id == asset_id)
        .order_by(Valuation.valued_on.desc(), Valuation.created_at.desc())
    )
    return session.scalars(query).all()


def operator_counties(session: Session) -> list[str]:
    return list(session.scalars(select(Operator.county_code).distinct()))


def deposit(session: Session, deposit_id: str) -> Deposit | None:
    return session.get(Deposit, deposit_id)


def active_deposit(session: Session, asset_id: str) -> Deposit | None:
    return session.scalar(select(Deposit).where(Deposit.asset_id == asset_id, Deposit.status == "active"))


def deposits_of(session: Session, asset_id: str) -> Sequence[Deposit]:
    return session.scalars(select(Deposit).where(Deposit.asset_id == asset_id).order_by(Deposit.start_on.desc())).all()


def paid_fen(session: Session, deposit_ids: Sequence[str]) -> dict[str, int]:
    """Sum of each deposit's payment ledger (reversals included)."""
    query = (
        select(Payment.deposit_id, func.sum(Payment.amount_fen))
        .where(Payment.deposit_id.in_(deposit_ids))
        .group_by(Payment.deposit_id)
    )
    return {deposit_id: int(total or 0) for deposit_id, total in session.execute(query)}


def payment(session: Session, payment_id: str) -> Payment | None:
    return session.get(Payment, payment_id)


def reversal_of(session: Session, payment_id: str) -> Payment | None:
    return session.scalar(select(Payment).where(Payment.reverses_id == payment_id))


def payments_of(session: Session, deposit_id: str) -> Sequence[Payment]:
    query = select(Payment).where(Payment.deposit_id == deposit_id).order_by(Payment.paid_on, Payment.recorded_at)
    return session.scalars(query).all()


def project(session: Session, project_id: str) -> Project | None:
    return session.get(Project, project_id)


def share_of_deposit(session: Session, deposit_id: str) -> ProjectShare | None:
    return session.scalar(select(ProjectShare).where(ProjectShare.deposit_id == deposit_id))


def project_holders(session: Session, project_id: str) -> list[tuple[ProjectShare, Deposit, Asset]]:
    """The project's shares with their deposits and assets, in the order they joined."""
    query = (
        select(ProjectShare, Deposit, Asset)
        .join(Deposit, Deposit.id == ProjectShare.deposit_id)
        .join(Asset, Asset.id == Deposit.asset_id)
        .where(ProjectShare.project_id == project_id)
        .order_by(ProjectShare.joined_at, ProjectShare.id)
    )
    return [(share, deposit, asset) for share, deposit, asset in session.execute(query)]


def active_pledge(session: Session, asset_id: str) -> Pledge | None:
    return session.scalar(select(Pledge).where(Pledge.asset_id == asset_id, Pledge.status == "active"))


def pledge_by_consent(session: Session, document_id: str) -> Pledge | None:
    return session.scalar(select(Pledge).where(Pledge.consent_document_id == document_id))


def pledge(session: Session, pledge_id: str, *, lock: bool = False) -> Pledge | None:
    return session.get(Pledge, pledge_id, with_for_update=lock)


def pledges(session: Session, *, asset_id: str | None = None, bank_code: str | None = None) -> Sequence[Pledge]:
    """Pledges, newest first, of one asset or of one bank."""
    query = select(Pledge)
    if asset_id is not None:
        query = query.where(Pledge.asset_id == asset_id)
    if bank_code is not None:
        query = query.where(Pledge.bank_code == bank_code)
    return session.scalars(query.order_by(Pledge.pledged_at.desc(), Pledge.id).limit(1000)).all()


# --- the dashboard: set-based sums by county and kind ---------------------------------------------


def _in(county_code: str | None) -> list[Any]:
    """The condition "in this county" (none for the whole region)."""
    return [] if county_code is None else [Asset.county_code == county_code]


def asset_sums(session: Session, county_code: str | None) -> list[tuple[str, str, int, int, int, int]]:
    """(county, kind, assets, area in 0.001 亩, appraised value fen, assets appraised) per county and kind."""
    query = select(
        Asset.county_code,
        Asset.kind,
        func.count(),
        func.coalesce(func.sum(Asset.area_milli_mu), 0),
        func.coalesce(func.sum(Asset.value_fen), 0),
        func.count(Asset.value_fen),
    ).group_by(Asset.county_code, Asset.kind)
    rows = session.execute(query.where(*_in(county_code))).all()
    return [(c, k, int(n), int(a or 0), int(v or 0), int(m)) for c, k, n, a, v, m in rows]


def gep_sums(session: Session, county_code: str | None) -> list[tuple[str, str, int]]:
    """(county, kind, yearly GEP fen) summing each asset's latest GEP valuation."""
    ranked = (
        select(
            Valuation.asset_id,
            Valuation.value_fen,
            func.row_number()
            .over(partition_by=Valuation.asset_id, order_by=(Valuation.valued_on.desc(), Valuation.created_at.desc()))
            .label("rank"),
        )
        .where(Valuation.method == "gep")
        .subquery()
    )
    query = (
        select(Asset.county_code, Asset.kind, func.sum(ranked.c.value_fen))
        .join(ranked, ranked.c.asset_id == Asset.id)
        .where(ranked.c.rank == 1)
        .group_by(Asset.county_code, Asset.kind)
    )
    return [(c, k, int(v or 0)) for c, k, v in session.execute(query.where(*_in(county_code)))]


def deposit_sums(session: Session, county_code: str | None) -> list[tuple[str, str, int, int]]:
    """(county, kind, active deposits, agreed yearly rent fen) per county and kind."""
    query = (
        select(Asset.county_code, Asset.kind, func.count(), func.coalesce(func.sum(Deposit.rent_fen_per_year), 0))
        .join(Asset, Asset.id == Deposit.asset_id)
        .where(Deposit.status == "active")
        .group_by(Asset.county_code, Asset.kind)
    )
    rows = session.execute(query.where(*_in(county_code))).all()
    return [(c, k, int(n), int(r or 0)) for c, k, n, r in rows]


def pledge_sums(session: Session, county_code: str | None) -> list[tuple[str, str, int, int, int]]:
    """(county, kind, active pledges, pledged fen, loans secured) per county and kind."""
    query = (
        select(
            Asset.county_code,
            Asset.kind,
            func.count(),
            func.coalesce(func.sum(Pledge.amount_fen), 0),
            func.count(Pledge.loan_id.distinct()),
        )
        .join(Asset, Asset.id == Pledge.asset_id)
        .where(Pledge.status == "active")
        .group_by(Asset.county_code, Asset.kind)
    )
    return [(c, k, int(n), int(f), int(m)) for c, k, n, f, m in session.execute(query.where(*_in(county_code)))]


def secured_loans(session: Session, county_code: str | None) -> list[str]:
    """The loans (ids in the loan book) that active pledges secure."""
    query = select(Pledge.loan_id).distinct().join(Asset, Asset.id == Pledge.asset_id).where(Pledge.status == "active")
    return list(session.scalars(query.where(*_in(county_code))))


def income_sums(session: Session, county_code: str | None) -> list[tuple[str, str, int, int]]:
    """(county, kind, net fen paid, households paid) per county and kind: the payment ledgers, reversals netted."""
    household = func.coalesce(Asset.owner_id_hash, Asset.owner_code)
    query = (
        select(Asset.county_code, Asset.kind, func.sum(Payment.amount_fen), func.count(household.distinct()))
        .join(Deposit, Deposit.id == Payment.deposit_id)
        .join(Asset, Asset.id == Deposit.asset_id)
        .group_by(Asset.county_code, Asset.kind)
    )
    return [(c, k, int(p or 0), int(h)) for c, k, p, h in session.execute(query.where(*_in(county_code)))]


def households_paid(session: Session, county_code: str | None) -> int:
    """Distinct owners (farmers by keyed ID hash, collectives by code) whose deposits received a payment."""
    household = func.coalesce(Asset.owner_id_hash, Asset.owner_code)
    query = (
        select(func.count(household.distinct()))
        .select_from(Payment)
        .join(Deposit, Deposit.id == Payment.deposit_id)
        .join(Asset, Asset.id == Deposit.asset_id)
    )
    return int(session.scalar(query.where(*_in(county_code))) or 0)


def latest_payments(session: Session, county_code: str | None, limit: int) -> list[tuple[Payment, Asset]]:
    query = (
        select(Payment, Asset)
        .join(Deposit, Deposit.id == Payment.deposit_id)
        .join(Asset, Asset.id == Deposit.asset_id)
        .order_by(Payment.paid_on.desc(), Payment.recorded_at.desc())
        .limit(limit)
    )
    return [(payment, asset) for payment, asset in session.execute(query.where(*_in(county_code)))]


def latest_pledges(session: Session, county_code: str | None, limit: int) -> list[tuple[Pledge, Asset]]:
    query = select(Pledge, Asset).join(Asset, Asset.id == Pledge.asset_id)
    query = query.order_by(Pledge.pledged_at.desc(), Pledge.id).limit(limit)
    return [(pledge, asset) for pledge, asset in session.execute(query.where(*_in(county_code)))]
