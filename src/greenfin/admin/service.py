"""Administration of a region: organisations, users, API keys, self-service registration, the audit log.

A region starts from an empty database with :func:`bootstrap` (the first administrator,
acting for the ``platform`` organisation). Administrators then register organisations
(regulator, banks, guarantors, insurers, enterprises, farms, data sources, partners),
create users in a role that fits their organisation's kind (:data:`ROLE_KINDS`), issue
scoped API keys to machines and read the audit log; regulators read all of it and decide
self-service registrations. Everyone else is refused.

**Organisation codes.** An enterprise's code is its unified social credit code (GB 32100,
checked, case-insensitive, stored in upper case). Any other kind may use a short code of
its own (a bank's code such as ``QZB01``); a code of 18 characters is taken for a USCC and
checked as one, for every kind. Codes are unique ignoring case.

**Passwords** are set only here and in :mod:`greenfin.auth.service` under the policy of
:mod:`greenfin.auth.rules`; they come from standard input (CLI) or a request body, never
a command line, and never appear in the audit log (only ``{"password": "changed"}``).
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session
from stdnum.cn import uscc as uscc_number
from stdnum.exceptions import ValidationError

from greenfin.admin.schemas import (
    OrganisationRead,
    RegistrationCreate,
    RegistrationRead,
    UserRead,
)
from greenfin.auth import repository as auth_repository
from greenfin.auth import service as auth
from greenfin.auth.models import ApiKey, Organisation, Registration, User
from greenfin.auth.schemas import ApiKeyCreated, ApiKeyRead, AuditEventRead
from greenfin.auth.service import Principal
from greenfin.clock import BEIJING
from greenfin.db import utcnow
from greenfin.errors import Conflict, Forbidden, InvalidInput, NotFound, TooManyRequests
from greenfin.settings import Settings

# One home for Beijing time is coming with the region data; until then this module's own.
PLATFORM_CODE = "platform"
ORGANISATION_KINDS = ("regulator", "bank", "guarantor", "insurer", "enterprise", "farm", "data_source", "partner")
# The organisation kinds a user of each role may act for (a resident acts for none).
ROLE_KINDS: dict[str, tuple[str, ...]] = {
    "admin": ("platform",),
    "regulator": ("regulator",),
    "bank": ("bank", "guarantor", "insurer"),
    "enterprise": ("enterprise", "farm"),
    "data_source": ("data_source", "partner"),
    "resident": (),
}
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,39}$")
REGISTRATIONS_PER_ADDRESS = 5  # successful self-service registrations per client address and login window
AUDIT_CSV_MAX_ROWS = 100_000


def _admin(principal: Principal) -> None:
    auth.require_role(principal, "admin")


def _reader(principal: Principal) -> None:
    auth.require_role(principal, "admin", "regulator")


# --- codes ---------------------------------------------------------------------------------


def uscc_problem(code: str) -> str | None:
    """None if ``code`` is a valid unified social credit code (any case), else the reason."""
    try:
        uscc_number.validate(code.upper())
    except ValidationError as exc:
        return f"{code} is not a valid unified social credit code ({exc})"
    return None


def normalise_code(kind: str, code: str) -> str:
    """An organisation code as stored: a USCC checked and in upper case, another code as given."""
    code = code.strip()
    if kind == "enterprise" or len(code) == 18:
        problem = uscc_problem(code)
        if problem:
            raise InvalidInput(problem, errors=[{"field": "code", "reason": problem}])
        return code.upper()
    if not CODE_PATTERN.match(code):
        reason = f"code {code!r}: 2–40 letters, digits, '.', '_' or '-', starting with a letter or digit"
        raise InvalidInput(reason, errors=[{"field": "code", "reason": reason}])
    return code


def _organisation(session: Session, code: str) -> Organisation:
    organisation = auth_repository.organisation_by_code_folded(session, code.strip())
    if organisation is None:
        raise NotFound(f"no organisation with code {code}")
    return organisation


def _user(session: Session, username: str) -> User:
    user = auth_repository.user_by_username(session, username)
    if user is None:
        raise NotFound(f"no user {username}")
    return user


# --- bootstrap -----------------------------------------------------------------------------


def bootstrap(session: Session, *, username: str, password: str) -> User:
    """The first administrator of an empty region (and the platform organisation); refused once one exists."""
    if auth_repository.admin_exists(session):
        raise InvalidInput("an administrator exists already; log in as one to create users")
    auth.check_password_policy(password, username=username)
    platform = auth_repository.organisation_by_code(session, PLATFORM_CODE) or auth.create_organisation(
        session, kind="platform", name="平台运营方", code=PLATFORM_CODE
    )
    return auth.create_user(session, username=username, password=password, role="admin", organisation=platform)


# --- organisations -------------------------------------------------------------------------


def create_organisation(
    session: Session, principal: Principal, *, kind: str, code: str, name: str, region_code: str | None = None
) -> OrganisationRead:
    """Register an organisation of one of :data:`ORGANISATION_KINDS` (admin); a duplicate code is refused."""
    _admin(principal)
    if kind not in ORGANISATION_KINDS:
        raise InvalidInput(f"unknown organisation kind {kind!r}; known: {', '.join(ORGANISATION_KINDS)}")
    code = normalise_code(kind, code)
    if auth_repository.organisation_by_code_folded(session, code) is not None:
        raise InvalidInput(f"an organisation with code {code} exists already")
    name = name.strip()
    if not name:
        raise InvalidInput("an organisation needs a name")
    if region_code is not None and not (len(region_code) == 6 and region_code.isdigit()):
        raise InvalidInput(f"region {region_code!r}: a GB/T 2260 code has 6 digits, e.g. 110105")
    if region_code is None and len(code) == 18:
        region_code = code[2:8]  # a USCC names the division of the authority that registered it
    organisation = auth.create_organisation(session, kind=kind, name=name, code=code, region_code=region_code)
    return OrganisationRead.model_validate(organisation)


def list_organisations(session: Session, principal: Principal, *, kind: str | None = None) -> list[OrganisationRead]:
    """Every organisation, or those of one kind (admin, regulator)."""
    _reader(principal)
    return [OrganisationRead.model_validate(o) for o in auth_repository.organisations(session, kind=kind)]


# --- users ---------------------------------------------------------------------------------


def _user_read(user: User, organisation: Organisation | None) -> UserRead:
    return UserRead(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        organisation_code=organisation.code if organisation else None,
        organisation_name=organisation.name if organisation else None,
        is_active=user.is_active,
        created_at=user.created_at,
    )


def create_user(
    session: Session,
    principal: Principal,
    *,
    username: str,
    role: str,
    organisation_code: str | None,
    password: str,
    display_name: str | None = None,
) -> UserRead:
    """Create a user in a role that fits its organisation's kind (admin); the password under the policy."""
    _admin(principal)
    if role not in ROLE_KINDS:
        raise InvalidInput(f"unknown role {role!r}; known: {', '.join(ROLE_KINDS)}")
    organisation = None
    if role == "resident":
        if organisation_code:
            raise InvalidInput("a resident acts for no organisation; leave out the organisation")
    else:
        if not organisation_code:
            raise InvalidInput(f"a {role} user acts for an organisation: give its code")
        organisation = _organisation(session, organisation_code)
        if organisation.kind not in ROLE_KINDS[role]:
            raise InvalidInput(
                f"a {role} user may act for an organisation of kind {' or '.join(ROLE_KINDS[role])}, "
                f"not for {organisation.code} ({organisation.kind})"
            )
    if auth_repository.pending_registration(session, username=username) is not None:
        raise InvalidInput(f"the username {username!r} is taken")
    auth.check_password_policy(password, username=username)
    user = auth.create_user(
        session,
        username=username,
        password=password,
        role=role,
        display_name=display_name,
        organisation=organisation,
    )
    return _user_read(user, organisation)


