"""Issue 16, part 6: property-based fuzzing of the whole OpenAPI (schemathesis) on both databases.

Every operation of ``/openapi.json`` is called with inputs generated from its schema
(hypothesis, derandomized: the same inputs every run) as an administrator, a bank and a
resident, and must never answer 5xx nor answer outside its documented schema (the body of a
documented status must match it; any problem is problem+json). Bounded so that it stays well
under a minute per database: a few examples per operation. A deeper run, by hand:
``GREENFIN_FUZZ_EXAMPLES=60 pytest tests/security/test_fuzz_openapi.py``.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance
from sqlalchemy.orm import Session

from greenfin.settings import Settings
from tests.conftest import bearer, make_organisation, make_user

MAX_EXAMPLES = int(os.environ.get("GREENFIN_FUZZ_EXAMPLES", "4"))


@pytest.fixture
def fuzz_roles(session: Session, settings: Settings) -> dict[str, dict[str, str]]:
    bank = make_organisation(session, kind="bank", code="QZB01")
    return {
        "admin": bearer(session, settings, make_user(session, "fuzz-admin", "admin")),
        "bank": bearer(session, settings, make_user(session, "fuzz-bank", "bank", bank)),
        "resident": bearer(session, settings, make_user(session, "fuzz-resident", "resident")),
    }


@pytest.mark.slow
def test_no_input_gets_a_5xx_or_an_answer_outside_the_schema(
    client: TestClient, fuzz_roles: dict[str, dict[str, str]]
) -> None:
    api = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    failures: dict[str, str] = {}
    operations = 0
    for result in api.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate],  # no shrinking: the first failure is reported as found
        )
        def call(case: schemathesis.Case) -> None:
            for headers in fuzz_roles.values():
                case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance])

        try:
            call()
        except Exception as exc:  # every operation is tried; all failures are reported together
            failures[operation.label] = str(exc)[:2000]
    assert operations > 40
    assert failures == {}
