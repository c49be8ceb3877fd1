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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import String, event, insert, inspect
from sqlalchemy.orm import Session

from greenfin.auth import repository, rules
from greenfin.auth.models import (
    CONSENT_SCOPES,
    CONSENT_SUBJECT_KINDS,
    ORGANISATION_KINDS,
    ROLES,
    STAFF_ROLES,
    ApiKey,
    AuditEvent,
    AuthToken,
    Consent,
    ConsentUse,
    LoginAttempt,
    Organisation,
    User,
)
from greenfin.auth.schemas import ConsentRecord, ConsentUseRead
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
    # An API key's reach (None for a user, whose role and tenant decide): the data kinds it
    # may write, and if set the organisations (codes) or the region it may write for.
    scopes: frozenset[str] | None = None
    scope_organisations: frozenset[str] | None = None
    scope_region: str | None = None
    # What a person reads in the page header: the user's name and the organisation's (names, not codes).
    display_name: str | None = None
    organisation_name: str | None = None

    @property
    def is_staff(self) -> bool:
        """Admins and regulators see the whole region."""
        return self.role in STAFF_ROLES


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


# --- API key scopes ------------------------------------------------------------------------

SCOPES: dict[str, str] = {
    "personal_events": "payment and behaviour events for personal carbon accounts (API deliveries)",
    "industry_energy": "enterprises' energy records (industrial imports of kind energy)",
    "industry_process": "enterprises' process emissions (industrial imports of kind process)",
    "industry_annual": "enterprises' annual figures (industrial imports of kind annual)",
    "agriculture_records": "farms' baselines and practice records (agricultural imports and submissions)",
}
"""The data kinds an API key may be allowed to write."""

KEY_ROLES = ("data_source", "bank", "enterprise")
"""Roles an API key may carry: never a staff role (admin, regulator), never a person's (resident)."""

# What a key of an organisation kind may write when no scope is named.
DEFAULT_SCOPES: dict[str, tuple[str, ...]] = {
    "bank": ("personal_events",),
    "data_source": ("personal_events",),
    "enterprise": ("industry_energy", "industry_process", "industry_annual"),
    "farm": ("agriculture_records",),
}
DEFAULT_KEY_ROLES: dict[str, str] = {"enterprise": "enterprise", "farm": "enterprise"}


def scope_allows(principal: Principal, organisation_code: str | None, *, county_code: str | None = None) -> bool:
    """Whether the principal's key may write for this organisation (always, for a user or an unlimited key)."""
    if principal.scopes is None:
        return True
    code = (organisation_code or "").upper()
    if principal.scope_organisations is not None and code not in principal.scope_organisations:
        return False
    region = principal.scope_region
    return region is None or rules.in_region(region, uscc=code or None, county_code=county_code)


def require_scope(
    principal: Principal, kind: str, organisation_code: str | None = None, *, county_code: str | None = None
) -> None:
    """Refuse an API key writing a data kind outside its scopes, or for an organisation outside its reach.

    ``kind`` is one of :data:`SCOPES` (any other kind is refused to every key);
    ``organisation_code`` the USCC (or code) of the organisation the data belong to,
    ``county_code`` a farm's county when it has no USCC.
    Users pass: their role and tenant are checked by the services.
    """
    if principal.scopes is None:
        return
    if kind not in SCOPES or kind not in principal.scopes:  # a kind no key can be given is refused too
        allowed = ", ".join(sorted(principal.scopes)) or "none"
        raise Forbidden(f"this API key may not write {kind}; its scopes: {allowed}")
    reach = organisation_code is not None or county_code is not None
    if reach and not scope_allows(principal, organisation_code, county_code=county_code):
        raise Forbidden(f"this API key may not write data of {organisation_code or county_code}")


# --- passwords -----------------------------------------------------------------------------


