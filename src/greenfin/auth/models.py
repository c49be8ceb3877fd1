"""Who may do what: organisations (tenants), users, credentials and the audit log.

An **organisation** is a tenant: a regulator, a bank, an enterprise or farm, or the
platform itself. A **user** logs in with a password and acts for one organisation in one
role; a machine client (a bank's payment system, the grid) uses an **API key** issued to
an organisation. Bearer tokens and page sessions are random secrets stored only as
SHA-256 hashes. The **audit log** is append-only: who, when, what, before and after.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from greenfin.db import Base, new_id, utcnow

ROLES = ("admin", "regulator", "bank", "enterprise", "resident", "data_source")
ORGANISATION_KINDS = ("platform", "regulator", "bank", "enterprise", "data_source")


class Organisation(Base):
    __tablename__ = "auth_organisation"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    # A bank's code, or an enterprise's unified social credit code: how other domains find it.
    code: Mapped[str] = mapped_column(String(40), unique=True)
    region_code: Mapped[str | None] = mapped_column(String(6))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    __tablename__ = "auth_user"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[str | None] = mapped_column(ForeignKey("auth_organisation.id"))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuthToken(Base):
    """A bearer token or a page session; only the SHA-256 of the secret is kept."""

    __tablename__ = "auth_token"
    __audit__ = False  # logins are audited as events, not as token rows

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("auth_user.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # bearer | session
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class ApiKey(Base):
    """A machine client's key: ``gf_<prefix>_<secret>``; the secret is kept as SHA-256."""

    __tablename__ = "auth_api_key"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[str] = mapped_column(ForeignKey("auth_organisation.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class LoginAttempt(Base):
    __tablename__ = "auth_login_attempt"
    __audit__ = False
    __table_args__ = (Index("ix_auth_login_attempt_username_at", "username", "at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    succeeded: Mapped[bool]


class AuditEvent(Base):
    """One write: who did it, when, to what, and the values before and after."""

    __tablename__ = "auth_audit_event"
    __audit__ = False
    __table_args__ = (Index("ix_auth_audit_event_entity", "entity_type", "entity_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(120))  # user:<username> | key:<prefix> | cli | system
    actor_role: Mapped[str | None] = mapped_column(String(20))
    organisation_id: Mapped[str | None] = mapped_column(String(32), index=True)
    action: Mapped[str] = mapped_column(String(40))
    entity_type: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str | None] = mapped_column(String(80))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
