"""``greenfin industry`` against a temporary SQLite database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from greenfin.cli import app
from greenfin.db import Base, import_all_models, make_engine
from greenfin.settings import get_settings
from tests.industry.factories import ANNUAL_HEADER, ENTERPRISE_HEADER, PROCESS_HEADER, csv_bytes, make_uscc


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("GREENFIN_DATABASE_URL", url)
    get_settings.cache_clear()
    import_all_models()
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    yield tmp_path
    get_settings.cache_clear()


def test_import_label_account_list(database: Path) -> None:
    runner = CliRunner()
    uscc = make_uscc(7)
    files = {
        "enterprises": csv_bytes(ENTERPRISE_HEADER, [(uscc, "龙游某纸业", "330825", "2221")]),
        "process": csv_bytes(PROCESS_HEADER, [(uscc, 2024, "lime_kiln", "120.5", "audited")]),
        "annual": csv_bytes(ANNUAL_HEADER, [(uscc, 2024, "10000000", "2000000", "300000", "5000", "t")]),
    }
    for kind, content in files.items():
        path = database / f"{kind}.csv"
        path.write_bytes(content)
        result = runner.invoke(app, ["industry", "import", kind, str(path)])
        assert result.exit_code == 0, result.output
        assert "imported 1" in result.output
    result = runner.invoke(app, ["industry", "label", "--year", "2024"])
    assert result.exit_code == 0, result.output
    assert "labelled 1 enterprise(s) for 2024" in result.output and "light_green  1" in result.output
    result = runner.invoke(app, ["industry", "account", uscc, "--year", "2024", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    # 120.5 t / 200 万元 added value = 0.6025 t/万元
    assert body["total_co2_t"] == 120.5 and body["intensities"]["added_value_t_per_wan"] == 0.6025
    result = runner.invoke(app, ["industry", "list", "--json", "--county", "330825"])
    assert json.loads(result.output)["items"][0]["label"] == "light_green"


def test_bad_file_is_refused(database: Path) -> None:
    path = database / "bad.csv"
    path.write_bytes(csv_bytes(ENTERPRISE_HEADER, [("123", "x", "330825", "2221")]))
    result = CliRunner().invoke(app, ["industry", "import", "enterprises", str(path)])
    assert result.exit_code != 0
