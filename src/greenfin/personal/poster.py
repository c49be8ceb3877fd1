"""The in-process poster: posts pending API deliveries to the ledger every few seconds.

Each server process runs one daemon thread (started with the application, see
:func:`greenfin.app.create_app`). A run takes the posting lock, so with several processes
one posts and the others wait their turn; a run that finds nothing pending costs one
query. Every ``GREENFIN_LEDGER_CHECKPOINT_MINUTES`` it also anchors the ledger's chain heads in
a signed checkpoint (:func:`greenfin.personal.service.checkpoint`). ``greenfin personal post``
does the posting from the command line.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.orm import Session, sessionmaker

from greenfin.db import session_scope
from greenfin.personal import service
from greenfin.settings import Settings

log = logging.getLogger(__name__)


class Poster:
    """A daemon thread that calls :func:`service.post_pending` every ``interval`` seconds."""

    def __init__(self, factory: sessionmaker[Session], *, interval: float, settings: Settings | None = None) -> None:
        self.factory, self.interval, self.settings = factory, interval, settings
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="greenfin-poster", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                while not self._stop.is_set():  # a backlog: post run after run
                    with session_scope(self.factory) as session:
                        done = service.post_pending(session)
                    if done.run_id is None or done.batches == 0:
                        break
            except Exception:  # the next tick retries; the deliveries stay pending meanwhile
                log.exception("posting pending personal events failed")
            if self.settings is not None:
                try:  # anchor the chain heads every ledger_checkpoint_minutes (a no-op query otherwise)
                    with session_scope(self.factory, writer=False) as session:
                        due = service.checkpoint_due(session, self.settings)
                    if due:
                        with session_scope(self.factory) as session:
                            service.checkpoint_if_due(session, self.settings)
                except Exception:
                    log.exception("anchoring the personal ledger in a checkpoint failed")
