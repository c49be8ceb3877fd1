"""The Two Mountains Bank's registry: ecological assets, their certificates, documents and valuations.

An **asset** is an ecological resource of a village collective or a farmer — an orchard
with its crop, a forest right, a tea garden, a water right, an idle farmhouse, collective
construction land, a land contract right or a carbon sink — located by county, township
and village code, measured in thousandths of a 亩, held for a term. A farmer is known only
by the keyed hash of the ID number (and a masked display). Each **certificate** number is
registered once across the whole registry (a unique constraint, so two concurrent
registrations cannot both win). **Documents** are stored files with their SHA-256.
A **valuation** keeps the method, its inputs and parameters, the methods version, the
valuer and the date; the asset carries its latest appraised value for the lists.

An **operator** is an organisation acting as the ecological bank of a county (常山两山银行):
its staff register and value that county's assets.

A **pledge** secures a loan of the loan book (by id) with an asset or its income right:
one active pledge per asset (a partial unique index), each backed by the owner's signed
consent — a document of the asset of kind ``pledge_consent``, used by one pledge only.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from greenfin.db import Base, new_id, utcnow


def one_active_per_asset(name: str) -> Index:
    """A partial unique index: at most one row of an asset with ``status = 'active'`` (also under concurrency)."""
    active = text("status = 'active'")
    return Index(name, "asset_id", unique=True, sqlite_where=active, postgresql_where=active)


class Operator(Base):
    """An organisation acting as a county's ecological bank (两山银行 / 两山合作社)."""

    __tablename__ = "ecobank_operator"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    organisation_code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    county_code: Mapped[str] = mapped_column(String(6))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Asset(Base):
    __tablename__ = "ecobank_asset"
    __table_args__ = (
        # The registry lists newest first, filtered by county, kind or both: one index per shape
        # (the order's columns last, so a page is an index range and a count a covering scan).
        Index("ix_ecobank_asset_registered", "registered_at", "id"),
        Index("ix_ecobank_asset_county_registered", "county_code", "registered_at", "id"),
        Index("ix_ecobank_asset_kind_registered", "kind", "registered_at", "id"),
        Index("ix_ecobank_asset_county_kind", "county_code", "kind", "registered_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    crop: Mapped[str | None] = mapped_column(String(60))
    owner_kind: Mapped[str] = mapped_column(String(12))  # collective | farmer
    owner_code: Mapped[str | None] = mapped_column(String(40), index=True, doc="a village collective's code")
    owner_id_hash: Mapped[str | None] = mapped_column(String(64), index=True, doc="HMAC-SHA256 of a farmer's ID")
    owner_display: Mapped[str] = mapped_column(String(200), doc="collective name, or masked name and ID")
    county_code: Mapped[str] = mapped_column(String(6))
    township_code: Mapped[str] = mapped_column(String(9))
    village_code: Mapped[str] = mapped_column(String(12))
    area_milli_mu: Mapped[int] = mapped_column(BigInteger)
    certificate: Mapped[str] = mapped_column(String(60), doc="the first certificate number, for the lists")
    right_start: Mapped[date | None]
    right_end: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(20), default="registered")
    note: Mapped[str] = mapped_column(Text, default="")
    value_fen: Mapped[int | None] = mapped_column(BigInteger, doc="latest appraised value (money methods)")
    valued_on: Mapped[date | None]
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)
    registered_by: Mapped[str] = mapped_column(String(120))


