"""Imports: the whole file validated first, every bad row reported, versions kept."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from greenfin.auth.models import AuditEvent
from greenfin.auth.service import Principal
from greenfin.errors import Forbidden, InvalidInput
from greenfin.industry import service
from greenfin.industry.models import EnergyRecord, Enterprise, ImportBatch
from tests.industry.factories import ENERGY_HEADER, ENTERPRISE_HEADER, STAFF, load, make_uscc

A = make_uscc(1)
B = make_uscc(2)


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_bad_file_reports_every_row_and_stores_nothing(session: Session) -> None:
    load(session, "enterprises", ENTERPRISE_HEADER, [(A, "甲", "330881", "2614")])
    before = (_count(session, EnergyRecord), _count(session, ImportBatch))
    bad_uscc = A[:-1] + ("0" if A[-1] != "0" else "1")
    rows = [
        (A, 2024, 1, "electricity", "100", "MWh", "metered"),  # row 2: fine
        (A, 2024, 13, "electricity", "100", "MWh", "metered"),  # row 3: month
        (A, 2024, 2, "electricity", "-5", "MWh", "metered"),  # row 4: negative
        (A, 2024, 3, "natural_gas", "100", "m3", "metered"),  # row 5: ambiguous unit
        (bad_uscc, 2024, 4, "diesel", "1", "t", "metered"),  # row 6: checksum
        (A, 2024, 5, "unobtainium", "1", "t", "metered"),  # row 7: unknown energy
        (A, 2024, 6, "diesel", "abc", "t", "guessed"),  # row 8: number and quality
        (A, 2024, 1, "electricity", "100", "MWh", "metered"),  # row 9: duplicates row 2
        (B, 2024, 1, "electricity", "1", "kWh", "metered"),  # row 10: unknown enterprise
    ]
    with pytest.raises(InvalidInput) as caught:
        load(session, "energy", ENERGY_HEADER, rows)
    found = {(e["row"], e["column"]) for e in caught.value.errors}
    assert {
        (3, "month"),
        (4, "quantity"),
        (5, "unit"),
        (6, "uscc"),
        (7, "energy"),
        (8, "quantity"),
        (8, "data_quality"),
        (9, None),
        (10, "uscc"),
    } <= found
    assert 2 not in {row for row, _ in found}
    assert "nothing was stored" in caught.value.detail
    assert (_count(session, EnergyRecord), _count(session, ImportBatch)) == before


def test_bad_header_and_bad_enterprise_codes(session: Session) -> None:
    with pytest.raises(InvalidInput) as caught:
        service.import_file(session, STAFF, kind="energy", filename="e.csv", content=b"uscc,year,qty\n")
    assert {"row": 1, "column": "month", "reason": "missing column"} in caught.value.errors
    with pytest.raises(InvalidInput) as caught:
        load(session, "enterprises", ENTERPRISE_HEADER, [(A, "甲", "33088", "2614"), (B, "乙", "330881", "9999")])
    assert {(e["row"], e["column"]) for e in caught.value.errors} == {(2, "county_code"), (3, "industry_code")}
    assert _count(session, Enterprise) == 0


def test_reimport_writes_a_new_version_and_keeps_the_old(session: Session) -> None:
    load(session, "enterprises", ENTERPRISE_HEADER, [(A, "甲", "330881", "2614")])
    first = load(
        session,
        "energy",
        ENERGY_HEADER,
        [(A, 2024, 1, "electricity", "100", "MWh", "metered"), (A, 2024, 2, "electricity", "90", "MWh", "metered")],
    )
    second = load(session, "energy", ENERGY_HEADER, [(A, 2024, 1, "electricity", "120", "MWh", "audited")])
    assert (first.superseded, second.superseded) == (0, 1)
    rows = session.execute(
        select(EnergyRecord.month, EnergyRecord.version, EnergyRecord.is_current, EnergyRecord.quantity_milli).order_by(
            EnergyRecord.month, EnergyRecord.version
        )
    ).all()
    assert [tuple(r) for r in rows] == [
        (1, 1, False, 100_000_000),
        (1, 2, True, 120_000_000),
        (2, 1, True, 90_000_000),
    ]
    shown = service.versions(session, STAFF, uscc=A, year=2024)
    january = [v for v in shown if v.kind == "energy" and v.month == 1]
    assert [(v.version, v.is_current, v.filename) for v in january] == [
        (1, False, "energy.csv"),
        (2, True, "energy.csv"),
    ]
    assert january[0].detail == [
        {
            "energy": "electricity",
            "quantity": "100",
            "unit": "MWh",
            "data_quality": "metered",
            "version": 1,
            "is_current": False,
            "conflict": None,
        }
    ]
    account = service.get_account(session, STAFF, uscc=A, year=2024)
    # current: 120 + 90 MWh = 210 MWh x 0.4974 t/MWh (Zhejiang, 2024 -> newest published, 2023)
    assert str(account.energy_co2_t) == "104.454000"
    audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "import").order_by(AuditEvent.at)).all()
    assert len(audit) == 3 and audit[-1].after is not None and audit[-1].after["superseded"] == 1


def test_xlsx_import(session: Session) -> None:
    load(session, "enterprises", ENTERPRISE_HEADER, [(A, "甲", "330881", "2614")])
    book = Workbook()
    sheet = book.active
    sheet.append(list(ENERGY_HEADER))
    sheet.append([A, 2024, 3, "diesel", 2.5, "t", "declared"])
    sheet.append([A, 2024, 4, "natural_gas", 1.5, "10^4 Nm3", "metered"])
    buffer = io.BytesIO()
    book.save(buffer)
    result = service.import_file(session, STAFF, kind="energy", filename="energy.xlsx", content=buffer.getvalue())
    assert result.rows == 2 and len(result.sha256) == 64
    quantities = session.scalars(select(EnergyRecord.quantity_milli).order_by(EnergyRecord.month)).all()
    assert quantities == [2_500_000, 15_000_000]  # 2,500 kg and 15,000 Nm3 in thousandths


def test_enterprise_imports_only_its_own_data(session: Session) -> None:
    load(session, "enterprises", ENTERPRISE_HEADER, [(A, "甲", "330881", "2614"), (B, "乙", "330881", "2614")])
    own = Principal(actor="user:a", role="enterprise", organisation_code=A)
    load(session, "energy", ENERGY_HEADER, [(A, 2024, 1, "diesel", "1", "t", "declared")], principal=own)
    with pytest.raises(InvalidInput) as caught:
        load(session, "energy", ENERGY_HEADER, [(B, 2024, 1, "diesel", "1", "t", "declared")], principal=own)
    assert caught.value.errors[0]["column"] == "uscc"
    with pytest.raises(Forbidden):
        load(
            session,
            "energy",
            ENERGY_HEADER,
            [(A, 2024, 1, "diesel", "1", "t", "declared")],
            principal=Principal("b", "bank"),
        )


# --- review findings: caps, who may import what, audit of master data, size --------------------

PROCESS = ("uscc", "year", "source", "tco2", "data_quality")


def test_process_rows_are_capped_per_row_and_per_enterprise_year(session: Session) -> None:
    load(session, "enterprises", ENTERPRISE_HEADER, [(A, "甲", "330881", "3011"), (B, "乙", "330881", "3011")])
    # 10^8 t is accepted in one row; a gram more is refused (the largest plants emit ~10^7 t).
    load(session, "process", PROCESS, [(A, 2024, "clinker", "100000000", "audited")])
    with pytest.raises(InvalidInput) as caught:
        load(session, "process", PROCESS, [(B, 2024, "clinker", "100000000.000001", "audited")])
    assert [(e["row"], e["column"]) for e in caught.value.errors] == [(2, "tco2")]
    # two rows of 6 x 10^7 t each: fine alone, 1.2 x 10^8 t together for B in 2024 -> both rows refused
    rows = [(B, 2024, "clinker", "60000000", "audited"), (B, 2024, "lime", "60000000", "audited")]
    with pytest.raises(InvalidInput) as caught:
        load(session, "process", PROCESS, rows)
    assert [(e["row"], e["column"]) for e in caught.value.errors] == [(2, "tco2"), (3, "tco2")]
    assert "120000000.000000 t" in caught.value.errors[0]["reason"]
    # the same for two different years is two enterprise-years of 6 x 10^7 t: accepted
    load(session, "process", PROCESS, [(B, 2023, "clinker", "60000000", "audited"), rows[1]])


def test_one_enterprise_cannot_overflow_the_regions_batch(session: Session) -> None:
    # The reviewer's case: 1,100 sources of 9 x 10^9 t (each under the old per-row cap) sum to
    # 9.9 x 10^18 g > 2^63; the whole region's labelling failed. Now the file is refused and
    # the batch labels the region.
    load(session, "enterprises", ENTERPRISE_HEADER, [(A, "甲", "330881", "3011"), (B, "乙", "330881", "3011")])
    load(session, "process", PROCESS, [(B, 2024, "clinker", "1000", "audited")])
    flood = [(A, 2024, f"source{i}", "9000000000", "audited") for i in range(1100)]
    with pytest.raises(InvalidInput):
        load(session, "process", PROCESS, flood)
    run = service.label_all(session, STAFF, year=2024)
    assert run.enterprises == 1


def test_only_staff_import_master_data(session: Session) -> None:
    load(session, "enterprises", ENTERPRISE_HEADER, [(A, "甲", "330881", "2614")])
    own = Principal(actor="user:a", role="enterprise", organisation_code=A)
    # moving itself into another industry (another peer group) is refused
    with pytest.raises(Forbidden):
        load(session, "enterprises", ENTERPRISE_HEADER, [(A, "甲", "330881", "3011")], principal=own)
    feed = Principal(actor="key:grid", role="data_source", organisation_code="GRID")
    with pytest.raises(Forbidden):
        load(session, "enterprises", ENTERPRISE_HEADER, [(A, "甲", "330881", "3011")], principal=feed)
    assert session.scalars(select(Enterprise.industry_code)).all() == ["2614"]


def test_an_enterprise_declares_its_data_and_cannot_certify_it(session: Session) -> None:
    load(session, "enterprises", ENTERPRISE_HEADER, [(A, "甲", "330881", "2614")])
    own = Principal(actor="user:a", role="enterprise", organisation_code=A)
    rows = [
        (A, 2024, 1, "diesel", "1", "t", "declared"),  # row 2: fine
        (A, 2024, 2, "diesel", "1", "t", "audited"),  # row 3: only staff or a data source
        (A, 2024, 3, "diesel", "1", "t", "metered"),  # row 4: likewise
    ]
    with pytest.raises(InvalidInput) as caught:
        load(session, "energy", ENERGY_HEADER, rows, principal=own)
    assert [(e["row"], e["column"]) for e in caught.value.errors] == [(3, "data_quality"), (4, "data_quality")]
    with pytest.raises(InvalidInput) as caught:
        load(session, "process", PROCESS, [(A, 2024, "process", "5", "audited")], principal=own)
    assert caught.value.errors[0]["column"] == "data_quality"
    # a data source (e.g. the grid company's meter feed) delivers metered data for the enterprises it serves
    feed = Principal(actor="key:grid", role="data_source", organisation_code="GRID")
    load(session, "energy", ENERGY_HEADER, [(A, 2024, 2, "electricity", "5", "MWh", "metered")], principal=feed)
    assert session.scalars(select(EnergyRecord.data_quality)).all() == ["metered"]


def test_master_data_changes_are_audited_with_before_and_after(session: Session) -> None:
    C = make_uscc(3)
    load(session, "enterprises", ENTERPRISE_HEADER, [(A, "甲", "330881", "2614"), (B, "乙", "330881", "2614")])
    result = load(
        session,
        "enterprises",
        ENTERPRISE_HEADER,
        [(A, "甲化工", "330802", "2614"), (B, "乙", "330881", "2614"), (C, "丙", "330881", "3011")],
    )
    assert result.superseded == 1  # only A changed; B is the same, C is new
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.entity_id == result.id, AuditEvent.action == "import")
    ).one()
    assert event.before == {"changed": {A: {"name": "甲", "county_code": "330881"}}}
    assert event.after is not None
    assert event.after["changed"] == {A: {"name": "甲化工", "county_code": "330802"}}
    assert (event.after["created"], event.after["superseded"]) == (1, 1)
    names = {uscc: name for uscc, name in session.execute(select(Enterprise.uscc, Enterprise.name))}
    assert names == {A: "甲化工", B: "乙", C: "丙"}


def test_errors_listed_are_capped_with_the_total_in_the_detail(session: Session) -> None:
    load(session, "enterprises", ENTERPRISE_HEADER, [(A, "甲", "330881", "2614")])
    rows = [(A, 2024, 13, "diesel", "1", "t", "metered") for _ in range(1500)]  # 1,500 bad months
    with pytest.raises(InvalidInput) as caught:
        load(session, "energy", ENERGY_HEADER, rows)
    assert len(caught.value.errors) == 1000
    assert caught.value.errors[0]["row"] == 2 and caught.value.errors[-1]["row"] == 1001
    assert "1500 invalid row(s), 1500 problem(s)" in caught.value.detail
    assert "the first 1000 of 1500 problems are listed" in caught.value.detail


def test_oversized_file_is_refused(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "MAX_UPLOAD_BYTES", 64)
    content = b"uscc,year,month,energy,quantity,unit,data_quality\n" + b"x" * 20
    with pytest.raises(service.UploadTooLarge) as caught:
        service.import_file(session, STAFF, kind="energy", filename="big.csv", content=content)
    assert caught.value.status == 413
