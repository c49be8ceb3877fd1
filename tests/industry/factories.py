"""Builders for industry tests: valid USCCs and CSV files fed through the import service."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session
from stdnum.cn import uscc as uscc_number

from greenfin.auth.service import Principal
from greenfin.industry import service

STAFF = Principal(actor="test", role="admin")


def make_uscc(n: int, prefix: str = "91330800") -> str:
    """A checksum-valid unified social credit code, distinct for each ``n``."""
    body = f"{prefix}MA{n:07d}"
    return body + uscc_number.calc_check_digit(body)


def csv_bytes(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    lines = [",".join(header)] + [",".join(str(c) for c in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


ENTERPRISE_HEADER = ("uscc", "name", "county_code", "industry_code")
ENERGY_HEADER = ("uscc", "year", "month", "energy", "quantity", "unit", "data_quality")
PROCESS_HEADER = ("uscc", "year", "source", "tco2", "data_quality")
ANNUAL_HEADER = ("uscc", "year", "output_value_yuan", "added_value_yuan", "tax_yuan", "product_output", "product_unit")


def load(
    session: Session, kind: str, header: Sequence[str], rows: Sequence[Sequence[Any]], principal: Principal = STAFF
):
    """Import ``rows`` as a CSV file of ``kind``."""
    return service.import_file(session, principal, kind=kind, filename=f"{kind}.csv", content=csv_bytes(header, rows))
