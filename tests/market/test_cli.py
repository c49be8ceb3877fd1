"""``greenfin market``: balance files, escalation and listings on a file database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from greenfin.auth import service as auth
from greenfin.cli import app
from greenfin.db import Base, import_all_models, make_engine, make_session_factory, session_scope
from greenfin.errors import InvalidInput, NotFound
from greenfin.settings import get_settings


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("GREENFIN_DATABASE_URL", url)
    get_settings.cache_clear()
    import_all_models()
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with session_scope(make_session_factory(engine)) as session:
        auth.create_organisation(session, kind="bank", name="衢州银行", code="qz_bank")
    yield tmp_path
    engine.dispose()
    get_settings.cache_clear()


def run(*args: str) -> Result:
    return CliRunner().invoke(app, ["market", *args])


def test_import_balances_twice_and_a_bad_file(database: Path) -> None:
    good = database / "oct.csv"
    good.write_text("loan_no,as_of,balance_fen,quality\nL1,2025-10-31,100,正常\n", encoding="utf-8")
    first = run("import-balances", str(good), "--bank", "qz_bank")
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout.strip().splitlines()[-1])["inserted"] == 1
    again = run("import-balances", str(good), "--bank", "qz_bank")
    assert json.loads(again.stdout.strip().splitlines()[-1]) == {"import_id": None, "rows": 1, "inserted": 0}
    bad = database / "bad.csv"
    bad.write_text("loan_no,as_of,balance_fen,quality\nL1,2025-10-31,x,正常\n", encoding="utf-8")
    refused = run("import-balances", str(bad), "--bank", "qz_bank")
    assert refused.exit_code != 0 and isinstance(refused.exception, InvalidInput)
    unknown = run("import-balances", str(good), "--bank", "nobank")
    assert isinstance(unknown.exception, NotFound)


def test_escalate_and_listings(database: Path) -> None:
    result = run("escalate", "--today", "2025-10-09")
    assert result.exit_code == 0 and "0 application(s)" in result.stdout
    assert isinstance(run("escalate", "--today", "tomorrow").exception, InvalidInput)
    assert run("products").exit_code == 0
    assert run("needs").exit_code == 0
