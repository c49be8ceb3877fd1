"""Issue 16, part 6: one odd row in a file intake is refused as that row (named), never a traceback.

Odd rows: a NUL byte (PostgreSQL cannot store one), bytes that are not UTF-8, a field over the
csv module's limit, a 5,000-digit number, a year-1 time, a field over its bound.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from greenfin.agriculture import service as agriculture
from greenfin.auth.service import Principal
from greenfin.cli import app
from greenfin.errors import InvalidInput
from greenfin.industry import service as industry
from tests.personal.conftest import ID_A, ID_B
from tests.personal.test_cli import database  # noqa: F401  (the CLI's SQLite file fixture)

runner = CliRunner()
STAFF = Principal(actor="test", role="regulator")
ENERGY = "uscc,year,month,energy,quantity,unit,data_quality\n"
GOOD_ENERGY = "91330881MA2APXFA0X,2024,1,diesel,1,t,metered\n"
FARM = "farm,year,practice,data_quality,crop,straw_t,area_mu\n"
ODD = {
    "nul": (b"x\x00y", "holds a NUL byte"),
    "not utf-8": (b"\xff\xfe", "not UTF-8 text"),
    "huge field": (b'"' + b"x" * 200_000 + b'"', "field larger than field limit"),
}


@pytest.mark.parametrize("odd", list(ODD))
def test_an_odd_row_of_an_industry_file_is_named(session: Session, odd: str) -> None:
    cell, reason = ODD[odd]
    content = (ENERGY + GOOD_ENERGY).encode() + b"91330881MA2APXFA0X,2024,2,diesel," + cell + b",t,metered\n"
    with pytest.raises(InvalidInput) as refused:
        industry.import_file(session, STAFF, kind="energy", filename="energy.csv", content=content)
    assert refused.value.errors[0]["row"] == 3
    assert reason in refused.value.errors[0]["reason"]


def test_a_5000_digit_quantity_in_an_industry_file_is_a_row_error(session: Session) -> None:
    content = (ENERGY + f"91330881MA2APXFA0X,2024,2,diesel,{'9' * 5000},t,metered\n").encode()
    with pytest.raises(InvalidInput) as refused:
        industry.import_file(session, STAFF, kind="energy", filename="energy.csv", content=content)
    assert (refused.value.errors[0]["row"], refused.value.errors[0]["column"]) == (2, "quantity")


@pytest.mark.parametrize("odd", list(ODD))
def test_an_odd_row_of_an_agricultural_file_is_named(session: Session, odd: str) -> None:
    cell, reason = ODD[odd]
    content = FARM.encode() + b"F1,2024,straw_return,metered,rice," + cell + b",1\n"
    with pytest.raises(InvalidInput) as refused:
        agriculture.import_file(session, STAFF, filename="farms.csv", content=content)
    assert refused.value.errors[0]["row"] == 2
    assert reason in refused.value.errors[0]["reason"]


def test_an_enrolment_file_names_its_odd_rows(database: str, tmp_path: Path) -> None:  # noqa: F811
    head = "id_number,name,phone,consent_ref\n"
    for body, row, reason in [
        (f"{ID_A},张三,13812345678,C1\n{ID_B},{'名' * 100},,C2\n", 3, "at most 60 characters"),
        (f"{ID_A},张三,13812345678,C1\n{ID_B},李\x00四,,C2\n", 3, "holds a NUL byte"),
    ]:
        path = tmp_path / "enrol.csv"
        path.write_text(head + body, encoding="utf-8")
        refused = runner.invoke(app, ["personal", "enrol", str(path)])
        assert isinstance(refused.exception, InvalidInput), refused.output
        assert refused.exception.errors[0]["row"] == row and reason in refused.exception.errors[0]["reason"]
    path.write_bytes((head + f"{ID_A},张三,13812345678,C1\n").encode() + b"\xff,x,,C2\n")
    refused = runner.invoke(app, ["personal", "enrol", str(path)])
    assert isinstance(refused.exception, InvalidInput) and refused.exception.errors[0]["row"] == 3


def test_an_events_file_rejects_each_odd_row_alone(database: str, tmp_path: Path) -> None:  # noqa: F811
    people = tmp_path / "people.csv"
    people.write_text(f"id_number,name,phone,consent_ref\n{ID_A},张三,13812345678,C1\n")
    assert runner.invoke(app, ["personal", "enrol", str(people)]).exit_code == 0
    good = f"QZB01,ok,{ID_A},bus_ride,2026-03-02T08:00:00+08:00,200\n"
    lines = [
        b"source,external_id,id_number,scenario,occurred_at,amount_fen\n",
        good.encode(),
        f"QZB01,y1,{ID_A},bus_ride,0001-01-01T00:00:00+08:00,200\n".encode(),  # row 3
        f"QZB01,big,{ID_A},bus_ride,2026-03-02T09:00:00+08:00,{'9' * 5000}\n".encode(),  # row 4
        f"QZB01,n\x00l,{ID_A},bus_ride,2026-03-02T10:00:00+08:00,1\n".encode(),  # row 5
        f"QZB01,u,{ID_A},bus_ride,2026-03-02T11:00:00+08:00,".encode() + b"\xff\n",  # row 6
        b"QZB01,\xfe\xff," + f"{ID_A},bus_ride,2026-03-02T12:00:00+08:00,1\n".encode(),  # row 7
    ]
    events = tmp_path / "events.csv"
    events.write_bytes(b"".join(lines))
    ingested = runner.invoke(app, ["personal", "ingest", str(events)])
    assert ingested.exit_code == 0, ingested.output
    summary = json.loads(ingested.output)
    assert (summary["accepted"], summary["rejected"]) == (1, 5)
    assert {r["row"] for r in summary["rejections"]} == {3, 4, 5, 6, 7}
    verified = runner.invoke(app, ["personal", "verify"])
    assert verified.exit_code == 0, verified.output


def test_a_carriage_return_inside_a_line_is_no_traceback(session: Session) -> None:
    # Found by the OpenAPI fuzzing: a bare CR made the csv module raise before the first row.
    with pytest.raises(InvalidInput):
        agriculture.import_file(session, STAFF, filename="farms.csv", content=b"farm,ye\rar,practice\nF\r1,2024,x\n")
