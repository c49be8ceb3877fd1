"""Every query of the financing platform."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import (
    String,
    and_,
    case,
    delete,
    false,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from greenfin.db import postgres_settings, read_frame
from greenfin.market.models import (
    Application,
    ApplicationEvent,
    BalanceCorrection,
    BookSummary,
    Loan,
    LoanBalance,
    Need,
    NeedMatch,
    Policy,
    Product,
    Subsidy,
)
from greenfin.market.rules import ProductFacts

PRODUCT_MATCH_COLUMNS = (
    Product.id,
    Product.org_code,
    Product.org_name,
    Product.name,
    Product.loan_method,
    Product.min_amount_fen,
    Product.max_amount_fen,
    Product.min_term_months,
    Product.max_term_months,
    Product.rate_spread_bp,
    Product.for_enterprise,
    Product.for_farm,
    Product.for_resident,
    Product.counties,
    Product.industries,
    Product.carbon_labels,
    Product.agricultural_labels,
    Product.personal_grades,
    Product.green_uses,
)
_KIND_COLUMN = {"enterprise": Product.for_enterprise, "farm": Product.for_farm, "resident": Product.for_resident}


def product(session: Session, product_id: str) -> Product | None:
    return session.get(Product, product_id)


def product_versions(session: Session, product_key: str) -> Sequence[Product]:
    return session.scalars(select(Product).where(Product.product_key == product_key).order_by(Product.version)).all()


PRODUCT_SORTS: dict[str, Any] = {
    "institution": Product.org_name,
    "name": Product.name,
    "rate": Product.rate_spread_bp,
    "max_amount": Product.max_amount_fen,
    "max_term": Product.max_term_months,
    "decide_days": Product.decide_days,
}
"""What the credit supermarket may be sorted by."""


def products(
    session: Session,
    *,
    org_code: str | None,
    status: str | None,
    kind: str | None,
    limit: int,
    offset: int,
    family: str | None = None,
    loan_method: str | None = None,
    amount_fen: int | None = None,
    term_months: int | None = None,
    text: str | None = None,
    sort: str | None = None,
    descending: bool = False,
) -> tuple[Sequence[Product], int]:
    """One page of products matching the filters (an amount or term: the products whose range holds it;
    ``text``: in the product's or the institution's name), in the order of ``sort`` (:data:`PRODUCT_SORTS`)."""
    query = select(Product)
    if org_code is not None:
        query = query.where(Product.org_code == org_code)
    if status is not None:
        query = query.where(Product.status == status)
    if kind is not None:
        query = query.where(_KIND_COLUMN[kind].is_(True))
    if family is not None:
        query = query.where(Product.family == family)
    if loan_method is not None:
        query = query.where(Product.loan_method == loan_method)
    if amount_fen is not None:
        query = query.where(Product.min_amount_fen <= amount_fen, Product.max_amount_fen >= amount_fen)
    if term_months is not None:
        query = query.where(Product.min_term_months <= term_months, Product.max_term_months >= term_months)
    if text:
        query = query.where(
            or_(Product.name.icontains(text, autoescape=True), Product.org_name.icontains(text, autoescape=True))
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    order: list[Any] = []
    if sort in PRODUCT_SORTS:
        order.append(PRODUCT_SORTS[sort].desc() if descending else PRODUCT_SORTS[sort].asc())
    order += [Product.org_code, Product.name, Product.version, Product.id]
    rows = session.scalars(query.order_by(*order).offset(offset).limit(limit))
    return rows.all(), total


def published_stamp(session: Session) -> tuple[Any, ...]:
    """What changes whenever the set of published products changes: their count and latest publication."""
    row = session.execute(
        select(func.count(), func.max(Product.published_at)).where(Product.status == "published")
    ).one()
    return tuple(row)


def published_products(session: Session) -> Sequence[Any]:
    return session.execute(select(*PRODUCT_MATCH_COLUMNS).where(Product.status == "published")).all()


def _in_list(column: Any, values: Sequence[str] | None) -> ColumnElement[bool]:
    return true() if values is None else (column.in_(list(values)) if values else false())


def _serves(product: ProductFacts) -> ColumnElement[bool]:
    """The SQL form of a product's exclusion rules (``rules.exclusions``) over the need's columns."""
    industry: ColumnElement[bool] = true()
    if product.industries is not None:
        industry = or_(false(), *[Need.industry_code.startswith(p) for p in product.industries])
    collateral: ColumnElement[bool] = (
        true() if product.loan_method == "credit" else Need.collateral == product.loan_method
    )
    return and_(
        Need.borrower_kind.in_(list(product.borrower_kinds)),
        Need.amount_fen.between(product.min_amount_fen, product.max_amount_fen),
        Need.term_months.between(product.min_term_months, product.max_term_months),
        _in_list(Need.county_code, product.counties),
        industry,
        _in_list(Need.industrial_label, product.carbon_labels),
        _in_list(Need.agricultural_label, product.agricultural_labels),
        _in_list(Need.personal_grade, product.personal_grades),
        _in_list(Need.green_use, product.green_uses),
        collateral,
    )


def needs_served(session: Session, org_code: str, *, limit: int, offset: int) -> Sequence[Need]:
    """Open needs an institution's published products can serve (the match index), newest first."""
    query = (
        select(Need)
        .join(NeedMatch, NeedMatch.need_id == Need.id)
        .where(NeedMatch.org_code == org_code)
        .order_by(NeedMatch.created_at.desc(), NeedMatch.need_id)
        .offset(offset)
        .limit(limit)
    )
    return session.scalars(query).all()


