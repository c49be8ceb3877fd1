"""Two registrations of one certificate at the same moment on PostgreSQL: exactly one wins.

The first transaction inserts the certificate and holds it uncommitted; the second passes
the service's look-up (it cannot see the uncommitted row), then waits on the unique index
and, when the first commits, fails there — the service answers Conflict. Either path (the
look-up or the constraint) must end in Conflict and one stored asset.
"""

from __future__ import annotations

import threading
import time
import uuid

from sqlalchemy import Engine, delete, func, select

from greenfin.auth.models import AuditEvent
from greenfin.auth.service import SYSTEM, install_audit
from greenfin.db import make_session_factory
from greenfin.ecobank import service
from greenfin.ecobank.models import Asset, Certificate
from greenfin.ecobank.schemas import AssetCreate
from greenfin.errors import Conflict
from tests.ecobank.test_registry import asset_body


def test_concurrent_duplicate_certificate_on_postgresql(engines: dict[str, Engine]) -> None:
    engine = engines["postgresql"]
    factory = make_session_factory(engine)
    install_audit(factory)
    number = f"CONC-{uuid.uuid4().hex[:12]}"
    asset_in = AssetCreate.model_validate(asset_body(number))
    outcome: dict[str, str] = {}
    first, second = factory(), factory()
    try:
        service.register_asset(first, SYSTEM, asset_in=asset_in, secret_key="k")

        def register_again() -> None:
            try:
                service.register_asset(second, SYSTEM, asset_in=asset_in, secret_key="k")
                second.commit()
                outcome["second"] = "stored"
            except Conflict as exc:
                second.rollback()
                outcome["second"] = "conflict"
                outcome["path"] = "constraint" if "same moment" in exc.detail else "look-up"

        thread = threading.Thread(target=register_again)
        thread.start()
        time.sleep(0.3)  # let the second reach the unique index (the outcome is the same if it has not)
        first.commit()
        thread.join(timeout=30)
        assert outcome["second"] == "conflict"
        with factory() as check:
            count = check.scalar(select(func.count()).select_from(Certificate).where(Certificate.number == number))
            assert count == 1
    finally:
        first.close()
        second.close()
        with factory() as cleanup:
            ids = list(cleanup.scalars(select(Certificate.asset_id).where(Certificate.number == number)))
            cleanup.execute(delete(Certificate).where(Certificate.number == number))
            cleanup.execute(delete(Asset).where(Asset.id.in_(ids)))
            cleanup.execute(delete(AuditEvent).where(AuditEvent.entity_id.in_([*ids, number])))
            cleanup.commit()
