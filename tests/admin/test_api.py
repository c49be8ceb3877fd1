"""The administration API on both databases: who may do what, and what each action leaves behind."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from greenfin.auth import service as auth
from greenfin.auth.models import ApiKey, AuditEvent, User
from greenfin.settings import Settings
from tests.admin.conftest import make_uscc
from tests.conftest import PASSWORD, make_organisation, make_user

GOOD_PASSWORD = "lvse-jinrong-2026!"


def login(client: TestClient, username: str, password: str) -> dict[str, str]:
    answer = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


# --- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["regulator", "bank", "enterprise", "resident", "data_source"])
def test_only_admins_create_organisations_users_and_keys(
    client: TestClient,
    session: Session,
    headers_for,
    role: str,  # type: ignore[no-untyped-def]
) -> None:
    bank = make_organisation(session, kind="bank", code="QZB01")
    headers = headers_for(role, None if role in ("regulator", "resident") else bank)
    writes = [
        ("/api/v1/admin/organisations", {"kind": "bank", "code": "QZB02", "name": "另一家银行"}),
        (
            "/api/v1/admin/users",
            {"username": "newcomer", "role": "bank", "organisation_code": "QZB01", "password": GOOD_PASSWORD},
        ),
        ("/api/v1/admin/api-keys", {"organisation_code": "QZB01", "name": "payments"}),
        ("/api/v1/auth/api-keys", {"organisation_code": "QZB01", "name": "payments"}),
    ]
    for path, body in writes:
        answer = client.post(path, json=body, headers=headers)
        assert answer.status_code == 403, (path, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
    reads = ["/api/v1/admin/organisations", "/api/v1/admin/users", "/api/v1/admin/api-keys", "/api/v1/admin/audit"]
    for path in reads:
        assert client.get(path, headers=headers).status_code == (200 if role == "regulator" else 403), path
    assert client.post("/api/v1/admin/users/nobody/disable", headers=headers).status_code == 403


def test_without_credentials_everything_but_registration_is_401(client: TestClient) -> None:
    assert client.get("/api/v1/admin/users").status_code == 401
    assert client.post("/api/v1/admin/organisations", json={}).status_code in (401, 422)


# --- organisations -------------------------------------------------------------------------


def test_organisations_uscc_checked_case_insensitively_and_duplicates_refused(
    client: TestClient,
    headers_for,  # type: ignore[no-untyped-def]
) -> None:
    admin = headers_for("admin")
    uscc = make_uscc(11)
    lower = uscc.lower()
    created = client.post(
        "/api/v1/admin/organisations",
        json={"kind": "enterprise", "code": lower, "name": "衢州某水泥有限公司"},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    assert created.json()["code"] == uscc  # stored in upper case
    again = client.post(
        "/api/v1/admin/organisations", json={"kind": "enterprise", "code": uscc, "name": "重复"}, headers=admin
    )
    assert again.status_code == 422
    assert again.json()["detail"] == f"an organisation with code {uscc} exists already"
    bad = uscc[:-1] + ("0" if uscc[-1] != "0" else "1")
    refused = client.post(
        "/api/v1/admin/organisations", json={"kind": "enterprise", "code": bad, "name": "假企业"}, headers=admin
    )
    assert refused.status_code == 422
    assert "not a valid unified social credit code" in refused.json()["detail"]
    # A bank's short code is its own; an 18-character code is a USCC for any kind.
    assert (
        client.post(
            "/api/v1/admin/organisations", json={"kind": "bank", "code": "QZRCB", "name": "衢州农商银行"}, headers=admin
        ).status_code
        == 201
    )
    assert (
        client.post(
            "/api/v1/admin/organisations", json={"kind": "bank", "code": "X" * 18, "name": "某银行"}, headers=admin
        ).status_code
        == 422
    )
    listed = client.get("/api/v1/admin/organisations?kind=enterprise", headers=headers_for("regulator")).json()
    assert [o["code"] for o in listed] == [uscc]


# --- users ---------------------------------------------------------------------------------


def test_user_creation_checks_the_policy_and_the_role_against_the_organisation(
    client: TestClient,
    session: Session,
    headers_for,  # type: ignore[no-untyped-def]
) -> None:
    make_organisation(session, kind="bank", code="QZB01")
    admin = headers_for("admin")

    def create(username: str, role: str, password: str, organisation: str | None = "QZB01") -> dict:  # type: ignore[type-arg]
        body = {"username": username, "role": role, "organisation_code": organisation, "password": password}
        answer = client.post("/api/v1/admin/users", json=body, headers=admin)
        return {"status": answer.status_code, **answer.json()}

    short = create("teller", "bank", "short-pw")
    assert short["status"] == 422
    assert short["detail"].startswith("密码至少需要 10 个字符。")
    assert create("teller", "bank", "teller-2026-quzhou")["detail"].startswith("密码不能是用户名")
    common = create("teller", "bank", "Password123")
    assert common["detail"].startswith("这个密码太常见")
    assert create("teller", "enterprise", GOOD_PASSWORD)["detail"] == (
        "a enterprise user may act for an organisation of kind enterprise or farm, not for QZB01 (bank)"
    )
    made = create("teller", "bank", GOOD_PASSWORD)
    assert made["status"] == 201
    assert (made["role"], made["organisation_code"], made["is_active"]) == ("bank", "QZB01", True)
    assert create("teller", "bank", GOOD_PASSWORD)["status"] == 422  # the username is taken
    users = client.get("/api/v1/admin/users", headers=headers_for("regulator")).json()
    assert "teller" in [u["username"] for u in users]
    assert all("password" not in key for u in users for key in u)


def test_a_disabled_user_cannot_log_in_and_its_tokens_stop(
    client: TestClient,
    session: Session,
    headers_for,  # type: ignore[no-untyped-def]
) -> None:
    bank = make_organisation(session, kind="bank", code="QZB01")
    make_user(session, "teller", "bank", bank)
    session.commit()
    token = login(client, "teller", PASSWORD)
    page = client.post("/login", data={"username": "teller", "password": PASSWORD}, follow_redirects=False)
    cookie = page.cookies.get("greenfin_session")
    assert cookie
    assert client.get("/api/v1/me", headers=token).status_code == 200
    admin = headers_for("admin")
    assert client.post("/api/v1/admin/users/teller/disable", headers=admin).json()["is_active"] is False
    assert client.get("/api/v1/me", headers=token).status_code == 401
    assert client.get("/api/v1/me").status_code == 401  # the page session's cookie, still sent, is dead too
    client.cookies.clear()
    refused = client.post("/api/v1/auth/token", data={"username": "teller", "password": PASSWORD})
    assert refused.status_code == 401
    client.post("/api/v1/admin/users/teller/enable", headers=admin)
    assert client.get("/api/v1/me", headers=login(client, "teller", PASSWORD)).status_code == 200
    events = session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_type == "auth_user", AuditEvent.action.in_(["update", "revoke_tokens"])
        )
    ).all()
    disable = next(e for e in events if e.action == "update" and e.after == {"is_active": False})
    assert disable.before == {"is_active": True}
    assert disable.actor.startswith("user:admin-")
    assert next(e for e in events if e.action == "revoke_tokens").after == {"tokens_revoked": 2, "reason": "disable"}


def test_reset_password_ends_sessions_and_is_audited_without_the_hash(
    client: TestClient,
    session: Session,
    headers_for,  # type: ignore[no-untyped-def]
) -> None:
    bank = make_organisation(session, kind="bank", code="QZB01")
    user = make_user(session, "teller", "bank", bank)
    session.commit()
    old = login(client, "teller", PASSWORD)
    answer = client.post(
        "/api/v1/admin/users/teller/reset-password", json={"password": GOOD_PASSWORD}, headers=headers_for("admin")
    )
    assert answer.status_code == 200
    assert client.get("/api/v1/me", headers=old).status_code == 401
    assert client.post("/api/v1/auth/token", data={"username": "teller", "password": PASSWORD}).status_code == 401
    login(client, "teller", GOOD_PASSWORD)
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.entity_id == user.id, AuditEvent.action == "reset_password")
    ).one()
    assert event.after == {"password": "changed"}


def test_logout_and_logout_everywhere(client: TestClient, session: Session) -> None:
    make_user(session, "alice", "regulator")
    session.commit()
    first, second, third = (login(client, "alice", PASSWORD) for _ in range(3))
    assert client.post("/api/v1/auth/logout", headers=first).status_code == 204
    assert client.get("/api/v1/me", headers=first).status_code == 401
    assert client.get("/api/v1/me", headers=second).status_code == 200
    ended = client.post("/api/v1/auth/logout-all", headers=second)
    assert ended.json() == {"tokens_revoked": 2}
    assert client.get("/api/v1/me", headers=second).status_code == 401
    assert client.get("/api/v1/me", headers=third).status_code == 401


def test_everyone_changes_their_own_password(client: TestClient, session: Session) -> None:
    bank = make_organisation(session, kind="bank", code="QZB01")
    make_user(session, "teller", "bank", bank)
    session.commit()
    token = login(client, "teller", PASSWORD)
    wrong = client.post(
        "/api/v1/auth/password", json={"current_password": "nope", "new_password": GOOD_PASSWORD}, headers=token
    )
    assert wrong.status_code == 422
    assert wrong.json()["detail"].startswith("当前密码不正确")
    weak = client.post(
        "/api/v1/auth/password", json={"current_password": PASSWORD, "new_password": "1234567890"}, headers=token
    )
    assert weak.status_code == 422
    assert weak.json()["errors"][0]["code"] == "common"
    done = client.post(
        "/api/v1/auth/password", json={"current_password": PASSWORD, "new_password": GOOD_PASSWORD}, headers=token
    )
    assert done.status_code == 204
    assert client.get("/api/v1/me", headers=token).status_code == 401  # every session ends
    login(client, "teller", GOOD_PASSWORD)


# --- API keys ------------------------------------------------------------------------------


def _key(client: TestClient, admin: dict[str, str], **body: object) -> dict:  # type: ignore[type-arg]
    answer = client.post("/api/v1/admin/api-keys", json=body, headers=admin)
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_keys_never_carry_a_staff_role(client: TestClient, session: Session, headers_for) -> None:  # type: ignore[no-untyped-def]
    make_organisation(session, kind="data_source", code="GRID")
    admin = headers_for("admin")
    for role in ("admin", "regulator", "resident"):
        for path in ("/api/v1/admin/api-keys", "/api/v1/auth/api-keys"):
            answer = client.post(path, json={"organisation_code": "GRID", "name": "x", "role": role}, headers=admin)
            assert answer.status_code == 422, (role, path)
            assert f"an API key may not carry the role {role}" in answer.json()["detail"]
    # A key stored with a staff role before this rule existed is refused at the door.
    key = _key(client, admin, organisation_code="GRID", name="feed", scopes=["industry_energy"])
    session.execute(ApiKey.__table__.update().where(ApiKey.prefix == key["prefix"]).values(role="admin"))
    auth.forget_api_keys()
    assert client.get("/api/v1/me", headers={"X-API-Key": key["key"]}).status_code == 401


def _energy_csv(*usccs: str) -> bytes:
    rows = [f"{uscc},2025,1,electricity,1000,kWh,metered" for uscc in usccs]
    return ("uscc,year,month,energy,quantity,unit,data_quality\n" + "\n".join(rows) + "\n").encode()


def test_a_key_writes_only_within_its_scope(client: TestClient, session: Session, headers_for) -> None:  # type: ignore[no-untyped-def]
    make_organisation(session, kind="bank", code="QZB01")
    make_organisation(session, kind="data_source", code="GRID")
    admin = headers_for("admin")
    payments = _key(client, admin, organisation_code="QZB01", name="payments")
    assert payments["scopes"] == ["personal_events"]  # a bank's default
    own, other = make_uscc(21), make_uscc(22, "330881")
    grid = _key(
        client, admin, organisation_code="GRID", name="meters", scopes=["industry_energy"], organisation_codes=[own]
    )

    # The bank's payments key may not write industrial energy data (the attack of issue 16).
    refused = client.post(
        "/api/v1/industry/imports/energy",
        files={"file": ("energy.csv", _energy_csv(own), "text/csv")},
        headers={"X-API-Key": payments["key"]},
    )
    assert refused.status_code == 403
    assert refused.json()["detail"] == "this API key may not write industry_energy; its scopes: personal_events"
    # The grid's key may not deliver personal events, nor write process data…
    event = {
        "external_id": "e1",
        "id_number": "330802199001011232",
        "scenario": "bus_ride",
        "occurred_at": "2026-03-02T08:00:00+08:00",
    }
    assert client.post("/api/v1/personal/events", json=event, headers={"X-API-Key": grid["key"]}).status_code == 403
    process = client.post(
        "/api/v1/industry/imports/process",
        files={"file": ("p.csv", f"uscc,year,source,tco2,data_quality\n{own},2025,clinker_calcination,1,audited\n")},
        headers={"X-API-Key": grid["key"]},
    )
    assert process.status_code == 403
    # …nor energy data of an enterprise outside its list: that row is refused with the reason.
    outside = client.post(
        "/api/v1/industry/imports/energy",
        files={"file": ("energy.csv", _energy_csv(own, other), "text/csv")},
        headers={"X-API-Key": grid["key"]},
    )
    assert outside.status_code == 422
    assert {
        "row": 3,
        "column": "uscc",
        "reason": "this API key may not write this enterprise's data",
    } in outside.json()["errors"]


def test_region_scope_reaches_only_its_region() -> None:
    principal = auth.Principal(
        actor="key:x", role="data_source", scopes=frozenset({"industry_energy"}), scope_region="330800"
    )
    assert auth.scope_allows(principal, make_uscc(1, "330881"))
    assert auth.scope_allows(principal, make_uscc(1, "330802").lower())
    assert not auth.scope_allows(principal, make_uscc(1, "330502"))  # 湖州 吴兴区
    assert auth.scope_allows(principal, "farm-abc", county_code="330822")
    assert not auth.scope_allows(principal, "farm-abc", county_code="330523")
    with pytest.raises(auth.Forbidden):
        auth.require_scope(principal, "agriculture_records")
    user = auth.Principal(actor="user:x", role="regulator")
    auth.require_scope(user, "agriculture_records", "anything")  # users: their role decides


def test_an_expired_key_fails(client: TestClient, session: Session, headers_for) -> None:  # type: ignore[no-untyped-def]
    make_organisation(session, kind="bank", code="QZB01")
    key = _key(client, headers_for("admin"), organisation_code="QZB01", name="payments", expires_days=30)
    assert client.get("/api/v1/me", headers={"X-API-Key": key["key"]}).status_code == 200
    stored = session.scalars(select(ApiKey).where(ApiKey.prefix == key["prefix"])).one()
    stored.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    session.commit()
    auth.forget_api_keys()
    answer = client.get("/api/v1/me", headers={"X-API-Key": key["key"]})
    assert answer.status_code == 401
    assert answer.json()["detail"] == "the API key has expired; ask the platform's administrator to rotate it"
    listed = client.get("/api/v1/admin/api-keys", headers=headers_for("regulator")).json()
    assert [k["status"] for k in listed if k["prefix"] == key["prefix"]] == ["expired"]


def test_rotation_replaces_the_key_with_the_same_reach(client: TestClient, session: Session, headers_for) -> None:  # type: ignore[no-untyped-def]
    make_organisation(session, kind="bank", code="QZB01")
    admin = headers_for("admin")
    old = _key(client, admin, organisation_code="QZB01", name="payments", expires_days=90)
    rotated = client.post(f"/api/v1/admin/api-keys/{old['prefix']}/rotate", headers=admin)
    assert rotated.status_code == 201
    new = rotated.json()
    assert (new["name"], new["scopes"], new["role"]) == ("payments", ["personal_events"], "data_source")
    assert new["prefix"] != old["prefix"]
    assert client.get("/api/v1/me", headers={"X-API-Key": old["key"]}).status_code == 401
    assert client.get("/api/v1/me", headers={"X-API-Key": new["key"]}).status_code == 200
    revoked = client.post(f"/api/v1/admin/api-keys/{new['prefix']}/revoke", headers=admin)
    assert revoked.json()["status"] == "revoked"
    assert client.get("/api/v1/me", headers={"X-API-Key": new["key"]}).status_code == 401
    keys = session.scalars(select(ApiKey).order_by(ApiKey.created_at)).all()
    assert keys[-1].rotated_from_id == keys[0].id
    creations = session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "auth_api_key")).all()
    assert creations and all("secret_hash" not in (e.after or {}) for e in creations)


# --- throttle ------------------------------------------------------------------------------


@pytest.fixture
def settings(database_urls: dict[str, str], backend: str) -> Settings:
    return Settings(
        environment="test",
        database_url=database_urls[backend],
        posting_interval_seconds=0,
        login_max_failures_per_address=4,
    )


def test_failures_are_throttled_per_client_address(client: TestClient, session: Session) -> None:
    make_user(session, "carol", "regulator")
    session.commit()
    for n in range(4):  # four different usernames, one address
        assert client.post("/api/v1/auth/token", data={"username": f"guess-{n}", "password": "x"}).status_code == 401
    answer = client.post("/api/v1/auth/token", data={"username": "carol", "password": PASSWORD})
    assert answer.status_code == 429
    assert answer.json()["detail"] == "too many failed logins from this address; try again in 15 minutes"


def test_successful_logins_do_not_use_up_the_address(client: TestClient, session: Session) -> None:
    make_user(session, "dave", "regulator")
    session.commit()
    for _ in range(8):
        login(client, "dave", PASSWORD)


# --- audit ---------------------------------------------------------------------------------


def test_audit_filters_and_csv_in_beijing_time(client: TestClient, session: Session, headers_for) -> None:  # type: ignore[no-untyped-def]
    admin = headers_for("admin")
    client.post(
        "/api/v1/admin/organisations", json={"kind": "bank", "code": "QZB09", "name": "九号银行"}, headers=admin
    )
    regulator = headers_for("regulator")
    found = client.get("/api/v1/admin/audit", params={"entity_type": "auth_organisation"}, headers=regulator).json()
    assert found["total"] == 1
    event = found["items"][0]
    assert event["after"]["code"] == "QZB09" and event["actor"].startswith("user:admin-")
    today = datetime.now(UTC).astimezone(auth_beijing()).date()
    dated = client.get(
        "/api/v1/admin/audit",
        params={"actor": event["actor"], "since": str(today - timedelta(days=1)), "until": str(today)},
        headers=regulator,
    ).json()
    assert dated["total"] >= 1
    empty = client.get(
        "/api/v1/admin/audit",
        params={"actor": event["actor"], "until": str(today - timedelta(days=2))},
        headers=regulator,
    ).json()
    assert empty["total"] == 0
    exported = client.get("/api/v1/admin/audit.csv", params={"entity_type": "auth_organisation"}, headers=regulator)
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][0] == "时间（北京时间）"
    at = datetime.fromisoformat(event["at"])
    assert rows[1][0] == (at + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")
    assert client.get("/api/v1/admin/audit.csv", headers=headers_for("bank")).status_code == 403


def auth_beijing():  # type: ignore[no-untyped-def]
    from greenfin.admin.service import BEIJING

    return BEIJING


# --- self-service registration ---------------------------------------------------------------


def _registration(uscc: str, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "kind": "enterprise",
        "uscc": uscc.lower(),
        "name": "衢州新材料有限公司",
        "county_code": "330802",
        "industry_code": "2614",
        "contact_name": "王经理",
        "contact_phone": "0570-1234567",
        "username": "xincailiao",
        "password": GOOD_PASSWORD,
    }
    body.update(changes)
    return body


def test_a_registration_waits_for_the_regulator(client: TestClient, session: Session, headers_for) -> None:  # type: ignore[no-untyped-def]
    uscc = make_uscc(31)
    asked = client.post("/api/v1/registrations", json=_registration(uscc))
    assert asked.status_code == 201, asked.text
    registration = asked.json()
    assert (registration["status"], registration["uscc"]) == ("pending", uscc)
    assert "password" not in str(registration)
    # Pending: no login, whatever the password.
    assert (
        client.post("/api/v1/auth/token", data={"username": "xincailiao", "password": GOOD_PASSWORD}).status_code == 401
    )
    # The same USCC or username cannot queue twice.
    twice = client.post("/api/v1/registrations", json=_registration(uscc, username="other-name"))
    assert twice.status_code == 422 and twice.json()["errors"][0]["field"] == "uscc"
    # Only a regulator decides.
    bank = make_organisation(session, kind="bank", code="QZB01")
    path = f"/api/v1/admin/registrations/{registration['id']}/approve"
    assert client.post(path, headers=headers_for("bank", bank)).status_code == 403
    regulator = headers_for("regulator")
    assert [r["id"] for r in client.get("/api/v1/admin/registrations", headers=regulator).json()] == [
        registration["id"]
    ]
    approved = client.post(path, headers=regulator)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert client.post(path, headers=regulator).status_code == 409
    token = login(client, "xincailiao", GOOD_PASSWORD)
    me = client.get("/api/v1/me", headers=token).json()
    assert (me["role"], me["organisation"]["code"], me["organisation"]["kind"]) == ("enterprise", uscc, "enterprise")
    # On the industrial register with the name, county and industry it gave.
    listed = client.get("/api/v1/industry/enterprises", params={"q": uscc}, headers=token).json()
    assert [(e["uscc"], e["county_code"], e["industry_code"]) for e in listed["items"]] == [(uscc, "330802", "2614")]
    decision = session.scalars(
        select(AuditEvent).where(AuditEvent.entity_id == registration["id"], AuditEvent.action == "update")
    ).one()
    assert decision.before["status"] == "pending" and decision.after["status"] == "approved"
    assert decision.actor.startswith("user:regulator-")
    assert all("password_hash" not in (e.after or {}) for e in session.scalars(select(AuditEvent)).all())


def test_a_farm_registers_and_a_rejection_keeps_its_reason(client: TestClient, session: Session, headers_for) -> None:  # type: ignore[no-untyped-def]
    regulator = headers_for("regulator")
    farm = client.post(
        "/api/v1/registrations",
        json=_registration(
            make_uscc(41, "330881"),
            kind="farm",
            industry_code=None,
            farm_type="pig_farm",
            township="贺村镇",
            county_code="330881",
            username="zhuchang",
        ),
    ).json()
    approved = client.post(f"/api/v1/admin/registrations/{farm['id']}/approve", headers=regulator)
    assert approved.status_code == 200, approved.text
    token = login(client, "zhuchang", GOOD_PASSWORD)
    assert client.get(f"/api/v1/agriculture/farms/{farm['uscc']}", headers=token).status_code == 200

    shady = client.post("/api/v1/registrations", json=_registration(make_uscc(42), username="shady")).json()
    no_reason = client.post(f"/api/v1/admin/registrations/{shady['id']}/reject", json={"reason": ""}, headers=regulator)
    assert no_reason.status_code == 422
    rejected = client.post(
        f"/api/v1/admin/registrations/{shady['id']}/reject", json={"reason": "营业执照与名称不符"}, headers=regulator
    )
    assert rejected.json()["status"] == "rejected" and rejected.json()["reason"] == "营业执照与名称不符"
    assert client.post("/api/v1/auth/token", data={"username": "shady", "password": GOOD_PASSWORD}).status_code == 401
    assert session.scalar(select(User).where(User.username == "shady")) is None


def test_a_registration_is_checked(client: TestClient) -> None:
    weak = client.post("/api/v1/registrations", json=_registration(make_uscc(51), password="xincailiao-1"))
    assert weak.status_code == 422 and weak.json()["detail"].startswith("密码不能是用户名")
    bad = client.post("/api/v1/registrations", json=_registration("91330802MA2XXXXXX1", industry_code="9999"))
    fields = {e["field"] for e in bad.json()["errors"]}
    assert {"uscc", "industry_code"} <= fields
    farm = client.post("/api/v1/registrations", json=_registration(make_uscc(52), kind="farm", industry_code=None))
    assert {e["field"] for e in farm.json()["errors"]} == {"farm_type", "township"}
