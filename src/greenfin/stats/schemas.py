"""The edge of the statistics domain: what ``greenfin stats financed-emissions`` accepts and returns.

Input is validated here, before any rule runs: numbers must be JSON numbers (not strings
or booleans), finite, within bounds and with at most 10 decimal places; unknown keys are
refused. Output numbers are ``Decimal`` rounded half-even (GB/T 8170-2008) to the places
in :data:`PLACES`, written as JSON numbers by the CLI.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, StringConstraints

from greenfin.stats.rules import AssetClass, FinancedEmissions, PortfolioTotals

MAX_AMOUNT = Decimal(10) ** 18  # currency units; far above any loan, refuses absurd exponents
MAX_TONNES = Decimal(10) ** 11  # tCO2e a year; world emissions are about 5.7 × 10^10 t
MAX_EXPOSURES = 1_000_000

PLACES = {"attribution_factor": 6, "tonnes": 6, "weighted_data_quality": 2, "coverage": 4}
"""Decimal places of each output number: the factor to 10^-6, tonnes to the gram, the
weighted data-quality score to two places as PCAF Box 8 prints it, coverage to 0.01 %."""


def _json_number(value: object) -> object:
    # Pydantic would turn "12" into Decimal("12") and True into 1; a JSON contract wants numbers.
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError("must be a JSON number")
    return value


Amount = Annotated[
    Decimal,
    BeforeValidator(_json_number),
    Field(ge=0, le=MAX_AMOUNT, decimal_places=10, allow_inf_nan=False),
]
Denominator = Annotated[
    Decimal,
    BeforeValidator(_json_number),
    Field(gt=0, le=MAX_AMOUNT, decimal_places=10, allow_inf_nan=False),
]
Tonnes = Annotated[
    Decimal,
    BeforeValidator(_json_number),
    Field(ge=0, le=MAX_TONNES, decimal_places=10, allow_inf_nan=False),
]


class ExposureIn(BaseModel):
    """One exposure of the financed-emissions contract (outstanding and denominator in one currency)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, StringConstraints(min_length=1, max_length=200)] | StrictInt = Field(
        description="The caller's identifier of the loan or investment, echoed back."
    )
    asset_class: AssetClass = Field(description="PCAF asset class.")
    outstanding: Amount = Field(description="Outstanding amount at the accounting date.")
    denominator: Denominator | None = Field(
        description="What the class attributes by (EVIC, equity + debt, value at origination); "
        "null only for a motor-vehicle loan whose vehicle value is unknown (100 % attribution)."
    )
    scope1_t: Tonnes = Field(description="Borrower's scope 1 emissions, tCO2e a year.")
    scope2_t: Tonnes = Field(description="Borrower's scope 2 emissions, tCO2e a year.")
    scope3_t: Tonnes | None = Field(default=None, description="Borrower's scope 3 emissions, tCO2e a year.")
    removals_t: Tonnes | None = Field(default=None, description="Borrower's emission removals, tCO2 a year.")
    data_quality: Annotated[StrictInt, Field(ge=1, le=5)] | None = Field(
        default=None, description="PCAF data-quality score, 1 (best) to 5."
    )


def _rounded(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def _tonnes(value: Decimal | None) -> Decimal | None:
    return None if value is None else _rounded(value, PLACES["tonnes"])


def item_out(item: FinancedEmissions) -> dict[str, Any]:
    """One exposure's result, numbers rounded for the contract."""
    return {
        "id": item.id,
        "asset_class": item.asset_class,
        "attribution_factor": _rounded(item.attribution_factor, PLACES["attribution_factor"]),
        "capped": item.capped,
        "scope1_t": _tonnes(item.scope1_t),
        "scope2_t": _tonnes(item.scope2_t),
        "scope3_t": _tonnes(item.scope3_t),
        "removals_t": _tonnes(item.removals_t),
        "data_quality": item.data_quality,
    }


def totals_out(totals: PortfolioTotals) -> dict[str, Any]:
    """Portfolio totals (sums of the unrounded items, then rounded)."""
    return {
        "scope1_t": _tonnes(totals.scope1_t),
        "scope2_t": _tonnes(totals.scope2_t),
        "scope3_t": _tonnes(totals.scope3_t),
        "removals_t": _tonnes(totals.removals_t),
        "scope3_reported": totals.scope3_reported,
    }


def score_out(score: Decimal | None) -> Decimal | None:
    """The weighted data-quality score to two places, or None."""
    return None if score is None else _rounded(score, PLACES["weighted_data_quality"])


def coverage_out(coverage: Decimal | None) -> Decimal | None:
    """The share of the outstanding amount that carries a data-quality score, or None."""
    return None if coverage is None else _rounded(coverage, PLACES["coverage"])
