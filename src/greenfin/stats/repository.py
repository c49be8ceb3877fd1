"""Queries of the statistics domain: registered divisions and pilot banks, the banks' disclosure texts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from greenfin.stats.models import DisclosureText, GreenFinanceDivision, PilotBank


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


def disclosure_texts(session: Session, bank_code: str, year: int) -> Sequence[DisclosureText]:
    """Every version of every section of a bank's disclosure of a year, newest version first."""
    query = (
        select(DisclosureText)
        .where(DisclosureText.bank_code == bank_code, DisclosureText.year == year)
        .order_by(DisclosureText.section, DisclosureText.version.desc())
    )
    return session.scalars(query).all()


def last_disclosure_version(session: Session, bank_code: str, year: int, section: str) -> int:
    query = select(func.max(DisclosureText.version)).where(
        DisclosureText.bank_code == bank_code, DisclosureText.year == year, DisclosureText.section == section
    )
    return int(session.scalar(query) or 0)
