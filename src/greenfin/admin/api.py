"""Administration API under ``/api/v1/admin``: admins write, regulators read, everyone else is refused (403).

The one public route is ``POST /api/v1/registrations``: an enterprise or farm asks to join.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from greenfin.admin import service
from greenfin.admin.schemas import (
    ApiKeyRotate,
    OrganisationCreate,
    OrganisationRead,
    PasswordReset,
    RegistrationCreate,
    RegistrationRead,
    RegistrationReject,
    RegistrationStatus,
    UserCreate,
    UserRead,
)
from greenfin.auth.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyRead, AuditEventRead, RevokedRead
from greenfin.http import Page, PageDep, PrincipalDep, SessionDep, SettingsDep

router = APIRouter(tags=["admin"])
CodeQuery = Annotated[str | None, Query(max_length=120)]


@router.get("/admin/organisations", response_model=list[OrganisationRead])
def list_organisations(
    principal: PrincipalDep, session: SessionDep, kind: Annotated[str | None, Query(max_length=20)] = None
) -> list[OrganisationRead]:
    """Every organisation, or those of one kind (admin, regulator)."""
    return service.list_organisations(session, principal, kind=kind)


@router.post("/admin/organisations", response_model=OrganisationRead, status_code=201)
def create_organisation(
    organisation_in: OrganisationCreate, principal: PrincipalDep, session: SessionDep
) -> OrganisationRead:
    """Register an organisation (admin); the USCC is checked where the kind has one; duplicates refused."""
    return service.create_organisation(
        session,
        principal,
        kind=organisation_in.kind,
        code=organisation_in.code,
        name=organisation_in.name,
        region_code=organisation_in.region_code,
    )


@router.get("/admin/users", response_model=list[UserRead])
def list_users(principal: PrincipalDep, session: SessionDep) -> list[UserRead]:
    """Every user and the organisation it acts for (admin, regulator)."""
    return service.list_users(session, principal)


@router.post("/admin/users", response_model=UserRead, status_code=201)
def create_user(user_in: UserCreate, principal: PrincipalDep, session: SessionDep) -> UserRead:
    """Create a user (admin); the role must fit the organisation's kind, the password the policy."""
    return service.create_user(
        session,
        principal,
        username=user_in.username,
        role=user_in.role,
        organisation_code=user_in.organisation_code,
        password=user_in.password,
        display_name=user_in.display_name,
    )


@router.post("/admin/users/{username}/disable", response_model=UserRead)
def disable_user(username: str, principal: PrincipalDep, session: SessionDep) -> UserRead:
    """Disable a user (admin): no more logins, every token of theirs stops at once."""
    return service.disable_user(session, principal, username=username)


@router.post("/admin/users/{username}/enable", response_model=UserRead)
def enable_user(username: str, principal: PrincipalDep, session: SessionDep) -> UserRead:
    """Let a disabled user log in again (admin)."""
    return service.enable_user(session, principal, username=username)


@router.post("/admin/users/{username}/reset-password", response_model=UserRead)
def reset_password(username: str, reset_in: PasswordReset, principal: PrincipalDep, session: SessionDep) -> UserRead:
    """Set a user's new password (admin, under the policy); their sessions end."""
    return service.reset_password(session, principal, username=username, password=reset_in.password)


@router.post("/admin/users/{username}/revoke-tokens", response_model=RevokedRead)
def revoke_tokens(username: str, principal: PrincipalDep, session: SessionDep) -> RevokedRead:
    """End every bearer token and page session of a user (admin)."""
    return RevokedRead(tokens_revoked=service.revoke_tokens(session, principal, username=username))


@router.get("/admin/api-keys", response_model=list[ApiKeyRead])
def list_api_keys(principal: PrincipalDep, session: SessionDep) -> list[ApiKeyRead]:
    """Every API key with its scopes and status, never its secret (admin, regulator)."""
    return service.list_api_keys(session, principal)


@router.post("/admin/api-keys", response_model=ApiKeyCreated, status_code=201)
def create_api_key(key_in: ApiKeyCreate, principal: PrincipalDep, session: SessionDep) -> ApiKeyCreated:
    """Issue a scoped API key (admin); never with a staff role; the key is shown once."""
    return service.create_api_key(
        session,
        principal,
        organisation_code=key_in.organisation_code,
        name=key_in.name,
        role=key_in.role,
        scopes=key_in.scopes,
        organisation_codes=key_in.organisation_codes,
        region_code=key_in.region_code,
        expires_days=key_in.expires_days,
    )


