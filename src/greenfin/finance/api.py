"""Carbon-linked finance API: terms, consents, signed carbon credit reports, what-if."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from greenfin.finance import report as report_pdf
from greenfin.finance import service
from greenfin.finance.schemas import (
    ConsentCreate,
    ConsentRead,
    EnterpriseWhatIf,
    EnterpriseWhatIfRead,
    FarmWhatIfIn,
    FarmWhatIfTermsRead,
    ReportReadEvent,
    ReportRequest,
    ReportSummary,
    SignedReport,
    SigningKeyList,
    SigningKeyRead,
    TermsRead,
    TermsRequest,
)
from greenfin.http import PrincipalDep, SessionDep, SettingsDep

router = APIRouter(prefix="/finance", tags=["finance"])


@router.get("/signing-key", response_model=SigningKeyRead)
def signing_key(session: SessionDep, settings: SettingsDep) -> SigningKeyRead:
    """The Ed25519 public key the platform signs carbon credit reports with now (public, no login).

    Public on purpose: anyone holding a report must be able to verify it offline. Old reports
    name older keys: the whole list is at ``/finance/keys``.
    """
    info = service.signing_key(session, settings)
    return SigningKeyRead(
        algorithm=info.algorithm, key_id=info.key_id, public_key=info.public_key, public_key_pem=info.public_key_pem
    )


@router.get("/keys", response_model=SigningKeyList)
def signing_keys(session: SessionDep, settings: SettingsDep) -> SigningKeyList:
    """Every key that signed reports, with its validity (public, no login): a bank saves this list and verifies
    offline with ``greenfin finance verify REPORT --trusted-keys keys.json``."""
    return SigningKeyList(keys=service.signing_keys(session, settings))


@router.post("/terms", response_model=TermsRead)
def credit_terms(request_in: TermsRequest, principal: PrincipalDep, session: SessionDep) -> TermsRead:
    """For this borrower and this base offer: the terms its current labels earn, each change traced."""
    return service.credit_terms(session, principal, request=request_in)


@router.post("/consents", response_model=ConsentRead, status_code=201)
def grant_consent(consent_in: ConsentCreate, principal: PrincipalDep, session: SessionDep) -> ConsentRead:
    """The borrower (enterprise or farm) grants a bank access to its carbon data until a time."""
    return service.consent_read(service.grant_consent(session, principal, consent_in=consent_in))


@router.get("/consents", response_model=list[ConsentRead])
def list_consents(principal: PrincipalDep, session: SessionDep) -> list[ConsentRead]:
    """Consents the borrower granted, or consents a bank holds."""
    return service.list_consents(session, principal)


@router.post("/consents/{consent_id}/revoke", response_model=ConsentRead)
def revoke_consent(consent_id: str, principal: PrincipalDep, session: SessionDep) -> ConsentRead:
    """The borrower revokes a consent now; the bank is refused from then on."""
    return service.consent_read(service.revoke_consent(session, principal, consent_id=consent_id))


@router.post("/reports", response_model=SignedReport, status_code=201)
def issue_report(
    request_in: ReportRequest, principal: PrincipalDep, session: SessionDep, settings: SettingsDep
) -> SignedReport:
    """A bank requests a signed carbon credit report of a consenting borrower."""
    return service.issue_report(session, principal, request=request_in, settings=settings)


@router.get("/reports", response_model=list[ReportSummary])
def list_reports(principal: PrincipalDep, session: SessionDep) -> list[ReportSummary]:
    """Reports a bank requested, or reports issued about the borrower."""
    return service.list_reports(session, principal)


@router.get("/reports/{report_id}", response_model=SignedReport)
def read_report(report_id: str, principal: PrincipalDep, session: SessionDep) -> SignedReport:
    """A stored signed report (the bank under a live consent, the borrower, staff); the read is audited."""
    report = service.read_report(session, principal, report_id=report_id, form="json")
    return SignedReport.model_validate(report.document)


@router.get("/reports/{report_id}/pdf", response_class=Response)
def read_report_pdf(report_id: str, principal: PrincipalDep, session: SessionDep) -> Response:
    """The report as PDF (Chinese), with its id, key id and signature; the read is audited."""
    report = service.read_report(session, principal, report_id=report_id, form="pdf")
    return Response(
        report_pdf.render_pdf(report.document),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="carbon-credit-report-{report.id}.pdf"'},
    )


@router.get("/report-reads", response_model=list[ReportReadEvent])
def report_reads(
    principal: PrincipalDep,
    session: SessionDep,
    farm: Annotated[str | None, Query(description="A farm of yours (id or USCC); else your enterprise")] = None,
) -> list[ReportReadEvent]:
    """Who read carbon credit reports about you, when, and in what form."""
    return service.report_reads(session, principal, farm_ref=farm)


@router.post("/what-if/enterprise", response_model=EnterpriseWhatIfRead)
def enterprise_what_if(
    what_if_in: EnterpriseWhatIf, principal: PrincipalDep, session: SessionDep
) -> EnterpriseWhatIfRead:
    """New emissions, label and terms if the enterprise changed its energy mix (nothing stored)."""
    return service.enterprise_what_if(session, principal, what_if_in=what_if_in)


@router.post("/what-if/farm", response_model=FarmWhatIfTermsRead)
def farm_what_if(what_if_in: FarmWhatIfIn, principal: PrincipalDep, session: SessionDep) -> FarmWhatIfTermsRead:
    """New reduction, label and terms if the farm added practices, e.g. a biogas digester (nothing stored)."""
    return service.farm_what_if(session, principal, what_if_in=what_if_in)