def check_password_policy(password: str, *, username: str | None) -> None:
    """Refuse a password a person chose that breaks the policy (:mod:`greenfin.auth.rules`), in Chinese and English."""
    problems = rules.password_problems(password, username=username)
    if problems:
        zh, en = rules.POLICY_MESSAGES[problems[0]]
        raise InvalidInput(
            f"{zh} ({en[0].lower()}{en[1:].rstrip('.')})",
            errors=[{"field": "password", "code": code, "reason": rules.POLICY_MESSAGES[code][1]} for code in problems],
        )


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
    if kind not in ORGANISATION_KINDS:
        raise InvalidInput(f"unknown organisation kind {kind!r}; known: {', '.join(ORGANISATION_KINDS)}")
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
    password: str | None = None,
    role: str,
    display_name: str | None = None,
    organisation: Organisation | None = None,
    password_hash: str | None = None,
) -> User:
    """Create a user in one role, acting for one organisation (from a password, or a hash made earlier)."""
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}; known: {', '.join(ROLES)}")
    if repository.user_by_username(session, username) is not None:
        raise InvalidInput(f"the username {username!r} is taken")
    if password_hash is None:
        if password is None:
            raise ValueError("create_user needs a password or a password hash")
        password_hash = hash_password(password)
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=password_hash,
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
        display_name=user.display_name,
        organisation_name=organisation.name if organisation else None,
    )


def _client_key(address: str | None) -> str | None:
    return f"addr:{address[:64]}" if address else None


def count_attempt(session: Session, settings: Settings, *, key: str) -> int:
    """Count one more attempt under ``key`` in the login window (atomically); the count so far."""
    now = utcnow()
    since = now - timedelta(minutes=settings.login_window_minutes)
    return repository.bump_login_counter(session, key, now=now, since=since)


def authenticate(
    session: Session, settings: Settings, *, username: str, password: str, address: str | None = None
) -> User | None:
    """Check a password, throttling repeated failures per username and per client address.

    Before the password is checked, the failure counters of the client address and of the
    username are bumped atomically (one ``INSERT … ON CONFLICT DO UPDATE … RETURNING``
    each, the address first so that concurrent logins always lock in the same order); a
    counter past its limit refuses with TooManyRequests (429). A success gives its bump
    back. On PostgreSQL the counter rows stay locked until the request commits, so
    concurrent guesses queue and no more than the limit are ever checked.

    A wrong password returns None rather than raising, so that the caller commits the
    counted failure before it answers 401.
    """
    if not username or len(username) > USERNAME_MAX:
        return None  # no user can have such a name; nothing worth recording
    now = utcnow()
    since = now - timedelta(minutes=settings.login_window_minutes)
    client = _client_key(address)
    limit = settings.login_max_failures_per_address
    if client is not None and repository.bump_login_counter(session, client, now=now, since=since) > limit:
        raise TooManyRequests(
            f"too many failed logins from this address; try again in {settings.login_window_minutes} minutes"
        )
    account = f"user:{username}"
    if repository.bump_login_counter(session, account, now=now, since=since) > settings.login_max_failures:
        raise TooManyRequests(
            f"too many failed logins for {username!r}; try again in {settings.login_window_minutes} minutes"
        )
    user = repository.user_by_username(session, username)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        ok = user is not None and user.is_active
    except (VerificationError, InvalidHashError):
        ok = False
    if ok:
        for key in (client, account):
            if key is not None:
                repository.ease_login_counter(session, key)
    session.add(LoginAttempt(username=username, address=address[:64] if address else None, at=now, succeeded=ok))
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


def revoke_user_tokens(
    session: Session, principal: Principal, *, user: User, keep_secret: str | None = None, reason: str
) -> int:
    """End every live bearer token and page session of ``user`` (but ``keep_secret``'s); audited."""
    now = utcnow()
    keep = _sha256(keep_secret) if keep_secret else None
    ended = repository.revoke_tokens_of(session, user.id, now=now, keep_hash=keep)
    record(
        session,
        principal,
        action="revoke_tokens",
        entity_type=User.__tablename__,
        entity_id=user.id,
        after={"tokens_revoked": ended, "reason": reason},
    )
    session.flush()
    return ended


def set_password(session: Session, principal: Principal, *, user: User, password: str, reason: str) -> None:
    """Give ``user`` a new password under the policy; every session of theirs ends; audited without the hash."""
    check_password_policy(password, username=user.username)
    user.password_hash = hash_password(password)
    record(
        session,
        principal,
        action=reason,
        entity_type=User.__tablename__,
        entity_id=user.id,
        after={"password": "changed"},
    )
    repository.clear_login_counter(session, f"user:{user.username}")
    revoke_user_tokens(session, principal, user=user, reason=reason)


