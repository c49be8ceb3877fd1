"""The demo financing platform: 32 banks and 7 guarantors, their products, needs and applications.

Deterministic for a seed. Call after the demo enterprises are labelled (the needs carry
their county, industry and label) and after the demo logins exist (the demo bank
``bank`` is one of the 32). Applications run over the last year with realistic outcomes:
small firms succeed about 96 % of the time (the seed reports > 95 %), banks answer within
their promised working days about 93 % of the time, and approved rates sit near the LPR
after the carbon terms. Rows are written set-based (``INSERT`` of many rows at once).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from greenfin.auth import repository as auth_repository
from greenfin.auth import service as auth
from greenfin.auth.service import SYSTEM
from greenfin.db import new_id
from greenfin.market import rules, service
from greenfin.market.models import Application, ApplicationEvent, Loan, Need, Policy, Product, Subsidy
from greenfin.region.schemas import Region
from greenfin.region.service import county_names, current_region

# The city branches of national and joint-stock banks a prefecture-level city usually hosts; the
# county-level rural commercial banks come from the region file, so a Huzhou demo names Huzhou's.
BRANCH_BANKS = (
    "中国工商银行", "中国农业银行", "中国银行", "中国建设银行", "交通银行", "中国邮政储蓄银行", "国家开发银行",
    "中国农业发展银行", "招商银行", "浙商银行", "兴业银行", "中信银行", "浦发银行", "民生银行", "光大银行",
    "华夏银行", "平安银行", "杭州银行", "宁波银行", "泰隆银行", "稠州银行", "民泰银行", "广发银行", "渤海银行",
    "恒丰银行", "上海银行", "北京银行", "温州银行", "台州银行", "金华银行", "绍兴银行",
)  # fmt: skip
GUARANTORS = 7  # the seed's count of state guarantee companies
DEMO_SUBSIDY_BUDGET_FEN = 500_000_000  # 500 万元: the demo policy's budget (an assumption, not a published figure)


def _bank_names(region: Region) -> list[str]:
    """31 banks of the region: its counties' rural commercial banks, then the city branches."""
    county_banks = [f"{county.name_zh[:-1]}农商银行" for county in region.counties]
    branches = [f"{bank}{region.short_name}分行" for bank in BRANCH_BANKS]
    return (county_banks + branches)[:31]


def _guarantor_names(region: Region) -> list[str]:
    """The city's guarantee company and one per county, as many as the seed counts."""
    names = [f"{region.name_zh}融资担保有限公司"] + [f"{c.name_zh}融资担保有限公司" for c in region.counties]
    names += [f"{region.name_zh}农业融资担保有限公司", f"{region.name_zh}科技融资担保有限公司"]
    return names[:GUARANTORS]


PRODUCT_NAMES = ("碳账户贷", "绿色技改贷", "光伏贷", "节能贷", "生态贷", "共富贷", "两山贷", "碳融通", "胡柚贷")


def _counties(region: str | None) -> tuple[str, ...]:
    """The region's county codes (the region file), in its order; the configured region if None."""
    return tuple(county_names(region))


PURPOSES = {
    "1": "节能设备更新改造",
    "2": "清洁生产技术改造",
    "3": "屋顶分布式光伏建设",
    "4": "生态种养基地建设",
    "4.1": "有机胡柚基地扩种",
    "5.5": "绿色厂房建设",
    None: "流动资金周转",
}


@dataclass(frozen=True)
class _Borrower:
    code: str
    name: str
    county: str
    industry: str | None
    label: str | None


def _institutions(session: Session, rng: random.Random, region_code: str | None) -> list[tuple[str, str, str]]:
    """(code, name, kind) of the 32 banks (the demo bank first) and 7 guarantors, created if missing."""
    out: list[tuple[str, str, str]] = []
    bank_user = auth_repository.user_by_username(session, "bank")
    if bank_user is not None and bank_user.organisation_id:
        bank = auth_repository.organisation_by_id(session, bank_user.organisation_id)
        if bank is not None:
            out.append((bank.code, bank.name, "bank"))
    region = current_region(region_code)
    counties = _counties(region_code)
    for i, name in enumerate(_bank_names(region)[: 32 - len(out)]):
        code = f"qz-bank-{i + 1:02d}"
        if auth_repository.organisation_by_code(session, code) is None:
            auth.create_organisation(session, kind="bank", name=name, code=code, region_code=rng.choice(counties))
        out.append((code, name, "bank"))
    for i, name in enumerate(_guarantor_names(region)):
        code = f"qz-guarantor-{i + 1}"
        if auth_repository.organisation_by_code(session, code) is None:
            auth.create_organisation(
                session, kind="guarantor", name=name, code=code, region_code=counties[i % len(counties)]
            )
        out.append((code, name, "guarantor"))
    return out