def list_users(session: Session, principal: Principal) -> list[UserRead]:
    """Every user with the organisation it acts for (admin, regulator)."""
    _reader(principal)
    return [_user_read(user, org) for user, org in auth_repository.users_with_organisations(session)]


def disable_user(session: Session, principal: Principal, *, username: str) -> UserRead:
    """Stop a user: no more logins, and every token and session of theirs ends at once (admin)."""
    _admin(principal)
    user = _user(session, username)
    if user.id == principal.user_id:
        raise InvalidInput("you may not disable yourself; ask another administrator")
    if user.role == "admin" and user.is_active:
        active_admins = [u for u, _ in auth_repository.users_with_organisations(session) if u.role == "admin"]
        if sum(u.is_active for u in active_admins) <= 1:
            raise InvalidInput("this is the last active administrator; create another one first")
    user.is_active = False
    session.flush()
    auth.revoke_user_tokens(session, principal, user=user, reason="disable")
    return _user_read(user, _user_organisation(session, user))


def enable_user(session: Session, principal: Principal, *, username: str) -> UserRead:
    """Let a disabled user log in again (admin)."""
    _admin(principal)
    user = _user(session, username)
    user.is_active = True
    session.flush()
    return _user_read(user, _user_organisation(session, user))


def _user_organisation(session: Session, user: User) -> Organisation | None:
    return auth_repository.organisation_by_id(session, user.organisation_id) if user.organisation_id else None


