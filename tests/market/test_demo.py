"""The demo platform: institutions, products, outcomes near the seed's > 95 % success for small firms."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from greenfin.auth.models import Organisation
from greenfin.auth.service import Principal
from greenfin.market import service
from greenfin.market.demo import add_market_demo
from greenfin.market.models import Application, Loan
from tests.industry.factories import ENTERPRISE_HEADER, load, make_uscc

REGULATOR = Principal(actor="user:reg", role="regulator")


def test_demo_platform(session: Session) -> None:
    load(
        session,
        "enterprises",
        ENTERPRISE_HEADER,
        [(make_uscc(i), f"演示企业{i}", ("330802", "330803", "330881")[i % 3], "2221") for i in range(30)],
    )
    counts = add_market_demo(session, seed=7, needs=600)
    banks = session.scalar(select(func.count()).select_from(Organisation).where(Organisation.kind == "bank"))
    guarantors = session.scalar(select(func.count()).select_from(Organisation).where(Organisation.kind == "guarantor"))
    assert (banks, guarantors) == (31, 7)  # + the demo login's bank = 32 in `greenfin demo`
    assert 38 * 2 <= counts["products"] <= 38 * 10
    assert counts["applications"] == session.scalar(select(func.count()).select_from(Application))
    assert counts["loans"] == session.scalar(select(func.count()).select_from(Loan)) > 0
    # every demo application carries the consents applying grants (auth's one model)
    from greenfin.auth.models import Consent

    consents = session.scalar(select(func.count()).select_from(Consent).where(Consent.scope == "application_data"))
    linked = session.scalar(select(func.count()).select_from(Application).where(Application.consent_id.is_not(None)))
    assert consents == linked == counts["applications"]
    board = service.dashboard(session, REGULATOR)
    assert 930 <= board["success_milli"] <= 990  # about 96 % approved of decided
    # the bank list works on the demo's index
    served = service.repository.needs_served(session, "qz-bank-01", limit=20, offset=0)
    assert all(n.status == "open" for n in served)
