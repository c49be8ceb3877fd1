"""Shapes of the administration API: organisations, users, API keys, registrations, the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

OrganisationKind = Literal["regulator", "bank", "guarantor", "insurer", "enterprise", "farm", "data_source", "partner"]
Role = Literal["admin", "regulator", "bank", "enterprise", "resident", "data_source"]
FarmType = Literal["organic_fertiliser_producer", "pig_farm", "grain_grower", "cooperative"]
RegistrationStatus = Literal["pending", "approved", "rejected"]

USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@-]{2,79}$"


class OrganisationCreate(BaseModel):
    kind: OrganisationKind
    code: str = Field(
        min_length=2,
        max_length=40,
        description="A bank's or data source's code, or the unified social credit code (18 characters, checked)",
    )
    name: str = Field(min_length=1, max_length=200)
    region_code: str | None = Field(
        default=None, max_length=6, pattern=r"^\d{6}$", description="GB/T 2260 division code"
    )


class OrganisationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    code: str
    name: str
    region_code: str | None
    created_at: datetime


class UserCreate(BaseModel):
    username: str = Field(max_length=80, pattern=USERNAME_PATTERN, description="3–80 letters, digits, . _ @ -")
    role: Role
    organisation_code: str | None = Field(default=None, max_length=40, description="None only for a resident")
    display_name: str | None = Field(default=None, max_length=200)
    password: str = Field(min_length=1, max_length=256, description="At least 10 characters, not the username")


class UserRead(BaseModel):
    id: str
    username: str
    display_name: str
    role: str
    organisation_code: str | None
    organisation_name: str | None
    is_active: bool
    created_at: datetime


class PasswordReset(BaseModel):
    password: str = Field(min_length=1, max_length=256)


class ApiKeyRotate(BaseModel):
    grace_hours: int = Field(default=0, ge=0, le=24 * 30, description="Hours the old key keeps working (0: stop now)")


class RegistrationCreate(BaseModel):
    """A self-service request of an enterprise or a farm; waits for a regulator."""

    kind: Literal["enterprise", "farm"]
    uscc: str = Field(min_length=18, max_length=18, description="Unified social credit code (case-insensitive)")
    name: str = Field(min_length=2, max_length=200)
    county_code: str = Field(max_length=6, pattern=r"^\d{6}$", description="GB/T 2260 county-level code")
    industry_code: str | None = Field(
        default=None, max_length=4, pattern=r"^\d{4}$", description="GB/T 4754 class (enterprises)"
    )
    farm_type: FarmType | None = Field(default=None, description="Farm type (farms)")
    township: str | None = Field(default=None, max_length=100, description="Township (farms)")
    contact_name: str = Field(min_length=1, max_length=100)
    contact_phone: str = Field(max_length=20, pattern=r"^[0-9+\- ]{7,20}$")
    username: str = Field(max_length=80, pattern=USERNAME_PATTERN)
    password: str = Field(min_length=1, max_length=256)


class RegistrationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    uscc: str
    name: str
    county_code: str
    industry_code: str | None
    farm_type: str | None
    township: str | None
    contact_name: str
    contact_phone: str
    username: str
    status: RegistrationStatus
    reason: str | None
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None


class RegistrationReject(BaseModel):
    reason: str = Field(min_length=2, max_length=500)