def reset_password(session: Session, principal: Principal, *, username: str, password: str) -> UserRead:
    """Give a user a new password (admin, under the policy); their sessions end and their throttle clears."""
    _admin(principal)
    user = _user(session, username)
    auth.set_password(session, principal, user=user, password=password, reason="reset_password")
    return _user_read(user, _user_organisation(session, user))


def revoke_tokens(session: Session, principal: Principal, *, username: str) -> int:
    """End every token and page session of a user (admin); how many there were."""
    _admin(principal)
    user = _user(session, username)
    return auth.revoke_user_tokens(session, principal, user=user, reason="admin_revoke")


# --- API keys ------------------------------------------------------------------------------


def _key_status(key: ApiKey, now: datetime) -> str:
    if key.revoked_at is not None:
        return "revoked"
    if key.expires_at is not None and key.expires_at <= now:
        return "expired"
    return "live"


def _key_read(key: ApiKey, organisation: Organisation, now: datetime) -> ApiKeyRead:
    return ApiKeyRead(
        id=key.id,
        prefix=key.prefix,
        name=key.name,
        role=key.role,
        organisation_code=organisation.code,
        organisation_name=organisation.name,
        scopes=key.scopes or [],
        organisation_codes=key.organisation_codes,
        region_code=key.region_code,
        created_at=key.created_at,
        expires_at=key.expires_at,
        revoked_at=key.revoked_at,
        rotated_from_id=key.rotated_from_id,
        status=_key_status(key, now),
    )


def _created(key: ApiKey, secret: str) -> ApiKeyCreated:
    return ApiKeyCreated(
        id=key.id,
        prefix=key.prefix,
        name=key.name,
        role=key.role,
        scopes=key.scopes or [],
        expires_at=key.expires_at,
        key=secret,
    )


def create_api_key(
    session: Session,
    principal: Principal,
    *,
    organisation_code: str,
    name: str,
    role: str | None = None,
    scopes: list[str] | None = None,
    organisation_codes: list[str] | None = None,
    region_code: str | None = None,
    expires_days: int | None = None,
) -> ApiKeyCreated:
    """Issue a scoped API key to an organisation (admin); the key is in the answer once, never again."""
    _admin(principal)
    organisation = _organisation(session, organisation_code)
    if expires_days is not None and not 1 <= expires_days <= 3650:
        raise InvalidInput("a key expires after 1 to 3,650 days")
    key, secret = auth.create_api_key(
        session,
        organisation=organisation,
        name=name.strip() or organisation.code,
        role=role,
        scopes=scopes,
        organisation_codes=organisation_codes,
        region_code=region_code,
        expires_at=utcnow() + timedelta(days=expires_days) if expires_days else None,
    )
    return _created(key, secret)


