"""The financing platform over HTTP, on SQLite and PostgreSQL: the contract, the refusals."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from greenfin.auth.models import AuditEvent
from greenfin.market import service
from tests.conftest import make_organisation

USCC = "91330802MA2XXXXX1A"
PRODUCT = {
    "name": "绿色经营贷",
    "min_amount_fen": 10_000_000,
    "max_amount_fen": 500_000_000,
    "min_term_months": 6,
    "max_term_months": 36,
    "eligible_labels": None,
    "borrower_kinds": ["enterprise", "farm"],
    "counties": None,
    "rate_spread_bp": 50,
}


def _world(session: Session, headers_for: Any) -> dict[str, Any]:
    bank = make_organisation(session, kind="bank", code="qz_bank", name="衢州银行")
    other = make_organisation(session, kind="bank", code="other_bank", name="他行")
    firm = make_organisation(session, kind="enterprise", code=USCC, name="衢州测试纸业")
    rival = make_organisation(session, kind="enterprise", code="91330802MA2YYYYY2B", name="对照企业")
    return {
        "bank": headers_for("bank", bank),
        "other": headers_for("bank", other),
        "firm": headers_for("enterprise", firm),
        "rival": headers_for("enterprise", rival),
        "regulator": headers_for("regulator"),
    }


def _published(client: TestClient, h: dict[str, str], **changes: Any) -> str:
    response = client.post("/api/v1/market/products", json={**PRODUCT, **changes}, headers=h)
    assert response.status_code == 201, response.text
    product_id = response.json()["id"]
    assert client.post(f"/api/v1/market/products/{product_id}/publish", headers=h).status_code == 200
    return str(product_id)


def _need(client: TestClient, h: dict[str, str], **changes: Any) -> str:
    body = {"amount_fen": 100_000_000, "term_months": 12, "purpose": "购置节能设备", **changes}
    response = client.post("/api/v1/market/needs", json=body, headers=h)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _applied(client: TestClient, session: Session, headers_for: Any) -> tuple[dict[str, Any], str, str]:
    """The world, with the firm's need applied for at qz_bank: (world, need id, application id)."""
    w = _world(session, headers_for)
    product_id = _published(client, w["bank"])
    need_id = _need(client, w["firm"])
    body = {"need_id": need_id, "product_id": product_id}
    app_id = client.post("/api/v1/market/applications", json=body, headers=w["firm"]).json()["id"]
    return w, need_id, str(app_id)


