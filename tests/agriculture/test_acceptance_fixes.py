"""Fixes from the acceptance review: bounded quantities, every bad CSV row at its own line,
no empty assessments, a capped farm list.

Hand-computed bound (methodology v1, as in ``test_service``): 1,000,000 t of rice straw,
the largest record accepted, still computes exactly::

    straw burnt     1,000,000 × 0.85 × 1.0 × 0.80                        = 680,000 t dry matter
    avoided CH4     680,000 × 2.7 × 27.9                                 = 51,224,400.000
    avoided N2O     680,000 × 0.07 × 273                                 = 12,994,800.000
    residue N2O     −680,000,000 × 0.007 × (0.010 + 0.24×0.011) × 44/28 × 273
                  = −4,760,000 × 0.01264 × 429                           = −25,811,385.600
    total                                                                = 38,407,814.400 kg
"""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest
from sqlalchemy.orm import Session

from greenfin.agriculture import service
from greenfin.agriculture.models import Assessment, Baseline, PracticeRecord
from greenfin.agriculture.rules import (
    BiogasProject,
    FarmBaseline,
    OrganicFertiliserSubstitution,
    StrawReturn,
    load_methodology,
    reduction,
)
from greenfin.agriculture.schemas import RecordsSubmit
from greenfin.errors import InvalidInput
from tests.agriculture.test_service import ADMIN, register

M = load_methodology("v1")
HUGE = D("1e30")
OVER = D("0.001")  # one thousandth above a bound: the smallest step a record can take


def _fields(exc: pytest.ExceptionInfo[InvalidInput]) -> list[str]:
    return [e["field"] for e in exc.value.errors]


# --- 1. bounds ------------------------------------------------------------------------------

# (build a record with the quantity set, field as reported, the bound as shown)
BOUNDS: list[tuple[Any, str, str]] = [
    (lambda v: StrawReturn("rice", v, D(1)), "straw_return.straw_t", "1,000,000 t"),
    (lambda v: StrawReturn("rice", D(1), v), "straw_return.area_mu", "10,000,000 mu"),
    (
        lambda v: OrganicFertiliserSubstitution(v, D(2), D(0), D(0)),
        "organic_fertiliser_substitution.applied_t",
        "1,000,000 t",
    ),
    (
        lambda v: OrganicFertiliserSubstitution(D(0), D(2), v, D(0)),
        "organic_fertiliser_substitution.chemical_n_before_kg",
        "100,000,000 kg N",
    ),
    (
        lambda v: OrganicFertiliserSubstitution(D(0), D(2), D(0), v),
        "organic_fertiliser_substitution.chemical_n_after_kg",
        "100,000,000 kg N",
    ),
    (lambda v: BiogasProject(v, D(1), 1, D(1), D(1)), "biogas_project.digester_volume_m3", "1,000,000,000 m3"),
    (lambda v: BiogasProject(D(1), v, 1, D(1), D(1)), "biogas_project.manure_treated_t", "100,000,000 t"),
    (lambda v: BiogasProject(D(1), D(1), 1, v, D(0)), "biogas_project.biogas_produced_m3", "1,000,000,000 m3"),
    (lambda v: BiogasProject(D(1), D(1), 1, D(10**9), v), "biogas_project.biogas_used_m3", "1,000,000,000 m3"),
    (lambda v: FarmBaseline("grain_grower", chemical_n_kg=v), "baseline.chemical_n_kg", "100,000,000 kg N"),
    (lambda v: FarmBaseline("grain_grower", area_mu=v), "baseline.area_mu", "10,000,000 mu"),
    (lambda v: FarmBaseline("organic_fertiliser_producer", product_t=v), "baseline.product_t", "100,000,000 t"),
]


@pytest.mark.parametrize(("build", "field", "bound"), BOUNDS, ids=[b[1] for b in BOUNDS])
def test_every_quantity_has_an_upper_bound(build: Any, field: str, bound: str) -> None:
    limit = D(bound.split()[0].replace(",", ""))
    build(limit)  # the bound itself is accepted
    for value in (limit + OVER, HUGE):
        with pytest.raises(InvalidInput, match=rf"{field}: must not exceed {bound}") as exc:
            build(value)
        assert _fields(exc) == [field]