def list_api_keys(session: Session, principal: Principal) -> list[ApiKeyRead]:
    """Every API key (never its secret), newest first, with its status (admin, regulator)."""
    _reader(principal)
    now = utcnow()
    return [_key_read(key, org, now) for key, org in auth_repository.api_keys_with_organisations(session)]


def revoke_api_key(session: Session, principal: Principal, *, prefix: str) -> ApiKeyRead:
    """Revoke an API key at once (admin)."""
    _admin(principal)
    key = auth.revoke_api_key(session, prefix=prefix.strip())
    organisation = auth_repository.organisation_by_id(session, key.organisation_id)
    assert organisation is not None  # foreign key
    return _key_read(key, organisation, utcnow())


def rotate_api_key(session: Session, principal: Principal, *, prefix: str, grace_hours: int = 0) -> ApiKeyCreated:
    """Replace an API key by a new one of the same reach (admin); the old one stops now or after the grace."""
    _admin(principal)
    if not 0 <= grace_hours <= 24 * 30:
        raise InvalidInput("the grace period is 0 to 720 hours")
    _, new, secret = auth.rotate_api_key(session, prefix=prefix.strip(), grace=timedelta(hours=grace_hours))
    return _created(new, secret)


# --- the audit log -------------------------------------------------------------------------


def beijing_day_start(day: date) -> datetime:
    """00:00 Beijing time of ``day``, in UTC."""
    return datetime.combine(day, time(0), BEIJING).astimezone(UTC)


def audit(
    session: Session,
    principal: Principal,
    *,
    actor: str | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
    since: date | None = None,
    until: date | None = None,
    offset: int = 0,
    limit: int = 50,
    sort: str = "at",
    descending: bool = True,
) -> tuple[list[AuditEventRead], int]:
    """Audit events filtered by actor, entity and Beijing days ``since``–``until`` (both included), newest first
    (or by ``sort``: at, actor, action, entity)."""
    _reader(principal)
    if since is not None and until is not None and until < since:
        raise InvalidInput("the end of the range lies before its start")
    rows, total = auth_repository.audit_search(
        session,
        actor=actor.strip() if actor else None,
        entity_type=entity_type or None,
        entity_id=entity_id.strip() if entity_id else None,
        since=beijing_day_start(since) if since else None,
        until=beijing_day_start(until + timedelta(days=1)) if until else None,
        offset=offset,
        limit=limit,
        sort=sort if sort in auth_repository.AUDIT_SORTS else "at",
        descending=descending,
    )
    return [AuditEventRead.model_validate(row) for row in rows], total


def audit_entity_types(session: Session, principal: Principal) -> list[str]:
    """The kinds of entity the audit log names (for the filter)."""
    _reader(principal)
    return auth_repository.audit_entity_types(session)


