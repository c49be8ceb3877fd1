"""Building the demo region into a database, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from stdnum.cn import uscc
from typer.testing import CliRunner

from greenfin.auth import service as auth
from greenfin.auth.models import Organisation
from greenfin.demo import region
from greenfin.demo.service import DEMO_PASSWORD, DEMO_USERS, build_region, find_demo, reset_region
from greenfin.errors import Conflict, Forbidden
from greenfin.industry.models import AnnualFigures, EnergyRecord, Enterprise, ProcessEmission
from greenfin.settings import Settings, get_settings

SMALL = 60


def digest(session: Session) -> str:
    """A digest of every demo row, keyed by USCC (surrogate ids and timestamps left out)."""
    h = hashlib.sha256()
    queries = [
        select(Enterprise.uscc, Enterprise.name, Enterprise.county_code, Enterprise.industry_code).order_by(
            Enterprise.uscc
        ),
        select(
            Enterprise.uscc,
            EnergyRecord.year,
            EnergyRecord.month,
            EnergyRecord.energy,
            EnergyRecord.quantity_milli,
            EnergyRecord.quantity_entered,
            EnergyRecord.unit_entered,
            EnergyRecord.data_quality,
            EnergyRecord.import_id,
        )
        .join(Enterprise)
        .order_by(Enterprise.uscc, EnergyRecord.year, EnergyRecord.month, EnergyRecord.energy),
        select(Enterprise.uscc, ProcessEmission.year, ProcessEmission.source, ProcessEmission.co2_g)
        .join(Enterprise)
        .order_by(Enterprise.uscc, ProcessEmission.year),
        select(
            Enterprise.uscc,
            AnnualFigures.year,
            AnnualFigures.output_value_fen,
            AnnualFigures.added_value_fen,
            AnnualFigures.tax_fen,
            AnnualFigures.product_output_milli,
            AnnualFigures.product_unit,
        )
        .join(Enterprise)
        .order_by(Enterprise.uscc, AnnualFigures.year),
        select(Organisation.kind, Organisation.name, Organisation.code).order_by(Organisation.code),
    ]
    for query in queries:
        for row in session.execute(query):
            h.update(repr(tuple(row)).encode())
    return h.hexdigest()


def test_demo_region_holds_valid_enterprises_in_six_counties_with_36_months(
    session: Session, settings: Settings
) -> None:
    summary = build_region(session, enterprises=SMALL, seed=42, settings=settings, label=False)
    assert summary.enterprises == SMALL
    codes = session.scalars(select(Enterprise.uscc)).all()
    assert len(codes) == SMALL and all(uscc.is_valid(code) for code in codes)
    assert all(region.organisation_code(code[8:16]) == code[8:17] for code in codes)  # GB 11714 inside
    counties = set(session.scalars(select(Enterprise.county_code).distinct()))
    assert counties == set(region.place("330800").counties)
    months = session.execute(
        select(
            EnergyRecord.enterprise_id, func.count(func.distinct(EnergyRecord.year * 100 + EnergyRecord.month))
        ).group_by(EnergyRecord.enterprise_id)
    ).all()
    assert len(months) == SMALL and {count for _, count in months} == {36}
    assert session.scalar(select(func.count()).select_from(EnergyRecord)) == summary.energy_records
    years = session.execute(select(AnnualFigures.year, func.count()).group_by(AnnualFigures.year)).all()
    assert sorted(years) == [(2023, SMALL), (2024, SMALL), (2025, SMALL)]
    sources = set(session.scalars(select(ProcessEmission.source).distinct()))
    assert sources and sources <= {
        "clinker_calcination",
        "lime_calcination",
        "glass_carbonate",
        "chemical_process",
        "fluorochemical_process",
        "steel_flux",
    }
    qualities = set(session.scalars(select(EnergyRecord.data_quality).distinct()))
    assert qualities == {"metered", "declared", "audited"}
    assert find_demo(session) is not None and find_demo(session).enterprises == SMALL  # type: ignore[union-attr]


def test_the_same_seed_builds_the_same_rows(session: Session, settings: Settings) -> None:
    digests = []
    for seed in (42, 42, 43):
        savepoint = session.begin_nested()
        summary = build_region(session, enterprises=25, seed=seed, settings=settings, label=False)
        digests.append((digest(session), summary.digest))
        savepoint.rollback()
    assert digests[0] == digests[1]
    assert digests[0][0] != digests[2][0] and digests[0][1] != digests[2][1]


def test_demo_users_log_in_and_the_enterprise_user_acts_for_a_demo_enterprise(
    session: Session, settings: Settings
) -> None:
    build_region(session, enterprises=10, seed=1, settings=settings, label=False)
    for demo_user in DEMO_USERS:
        user = auth.authenticate(session, settings, username=demo_user.username, password=DEMO_PASSWORD)
        assert user is not None and user.role == demo_user.role
    enterprise = auth.authenticate(session, settings, username="enterprise", password=DEMO_PASSWORD)
    assert enterprise is not None
    principal = auth.principal_for_user(session, enterprise)
    assert principal.organisation_kind == "enterprise"
    assert principal.organisation_code in session.scalars(select(Enterprise.uscc)).all()
    bank = auth.principal_for_user(
        session, auth.authenticate(session, settings, username="bank", password=DEMO_PASSWORD)
    )  # type: ignore[arg-type]
    assert bank.organisation_kind == "bank" and uscc.is_valid(bank.organisation_code or "")
    assert auth.authenticate(session, settings, username="admin", password="wrong-password") is None


def test_the_demo_is_refused_in_production_and_writes_nothing(session: Session, database_urls: dict[str, str]) -> None:
    production = Settings(
        environment="production",
        secret_key="pV7c0Qz-K2mXw9RtLb4Ns8JfYh3GdUe6AqZo1Ti5",  # production refuses a weak one (issue 16)
        cookie_secure=True,
        signing_key_file="unused.pem",
        database_url="sqlite://",
    )
    with pytest.raises(Forbidden, match="production"):
        build_region(session, enterprises=5, seed=1, settings=production)
    assert session.scalar(select(func.count()).select_from(Enterprise)) == 0
    assert find_demo(session) is None


def test_a_second_build_is_refused_and_reset_removes_every_demo_row(session: Session, settings: Settings) -> None:
    build_region(session, enterprises=8, seed=9, settings=settings, label=False)
    with pytest.raises(Conflict):
        build_region(session, enterprises=8, seed=9, settings=settings, label=False)
    assert reset_region(session, settings=settings) > 8 * 36
    assert find_demo(session) is None
    for model in (Enterprise, EnergyRecord, ProcessEmission, AnnualFigures):
        assert session.scalar(select(func.count()).select_from(model)) == 0
    assert session.scalar(select(func.count()).select_from(Organisation)) == 0
    summary = build_region(session, enterprises=8, seed=9, settings=settings, label=False)
    assert summary.enterprises == 8


def test_demo_command_builds_once_then_serves_what_is_there(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from greenfin.cli import app

    monkeypatch.setenv("GREENFIN_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    monkeypatch.setenv("GREENFIN_ENVIRONMENT", "demo")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        first = runner.invoke(app, ["demo", "--no-serve", "--enterprises", "12", "--seed", "5"])
        assert first.exit_code == 0, first.output
        assert "12 enterprises in 6 counties" in first.output and "demo logins" in first.output
        second = runner.invoke(app, ["demo", "--no-serve", "--enterprises", "12", "--seed", "5"])
        assert second.exit_code == 0 and "holds the demo region already" in second.output
        third = runner.invoke(app, ["demo", "--no-serve", "--enterprises", "14", "--seed", "5", "--reset"])
        assert third.exit_code == 0 and "reset: removed the demo region" in third.output
        assert "14 enterprises" in third.output
        monkeypatch.setenv("GREENFIN_ENVIRONMENT", "production")
        monkeypatch.setenv("GREENFIN_SECRET_KEY", "pV7c0Qz-K2mXw9RtLb4Ns8JfYh3GdUe6AqZo1Ti5")  # weak ones: refused
        monkeypatch.setenv("GREENFIN_COOKIE_SECURE", "true")
        monkeypatch.setenv("GREENFIN_SIGNING_KEY_FILE", "unused.pem")
        get_settings.cache_clear()
        refused = runner.invoke(app, ["demo", "--no-serve"])
        assert isinstance(refused.exception, Forbidden)
    finally:
        get_settings.cache_clear()


def test_the_demo_is_labelled_every_year_in_all_four_colours(session: Session, settings: Settings) -> None:
    from greenfin.industry.models import Label

    summary = build_region(session, enterprises=300, seed=42, settings=settings)
    assert sorted(summary.labels) == list(region.YEARS)
    assert all(sum(counts.values()) == 300 for counts in summary.labels.values())
    colours = set(session.scalars(select(Label.label).distinct()))
    assert colours == {"dark_green", "light_green", "yellow", "red"}
    latest = summary.labels[region.YEARS[-1]]
    assert latest["dark_green"] > latest["red"] > 0  # most firms improve, a few are far above their peers


def test_the_bulk_load_path_restores_every_index_and_foreign_key(
    session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import inspect

    from greenfin.demo import service

    def shape() -> tuple[list[str], list[str]]:
        inspector = inspect(session.connection())
        indexes = sorted(str(index["name"]) for index in inspector.get_indexes("industry_energy_record"))
        keys = sorted(str(key["referred_table"]) for key in inspector.get_foreign_keys("industry_energy_record"))
        return indexes, keys

    before = shape()
    monkeypatch.setattr(service, "BULK_LOAD_THRESHOLD", 1)
    summary = build_region(session, enterprises=20, seed=3, settings=settings, label=False)
    assert shape() == before and len(before[0]) == 2 and before[1] == ["industry_enterprise", "industry_import"]
    assert session.scalar(select(func.count()).select_from(EnergyRecord)) == summary.energy_records


def test_the_account_and_the_label_batch_compute_the_same_emissions(session: Session, settings: Settings) -> None:
    """The account sums records × factors in Python, the batch in SQL: on a varied region they must agree.

    Each path rounds per energy line to the gram, so an enterprise-year may differ by at most one gram
    per energy it used; anything more is drift between the two computations.
    """
    from decimal import Decimal

    from greenfin.auth.service import SYSTEM
    from greenfin.industry import service as industry
    from greenfin.industry.models import Label

    build_region(session, enterprises=12, seed=9, settings=settings, residents=0)
    rows = session.execute(select(Enterprise.uscc, Label).join(Label, Label.enterprise_id == Enterprise.id)).all()
    assert len(rows) == 12 * len(region.YEARS)
    for uscc_code, label in rows:
        account = industry.get_account(session, SYSTEM, uscc=uscc_code, year=label.year)
        grams = account.energy_co2_t * Decimal(1_000_000)
        assert abs(grams - label.energy_co2_g) <= len(account.by_energy), (uscc_code, label.year)
        assert account.process_co2_t * Decimal(1_000_000) == label.process_co2_g


def test_a_huzhou_demo_takes_its_counties_and_names_from_the_region_file(session: Session, settings: Settings) -> None:
    from greenfin.agriculture.models import Farm

    huzhou = settings.model_copy(update={"region": "330500"})
    build_region(session, enterprises=SMALL, seed=42, settings=huzhou, residents=3, label=False)
    counties = set(session.scalars(select(Enterprise.county_code).distinct()))
    assert counties == {"330502", "330503", "330521", "330522", "330523"}
    farm_counties = set(session.scalars(select(Farm.county_code).distinct()))
    assert farm_counties == counties
    others = select(Organisation.kind, Organisation.name).where(Organisation.kind != "enterprise")
    names: dict[str, set[str]] = {}
    for kind, name in session.execute(others):
        names.setdefault(kind, set()).add(name)
    assert names["regulator"] == {"中国人民银行湖州市分行"} and "湖州农商银行" in names["bank"]
    assert [name for kind in names.values() for name in kind if "衢" in name] == []
    regions = set(session.scalars(select(Organisation.region_code).where(Organisation.kind != "enterprise")))
    assert all(code.startswith("3305") for code in regions)  # the city and its counties only
    assert not any("衢州" in name for name in session.scalars(select(Enterprise.name)))