def test_the_contract_end_to_end(client: TestClient, session: Session, headers_for: Any) -> None:
    w = _world(session, headers_for)
    product_id = _published(client, w["bank"])
    _published(client, w["other"], rate_spread_bp=150)
    _published(client, w["other"], min_amount_fen=200_000_000)  # 100万 need is below its range: excluded
    need_id = _need(client, w["firm"])

    matches = client.get(f"/api/v1/market/needs/{need_id}/matches", headers=w["firm"]).json()["items"]
    # Two eligible products; LPR 300 bp (2025-05-20): rate points 500 − 2×50 = 400 and 500 − 2×150 = 200;
    # amount 200 × 1e8 ÷ 5e8 = 40; term 100 × 12 ÷ 36 = 33; no record yet 100 → 573 and 373.
    assert [(m["bank_code"], m["score"]) for m in matches] == [("qz_bank", 573), ("other_bank", 373)]
    assert matches[0]["product_id"] == product_id and matches[0]["bank_name"] == "衢州银行"
    assert "挂牌利率 3.50%" in " ".join(matches[0]["reasons"])
    english = client.get(f"/api/v1/market/needs/{need_id}/matches?lang=en", headers=w["firm"]).json()["items"]
    assert "listed rate 3.50 %" in " ".join(english[0]["reasons"])

    created = client.post(
        "/api/v1/market/applications", json={"need_id": need_id, "product_id": product_id}, headers=w["firm"]
    )
    assert created.status_code == 201, created.text
    application = created.json()
    assert application["state"] == "submitted" and application["quoted_rate_bp"] == 350
    app_id = application["id"]
    # applying granted the bank consent to the borrower's carbon data, in the same step
    consents = client.get("/api/v1/finance/consents", headers=w["bank"]).json()
    assert [c["borrower_ref"] for c in consents] == [USCC]

    # the other bank never sees it
    assert client.get(f"/api/v1/market/applications/{app_id}", headers=w["other"]).status_code == 404
    assert client.get("/api/v1/market/applications", headers=w["other"]).json()["total"] == 0
    refused = client.post(
        f"/api/v1/market/applications/{app_id}/decision", json={"decision": "accept"}, headers=w["other"]
    )
    assert refused.status_code == 404

    for body in ({"decision": "accept"}, {"decision": "approve", "rate_bp": 340}):
        response = client.post(f"/api/v1/market/applications/{app_id}/decision", json=body, headers=w["bank"])
        assert response.status_code == 200, response.text
    loan = client.post(f"/api/v1/market/applications/{app_id}/disburse", json={"loan_no": "L-1"}, headers=w["bank"])
    assert loan.status_code == 201, loan.text
    assert loan.json()["rate_bp"] == 340 and loan.json()["amount_fen"] == 100_000_000

    after = client.post(
        f"/api/v1/market/applications/{app_id}/decision",
        json={"decision": "decline", "reason": "other"},
        headers=w["bank"],
    )
    assert after.status_code == 409

    audited = session.scalars(
        select(AuditEvent.after)
        .where(AuditEvent.entity_type == "market_application", AuditEvent.entity_id == app_id)
        .order_by(AuditEvent.at)
    ).all()
    assert [a["state"] for a in audited if "state" in a] == ["submitted", "accepted", "approved", "disbursed"]
    timeline = client.get(f"/api/v1/market/applications/{app_id}", headers=w["firm"]).json()
    assert [e["action"] for e in timeline["events"]] == ["submit", "accept", "approve", "disburse"]
    assert timeline["loan_id"] == loan.json()["id"]

    loans = client.get(f"/api/v1/loans?borrower={USCC}", headers=w["regulator"]).json()
    assert [item["loan_no"] for item in loans["items"]] == ["L-1"]
    assert client.get(f"/api/v1/loans?borrower={USCC}", headers=w["other"]).json()["total"] == 0
    assert client.get(f"/api/v1/loans?borrower={USCC}", headers=w["rival"]).status_code == 403


def test_bounds_name_the_field(client: TestClient, session: Session, headers_for: Any) -> None:
    w = _world(session, headers_for)
    bad = client.post("/api/v1/market/products", json={**PRODUCT, "max_amount_fen": -1}, headers=w["bank"])
    assert bad.status_code == 422 and "max_amount_fen" in bad.json()["detail"]
    bad = client.post("/api/v1/market/products", json={**PRODUCT, "rate_spread_bp": 99_999}, headers=w["bank"])
    assert bad.status_code == 422 and "rate_spread_bp" in bad.json()["detail"]
    bad = client.post(
        "/api/v1/market/needs", json={"amount_fen": 100, "term_months": 999, "purpose": "x"}, headers=w["firm"]
    )
    assert bad.status_code == 422 and "term_months" in bad.json()["detail"]
    bad = client.post(
        "/api/v1/market/needs", json={"amount_fen": 0, "term_months": 12, "purpose": "x"}, headers=w["firm"]
    )
    assert bad.status_code == 422 and "amount_fen" in bad.json()["detail"]


def test_roles_and_tenancy(client: TestClient, session: Session, headers_for: Any) -> None:
    w = _world(session, headers_for)
    # only a bank writes products; only a borrower writes needs
    assert client.post("/api/v1/market/products", json=PRODUCT, headers=w["firm"]).status_code == 403
    assert (
        client.post(
            "/api/v1/market/needs", json={"amount_fen": 1, "term_months": 1, "purpose": "x"}, headers=w["bank"]
        ).status_code
        == 403
    )
    product_id = _published(client, w["bank"])
    # another bank cannot publish or withdraw it
    assert client.post(f"/api/v1/market/products/{product_id}/withdraw", headers=w["other"]).status_code == 404
    need_id = _need(client, w["firm"])
    # another enterprise cannot see the need's matches nor apply with it
    assert client.get(f"/api/v1/market/needs/{need_id}/matches", headers=w["rival"]).status_code == 404
    body = {"need_id": need_id, "product_id": product_id}
    assert client.post("/api/v1/market/applications", json=body, headers=w["rival"]).status_code == 404
    # a bank reads the need only after the borrower applied to it (consent)
    assert client.get(f"/api/v1/market/needs/{need_id}", headers=w["bank"]).status_code == 403
    served = client.get("/api/v1/market/needs/matching", headers=w["bank"]).json()["items"]
    assert [s["need"]["id"] for s in served] == [need_id] and served[0]["need"]["borrower_code"] is None
    assert client.post("/api/v1/market/applications", json=body, headers=w["firm"]).status_code == 201
    assert client.post("/api/v1/market/applications", json=body, headers=w["firm"]).status_code == 409
    assert client.get(f"/api/v1/market/needs/{need_id}", headers=w["bank"]).json()["borrower_code"] == USCC
    # the regulator reads all applications but decides none
    listed = client.get("/api/v1/market/applications", headers=w["regulator"]).json()
    assert listed["total"] == 1
    app_id = listed["items"][0]["id"]
    assert (
        client.post(
            f"/api/v1/market/applications/{app_id}/decision", json={"decision": "accept"}, headers=w["regulator"]
        ).status_code
        == 403
    )


