"""The demo loan book: monthly balances 2016-12-31 … 2023-03-31 that reproduce the seed.

Every demo bank holds a few dozen **loan lines**: some to demo enterprises (with their
county and GB/T 4754 class, so the carbon accounts enter the financed emissions), the rest
portfolio lines of farms, small firms and residents by county. The region's green and
all-loan totals follow a geometric path between the seed's figures (``data/demo/seed-v1.toml``:
1181.58 亿元 of green loans on 2023-03-31, 36.46 % of all loans, about 5× the end of 2016)
and are split over the lines by drifting weights, every month summing exactly to the path.
Deterministic for a seed (ids are hashes); a few thousand loans and under 100,000 balance
rows, written set-based through ``market.service.load_book``. The demo also registers the
seed's 36 green-finance divisions and 28 pilot banks.
"""

from __future__ import annotations

import calendar
import hashlib
import random
import tomllib
from datetime import date
from decimal import Decimal
from importlib import resources
from typing import Any

import polars as pl
from sqlalchemy import insert
from sqlalchemy.orm import Session

from greenfin.auth import repository as auth_repository
from greenfin.auth import service as auth
from greenfin.auth.service import SYSTEM
from greenfin.market import service as market
from greenfin.market.schemas import BENEFIT_COLUMNS
from greenfin.region.service import county_names
from greenfin.stats.models import GreenFinanceDivision, PilotBank

WAN_FEN = 1_000_000
GREEN_USES = ("1", "1.1", "2", "3", "3.2", "4", "4.1", "4.2", "5", "5.5", "6")
INDUSTRIES = ("4411", "3011", "2614", "3130", "2211", "1351", "3825", "0151")  # GB/T 4754 classes, portfolio lines
QUALITY = (("normal", 0.93), ("special_mention", 0.04), ("substandard", 0.015), ("doubtful", 0.01), ("loss", 0.005))
LINES_TO_ENTERPRISES = 12  # per bank, half of them green
PORTFOLIO_LINES = 14  # per bank: farms, small firms, residents
PORTFOLIO_NAMES = {"farm": "农户及农业经营主体贷款组合", "enterprise": "小微企业贷款组合", "resident": "个人贷款组合"}


def seed_targets() -> dict[str, Any]:
    """The demo book's targets (``data/demo/seed-v1.toml``)."""
    return tomllib.loads((resources.files("greenfin.stats") / "data" / "demo" / "seed-v1.toml").read_text("utf-8"))


def month_ends(start: date, end: date) -> list[date]:
    """Every month-end from ``start`` to ``end``, both included."""
    days, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        days.append(date(year, month, calendar.monthrange(year, month)[1]))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return days


def _path(first: int, last: int, steps: int) -> list[int]:
    """A geometric path from ``first`` to ``last`` fen in whole 万元 (10^6 fen), exact at both ends."""
    ratio = (Decimal(last) / Decimal(first)) ** (Decimal(1) / steps)
    middle = [int((first * ratio**k / WAN_FEN).to_integral_value()) * WAN_FEN for k in range(1, steps)]
    return [first, *middle, last]


def _id(seed: int, *parts: object) -> str:
    return hashlib.sha256("/".join(map(str, (seed, *parts))).encode()).hexdigest()[:32]


