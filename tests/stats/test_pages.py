"""The statistics pages over HTTP on both databases: the dashboard, a bank's own view, the evaluation.

The book is the 金沙县农信社 2024 disclosure of test_book_statistics (万元): green 131,937.22 →
211,672.44 and all loans 686,461.90 → 773,363.21, so the share is 27.37 %, growth 60.43 %,
47.77 points above all loans. Bank A: green 100,000 → 150,000 of all 470,000; bank B the rest.
Evaluation on 2024-12-31, by hand:
- bank A: 150,000 ÷ 470,000 = 31.91 %; of the region 150,000 ÷ 211,672.44 = 70.86 %; growth 50.00 %;
  no non-performing green loan: 0.00 %;
- bank B: 61,672.44 ÷ 303,363.21 = 20.33 %; 61,672.44 ÷ 211,672.44 = 29.14 %; (61,672.44 − 31,937.22)
  ÷ 31,937.22 = 93.11 %; its green loan is 关注 (special mention), not non-performing: 0.00 %.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import make_organisation
from tests.ecobank.test_pages import _login
from tests.stats.test_book_statistics import _book


def _rows(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.text
    return list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))


def test_the_regulators_dashboard(client: TestClient, session: Session, headers_for: Any) -> None:
    make_organisation(session, kind="bank", code="bank-a", name="金沙农信社城关支行")
    _book(session)
    session.commit()
    _login(client, headers_for("regulator"))
    page = client.get("/stats", params={"as_of": "2024-12-31"})
    assert page.status_code == 200, page.text
    text = page.text
    assert "21.17 亿元" in text and "27.37%" in text and "+60.43%" in text  # 211,672.44 万元 = 21.17 亿元
    assert "高于各项贷款增速 47.77 个百分点" in text
    assert "1.60 倍" in text  # against the base, the book's first month-end: 211,672.44 ÷ 131,937.22 = 1.6043
    assert "金沙农信社城关支行" in text and "清洁能源产业" in text and "关注" in text
    assert ">special_mention<" not in text and "stats." not in text
    assert "电力、热力生产和供应业 44" in text  # industries by GB/T 4754 division, name first
    exported = _rows(client.get("/stats/green-loans.csv", params={"as_of": "2024-12-31", "by": "bank"}))
    assert exported[0][:4] == ["按机构", "绿色贷款余额（本外币）", "各项贷款余额（本外币）", "绿色贷款占各项贷款比重"]
    assert exported[1][:4] == ["金沙农信社城关支行", "1500000000.00", "4700000000.00", "31.91%"]
    series = _rows(client.get("/stats/green-loans.csv", params={"by": "series"}))
    assert [row[0] for row in series[1:]] == ["2023-12-31", "2024-12-31"]
    assert client.get("/stats/green-loans.xlsx", params={"by": "county"}).status_code == 200


def test_a_bank_sees_its_own_book_only(client: TestClient, session: Session, headers_for: Any) -> None:
    bank = headers_for("bank", make_organisation(session, kind="bank", code="bank-a", name="金沙农信社城关支行"))
    _book(session)
    session.commit()
    _login(client, bank)
    page = client.get("/stats", params={"bank": "bank-b"})  # asking for another bank changes nothing
    assert page.status_code == 200
    assert "15.00 亿元" in page.text and "31.91%" in page.text  # its own 150,000 万元 of 470,000
    assert 'id="by-bank"' not in page.text and "21.17 亿元" not in page.text
    exported = _rows(client.get("/stats/green-loans.csv", params={"by": "county", "bank": "bank-b"}))
    assert [row[1] for row in exported[1:]] == ["1500000000.00"]
    evaluation = client.get("/stats/evaluation", params={"as_of": "2024-12-31"})
    assert 'data-bank="bank-a"' in evaluation.text and 'data-bank="bank-b"' not in evaluation.text
    _login(client, headers_for("enterprise"))
    assert client.get("/stats").status_code == 403
    assert client.get("/stats/evaluation").status_code == 403
    assert client.get("/stats/green-loans.csv").status_code == 403


def test_the_evaluation_by_hand(client: TestClient, session: Session, headers_for: Any) -> None:
    _book(session)
    session.commit()
    _login(client, headers_for("regulator"))
    rows = _rows(client.get("/stats/evaluation.csv", params={"as_of": "2024-12-31"}))
    assert rows[0] == [
        "按机构",
        "绿色金融业务总额",
        "绿色金融业务总额占比",
        "绿色金融业务总额份额占比",
        "绿色金融业务总额同比增速",
        "绿色金融风险总额占比",
    ]
    assert rows[1:] == [
        ["bank-a", "1500000000.00", "31.91%", "70.86%", "50.00%", "0.00%"],
        ["bank-b", "616724400.00", "20.33%", "29.14%", "93.11%", "0.00%"],
    ]
    page = client.get("/stats/evaluation", params={"as_of": "2024-12-31"})
    assert "权重 25%" in page.text and "70.86%" in page.text


def test_the_evaluation_over_the_api(client: TestClient, session: Session, headers_for: Any) -> None:
    """The same figures as the page, as fractions: bank A 0.3191, 0.7086, 0.5000, 0.0000."""
    bank = headers_for("bank", make_organisation(session, kind="bank", code="bank-a", name="金沙农信社城关支行"))
    _book(session)
    session.commit()
    answer = client.get("/api/v1/stats/evaluation", params={"as_of": "2024-12-31"}, headers=bank)
    assert answer.status_code == 200, answer.text
    items = answer.json()["items"]
    assert [i["bank_code"] for i in items] == ["bank-a"]  # a bank sees itself only
    assert items[0]["indicators"] == {
        "green_share": 0.3191,
        "market_share": 0.7086,
        "yoy_growth": 0.5,
        "risk_share": 0.0,
    }
    quarter = client.get("/api/v1/stats/evaluation", params={"as_of": "2024-11-30"}, headers=bank)
    assert quarter.status_code == 422  # the evaluation is per quarter
    firm = headers_for("enterprise")
    assert client.get("/api/v1/stats/evaluation", params={"as_of": "2024-12-31"}, headers=firm).status_code == 403
