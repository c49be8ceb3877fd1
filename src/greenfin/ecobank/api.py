"""Two Mountains Bank API: the valuation calculator, the asset registry, documents and valuations."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Form, Query, UploadFile
from fastapi.responses import Response

from greenfin.ecobank import service
from greenfin.ecobank.schemas import (
    AssetCreate,
    AssetKind,
    AssetListItem,
    AssetRead,
    DepositCreate,
    DepositRead,
    DistributionCreate,
    DocumentKind,
    DocumentRead,
    LtvRead,
    Method,
    OperatorCreate,
    OperatorRead,
    PaymentCreate,
    PaymentRead,
    PledgeCreate,
    PledgeEnd,
    PledgeRead,
    ProjectCreate,
    ProjectRead,
    ReversalCreate,
    ShareCreate,
    SummaryRead,
    ValuationCreate,
    ValuationRead,
    ValuationResult,
)
from greenfin.http import Page, PageDep, PrincipalDep, SessionDep, SettingsDep

router = APIRouter(prefix="/ecobank", tags=["ecobank"])


@router.get("/summary", response_model=SummaryRead)
def summary(
    principal: PrincipalDep,
    session: SessionDep,
    county_code: Annotated[str | None, Query(min_length=6, max_length=6, pattern=r"^\d{6}$")] = None,
) -> SummaryRead:
    """Assets and value by kind and county, deposits, loans secured and income paid to households (the
    dashboard): staff the region or one county, an ecological bank its own county."""
    return service.summary(session, principal, county_code=county_code)


@router.get("/methods")
def methods(principal: PrincipalDep) -> dict[str, Any]:
    """The valuation methods, GEP prices and loan-to-value caps in force, each with its source and confidence."""
    return service.methods_summary()


@router.post("/value/{method}", response_model=ValuationResult)
def value(method: Method, principal: PrincipalDep, inputs: Annotated[dict[str, Any], Body()]) -> ValuationResult:
    """Value by a method from its input object (the shapes of `greenfin ecobank value`); nothing is stored."""
    return service.calculate(method, inputs)


@router.post("/operators", response_model=OperatorRead, status_code=201)
def register_operator(operator_in: OperatorCreate, principal: PrincipalDep, session: SessionDep) -> OperatorRead:
    """Name an organisation as a county's ecological bank (admin)."""
    operator = service.register_operator(session, principal, operator_in=operator_in)
    return OperatorRead.model_validate(operator, from_attributes=True)


@router.post("/assets", response_model=AssetRead, status_code=201)
def register_asset(
    asset_in: AssetCreate, principal: PrincipalDep, session: SessionDep, settings: SettingsDep
) -> AssetRead:
    """Register an ecological asset (staff, or the county's ecological bank); a taken certificate is refused (409)."""
    asset = service.register_asset(session, principal, asset_in=asset_in, secret_key=settings.secret_key)
    return service.asset_read(session, asset)


@router.get("/assets", response_model=Page[AssetListItem])
def list_assets(
    principal: PrincipalDep,
    session: SessionDep,
    page: PageDep,
    county_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    kind: Annotated[AssetKind | None, Query()] = None,
) -> Page[AssetListItem]:
    """The registry as the principal may see it: staff all, an ecological bank its county, an owner its own."""
    items, total = service.list_assets(
        session, principal, county_code=county_code, kind=kind, offset=page.offset, limit=page.limit
    )
    return Page[AssetListItem](items=items, total=total, offset=page.offset, limit=page.limit)


@router.get("/assets/{asset_id}", response_model=AssetRead)
def get_asset(asset_id: str, principal: PrincipalDep, session: SessionDep) -> AssetRead:
    """One asset with its certificates, remaining term and latest appraised value."""
    return service.asset_read(session, service.get_asset(session, principal, asset_id))


