"""Issue 16 ("smaller"): the agricultural coverage is the region's register, for staff only."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from greenfin.auth import service as auth
from greenfin.http import SESSION_COOKIE
from greenfin.settings import Settings
from tests.conftest import make_organisation, make_user


@pytest.mark.parametrize("role", ["admin", "regulator"])
def test_staff_read_the_coverage(client: TestClient, headers_for, role: str) -> None:  # type: ignore[no-untyped-def]
    answer = client.get("/api/v1/agriculture/coverage", headers=headers_for(role))
    assert answer.status_code == 200, answer.text
    assert {row["category"] for row in answer.json()["categories"]} >= {"grain_grower", "pig_farm"}


@pytest.mark.parametrize(("role", "kind"), [("bank", "bank"), ("enterprise", "enterprise"), ("resident", None)])
def test_banks_enterprises_and_residents_are_refused(
    client: TestClient, session: Session, settings: Settings, headers_for, role: str, kind: str | None
) -> None:  # type: ignore[no-untyped-def]
    organisation = make_organisation(session, kind=kind, code=f"{role.upper()}01") if kind else None
    answer = client.get("/api/v1/agriculture/coverage", headers=headers_for(role, organisation))
    assert answer.status_code == 403, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    user = make_user(session, f"page-{role}", role, organisation)
    secret, _ = auth.issue_token(session, settings, user, kind="session")
    session.commit()
    client.cookies.set(SESSION_COOKIE, secret)
    assert client.get("/agriculture/coverage").status_code == 403


def test_a_data_source_key_is_refused(client: TestClient, session: Session) -> None:
    bank = make_organisation(session, kind="bank", code="QZB09")
    _, key = auth.create_api_key(session, organisation=bank, name="payments", role="data_source")
    session.commit()
    assert client.get("/api/v1/agriculture/coverage", headers={"X-API-Key": key}).status_code == 403
