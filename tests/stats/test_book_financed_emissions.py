"""Financed emissions over the loan book (PCAF Part A), on SQLite and PostgreSQL.

Worked by hand from PCAF's formulas (the standard prints no loan-book example with amounts):
an enterprise with an audited carbon account emitting 1,000 tCO2 (process, scope 1) in 2024
owes 600 万元 to bank A and 400 万元 to bank B: bank A is attributed 600 ÷ 1,000 = 0.6 of it,
600 t, data quality 1 (PCAF 1a, verified). A borrower without an account owing bank A
10,000 万元 is estimated with the sector table's fallback 0.5303 t per 万元: 5,303 t, score 5
(PCAF 3b). Bank A's weighted score is (600 × 1 + 10,000 × 5) ÷ 10,600 = 4.7736 → 4.77.
A resident's consumer loan is outside PCAF's business classes: not covered.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session

from greenfin.auth.service import Principal
from greenfin.errors import Forbidden
from greenfin.industry.models import Enterprise, ProcessEmission
from greenfin.market.models import Loan, LoanBalance
from greenfin.stats import service

WAN = 1_000_000
AS_OF = date(2024, 12, 31)
USCC = "91330802MA2TEST001"
REGULATOR = Principal(actor="r", role="regulator")
BANK_A = Principal(actor="a", role="bank", organisation_code="bank-a")


def _setup(session: Session) -> None:
    enterprise = Enterprise(uscc=USCC, name="某水泥厂", county_code="330802", industry_code="3011")
    session.add(enterprise)
    session.flush()
    session.execute(
        insert(ProcessEmission),
        [
            {
                "enterprise_id": enterprise.id,
                "year": 2024,
                "source": "clinker_calcination",
                "co2_g": 1_000 * 1_000_000,
                "data_quality": "audited",
            }
        ],
    )
    loans = [
        ("bank-a", "A1", "enterprise", USCC, "3011", 600),
        ("bank-b", "B1", "enterprise", USCC, "3011", 400),
        ("bank-a", "A2", "enterprise", "91330802MA2OTHER01", "3011", 10_000),
        ("bank-a", "A3", "resident", "R-1", None, 50),
    ]
    session.execute(
        insert(Loan),
        [
            {
                "id": f"{bank}-{number}",
                "bank_code": bank,
                "loan_no": number,
                "borrower_kind": kind,
                "borrower_code": borrower,
                "borrower_name": "借款人",
                "source": "reported",
                "amount_fen": wan * WAN,
                "rate_bp": 400,
                "term_months": 12,
                "start_date": date(2024, 1, 1),
                "maturity_date": date(2025, 1, 1),
                "industry_code": industry,
                "green_use": "3.2" if number == "A1" else None,
                "green_catalogue": "2019" if number == "A1" else None,
            }
            for bank, number, kind, borrower, industry, wan in loans
        ],
    )
    session.execute(
        insert(LoanBalance),
        [
            {"bank_code": bank, "loan_no": number, "as_of": AS_OF, "balance_fen": wan * WAN, "quality": "normal"}
            | {"import_id": "test"}
            for bank, number, _, _, _, wan in loans
        ],
    )
    session.flush()


def test_bank_a_by_hand(session: Session) -> None:
    _setup(session)
    report = service.financed_emissions_for_bank(session, BANK_A, bank_code="bank-a", as_of=AS_OF, items=True)
    assert report["account_year"] == 2024
    assert report["totals"]["scope1_t"] == Decimal(600) + Decimal(5303)
    assert report["totals"]["scope2_t"] == 0
    assert report["weighted_data_quality"] == Decimal("4.77")
    # covered: 10,600 of 10,650 万元 outstanding = 0.9953
    assert report["data_quality_coverage"] == Decimal("0.9953")
    items = {i["loan_no"]: i for i in report["items"]}
    assert items["A1"]["attribution_factor"] == Decimal("0.6") and items["A1"]["data_quality"] == 1
    assert items["A2"]["source"] == "sector" and items["A2"]["data_quality"] == 5
    assert items["A3"]["source"] == "not_covered" and items["A3"]["data_quality"] is None
    green = {g["green"]: g for g in report["by_green"]}
    assert green[True]["scope1_t"] == Decimal(600)


def test_the_region_attributes_the_whole_account_once(session: Session) -> None:
    """Bank A 600 t + bank B 400 t: the account's 1,000 t attributed exactly once over its lenders."""
    _setup(session)
    report = service.financed_emissions_of_book(session, REGULATOR, as_of=AS_OF)
    sources = {s["source"]: s for s in report["by_source"]}
    assert sources["audited"]["scope1_t"] == Decimal(1000)


def test_a_bank_reads_only_its_own(session: Session) -> None:
    _setup(session)
    with pytest.raises(Forbidden):
        service.financed_emissions_for_bank(session, BANK_A, bank_code="bank-b", as_of=AS_OF)


def test_over_http(client: Any, session: Session, headers_for: Any) -> None:
    from tests.conftest import make_organisation

    bank_a = make_organisation(session, kind="bank", code="bank-a", name="衢州甲银行")
    _setup(session)
    url = "/api/v1/stats/financed-emissions/book"
    own = client.get(url, params={"as_of": "2024-12-31"}, headers=headers_for("bank", bank_a))
    assert own.status_code == 200, own.text
    body = own.json(parse_float=Decimal)
    assert body["scope"] == "bank-a" and body["totals"]["scope1_t"] == Decimal(5903)
    other = client.get(url, params={"as_of": "2024-12-31", "bank_code": "bank-b"}, headers=headers_for("bank", bank_a))
    assert other.status_code == 403
    assert client.get(url, params={"as_of": "2024-12-31"}).status_code == 401
    region = client.get(url, params={"as_of": "2024-12-31"}, headers=headers_for("regulator"))
    assert region.status_code == 200 and region.json()["scope"] == "region"
