"""The carbon core: units, versioned emission-factor sets and the emission calculation.

Pure: no database, no web, no I/O beyond reading the shipped factor-set files. Every
domain that turns energy into CO2 (industry, agriculture, stats) calls these functions.

    >>> fs = load_factor_set()                       # the default set, cn-2024
    >>> [line] = calculate([CalculationItem("diesel", "2.5", "t")],
    ...                    year=2023, region="330881", factor_set=fs)
    >>> line.factor, line.tco2                       # 3.0959 tCO2/t, GB/T 32151.22-2024
    (Decimal('3.0959'), Decimal('7.73975'))
"""

from greenfin.carbon.factors import (
    DEFAULT_FACTOR_SET,
    Energy,
    FactorSet,
    FactorSetInvalid,
    GridFactor,
    SourcedValue,
    available_factor_sets,
    load_factor_set,
    load_factor_set_file,
)
from greenfin.carbon.rules import (
    AppliedFactor,
    CalculationItem,
    FactorRow,
    LineError,
    LineResult,
    Totals,
    calculate,
    co2_factor,
    factor_rows,
    resolve_region,
    totals,
)
from greenfin.carbon.units import (
    MAX_MG_PER_UNIT,
    MAX_QUANTITY_MILLI,
    Kind,
    to_canonical,
    to_milli,
)

__all__ = [
    "DEFAULT_FACTOR_SET",
    "MAX_MG_PER_UNIT",
    "MAX_QUANTITY_MILLI",
    "AppliedFactor",
    "CalculationItem",
    "Energy",
    "FactorRow",
    "FactorSet",
    "FactorSetInvalid",
    "GridFactor",
    "Kind",
    "LineError",
    "LineResult",
    "SourcedValue",
    "Totals",
    "available_factor_sets",
    "calculate",
    "co2_factor",
    "factor_rows",
    "load_factor_set",
    "load_factor_set_file",
    "resolve_region",
    "to_canonical",
    "to_milli",
    "totals",
]
