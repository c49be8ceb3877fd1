"""Financing platform API (衢融通): products, needs, matches, applications, the loan book, subsidies.

Mounted under /api/v1 with no prefix of its own: the platform lives under ``/market`` and
the loan book under ``/loans`` (read by stats and ecobank too).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, UploadFile

from greenfin.http import Page, PageDep, PrincipalDep, SessionDep
from greenfin.market import balances, service
from greenfin.market.schemas import (
    ApplicationCreate,
    ApplicationRead,
    BalanceImportRead,
    BalancesIn,
    Decision,
    Disbursement,
    LoanCreate,
    LoanRead,
    MatchList,
    NeedCreate,
    NeedMatchList,
    NeedRead,
    NeedUpdate,
    PolicyCreate,
    PolicyRead,
    ProductCreate,
    ProductRead,
    ProjectBenefitsIn,
    SubsidyCreate,
    SubsidyRead,
    SubsidyReview,
)

router = APIRouter(tags=["market"])
Lang = Annotated[Literal["zh", "en"], Query(description="Language of the reasons (zh default)")]


@router.post("/market/products", response_model=ProductRead, status_code=201)
def create_product(product_in: ProductCreate, principal: PrincipalDep, session: SessionDep) -> ProductRead:
    """A bank, guarantor or insurer drafts a product (publish it next)."""
    return service.product_read(service.create_product(session, principal, product_in=product_in))


@router.get("/market/products", response_model=Page[ProductRead])
def list_products(
    principal: PrincipalDep,
    session: SessionDep,
    page: PageDep,
    mine: bool = False,
    kind: Annotated[str | None, Query(description="enterprise, farm or resident")] = None,
) -> Page[ProductRead]:
    """The credit supermarket (published products); ``mine``: every version of your institution's."""
    rows, total = service.list_products(session, principal, mine=mine, kind=kind, limit=page.limit, offset=page.offset)
    lpr = service.lpr_bp()
    return Page(items=[service.product_read(r, lpr) for r in rows], total=total, offset=page.offset, limit=page.limit)


@router.get("/market/products/{product_id}", response_model=ProductRead)
def get_product(product_id: str, principal: PrincipalDep, session: SessionDep) -> ProductRead:
    return service.product_read(service.get_product(session, principal, product_id=product_id))


@router.put("/market/products/{product_id}", response_model=ProductRead)
def update_product(
    product_id: str, product_in: ProductCreate, principal: PrincipalDep, session: SessionDep
) -> ProductRead:
    """Edit a draft; editing a published product makes a new draft version."""
    return service.product_read(
        service.update_product(session, principal, product_id=product_id, product_in=product_in)
    )


@router.post("/market/products/{product_id}/publish", response_model=ProductRead)
def publish_product(product_id: str, principal: PrincipalDep, session: SessionDep) -> ProductRead:
    return service.product_read(service.publish_product(session, principal, product_id=product_id))


@router.post("/market/products/{product_id}/withdraw", response_model=ProductRead)
def withdraw_product(product_id: str, principal: PrincipalDep, session: SessionDep) -> ProductRead:
    return service.product_read(service.withdraw_product(session, principal, product_id=product_id))


@router.post("/market/needs", response_model=NeedRead, status_code=201)
def create_need(need_in: NeedCreate, principal: PrincipalDep, session: SessionDep) -> NeedRead:
    """A borrower posts a financing need."""
    return service.need_read(service.create_need(session, principal, need_in=need_in), reveal=True)


@router.get("/market/needs", response_model=list[NeedRead])
def list_needs(principal: PrincipalDep, session: SessionDep, status: str | None = None) -> list[NeedRead]:
    """Your own needs (staff: all)."""
    return service.list_needs(session, principal, status=status)


@router.get("/market/needs/matching", response_model=NeedMatchList)
def needs_for_bank(principal: PrincipalDep, session: SessionDep, page: PageDep) -> NeedMatchList:
    """Open needs your published products can serve, newest first, without the borrowers' identity."""
    return NeedMatchList(items=service.needs_for_bank(session, principal, limit=page.limit, offset=page.offset))


@router.get("/market/needs/{need_id}", response_model=NeedRead)
def get_need(need_id: str, principal: PrincipalDep, session: SessionDep) -> NeedRead:
    return service.get_need(session, principal, need_id=need_id)