@router.get("/assets/{asset_id}/ltv", response_model=LtvRead)
def asset_ltv(
    asset_id: str,
    principal: PrincipalDep,
    session: SessionDep,
    yearly_income_fen: Annotated[
        int | None, Query(ge=0, le=10**15, description="for caps set on a yearly income, fen")
    ] = None,
) -> LtvRead:
    """The loan-to-value cap of the asset's kind and the largest loan it allows on the latest appraisal."""
    asset = service.get_asset(session, principal, asset_id)
    return service.ltv(asset, yearly_income_fen=yearly_income_fen)


@router.post("/assets/{asset_id}/valuations", response_model=ValuationRead, status_code=201)
def appraise(
    asset_id: str, valuation_in: ValuationCreate, principal: PrincipalDep, session: SessionDep
) -> ValuationRead:
    """Value an asset by a method and keep the valuation (method, inputs, parameters, version, valuer, date)."""
    valuation = service.appraise(session, principal, asset_id=asset_id, valuation_in=valuation_in)
    return ValuationRead.model_validate(valuation, from_attributes=True)


@router.get("/assets/{asset_id}/valuations", response_model=list[ValuationRead])
def valuations(asset_id: str, principal: PrincipalDep, session: SessionDep) -> list[ValuationRead]:
    """An asset's valuation history, newest first."""
    return service.valuations(session, principal, asset_id=asset_id)


@router.post("/assets/{asset_id}/documents", response_model=DocumentRead, status_code=201)
async def add_document(
    asset_id: str,
    file: UploadFile,
    principal: PrincipalDep,
    session: SessionDep,
    kind: Annotated[
        DocumentKind, Form(description="certificate, contract, survey, pledge_consent (the owner's consent) or other")
    ] = "other",
) -> DocumentRead:
    """Store a file of the asset (certificate, contract, survey, the owner's consent to a pledge) with its SHA-256."""
    content = await file.read()
    document = service.add_document(
        session,
        principal,
        asset_id=asset_id,
        filename=file.filename or "document",
        content_type=file.content_type or "application/octet-stream",
        content=content,
        kind=kind,
    )
    return DocumentRead.model_validate(document, from_attributes=True)


@router.get("/assets/{asset_id}/documents", response_model=list[DocumentRead])
def documents(asset_id: str, principal: PrincipalDep, session: SessionDep) -> list[DocumentRead]:
    """The asset's stored files (names, sizes, SHA-256)."""
    return service.documents(session, principal, asset_id=asset_id)


@router.get("/assets/{asset_id}/documents/{document_id}")
def download(asset_id: str, document_id: str, principal: PrincipalDep, session: SessionDep) -> Response:
    """A stored file, as uploaded; its SHA-256 in the `Digest`-like header `X-Content-SHA256`."""
    document = service.document_content(session, principal, asset_id=asset_id, document_id=document_id)
    headers = {
        "X-Content-SHA256": document.sha256,
        "Content-Disposition": "attachment; filename*=UTF-8''" + quote(document.filename, safe=""),
    }
    return Response(document.content, media_type=document.content_type, headers=headers)


@router.post("/assets/{asset_id}/deposits", response_model=DepositRead, status_code=201)
def deposit_asset(
    asset_id: str, deposit_in: DepositCreate, principal: PrincipalDep, session: SessionDep
) -> DepositRead:
    """Deposit the asset's use right with the county's ecological bank (存入) for a term; one active at a time."""
    return service.deposit_asset(session, principal, asset_id=asset_id, deposit_in=deposit_in)


@router.get("/assets/{asset_id}/deposits", response_model=list[DepositRead])
def deposits(asset_id: str, principal: PrincipalDep, session: SessionDep) -> list[DepositRead]:
    """The asset's deposits, newest first, each with the sum paid so far."""
    return service.deposits(session, principal, asset_id=asset_id)


@router.post("/deposits/{deposit_id}/end", response_model=DepositRead)
def end_deposit(deposit_id: str, principal: PrincipalDep, session: SessionDep) -> DepositRead:
    """End an active deposit; its payment ledger stays."""
    return service.end_deposit(session, principal, deposit_id=deposit_id)


