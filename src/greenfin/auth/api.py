"""Auth API: tokens, the current principal, API keys, the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordRequestForm

from greenfin.auth import repository, service
from greenfin.auth.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    AuditEventRead,
    MeRead,
    OrganisationRead,
    TokenRead,
)
from greenfin.errors import NotFound
from greenfin.http import Page, PageDep, PrincipalDep, SessionDep, SettingsDep, problem

router = APIRouter(tags=["auth"])

WRONG_CREDENTIALS = "wrong username or password"


@router.post("/auth/token", response_model=TokenRead, responses={401: {"description": "Wrong credentials"}})
def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep, settings: SettingsDep
) -> TokenRead | JSONResponse:
    """Exchange a username and password for a bearer token (OAuth2 password flow)."""
    user = service.authenticate(session, settings, username=form.username, password=form.password)
    if user is None:
        # Answered, not raised: the failed attempt must be committed for the throttle to count it.
        response = problem(401, "Authentication required", WRONG_CREDENTIALS, code="unauthenticated")
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    secret, expires_at = service.issue_token(session, settings, user)
    return TokenRead(access_token=secret, expires_at=expires_at)


@router.get("/me", response_model=MeRead)
def me(principal: PrincipalDep, session: SessionDep) -> MeRead:
    """The acting user or machine, its role and the organisation it acts for."""
    user = repository.user_by_id(session, principal.user_id) if principal.user_id else None
    organisation = (
        repository.organisation_by_id(session, principal.organisation_id) if principal.organisation_id else None
    )
    return MeRead(
        username=user.username if user else None,
        display_name=user.display_name if user else None,
        role=principal.role,
        actor=principal.actor,
        organisation=OrganisationRead.model_validate(organisation) if organisation else None,
    )


@router.post("/auth/api-keys", response_model=ApiKeyCreated, status_code=201)
def create_api_key(key_in: ApiKeyCreate, principal: PrincipalDep, session: SessionDep) -> ApiKeyCreated:
    """Issue an API key to an organisation (admin only); the key is shown once."""
    service.require_role(principal, "admin")
    organisation = repository.organisation_by_code(session, key_in.organisation_code)
    if organisation is None:
        raise NotFound(f"no organisation with code {key_in.organisation_code}")
    key, secret = service.create_api_key(session, organisation=organisation, name=key_in.name, role=key_in.role)
    return ApiKeyCreated(id=key.id, prefix=key.prefix, name=key.name, role=key.role, key=secret)


@router.delete("/auth/api-keys/{prefix}", status_code=204)
def revoke_api_key(prefix: str, principal: PrincipalDep, session: SessionDep) -> None:
    """Revoke an API key (admin only)."""
    service.require_role(principal, "admin")
    service.revoke_api_key(session, prefix=prefix)


@router.get("/audit", response_model=Page[AuditEventRead])
def audit_log(
    principal: PrincipalDep,
    session: SessionDep,
    page: PageDep,
    entity_type: Annotated[str | None, Query()] = None,
    entity_id: Annotated[str | None, Query()] = None,
) -> Page[AuditEventRead]:
    """The audit log: staff see every event, others the events of their own organisation."""
    organisation_id = None if principal.is_staff else principal.organisation_id
    if not principal.is_staff and organisation_id is None:
        service.require_role(principal, "admin", "regulator")
    rows, total = repository.audit_events(
        session,
        entity_type=entity_type,
        entity_id=entity_id,
        organisation_id=organisation_id,
        offset=page.offset,
        limit=page.limit,
    )
    return Page[AuditEventRead](
        items=[AuditEventRead.model_validate(row) for row in rows], total=total, offset=page.offset, limit=page.limit
    )
