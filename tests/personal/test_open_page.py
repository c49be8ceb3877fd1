"""A resident opens their own account on the page, with consent; the ID number is never kept in clear."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.cn import ric

from greenfin.auth import service as auth
from greenfin.http import SESSION_COOKIE
from greenfin.personal import service
from greenfin.personal.models import Account
from greenfin.settings import Settings
from tests.conftest import make_user
from tests.personal.conftest import self_service

BASE = "33080219900307123"
ID_NUMBER = BASE + ric.calc_check_digit(BASE + "0")  # stdnum takes the full 18 characters


def _resident_page_client(client: TestClient, session: Session, settings: Settings) -> TestClient:
    client.app.state.settings = self_service(settings)  # type: ignore[attr-defined]
    user = make_user(session, "newcomer", "resident")
    secret, _ = auth.issue_token(session, settings, user, kind="session")
    session.commit()
    client.cookies.set(SESSION_COOKIE, secret)
    return client


def test_a_resident_without_an_account_gets_the_form_and_opens_one(
    client: TestClient, session: Session, settings: Settings
) -> None:
    page = _resident_page_client(client, session, settings)
    form = page.get("/personal/account")
    assert form.status_code == 200
    assert 'id="open-account"' in form.text

    opened = page.post(
        "/personal/account/open",
        data={
            "id_number": ID_NUMBER,
            "name": "王小明",
            "phone": "13800001234",
            "consent": "yes",
            "verification_code": service.verification_code(settings, id_number=ID_NUMBER, days=1),
        },
        follow_redirects=False,
    )
    assert opened.status_code == 303
    account = session.scalars(select(Account)).one()
    assert ID_NUMBER not in (account.id_hash, account.id_masked)
    assert account.id_masked.startswith("3308") and account.id_masked.endswith(ID_NUMBER[-4:])
    assert account.consent_channel == "web"
    assert 'id="balance"' in page.get("/personal/account").text


def test_no_consent_and_a_bad_checksum_are_refused_and_store_nothing(
    client: TestClient, session: Session, settings: Settings
) -> None:
    page = _resident_page_client(client, session, settings)
    no_consent = page.post("/personal/account/open", data={"id_number": ID_NUMBER, "name": "王小明"})
    assert no_consent.status_code == 422
    assert "开通账户需要您的同意" in no_consent.text
    wrong_digit = ID_NUMBER[:-1] + ("0" if ID_NUMBER[-1] != "0" else "1")
    bad = page.post("/personal/account/open", data={"id_number": wrong_digit, "name": "王小明", "consent": "yes"})
    assert bad.status_code == 422
    assert wrong_digit not in bad.text  # the number is not echoed back
    assert session.scalars(select(Account)).all() == []