def unindex_need(session: Session, need_id: str) -> None:
    session.execute(delete(NeedMatch).where(NeedMatch.need_id == need_id))


def index_need(session: Session, need: Need, org_codes: Sequence[str]) -> None:
    """The institutions that can serve this need (its rows replaced)."""
    unindex_need(session, need.id)
    if org_codes:
        session.execute(
            insert(NeedMatch),
            [{"org_code": code, "need_id": need.id, "created_at": need.created_at} for code in sorted(set(org_codes))],
        )


def index_institution(session: Session, org_code: str, products: Sequence[ProductFacts]) -> int:
    """Rebuild an institution's rows: every open need one of its published products can serve (set-based)."""
    session.execute(delete(NeedMatch).where(NeedMatch.org_code == org_code))
    if not products:
        return 0
    chosen = select(Need.id, literal(org_code), Need.created_at).where(
        Need.status == "open", or_(*[_serves(p) for p in products])
    )
    result = session.execute(insert(NeedMatch).from_select(["need_id", "org_code", "created_at"], chosen))
    return int(result.rowcount)  # type: ignore[attr-defined]


def need(session: Session, need_id: str) -> Need | None:
    return session.get(Need, need_id)


def needs_of(session: Session, borrower_code: str | None, *, status: str | None, limit: int) -> Sequence[Need]:
    query = select(Need)
    if borrower_code is not None:
        query = query.where(Need.borrower_code == borrower_code)
    if status is not None:
        query = query.where(Need.status == status)
    return session.scalars(query.order_by(Need.created_at.desc()).limit(limit)).all()


def answer_records(session: Session, bank_codes: Sequence[str] | None) -> dict[str, tuple[int, int]]:
    """Per bank (all when None): (applications answered on time, applications answered) — accepted or declined."""
    answered = Application.accepted_at.is_not(None) | (Application.state == "declined")
    rows = session.execute(
        select(
            Application.bank_code,
            func.sum(case((Application.overdue_since.is_(None), 1), else_=0)),
            func.count(),
        )
        .where(answered, true() if bank_codes is None else Application.bank_code.in_(list(bank_codes)))
        .group_by(Application.bank_code)
    ).all()
    return {code: (int(on_time or 0), int(total)) for code, on_time, total in rows}


def application(session: Session, application_id: str, *, lock: bool = False) -> Application | None:
    if lock:
        return session.scalars(select(Application).where(Application.id == application_id).with_for_update()).first()
    return session.get(Application, application_id)


def live_application(session: Session, need_id: str, product_id: str) -> Application | None:
    return session.scalars(
        select(Application).where(
            Application.need_id == need_id,
            Application.product_id == product_id,
            Application.state.in_(("submitted", "accepted", "approved", "contracted")),
        )
    ).first()


