"""The demo Two Mountains Bank: 常山 huyou orchards and their 胡柚贷, 开化 forest rights and a carbon
sink, 衢江 idle farmhouses, a pooled 共富果园 — registered, valued, deposited, paid and pledged.

Everything goes through ``ecobank.service`` and ``market.service`` (the same checks as a real
operator's and bank's requests: caps, consents, one active pledge), from the figures and sources
of ``data/demo/v1.toml``. Deterministic for a seed: farmers' ID numbers are synthetic (only their
keyed hash and a masked display are stored), collectives carry synthetic USCCs, and the 胡柚贷
loans are the demo ``bank`` login's, so that login sees them and the pledged orchards.
"""

from __future__ import annotations

import random
import tomllib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from importlib import resources
from typing import Any

from sqlalchemy.orm import Session

from greenfin.auth import repository as auth_repository
from greenfin.auth import rules as identity
from greenfin.auth import service as auth
from greenfin.auth.service import SYSTEM, Principal
from greenfin.demo.region import make_uscc, organisation_code
from greenfin.ecobank import service
from greenfin.ecobank.schemas import (
    AssetCreate,
    DepositCreate,
    DistributionCreate,
    OperatorCreate,
    PaymentCreate,
    PledgeCreate,
    ProjectCreate,
    ShareCreate,
    ValuationCreate,
)
from greenfin.market import service as market
from greenfin.market.schemas import LoanCreate, ProductCreate
from greenfin.region.schemas import County
from greenfin.region.service import current_region

WAN_FEN = 1_000_000


def demo_data() -> dict[str, Any]:
    return tomllib.loads(resources.files("greenfin.ecobank").joinpath("data/demo/v1.toml").read_text("utf-8"))


@dataclass
class _Places:
    """The demo's counties by the start of their name (or the region's first ones), made-up townships under them."""

    counties: dict[str, County]

    def township(self, short: str, n: int) -> tuple[str, str, str]:
        """(county code, township code, township name) of the county's n-th listed township."""
        county = self.counties[short]
        names = county.townships or [county.name_zh]
        return county.code, f"{county.code}{101 + n % len(names):03d}", names[n % len(names)]

    def village(self, short: str, n: int, village: int) -> tuple[str, str, str]:
        county, township, _ = self.township(short, n)
        return county, township, f"{township}{201 + village:03d}"


def _places(region: str | None, shorts: list[str]) -> _Places:
    counties = list(current_region(region).counties)

    def named(short: str, i: int) -> County:
        return next((c for c in counties if c.name_zh.startswith(short)), counties[i % len(counties)])

    return _Places({short: named(short, i) for i, short in enumerate(shorts)})


def _collective_code(county: str, index: int) -> str:
    """A synthetic USCC of a village collective (authority N 农业农村, type 2 集体经济组织)."""
    return make_uscc(authority="N", kind="2", region=county, organisation=organisation_code(f"{9_100_000 + index:08d}"))


def _money(yuan: Any) -> int:
    return int(Decimal(str(yuan)) * 100)


