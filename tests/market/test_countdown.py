"""The workbench's countdown: escalated, overdue, due today, or working days left (Chinese calendar)."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from greenfin.market import service
from greenfin.market.views import _countdown


def _application(due_in_days: int | None, *, escalated: bool = False, state: str = "submitted") -> SimpleNamespace:
    today = service.beijing_today()
    due = None if due_in_days is None else today + timedelta(days=due_in_days)
    return SimpleNamespace(due_on=due, overdue_since=due if escalated else None, state=state)


def test_a_deadline_past_its_day_is_overdue_whatever_the_days_between_were() -> None:
    assert _countdown(_application(-1)) == ("overdue", None)
    assert _countdown(_application(-3)) == ("overdue", None)


def test_only_an_escalated_application_says_it_was_reported() -> None:
    assert _countdown(_application(-2, escalated=True)) == ("escalated", None)


def test_due_today_and_days_left() -> None:
    assert _countdown(_application(0)) == ("today", 0)
    flag, left = _countdown(_application(14))
    assert flag == "left" and left is not None and 1 <= left <= 10  # two weeks: at most 10 working days, and some
    assert _countdown(_application(5, state="approved")) == ("", None)  # nothing owed
    assert _countdown(_application(None)) == ("", None)
