"""The account of one enterprise-year: the Huakang example (DOMAIN.md) reproduced."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from greenfin.industry import service
from tests.industry.factories import (
    ANNUAL_HEADER,
    ENERGY_HEADER,
    ENTERPRISE_HEADER,
    PROCESS_HEADER,
    STAFF,
    load,
    make_uscc,
)

HUAKANG = make_uscc(1, prefix="91330800")


def _huakang(session: Session) -> None:
    # 浙江华康药业 2020 (DOMAIN.md): energy 11,659.61 t + process 2,491.14 t = 14,150.75 tCO2; 0.1032 t/t.
    # Inputs chosen by hand (cn-2024, Zhejiang; 2020 takes the oldest published grid factor, 0.5422 t/MWh):
    #   electricity 10,000 MWh x 0.5422            = 5,422.000000 t
    #   natural gas 2,884,857 Nm3 x 2.16219 kg/Nm3 = 6,237.608957 t  (21.6219 t per 10^4 Nm3)
    #   energy                                     = 11,659.608957 t -> 11,659.61
    load(session, "enterprises", ENTERPRISE_HEADER, [(HUAKANG, "浙江华康药业股份有限公司", "330824", "1495")])
    energy = []
    for month in range(1, 13):  # monthly split: 10 x 833.333 MWh + 2 x 833.335 MWh = 10,000 MWh
        mwh = "833.335" if month > 10 else "833.333"
        energy.append((HUAKANG, 2020, month, "electricity", mwh, "MWh", "metered"))
    energy.append((HUAKANG, 2020, 6, "natural_gas", "288.4857", "10^4 Nm3", "declared"))
    load(session, "energy", ENERGY_HEADER, energy)
    load(session, "process", PROCESS_HEADER, [(HUAKANG, 2020, "fermentation", "2491.14", "audited")])
    # output 20 亿元, added value 5 亿元, tax 1 亿元, product 137,119 t
    load(
        session,
        "annual",
        ANNUAL_HEADER,
        [(HUAKANG, 2020, "2000000000", "500000000", "100000000", "137119", "t")],
    )


def test_huakang_2020_reproduces(session: Session) -> None:
    _huakang(session)
    account = service.get_account(session, STAFF, uscc=HUAKANG, year=2020)
    assert account.energy_co2_t == Decimal("11659.608957")
    assert account.energy_co2_t.quantize(Decimal("0.01")) == Decimal("11659.61")
    assert account.process_co2_t == Decimal("2491.140000")
    assert account.total_co2_t.quantize(Decimal("0.01")) == Decimal("14150.75")
    assert account.total_co2_t == account.energy_co2_t + account.process_co2_t
    # 14,150.748957 t / 137,119 t = 0.103200 t per tonne of product
    assert account.intensities.product_t_per_unit is not None
    assert account.intensities.product_t_per_unit.quantize(Decimal("0.0001")) == Decimal("0.1032")
    assert account.intensities.product_unit == "t"
    # per 10,000 yuan: 14,150.748957 t / 50,000 万元 = 0.283015 (added), / 200,000 万元 = 0.070754 (output)
    assert account.intensities.added_value_t_per_wan == Decimal("0.283015")
    assert account.intensities.output_t_per_wan == Decimal("0.070754")
    assert account.intensities.tax_t_per_wan == Decimal("1.415075")
    # scope 2 = electricity; scope 1 = gas + process
    assert account.scope2_t == Decimal("5422.000000")
    assert account.scope1_t == Decimal("8728.748957")
    lines = {line.energy: line for line in account.by_energy}
    assert lines["natural_gas"].quantity == Decimal("288.4857") and lines["natural_gas"].unit == "10^4 Nm3"
    assert lines["electricity"].quantity == Decimal("10000") and lines["electricity"].scope == 2
    # tce: 10,000,000 kWh x 0.1229 kgce = 1,229 t; 2,884,857 Nm3 x 1.33 kgce = 3,836.85981 t
    assert account.energy_tce == Decimal("5065.859810")
    # 833,333 kWh x 0.5422 kg = 451,833.1526 kg -> 451,833,153 g; 833,335 kWh -> 451,834,237 g
    assert [m.tco2 for m in account.monthly][:2] == [Decimal("451.833153"), Decimal("451.833153")]
    assert account.monthly[11].tco2 == Decimal("451.834237")
    assert account.monthly[5].tco2 == Decimal("451.833153") + Decimal("6237.608957")
    assert account.data_quality == {"declared": Decimal("7.69"), "metered": Decimal("92.31")}
    assert account.enterprise.county.name_zh == "开化县"
    assert account.enterprise.industry.division == "14"
    assert account.label is None
    assert [h.year for h in account.history] == [2020]


PEERS = {make_uscc(11 + i): t for i, t in enumerate(("200", "300", "400", "500"))}


def test_huakang_label_figures_match_the_account(session: Session) -> None:
    _huakang(session)
    # Four food-manufacturing peers (division 14) in the region, 1,000 万元 added value each,
    # 200 / 300 / 400 / 500 t of CO2: five in the division, the methodology's minimum.
    load(session, "enterprises", ENTERPRISE_HEADER, [(u, f"食品{u[-3:]}", "330802", "1491") for u in PEERS])
    load(session, "process", PROCESS_HEADER, [(u, 2020, "process", t, "declared") for u, t in PEERS.items()])
    load(session, "annual", ANNUAL_HEADER, [(u, 2020, "40000000", "10000000", "1000000", "1000", "t") for u in PEERS])
    run = service.label_all(session, STAFF, year=2020)
    assert run.enterprises == 5
    label = service.get_account(session, STAFF, uscc=HUAKANG, year=2020).label
    assert label is not None
    assert label.energy_co2_t == Decimal("11659.608957")
    assert label.process_co2_t == Decimal("2491.140000")
    assert label.intensity_product_t_per_unit == Decimal("0.103200")
    # intensity 14,150.748957 t / 50,000 万元 = 0.283015 t/万元;
    # benchmark (14,150.748957 + 1,400) t / (50,000 + 4,000) 万元 = 15,550.748957 / 54,000 = 0.287977;
    # K = 0.283015 / 0.287977 = 0.983 (≤ 1.2, > 0.8), no 2019 on record -> light green
    assert label.intensity_added_t_per_wan == Decimal("0.283015")
    why = label.explanation
    assert (why.peer_group, why.peer_count, why.benchmark_source) == (
        "14",
        5,
        "average of 5 peers in division 14 (CO2 ÷ added_value)",
    )
    assert why.benchmark_t_per_wan == Decimal("0.287977")
    assert why.k_ratio == Decimal("0.983")
    assert label.label == "light_green"
