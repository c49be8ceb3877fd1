"""Lists a regulator can work with: sortable columns, numbered pages, a page size, filters kept in
the URL, and export of exactly what is filtered to XLSX or CSV — one helper for every list page.

A list page reads its :class:`ListQuery` from the request (``sort``, ``dir``, ``page``, ``size``
and its own filters), asks its service for one page in that order (or, with ``?export=xlsx`` /
``?export=csv``, for every filtered row up to :data:`EXPORT_LIMIT`) and renders the table with
the macros of ``macros.html`` (``sort_th``, ``pager``, ``list_tools``), which build every link from
:meth:`ListQuery.url` so the filters travel with each click. Exports carry the page's column
headings in its language, and times in Beijing time (:func:`greenfin.web.formatting.beijing_time`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import Response

from greenfin.clock import BEIJING
from greenfin.errors import InvalidInput
from greenfin.web.formatting import beijing_time

SIZES = (20, 50, 100)
"""Page sizes a reader may choose."""
DEFAULT_SIZE = 20
EXPORT_LIMIT = 100_000
"""The most rows one export holds (a larger selection is refused with a sentence: filter it first)."""
EXPORTS = ("xlsx", "csv")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_NOT_IN_SHEET_TITLES = str.maketrans({c: " " for c in "[]:*?/\\"})  # Excel refuses them in a sheet's title


@dataclass(frozen=True)
class ListQuery:
    """The state of a list in its URL: filters, sort column and direction, page and page size."""

    path: str
    filters: Mapping[str, str] = field(default_factory=dict)
    sort: str | None = None
    descending: bool = False
    page: int = 1
    size: int = DEFAULT_SIZE
    export: str | None = None
    default_descending: bool = False  # a list read newest first (a ledger) says so; its URL then names "asc"

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    def params(self, **changes: Any) -> dict[str, str]:
        """The query parameters of this list with ``changes`` (None removes one), defaults left out."""
        values: dict[str, Any] = {
            **self.filters,
            "sort": self.sort,
            "dir": None if self.descending == self.default_descending else ("desc" if self.descending else "asc"),
            "page": self.page if self.page != 1 else None,
            "size": self.size if self.size != DEFAULT_SIZE else None,
        }
        values.update(changes)
        return {key: str(value) for key, value in values.items() if value not in (None, "")}

    def url(self, **changes: Any) -> str:
        """This list's URL with ``changes`` (e.g. ``page=3``, ``sort="name"``, ``export="xlsx"``)."""
        params = self.params(**changes)
        return f"{self.path}?{urlencode(params)}" if params else self.path

    def sort_url(self, key: str) -> str:
        """The URL sorting by ``key``: ascending first, the other way on a second click; back to page 1."""
        descending = self.sort == key and not self.descending
        if descending == self.default_descending:
            return self.url(sort=key, dir=None, page=None)
        return self.url(sort=key, dir="desc" if descending else "asc", page=None)

    def pages(self, total: int) -> list[int | None]:
        """Page numbers to offer: the first, the last, and two either side of this one (None = a gap)."""
        last = max(1, -(-total // self.size))
        shown = sorted({1, last, *range(max(1, self.page - 2), min(last, self.page + 2) + 1)})
        numbers: list[int | None] = []
        for number in shown:
            if numbers and number - (numbers[-1] or 0) > 1:
                numbers.append(None)
            numbers.append(number)
        return numbers

    def last_page(self, total: int) -> int:
        return max(1, -(-total // self.size))


def list_query(
    request: Request,
    *,
    sorts: Sequence[str],
    default_sort: str | None = None,
    filters: Mapping[str, Any] | None = None,
    default_descending: bool = False,
) -> ListQuery:
    """The list state of ``request``: unknown sort keys, pages and sizes fall back to the defaults."""
    params = request.query_params
    sort = params.get("sort")
    if sort not in sorts:
        sort = default_sort
    try:
        page = max(1, min(int(params.get("page", "1")), 10**6))
    except ValueError:
        page = 1
    try:
        size = int(params.get("size", str(DEFAULT_SIZE)))
    except ValueError:
        size = DEFAULT_SIZE
    export = params.get("export")
    kept = {key: str(value) for key, value in (filters or {}).items() if value not in (None, "")}
    return ListQuery(
        path=request.url.path,
        filters=kept,
        sort=sort,
        descending=params.get("dir") == "desc" if "dir" in params else default_descending,
        default_descending=default_descending,
        page=page,
        size=size if size in SIZES else DEFAULT_SIZE,
        export=export if export in EXPORTS else None,
    )


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A text cell starting with one of these is read as a formula by Excel/WPS (CSV injection, OWASP)."""


def _cell(value: Any, lang: str) -> Any:
    """A value as a spreadsheet cell: numbers stay numbers, moments read in Beijing time, and text a
    spreadsheet would run as a formula is kept as text (a leading apostrophe)."""
    if isinstance(value, str):
        return f"'{value}" if value.startswith(FORMULA_STARTS) else value
    if isinstance(value, datetime):
        return beijing_time(value, lang, seconds=True)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bool):
        return "是" if value and lang == "zh" else ("否" if lang == "zh" else str(value).lower())
    return value


def export_rows(
    header: Sequence[str], rows: Sequence[Sequence[Any]], *, name: str, fmt: str, lang: str, total: int | None = None
) -> Response:
    """``rows`` under ``header`` as an XLSX workbook or a CSV file (UTF-8 with BOM, so Excel reads Chinese)."""
    if total is not None and total > EXPORT_LIMIT:
        message = (
            f"筛选结果共 {total:,} 行，超过单次导出上限 {EXPORT_LIMIT:,} 行，请先缩小筛选范围。"
            if lang == "zh"
            else f"The selection holds {total:,} rows, more than one export may hold ({EXPORT_LIMIT:,}); filter first."
        )
        raise InvalidInput(message)
    stamp = datetime.now(BEIJING).strftime("%Y%m%d")
    filename = f"{name}-{stamp}.{fmt}"
    disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows([[_cell(value, lang) for value in row] for row in rows])
        body = ("\ufeff" + buffer.getvalue()).encode("utf-8")
        return Response(body, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": disposition})
    from openpyxl import Workbook  # type: ignore[import-untyped]

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=name.translate(_NOT_IN_SHEET_TITLES)[:31] or "export")
    sheet.append(list(header))
    for row in rows:
        sheet.append([_cell(value, lang) for value in row])
    out = io.BytesIO()
    workbook.save(out)
    return Response(out.getvalue(), media_type=XLSX_TYPE, headers={"Content-Disposition": disposition})


__all__ = ["EXPORT_LIMIT", "SIZES", "ListQuery", "export_rows", "list_query"]
