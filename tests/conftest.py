"""Shared fixtures: every data-layer test runs on SQLite *and* on PostgreSQL.

The ``backend`` fixture is parametrised over both; a test that uses ``session`` or
``client`` runs once per backend. PostgreSQL is the machine's server (127.0.0.1:5432, user
postgres); each test worker gets its own database, built once, and every test runs in a
transaction that is rolled back. If PostgreSQL cannot be reached the tests fail, never
skip: set GREENFIN_TEST_POSTGRES_URL to point elsewhere.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Playwright, sync_playwright
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from greenfin.app import create_app
from greenfin.auth import service as auth
from greenfin.auth.models import Organisation, User
from greenfin.db import Base, import_all_models, make_engine
from greenfin.settings import Settings

POSTGRES_ADMIN_URL = os.environ.get("GREENFIN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgresql")
PASSWORD = "correct-horse-battery"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _postgres_url(worker: str) -> str:
    # The process id keeps concurrent runs (two checkouts, a developer and CI) apart.
    name = f"greenfin_test_{worker}_{os.getpid()}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _drop_postgres(url: str) -> None:
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def worker(request: pytest.FixtureRequest) -> str:
    return str(getattr(request.config, "workerinput", {}).get("workerid", "main"))


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory: pytest.TempPathFactory, worker: str) -> dict[str, str]:
    sqlite_path = tmp_path_factory.mktemp("db") / "greenfin.db"
    return {"sqlite": f"sqlite:///{sqlite_path}", "postgresql": _postgres_url(worker)}


@pytest.fixture(scope="session")
def engines(database_urls: dict[str, str]) -> Iterator[dict[str, Engine]]:
    import_all_models()
    built = {}
    for backend, url in database_urls.items():
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        built[backend] = engine
    yield built
    for engine in built.values():
        engine.dispose()
    _drop_postgres(database_urls["postgresql"])


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def connection(engines: dict[str, Engine], backend: str) -> Iterator[Connection]:
    """A connection in a transaction that is rolled back after the test."""
    with engines[backend].connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    auth.install_audit(factory)
    return factory


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as session:
        yield session


@pytest.fixture
def settings(database_urls: dict[str, str], backend: str) -> Settings:
    # No in-process poster: tests post pending deliveries themselves (tests/personal/test_posting.py
    # runs the poster thread on a committed database).
    return Settings(environment="test", database_url=database_urls[backend], posting_interval_seconds=0)


@pytest.fixture
def client(settings: Settings, session_factory: sessionmaker[Session]) -> Iterator[TestClient]:
    """The whole application over HTTP, its sessions joined to the test's transaction."""
    app = create_app(settings)
    app.state.session_factory = session_factory
    with TestClient(app, raise_server_exceptions=True) as test_client:
        yield test_client
    app.state.engine.dispose()


# --- factories ----------------------------------------------------------------------------


def make_organisation(session: Session, *, kind: str, code: str, name: str | None = None) -> Organisation:
    return auth.create_organisation(session, kind=kind, name=name or f"{kind} {code}", code=code, region_code="330800")


def make_user(session: Session, username: str, role: str, organisation: Organisation | None = None) -> User:
    return auth.create_user(session, username=username, password=PASSWORD, role=role, organisation=organisation)


def bearer(session: Session, settings: Settings, user: User) -> dict[str, str]:
    """Authorization headers for ``user`` (a token issued directly, no password round trip)."""
    secret, _ = auth.issue_token(session, settings, user)
    session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def headers_for(session: Session, settings: Settings):  # type: ignore[no-untyped-def]
    """``headers_for(role, org_code=None)``: a fresh user in that role and its auth headers."""
    counter = iter(range(10_000))

    def build(role: str, organisation: Organisation | None = None) -> dict[str, str]:
        user = make_user(session, f"{role}-{next(counter)}", role, organisation)
        return bearer(session, settings, user)

    return build


def repo_root() -> Path:
    return Path(__file__).resolve().parents[1]


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temporary SQLite database that ``greenfin`` commands use (GREENFIN_DATABASE_URL); yields its folder."""
    from greenfin.settings import get_settings

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("GREENFIN_DATABASE_URL", url)
    get_settings.cache_clear()
    import_all_models()
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    yield tmp_path
    get_settings.cache_clear()


# --- the browser: one Playwright and one chromium per test worker ------------------------
# Playwright's sync API marks the worker's main thread as running its event loop while it is
# active, so a second sync_playwright() in the same process fails: every page test shares these.


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium`")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
