"""Pledges of ecological assets on loans of the loan book: the cap, one live pledge, release, refusals.

Figures: the textbook orchard (income approach, 5,196,283.28 元, tests/ecobank/test_registry.py)
under the orchard cap of 60 % (ltv/v1.toml) allows 0.6 × 519,628,328 fen = 311,776,996.8,
rounded down to 311,776,996 fen.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from greenfin.auth.models import Organisation
from greenfin.auth.service import SYSTEM, Principal, install_audit
from greenfin.db import make_session_factory
from greenfin.ecobank import service
from greenfin.ecobank.models import Asset, Certificate, Document, Pledge, Valuation
from greenfin.ecobank.schemas import AssetCreate, PledgeCreate, ValuationCreate
from greenfin.errors import Conflict
from greenfin.market import service as market
from greenfin.market.models import Loan
from greenfin.market.schemas import LoanCreate
from tests.conftest import make_organisation
from tests.ecobank.test_registry import asset_body

CAP_FEN = 311_776_996
INCOME = {
    "method": "income",
    "inputs": {"annual_net_income": 5200, "years": 76, "rate": "0.1", "area_mu": 100},
    "valuer": "衢州林业资产评估事务所",
    "valued_on": "2026-06-30",
}


def _loan_body(loan_no: str) -> dict[str, Any]:
    return {
        "loan_no": loan_no,
        "borrower_code": "91330822MA2HUYOU01",
        "borrower_name": "太公山村股份经济合作社",
        "amount_fen": 400_000_000,
        "rate_bp": 365,
        "term_months": 36,
        "start_date": "2026-07-01",
        "collateral": "eco_pledge",
    }


def consent(client: TestClient, asset_id: str, headers: dict[str, str], name: str = "质押同意书.pdf") -> str:
    """The owner's signed consent, filed on the asset by its ecological bank (here: staff); its document id."""
    filed = client.post(
        f"/api/v1/ecobank/assets/{asset_id}/documents",
        files={"file": (name, f"%PDF-1.4 {name} 签字".encode(), "application/pdf")},
        data={"kind": "pledge_consent"},
        headers=headers,
    )
    assert filed.status_code == 201, filed.text
    assert filed.json()["kind"] == "pledge_consent"
    return str(filed.json()["id"])


def test_a_pledge_needs_the_owners_own_consent(client: TestClient, session: Session, headers_for: Any) -> None:
    """No consent, a document of another kind, another asset's consent, or one used already: each refused (422)."""
    admin = headers_for("admin")
    bank = headers_for("bank", make_organisation(session, kind="bank", code="qz_rcb", name="常山农商银行"))
    asset = client.post("/api/v1/ecobank/assets", json=asset_body(), headers=admin).json()
    other_asset = client.post("/api/v1/ecobank/assets", json=asset_body("另一片果园"), headers=admin).json()
    client.post(f"/api/v1/ecobank/assets/{asset['id']}/valuations", json=INCOME, headers=admin)
    loans = [client.post("/api/v1/loans", json=_loan_body(f"HYD-{n}"), headers=bank).json()["id"] for n in (1, 2)]
    scan = client.post(
        f"/api/v1/ecobank/assets/{asset['id']}/documents",
        files={"file": ("林权证.jpg", b"jpeg", "image/jpeg")},
        data={"kind": "certificate"},
        headers=admin,
    ).json()["id"]
    body = {"asset_id": asset["id"], "loan_id": loans[0], "amount_fen": 1000}
    missing = client.post("/api/v1/ecobank/pledges", json=body, headers=bank)
    assert missing.status_code == 422 and "consent_document_id" in missing.text
    for wrong in (scan, consent(client, other_asset["id"], admin), "nope"):
        refused = client.post("/api/v1/ecobank/pledges", json={**body, "consent_document_id": wrong}, headers=bank)
        assert refused.status_code == 422 and "signed consent" in refused.json()["detail"], refused.text
    signed = consent(client, asset["id"], admin)
    pledged = client.post("/api/v1/ecobank/pledges", json={**body, "consent_document_id": signed}, headers=bank)
    assert pledged.status_code == 201 and pledged.json()["consent_document_id"] == signed
    client.post(f"/api/v1/ecobank/pledges/{pledged.json()['id']}/release", json={}, headers=bank)
    reused = client.post(
        "/api/v1/ecobank/pledges", json={**body, "loan_id": loans[1], "consent_document_id": signed}, headers=bank
    )
    assert reused.status_code == 422 and "another pledge" in reused.json()["detail"]
    bad_kind = client.post(
        f"/api/v1/ecobank/assets/{asset['id']}/documents",
        files={"file": ("x.pdf", b"x", "application/pdf")},
        data={"kind": "selfie"},
        headers=admin,
    )
    assert bad_kind.status_code == 422


