"""Tables of the financing platform (衢融通) and the loan book.

A **product** (贷款产品) is what a bank, guarantor or insurer lists in the credit
supermarket (信贷超市): ranges of amount and term, a rate as a spread over the LPR, who is
eligible and the answer deadlines the institution promises. A product is kept in
**versions**: every version is a row with the same ``product_key``; a draft is edited in
place, a published version is never changed — editing it makes a new draft version, and
publishing that draft supersedes the old one. States: draft → published → withdrawn
(or superseded by a later version).

A **need** (融资需求) is what an enterprise, farm or resident asks for. The borrower's
facts that products select on (county, GB/T 4754 industry, current labels and grade) are
copied onto the need when it is posted or edited, so that matching is a query over one table.

An **application** links a need to a product of one bank. Its state moves through the
transition table in ``rules.TRANSITIONS``; every move is an **event** row (the timeline)
and an audit event. Deadlines are dates counted in Chinese working days.

A **loan** is one line of the loan book: from a disbursed application, or reported by the
bank for a loan made outside the platform. Each month the bank reports every loan's
**balance** and five-class quality (正常/关注/次级/可疑/损失), keyed by (bank, loan
number, as-of date) so that a file replayed changes nothing.

A **policy** (政策) of the government side offers an **interest subsidy** (贴息) on
eligible loans within a budget; ``committed_fen`` is what approvals have taken from the
budget and never exceeds it (a conditional UPDATE, safe under concurrent approvals).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from greenfin.db import Base, new_id, utcnow

PRODUCT_STATES = ("draft", "published", "withdrawn", "superseded")
NEED_STATES = ("open", "withdrawn", "closed")


class Product(Base):
    """One version of a loan, guarantee or insurance product of one institution."""

    __tablename__ = "market_product"
    __table_args__ = (
        UniqueConstraint("product_key", "version"),
        Index("ix_market_product_status_org", "status", "org_code"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    product_key: Mapped[str] = mapped_column(String(32), index=True, doc="the same for every version")
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(12), default="draft")
    org_code: Mapped[str] = mapped_column(String(40), index=True, doc="the bank, guarantor or insurer")
    org_name: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    family: Mapped[str] = mapped_column(String(20), doc="green_credit | guarantee | insurance")
    loan_method: Mapped[str] = mapped_column(String(20), doc="credit | guarantee | mortgage | pledge | eco_pledge")
    min_amount_fen: Mapped[int] = mapped_column(BigInteger)
    max_amount_fen: Mapped[int] = mapped_column(BigInteger)
    min_term_months: Mapped[int] = mapped_column(Integer)
    max_term_months: Mapped[int] = mapped_column(Integer)
    rate_spread_bp: Mapped[int] = mapped_column(Integer, doc="annual rate over the one-year LPR, bp")
    for_enterprise: Mapped[bool] = mapped_column(Boolean, default=True)
    for_farm: Mapped[bool] = mapped_column(Boolean, default=False)
    for_resident: Mapped[bool] = mapped_column(Boolean, default=False)
    counties: Mapped[list[str] | None] = mapped_column(JSON, doc="county codes; null = the whole region")
    industries: Mapped[list[str] | None] = mapped_column(JSON, doc="GB/T 4754 code prefixes; null = any")
    carbon_labels: Mapped[list[str] | None] = mapped_column(JSON, doc="industrial labels accepted; null = any")
    agricultural_labels: Mapped[list[str] | None] = mapped_column(JSON)
    personal_grades: Mapped[list[str] | None] = mapped_column(JSON)
    green_uses: Mapped[list[str] | None] = mapped_column(JSON, doc="green use category codes financed; null = any")
    documents: Mapped[list[str]] = mapped_column(JSON, default=list)
    accept_days: Mapped[int] = mapped_column(Integer, doc="working days to accept (受理)")
    decide_days: Mapped[int] = mapped_column(Integer, doc="working days from acceptance to decision")
    description: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]


class Need(Base):
    """A financing need posted by an enterprise, farm or resident."""

    __tablename__ = "market_need"
    __table_args__ = (
        Index("ix_market_need_status_created", "status", "created_at"),
        Index("ix_market_need_status_amount", "status", "amount_fen"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    status: Mapped[str] = mapped_column(String(12), default="open")
    borrower_kind: Mapped[str] = mapped_column(String(12), doc="enterprise | farm | resident")
    borrower_code: Mapped[str] = mapped_column(String(40), index=True, doc="organisation code acting for it")
    borrower_name: Mapped[str] = mapped_column(String(200))
    county_code: Mapped[str | None] = mapped_column(String(6))
    industry_code: Mapped[str | None] = mapped_column(String(4), doc="GB/T 4754-2017 class")
    industrial_label: Mapped[str | None] = mapped_column(String(20))
    agricultural_label: Mapped[str | None] = mapped_column(String(20))
    personal_grade: Mapped[str | None] = mapped_column(String(20))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    term_months: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(500))
    green_use: Mapped[str | None] = mapped_column(String(20), doc="green use category code")
    green_catalogue: Mapped[str | None] = mapped_column(String(20), doc="catalogue version of green_use")
    collateral: Mapped[str] = mapped_column(String(20), default="none", doc="none | guarantee | mortgage | pledge …")
    collateral_note: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class NeedMatch(Base):
    """An open need that at least one published product of an institution can serve.

    Kept up to date when a need is posted, edited or closed and when an institution publishes
    or withdraws a product, so that a bank's first page of needs is one index range scan.
    """

    __tablename__ = "market_need_match"
    __audit__ = False  # derived from needs and products, rebuilt set-based
    __table_args__ = (Index("ix_market_need_match_org_created", "org_code", "created_at"),)

    org_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    need_id: Mapped[str] = mapped_column(ForeignKey("market_need.id"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(doc="the need's creation time (the page order)")


class Application(Base):
    """A borrower's application for one product of one bank, from one need."""

    __tablename__ = "market_application"
    __table_args__ = (
        Index("ix_market_application_bank_state", "bank_code", "state"),
        Index("ix_market_application_state_due", "state", "due_on"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    need_id: Mapped[str] = mapped_column(ForeignKey("market_need.id"), index=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("market_product.id"), index=True)
    bank_code: Mapped[str] = mapped_column(String(40))
    borrower_kind: Mapped[str] = mapped_column(String(12))
    borrower_code: Mapped[str] = mapped_column(String(40), index=True)
    state: Mapped[str] = mapped_column(String(12), default="submitted")
    consent_id: Mapped[str | None] = mapped_column(String(32), doc="the consent granted when applying")
    amount_fen: Mapped[int] = mapped_column(BigInteger, doc="asked for")
    term_months: Mapped[int] = mapped_column(Integer)
    quoted_rate_bp: Mapped[int] = mapped_column(Integer, doc="rate after the carbon terms when applying")
    lpr_bp: Mapped[int] = mapped_column(Integer, doc="one-year LPR when applying")
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_on: Mapped[date | None] = mapped_column(Date, doc="the current step's deadline (北京时间 date)")
    calendar: Mapped[str] = mapped_column(String(40), doc="how due_on was counted (calendar and version)")
    accepted_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    approved_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    approved_rate_bp: Mapped[int | None] = mapped_column(Integer)
    approved_term_months: Mapped[int | None] = mapped_column(Integer)
    decline_reason: Mapped[str | None] = mapped_column(String(40))
    decline_note: Mapped[str] = mapped_column(String(1000), default="")
    contracted_at: Mapped[datetime | None]
    disbursed_at: Mapped[datetime | None]
    overdue_since: Mapped[date | None] = mapped_column(Date, doc="set by escalation; shown to borrower and regulator")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApplicationEvent(Base):
    """One transition of an application: the timeline."""

    __tablename__ = "market_application_event"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    application_id: Mapped[str] = mapped_column(ForeignKey("market_application.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str | None] = mapped_column(String(12))
    to_state: Mapped[str] = mapped_column(String(12))
    reason_code: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(String(1000), default="")


class Loan(Base):
    """One loan of the loan book."""

    __tablename__ = "market_loan"
    __table_args__ = (UniqueConstraint("bank_code", "loan_no"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    bank_code: Mapped[str] = mapped_column(String(40))
    loan_no: Mapped[str] = mapped_column(String(64), doc="the bank's own loan number")
    borrower_kind: Mapped[str] = mapped_column(String(12))
    borrower_code: Mapped[str] = mapped_column(String(40), index=True, doc="USCC, farm code or resident code")
    borrower_name: Mapped[str] = mapped_column(String(200))
    application_id: Mapped[str | None] = mapped_column(String(32), doc="set when made through the platform")
    source: Mapped[str] = mapped_column(String(12), doc="platform | reported")
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    rate_bp: Mapped[int] = mapped_column(Integer)
    term_months: Mapped[int] = mapped_column(Integer)
    start_date: Mapped[date] = mapped_column(Date)
    maturity_date: Mapped[date] = mapped_column(Date)
    green_use: Mapped[str | None] = mapped_column(String(20))
    green_catalogue: Mapped[str | None] = mapped_column(String(20))
    purpose: Mapped[str] = mapped_column(String(500), default="")
    collateral: Mapped[str] = mapped_column(String(20), default="none")
    # A green loan's project and its yearly environmental benefits (the CBRC/PBoC green-loan statistics'
    # seven indicators, in grams a year): what stats attributes to the loan by loan ÷ total investment.
    project_investment_fen: Mapped[int | None] = mapped_column(BigInteger, doc="the project's total investment")
    annual_co2_reduction_g: Mapped[int | None] = mapped_column(BigInteger, doc="CO2e reduced a year")
    project_name: Mapped[str | None] = mapped_column(String(200))
    standard_coal_saved_g: Mapped[int | None] = mapped_column(BigInteger)
    cod_reduction_g: Mapped[int | None] = mapped_column(BigInteger)
    ammonia_nitrogen_reduction_g: Mapped[int | None] = mapped_column(BigInteger)
    so2_reduction_g: Mapped[int | None] = mapped_column(BigInteger)
    nox_reduction_g: Mapped[int | None] = mapped_column(BigInteger)
    water_saved_g: Mapped[int | None] = mapped_column(BigInteger)
    benefits_basis: Mapped[str | None] = mapped_column(String(200), doc="where the figures come from (可研, 环评 …)")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # the borrower's county and GB/T 4754 class when the loan was made: green-loan statistics group by them
    county_code: Mapped[str | None] = mapped_column(String(6))
    industry_code: Mapped[str | None] = mapped_column(String(4), doc="GB/T 4754-2017 class")


class BalanceImport(Base):
    """One accepted balance file of one bank."""

    __tablename__ = "market_balance_import"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    bank_code: Mapped[str] = mapped_column(String(40), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int] = mapped_column(Integer)
    inserted: Mapped[int] = mapped_column(Integer)
    imported_by: Mapped[str] = mapped_column(String(120))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoanBalance(Base):
    """A loan's outstanding balance and five-class quality at the end of a month."""

    __tablename__ = "market_loan_balance"
    __audit__ = False  # written in bulk; each file is one audit event
    # statistics read every loan's balance on a few month-ends: one index range per day
    __table_args__ = (Index("ix_market_loan_balance_as_of", "as_of"),)

    bank_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    loan_no: Mapped[str] = mapped_column(String(64), primary_key=True)
    as_of: Mapped[date] = mapped_column(Date, primary_key=True)
    balance_fen: Mapped[int] = mapped_column(BigInteger)
    quality: Mapped[str] = mapped_column(String(16), doc="normal | special_mention | substandard | doubtful | loss")
    import_id: Mapped[str] = mapped_column(String(32))


class BookSummary(Base):
    """The loan book's balances on a month-end summed per bank and per value of one dimension.

    Derived from ``market_loan_balance`` joined to ``market_loan`` and kept in step by every
    write of balances (a fresh month adds its cells; a re-sent or corrected month is summed
    again from the rows): green-loan statistics read a few hundred cells a day instead of
    every loan. ``dimension`` is ``total`` (key ""), county, borrower_kind, industry (GB/T
    4754 division), quality or category (``catalogue`` and the loan's green-use code; key ""
    for loans that are not green). An empty key stands for a value the loan does not carry.
    """

    __tablename__ = "market_book_summary"
    __audit__ = False  # derived from the balances, which are audited per file

    as_of: Mapped[date] = mapped_column(Date, primary_key=True)
    bank_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    catalogue: Mapped[str] = mapped_column(String(20), primary_key=True)
    key: Mapped[str] = mapped_column(String(20), primary_key=True)
    green_fen: Mapped[int] = mapped_column(BigInteger)
    all_fen: Mapped[int] = mapped_column(BigInteger)


class BalanceCorrection(Base):
    """A stored month's figure a bank corrected: the figure before and after, by which file, why."""

    __tablename__ = "market_balance_correction"
    __audit__ = False  # written in bulk; the correcting file is one audit event

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    bank_code: Mapped[str] = mapped_column(String(40))
    loan_no: Mapped[str] = mapped_column(String(64))
    as_of: Mapped[date] = mapped_column(Date)
    old_balance_fen: Mapped[int] = mapped_column(BigInteger)
    old_quality: Mapped[str] = mapped_column(String(16))
    new_balance_fen: Mapped[int] = mapped_column(BigInteger)
    new_quality: Mapped[str] = mapped_column(String(16))
    import_id: Mapped[str] = mapped_column(String(32), index=True, doc="the correcting file")
    reason: Mapped[str] = mapped_column(String(500))


class Policy(Base):
    """A government policy offering interest subsidies within a budget."""

    __tablename__ = "market_policy"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    issuer_code: Mapped[str] = mapped_column(String(40))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    min_label: Mapped[str | None] = mapped_column(String(20), doc="industrial label at least this good; null = any")
    green_only: Mapped[bool] = mapped_column(Boolean, default=True)
    subsidy_rate_bp: Mapped[int] = mapped_column(Integer, doc="annual subsidy, bp of the loan amount")
    budget_fen: Mapped[int] = mapped_column(BigInteger)
    committed_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Subsidy(Base):
    """A borrower's application for an interest subsidy on one loan."""

    __tablename__ = "market_subsidy"
    __table_args__ = (UniqueConstraint("policy_id", "loan_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    policy_id: Mapped[str] = mapped_column(ForeignKey("market_policy.id"), index=True)
    loan_id: Mapped[str] = mapped_column(ForeignKey("market_loan.id"))
    borrower_code: Mapped[str] = mapped_column(String(40), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger, doc="the subsidy asked for")
    status: Mapped[str] = mapped_column(String(12), default="applied", doc="applied | approved | refused | paid")
    reviewed_by: Mapped[str | None] = mapped_column(String(120))
    reviewed_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(String(500), default="")
    paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def as_dict(row: Any) -> dict[str, Any]:
    """A row's columns as a dict."""
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}
