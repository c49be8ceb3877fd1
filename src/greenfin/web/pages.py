"""The plumbing every page shares: templates, the page principal, the language, page errors.

A page is a route on a router made by :func:`page_router`. Its handler declares
``principal: PagePrincipalDep`` (the user behind the ``greenfin_session`` cookie — without a
valid one the browser is sent to ``/login?next=…``) and ``lang: LangDep`` (from the
``lang`` cookie, Chinese unless it says ``en``), calls the domain's service and returns
:func:`render`. A :class:`~greenfin.errors.GreenfinError` raised on the way — a refusal,
something not found — becomes an error page with one readable sentence in the page's
language and the error's status; the API keeps answering problem+json, because only
routes on a page router are wrapped.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from sqlalchemy.orm import Session

from greenfin import __version__
from greenfin.auth import service as auth
from greenfin.auth.schemas import ConsentRecord
from greenfin.auth.service import Principal
from greenfin.clock import BEIJING
from greenfin.errors import GreenfinError, Unauthenticated
from greenfin.http import SESSION_COOKIE, SessionDep
from greenfin.web import formatting, listing
from greenfin.web.i18n import CATALOGUE, LANGUAGES, label_name, process_name, translate

LANG_COOKIE = "lang"
STATIC_DIR = Path(__file__).parent / "static"

# Pages load scripts only from this origin; chart data travels in JSON script tags, which
# are not executed. ECharts and htmx set inline styles, hence 'unsafe-inline' for styles.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


class LoginRequired(Exception):
    """No valid page session: send the browser to the login form, then back to ``next``."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


# --- language -------------------------------------------------------------------------------


def page_lang(request: Request) -> str:
    """The page language: the ``lang`` cookie if it names a known language, else Chinese."""
    lang = request.cookies.get(LANG_COOKIE, "zh")
    return lang if lang in LANGUAGES else "zh"


LangDep = Annotated[str, Depends(page_lang)]


# --- who is looking ------------------------------------------------------------------------


def _next_path(request: Request) -> str:
    path = request.url.path
    return f"{path}?{request.url.query}" if request.url.query else path


NavProvider = Callable[[Session, Principal], dict[str, Any]]
_NAV_PROVIDERS: list[NavProvider] = []


def nav_provider(provider: NavProvider) -> NavProvider:
    """Register a function giving what the navigation needs to know of a principal (its own farms …).

    Domains register one from their ``views`` module; the web kit never imports a domain. Its
    dictionary is merged into ``request.state.nav`` (and so into every page's ``nav``).
    """
    _NAV_PROVIDERS.append(provider)
    return provider


def principal_nav(session: Session, principal: Principal) -> dict[str, Any]:
    """What the registered providers say about ``principal`` for the navigation."""
    nav: dict[str, Any] = {}
    for provider in _NAV_PROVIDERS:
        nav.update(provider(session, principal))
    return nav


def optional_page_principal(request: Request, session: SessionDep) -> Principal | None:
    """The user behind the page-session cookie, or None (no cookie, or expired / revoked)."""
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        return None
    try:
        principal = auth.principal_from_token(session, secret)
    except Unauthenticated:
        return None
    session.info["actor"] = principal
    request.state.principal = principal
    request.state.nav = principal_nav(session, principal)
    return principal


def page_principal(
    request: Request, principal: Annotated[Principal | None, Depends(optional_page_principal)]
) -> Principal:
    """The user behind the page-session cookie; without one, a redirect to the login form."""
    if principal is None:
        raise LoginRequired(_next_path(request))
    return principal


PagePrincipalDep = Annotated[Principal, Depends(page_principal)]
OptionalPagePrincipalDep = Annotated[Principal | None, Depends(optional_page_principal)]


def safe_next(next_path: str | None, default: str = "/home") -> str:
    """``next_path`` if it is a path on this site, else ``default`` (no open redirects)."""
    if (
        not next_path
        or not next_path.startswith("/")
        or next_path.startswith("//")
        or "\\" in next_path
        or any(ord(char) < 0x20 or ord(char) == 0x7F for char in next_path)
    ):
        return default
    return next_path


def login_url(next_path: str) -> str:
    return f"/login?next={quote(next_path, safe='/')}"


# --- templates -----------------------------------------------------------------------------


@pass_context
def _t(context: Context, key: str, **params: Any) -> str:
    return translate(key, context["lang"], **params)


