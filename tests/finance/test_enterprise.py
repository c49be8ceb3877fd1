"""The enterprise side: a report of an industrial account, and the energy what-if.

Hand-computed (cn-2024 natural gas 21.6219 tCO2 per 10^4 Nm3): cutting 100 × 10^4 Nm3 of gas
by 10 % removes 10 × 21.6219 = 216.219 tCO2.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from greenfin.finance import service
from greenfin.finance.schemas import ConsentCreate, EnterpriseWhatIf, ReportRequest
from greenfin.industry import service as industry
from greenfin.settings import Settings
from tests.conftest import make_organisation
from tests.industry.factories import ANNUAL_HEADER, ENERGY_HEADER, ENTERPRISE_HEADER, STAFF, load, make_uscc

A, B = make_uscc(41, prefix="91330802"), make_uscc(42, prefix="91330802")


def _region(session: Session) -> None:
    load(
        session,
        "enterprises",
        ENTERPRISE_HEADER,
        [(A, "衢州测试纸业", "330802", "2221"), (B, "衢州对照纸业", "330802", "2221")],
    )
    energy, annual = [], []
    for year, gas_a in ((2023, "110"), (2024, "100")):
        energy += [
            (A, year, 1, "natural_gas", gas_a, "10^4 Nm3", "metered"),
            (A, year, 1, "electricity", "1000", "MWh", "metered"),
            (B, year, 1, "natural_gas", "200", "10^4 Nm3", "metered"),
            (B, year, 1, "electricity", "1000", "MWh", "metered"),
        ]
        annual += [
            (A, year, "100000000", "30000000", "5000000", "10000", "t"),
            (B, year, "100000000", "30000000", "5000000", "10000", "t"),
        ]
    load(session, "energy", ENERGY_HEADER, energy)
    load(session, "annual", ANNUAL_HEADER, annual)
    industry.label_all(session, STAFF, year=2023)
    industry.label_all(session, STAFF, year=2024)


def _enterprise(uscc: str):  # type: ignore[no-untyped-def]
    from greenfin.auth.service import Principal

    return Principal(actor="user:ent", role="enterprise", organisation_kind="enterprise", organisation_code=uscc)


def test_zero_change_what_if_is_the_stored_label(session: Session) -> None:
    _region(session)
    result = service.enterprise_what_if(session, _enterprise(A), what_if_in=EnterpriseWhatIf(uscc=A, changes=[]))
    stored = industry.get_account(session, STAFF, uscc=A, year=2024)
    assert stored.label is not None
    assert result.year == 2024
    assert result.after.total_co2_t == result.before.total_co2_t == stored.total_co2_t
    assert result.after.intensity_t_per_wan == stored.label.explanation.intensity_t_per_wan
    assert result.after.label == stored.label.label
    assert result.after.terms.rate_bp == result.before.terms.rate_bp


def test_cutting_gas_by_ten_percent(session: Session) -> None:
    _region(session)
    what_if = EnterpriseWhatIf.model_validate(
        {"uscc": A, "changes": [{"kind": "scale", "energy": "natural_gas", "change_pct": "-10"}]}
    )
    result = service.enterprise_what_if(session, _enterprise(A), what_if_in=what_if)
    assert result.before.total_co2_t - result.after.total_co2_t == Decimal("216.219")
    # Label from the industry rules against the stored benchmark: never worse for less CO2.
    order = ["dark_green", "light_green", "yellow", "red"]
    assert order.index(result.after.label) <= order.index(result.before.label)


def test_shift_and_solar_are_computed(session: Session) -> None:
    _region(session)
    what_if = EnterpriseWhatIf.model_validate(
        {
            "uscc": A,
            "changes": [
                {"kind": "shift", "from_energy": "natural_gas", "to_energy": "electricity", "share_pct": "30"},
                {"kind": "solar", "kwh": "200000"},
            ],
        }
    )
    result = service.enterprise_what_if(session, _enterprise(A), what_if_in=what_if)
    energies = {e.energy: e for e in result.energies}
    assert (energies["natural_gas"].name_zh, energies["natural_gas"].name_en) == ("天然气", "Natural gas")
    # 30 % of 1,000,000 Nm3 leaves gas; 200,000 kWh of grid power is replaced by PV.
    assert energies["natural_gas"].after_quantity == Decimal("700000.000")
    # Equal useful heat (what-if v1): 300,000 Nm3 × 1.33 kgce/Nm3 × 0.92 (gas boiler)
    # ÷ (0.1229 kgce/kWh × COP 3.0 of the default heat pump) = 995,606.184 kWh, less 200,000 kWh of PV.
    electricity = energies["electricity"]
    assert electricity.after_quantity - electricity.before_quantity == Decimal("795606.184")
    assert result.assumptions


def test_a_resistive_boiler_on_the_grid_emits_more_than_the_coal_it_replaces() -> None:
    """Per tonne of raw coal: 1.9003 tCO2 burnt, vs 1,000 × 0.7143 × 0.80 ÷ (0.1229 × 0.95) = 4,894.35 kWh."""
    from greenfin.finance.policy import load_what_if_method
    from greenfin.finance.rules import substitute_useful_energy

    method = load_what_if_method()
    kwh = substitute_useful_energy(
        Decimal(1000),
        from_kgce_per_unit=Decimal("0.7143"),
        from_efficiency=method.efficiency_of("raw_coal"),
        to_kgce_per_unit=Decimal("0.1229"),
        to_efficiency=method.technology("electric_boiler").efficiency,
    )
    assert kwh.quantize(Decimal("0.01")) == Decimal("4894.35")
    # At the 2023 national grid factor 0.5306 tCO2/MWh that is 2.597 tCO2 > 1.9003 tCO2 of the coal;
    # a heat pump (COP 3) needs 1,549.88 kWh = 0.822 tCO2.
    assert kwh * Decimal("0.5306") / 1000 > Decimal("1.9003")


def test_enterprise_report_under_consent(session: Session) -> None:
    _region(session)
    bank = make_organisation(session, kind="bank", code=make_uscc(43, prefix="91330802"), name="测试银行")
    make_organisation(session, kind="enterprise", code=A, name="衢州测试纸业")
    service.grant_consent(
        session,
        _enterprise(A),
        consent_in=ConsentCreate(bank_code=bank.code, expires_at=datetime.now(UTC) + timedelta(days=10)),
    )
    from greenfin.auth.service import Principal

    officer = Principal(actor="user:officer", role="bank", organisation_kind="bank", organisation_code=bank.code)
    envelope = service.issue_report(
        session,
        officer,
        request=ReportRequest.model_validate({"borrower": {"kind": "enterprise", "ref": A}}),
        settings=Settings(environment="test"),
    )
    report = envelope.report
    assert [y["year"] for y in report["years"]] == [2024, 2023]
    assert report["borrower"]["uscc"] == A
    names = {k: v for k, v in report["borrower"].items() if k.endswith(("_zh", "_en"))}
    assert names == {
        "county_name_zh": "柯城区",
        "county_name_en": "Kecheng District",
        "industry_name_zh": "机制纸及纸板制造",
        "industry_name_en": "Machine-made paper and paperboard",
    }
    assert (report["issuer"]["region_name_zh"], report["issuer"]["region_name_en"]) == ("衢州市", "Quzhou")
    assert report["years"][0]["label"]["code"] in ("dark_green", "light_green", "yellow", "red")
    assert report["years"][0]["peers"]["peer_count"] >= 1
    assert report["reductions"][0]["year"] == 2024
    reads = service.report_reads(session, _enterprise(A))
    assert [(r.actor, r.form) for r in reads] == [("user:officer", "issue")]


def test_the_signed_report_states_its_sources_and_open_conflicts(session: Session) -> None:
    """Issue 16: a bank must see what the figures rest on, and what is disputed, inside the signed report."""
    from greenfin.auth.service import Principal
    from greenfin.finance import report as pdf_report
    from greenfin.finance import signing

    _region(session)
    own = _enterprise(A)
    load(session, "energy", ENERGY_HEADER, [(A, 2024, 1, "natural_gas", "1", "10^4 Nm3", "declared")], own)
    bank = make_organisation(session, kind="bank", code=make_uscc(43, prefix="91330802"), name="测试银行")
    make_organisation(session, kind="enterprise", code=A, name="衢州测试纸业")
    service.grant_consent(
        session, own, consent_in=ConsentCreate(bank_code=bank.code, expires_at=datetime.now(UTC) + timedelta(days=10))
    )
    officer = Principal(actor="user:officer", role="bank", organisation_kind="bank", organisation_code=bank.code)
    settings = Settings(environment="test")
    envelope = service.issue_report(
        session,
        officer,
        request=ReportRequest.model_validate({"borrower": {"kind": "enterprise", "ref": A}}),
        settings=settings,
    ).model_dump(mode="json")
    year = envelope["report"]["years"][0]
    assert year["year"] == 2024
    assert {(s["kind"], s["data_quality"]) for s in year["sources"]} == {("energy", "metered"), ("annual", "audited")}
    assert all(s["import_id"] and s["imported_at"] for s in year["sources"])
    [conflict] = year["conflicts"]
    assert (conflict["kind"], conflict["item_name_zh"], conflict["month"]) == ("energy", "天然气", 1)
    assert (conflict["held_quality"], conflict["current_quality"], conflict["held_by"]) == (
        "declared",
        "metered",
        A,  # the organisation it was imported for
    )
    assert conflict["held"]["quantity"] == "1" and conflict["current"]["quantity"] == "100"
    lines = pdf_report.provenance_lines(year)
    assert any(
        line.startswith("待裁决的数据冲突：天然气（1月）") and "申报" in line and "计量" in line for line in lines
    )
    assert any("由" in line and "北京时间" in line for line in lines if line.startswith("数据来源"))
    public = signing.load_public_key(service.signing_key(session, settings).public_key)
    assert signing.verify(envelope, public)[0]
    tampered = {
        **envelope,
        "report": {**envelope["report"], "years": [{**year, "conflicts": []}, *envelope["report"]["years"][1:]]},
    }
    assert not signing.verify(tampered, public)[0]  # dropping the conflict breaks the signature


def test_a_borrower_without_a_login_is_named_from_the_register(session: Session) -> None:
    """Names before codes: an enterprise on the register but with no organisation of its own reads by name."""
    _region(session)
    assert service.resolve_borrower(session, kind="enterprise", ref=B).name == "衢州对照纸业"
