"""Group commit of single-event deliveries: each request gets its own result, one failure stays its own."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

from greenfin.auth.service import Principal
from greenfin.personal.coalesce import Coalescer
from greenfin.personal.schemas import EventIn, EventResult
from tests.personal.conftest import event

BANK = Principal(actor="key:a", role="data_source", organisation_code="QZB01")
OTHER = Principal(actor="key:b", role="data_source", organisation_code="QZB02")


T = TypeVar("T")


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` on a fresh event loop in its own thread.

    A page test's Playwright (sync API) marks this worker's main thread as running a loop, and
    asyncio.run refuses to start inside a running loop.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


class Recorder:
    """A stand-in for the intake transaction that records how events were grouped."""

    def __init__(self, *, fail_on: str | None = None) -> None:
        self.calls: list[tuple[str, list[str]]] = []
        self.fail_on = fail_on
        self.gate = threading.Event()

    def __call__(self, principal: Principal, events: list[EventIn]) -> list[EventResult]:
        self.gate.wait(5)  # hold the first transaction until the others have queued
        ids = [e.external_id for e in events]
        self.calls.append((principal.actor, ids))
        if self.fail_on in ids:
            raise RuntimeError("the database refused the transaction")
        return [EventResult(index=i, external_id=e, status="accepted", points=1) for i, e in enumerate(ids)]


async def _submit_all(coalescer: Coalescer, recorder: Recorder, items: list[tuple[Principal, str]]) -> list[object]:
    tasks = [asyncio.ensure_future(coalescer.submit(p, event(eid))) for p, eid in items]
    await asyncio.sleep(0.05)  # all queued before the first transaction ends
    recorder.gate.set()
    return await asyncio.gather(*tasks, return_exceptions=True)


def test_concurrent_requests_share_transactions_and_each_gets_its_own_result() -> None:
    recorder = Recorder()
    coalescer = Coalescer(recorder, in_flight=1)
    items = [(BANK, f"E{i}") for i in range(10)] + [(OTHER, "X1")]
    results = _run(_submit_all(coalescer, recorder, items))
    assert [(r.external_id, r.index) for r in results] == [(eid, 0) for _, eid in items]  # type: ignore[attr-defined]
    # Queued together, delivered together: one transaction per principal.
    assert recorder.calls == [("key:a", [f"E{i}" for i in range(10)]), ("key:b", ["X1"])]


def test_a_failing_transaction_is_retried_event_by_event() -> None:
    recorder = Recorder(fail_on="E3")
    coalescer = Coalescer(recorder, in_flight=1)
    results = _run(_submit_all(coalescer, recorder, [(BANK, f"E{i}") for i in range(5)]))
    assert isinstance(results[3], RuntimeError)
    assert [r.external_id for i, r in enumerate(results) if i != 3] == ["E0", "E1", "E2", "E4"]  # type: ignore[union-attr]
    assert recorder.calls[0] == ("key:a", ["E0", "E1", "E2", "E3", "E4"])  # together, refused
    assert recorder.calls[1:] == [("key:a", [f"E{i}"]) for i in range(5)]  # then each alone


@pytest.mark.parametrize("in_flight", [1, 2])
def test_no_request_is_left_waiting(in_flight: int) -> None:
    recorder = Recorder()
    recorder.gate.set()
    coalescer = Coalescer(recorder, in_flight=in_flight, max_events=3)

    async def many() -> list[EventResult]:
        return await asyncio.gather(*(coalescer.submit(BANK, event(f"M{i}")) for i in range(50)))

    results = _run(asyncio.wait_for(many(), 10))
    assert sorted(r.external_id for r in results) == sorted(f"M{i}" for i in range(50))
    assert max(len(ids) for _, ids in recorder.calls) <= 3