def change_own_password(session: Session, principal: Principal, *, current_password: str, new_password: str) -> User:
    """The acting user changes their own password (knowing the current one); every session ends."""
    user = repository.user_by_id(session, principal.user_id) if principal.user_id else None
    if user is None:
        raise Forbidden("only a user with a password can change it; an API key is rotated instead")
    try:
        _hasher.verify(user.password_hash, current_password)
    except (VerificationError, InvalidHashError):
        raise InvalidInput(
            "当前密码不正确 (the current password is wrong)",
            errors=[{"field": "current_password", "code": "wrong_current", "reason": "the current password is wrong"}],
        ) from None
    if new_password == current_password:
        raise InvalidInput(
            "新密码不能与当前密码相同 (the new password must differ from the current one)",
            errors=[{"field": "password", "code": "same", "reason": "the new password equals the current one"}],
        )
    set_password(session, principal, user=user, password=new_password, reason="change_password")
    return user


def principal_from_token(session: Session, secret: str) -> Principal:
    """The principal behind a bearer token or page session, or Unauthenticated."""
    token = repository.live_token(session, _sha256(secret), utcnow())
    user = repository.user_by_id(session, token.user_id) if token else None
    if user is None or not user.is_active:
        raise Unauthenticated("the token is unknown, expired or revoked; log in again")
    return principal_for_user(session, user)


def _key_scopes(organisation: Organisation, scopes: Sequence[str] | None) -> list[str]:
    chosen = list(DEFAULT_SCOPES.get(organisation.kind, ())) if scopes is None else list(dict.fromkeys(scopes))
    unknown = [scope for scope in chosen if scope not in SCOPES]
    if unknown:
        raise InvalidInput(f"unknown scope {unknown[0]!r}; known: {', '.join(SCOPES)}")
    if not chosen:
        raise InvalidInput(
            f"say what a key of this {organisation.kind} organisation may write (scopes: {', '.join(SCOPES)})"
        )
    return chosen


def create_api_key(
    session: Session,
    *,
    organisation: Organisation,
    name: str,
    role: str | None = None,
    scopes: Sequence[str] | None = None,
    organisation_codes: Sequence[str] | None = None,
    region_code: str | None = None,
    expires_at: datetime | None = None,
    rotated_from: ApiKey | None = None,
) -> tuple[ApiKey, str]:
    """Issue an API key to an organisation; the full key is returned once and never stored.

    ``role`` defaults by the organisation's kind (an enterprise's or farm's key acts as
    ``enterprise``, any other as ``data_source``) and is never a staff role; ``scopes``
    default by kind too (:data:`DEFAULT_SCOPES`) and a kind without a default must name them.
    """
    role = role or DEFAULT_KEY_ROLES.get(organisation.kind, "data_source")
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}; known: {', '.join(ROLES)}")
    if role not in KEY_ROLES:
        raise InvalidInput(f"an API key may not carry the role {role}; allowed: {', '.join(KEY_ROLES)}")
    chosen = _key_scopes(organisation, scopes)
    codes = (
        sorted({code.strip().upper() for code in organisation_codes if code.strip()}) if organisation_codes else None
    )
    if region_code is not None and not (len(region_code) == 6 and region_code.isascii() and region_code.isdigit()):
        raise InvalidInput(f"region {region_code!r}: a GB/T 2260 code has 6 digits, e.g. 110105")
    if expires_at is not None and expires_at <= utcnow():
        raise InvalidInput("the key's expiry must lie in the future")
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = ApiKey(
        prefix=prefix,
        secret_hash=_sha256(secret),
        name=name,
        role=role,
        organisation_id=organisation.id,
        scopes=chosen,
        organisation_codes=codes or None,
        region_code=region_code,
        expires_at=expires_at,
        rotated_from_id=rotated_from.id if rotated_from else None,
    )
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


