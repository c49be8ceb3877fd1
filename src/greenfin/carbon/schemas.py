"""API shapes of the emission calculation and of factor sets (Pydantic v2).

A request carries a batch of items; the response answers every item in order, either
``{"ok": true, ...line}`` or ``{"ok": false, "index", "field", "error"}`` — one bad item
never fails the batch. Shape errors (a missing field, ``energy`` not a string) are the
client's bug and fail the request as a whole; value errors (an unknown unit, a negative
quantity) are per item.

Numbers are JSON numbers: ``tco2`` and ``tce`` rounded half-even to 6 places (1 g),
factors as stored in the set (4 places for derived fuel factors), quantities as given.

Example request::

    {"year": 2023, "region": "330881",
     "items": [{"energy": "diesel", "quantity": "2.5", "unit": "t"}]}
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema

from greenfin.carbon.factors import FactorSet, load_factor_set
from greenfin.carbon.rules import (
    CalculationItem,
    LineError,
    LineResult,
    calculate,
    round_tce,
    round_tco2,
    totals,
)


def _number_to_text(value: Any) -> Any:
    """JSON numbers arrive as int or float; keep their digits as text (never a float)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        return str(value)
    return value


def _as_json_number(value: Decimal) -> float | int:
    # Values are already rounded to at most 6 places; float() keeps them exact in JSON text
    # up to 15 significant digits (above 10^9 tCO2 per response, which a batch never has).
    return int(value) if value == value.to_integral_value() and abs(value) < 2**53 else float(value)


QuantityIn = Annotated[
    str,
    BeforeValidator(_number_to_text),
    Field(max_length=60),  # as text: a 5,000-digit quantity is refused here, naming the field
    WithJsonSchema(
        {"anyOf": [{"type": "number", "minimum": 0, "maximum": 10**12}, {"type": "string", "maxLength": 60}]}
    ),
]
Number = Annotated[
    Decimal,
    PlainSerializer(_as_json_number, when_used="json"),
    WithJsonSchema({"type": "number"}),
]


class CalculationItemIn(BaseModel):
    """One energy record: what, how much, in which unit."""

    model_config = ConfigDict(extra="forbid")

    energy: str = Field(
        min_length=1, max_length=40, description="Energy key, e.g. diesel, natural_gas, electricity, heat."
    )
    quantity: QuantityIn = Field(
        description="Amount in `unit`: a JSON number or a numeric string; finite, not negative."
    )
    unit: str = Field(
        max_length=20,
        description="Unit of `quantity`: t or kg (solid/liquid fuels), Nm3 or 10^4 Nm3 "
        "(gases), kWh, MWh or 10^4 kWh (electricity), GJ or MJ (heat).",
    )


class CalculationRequest(BaseModel):
    """A batch of energy records of one accounting year and region."""

    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=1990, le=2100, description="Accounting year (selects electricity factor).")
    region: str = Field(
        min_length=1,
        max_length=40,
        description="GB/T 2260 division code (110105), province code (33) or a grid: national, east_china, zhejiang.",
    )
    items: list[CalculationItemIn] = Field(min_length=1, max_length=10_000)
    factor_set: str | None = Field(default=None, max_length=20, description="Factor-set version; default set.")


class CalculationLineOut(BaseModel):
    """A calculated item with the factor, its version and its source."""

    ok: Literal[True] = True
    index: int = Field(description="Position of the item in the request, from 0.")
    energy: str
    quantity: Number = Field(description="Quantity as given, in `unit`.")
    unit: str
    canonical_quantity: Number = Field(description="Quantity in `canonical_unit`.")
    canonical_unit: str = Field(description="Storage unit: kg, Nm3, kWh or MJ.")
    factor: Number = Field(description="CO2 factor in `factor_unit`.")
    factor_unit: str = Field(description="e.g. tCO2/t, tCO2/10^4 Nm3, tCO2/MWh, tCO2/GJ.")
    source: str = Field(description="Official source of the factor.")
    factor_set: str = Field(description="Version of the factor set used.")
    grid: str | None = Field(description="Grid region of an electricity factor.")
    factor_year: int | None = Field(description="Year of an electricity factor.")
    assumption: str | None = Field(description="Set when a factor of another year applies.")
    tco2: Number = Field(description="Emissions in tCO2, 6 decimals.")
    tce: Number = Field(description="Energy in tonnes of coal equivalent (tce), 6 decimals.")
    tce_coefficient: Number = Field(description="Standard-coal coefficient (GB/T 2589).")
    tce_coefficient_unit: str = Field(description="kgce per canonical unit, e.g. kgce/kWh.")

    @classmethod
    def from_line(cls, line: LineResult) -> CalculationLineOut:
        """The API shape of a calculated line, rounded for display."""
        return cls(
            index=line.index,
            energy=line.energy,
            quantity=line.quantity,
            unit=line.unit,
            canonical_quantity=line.canonical_quantity,
            canonical_unit=line.canonical_unit,
            factor=line.factor,
            factor_unit=line.factor_unit,
            source=line.source,
            factor_set=line.factor_set,
            grid=line.grid,
            factor_year=line.factor_year,
            assumption=line.assumption,
            tco2=round_tco2(line.tco2),
            tce=round_tce(line.tce),
            tce_coefficient=line.tce_coefficient,
            tce_coefficient_unit=line.tce_coefficient_unit,
        )


