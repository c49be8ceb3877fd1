"""The web shell: static files, the public landing page, login and logout, the language switch.

``mount(app)`` serves ``/static`` (our CSS and JavaScript, and the vendored ECharts and
htmx — no CDN) and the shell's pages; each domain adds its own pages through its
``views.router`` (see ``greenfin.web.pages`` for the plumbing they share).

A login exchanges a username and password for a page session: a random secret in the
HttpOnly, SameSite=Strict cookie ``greenfin_session``, stored only as a hash
(``auth.service.issue_token(kind="session")``). ``/home`` sends each role to its pages.
"""

from __future__ import annotations

import inspect
from datetime import date
from typing import Annotated, Any

from fastapi import FastAPI, Form, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from greenfin.auth import service as auth
from greenfin.errors import TooManyRequests
from greenfin.http import SESSION_COOKIE, SessionDep, SettingsDep
from greenfin.web.i18n import LABELS, LANGUAGES, translate
from greenfin.web.pages import (
    LANG_COOKIE,
    STATIC_DIR,
    LangDep,
    OptionalPagePrincipalDep,
    PagePrincipalDep,
    error_page,
    page_lang,
    page_router,
    render,
    safe_next,
    static_url,
)

router = page_router()


def mount(app: FastAPI) -> None:
    """Serve the static files, the API documentation and the shell's pages on ``app``; a browser
    asking for a page that does not exist gets the error page in its language."""
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _mount_docs(app)
    _html_errors_for_browsers(app)
    app.include_router(router)


TOKEN_URL = "/api/v1/auth/token"
SECURITY_SCHEMES = {
    "OAuth2Password": {
        "type": "oauth2",
        "description": "Username and password → bearer token (POST /api/v1/auth/token).",
        "flows": {"password": {"tokenUrl": TOKEN_URL, "scopes": {}}},
    },
    "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "A machine's API key."},
}


DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; object-src 'none'"
)


def _mount_docs(app: FastAPI) -> None:
    """Swagger UI at ``/docs`` and ReDoc at ``/redoc`` from the vendored bundles (no CDN), with the
    OAuth2 password flow declared so Swagger UI's Authorize button logs in with a username and password."""
    openapi_url = app.openapi_url or "/openapi.json"
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        schema.setdefault("components", {}).setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
        schema.setdefault("security", [{"OAuth2Password": []}, {"ApiKey": []}])
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    redirect_url = "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=openapi_url,
            title="greenfin API",
            swagger_js_url=static_url("vendor/swagger-ui-bundle.js"),
            swagger_css_url=static_url("vendor/swagger-ui.css"),
            swagger_favicon_url=static_url("favicon.svg"),
            oauth2_redirect_url=redirect_url,
            init_oauth={"clientId": "greenfin-docs", "usePkceWithAuthorizationCodeGrant": False},
            swagger_ui_parameters={"persistAuthorization": True},
        )
        page.headers["Content-Security-Policy"] = DOCS_POLICY
        return page

    @app.get(redirect_url, include_in_schema=False)
    def swagger_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        page = get_redoc_html(
            openapi_url=openapi_url,
            title="greenfin API",
            redoc_js_url=static_url("vendor/redoc.standalone.js"),
            redoc_favicon_url=static_url("favicon.svg"),
            with_google_fonts=False,
        )
        # ReDoc's footer shows its maker's logo from a CDN: the policy keeps the page on this machine.
        page.headers["Content-Security-Policy"] = DOCS_POLICY
        return page


def _wants_html(request: Request) -> bool:
    """A browser navigating to a page (not the API, not a script fetching JSON)."""
    if request.url.path.startswith(("/api/", "/static/")) or request.url.path == "/openapi.json":
        return False
    accept = request.headers.get("accept", "")
    return "text/html" in accept


def refused_input_page(scope: Scope, status: int, where: str) -> Response | None:
    """The HTML page for a browser's request the input guard refused (a NUL byte in a form, a body
    too large …): one sentence in the page's language; None for the API (problem+json)."""
    request = Request(scope)
    if not _wants_html(request):
        return None
    lang = page_lang(request)
    key = {413: "error.input_too_large", 414: "error.url_too_long"}.get(status, "error.input_nul")
    return error_page(request, status=status, detail=translate(key, lang), lang=lang)


