"""The bank's annual environmental-information disclosure (JR/T 0227—2021), on SQLite and PostgreSQL.

The book is test_book_statistics' (金沙县农信社 2024, 万元): bank A holds 150,000 of green loans
on 2024-12-31 (100,000 a year before) of its 470,000 loans: 15.00 亿元, 31.91 %, growth +50.00 %.
"""

from __future__ import annotations

import io
from typing import Any

from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from greenfin.auth.models import AuditEvent
from tests.conftest import make_organisation
from tests.ecobank.test_pages import _login
from tests.stats.test_book_statistics import _book

URL = "/api/v1/stats/disclosures"
ORDER = [
    "overview", "governance", "policies", "products", "risk_process", "risk_impact", "financing_impact",
    "operations_impact", "data_quality", "innovation", "other",
]  # fmt: skip


def _setup(client: TestClient, session: Session, headers_for: Any) -> dict[str, Any]:
    a = headers_for("bank", make_organisation(session, kind="bank", code="bank-a", name="金沙农信社城关支行"))
    b = headers_for("bank", make_organisation(session, kind="bank", code="bank-b", name="他行"))
    _book(session)
    session.commit()
    return {"a": a, "b": b}


def test_sections_in_the_standards_order_with_the_figures(
    client: TestClient, session: Session, headers_for: Any
) -> None:
    h = _setup(client, session, headers_for)
    report = client.get(f"{URL}/bank-a/2024", headers=h["a"])
    assert report.status_code == 200, report.text
    data = report.json()
    assert [s["key"] for s in data["sections"]] == ORDER
    assert [s["number"] for s in data["sections"]][:3] == ["5.1", "5.2", "5.3"]
    assert data["as_of"] == "2024-12-31" and data["bank_name"] == "金沙农信社城关支行"
    overview = data["sections"][0]["facts"][0]["text"]
    assert (
        overview
        == "截至 2024-12-31，绿色贷款余额 15.00 亿元，占各项贷款的 31.91%；同比增长 +50.00%，较年初增长 +50.00%。"
    )
    financing = next(s for s in data["sections"] if s["key"] == "financing_impact")
    categories = next(b for b in financing["facts"] if b["kind"] == "table")
    assert categories["rows"][1] == ["清洁能源产业 3", "15.00 亿元", "100.00%"]
    english = client.get(f"{URL}/bank-a/2024", params={"lang": "en"}, headers=h["a"]).json()
    assert english["sections"][0]["title"] == "The year at a glance"
    assert english["sections"][0]["guide"].startswith("The year's green finance")


def test_versions_are_kept_and_only_the_bank_writes(client: TestClient, session: Session, headers_for: Any) -> None:
    h = _setup(client, session, headers_for)
    section = f"{URL}/bank-a/2024/sections/governance"
    first = client.put(section, json={"text": "董事会下设绿色金融委员会。"}, headers=h["a"])
    assert first.status_code == 200 and first.json()["version"] == 1
    second = client.put(section, json={"text": "董事会下设绿色金融委员会。\n总行设绿色金融事业部。"}, headers=h["a"])
    assert second.json()["version"] == 2
    versions = client.get(f"{section}/versions", headers=h["a"]).json()
    assert [v["version"] for v in versions] == [2, 1] and versions[1]["text"] == "董事会下设绿色金融委员会。"
    report = client.get(f"{URL}/bank-a/2024", headers=headers_for("regulator")).json()  # the regulator reads it
    governance = report["sections"][1]
    assert (governance["version"], governance["versions"]) == (2, 2) and "事业部" in governance["text"]
    audited = session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "stats_disclosure_text")).all()
    assert len(audited) == 2  # each version's write is on record
    # refusals: another bank (as if there were no report), the regulator writing, an enterprise, bad input
    assert client.get(f"{URL}/bank-a/2024", headers=h["b"]).status_code == 404
    assert client.put(section, json={"text": "x"}, headers=h["b"]).status_code == 404
    assert client.put(section, json={"text": "x"}, headers=headers_for("regulator")).status_code == 403
    assert client.get(f"{URL}/bank-a/2024", headers=headers_for("enterprise")).status_code == 403
    assert client.put(section, json={"text": "   "}, headers=h["a"]).status_code == 422
    assert client.put(f"{URL}/bank-a/2024/sections/gossip", json={"text": "x"}, headers=h["a"]).status_code == 404
    assert client.get(f"{URL}/bank-a/1999", headers=h["a"]).status_code == 422


def test_the_page_and_the_pdf(client: TestClient, session: Session, headers_for: Any) -> None:
    h = _setup(client, session, headers_for)
    _login(client, h["a"])
    saved = client.post(
        "/stats/disclosure/governance",
        data={"year": "2024", "text": "董事会下设绿色金融委员会。"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    refused = client.post("/stats/disclosure/governance", data={"year": "2024", "text": " "})
    assert refused.status_code == 400 and "未保存：内容为空" in refused.text
    page = client.get("/stats/disclosure", params={"year": 2024})
    assert "年度概况" in page.text and "董事会下设绿色金融委员会。" in page.text and "第 1 版" in page.text
    assert ">governance<" not in page.text and ">disclosure." not in page.text  # names, never keys
    document = client.get("/stats/disclosure.pdf", params={"year": 2024})
    assert document.headers["content-type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(document.content)).pages)
    for expected in ("金沙农信社城关支行 2024 年度环境信息披露报告", "1 年度概况", "7 金融机构投融资活动的环境影响",
                     "15.00 亿元", "董事会下设绿色金融委员会。", "第 1 页"):  # fmt: skip
        assert expected in text, expected
