"""Carbon API: the emission calculation and the published factor sets.

Every result echoes the factor, the factor set's version and the official source, so that
a figure computed today can be audited against the document it came from.
"""

from __future__ import annotations

from fastapi import APIRouter

from greenfin.carbon.factors import available_factor_sets, load_factor_set
from greenfin.carbon.schemas import CalculationRequest, CalculationResponse, FactorSetOut, calculate_request
from greenfin.http import PrincipalDep

router = APIRouter(prefix="/carbon", tags=["carbon"])


@router.post("/calculations", response_model=CalculationResponse)
def calculate(request_in: CalculationRequest, principal: PrincipalDep) -> CalculationResponse:
    """Emissions (tCO2) and energy (tce) of a batch of energy records, answered item by item in order."""
    return calculate_request(request_in)


@router.get("/factor-sets", response_model=list[str])
def factor_sets(principal: PrincipalDep) -> list[str]:
    """The versions of the published factor sets."""
    return available_factor_sets()


@router.get("/factor-sets/{version}", response_model=FactorSetOut)
def factor_set(version: str, principal: PrincipalDep) -> FactorSetOut:
    """One factor set: every factor with its unit and official source."""
    return FactorSetOut.from_set(load_factor_set(version))
