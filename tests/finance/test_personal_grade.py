"""A person's green-credit grade as a standing in ``POST /api/v1/finance/terms``.

The borrower is a grain grower held by a person (ID ``330802199001011232``) who also has a
personal carbon account. 48 recycling pickups on 48 different days in the trailing 12
months avoid 48 × 2,100 g = 100,800 g ≥ 100,000 g: 深绿 (personal grade bands v1). The farm
has no assessment, so the grade is the only standing. Quzhou policy v1, personal 深绿, on
435 bp / 1,000,000.00 yuan / 12 months / 150 bp guarantee fee (hand-applied):

    rate       435 − 50 bp               = 385 bp    cells.personal.dark_green.rate_adjustment_bp
    amount     100,000,000 × 1.2         = 120,000,000 fen
    guarantee  150 − 0                   = 150 bp
    fast track yes; products green_consumer_loan

Decided: the bank names the person (``resident_ref``); without the person's live grade
consent to that bank the terms are refused (403) rather than priced without the grade.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from greenfin.agriculture import service as agriculture
from greenfin.agriculture.schemas import FarmCreate
from greenfin.auth.models import Organisation
from greenfin.auth.service import Principal
from greenfin.db import utcnow
from greenfin.finance import service
from greenfin.finance.schemas import ConsentCreate
from greenfin.personal import service as personal
from greenfin.settings import Settings
from tests.conftest import bearer, make_organisation, make_user
from tests.personal.conftest import ID_A, ID_B, deliver, event, make_bank, make_resident

ADMIN = Principal(actor="test", role="admin")
OFFER = {"rate_bp": 435, "amount_fen": 100_000_000, "term_months": 12, "guarantee_fee_bp": 150}
RULE = "330800/v1:cells.personal.dark_green.rate_adjustment_bp"


def _setup(session: Session, settings: Settings) -> dict[str, object]:
    farm = agriculture.register_farm(
        session,
        ADMIN,
        farm_in=FarmCreate(
            farm_type="grain_grower",
            name="柯城区测试种粮大户",
            holder_id_number=ID_A,
            county_code="330802",
            township="航埠镇",
            area_mu=500,
            open_account=True,
        ),
        secret_key=settings.secret_key,
    )
    bank, other = make_bank(session, "QZB01"), make_bank(session, "QZB02")
    holder = make_resident(session, settings, "holder-a", ID_A)
    stranger = make_resident(session, settings, "stranger-b", ID_B)
    today = utcnow()
    deliver(
        session,
        bank.principal,
        settings=settings,
        events=[
            event(f"R{day}", scenario="recycling_pickup", at=(today - timedelta(days=day)).isoformat())
            for day in range(1, 49)
        ],
    )
    _, farm_principal = service.acting_for_borrower(session, kind="farm", ref=farm.id, actor="user:holder-a")
    for code in (bank.code, other.code):  # both banks may read the farm's carbon data
        service.grant_consent(
            session,
            farm_principal,
            consent_in=ConsentCreate(bank_code=code, expires_at=today + timedelta(days=30), farm_ref=farm.id),
        )
    officers = {}
    for code in (bank.code, other.code):
        organisation = session.scalars(select(Organisation).where(Organisation.code == code)).one()
        officers[code] = bearer(session, settings, make_user(session, f"officer-{code}", "bank", organisation))
    session.commit()
    return {"farm": farm.id, "holder": holder, "stranger": stranger, "bank": bank, "officers": officers}


def _terms(client: TestClient, headers: dict[str, str], farm: str, resident: str | None = None):  # type: ignore[no-untyped-def]
    body: dict[str, object] = {"borrower": {"kind": "farm", "ref": farm}, "base_offer": OFFER}
    if resident is not None:
        body["resident_ref"] = resident
    return client.post("/api/v1/finance/terms", json=body, headers=headers)


def test_a_dark_green_resident_with_consent_gets_the_personal_cell(
    client: TestClient, session: Session, settings: Settings
) -> None:
    ctx = _setup(session, settings)
    holder, officer = ctx["holder"], ctx["officers"]["QZB01"]  # type: ignore[index]
    personal.grant_consent(session, holder.principal, bank_code="QZB01", days=30)  # type: ignore[attr-defined]
    session.commit()

    without = _terms(client, officer, ctx["farm"])  # type: ignore[arg-type]
    assert without.status_code == 200, without.text
    assert (without.json()["rate_bp"], without.json()["standings"], without.json()["adjustments"]) == (435, [], [])

    response = _terms(client, officer, ctx["farm"], holder.ref)  # type: ignore[arg-type, attr-defined]
    assert response.status_code == 200, response.text
    terms = response.json()
    standing = terms["standings"][0]
    assert (standing["account_type"], standing["label_code"], standing["name_zh"]) == ("personal", "dark_green", "深绿")
    assert (terms["rate_bp"], terms["amount_fen"], terms["guarantee_fee_bp"]) == (385, 120_000_000, 150)
    assert terms["fast_track"] is True and terms["eligible_products"] == ["green_consumer_loan"]
    rate = next(a for a in terms["adjustments"] if a["field"] == "rate_bp")
    assert (rate["rule_id"], rate["before"], rate["after"]) == (RULE, 435, 385)


def test_the_personal_grade_is_refused_without_the_persons_consent(
    client: TestClient, session: Session, settings: Settings
) -> None:
    ctx = _setup(session, settings)
    holder, farm = ctx["holder"], ctx["farm"]
    officer, other = ctx["officers"]["QZB01"], ctx["officers"]["QZB02"]  # type: ignore[index]

    refused = _terms(client, officer, farm, holder.ref)  # type: ignore[arg-type, attr-defined]
    assert refused.status_code == 403  # never given: named, so refused rather than priced without it
    assert "consent" in refused.json()["detail"]

    consent = personal.grant_consent(session, holder.principal, bank_code="QZB01", days=30)  # type: ignore[attr-defined]
    session.commit()
    assert _terms(client, officer, farm, holder.ref).status_code == 200  # type: ignore[arg-type, attr-defined]
    assert _terms(client, other, farm, holder.ref).status_code == 403  # type: ignore[arg-type, attr-defined]

    personal.revoke_consent(session, holder.principal, consent_id=consent.id)  # type: ignore[attr-defined]
    session.commit()
    assert _terms(client, officer, farm, holder.ref).status_code == 403  # type: ignore[arg-type, attr-defined]


def test_the_grade_must_be_the_borrowers_own(client: TestClient, session: Session, settings: Settings) -> None:
    ctx = _setup(session, settings)
    stranger, officer = ctx["stranger"], ctx["officers"]["QZB01"]  # type: ignore[index]
    personal.grant_consent(session, stranger.principal, bank_code="QZB01", days=30)  # type: ignore[attr-defined]
    session.commit()
    # Another consenting resident's grade cannot price this farm.
    response = _terms(client, officer, ctx["farm"], stranger.ref)  # type: ignore[arg-type, attr-defined]
    assert response.status_code == 422
    assert "not the farm holder" in response.json()["detail"]


def test_an_enterprise_borrower_has_no_personal_grade(client: TestClient, session: Session, settings: Settings) -> None:
    ctx = _setup(session, settings)
    make_organisation(session, kind="enterprise", code="91330802MA2ENT0001", name="某企业")
    session.commit()
    body = {
        "borrower": {"kind": "enterprise", "ref": "91330802MA2ENT0001"},
        "base_offer": OFFER,
        "resident_ref": ctx["holder"].ref,  # type: ignore[attr-defined]
    }
    admin = bearer(session, settings, make_user(session, "admin-1", "admin"))
    response = client.post("/api/v1/finance/terms", json=body, headers=admin)
    assert response.status_code == 422
    assert "person" in response.json()["detail"]
