"""The login throttle cannot be raced: concurrent guesses on committed databases (issue 16 found 15–18
guesses checked against a limit of 5 on PostgreSQL)."""

from __future__ import annotations

import threading

from greenfin.auth import service as auth
from greenfin.db import make_engine, make_session_factory, session_scope
from greenfin.errors import TooManyRequests
from greenfin.settings import Settings

GUESSES = 12


def test_concurrent_guesses_check_no_more_than_the_limit(empty_database: str) -> None:
    settings = Settings(environment="test", database_url=empty_database, login_max_failures=5)
    engine = make_engine(empty_database, **({} if empty_database.startswith("sqlite") else {"pool_size": GUESSES}))
    factory = make_session_factory(engine)
    with session_scope(factory) as session:
        auth.create_user(session, username="carol", password="correct-horse-battery", role="regulator")
    barrier = threading.Barrier(GUESSES)
    outcomes: list[str] = []
    lock = threading.Lock()

    def guess(number: int) -> None:
        barrier.wait()
        try:
            with session_scope(factory, writer=True) as session:
                user = auth.authenticate(
                    session, settings, username="carol", password=f"guess-{number}", address=f"10.0.0.{number}"
                )
            outcome = "checked" if user is None else "in"
        except TooManyRequests:
            outcome = "throttled"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(GUESSES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()
    assert sorted(outcomes) == ["checked"] * 5 + ["throttled"] * (GUESSES - 5)