def test_excluded_product_is_a_reason_not_an_error(client: TestClient, session: Session, headers_for: Any) -> None:
    w = _world(session, headers_for)
    product_id = _published(client, w["bank"], eligible_labels=["dark_green"])
    need_id = _need(client, w["firm"])  # the firm has no industrial label
    assert client.get(f"/api/v1/market/needs/{need_id}/matches", headers=w["firm"]).json()["items"] == []
    response = client.post(
        "/api/v1/market/applications", json={"need_id": need_id, "product_id": product_id}, headers=w["firm"]
    )
    assert response.status_code == 422
    assert "工业碳账户标识不符合准入" in response.json()["detail"]


def test_decline_needs_a_reason_and_is_terminal(client: TestClient, session: Session, headers_for: Any) -> None:
    w = _world(session, headers_for)
    product_id = _published(client, w["bank"])
    need_id = _need(client, w["firm"])
    app_id = client.post(
        "/api/v1/market/applications", json={"need_id": need_id, "product_id": product_id}, headers=w["firm"]
    ).json()["id"]
    url = f"/api/v1/market/applications/{app_id}/decision"
    assert client.post(url, json={"decision": "decline"}, headers=w["bank"]).status_code == 422
    declined = client.post(
        url, json={"decision": "decline", "reason": "credit_record", "note": "逾期记录"}, headers=w["bank"]
    )
    assert declined.status_code == 200 and declined.json()["decline_reason"] == "credit_record"
    assert client.post(url, json={"decision": "approve"}, headers=w["bank"]).status_code == 409
    assert client.post(f"/api/v1/market/applications/{app_id}/disburse", headers=w["bank"]).status_code == 409


def test_product_versions_are_kept(client: TestClient, session: Session, headers_for: Any) -> None:
    w = _world(session, headers_for)
    first = _published(client, w["bank"])
    edited = client.put(f"/api/v1/market/products/{first}", json={**PRODUCT, "rate_spread_bp": 20}, headers=w["bank"])
    assert edited.status_code == 200 and edited.json()["version"] == 2 and edited.json()["status"] == "draft"
    second = edited.json()["id"]
    assert client.post(f"/api/v1/market/products/{second}/publish", headers=w["bank"]).json()["status"] == "published"
    mine = client.get("/api/v1/market/products?mine=true", headers=w["bank"]).json()["items"]
    assert [(p["version"], p["status"]) for p in mine] == [(1, "superseded"), (2, "published")]
    shelf = client.get("/api/v1/market/products", headers=w["firm"]).json()["items"]
    assert [p["id"] for p in shelf] == [second] and shelf[0]["rate_bp"] == service.lpr_bp() + 20


def test_the_bank_list_follows_needs_and_products(client: TestClient, session: Session, headers_for: Any) -> None:
    w = _world(session, headers_for)
    product_id = _published(client, w["bank"], eligible_labels=None)

    def served() -> list[str]:
        items = client.get("/api/v1/market/needs/matching", headers=w["bank"]).json()["items"]
        return [s["need"]["id"] for s in items]

    first, second = _need(client, w["firm"]), _need(client, w["firm"], amount_fen=200_000_000)
    assert served() == [second, first]  # newest first
    assert client.get("/api/v1/market/needs/matching", headers=w["other"]).json()["items"] == []
    # an edit out of the product's range drops it; withdrawing drops it
    assert (
        client.patch(f"/api/v1/market/needs/{second}", json={"amount_fen": 900_000_000}, headers=w["firm"]).status_code
        == 200
    )
    assert served() == [first]
    assert client.post(f"/api/v1/market/needs/{first}/withdraw", headers=w["firm"]).status_code == 200
    assert served() == []
    third = _need(client, w["firm"])
    assert served() == [third]
    assert client.post(f"/api/v1/market/products/{product_id}/withdraw", headers=w["bank"]).status_code == 200
    assert served() == []
    # the other bank publishes later: existing open needs show up at once
    _published(client, w["other"])
    assert [
        s["need"]["id"] for s in client.get("/api/v1/market/needs/matching", headers=w["other"]).json()["items"]
    ] == [third]


