"""The demo loan book reproduces the seed's official figures (Quzhou, end of 2023-Q1).

The seed: green-loan balance 1181.58 亿元 on 2023-03-31, 36.46 % of all loans, about five
times the end of 2016; 36 green-finance divisions and 28 pilot banks.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from greenfin.auth.service import Principal
from greenfin.market.demo import add_market_demo
from greenfin.settings import get_settings
from greenfin.stats import service
from greenfin.stats.demo import add_stats_demo
from tests.industry.factories import ENTERPRISE_HEADER, load, make_uscc

REGULATOR = Principal(actor="user:reg", role="regulator")
YI = 10_000_000_000  # fen in 1 亿元


def test_the_demo_book_on_both_databases(session: Session) -> None:
    load(
        session,
        "enterprises",
        ENTERPRISE_HEADER,
        [(make_uscc(i), f"演示企业{i}", ("330802", "330803", "330881")[i % 3], "3011") for i in range(12)],
    )
    add_market_demo(session, seed=7, needs=50)
    counts = add_stats_demo(session, seed=7)
    assert (counts["divisions"], counts["pilot_banks"]) == (36, 28)
    figures = service.green_loan_statistics(session, REGULATOR, as_of=date(2023, 3, 31), base=date(2016, 12, 31))
    totals = figures.totals
    assert totals.green_balance_fen == 118158 * YI // 100  # 1181.58 亿元
    assert totals.share == Decimal("0.3646")
    assert totals.multiple_of_base is not None and round(totals.multiple_of_base) == 5  # "about 5×"
    facts = service.registered_facts(session, REGULATOR, as_of=date(2023, 3, 31))
    assert (facts.divisions, facts.pilot_banks) == (36, 28)
    series = service.quarterly_series(session, REGULATOR, start=date(2016, 12, 31), end=date(2023, 3, 31))
    assert len(series) == 26 and series[0].totals.as_of == date(2016, 12, 31)


def test_the_cli_contract_reproduces_the_seed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from greenfin.cli import app

    monkeypatch.setenv("GREENFIN_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    monkeypatch.setenv("GREENFIN_ENVIRONMENT", "demo")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        built = runner.invoke(app, ["demo", "--no-serve", "--enterprises", "12", "--residents", "0", "--seed", "5"])
        assert built.exit_code == 0, built.output
        assert "divisions 36, pilot_banks 28" in built.output
        result = runner.invoke(app, ["stats", "green-loans", "--as-of", "2023-03-31", "--base", "2016-12-31", "--json"])
        assert result.exit_code == 0, result.output
        figures = json.loads(result.stdout, parse_float=Decimal)
        assert figures["as_of"] == "2023-03-31"
        assert figures["green_balance_fen"] == 11_815_800_000_000  # 1181.58 亿元
        assert figures["share"] == Decimal("0.3646")  # 36.46 %
        assert figures["base_balance_fen"] * 5 == pytest.approx(figures["green_balance_fen"], rel=Decimal("0.01"))
        assert figures["growth_vs_base"] == Decimal("3.9999")  # about 5× = about +400 %
        for key in ("all_balance_fen", "yoy_growth"):
            assert key in figures
        bad = runner.invoke(app, ["stats", "green-loans", "--as-of", "2023-02-30", "--json"])
        assert bad.exit_code == 2 and bad.stdout == ""
        assert bad.stderr.strip().count("\n") == 0 and "YYYY-MM-DD" in bad.stderr
        missing = runner.invoke(app, ["stats", "green-loans", "--as-of", "2023-03-30", "--json"])
        assert missing.exit_code == 2 and missing.stdout == "" and "no loan balances" in missing.stderr
    finally:
        get_settings.cache_clear()
