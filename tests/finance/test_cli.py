"""``greenfin finance consent`` and ``greenfin finance report`` against a temporary SQLite database.

The CLI acts *for* an organisation: consent as the borrower, a report as the bank. What that
organisation would be refused through the API is refused here (the error reaches
``greenfin.cli.main``, which prints one sentence and exits 1 — 2 for invalid input).

The borrower is the pig farm of tests/finance/test_reports.py: 125,793.703 kg CO2e reduced,
深绿; on the reference offer 435 bp / 1,000,000.00 yuan / 150 bp guarantee fee, agricultural
深绿 gives 435 − 20 = 415 bp, × 1.2 = 120,000,000 fen, 150 − 20 = 130 capped at 80 bp. A report the
bank issues without an offer starts from the 1-year LPR instead: 3.00 % (NIFC, 2025-05-20) + the
default 0.80-point spread = 380 bp, 100 bp guarantee fee; 深绿 gives 380 − 20 = 360 bp, 100 − 20 = 80 bp.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from stdnum.cn import uscc
from typer.testing import CliRunner, Result

from greenfin.agriculture import service as agriculture
from greenfin.agriculture.schemas import FarmCreate, RecordsSubmit
from greenfin.auth import service as auth
from greenfin.auth.models import AuditEvent, Consent
from greenfin.auth.service import Principal
from greenfin.cli import app
from greenfin.db import Base, import_all_models, make_engine, make_session_factory, session_scope
from greenfin.errors import Forbidden, InvalidInput, NotFound
from greenfin.settings import get_settings
from tests.agriculture.test_service import PIG_RECORDS

ADMIN = Principal(actor="test", role="admin")


def _code(body: str) -> str:
    return body + uscc.calc_check_digit(body)


FARM_USCC = _code("91330803MA2FNTEXT")
BANK, OTHER = _code("91330802MA2BANK1X"), _code("91330802MA2BANK2X")
ENTERPRISE = _code("91330802MA2ENTRPX")


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("GREENFIN_DATABASE_URL", url)
    get_settings.cache_clear()
    import_all_models()
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with session_scope(make_session_factory(engine)) as session:
        farm = agriculture.register_farm(
            session,
            ADMIN,
            farm_in=FarmCreate(
                farm_type="pig_farm",
                name="衢江区测试生猪养殖场",
                uscc=FARM_USCC,
                county_code="330803",
                township="高家镇",
                herd_heads=1000,
                open_account=True,
            ),
            secret_key=get_settings().secret_key,
        )
        agriculture.submit_records(session, ADMIN, farm_ref=farm.id, submit=RecordsSubmit.model_validate(PIG_RECORDS))
        auth.create_organisation(session, kind="bank", name="测试农商银行", code=BANK)
        auth.create_organisation(session, kind="bank", name="另一家银行", code=OTHER)
        auth.create_organisation(session, kind="enterprise", name="某企业", code=ENTERPRISE)
        farm_id = farm.id
    yield {"engine": engine, "farm": farm_id, "tmp": tmp_path}
    engine.dispose()
    get_settings.cache_clear()


def run(*args: str) -> Result:
    return CliRunner().invoke(app, ["finance", *args])


def refused(result: Result, kind: type[Exception], words: str) -> None:
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, kind), result.exception
    assert words in str(getattr(result.exception, "detail", result.exception))


def _future(days: int = 30) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).date().isoformat()


def _grant(farm: str, bank: str = BANK) -> dict[str, object]:
    result = run("consent", "grant", "--borrower", farm, "--borrower-kind", "farm", "--bank", bank)
    assert result.exit_code != 0  # --expires is required
    result = run(
        "consent", "grant", "--borrower", farm, "--borrower-kind", "farm", "--bank", bank, "--expires", _future()
    )
    assert result.exit_code == 0, result.output
    result = run("consent", "list", "--borrower", farm, "--borrower-kind", "farm", "--bank", bank, "--json")
    return json.loads(result.stdout)[0]  # type: ignore[no-any-return]


def test_consent_report_and_reads_through_the_cli(database: dict[str, object]) -> None:
    farm = str(database["farm"])
    tmp = Path(str(database["tmp"]))
    issue = ("report", "issue", "--bank", BANK, "--borrower-kind", "farm", "--ref", farm)
    refused(run(*issue), Forbidden, "has not granted")  # no consent yet

    consent = _grant(FARM_USCC)  # the farm named by its USCC
    assert (consent["borrower_kind"], consent["borrower_ref"], consent["bank_code"]) == ("farm", farm, BANK)
    assert (consent["status"], consent["scope"], consent["granted_by"]) == ("active", "credit_report", "cli")
    assert [c["id"] for c in json.loads(run("consent", "list", "--bank", BANK, "--json").stdout)] == [consent["id"]]
    assert json.loads(run("consent", "list", "--bank", OTHER, "--json").stdout) == []
    assert len(json.loads(run("consent", "list", "--json").stdout)) == 1  # the operator sees the region
    assert "active" in run("consent", "list", "--bank", BANK).stdout

    # Terms as a bank: only under the farm's consent; the bank's overrides (none here) apply.
    refused(run("terms", farm, "--farm", "--as-bank", OTHER), Forbidden, "has not granted")
    result = run("terms", farm, "--farm", "--as-bank", BANK, "--json")
    assert result.exit_code == 0, result.output
    offered = json.loads(result.stdout)
    # the base offer starts from the 1-year LPR in force (3.00 %, 2025-05-20) + the table's 0.80 % spread
    assert (offered["base_offer"]["rate_bp"], offered["base_offer"]["term_months"]) == (380, 12)
    assert (offered["rate_bp"], offered["amount_fen"], offered["bank_code"]) == (360, 120_000_000, BANK)
    human = run("terms", farm, "--farm", "--as-bank", BANK, "--amount-fen", "50000000", "--term-months", "72")
    assert human.exit_code == 0, human.output
    # 72 months: the 5-year LPR (3.50 %) + 0.80 %, less the 深绿 farm's 0.20 %
    assert (
        "年利率 4.10%" in human.stdout
        and "600,000.00 元" in human.stdout
        and "农业碳账户 2024 年「深绿」" in human.stdout
    )
    assert " bp" not in human.stdout and "carbon_account_loan" not in human.stdout and "碳账户贷" in human.stdout

    result = run(*issue, "--json")
    assert result.exit_code == 0, result.output
    envelope = json.loads(result.stdout)
    report = envelope["report"]
    assert report["schema"] == "greenfin.carbon-credit-report/3"
    assert (report["bank"]["code"], report["consent"]["id"]) == (BANK, consent["id"])
    assert (report["years"][0]["year"], report["years"][0]["reduction_co2e_kg"]) == (2024, "125793.703")
    borrower = report["borrower"]
    assert (borrower["county_name_zh"], borrower["county_name_en"]) == ("衢江区", "Qujiang District")
    assert borrower["farm_type_name_en"] == "pig farm"
    terms = report["terms"]
    assert (terms["rate_bp"], terms["amount_fen"], terms["guarantee_fee_bp"]) == (360, 120_000_000, 80)

    signed = tmp / "report.json"
    signed.write_text(result.stdout, encoding="utf-8")
    refused(run("verify", str(signed)), InvalidInput, "never trusts local settings")
    keys = run("keys")
    assert keys.exit_code == 0, keys.output
    trusted = tmp / "keys.json"
    trusted.write_text(keys.stdout, encoding="utf-8")
    verified = run("verify", str(signed), "--trusted-keys", str(trusted))  # what the CLI printed verifies offline
    assert verified.exit_code == 0, verified.output

    pdf = tmp / "report.pdf"
    result = run(*issue, "--pdf", str(pdf))
    assert result.exit_code == 0, result.output
    assert "issued report" in result.stdout and pdf.read_bytes().startswith(b"%PDF")

    report_id = report["report_id"]
    refused(run("report", "show", report_id, "--as-bank", OTHER), Forbidden, "another bank")
    shown = run("report", "show", report_id, "--as-bank", BANK, "--json")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout) == envelope  # stored exactly as signed
    text = run("report", "show", report_id)
    assert text.exit_code == 0 and "360 bp" in text.stdout and "深绿" in text.stdout

    result = run("report", "reads", "--borrower", farm, "--borrower-kind", "farm", "--json")
    assert result.exit_code == 0, result.output
    reads = json.loads(result.stdout)
    # Issued twice (as the bank), read as JSON by the bank, read by the operator: newest first.
    assert [(r["actor"], r["actor_role"], r["form"]) for r in reads] == [
        ("cli", "admin", "json"),
        ("cli", "bank", "json"),
        ("cli", "bank", "issue"),
        ("cli", "bank", "issue"),
    ]
    assert {r["bank_code"] for r in reads} == {BANK}

    # Revoking: another borrower may not; the farm may (the operator acting for it).
    revoke = ("consent", "revoke", str(consent["id"]))
    refused(run(*revoke, "--borrower", ENTERPRISE), Forbidden, "organisation you act for")
    result = run(*revoke)
    assert result.exit_code == 0 and "revoked" in result.stdout
    refused(run(*issue), Forbidden, "revoked")
    refused(run("report", "show", report_id, "--as-bank", BANK), Forbidden, "revoked")
    assert run("report", "show", report_id).exit_code == 0  # staff still read it

    # The consent writes are audited as the borrower, with actor cli.
    engine = database["engine"]
    with session_scope(make_session_factory(engine)) as session:  # type: ignore[arg-type]
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.entity_type == "auth_consent").order_by(AuditEvent.at)
        ).all()
        assert [(e.action, e.actor, e.actor_role) for e in events] == [
            ("create", "cli", "enterprise"),
            ("update", "cli", "enterprise"),
        ]


def test_an_expired_consent_and_bad_input_are_refused(database: dict[str, object]) -> None:
    farm = str(database["farm"])
    grant = ("consent", "grant", "--borrower", farm, "--borrower-kind", "farm", "--bank", BANK)
    refused(run(*grant, "--expires", "2020-01-01"), InvalidInput, "future")
    refused(run(*grant, "--expires", "soon"), InvalidInput, "neither a date")
    refused(run(*grant, "--expires", "2030-01-01T00:00:00"), InvalidInput, "timezone")
    refused(
        run(
            "consent",
            "grant",
            "--borrower",
            farm,
            "--borrower-kind",
            "farm",
            "--bank",
            ENTERPRISE,
            "--expires",
            _future(),
        ),
        NotFound,
        "no bank",
    )
    refused(
        run("consent", "grant", "--borrower", _code("91330802MA2NBDY1X"), "--bank", BANK, "--expires", _future()),
        NotFound,
        "no enterprise",
    )
    assert run("consent", "grant", "--borrower", farm, "--scope", "everything", "--bank", BANK).exit_code == 2

    consent = _grant(farm)
    with session_scope(make_session_factory(database["engine"])) as session:  # type: ignore[arg-type]
        session.execute(
            update(Consent)
            .where(Consent.id == consent["id"])
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    listed = json.loads(run("consent", "list", "--bank", BANK, "--json").stdout)
    assert [c["status"] for c in listed] == ["expired"]
    issue = ("report", "issue", "--bank", BANK, "--borrower-kind", "farm", "--ref", farm)
    refused(run(*issue), Forbidden, "expired")
    refused(run("report", "issue", "--bank", ENTERPRISE, "--borrower-kind", "farm", "--ref", farm), NotFound, "no bank")
    refused(run("report", "reads", "--borrower", "nofarm", "--borrower-kind", "farm"), NotFound, "no farm")


def test_an_enterprise_consents_and_a_report_needs_a_label(database: dict[str, object]) -> None:
    result = run("consent", "grant", "--borrower", ENTERPRISE, "--bank", BANK, "--expires", _future(), "--json")
    assert result.exit_code == 0, result.output
    consent = json.loads(result.stdout)
    assert (consent["borrower_kind"], consent["borrower_ref"]) == ("enterprise", ENTERPRISE)
    # Consented, but the enterprise has no carbon label: nothing to report.
    issue = ("report", "issue", "--bank", BANK, "--borrower-kind", "enterprise", "--ref", ENTERPRISE)
    refused(run(*issue), NotFound, "no enterprise")
    assert run("report", "reads", "--borrower", ENTERPRISE).stdout.strip() == "no reads"


def test_the_command_prints_one_sentence_and_exits_1(
    database: dict[str, object], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from greenfin.cli import main

    farm = str(database["farm"])
    argv = ["greenfin", "finance", "report", "issue", "--bank", BANK, "--borrower-kind", "farm", "--ref", farm]
    monkeypatch.setattr("sys.argv", argv)
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 1
    assert capsys.readouterr().err.strip() == (
        "error: the borrower has not granted your bank access to its carbon data"
    )
