"""Authentication, authorisation and the audit log.

A request acts as a :class:`Principal`: a user (password → bearer token or page session)
or a machine (API key), in one role, for one organisation. Services receive the principal
and check scope with :func:`require_role` / :func:`require_tenant`; nothing else decides
who may see what.

Every ORM write is audited by a ``before_flush`` hook (:func:`install_audit`) that reads
the acting principal from ``session.info["actor"]``; bulk set-based writes record one
summary event through :func:`record`.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import String, event, inspect
from sqlalchemy.orm import Session

from greenfin.auth import repository
from greenfin.auth.models import ROLES, ApiKey, AuditEvent, AuthToken, LoginAttempt, Organisation, User
from greenfin.db import new_id, utcnow
from greenfin.errors import Forbidden, InvalidInput, NotFound, TooManyRequests, Unauthenticated
from greenfin.settings import Settings

USERNAME_MAX = 80  # auth_user.username and auth_login_attempt.username are String(80)
_hasher = PasswordHasher()
# Verified against when the username is unknown, so both paths take the same time.
_DUMMY_HASH = _hasher.hash("greenfin-timing-equaliser")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is acting: a user or an API key, a role, and the organisation acted for."""

    actor: str
    role: str
    user_id: str | None = None
    organisation_id: str | None = None
    organisation_kind: str | None = None
    organisation_code: str | None = None

    @property
    def is_staff(self) -> bool:
        """Admins and regulators see the whole region."""
        return self.role in ("admin", "regulator")


SYSTEM = Principal(actor="system", role="admin")


def require_role(principal: Principal, *roles: str) -> None:
    """Refuse unless the principal has one of ``roles`` (admin always passes)."""
    if principal.role != "admin" and principal.role not in roles:
        raise Forbidden(f"this action needs the role {' or '.join(roles)}; you act as {principal.role}")


def require_tenant(principal: Principal, organisation_code: str) -> None:
    """Refuse unless the principal is staff or acts for the organisation with this code."""
    if principal.is_staff or principal.organisation_code == organisation_code:
        return
    raise Forbidden("you may only see data of the organisation you act for")


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    if len(password) < 8:
        raise InvalidInput("a password needs at least 8 characters")
    return _hasher.hash(password)


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_organisation(
    session: Session, *, kind: str, name: str, code: str, region_code: str | None = None
) -> Organisation:
    """Register a tenant."""
    if repository.organisation_by_code(session, code) is not None:
        raise InvalidInput(f"an organisation with code {code} exists already")
    organisation = Organisation(kind=kind, name=name, code=code, region_code=region_code)
    session.add(organisation)
    session.flush()
    return organisation


def organisation_by_code(session: Session, code: str) -> Organisation | None:
    """The organisation with this code (a bank's code, an enterprise's USCC), if registered."""
    return repository.organisation_by_code(session, code)


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    display_name: str | None = None,
    organisation: Organisation | None = None,
) -> User:
    """Create a user in one role, acting for one organisation."""
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}; known: {', '.join(ROLES)}")
    if repository.user_by_username(session, username) is not None:
        raise InvalidInput(f"the username {username!r} is taken")
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        role=role,
        organisation_id=organisation.id if organisation else None,
    )
    session.add(user)
    session.flush()
    return user


def principal_for_user(session: Session, user: User) -> Principal:
    """The principal a user acts as."""
    organisation = repository.organisation_by_id(session, user.organisation_id) if user.organisation_id else None
    return Principal(
        actor=f"user:{user.username}",
        role=user.role,
        user_id=user.id,
        organisation_id=organisation.id if organisation else None,
        organisation_kind=organisation.kind if organisation else None,
        organisation_code=organisation.code if organisation else None,
    )


def authenticate(session: Session, settings: Settings, *, username: str, password: str) -> User | None:
    """Check a password, throttling repeated failures; record the attempt.

    A wrong password returns None rather than raising, so that the caller commits the
    recorded failure (the throttle counts it) before it answers 401.
    """
    if not username or len(username) > USERNAME_MAX:
        return None  # no user can have such a name; nothing worth recording
    now = utcnow()
    since = now - timedelta(minutes=settings.login_window_minutes)
    if repository.recent_failures(session, username, since) >= settings.login_max_failures:
        raise TooManyRequests(
            f"too many failed logins for {username!r}; try again in {settings.login_window_minutes} minutes"
        )
    user = repository.user_by_username(session, username)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        ok = user is not None and user.is_active
    except (VerificationError, InvalidHashError):
        ok = False
    session.add(LoginAttempt(username=username, at=now, succeeded=ok))
    session.flush()
    return user if ok else None


def issue_token(session: Session, settings: Settings, user: User, *, kind: str = "bearer") -> tuple[str, datetime]:
    """A new bearer token or page session for ``user``: the secret (shown once) and its expiry."""
    secret = secrets.token_urlsafe(32)
    expires_at = utcnow() + timedelta(minutes=settings.token_ttl_minutes)
    session.add(AuthToken(token_hash=_sha256(secret), user_id=user.id, kind=kind, expires_at=expires_at))
    record(session, principal_for_user(session, user), action="login", entity_type="user", entity_id=user.id)
    session.flush()
    return secret, expires_at


def revoke_token(session: Session, secret: str) -> None:
    """End a bearer token or page session."""
    token = repository.live_token(session, _sha256(secret), utcnow())
    if token is not None:
        token.revoked_at = utcnow()
        session.flush()


def principal_from_token(session: Session, secret: str) -> Principal:
    """The principal behind a bearer token or page session, or Unauthenticated."""
    token = repository.live_token(session, _sha256(secret), utcnow())
    user = repository.user_by_id(session, token.user_id) if token else None
    if user is None or not user.is_active:
        raise Unauthenticated("the token is unknown, expired or revoked; log in again")
    return principal_for_user(session, user)


