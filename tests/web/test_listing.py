"""``greenfin.web.listing``: the list state in the URL and exports that a spreadsheet cannot run."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import openpyxl
from starlette.requests import Request

from greenfin.web.listing import export_rows, list_query


def _request(query: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/x", "query_string": query.encode(), "headers": []})


def test_exports_keep_formulas_as_text_and_times_in_beijing_time() -> None:
    # OWASP "CSV injection": a cell starting with = + - @ is run by Excel; it must stay text.
    rows = [['=HYPERLINK("http://evil")', "+1", "-2", "@SUM(A1)", 7, datetime(2025, 3, 1, tzinfo=UTC)]]
    header = ["a", "b", "c", "d", "n", "t"]
    book = export_rows(header, rows, name="list", fmt="xlsx", lang="zh")
    sheet = openpyxl.load_workbook(io.BytesIO(book.body), read_only=True).active
    got = list(sheet.iter_rows(values_only=True))[1]
    assert got[:4] == ('\'=HYPERLINK("http://evil")', "'+1", "'-2", "'@SUM(A1)")
    assert got[4] == 7  # numbers stay numbers
    assert got[5] == "2025-03-01 08:00:00 北京时间"
    text = export_rows(header, rows, name="list", fmt="csv", lang="zh").body.decode("utf-8-sig")
    assert next(iter(csv.reader(io.StringIO(text.splitlines()[1]))))[0].startswith("'=")


def test_the_list_state_is_kept_in_the_url() -> None:
    listed = list_query(_request("sort=name&dir=desc&page=3&size=50&kind=x"), sorts=("name",), filters={"kind": "x"})
    assert (listed.sort, listed.descending, listed.page, listed.size, listed.offset) == ("name", True, 3, 50, 100)
    assert listed.url(page=4) == "/x?kind=x&sort=name&dir=desc&page=4&size=50"
    assert listed.sort_url("name") == "/x?kind=x&sort=name&size=50"  # second click: ascending, page 1
    odd = list_query(_request("sort=evil&page=-3&size=7"), sorts=("name",), default_sort="name")
    assert (odd.sort, odd.page, odd.size) == ("name", 1, 20)
