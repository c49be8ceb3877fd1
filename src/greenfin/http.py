"""What every HTTP route shares: the session, the acting principal, pagination, problems.

Routes declare ``session: SessionDep`` and ``principal: PrincipalDep``; the session is one
transaction per request, committed when the route returns and rolled back if it raises.
Domain errors become RFC 9457 problem+json here and nowhere else.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from greenfin.auth import service as auth
from greenfin.auth.service import Principal
from greenfin.db import session_scope
from greenfin.errors import GreenfinError, Unauthenticated
from greenfin.settings import Settings

SESSION_COOKIE = "greenfin_session"
PROBLEM = "application/problem+json"
log = logging.getLogger(__name__)


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
# No list holds a billion items: a larger offset is a client's mistake (422), not a database overflow.
MAX_OFFSET = 10**9


class PageParams(BaseModel):
    offset: int
    limit: int


def page_params(
    request: Request,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip")] = 0,
    limit: Annotated[int | None, Query(ge=1, le=10_000, description="Items per page (capped by the settings)")] = None,
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

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> JSONResponse:
        # A value the schema let through but the database cannot hold: the request's fault, not the server's.
        log.warning("database refused a value of %s %s: %s", request.method, request.url.path, exc.orig)
        detail = "a value is out of the range the database can hold"
        return problem(422, "Invalid input", detail, code="invalid-input", errors=[{"location": "body"}])

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail), str(exc.detail), code=f"http-{exc.status_code}")


# --- input bounds ---------------------------------------------------------------------------

# Routes whose JSON body is a batch (up to 10,000 items): the larger body cap applies.
BATCH_PATHS = re.compile(r"^/api/v1/personal/(events/batch|enrolments)$")
MAX_URL_BYTES = 4096
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_EMPTY_PAIR = re.compile(rb"\{\}|\[\]")
# Every byte but the ones that make JSON structure (brackets, quotes, backslashes): deleted before the depth count.
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"\\')


def json_depth_exceeds(body: bytes, limit: int) -> bool:
    """Whether JSON ``body`` nests deeper than ``limit`` (or is so malformed its brackets do not pair).

    Set-based, at C speed: everything but brackets, quotes and backslashes is deleted, the strings
    are removed, and each pass then removes the innermost ``{}``/``[]`` pairs, one level a pass.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    structure = body.translate(None, _NOT_STRUCTURE)
    if b"\\" not in structure:  # no escapes: quotes alternate, and joining two strings keeps them strings
        structure = structure.replace(b'""', b"")
    if b'"' in structure:
        structure = _JSON_STRING.sub(b"", structure)
    for _ in range(limit):
        structure = _EMPTY_PAIR.sub(b"", structure)
        if not structure:
            return False
    return True


PageRefusal = Callable[[Scope, int, str], Response | None]
"""(scope, status, where: url | path | query | body) → the HTML page for a browser, or None for problem+json."""


class InputGuard:
    """ASGI middleware: every request's size, NUL bytes and JSON depth checked before a route sees it.

    * the URL (path and query) is at most :data:`MAX_URL_BYTES` (414) and carries no NUL byte (422);
    * a body is at most ``max_body_bytes``, a batch intake's JSON ``max_batch_body_bytes`` and a
      file upload (multipart) ``max_upload_bytes`` (413, also when no length was announced: the
      body is counted as it arrives and refused as soon as it passes the cap);
    * a JSON or form body carries no NUL byte (PostgreSQL cannot store one in text; 422);
    * a JSON body nests at most ``max_json_depth`` levels (422).

    Each refusal is problem+json naming where the problem is. File contents (multipart) may hold
    any byte: the file intakes refuse a bad row themselves.
    """

    def __init__(self, app: ASGIApp, *, settings: Settings, page: PageRefusal | None = None) -> None:
        self.app = app
        self.settings = settings
        self.page = page

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, status: int, title: str, detail: str, *, location: str
    ) -> None:
        """problem+json, or the page a browser asking for a page gets (``page`` decides, by ``location``)."""
        answer = self.page(scope, status, location) if self.page is not None else None
        if answer is None:
            await _refuse(scope, receive, send, status, title, detail, location=location)
            return
        if status == 413:
            answer.headers["Connection"] = "close"
        await answer(scope, receive, send)

    @staticmethod
    def _limit(settings: Settings, path: str, content_type: str) -> int:
        if content_type.startswith("multipart/"):
            return settings.max_upload_bytes
        if BATCH_PATHS.match(path):
            return settings.max_batch_body_bytes
        return settings.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        query: bytes = scope.get("query_string", b"")
        if len(raw_path) + len(query) > MAX_URL_BYTES:
            detail = f"the URL is longer than {MAX_URL_BYTES} bytes"
            await self._refuse(scope, receive, send, 414, "URI too long", detail, location="url")
            return
        for part, where in ((raw_path, "path"), (query, "query")):
            if b"\x00" in part or b"%00" in part:
                detail = f"the {where} holds a NUL byte"
                await self._refuse(scope, receive, send, 422, "Invalid input", detail, location=where)
                return
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        # The application's settings of the moment (tests replace them), else those it was built with.
        app = scope.get("app")
        settings: Settings = getattr(getattr(app, "state", None), "settings", None) or self.settings
        limit = self._limit(settings, scope["path"], content_type)
        announced = headers.get(b"content-length", b"")
        if announced.isdigit() and int(announced) > limit:
            await self._refuse(
                scope, receive, send, 413, "Content too large", _too_large_detail(limit), location="body"
            )
            return
        if (
            scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE")
            and not announced
            and b"transfer-encoding" not in headers
        ):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._refuse(
                    scope, receive, send, 413, "Content too large", _too_large_detail(limit), location="body"
                )
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        problem_ = _body_problem(body, content_type, settings.max_json_depth)
        if problem_ is not None:
            await self._refuse(scope, receive, send, 422, "Invalid input", problem_, location="body")
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _body_problem(body: bytes, content_type: str, max_depth: int) -> str | None:
    """Why a body is refused before parsing (NUL byte, JSON too deep), or None."""
    if content_type.startswith("multipart/") or not body:
        return None
    if content_type.startswith("application/x-www-form-urlencoded"):
        return "the form holds a NUL byte" if b"%00" in body or b"\x00" in body else None
    if b"\x00" in body or b"\\u0000" in body:
        return "the body holds a NUL byte (\\u0000), which no text field accepts"
    if (content_type.startswith("application/json") or content_type.endswith("+json")) and json_depth_exceeds(
        body, max_depth
    ):
        return f"the JSON body nests deeper than {max_depth} levels"
    return None


def _too_large_detail(limit: int) -> str:
    return f"the request body is larger than {limit:,} bytes"


async def _refuse(
    scope: Scope, receive: Receive, send: Send, status: int, title: str, detail: str, *, location: str
) -> None:
    code = "invalid-input" if status == 422 else f"http-{status}"
    response = problem(status, title, detail, code=code, errors=[{"location": location, "reason": detail}])
    if status == 413:
        response.headers["Connection"] = "close"  # the rest of the body is not read
    await response(scope, receive, send)


def install_input_guard(app: FastAPI, settings: Settings, *, page: PageRefusal | None = None) -> None:
    """Bound every request (:class:`InputGuard`); ``page`` answers a browser's refused page request."""
    app.add_middleware(InputGuard, settings=settings, page=page)
