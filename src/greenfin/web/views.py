"""The web shell: static files, the public landing page, login and logout, the language switch.

``mount(app)`` serves ``/static`` (our CSS and JavaScript, and the vendored ECharts and
htmx — no CDN) and the shell's pages; each domain adds its own pages through its
``views.router`` (see ``greenfin.web.pages`` for the plumbing they share).

A login exchanges a username and password for a page session: a random secret in the
HttpOnly, SameSite=Strict cookie ``greenfin_session``, stored only as a hash
(``auth.service.issue_token(kind="session")``). ``/home`` sends each role to its pages.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from greenfin.auth import service as auth
from greenfin.errors import TooManyRequests
from greenfin.http import SESSION_COOKIE, SessionDep, SettingsDep
from greenfin.web.i18n import LABELS, LANGUAGES
from greenfin.web.pages import (
    LANG_COOKIE,
    STATIC_DIR,
    LangDep,
    OptionalPagePrincipalDep,
    PagePrincipalDep,
    page_router,
    render,
    safe_next,
)

router = page_router()


def mount(app: FastAPI) -> None:
    """Serve the static files and the shell's pages on ``app``."""
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(router)


def default_year() -> int:
    """The year pages show unless asked: the last complete calendar year (annual accounts close then)."""
    return date.today().year - 1


@router.get("/", response_class=HTMLResponse)
def landing(request: Request, session: SessionDep, lang: LangDep, principal: OptionalPagePrincipalDep) -> Response:
    """The public page: what greenfin does and the region's labels in aggregate."""
    from greenfin.industry import service as industry

    # Only aggregate counts are shown, never an enterprise: the region's public progress (§4.1).
    # One stored run row is read (no overview, no scan of the labels) for every anonymous visit.
    summary = industry.region_counts(session, auth.SYSTEM, year=default_year())
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
        user = auth.authenticate(session, settings, username=username, password=password)
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
