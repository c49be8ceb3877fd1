"""Accounts, consent and the grade a bank may read: the successes and every refusal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from greenfin.auth.models import Consent
from greenfin.db import utcnow
from greenfin.errors import Conflict, InvalidInput
from greenfin.personal import service
from greenfin.personal.models import Account
from greenfin.personal.schemas import AccountOpen, EnrolRow
from greenfin.settings import Settings
from tests.conftest import bearer, make_user
from tests.personal.conftest import (
    BAD_CHECKSUM,
    ID_A,
    ID_B,
    ID_C,
    Bank,
    Resident,
    deliver,
    event,
    make_bank,
    make_resident,
    self_service,
)


def test_the_id_number_is_stored_only_hashed_and_masked(
    session: Session, settings: Settings, resident: Resident
) -> None:
    account = session.scalars(select(Account)).one()
    assert account.id_masked == "3308**********1232"
    assert (account.name_masked, account.phone_masked) == ("张**", "138****5678")
    assert ID_A not in account.id_hash and len(account.id_hash) == 64
    row = " ".join(str(v) for v in session.execute(select(Account.__table__)).one())
    assert ID_A not in row and "13812345678" not in row


def test_opening_refuses_bad_checksum_and_missing_consent(session: Session, settings: Settings) -> None:
    user = make_user(session, "r-bad", "resident")
    from greenfin.auth import service as auth

    principal = auth.principal_for_user(session, user)
    on = self_service(settings)
    code = service.verification_code(settings, id_number=ID_B, days=1)
    with pytest.raises(InvalidInput, match="check character"):
        service.open_account(
            session,
            principal,
            settings=on,
            account_in=AccountOpen(id_number=BAD_CHECKSUM, name="李四", consent=True, verification_code=code),
        )
    with pytest.raises(InvalidInput, match="consent"):
        service.open_account(
            session,
            principal,
            settings=on,
            account_in=AccountOpen(id_number=ID_B, name="李四", consent=False, verification_code=code),
        )
    assert session.scalars(select(Account)).all() == []


def test_one_account_per_id_number(session: Session, settings: Settings, resident: Resident) -> None:
    with pytest.raises(Conflict):
        make_resident(session, settings, "resident-twin", ID_A)


def test_bank_enrolment_is_all_or_nothing(session: Session, settings: Settings, bank: Bank) -> None:
    principal = service.bank_operator(session, "QZB01")
    rows = [
        EnrolRow(id_number=ID_B, name="李四", phone="13900001111", consent_ref="C-1"),
        EnrolRow(id_number=BAD_CHECKSUM, name="王五", phone="139", consent_ref="C-2"),
        EnrolRow(id_number=ID_C, name="", phone=None, consent_ref=""),
        EnrolRow(id_number=ID_B.lower(), name="李四", phone=None, consent_ref="C-4"),
    ]
    with pytest.raises(InvalidInput) as refused:
        service.enrol(session, principal, settings=settings, rows=rows, bank_code="QZB01")
    assert {(e["row"], e["column"]) for e in refused.value.errors} == {
        (2, "id_number"),
        (2, "phone"),
        (3, "name"),
        (3, "consent_ref"),
        (4, "id_number"),  # same resident as row 1 (the check character x is upper-cased)
    }
    assert session.scalars(select(Account)).all() == []
    result = service.enrol(session, principal, settings=settings, rows=rows[:1], bank_code="QZB01")
    again = service.enrol(session, principal, settings=settings, rows=rows[:1], bank_code="QZB01")
    assert (result.enrolled, again.enrolled, again.already_enrolled) == (1, 0, 1)
    assert result.refs == again.refs
    account = session.scalars(select(Account)).one()
    assert (account.consent_ref, account.consent_channel, account.enrolled_by) == ("C-1", "bank", "QZB01")


# --- over HTTP: a resident sees only their own account; a bank reads a grade only with consent ---


def test_a_resident_sees_only_their_own_account(
    client: TestClient, session: Session, settings: Settings, resident: Resident
) -> None:
    other = make_resident(session, settings, "resident-b", ID_B)
    mine = client.get("/api/v1/personal/accounts/me", headers=resident.headers)
    assert mine.status_code == 200 and mine.json()["ref"] == resident.ref
    assert mine.json()["id_masked"] == "3308**********1232"
    for path in ("", "/history", "/balance", "/events"):
        response = client.get(f"/api/v1/personal/accounts/{other.ref}{path}", headers=resident.headers)
        assert response.status_code == 403, path
        assert response.headers["content-type"].startswith("application/problem+json")


def _grant(client: TestClient, resident: Resident, bank_code: str, days: int = 30) -> dict:  # type: ignore[type-arg]
    response = client.post(
        "/api/v1/personal/consents", json={"bank_code": bank_code, "days": days}, headers=resident.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_a_bank_reads_a_grade_only_with_live_consent(
    client: TestClient, session: Session, settings: Settings, bank: Bank, resident: Resident
) -> None:
    from greenfin.auth.models import Organisation

    other_bank = make_bank(session, "QZB02")
    bank_org = session.scalars(select(Organisation).where(Organisation.code == "QZB01")).one()
    other_org = session.scalars(select(Organisation).where(Organisation.code == "QZB02")).one()
    officer = bearer(session, settings, make_user(session, "officer-1", "bank", bank_org))
    other_officer = bearer(session, settings, make_user(session, "officer-2", "bank", other_org))
    path = f"/api/v1/personal/residents/{resident.ref}/grade"
    assert other_bank.code == "QZB02"

    assert client.get(path, headers=officer).status_code == 403  # never given
    consent = _grant(client, resident, "QZB01")
    # One recycling pickup (2,100 g) in the trailing 12 months: 浅绿 (light green), 47,900 g to 中绿.
    deliver(
        session,
        bank.principal,
        settings=settings,
        events=[event("G1", scenario="recycling_pickup", at=(utcnow() - timedelta(days=3)).isoformat())],
    )
    session.commit()
    granted = client.get(path, headers=officer)
    assert granted.status_code == 200, granted.text
    assert (granted.json()["code"], granted.json()["avoided_co2_g"], granted.json()["to_next_g"]) == (
        "light_green",
        2100,
        47_900,
    )
    assert client.get(path, headers=other_officer).status_code == 403  # another bank
    assert client.get(path, headers=resident.headers).status_code == 403  # not a bank

    revoked = client.delete(f"/api/v1/personal/consents/{consent['id']}", headers=resident.headers)
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    assert client.get(path, headers=officer).status_code == 403  # revoked

    expiring = _grant(client, resident, "QZB01")
    session.execute(
        update(Consent).where(Consent.id == expiring["id"]).values(expires_at=utcnow() - timedelta(seconds=1))
    )
    session.commit()
    assert client.get(path, headers=officer).status_code == 403  # expired
    assert client.get(f"/api/v1/personal/residents/{'0' * 32}/grade", headers=officer).status_code == 403