def applications(
    session: Session,
    *,
    bank_code: str | None,
    borrower_code: str | None,
    state: str | None,
    overdue: bool | None,
    limit: int,
    offset: int,
    sort: str = "submitted",
    descending: bool = True,
) -> tuple[Sequence[Application], int]:
    """One page of applications in the order of ``sort`` (:data:`APPLICATION_SORTS`), and how many match."""
    query = select(Application)
    if bank_code is not None:
        query = query.where(Application.bank_code == bank_code)
    if borrower_code is not None:
        query = query.where(Application.borrower_code == borrower_code)
    if state is not None:
        query = query.where(Application.state == state)
    if overdue is not None:
        query = query.where(Application.overdue_since.is_not(None) if overdue else Application.overdue_since.is_(None))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    column = APPLICATION_SORTS[sort]
    key = column.desc() if descending else column.asc()
    order = (key.nulls_last() if sort == "due" else key, Application.submitted_at.desc(), Application.id)
    rows = session.scalars(query.order_by(*order).offset(offset).limit(limit))
    return rows.all(), total


APPLICATION_SORTS: dict[str, Any] = {
    "submitted": Application.submitted_at,
    "amount": Application.amount_fen,
    "due": Application.due_on,
    "state": Application.state,
}
"""What a list of applications may be sorted by."""


def _chunks(ids: Sequence[str], size: int = 10_000) -> list[list[str]]:
    """Bounded IN lists (SQLite binds at most 32,766 values in one statement)."""
    unique = list(dict.fromkeys(ids))
    return [unique[start : start + size] for start in range(0, len(unique), size)]


def events_of(session: Session, application_ids: Sequence[str]) -> dict[str, list[ApplicationEvent]]:
    """The timelines of these applications (id → events in order)."""
    timelines: dict[str, list[ApplicationEvent]] = {}
    for chunk in _chunks(application_ids):
        query = (
            select(ApplicationEvent)
            .where(ApplicationEvent.application_id.in_(chunk))
            .order_by(ApplicationEvent.at, ApplicationEvent.id)
        )
        for event in session.scalars(query):
            timelines.setdefault(event.application_id, []).append(event)
    return timelines


def application_facts(
    session: Session, applications: Sequence[Application]
) -> tuple[dict[str, tuple[str, str]], dict[str, str], dict[str, str]]:
    """For a page of applications, set-based: need id → (borrower name, purpose), product id → product
    name, application id → loan id (the disbursed ones)."""
    needs: dict[str, tuple[str, str]] = {}
    products: dict[str, str] = {}
    loans: dict[str, str] = {}
    for chunk in _chunks([a.need_id for a in applications]):
        query = select(Need.id, Need.borrower_name, Need.purpose).where(Need.id.in_(chunk))
        needs.update({row.id: (row.borrower_name, row.purpose) for row in session.execute(query)})
    for chunk in _chunks([a.product_id for a in applications]):
        products.update(session.execute(select(Product.id, Product.name).where(Product.id.in_(chunk))).all())
    for chunk in _chunks([a.id for a in applications if a.state == "disbursed"]):
        disbursed = select(Loan.application_id, Loan.id).where(Loan.application_id.in_(chunk))
        loans.update({str(row.application_id): row.id for row in session.execute(disbursed)})
    return needs, products, loans


def overdue_candidates(session: Session, today: date) -> Sequence[Application]:
    """Applications still owing an answer whose deadline has passed and that are not flagged for it yet.

    One flagged for an earlier deadline (accepted late) is flagged again when its decision is late too.
    """
    return session.scalars(
        select(Application).where(
            Application.state.in_(("submitted", "accepted")),
            Application.due_on < today,
            or_(Application.overdue_since.is_(None), Application.overdue_since < Application.due_on),
        )
    ).all()


def loan(session: Session, loan_id: str) -> Loan | None:
    return session.get(Loan, loan_id)


def loan_by_number(session: Session, bank_code: str, loan_no: str) -> Loan | None:
    return session.scalars(select(Loan).where(Loan.bank_code == bank_code, Loan.loan_no == loan_no)).first()


LOAN_SORTS: dict[str, Any] = {
    "start": Loan.start_date,
    "maturity": Loan.maturity_date,
    "amount": Loan.amount_fen,
    "rate": Loan.rate_bp,
    "borrower": Loan.borrower_name,
}
"""What a list of loans may be sorted by."""