def _cell(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    # A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


AUDIT_CSV_HEADERS = {
    "zh": ("时间（北京时间）", "操作人", "角色", "操作", "对象类型", "对象编号", "修改前", "修改后"),
    "en": ("Time (Beijing)", "Actor", "Role", "Action", "Entity type", "Entity id", "Before", "After"),
}


def audit_csv(
    session: Session,
    principal: Principal,
    *,
    lang: str = "zh",
    actor: str | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> str:
    """The filtered audit log as CSV (UTF-8 with BOM, for spreadsheets), times in Beijing time."""
    events, _ = audit(
        session,
        principal,
        actor=actor,
        entity_type=entity_type,
        entity_id=entity_id,
        since=since,
        until=until,
        offset=0,
        limit=AUDIT_CSV_MAX_ROWS,
    )
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(AUDIT_CSV_HEADERS["en" if lang == "en" else "zh"])
    for event in events:
        writer.writerow(
            [
                event.at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
                _cell(event.actor),
                _cell(event.actor_role or ""),
                _cell(event.action),
                _cell(event.entity_type),
                _cell(event.entity_id or ""),
                _cell(event.before) if event.before is not None else "",
                _cell(event.after) if event.after is not None else "",
            ]
        )
    return out.getvalue()


# --- self-service registration -------------------------------------------------------------


def _registration_errors(session: Session, registration_in: RegistrationCreate) -> list[dict[str, str]]:
    from greenfin.industry import methodology

    errors: list[dict[str, str]] = []
    problem = uscc_problem(registration_in.uscc)
    if problem:
        errors.append({"field": "uscc", "reason": problem})
    county = methodology.check_county_code(registration_in.county_code)
    if county:
        errors.append({"field": "county_code", "reason": county})
    if registration_in.kind == "enterprise":
        industry = (
            methodology.check_industry_code(registration_in.industry_code)
            if registration_in.industry_code
            else "an enterprise gives its industry (GB/T 4754 class)"
        )
        if industry:
            errors.append({"field": "industry_code", "reason": industry})
    else:
        if registration_in.farm_type is None:
            errors.append({"field": "farm_type", "reason": "a farm gives its type"})
        if not (registration_in.township or "").strip():
            errors.append({"field": "township", "reason": "a farm gives its township"})
    if not problem:
        code = registration_in.uscc.upper()
        if auth_repository.organisation_by_code_folded(session, code) is not None:
            errors.append({"field": "uscc", "reason": f"{code} is registered already; ask its administrator"})
        elif auth_repository.pending_registration(session, uscc=code) is not None:
            errors.append({"field": "uscc", "reason": f"a registration of {code} is waiting for approval already"})
    username = registration_in.username
    if (
        auth_repository.user_by_username(session, username) is not None
        or auth_repository.pending_registration(session, username=username) is not None
    ):
        errors.append({"field": "username", "reason": f"the username {username!r} is taken"})
    return errors


def register(
    session: Session, settings: Settings, *, registration_in: RegistrationCreate, address: str | None
) -> RegistrationRead:
    """An enterprise or farm asks to join (no login needed); it waits, unable to log in, for a regulator."""
    errors = _registration_errors(session, registration_in)
    if errors:
        raise InvalidInput(f"{errors[0]['field']}: {errors[0]['reason']}", errors=errors)
    auth.check_password_policy(registration_in.password, username=registration_in.username)
    if address and auth.count_attempt(session, settings, key=f"register:{address}") > REGISTRATIONS_PER_ADDRESS:
        raise TooManyRequests("too many registrations from this address; please try again later")
    session.info["actor"] = Principal(actor=f"registration:{registration_in.username}", role="enterprise")
    registration = Registration(
        kind=registration_in.kind,
        uscc=registration_in.uscc.upper(),
        name=registration_in.name.strip(),
        county_code=registration_in.county_code,
        industry_code=registration_in.industry_code if registration_in.kind == "enterprise" else None,
        farm_type=registration_in.farm_type if registration_in.kind == "farm" else None,
        township=(registration_in.township or "").strip() or None if registration_in.kind == "farm" else None,
        contact_name=registration_in.contact_name.strip(),
        contact_phone=registration_in.contact_phone.strip(),
        username=registration_in.username,
        password_hash=auth.hash_password(registration_in.password),
        status="pending",
    )
    session.add(registration)
    session.flush()
    return RegistrationRead.model_validate(registration)


def list_registrations(
    session: Session, principal: Principal, *, status: str | None = "pending"
) -> list[RegistrationRead]:
    """Registrations (by default those waiting), newest first (admin, regulator)."""
    _reader(principal)
    return [RegistrationRead.model_validate(r) for r in auth_repository.registrations(session, status=status)]


def _pending(session: Session, registration_id: str) -> Registration:
    registration = auth_repository.registration_by_id(session, registration_id)
    if registration is None:
        raise NotFound(f"no registration {registration_id}")
    if registration.status != "pending":
        raise Conflict(f"the registration was {registration.status} already")
    return registration


def approve_registration(
    session: Session, principal: Principal, *, registration_id: str, settings: Settings
) -> RegistrationRead:
    """Approve a registration (regulator): the organisation, its user and its register entry are created."""
    auth.require_role(principal, "regulator")
    registration = _pending(session, registration_id)
    if auth_repository.organisation_by_code_folded(session, registration.uscc) is not None:
        raise Conflict(f"{registration.uscc} was registered meanwhile; reject this request with that reason")
    organisation = auth.create_organisation(
        session,
        kind=registration.kind,
        name=registration.name,
        code=registration.uscc,
        region_code=registration.county_code,
    )
    user = auth.create_user(
        session,
        username=registration.username,
        password_hash=registration.password_hash,
        role="enterprise",
        display_name=registration.contact_name,
        organisation=organisation,
    )
    if registration.kind == "enterprise":
        _put_on_industry_register(session, principal, registration)
    else:
        _put_on_farm_register(session, principal, registration, settings=settings)
    registration.status = "approved"
    registration.decided_at = utcnow()
    registration.decided_by = principal.actor
    registration.user_id = user.id
    session.flush()
    return RegistrationRead.model_validate(registration)


def _put_on_industry_register(session: Session, principal: Principal, registration: Registration) -> None:
    """The enterprise on the industrial register (name, county, industry), unless it is there already."""
    from greenfin.industry import service as industry

    listed, _ = industry.list_enterprises(session, principal, q=registration.uscc, limit=5)
    if any(item.uscc == registration.uscc for item in listed):
        return
    row = [registration.uscc, registration.name, registration.county_code, registration.industry_code or ""]
    content = io.StringIO()
    csv.writer(content, lineterminator="\n").writerows([["uscc", "name", "county_code", "industry_code"], row])
    industry.import_file(
        session,
        principal,
        kind="enterprises",
        filename=f"registration-{registration.id}.csv",
        content=content.getvalue().encode(),
    )


def _put_on_farm_register(
    session: Session, principal: Principal, registration: Registration, *, settings: Settings
) -> None:
    """The farm on the agricultural register with its account open, unless it is there already."""
    from greenfin.agriculture import service as agriculture
    from greenfin.agriculture.schemas import FarmCreate

    try:
        agriculture.find_farm(session, principal, farm_ref=registration.uscc)
        return
    except NotFound:
        pass
    farm_in = FarmCreate.model_validate(
        {
            "farm_type": registration.farm_type,
            "name": registration.name,
            "uscc": registration.uscc,
            "county_code": registration.county_code,
            "township": registration.township or "",
            "open_account": True,
        }
    )
    agriculture.register_farm(session, principal, farm_in=farm_in, secret_key=settings.secret_key)


def reject_registration(
    session: Session, principal: Principal, *, registration_id: str, reason: str
) -> RegistrationRead:
    """Reject a registration with a reason the applicant is told (regulator)."""
    auth.require_role(principal, "regulator")
    reason = reason.strip()
    if len(reason) < 2:
        raise InvalidInput("say why the registration is rejected")
    registration = _pending(session, registration_id)
    registration.status = "rejected"
    registration.reason = reason[:500]
    registration.decided_at = utcnow()
    registration.decided_by = principal.actor
    session.flush()
    return RegistrationRead.model_validate(registration)


def require_staff_page(principal: Principal) -> None:
    """Refuse the administration pages to anyone but admins and regulators."""
    if not principal.is_staff:
        raise Forbidden("the administration pages are for administrators and regulators")
