"""Auth API: tokens, the current principal, API keys, the audit log."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordRequestForm

from greenfin.auth import repository, service
from greenfin.auth.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    AuditEventRead,
    MeRead,
    OrganisationRead,
    PasswordChange,
    RevokedRead,
    TokenRead,
)
from greenfin.db import utcnow
from greenfin.errors import InvalidInput, NotFound
from greenfin.http import Page, PageDep, PrincipalDep, SessionDep, SettingsDep, presented_token, problem

router = APIRouter(tags=["auth"])

WRONG_CREDENTIALS = "wrong username or password"


@router.post("/auth/token", response_model=TokenRead, responses={401: {"description": "Wrong credentials"}})
def login(
    request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep, settings: SettingsDep
) -> TokenRead | JSONResponse:
    """Exchange a username and password for a bearer token (OAuth2 password flow).

    Failures are throttled per username and per client address (429 past the limit)."""
    address = request.client.host if request.client else None
    user = service.authenticate(session, settings, username=form.username, password=form.password, address=address)
    if user is None:
        # Answered, not raised: the failed attempt must be committed for the throttle to count it.
        response = problem(401, "Authentication required", WRONG_CREDENTIALS, code="unauthenticated")
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    secret, expires_at = service.issue_token(session, settings, user)
    return TokenRead(access_token=secret, expires_at=expires_at)


@router.post("/auth/logout", status_code=204)
def logout(request: Request, principal: PrincipalDep, session: SessionDep) -> None:
    """End the bearer token (or page session) this request presents."""
    secret = presented_token(request)
    if secret is None:
        raise InvalidInput("an API key is not logged in; it is revoked or rotated by an administrator")
    service.revoke_token(session, secret)


@router.post("/auth/logout-all", response_model=RevokedRead)
def logout_all(principal: PrincipalDep, session: SessionDep) -> RevokedRead:
    """End every bearer token and page session of the acting user, everywhere."""
    user = repository.user_by_id(session, principal.user_id) if principal.user_id else None
    if user is None:
        raise InvalidInput("an API key is not logged in; it is revoked or rotated by an administrator")
    ended = service.revoke_user_tokens(session, principal, user=user, reason="logout_all")
    return RevokedRead(tokens_revoked=ended)


@router.post("/auth/password", status_code=204)
def change_password(password_in: PasswordChange, principal: PrincipalDep, session: SessionDep) -> None:
    """Change the acting user's own password (the current one is needed); every session then ends."""
    service.change_own_password(
        session, principal, current_password=password_in.current_password, new_password=password_in.new_password
    )


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
    key, secret = service.create_api_key(
        session,
        organisation=organisation,
        name=key_in.name,
        role=key_in.role,
        scopes=key_in.scopes,
        organisation_codes=key_in.organisation_codes,
        region_code=key_in.region_code,
        expires_at=utcnow() + timedelta(days=key_in.expires_days) if key_in.expires_days else None,
    )
    return ApiKeyCreated(
        id=key.id,
        prefix=key.prefix,
        name=key.name,
        role=key.role,
        scopes=key.scopes or [],
        expires_at=key.expires_at,
        key=secret,
    )


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
