"""``GET /api/v1/stats/green-loans`` and ``…/series``: the published figures over HTTP, and the refusals."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import make_organisation
from tests.stats.test_book_statistics import ALL_2024, GREEN_2024, _book

URL = "/api/v1/stats/green-loans"


def _headers(session: Session, headers_for: Any) -> dict[str, Any]:
    bank_a = make_organisation(session, kind="bank", code="bank-a", name="衢州甲银行")
    firm = make_organisation(session, kind="enterprise", code="91330802MA2TEST001", name="某企业")
    _book(session)
    return {
        "regulator": headers_for("regulator"),
        "bank_a": headers_for("bank", bank_a),
        "enterprise": headers_for("enterprise", firm),
    }


def test_the_regulator_reads_the_jinsha_figures(client: TestClient, session: Session, headers_for: Any) -> None:
    """Share 27.37 %, growth 60.43 %, 47.77 points above all loans (the published disclosure)."""
    h = _headers(session, headers_for)
    answer = client.get(URL, params={"as_of": "2024-12-31", "by": ["bank", "category"]}, headers=h["regulator"])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    totals = body["totals"]
    assert (totals["green_balance_fen"], totals["all_balance_fen"]) == (GREEN_2024, ALL_2024)
    assert (totals["share"], totals["ytd_growth"], totals["ytd_points_above_all"]) == ("0.2737", "0.6043", "47.77")
    banks = {g["key"]: g for g in body["groups"]["bank"]}
    assert banks["bank-a"]["name"] == "衢州甲银行"  # names first
    series = client.get(f"{URL}/series", params={"start": "2023-01-01", "end": "2024-12-31"}, headers=h["regulator"])
    assert series.status_code == 200 and [s["totals"]["as_of"] for s in series.json()] == ["2023-12-31", "2024-12-31"]


def test_refusals(client: TestClient, session: Session, headers_for: Any) -> None:
    h = _headers(session, headers_for)
    assert client.get(URL, params={"as_of": "2024-12-31"}).status_code == 401
    assert client.get(URL, params={"as_of": "2024-12-31"}, headers=h["enterprise"]).status_code == 403
    own = client.get(URL, params={"as_of": "2024-12-31"}, headers=h["bank_a"])
    assert own.status_code == 200 and own.json()["scope"] == "bank-a"
    other = client.get(URL, params={"as_of": "2024-12-31", "bank_code": "bank-b"}, headers=h["bank_a"])
    assert other.status_code == 403
    assert other.headers["content-type"].startswith("application/problem+json")
    bad_day = client.get(URL, params={"as_of": "2024-02-30"}, headers=h["regulator"])
    assert bad_day.status_code == 422
    colour = client.get(URL, params={"as_of": "2024-12-31", "by": "colour"}, headers=h["regulator"])
    assert colour.status_code == 422
    empty = client.get(URL, params={"as_of": "2024-11-30"}, headers=h["regulator"])
    assert empty.status_code == 422 and "no loan balances" in empty.json()["detail"]
    too_many = client.get(URL, params={"as_of": "2024-12-31", "by": ["bank"] * 7}, headers=h["regulator"])
    assert too_many.status_code == 422
