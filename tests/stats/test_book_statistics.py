"""Green-loan statistics over the loan book (``stats.service``), on SQLite and PostgreSQL.

The expected figures are published ones: the 金沙县农信社 2024 disclosure (FINANCE.md §2, M;
all in 万元) gives green loans 211,672.44 with an increase of 79,735.22 since 1 January, all
loans 773,363.21 with an increase of 86,901.31, and publishes a share of 27.37 %, green
growth of 60.43 % and all-loan growth of 12.66 % (so 47.77 percentage points faster). The
book below holds exactly those balances, split over two banks, on 2023-12-31 and 2024-12-31.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from sqlalchemy.orm import Session

from greenfin.auth.service import Principal
from greenfin.errors import Forbidden, InvalidInput
from greenfin.market import service as market
from greenfin.stats import service

WAN = 1_000_000  # fen in 1 万元
REGULATOR = Principal(actor="r", role="regulator")
ADMIN = Principal(actor="admin", role="admin")
BANK_A = Principal(actor="a", role="bank", organisation_code="bank-a")
ENTERPRISE = Principal(actor="e", role="enterprise", organisation_code="91330802MA2TEST001")
END_2023, END_2024 = date(2023, 12, 31), date(2024, 12, 31)


def _wan(text: str) -> int:
    return int(Decimal(text) * WAN)


# (bank, loan, catalogue, green use, county, kind, industry, balance 2023-12-31 fen, balance 2024-12-31 fen, quality)
GREEN_2023, GREEN_2024 = _wan("131937.22"), _wan("211672.44")
ALL_2023, ALL_2024 = _wan("686461.90"), _wan("773363.21")
BOOK: list[tuple[Any, ...]] = [
    ("bank-a", "A1", "2019", "3.2", "330802", "enterprise", "4415", _wan("100000.00"), _wan("150000.00"), "normal"),
    ("bank-b", "B1", "gic-2019", "4.1.2", "330803", "farm", "0151", GREEN_2023 - _wan("100000.00"),
     GREEN_2024 - _wan("150000.00"), "special_mention"),
    ("bank-a", "A2", None, None, "330802", "enterprise", "3011", _wan("300000.00"), _wan("320000.00"), "normal"),
    ("bank-b", "B2", None, None, "330803", "resident", None, ALL_2023 - GREEN_2023 - _wan("300000.00"),
     ALL_2024 - GREEN_2024 - _wan("320000.00"), "substandard"),
]  # fmt: skip


def _book(session: Session, rows: list[tuple[Any, ...]] = BOOK) -> None:
    loans, balances = [], []
    for bank, number, catalogue, use, county, kind, industry, before, after, quality in rows:
        loans.append(
            {
                "id": f"{bank}-{number}",
                "bank_code": bank,
                "loan_no": number,
                "borrower_kind": kind,
                "borrower_code": f"B-{number}",
                "borrower_name": f"借款人{number}",
                "source": "reported",
                "amount_fen": max(before, after),
                "rate_bp": 400,
                "term_months": 36,
                "start_date": date(2023, 1, 1),
                "maturity_date": date(2026, 1, 1),
                "green_use": use,
                "green_catalogue": catalogue,
                "county_code": county,
                "industry_code": industry,
            }
        )
        for day, balance in ((END_2023, before), (END_2024, after)):
            balances.append(
                {"bank_code": bank, "loan_no": number, "as_of": day, "balance_fen": balance, "quality": quality}
            )
            balances[-1]["import_id"] = "test"
    market.load_book(session, ADMIN, loans=loans, balances=pl.DataFrame(balances))  # the book's own write path
    session.flush()


def test_jinsha_disclosure_from_the_book(session: Session) -> None:
    """Share 27.37 %, green growth 60.43 %, all loans 12.66 %, 47.77 points faster (published)."""
    _book(session)
    totals = service.green_loan_statistics(session, REGULATOR, as_of=END_2024).totals
    assert totals.green_balance_fen == GREEN_2024 and totals.all_balance_fen == ALL_2024
    assert totals.share == Decimal("0.2737")
    assert totals.ytd_growth == Decimal("0.6043")
    assert totals.all_ytd_growth == Decimal("0.1266")
    assert totals.ytd_points_above_all == Decimal("47.77")
    # at a year end, a year before is the 31 December before: YoY and YTD coincide
    assert (totals.yoy_growth, totals.yoy_points_above_all) == (Decimal("0.6043"), Decimal("47.77"))
    assert totals.year_start_green_fen == GREEN_2023 == totals.last_year_green_fen


def test_growth_against_a_base_date(session: Session) -> None:
    """Against 2023-12-31: 211,672.44 ÷ 131,937.22 = 1.6043× (the multiple), growth 0.6043."""
    _book(session)
    totals = service.green_loan_statistics(session, REGULATOR, as_of=END_2024, base=END_2023).totals
    assert totals.base_balance_fen == GREEN_2023
    assert (totals.growth_vs_base, totals.multiple_of_base) == (Decimal("0.6043"), Decimal("1.6043"))


def test_groups_add_up_and_categories_map_between_versions(session: Session) -> None:
    """Bank A: green 150,000 of 470,000 (0.3191); growth 50 %; its all loans 400,000 → 470,000 (17.5 %)."""
    _book(session)
    result = service.green_loan_statistics(
        session, REGULATOR, as_of=END_2024, by=("bank", "category", "county", "borrower_kind", "industry", "quality")
    )
    banks = {g.key: g for g in result.groups["bank"]}
    assert banks["bank-a"].green_balance_fen == _wan("150000.00")
    assert banks["bank-a"].all_balance_fen == _wan("470000.00")
    assert banks["bank-a"].share == Decimal("0.3191")
    assert banks["bank-a"].ytd_growth == Decimal("0.5000")
    assert banks["bank-a"].all_ytd_growth == Decimal("0.1750")
    for dimension, groups in result.groups.items():
        assert sum(g.green_balance_fen for g in groups) == GREEN_2024, dimension
    # "2019" (the market's name) and "gic-2019" are one catalogue: 3.2 → 3 清洁能源产业, 4.1.2 → 4 生态环境产业
    categories = {g.key: g for g in result.groups["category"]}
    assert set(categories) == {"3", "4"}
    assert categories["3"].name == "清洁能源产业"
    # the same loans counted in the 2024 catalogue through the mapping: every green fen is counted once
    mapped = service.green_loan_statistics(
        session, REGULATOR, as_of=END_2024, by=("category",), catalogue_version="glt-2024"
    )
    assert sum(g.green_balance_fen for g in mapped.groups["category"]) == GREEN_2024
    industries = {g.key for g in result.groups["industry"]}
    assert {"44", "01", "30", None} == industries  # GB/T 4754 divisions (大类)


def test_a_bank_sees_only_itself(session: Session) -> None:
    _book(session)
    own = service.green_loan_statistics(session, BANK_A, as_of=END_2024)
    assert own.scope == "bank-a" and own.totals.all_balance_fen == _wan("470000.00")
    with pytest.raises(Forbidden):
        service.green_loan_statistics(session, BANK_A, as_of=END_2024, bank_code="bank-b")
    with pytest.raises(Forbidden):
        service.green_loan_statistics(session, ENTERPRISE, as_of=END_2024)


def test_refusals_of_bad_input(session: Session) -> None:
    _book(session)
    with pytest.raises(InvalidInput, match="no loan balances are reported on 2024-11-30"):
        service.green_loan_statistics(session, REGULATOR, as_of=date(2024, 11, 30))
    with pytest.raises(InvalidInput, match="2016-12-31"):
        service.green_loan_statistics(session, REGULATOR, as_of=END_2024, base=date(2016, 12, 31))
    with pytest.raises(InvalidInput, match="unknown dimension"):
        service.green_loan_statistics(session, REGULATOR, as_of=END_2024, by=("colour",))


def test_quarterly_series(session: Session) -> None:
    """Quarter-ends with balances only, oldest first; 2023-12-31 has no year before, so no growth."""
    _book(session)
    series = service.quarterly_series(session, REGULATOR, start=date(2023, 1, 1), end=date(2024, 12, 31), by=("bank",))
    assert [s.totals.as_of for s in series] == [END_2023, END_2024]
    assert series[0].totals.yoy_growth is None
    assert series[1].totals.yoy_growth == Decimal("0.6043")
    assert {g.key for g in series[1].groups["bank"]} == {"bank-a", "bank-b"}


def test_green_loans_for_the_benefits(session: Session) -> None:
    """The green loans of a day with their projects (the disclosure's benefits read them), scoped."""
    from greenfin.market import service as market

    _book(session)
    rows = market.green_loans_on(session, REGULATOR, as_of=END_2024)
    assert sorted(r[1] for r in rows) == ["A1", "B1"]
    assert sum(r[market.GREEN_LOAN_COLUMNS.index("balance_fen")] for r in rows) == GREEN_2024
    assert [r[1] for r in market.green_loans_on(session, BANK_A, as_of=END_2024)] == ["A1"]
    with pytest.raises(Forbidden):
        market.green_loans_on(session, ENTERPRISE, as_of=END_2024)
