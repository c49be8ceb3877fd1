"""Demo farms of the region's counties (the region file's towns), with three years of practice records.

The register is sized so that coverage reproduces the paper exactly (first batch of the
agricultural carbon account, 2021)::

    category                      registered   with account   share
    organic-fertiliser producers        12           12       100 %
    pig farms                         1000          107       10.7 %
    large grain growers                320           64       20 %
    (cooperatives                       30           12       not in the paper)

183 farms with an account in the three paper categories — the paper's "180+ large farms by
mid-2021". Every farm with an account has a baseline and practice records for 2022–2024,
varied so that all three labels occur; everything is deterministic for a given ``seed``.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session
from stdnum.cn import uscc as uscc_std

from greenfin.agriculture import service
from greenfin.agriculture.models import Farm
from greenfin.auth import rules as identity
from greenfin.auth.service import SYSTEM, record
from greenfin.db import new_id, utcnow
from greenfin.region import service as region_service

REGISTER: dict[str, tuple[int, int]] = {
    "organic_fertiliser_producer": (12, 12),
    "pig_farm": (1000, 107),
    "grain_grower": (320, 64),
    "cooperative": (30, 12),
}
"""Per farm type: (registered, with an account)."""

YEARS = (2022, 2023, 2024)
_NAME = {
    "organic_fertiliser_producer": "有机肥有限公司",
    "pig_farm": "生猪养殖场",
    "grain_grower": "种粮大户",
    "cooperative": "粮油专业合作社",
}


def demo_uscc(county: str, farm_type: str, index: int) -> str:
    """A valid, deterministic USCC for demo farm ``index`` (farmer cooperatives use 93, companies 91)."""
    kind = "93" if farm_type == "cooperative" else "91"
    body = f"{kind}{county}MAN{index:06d}"
    return body + uscc_std.calc_check_digit(body)


def add_agriculture_demo(
    session: Session, *, seed: int, secret_key: str | None = None, region_code: str | None = None
) -> dict[str, int]:
    """Register the demo farms of the region, open the accounts and import three years of records; counts per type."""
    region = region_service.current_region(region_code)
    counties = region.counties
    if secret_key is None:
        from greenfin.settings import get_settings

        secret_key = get_settings().secret_key
    rng = random.Random(seed)
    now = utcnow()
    farms: list[dict[str, Any]] = []
    index = 0
    for farm_type, (registered, with_account) in REGISTER.items():
        for i in range(registered):
            index += 1
            where = counties[i % len(counties)]
            county, county_name = where.code, where.name_zh
            township = rng.choice(where.townships or (county_name,))
            row: dict[str, Any] = {
                "id": new_id(),
                "farm_type": farm_type,
                "county_code": county,
                "township": township,
                "registered_at": now,
                "account_opened_at": now if i < with_account else None,
                "area_mu_milli": None,
                "herd_heads": None,
                "uscc": None,
                "holder_id_hash": None,
                "holder_id_masked": None,
            }
            if farm_type == "pig_farm":
                row["herd_heads"] = rng.randrange(500, 6000, 50)
            elif farm_type in ("grain_grower", "cooperative"):
                row["area_mu_milli"] = rng.randrange(150, 1500, 10) * 1000
            if farm_type == "grain_grower" and i % 2 == 1:
                # Half the large grain growers are people, known by their ID number only.
                number = identity.synthetic_id_number(rng, index, region.county_codes)
                row["holder_id_hash"] = identity.id_hash(number, secret_key)
                row["holder_id_masked"] = identity.mask_id_number(number)
                row["organisation_code"] = f"farm-{row['id']}"
                row["name"] = f"{county_name}{township}{rng.choice('王李张刘陈杨徐汪')}某家庭农场"
            else:
                row["uscc"] = demo_uscc(county, farm_type, index)
                row["organisation_code"] = row["uscc"]
                row["name"] = f"{county_name}{township}{_suffix(rng)}{_NAME[farm_type]}"
            farms.append(row)
    # Holder hashes of synthetic people may collide only if division, birthday and sequence do.
    hashes = [row["holder_id_hash"] for row in farms if row["holder_id_hash"]]
    assert len(hashes) == len(set(hashes))
    session.execute(insert(Farm), farms)
    record(session, SYSTEM, action="demo", entity_type="agriculture_farm", after={"farms": len(farms)})
    session.flush()

    rows: list[tuple[dict[str, str], int]] = []
    line = 1
    by_key: dict[str, Farm] = {}
    for row in farms:
        if row["account_opened_at"] is None:
            continue
        farm = session.get(Farm, row["id"])
        assert farm is not None
        by_key[farm.id] = farm
        for year in YEARS:
            for raw in _records(rng, row, year):
                line += 1
                rows.append((raw, line))
    service._validate_and_store(session, SYSTEM, rows, by_key, filename="demo", content=f"demo:{seed}".encode())
    return {farm_type: registered for farm_type, (registered, _) in REGISTER.items()}


def _suffix(rng: random.Random) -> str:
    return rng.choice(("绿源", "丰收", "金土", "清溪", "田园", "兴农", "衢粮", "钱江", "乌溪", "常丰"))


def _row(farm_id: str, year: int, practice: str, quality: str, **values: Any) -> dict[str, str]:
    row = {"farm": farm_id, "year": str(year), "season": "", "practice": practice, "data_quality": quality}
    row.update({k: str(v) for k, v in values.items()})
    return row


def _records(rng: random.Random, farm: dict[str, Any], year: int) -> list[dict[str, str]]:
    """One year of a farm's baseline and records; ``step`` improves them a little each year."""
    fid, kind = farm["id"], farm["farm_type"]
    step = YEARS.index(year)
    quality = rng.choice(("metered", "declared", "audited"))
    if kind == "organic_fertiliser_producer":
        product = rng.randrange(3000, 20000, 100)
        cut_per_t = rng.choice((22, 24, 27, 30, 35)) + step  # kg chemical N replaced per t of product
        return [
            _row(fid, year, "baseline", quality, product_t=product, chemical_n_kg=product * cut_per_t),
            _row(
                fid,
                year,
                "organic_fertiliser_substitution",
                quality,
                applied_t=product,
                n_content_pct="2.0",
                chemical_n_before_kg=product * cut_per_t,
                chemical_n_after_kg=0,
            ),
        ]
    if kind == "pig_farm":
        herd = farm["herd_heads"]
        served = herd * rng.choice((5, 15, 40, 60, 85, 100)) // 100
        served = min(herd, served + herd * step // 20)
        produced = served * 40
        used = produced * 9 // 10
        return [
            _row(fid, year, "baseline", quality, herd_heads=herd),
            _row(
                fid,
                year,
                "biogas_project",
                quality,
                digester_volume_m3=max(50, served // 5),
                manure_treated_t=Decimal(served) * Decimal("1.5"),
                heads_served=served,
                biogas_produced_m3=produced,
                biogas_used_m3=used,
                days=365,
            ),
        ]
    area = Decimal(farm["area_mu_milli"]) / 1000
    n_per_mu = 15
    cut = rng.choice((0, 1, 2, 3, 5)) + step  # kg chemical N cut per mu
    straw_share = rng.choice((0, 20, 50, 80, 100))
    result = [_row(fid, year, "baseline", quality, chemical_n_kg=area * n_per_mu, area_mu=area)]
    if cut:
        result.append(
            _row(
                fid,
                year,
                "organic_fertiliser_substitution",
                quality,
                applied_t=area * Decimal("0.1"),  # 100 kg/mu of organic fertiliser at 2 % N = 2 kg N/mu
                n_content_pct="2.0",
                chemical_n_before_kg=area * n_per_mu,
                chemical_n_after_kg=area * (n_per_mu - cut),
            )
        )
    if straw_share:
        straw_area = area * straw_share / 100
        result.append(
            _row(
                fid,
                year,
                "straw_return",
                quality,
                crop="rice",
                straw_t=straw_area * Decimal("0.4"),  # 400 kg of straw per mu
                area_mu=straw_area,
            )
        )
    return result
