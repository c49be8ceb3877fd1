"""The administration pages over HTTP on both databases: who sees what, and the forms' refusals."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from greenfin.web.i18n import translate
from tests.admin.conftest import make_uscc
from tests.conftest import PASSWORD, make_organisation, make_user

PAGES = ("/admin/organisations", "/admin/users", "/admin/api-keys", "/admin/audit", "/admin/registrations")
GOOD_PASSWORD = "lvse-jinrong-2026!"


def page_login(client: TestClient, username: str, password: str = PASSWORD) -> None:
    answer = client.post("/login", data={"username": username, "password": password}, follow_redirects=False)
    assert answer.status_code == 303, answer.text


@pytest.mark.parametrize("role", ["bank", "enterprise", "resident"])
def test_the_administration_pages_refuse_everyone_but_staff(client: TestClient, session: Session, role: str) -> None:
    organisation = None if role == "resident" else make_organisation(session, kind=role, code="ORG01")
    make_user(session, "someone", role, organisation)
    session.commit()
    page_login(client, "someone")
    for path in PAGES:
        answer = client.get(path)
        assert answer.status_code == 403, path
        assert translate("error.403", "zh") in answer.text
    refused = client.post("/admin/organisations", data={"kind": "bank", "code": "QZB02", "name": "某银行"})
    assert refused.status_code == 403
    assert "平台管理" not in client.get("/account/password").text  # no admin entry in the navigation


def test_a_regulator_reads_but_cannot_write(client: TestClient, session: Session) -> None:
    make_user(session, "watcher", "regulator")
    session.commit()
    page_login(client, "watcher")
    for path in PAGES:
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert 'id="admin-tabs"' in answer.text and 'id="read-only"' in answer.text
    assert 'id="org-form"' not in client.get("/admin/organisations").text
    assert (
        client.post("/admin/organisations", data={"kind": "bank", "code": "QZB02", "name": "某银行"}).status_code == 403
    )
    assert client.post("/admin/users/watcher/disable").status_code == 403


def test_an_administrator_creates_through_the_forms(client: TestClient, session: Session) -> None:
    make_user(session, "root", "admin", make_organisation(session, kind="platform", code="platform"))
    session.commit()
    page_login(client, "root")
    made = client.post("/admin/organisations", data={"kind": "bank", "code": "QZB02", "name": "衢州某银行"})
    assert made.status_code == 200 and 'data-code="QZB02"' in made.text and 'id="admin-notice"' in made.text
    again = client.post("/admin/organisations", data={"kind": "bank", "code": "QZB02", "name": "重复"})
    assert again.status_code == 400 and 'id="admin-error"' in again.text
    weak = client.post(
        "/admin/users", data={"username": "teller", "role": "bank", "organisation_code": "QZB02", "password": "short"}
    )
    assert weak.status_code == 400
    assert translate("password.too_short", "zh") in weak.text
    user = client.post(
        "/admin/users",
        data={"username": "teller", "role": "bank", "organisation_code": "QZB02", "password": GOOD_PASSWORD},
    )
    assert 'data-username="teller" data-active="true"' in user.text
    key = client.post("/admin/api-keys", data={"organisation_code": "QZB02", "name": "payments"})
    shown = re.search(r'id="new-key">(gf_[^<]+)<', key.text)
    assert shown is not None
    assert client.get("/api/v1/me", headers={"X-API-Key": shown.group(1)}).json()["organisation"]["code"] == "QZB02"
    assert shown.group(1) not in client.get("/admin/api-keys").text  # shown once
    audit = client.get("/admin/audit", params={"entity_type": "auth_organisation"})
    assert "衢州某银行" in audit.text and translate("action.create", "zh") in audit.text
    exported = client.get("/admin/audit", params={"entity_type": "auth_organisation", "export": "csv"})
    assert exported.content.decode("utf-8-sig").startswith("时间（北京时间）")


def test_register_page_and_own_password_page(client: TestClient, session: Session) -> None:
    form = client.get("/register")
    assert form.status_code == 200 and 'id="reg-form"' in form.text
    data = {
        "kind": "enterprise",
        "uscc": make_uscc(61),
        "name": "衢州绿能科技有限公司",
        "county_code": "330802",
        "industry_code": "2614",
        "contact_name": "李工",
        "contact_phone": "13800001111",
        "username": "lvneng",
        "password": "lvneng",
    }
    weak = client.post("/register", data=data)
    assert weak.status_code == 400 and translate("password.too_short", "zh") in weak.text
    sent = client.post("/register", data={**data, "password": GOOD_PASSWORD})
    assert sent.status_code == 200 and 'id="reg-sent"' in sent.text

    make_user(session, "teller", "bank", make_organisation(session, kind="bank", code="QZB01"))
    session.commit()
    page_login(client, "teller")
    mismatch = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": GOOD_PASSWORD, "repeat_password": "other"},
    )
    assert translate("pw.mismatch", "zh") in mismatch.text
    changed = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": GOOD_PASSWORD, "repeat_password": GOOD_PASSWORD},
        follow_redirects=False,
    )
    assert changed.status_code == 303
    page_login(client, "teller", GOOD_PASSWORD)
