"""What every HTTP route shares: the session, the acting principal, pagination, problems.

Routes declare ``session: SessionDep`` and ``principal: PrincipalDep``; the session is one
transaction per request, committed when the route returns and rolled back if it raises.
Domain errors become RFC 9457 problem+json here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from greenfin.auth import service as auth
from greenfin.auth.service import Principal
from greenfin.db import session_scope
from greenfin.errors import GreenfinError, Unauthenticated
from greenfin.settings import Settings

SESSION_COOKIE = "greenfin_session"
PROBLEM = "application/problem+json"


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: commit on return, roll back on error (a writer unless it reads)."""
    writer = request.method not in ("GET", "HEAD", "OPTIONS")
    with session_scope(request.app.state.session_factory, writer=writer) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def _presented_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return "token", header[7:].strip()
    if key := request.headers.get("x-api-key"):
        return "key", key.strip()
    if cookie := request.cookies.get(SESSION_COOKIE):
        return "token", cookie
    return None


def presented_token(request: Request) -> str | None:
    """The bearer token or page-session secret the request presents (None for an API key or nothing)."""
    presented = _presented_credentials(request)
    return presented[1] if presented is not None and presented[0] == "token" else None


def optional_principal(request: Request, session: SessionDep) -> Principal | None:
    """The acting principal if credentials were presented (and are valid), else None."""
    presented = _presented_credentials(request)
    if presented is None:
        return None
    kind, secret = presented
    principal = (
        auth.principal_from_token(session, secret) if kind == "token" else auth.principal_from_api_key(session, secret)
    )
    session.info["actor"] = principal
    return principal


def current_principal(principal: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
    """The acting principal; every API route but login needs one."""
    if principal is None:
        raise Unauthenticated("log in first: send a bearer token, an X-API-Key header or a session cookie")
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


async def principal_in_passing(request: Request) -> Principal:
    """The acting principal, resolved in a session of its own that is closed at once.

    For routes that wait on other work without a session of their own (the coalesced event
    intake): a request must not keep a pooled connection checked out while it awaits a
    transaction that needs one. An API key resolved recently is answered from the cache on
    the event loop; anything else is looked up in a worker thread.
    """
    presented = _presented_credentials(request)
    if presented is None:
        raise Unauthenticated("log in first: send a bearer token, an X-API-Key header or a session cookie")
    kind, secret = presented
    if kind == "key":
        cached = auth.cached_api_key_principal(str(request.app.state.engine.url), secret)
        if cached is not None:
            return cached

    def look_up() -> Principal:
        with session_scope(request.app.state.session_factory) as session:
            if kind == "token":
                return auth.principal_from_token(session, secret)
            return auth.principal_from_api_key(session, secret)

    return await run_in_threadpool(look_up)


_BODY_MODELS: dict[str, type[BaseModel]] = {}


def raw_json_body(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` of a route that reads its JSON body itself: documented as ``model``.

    The model's schema (and those it refers to) are added to the document's components by
    :func:`install_body_schemas`, as FastAPI would for a declared body parameter.
    """
    _BODY_MODELS[model.__name__] = model
    reference = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": reference}}}}


def install_body_schemas(app: FastAPI) -> None:
    """Add the schemas of the bodies routes read themselves (:func:`raw_json_body`) to the OpenAPI document."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = generate()
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for name, model in _BODY_MODELS.items():
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for nested, definition in schema.pop("$defs", {}).items():
                schemas.setdefault(nested, definition)
            schemas.setdefault(name, schema)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


T = TypeVar("T")


class PageParams(BaseModel):
    offset: int
    limit: int


def page_params(
    request: Request,
    offset: Annotated[int, Query(ge=0, description="Items to skip")] = 0,
    limit: Annotated[int | None, Query(ge=1, description="Items per page")] = None,
) -> PageParams:
    settings: Settings = request.app.state.settings
    return PageParams(offset=offset, limit=min(limit or settings.default_page_size, settings.max_page_size))


PageDep = Annotated[PageParams, Depends(page_params)]


class Page(BaseModel, Generic[T]):
    """One page of a list: the items, the total across all pages, and where this page starts."""

    items: list[T]
    total: int = Field(description="Items across all pages")
    offset: int
    limit: int


def problem(status: int, title: str, detail: str, *, code: str, **extra: Any) -> JSONResponse:
    """An RFC 9457 problem document."""
    body = {"type": f"https://greenfin.dev/problems/{code}", "title": title, "status": status, "detail": detail}
    body.update({key: value for key, value in extra.items() if value})
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error, expected or not, as problem+json."""

    @app.exception_handler(GreenfinError)
    async def _domain(request: Request, exc: GreenfinError) -> JSONResponse:
        response = problem(exc.status, exc.title, exc.detail, code=exc.code, errors=exc.errors)
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        if any(err.get("type") == "json_invalid" for err in exc.errors()):
            position = next(err["loc"][-1] for err in exc.errors() if err.get("type") == "json_invalid")
            detail = f"the request body is not valid JSON (the error is at character {position})"
            return problem(422, "Invalid input", detail, code="invalid-input", errors=[{"location": "body"}])
        errors = [
            {"location": ".".join(str(part) for part in err["loc"]), "reason": err["msg"]} for err in exc.errors()
        ]
        first = errors[0] if errors else {"location": "request", "reason": "invalid"}
        detail = f"{first['location']}: {first['reason']}" + (
            f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        )
        return problem(422, "Invalid input", detail, code="invalid-input", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail), str(exc.detail), code=f"http-{exc.status_code}")
