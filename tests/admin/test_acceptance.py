"""Issue 11's acceptance, on SQLite and PostgreSQL, from an empty database and no demo:

bootstrap → a bank and a data source → a bank user → the bank logs in through
``POST /api/v1/auth/token`` → ``greenfin personal enrol FILE.csv --bank CODE`` →
``greenfin personal ingest FILE.csv`` with that data source → the balances.

Expected balances by hand from the scenario catalogue v1 (``personal/data/scenarios/v1.toml``):
``bus_ride`` 12 points, at most 4 a day; ``metro_ride`` 36 points, at most 4 a day.
Resident A rides the bus 5 times on 2026-03-02 (the 5th is over the cap: 4 × 12 = 48) and
the metro once (36): 84. Resident B rides the bus once: 12.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from greenfin.app import create_app
from greenfin.auth.models import AuditEvent
from greenfin.cli import app
from greenfin.db import make_engine, make_session_factory, session_scope
from greenfin.errors import InvalidInput
from greenfin.settings import Settings
from tests.conftest import repo_root

runner = CliRunner()
ID_A = "330802199001011232"
ID_B = "33082219850615001X"
ADMIN_PASSWORD = "lvse-jinrong-admin-2026"
TELLER_PASSWORD = "counter-of-quzhou-77"
GREENFIN = str(repo_root() / ".venv" / "bin" / "greenfin")


def run(*args: str, stdin: str | None = None) -> dict | list:  # type: ignore[type-arg]
    result = runner.invoke(app, list(args), input=stdin)
    assert result.exit_code == 0, (args, result.output, result.exception)
    return json.loads(result.output)  # type: ignore[no-any-return]


def test_a_region_from_an_empty_database(empty_database: str, tmp_path: Path) -> None:
    admin = run("admin", "bootstrap", "--username", "root", stdin=ADMIN_PASSWORD + "\n")
    assert admin["role"] == "admin"
    bank = run(
        "admin", "org", "create", "--kind", "bank", "--code", "QZB01", "--name", "衢州农商银行", "--region", "330800"
    )
    assert (bank["kind"], bank["code"]) == ("bank", "QZB01")
    run("admin", "org", "create", "--kind", "data_source", "--code", "QZBUS", "--name", "衢州公交集团")
    teller = run(
        "admin", "user", "create", "--username", "teller", "--role", "bank", "--org", "QZB01", stdin=TELLER_PASSWORD
    )
    assert (teller["role"], teller["organisation_code"], teller["is_active"]) == ("bank", "QZB01", True)
    organisations = run("admin", "org", "list", "--json")
    assert sorted(o["code"] for o in organisations) == ["QZB01", "QZBUS", "platform"]
    assert [o["code"] for o in run("admin", "org", "list", "--kind", "bank", "--json")] == ["QZB01"]

    settings = Settings(environment="test", database_url=empty_database, posting_interval_seconds=0)
    application = create_app(settings)
    with TestClient(application) as client:
        answer = client.post("/api/v1/auth/token", data={"username": "teller", "password": TELLER_PASSWORD})
        assert answer.status_code == 200, answer.text
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {answer.json()['access_token']}"}).json()
        assert (me["role"], me["organisation"]["code"]) == ("bank", "QZB01")
    application.state.engine.dispose()

    enrol = tmp_path / "enrol.csv"
    enrol.write_text(f"id_number,name,phone,consent_ref\n{ID_A},张三,13812345678,C1\n{ID_B},李四,,C2\n")
    assert run("personal", "enrol", str(enrol), "--bank", "QZB01") == {"enrolled": 2, "already_enrolled": 0}
    rides = [f"QZBUS,bus-{n},{ID_A},bus_ride,2026-03-02T0{n}:00:00+08:00,200" for n in range(1, 6)]
    events = tmp_path / "events.csv"
    events.write_text(
        "source,external_id,id_number,scenario,occurred_at,amount_fen\n"
        + "\n".join(rides)
        + f"\nQZBUS,metro-1,{ID_A},metro_ride,2026-03-02T18:00:00+08:00,400\n"
        + f"QZBUS,bus-6,{ID_B},bus_ride,2026-03-02T08:00:00+08:00,200\n"
    )
    summary = run("personal", "ingest", str(events))
    assert (summary["accepted"], summary["rejected"]) == (7, 0)
    assert run("personal", "balance", "--id-number", ID_A)["balance"] == 84
    assert run("personal", "balance", "--id-number", ID_B)["balance"] == 12

    # Every admin action is in the audit log, with its actor, and never a password or hash.
    engine = make_engine(empty_database)
    with session_scope(make_session_factory(engine)) as session:
        events_logged = session.scalars(select(AuditEvent).where(AuditEvent.actor.like("cli:%"))).all()
        kinds = {(e.action, e.entity_type) for e in events_logged}
        assert {("create", "auth_user"), ("create", "auth_organisation")} <= kinds
        for event in events_logged:
            dumped = json.dumps([event.before, event.after])
            assert "argon2" not in dumped and "password_hash" not in dumped
    engine.dispose()


def test_bootstrap_is_refused_once_an_administrator_exists(empty_database: str) -> None:
    run("admin", "bootstrap", "--username", "root", stdin=ADMIN_PASSWORD + "\n")
    again = runner.invoke(app, ["admin", "bootstrap", "--username", "second"], input=ADMIN_PASSWORD + "\n")
    assert isinstance(again.exception, InvalidInput)
    assert again.exception.detail == "an administrator exists already; log in as one to create users"
    # Through the installed command: one sentence on stderr, exit 2, nothing on stdout.
    process = subprocess.run(
        [GREENFIN, "admin", "bootstrap", "--username", "third"],
        input=ADMIN_PASSWORD + "\n",
        capture_output=True,
        text=True,
        env={**os.environ, "GREENFIN_DATABASE_URL": empty_database, "GREENFIN_ENVIRONMENT": "test"},
        check=False,
    )
    assert process.returncode == 2
    assert process.stdout == ""
    assert process.stderr.strip() == "error: an administrator exists already; log in as one to create users"
    weak = subprocess.run(
        [GREENFIN, "admin", "user", "create", "--username", "watcher", "--role", "admin", "--org", "platform"],
        input="watcher-2026\n",
        capture_output=True,
        text=True,
        env={**os.environ, "GREENFIN_DATABASE_URL": empty_database, "GREENFIN_ENVIRONMENT": "test"},
        check=False,
    )
    assert weak.returncode == 2
    assert weak.stderr.splitlines() == [
        "error: 密码不能是用户名，也不能包含用户名。 (the password may not be or contain the username)"
    ]
