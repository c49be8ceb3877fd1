"""Alembic migrations: the only way the schema changes.

``upgrade(url)`` brings a database to the newest revision; ``alembic check`` (through
``greenfin.migrations.check``) proves the models and the migrations agree.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

HERE = Path(__file__).parent


def config(url: str) -> Config:
    """An Alembic configuration for the database at ``url``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` to ``revision``."""
    command.upgrade(config(url), revision)


def check(url: str) -> None:
    """Raise if the models differ from the schema the migrations build."""
    command.check(config(url))
