"""Queries of carbon-linked finance."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from greenfin.finance.models import Report, SigningKey


def report_by_id(session: Session, report_id: str) -> Report | None:
    return session.get(Report, report_id)


def reports(session: Session, *, bank_code: str | None = None, borrower_code: str | None = None) -> Sequence[Report]:
    query = select(Report)
    if bank_code is not None:
        query = query.where(Report.bank_code == bank_code)
    if borrower_code is not None:
        query = query.where(Report.borrower_code == borrower_code)
    return session.scalars(query.order_by(Report.issued_at.desc()).limit(500)).all()


def signing_key(session: Session, key_id: str) -> SigningKey | None:
    return session.get(SigningKey, key_id)


def signing_keys(session: Session) -> list[SigningKey]:
    """Every registered signing key, oldest first (the published key list)."""
    return list(session.scalars(select(SigningKey).order_by(SigningKey.valid_from, SigningKey.key_id)))


def retire_signing_keys(session: Session, now: datetime) -> None:
    """End the validity of the key(s) in use (a newer key is being registered)."""
    session.execute(update(SigningKey).where(SigningKey.valid_to.is_(None)).values(valid_to=now))
