"""The web application: every domain's API under /api/v1 and the pages under /."""

from __future__ import annotations

import gc
import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from greenfin import __version__
from greenfin.auth.service import install_audit
from greenfin.db import make_engine, make_session_factory
from greenfin.http import install_body_schemas, install_input_guard, install_problem_handlers
from greenfin.region.service import load_region
from greenfin.settings import ConfigurationError, Settings, get_settings

API_PREFIX = "/api/v1"


def _freeze_startup_objects() -> None:
    if gc.get_freeze_count() == 0:  # once per process: later applications (tests) find it done
        gc.collect()
        gc.freeze()


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Background work of a server process: the personal account's poster.

    The first application of a process also moves what it holds for its lifetime (modules,
    routes, metadata) out of the garbage collector's sight: a full collection otherwise walks
    all of it and stalls every request of the process for 50–300 ms (seen under load as the
    API's p99). Request garbage is still collected as before.
    """
    from greenfin.personal.poster import Poster

    _freeze_startup_objects()

    settings: Settings = app.state.settings
    poster = None
    if settings.posting_interval_seconds > 0:
        poster = Poster(app.state.session_factory, interval=settings.posting_interval_seconds, settings=settings)
        poster.start()
    try:
        yield
    finally:
        if poster is not None:
            poster.stop()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application for ``settings`` (from the environment when None)."""
    settings = settings or get_settings()
    load_region(settings.region)  # the configured region's file exists and is valid, or no start
    app = FastAPI(
        lifespan=_lifespan,
        title="greenfin",
        version=__version__,
        description="Regional green finance: carbon accounts, carbon labels and carbon-linked finance.",
        openapi_url="/openapi.json",
        docs_url=None,  # /docs and /redoc come from greenfin.web (vendored Swagger UI and ReDoc, no CDN)
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings.database_url)
    app.state.session_factory = make_session_factory(app.state.engine)
    if settings.environment == "production":
        refuse_unsafe_production(settings, app.state.session_factory)
    install_audit(app.state.session_factory)
    install_problem_handlers(app)
    from greenfin.web.views import refused_input_page

    install_input_guard(app, settings, page=refused_input_page)
    install_body_schemas(app)

    from greenfin.auth.api import router as auth_router

    for router in (auth_router, *_domain_routers()):
        app.include_router(router, prefix=API_PREFIX)

    @app.get("/health", tags=["meta"])
    def health() -> dict[str, str]:
        """Liveness and database reachability."""
        with app.state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__}

    from greenfin.industry.service import region_counts

    app.state.region_counts = region_counts  # the landing page's public figures (greenfin.web.views.landing)
    _mount_web(app)
    return app


def refuse_unsafe_production(settings: Settings, session_factory: sessionmaker[Session]) -> None:
    """Production refuses to start with an unreadable signing key or any demo login in the database.

    (The settings themselves — secret, secure cookies, a signing key file — are checked when
    they are built.) The message names what is wrong, never a secret or the database password.
    """
    from greenfin.demo.service import demo_logins
    from greenfin.errors import InvalidInput
    from greenfin.finance import signing

    problems = []
    try:
        signing.platform_key(settings.signing_key_file, settings.environment)
    except InvalidInput as exc:
        problems.append(exc.detail)
    try:
        with session_factory() as session:
            found = demo_logins(session)
    except SQLAlchemyError as exc:
        raise ConfigurationError(
            f"production cannot check the database {settings.masked_database_url} ({type(exc).__name__}); "
            "is it reachable and migrated (`greenfin db upgrade`)?"
        ) from None
    if found:
        problems.append(
            f"the database holds demo logins ({'; '.join(found)}): never run production on a demo database, "
            "or deactivate them and change their passwords"
        )
    if problems:
        raise ConfigurationError("production refuses to start: " + "; ".join(problems))


DOMAINS = (
    "carbon",
    "industry",
    "personal",
    "agriculture",
    "finance",
    "market",
    "ecobank",
    "stats",
    "exchange",
    "admin",
)


def _optional_module(name: str) -> Any | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and name.startswith(exc.name):  # the domain or its module is not there yet
            return None
        raise


def _domain_routers() -> list[APIRouter]:
    """Each domain's ``api.router``, by convention."""
    modules = (_optional_module(f"greenfin.{domain}.api") for domain in DOMAINS)
    return [module.router for module in modules if module is not None]


def _mount_web(app: FastAPI) -> None:
    """The pages: the web package's shell, then each domain's ``views.router``."""
    web = _optional_module("greenfin.web.views")
    if web is not None:
        web.mount(app)
    for domain in DOMAINS:
        views = _optional_module(f"greenfin.{domain}.views")
        if views is not None:
            app.include_router(views.router)