def test_head_counts_have_an_upper_bound() -> None:
    BiogasProject(D(1), D(1), 10**7, D(1), D(1))
    FarmBaseline("pig_farm", herd_heads=10**7)
    with pytest.raises(InvalidInput, match=r"biogas_project.heads_served: must not exceed 10,000,000 heads"):
        BiogasProject(D(1), D(1), 10**7 + 1, D(1), D(1))
    with pytest.raises(InvalidInput, match=r"baseline.herd_heads: must not exceed 10,000,000 heads"):
        FarmBaseline("pig_farm", herd_heads=10**30)


def test_the_largest_straw_record_computes_exactly() -> None:
    r = reduction(StrawReturn("rice", D(10**6), D(1)), M)
    assert [t.value for t in r.breakdown] == [D("51224400.000"), D("12994800.000"), D("-25811385.600")]
    assert r.co2e_kg == D("38407814.400")


HUGE_STRAW = {"practice": "straw_return", "crop": "rice", "straw_t": "1e30", "area_mu": "1"}


def _assert_bound_problem(response: Any, column: str = "straw_t") -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    # A file or submission names its column; the what-if (no rows) the record's field.
    assert [(e.get("column") or e["field"], e["reason"]) for e in body["errors"]] == [
        (column, "must not exceed 1,000,000 t (the upper bound per record)")
    ]


def test_huge_quantities_are_refused_on_every_path(client, session: Session, headers_for) -> None:  # type: ignore[no-untyped-def]
    admin = headers_for("admin")
    farm_id = register(session, area_mu=D(100))
    session.flush()
    response = client.post(
        f"/api/v1/agriculture/farms/{farm_id}/records",
        json={"year": 2023, "baseline": {"chemical_n_kg": 100, "area_mu": 100}, "records": [HUGE_STRAW]},
        headers=admin,
    )
    _assert_bound_problem(response)
    assert response.json()["errors"][0]["row"] == 2  # the baseline is row 1, the first record row 2
    content = (
        "farm,year,practice,chemical_n_kg,area_mu,crop,straw_t\n"
        f"{farm_id},2023,baseline,100,100,,\n"
        f"{farm_id},2023,straw_return,,1,rice,1e30\n"
    )
    response = client.post(
        "/api/v1/agriculture/imports", files={"file": ("huge.csv", content.encode(), "text/csv")}, headers=admin
    )
    _assert_bound_problem(response)
    assert response.json()["errors"][0]["row"] == 3
    response = client.post(
        "/api/v1/finance/what-if/farm", json={"farm_ref": farm_id, "year": 2023, "add": [HUGE_STRAW]}, headers=admin
    )
    _assert_bound_problem(response, "straw_return.straw_t")
    assert session.query(PracticeRecord).filter_by(farm_id=farm_id).count() == 0


def test_a_huge_farm_is_refused_at_registration(client, headers_for) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        "/api/v1/agriculture/farms",
        json={
            "farm_type": "pig_farm",
            "name": "巨型猪场",
            "holder_id_number": "330802199001011232",
            "county_code": "330881",
            "township": "贺村镇",
            "herd_heads": 10**12,
        },
        headers=headers_for("admin"),
    )
    assert response.status_code == 422, response.text
    assert [e["location"] for e in response.json()["errors"]] == ["body.herd_heads"]


# --- 2. every bad row at its own line ---------------------------------------------------------


def test_csv_import_reports_row_and_farm_year_errors_together_at_their_lines(session: Session) -> None:
    farm_id = register(session)  # registered with 500 mu; the file's baseline says 100
    content = (
        "farm,year,practice,chemical_n_kg,area_mu,applied_t,n_content_pct,chemical_n_before_kg,"
        "chemical_n_after_kg,crop,straw_t\n"
        f"{farm_id},2024,baseline,1000,100,,,,,,\n"  # 2
        f"{farm_id},2024,organic_fertiliser_substitution,,,10,2,600,300,,\n"  # 3: 600 ≤ 1000
        f"{farm_id},2024,organic_fertiliser_substitution,,,10,2,600,300,,\n"  # 4: 1200 > 1000
        f"{farm_id},2024,straw_return,,50,,,,,banana,10\n"  # 5: unknown crop; 50 mu
        f"{farm_id},2024,straw_return,,60,,,,,rice,10\n"  # 6: 110 mu > 100
        f"{farm_id},2024,straw_return,,1,,,,,rice,1e30\n"  # 7: above the bound
        f"{farm_id},20x4,straw_return,,1,,,,,rice,1\n"  # 8: bad year
        f"{farm_id},2023,baseline,-5,100,,,,,,\n"  # 9: bad baseline …
        f"{farm_id},2023,organic_fertiliser_substitution,,,10,2,600,300,,\n"  # 10: … not checked against it
    ).encode()
    with pytest.raises(InvalidInput) as caught:
        service.import_file(session, ADMIN, filename="bad.csv", content=content)
    problems = {(e["row"], e["column"]) for e in caught.value.errors}
    assert problems == {
        (4, "chemical_n_before_kg"),
        (5, "crop"),
        (6, "area_mu"),
        (7, "straw_t"),
        (8, "year"),
        (9, "chemical_n_kg"),
    }
    reasons = {(e["row"], e["column"]): e["reason"] for e in caught.value.errors}
    assert reasons[(4, "chemical_n_before_kg")] == "records total 1200 kg N, more than the baseline chemical_n_kg 1000"
    assert reasons[(6, "area_mu")] == "records total 110 mu, more than the baseline area_mu 100"
    assert reasons[(5, "crop")].startswith("unknown crop 'banana'")
    assert caught.value.detail.startswith("6 problem(s); nothing was stored. First: row 4")
    assert session.query(PracticeRecord).filter_by(farm_id=farm_id).count() == 0
    assert session.query(Baseline).filter_by(farm_id=farm_id).count() == 0


