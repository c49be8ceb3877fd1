"""Fixtures of the administration tests: a committed, empty database built by the migrations."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from stdnum.cn import uscc as uscc_number
from typer.testing import CliRunner

from greenfin.cli import app
from greenfin.settings import get_settings
from tests.conftest import POSTGRES_ADMIN_URL


def make_uscc(index: int, county: str = "330802") -> str:
    """A valid unified social credit code (GB 32100) for ``index``; the organisation code's check by GB 11714."""
    body = f"{71_000_000 + index * 7919:08d}"
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    check = 11 - sum(w * int(c) for w, c in zip(weights, body, strict=True)) % 11
    first17 = f"91{county}{body}{ {10: 'X', 11: '0'}.get(check, str(check)) }".replace(" ", "")
    code = first17 + uscc_number.calc_check_digit(first17)
    assert uscc_number.is_valid(code), code
    return code


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, worker: str
) -> Iterator[str]:
    """A committed, empty database (schema by the migrations, nothing else), the CLI pointed at it."""
    admin = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'region.db'}"
    else:
        name = f"greenfin_admin_{worker}_{os.getpid()}"
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    monkeypatch.setenv("GREENFIN_DATABASE_URL", url)
    monkeypatch.setenv("GREENFIN_ENVIRONMENT", "test")
    get_settings.cache_clear()
    assert CliRunner().invoke(app, ["db", "upgrade"]).exit_code == 0
    yield url
    get_settings.cache_clear()
    if admin is not None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
        admin.dispose()
