"""Demo consents: the demo enterprise and a demo farm grant the demo bank access to their data.

Call after the demo logins exist (``enterprise`` and ``bank``) and after
:func:`greenfin.agriculture.demo.add_agriculture_demo`. Consents run for one year from now.

Outside production it also adds the demo login ``farm`` (password ``greenfin-demo``): a user
of role ``enterprise`` acting for the demo pig farm through the organisation of kind
``enterprise`` with the farm's USCC, so the farm grants and revokes consents itself.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from greenfin.agriculture import service as agriculture
from greenfin.auth import repository as auth_repository
from greenfin.auth import service as auth
from greenfin.auth.schemas import ConsentRecord
from greenfin.auth.service import Principal
from greenfin.db import utcnow
from greenfin.settings import Settings, get_settings

FARM_USERNAME = "farm"
DEMO_PASSWORD = "greenfin-demo"  # as greenfin.demo.service.DEMO_PASSWORD: demo data only, never in production


def add_finance_demo(session: Session, *, seed: int, settings: Settings | None = None) -> list[ConsentRecord]:
    """Consents of the demo enterprise and of one demo pig farm (with an account) to the demo bank."""
    settings = settings or get_settings()
    bank_user = auth_repository.user_by_username(session, "bank")
    enterprise_user = auth_repository.user_by_username(session, "enterprise")
    bank = (
        auth_repository.organisation_by_id(session, bank_user.organisation_id)
        if bank_user and bank_user.organisation_id
        else None
    )
    if bank is None:
        return []
    now = utcnow()
    until = now + timedelta(days=365)
    consents: list[ConsentRecord] = []
    if enterprise_user is not None and enterprise_user.organisation_id:
        enterprise = auth_repository.organisation_by_id(session, enterprise_user.organisation_id)
        if enterprise is not None:
            consents.append(
                auth.grant_consent(
                    session,
                    Principal(actor="user:enterprise", role="enterprise"),
                    subject_kind="enterprise",
                    subject_ref=enterprise.code,
                    subject_code=enterprise.code,
                    organisation_code=bank.code,
                    scope="credit_report",
                    expires_at=until,
                    granted_at=now,
                )
            )
    farm = agriculture.first_farm_with_account(session, farm_type="pig_farm")
    if farm is not None:
        farm_user = _farm_login(session, farm, settings)
        consents.append(
            auth.grant_consent(
                session,
                Principal(actor=f"user:{farm_user.username}" if farm_user else f"demo:{seed}", role="enterprise"),
                subject_kind="farm",
                subject_ref=farm.id,
                subject_code=farm.organisation_code,
                organisation_code=bank.code,
                scope="credit_report",
                expires_at=until,
                granted_at=now,
            )
        )
    return consents


def _farm_login(session: Session, farm: Any, settings: Settings) -> Any:
    """The demo login ``farm`` acting for this farm (never in production); None in production."""
    if settings.environment == "production":
        return None
    existing = auth_repository.user_by_username(session, FARM_USERNAME)
    if existing is not None:
        return existing
    organisation = auth_repository.organisation_by_code(session, farm.organisation_code)
    if organisation is None:
        organisation = auth.create_organisation(
            session, kind="enterprise", name=farm.name, code=farm.organisation_code, region_code=farm.county_code
        )
    return auth.create_user(
        session,
        username=FARM_USERNAME,
        password=DEMO_PASSWORD,
        role="enterprise",
        display_name=f"{farm.name}（演示）",
        organisation=organisation,
    )
