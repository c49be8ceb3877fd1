"""``db.read_frame``: a query's rows straight into Polars, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from greenfin.db import read_frame
from greenfin.stats.models import GreenFinanceDivision


def test_rows_dates_nulls_and_an_empty_answer(session: Session) -> None:
    for name, opened, closed in (
        ("绿色金融事业部", date(2021, 3, 1), None),
        ("绿色支行", date(2022, 6, 30), date(2024, 1, 2)),
    ):
        session.add(
            GreenFinanceDivision(
                bank_code="qz_bank", name=name, kind="division", established_on=opened, closed_on=closed, source="t"
            )
        )
    session.flush()
    schema = {"name": pl.Utf8, "established_on": pl.Date, "closed_on": pl.Date}
    query = (
        select(GreenFinanceDivision.name, GreenFinanceDivision.established_on, GreenFinanceDivision.closed_on)
        .where(GreenFinanceDivision.established_on >= date(2021, 1, 1))
        .order_by(GreenFinanceDivision.established_on)
    )
    frame = read_frame(session, query, schema)
    assert frame.schema == pl.Schema(schema)
    assert frame.rows() == [
        ("绿色金融事业部", date(2021, 3, 1), None),
        ("绿色支行", date(2022, 6, 30), date(2024, 1, 2)),
    ]
    none = read_frame(session, query.where(GreenFinanceDivision.bank_code == "nobody"), schema)
    assert none.height == 0 and none.schema == pl.Schema(schema)
