"""The agricultural carbon account end to end: register, records, stored reductions, coverage.

Expected values are computed by hand from methodology v1 (IPCC 2019 Refinement, NY/T
4243-2022, AR6 GWP), never taken from the code:

Grain grower, 500 mu, baseline 7,500 kg chemical N; organic fertiliser 50 t at 2 % N
(1,000 kg organic N) cutting chemical N from 7,500 to 5,000 kg; 200 t rice straw returned::

    avoided chemical N   2,500 × (0.010 + 0.11×0.010 + 0.24×0.011) × 44/28 × 273 = 14,736.150
    added organic N      1,000 × (0.010 + 0.21×0.010 + 0.24×0.011) × 44/28 × 273 = −6,323.460
    straw burnt          200 t × 0.85 DM × 1.0 × 0.80 Cf = 136 t dry matter
    avoided CH4          136 × 2.7 × 27.9                                       = 10,244.880
    avoided N2O          136 × 0.07 × 273                                       =  2,598.960
    residue N2O          −136,000 × 0.007 × (0.010 + 0.24×0.011) × 44/28 × 273  = −5,162.277
    total                                                                       = 16,094.253 kg
    intensity            16,094.253 / 500 = 32.189 kg CO2e/mu ≥ 20 → 深绿

Pig farm, 1,000 head, digester serving all of them for 365 days, 40,000 m3 biogas of which
36,000 m3 used::

    avoided manure CH4   1,000 × 5.08 × 27.9                                    = 141,732.000
    digester leakage     −1,000 × 365 × 0.3 × 0.29 × 0.67 × 0.10 × 27.9         = −59,359.622
    avoided manure N2O   1,000 × 0.175 × 273                                    =  47,775.000
    displaced gas CO2    36,000 × 0.6 × 0.67 × 50.4/1000 × 15.3 × 0.99 × 44/12  =  40,509.525
    unused biogas        −4,000 × 0.6 × 0.67 × 27.9                             = −44,863.200
    total                                                                       = 125,793.703 kg
    intensity            125.794 kg CO2e/head ≥ 100 → 深绿
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from greenfin.agriculture import service
from greenfin.agriculture.demo import add_agriculture_demo
from greenfin.agriculture.models import Baseline, PracticeRecord
from greenfin.agriculture.schemas import FarmCreate, RecordsSubmit
from greenfin.auth.service import Principal
from greenfin.errors import Conflict, Forbidden, InvalidInput
from tests.conftest import make_organisation, make_user

ADMIN = Principal(actor="test", role="admin")
SECRET = "test-secret"
GROWER_USCC = "91330881MA2ABCDE0X"


def _uscc(body17: str) -> str:
    from stdnum.cn import uscc

    return body17 + uscc.calc_check_digit(body17)


def register(session: Session, **fields: object) -> str:
    values: dict[str, object] = {
        "farm_type": "grain_grower",
        "name": "江山市贺村镇测试种粮大户",
        "county_code": "330881",
        "township": "贺村镇",
        "area_mu": Decimal(500),
        "open_account": True,
    }
    values.update(fields)
    if "uscc" not in values and "holder_id_number" not in values:
        values["uscc"] = _uscc("91330881MA2ABCDE0")
    farm = service.register_farm(session, ADMIN, farm_in=FarmCreate.model_validate(values), secret_key=SECRET)
    return farm.id


GROWER_RECORDS = {
    "year": 2024,
    "baseline": {"chemical_n_kg": "7500", "area_mu": "500", "data_quality": "metered"},
    "records": [
        {
            "practice": "organic_fertiliser_substitution",
            "applied_t": "50",
            "n_content_pct": "2",
            "chemical_n_before_kg": "7500",
            "chemical_n_after_kg": "5000",
            "data_quality": "metered",
        },
        {"practice": "straw_return", "crop": "rice", "straw_t": "200", "area_mu": "500", "data_quality": "audited"},
    ],
}

PIG_RECORDS = {
    "year": 2024,
    "baseline": {"herd_heads": 1000},
    "records": [
        {
            "practice": "biogas_project",
            "digester_volume_m3": "300",
            "manure_treated_t": "1500",
            "heads_served": 1000,
            "biogas_produced_m3": "40000",
            "biogas_used_m3": "36000",
            "days": 365,
        }
    ],
}


def test_grain_grower_reduction_and_label_are_stored_as_hand_computed(session: Session) -> None:
    farm_id = register(session)
    service.submit_records(session, ADMIN, farm_ref=farm_id, submit=RecordsSubmit.model_validate(GROWER_RECORDS))
    account = service.get_account(session, ADMIN, farm_ref=farm_id)
    latest = account.latest
    assert latest is not None
    assert latest.co2e_kg == Decimal("16094.253")
    assert latest.intensity == Decimal("32.189")
    assert latest.label == "dark_green" and latest.label_name_zh == "深绿"
    assert latest.methodology_version == "v1"
    assert latest.data_quality == "metered"  # the weakest of metered and audited
    by_practice = {r.practice: r for r in latest.reductions}
    assert by_practice["organic_fertiliser_substitution"].co2e_kg == Decimal("8412.690")
    terms = {t.name: t.value_kg for t in by_practice["straw_return"].terms}
    assert terms == {
        "avoided_burning_ch4": Decimal("10244.880"),
        "avoided_burning_n2o": Decimal("2598.960"),
        "added_residue_n_soil_n2o": Decimal("-5162.277"),
    }
    # Every factor of every term carries its source.
    assert all(i.source for r in latest.reductions for t in r.terms for i in t.inputs)
    assert "32.189" in latest.explanation_zh


def test_pig_farm_biogas_reduction_and_label(session: Session) -> None:
    farm_id = register(
        session,
        farm_type="pig_farm",
        uscc=_uscc("91330803MA2PGFRM0"),
        area_mu=None,
        herd_heads=1000,
        name="衢江测试猪场",
    )
    service.submit_records(session, ADMIN, farm_ref=farm_id, submit=RecordsSubmit.model_validate(PIG_RECORDS))
    latest = service.get_account(session, ADMIN, farm_ref=farm_id).latest
    assert latest is not None
    assert latest.co2e_kg == Decimal("125793.703")
    assert latest.intensity == Decimal("125.794")
    assert latest.label == "dark_green"


def test_resubmitting_a_year_keeps_the_old_version(session: Session) -> None:
    farm_id = register(session)
    submit = RecordsSubmit.model_validate(GROWER_RECORDS)
    service.submit_records(session, ADMIN, farm_ref=farm_id, submit=submit)
    service.submit_records(session, ADMIN, farm_ref=farm_id, submit=submit)
    rows = session.query(PracticeRecord).filter_by(farm_id=farm_id).all()
    assert sorted((r.version, r.is_current) for r in rows) == [(1, False), (1, False), (2, True), (2, True)]
    assert session.query(Baseline).filter_by(farm_id=farm_id, is_current=True).count() == 1
    assert len(service.get_account(session, ADMIN, farm_ref=farm_id).assessments) == 1


def test_csv_import_reports_every_bad_row_and_stores_nothing(session: Session) -> None:
    farm_id = register(session)
    content = (
        "farm,year,season,practice,data_quality,chemical_n_kg,area_mu,applied_t,n_content_pct,"
        "chemical_n_before_kg,chemical_n_after_kg,crop,straw_t\n"
        f"{farm_id},2024,,baseline,metered,7500,500,,,,,,\n"
        f"{farm_id},2024,spring,organic_fertiliser_substitution,metered,,,50,120,7500,5000,,\n"
        f"{farm_id},20x4,,straw_return,metered,,500,,,,,rice,200\n"
        "nope,2024,,straw_return,metered,,500,,,,,rice,200\n"
        f"{farm_id},2024,,straw_return,metered,,500,,,,,banana,1.2345\n"
    ).encode()
    with pytest.raises(InvalidInput) as caught:
        service.import_file(session, ADMIN, filename="bad.csv", content=content)
    problems = {(e["row"], e["column"]) for e in caught.value.errors}
    assert (3, "n_content_pct") in problems
    assert (4, "year") in problems
    assert (5, "farm") in problems
    assert (6, "straw_t") in problems
    assert session.query(PracticeRecord).filter_by(farm_id=farm_id).count() == 0
    assert session.query(Baseline).filter_by(farm_id=farm_id).count() == 0


def test_csv_import_stores_and_assesses(session: Session) -> None:
    farm_id = register(session)
    content = (
        "farm,year,practice,data_quality,chemical_n_kg,area_mu,applied_t,n_content_pct,"
        "chemical_n_before_kg,chemical_n_after_kg,crop,straw_t\n"
        f"{farm_id},2024,baseline,metered,7500,500,,,,,,\n"
        f"{farm_id},2024,organic_fertiliser_substitution,metered,,,50,2,7500,5000,,\n"
        f"{farm_id},2024,straw_return,audited,,500,,,,,rice,200\n"
    ).encode()
    result = service.import_file(session, ADMIN, filename="good.csv", content=content)
    assert (result.rows, result.farms) == (3, 1)
    latest = service.get_account(session, ADMIN, farm_ref=farm_id).latest
    assert latest is not None and latest.co2e_kg == Decimal("16094.253")


def test_records_beyond_the_baseline_are_refused(session: Session) -> None:
    farm_id = register(session)
    data = {**GROWER_RECORDS, "baseline": {"chemical_n_kg": "1000", "area_mu": "500"}}
    with pytest.raises(InvalidInput):
        service.submit_records(session, ADMIN, farm_ref=farm_id, submit=RecordsSubmit.model_validate(data))


def test_holder_id_is_stored_only_hashed_and_masked(session: Session) -> None:
    farm_id = register(session, holder_id_number="330802199001011232", name="柯城王某家庭农场")
    farm = service.find_farm(session, ADMIN, farm_ref=farm_id)
    assert farm.uscc is None
    assert farm.holder_id_masked == "3308**********1232"
    assert farm.holder_id_hash and "330802199001011232" not in farm.holder_id_hash
    assert farm.organisation_code == f"farm-{farm_id}"
    with pytest.raises(InvalidInput):
        register(session, holder_id_number="330802199001011233", name="坏号码")


def test_another_organisation_cannot_see_a_farm(session: Session) -> None:
    farm_id = register(session)
    other = Principal(actor="x", role="enterprise", organisation_code="91330000000000000X")
    with pytest.raises(Forbidden):
        service.get_account(session, other, farm_ref=farm_id)


def test_coverage_counts_registered_farms_and_accounts(session: Session) -> None:
    for i, (county, opened) in enumerate((("330803", True), ("330803", False), ("330803", False), ("330881", True))):
        register(
            session,
            farm_type="pig_farm",
            uscc=_uscc(f"9133080{i}MA2CQWER{i}"),
            county_code=county,
            herd_heads=100,
            area_mu=None,
            open_account=opened,
            name=f"猪场{i}",
        )
    result = service.coverage(session, ADMIN)
    pig = next(row for row in result.categories if row.category == "pig_farm")
    assert (pig.registered, pig.with_account, pig.share, pig.share_pct) == (4, 2, Decimal("0.5000"), Decimal("50.0"))
    qujiang = next(row for row in result.by_county if row.category == "pig_farm" and row.county_code == "330803")
    assert (qujiang.registered, qujiang.with_account) == (3, 1)


def test_demo_reproduces_the_papers_coverage(session: Session) -> None:
    add_agriculture_demo(session, seed=7, secret_key=SECRET)
    shares = {
        row.category: (row.registered, row.with_account, row.share_pct)
        for row in service.coverage(session, ADMIN).categories
    }
    assert shares == {
        "organic_fertiliser_producer": (12, 12, Decimal("100.0")),
        "pig_farm": (1000, 107, Decimal("10.7")),
        "grain_grower": (320, 64, Decimal("20.0")),
    }
    counties = {row.county_code for row in service.coverage(session, ADMIN).by_county}
    assert counties == {"330802", "330803", "330822", "330824", "330825", "330881"}


def test_api_register_submit_and_coverage(client, session: Session, headers_for) -> None:  # type: ignore[no-untyped-def]
    admin = headers_for("admin")
    response = client.post(
        "/api/v1/agriculture/farms",
        json={
            "farm_type": "grain_grower",
            "name": "API 种粮大户",
            "uscc": _uscc("91330881MA2APXFA0"),
            "county_code": "330881",
            "township": "贺村镇",
            "area_mu": 500,
            "open_account": True,
        },
        headers=admin,
    )
    assert response.status_code == 201, response.text
    farm_id = response.json()["id"]
    response = client.post(f"/api/v1/agriculture/farms/{farm_id}/records", json=GROWER_RECORDS, headers=admin)
    assert response.status_code == 201, response.text
    account = client.get(f"/api/v1/agriculture/farms/{farm_id}", headers=admin).json()
    assert account["latest"]["co2e_kg"] == 16094.253
    assert account["latest"]["label"] == "dark_green"
    coverage = client.get("/api/v1/agriculture/coverage", headers=admin).json()
    grain = next(row for row in coverage["categories"] if row["category"] == "grain_grower")
    assert grain["registered"] >= 1 and grain["with_account"] >= 1
    # Only staff register farms.
    enterprise = make_organisation(session, kind="enterprise", code=_uscc("91330881MA2QTHER0"))
    user = make_user(session, "farm-user", "enterprise", enterprise)
    from tests.conftest import bearer

    response = client.post(
        "/api/v1/agriculture/farms",
        json={"farm_type": "pig_farm", "name": "x", "uscc": enterprise.code, "county_code": "330881", "township": "x"},
        headers=bearer(session, client.app.state.settings, user),
    )
    assert response.status_code == 403


def test_a_farm_declaration_never_replaces_metered_or_audited_figures(session: Session) -> None:
    """Issue 16: the agricultural account had the industrial flaw — a farm's own import (any quality
    it liked) replaced the whole farm-year, audited figures included."""
    farm_id = register(session)
    farm = service.find_farm(session, ADMIN, farm_ref=farm_id)
    own = Principal(actor="farmer", role="enterprise", organisation_code=farm.organisation_code)
    declared = {
        "year": 2024,
        "baseline": {"chemical_n_kg": "1", "area_mu": "500", "data_quality": "declared"},
        "records": [],
    }
    claimed = declared | {"baseline": declared["baseline"] | {"data_quality": "audited"}}
    with pytest.raises(InvalidInput) as caught:
        service.submit_records(session, own, farm_ref=farm_id, submit=RecordsSubmit.model_validate(claimed))
    assert caught.value.errors[0]["column"] == "data_quality"

    service.submit_records(session, ADMIN, farm_ref=farm_id, submit=RecordsSubmit.model_validate(GROWER_RECORDS))
    before = service.get_account(session, ADMIN, farm_ref=farm_id)
    held = service.submit_records(session, own, farm_ref=farm_id, submit=RecordsSubmit.model_validate(declared))
    # kept beside the audited figures, visible, not used
    assert held.farms == 0 and [(c.year, c.data_quality, c.held_against) for c in held.conflicts] == [
        (2024, "declared", "audited")
    ]
    after = service.get_account(session, ADMIN, farm_ref=farm_id)
    assert before.latest is not None and after.latest is not None and after.latest.co2e_kg == before.latest.co2e_kg
    assert after.baselines == before.baselines and after.records == before.records
    assert [c.id for c in after.conflicts] == [held.conflicts[0].id]
    assert [c.id for c in service.list_conflicts(session, own)] == [held.conflicts[0].id]  # the farm sees its own
    with pytest.raises(Forbidden):
        service.resolve_conflict(session, own, conflict_id=held.conflicts[0].id, accept=True)
    # the regulator rejects it: nothing changes but the conflict's state
    regulator = Principal(actor="user:reg", role="regulator")
    service.resolve_conflict(session, regulator, conflict_id=held.conflicts[0].id, accept=False, note="与核查报告不符")
    assert service.get_account(session, ADMIN, farm_ref=farm_id).conflicts == []
    with pytest.raises(Conflict):
        service.resolve_conflict(session, regulator, conflict_id=held.conflicts[0].id, accept=True)
    # held again, then accepted: the declared figures become the year's and the account follows them
    again = service.submit_records(session, own, farm_ref=farm_id, submit=RecordsSubmit.model_validate(declared))
    service.resolve_conflict(session, regulator, conflict_id=again.conflicts[0].id, accept=True)
    accepted = service.get_account(session, ADMIN, farm_ref=farm_id)
    assert [(b.data_quality, b.chemical_n_kg) for b in accepted.baselines if b.year == 2024] == [("declared", 1)]
    assert accepted.conflicts == []
    # The farm still declares a year that holds no stronger figures.
    earlier = RecordsSubmit.model_validate(declared | {"year": 2023})
    service.submit_records(session, own, farm_ref=farm_id, submit=earlier)


def test_farm_conflicts_over_http_and_on_the_farm_page(client, session: Session, headers_for) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import PASSWORD

    farm_id = register(session)
    farm = service.find_farm(session, ADMIN, farm_ref=farm_id)
    service.submit_records(session, ADMIN, farm_ref=farm_id, submit=RecordsSubmit.model_validate(GROWER_RECORDS))
    own = make_organisation(session, kind="farm", code=farm.organisation_code, name=farm.name)
    other = make_organisation(session, kind="farm", code="91330881MA2OTHER00", name="他户")
    make_user(session, "page-regulator", "regulator")
    session.commit()
    farmer, stranger, regulator = (
        headers_for("enterprise", own),
        headers_for("enterprise", other),
        headers_for("regulator"),
    )
    declared = {"year": 2024, "baseline": {"chemical_n_kg": "1", "area_mu": "500"}, "records": []}
    held = client.post(f"/api/v1/agriculture/farms/{farm_id}/records", json=declared, headers=farmer)
    assert held.status_code == 201, held.text
    assert held.json()["farms"] == 0 and len(held.json()["conflicts"]) == 1
    conflict_id = held.json()["conflicts"][0]["id"]
    assert [c["id"] for c in client.get("/api/v1/agriculture/conflicts", headers=regulator).json()] == [conflict_id]
    assert client.get("/api/v1/agriculture/conflicts", headers=stranger).json() == []
    assert client.get("/api/v1/agriculture/conflicts", headers=headers_for("bank")).status_code == 403
    url = f"/api/v1/agriculture/conflicts/{conflict_id}/resolve"
    assert client.post(url, json={"accept": True}, headers=farmer).status_code == 403

    client.post("/login", data={"username": "page-regulator", "password": PASSWORD}, follow_redirects=False)
    page = client.get(f"/agriculture/farms/{farm_id}").text
    assert "待裁决的数据冲突" in page and "申报" in page and "北京时间" in page
    action = f"/agriculture/conflicts/{conflict_id}/resolve"
    assert action in page
    done = client.post(action, data={"decision": "reject", "note": "以核查数据为准"})
    assert done.status_code == 200 and "待裁决的数据冲突" not in done.text
    assert client.post(url, json={"accept": True}, headers=regulator).status_code == 409