def _lang_filter(function: Callable[..., str]) -> Callable[..., str]:
    @pass_context
    def apply(context: Context, value: Any, *args: Any) -> str:
        return function(value, context["lang"], *args)

    return apply


@pass_context
def _label_name(context: Context, code: str | None) -> str:
    return label_name(code, context["lang"])


@pass_context
def _process_name(context: Context, source: str) -> str:
    return process_name(source, context["lang"])


@pass_context
def _name_code(context: Context, name: Any, code: Any) -> str:
    return formatting.name_code(name, code, context["lang"])


def static_url(path: str) -> str:
    """The URL of a static file, versioned so browsers fetch it anew after an upgrade."""
    # The version in the query string makes browsers fetch assets anew after an upgrade.
    return f"/static/{path}?v={__version__}"


def _build_environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("greenfin.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals.update(
        t=_t, static=static_url, version=__version__, name_code=_name_code, list_sizes=listing.SIZES
    )
    environment.filters.update(
        money=_lang_filter(formatting.money),
        tco2=_lang_filter(formatting.tco2),
        tce=_lang_filter(formatting.tce),
        yuan=_lang_filter(formatting.yuan),
        label_name=_label_name,
        process_name=_process_name,
        percent=formatting.percent,
        signed_percent=formatting.signed_percent,
        share=formatting.share,
        signed_share=formatting.signed_share,
        integer=formatting.integer,
        quantity=formatting.quantity,
        grouped=formatting.grouped,
        beijing=_lang_filter(formatting.beijing_time),
        rate_bp=formatting.rate_bp,
        unit=_lang_filter(formatting.unit_text),
        account_quantity=_lang_filter(formatting.account_quantity),
        text_units=_lang_filter(formatting.text_units),
        formula=_lang_filter(formatting.formula_text),
        citation=_lang_filter(formatting.citation),
        yuan_exact=_lang_filter(formatting.yuan_exact),
    )
    return environment


templates = _build_environment()


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    lang: str,
    status: int = 200,
    principal: Principal | None = None,
) -> HTMLResponse:
    """The template ``name`` rendered in ``lang``, with the headers every page carries."""
    principal = principal or getattr(request.state, "principal", None)
    values = {
        "request": request,
        "lang": lang,
        "principal": principal,
        "path": request.url.path,
        "nav": getattr(request.state, "nav", {}),
        **context,
    }
    response = HTMLResponse(templates.get_template(name).render(values), status_code=status)
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if principal is not None:
        response.headers["Cache-Control"] = "no-store"  # a tenant's figures never sit in a shared cache
    return response


def error_page(request: Request, *, status: int, detail: str | None, lang: str) -> HTMLResponse:
    """One readable sentence for what went wrong, in the page's language."""
    key = f"error.{status}" if f"error.{status}" in CATALOGUE else "error.other"
    if lang == "zh" and not formatting.has_chinese(detail):
        detail = None  # a service's English detail never reaches a Chinese page; the sentence says what happened
    context = {"status": status, "message_key": key, "detail": detail}
    return render(request, "error.html", context, lang=lang, status=status)


# --- the page router -----------------------------------------------------------------------


class PageRoute(APIRoute):
    """A route that answers errors as pages: login redirect, or an error page with one sentence."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired as exc:
                return RedirectResponse(login_url(exc.next_path), status_code=303)
            except GreenfinError as exc:
                return error_page(request, status=exc.status, detail=exc.detail, lang=page_lang(request))
            except RequestValidationError as exc:
                first = exc.errors()[0] if exc.errors() else {"loc": ("request",), "msg": "invalid"}
                where = ".".join(str(part) for part in first["loc"][1:]) or "request"
                return error_page(request, status=422, detail=f"{where}: {first['msg']}", lang=page_lang(request))

        return handle


def page_router() -> APIRouter:
    """A router for pages: errors become pages, and the routes stay out of the OpenAPI document."""
    return APIRouter(route_class=PageRoute, include_in_schema=False)


def consent_history_response(
    request: Request, consents: Sequence[ConsentRecord], subjects: dict[str, str], *, lang: str
) -> HTMLResponse:
    """The borrower's consent history page (one template for residents, enterprises and farms)."""

    def beijing(at: datetime) -> str:
        return at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")

    context = {"consents": consents, "subjects": subjects, "beijing": beijing}
    return render(request, "auth/consent_history.html", context, lang=lang)
