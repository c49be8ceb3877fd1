"""Carbon credit reports, consent and the refusals, through HTTP; signatures verified offline.

The borrower is a pig farm of 1,000 head with a digester serving all of them — its stored
reduction is 125,793.703 kg CO2e = 125.794 kg/head, 深绿 (hand-computed in
tests/agriculture/test_service.py). Quzhou policy v1, agricultural 深绿, on the reference
offer — the 1-year LPR 3.00 % (NIFC, 2025-05-20) + the default spread 0.80 points = 380 bp,
1,000,000.00 yuan, 12 months, 100 bp guarantee fee (finance/data/lpr) — hand-applied:

    rate       380 − 20 bp                 = 360 bp
    amount     100,000,000 × 1.2           = 120,000,000 fen
    guarantee  100 − 20 = 80, cap 80       = 80 bp
    fast track yes; products carbon_account_loan, tan_rong_tong
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from stdnum.cn import uscc
from typer.testing import CliRunner

from greenfin.agriculture import service as agriculture
from greenfin.agriculture.schemas import FarmCreate, RecordsSubmit
from greenfin.auth.models import Consent
from greenfin.auth.service import Principal
from greenfin.cli import app as root_cli
from greenfin.finance import signing
from tests.agriculture.test_service import PIG_RECORDS
from tests.conftest import bearer, make_organisation, make_user

ADMIN = Principal(actor="test", role="admin")


def _code(body: str) -> str:
    return body + uscc.calc_check_digit(body)


def setup_farm(session: Session, client: TestClient) -> dict[str, object]:
    settings = client.app.state.settings  # type: ignore[attr-defined]
    farm_uscc = _code("91330803MA2FNTEXT")
    farm = agriculture.register_farm(
        session,
        ADMIN,
        farm_in=FarmCreate(
            farm_type="pig_farm",
            name="衢江区测试生猪养殖场",
            uscc=farm_uscc,
            county_code="330803",
            township="高家镇",
            herd_heads=1000,
            open_account=True,
        ),
        secret_key=settings.secret_key,
    )
    agriculture.submit_records(session, ADMIN, farm_ref=farm.id, submit=RecordsSubmit.model_validate(PIG_RECORDS))
    farm_org = make_organisation(session, kind="enterprise", code=farm_uscc, name="衢江区测试生猪养殖场")
    bank = make_organisation(session, kind="bank", code=_code("91330802MA2BANK1X"), name="测试农商银行")
    other = make_organisation(session, kind="bank", code=_code("91330802MA2BANK2X"), name="另一家银行")
    headers = {
        "farm": bearer(session, settings, make_user(session, "farm-owner", "enterprise", farm_org)),
        "bank": bearer(session, settings, make_user(session, "bank-officer", "bank", bank)),
        "other": bearer(session, settings, make_user(session, "other-officer", "bank", other)),
    }
    return {"farm_id": farm.id, "bank": bank.code, "other": other.code, "headers": headers}


def _grant(client: TestClient, ctx: dict[str, object], *, days: int = 30) -> dict[str, object]:
    headers = ctx["headers"]
    response = client.post(
        "/api/v1/finance/consents",
        json={
            "bank_code": ctx["bank"],
            "farm_ref": ctx["farm_id"],
            "expires_at": (datetime.now(UTC) + timedelta(days=days)).isoformat(),
        },
        headers=headers["farm"],  # type: ignore[index]
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _request(client: TestClient, ctx: dict[str, object], who: str = "bank"):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/finance/reports",
        json={"borrower": {"kind": "farm", "ref": ctx["farm_id"]}},
        headers=ctx["headers"][who],  # type: ignore[index]
    )


def test_report_with_consent_is_signed_and_verifiable(client: TestClient, session: Session, tmp_path: Path) -> None:
    ctx = setup_farm(session, client)
    assert _request(client, ctx).status_code == 403  # no consent yet
    _grant(client, ctx)
    response = _request(client, ctx)
    assert response.status_code == 201, response.text
    envelope = response.json()
    report = envelope["report"]
    assert report["borrower"]["name"] == "衢江区测试生猪养殖场"
    year = report["years"][0]
    assert (year["year"], year["reduction_co2e_kg"], year["reduction_intensity"]) == (2024, "125793.703", "125.794")
    assert year["label"]["code"] == "dark_green"
    assert year["peers"] == {"rank": 1, "of": 1}
    terms = report["terms"]
    assert (terms["rate_bp"], terms["amount_fen"], terms["guarantee_fee_bp"], terms["fast_track"]) == (
        360,
        120_000_000,
        80,
        True,
    )
    assert terms["eligible_products"] == ["carbon_account_loan", "tan_rong_tong"]
    assert all(a["rule_id"].startswith("330800/v1:") for a in terms["adjustments"])
    offer = {"rate_bp": 380, "amount_fen": 100_000_000, "term_months": 12, "guarantee_fee_bp": 100}
    assert terms["base_offer"] == offer
    reference = report["reference_rate"]
    assert (reference["tenor"], reference["lpr_bp"], reference["published"], reference["spread_bp"]) == (
        "1y",
        300,
        "2025-05-20",
        80,
    )

    key = client.get("/api/v1/finance/signing-key").json()  # public: no login
    public = signing.load_public_key(key["public_key"])
    assert signing.verify(envelope, public) == (True, f"valid: signed by key {key['key_id']}")

    # One figure flipped: verification fails, in the library and in the offline CLI.
    altered = json.loads(json.dumps(envelope))
    altered["report"]["years"][0]["reduction_co2e_kg"] = "225793.703"
    ok, reason = signing.verify(altered, public)
    assert not ok and "altered" in reason
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(envelope, ensure_ascii=False), encoding="utf-8")
    bad.write_text(json.dumps(altered, ensure_ascii=False), encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(root_cli, ["finance", "verify", str(good), "--public-key", key["public_key"]]).exit_code == 0
    result = runner.invoke(root_cli, ["finance", "verify", str(bad), "--public-key", key["public_key_pem"]])
    assert result.exit_code == 1

    # The stored report reads back identical, and as a PDF.
    report_id = report["report_id"]
    assert client.get(f"/api/v1/finance/reports/{report_id}", headers=ctx["headers"]["bank"]).json() == envelope  # type: ignore[index]
    pdf = client.get(f"/api/v1/finance/reports/{report_id}/pdf", headers=ctx["headers"]["bank"])  # type: ignore[index]
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_refusals_another_bank_revoked_expired(client: TestClient, session: Session) -> None:
    ctx = setup_farm(session, client)
    headers = ctx["headers"]
    consent = _grant(client, ctx)
    report_id = _request(client, ctx).json()["report"]["report_id"]

    # Another bank: no report of its own, and not the first bank's report.
    response = _request(client, ctx, "other")
    assert response.status_code == 403
    assert "not granted" in response.json()["detail"]
    assert client.get(f"/api/v1/finance/reports/{report_id}", headers=headers["other"]).status_code == 403  # type: ignore[index]

    # Revoked: refused for new and for stored reports.
    revoked = client.post(f"/api/v1/finance/consents/{consent['id']}/revoke", headers=headers["farm"])  # type: ignore[index]
    assert revoked.json()["status"] == "revoked"
    response = _request(client, ctx)
    assert response.status_code == 403 and "revoked" in response.json()["detail"]
    assert client.get(f"/api/v1/finance/reports/{report_id}", headers=headers["bank"]).status_code == 403  # type: ignore[index]

    # Expired: a fresh consent whose time has passed.
    fresh = _grant(client, ctx)
    row = session.get(Consent, fresh["id"])
    assert row is not None
    row.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    session.flush()
    session.execute(
        Consent.__table__.update()
        .where(Consent.__table__.c.id == consent["id"])
        .values(revoked_at=None, expires_at=datetime.now(UTC) - timedelta(days=1))
    )
    session.commit()
    response = _request(client, ctx)
    assert response.status_code == 403 and "expired" in response.json()["detail"]

    # The bank cannot revoke the borrower's consent.
    assert client.post(f"/api/v1/finance/consents/{fresh['id']}/revoke", headers=headers["bank"]).status_code == 403  # type: ignore[index]


def test_every_read_is_in_the_borrowers_audit_view(client: TestClient, session: Session) -> None:
    ctx = setup_farm(session, client)
    headers = ctx["headers"]
    _grant(client, ctx)
    report_id = _request(client, ctx).json()["report"]["report_id"]
    client.get(f"/api/v1/finance/reports/{report_id}", headers=headers["bank"])  # type: ignore[index]
    client.get(f"/api/v1/finance/reports/{report_id}/pdf", headers=headers["bank"])  # type: ignore[index]
    reads = client.get(
        "/api/v1/finance/report-reads",
        params={"farm": ctx["farm_id"]},
        headers=headers["farm"],  # type: ignore[index]
    ).json()
    assert sorted(r["form"] for r in reads) == ["issue", "json", "pdf"]
    assert {(r["actor"], r["bank_code"], r["report_id"]) for r in reads} == {
        ("user:bank-officer", ctx["bank"], report_id)
    }
    # Another organisation cannot list the farm's reads.
    response = client.get(
        "/api/v1/finance/report-reads",
        params={"farm": ctx["farm_id"]},
        headers=headers["other"],  # type: ignore[index]
    )
    assert response.status_code == 403


def test_terms_need_consent_and_are_traced(client: TestClient, session: Session) -> None:
    ctx = setup_farm(session, client)
    body = {
        "borrower": {"kind": "farm", "ref": ctx["farm_id"]},
        "base_offer": {"rate_bp": 500, "amount_fen": 50_000_000, "term_months": 12},
    }
    assert client.post("/api/v1/finance/terms", json=body, headers=ctx["headers"]["bank"]).status_code == 403  # type: ignore[index]
    own = client.post("/api/v1/finance/terms", json=body, headers=ctx["headers"]["farm"])  # type: ignore[index]
    assert own.status_code == 200, own.text
    terms = own.json()
    # Agricultural 深绿: 500 − 20 = 480 bp; 50,000,000 × 1.2 = 60,000,000 fen.
    assert (terms["rate_bp"], terms["amount_fen"], terms["fast_track"]) == (480, 60_000_000, True)
    assert terms["standings"][0]["account_type"] == "agricultural"
    assert terms["adjustments"][0]["rule_id"] == "330800/v1:cells.agricultural.dark_green.rate_adjustment_bp"


def test_farm_what_if_digester(client: TestClient, session: Session) -> None:
    ctx = setup_farm(session, client)
    headers = ctx["headers"]["farm"]  # type: ignore[index]
    zero = {
        "practice": "biogas_project",
        "digester_volume_m3": "0",
        "manure_treated_t": "0",
        "heads_served": 0,
        "biogas_produced_m3": "0",
        "biogas_used_m3": "0",
    }
    response = client.post(
        "/api/v1/finance/what-if/farm", json={"farm_ref": ctx["farm_id"], "year": 2024, "add": [zero]}, headers=headers
    )
    assert response.status_code == 200, response.text
    result = response.json()
    # No change: exactly the stored computation.
    assert result["after"]["co2e_kg"] == result["before"]["co2e_kg"] == 125793.703
    assert result["after"]["label"] == result["before"]["label"]
    assert result["terms_after"]["rate_bp"] == result["terms_before"]["rate_bp"]
    assert result["change_kg"] == 0
    # Another organisation may not simulate the farm.
    assert (
        client.post(
            "/api/v1/finance/what-if/farm",
            json={"farm_ref": ctx["farm_id"], "year": 2024, "add": [zero]},
            headers=ctx["headers"]["bank"],  # type: ignore[index]
        ).status_code
        == 403
    )


def test_what_if_adds_a_digester_to_a_farm_without_one(session: Session) -> None:
    """1,000 head, no digester (0 kg → 黄); adding the hand-computed digester gives 125,793.703 kg → 深绿."""
    from greenfin.agriculture.schemas import FarmWhatIf

    farm = agriculture.register_farm(
        session,
        ADMIN,
        farm_in=FarmCreate(
            farm_type="pig_farm",
            name="无沼气猪场",
            uscc=_code("91330825MA2NDGXT0"),
            county_code="330825",
            township="湖镇镇",
            herd_heads=1000,
            open_account=True,
        ),
        secret_key="k",
    )
    agriculture.submit_records(
        session,
        ADMIN,
        farm_ref=farm.id,
        submit=RecordsSubmit.model_validate({"year": 2024, "baseline": {"herd_heads": 1000}}),
    )
    assert agriculture.get_account(session, ADMIN, farm_ref=farm.id).latest.label == "yellow"  # type: ignore[union-attr]
    result = agriculture.what_if(
        session,
        ADMIN,
        farm_ref=farm.id,
        what_if_in=FarmWhatIf.model_validate({"year": 2024, "add": PIG_RECORDS["records"]}),
    )
    assert str(result.after.co2e_kg) == "125793.703"
    assert result.after.label == "dark_green"
