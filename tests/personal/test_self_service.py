"""Issue 16, part 5: who may open a personal account, and answers that never tell whether a number is enrolled."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from greenfin.auth import rules as identity
from greenfin.auth import service as auth
from greenfin.http import SESSION_COOKIE
from greenfin.personal import service
from greenfin.personal.models import Account
from greenfin.personal.schemas import EnrolRow
from greenfin.settings import Settings
from tests.conftest import bearer, make_user
from tests.personal.conftest import ID_B, ID_C, Bank, self_service

ENROLLED = ID_B  # a bank enrolled this resident (no login yet)
STRANGER = ID_C  # nobody has an account under this number


def _enrol(session: Session, settings: Settings, bank: Bank) -> Account:
    principal = service.bank_operator(session, bank.code)
    row = EnrolRow(id_number=ENROLLED, name="李四", phone="13900001111", consent_ref="C-1")
    service.enrol(session, principal, settings=settings, rows=[row], bank_code=bank.code)
    return session.scalars(select(Account)).one()


def _body(id_number: str, code: str | None = None) -> dict[str, object]:
    return {"id_number": id_number, "name": "冒名者", "consent": True, "verification_code": code}


def _strip(answer: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in answer.items() if k != "instance"}


def test_self_service_is_off_by_default_with_one_answer_for_enrolled_and_unknown_numbers(
    client: TestClient, session: Session, settings: Settings, bank: Bank
) -> None:
    _enrol(session, settings, bank)
    headers = bearer(session, settings, make_user(session, "mallory", "resident"))
    session.commit()
    enrolled = client.post("/api/v1/personal/accounts", json=_body(ENROLLED), headers=headers)
    unknown = client.post("/api/v1/personal/accounts", json=_body(STRANGER), headers=headers)
    assert enrolled.status_code == unknown.status_code == 403
    assert _strip(enrolled.json()) == _strip(unknown.json())
    assert session.scalars(select(Account).where(Account.user_id.is_not(None))).all() == []


def test_without_the_operators_code_a_strangers_number_opens_nothing_and_reveals_nothing(
    client: TestClient, session: Session, settings: Settings, bank: Bank
) -> None:
    client.app.state.settings = self_service(settings)  # type: ignore[attr-defined]
    _enrol(session, settings, bank)
    headers = bearer(session, settings, make_user(session, "mallory", "resident"))
    session.commit()
    forged = "20991231-AAAAAAAAAAAA"
    other = service.verification_code(settings, id_number=STRANGER, days=1)  # a real code, of another number
    answers = [
        client.post("/api/v1/personal/accounts", json=_body(number, code), headers=headers)
        for number in (ENROLLED, STRANGER)
        for code in (None, forged, other if number == ENROLLED else forged)
    ]
    assert {a.status_code for a in answers} == {422}
    assert len({str(_strip(a.json())) for a in answers}) == 1  # the same answer whoever holds the number
    assert answers[0].json()["errors"][0]["field"] == "verification_code"
    assert session.scalars(select(Account).where(Account.user_id.is_not(None))).all() == []


def test_an_expired_code_is_refused(session: Session, settings: Settings) -> None:
    number = identity.normalise_id_number(STRANGER)
    yesterday = service.today() - timedelta(days=1)
    code = identity.verification_code(number, settings.secret_key, expires_on=yesterday)
    assert not identity.verification_code_matches(number, code, settings.secret_key, today=service.today())
    assert identity.verification_code_matches(number, code, settings.secret_key, today=yesterday)
    assert not identity.verification_code_matches(number, code, "another-secret", today=yesterday)


def test_with_the_code_an_enrolled_holder_is_linked_and_a_new_one_opened_with_the_same_status(
    client: TestClient, session: Session, settings: Settings, bank: Bank
) -> None:
    client.app.state.settings = self_service(settings)  # type: ignore[attr-defined]
    enrolled_account = _enrol(session, settings, bank)
    holder = bearer(session, settings, make_user(session, "li-si", "resident"))
    newcomer = bearer(session, settings, make_user(session, "wang-wu", "resident"))
    session.commit()
    linked = client.post(
        "/api/v1/personal/accounts",
        json=_body(ENROLLED, service.verification_code(settings, id_number=ENROLLED, days=3)),
        headers=holder,
    )
    opened = client.post(
        "/api/v1/personal/accounts",
        json=_body(STRANGER, service.verification_code(settings, id_number=STRANGER, days=3)),
        headers=newcomer,
    )
    assert linked.status_code == opened.status_code == 201
    assert linked.json()["ref"] == enrolled_account.ref
    assert opened.json()["ref"] != enrolled_account.ref
    assert session.scalar(select(Account.user_id).where(Account.ref == enrolled_account.ref)) is not None


def test_the_page_says_to_ask_the_bank_when_self_service_is_off(
    client: TestClient, session: Session, settings: Settings
) -> None:
    user = make_user(session, "newcomer", "resident")
    secret, _ = auth.issue_token(session, settings, user, kind="session")
    session.commit()
    client.cookies.set(SESSION_COOKIE, secret)
    page = client.get("/personal/account")
    assert page.status_code == 200
    assert 'id="open-off"' in page.text and 'id="open-account"' not in page.text
    refused = client.post("/personal/account/open", data={"id_number": STRANGER, "name": "王小明", "consent": "yes"})
    assert refused.status_code == 403
    assert "合作银行开通" in refused.text
