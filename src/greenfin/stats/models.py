"""Registered facts of the region's green-finance reform: green-finance divisions and pilot banks.

The seed counts them (36 green-finance divisions, 28 pilot banks in Quzhou, 2023): they are
facts a regulator registers, not figures derived from loans. A **green-finance division**
is a bank's dedicated unit for green finance — a 绿色金融事业部 at a bank's head or branch
office, a 绿色专营机构 or a 绿色支行 — open from ``established_on`` until ``closed_on``. A
**pilot bank** is a bank designated a green-finance reform pilot (绿色金融改革创新试点银行) by
a document, from ``designated_on`` until ``ended_on``. Counting them on a day counts those
open on that day. Banks are referred to by their organisation code (``auth``).

A **disclosure text** is one version of one section a bank writes of its annual
environmental-information disclosure (JR/T 0227—2021): versions are appended, never changed;
the report shows the latest of each section beside the figures greenfin fills in.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from greenfin.db import Base, new_id, utcnow

DIVISION_KINDS = ("division", "specialised_branch", "green_branch")


class GreenFinanceDivision(Base):
    __tablename__ = "stats_green_division"
    __table_args__ = (UniqueConstraint("bank_code", "name"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    bank_code: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    county_code: Mapped[str | None] = mapped_column(String(6))
    established_on: Mapped[date]
    closed_on: Mapped[date | None]
    source: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PilotBank(Base):
    __tablename__ = "stats_pilot_bank"
    __table_args__ = (UniqueConstraint("bank_code", "designated_on"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    bank_code: Mapped[str] = mapped_column(String(40), index=True)
    designated_on: Mapped[date]
    ended_on: Mapped[date | None]
    document: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DisclosureText(Base):
    """One version of a bank-written section of its yearly disclosure (append-only)."""

    __tablename__ = "stats_disclosure_text"
    __table_args__ = (UniqueConstraint("bank_code", "year", "section", "version"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    bank_code: Mapped[str] = mapped_column(String(40), index=True)
    year: Mapped[int] = mapped_column(Integer)
    section: Mapped[str] = mapped_column(String(40), doc="a section key of the disclosure guide")
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    written_by: Mapped[str] = mapped_column(String(120))
    written_at: Mapped[datetime] = mapped_column(default=utcnow)
