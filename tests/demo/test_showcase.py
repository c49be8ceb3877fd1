"""The demo ``enterprise`` login shows what the what-if is for (issue 12): it acts for a 黄
enterprise whose "60 % of coal to a heat pump" what-if earns 浅绿 or better."""

from __future__ import annotations

from sqlalchemy.orm import Session

from greenfin.auth import service as auth
from greenfin.demo.service import DEMO_PASSWORD, SHOWCASE_COAL_PCT, build_region
from greenfin.finance import service as finance
from greenfin.finance.policy import COAL_ENERGIES
from greenfin.finance.schemas import EnterpriseWhatIf
from greenfin.industry import service as industry
from greenfin.settings import Settings


def test_the_demo_enterprise_is_yellow_and_its_what_if_reaches_light_green(
    session: Session, settings: Settings
) -> None:
    build_region(session, enterprises=300, seed=42, settings=settings, residents=0)
    user = auth.authenticate(session, settings, username="enterprise", password=DEMO_PASSWORD)
    assert user is not None
    principal = auth.principal_for_user(session, user)
    uscc = principal.organisation_code or ""
    latest = industry.label_history(session, principal, uscc=uscc)[0]
    assert latest.label == "yellow"
    now = finance.enterprise_what_if(session, principal, what_if_in=EnterpriseWhatIf(uscc=uscc))
    assert now.before.label == "yellow"
    coal = [line.energy for line in now.energies if line.before_quantity and line.energy in COAL_ENERGIES]
    changes = [
        {
            "kind": "shift",
            "from_energy": e,
            "to_energy": "electricity",
            "share_pct": str(SHOWCASE_COAL_PCT),
            "technology": "heat_pump",
        }
        for e in coal
    ]
    after = finance.enterprise_what_if(
        session, principal, what_if_in=EnterpriseWhatIf.model_validate({"uscc": uscc, "changes": changes})
    )
    assert after.after.label in ("light_green", "dark_green")
    assert after.after.total_co2_t < now.before.total_co2_t