@router.post("/admin/api-keys/{prefix}/revoke", response_model=ApiKeyRead)
def revoke_api_key(prefix: str, principal: PrincipalDep, session: SessionDep) -> ApiKeyRead:
    """Revoke an API key at once (admin)."""
    return service.revoke_api_key(session, principal, prefix=prefix)


@router.post("/admin/api-keys/{prefix}/rotate", response_model=ApiKeyCreated, status_code=201)
def rotate_api_key(
    prefix: str, principal: PrincipalDep, session: SessionDep, rotate_in: ApiKeyRotate | None = None
) -> ApiKeyCreated:
    """Replace an API key by a new one of the same reach (admin); the old one stops now or after the grace."""
    grace = rotate_in.grace_hours if rotate_in else 0
    return service.rotate_api_key(session, principal, prefix=prefix, grace_hours=grace)


@router.get("/admin/audit", response_model=Page[AuditEventRead])
def audit(
    principal: PrincipalDep,
    session: SessionDep,
    page: PageDep,
    actor: CodeQuery = None,
    entity_type: CodeQuery = None,
    entity_id: CodeQuery = None,
    since: Annotated[date | None, Query(description="First Beijing day")] = None,
    until: Annotated[date | None, Query(description="Last Beijing day (included)")] = None,
) -> Page[AuditEventRead]:
    """The audit log filtered by actor, entity and a range of Beijing days (admin, regulator)."""
    items, total = service.audit(
        session,
        principal,
        actor=actor,
        entity_type=entity_type,
        entity_id=entity_id,
        since=since,
        until=until,
        offset=page.offset,
        limit=page.limit,
    )
    return Page[AuditEventRead](items=items, total=total, offset=page.offset, limit=page.limit)


@router.get("/admin/audit.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def audit_csv(
    principal: PrincipalDep,
    session: SessionDep,
    actor: CodeQuery = None,
    entity_type: CodeQuery = None,
    entity_id: CodeQuery = None,
    since: Annotated[date | None, Query(description="First Beijing day")] = None,
    until: Annotated[date | None, Query(description="Last Beijing day (included)")] = None,
) -> Response:
    """The filtered audit log as CSV, times in Beijing time (admin, regulator)."""
    text = service.audit_csv(
        session, principal, actor=actor, entity_type=entity_type, entity_id=entity_id, since=since, until=until
    )
    return csv_response(text)


def csv_response(text: str) -> Response:
    """A CSV download of the audit log."""
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="greenfin-audit.csv"', "Cache-Control": "no-store"},
    )


@router.get("/admin/registrations", response_model=list[RegistrationRead])
def list_registrations(
    principal: PrincipalDep, session: SessionDep, status: RegistrationStatus | None = "pending"
) -> list[RegistrationRead]:
    """Self-service registrations, by default those waiting (admin, regulator)."""
    return service.list_registrations(session, principal, status=status)


@router.post("/admin/registrations/{registration_id}/approve", response_model=RegistrationRead)
def approve_registration(
    registration_id: str, principal: PrincipalDep, session: SessionDep, settings: SettingsDep
) -> RegistrationRead:
    """Approve a registration (regulator): organisation, user and register entry are created."""
    return service.approve_registration(session, principal, registration_id=registration_id, settings=settings)


@router.post("/admin/registrations/{registration_id}/reject", response_model=RegistrationRead)
def reject_registration(
    registration_id: str, reject_in: RegistrationReject, principal: PrincipalDep, session: SessionDep
) -> RegistrationRead:
    """Reject a registration with a reason (regulator)."""
    return service.reject_registration(session, principal, registration_id=registration_id, reason=reject_in.reason)


@router.post("/registrations", response_model=RegistrationRead, status_code=201)
def register(
    registration_in: RegistrationCreate, request: Request, session: SessionDep, settings: SettingsDep
) -> RegistrationRead:
    """An enterprise or farm asks to join (public); its login works once a regulator approves."""
    address = request.client.host if request.client else None
    return service.register(session, settings, registration_in=registration_in, address=address)
