"""The ecological bank's dashboard over HTTP on both databases: sums by kind and county, scope, page, export.

The book, by hand:
- a Changshan orchard of 120.5 亩 (collective), appraised by the income approach at
  5,196,283.28 元 (A 5,200 元/亩 × 100 亩, n 76, r 10 %: the textbook orchard of test_registry);
  deposited for 5,600 元 a year, paid 2,800 + 2,800 元 (a mistaken 280 元 reversed): 5,600 元
  to one household; pledged for 3,000,000 元 on a 4,000,000 元 loan;
- a Kaihua forest right of 120.5 亩, appraised at 1,000 × [(1.08)^10 − 1] ÷ [0.08 × (1.08)^10]
  = 6,710.08 元, with two GEP appraisals of which only the later counts.
Totals: 2 assets, 241 亩, 5,196,283.28 + 6,710.08 = 5,202,993.36 元 (520.30 万元); 1 deposit;
1 loan of 4,000,000 元 secured for 3,000,000 元; 5,600 元 paid to 1 household.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from greenfin.settings import Settings
from tests.conftest import bearer, make_organisation, make_user
from tests.ecobank.test_pages import _login
from tests.ecobank.test_pledges import INCOME, _loan_body, consent
from tests.ecobank.test_registry import CHANGSHAN, KAIHUA, asset_body

OPERATOR = "91330822MA2EBANK01"


def _book(client: TestClient, session: Session, settings: Settings, headers_for: Any) -> dict[str, Any]:
    admin = headers_for("admin")
    bank = headers_for("bank", make_organisation(session, kind="bank", code="cs_rcb", name="常山农商银行"))
    firm = make_organisation(session, kind="enterprise", code=OPERATOR, name="常山两山银行")
    operator = {"organisation_code": OPERATOR, "name": firm.name, "county_code": CHANGSHAN}
    assert client.post("/api/v1/ecobank/operators", json=operator, headers=admin).status_code == 201
    staff = bearer(session, settings, make_user(session, "cs-eco", "enterprise", firm))
    orchard = client.post("/api/v1/ecobank/assets", json=asset_body("D-1"), headers=admin).json()
    forest_body = asset_body(
        "D-2",
        kind="forest_right",
        crop=None,
        name="开化林场林权",
        county_code=KAIHUA,
        township_code="330824100",
        village_code="330824100001",
    )
    forest = client.post("/api/v1/ecobank/assets", json=forest_body, headers=admin).json()
    client.post(f"/api/v1/ecobank/assets/{orchard['id']}/valuations", json=INCOME, headers=admin)
    income = {"method": "income", "inputs": {"annual_net_income": 1000, "years": 10, "rate": "0.08"}, "valuer": "所"}
    assert (
        client.post(f"/api/v1/ecobank/assets/{forest['id']}/valuations", json=income, headers=admin).json()["value_fen"]
        == 671_008
    )
    geps = []
    for day, water in (("2025-06-30", 1000), ("2026-06-30", 2000)):
        gep = {"method": "gep", "inputs": {"quantities": {"water_retention": water}}, "valuer": "生态环境局"}
        geps.append(
            client.post(
                f"/api/v1/ecobank/assets/{forest['id']}/valuations", json={**gep, "valued_on": day}, headers=admin
            ).json()
        )
    terms = {"start_on": "2026-01-01", "end_on": "2035-12-31", "income_kind": "rent", "rent_fen_per_year": 560_000}
    deposit = client.post(f"/api/v1/ecobank/assets/{orchard['id']}/deposits", json=terms, headers=staff).json()
    pay = f"/api/v1/ecobank/deposits/{deposit['id']}/payments"
    client.post(pay, json={"paid_on": "2026-06-30", "amount_fen": 280_000, "period": "2026-H1"}, headers=staff)
    wrong = client.post(pay, json={"paid_on": "2026-07-01", "amount_fen": 28_000, "period": "2026-H2"}, headers=staff)
    client.post(f"/api/v1/ecobank/payments/{wrong.json()['id']}/reversal", json={"reason": "录错"}, headers=staff)
    client.post(pay, json={"paid_on": "2026-12-31", "amount_fen": 280_000, "period": "2026-H2"}, headers=staff)
    loan = client.post("/api/v1/loans", json=_loan_body("HYD-D-1"), headers=bank).json()
    pledge = {
        "asset_id": orchard["id"],
        "loan_id": loan["id"],
        "amount_fen": 300_000_000,
        "consent_document_id": consent(client, orchard["id"], admin),
    }
    assert client.post("/api/v1/ecobank/pledges", json=pledge, headers=bank).status_code == 201
    return {"admin": admin, "bank": bank, "staff": staff, "later_gep_fen": geps[1]["value_fen"]}


def test_the_sums_by_kind_and_county(
    client: TestClient, session: Session, settings: Settings, headers_for: Any
) -> None:
    book = _book(client, session, settings, headers_for)
    summary = client.get("/api/v1/ecobank/summary", headers=headers_for("regulator"))
    assert summary.status_code == 200, summary.text
    s = summary.json()
    totals = s["totals"]
    assert (totals["assets"], totals["area_milli_mu"], totals["value_fen"], totals["appraised"]) == (
        2, 241_000, 520_299_336, 2
    )  # fmt: skip
    assert totals["gep_fen"] == book["later_gep_fen"]  # the latest GEP only, not both
    assert (totals["deposits"], totals["rent_fen"], totals["paid_fen"], totals["households"]) == (
        1,
        560_000,
        560_000,
        1,
    )
    assert (totals["pledges"], totals["pledged_fen"], totals["loans"], s["loans_fen"]) == (
        1, 300_000_000, 1, 400_000_000
    )  # fmt: skip
    by_county = {g["key"]: g for g in s["by_county"]}
    assert by_county[CHANGSHAN]["value_fen"] == 519_628_328 and by_county[KAIHUA]["value_fen"] == 671_008
    assert by_county[KAIHUA]["paid_fen"] == 0 and by_county[CHANGSHAN]["pledged_fen"] == 300_000_000
    assert [g["key"] for g in s["by_kind"]] == ["forest_right", "orchard"]
    assert [p["amount_fen"] for p in s["latest_payments"]][:1] == [280_000]  # newest first
    # one county only
    one = client.get("/api/v1/ecobank/summary", params={"county_code": KAIHUA}, headers=book["admin"]).json()
    assert (one["totals"]["assets"], one["totals"]["value_fen"], one["totals"]["paid_fen"]) == (1, 671_008, 0)


def test_who_sees_the_dashboard(client: TestClient, session: Session, settings: Settings, headers_for: Any) -> None:
    """An ecological bank sees its own county only; a bank, an enterprise and a resident are refused."""
    book = _book(client, session, settings, headers_for)
    own = client.get("/api/v1/ecobank/summary", params={"county_code": KAIHUA}, headers=book["staff"]).json()
    assert own["county_code"] == CHANGSHAN and own["totals"]["assets"] == 1  # its county, whatever it asks
    for role in ("bank", "enterprise", "resident"):
        refused = client.get("/api/v1/ecobank/summary", headers=book["bank"] if role == "bank" else headers_for(role))
        assert refused.status_code == 403, role
        assert refused.headers["content-type"].startswith("application/problem+json")


def test_the_dashboard_page_and_its_export(
    client: TestClient, session: Session, settings: Settings, headers_for: Any
) -> None:
    book = _book(client, session, settings, headers_for)
    _login(client, book["admin"])
    page = client.get("/ecobank")
    assert page.status_code == 200
    text = page.text
    assert "两山银行概览" in text and "520.30 万元" in text and "400.00 万元" in text  # 万元, not fen
    assert "常山县" in text and "开化县" in text and "林权" in text
    assert ">orchard<" not in text and ">forest_right<" not in text and "eco.sum" not in text
    client.cookies.set("lang", "en")
    english = client.get("/ecobank")
    client.cookies.delete("lang")
    assert "Two Mountains Bank overview" in english.text and "5.20 m yuan" in english.text
    exported = client.get("/ecobank/summary.csv", params={"by": "county"})
    rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["县（市、区）", "登记资产", "面积（亩）", "评估价值"]
    assert [row[:4] for row in rows[1:]] == [
        ["常山县", "1", "120.500", "5196283.28"],
        ["开化县", "1", "120.500", "6710.08"],
    ]
    assert client.get("/ecobank/summary.xlsx", params={"by": "kind"}).status_code == 200
    _login(client, headers_for("enterprise"))
    assert client.get("/ecobank").status_code == 403