def _split(total: int, weights: list[int]) -> list[int]:
    """``total`` fen over integer weights, summing exactly (the remainder goes to the largest share)."""
    scale = sum(weights)
    parts = [total * w // scale for w in weights]
    parts[max(range(len(weights)), key=weights.__getitem__)] += total - sum(parts)
    return parts


def _lines(session: Session, rng: random.Random, seed: int, region: str | None) -> list[dict[str, Any]]:
    """The loan lines of every demo bank (the market demo's banks), green or not, with drifting weights."""
    from greenfin.industry import service as industry

    codes = sorted(o.code for o in auth_repository.organisations(session, kind="bank"))
    counties = list(county_names(region))
    enterprises, _ = industry.list_enterprises(session, SYSTEM, limit=5000)
    lines: list[dict[str, Any]] = []
    for bank in codes:
        size = rng.randint(300, 3000)  # banks differ in size (thousandths)
        for n in range(LINES_TO_ENTERPRISES + PORTFOLIO_LINES):
            green = n % 2 == 0 if n < LINES_TO_ENTERPRISES else n < LINES_TO_ENTERPRISES + 5
            if n < LINES_TO_ENTERPRISES and enterprises:
                firm = enterprises[rng.randrange(len(enterprises))]
                kind, code, name = "enterprise", firm.uscc, firm.name
                county, industry_code = firm.county_code, firm.industry_code or None
            else:
                county = rng.choice(counties)
                kind = ("farm", "enterprise", "resident")[n % 3] if not green else rng.choice(("farm", "enterprise"))
                code = f"PF{_id(seed, bank, n)[:14].upper()}"
                name = f"{county_names(region)[county]}{PORTFOLIO_NAMES[kind]}"
                industry_code = None if kind == "resident" else rng.choice(INDUSTRIES)
            use = rng.choice(GREEN_USES) if green else None
            lines.append(
                {
                    "bank": bank,
                    "no": f"DEMO{n + 1:03d}",
                    "kind": kind,
                    "borrower": code,
                    "name": name,
                    "county": county,
                    "industry": industry_code,
                    "green_use": use,
                    "weight": size * rng.randint(200, 1800),  # millionths
                    "drift": rng.randint(-400, 800),  # thousandths of the weight gained over the period
                    "quality": rng.choices([q for q, _ in QUALITY], [w for _, w in QUALITY])[0],
                }
            )
    return lines


def add_stats_demo(session: Session, *, seed: int, region: str | None = None) -> dict[str, int]:
    """The demo loan book (monthly balances reproducing the seed), 36 divisions and 28 pilot banks."""
    targets = seed_targets()
    rng = random.Random(seed * 104729 + 7)
    lines = _lines(session, rng, seed, region)
    if not lines:
        return {"loans": 0, "balances": 0}
    start, end = date.fromisoformat(targets["start"]), date.fromisoformat(targets["end"])
    days = month_ends(start, end)
    steps = len(days) - 1
    green_path = _path(int(targets["green_start_fen"]), int(targets["green_end_fen"]), steps)
    other_path = [
        a - g
        for a, g in zip(
            _path(int(targets["all_start_fen"]), int(targets["all_end_fen"]), steps), green_path, strict=True
        )
    ]
    green_lines = [line for line in lines if line["green_use"]]
    other_lines = [line for line in lines if not line["green_use"]]
    banks: list[str] = []
    numbers: list[str] = []
    as_of: list[date] = []
    balance: list[int] = []
    quality: list[str] = []
    for k, day in enumerate(days):
        for group, total in ((green_lines, green_path[k]), (other_lines, other_path[k])):
            parts = _split(total, [line["weight"] * (1000 * steps + line["drift"] * k) for line in group])
            for line, part in zip(group, parts, strict=True):
                banks.append(line["bank"])
                numbers.append(line["no"])
                as_of.append(day)
                balance.append(part)
                quality.append(line["quality"] if 10 * k > 3 * steps else "normal")
    import_id = _id(seed, "demo-book")
    frame = pl.DataFrame(
        {"bank_code": banks, "loan_no": numbers, "as_of": as_of, "balance_fen": balance, "quality": quality}
    ).with_columns(pl.lit(import_id).alias("import_id"))
    peak = frame.group_by("bank_code", "loan_no").agg(pl.col("balance_fen").max())
    peaks = {(b, n): int(v) for b, n, v in peak.iter_rows()}
    loans = [
        {
            "id": _id(seed, "loan", line["bank"], line["no"]),
            "bank_code": line["bank"],
            "loan_no": line["no"],
            "borrower_kind": line["kind"],
            "borrower_code": line["borrower"],
            "borrower_name": line["name"],
            "application_id": None,
            "source": "reported",
            "amount_fen": peaks[(line["bank"], line["no"])],
            "rate_bp": 385 + rng.randrange(-60, 120, 5),
            "term_months": 120,
            "start_date": start,
            "maturity_date": date(start.year + 10, start.month, start.day),
            "green_use": line["green_use"],
            "green_catalogue": "2019" if line["green_use"] else None,
            "purpose": "演示贷款组合（月末余额）",
            "collateral": "none",
            "county_code": line["county"],
            "industry_code": line["industry"],
            # a green line's projects: total investment 1.5–3× the loan, 0.2–2 tCO2 a year per 万元 lent (demo)
            "project_investment_fen": peaks[(line["bank"], line["no"])] * rng.randint(15, 30) // 10
            if line["green_use"]
            else None,
            "annual_co2_reduction_g": peaks[(line["bank"], line["no"])] * rng.randint(2, 20) // 10
            if line["green_use"]
            else None,
        }
        for line in lines
    ]
    ratios = targets["benefit_ratios"]
    for loan in loans:  # the other six yearly benefits of each green line's project, in proportion to its CO2e
        for key in ("project_name", "benefits_basis", *BENEFIT_COLUMNS.values()):
            loan.setdefault(key, None)  # every row the same keys: one multi-row INSERT
        if loan["green_use"]:
            loan["project_name"] = f"{loan['borrower_name']}绿色项目（演示）"
            loan["benefits_basis"] = "演示数据：按项目二氧化碳减排量和演示比例推算"
            for name, ratio in ratios[loan["green_use"].split(".")[0]].items():
                loan[BENEFIT_COLUMNS[name]] = int(loan["annual_co2_reduction_g"] * Decimal(str(ratio)))
    written = market.load_book(session, SYSTEM, loans=loans, balances=frame)
    registered = _register_facts(session, rng, seed, sorted({line["bank"] for line in lines}), targets, region)
    written_sections = _disclosure(session, targets["disclosure"])
    return {"loans": len(loans), "balances": written, **registered, "disclosure_sections": written_sections}


def _disclosure(session: Session, texts: dict[str, Any]) -> int:
    """The demo ``bank`` login's own sections of its disclosure (through the bank's own writes)."""
    from greenfin.stats import disclosure

    user = auth_repository.user_by_username(session, "bank")
    if user is None or user.organisation_id is None:
        return 0
    bank = auth.principal_for_user(session, user)
    year = int(texts["year"])
    sections = [key for key in texts if key != "year"]
    for key in sections:
        disclosure.write_section(
            session, bank, bank_code=bank.organisation_code, year=year, section=key, text=texts[key]
        )
    return len(sections)


def _register_facts(
    session: Session, rng: random.Random, seed: int, banks: list[str], targets: dict[str, Any], region: str | None
) -> dict[str, int]:
    """The seed's divisions (one per pilot bank, the rest green branches) and pilot banks, set-based."""
    counties = county_names(region)
    pilots = banks[: int(targets["pilot_banks"])]
    names = auth.organisation_names(session, banks)
    divisions: list[dict[str, Any]] = []
    for i in range(int(targets["divisions"])):
        bank = pilots[i % len(pilots)]
        county_code = rng.choice(list(counties))
        first = i < len(pilots)
        divisions.append(
            {
                "id": _id(seed, "division", i),
                "bank_code": bank,
                "name": f"{names.get(bank, bank)}{'绿色金融事业部' if first else counties[county_code] + '绿色支行'}",
                "kind": "division" if first else "green_branch",
                "county_code": county_code,
                "established_on": date(2017 + i % 6, 1 + (i * 5) % 12, 1),
                "closed_on": None,
                "source": "演示数据（与论文口径一致：36 家绿色金融事业部）",
            }
        )
    session.execute(insert(GreenFinanceDivision), divisions)
    session.execute(
        insert(PilotBank),
        [
            {
                "id": _id(seed, "pilot", bank),
                "bank_code": bank,
                "designated_on": date(2017 + i % 3, 7, 1),
                "ended_on": None,
                "document": "演示数据（与论文口径一致：28 家试点银行）",
            }
            for i, bank in enumerate(pilots)
        ],
    )
    session.flush()
    return {"divisions": len(divisions), "pilot_banks": len(pilots)}