def test_a_pledge_within_the_cap_one_at_a_time(client: TestClient, session: Session, headers_for: Any) -> None:
    admin = headers_for("admin")
    bank = headers_for("bank", make_organisation(session, kind="bank", code="qz_rcb", name="常山农商银行"))
    other = headers_for("bank", make_organisation(session, kind="bank", code="other_bank", name="他行"))
    asset = client.post("/api/v1/ecobank/assets", json=asset_body(), headers=admin).json()
    assert (
        client.post(f"/api/v1/ecobank/assets/{asset['id']}/valuations", json=INCOME, headers=admin).status_code == 201
    )
    loan = client.post("/api/v1/loans", json=_loan_body("HYD-2026-001"), headers=bank)
    assert loan.status_code == 201, loan.text
    theirs = client.post("/api/v1/loans", json=_loan_body("T-1"), headers=other).json()
    body = {
        "asset_id": asset["id"],
        "loan_id": loan.json()["id"],
        "amount_fen": CAP_FEN + 1,
        "consent_document_id": consent(client, asset["id"], admin),
    }

    above = client.post("/api/v1/ecobank/pledges", json=body, headers=bank)
    assert above.status_code == 422 and "amount_fen" in above.text and str(CAP_FEN) in above.text
    # another bank's loan is not this bank's to pledge for
    assert (
        client.post("/api/v1/ecobank/pledges", json={**body, "loan_id": theirs["id"]}, headers=bank).status_code == 404
    )
    assert client.post("/api/v1/ecobank/pledges", json=body, headers=admin).status_code == 403
    pledged = client.post("/api/v1/ecobank/pledges", json={**body, "amount_fen": CAP_FEN}, headers=bank)
    assert pledged.status_code == 201, pledged.text
    read = pledged.json()
    assert (read["status"], read["max_loan_fen"], read["ltv_policy_version"]) == ("active", CAP_FEN, "v1")

    # never pledged twice at once, whoever asks (each with the owner's own consent)
    again = {**body, "amount_fen": 1, "consent_document_id": consent(client, asset["id"], admin, "第二份同意书.pdf")}
    assert client.post("/api/v1/ecobank/pledges", json=again, headers=bank).status_code == 409
    assert (
        client.post("/api/v1/ecobank/pledges", json={**again, "loan_id": theirs["id"]}, headers=other).status_code
        == 409
    )
    # the asset's pledges: staff see them; another bank sees none of this bank's
    assert [p["id"] for p in client.get(f"/api/v1/ecobank/assets/{asset['id']}/pledges", headers=admin).json()] == [
        read["id"]
    ]
    assert client.get(f"/api/v1/ecobank/assets/{asset['id']}/pledges", headers=other).json() == []
    # the lending bank sees the asset it holds a pledge on, and the owner's consent; another bank does not
    assert client.get(f"/api/v1/ecobank/assets/{asset['id']}", headers=bank).status_code == 200
    consent_url = f"/api/v1/ecobank/assets/{asset['id']}/documents/{body['consent_document_id']}"
    assert client.get(consent_url, headers=bank).status_code == 200
    assert client.get(f"/api/v1/ecobank/assets/{asset['id']}", headers=other).status_code == 403
    # the registry a bank sees: the assets pledged to it, whatever it filters by
    for params in ({}, {"county_code": asset["county_code"]}, {"kind": "orchard"}):
        assert [a["id"] for a in client.get("/api/v1/ecobank/assets", params=params, headers=bank).json()["items"]] == [
            asset["id"]
        ]
        assert client.get("/api/v1/ecobank/assets", params=params, headers=other).json()["total"] == 0
    # only the lending bank releases it, once; then the asset can be pledged again
    url = f"/api/v1/ecobank/pledges/{read['id']}"
    assert client.post(f"{url}/release", json={"note": "x"}, headers=other).status_code == 404
    released = client.post(f"{url}/release", json={"note": "贷款已结清"}, headers=bank)
    assert released.status_code == 200 and released.json()["status"] == "released"
    assert client.post(f"{url}/enforce", json={}, headers=bank).status_code == 409
    second = client.post("/api/v1/ecobank/pledges", json={**again, "loan_id": theirs["id"]}, headers=other)
    assert second.json()["consent_document_id"] == again["consent_document_id"]
    assert second.status_code == 201
    enforced = client.post(
        f"/api/v1/ecobank/pledges/{second.json()['id']}/enforce", json={"note": "处置"}, headers=other
    )
    assert enforced.json()["status"] == "enforced"


