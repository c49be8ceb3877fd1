"""Queries of the statistics domain: the registered green-finance divisions and pilot banks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from greenfin.stats.models import GreenFinanceDivision, PilotBank


def division_by_id(session: Session, division_id: str) -> GreenFinanceDivision | None:
    return session.get(GreenFinanceDivision, division_id)


def division_by_name(session: Session, bank_code: str, name: str) -> GreenFinanceDivision | None:
    return session.scalar(
        select(GreenFinanceDivision).where(
            GreenFinanceDivision.bank_code == bank_code, GreenFinanceDivision.name == name
        )
    )


def pilot_designation(session: Session, bank_code: str, designated_on: date) -> PilotBank | None:
    return session.scalar(
        select(PilotBank).where(PilotBank.bank_code == bank_code, PilotBank.designated_on == designated_on)
    )


def divisions_open_on(session: Session, as_of: date) -> Sequence[GreenFinanceDivision]:
    """Divisions established on or before ``as_of`` and not closed by then, by bank and name."""
    return session.scalars(
        select(GreenFinanceDivision)
        .where(
            GreenFinanceDivision.established_on <= as_of,
            or_(GreenFinanceDivision.closed_on.is_(None), GreenFinanceDivision.closed_on > as_of),
        )
        .order_by(GreenFinanceDivision.bank_code, GreenFinanceDivision.name)
    ).all()


def pilot_banks_on(session: Session, as_of: date) -> Sequence[PilotBank]:
    """Designations in force on ``as_of``, by bank."""
    return session.scalars(
        select(PilotBank)
        .where(PilotBank.designated_on <= as_of, or_(PilotBank.ended_on.is_(None), PilotBank.ended_on > as_of))
        .order_by(PilotBank.bank_code, PilotBank.designated_on)
    ).all()