@router.patch("/market/needs/{need_id}", response_model=NeedRead)
def update_need(need_id: str, need_in: NeedUpdate, principal: PrincipalDep, session: SessionDep) -> NeedRead:
    return service.need_read(service.update_need(session, principal, need_id=need_id, need_in=need_in), reveal=True)


@router.post("/market/needs/{need_id}/withdraw", response_model=NeedRead)
def withdraw_need(need_id: str, principal: PrincipalDep, session: SessionDep) -> NeedRead:
    return service.need_read(service.withdraw_need(session, principal, need_id=need_id), reveal=True)


@router.get("/market/needs/{need_id}/matches", response_model=MatchList)
def need_matches(need_id: str, principal: PrincipalDep, session: SessionDep, lang: Lang = "zh") -> MatchList:
    """The products that can serve this need, best first, each with its reasons."""
    return MatchList(items=service.matches(session, principal, need_id=need_id, lang=lang))


@router.post("/market/applications", response_model=ApplicationRead, status_code=201)
def apply(application_in: ApplicationCreate, principal: PrincipalDep, session: SessionDep) -> ApplicationRead:
    """Apply for a product with a need; this grants the bank consent to read your data."""
    application = service.apply(session, principal, application_in=application_in)
    return service.application_read(session, principal, application)


@router.get("/market/applications", response_model=Page[ApplicationRead])
def list_applications(
    principal: PrincipalDep,
    session: SessionDep,
    page: PageDep,
    state: Annotated[str | None, Query(max_length=12)] = None,
    overdue: bool | None = None,
    sort: Annotated[Literal["submitted", "amount", "due", "state"], Query(description="Sort key")] = "submitted",
    descending: bool = True,
) -> Page[ApplicationRead]:
    """Applications with names: the borrower's own, a bank's own, or (staff) all; one page in the order asked."""
    rows, total = service.list_applications(
        session,
        principal,
        state=state,
        overdue=overdue,
        limit=page.limit,
        offset=page.offset,
        sort=sort,
        descending=descending,
    )
    return Page(items=rows, total=total, offset=page.offset, limit=page.limit)


@router.get("/market/applications/{application_id}", response_model=ApplicationRead)
def get_application(application_id: str, principal: PrincipalDep, session: SessionDep) -> ApplicationRead:
    """An application with its timeline."""
    return service.get_application(session, principal, application_id=application_id)


@router.post("/market/applications/{application_id}/decision", response_model=ApplicationRead)
def decide(application_id: str, decision: Decision, principal: PrincipalDep, session: SessionDep) -> ApplicationRead:
    """The bank accepts, approves or declines (with a reason)."""
    application = service.decide(session, principal, application_id=application_id, decision=decision)
    return service.application_read(session, principal, application)


@router.post("/market/applications/{application_id}/contract", response_model=ApplicationRead)
def contract(application_id: str, principal: PrincipalDep, session: SessionDep) -> ApplicationRead:
    application = service.contract(session, principal, application_id=application_id)
    return service.application_read(session, principal, application)


@router.post("/market/applications/{application_id}/disburse", response_model=LoanRead, status_code=201)
def disburse(
    application_id: str, principal: PrincipalDep, session: SessionDep, disbursement: Disbursement | None = None
) -> LoanRead:
    """The bank disburses: the application becomes a loan of the loan book."""
    loan = service.disburse(
        session, principal, application_id=application_id, disbursement=disbursement or Disbursement()
    )
    return LoanRead.model_validate(loan)


@router.post("/market/applications/{application_id}/withdraw", response_model=ApplicationRead)
def withdraw_application(application_id: str, principal: PrincipalDep, session: SessionDep) -> ApplicationRead:
    application = service.withdraw_application(session, principal, application_id=application_id)
    return service.application_read(session, principal, application)


@router.get("/loans", response_model=Page[LoanRead], tags=["loans"])
def list_loans(
    principal: PrincipalDep,
    session: SessionDep,
    page: PageDep,
    borrower: Annotated[str | None, Query(description="The borrower's USCC or code")] = None,
) -> Page[LoanRead]:
    """The loan book: a bank its own loans, a borrower its own, the regulator all."""
    rows, total = service.list_loans(session, principal, borrower=borrower, limit=page.limit, offset=page.offset)
    return Page(items=rows, total=total, offset=page.offset, limit=page.limit)


