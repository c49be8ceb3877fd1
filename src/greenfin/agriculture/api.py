"""Agricultural carbon account API: the farm register, records, assessments, coverage, what-if."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, UploadFile

from greenfin.agriculture import service
from greenfin.agriculture.schemas import (
    AssessmentRead,
    ConflictResolve,
    CoverageRead,
    FarmAccountRead,
    FarmConflictRead,
    FarmCreate,
    FarmRead,
    FarmType,
    FarmWhatIf,
    FarmWhatIfRead,
    ImportRead,
    RecordsSubmit,
)
from greenfin.http import Page, PageDep, PrincipalDep, SessionDep, SettingsDep

router = APIRouter(prefix="/agriculture", tags=["agriculture"])


@router.post("/farms", response_model=FarmRead, status_code=201)
def register_farm(farm_in: FarmCreate, principal: PrincipalDep, session: SessionDep, settings: SettingsDep) -> FarmRead:
    """Put a farm on the register (staff), identified by USCC or by the holder's ID number."""
    farm = service.register_farm(session, principal, farm_in=farm_in, secret_key=settings.secret_key)
    return service.farm_read(farm)


@router.get("/farms", response_model=Page[FarmRead])
def list_farms(
    principal: PrincipalDep,
    session: SessionDep,
    page: PageDep,
    farm_type: Annotated[FarmType | None, Query()] = None,
    county_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    with_account: Annotated[bool | None, Query()] = None,
) -> Page[FarmRead]:
    """The farm register: staff see every farm, a farm its own."""
    items, total = service.list_farms(
        session,
        principal,
        farm_type=farm_type,
        county_code=county_code,
        with_account=with_account,
        offset=page.offset,
        limit=page.limit,
    )
    return Page[FarmRead](items=items, total=total, offset=page.offset, limit=page.limit)


@router.get("/farms/{farm_ref}", response_model=FarmAccountRead)
def get_account(farm_ref: str, principal: PrincipalDep, session: SessionDep) -> FarmAccountRead:
    """A farm's carbon account (by farm id or USCC): label and why, reductions, records."""
    return service.get_account(session, principal, farm_ref=farm_ref)


@router.post("/farms/{farm_ref}/account", response_model=FarmRead)
def open_account(farm_ref: str, principal: PrincipalDep, session: SessionDep) -> FarmRead:
    """Open the carbon account of a registered farm."""
    return service.farm_read(service.open_account(session, principal, farm_ref=farm_ref))


@router.post("/farms/{farm_ref}/records", response_model=ImportRead, status_code=201)
def submit_records(farm_ref: str, submit_in: RecordsSubmit, principal: PrincipalDep, session: SessionDep) -> ImportRead:
    """Store a farm-year's baseline and practice records (replacing the year's current ones) and assess it."""
    return service.submit_records(session, principal, farm_ref=farm_ref, submit=submit_in)


@router.post("/imports", response_model=ImportRead, status_code=201)
async def import_file(file: UploadFile, principal: PrincipalDep, session: SessionDep) -> ImportRead:
    """Import a CSV of baselines and practice records: all rows or none, every bad row reported."""
    content = await file.read()
    return service.import_file(session, principal, filename=file.filename or "upload.csv", content=content)


@router.post("/farms/{farm_ref}/assessments/{year}", response_model=AssessmentRead)
def assess(
    farm_ref: str, year: Annotated[int, Path(ge=1990, le=2100)], principal: PrincipalDep, session: SessionDep
) -> AssessmentRead:
    """Compute and store a farm's reduction and label for a year with the current methodology."""
    return service.assess(session, principal, farm_ref=farm_ref, year=year)


@router.post("/farms/{farm_ref}/what-if", response_model=FarmWhatIfRead)
def what_if(farm_ref: str, what_if_in: FarmWhatIf, principal: PrincipalDep, session: SessionDep) -> FarmWhatIfRead:
    """The reduction and label the farm would have with these practices added (nothing stored)."""
    return service.what_if(session, principal, farm_ref=farm_ref, what_if_in=what_if_in)


@router.get("/conflicts", response_model=list[FarmConflictRead])
def conflicts(
    principal: PrincipalDep,
    session: SessionDep,
    status: Annotated[Literal["open", "accepted", "rejected", "superseded"] | None, Query()] = "open",
) -> list[FarmConflictRead]:
    """Submissions held beside a farm-year's stronger figures (staff: every farm; a farm: its own)."""
    return service.list_conflicts(session, principal, status=status)


@router.post("/conflicts/{conflict_id}/resolve", response_model=FarmConflictRead)
def resolve_conflict(
    conflict_id: str, resolve_in: ConflictResolve, principal: PrincipalDep, session: SessionDep
) -> FarmConflictRead:
    """A regulator accepts the held figures (they become the farm-year's) or rejects them."""
    return service.resolve_conflict(
        session, principal, conflict_id=conflict_id, accept=resolve_in.accept, note=resolve_in.note
    )


@router.get("/coverage", response_model=CoverageRead)
def coverage(principal: PrincipalDep, session: SessionDep) -> CoverageRead:
    """Share of registered farms with a carbon account, per category and per county."""
    return service.coverage(session, principal)
