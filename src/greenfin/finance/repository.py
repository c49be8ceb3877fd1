"""Queries of carbon-linked finance."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from greenfin.finance.models import Report


def report_by_id(session: Session, report_id: str) -> Report | None:
    return session.get(Report, report_id)


def reports(session: Session, *, bank_code: str | None = None, borrower_code: str | None = None) -> Sequence[Report]:
    query = select(Report)
    if bank_code is not None:
        query = query.where(Report.bank_code == bank_code)
    if borrower_code is not None:
        query = query.where(Report.borrower_code == borrower_code)
    return session.scalars(query.order_by(Report.issued_at.desc()).limit(500)).all()
