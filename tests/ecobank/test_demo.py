"""The demo Two Mountains Bank, built through the services, on both databases.

By hand (data/demo/v1.toml): the first 常山 orchard, 6.5 亩 of huyou at 1,143 kg/亩 × 2.40 元 −
1,300 元 = 1,443.20 元/亩 a year, over the 23 years from 2026-06-30 to 2049-12-31 at 8 %:
1,443.20 × [(1.08)^23 − 1] ÷ [0.08 × (1.08)^23] = 1,443.20 × 10.371059 = 14,967.51 元/亩, × 6.5 亩
= 97,288.83 元; its 胡柚贷 is 60 % of that (58,373.29 元) rounded down to whole 万元: 50,000 元.
The first 开化 forest, 1,200 亩 at the mean of 3,400, 3,650 and 3,150 元/亩: 4,080,000 元.
Rent of the six 衢江 farmhouses: 6 × 5,600 元 a year, paid for 2024 and 2025: 67,200 元; the
共富果园's 2025 dividend of 176,000 元 to its 8 households: 243,200 元 paid to 14 households.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from greenfin.auth.service import SYSTEM, Principal
from greenfin.ecobank import service
from greenfin.ecobank.demo import add_ecobank_demo
from greenfin.ecobank.models import Asset
from greenfin.market import service as market
from tests.conftest import make_organisation, make_user


def test_the_demo_ecological_bank(session: Session) -> None:
    bank_org = make_organisation(session, kind="bank", code="demo-bank", name="衢州农商银行")
    make_user(session, "bank", "bank", bank_org)
    counts = add_ecobank_demo(session, seed=42, secret_key="k" * 32)
    assert counts == {"assets": 32, "valuations": 35, "deposits": 14, "payments": 20, "pledges": 9, "loans": 9}

    first = session.scalars(select(Asset).where(Asset.name.like("%胡柚园01号"))).one()
    assert (first.area_milli_mu, first.value_fen) == (6_500, 9_728_883)
    forest = session.scalars(select(Asset).where(Asset.kind == "forest_right").order_by(Asset.area_milli_mu)).all()
    assert [a.value_fen for a in forest if a.area_milli_mu == 1_200_000] == [408_000_000]
    assert first.owner_id_hash and "*" in first.owner_display  # a farmer: keyed hash and a masked name only

    bank = Principal(actor="user:bank", role="bank", organisation_kind="bank", organisation_code="demo-bank")
    pledges = service.asset_pledges(session, bank, asset_id=first.id)
    assert [(p.amount_fen, p.status) for p in pledges] == [(5_000_000, "active")]
    loan = market.own_loan(session, bank, loan_id=pledges[0].loan_id)
    assert (loan.amount_fen, loan.collateral) == (5_000_000, "eco_pledge")
    listed, total = service.list_assets(session, bank)
    assert total == 9 and all(item.id for item in listed)  # the bank's registry: what is pledged to it

    summary = service.summary(session, SYSTEM)
    counties = {group.key: group for group in summary.by_county}
    assert len(counties) == 3  # 常山, 开化 and 衢江
    assert (summary.totals.paid_fen, summary.totals.households) == (24_320_000, 14)
    assert summary.totals.rent_fen == 3_360_000 and summary.totals.loans == 9