def rotate_api_key(session: Session, *, prefix: str, grace: timedelta = timedelta(0)) -> tuple[ApiKey, ApiKey, str]:
    """Replace a key by a new one with the same organisation, name, role, scopes and lifetime.

    The old key stops at once, or after ``grace`` (so that a client can switch over);
    returns the old key, the new key and the new key's secret (shown once).
    """
    old = repository.api_key_by_prefix(session, prefix)
    if old is None:
        raise NotFound(f"no live API key with prefix {prefix}")
    organisation = repository.organisation_by_id(session, old.organisation_id)
    assert organisation is not None  # foreign key
    now = utcnow()
    expires_at = None
    if old.expires_at is not None:
        expires_at = now + max(old.expires_at - old.created_at, timedelta(days=1))
    new, secret = create_api_key(
        session,
        organisation=organisation,
        name=old.name,
        role=old.role,
        scopes=old.scopes or [],
        organisation_codes=old.organisation_codes,
        region_code=old.region_code,
        expires_at=expires_at,
        rotated_from=old,
    )
    if grace <= timedelta(0):
        old.revoked_at = now
    else:
        old.expires_at = min(old.expires_at, now + grace) if old.expires_at else now + grace
    session.flush()
    forget_api_keys()
    return old, new, secret


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
    left = (key.expires_at - utcnow()).total_seconds() if key.expires_at is not None else API_KEY_CACHE_SECONDS
    if left <= 0:
        raise Unauthenticated("the API key has expired; ask the platform's administrator to rotate it")
    if key.role not in KEY_ROLES:  # issued before keys were barred from staff roles
        raise Unauthenticated("the API key carries a role keys may not have; ask for a new key")
    organisation = repository.organisation_by_id(session, key.organisation_id)
    assert organisation is not None  # foreign key
    principal = Principal(
        actor=f"key:{key.prefix}",
        role=key.role,
        organisation_id=organisation.id,
        organisation_kind=organisation.kind,
        organisation_code=organisation.code,
        scopes=frozenset(key.scopes or ()),
        scope_organisations=frozenset(key.organisation_codes) if key.organisation_codes else None,
        scope_region=key.region_code,
    )
    if len(_api_key_cache) >= _API_KEY_CACHE_SIZE:
        _api_key_cache.clear()
    # Never cached past the key's expiry.
    _api_key_cache[cache_key] = (now + min(API_KEY_CACHE_SECONDS, left), principal)
    return principal


def organisation_of(session: Session, principal: Principal) -> Organisation:
    """The organisation the principal acts for."""
    organisation = (
        repository.organisation_by_id(session, principal.organisation_id) if principal.organisation_id else None
    )
    if organisation is None:
        raise NotFound("you do not act for an organisation")
    return organisation


def search_organisations(
    session: Session, principal: Principal, *, kind: str, text: str, limit: int = 20
) -> list[tuple[str, str]]:
    """(code, name) of organisations of ``kind`` matching ``text`` — banks are public, so any logged-in user
    may look one up by name to grant it consent; other kinds only staff."""
    if kind != "bank":
        require_role(principal, "regulator")
    return [
        (o.code, o.name) for o in repository.organisations_matching(session, kind=kind, text=text.strip(), limit=limit)
    ]


def organisation_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """Names of the organisations with these codes (code → name), to show names before codes."""
    return repository.organisation_names(session, codes)


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


# --- consent: every grant of a borrower's data to an organisation -----------------------------
#
# One model for every domain (finance's credit reports, personal grades, loan applications).
# The calling domain decides who the subject is and whether the principal may act for it;
# these functions keep the record, refuse what no live consent covers and log every read.


def _consent_status(consent: Consent, now: datetime) -> Literal["active", "revoked", "expired"]:
    if consent.revoked_at is not None:
        return "revoked"
    return "expired" if consent.expires_at <= now else "active"


def _consent_record(
    consent: Consent, organisation: Organisation, *, reads: int = 0, now: datetime | None = None
) -> ConsentRecord:
    return ConsentRecord(
        id=consent.id,
        subject_kind=consent.subject_kind,
        subject_ref=consent.subject_ref,
        subject_code=consent.subject_code,
        organisation_code=organisation.code,
        organisation_name=organisation.name,
        organisation_kind=organisation.kind,
        scope=consent.scope,
        reference=consent.reference,
        granted_by=consent.granted_by,
        granted_at=consent.granted_at,
        expires_at=consent.expires_at,
        revoked_at=consent.revoked_at,
        revoked_by=consent.revoked_by,
        status=_consent_status(consent, now or utcnow()),
        reads=reads,
    )