def test_a_revoked_consent_closes_the_application_to_the_bank(
    client: TestClient, session: Session, headers_for: Any
) -> None:
    w, need_id, app_id = _applied(client, session, headers_for)
    assert client.get(f"/api/v1/market/applications/{app_id}", headers=w["bank"]).status_code == 200
    consent_id = client.get("/api/v1/finance/consents", headers=w["firm"]).json()[0]["id"]
    assert client.post(f"/api/v1/finance/consents/{consent_id}/revoke", headers=w["firm"]).status_code == 200
    refused = client.get(f"/api/v1/market/applications/{app_id}", headers=w["bank"])
    assert refused.status_code == 403 and "revoked" in refused.json()["detail"]
    assert client.get(f"/api/v1/market/needs/{need_id}", headers=w["bank"]).status_code == 403
    # the borrower still sees it, with its timeline
    assert client.get(f"/api/v1/market/applications/{app_id}", headers=w["firm"]).json()["state"] == "submitted"
    # the bank's list keeps the row (its own record) but not the borrower's identity or purpose
    (row,) = client.get("/api/v1/market/applications", headers=w["bank"]).json()["items"]
    assert row["id"] == app_id and row["data_closed"] is True
    assert row["borrower_code"] is None and row["borrower_name"] is None and row["purpose"] is None


def test_lists_name_the_borrower_the_product_and_the_bank(
    client: TestClient, session: Session, headers_for: Any
) -> None:
    w, _, app_id = _applied(client, session, headers_for)
    second_need = _need(client, w["firm"], amount_fen=300_000_000)
    product_id = client.get(f"/api/v1/market/applications/{app_id}", headers=w["firm"]).json()["product_id"]
    body = {"need_id": second_need, "product_id": product_id}
    second = client.post("/api/v1/market/applications", json=body, headers=w["firm"]).json()["id"]
    (bank_view, _) = client.get("/api/v1/market/applications?sort=amount", headers=w["bank"]).json()["items"]
    assert bank_view["id"] == second  # the larger first (descending by default)
    assert (bank_view["borrower_name"], bank_view["borrower_code"]) == ("衢州测试纸业", USCC)
    assert bank_view["product_name"] == PRODUCT["name"] and bank_view["purpose"] == "购置节能设备"
    assert bank_view["data_closed"] is False
    ascending = client.get("/api/v1/market/applications?sort=amount&descending=false", headers=w["firm"]).json()
    assert [a["id"] for a in ascending["items"]] == [app_id, second]
    assert ascending["items"][0]["institution_name"] == "衢州银行"
    assert client.get("/api/v1/market/applications?sort=borrower_code", headers=w["bank"]).status_code == 422
    assert client.get("/api/v1/market/applications", headers=w["other"]).json()["items"] == []


