"""Green-finance divisions and pilot banks over HTTP, on SQLite and PostgreSQL, with the refusals."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import make_organisation

URL = "/api/v1/stats"


def _division(bank_code: str, name: str, **changes: Any) -> dict[str, Any]:
    return {
        "bank_code": bank_code,
        "name": name,
        "kind": "division",
        "county_code": "330802",
        "established_on": "2018-06-01",
        "source": "衢州市绿色金融改革创新试验区建设情况通报",
        **changes,
    }


def _setup(session: Session, headers_for: Any) -> dict[str, Any]:
    bank_a = make_organisation(session, kind="bank", code="bank-a", name="衢州甲银行")
    bank_b = make_organisation(session, kind="bank", code="bank-b", name="衢州乙银行")
    firm = make_organisation(session, kind="enterprise", code="91330802MA2TEST001", name="某企业")
    return {
        "regulator": headers_for("regulator"),
        "bank_a": headers_for("bank", bank_a),
        "bank_b": headers_for("bank", bank_b),
        "enterprise": headers_for("enterprise", firm),
    }


def test_register_and_count_on_a_day(client: TestClient, session: Session, headers_for: Any) -> None:
    """Three divisions, one closed on 2022-12-31; bank A a pilot since 2018, bank B since 2023-01-01.

    On 2022-06-30: divisions 3, pilot banks 1. On 2023-03-31: divisions 2 (one closed),
    pilot banks 2.
    """
    h = _setup(session, headers_for)
    first = client.post(
        f"{URL}/divisions", json=_division("bank-a", "甲银行衢州分行绿色金融事业部"), headers=h["regulator"]
    )
    assert first.status_code == 201, first.text
    assert first.json()["closed_on"] is None
    second = client.post(
        f"{URL}/divisions",
        json=_division("bank-a", "甲银行柯城绿色支行", kind="green_branch", established_on="2019-03-01"),
        headers=h["bank_a"],
    )
    assert second.status_code == 201, second.text
    third = client.post(f"{URL}/divisions", json=_division("bank-b", "乙银行绿色专营机构"), headers=h["bank_b"])
    assert third.status_code == 201
    closed = client.post(
        f"{URL}/divisions/{second.json()['id']}/close", json={"closed_on": "2022-12-31"}, headers=h["bank_a"]
    )
    assert (closed.status_code, closed.json()["closed_on"]) == (200, "2022-12-31")
    for bank, day in (("bank-a", "2018-06-15"), ("bank-b", "2023-01-01")):
        pilot = client.post(
            f"{URL}/pilot-banks",
            json={"bank_code": bank, "designated_on": day, "document": "衢州市绿色金融改革试点银行名单"},
            headers=h["regulator"],
        )
        assert pilot.status_code == 201, pilot.text

    mid_2022 = client.get(f"{URL}/registered-facts", params={"as_of": "2022-06-30"}, headers=h["regulator"]).json()
    assert (mid_2022["divisions"], mid_2022["pilot_banks"]) == (3, 1)
    q1_2023 = client.get(f"{URL}/registered-facts", params={"as_of": "2023-03-31"}, headers=h["regulator"]).json()
    assert (q1_2023["divisions"], q1_2023["pilot_banks"]) == (2, 2)
    assert {d["name"] for d in q1_2023["division_items"]} == {"甲银行衢州分行绿色金融事业部", "乙银行绿色专营机构"}

    # a bank reads the region's counts but only its own registrations
    seen_by_b = client.get(f"{URL}/registered-facts", params={"as_of": "2023-03-31"}, headers=h["bank_b"]).json()
    assert (seen_by_b["divisions"], seen_by_b["pilot_banks"]) == (2, 2)
    assert [d["bank_code"] for d in seen_by_b["division_items"]] == ["bank-b"]
    assert [p["bank_code"] for p in seen_by_b["pilot_bank_items"]] == ["bank-b"]


def test_refusals(client: TestClient, session: Session, headers_for: Any) -> None:
    h = _setup(session, headers_for)
    # a bank registers only its own divisions
    other = client.post(f"{URL}/divisions", json=_division("bank-a", "冒名事业部"), headers=h["bank_b"])
    assert other.status_code == 403
    # an enterprise neither registers nor reads
    assert client.post(f"{URL}/divisions", json=_division("bank-a", "x"), headers=h["enterprise"]).status_code == 403
    facts = client.get(f"{URL}/registered-facts", params={"as_of": "2023-03-31"}, headers=h["enterprise"])
    assert facts.status_code == 403
    assert facts.headers["content-type"].startswith("application/problem+json")
    # nobody anonymous
    assert client.get(f"{URL}/registered-facts", params={"as_of": "2023-03-31"}).status_code == 401
    # only regulators designate pilot banks
    pilot = {"bank_code": "bank-a", "designated_on": "2018-06-15", "document": "名单"}
    assert client.post(f"{URL}/pilot-banks", json=pilot, headers=h["bank_a"]).status_code == 403
    # the bank must exist and be a bank
    assert client.post(f"{URL}/divisions", json=_division("bank-z", "x"), headers=h["regulator"]).status_code == 404
    firm = client.post(f"{URL}/divisions", json=_division("91330802MA2TEST001", "x"), headers=h["regulator"])
    assert firm.status_code == 422
    # bad shapes
    bad = client.post(f"{URL}/divisions", json=_division("bank-a", "x", kind="office"), headers=h["regulator"])
    assert bad.status_code == 422
    assert (
        client.post(f"{URL}/divisions", json=_division("bank-a", "x", county="y"), headers=h["regulator"]).status_code
        == 422
    )
    # duplicates conflict
    assert client.post(f"{URL}/pilot-banks", json=pilot, headers=h["regulator"]).status_code == 201
    assert client.post(f"{URL}/pilot-banks", json=pilot, headers=h["regulator"]).status_code == 409
    made = client.post(f"{URL}/divisions", json=_division("bank-a", "甲事业部"), headers=h["regulator"])
    assert (
        client.post(f"{URL}/divisions", json=_division("bank-a", "甲事业部"), headers=h["regulator"]).status_code == 409
    )
    # closing: not another bank's division, not before it opened, not twice
    close = f"{URL}/divisions/{made.json()['id']}/close"
    assert client.post(close, json={"closed_on": "2020-01-01"}, headers=h["bank_b"]).status_code == 403
    assert client.post(close, json={"closed_on": "2018-06-01"}, headers=h["regulator"]).status_code == 422
    assert client.post(close, json={"closed_on": "2020-01-01"}, headers=h["regulator"]).status_code == 200
    assert client.post(close, json={"closed_on": "2021-01-01"}, headers=h["regulator"]).status_code == 409
    assert (
        client.post(f"{URL}/divisions/nope/close", json={"closed_on": "2021-01-01"}, headers=h["regulator"]).status_code
        == 404
    )
