"""Demo residents of the personal carbon account: N accounts and a year of events, set-based.

Called by ``greenfin demo --residents N``. Residents get valid, deterministic ID numbers
(:func:`greenfin.auth.rules.synthetic_id_number`); the events of the last 365 days
are written to a temporary CSV and posted through the same bulk intake as a bank's file, so
the demo exercises the production path (caps, ledger chain) and is as fast.
"""

from __future__ import annotations

import csv
import random
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from greenfin.auth import rules as identity
from greenfin.auth import service as auth
from greenfin.auth.service import SYSTEM
from greenfin.clock import BEIJING
from greenfin.db import new_id, utcnow
from greenfin.personal import repository as repo
from greenfin.personal import service
from greenfin.personal.intake import ingest_file
from greenfin.personal.models import Account
from greenfin.region import service as region_service
from greenfin.settings import Settings

DEMO_SOURCE = "QZ-PAY-DEMO"
NAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
# Relative frequency of each scenario in the demo (daily habits are common, loans rare).
WEIGHTS = {
    "online_transfer": 20,
    "qr_payment": 30,
    "ecny_payment": 6,
    "utility_bill_online": 2,
    "phone_bill_online": 2,
    "e_statement": 3,
    "e_receipt": 8,
    "online_loan": 0.2,
    "online_account_service": 0.5,
    "online_tax": 0.5,
    "bus_ride": 12,
    "metro_ride": 2,
    "shared_bike": 6,
    "etc_toll": 3,
    "hospital_booking": 0.6,
    "online_ticket_travel": 0.6,
    "online_ticket_event": 0.8,
    "recycling_pickup": 0.4,
}
# ``{short}`` and ``{county}`` in a provider are the region's short name and first county (衢州, 柯城区).
REWARDS: list[dict[str, Any]] = [
    {
        "code": "huyou_box",
        "kind": "consumer_voucher",
        "name_zh": "常山胡柚一箱",
        "name_en": "A box of Changshan huyou",
        "points_price": 2500,
        "stock": 500,
        "provider": "{county}再生资源回收站",
    },
    {
        "code": "supermarket_20",
        "kind": "consumer_voucher",
        "name_zh": "超市20元代金券",
        "name_en": "20-yuan supermarket voucher",
        "points_price": 1000,
        "stock": 2000,
        "provider": "{short}本地超市",
    },
    {
        "code": "housekeeping_2h",
        "kind": "household_service",
        "name_zh": "绿色家政服务2小时",
        "name_en": "Green housekeeping, 2 hours",
        "points_price": 3000,
        "stock": 300,
        "provider": "{short}家政服务中心",
    },
    {
        "code": "bus_month",
        "kind": "public_service",
        "name_zh": "公交月卡优惠券",
        "name_en": "Bus monthly-pass discount",
        "points_price": 800,
        "stock": 1000,
        "provider": "{short}公交集团",
    },
    {
        "code": "credit_uplift_50kg",
        "kind": "credit_uplift",
        "name_zh": "绿色信用等级提升(+50千克)",
        "name_en": "Green-credit uplift (+50 kg)",
        "points_price": 5000,
        "stock": 100,
        "uplift_co2_g": 50_000,
        "uplift_days": 365,
        "provider": None,
    },
]


def add_personal_demo(
    session: Session,
    *,
    residents: int,
    seed: int,
    settings: Settings,
    resident_user_id: str | None = None,
    bank_code: str | None = None,
    events_per_day: float = 1.5,
    days: int = 365,
) -> dict[str, int]:
    """Add ``residents`` accounts, rewards and ``days`` of events; the demo resident login owns the first."""
    rng = random.Random(seed)
    now = utcnow()
    source = bank_code or DEMO_SOURCE
    region = region_service.current_region(settings.region)
    if repo.organisation_by_code(session, source) is None:
        auth.create_organisation(
            session,
            kind="data_source",
            name=f"{region.short_name}支付数据源(演示)",
            code=source,
            region_code=region.code,
        )
    numbers = identity.synthetic_id_numbers(rng, residents, region.county_codes)
    digest = identity.hasher(settings.secret_key)
    rows: list[dict[str, Any]] = []
    for i, number in enumerate(numbers):
        rows.append(
            {
                "ref": new_id(),
                "id_hash": digest(number),
                "id_masked": identity.mask_id_number(number),
                "name_masked": identity.mask_name(rng.choice(NAMES) + "某某"[: rng.randint(1, 2)]),
                "phone_masked": identity.mask_phone(f"13{rng.randrange(10**9):09d}"),
                "user_id": resident_user_id if i == 0 else None,
                "opened_at": now - timedelta(days=days + 1),
                "consent_ref": f"DEMO-{i:07d}",
                "consent_channel": "demo",
                "consent_at": now - timedelta(days=days + 1),
                "consent_by": "demo",
                "enrolled_by": source,
            }
        )
    fresh = [r for r in rows if r["id_hash"] not in repo.existing_hashes(session, [r["id_hash"]])]
    repo.insert_accounts(session, fresh)
    for reward in REWARDS:
        if repo.reward_by_code(session, reward["code"]) is None:
            provider = reward["provider"] and reward["provider"].format(
                short=region.short_name, county=region.counties[0].name_zh
            )
            service.create_reward(
                session, SYSTEM, valid_from=(now - timedelta(days=days)).date(), **(reward | {"provider": provider})
            )
    if bank_code and resident_user_id:
        account = repo.account_by_user(session, resident_user_id)
        if account is not None:
            service.grant_consent_for(
                session, account=account, bank_code=bank_code, days=365, consent_ref="DEMO-CONSENT", by="demo", now=now
            )
    codes = list(WEIGHTS)
    weights = list(WEIGHTS.values())
    today = now.astimezone(BEIJING).date()
    events = 0
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "personal-demo-events.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(("source", "external_id", "id_number", "scenario", "occurred_at", "amount_fen"))
            for i, number in enumerate(numbers):
                activity = events_per_day * (3.0 if i == 0 else rng.uniform(0.2, 1.8))
                for day_back in range(days, 0, -1):
                    day = today - timedelta(days=day_back)
                    for _ in range(_poisson(rng, activity)):
                        at = datetime(
                            day.year, day.month, day.day, rng.randrange(6, 23), rng.randrange(60), tzinfo=BEIJING
                        )
                        events += 1
                        writer.writerow(
                            (
                                source,
                                f"demo-{seed}-{events}",
                                number,
                                rng.choices(codes, weights)[0],
                                at.isoformat(),
                                rng.randrange(100, 50_000),
                            )
                        )
        summary = ingest_file(session, SYSTEM, settings=settings, path=path, now=now)
    return {"residents": len(fresh), "events": summary["accepted"], "duplicates": summary["duplicates"]}


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method: fine for the small daily means of the demo.
    limit, k, p = pow(2.718281828459045, -mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


__all__ = ["Account", "add_personal_demo"]
