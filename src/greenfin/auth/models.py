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
STAFF_ROLES = ("admin", "regulator")
ORGANISATION_KINDS = (
    "platform",
    "regulator",
    "bank",
    "guarantor",
    "insurer",
    "enterprise",
    "farm",
    "data_source",
    "partner",
)


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
    """A machine client's key: ``gf_<prefix>_<secret>``; the secret is kept as SHA-256.

    A key writes only the data kinds in ``scopes`` (``auth.service.SCOPES``), and, when
    ``organisation_codes`` or ``region_code`` are set, only for those organisations or for
    organisations registered in that region. It never carries a staff role, and stops
    working at ``expires_at`` (if set) or ``revoked_at``. A rotated key names the key it
    replaced in ``rotated_from_id``.
    """

    __tablename__ = "auth_api_key"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[str] = mapped_column(ForeignKey("auth_organisation.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    # NULL (keys issued before scopes existed) writes nothing: reissue or rotate with scopes.
    scopes: Mapped[list[str] | None] = mapped_column(JSON)
    organisation_codes: Mapped[list[str] | None] = mapped_column(JSON)
    region_code: Mapped[str | None] = mapped_column(String(6))
    expires_at: Mapped[datetime | None]
    rotated_from_id: Mapped[str | None] = mapped_column(String(32))


class LoginAttempt(Base):
    __tablename__ = "auth_login_attempt"
    __audit__ = False
    __table_args__ = (Index("ix_auth_login_attempt_username_at", "username", "at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(80))
    address: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    succeeded: Mapped[bool]


class LoginCounter(Base):
    """Failed logins of one username or one client address in the current window.

    One row per key (``user:<name>`` / ``addr:<address>``), bumped by a single
    ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` before the password is checked: on
    PostgreSQL the row lock serialises concurrent guesses, so no more than the limit are
    ever checked, however many arrive at once.
    """

    __tablename__ = "auth_login_counter"
    __audit__ = False

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    window_start: Mapped[datetime]
    failures: Mapped[int]


class Registration(Base):
    """An enterprise's or farm's request to join the platform, waiting for a regulator.

    Nothing is created until a regulator approves: then the organisation, its first user
    (who may then log in) and its entry on the industrial or agricultural register. A
    rejection keeps the request with the reason. The password is kept only as its hash.
    """

    __tablename__ = "auth_registration"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(20))  # enterprise | farm
    uscc: Mapped[str] = mapped_column(String(18), index=True)
    name: Mapped[str] = mapped_column(String(200))
    county_code: Mapped[str] = mapped_column(String(6))
    industry_code: Mapped[str | None] = mapped_column(String(4))
    farm_type: Mapped[str | None] = mapped_column(String(40))
    township: Mapped[str | None] = mapped_column(String(100))
    contact_name: Mapped[str] = mapped_column(String(100))
    contact_phone: Mapped[str] = mapped_column(String(20))
    username: Mapped[str] = mapped_column(String(80), index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending | approved | rejected
    reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(120))
    user_id: Mapped[str | None] = mapped_column(String(32))


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


# --- consent ----------------------------------------------------------------------------------

CONSENT_SUBJECT_KINDS = ("enterprise", "farm", "resident")
CONSENT_SCOPES = ("credit_report", "personal_grade", "application_data")


class Consent(Base):
    """A borrower's grant of its data to one organisation: the one consent of every domain.

    The **subject** is whose data it is: an enterprise (``subject_ref`` its USCC), a farm
    (its id) or a resident (the personal account's public reference); ``subject_code`` is
    the organisation code acting for it (the USCC, ``farm-<id>`` for a farm held by a
    person, none for a resident). The grantee is an organisation (a bank, a guarantor). A
    **scope** says what may be read: ``credit_report`` (carbon data, terms and signed
    reports), ``personal_grade`` (a resident's green-credit grade) or ``application_data``
    (a loan application's data). A consent lives until ``expires_at`` or until the subject
    revokes it; it is never deleted, and every read it allowed is a :class:`ConsentUse`.
    """

    __tablename__ = "auth_consent"
    __table_args__ = (Index("ix_auth_consent_subject", "subject_kind", "subject_ref", "organisation_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    subject_kind: Mapped[str] = mapped_column(String(20))
    subject_ref: Mapped[str] = mapped_column(String(40), doc="USCC, farm id or personal account reference")
    subject_code: Mapped[str | None] = mapped_column(String(40), index=True, doc="organisation code acting for it")
    organisation_id: Mapped[str] = mapped_column(ForeignKey("auth_organisation.id"), index=True)
    scope: Mapped[str] = mapped_column(String(40))
    reference: Mapped[str | None] = mapped_column(String(80), doc="the consent document's reference")
    granted_by: Mapped[str] = mapped_column(String(120))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(120))


class ConsentUse(Base):
    """One read of a subject's data that a consent allowed: who read, when, for what."""

    __tablename__ = "auth_consent_use"
    __audit__ = False  # the row is itself the record of the read

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    consent_id: Mapped[str] = mapped_column(ForeignKey("auth_consent.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(120))
    purpose: Mapped[str] = mapped_column(String(40), doc="credit_terms, credit_report, read_grade, …")
    entity_id: Mapped[str | None] = mapped_column(String(80), doc="what was produced, e.g. the report id")