@router.post("/deposits/{deposit_id}/payments", response_model=PaymentRead, status_code=201)
def record_payment(
    deposit_id: str, payment_in: PaymentCreate, principal: PrincipalDep, session: SessionDep
) -> PaymentRead:
    """Append a rent or dividend payment to the deposit's ledger."""
    return service.record_payment(session, principal, deposit_id=deposit_id, payment_in=payment_in)


@router.get("/deposits/{deposit_id}/payments", response_model=list[PaymentRead])
def payments(deposit_id: str, principal: PrincipalDep, session: SessionDep) -> list[PaymentRead]:
    """The deposit's payment ledger, oldest first (append-only: corrections are reversing entries)."""
    return service.payments(session, principal, deposit_id=deposit_id)


@router.post("/payments/{payment_id}/reversal", response_model=PaymentRead, status_code=201)
def reverse_payment(
    payment_id: str, reversal_in: ReversalCreate, principal: PrincipalDep, session: SessionDep
) -> PaymentRead:
    """Correct a payment with a reversing entry (its negative amount, pointing at it, with the reason)."""
    return service.reverse_payment(session, principal, payment_id=payment_id, reversal_in=reversal_in)


@router.post("/projects", response_model=ProjectRead, status_code=201)
def create_project(project_in: ProjectCreate, principal: PrincipalDep, session: SessionDep) -> ProjectRead:
    """Open a pooled project (共富果园) of a county's ecological bank, with its transfer (流转) contract if any."""
    return service.create_project(session, principal, project_in=project_in)


@router.get("/projects/{project_id}", response_model=ProjectRead)
def project(project_id: str, principal: PrincipalDep, session: SessionDep) -> ProjectRead:
    """A project with its holders (deposits) and their shares."""
    return service.project_read(session, principal, project_id=project_id)


@router.post("/projects/{project_id}/shares", response_model=ProjectRead, status_code=201)
def add_share(project_id: str, share_in: ShareCreate, principal: PrincipalDep, session: SessionDep) -> ProjectRead:
    """Pool an active dividend deposit into the project with its shares."""
    return service.add_share(session, principal, project_id=project_id, share_in=share_in)


@router.post("/projects/{project_id}/distributions", response_model=list[PaymentRead], status_code=201)
def distribute(
    project_id: str, distribution_in: DistributionCreate, principal: PrincipalDep, session: SessionDep
) -> list[PaymentRead]:
    """Share a dividend out by household shares (largest remainder, to the fen) into the deposits' ledgers."""
    return service.distribute(session, principal, project_id=project_id, distribution_in=distribution_in)


@router.post("/pledges", response_model=PledgeRead, status_code=201)
def pledge_asset(pledge_in: PledgeCreate, principal: PrincipalDep, session: SessionDep) -> PledgeRead:
    """A bank pledges an asset for one of its loans, within the loan-to-value cap; one active pledge per asset."""
    return service.pledge_asset(session, principal, pledge_in=pledge_in)


@router.post("/pledges/{pledge_id}/release", response_model=PledgeRead)
def release_pledge(pledge_id: str, end_in: PledgeEnd, principal: PrincipalDep, session: SessionDep) -> PledgeRead:
    """The lending bank releases the pledge (the loan repaid)."""
    return service.end_pledge(session, principal, pledge_id=pledge_id, how="released", end_in=end_in)


@router.post("/pledges/{pledge_id}/enforce", response_model=PledgeRead)
def enforce_pledge(pledge_id: str, end_in: PledgeEnd, principal: PrincipalDep, session: SessionDep) -> PledgeRead:
    """The lending bank records the pledge's enforcement (处置)."""
    return service.end_pledge(session, principal, pledge_id=pledge_id, how="enforced", end_in=end_in)


@router.get("/assets/{asset_id}/pledges", response_model=list[PledgeRead])
def asset_pledges(asset_id: str, principal: PrincipalDep, session: SessionDep) -> list[PledgeRead]:
    """An asset's pledges: its owner, its ecological bank and staff see all; a bank its own."""
    return service.asset_pledges(session, principal, asset_id=asset_id)