def _product_rows(
    institutions: list[tuple[str, str, str]], rng: random.Random, now: datetime, counties: tuple[str, ...]
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for code, org_name, kind in institutions:
        for n in range(rng.randint(6, 10) if kind == "bank" else rng.randint(2, 4)):
            low = rng.choice((10_000_00, 50_000_00, 100_000_00, 500_000_00))
            green = rng.random() < 0.6
            rows.append(
                {
                    "id": new_id(),
                    "product_key": new_id(),
                    "version": 1,
                    "status": "published",
                    "org_code": code,
                    "org_name": org_name,
                    "name": PRODUCT_NAMES[(n + len(rows)) % len(PRODUCT_NAMES)]
                    + ("担保" if kind == "guarantor" else ""),
                    "family": "guarantee" if kind == "guarantor" else "green_credit",
                    "loan_method": "guarantee" if kind == "guarantor" else rng.choice(("credit", "credit", "mortgage")),
                    "min_amount_fen": low,
                    "max_amount_fen": low * rng.choice((20, 50, 100)),
                    "min_term_months": rng.choice((1, 3, 6)),
                    "max_term_months": rng.choice((12, 24, 36, 60)),
                    "rate_spread_bp": rng.randrange(-10, 120, 5),
                    "for_enterprise": True,
                    "for_farm": rng.random() < 0.4,
                    "for_resident": rng.random() < 0.2,
                    "counties": None if rng.random() < 0.7 else rng.sample(counties, 3),
                    "industries": None,
                    "carbon_labels": ["dark_green", "light_green"] if green and rng.random() < 0.5 else None,
                    "agricultural_labels": None,
                    "personal_grades": None,
                    "green_uses": None,
                    "documents": ["营业执照", "近两年财务报表", "碳征信报告"],
                    "accept_days": 1,
                    "decide_days": rng.choice((3, 5, 9)),
                    "description": "",
                    "created_by": "demo",
                    "created_at": now - timedelta(days=400),
                    "published_at": now - timedelta(days=400),
                    "withdrawn_at": None,
                }
            )
    return rows


def add_market_demo(session: Session, *, seed: int, needs: int = 3000, region: str | None = None) -> dict[str, int]:
    """Institutions, products, needs, applications (with timelines), loans and one subsidy policy."""
    from greenfin.industry import service as industry

    rng = random.Random(seed * 7919 + 13)
    now = datetime.now(UTC).replace(microsecond=0)
    institutions = _institutions(session, rng, region)
    products = _product_rows(institutions, rng, now, _counties(region))
    session.execute(insert(Product), products)
    items, _ = industry.list_enterprises(session, SYSTEM, limit=5000)
    borrowers = [_Borrower(e.uscc, e.name, e.county_code, e.industry_code, e.label) for e in items]
    if not borrowers:
        return {"institutions": len(institutions), "products": len(products)}
    lpr = service.lpr_bp()
    facts = [service._product_facts(_Row(p)) for p in products]
    need_rows: list[dict[str, Any]] = []
    app_rows: list[dict[str, Any]] = []
    event_rows: list[dict[str, Any]] = []
    loan_rows: list[dict[str, Any]] = []
    consent_rows: list[dict[str, Any]] = []
    for _ in range(needs):
        b = borrowers[rng.randrange(len(borrowers))]
        use = rng.choice(tuple(PURPOSES))
        created = now - timedelta(days=rng.randint(0, 360), minutes=rng.randint(0, 1440))
        need: dict[str, Any] = {
            "id": new_id(),
            "status": "open",
            "borrower_kind": "enterprise",
            "borrower_code": b.code,
            "borrower_name": b.name,
            "county_code": b.county,
            "industry_code": b.industry,
            "industrial_label": b.label,
            "agricultural_label": None,
            "personal_grade": None,
            "amount_fen": rng.choice((30, 50, 100, 200, 300, 500, 1000, 3000)) * 10_000_00,
            "term_months": rng.choice((6, 12, 12, 24, 36)),
            "purpose": PURPOSES[use],
            "green_use": use,
            "green_catalogue": "2019" if use else None,
            "collateral": rng.choice(("none", "none", "none", "mortgage", "guarantee")),
            "collateral_note": "",
            "created_by": "demo",
            "created_at": created,
            "updated_at": created,
        }
        need_rows.append(need)
        if rng.random() > 0.85:  # some needs stay open, unanswered
            continue
        facts_need = rules.NeedFacts(
            "enterprise", need["amount_fen"], need["term_months"], b.county, b.industry, b.label,
            green_use=use, collateral=need["collateral"],
        )  # fmt: skip
        eligible = [j for j, f in enumerate(facts) if not rules.exclusions(facts_need, f)]
        if not eligible:
            continue
        product = products[rng.choice(eligible)]
        _application(need, product, b, lpr, now, rng, app_rows, event_rows, loan_rows)
        consent_rows += _consents(app_rows[-1], b)
    desk = _desk(institutions, products, facts, borrowers, lpr, now, rng, need_rows, app_rows, event_rows, loan_rows)
    consent_rows += [grant for application, b in desk for grant in _consents(application, b)]
    session.execute(insert(Need), need_rows)
    auth.grant_consents(session, SYSTEM, grants=consent_rows)  # applying granted them (auth's one model)
    session.execute(insert(Application), app_rows)
    session.execute(insert(ApplicationEvent), event_rows)
    if loan_rows:
        session.execute(insert(Loan), loan_rows)
    policy_id = new_id()
    session.add(
        Policy(
            id=policy_id,
            title="衢州市绿色贷款贴息（演示）",
            body="对浅绿及以上标识企业的绿色贷款按年贴息 1%。",
            issuer_code="demo",
            valid_from=date(now.year, 1, 1),
            valid_to=date(now.year, 12, 31),
            min_label="light_green",
            green_only=True,
            subsidy_rate_bp=100,
            budget_fen=DEMO_SUBSIDY_BUDGET_FEN,
            committed_fen=0,
            paid_fen=0,
        )
    )
    session.flush()
    labels = {b.code: b.label for b in borrowers}
    subsidies = _subsidies(policy_id, loan_rows, labels, now, rng)
    if subsidies:
        session.execute(insert(Subsidy), subsidies)
        committed = sum(s["amount_fen"] for s in subsidies if s["status"] in ("approved", "paid"))
        paid = sum(s["paid_fen"] for s in subsidies)
        session.execute(update(Policy).where(Policy.id == policy_id).values(committed_fen=committed, paid_fen=paid))
    service.reindex(session, SYSTEM)
    return {
        "institutions": len(institutions),
        "products": len(products),
        "needs": len(need_rows),
        "applications": len(app_rows),
        "loans": len(loan_rows),
    }


SUBSIDY_OUTCOMES = ("paid", "paid", "paid", "approved", "approved", "applied", "applied", "refused")
"""How the demo's subsidy applications stand: most paid, some approved and waiting to be paid, some to review."""


def _subsidies(
    policy_id: str, loans: list[dict[str, Any]], labels: dict[str, str | None], now: datetime, rng: random.Random
) -> list[dict[str, Any]]:
    """Subsidy applications under the demo policy (浅绿 or better, green loans of this year), within its budget."""
    eligible = [
        loan
        for loan in loans
        if loan["green_use"] and loan["start_date"].year == now.year
        and rules.label_at_least(labels.get(loan["borrower_code"]), "light_green")
    ]  # fmt: skip
    rows: list[dict[str, Any]] = []
    committed = 0
    for loan in eligible[:40]:
        amount = rules.subsidy_fen(loan["amount_fen"], 100, loan["term_months"])
        status = rng.choice(SUBSIDY_OUTCOMES)
        if status in ("approved", "paid"):
            if committed + amount > DEMO_SUBSIDY_BUDGET_FEN:
                status = "applied"
            else:
                committed += amount
        applied_at = datetime.combine(loan["start_date"], datetime.min.time(), UTC) + timedelta(
            days=rng.randint(3, 20), hours=rng.randint(1, 10)
        )
        applied_at = min(applied_at, now)
        reviewed = applied_at + timedelta(days=rng.randint(1, 5)) if status != "applied" else None
        rows.append(
            {
                "id": new_id(), "policy_id": policy_id, "loan_id": loan["id"], "borrower_code": loan["borrower_code"],
                "amount_fen": amount, "status": status, "reviewed_by": "demo" if reviewed else None,
                "reviewed_at": min(reviewed, now) if reviewed else None,
                "note": "现金流与用途核实不符" if status == "refused" else "",
                "paid_fen": amount if status == "paid" else 0,
                "paid_at": min(reviewed, now) if status == "paid" and reviewed else None,
                "created_at": applied_at,
            }
        )  # fmt: skip
    return rows


DESK = (("submitted", 4), ("accepted", 3))
"""What waits on the demo bank's workbench: applications of the last two days still to accept or decide."""


def _desk(
    institutions: list[tuple[str, str, str]],
    products: list[dict[str, Any]],
    facts: list[rules.ProductFacts],
    borrowers: list[_Borrower],
    lpr: int,
    now: datetime,
    rng: random.Random,
    need_rows: list[dict[str, Any]],
    app_rows: list[dict[str, Any]],
    event_rows: list[dict[str, Any]],
    loan_rows: list[dict[str, Any]],
) -> list[tuple[dict[str, Any], _Borrower]]:
    """Fresh applications to the demo login's bank (the first institution), so that its workbench shows the
    countdown and every action: some submitted, some accepted, within the last two days."""
    if not need_rows:
        return []
    bank = institutions[0][0]
    own = [j for j, p in enumerate(products) if p["org_code"] == bank and p["status"] == "published"]
    made: list[tuple[dict[str, Any], _Borrower]] = []
    for state, count in DESK:
        for _ in range(count):
            for _attempt in range(50):
                b = borrowers[rng.randrange(len(borrowers))]
                use = rng.choice(tuple(PURPOSES))
                amount, term = rng.choice((30, 50, 100, 200, 500)) * 10_000_00, rng.choice((12, 24, 36))
                facts_need = rules.NeedFacts("enterprise", amount, term, b.county, b.industry, b.label, green_use=use)
                fitting = [j for j in own if not rules.exclusions(facts_need, facts[j])]
                if fitting:
                    break
            else:
                continue
            created = now - timedelta(hours=rng.randint(3, 40))
            need = {
                **need_rows[-1], "id": new_id(), "status": "open", "borrower_code": b.code, "borrower_name": b.name,
                "county_code": b.county, "industry_code": b.industry, "industrial_label": b.label,
                "amount_fen": amount, "term_months": term, "purpose": PURPOSES[use], "green_use": use,
                "green_catalogue": "2019" if use else None, "collateral": "none", "created_at": created,
                "updated_at": created,
            }  # fmt: skip
            need_rows.append(need)
            product = products[rng.choice(fitting)]
            _application(need, product, b, lpr, created, rng, app_rows, event_rows, loan_rows)
            application = app_rows[-1]
            if state == "accepted":
                accepted = application["submitted_at"] + timedelta(hours=2)
                application.update(
                    state="accepted",
                    accepted_at=accepted,
                    updated_at=accepted,
                    due_on=service.due_date(accepted.astimezone(service.BEIJING).date(), product["decide_days"]),
                    calendar=service.calendar_for(accepted.astimezone(service.BEIJING).date(), product["decide_days"]),
                )
                event_rows.append(_event_row(application["id"], "accept", "submitted", "accepted", accepted, None))
            made.append((application, b))
    return made


def _consents(application: dict[str, Any], b: _Borrower) -> list[dict[str, Any]]:
    """The two consents applying granted the institution: the credit report and the application's data."""
    granted = application["submitted_at"]
    common = {
        "subject_kind": "enterprise",
        "subject_ref": b.code,
        "subject_code": b.code,
        "organisation_code": application["bank_code"],
        "reference": f"application:{application['id']}",
        "granted_by": "demo",
        "granted_at": granted,
        "expires_at": granted + timedelta(days=service.CONSENT_DAYS),
    }
    application["consent_id"] = new_id()
    return [
        {**common, "scope": "credit_report"},
        {**common, "scope": service.APPLICATION_SCOPE, "id": application["consent_id"]},
    ]


class _Row:
    """A product row dict seen with attribute access (as matching reads rows)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


def _application(
    need: dict[str, Any],
    product: dict[str, Any],
    b: _Borrower,
    lpr: int,
    now: datetime,
    rng: random.Random,
    app_rows: list[dict[str, Any]],
    event_rows: list[dict[str, Any]],
    loan_rows: list[dict[str, Any]],
) -> None:
    submitted = need["created_at"] + timedelta(hours=rng.randint(1, 72))
    if submitted > now:
        submitted = now
    app_id = new_id()
    discount = {"dark_green": -50, "light_green": -25}.get(b.label or "", 0)
    quoted = max(lpr + product["rate_spread_bp"] + discount, 300)
    start = submitted.astimezone(service.BEIJING).date()  # deadlines count Beijing days
    accept_due = service.due_date(start, product["accept_days"])
    late = rng.random() < 0.07
    recent = (now - submitted) < timedelta(days=3)
    row: dict[str, Any] = {
        "id": app_id,
        "need_id": need["id"],
        "product_id": product["id"],
        "bank_code": product["org_code"],
        "borrower_kind": "enterprise",
        "borrower_code": b.code,
        "state": "submitted",
        "consent_id": None,
        "amount_fen": need["amount_fen"],
        "term_months": need["term_months"],
        "quoted_rate_bp": quoted,
        "lpr_bp": lpr,
        "submitted_at": submitted,
        "due_on": accept_due,
        "calendar": service.calendar_for(start, product["accept_days"]),
        "accepted_at": None,
        "decided_at": None,
        "approved_amount_fen": None,
        "approved_rate_bp": None,
        "approved_term_months": None,
        "decline_reason": None,
        "decline_note": "",
        "contracted_at": None,
        "disbursed_at": None,
        "overdue_since": None,
        "updated_at": submitted,
    }
    events: list[tuple[str, str | None, str, datetime, str | None]] = [("submit", None, "submitted", submitted, None)]
    if not recent:
        accepted = submitted + timedelta(days=(3 if late else rng.choice((0, 1))), hours=rng.randint(1, 8))
        row.update(state="accepted", accepted_at=accepted)
        if late:
            row["overdue_since"] = accept_due
            escalated = datetime.combine(accept_due, datetime.min.time(), UTC) + timedelta(days=1)
            events.append(("escalate", "submitted", "submitted", escalated, None))
        events.append(("accept", "submitted", "accepted", accepted, None))
        decided = accepted + timedelta(days=rng.randint(1, product["decide_days"] + 2), hours=rng.randint(1, 8))
        if decided < now:
            approved = rng.random() < 0.96
            if approved:
                rate = quoted - rng.choice((0, 0, 5, 10))
                row.update(state="approved", decided_at=decided, approved_amount_fen=need["amount_fen"])
                row.update(approved_rate_bp=rate, approved_term_months=need["term_months"], due_on=None)
                events.append(("approve", "accepted", "approved", decided, None))
                disbursed = decided + timedelta(days=rng.randint(1, 5))
                if disbursed < now and rng.random() < 0.92:
                    row.update(state="disbursed", disbursed_at=disbursed)
                    need["status"] = "closed"
                    events.append(("disburse", "approved", "disbursed", disbursed, None))
                    loan_rows.append(
                        {
                            "id": new_id(),
                            "bank_code": product["org_code"],
                            "loan_no": f"QRT{app_id[:16].upper()}",
                            "borrower_kind": "enterprise",
                            "borrower_code": b.code,
                            "borrower_name": b.name,
                            "application_id": app_id,
                            "source": "platform",
                            "amount_fen": need["amount_fen"],
                            "rate_bp": rate,
                            "term_months": need["term_months"],
                            "start_date": disbursed.date(),
                            "maturity_date": service._add_months(disbursed.date(), need["term_months"]),
                            "green_use": need["green_use"],
                            "green_catalogue": need["green_catalogue"],
                            "purpose": need["purpose"],
                            "collateral": need["collateral"],
                            "project_investment_fen": need["amount_fen"] * 2 if need["green_use"] else None,
                            "annual_co2_reduction_g": rng.randint(50, 3000) * 1_000_000 if need["green_use"] else None,
                            "created_at": disbursed,
                            "county_code": b.county,
                            "industry_code": b.industry,
                        }
                    )
            else:
                declined_for = rng.choice(rules.DECLINE_REASONS[:-1])
                row.update(state="declined", decided_at=decided, decline_reason=declined_for, due_on=None)
                events.append(("decline", "accepted", "declined", decided, declined_for))
        else:
            row["due_on"] = service.due_date(accepted.astimezone(service.BEIJING).date(), product["decide_days"])
    app_rows.append(row)
    event_rows += [_event_row(app_id, *event) for event in events]


def _event_row(
    application_id: str, action: str, before: str | None, after: str, at: datetime, reason: str | None
) -> dict[str, Any]:
    """One step of a demo application's timeline, as ``market_application_event`` stores it."""
    return {
        "id": new_id(),
        "application_id": application_id,
        "at": at,
        "actor": "demo",
        "action": action,
        "from_state": before,
        "to_state": after,
        "reason_code": reason,
        "note": "",
    }