def test_a_missing_label_denominator_is_reported_at_the_baseline_line(session: Session) -> None:
    farm_id = register(session, farm_type="pig_farm", area_mu=None)
    content = (
        f"farm,year,practice,chemical_n_kg,crop,straw_t,area_mu\n{farm_id},2024,straw_return,,sorghum,1,1\n"
        f"{farm_id},2024,baseline,10,,,\n"
    ).encode()
    with pytest.raises(InvalidInput) as caught:
        service.import_file(session, ADMIN, filename="bad.csv", content=content)
    assert {(e["row"], e["column"]) for e in caught.value.errors} == {(2, "crop"), (3, "herd_heads")}


def test_json_submission_reports_the_record_past_the_baseline(session: Session) -> None:
    farm_id = register(session)
    organic = {
        "practice": "organic_fertiliser_substitution",
        "applied_t": "10",
        "n_content_pct": "2",
        "chemical_n_before_kg": "600",
        "chemical_n_after_kg": "300",
    }
    submit = RecordsSubmit.model_validate(
        {"year": 2024, "baseline": {"chemical_n_kg": "1000", "area_mu": "500"}, "records": [organic, organic]}
    )
    with pytest.raises(InvalidInput) as caught:
        service.submit_records(session, ADMIN, farm_ref=farm_id, submit=submit)
    assert [(e["row"], e["column"]) for e in caught.value.errors] == [(3, "chemical_n_before_kg")]


# --- 3. no empty assessment; the farm list is paged like every list ---------------------------------


def test_assessing_a_year_without_data_is_refused(client, session: Session, headers_for) -> None:  # type: ignore[no-untyped-def]
    farm_id = register(session)
    with pytest.raises(InvalidInput, match=r"no baseline and no practice records for 2022; submit them"):
        service.assess(session, ADMIN, farm_ref=farm_id, year=2022)
    response = client.post(f"/api/v1/agriculture/farms/{farm_id}/assessments/2022", headers=headers_for("admin"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert session.query(Assessment).filter_by(farm_id=farm_id).count() == 0


def test_farm_list_caps_the_page_size_and_says_so(client, session: Session, headers_for) -> None:  # type: ignore[no-untyped-def]
    register(session)
    settings = client.app.state.settings
    response = client.get("/api/v1/agriculture/farms?limit=2000", headers=headers_for("admin"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["limit"] == settings.max_page_size
    assert len(body["items"]) <= settings.max_page_size and body["total"] >= 1
    assert client.get("/api/v1/agriculture/farms?limit=0", headers=headers_for("admin")).status_code == 422


def test_digits_int_cannot_read_are_refused_not_a_500(session: Session) -> None:
    """str.isdigit() accepts '²', and int() refuses more than 4,300 digits: both are input errors."""
    farm_id = register(session, farm_type="pig_farm", area_mu=None)
    content = (
        "farm,year,practice,chemical_n_kg,herd_heads\n"
        f"{farm_id},2²,baseline,10,100\n"  # 2
        f"{farm_id},2024,baseline,10,{'9' * 5000}\n"  # 3
    ).encode()
    with pytest.raises(InvalidInput) as caught:
        service.import_file(session, ADMIN, filename="odd.csv", content=content)
    assert {(e["row"], e["column"]) for e in caught.value.errors} == {(2, "year"), (3, "herd_heads")}
