"""Industrial carbon account API: enterprises, accounts, labels, versions, overview, imports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Path, Query, UploadFile

from greenfin.http import Page, PageDep, PrincipalDep, SessionDep
from greenfin.industry import service
from greenfin.industry.schemas import (
    AccountRead,
    ConflictRead,
    ConflictResolve,
    ConflictStatus,
    EnterpriseListItem,
    ImportKind,
    ImportRead,
    LabelCode,
    LabelRead,
    LabelRunRead,
    OverviewRead,
    VersionRead,
)

router = APIRouter(prefix="/industry", tags=["industry"])

Year = Annotated[int, Query(ge=1990, le=2100, description="Accounting year")]


@router.get("/enterprises", response_model=Page[EnterpriseListItem])
def list_enterprises(
    principal: PrincipalDep,
    session: SessionDep,
    page: PageDep,
    year: Annotated[int | None, Query(ge=1990, le=2100, description="Label year (default: latest)")] = None,
    county: Annotated[str | None, Query(description="GB/T 2260 county code")] = None,
    industry: Annotated[str | None, Query(description="GB/T 4754 class or prefix (division)")] = None,
    label: Annotated[LabelCode | None, Query()] = None,
    q: Annotated[str | None, Query(max_length=100, description="Name contains, or USCC starts with")] = None,
) -> Page[EnterpriseListItem]:
    """Enterprises with their carbon label (staff: the region; an enterprise: itself)."""
    items, total = service.list_enterprises(
        session,
        principal,
        year=year,
        county_code=county,
        industry_code=industry,
        label=label,
        q=q,
        offset=page.offset,
        limit=page.limit,
    )
    return Page[EnterpriseListItem](items=items, total=total, offset=page.offset, limit=page.limit)


@router.get("/enterprises/{uscc}/account", response_model=AccountRead)
def account(
    uscc: Annotated[str, Path(min_length=18, max_length=18)], year: Year, principal: PrincipalDep, session: SessionDep
) -> AccountRead:
    """The carbon account of one enterprise and year: emissions by source, scope, month, intensities, label and why."""
    return service.get_account(session, principal, uscc=uscc, year=year)


@router.get("/enterprises/{uscc}/labels", response_model=list[LabelRead])
def labels(uscc: str, principal: PrincipalDep, session: SessionDep) -> list[LabelRead]:
    """Every label of the enterprise (all years and methodology versions), with explanations."""
    return service.label_history(session, principal, uscc=uscc)


@router.get("/enterprises/{uscc}/versions", response_model=list[VersionRead])
def data_versions(uscc: str, year: Year, principal: PrincipalDep, session: SessionDep) -> list[VersionRead]:
    """Every imported version of the enterprise's data for a year, current and superseded."""
    return service.versions(session, principal, uscc=uscc, year=year)


@router.get("/overview", response_model=OverviewRead)
def overview(year: Year, principal: PrincipalDep, session: SessionDep) -> OverviewRead:
    """The region: labels by county and industry, biggest emitters, trend (staff only)."""
    return service.overview(session, principal, year=year)


@router.get("/conflicts", response_model=list[ConflictRead])
def conflicts(
    principal: PrincipalDep,
    session: SessionDep,
    uscc: Annotated[str | None, Query(max_length=18, description="One enterprise (staff); yours otherwise")] = None,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    status: Annotated[ConflictStatus | None, Query(description="Default open; omit with status= for all")] = "open",
) -> list[ConflictRead]:
    """Figures kept beside a higher-authority figure of the same item (not used until a regulator accepts)."""
    return service.list_conflicts(session, principal, uscc=uscc, year=year, status=status)


@router.post("/conflicts/{kind}/{row_id}/resolve", response_model=ConflictRead)
def resolve_conflict(
    kind: Annotated[str, Path(pattern="^(energy|process|annual)$")],
    row_id: Annotated[int, Path(ge=1, le=2**62)],
    decision: ConflictResolve,
    principal: PrincipalDep,
    session: SessionDep,
) -> ConflictRead:
    """The regulator accepts the held figure (it replaces the one in use) or rejects it; audited."""
    return service.resolve_conflict(session, principal, kind=kind, row_id=row_id, decision=decision)


@router.post("/imports/{kind}", response_model=ImportRead, status_code=201)
def import_file(
    kind: ImportKind,
    file: Annotated[UploadFile, File(description="CSV (UTF-8) or XLSX")],
    principal: PrincipalDep,
    session: SessionDep,
) -> ImportRead:
    """Import a file of enterprises, energy records, process emissions or annual figures (all rows or none).

    At most 50 MiB per file (413 above); a refused file lists its first 1,000 problems."""
    filename = file.filename or "upload.csv"
    return service.import_file(session, principal, kind=kind, filename=filename, content=_read_capped(file, filename))


def _read_capped(file: UploadFile, filename: str) -> bytes:
    """The upload's bytes, read in chunks and refused as soon as it passes the cap (never read whole)."""
    chunks: list[bytes] = []
    size = 0
    while chunk := file.file.read(1024 * 1024):
        size += len(chunk)
        service.check_upload_size(size, filename)
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/labels/{year}", response_model=LabelRunRead)
def label_all(
    year: Annotated[int, Path(ge=1991, le=2100)],
    principal: PrincipalDep,
    session: SessionDep,
    methodology: Annotated[str | None, Query(description="Methodology version (default: newest)")] = None,
    factor_set: Annotated[str | None, Query(description="Factor-set version (default set)")] = None,
) -> LabelRunRead:
    """Label every enterprise with data in the year: one set-based batch, replacing that year's labels of the
    same versions."""
    return service.label_all(
        session, principal, year=year, methodology_version=methodology, factor_set_version=factor_set
    )
