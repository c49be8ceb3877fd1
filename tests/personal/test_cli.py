"""``greenfin personal …`` end to end on a fresh SQLite file: scenarios, enrol, ingest, verify, expire, balance."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from greenfin.auth import service as auth
from greenfin.cli import app
from greenfin.db import Base, import_all_models, make_engine, make_session_factory, session_scope
from greenfin.errors import InvalidInput
from greenfin.settings import get_settings
from tests.personal.conftest import BAD_CHECKSUM, ID_A, ID_B

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("GREENFIN_DATABASE_URL", url)
    monkeypatch.setenv("GREENFIN_ENVIRONMENT", "test")
    get_settings.cache_clear()
    import_all_models()
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with session_scope(make_session_factory(engine)) as session:
        auth.create_organisation(session, kind="bank", name="衢州银行", code="QZB01", region_code="330800")
    engine.dispose()
    yield url
    get_settings.cache_clear()


def test_scenarios_json() -> None:
    result = runner.invoke(app, ["personal", "scenarios", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert len(data["scenarios"]) == 18
    bus = next(s for s in data["scenarios"] if s["code"] == "bus_ride")
    assert (bus["avoided_co2_g"], bus["points"], bus["daily_cap"]) == (123, 12, 4)


def test_enrol_ingest_verify_balance(database: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(f"id_number,name,phone,consent_ref\n{ID_A},张三,13812345678,C1\n{BAD_CHECKSUM},李四,,C2\n")
    refused = runner.invoke(app, ["personal", "enrol", str(bad), "--bank", "QZB01"])
    assert isinstance(refused.exception, InvalidInput)
    assert refused.exception.errors == [
        {
            "row": 2,
            "column": "id_number",
            "reason": "not a valid resident ID number: its check character (the 18th) is wrong",
        }
    ]
    good = tmp_path / "good.csv"
    good.write_text(f"id_number,name,phone,consent_ref\n{ID_A},张三,13812345678,C1\n{ID_B},李四,,C2\n")
    # The form, without --bank: the region's only bank collected the consents.
    enrolled = runner.invoke(app, ["personal", "enrol", str(good)])
    assert enrolled.exit_code == 0, enrolled.output
    assert json.loads(enrolled.output) == {"enrolled": 2, "already_enrolled": 0}

    events = tmp_path / "events.csv"
    events.write_text(
        "source,external_id,id_number,scenario,occurred_at,amount_fen\n"
        f"QZB01,1,{ID_A},bus_ride,2026-03-02T08:00:00+08:00,200\n"
        f"QZB01,2,{ID_A},recycling_pickup,2026-03-03T08:00:00+08:00,\n"
        f"QZB01,3,{ID_B},bus_ride,2026-03-02T08:00:00+08:00,200\n"
        f"QZB01,4,{ID_B},no_such_thing,2026-03-02T08:00:00+08:00,200\n"
    )
    for expected in ((3, 0, 1), (0, 3, 1)):
        ingested = runner.invoke(app, ["personal", "ingest", str(events)])
        assert ingested.exit_code == 0, ingested.output
        summary = json.loads(ingested.output)
        assert (summary["accepted"], summary["duplicates"], summary["rejected"]) == expected
        assert summary["reasons"] == {"unknown scenario": 1}

    balance = runner.invoke(app, ["personal", "balance", "--id-number", ID_A, "--as-of", "2026-03-02"])
    assert json.loads(balance.output)["balance"] == 12
    balance = runner.invoke(app, ["personal", "balance", "--id-number", ID_A])
    assert json.loads(balance.output)["balance"] == 222

    verified = runner.invoke(app, ["personal", "verify"])
    assert verified.exit_code == 0 and json.loads(verified.output)["breaks"] == []
    engine = make_engine(database)
    with engine.begin() as connection:
        connection.execute(text("UPDATE personal_ledger SET points = 2100 WHERE points = 210"))
    engine.dispose()
    tampered = runner.invoke(app, ["personal", "verify"])
    assert tampered.exit_code == 1
    assert [(b["seq"], b["reason"]) for b in json.loads(tampered.output)["breaks"]] == [(2, "hash")]

    expired = runner.invoke(app, ["personal", "expire", "--as-of", "2029-01-01"])
    assert expired.exit_code == 0, expired.output
    # Points of 2026 lapse on 2029-01-01 (end of the 2nd calendar year after): A's 2,100 (tampered) + 12, B's 12.
    assert json.loads(expired.output)["accounts"] == 2


def test_enrol_without_bank_names_the_banks_when_there_are_several(database: str, tmp_path: Path) -> None:
    engine = make_engine(database)
    with session_scope(make_session_factory(engine)) as session:
        auth.create_organisation(session, kind="bank", name="江山农商银行", code="JSRCB", region_code="330881")
    engine.dispose()
    good = tmp_path / "good.csv"
    good.write_text(f"id_number,name,phone,consent_ref\n{ID_A},张三,13812345678,C1\n")
    refused = runner.invoke(app, ["personal", "enrol", str(good)])
    assert isinstance(refused.exception, InvalidInput)
    assert refused.exception.detail == (
        "say which bank collected these consents with --bank CODE (registered banks: JSRCB, QZB01)"
    )
    enrolled = runner.invoke(app, ["personal", "enrol", str(good), "--bank", "JSRCB"])
    assert json.loads(enrolled.output) == {"enrolled": 1, "already_enrolled": 0}