def grant_consent(
    session: Session,
    principal: Principal,
    *,
    subject_kind: str,
    subject_ref: str,
    organisation_code: str,
    scope: str,
    expires_at: datetime,
    subject_code: str | None = None,
    reference: str | None = None,
    granted_at: datetime | None = None,
) -> ConsentRecord:
    """Record the subject's grant of its data in ``scope`` to the organisation ``organisation_code``."""
    if subject_kind not in CONSENT_SUBJECT_KINDS:
        raise InvalidInput(f"a consent's subject is one of {', '.join(CONSENT_SUBJECT_KINDS)}, not {subject_kind!r}")
    if scope not in CONSENT_SCOPES:
        raise InvalidInput(f"a consent's scope is one of {', '.join(CONSENT_SCOPES)}, not {scope!r}")
    organisation = repository.organisation_by_code(session, organisation_code)
    if organisation is None:
        raise NotFound(f"no organisation with code {organisation_code}")
    if expires_at.tzinfo is None:
        raise InvalidInput("expires_at needs a time zone (e.g. 2027-01-01T00:00:00+08:00)")
    now = granted_at or utcnow()
    if expires_at <= now:
        raise InvalidInput("expires_at must be in the future")
    consent = Consent(
        subject_kind=subject_kind,
        subject_ref=subject_ref,
        subject_code=subject_code,
        organisation_id=organisation.id,
        scope=scope,
        reference=reference,
        granted_by=principal.actor,
        granted_at=now,
        expires_at=expires_at,
    )
    session.add(consent)
    session.flush()
    return _consent_record(consent, organisation, now=now)


def grant_consents(session: Session, principal: Principal, *, grants: Sequence[dict[str, Any]]) -> int:
    """Record many consents collected outside a request at once (demo data, a bank's signed forms).

    Each grant is a dict of :class:`Consent` columns with ``organisation_code`` in place of
    the organisation's id (and ``id`` when the caller links to it); one set-based insert,
    one audit record for the batch. Returns how many were written.
    """
    if not grants:
        return 0
    codes = {g["organisation_code"] for g in grants}
    ids = {o.code: o.id for o in repository.organisations(session) if o.code in codes}
    missing = sorted(codes - ids.keys())
    if missing:
        raise NotFound(f"no organisation with code {missing[0]}")
    rows = []
    for grant in grants:
        if grant["scope"] not in CONSENT_SCOPES:
            raise InvalidInput(f"a consent's scope is one of {', '.join(CONSENT_SCOPES)}, not {grant['scope']!r}")
        if grant["subject_kind"] not in CONSENT_SUBJECT_KINDS:
            raise InvalidInput(f"a consent's subject is one of {', '.join(CONSENT_SUBJECT_KINDS)}")
        row = {k: v for k, v in grant.items() if k != "organisation_code"}
        row.setdefault("id", new_id())
        row.setdefault("granted_by", principal.actor)
        row["organisation_id"] = ids[grant["organisation_code"]]
        rows.append(row)
    session.execute(insert(Consent), rows)
    record(session, principal, action="create", entity_type="auth_consent", entity_id=f"batch:{len(rows)}")
    return len(rows)


def get_consent(session: Session, *, consent_id: str) -> ConsentRecord:
    """One consent by id (NotFound when there is none); the caller checks who may see it."""
    found = repository.consent_by_id(session, consent_id)
    if found is None:
        raise NotFound(f"no consent {consent_id}")
    return _consent_record(*found)


def linked_consent_statuses(session: Session, *, consent_id: str) -> list[str]:
    """The statuses of a consent and of the consents granted in the same step (one reference), in one query;
    empty when there is no such consent."""
    now = utcnow()
    return [_consent_status(consent, now) for consent in repository.linked_consents(session, consent_id)]


def linked_consents_live(session: Session, *, consent_ids: Sequence[str]) -> dict[str, bool]:
    """For each consent, whether it and every consent granted in the same step are active, in one query."""
    now = utcnow()
    found = repository.linked_consents_of(session, consent_ids)
    return {
        consent_id: bool(found.get(consent_id)) and all(_consent_status(c, now) == "active" for c in found[consent_id])
        for consent_id in consent_ids
    }


