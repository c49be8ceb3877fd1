"""The ``greenfin`` command: database, server, demo region and every domain's commands.

Errors come out as one readable sentence on stderr and a non-zero exit: 2 for input that
breaks a rule, 1 for anything else a service refused.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from sqlalchemy.orm import Session

from greenfin.auth.service import Principal, install_audit
from greenfin.db import make_engine, make_session_factory, session_scope
from greenfin.errors import GreenfinError, InvalidInput
from greenfin.region.service import load_region
from greenfin.settings import ConfigurationError, Settings, get_settings

CLI_PRINCIPAL = Principal(actor="cli", role="admin")

app = typer.Typer(help="greenfin: regional green finance.", no_args_is_help=True, pretty_exceptions_enable=False)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@contextmanager
def cli_session(settings: Settings | None = None) -> Iterator[Session]:
    """One transaction for a command, acting as the CLI operator (audited as ``cli``)."""
    settings = settings or get_settings()
    load_region(settings.region)  # the configured region's file exists and is valid, or the command stops
    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)
    install_audit(factory)
    try:
        with session_scope(factory) as session:
            session.info["actor"] = CLI_PRINCIPAL
            yield session
    finally:
        engine.dispose()


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision")) -> None:
    """Bring the database schema up to date (Alembic migrations)."""
    from greenfin.migrations import upgrade

    upgrade(get_settings().database_url, revision)
    typer.echo(f"database at {revision}")


@db_app.command("revision")
def db_revision(message: str = typer.Option(..., "-m", "--message", help="What the migration does")) -> None:
    """Write a new migration from the difference between the models and the database."""
    from alembic import command

    from greenfin.migrations import config

    command.revision(config(get_settings().database_url), message=message, autogenerate=True)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on"),
    port: int = typer.Option(8000, help="Port to listen on"),
) -> None:
    """Serve the platform (API and pages) until stopped."""
    import uvicorn

    from greenfin.app import create_app

    uvicorn.run(create_app(), host=host, port=port, log_level="info")


def _mount_domains() -> None:
    import importlib

    for name in (
        "carbon",
        "industry",
        "personal",
        "agriculture",
        "finance",
        "admin",
        "market",
        "stats",
        "ecobank",
        "demo",
    ):
        try:
            module = importlib.import_module(f"greenfin.{name}.cli")
        except ModuleNotFoundError as exc:
            if exc.name not in (f"greenfin.{name}", f"greenfin.{name}.cli"):
                raise
            continue
        if name == "demo":
            app.command("demo")(module.demo)
        else:
            app.add_typer(module.app, name=name)


_mount_domains()


def main() -> None:
    """Entry point: run the command, turning domain errors into one sentence."""
    try:
        app()
    except ConfigurationError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except InvalidInput as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        for item in exc.errors[:50]:
            typer.echo("  " + ", ".join(f"{k}={v}" for k, v in item.items()), err=True)
        sys.exit(2)
    except GreenfinError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        sys.exit(1)