def add_ecobank_demo(session: Session, *, seed: int, secret_key: str, region: str | None = None) -> dict[str, int]:
    """Build the demo Two Mountains Bank; counts of what was made."""
    data = demo_data()
    rng = random.Random(seed * 131 + 7)
    places = _places(region, list(data["operators"]))
    valued_on = date.fromisoformat(data["valued_on"])
    operators: dict[str, str] = {}
    for short, operator in data["operators"].items():
        county = places.counties[short].code
        service.register_operator(
            session,
            SYSTEM,
            operator_in=OperatorCreate(organisation_code=operator["code"], name=operator["name"], county_code=county),
        )
        operators[short] = operator["code"]
    note = "演示数据：乡镇、村代码为演示编制。"
    counts = {"assets": 0, "valuations": 0, "deposits": 0, "payments": 0, "pledges": 0, "loans": 0}
    ids = iter(identity.synthetic_id_numbers(rng, 64, [c.code for c in places.counties.values()]))
    surnames = "王李张刘陈杨黄赵吴周徐孙朱胡郑"

    def register(short: str, n: int, **fields: Any) -> Any:
        county, township, village = places.village(short, n, fields.pop("village", n))
        asset_in = AssetCreate.model_validate(
            {"county_code": county, "township_code": township, "village_code": village, "note": note, **fields}
        )
        counts["assets"] += 1
        return service.register_asset(session, SYSTEM, asset_in=asset_in, secret_key=secret_key)

    def appraise(asset_id: str, method: str, inputs: dict[str, Any]) -> int:
        valuation_in = ValuationCreate(method=method, inputs=inputs, valuer=data["valuer"], valued_on=valued_on)
        counts["valuations"] += 1
        return service.appraise(session, SYSTEM, asset_id=asset_id, valuation_in=valuation_in).value_fen

    def farmer(n: int) -> dict[str, Any]:
        return {
            "kind": "farmer",
            "id_number": next(ids),
            "name": surnames[n % len(surnames)] + "某" + "一二三四五六七八"[n % 8],
        }

    # 常山 huyou orchards, valued by the income approach
    huyou = data["huyou"]
    right_end = date.fromisoformat(huyou["right_end"])
    years = service.remaining_years(right_end, today=valued_on)

    def huyou_income(area: Any) -> dict[str, Any]:
        """Income approach per 亩: A = yield × price − costs, over the years left on the right at valuation."""
        return {
            "annual_yield": huyou["yield_kg_per_mu"],
            "unit_price": huyou["price_yuan_per_kg"],
            "annual_costs": huyou["costs_yuan_per_mu"],
            "years": years,
            "rate": huyou["rate"],
            "area_mu": str(area),
        }

    orchards = []
    for n, area in enumerate(huyou["area_mu"][: huyou["farmers"]]):
        _, _, township = places.township(huyou["county"], n)
        asset = register(
            huyou["county"],
            n,
            kind="orchard",
            name=f"{township}胡柚园{n + 1:02d}号",
            crop=huyou["crop"],
            owner=farmer(n),
            area_mu=str(area),
            certificates=[f"常山林权（演示）第{2020_0000 + n}号"],
            right_start=huyou["right_start"],
            right_end=huyou["right_end"],
        )
        appraise(asset.id, "income", huyou_income(area))
        orchards.append(asset)

    # 胡柚贷: the demo bank's product and loans, each secured by a pledge of the borrower's orchard
    bank = _demo_bank(session)
    if bank is not None:
        counts["loans"] = counts["pledges"] = _huyou_loans(session, data["loans"], bank, orchards)

    # 共富果园: orchards deposited for dividends, pooled, transferred, a dividend shared out by trees
    pooled = data["pooled"]
    project = service.create_project(
        session,
        SYSTEM,
        project_in=ProjectCreate(
            name=pooled["name"],
            county_code=places.counties[huyou["county"]].code,
            operator_code=operators[huyou["county"]],
            transferee=pooled["transferee"],
            transfer_price_fen_per_year=_money(pooled["transfer_price_yuan_per_year"]),
            transfer_start=date.fromisoformat(pooled["transfer_start"]),
            transfer_end=date.fromisoformat(pooled["transfer_end"]),
        ),
    )
    for n, area in enumerate(pooled["area_mu"][: pooled["households"]]):
        k = len(orchards) + n
        _, _, township = places.township(huyou["county"], k)
        asset = register(
            huyou["county"],
            k,
            kind="orchard",
            name=f"{township}共富果园入股地块{n + 1:02d}",
            crop=huyou["crop"],
            owner=farmer(k),
            area_mu=str(area),
            certificates=[f"常山林权（演示）第{2021_0000 + n}号"],
            right_start=huyou["right_start"],
            right_end=huyou["right_end"],
        )
        appraise(asset.id, "income", huyou_income(area))
        deposit = service.deposit_asset(
            session,
            SYSTEM,
            asset_id=asset.id,
            deposit_in=DepositCreate(
                start_on=date.fromisoformat(pooled["transfer_start"]),
                end_on=date.fromisoformat(pooled["transfer_end"]),
                income_kind="dividend",
                operator_code=operators[huyou["county"]],
            ),
        )
        counts["deposits"] += 1
        trees = int(Decimal(str(area)) * pooled["trees_per_mu"])
        service.add_share(
            session, SYSTEM, project_id=project.id, share_in=ShareCreate(deposit_id=deposit.id, shares=trees)
        )
    for paid_on, period, yuan in pooled["dividends"]:
        paid = service.distribute(
            session,
            SYSTEM,
            project_id=project.id,
            distribution_in=DistributionCreate(
                amount_fen=_money(yuan), paid_on=date.fromisoformat(paid_on), period=period
            ),
        )
        counts["payments"] += len(paid)

    # 开化 forest rights of village collectives: market comparison, and a GEP beside it
    forest = data["forest"]
    for n, (name, area) in enumerate(zip(forest["collectives"], forest["area_mu"], strict=True)):
        county, _, township = places.township(forest["county"], n)
        asset = register(
            forest["county"],
            n,
            kind="forest_right",
            name=f"{name.split('股份')[0]}集体林",
            owner={"kind": "collective", "collective_code": _collective_code(county, n), "collective_name": name},
            area_mu=str(area),
            certificates=[f"开化林权（演示）第{2010_0000 + n}号"],
            right_start=forest["right_start"],
            right_end=forest["right_end"],
        )
        comparables = [{"price_per_mu": price} for price in forest["comparables_yuan_per_mu"]]
        appraise(asset.id, "market", {"area_mu": str(area), "comparables": comparables})
        appraise(asset.id, "gep", {})

    # 开化 carbon sink, pledged to the demo bank at 20× its yearly carbon value
    sink = data["carbon_sink"]
    county, _, _ = places.township(sink["county"], 3)
    sink_asset = register(
        sink["county"],
        3,
        kind="carbon_sink",
        name=f"{sink['collective'].split('股份')[0]}林业碳汇",
        owner={
            "kind": "collective",
            "collective_code": _collective_code(county, 9),
            "collective_name": sink["collective"],
        },
        area_mu=str(sink["area_mu"]),
        certificates=["开化碳汇（演示）第20230001号"],
        right_start="2023-01-01",
        right_end="2052-12-31",
    )
    appraise(sink_asset.id, "gep", {})
    yearly = int(Decimal(str(sink["area_mu"])) * Decimal(sink["tco2_per_mu_year"]) * sink["yuan_per_tco2"] * 100)
    if bank is not None:
        loan = market.report_loan(
            session,
            bank,
            loan_in=LoanCreate(
                loan_no="THB-TH-0001",
                borrower_kind="enterprise",
                borrower_code=sink_asset.owner_code or "",
                borrower_name=sink["collective"],
                amount_fen=_money(sink["loan_yuan"]),
                rate_bp=330,
                term_months=60,
                start_date=date(2026, 8, 1),
                green_use="4.1",  # 生态农业 (4.1.6 碳汇林 under it; the platform records the second level)
                purpose="林业碳汇项目抚育及经营",
                collateral="eco_pledge",
                county_code=county,
                industry_code="0220",
            ),
        )
        _pledge(session, bank, sink_asset.id, loan.id, _money(sink["loan_yuan"]), yearly_income_fen=yearly)
        counts["loans"] += 1
        counts["pledges"] += 1

    # 衢江 idle farmhouses: replacement cost, deposited for the deposit slip's rent, paid yearly
    houses = data["farmhouses"]
    start = date.fromisoformat(houses["start"])
    for n, floor in enumerate(houses["floor_m2"][: houses["count"]]):
        _, _, township = places.township(houses["county"], n)
        asset = register(
            houses["county"],
            n,
            kind="idle_farmhouse",
            name=f"{township}闲置农房{n + 1:02d}号（{floor} 平方米）",
            owner=farmer(40 + n),
            area_mu=str((Decimal(floor) / Decimal("666.667")).quantize(Decimal("0.001"))),
            certificates=[f"衢江宅基地（演示）第{2019_0000 + n}号"],
            right_start="2019-01-01",
            right_end="2068-12-31",
        )
        appraise(
            asset.id,
            "cost",
            {
                "replacement_cost": floor * houses["replacement_yuan_per_m2"],
                "condition_factor": houses["condition_factor"],
            },
        )
        deposit = service.deposit_asset(
            session,
            SYSTEM,
            asset_id=asset.id,
            deposit_in=DepositCreate(
                start_on=start,
                end_on=date(start.year + houses["years"] - 1, 12, 31),
                income_kind="rent",
                rent_fen_per_year=_money(houses["rent_yuan_per_year"]),
                operator_code=operators[houses["county"]],
            ),
        )
        counts["deposits"] += 1
        for year in (2024, 2025):
            payment_in = PaymentCreate(
                paid_on=date(year, 12, 31), amount_fen=_money(houses["rent_yuan_per_year"]), period=str(year)
            )
            service.record_payment(session, SYSTEM, deposit_id=deposit.id, payment_in=payment_in)
            counts["payments"] += 1
    return counts


