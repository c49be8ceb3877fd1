"""Pages of the administration (机构管理, 用户管理, API 密钥, 审计日志, 注册审核), self-service
registration (``/register``) and a user's own password (``/account/password``).

Admins see the forms; regulators see the same pages read-only (and decide registrations);
anyone else gets the 403 page. A form posts to its page, which answers the page again with
a notice or the refusal in one sentence. A new API key is shown once, on the page that
answers its creation.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from greenfin.admin import service
from greenfin.admin.schemas import RegistrationCreate
from greenfin.auth import service as auth
from greenfin.auth.service import Principal
from greenfin.clock import BEIJING
from greenfin.errors import GreenfinError, InvalidInput
from greenfin.http import SESSION_COOKIE, SessionDep, SettingsDep
from greenfin.web.i18n import CATALOGUE, translate
from greenfin.web.listing import EXPORT_LIMIT, export_rows, list_query
from greenfin.web.pages import LangDep, OptionalPagePrincipalDep, PagePrincipalDep, page_router, render

router = page_router()

AUDIT_PAGE = 50
FARM_TYPES = ("organic_fertiliser_producer", "pig_farm", "grain_grower", "cooperative")
FormText = Annotated[str, Form(max_length=2000)]


def beijing(moment: datetime | None) -> str:
    """A moment as pages show it: Beijing time, to the minute."""
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") if moment else "—"


def _refusal(exc: GreenfinError, lang: str) -> str:
    """One readable sentence for a refused form: the policy's own words, else the status's and the detail."""
    code = next((e.get("code") for e in exc.errors if e.get("code")), None)
    for key in (f"password.{code}", f"pw.{code}"):
        if code and key in CATALOGUE:
            return translate(key, lang)
    general = translate(f"error.{exc.status}" if f"error.{exc.status}" in CATALOGUE else "error.other", lang)
    return f"{general} {translate('error.detail', lang, detail=exc.detail)}"


# The domain a table belongs to, for audit events of tables without a name of their own.
DOMAIN_OF_TABLE = {
    "industry_": ("工业碳账户数据", "Industrial account data"),
    "agriculture_": ("农业碳账户数据", "Agricultural account data"),
    "personal_": ("个人碳账户数据", "Personal account data"),
    "finance_": ("碳金融数据", "Carbon finance data"),
}


def entity_name(entity_type: str, lang: str) -> str:
    """An audited table as a person reads it."""
    key = f"entity.{entity_type}"
    if key in CATALOGUE:
        return translate(key, lang)
    for prefix, (zh, en) in DOMAIN_OF_TABLE.items():
        if entity_type.startswith(prefix):
            return en if lang == "en" else zh
    return translate("entity.other", lang)


def action_name(action: str, lang: str) -> str:
    """An audited action as a person reads it."""
    key = f"action.{action}"
    return translate(key if key in CATALOGUE else "action.other", lang)


def _page(
    request: Request, name: str, principal: Principal, lang: str, context: dict[str, Any], *, status: int = 200
) -> HTMLResponse:
    values = {
        "is_admin": principal.role == "admin",
        "bj": beijing,
        "notice": None,
        "error": None,
        "entity_name": lambda entity_type: entity_name(entity_type, lang),
        "action_name": lambda action: action_name(action, lang),
        "as_json": lambda value: json.dumps(value, ensure_ascii=False, sort_keys=True),
        **context,
    }
    return render(request, f"admin/{name}.html", values, lang=lang, status=status)


@router.get("/admin", response_class=HTMLResponse)
def admin_home(principal: PagePrincipalDep) -> Response:
    """The administration starts with the organisations."""
    service.require_staff_page(principal)
    return RedirectResponse("/admin/organisations", status_code=303)


# --- 机构管理 --------------------------------------------------------------------------------


def _organisations_page(
    request: Request, session: SessionDep, principal: Principal, lang: str, **context: Any
) -> HTMLResponse:
    kind = context.pop("kind", None)
    organisations = service.list_organisations(session, principal, kind=kind or None)
    values = {"organisations": organisations, "kinds": service.ORGANISATION_KINDS, "kind": kind or "", **context}
    return _page(request, "organisations", principal, lang, values, status=400 if context.get("error") else 200)


@router.get("/admin/organisations", response_class=HTMLResponse)
def organisations_page(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    kind: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """Every organisation; an administrator registers new ones here."""
    return _organisations_page(request, session, principal, lang, kind=kind)


@router.post("/admin/organisations", response_class=HTMLResponse)
def create_organisation(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    kind: FormText,
    code: FormText,
    name: FormText,
    region_code: FormText = "",
) -> Response:
    """Register an organisation (admin)."""
    try:
        service.create_organisation(
            session, principal, kind=kind, code=code, name=name, region_code=region_code.strip() or None
        )
    except InvalidInput as exc:
        session.rollback()
        return _organisations_page(request, session, principal, lang, error=_refusal(exc, lang))
    return _organisations_page(request, session, principal, lang, notice=translate("admin.done", lang))


# --- 用户管理 --------------------------------------------------------------------------------


def _users_page(request: Request, session: SessionDep, principal: Principal, lang: str, **context: Any) -> HTMLResponse:
    values = {
        "users": service.list_users(session, principal),
        "roles": tuple(service.ROLE_KINDS),
        "organisations": service.list_organisations(session, principal),
        **context,
    }
    return _page(request, "users", principal, lang, values, status=400 if context.get("error") else 200)


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, session: SessionDep, principal: PagePrincipalDep, lang: LangDep) -> Response:
    """Every user; an administrator creates, disables, enables users and resets passwords here."""
    return _users_page(request, session, principal, lang)


@router.post("/admin/users", response_class=HTMLResponse)
def create_user(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    username: FormText,
    role: FormText,
    password: FormText,
    organisation_code: FormText = "",
    display_name: FormText = "",
) -> Response:
    """Create a user (admin)."""
    try:
        service.create_user(
            session,
            principal,
            username=username.strip(),
            role=role,
            organisation_code=organisation_code.strip() or None,
            password=password,
            display_name=display_name.strip() or None,
        )
    except InvalidInput as exc:
        session.rollback()
        return _users_page(request, session, principal, lang, error=_refusal(exc, lang))
    return _users_page(request, session, principal, lang, notice=translate("admin.done", lang))


@router.post("/admin/users/{username}/{action}", response_class=HTMLResponse)
def user_action(
    request: Request,
    username: str,
    action: str,
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    password: FormText = "",
) -> Response:
    """Disable, enable, reset the password of, or sign out a user everywhere (admin)."""
    try:
        if action == "disable":
            service.disable_user(session, principal, username=username)
        elif action == "enable":
            service.enable_user(session, principal, username=username)
        elif action == "reset-password":
            service.reset_password(session, principal, username=username, password=password)
        elif action == "revoke-tokens":
            ended = service.revoke_tokens(session, principal, username=username)
            return _users_page(
                request, session, principal, lang, notice=translate("admin.tokens_revoked", lang, count=ended)
            )
        else:
            return _users_page(request, session, principal, lang, error=translate("error.404", lang))
    except InvalidInput as exc:
        session.rollback()
        return _users_page(request, session, principal, lang, error=_refusal(exc, lang))
    return _users_page(request, session, principal, lang, notice=translate("admin.done", lang))


# --- API 密钥 --------------------------------------------------------------------------------


def _keys_page(request: Request, session: SessionDep, principal: Principal, lang: str, **context: Any) -> HTMLResponse:
    values = {
        "keys": service.list_api_keys(session, principal),
        "organisations": service.list_organisations(session, principal),
        "scopes": tuple(auth.SCOPES),
        "created": None,
        **context,
    }
    return _page(request, "api_keys", principal, lang, values, status=400 if context.get("error") else 200)


@router.get("/admin/api-keys", response_class=HTMLResponse)
def keys_page(request: Request, session: SessionDep, principal: PagePrincipalDep, lang: LangDep) -> Response:
    """Every API key with its scopes and status (never a secret); an administrator issues, rotates, revokes."""
    return _keys_page(request, session, principal, lang)


@router.post("/admin/api-keys", response_class=HTMLResponse)
async def create_key(request: Request, session: SessionDep, principal: PagePrincipalDep, lang: LangDep) -> Response:
    """Issue a scoped API key (admin); the page shows it once."""
    form = await request.form()
    scopes = [str(value) for value in form.getlist("scopes")]
    codes = [line.strip() for line in str(form.get("organisation_codes", "")).splitlines() if line.strip()]
    days = str(form.get("expires_days", "")).strip()
    try:
        if days and not days.isdigit():
            raise InvalidInput("the number of days is a whole number")
        created = service.create_api_key(
            session,
            principal,
            organisation_code=str(form.get("organisation_code", "")),
            name=str(form.get("name", ""))[:200],
            scopes=scopes or None,
            organisation_codes=codes or None,
            region_code=str(form.get("region_code", "")).strip() or None,
            expires_days=int(days) if days else None,
        )
    except InvalidInput as exc:
        session.rollback()
        return _keys_page(request, session, principal, lang, error=_refusal(exc, lang))
    return _keys_page(request, session, principal, lang, created=created)


@router.post("/admin/api-keys/{prefix}/{action}", response_class=HTMLResponse)
def key_action(
    request: Request, prefix: str, action: str, session: SessionDep, principal: PagePrincipalDep, lang: LangDep
) -> Response:
    """Revoke or rotate an API key (admin); a rotation shows the new key once."""
    if action == "rotate":
        created = service.rotate_api_key(session, principal, prefix=prefix)
        return _keys_page(request, session, principal, lang, created=created)
    if action != "revoke":
        return _keys_page(request, session, principal, lang, error=translate("error.404", lang))
    service.revoke_api_key(session, principal, prefix=prefix)
    return _keys_page(request, session, principal, lang, notice=translate("admin.done", lang))


# --- 审计日志 --------------------------------------------------------------------------------

TextQuery = Annotated[str | None, Query(max_length=120)]
# A text field of a GET form: an empty one is sent as "" and means no bound.
DayQuery = Annotated[str | None, Query(max_length=10)]


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{value!r} is not a date (YYYY-MM-DD)") from None


AUDIT_SORTS = ("at", "actor", "action", "entity")


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    actor: TextQuery = None,
    entity_type: TextQuery = None,
    entity_id: TextQuery = None,
    since: DayQuery = None,
    until: DayQuery = None,
) -> Response:
    """The audit log, newest first or by a column, filtered by actor, entity and a range of Beijing days;
    numbered pages, a page size, and export (``?export=xlsx|csv``) of what is filtered (web/listing)."""
    filters = {"actor": actor, "entity_type": entity_type, "entity_id": entity_id, "since": since, "until": until}
    listed = list_query(request, sorts=AUDIT_SORTS, default_sort="at", filters=filters, default_descending=True)
    exporting = listed.export is not None
    events, total = service.audit(
        session,
        principal,
        actor=actor,
        entity_type=entity_type,
        entity_id=entity_id,
        since=_day(since),
        until=_day(until),
        offset=0 if exporting else listed.offset,
        limit=EXPORT_LIMIT + 1 if exporting else listed.size,
        sort=listed.sort or "at",
        descending=listed.descending,
    )
    if listed.export is not None:
        return _export_audit(events, total, lang, listed.export)
    query = {key: str(value) for key, value in filters.items() if value}
    context = {
        "events": events,
        "total": total,
        "listed": listed,
        "filters": filters,
        "query": query,
        "entity_types": service.audit_entity_types(session, principal),
    }
    return _page(request, "audit", principal, lang, context)


def _export_audit(events: list[Any], total: int, lang: str, fmt: str) -> Response:
    """The filtered audit log as a file in the list's order: time (北京时间), actor, action and entity in words,
    the stored records as they are."""
    keys = ("admin.audit_at", "admin.actor", "admin.action", "admin.entity", "admin.entity_id", "admin.before")
    header = [translate(key, lang) for key in (*keys, "admin.after")]
    rows = [
        [
            e.at,
            e.actor.split(":", 1)[-1] + (f" · {translate('role.' + e.actor_role, lang)}" if e.actor_role else ""),
            action_name(e.action, lang),
            entity_name(e.entity_type, lang),
            e.entity_id or "",
            json.dumps(e.before, ensure_ascii=False, sort_keys=True) if e.before is not None else "",
            json.dumps(e.after, ensure_ascii=False, sort_keys=True) if e.after is not None else "",
        ]
        for e in events
    ]
    return export_rows(header, rows, name=translate("admin.audit", lang), fmt=fmt, lang=lang, total=total)


# --- 注册审核 --------------------------------------------------------------------------------


def _registrations_page(
    request: Request, session: SessionDep, principal: Principal, lang: str, *, status: str = "pending", **context: Any
) -> HTMLResponse:
    values = {
        "registrations": service.list_registrations(session, principal, status=status or None),
        "status": status,
        "may_decide": principal.role in ("admin", "regulator"),
        **context,
    }
    return _page(request, "registrations", principal, lang, values, status=400 if context.get("error") else 200)


@router.get("/admin/registrations", response_class=HTMLResponse)
def registrations_page(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    status: Annotated[str, Query(pattern="^(pending|approved|rejected|)$")] = "pending",
) -> Response:
    """Self-service registrations; a regulator approves or rejects them with a reason."""
    return _registrations_page(request, session, principal, lang, status=status)


@router.post("/admin/registrations/{registration_id}/{decision}", response_class=HTMLResponse)
def decide_registration(
    request: Request,
    registration_id: str,
    decision: str,
    session: SessionDep,
    settings: SettingsDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    reason: FormText = "",
) -> Response:
    """Approve or reject a registration (regulator)."""
    try:
        if decision == "approve":
            service.approve_registration(session, principal, registration_id=registration_id, settings=settings)
        elif decision == "reject":
            service.reject_registration(session, principal, registration_id=registration_id, reason=reason)
        else:
            return _registrations_page(request, session, principal, lang, error=translate("error.404", lang))
    except InvalidInput as exc:
        session.rollback()
        return _registrations_page(request, session, principal, lang, error=_refusal(exc, lang))
    return _registrations_page(request, session, principal, lang, notice=translate("admin.done", lang))


# --- self-service registration (public) ------------------------------------------------------


def _choices() -> dict[str, Any]:
    # The county and industry names live with the industrial methodology until the region has its own home.
    from greenfin.industry import methodology

    return {
        "counties": sorted(methodology.counties().values(), key=lambda name: name.code),
        "industries": sorted(methodology.industry_classes().values(), key=lambda name: name.code),
        "farm_types": FARM_TYPES,
    }


@router.get("/register", response_class=HTMLResponse)
def register_form(request: Request, lang: LangDep, principal: OptionalPagePrincipalDep) -> Response:
    """The public registration form of an enterprise or a farm."""
    context = {"values": {"kind": "enterprise"}, "error": None, "sent": None, **_choices()}
    return render(request, "admin/register.html", context, lang=lang, principal=principal)


@router.post("/register", response_class=HTMLResponse)
async def register(
    request: Request, session: SessionDep, settings: SettingsDep, lang: LangDep, principal: OptionalPagePrincipalDep
) -> Response:
    """Send a registration; it waits for a regulator (no login until then)."""
    form = await request.form()
    fields = (
        "kind", "uscc", "name", "county_code", "industry_code", "farm_type", "township",
        "contact_name", "contact_phone", "username", "password",
    )  # fmt: skip
    values = {field: str(form.get(field, "")).strip()[:200] for field in fields}
    values["password"] = str(form.get("password", ""))[:256]
    kind = values["kind"]
    body = {key: value for key, value in values.items() if value}
    if kind == "enterprise":
        body.pop("farm_type", None)
        body.pop("township", None)
    else:
        body.pop("industry_code", None)
    context: dict[str, Any] = {"values": {**values, "password": ""}, "sent": None, **_choices()}
    try:
        registration_in = RegistrationCreate.model_validate(body)
        address = request.client.host if request.client else None
        sent = service.register(session, settings, registration_in=registration_in, address=address)
    except GreenfinError as exc:
        session.rollback()
        return render(request, "admin/register.html", {**context, "error": _refusal(exc, lang)}, lang=lang, status=400)
    except ValidationError as exc:  # the schema's own checks
        problems = exc.errors()
        where = ".".join(str(p) for p in problems[0]["loc"]) if problems else "form"
        error = f"{translate('error.422', lang)} {translate('error.detail', lang, detail=where)}"
        return render(request, "admin/register.html", {**context, "error": error}, lang=lang, status=400)
    return render(request, "admin/register.html", {**context, "error": None, "sent": sent}, lang=lang)


# --- a user's own password ---------------------------------------------------------------------


@router.get("/account/password", response_class=HTMLResponse)
def password_form(request: Request, principal: PagePrincipalDep, lang: LangDep) -> Response:
    """The form to change one's own password."""
    return render(request, "admin/password.html", {"error": None}, lang=lang)


@router.post("/account/password", response_class=HTMLResponse)
def change_password(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    lang: LangDep,
    current_password: FormText = "",
    new_password: FormText = "",
    repeat_password: FormText = "",
) -> Response:
    """Change one's own password; every session ends, so the browser logs in again with the new one."""
    if new_password != repeat_password:
        return render(request, "admin/password.html", {"error": translate("pw.mismatch", lang)}, lang=lang, status=400)
    try:
        auth.change_own_password(session, principal, current_password=current_password, new_password=new_password)
    except InvalidInput as exc:
        session.rollback()
        return render(request, "admin/password.html", {"error": _refusal(exc, lang)}, lang=lang, status=400)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response
