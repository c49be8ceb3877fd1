"""Shapes of the auth API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


class OrganisationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    name: str
    code: str = Field(description="Bank code or unified social credit code")
    region_code: str | None


class MeRead(BaseModel):
    username: str | None = Field(description="None for an API key")
    display_name: str | None
    role: str
    actor: str
    organisation: OrganisationRead | None


class ApiKeyCreate(BaseModel):
    organisation_code: str = Field(max_length=40, description="Code of the organisation the key acts for")
    name: str = Field(min_length=1, max_length=200)
    role: str | None = Field(
        default=None, max_length=20, description="data_source, bank or enterprise (default by organisation kind)"
    )
    scopes: list[str] | None = Field(
        default=None, max_length=10, description="Data kinds the key may write (default by organisation kind)"
    )
    organisation_codes: list[str] | None = Field(
        default=None, max_length=1000, description="Only for these organisations (codes / USCCs), if given"
    )
    region_code: str | None = Field(
        default=None, pattern=r"^\d{6}$", description="Only for organisations in this GB/T 2260 region, if given"
    )
    expires_days: int | None = Field(default=None, ge=1, le=3650, description="Days until the key expires")


class ApiKeyRead(BaseModel):
    id: str
    prefix: str
    name: str
    role: str
    organisation_code: str
    organisation_name: str
    scopes: list[str]
    organisation_codes: list[str] | None
    region_code: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    rotated_from_id: str | None
    status: str = Field(description="live, expired or revoked")


class ApiKeyCreated(BaseModel):
    id: str
    prefix: str
    name: str
    role: str
    scopes: list[str] = Field(default_factory=list)
    expires_at: datetime | None = None
    key: str = Field(description="The full key; shown once and never again")


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class RevokedRead(BaseModel):
    tokens_revoked: int


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    actor: str
    actor_role: str | None
    organisation_id: str | None = Field(description="The organisation the actor acted for")
    action: str
    entity_type: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


# --- consent ----------------------------------------------------------------------------------


class ConsentUseRead(BaseModel):
    """One read a consent allowed."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    at: datetime
    actor: str
    purpose: str
    entity_id: str | None


class ConsentRecord(BaseModel):
    """A consent as every domain sees it: whose data, to whom (code and name), scope, validity, reads."""

    model_config = ConfigDict(frozen=True)

    id: str
    subject_kind: str = Field(description="enterprise, farm or resident")
    subject_ref: str = Field(description="USCC, farm id or personal account reference")
    subject_code: str | None = Field(description="organisation code acting for the subject")
    organisation_code: str = Field(description="the grantee's organisation code")
    organisation_name: str
    organisation_kind: str
    scope: str = Field(description="credit_report, personal_grade or application_data")
    reference: str | None
    granted_by: str
    granted_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None
    status: Literal["active", "revoked", "expired"]
    reads: int = Field(default=0, description="reads the consent allowed")
    uses: tuple[ConsentUseRead, ...] = Field(default=(), description="the reads, newest first (history only)")