def _demo_bank(session: Session) -> Principal | None:
    """The demo ``bank`` login's bank, acting as itself (None when the login is not there)."""
    user = auth_repository.user_by_username(session, "bank")
    if user is None or user.organisation_id is None:
        return None
    return auth.principal_for_user(session, user)


def _pledge(
    session: Session,
    bank: Principal,
    asset_id: str,
    loan_id: str,
    amount_fen: int,
    yearly_income_fen: int | None = None,
) -> None:
    """The owner's signed consent, filed by the ecological bank, then the bank's pledge — of the income right
    when the cap is set on a yearly income."""
    consent = service.add_document(
        session,
        SYSTEM,
        asset_id=asset_id,
        filename="权利人质押同意书（演示）.txt",
        content_type="text/plain; charset=utf-8",
        content=f"本人同意以该资产为贷款 {loan_id} 提供质押担保。（演示文件）".encode(),
        kind="pledge_consent",
    )
    service.pledge_asset(
        session,
        bank,
        pledge_in=PledgeCreate(
            asset_id=asset_id,
            loan_id=loan_id,
            amount_fen=amount_fen,
            consent_document_id=consent.id,
            yearly_income_fen=yearly_income_fen,
            pledged_right="income" if yearly_income_fen is not None else "asset",
        ),
    )


