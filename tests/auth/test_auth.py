"""Authentication, tenancy, throttling, audit and problem+json over HTTP."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from greenfin.auth import service as auth
from greenfin.auth.models import ApiKey, AuditEvent, User
from greenfin.settings import Settings
from tests.conftest import PASSWORD, make_organisation, make_user


def test_password_login_returns_a_bearer_token_for_me(client: TestClient, session: Session) -> None:
    bank = make_organisation(session, kind="bank", code="B001", name="衢州银行")
    make_user(session, "teller", "bank", bank)
    session.commit()
    response = client.post("/api/v1/auth/token", data={"username": "teller", "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["access_token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["username"] == "teller"
    assert me["role"] == "bank"
    assert me["organisation"]["code"] == "B001"


def test_wrong_password_is_a_problem_document(client: TestClient, session: Session) -> None:
    make_user(session, "alice", "regulator")
    session.commit()
    response = client.post("/api/v1/auth/token", data={"username": "alice", "password": "nope-nope-nope"})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 401
    assert body["detail"] == "wrong username or password"


def test_unknown_user_and_wrong_password_answer_alike(client: TestClient, session: Session) -> None:
    make_user(session, "bob", "regulator")
    session.commit()
    unknown = client.post("/api/v1/auth/token", data={"username": "nobody", "password": "whatever1"})
    wrong = client.post("/api/v1/auth/token", data={"username": "bob", "password": "whatever1"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json()["detail"] == wrong.json()["detail"]


def test_repeated_failed_logins_are_throttled(client: TestClient, session: Session, settings: Settings) -> None:
    make_user(session, "carol", "regulator")
    session.commit()
    for _ in range(settings.login_max_failures):
        assert client.post("/api/v1/auth/token", data={"username": "carol", "password": "bad-guess"}).status_code == 401
    # Even the right password is refused while the window lasts.
    response = client.post("/api/v1/auth/token", data={"username": "carol", "password": PASSWORD})
    assert response.status_code == 429
    assert "too many failed logins" in response.json()["detail"]


def test_requests_without_credentials_are_refused(client: TestClient) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer forged"}).status_code == 401


def test_revoked_token_no_longer_works(client: TestClient, session: Session, settings: Settings) -> None:
    user = make_user(session, "dave", "regulator")
    secret, _ = auth.issue_token(session, settings, user)
    session.commit()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    auth.revoke_token(session, secret)
    session.commit()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_api_key_acts_for_its_organisation(client: TestClient, session: Session, headers_for) -> None:  # type: ignore[no-untyped-def]
    bank = make_organisation(session, kind="bank", code="B002")
    admin = headers_for("admin")
    response = client.post(
        "/api/v1/auth/api-keys", json={"organisation_code": "B002", "name": "payments"}, headers=admin
    )
    assert response.status_code == 201
    key = response.json()["key"]
    me = client.get("/api/v1/me", headers={"X-API-Key": key}).json()
    assert me["role"] == "data_source"
    assert me["organisation"]["id"] == bank.id
    tampered = key[:-2] + ("aa" if not key.endswith("aa") else "bb")
    assert client.get("/api/v1/me", headers={"X-API-Key": tampered}).status_code == 401


def test_only_admins_issue_api_keys(client: TestClient, session: Session, headers_for) -> None:  # type: ignore[no-untyped-def]
    make_organisation(session, kind="bank", code="B003")
    response = client.post(
        "/api/v1/auth/api-keys", json={"organisation_code": "B003", "name": "x"}, headers=headers_for("bank")
    )
    assert response.status_code == 403


def test_every_write_is_audited_with_before_and_after(session: Session) -> None:
    session.info["actor"] = auth.Principal(actor="user:root", role="admin")
    user = make_user(session, "erin", "regulator")
    user.display_name = "Erin Chen"
    session.flush()
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == User.__tablename__, AuditEvent.entity_id == user.id)
        .order_by(AuditEvent.at)
    ).all()
    assert [event.action for event in events] == ["create", "update"]
    assert events[1].before == {"display_name": "erin"}
    assert events[1].after == {"display_name": "Erin Chen"}
    assert events[1].actor == "user:root"
    assert all("password_hash" not in (event.after or {}) for event in events)


def test_audit_log_is_scoped_to_the_reader(client: TestClient, session: Session, headers_for) -> None:  # type: ignore[no-untyped-def]
    bank = make_organisation(session, kind="bank", code="B004")
    bank_headers = headers_for("bank", bank)
    other = make_organisation(session, kind="bank", code="B005")
    headers_for("bank", other)  # another bank's login is audited under that bank
    staff = client.get("/api/v1/audit", headers=headers_for("regulator")).json()
    own = client.get("/api/v1/audit", headers=bank_headers).json()
    assert own["total"] >= 1  # its own login
    assert staff["total"] > own["total"]
    assert {item["organisation_id"] for item in own["items"]} == {bank.id}


def test_health_and_openapi(client: TestClient) -> None:
    assert client.get("/health").json()["status"] == "ok"
    spec = client.get("/openapi.json").json()
    assert "/api/v1/auth/token" in spec["paths"]


def test_short_passwords_are_refused(session: Session) -> None:
    import pytest

    from greenfin.errors import InvalidInput

    with pytest.raises(InvalidInput, match="at least 8"):
        make_user_with = auth.create_user
        make_user_with(session, username="frank", password="short", role="regulator")


def test_an_overlong_username_is_a_plain_401(client: TestClient) -> None:
    response = client.post("/api/v1/auth/token", data={"username": "x" * 500, "password": "whatever1"})
    assert response.status_code == 401


def test_unsafe_defaults_are_refused_outside_demo_and_test() -> None:
    import pytest
    from pydantic import ValidationError

    from greenfin.settings import DEFAULT_SECRET

    with pytest.raises(ValidationError, match="GREENFIN_SECRET_KEY"):
        Settings(environment="dev", secret_key=DEFAULT_SECRET)
    strong = "pV7c0Qz-K2mXw9RtLb4Ns8JfYh3GdUe6AqZo1Ti5"  # a generated key (issue 16: "s3cret-" * 6 is refused)
    with pytest.raises(ValidationError, match="GREENFIN_COOKIE_SECURE"):
        Settings(environment="production", secret_key=strong, cookie_secure=False, signing_key_file="k.pem")
    assert Settings(
        environment="production", secret_key=strong, cookie_secure=True, signing_key_file="k.pem"
    ).cookie_secure


def test_malformed_json_is_answered_with_a_sentence(client: TestClient, headers_for) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        "/api/v1/carbon/calculations",
        content=b'{"year": 2023, "items": [',
        headers={**headers_for("regulator"), "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"].startswith("the request body is not valid JSON")


def test_a_cached_api_key_never_answers_for_another_secret_and_forgetting_revokes_at_once(
    client: TestClient, session: Session, headers_for
) -> None:  # type: ignore[no-untyped-def]
    make_organisation(session, kind="bank", code="B006")
    key = client.post(
        "/api/v1/auth/api-keys", json={"organisation_code": "B006", "name": "pay"}, headers=headers_for("admin")
    ).json()["key"]
    assert client.get("/api/v1/me", headers={"X-API-Key": key}).status_code == 200  # now cached
    prefix = key.split("_")[1]
    same_prefix_other_secret = f"gf_{prefix}_{'x' * 43}"
    assert client.get("/api/v1/me", headers={"X-API-Key": same_prefix_other_secret}).status_code == 401
    assert client.delete(f"/api/v1/auth/api-keys/{prefix}", headers=headers_for("bank")).status_code == 403
    assert client.delete(f"/api/v1/auth/api-keys/{prefix}", headers=headers_for("admin")).status_code == 204
    assert session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).one().revoked_at is not None
    assert client.get("/api/v1/me", headers={"X-API-Key": key}).status_code == 401  # at once in this process
