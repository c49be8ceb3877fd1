"""Farms grant and revoke consent themselves; staff never grant or revoke it for a borrower.

A farm held under a USCC acts through the ``enterprise`` organisation with that USCC; a farm
held by a person through the organisation ``farm-<id>``. Both grant without naming the farm
(it is the only borrower they act for) and revoke; admin and regulator are refused (403):
consent is the borrower's act, and the CLI's ``--as-borrower`` is the operator's route.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from greenfin.agriculture import service as agriculture
from greenfin.agriculture.schemas import FarmCreate
from greenfin.auth import repository as auth_repository
from greenfin.auth.models import Consent
from greenfin.auth.service import authenticate
from greenfin.finance.demo import FARM_USERNAME, add_finance_demo
from greenfin.settings import Settings
from tests.conftest import bearer, make_organisation, make_user
from tests.finance.test_reports import ADMIN, _request, setup_farm


def _expiry(days: int = 30) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def test_a_uscc_farm_grants_and_revokes_without_naming_itself(client: TestClient, session: Session) -> None:
    ctx = setup_farm(session, client)
    headers = ctx["headers"]
    response = client.post(
        "/api/v1/finance/consents",
        json={"bank_code": ctx["bank"], "expires_at": _expiry()},
        headers=headers["farm"],  # type: ignore[index]
    )
    assert response.status_code == 201, response.text
    consent = response.json()
    assert (consent["borrower_kind"], consent["borrower_ref"], consent["status"]) == ("farm", ctx["farm_id"], "active")
    assert _request(client, ctx).status_code == 201
    revoked = client.post(f"/api/v1/finance/consents/{consent['id']}/revoke", headers=headers["farm"])  # type: ignore[index]
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert _request(client, ctx).status_code == 403


def test_a_farm_held_by_a_person_acts_through_farm_id(client: TestClient, session: Session) -> None:
    settings = client.app.state.settings  # type: ignore[attr-defined]
    farm = agriculture.register_farm(
        session,
        ADMIN,
        farm_in=FarmCreate(
            farm_type="grain_grower",
            name="柯城王某家庭农场",
            holder_id_number="330802199001011232",
            county_code="330802",
            township="石室乡",
            area_mu=300,
            open_account=True,
        ),
        secret_key=settings.secret_key,
    )
    assert farm.organisation_code == f"farm-{farm.id}"
    holder = make_organisation(session, kind="enterprise", code=farm.organisation_code, name=farm.name)
    bank = make_organisation(session, kind="bank", code="bank-held-farm", name="测试银行")
    farmer = bearer(session, settings, make_user(session, "held-farmer", "enterprise", holder))
    response = client.post(
        "/api/v1/finance/consents", json={"bank_code": bank.code, "expires_at": _expiry()}, headers=farmer
    )
    assert response.status_code == 201, response.text
    consent = response.json()
    assert (consent["borrower_kind"], consent["borrower_ref"]) == ("farm", farm.id)
    listed = client.get("/api/v1/finance/consents", headers=farmer).json()
    assert [c["id"] for c in listed] == [consent["id"]]
    # Naming the farm works the same; naming someone else's farm is refused.
    named = client.post(
        "/api/v1/finance/consents",
        json={"bank_code": bank.code, "farm_ref": farm.id, "expires_at": _expiry()},
        headers=farmer,
    )
    assert named.status_code == 201 and named.json()["borrower_ref"] == farm.id
    revoked = client.post(f"/api/v1/finance/consents/{consent['id']}/revoke", headers=farmer)
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"


def test_staff_cannot_grant_or_revoke_for_a_borrower(client: TestClient, session: Session) -> None:
    ctx = setup_farm(session, client)
    settings = client.app.state.settings  # type: ignore[attr-defined]
    grant = client.post(
        "/api/v1/finance/consents",
        json={"bank_code": ctx["bank"], "expires_at": _expiry()},
        headers=ctx["headers"]["farm"],  # type: ignore[index]
    ).json()
    for role in ("admin", "regulator"):
        staff = bearer(session, settings, make_user(session, f"staff-{role}", role))
        response = client.post(
            "/api/v1/finance/consents",
            json={"bank_code": ctx["bank"], "farm_ref": ctx["farm_id"], "expires_at": _expiry()},
            headers=staff,
        )
        assert response.status_code == 403, response.text
        assert "only the borrower may grant" in response.json()["detail"]
        response = client.post(f"/api/v1/finance/consents/{grant['id']}/revoke", headers=staff)
        assert response.status_code == 403 and "only the borrower may revoke" in response.json()["detail"]
    assert session.get(Consent, grant["id"]).revoked_at is None  # type: ignore[union-attr]


def test_demo_farm_login_acts_for_the_consenting_pig_farm(session: Session, settings: Settings) -> None:
    from greenfin.agriculture.demo import add_agriculture_demo

    bank = make_organisation(session, kind="bank", code="bank-demo", name="衢州农商银行")
    make_user(session, "bank", "bank", bank)
    add_agriculture_demo(session, seed=4, secret_key=settings.secret_key)
    consents = add_finance_demo(session, seed=4, settings=settings)
    farm_consent = next(c for c in consents if c.subject_kind == "farm")
    user = auth_repository.user_by_username(session, FARM_USERNAME)
    assert user is not None and user.role == "enterprise"
    assert authenticate(session, settings, username=FARM_USERNAME, password="greenfin-demo") == user
    organisation = auth_repository.organisation_by_id(session, user.organisation_id)  # type: ignore[arg-type]
    assert organisation is not None and organisation.kind == "enterprise"
    assert organisation.code == farm_consent.subject_code
    assert farm_consent.granted_by == "user:farm"


def test_no_demo_farm_login_in_production(session: Session, settings: Settings) -> None:
    from greenfin.agriculture.demo import add_agriculture_demo

    bank = make_organisation(session, kind="bank", code="bank-demo", name="衢州农商银行")
    make_user(session, "bank", "bank", bank)
    add_agriculture_demo(session, seed=4, secret_key=settings.secret_key)
    production = settings.model_copy(update={"environment": "production"})
    consents = add_finance_demo(session, seed=4, settings=production)
    assert any(c.subject_kind == "farm" for c in consents)
    assert auth_repository.user_by_username(session, FARM_USERNAME) is None


def test_unknown_borrowers_are_refused_alike_and_tenancy_is_one_sentence(client: TestClient, session: Session) -> None:
    ctx = setup_farm(session, client)
    headers = ctx["headers"]
    for kind, ref in (("farm", "no-such-farm"), ("enterprise", "91330800MA2UNKNOWN")):
        for path in ("/api/v1/finance/terms", "/api/v1/finance/reports"):
            body = {"borrower": {"kind": kind, "ref": ref}, "base_offer": {"rate_bp": 435, "amount_fen": 100}}
            response = client.post(path, json=body, headers=headers["bank"])  # type: ignore[index]
            assert response.status_code == 403, (path, kind, response.text)
            assert response.json()["detail"] == "the borrower has not granted your bank access to its carbon data"
    # The farm's organisation asking about another enterprise: the tenancy sentence.
    other = {
        "borrower": {"kind": "enterprise", "ref": "91330800MA2UNKNOWN"},
        "base_offer": {"rate_bp": 435, "amount_fen": 100},
    }
    for path, what in (("/api/v1/finance/terms", "terms"), ("/api/v1/finance/reports", "carbon credit reports")):
        response = client.post(path, json=other, headers=headers["farm"])  # type: ignore[index]
        assert response.status_code == 403
        assert response.json()["detail"] == f"you may only request {what} of the enterprise or farm you act for"


def test_base_offer_is_bounded(client: TestClient, session: Session) -> None:
    ctx = setup_farm(session, client)
    borrower = {"kind": "farm", "ref": ctx["farm_id"]}
    for offer in (
        {"rate_bp": 10_001, "amount_fen": 100},
        {"rate_bp": 435, "amount_fen": 10**14 + 1},
        {"rate_bp": 435, "amount_fen": 100, "guarantee_fee_bp": 10_001},
        {"rate_bp": 435, "amount_fen": 100, "term_months": 601},
    ):
        response = client.post(
            "/api/v1/finance/terms",
            json={"borrower": borrower, "base_offer": offer},
            headers=ctx["headers"]["farm"],  # type: ignore[index]
        )
        assert response.status_code == 422, offer
    at_bounds = {"rate_bp": 10_000, "amount_fen": 10**14, "guarantee_fee_bp": 10_000}
    response = client.post(
        "/api/v1/finance/terms",
        json={"borrower": borrower, "base_offer": at_bounds},
        headers=ctx["headers"]["farm"],  # type: ignore[index]
    )
    assert response.status_code == 200, response.text
