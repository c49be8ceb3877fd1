"""Fixtures of the personal carbon account: a bank with an API key, residents with accounts."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from greenfin.auth import service as auth
from greenfin.auth.service import Principal
from greenfin.personal import service
from greenfin.personal.models import Event
from greenfin.personal.schemas import AccountOpen, EventIn, IntakeRead
from greenfin.settings import Settings
from tests.conftest import POSTGRES_ADMIN_URL, bearer, make_organisation, make_user

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


def self_service(settings: Settings) -> Settings:
    """``settings`` with residents' self-service opening on (with the operator's verification code)."""
    return settings.model_copy(update={"personal_self_service": "code"})


def make_resident(session: Session, settings: Settings, username: str, id_number: str) -> Resident:
    user = make_user(session, username, "resident")
    principal = auth.principal_for_user(session, user)
    code = service.verification_code(settings, id_number=id_number, days=1)
    account = service.open_account(
        session,
        principal,
        settings=self_service(settings),
        account_in=AccountOpen(
            id_number=id_number, name="张三丰", phone="13812345678", consent=True, verification_code=code
        ),
    )
    headers = bearer(session, settings, user)
    return Resident(username, account.ref, account.id, id_number, headers, principal)


@pytest.fixture(scope="session")
def worker(request: pytest.FixtureRequest) -> str:
    """A PostgreSQL test database of this package's own, so that concurrent suites never drop it."""
    return f"personal_{getattr(request.config, 'workerinput', {}).get('workerid', 'main')}_{os.getpid()}"


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


def deliver(
    session: Session,
    principal: Principal,
    *,
    settings: Settings,
    events: Sequence[EventIn],
    now: datetime | None = None,
) -> IntakeRead:
    """Deliver events as the API does, then post them as the poster does a second later.

    The results carry what each accepted event finally earned (the daily cap applied).
    """
    read = service.intake_events(session, principal, settings=settings, events=events, now=now)
    service.post_all_pending(session, now=now)
    if read.batch_id is None:
        return read
    posted = {e.external_id: e for e in session.scalars(select(Event).where(Event.batch_id == read.batch_id))}
    results = [
        r.model_copy(
            update={
                "points": posted[r.external_id].points,
                "avoided_co2_g": posted[r.external_id].avoided_co2_g,
                "capped": posted[r.external_id].capped,
                "pending": False,
            }
        )
        if r.status == "accepted"
        else r
        for r in read.results
    ]
    return read.model_copy(update={"results": results})


@pytest.fixture
def committed_postgres() -> Iterator[str]:
    """A throw-away PostgreSQL database (threads need committed data and their own connections)."""
    name = f"greenfin_personal_race_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
