"""Group commit for single-event deliveries: one intake transaction for many concurrent requests.

A data source posting events one by one pays, per request, for what an intake transaction
costs whatever its size: the account locks, the duplicate check, the daily-cap counts, the
chain heads, two inserts and a commit (about 9 ms on this machine). Concurrent requests of
one process are therefore gathered and delivered together through the same
:func:`greenfin.personal.service.intake_events` the batch endpoint uses, as one transaction;
each request still waits for its own event's result — accepted with the points it earned,
duplicate or rejected with its reason — so the answer is as final as a single delivery's.

There is no timer: while a transaction runs, the requests that arrive queue up and form the
next one (at most :data:`MAX_EVENTS`). A lone request is delivered at once; under load the
transactions grow until they keep pace. Up to :data:`IN_FLIGHT` transactions of a process run
at once, so one waiting on the database does not hold up the next. Events are grouped by principal (one API key
delivers for one source), and if a gathered transaction fails as a whole each of its events is
retried alone, so one request's failure never becomes another's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.concurrency import run_in_threadpool

from greenfin.auth.service import Principal
from greenfin.personal.schemas import EventIn, EventResult

MAX_EVENTS = 1_000
IN_FLIGHT = 2

Deliver = Callable[[Principal, list[EventIn]], list[EventResult]]


@dataclass
class _Waiting:
    principal: Principal
    event: EventIn
    result: asyncio.Future[EventResult]


@dataclass
class Coalescer:
    """Gathers single-event deliveries of one process (one per application)."""

    deliver: Deliver
    max_events: int = MAX_EVENTS
    in_flight: int = IN_FLIGHT
    _queue: list[_Waiting] = field(default_factory=list)
    _drains: set[asyncio.Task[None]] = field(default_factory=set)

    async def submit(self, principal: Principal, event: EventIn) -> EventResult:
        """Deliver one event with whatever else is waiting; its result (index 0)."""
        loop = asyncio.get_running_loop()
        waiting = _Waiting(principal, event, loop.create_future())
        self._queue.append(waiting)
        self._drains = {t for t in self._drains if not t.done() and t.get_loop() is loop}
        if len(self._drains) < self.in_flight:
            self._drains.add(loop.create_task(self._drain()))
        return await waiting.result

    async def _drain(self) -> None:
        while self._queue:
            taken, self._queue = self._queue[: self.max_events], self._queue[self.max_events :]
            groups: dict[Principal, list[_Waiting]] = {}
            for waiting in taken:
                groups.setdefault(waiting.principal, []).append(waiting)
            for principal, group in groups.items():
                await self._deliver_group(principal, group)

    async def _deliver_group(self, principal: Principal, group: list[_Waiting]) -> None:
        try:
            results = await run_in_threadpool(self.deliver, principal, [w.event for w in group])
        except Exception as exc:
            if len(group) == 1:
                _settle(group[0], exc)
                return
            for waiting in group:  # one failing event must not fail the others
                try:
                    (result,) = await run_in_threadpool(self.deliver, principal, [waiting.event])
                except Exception as alone:
                    _settle(waiting, alone)
                else:
                    _settle(waiting, result)
            return
        for waiting, result in zip(group, results, strict=True):
            _settle(waiting, result)


def _settle(waiting: _Waiting, outcome: EventResult | BaseException) -> None:
    if waiting.result.done():  # the request went away (client disconnected)
        return
    if isinstance(outcome, BaseException):
        waiting.result.set_exception(outcome)
    else:
        waiting.result.set_result(outcome.model_copy(update={"index": 0}))