def _huyou_loans(session: Session, terms: dict[str, Any], bank: Principal, orchards: list[Any]) -> int:
    """The 胡柚贷 product, published, and its loans: each the orchard's cap rounded down to whole 万元."""
    product = market.create_product(
        session,
        bank,
        product_in=ProductCreate(
            name=terms["product"],
            loan_method="eco_pledge",
            min_amount_fen=_money(terms["min_amount_yuan"]),
            max_amount_fen=_money(terms["max_amount_yuan"]),
            min_term_months=12,
            max_term_months=terms["term_months"],
            rate_spread_bp=terms["rate_spread_bp"],
            borrower_kinds=["resident", "farm"],
            green_uses=["4.1"],
            documents=["林权证或胡柚园经营权证", "两山合作社评估报告", "权利人质押同意书"],
            description=terms["description"],
        ),
    )
    market.publish_product(session, bank, product_id=product.id)
    made = 0
    for n, asset in enumerate(orchards[: terms["borrowers"]]):
        cap = service.ltv(asset).max_loan_fen or 0
        amount = min(cap // WAN_FEN * WAN_FEN, _money(terms["max_amount_yuan"]))
        if amount < _money(terms["min_amount_yuan"]):
            continue
        loan = market.report_loan(
            session,
            bank,
            loan_in=LoanCreate(
                loan_no=f"HYD-{2026}-{n + 1:04d}",
                borrower_kind="resident",
                borrower_code=f"eco-{(asset.owner_id_hash or '')[:16]}",
                borrower_name=asset.owner_display,
                amount_fen=amount,
                rate_bp=300 + terms["rate_spread_bp"],
                term_months=terms["term_months"],
                start_date=date.fromisoformat(terms["start"]),
                green_use="4.1",
                purpose=f"{asset.name}抚育、提质改造及采后处理",
                collateral="eco_pledge",
                county_code=asset.county_code,
                industry_code="0152",
            ),
        )
        _pledge(session, bank, asset.id, loan.id, amount)
        made += 1
    return made
