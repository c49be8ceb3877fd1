"""Rewards and redemption: overspend and out-of-stock refused, also under concurrent requests."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from greenfin.auth import service as auth
from greenfin.auth.service import SYSTEM
from greenfin.db import Base, import_all_models, make_engine, make_session_factory, session_scope
from greenfin.errors import Conflict
from greenfin.personal import service
from greenfin.settings import Settings
from tests.conftest import make_user
from tests.personal.conftest import ID_A, Bank, Resident, deliver, event, make_bank, make_resident

VOUCHER = {
    "code": "huyou_box",
    "kind": "consumer_voucher",
    "name_zh": "胡柚一箱",
    "name_en": "A box of huyou",
    "points_price": 100,
    "stock": 1,
    "valid_from": date(2026, 1, 1),
}


def fund(session: Session, settings: Settings, bank: Bank, n: int) -> None:
    """``n`` recycling pickups on different days: 210 points each."""
    events = [event(f"F{i}", scenario="recycling_pickup", at=f"2026-02-{i + 1:02}T09:00:00+08:00") for i in range(n)]
    assert deliver(session, bank.principal, settings=settings, events=events).accepted == n


def test_redeem_spends_points_and_stock(
    client: TestClient, session: Session, settings: Settings, bank: Bank, resident: Resident
) -> None:
    service.create_reward(session, SYSTEM, **VOUCHER)
    fund(session, settings, bank, 1)  # 210 points
    session.commit()
    response = client.post(
        "/api/v1/personal/accounts/me/redemptions", json={"reward_code": "huyou_box"}, headers=resident.headers
    )
    assert response.status_code == 201, response.text
    assert (response.json()["points"], response.json()["balance_after"]) == (100, 110)
    again = client.post(
        "/api/v1/personal/accounts/me/redemptions", json={"reward_code": "huyou_box"}, headers=resident.headers
    )
    assert again.status_code == 409 and "out of stock" in again.json()["detail"]
    history = client.get("/api/v1/personal/accounts/me/history?kind=redeem", headers=resident.headers).json()
    assert [(e["kind"], e["points"], e["seq"]) for e in history["items"]] == [("redeem", -100, 2)]
    assert service.verify(session)[2] == []


def test_overspending_is_refused(session: Session, settings: Settings, bank: Bank, resident: Resident) -> None:
    service.create_reward(session, SYSTEM, **{**VOUCHER, "points_price": 211, "stock": 5})
    fund(session, settings, bank, 1)  # 210 < 211
    with pytest.raises(Conflict, match="not enough points: 211 needed, 210 available"):
        service.redeem(session, resident.principal, reward_code="huyou_box")


def test_a_credit_uplift_raises_the_grade(session: Session, settings: Settings, bank: Bank, resident: Resident) -> None:
    service.create_reward(
        session,
        SYSTEM,
        **{
            **VOUCHER,
            "code": "uplift",
            "kind": "credit_uplift",
            "points_price": 200,
            "stock": 9,
            "uplift_co2_g": 50_000,
            "uplift_days": 365,
        },
    )
    fund(session, settings, bank, 1)
    acc = service.account_for(session, resident.principal, "me")
    assert service.account_grade(session, acc)[0].code == "light_green"
    service.redeem(session, resident.principal, reward_code="uplift")
    found, uplift = service.account_grade(session, acc)
    assert (found.code, uplift, found.avoided_co2_g) == ("mid_green", 50_000, 52_100)


# --- concurrency on a real, committed PostgreSQL database --------------------------------------


def _race(url: str, *, balance_recyclings: int, price: int, stock: int, attempts: int) -> tuple[int, int, int]:
    import_all_models()
    engine = make_engine(url, pool_size=attempts, max_overflow=0)
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    auth.install_audit(factory)
    settings = Settings(environment="test", database_url=url)
    with session_scope(factory) as session:
        bank = make_bank(session, "QZB01")
        resident = make_resident(session, settings, "racer", ID_A)
        service.create_reward(session, SYSTEM, **{**VOUCHER, "points_price": price, "stock": stock})
        fund(session, settings, bank, balance_recyclings)
        make_user(session, "unused", "resident")
    barrier = threading.Barrier(attempts)
    outcomes: list[str] = []

    def redeem_once() -> None:
        barrier.wait()
        try:
            with session_scope(factory) as session:
                service.redeem(session, resident.principal, reward_code="huyou_box")
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc.detail)

    threads = [threading.Thread(target=redeem_once) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with session_scope(factory) as session:
        acc = service.account_for(session, resident.principal, "me")
        left = service.balance_as_of(session, acc, as_of=None)
        stock_left = session.execute(text("SELECT stock FROM personal_reward")).scalar_one()
        assert service.verify(session)[2] == []
    engine.dispose()
    return outcomes.count("ok"), left, stock_left


def test_parallel_redemptions_never_overspend(committed_postgres: str) -> None:
    # 2 pickups = 420 points; price 100, plenty of stock: exactly 4 of 12 succeed, 20 points left.
    assert _race(committed_postgres, balance_recyclings=2, price=100, stock=50, attempts=12) == (4, 20, 46)


def test_parallel_redemptions_never_oversell(committed_postgres: str) -> None:
    # 10 pickups = 2,100 points; price 100 but only 3 in stock: exactly 3 succeed.
    assert _race(committed_postgres, balance_recyclings=10, price=100, stock=3, attempts=12) == (3, 1800, 0)
