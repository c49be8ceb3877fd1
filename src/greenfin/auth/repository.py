"""Queries of the auth domain."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam, case, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from greenfin.auth.models import (
    ApiKey,
    AuditEvent,
    AuthToken,
    Consent,
    ConsentUse,
    LoginAttempt,
    LoginCounter,
    Organisation,
    Registration,
    User,
)
from greenfin.db import UTCDateTime, page_of


def user_by_username(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def user_by_id(session: Session, user_id: str) -> User | None:
    return session.get(User, user_id)


def organisation_by_id(session: Session, organisation_id: str) -> Organisation | None:
    return session.get(Organisation, organisation_id)


def organisation_by_code(session: Session, code: str) -> Organisation | None:
    return session.scalar(select(Organisation).where(Organisation.code == code))


def organisation_by_code_folded(session: Session, code: str) -> Organisation | None:
    """The organisation whose code equals ``code`` ignoring case (USCCs are case-insensitive)."""
    return session.scalar(select(Organisation).where(func.upper(Organisation.code) == code.upper()))


def organisations(session: Session, *, kind: str | None = None) -> Sequence[Organisation]:
    query = select(Organisation).order_by(Organisation.kind, Organisation.code)
    if kind:
        query = query.where(Organisation.kind == kind)
    return session.scalars(query).all()


def users_with_organisations(session: Session) -> Sequence[tuple[User, Organisation | None]]:
    rows = session.execute(
        select(User, Organisation)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .order_by(User.username)
    ).all()
    return [(user, organisation) for user, organisation in rows]


def admin_exists(session: Session) -> bool:
    return session.scalar(select(User.id).where(User.role == "admin").limit(1)) is not None


def api_keys_with_organisations(session: Session) -> Sequence[tuple[ApiKey, Organisation]]:
    rows = session.execute(
        select(ApiKey, Organisation)
        .join(Organisation, Organisation.id == ApiKey.organisation_id)
        .order_by(ApiKey.created_at.desc(), ApiKey.prefix)
    ).all()
    return [(key, organisation) for key, organisation in rows]


def any_api_key_by_prefix(session: Session, prefix: str) -> ApiKey | None:
    return session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))


def revoke_tokens_of(session: Session, user_id: str, *, now: datetime, keep_hash: str | None) -> int:
    """Set ``revoked_at`` on every live token of a user (one UPDATE); how many there were."""
    query = (
        update(AuthToken)
        .where(AuthToken.user_id == user_id, AuthToken.revoked_at.is_(None), AuthToken.expires_at > now)
        .values(revoked_at=now)
    )
    if keep_hash is not None:
        query = query.where(AuthToken.token_hash != keep_hash)
    return int(session.execute(query, execution_options={"synchronize_session": False}).rowcount or 0)  # type: ignore[attr-defined]


# --- the login throttle's counters -------------------------------------------------------------


def bump_login_counter(session: Session, key: str, *, now: datetime, since: datetime) -> int:
    """Count one more attempt for ``key`` in the current window, atomically; the count after it.

    One ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` on both databases: a window that
    started before ``since`` starts again at ``now`` with this attempt.
    """
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stale = LoginCounter.window_start < bindparam("since", since, type_=UTCDateTime())
    now_param = bindparam("now", now, type_=UTCDateTime())
    statement = (
        insert(LoginCounter)
        .values(key=key, window_start=now, failures=1)
        .on_conflict_do_update(
            index_elements=[LoginCounter.key],
            set_={
                "failures": case((stale, 1), else_=LoginCounter.failures + 1),
                "window_start": case((stale, now_param), else_=LoginCounter.window_start),
            },
        )
        .returning(LoginCounter.failures)
    )
    return int(session.execute(statement).scalar_one())


def ease_login_counter(session: Session, key: str) -> None:
    """Give back the attempt counted for ``key`` (the login succeeded)."""
    session.execute(
        update(LoginCounter)
        .where(LoginCounter.key == key, LoginCounter.failures > 0)
        .values(failures=LoginCounter.failures - 1),
        execution_options={"synchronize_session": False},
    )


def clear_login_counter(session: Session, key: str) -> None:
    session.execute(
        update(LoginCounter).where(LoginCounter.key == key).values(failures=0),
        execution_options={"synchronize_session": False},
    )


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


def _audit_query(
    *,
    actor: str | None,
    entity_type: str | None,
    entity_id: str | None,
    since: datetime | None,
    until: datetime | None,
    sort: str = "at",
    descending: bool = True,
) -> Select[AuditEvent]:
    query = select(AuditEvent)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if entity_type:
        query = query.where(AuditEvent.entity_type == entity_type)
    if entity_id:
        query = query.where(AuditEvent.entity_id == entity_id)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if until is not None:
        query = query.where(AuditEvent.at < until)
    column = AUDIT_SORTS[sort]
    return query.order_by(column.desc() if descending else column.asc(), AuditEvent.at.desc(), AuditEvent.id)


AUDIT_SORTS: dict[str, Any] = {
    "at": AuditEvent.at,
    "actor": AuditEvent.actor,
    "action": AuditEvent.action,
    "entity": AuditEvent.entity_type,
}
"""The audit log's sortable columns."""


def audit_search(
    session: Session,
    *,
    actor: str | None,
    entity_type: str | None,
    entity_id: str | None,
    since: datetime | None,
    until: datetime | None,
    offset: int,
    limit: int,
    sort: str = "at",
    descending: bool = True,
) -> tuple[Sequence[AuditEvent], int]:
    """One page of the audit log filtered by actor, entity and a time range ``[since, until)``, in a column's order."""
    query = _audit_query(
        actor=actor,
        entity_type=entity_type,
        entity_id=entity_id,
        since=since,
        until=until,
        sort=sort,
        descending=descending,
    )
    return page_of(session, query, offset=offset, limit=limit)


def audit_entity_types(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.entity_type).distinct().order_by(AuditEvent.entity_type)))


# --- registrations --------------------------------------------------------------------------


def registrations(session: Session, *, status: str | None) -> Sequence[Registration]:
    query = select(Registration).order_by(Registration.created_at.desc(), Registration.id)
    if status:
        query = query.where(Registration.status == status)
    return session.scalars(query).all()


def registration_by_id(session: Session, registration_id: str) -> Registration | None:
    return session.get(Registration, registration_id)


def pending_registration(
    session: Session, *, uscc: str | None = None, username: str | None = None
) -> Registration | None:
    query = select(Registration).where(Registration.status == "pending")
    if uscc is not None:
        query = query.where(Registration.uscc == uscc)
    if username is not None:
        query = query.where(func.lower(Registration.username) == username.lower())
    return session.scalars(query.limit(1)).first()


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


def linked_consents(session: Session, consent_id: str) -> list[Consent]:
    """A consent and every consent granted with it (same subject, grantee and reference), in one query."""
    return linked_consents_of(session, [consent_id]).get(consent_id, [])


def linked_consents_of(session: Session, consent_ids: Sequence[str]) -> dict[str, list[Consent]]:
    """For each of these consents, itself and every consent granted with it (same subject, grantee and
    reference), in one query: consent id → consents; an unknown id is left out."""
    found: dict[str, list[Consent]] = {}
    unique = list(dict.fromkeys(consent_ids))
    for start in range(0, len(unique), 10_000):  # bounded IN lists
        for consent_id, consent in session.execute(_linked_query(unique[start : start + 10_000])):
            found.setdefault(consent_id, []).append(consent)
    return found


def _linked_query(consent_ids: list[str]) -> Any:
    own, linked = aliased(Consent), aliased(Consent)
    return (
        select(own.id, linked)
        .join(
            own,
            and_(
                linked.subject_kind == own.subject_kind,
                linked.subject_ref == own.subject_ref,
                linked.organisation_id == own.organisation_id,
                or_(linked.id == own.id, linked.reference == own.reference),
            ),
        )
        .where(own.id.in_(consent_ids))
    )


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
