"""Fixtures of the personal carbon account: a bank with an API key, residents with accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from greenfin.auth import service as auth
from greenfin.auth.service import Principal
from greenfin.personal import service
from greenfin.personal.schemas import AccountOpen, EventIn
from greenfin.settings import Settings
from tests.conftest import bearer, make_organisation, make_user

# Valid resident ID numbers (GB 11643 check characters computed by hand with MOD 11-2).
ID_A = "330802199001011232"
ID_B = "33082219850615001X"
ID_C = "330824199507200012"
BAD_CHECKSUM = "330802199001011233"


@dataclass
class Bank:
    code: str
    key: str
    principal: Principal

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.key}


def make_bank(session: Session, code: str) -> Bank:
    organisation = make_organisation(session, kind="bank", code=code)
    _, secret = auth.create_api_key(session, organisation=organisation, name=f"{code} payments", role="data_source")
    principal = Principal(
        actor=f"key:{code}",
        role="data_source",
        organisation_id=organisation.id,
        organisation_kind="bank",
        organisation_code=code,
    )
    return Bank(code=code, key=secret, principal=principal)


@dataclass
class Resident:
    username: str
    ref: str
    account_id: int
    id_number: str
    headers: dict[str, str]
    principal: Principal


def make_resident(session: Session, settings: Settings, username: str, id_number: str) -> Resident:
    user = make_user(session, username, "resident")
    principal = auth.principal_for_user(session, user)
    account = service.open_account(
        session,
        principal,
        settings=settings,
        account_in=AccountOpen(id_number=id_number, name="张三丰", phone="13812345678", consent=True),
    )
    headers = bearer(session, settings, user)
    return Resident(username, account.ref, account.id, id_number, headers, principal)


@pytest.fixture(scope="session")
def worker(request: pytest.FixtureRequest) -> str:
    """A PostgreSQL test database of this package's own, so that concurrent suites never drop it."""
    return "personal_" + str(getattr(request.config, "workerinput", {}).get("workerid", "main"))


@pytest.fixture
def bank(session: Session) -> Bank:
    return make_bank(session, "QZB01")


@pytest.fixture
def resident(session: Session, settings: Settings) -> Resident:
    return make_resident(session, settings, "resident-a", ID_A)


def event(
    external_id: str,
    *,
    source: str = "QZB01",
    id_number: str = ID_A,
    scenario: str = "bus_ride",
    at: str | datetime = "2026-03-02T08:15:00+08:00",
    amount_fen: int | None = 200,
) -> EventIn:
    occurred = at.isoformat() if isinstance(at, datetime) else at
    return EventIn(
        source=source,
        external_id=external_id,
        id_number=id_number,
        scenario=scenario,
        occurred_at=occurred,
        amount_fen=amount_fen,
    )


NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)


def hours_later(base: str, hours: int) -> str:
    return (datetime.fromisoformat(base) + timedelta(hours=hours)).isoformat()