def test_policies_and_subsidies_over_http(client: TestClient, session: Session, headers_for: Any) -> None:
    w = _world(session, headers_for)
    policy = {
        "title": "绿色贷款贴息",
        "valid_from": "2025-01-01",
        "valid_to": "2025-12-31",
        "subsidy_rate_bp": 100,
        "budget_fen": 1_500_000,
    }
    assert client.post("/api/v1/market/policies", json=policy, headers=w["bank"]).status_code == 403
    policy_id = client.post("/api/v1/market/policies", json=policy, headers=w["regulator"]).json()["id"]
    loan = {
        "loan_no": "OFF-1",
        "borrower_code": USCC,
        "borrower_name": "衢州测试纸业",
        "amount_fen": 100_000_000,
        "rate_bp": 345,
        "term_months": 12,
        "start_date": "2025-03-01",
        "green_use": "3",
    }
    loan_id = client.post("/api/v1/loans", json=loan, headers=w["bank"]).json()["id"]
    assert client.post("/api/v1/loans", json=loan, headers=w["bank"]).status_code == 409
    grey = client.post("/api/v1/loans", json={**loan, "loan_no": "OFF-2", "green_use": None}, headers=w["bank"])
    body = {"policy_id": policy_id, "loan_id": loan_id}
    assert client.post("/api/v1/market/subsidies", json=body, headers=w["rival"]).status_code == 404
    subsidy = client.post("/api/v1/market/subsidies", json=body, headers=w["firm"]).json()
    assert subsidy["amount_fen"] == 1_000_000  # 100万元 × 1 % × 12/12 = 1万元
    refused = client.post(
        "/api/v1/market/subsidies", json={"policy_id": policy_id, "loan_id": grey.json()["id"]}, headers=w["firm"]
    )
    assert refused.status_code == 422 and "green" in refused.json()["detail"]
    # the list: the regulator (who reviews) sees it by name, the borrower and the lending bank theirs, others none
    (listed,) = client.get("/api/v1/market/subsidies?status=applied", headers=w["regulator"]).json()["items"]
    assert (listed["id"], listed["borrower_name"], listed["bank_name"]) == (subsidy["id"], "衢州测试纸业", "衢州银行")
    assert (listed["policy_title"], listed["loan_no"], listed["loan_amount_fen"]) == (
        "绿色贷款贴息",
        "OFF-1",
        100_000_000,
    )
    assert [i["id"] for i in client.get("/api/v1/market/subsidies", headers=w["firm"]).json()["items"]] == [
        subsidy["id"]
    ]
    assert len(client.get("/api/v1/market/subsidies", headers=w["bank"]).json()["items"]) == 1
    assert client.get("/api/v1/market/subsidies", headers=w["rival"]).json()["items"] == []
    assert client.get("/api/v1/market/subsidies", headers=w["other"]).json()["items"] == []
    assert client.get("/api/v1/market/subsidies?status=paid", headers=w["regulator"]).json()["items"] == []
    assert client.get("/api/v1/market/subsidies?status=lost", headers=w["regulator"]).status_code == 422
    url = f"/api/v1/market/subsidies/{subsidy['id']}/review"
    assert client.post(url, json={"decision": "approve"}, headers=w["firm"]).status_code == 403
    assert client.post(url, json={"decision": "approve"}, headers=w["regulator"]).json()["status"] == "approved"
    assert client.post(url, json={"decision": "pay"}, headers=w["regulator"]).json()["paid_fen"] == 1_000_000
    [shown] = client.get("/api/v1/market/policies", headers=w["firm"]).json()
    assert (shown["committed_fen"], shown["paid_fen"]) == (1_000_000, 1_000_000)
    board = client.get("/api/v1/market/dashboard", headers=w["regulator"]).json()
    assert board["policies"][0]["paid_fen"] == 1_000_000
    assert client.get("/api/v1/market/dashboard", headers=w["bank"]).status_code == 403


def test_applying_grants_two_consents_in_auths_one_model(
    client: TestClient, session: Session, headers_for: Any
) -> None:
    """The application's data and the credit report, under one reference; each read logged."""
    from greenfin.auth import service as auth

    w, need_id, app_id = _applied(client, session, headers_for)
    given = auth.list_consents(session, subject_kind="enterprise", subject_ref=USCC)
    assert sorted((c.scope, c.organisation_code, c.reference) for c in given) == [
        ("application_data", "qz_bank", f"application:{app_id}"),
        ("credit_report", "qz_bank", f"application:{app_id}"),
    ]
    assert client.get(f"/api/v1/market/applications/{app_id}", headers=w["bank"]).status_code == 200
    data = next(c for c in auth.list_consents(session, subject_ref=USCC) if c.scope == "application_data")
    assert data.reads == 1  # the bank's read, logged against the consent
    # the other bank holds no consent and sees nothing
    assert client.get(f"/api/v1/market/applications/{app_id}", headers=w["other"]).status_code == 404
    assert client.get(f"/api/v1/market/needs/{need_id}", headers=w["other"]).status_code == 403


