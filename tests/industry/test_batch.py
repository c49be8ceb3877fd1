"""The set-based labelling batch on a small hand-built region, figures computed by hand.

Division 26 (chemicals): A–E, added value 10,000,000 yuan (1,000 万元) in both years; F in
division 30 (cement, alone); G in division 26 with energy but no annual figures.

    2024 tCO2   2023 tCO2   intensity 2024   K (bench 1.2)   yoy       label
 A     500         600          0.5            0.417        -16.66 %   dark green
 B     800         800          0.8            0.667          0        light green (flat, not falling)
 C    1000         900          1.0            0.833        +11.11 %   yellow (rising)
 D    1200          -           1.2            1.000          -        light green (no history)
 E    2500        3000          2.5            2.083        -16.66 %   red
 F    3000          -           3.0      2.0 (region 1.5)     -        yellow (K = 2.0 is not > 2.0)
 G      21.6219     -            -              -             -        yellow (no added value)

Division 26 benchmark = 6,000 t / 5,000 万元 = 1.2 t/万元 (5 peers ≥ min 5). F has 1 peer → the
region: (6,000 + 3,000) t / 6,000 万元 = 1.5. Region reduction 2023→2024 over A, B, C, E:
100 + 0 − 100 + 500 = 500 t → contributions A 20 %, B 0, C −20 %, E 100 %.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from greenfin.auth.service import Principal
from greenfin.industry import service
from greenfin.industry.methodology import load_methodology, parse_benchmarks
from greenfin.industry.models import Label, LabelRun
from tests.industry.factories import (
    ANNUAL_HEADER,
    ENERGY_HEADER,
    ENTERPRISE_HEADER,
    PROCESS_HEADER,
    STAFF,
    load,
    make_uscc,
)

U = {name: make_uscc(100 + i) for i, name in enumerate("ABCDEFG")}
EMISSIONS = {
    2024: {"A": "500", "B": "800", "C": "1000", "D": "1200", "E": "2500", "F": "3000"},
    2023: {"A": "600", "B": "800", "C": "900", "E": "3000"},
}


def build_region(session: Session) -> None:
    industries = {"F": "3011"}
    load(
        session,
        "enterprises",
        ENTERPRISE_HEADER,
        [(U[n], f"企业{n}", "330881", industries.get(n, "2614")) for n in "ABCDEFG"],
    )
    load(
        session,
        "process",
        PROCESS_HEADER,
        [(U[n], year, "process", t, "audited") for year, rows in EMISSIONS.items() for n, t in rows.items()],
    )
    load(
        session,
        "annual",
        ANNUAL_HEADER,
        [
            (U[n], year, "50000000", "10000000", "1000000", "1000", "t")
            for year, rows in EMISSIONS.items()
            for n in rows
        ],
    )
    load(session, "energy", ENERGY_HEADER, [(U["G"], 2024, 1, "natural_gas", "10000", "Nm3", "metered")])


def labels(session: Session, version: str = "v1") -> dict[str, Label]:
    by_id = {service.repository.enterprise_by_uscc(session, u).id: n for n, u in U.items()}  # type: ignore[union-attr]
    rows = session.scalars(select(Label).where(Label.year == 2024, Label.methodology_version == version))
    return {by_id[row.enterprise_id]: row for row in rows}


def test_small_region_by_hand(session: Session) -> None:
    build_region(session)
    run = service.label_all(session, STAFF, year=2024)
    assert run.counts == {"dark_green": 1, "light_green": 2, "yellow": 3, "red": 1}
    assert (run.enterprises, run.methodology_version, run.factor_set_version) == (7, "v1", "cn-2024")
    got = labels(session)
    assert {n: got[n].label for n in got} == {
        "A": "dark_green",
        "B": "light_green",
        "C": "yellow",
        "D": "light_green",
        "E": "red",
        "F": "yellow",
        "G": "yellow",
    }
    a = got["A"]
    assert (a.intensity_added_g_per_wan, a.previous_intensity_g_per_wan) == (500_000, 600_000)
    assert (a.benchmark_g_per_wan, a.peer_group, a.peer_count, a.benchmark_source) == (1_200_000, "26", 5, "peers")
    assert (a.k_ratio_milli, a.yoy_change_bp, a.region_contribution_bp) == (417, -1666, 2000)
    # output value 5,000 万元, tax 100 万元, product 1,000 t
    assert (a.intensity_output_g_per_wan, a.intensity_tax_g_per_wan, a.intensity_product_g_per_unit) == (
        100_000,
        5_000_000,
        500_000,
    )
    assert (got["C"].k_ratio_milli, got["C"].yoy_change_bp, got["C"].region_contribution_bp) == (833, 1111, -2000)
    assert (got["E"].k_ratio_milli, got["E"].region_contribution_bp) == (2083, 10000)
    assert got["B"].region_contribution_bp == 0
    assert got["D"].yoy_change_bp is None and got["D"].region_contribution_bp is None
    f = got["F"]
    assert (f.benchmark_g_per_wan, f.peer_group, f.peer_count, f.benchmark_source) == (1_500_000, "*", 6, "region")
    assert f.k_ratio_milli == 2000
    g = got["G"]
    # natural gas 10,000 Nm3: 21.6219 tCO2 (21.6219 t per 10^4 Nm3) and 13.3 tce (1.33 kgce/Nm3)
    assert (g.energy_co2_g, g.energy_ce_g, g.process_co2_g) == (21_621_900, 13_300_000, 0)
    assert g.intensity_added_g_per_wan is None and g.k_ratio_milli is None
    assert (g.peer_group, g.benchmark_g_per_wan) == ("26", 1_200_000)


def test_explanation_of_a_stored_label(session: Session) -> None:
    build_region(session)
    service.label_all(session, STAFF, year=2024)
    [latest, *_] = service.label_history(session, STAFF, uscc=U["C"])
    why = latest.explanation
    assert latest.label == "yellow" and latest.name_zh == "黄"
    assert why.benchmark_t_per_wan is not None and str(why.benchmark_t_per_wan) == "1.200000"
    assert why.next_label is not None
    assert why.next_label.text_en == "cut intensity by 10.0% to ≤ 0.9000 tCO2/万元 to reach light green"
    account = service.get_account(session, STAFF, uscc=U["E"], year=2024)
    assert account.label is not None and account.label.label == "red"
    assert account.label.explanation.next_label is not None
    assert account.label.explanation.next_label.cut_pct is not None
    assert str(account.label.explanation.next_label.cut_pct) == "4.0"  # to 2.4 t/万元 from 2.5


def test_batch_is_idempotent_and_keeps_other_versions(session: Session) -> None:
    build_region(session)
    first = service.label_all(session, STAFF, year=2024)
    second = service.label_all(session, STAFF, year=2024)
    assert second.counts == first.counts and second.replaced == 7
    assert session.scalar(select(func.count()).select_from(Label)) == 7
    # a draft methodology with an official benchmark for cement: F's K = 3.0 / 2.5 = 1.2 -> light green
    draft = load_methodology("v1")
    official = parse_benchmarks(
        [{"industry": "3011", "t_per_wan": Decimal("2.5"), "source": "test: official cement benchmark"}]
    )
    service.label_with(session, STAFF, year=2024, methodology=replace(draft, version="v1-test", benchmarks=official))
    assert session.scalar(select(func.count()).select_from(Label)) == 14  # v1 labels kept as history
    f = labels(session, "v1-test")["F"]
    assert (f.label, f.benchmark_g_per_wan, f.peer_group, f.k_ratio_milli) == ("light_green", 2_500_000, "3011", 1200)
    assert f.benchmark_source == "test: official cement benchmark"
    assert labels(session, "v1")["F"].label == "yellow"


def test_reimported_data_changes_the_next_run(session: Session) -> None:
    build_region(session)
    service.label_all(session, STAFF, year=2024)
    # C corrects 2024 to 850 t: intensity 0.85 < 0.9 last year, K = 0.85 / (5,850 / 5,000) = 0.726 -> dark green
    load(session, "process", PROCESS_HEADER, [(U["C"], 2024, "process", "850", "audited")])
    service.label_all(session, STAFF, year=2024)
    assert labels(session)["C"].label == "dark_green"
    assert labels(session)["C"].benchmark_g_per_wan == 1_170_000


def test_each_run_is_stored_once_with_its_counts(session: Session) -> None:
    build_region(session)
    assert service.region_counts(session, STAFF, year=2024) is None  # nothing labelled yet
    service.label_all(session, STAFF, year=2024)
    service.label_all(session, STAFF, year=2024)  # the re-run replaces its run row
    [run] = session.scalars(select(LabelRun)).all()
    assert (run.year, run.methodology_version, run.factor_set_version, run.enterprises) == (2024, "v1", "cn-2024", 7)
    assert (run.dark_green, run.light_green, run.yellow, run.red) == (1, 2, 3, 1)
    # 500 + 800 + 1,000 + 1,200 + 2,500 + 3,000 + 21.6219 t = 9,021.6219 t
    assert run.total_co2_g == 9_021_621_900
    public = service.region_counts(session, Principal("anonymous", "resident"), year=2024)
    assert public is not None and public.model_dump() == {
        "year": 2024,
        "enterprises": 7,
        "counts": {"dark_green": 1, "light_green": 2, "yellow": 3, "red": 1},
    }
    # a year without labels falls back to the latest labelled year
    fallback = service.region_counts(session, STAFF, year=2025)
    assert fallback is not None and fallback.year == 2024
    overview = service.overview(session, STAFF, year=2024)
    assert [(p.year, p.total_co2_t, p.counts["yellow"]) for p in overview.trend] == [(2024, Decimal("9021.621900"), 3)]


def test_filter_options_name_the_counties_and_divisions_present(session: Session) -> None:
    build_region(session)
    options = service.filter_options(session, STAFF)
    assert [(o.code, o.name_en) for o in options.counties] == [("330881", "Jiangshan City")]
    assert [(o.code, o.name_zh) for o in options.divisions] == [
        ("26", "化学原料和化学制品制造业"),
        ("30", "非金属矿物制品业"),
    ]
    own = Principal(actor="user:a", role="enterprise", organisation_code=U["A"])
    assert service.filter_options(session, own).model_dump() == {"counties": [], "divisions": []}


def test_labels_are_graded_on_intensities_rounded_to_the_gram(session: Session) -> None:
    """Documented rounding (docs/methodology/industry.md §4): K and the trend use whole g/万元.

    Against an official benchmark of exactly 1 t/万元, with 1,000 万元 added value:
    H 800.0004 t -> 800,000.4 g/万元 -> 800,000: K = 0.8 exactly, falling from 0.9 -> dark green
      (the exact K, 0.8000004, is above 0.8);
    I 800.0005 t -> 800,000.5 -> 800,001 (half up): K > 0.8 -> light green;
    J 700.0000 t after 700.0004 t: both 700,000 g/万元, so not falling (the exact figure fell
      by 0.4 g) -> light green, not dark green.
    """
    names = {"H": make_uscc(201), "I": make_uscc(202), "J": make_uscc(203)}
    load(session, "enterprises", ENTERPRISE_HEADER, [(u, f"企业{n}", "330881", "2614") for n, u in names.items()])
    emissions = {
        2023: {"H": "900", "I": "900", "J": "700.0004"},
        2024: {"H": "800.0004", "I": "800.0005", "J": "700"},
    }
    load(
        session,
        "process",
        PROCESS_HEADER,
        [(names[n], y, "process", t, "audited") for y, rows in emissions.items() for n, t in rows.items()],
    )
    load(
        session,
        "annual",
        ANNUAL_HEADER,
        [(names[n], y, "50000000", "10000000", "1000000", "1000", "t") for y in emissions for n in names],
    )
    official = parse_benchmarks([{"industry": "2614", "t_per_wan": Decimal("1"), "source": "test: exactly 1 t/万元"}])
    methodology = replace(load_methodology("v1"), version="v1-exact-bench", benchmarks=official)
    service.label_with(session, STAFF, year=2024, methodology=methodology)
    by_id = {service.repository.enterprise_by_uscc(session, u).id: n for n, u in names.items()}  # type: ignore[union-attr]
    got = {by_id[row.enterprise_id]: row for row in session.scalars(select(Label).where(Label.year == 2024))}
    assert {n: (got[n].intensity_added_g_per_wan, got[n].label) for n in got} == {
        "H": (800_000, "dark_green"),
        "I": (800_001, "light_green"),
        "J": (700_000, "light_green"),
    }
    assert got["J"].previous_intensity_g_per_wan == 700_000


def _stored(session: Session) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Every stored label and run, without ids and timestamps."""
    skip = {"id", "computed_at"}
    label_columns = [c for c in Label.__table__.columns if c.name not in skip]
    run_columns = [c for c in LabelRun.__table__.columns if c.name not in skip]
    labels_ = sorted(tuple(r) for r in session.execute(select(*label_columns)))
    runs = sorted(tuple(r) for r in session.execute(select(*run_columns)))
    return labels_, runs


def test_several_years_in_one_pass_are_the_years_one_by_one(session: Session) -> None:
    """``label_years`` reads the records once; it stores what ``label_all`` stores year by year."""
    build_region(session)
    load(
        session,
        "energy",
        ENERGY_HEADER,
        [
            (U["A"], 2023, 1, "electricity", "100", "MWh", "metered"),
            (U["A"], 2024, 1, "electricity", "90", "MWh", "metered"),
            (U["B"], 2023, 2, "natural_gas", "5000", "Nm3", "metered"),
        ],
    )
    one_by_one = [service.label_all(session, STAFF, year=year) for year in (2023, 2024, 2025)]
    expected = _stored(session)
    session.execute(delete(Label))
    session.execute(delete(LabelRun))
    together = service.label_years(session, STAFF, years=[2025, 2024, 2023, 2024])
    assert [run.model_dump() for run in together] == [run.model_dump() for run in one_by_one]
    assert _stored(session) == expected
    assert [run.year for run in together] == [2023, 2024, 2025]
    assert together[2].enterprises == 0  # nothing reported for 2025