class CalculationErrorOut(BaseModel):
    """A refused item: which one, which field, and why (naming what is accepted)."""

    ok: Literal[False] = False
    index: int = Field(description="Position of the item in the request, from 0.")
    field: str = Field(description="energy, quantity or unit.")
    error: str


class CalculationResponse(BaseModel):
    """Totals over the calculated items and one answer per item, in order."""

    factor_set: str
    year: int
    region: str
    total_tco2: Number = Field(description="Sum of the calculated lines, tCO2, 6 decimals.")
    total_tce: Number = Field(description="Sum of the calculated lines, tce, 6 decimals.")
    errors: int = Field(description="Number of refused items.")
    results: list[CalculationLineOut | CalculationErrorOut]


def calculate_request(request: CalculationRequest) -> CalculationResponse:
    """Run a calculation request against its factor set (InvalidInput for year/region/set)."""
    factor_set = load_factor_set(request.factor_set)
    items = [CalculationItem(i.energy, i.quantity, i.unit) for i in request.items]
    answers = calculate(items, year=request.year, region=request.region, factor_set=factor_set)
    return build_response(answers, factor_set=factor_set, year=request.year, region=request.region)


def build_response(
    answers: list[LineResult | LineError], *, factor_set: FactorSet, year: int, region: str
) -> CalculationResponse:
    """The response for computed answers."""
    summed = totals(answers)
    results: list[CalculationLineOut | CalculationErrorOut] = [
        CalculationErrorOut(index=a.index, field=a.field, error=a.error)
        if isinstance(a, LineError)
        else CalculationLineOut.from_line(a)
        for a in answers
    ]
    return CalculationResponse(
        factor_set=factor_set.version,
        year=year,
        region=region,
        total_tco2=round_tco2(summed.tco2),
        total_tce=round_tce(summed.tce),
        errors=summed.errors,
        results=results,
    )


class FactorOut(BaseModel):
    """One CO2 factor of a set (electricity: one per grid and year)."""

    key: str = Field(description="Energy key.")
    name_zh: str
    name_en: str
    grid: str | None = None
    year: int | None = None
    factor: Number = Field(description="CO2 factor in `unit`.")
    unit: str = Field(description="e.g. tCO2/t.")
    source: str
    confidence: str | None = None
    tce_coefficient: Number = Field(description="Standard-coal coefficient in `tce_unit`.")
    tce_unit: str = Field(description="kgce per canonical unit.")
    tce_source: str


class FactorSetOut(BaseModel):
    """A factor set as published: versions and every factor with its source."""

    version: str
    title_zh: str
    title_en: str
    description: str
    factors: list[FactorOut]

    @classmethod
    def from_set(cls, factor_set: FactorSet) -> FactorSetOut:
        """Every factor of the set, electricity by grid and year."""
        rows = []
        for energy in factor_set.energies.values():
            coal = energy.standard_coal
            common: dict[str, Any] = {
                "key": energy.key,
                "name_zh": energy.name_zh,
                "name_en": energy.name_en,
                "unit": energy.factor_unit,
                "tce_coefficient": coal.value,
                "tce_unit": coal.unit,
                "tce_source": coal.source,
            }
            if energy.method == "grid":
                rows += [
                    FactorOut(
                        **common,
                        grid=f.grid,
                        year=f.year,
                        factor=f.value,
                        source=f.source,
                        confidence=f.confidence,
                    )
                    for f in energy.grid_factors
                ]
            elif energy.factor is not None:
                confidence = energy.co2.confidence if energy.co2 else None
                if energy.ncv is not None:
                    confidence = energy.ncv.confidence
                rows.append(FactorOut(**common, factor=energy.factor, source=energy.source, confidence=confidence))
        return cls(
            version=factor_set.version,
            title_zh=factor_set.title_zh,
            title_en=factor_set.title_en,
            description=factor_set.description,
            factors=rows,
        )