def test_an_expired_consent_closes_the_application(client: TestClient, session: Session, headers_for: Any) -> None:
    from datetime import timedelta

    from greenfin.auth.models import Consent
    from greenfin.db import utcnow

    w, _need_id, app_id = _applied(client, session, headers_for)
    for consent in session.scalars(select(Consent)):
        consent.expires_at = utcnow() - timedelta(seconds=1)
    session.flush()
    refused = client.get(f"/api/v1/market/applications/{app_id}", headers=w["bank"])
    assert refused.status_code == 403 and "expired" in refused.json()["detail"]


def test_an_institution_publishes_its_own_family(client: TestClient, session: Session, headers_for: Any) -> None:
    """A guarantor publishes guarantees, an insurer insurance, a bank green credit (the organisation's kind)."""
    guarantor = headers_for("bank", make_organisation(session, kind="guarantor", code="qz_guar", name="衢州担保"))
    bank = _world(session, headers_for)["bank"]
    refused = client.post("/api/v1/market/products", json=PRODUCT, headers=guarantor)
    assert refused.status_code == 422 and "family" in refused.text
    assert (
        client.post("/api/v1/market/products", json={**PRODUCT, "family": "guarantee"}, headers=guarantor).status_code
        == 201
    )
    assert (
        client.post("/api/v1/market/products", json={**PRODUCT, "family": "guarantee"}, headers=bank).status_code == 422
    )


def test_a_resident_borrows_on_their_personal_account(
    client: TestClient, session: Session, settings: Any, headers_for: Any
) -> None:
    """The need carries the resident's green-credit grade; applying grants the grade and the application."""
    from greenfin.auth import service as auth
    from tests.personal.conftest import ID_A, make_resident

    w = _world(session, headers_for)
    resident = make_resident(session, settings, "resident-m", ID_A)
    product_id = _published(client, w["bank"], borrower_kinds=["resident"], min_amount_fen=1_000_000)
    need_id = _need(client, resident.headers, amount_fen=5_000_000)
    need = client.get(f"/api/v1/market/needs/{need_id}", headers=resident.headers).json()
    assert need["personal_grade"] == "light_green"  # no avoided CO2 yet: the first band (min 0 g)
    body = {"need_id": need_id, "product_id": product_id}
    created = client.post("/api/v1/market/applications", json=body, headers=resident.headers)
    assert created.status_code == 201, created.text
    scopes = sorted(c.scope for c in auth.list_consents(session, subject_kind="resident", subject_ref=resident.ref))
    assert scopes == ["application_data", "personal_grade"]
    assert client.get(f"/api/v1/market/applications/{created.json()['id']}", headers=w["bank"]).status_code == 200


def test_the_balance_file_over_http_names_each_refusal_with_a_code(
    client: TestClient, session: Session, headers_for: Any
) -> None:
    w = _world(session, headers_for)
    loan = {"loan_no": "F-1", "borrower_code": USCC, "borrower_name": "衢州测试纸业", "amount_fen": 100_000_000,
            "rate_bp": 345, "term_months": 12, "start_date": "2025-03-01"}  # fmt: skip
    assert client.post("/api/v1/loans", json=loan, headers=w["bank"]).status_code == 201
    good = "借据号,月末日期,余额（分）,五级分类\nF-1,2025-03-31,90000000,正常\n".encode()
    sent = client.post("/api/v1/loans/balances/file", files={"file": ("b.csv", good)}, headers=w["bank"])
    assert sent.status_code == 200 and (sent.json()["rows"], sent.json()["inserted"]) == (1, 1)
    again = client.post("/api/v1/loans/balances/file", files={"file": ("b.csv", good)}, headers=w["bank"])
    assert again.json()["inserted"] == 0  # a replay changes nothing
    bad = b"loan_no,as_of,balance_fen,quality\nF-1,2025-04-30,200000000,normal\nZ-9,2025-04-30,1,normal\n"
    refused = client.post("/api/v1/loans/balances/file", files={"file": ("b.csv", bad)}, headers=w["bank"])
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    named = {(e["row"], e["column"], e["code"]) for e in refused.json()["errors"]}
    assert named == {(2, "balance_fen", "above_amount"), (3, "loan_no", "unknown_loan")}
    other = client.post("/api/v1/loans/balances/file", files={"file": ("b.csv", good)}, headers=w["other"])
    assert other.status_code == 422  # another bank's loan is unknown to it, nothing told of the book
    assert (
        client.post("/api/v1/loans/balances/file", files={"file": ("b.csv", good)}, headers=w["firm"]).status_code
        == 403
    )