def create_api_key(session: Session, *, organisation: Organisation, name: str, role: str) -> tuple[ApiKey, str]:
    """Issue an API key to an organisation; the full key is returned once and never stored."""
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}; known: {', '.join(ROLES)}")
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = ApiKey(prefix=prefix, secret_hash=_sha256(secret), name=name, role=role, organisation_id=organisation.id)
    session.add(key)
    session.flush()
    return key, f"gf_{prefix}_{secret}"


# API key -> principal, per database, for a short time: data sources post thousands of events a
# second with the same key, and each lookup was two queries. A key disabled in the database stops
# working within API_KEY_CACHE_SECONDS in every worker (at once in the process that disables it,
# through forget_api_keys). Only keys that resolved are cached; unknown keys always ask the database.
API_KEY_CACHE_SECONDS = 30.0
_API_KEY_CACHE_SIZE = 1024
_api_key_cache: dict[tuple[str, str], tuple[float, Principal]] = {}


def forget_api_keys() -> None:
    """Drop the cached API-key principals (call after disabling a key)."""
    _api_key_cache.clear()


def revoke_api_key(session: Session, *, prefix: str) -> ApiKey:
    """Revoke an API key; this process stops accepting it at once, others within the cache's 30 s."""
    key = repository.api_key_by_prefix(session, prefix)
    if key is None:
        raise NotFound(f"no live API key with prefix {prefix}")
    key.revoked_at = utcnow()
    session.flush()
    forget_api_keys()
    return key


def cached_api_key_principal(database_url: str, presented: str) -> Principal | None:
    """The principal of an API key resolved within the last API_KEY_CACHE_SECONDS, without the database."""
    cached = _api_key_cache.get((database_url, _sha256(presented)))
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    return None


def principal_from_api_key(session: Session, presented: str) -> Principal:
    """The principal behind an API key, or Unauthenticated."""
    parts = presented.split("_", 2)
    if len(parts) != 3 or parts[0] != "gf":
        raise Unauthenticated("the API key is unknown or revoked")
    bind = session.get_bind()
    cache_key = (str(bind.engine.url), _sha256(presented))
    now = time.monotonic()
    cached = cached_api_key_principal(cache_key[0], presented)
    if cached is not None:
        return cached
    key = repository.api_key_by_prefix(session, parts[1])
    if key is None or not secrets.compare_digest(key.secret_hash, _sha256(parts[2])):
        raise Unauthenticated("the API key is unknown or revoked")
    organisation = repository.organisation_by_id(session, key.organisation_id)
    assert organisation is not None  # foreign key
    principal = Principal(
        actor=f"key:{key.prefix}",
        role=key.role,
        organisation_id=organisation.id,
        organisation_kind=organisation.kind,
        organisation_code=organisation.code,
    )
    if len(_api_key_cache) >= _API_KEY_CACHE_SIZE:
        _api_key_cache.clear()
    _api_key_cache[cache_key] = (now + API_KEY_CACHE_SECONDS, principal)
    return principal


def organisation_of(session: Session, principal: Principal) -> Organisation:
    """The organisation the principal acts for."""
    organisation = (
        repository.organisation_by_id(session, principal.organisation_id) if principal.organisation_id else None
    )
    if organisation is None:
        raise NotFound("you do not act for an organisation")
    return organisation


# --- audit --------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def _values(obj: Any) -> dict[str, Any]:
    mapper = inspect(obj).mapper
    return {
        attr.key: _jsonable(getattr(obj, attr.key))
        for attr in mapper.column_attrs
        if "hash" not in attr.key  # never copy secrets (password, token, key, identifier hashes)
    }


def record(
    session: Session,
    principal: Principal,
    *,
    action: str,
    entity_type: str,
    entity_id: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Append one audit event (used for bulk writes and reads that must be traced)."""
    session.add(
        AuditEvent(
            at=utcnow(),
            actor=principal.actor,
            actor_role=principal.role,
            organisation_id=principal.organisation_id,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            before=before,
            after=after,
        )
    )


def _has_string_id(obj: Any) -> bool:
    column = obj.__table__.columns.get("id")
    return column is not None and isinstance(column.type, String)


def _audit_before_flush(session: Session, _context: Any, _instances: Any) -> None:
    principal: Principal = session.info.get("actor", SYSTEM)
    for action, objects in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in list(objects):
            if isinstance(obj, AuditEvent) or not getattr(obj, "__audit__", True):
                continue
            state = inspect(obj)
            if action == "create" and getattr(obj, "id", "") is None and _has_string_id(obj):
                obj.id = new_id()  # make the key now, so the event can name the row
            before: dict[str, Any] | None = None
            values = _values(obj)
            after: dict[str, Any] | None = values
            if action == "update":
                changed = {}
                for attr in state.mapper.column_attrs:
                    history = state.attrs[attr.key].history
                    if history.has_changes() and "hash" not in attr.key:
                        changed[attr.key] = _jsonable(history.deleted[0] if history.deleted else None)
                if not changed:
                    continue
                before = changed
                after = {key: values[key] for key in changed}
            elif action == "delete":
                before, after = after, None
            identity = state.identity
            record(
                session,
                principal,
                action=action,
                entity_type=obj.__tablename__,
                entity_id=str(getattr(obj, "id", identity[0] if identity else None)),
                before=before,
                after=after,
            )


def install_audit(session_factory: Any) -> None:
    """Audit every ORM write made through sessions of this factory."""
    # No event.contains() guard: SQLAlchemy keys listeners by id(), which a new factory can
    # reuse after an old one is collected, so the guard could skip a fresh factory.
    event.listen(session_factory, "before_flush", _audit_before_flush)
