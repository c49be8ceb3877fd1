"""Tables of the industrial carbon account (工业碳账户).

An **enterprise** (identified by its unified social credit code) reports, per month, the
energy it consumed (**energy records**), per year its **process emissions** (non-energy
CO2, e.g. clinker calcination) and its **annual figures** (output value, added value, tax,
main-product output). Every import is an **import batch**; re-importing an **item** (an
energy of an enterprise-month, a process source or the annual figures of an enterprise-year)
writes a new version and marks the item's previous row ``is_current = False`` — history is
kept, never overwritten. An import replaces only the items it names.

**Provenance and authority.** Every row carries its data quality — ``declared`` (the
enterprise about itself) < ``metered`` (a utility's or monitoring system's meters) <
``audited`` (checked by a verifier, entered by the regulator) — and its import (who, for which
organisation, when). A row of lower authority never replaces the current row of an item: it
is stored beside it, not current, with ``conflict = 'open'`` when its figure differs, until a
regulator accepts it (``'accepted'``: current, and from then on of audited weight) or rejects
it (``'rejected'``). A newer row of at least the same authority closes an older open conflict
(``'superseded'``). See ``docs/security.md``.

A **label** is the graded result for one enterprise and year under one methodology and
factor-set version, with every figure that produced it; a **label run** is one row per
batch (year and versions) with the counts, so that pages and the trend read
one row instead of scanning the labels.

Storage units are exact integers, the unit in the name: quantities in thousandths of the
energy's canonical unit (kg, Nm3, kWh, MJ — see ``greenfin.carbon.units``), CO2 in grams,
standard coal in grams of coal equivalent, money in fen, intensities in grams of CO2 per
10,000 yuan (or per product unit), ratios in thousandths, changes in basis points.

Fact tables (energy records, labels) use integer keys and are keyed by ``enterprise_id``
so that they can be partitioned by year and distributed by enterprise (Citus).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from greenfin.db import Base, new_id, utcnow


class Enterprise(Base):
    __tablename__ = "industry_enterprise"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    industry_code: Mapped[str] = mapped_column(String(4), index=True)  # GB/T 4754-2017 class (4 digits)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ImportBatch(Base):
    """One accepted file or API upload: what came in, from whom, and a checksum."""

    __tablename__ = "industry_import"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(20))  # energy | process | annual | enterprises
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int]
    imported_by: Mapped[str] = mapped_column(String(120))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    organisation_code: Mapped[str | None] = mapped_column(
        String(40), doc="the organisation the importer acted for (a data source's code); None for staff"
    )
    role: Mapped[str | None] = mapped_column(String(20), doc="the importer's role: enterprise, data_source, regulator…")


class EnergyRecord(Base):
    """Energy one enterprise consumed in one month, in one version."""

    __tablename__ = "industry_energy_record"
    __audit__ = False  # written in bulk; the import batch is audited
    __table_args__ = (
        Index("ix_industry_energy_record_current", "enterprise_id", "year", "is_current"),
        Index("ix_industry_energy_record_year", "year", "is_current"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("industry_enterprise.id"))
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    energy: Mapped[str] = mapped_column(String(30))
    quantity_milli: Mapped[int] = mapped_column(BigInteger, doc="thousandths of the canonical unit")
    quantity_entered: Mapped[str] = mapped_column(String(40), doc="the quantity as the source gave it")
    unit_entered: Mapped[str] = mapped_column(String(20))
    data_quality: Mapped[str] = mapped_column(String(10))
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_current: Mapped[bool] = mapped_column(default=True)
    import_id: Mapped[str | None] = mapped_column(ForeignKey("industry_import.id"))
    conflict: Mapped[str | None] = mapped_column(
        String(10), doc="open | accepted | rejected | superseded: a lower-authority row kept beside the current one"
    )


class ProcessEmission(Base):
    """Non-energy (process) CO2 of one enterprise in one year, in one version."""

    __tablename__ = "industry_process_emission"
    __audit__ = False
    __table_args__ = (Index("ix_industry_process_emission_current", "enterprise_id", "year", "is_current"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("industry_enterprise.id"))
    year: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(60))  # e.g. clinker_calcination, hfc_byproduct
    co2_g: Mapped[int] = mapped_column(BigInteger)
    data_quality: Mapped[str] = mapped_column(String(10))
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_current: Mapped[bool] = mapped_column(default=True)
    import_id: Mapped[str | None] = mapped_column(ForeignKey("industry_import.id"))
    conflict: Mapped[str | None] = mapped_column(
        String(10), doc="open | accepted | rejected | superseded: a lower-authority row kept beside the current one"
    )


class AnnualFigures(Base):
    """Output value, added value, tax and main-product output of one enterprise-year."""

    __tablename__ = "industry_annual_figures"
    __audit__ = False
    __table_args__ = (Index("ix_industry_annual_figures_current", "enterprise_id", "year", "is_current"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("industry_enterprise.id"))
    year: Mapped[int] = mapped_column(Integer)
    output_value_fen: Mapped[int] = mapped_column(BigInteger)
    added_value_fen: Mapped[int] = mapped_column(BigInteger)
    tax_fen: Mapped[int] = mapped_column(BigInteger)
    product_output_milli: Mapped[int] = mapped_column(BigInteger, doc="thousandths of product_unit")
    product_unit: Mapped[str] = mapped_column(String(20))
    data_quality: Mapped[str] = mapped_column(
        String(10), default="declared", server_default="declared", doc="from the importer's role (no file column)"
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_current: Mapped[bool] = mapped_column(default=True)
    import_id: Mapped[str | None] = mapped_column(ForeignKey("industry_import.id"))
    conflict: Mapped[str | None] = mapped_column(
        String(10), doc="open | accepted | rejected | superseded: a lower-authority row kept beside the current one"
    )


class Label(Base):
    """The graded result of one enterprise-year, with every figure that produced it."""

    __tablename__ = "industry_label"
    __audit__ = False  # written by the batch; the batch run is audited
    __table_args__ = (
        UniqueConstraint("enterprise_id", "year", "methodology_version", "factor_set_version"),
        Index("ix_industry_label_year", "year", "methodology_version"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("industry_enterprise.id"))
    year: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(12))
    methodology_version: Mapped[str] = mapped_column(String(40))
    factor_set_version: Mapped[str] = mapped_column(String(40))
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    energy_co2_g: Mapped[int] = mapped_column(BigInteger)
    process_co2_g: Mapped[int] = mapped_column(BigInteger)
    energy_ce_g: Mapped[int] = mapped_column(BigInteger, doc="standard coal, grams of coal equivalent")
    output_value_fen: Mapped[int] = mapped_column(BigInteger)
    added_value_fen: Mapped[int] = mapped_column(BigInteger)
    tax_fen: Mapped[int] = mapped_column(BigInteger)
    intensity_output_g_per_wan: Mapped[int | None] = mapped_column(BigInteger)
    intensity_added_g_per_wan: Mapped[int | None] = mapped_column(BigInteger)
    intensity_tax_g_per_wan: Mapped[int | None] = mapped_column(BigInteger)
    intensity_product_g_per_unit: Mapped[int | None] = mapped_column(BigInteger)
    peer_group: Mapped[str] = mapped_column(String(10), doc="industry code prefix the peers share")
    peer_count: Mapped[int] = mapped_column(Integer)
    previous_intensity_g_per_wan: Mapped[int | None] = mapped_column(
        BigInteger, doc="intensity on the methodology's basis in the previous year (vertical comparison)"
    )
    benchmark_g_per_wan: Mapped[int | None] = mapped_column(BigInteger)
    benchmark_source: Mapped[str] = mapped_column(String(120))
    k_ratio_milli: Mapped[int | None] = mapped_column(Integer, doc="intensity ÷ benchmark, in thousandths")
    yoy_change_bp: Mapped[int | None] = mapped_column(Integer, doc="intensity change on the previous year, bp")
    region_contribution_bp: Mapped[int | None] = mapped_column(Integer, doc="share of the region's reduction, bp")


class LabelRun(Base):
    """One labelling batch of a year under one methodology and factor set: when, and the counts.

    Written once per batch (a re-run of the same year and versions replaces it), so that
    "the latest run of a year", the landing page and the overview's trend read single rows.
    """

    __tablename__ = "industry_label_run"
    __audit__ = False  # the batch is audited once by the labelling service
    __table_args__ = (
        UniqueConstraint("year", "methodology_version", "factor_set_version"),
        Index("ix_industry_label_run_latest", "year", "computed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    year: Mapped[int] = mapped_column(Integer)
    methodology_version: Mapped[str] = mapped_column(String(40))
    factor_set_version: Mapped[str] = mapped_column(String(40))
    computed_at: Mapped[datetime]
    enterprises: Mapped[int] = mapped_column(Integer)
    dark_green: Mapped[int] = mapped_column(Integer)
    light_green: Mapped[int] = mapped_column(Integer)
    yellow: Mapped[int] = mapped_column(Integer)
    red: Mapped[int] = mapped_column(Integer)
    total_co2_g: Mapped[int] = mapped_column(BigInteger, doc="total CO2 of the labelled enterprises, grams")