def test_two_pledges_of_one_asset_at_the_same_moment_on_postgresql(engines: dict[str, Engine]) -> None:
    """The second transaction passes the look-up (the first is uncommitted), then meets the partial unique index."""
    engine = engines["postgresql"]
    factory = make_session_factory(engine)
    install_audit(factory)
    tag = uuid.uuid4().hex[:10]
    number = f"PLEDGE-{tag}"
    with factory() as setup:
        bank_org = make_organisation(setup, kind="bank", code=f"b{tag}", name="并发测试银行")
        bank = Principal(
            actor="user:b",
            role="bank",
            organisation_id=bank_org.id,
            organisation_kind="bank",
            organisation_code=bank_org.code,
        )
        asset = service.register_asset(
            setup, SYSTEM, asset_in=AssetCreate.model_validate(asset_body(number)), secret_key="k"
        )
        service.appraise(setup, SYSTEM, asset_id=asset.id, valuation_in=ValuationCreate.model_validate(INCOME))
        loans = [
            market.report_loan(setup, bank, loan_in=LoanCreate.model_validate(_loan_body(f"C{tag}{i}"))).id
            for i in (1, 2)
        ]
        consents = [
            service.add_document(
                setup,
                SYSTEM,
                asset_id=asset.id,
                filename=f"同意书{i}.pdf",
                content_type="application/pdf",
                content=b"%PDF",
                kind="pledge_consent",
            ).id
            for i in (1, 2)
        ]
        setup.commit()
        asset_id = asset.id
    outcome: dict[str, str] = {}
    first, second = factory(), factory()
    try:
        service.pledge_asset(
            first,
            bank,
            pledge_in=PledgeCreate(
                asset_id=asset_id, loan_id=loans[0], amount_fen=1000, consent_document_id=consents[0]
            ),
        )

        def pledge_again() -> None:
            try:
                service.pledge_asset(
                    second,
                    bank,
                    pledge_in=PledgeCreate(
                        asset_id=asset_id, loan_id=loans[1], amount_fen=1000, consent_document_id=consents[1]
                    ),
                )
                second.commit()
                outcome["second"] = "stored"
            except Conflict:
                second.rollback()
                outcome["second"] = "conflict"

        thread = threading.Thread(target=pledge_again)
        thread.start()
        time.sleep(0.3)
        first.commit()
        thread.join(timeout=30)
        assert outcome["second"] == "conflict"
        with factory() as check:
            active = check.scalars(select(Pledge).where(Pledge.asset_id == asset_id, Pledge.status == "active")).all()
            assert [p.loan_id for p in active] == [loans[0]]
    finally:
        first.close()
        second.close()
        with factory() as cleanup:
            cleanup.execute(delete(Pledge).where(Pledge.asset_id == asset_id))
            cleanup.execute(delete(Document).where(Document.asset_id == asset_id))
            cleanup.execute(delete(Valuation).where(Valuation.asset_id == asset_id))
            cleanup.execute(delete(Certificate).where(Certificate.asset_id == asset_id))
            cleanup.execute(delete(Asset).where(Asset.id == asset_id))
            cleanup.execute(delete(Loan).where(Loan.id.in_(loans)))
            cleanup.execute(delete(Organisation).where(Organisation.code == f"b{tag}"))  # later tests count banks
            cleanup.commit()
