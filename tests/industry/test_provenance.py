"""Data authority (issue 16, part 1): declared < metered < audited, conflicts kept and resolved.

The findings of the attack, reproduced: an enterprise's own 0 t declaration replaced the
regulator's audited 50,000 t of process CO2 (and a meter's energy), and one process import
replaced every process source of the enterprise-year.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from greenfin.auth.models import AuditEvent
from greenfin.auth.service import Principal
from greenfin.errors import Conflict, Forbidden, InvalidInput
from greenfin.industry import service
from greenfin.industry.models import Label
from greenfin.industry.schemas import ConflictResolve
from tests.conftest import make_organisation
from tests.industry.factories import (
    ANNUAL_HEADER,
    ENERGY_HEADER,
    ENTERPRISE_HEADER,
    PROCESS_HEADER,
    STAFF,
    load,
    make_uscc,
)

A = make_uscc(161)
B = make_uscc(162)
REGULATOR = Principal(actor="regulator-1", role="regulator")
GRID = Principal(actor="key:grid", role="data_source", organisation_code="GRID-330800")
OWN_A = Principal(actor="a-user", role="enterprise", organisation_code=A)


def _setup(session: Session) -> None:
    load(session, "enterprises", ENTERPRISE_HEADER, [(A, "甲水泥", "330881", "3011"), (B, "乙水泥", "330881", "3011")])
    load(
        session,
        "annual",
        ANNUAL_HEADER,
        [(u, 2024, "800000000", "200000000", "30000000", "1000000", "t") for u in (A, B)],
    )


def test_declared_zero_never_replaces_audited_process_co2(session: Session) -> None:
    _setup(session)
    load(session, "process", PROCESS_HEADER, [(A, 2024, "clinker_calcination", "50000", "audited")], REGULATOR)
    result = load(session, "process", PROCESS_HEADER, [(A, 2024, "clinker_calcination", "0", "declared")], OWN_A)
    assert (result.superseded, result.conflicts, result.kept) == (0, 1, 0)

    account = service.get_account(session, STAFF, uscc=A, year=2024)
    assert account.process_co2_t == Decimal(50000)
    assert account.process[0].provenance is not None
    assert account.process[0].provenance.data_quality == "audited"
    assert account.process[0].provenance.imported_by == "regulator-1"
    [conflict] = account.conflicts
    assert (conflict.kind, conflict.item, conflict.status) == ("process", "clinker_calcination", "open")
    assert conflict.held == {"tco2": "0"} and conflict.current == {"tco2": "50000"}
    assert conflict.held_provenance.data_quality == "declared"
    assert conflict.held_provenance.organisation_code == A
    assert conflict.current_provenance is not None and conflict.current_provenance.data_quality == "audited"

    # The label (and so the signed report, which reads the label) uses the audited figure.
    service.label_all(session, STAFF, year=2024)
    label = session.scalars(select(Label).where(Label.year == 2024)).all()
    by_process = sorted(lab.process_co2_g for lab in label)
    assert by_process == [0, 50_000_000_000]  # B has none; A keeps 50,000 t


def test_declared_never_replaces_metered_energy(session: Session) -> None:
    _setup(session)
    load(session, "energy", ENERGY_HEADER, [(A, 2024, 1, "electricity", "1000", "MWh", "metered")], GRID)
    result = load(session, "energy", ENERGY_HEADER, [(A, 2024, 1, "electricity", "0", "MWh", "declared")], OWN_A)
    assert result.conflicts == 1
    account = service.get_account(session, OWN_A, uscc=A, year=2024)
    [line] = account.by_energy
    assert line.quantity == Decimal(1000)  # MWh, the meter's
    [conflict] = account.conflicts
    assert conflict.month == 1 and conflict.item == "electricity"
    assert conflict.current_provenance is not None
    assert conflict.current_provenance.organisation_code == "GRID-330800"
    assert conflict.current_provenance.role == "data_source"


def test_equal_or_higher_authority_replaces(session: Session) -> None:
    _setup(session)
    load(session, "energy", ENERGY_HEADER, [(A, 2024, 1, "electricity", "10", "MWh", "declared")], OWN_A)
    metered = load(session, "energy", ENERGY_HEADER, [(A, 2024, 1, "electricity", "12", "MWh", "metered")], GRID)
    assert (metered.superseded, metered.conflicts) == (1, 0)
    again = load(session, "energy", ENERGY_HEADER, [(A, 2024, 1, "electricity", "13", "MWh", "metered")], GRID)
    assert again.superseded == 1
    agree = load(session, "energy", ENERGY_HEADER, [(A, 2024, 1, "electricity", "13", "MWh", "declared")], OWN_A)
    assert (agree.superseded, agree.conflicts, agree.kept) == (0, 0, 1)  # agrees: nothing to resolve
    account = service.get_account(session, STAFF, uscc=A, year=2024)
    assert account.by_energy[0].quantity == Decimal(13) and account.conflicts == []


def test_process_import_replaces_only_the_sources_it_names(session: Session) -> None:
    _setup(session)
    load(
        session,
        "process",
        PROCESS_HEADER,
        [(A, 2024, "clinker_calcination", "40000", "audited"), (A, 2024, "hfc_byproduct", "500", "audited")],
        REGULATOR,
    )
    load(session, "process", PROCESS_HEADER, [(A, 2024, "hfc_byproduct", "600", "audited")], REGULATOR)
    account = service.get_account(session, STAFF, uscc=A, year=2024)
    assert {p.source: p.tco2 for p in account.process} == {
        "clinker_calcination": Decimal(40000),
        "hfc_byproduct": Decimal(600),
    }
    assert account.process_co2_t == Decimal(40600)


def test_energy_import_replaces_only_the_energies_it_names(session: Session) -> None:
    _setup(session)
    rows = [(A, 2024, 1, "electricity", "100", "MWh", "metered"), (A, 2024, 1, "diesel", "10", "t", "metered")]
    load(session, "energy", ENERGY_HEADER, rows, GRID)
    load(session, "energy", ENERGY_HEADER, [(A, 2024, 1, "electricity", "90", "MWh", "metered")], GRID)
    account = service.get_account(session, STAFF, uscc=A, year=2024)
    assert {line.energy: line.quantity for line in account.by_energy} == {
        "diesel": Decimal(10),
        "electricity": Decimal(90),
    }


def test_process_year_cap_counts_the_sources_kept(session: Session) -> None:
    _setup(session)
    load(session, "process", PROCESS_HEADER, [(A, 2024, "a", "60000000", "audited")], REGULATOR)
    with pytest.raises(InvalidInput) as caught:
        load(session, "process", PROCESS_HEADER, [(A, 2024, "b", "50000000", "audited")], REGULATOR)
    assert caught.value.errors[0]["column"] == "tco2"
    load(session, "process", PROCESS_HEADER, [(A, 2024, "a", "50000000", "audited")], REGULATOR)  # replaces a


def test_quality_is_bounded_by_the_importer(session: Session) -> None:
    _setup(session)
    with pytest.raises(InvalidInput) as caught:
        load(session, "energy", ENERGY_HEADER, [(A, 2024, 1, "electricity", "1", "MWh", "audited")], GRID)
    assert caught.value.errors[0]["column"] == "data_quality"
    with pytest.raises(InvalidInput):
        load(session, "process", PROCESS_HEADER, [(A, 2024, "x", "1", "metered")], OWN_A)
    # Annual figures carry no quality column: the importer's role decides it.
    load(session, "annual", ANNUAL_HEADER, [(A, 2024, "1", "1", "1", "1", "t")], OWN_A)
    account = service.get_account(session, STAFF, uscc=A, year=2024)
    assert account.figures is not None and account.figures.output_value_yuan == Decimal("800000000.00")
    [conflict] = account.conflicts
    assert conflict.kind == "annual" and conflict.held_provenance.data_quality == "declared"


def test_regulator_resolves_conflicts_audited(session: Session) -> None:
    _setup(session)
    load(session, "process", PROCESS_HEADER, [(A, 2024, "clinker_calcination", "50000", "audited")], REGULATOR)
    load(session, "process", PROCESS_HEADER, [(A, 2024, "clinker_calcination", "45000", "declared")], OWN_A)
    [conflict] = service.list_conflicts(session, REGULATOR, year=2024)
    accept = ConflictResolve(decision="accept", note="verifier's corrected report, 2025-03")
    for refused in (OWN_A, GRID):
        with pytest.raises(Forbidden):
            service.resolve_conflict(session, refused, kind="process", row_id=conflict.id, decision=accept)
    resolved = service.resolve_conflict(session, REGULATOR, kind="process", row_id=conflict.id, decision=accept)
    assert resolved.status == "accepted" and resolved.held_provenance.accepted
    assert service.get_account(session, STAFF, uscc=A, year=2024).process_co2_t == Decimal(45000)
    with pytest.raises(Conflict):
        service.resolve_conflict(session, REGULATOR, kind="process", row_id=conflict.id, decision=accept)
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "conflict_accept")).one()
    assert event.actor == "regulator-1"
    # Accepted, it weighs as audited: the enterprise's next declaration is held again.
    later = load(session, "process", PROCESS_HEADER, [(A, 2024, "clinker_calcination", "1", "declared")], OWN_A)
    assert later.conflicts == 1
    [second] = service.list_conflicts(session, OWN_A, year=2024)
    reject = ConflictResolve(decision="reject", note="no evidence")
    assert service.resolve_conflict(session, REGULATOR, kind="process", row_id=second.id, decision=reject).status == (
        "rejected"
    )
    assert service.get_account(session, STAFF, uscc=A, year=2024).process_co2_t == Decimal(45000)
    assert service.list_conflicts(session, REGULATOR, year=2024) == []


def test_conflicts_over_http(client: TestClient, session: Session, headers_for) -> None:  # type: ignore[no-untyped-def]
    _setup(session)
    load(session, "process", PROCESS_HEADER, [(A, 2024, "clinker_calcination", "50000", "audited")], REGULATOR)
    load(session, "process", PROCESS_HEADER, [(A, 2024, "clinker_calcination", "0", "declared")], OWN_A)
    own_b = make_organisation(session, kind="enterprise", code=B)
    own_a = make_organisation(session, kind="enterprise", code=A)
    session.commit()
    regulator, enterprise_a, enterprise_b = (
        headers_for("regulator"),
        headers_for("enterprise", own_a),
        headers_for("enterprise", own_b),
    )
    listed = client.get("/api/v1/industry/conflicts", params={"year": 2024}, headers=regulator).json()
    assert [c["held"] for c in listed] == [{"tco2": "0"}]
    assert len(client.get("/api/v1/industry/conflicts", headers=enterprise_a).json()) == 1
    assert client.get("/api/v1/industry/conflicts", headers=enterprise_b).json() == []
    other = client.get("/api/v1/industry/conflicts", params={"uscc": A}, headers=enterprise_b)
    assert other.status_code == 403
    assert client.get("/api/v1/industry/conflicts", headers=headers_for("bank")).status_code == 403
    url = f"/api/v1/industry/conflicts/process/{listed[0]['id']}/resolve"
    body = {"decision": "reject", "note": "the verifier's figure stands"}
    assert client.post(url, json=body, headers=enterprise_a).status_code == 403
    assert client.post(url, json={"decision": "maybe", "note": "x"}, headers=regulator).status_code == 422
    done = client.post(url, json=body, headers=regulator)
    assert done.status_code == 200 and done.json()["status"] == "rejected"
    assert client.post(url, json=body, headers=regulator).status_code == 409
    account = client.get(f"/api/v1/industry/enterprises/{A}/account", params={"year": 2024}, headers=regulator)
    assert account.json()["process_co2_t"] == 50000 and account.json()["conflicts"] == []


def test_the_account_page_shows_conflicts_and_the_regulator_resolves_them(client: TestClient, session: Session) -> None:
    from tests.conftest import PASSWORD, make_user

    _setup(session)
    load(session, "energy", ENERGY_HEADER, [(A, 2024, 3, "electricity", "1000", "MWh", "metered")], GRID)
    load(session, "energy", ENERGY_HEADER, [(A, 2024, 3, "electricity", "0", "MWh", "declared")], OWN_A)
    make_user(session, "page-regulator", "regulator")
    make_user(session, "page-enterprise", "enterprise", make_organisation(session, kind="enterprise", code=A))
    session.commit()
    url = f"/industry/enterprises/{A}?year=2024"

    client.post("/login", data={"username": "page-enterprise", "password": PASSWORD}, follow_redirects=False)
    page = client.get(url).text
    assert "待裁决的数据冲突" in page and "电力（3月）" in page
    assert "0 MWh" in page and "1000 MWh" in page and "GRID-330800" in page and "北京时间" in page
    assert "/resolve" not in page  # the enterprise sees the conflict, cannot decide it
    client.post("/logout", follow_redirects=False)
    client.cookies.clear()

    client.post("/login", data={"username": "page-regulator", "password": PASSWORD}, follow_redirects=False)
    page = client.get(url).text
    [conflict] = service.list_conflicts(session, REGULATOR, uscc=A)
    action = f"/industry/conflicts/energy/{conflict.id}/resolve"
    assert action in page
    done = client.post(action, data={"uscc": A, "year": 2024, "decision": "reject", "note": "电表读数为准"})
    assert done.status_code == 200 and "已驳回该数据" in done.text and "待裁决的数据冲突" not in done.text