class Certificate(Base):
    """A right's certificate number (林权证, 不动产权证 …): one asset per number, ever."""

    __tablename__ = "ecobank_certificate"

    number: Mapped[str] = mapped_column(String(60), primary_key=True)
    asset_id: Mapped[str] = mapped_column(ForeignKey("ecobank_asset.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)


class Document(Base):
    """A stored file of an asset (certificate scan, contract, survey) with its SHA-256."""

    __tablename__ = "ecobank_document"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    asset_id: Mapped[str] = mapped_column(ForeignKey("ecobank_asset.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(
        String(20),
        default="other",
        server_default="other",
        doc="certificate | contract | survey | pledge_consent | other",
    )
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    uploaded_by: Mapped[str] = mapped_column(String(120))


class Valuation(Base):
    """One appraisal of an asset: method, inputs, parameters, version, valuer, date and value."""

    __tablename__ = "ecobank_valuation"
    __table_args__ = (Index("ix_ecobank_valuation_asset", "asset_id", "valued_on"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    asset_id: Mapped[str] = mapped_column(ForeignKey("ecobank_asset.id"))
    method: Mapped[str] = mapped_column(String(10))
    method_version: Mapped[str] = mapped_column(String(10))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    formula: Mapped[str] = mapped_column(String(200))
    value_fen: Mapped[int] = mapped_column(BigInteger)
    per_year: Mapped[bool] = mapped_column(default=False, doc="GEP: a yearly flow, not a capital value")
    confidence: Mapped[str] = mapped_column(String(1))
    valuer: Mapped[str] = mapped_column(String(120))
    valued_on: Mapped[date]
    recorded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Deposit(Base):
    """An asset's use right deposited with the ecological bank (存入) for a term, for rent or dividends.

    At most one deposit of an asset is active at a time (a partial unique index, so two
    concurrent deposits cannot both win).
    """

    __tablename__ = "ecobank_deposit"
    __table_args__ = (one_active_per_asset("uq_ecobank_deposit_active_asset"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    asset_id: Mapped[str] = mapped_column(ForeignKey("ecobank_asset.id"), index=True)
    operator_code: Mapped[str] = mapped_column(String(40), doc="the ecological bank holding the deposit")
    start_on: Mapped[date]
    end_on: Mapped[date]
    income_kind: Mapped[str] = mapped_column(String(10))  # rent | dividend
    rent_fen_per_year: Mapped[int | None] = mapped_column(BigInteger, doc="agreed yearly rent (rent deposits)")
    status: Mapped[str] = mapped_column(String(10), default="active")  # active | ended
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))


class Payment(Base):
    """One rent or dividend payment to the depositor: append-only; a correction reverses an entry."""

    __tablename__ = "ecobank_payment"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    deposit_id: Mapped[str] = mapped_column(ForeignKey("ecobank_deposit.id"), index=True)
    paid_on: Mapped[date]
    amount_fen: Mapped[int] = mapped_column(BigInteger, doc="positive; a reversal carries the negative amount")
    period: Mapped[str] = mapped_column(String(20), doc="what the payment is for, e.g. 2026 or 2026-H1")
    reverses_id: Mapped[str | None] = mapped_column(ForeignKey("ecobank_payment.id"), unique=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(120))


class Project(Base):
    """Deposited assets pooled by the ecological bank (a 共富果园), optionally transferred (流转) to an operator.

    Each pooled deposit holds shares; dividends of the project are paid to the deposits in
    proportion, into their payment ledgers.
    """

    __tablename__ = "ecobank_project"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    operator_code: Mapped[str] = mapped_column(String(40), doc="the ecological bank running the project")
    county_code: Mapped[str] = mapped_column(String(6))
    transferee: Mapped[str | None] = mapped_column(String(200), doc="the business the pooled rights are transferred to")
    transfer_price_fen_per_year: Mapped[int | None] = mapped_column(BigInteger)
    transfer_start: Mapped[date | None]
    transfer_end: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))


class ProjectShare(Base):
    """A deposit's shares in a project (trees, 亩 …); a deposit pools into one project."""

    __tablename__ = "ecobank_project_share"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("ecobank_project.id"), index=True)
    deposit_id: Mapped[str] = mapped_column(ForeignKey("ecobank_deposit.id"), unique=True)
    shares: Mapped[int] = mapped_column(BigInteger)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)


class Pledge(Base):
    """An asset (or its income right) pledged (质押) for a loan of the loan book, by the lending bank.

    At most one pledge of an asset is active at a time (a partial unique index, so two
    concurrent pledges cannot both win). The amount is at most the loan-to-value cap of the
    asset's kind on its latest appraisal, under the cap version recorded here. A pledge ends
    released (the loan repaid) or enforced (处置); neither is ever deleted.
    """

    __tablename__ = "ecobank_pledge"
    __table_args__ = (one_active_per_asset("uq_ecobank_pledge_active_asset"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    asset_id: Mapped[str] = mapped_column(ForeignKey("ecobank_asset.id"), index=True)
    loan_id: Mapped[str] = mapped_column(String(32), index=True, doc="a loan of the loan book (market)")
    bank_code: Mapped[str] = mapped_column(String(40), index=True, doc="the lending bank")
    pledged_right: Mapped[str] = mapped_column(String(10), doc="asset | income: the right itself or its income")
    amount_fen: Mapped[int] = mapped_column(BigInteger, doc="the amount the pledge secures")
    max_loan_fen: Mapped[int] = mapped_column(BigInteger, doc="the cap it was checked against")
    ltv_policy_version: Mapped[str] = mapped_column(String(20))
    consent_document_id: Mapped[str | None] = mapped_column(
        ForeignKey("ecobank_document.id"), unique=True, doc="the owner's signed consent (质押同意书), one pledge each"
    )
    status: Mapped[str] = mapped_column(String(10), default="active")  # active | released | enforced
    pledged_at: Mapped[datetime] = mapped_column(default=utcnow)
    pledged_by: Mapped[str] = mapped_column(String(120))
    ended_at: Mapped[datetime | None]
    ended_by: Mapped[str | None] = mapped_column(String(120))
    note: Mapped[str] = mapped_column(String(500), default="")