def revoke_consent(
    session: Session, principal: Principal, *, consent_id: str, subject_kind: str, subject_ref: str
) -> ConsentRecord:
    """The subject ends its consent now (kept, marked revoked); NotFound when it is not the subject's."""
    found = repository.consent_by_id(session, consent_id)
    if found is None or (found[0].subject_kind, found[0].subject_ref) != (subject_kind, subject_ref):
        raise NotFound(f"no consent {consent_id} of yours")
    consent, organisation = found
    if consent.revoked_at is None:
        consent.revoked_at = utcnow()
        consent.revoked_by = principal.actor
        session.flush()
    return _consent_record(consent, organisation)


def list_consents(
    session: Session,
    *,
    subject_kind: str | None = None,
    subject_ref: str | None = None,
    subject_code: str | None = None,
    organisation_code: str | None = None,
    scope: str | None = None,
) -> list[ConsentRecord]:
    """Consents newest first, filtered by subject, acting code, grantee and scope; the caller checks who asks."""
    organisation_id = None
    if organisation_code is not None:
        organisation = repository.organisation_by_code(session, organisation_code)
        if organisation is None:
            return []
        organisation_id = organisation.id
    now = utcnow()
    rows = repository.consents(
        session,
        subject_kind=subject_kind,
        subject_ref=subject_ref,
        subject_code=subject_code,
        organisation_id=organisation_id,
        scope=scope,
    )
    return [_consent_record(c, o, reads=n, now=now) for c, o, n in rows]


def require_consent(
    session: Session,
    principal: Principal,
    *,
    subject_kind: str,
    subject_ref: str,
    scope: str,
    purpose: str,
    entity_id: str | None = None,
    refusal: str = "the borrower has not granted your organisation access to its data",
    grantee: str = "organisation",
) -> ConsentRecord:
    """The live consent of the subject to the principal's organisation for ``scope``, with the read logged.

    Forbidden otherwise, saying whether the consent was revoked, has expired or was never
    given (``refusal``); ``grantee`` names the reader in the sentences (``bank``).
    """
    organisation_id = principal.organisation_id
    if organisation_id is None and principal.organisation_code is not None:  # an operator acting for a bank
        found = repository.organisation_by_code(session, principal.organisation_code)
        organisation_id = found.id if found is not None else None
    if organisation_id is None:
        raise Forbidden(refusal)
    now = utcnow()
    rows = repository.consents(
        session,
        subject_kind=subject_kind,
        subject_ref=subject_ref,
        organisation_id=organisation_id,
        scope=scope,
    )
    live = [(c, o) for c, o, _ in rows if _consent_status(c, now) == "active"]
    if not live:
        if any(c.revoked_at is not None for c, _, _ in rows):
            raise Forbidden(f"the borrower revoked its consent to your {grantee}")
        if rows:
            raise Forbidden(f"the borrower's consent to your {grantee} has expired")
        raise Forbidden(refusal)
    consent, organisation = live[0]
    use_consent(session, principal, consent_id=consent.id, purpose=purpose, entity_id=entity_id, at=now)
    return _consent_record(consent, organisation, now=now)


def use_consent(
    session: Session,
    principal: Principal,
    *,
    consent_id: str,
    purpose: str,
    entity_id: str | None = None,
    at: datetime | None = None,
) -> None:
    """Log one read a consent allowed (``require_consent`` does it; call it for a read made later)."""
    session.add(
        ConsentUse(
            consent_id=consent_id, at=at or utcnow(), actor=principal.actor, purpose=purpose, entity_id=entity_id
        )
    )
    session.flush()


def consent_history(session: Session, *, subject_kind: str, subject_ref: str) -> list[ConsentRecord]:
    """Every consent of one subject, newest first, each with the reads it allowed (the borrower's history page)."""
    records = list_consents(session, subject_kind=subject_kind, subject_ref=subject_ref)
    uses = repository.consent_uses(session, [r.id for r in records])
    by_consent: dict[str, list[ConsentUseRead]] = {}
    for use in uses:
        by_consent.setdefault(use.consent_id, []).append(ConsentUseRead.model_validate(use))
    return [r.model_copy(update={"uses": tuple(by_consent.get(r.id, ()))}) for r in records]
