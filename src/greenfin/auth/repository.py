"""Queries of the auth domain."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from greenfin.auth.models import ApiKey, AuditEvent, AuthToken, LoginAttempt, Organisation, User
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


def organisations_matching(session: Session, *, kind: str, text: str, limit: int) -> Sequence[Organisation]:
    """Organisations of ``kind`` whose name contains ``text`` or whose code starts with it, by name."""
    query = select(Organisation).where(Organisation.kind == kind)
    if text:
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(
            Organisation.name.ilike(f"%{escaped}%", escape="\\") | Organisation.code.ilike(f"{escaped}%", escape="\\")
        )
    return session.scalars(query.order_by(Organisation.name).limit(limit)).all()


def organisation_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """Names of the organisations with these codes (code → name); unknown codes are left out."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = session.execute(select(Organisation.code, Organisation.name).where(Organisation.code.in_(wanted)))
    return {code: name for code, name in rows}