@router.post("/loans", response_model=LoanRead, status_code=201, tags=["loans"])
def report_loan(loan_in: LoanCreate, principal: PrincipalDep, session: SessionDep) -> LoanRead:
    """A bank reports a loan made outside the platform."""
    return LoanRead.model_validate(service.report_loan(session, principal, loan_in=loan_in))


@router.put("/loans/{loan_id}/project", response_model=LoanRead, tags=["loans"])
def set_loan_project(
    loan_id: Annotated[str, Path(max_length=32)],
    project_in: ProjectBenefitsIn,
    principal: PrincipalDep,
    session: SessionDep,
) -> LoanRead:
    """The lending bank records a green loan's project: total investment and yearly environmental benefits."""
    return service.set_loan_project(session, principal, loan_id=loan_id, project_in=project_in)


@router.post("/loans/balances", response_model=BalanceImportRead, tags=["loans"])
def post_balances(balances_in: BalancesIn, principal: PrincipalDep, session: SessionDep) -> BalanceImportRead:
    """Monthly balances and five-class quality by API (idempotent on loan number and date)."""
    import io

    import polars as pl

    frame = pl.DataFrame(
        [(b.loan_no, b.as_of.isoformat(), str(b.balance_fen), b.quality) for b in balances_in.items],
        schema=list(balances.COLUMNS),
        orient="row",
    )
    buffer = io.BytesIO()
    frame.write_csv(buffer)
    import_id, rows, inserted = balances.import_balances(
        session, principal, filename="api.csv", content=buffer.getvalue(), correction=balances_in.correction
    )
    return BalanceImportRead(import_id=import_id, rows=rows, inserted=inserted)


@router.post("/loans/balances/file", response_model=BalanceImportRead, tags=["loans"])
def post_balance_file(
    file: UploadFile,
    principal: PrincipalDep,
    session: SessionDep,
    correction: Annotated[str | None, Query(min_length=1, max_length=500, description="Why months change")] = None,
) -> BalanceImportRead:
    """A monthly balance file (CSV or XLSX): whole file or nothing, every bad row named."""
    content = file.file.read()  # a plain function: the import runs in the thread pool, not on the event loop
    import_id, rows, inserted = balances.import_balances(
        session, principal, filename=file.filename or "balances.csv", content=content, correction=correction
    )
    return BalanceImportRead(import_id=import_id, rows=rows, inserted=inserted)


@router.post("/market/policies", response_model=PolicyRead, status_code=201)
def create_policy(policy_in: PolicyCreate, principal: PrincipalDep, session: SessionDep) -> PolicyRead:
    return PolicyRead.model_validate(service.create_policy(session, principal, policy_in=policy_in))


@router.get("/market/policies", response_model=list[PolicyRead])
def list_policies(principal: PrincipalDep, session: SessionDep) -> list[PolicyRead]:
    return [PolicyRead.model_validate(p) for p in service.list_policies(session, principal)]


@router.post("/market/subsidies", response_model=SubsidyRead, status_code=201)
def apply_subsidy(subsidy_in: SubsidyCreate, principal: PrincipalDep, session: SessionDep) -> SubsidyRead:
    return SubsidyRead.model_validate(service.apply_subsidy(session, principal, subsidy_in=subsidy_in))


@router.get("/market/subsidies", response_model=Page[SubsidyRead])
def list_subsidies(
    principal: PrincipalDep,
    session: SessionDep,
    page: PageDep,
    status: Annotated[
        list[Literal["applied", "approved", "refused", "paid"]] | None, Query(max_length=4, description="Any of")
    ] = None,
) -> Page[SubsidyRead]:
    """Subsidy applications: the regulator all (to review), a bank those on its loans, a borrower its own."""
    rows, total = service.list_subsidies(session, principal, statuses=status, limit=page.limit, offset=page.offset)
    return Page(items=rows, total=total, offset=page.offset, limit=page.limit)


@router.post("/market/subsidies/{subsidy_id}/review", response_model=SubsidyRead)
def review_subsidy(subsidy_id: str, review: SubsidyReview, principal: PrincipalDep, session: SessionDep) -> SubsidyRead:
    return SubsidyRead.model_validate(service.review_subsidy(session, principal, subsidy_id=subsidy_id, review=review))


@router.get("/market/dashboard")
def dashboard(principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    """The regulator's platform dashboard."""
    return service.dashboard(session, principal)
