"""Beijing time (北京时间), defined once: the offset every local day and every shown time uses.

China Standard Time is UTC+8 without daylight saving time since 1991, so a fixed offset is
exact and needs no time-zone database. Stored times are UTC (:func:`greenfin.db.utcnow`);
days of caps, grades and reports are Beijing days.

    >>> beijing_day(datetime(2026, 3, 1, 16, 30, tzinfo=UTC))
    datetime.date(2026, 3, 2)
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
"""China Standard Time (北京时间), UTC+8."""


def beijing_day(at: datetime) -> date:
    """The Beijing calendar day of a time (a naive time is taken as UTC, as SQLite hands it back)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(BEIJING).date()


def beijing_today() -> date:
    """Today in Beijing."""
    return datetime.now(BEIJING).date()
