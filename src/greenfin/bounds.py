"""Bounds every API input carries, shared by the domains' schemas (issue 16, "every input bounded").

Every number, string and list a client sends has a bound in its schema, so that an out-of-range
value is refused with 422 naming the field before it reaches a service or the database: an
integer column holds at most 2^31 − 1 (``INTEGER``) or 2^63 − 1 (``BIGINT``), PostgreSQL refuses a
text with a NUL byte or a ``numeric`` beyond its precision, and a Python ``Decimal`` of 5,000
digits or ``1e308`` makes every later step slow or wrong. The request as a whole is bounded by
:class:`greenfin.http.InputGuard` (body size, JSON depth, NUL bytes, URL length).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from decimal import Decimal
from typing import Annotated, TypeVar

from pydantic import Field

from greenfin.errors import InvalidInput

# The largest value of a 32-bit INTEGER column (counts, points of one entry, heads, days).
MAX_INT32 = 2**31 - 1
# The largest quantity of any unit accepted (tonnes, kWh, m3, mu, yuan): 10^12, with at most 24
# significant digits — far above any real figure, far below what overflows a sum of many.
MAX_QUANTITY = 10**12
MAX_DIGITS = 24

Quantity = Annotated[Decimal, Field(ge=0, le=MAX_QUANTITY, max_digits=MAX_DIGITS)]
# A quantity whose domain rules carry tighter bounds with their own messages (agriculture's
# per-record maxima): the schema only keeps out what no rule could even compare (1e308, 5,000 digits).
Measure = Annotated[Decimal, Field(ge=0, le=10**36, max_digits=40)]
Count = Annotated[int, Field(ge=0, le=MAX_INT32)]
Code = Annotated[str, Field(min_length=1, max_length=40)]
ShortText = Annotated[str, Field(max_length=200)]
IdNumber = Annotated[str, Field(min_length=1, max_length=40, description="Resident ID number (18 characters)")]
Uscc = Annotated[str, Field(min_length=1, max_length=40, description="Unified social credit code, 18 characters")]


Row = TypeVar("Row")


def decode_text_file(filename: str, content: bytes) -> str:
    """A CSV file's text, or InvalidInput naming the rows that are not UTF-8 or hold a NUL byte.

    Every file intake reads its text here: PostgreSQL cannot store a NUL in a text column, and a
    file that is not UTF-8 is refused at the row where it stops being so, never with a traceback.
    """
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = content[: exc.start].count(b"\n") + 1
        reason = "not UTF-8 text"
        errors = [{"row": row, "column": None, "reason": reason}]
        raise InvalidInput(f"{filename}: row {row} is {reason}", errors=errors) from None
    if "\x00" in text:
        rows = [n for n, line in enumerate(text.split("\n"), start=1) if "\x00" in line]
        errors = [{"row": row, "column": None, "reason": "holds a NUL byte"} for row in rows[:1000]]
        raise InvalidInput(f"{filename}: row {rows[0]} holds a NUL byte", errors=errors)
    return text


def csv_rows(filename: str, reader: Iterator[Row]) -> Iterator[Row]:
    """The rows of a ``csv.reader``, a malformed one (a field over the csv module's limit) refused by its line."""
    done = getattr(reader, "line_num", 0)  # lines read so far (a DictReader's header)
    try:
        for record in reader:
            yield record
            done = getattr(reader, "line_num", done + 1)
    except csv.Error as exc:
        line = done + 1  # the line after the last good one
        raise InvalidInput(
            f"{filename}: row {line} is not CSV ({exc})", errors=[{"row": line, "column": None, "reason": str(exc)}]
        ) from None


def csv_header(filename: str, reader: csv.DictReader[str]) -> list[str]:
    """A ``csv.DictReader``'s header, a malformed one refused as row 1."""
    try:
        return [name.strip() for name in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise InvalidInput(
            f"{filename}: row 1 is not CSV ({exc})", errors=[{"row": 1, "column": None, "reason": str(exc)}]
        ) from None
