"""``greenfin market``: balance files, escalation and listings on a file database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from greenfin.auth import service as auth
from greenfin.cli import app
from greenfin.db import Base, import_all_models, make_engine, make_session_factory, session_scope
from greenfin.errors import InvalidInput, NotFound
from greenfin.market import service
from greenfin.market.schemas import LoanCreate
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
        bank = auth.create_organisation(session, kind="bank", name="衢州银行", code="qz_bank")
        principal = auth.Principal(
            actor="user:bank",
            role="bank",
            organisation_id=bank.id,
            organisation_kind="bank",
            organisation_code="qz_bank",
        )
        loan = LoanCreate(
            loan_no="L1",
            borrower_code="91330802MA2XXXXX1A",
            borrower_name="衢州测试纸业",
            amount_fen=1_000_000,
            rate_bp=350,
            term_months=12,
            start_date=date(2025, 6, 1),
        )
        service.report_loan(session, principal, loan_in=loan)  # the balance file's loan is in the book
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
