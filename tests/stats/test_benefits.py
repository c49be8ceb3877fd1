"""Environmental benefits attributed to a loan by its share of the project's total investment."""

from __future__ import annotations

from decimal import Decimal

import pytest

from greenfin.errors import InvalidInput
from greenfin.stats.rules import BENEFIT_INDICATORS, Benefits, attributed_benefits, project_share, sum_benefits

WAN = 1_000_000  # fen in 1 万元


def test_loan_share_of_project_by_hand() -> None:
    """A 2,000 万元 loan to an 8,000 万元 project carries 25 % of its annual benefits.

    Project: 3,500 tce saved, 10,000 tCO2e, COD 12.5 t, NH3-N 1.2 t, SO2 40 t, NOx 22 t,
    water 150,000 t a year → loan: 875 tce, 2,500 tCO2e, 3.125 t, 0.3 t, 10 t, 5.5 t, 37,500 t.
    """
    project = Benefits(
        standard_coal_t=Decimal(3500),
        co2e_t=Decimal(10000),
        cod_t=Decimal("12.5"),
        ammonia_nitrogen_t=Decimal("1.2"),
        so2_t=Decimal(40),
        nox_t=Decimal(22),
        water_t=Decimal(150000),
    )
    assert project_share(2000 * WAN, 8000 * WAN) == Decimal("0.25")
    loan = attributed_benefits(project, loan_fen=2000 * WAN, project_total_investment_fen=8000 * WAN)
    assert loan == Benefits(
        standard_coal_t=Decimal(875),
        co2e_t=Decimal(2500),
        cod_t=Decimal("3.125"),
        ammonia_nitrogen_t=Decimal("0.3"),
        so2_t=Decimal(10),
        nox_t=Decimal("5.5"),
        water_t=Decimal(37500),
    )


def test_benefits_sum_by_indicator() -> None:
    """Two loans of a bank: 2,500 + 1,000 tCO2e = 3,500; the other indicators add the same way."""
    first = Benefits(co2e_t=Decimal(2500), water_t=Decimal(10))
    second = Benefits(co2e_t=Decimal(1000), so2_t=Decimal("0.5"))
    total = sum_benefits([first, second])
    assert (total.co2e_t, total.so2_t, total.water_t, total.cod_t) == (
        Decimal(3500),
        Decimal("0.5"),
        Decimal(10),
        Decimal(0),
    )
    assert len(BENEFIT_INDICATORS) == 7


@pytest.mark.parametrize(
    ("loan_fen", "total_fen"),
    [(9 * WAN, 8 * WAN), (-1, 8 * WAN), (1, 0)],
)
def test_a_loan_larger_than_its_project_is_refused(loan_fen: int, total_fen: int) -> None:
    with pytest.raises(InvalidInput):
        project_share(loan_fen, total_fen)


def test_negative_or_infinite_benefits_are_refused() -> None:
    with pytest.raises(InvalidInput):
        Benefits(cod_t=Decimal(-1))
    with pytest.raises(InvalidInput):
        Benefits(co2e_t=Decimal("Infinity"))