def loans(
    session: Session,
    *,
    bank_code: str | None,
    borrower_code: str | None,
    limit: int,
    offset: int,
    source: str | None = None,
    green: bool | None = None,
    text: str | None = None,
    sort: str = "start",
    descending: bool = True,
) -> tuple[Sequence[Loan], int]:
    """One page of loans matching the filters (``text``: in the borrower's name or the loan number)."""
    query = select(Loan)
    if bank_code is not None:
        query = query.where(Loan.bank_code == bank_code)
    if borrower_code is not None:
        query = query.where(Loan.borrower_code == borrower_code)
    if source is not None:
        query = query.where(Loan.source == source)
    if green is not None:
        query = query.where(Loan.green_use.is_not(None) if green else Loan.green_use.is_(None))
    if text:
        query = query.where(
            or_(Loan.borrower_name.icontains(text, autoescape=True), Loan.loan_no.icontains(text, autoescape=True))
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    column = LOAN_SORTS[sort]
    order = (column.desc() if descending else column.asc(), Loan.start_date.desc(), Loan.id)
    rows = session.scalars(query.order_by(*order).offset(offset).limit(limit))
    return rows.all(), total


def balances_on(session: Session, loan_ids: Sequence[str], as_of: date) -> dict[tuple[str, str], tuple[int, str]]:
    """(bank, loan number) → (balance, quality) of these loans on one month-end."""
    found: dict[tuple[str, str], tuple[int, str]] = {}
    for chunk in _chunks(loan_ids):
        query = (
            select(LoanBalance.bank_code, LoanBalance.loan_no, LoanBalance.balance_fen, LoanBalance.quality)
            .join(Loan, and_(Loan.bank_code == LoanBalance.bank_code, Loan.loan_no == LoanBalance.loan_no))
            .where(Loan.id.in_(chunk), LoanBalance.as_of == as_of)
        )
        found.update({(row.bank_code, row.loan_no): (row.balance_fen, row.quality) for row in session.execute(query)})
    return found


def balances_of(session: Session, bank_code: str, loan_no: str) -> Sequence[LoanBalance]:
    return session.scalars(
        select(LoanBalance)
        .where(LoanBalance.bank_code == bank_code, LoanBalance.loan_no == loan_no)
        .order_by(LoanBalance.as_of)
    ).all()


def policy(session: Session, policy_id: str) -> Policy | None:
    return session.get(Policy, policy_id)


def policies(session: Session) -> Sequence[Policy]:
    return session.scalars(select(Policy).order_by(Policy.valid_from.desc(), Policy.id)).all()


def subsidy(session: Session, subsidy_id: str) -> Subsidy | None:
    return session.get(Subsidy, subsidy_id)


def subsidies(
    session: Session,
    *,
    borrower_code: str | None,
    bank_code: str | None,
    statuses: Sequence[str] | None,
    limit: int,
    offset: int,
) -> tuple[list[tuple[Subsidy, Loan, Policy]], int]:
    """One page of subsidy applications (newest first) with their loans and policies, and how many match."""
    query = (
        select(Subsidy, Loan, Policy)
        .join(Loan, Loan.id == Subsidy.loan_id)
        .join(Policy, Policy.id == Subsidy.policy_id)
    )
    if borrower_code is not None:
        query = query.where(Subsidy.borrower_code == borrower_code)
    if bank_code is not None:
        query = query.where(Loan.bank_code == bank_code)
    if statuses:
        query = query.where(Subsidy.status.in_(list(statuses)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(Subsidy.created_at.desc(), Subsidy.id).offset(offset).limit(limit))
    return [(row[0], row[1], row[2]) for row in rows], total


def commit_budget(session: Session, policy_id: str, amount_fen: int) -> bool:
    """Take ``amount_fen`` from the policy's budget if it is there; one conditional UPDATE (row-locked)."""
    result = session.execute(
        update(Policy)
        .where(Policy.id == policy_id, Policy.committed_fen + amount_fen <= Policy.budget_fen)
        .values(committed_fen=Policy.committed_fen + amount_fen)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def add_paid(session: Session, policy_id: str, amount_fen: int) -> None:
    session.execute(
        update(Policy)
        .where(Policy.id == policy_id)
        .values(paid_fen=Policy.paid_fen + amount_fen)
        .execution_options(synchronize_session=False)
    )


def dashboard_by_bank(session: Session) -> Sequence[Any]:
    """Per bank: applications, decided, approved, on time, sum of days to decision, rate sums."""
    decided = Application.state.in_(("approved", "declined", "contracted", "disbursed", "expired"))
    approved = Application.state.in_(("approved", "contracted", "disbursed", "expired"))
    return session.execute(
        select(
            Application.bank_code,
            func.count(),
            func.sum(case((decided, 1), else_=0)),
            func.sum(case((approved, 1), else_=0)),
            func.sum(case((and_(decided, Application.overdue_since.is_(None)), 1), else_=0)),
            func.sum(case((approved, Application.approved_rate_bp - Application.lpr_bp), else_=0)),
        )
        .group_by(Application.bank_code)
        .order_by(Application.bank_code)
    ).all()


def decided_times(session: Session) -> Sequence[Any]:
    """(submitted_at, decided_at) of every decided application (days to decision are counted in Python)."""
    return session.execute(
        select(Application.submitted_at, Application.decided_at).where(Application.decided_at.is_not(None))
    ).all()


# --- set-based reads of the loan book for the statistics domain --------------------------------------------


BOOK_LOAN_COLUMNS = {
    "bank_code": pl.Utf8,
    "loan_no": pl.Utf8,
    "borrower_kind": pl.Utf8,
    "borrower_code": pl.Utf8,
    "industry_code": pl.Utf8,
    "green_use": pl.Utf8,
    "balance_fen": pl.Int64,
}


def book_loans_on(session: Session, *, as_of: date, bank_code: str | None) -> pl.DataFrame:
    """Every loan with a balance on ``as_of`` (:data:`BOOK_LOAN_COLUMNS`), read straight into a frame."""
    query = (
        select(*(getattr(LoanBalance if name == "balance_fen" else Loan, name) for name in BOOK_LOAN_COLUMNS))
        .join(Loan, and_(Loan.bank_code == LoanBalance.bank_code, Loan.loan_no == LoanBalance.loan_no))
        .where(LoanBalance.as_of == as_of)
    )
    if bank_code is not None:
        query = query.where(LoanBalance.bank_code == bank_code)
    return read_frame(session, query, BOOK_LOAN_COLUMNS)


def borrower_balances_on(session: Session, *, as_of: date, lender: str) -> pl.DataFrame:
    """(borrower_code, borrower_fen: balance over every bank) on ``as_of`` of the borrowers of one bank."""
    theirs = select(Loan.borrower_code).where(Loan.bank_code == lender)
    query = (
        select(Loan.borrower_code, func.sum(LoanBalance.balance_fen))
        .join(Loan, and_(Loan.bank_code == LoanBalance.bank_code, Loan.loan_no == LoanBalance.loan_no))
        .where(LoanBalance.as_of == as_of, Loan.borrower_code.in_(theirs))
        .group_by(Loan.borrower_code)
    )
    return read_frame(session, query, {"borrower_code": pl.Utf8, "borrower_fen": pl.Int64})


def green_loans_on(session: Session, *, as_of: date, bank_code: str | None) -> list[tuple[Any, ...]]:
    """Every green loan with a balance on ``as_of``: (bank, loan number, borrower kind, borrower code, county,
    industry, catalogue, green use, amount fen, balance fen, project investment fen, then its project's yearly
    benefits in grams: CO2e, standard coal, COD, ammonia nitrogen, SO2, NOx, water)."""
    query = (
        select(
            Loan.bank_code,
            Loan.loan_no,
            Loan.borrower_kind,
            Loan.borrower_code,
            Loan.county_code,
            Loan.industry_code,
            Loan.green_catalogue,
            Loan.green_use,
            Loan.amount_fen,
            LoanBalance.balance_fen,
            Loan.project_investment_fen,
            Loan.annual_co2_reduction_g,
            Loan.standard_coal_saved_g,
            Loan.cod_reduction_g,
            Loan.ammonia_nitrogen_reduction_g,
            Loan.so2_reduction_g,
            Loan.nox_reduction_g,
            Loan.water_saved_g,
        )
        .join(Loan, and_(Loan.bank_code == LoanBalance.bank_code, Loan.loan_no == LoanBalance.loan_no))
        .where(LoanBalance.as_of == as_of, Loan.green_use.is_not(None))
    )
    if bank_code is not None:
        query = query.where(LoanBalance.bank_code == bank_code)
    with postgres_settings(session):
        return [tuple(row) for row in session.execute(query)]


def add_loans(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert loan rows in one multi-row statement (bulk loads)."""
    session.execute(insert(Loan), list(rows))


SUMMARY_KEYS: dict[str, Any] = {
    "county": func.coalesce(Loan.county_code, ""),
    "borrower_kind": Loan.borrower_kind,
    "industry": func.coalesce(func.substr(Loan.industry_code, 1, 2), ""),  # GB/T 4754 division (大类)
    "quality": LoanBalance.quality,
    "catalogue": func.coalesce(Loan.green_catalogue, ""),
    "category": func.coalesce(Loan.green_use, ""),
}
"""The keys of :class:`BookSummary` cells, read off a balance and its loan ("" where the loan has none)."""

SUMMARY_DIMENSIONS = ("total", "county", "borrower_kind", "industry", "quality", "category")


def refresh_book_summary(session: Session, *, bank_codes: Sequence[str], dates: Sequence[date]) -> None:
    """Sum the summary cells of these banks' month-ends again from their balances (a set-based rebuild).

    One grouping of the balances joined to their loans by every key, then one roll-up of those
    cells per dimension; what was summed before for these banks and days is replaced.
    """
    if not bank_codes or not dates:
        return
    session.execute(
        delete(BookSummary).where(BookSummary.bank_code.in_(list(bank_codes)), BookSummary.as_of.in_(list(dates)))
    )
    green = func.sum(case((Loan.green_use.is_not(None), LoanBalance.balance_fen), else_=0))
    keys = [expression.label(name) for name, expression in SUMMARY_KEYS.items()]
    cells = (
        select(LoanBalance.as_of, LoanBalance.bank_code, *keys, green.label("green_fen"),
               func.sum(LoanBalance.balance_fen).label("all_fen"))
        .join(Loan, and_(Loan.bank_code == LoanBalance.bank_code, Loan.loan_no == LoanBalance.loan_no))
        .where(LoanBalance.bank_code.in_(list(bank_codes)), LoanBalance.as_of.in_(list(dates)))
        .group_by(LoanBalance.as_of, LoanBalance.bank_code, *SUMMARY_KEYS.values())
        .cte("cells")
    )  # fmt: skip
    empty = literal_column("''", String)
    rollups = []
    for dimension in SUMMARY_DIMENSIONS:
        catalogue = cells.c.catalogue if dimension == "category" else empty
        key = empty if dimension == "total" else cells.c[dimension]
        grouping = [cells.c.as_of, cells.c.bank_code, *([] if dimension == "total" else [key])]
        if dimension == "category":
            grouping.append(catalogue)
        rollups.append(
            select(
                cells.c.as_of,
                cells.c.bank_code,
                literal_column(f"'{dimension}'", String),
                catalogue,
                key,
                func.sum(cells.c.green_fen),
                func.sum(cells.c.all_fen),
            ).group_by(*grouping)
        )
    columns = ["as_of", "bank_code", "dimension", "catalogue", "key", "green_fen", "all_fen"]
    with postgres_settings(session):
        session.execute(insert(BookSummary).from_select(columns, union_all(*rollups)))


def add_book_summary(session: Session, cells: pl.DataFrame) -> None:
    """Insert summary cells (``balances.summary_cells``) of month-ends not summed before (a fresh month)."""
    if cells.height:
        session.execute(insert(BookSummary), cells.to_dicts())


def book_dates(session: Session, *, bank_code: str | None) -> list[date]:
    """The month-ends the book (or one bank's) has balances on, oldest first."""
    query = select(BookSummary.as_of).distinct().where(BookSummary.dimension == "total")
    if bank_code is not None:
        query = query.where(BookSummary.bank_code == bank_code)
    return list(session.scalars(query.order_by(BookSummary.as_of)))


def book_summary_by_bank(
    session: Session, *, dates: Sequence[date], dimension: str, bank_code: str | None
) -> list[tuple[Any, ...]]:
    """One dimension's cells per bank on ``dates``: rows (as_of, bank, key, green fen, all fen)."""
    query = select(
        BookSummary.as_of, BookSummary.bank_code, BookSummary.key, BookSummary.green_fen, BookSummary.all_fen
    ).where(BookSummary.as_of.in_(list(dates)), BookSummary.dimension == dimension)
    if bank_code is not None:
        query = query.where(BookSummary.bank_code == bank_code)
    return [tuple(row) for row in session.execute(query)]


def book_summary(
    session: Session, *, dates: Sequence[date], dimensions: Sequence[str], bank_code: str | None
) -> list[tuple[Any, ...]]:
    """Green and all-loan balances on ``dates`` per dimension value, over the region or one bank: rows
    (as_of, dimension, catalogue, key, green fen, all fen); always the ``total`` rows, and ``bank``
    rows (key: the bank) when asked. A few hundred cells a day, whatever the size of the book."""
    stored = [name for name in dimensions if name in SUMMARY_DIMENSIONS and name != "total"]
    query = (
        select(
            BookSummary.as_of,
            BookSummary.dimension,
            BookSummary.catalogue,
            BookSummary.key,
            func.sum(BookSummary.green_fen),
            func.sum(BookSummary.all_fen),
        )
        .where(BookSummary.as_of.in_(list(dates)), BookSummary.dimension.in_(["total", *stored]))
        .group_by(BookSummary.as_of, BookSummary.dimension, BookSummary.catalogue, BookSummary.key)
    )
    if bank_code is not None:
        query = query.where(BookSummary.bank_code == bank_code)
    rows = [tuple(row) for row in session.execute(query)]
    if "bank" in dimensions:
        scope = [] if bank_code is None else [BookSummary.bank_code == bank_code]
        by_bank = select(
            BookSummary.as_of,
            literal_column("'bank'", String),
            literal_column("''", String),
            BookSummary.bank_code,
            BookSummary.green_fen,
            BookSummary.all_fen,
        ).where(BookSummary.as_of.in_(list(dates)), BookSummary.dimension == "total", *scope)
        rows.extend(tuple(row) for row in session.execute(by_bank))
    return rows


LOAN_TERMS = {
    "loan_no": pl.Utf8,
    "amount_fen": pl.Int64,
    "start_date": pl.Date,
    "county_code": pl.Utf8,
    "borrower_kind": pl.Utf8,
    "industry_code": pl.Utf8,
    "green_catalogue": pl.Utf8,
    "green_use": pl.Utf8,
}


def loan_terms(session: Session, bank_code: str) -> pl.DataFrame:
    """Loan number, amount, start date and the statistics' keys (county, borrower kind, industry, green
    use) of every loan of a bank: what a balance file is checked against and summed by. Read straight
    into a frame: a bank's book holds up to millions of loans."""
    query = select(*(getattr(Loan, name) for name in LOAN_TERMS)).where(Loan.bank_code == bank_code)
    return read_frame(session, query, LOAN_TERMS)


def loans_amount_fen(session: Session, loan_ids: Sequence[str]) -> int:
    total = 0
    for start in range(0, len(loan_ids), 10_000):  # bounded IN lists
        chunk = list(loan_ids[start : start + 10_000])
        total += int(session.scalar(select(func.coalesce(func.sum(Loan.amount_fen), 0)).where(Loan.id.in_(chunk))) or 0)
    return total


def has_balances(session: Session, bank_code: str, dates: Sequence[date]) -> bool:
    """Whether the bank stored any balance for these month-ends."""
    query = select(literal(1)).where(LoanBalance.bank_code == bank_code, LoanBalance.as_of.in_(list(dates))).limit(1)
    return session.scalar(query) is not None


def stored_balances(session: Session, bank_code: str, dates: Sequence[date]) -> list[tuple[str, date, int, str]]:
    """(loan number, as-of, balance, quality) a bank stored for these month-ends."""
    query = select(LoanBalance.loan_no, LoanBalance.as_of, LoanBalance.balance_fen, LoanBalance.quality).where(
        LoanBalance.bank_code == bank_code, LoanBalance.as_of.in_(list(dates))
    )
    return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]


def correct_balances(session: Session, bank_code: str, import_id: str, reason: str, rows: list[dict[str, Any]]) -> None:
    """Replace stored figures by corrected ones, keeping each previous figure (set-based)."""
    session.execute(
        insert(BalanceCorrection),
        [{**row, "bank_code": bank_code, "import_id": import_id, "reason": reason} for row in rows],
    )
    session.execute(  # ORM bulk UPDATE by primary key: one executemany
        update(LoanBalance),
        [
            {
                "bank_code": bank_code,
                "loan_no": row["loan_no"],
                "as_of": row["as_of"],
                "balance_fen": row["new_balance_fen"],
                "quality": row["new_quality"],
                "import_id": import_id,
            }
            for row in rows
        ],
    )
