"""Queries of the auth domain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from greenfin.auth.models import ApiKey, AuditEvent, AuthToken, Consent, ConsentUse, LoginAttempt, Organisation, User
from greenfin.db import page_of


def user_by_username(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def user_by_id(session: Session, user_id: str) -> User | None:
    return session.get(User, user_id)


def organisation_by_id(session: Session, organisation_id: str) -> Organisation | None:
    return session.get(Organisation, organisation_id)


def organisation_by_code(session: Session, code: str) -> Organisation | None:
    return session.scalar(select(Organisation).where(Organisation.code == code))


def live_token(session: Session, token_hash: str, now: datetime) -> AuthToken | None:
    return session.scalar(
        select(AuthToken).where(
            AuthToken.token_hash == token_hash,
            AuthToken.revoked_at.is_(None),
            AuthToken.expires_at > now,
        )
    )


def api_key_by_prefix(session: Session, prefix: str) -> ApiKey | None:
    return session.scalar(select(ApiKey).where(ApiKey.prefix == prefix, ApiKey.revoked_at.is_(None)))


def recent_failures(session: Session, username: str, since: datetime) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(LoginAttempt)
            .where(
                LoginAttempt.username == username,
                LoginAttempt.succeeded.is_(False),
                LoginAttempt.at >= since,
            )
        )
        or 0
    )


def audit_events(
    session: Session,
    *,
    entity_type: str | None,
    entity_id: str | None,
    organisation_id: str | None,
    offset: int,
    limit: int,
) -> tuple[Sequence[AuditEvent], int]:
    query = select(AuditEvent)
    if entity_type:
        query = query.where(AuditEvent.entity_type == entity_type)
    if entity_id:
        query = query.where(AuditEvent.entity_id == entity_id)
    if organisation_id:
        query = query.where(AuditEvent.organisation_id == organisation_id)
    return page_of(session, query.order_by(AuditEvent.at.desc(), AuditEvent.id), offset=offset, limit=limit)


# --- consent ----------------------------------------------------------------------------------


def consent_by_id(session: Session, consent_id: str) -> tuple[Consent, Organisation] | None:
    row = session.execute(
        select(Consent, Organisation)
        .join(Organisation, Organisation.id == Consent.organisation_id)
        .where(Consent.id == consent_id)
    ).first()
    return (row[0], row[1]) if row is not None else None


def consents(
    session: Session,
    *,
    subject_kind: str | None = None,
    subject_ref: str | None = None,
    subject_code: str | None = None,
    organisation_id: str | None = None,
    scope: str | None = None,
    limit: int = 500,
) -> list[tuple[Consent, Organisation, int]]:
    """Consents with their grantee and number of reads, newest first, filtered by what is given."""
    reads = (
        select(func.count(ConsentUse.id))
        .where(ConsentUse.consent_id == Consent.id)
        .correlate(Consent)
        .scalar_subquery()
    )
    query = select(Consent, Organisation, reads).join(Organisation, Organisation.id == Consent.organisation_id)
    for column, value in (
        (Consent.subject_kind, subject_kind),
        (Consent.subject_ref, subject_ref),
        (Consent.subject_code, subject_code),
        (Consent.organisation_id, organisation_id),
        (Consent.scope, scope),
    ):
        if value is not None:
            query = query.where(column == value)
    rows = session.execute(query.order_by(Consent.granted_at.desc(), Consent.id).limit(limit))
    return [(c, o, n) for c, o, n in rows]


def consent_uses(session: Session, consent_ids: Sequence[str]) -> Sequence[ConsentUse]:
    if not consent_ids:
        return []
    return session.scalars(
        select(ConsentUse).where(ConsentUse.consent_id.in_(consent_ids)).order_by(ConsentUse.at.desc())
    ).all()
