"""Tables of the agricultural carbon account (农业碳账户).

A **farm** is on the region's farm register (登记): an organic-fertiliser producer, a pig
farm, a large grain grower or a cooperative, identified by its unified social credit code
or — for a farm run by a person — by the holder's ID number, kept only as a keyed hash and
a masked form (like residents). A registered farm **has an account** once the account is
opened (``account_opened_at``); coverage is the share of registered farms with an account,
per category and county (the paper: 100 % of producers, 10.7 % of pig farms, 20 % of
large grain growers).

A farm with an account reports, per year (and optionally per season), its **baseline**
(chemical N before, herd, area, product) and its **practice records** (organic fertiliser
in place of chemical fertiliser, straw returned, biogas projects). Re-submitting the same
record (same farm, year, season, practice and crop) writes a new version and marks the old
one ``is_current = False`` — history is kept, never overwritten. An **assessment** is the
farm's reduction and label for one year under one methodology version, with every term
that produced it.

Storage units are exact integers with the unit in the name: quantities in thousandths of
the unit (``straw_t_milli`` = kg of straw), reductions in grams of CO2e (``co2e_g``),
intensities in grams of CO2e per unit of denominator.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from greenfin.db import Base, new_id, utcnow

PRACTICES = ("organic_fertiliser_substitution", "straw_return", "biogas_project")
DATA_QUALITY = ("metered", "declared", "audited")


class Farm(Base):
    """One farm on the register; it has an account once ``account_opened_at`` is set."""

    __tablename__ = "agriculture_farm"
    __table_args__ = (Index("ix_agriculture_farm_type_county", "farm_type", "county_code"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    farm_type: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    holder_id_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    holder_id_masked: Mapped[str | None] = mapped_column(String(18))
    county_code: Mapped[str] = mapped_column(String(6))
    township: Mapped[str] = mapped_column(String(100))
    area_mu_milli: Mapped[int | None] = mapped_column(BigInteger, doc="thousandths of a mu")
    herd_heads: Mapped[int | None] = mapped_column(Integer)
    # The tenant acting for the farm: its USCC, or ``farm-<id>`` for a farm held by a person.
    organisation_code: Mapped[str] = mapped_column(String(40), index=True)
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)
    account_opened_at: Mapped[datetime | None]


class Baseline(Base):
    """A farm's situation before its practices, for one year, in one version."""

    __tablename__ = "agriculture_baseline"
    __audit__ = False  # written in batches; each batch is audited once
    __table_args__ = (Index("ix_agriculture_baseline_current", "farm_id", "year", "is_current"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    farm_id: Mapped[str] = mapped_column(ForeignKey("agriculture_farm.id"))
    year: Mapped[int] = mapped_column(Integer)
    chemical_n_kg_milli: Mapped[int | None] = mapped_column(BigInteger, doc="thousandths of kg N (g N)")
    herd_heads: Mapped[int | None] = mapped_column(Integer)
    area_mu_milli: Mapped[int | None] = mapped_column(BigInteger, doc="thousandths of a mu")
    product_t_milli: Mapped[int | None] = mapped_column(BigInteger, doc="thousandths of a tonne (kg)")
    data_quality: Mapped[str] = mapped_column(String(10))
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_current: Mapped[bool] = mapped_column(default=True)
    import_id: Mapped[str | None] = mapped_column(String(32))


class PracticeRecord(Base):
    """One practice of one farm in one year (or season), in one version."""

    __tablename__ = "agriculture_practice_record"
    __audit__ = False  # written in batches; each batch is audited once
    __table_args__ = (Index("ix_agriculture_practice_record_current", "farm_id", "year", "is_current"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    farm_id: Mapped[str] = mapped_column(ForeignKey("agriculture_farm.id"))
    year: Mapped[int] = mapped_column(Integer)
    season: Mapped[str] = mapped_column(String(20), default="", doc="'' for the whole year")
    practice: Mapped[str] = mapped_column(String(40))
    crop: Mapped[str] = mapped_column(String(20), default="")
    # organic fertiliser substitution
    applied_t_milli: Mapped[int | None] = mapped_column(BigInteger)
    n_content_pct_milli: Mapped[int | None] = mapped_column(Integer)
    chemical_n_before_kg_milli: Mapped[int | None] = mapped_column(BigInteger)
    chemical_n_after_kg_milli: Mapped[int | None] = mapped_column(BigInteger)
    # straw returned
    straw_t_milli: Mapped[int | None] = mapped_column(BigInteger)
    area_mu_milli: Mapped[int | None] = mapped_column(BigInteger)
    # biogas project
    digester_volume_m3_milli: Mapped[int | None] = mapped_column(BigInteger)
    manure_treated_t_milli: Mapped[int | None] = mapped_column(BigInteger)
    heads_served: Mapped[int | None] = mapped_column(Integer)
    biogas_produced_m3_milli: Mapped[int | None] = mapped_column(BigInteger)
    biogas_used_m3_milli: Mapped[int | None] = mapped_column(BigInteger)
    days: Mapped[int | None] = mapped_column(Integer)
    data_quality: Mapped[str] = mapped_column(String(10))
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_current: Mapped[bool] = mapped_column(default=True)
    import_id: Mapped[str | None] = mapped_column(String(32))


class ImportBatch(Base):
    """One accepted file or API submission of baselines and practice records."""

    __tablename__ = "agriculture_import"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int]
    imported_by: Mapped[str] = mapped_column(String(120))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)


class FarmConflict(Base):
    """A submission of lower authority for a farm-year that holds stronger figures: kept, not used.

    Its rows are stored (``import_id``) but not current; a regulator accepts it (its rows
    become the farm-year's current figures) or rejects it. A later submission of at least the
    stored authority supersedes an open conflict of the same farm-year.
    """

    __tablename__ = "agriculture_conflict"
    __table_args__ = (Index("ix_agriculture_conflict_farm_year", "farm_id", "year", "status"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    farm_id: Mapped[str] = mapped_column(ForeignKey("agriculture_farm.id"))
    year: Mapped[int] = mapped_column(Integer)
    import_id: Mapped[str] = mapped_column(String(32), doc="the held submission's rows")
    baseline: Mapped[bool] = mapped_column(doc="the submission names a baseline (else practice records only)")
    data_quality: Mapped[str] = mapped_column(String(10), doc="the strongest quality the submitter may give")
    held_against: Mapped[str] = mapped_column(String(10), doc="the strongest quality stored for the farm-year")
    status: Mapped[str] = mapped_column(String(12), default="open", doc="open | accepted | rejected | superseded")
    submitted_by: Mapped[str] = mapped_column(String(120))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_by: Mapped[str | None] = mapped_column(String(120))
    resolved_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(String(500), default="")


class Assessment(Base):
    """A farm's reduction and label for one year under one methodology version, explained."""

    __tablename__ = "agriculture_assessment"
    __audit__ = False  # written by imports and assessment runs, which are audited once each
    __table_args__ = (
        UniqueConstraint("farm_id", "year", "methodology_version"),
        Index("ix_agriculture_assessment_year", "year", "methodology_version"),
    )

    # A string key: audited rows get their id in Python (the audit hook names the row).
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    farm_id: Mapped[str] = mapped_column(ForeignKey("agriculture_farm.id"))
    year: Mapped[int] = mapped_column(Integer)
    methodology_version: Mapped[str] = mapped_column(String(40))
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    farm_type: Mapped[str] = mapped_column(String(40))
    co2e_g: Mapped[int] = mapped_column(BigInteger, doc="reduction, grams CO2e (positive = avoided)")
    denominator_milli: Mapped[int] = mapped_column(BigInteger, doc="thousandths of the label's denominator unit")
    denominator_unit: Mapped[str] = mapped_column(String(40))
    intensity_g: Mapped[int] = mapped_column(BigInteger, doc="grams CO2e per unit of denominator")
    label: Mapped[str] = mapped_column(String(12))
    data_quality: Mapped[str] = mapped_column(String(10), doc="the weakest quality among the inputs")
    explanation_zh: Mapped[str] = mapped_column(String(1000))
    explanation_en: Mapped[str] = mapped_column(String(1000))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, doc="reductions, terms, inputs and bands, as text")