def _html_errors_for_browsers(app: FastAPI) -> None:
    """Wrap the problem+json handler of HTTP errors: a browser asking for a page gets the HTML error page."""
    previous = app.exception_handlers.get(StarletteHTTPException)

    async def handle(request: Request, exc: Exception) -> Response:
        if isinstance(exc, StarletteHTTPException) and _wants_html(request):
            return error_page(request, status=exc.status_code, detail=None, lang=page_lang(request))
        if previous is None:
            raise exc
        answer = previous(request, exc)
        return await answer if inspect.isawaitable(answer) else answer

    app.add_exception_handler(StarletteHTTPException, handle)


def default_year() -> int:
    """The year pages show unless asked: the last complete calendar year (annual accounts close then)."""
    return date.today().year - 1


@router.get("/", response_class=HTMLResponse)
def landing(request: Request, session: SessionDep, lang: LangDep, principal: OptionalPagePrincipalDep) -> Response:
    """The public page: what greenfin does and the region's labels in aggregate."""
    # Only aggregate counts are shown, never an enterprise: the region's public progress (§4.1).
    # One stored run row is read (no overview, no scan of the labels) for every anonymous visit.
    # The shell hands the industrial account's function in (app.state): the web kit knows no domain.
    region_counts = getattr(request.app.state, "region_counts", None)
    summary = region_counts(session, auth.SYSTEM, year=default_year()) if region_counts is not None else None
    region = None
    if summary is not None:
        region = {"year": summary.year, "enterprises": summary.enterprises, "counts": summary.counts}
    return render(request, "landing.html", {"region": region, "labels": LABELS}, lang=lang, principal=principal)


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request, lang: LangDep, principal: OptionalPagePrincipalDep, next: str | None = None
) -> Response:
    """The login form (or straight on, for someone logged in already)."""
    if principal is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, lang=lang, next_path=safe_next(next), username="")


def _login_page(
    request: Request,
    *,
    lang: str,
    next_path: str,
    username: str,
    error: str | None = None,
    error_params: dict[str, object] | None = None,
    status: int = 200,
) -> HTMLResponse:
    context = {"next_path": next_path, "username": username, "error": error, "error_params": error_params or {}}
    return render(request, "login.html", context, lang=lang, status=status, principal=None)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    lang: LangDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/home",
) -> Response:
    """Check the password and start a page session; a failure is one readable sentence."""
    next_path = safe_next(next)
    username = username.strip()
    if not username or not password:
        return _login_page(
            request, lang=lang, next_path=next_path, username=username, error="login.missing", status=400
        )
    try:
        address = request.client.host if request.client else None
        user = auth.authenticate(session, settings, username=username, password=password, address=address)
    except TooManyRequests:
        return _login_page(
            request,
            lang=lang,
            next_path=next_path,
            username=username,
            error="login.throttled",
            error_params={"minutes": settings.login_window_minutes},
            status=429,
        )
    if user is None:
        # Answered, not raised: the request commits the failed attempt, so the throttle counts it.
        return _login_page(request, lang=lang, next_path=next_path, username=username, error="login.wrong", status=401)
    secret, _ = auth.issue_token(session, settings, user, kind="session")
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=settings.token_ttl_minutes * 60,
        path="/",
        httponly=True,
        samesite="strict",
        secure=settings.cookie_secure,
    )
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> Response:
    """End the page session and forget the cookie."""
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        auth.revoke_token(session, secret)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.get("/lang/{lang}")
def switch_language(lang: str, next: str | None = None) -> Response:
    """Remember the page language in the ``lang`` cookie and go back where the switch was clicked."""
    response = RedirectResponse(safe_next(next, default="/"), status_code=303)
    if lang in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, path="/", samesite="lax")
    return response


@router.get("/home", response_class=HTMLResponse)
def home(request: Request, principal: PagePrincipalDep, lang: LangDep) -> Response:
    """Each role's start page: an enterprise its own account, staff the regional overview."""
    home = getattr(request.state, "nav", {}).get("home")
    if principal.role == "enterprise" and home:
        return RedirectResponse(home, status_code=303)
    if principal.is_staff:
        return RedirectResponse("/industry/overview", status_code=303)
    if principal.role == "resident":
        return RedirectResponse("/personal/account", status_code=303)
    return render(request, "home.html", {}, lang=lang)
