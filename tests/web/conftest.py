"""Page tests: a live greenfin on a small seeded region, driven by Debian's chromium.

The region is built once per test worker, through the services (CSV imports and the
labelling batch), in a temporary SQLite file; uvicorn serves it from a background thread
on a free port of 127.0.0.1. Each test gets a fresh browser context (no cookies), and every
request the page makes is recorded so that tests can prove nothing leaves the machine.

The region: 24 enterprises in four counties and three industries, monthly energy for
2023–2025, clinker process emissions for the cement works, annual figures, labels for
every year. Their energy intensity is spread on purpose (0.5x to 2.6x of a base), so the
four labels all occur. Users: ``regulator``, ``admin``, ``bank``, ``resident`` and
``enterprise`` (acting for enterprise 0), password ``greenfin-demo``. On top, the demo farms
of ``greenfin demo`` (coverage 100 % / 10.7 % / 20 %) and the demo consents of ``enterprise``
and one pig farm to ``bank`` (``Region.extra`` names that farm and a farm held by a person),
and ``greenfin demo``'s personal carbon accounts for three residents (``resident`` owns the first,
with a grade consent to ``bank``) plus one reward no resident can afford.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, Request
from stdnum.cn import uscc as uscc_number

from greenfin.app import create_app
from greenfin.auth import service as auth
from greenfin.db import Base, import_all_models, make_engine, make_session_factory, session_scope
from greenfin.settings import Settings

PASSWORD = "greenfin-demo"

# What a Chinese page must never show (issue 12): snake_case identifiers, basis points, fen, 10^4.
ASCII_IDENTIFIERS = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b|\bbp\b|\bfen\b|10\^4")


def internal_identifiers(text: str) -> list[str]:
    """The internal identifiers a page's visible text shows, sorted; none on a Chinese page."""
    return sorted(set(ASCII_IDENTIFIERS.findall(text)))


YEARS = (2023, 2024, 2025)
COUNTIES = ("330802", "330803", "330822", "330881")
# (GB/T 4754 class, product unit, output per 10k yuan, energy mix in kgce per 10k yuan of output)
INDUSTRIES = (
    ("3011", "t", 2, {"raw_coal": 700, "electricity": 300}),  # cement, with clinker process CO2
    ("2221", "t", 1, {"natural_gas": 250, "electricity": 200}),  # paper
    ("2614", "t", 1, {"raw_coal": 300, "natural_gas": 150, "electricity": 250}),  # organic chemicals
)
ENTERPRISES = 24
KGCE = {"raw_coal": 0.7143, "natural_gas": 1.33, "electricity": 0.1229}  # GB/T 2589 coefficients
UNITS = {"raw_coal": "t", "natural_gas": "Nm3", "electricity": "kWh"}
SEASON = (0.95, 0.7, 1.0, 1.0, 1.02, 1.05, 1.12, 1.15, 1.05, 1.0, 0.98, 1.03)


def organisation_code(index: int) -> str:
    """A GB 11714 organisation code (8 digits and its check character) for ``index``."""
    body = f"{70_000_000 + index * 7919:08d}"
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    check = 11 - sum(w * int(c) for w, c in zip(weights, body, strict=True)) % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def make_uscc(index: int, county: str) -> str:
    """A valid unified social credit code (GB 32100) for enterprise ``index``."""
    first17 = f"91{county}{organisation_code(index)}"
    code = first17 + uscc_number.calc_check_digit(first17)
    assert uscc_number.is_valid(code), code
    return code


@dataclass(frozen=True)
class SeedEnterprise:
    index: int
    uscc: str
    name: str
    county: str
    industry: str
    product_unit: str
    output_yuan: int
    efficiency: float  # multiplies the industry's energy per output
    trend: float  # yearly change of efficiency


def seed_enterprises() -> list[SeedEnterprise]:
    words = ("绿源", "青山", "衢江", "钱塘", "仙霞", "三衢", "江郎", "烂柯")
    kinds = {"3011": "水泥", "2221": "纸业", "2614": "化工"}
    built = []
    for index in range(ENTERPRISES):
        county = COUNTIES[index % len(COUNTIES)]
        industry, unit, _, _ = INDUSTRIES[index % len(INDUSTRIES)]
        name = f"衢州{words[index % len(words)]}{kinds[industry]}有限公司{index:02d}"
        built.append(
            SeedEnterprise(
                index=index,
                uscc=make_uscc(index, county),
                name=name,
                county=county,
                industry=industry,
                product_unit=unit,
                output_yuan=100_000_000 * (1 + index % 5),
                # Spread 0.5x–2.6x, and every eighth firm far above its peers: all four labels occur.
                efficiency=(0.5 + ((index * 7) % ENTERPRISES) / ENTERPRISES * 2.1) * (4 if index % 8 == 5 else 1),
                trend=(-0.06, 0.0, 0.05)[(index // 3) % 3],
            )
        )
    return built


def _csv(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> bytes:
    lines = [",".join(header)] + [",".join(str(value) for value in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def region_files(enterprises: list[SeedEnterprise]) -> dict[str, bytes]:
    """The seed region as the CSV files an operator would import."""
    mixes = {code: mix for code, _, _, mix in INDUSTRIES}
    companies, energy, process, annual = [], [], [], []
    for e in enterprises:
        companies.append((e.uscc, e.name, e.county, e.industry))
        for year in YEARS:
            factor = e.efficiency * (1 + e.trend) ** (year - YEARS[0])
            wan = e.output_yuan / 10_000
            for energy_key, kgce_per_wan in mixes[e.industry].items():
                yearly = wan * kgce_per_wan * factor / KGCE[energy_key]  # in the energy's unit (kg → t for coal)
                if energy_key == "raw_coal":
                    yearly /= 1000
                for month, weight in enumerate(SEASON, start=1):
                    quality = ("metered", "declared", "audited")[(e.index + month) % 3]
                    quantity = round(yearly / 12 * weight, 3)
                    energy.append((e.uscc, year, month, energy_key, quantity, UNITS[energy_key], quality))
            if e.industry == "3011":
                process.append((e.uscc, year, "clinker_calcination", round(wan * 0.9 * factor, 3), "audited"))
            annual.append(
                (
                    e.uscc,
                    year,
                    e.output_yuan,
                    e.output_yuan // 4,
                    e.output_yuan // 20,
                    e.output_yuan // 400,
                    e.product_unit,
                )
            )
    return {
        "enterprises": _csv(("uscc", "name", "county_code", "industry_code"), companies),
        "energy": _csv(("uscc", "year", "month", "energy", "quantity", "unit", "data_quality"), energy),
        "process": _csv(("uscc", "year", "source", "tco2", "data_quality"), process),
        "annual": _csv(
            ("uscc", "year", "output_value_yuan", "added_value_yuan", "tax_yuan", "product_output", "product_unit"),
            annual,
        ),
    }


@dataclass
class Region:
    """What the tests know about the seeded region."""

    base_url: str
    enterprises: list[SeedEnterprise]
    own: SeedEnterprise  # the one the ``enterprise`` user acts for
    other: SeedEnterprise  # another enterprise, which that user may not see
    latest_year: int = YEARS[-1]
    extra: dict[str, Any] = field(default_factory=dict)


def build_region(settings: Settings) -> list[SeedEnterprise]:
    """Create the schema and seed the region and its users through the services."""
    from greenfin.industry import service as industry

    import_all_models()
    engine = make_engine(settings.database_url)
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    auth.install_audit(factory)
    enterprises = seed_enterprises()
    with session_scope(factory) as session:
        session.info["actor"] = auth.SYSTEM
        for kind, content in region_files(enterprises).items():
            industry.import_file(session, auth.SYSTEM, kind=kind, filename=f"seed-{kind}.csv", content=content)
        for year in YEARS:
            industry.label_all(session, auth.SYSTEM, year=year)
        platform = auth.create_organisation(session, kind="platform", name="greenfin", code="platform")
        regulator = auth.create_organisation(session, kind="regulator", name="衢州市金融办", code="regulator")
        bank = auth.create_organisation(session, kind="bank", name="衢州绿色银行", code="bank-001")
        own = enterprises[0]
        firm = auth.create_organisation(session, kind="enterprise", name=own.name, code=own.uscc)
        for username, role, organisation in (
            ("admin", "admin", platform),
            ("regulator", "regulator", regulator),
            ("bank", "bank", bank),
            ("enterprise", "enterprise", firm),
            ("resident", "resident", None),
        ):
            auth.create_user(session, username=username, password=PASSWORD, role=role, organisation=organisation)
    engine.dispose()
    return enterprises


def add_farm_and_finance_demo(settings: Settings) -> dict[str, Any]:
    """The demo farms (coverage 100 % / 10.7 % / 20 %) and the demo consents to ``bank``; some farm ids."""
    from sqlalchemy import select

    from greenfin.agriculture.demo import add_agriculture_demo
    from greenfin.agriculture.models import Farm
    from greenfin.finance.demo import add_finance_demo

    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)
    auth.install_audit(factory)
    with session_scope(factory) as session:
        session.info["actor"] = auth.SYSTEM
        add_agriculture_demo(session, seed=4, secret_key=settings.secret_key)
        consents = add_finance_demo(session, seed=4)
        pig_farm = next(c.subject_ref for c in consents if c.subject_kind == "farm")
        held = session.scalar(
            select(Farm.id)
            .where(Farm.holder_id_masked.is_not(None), Farm.account_opened_at.is_not(None))
            .order_by(Farm.id)
            .limit(1)
        )
    engine.dispose()
    return {"pig_farm": pig_farm, "held_farm": held}


PERSONAL_RESIDENTS = 3
EXPENSIVE_REWARD = "village_solar_roof"  # priced far beyond any demo balance: the refusal is certain


def add_personal_seed(settings: Settings) -> dict[str, Any]:
    """``greenfin demo``'s personal accounts for a few residents (the ``resident`` login owns the
    first, with a grade consent to ``bank``), and one reward no resident can afford."""
    from datetime import timedelta

    from greenfin.auth import repository as auth_repository
    from greenfin.personal import service as personal
    from greenfin.personal.demo import add_personal_demo

    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)
    auth.install_audit(factory)
    with session_scope(factory) as session:
        session.info["actor"] = auth.SYSTEM
        resident = auth_repository.user_by_username(session, "resident")
        assert resident is not None
        add_personal_demo(
            session,
            residents=PERSONAL_RESIDENTS,
            seed=4,
            settings=settings,
            resident_user_id=resident.id,
            bank_code="bank-001",
        )
        personal.create_reward(
            session,
            auth.SYSTEM,
            code=EXPENSIVE_REWARD,
            kind="consumer_voucher",
            name_zh="屋顶光伏一套",
            name_en="A rooftop solar system",
            points_price=10_000_000,
            stock=1,
            valid_from=personal.today() - timedelta(days=1),
        )
    engine.dispose()
    return {"expensive_reward": EXPENSIVE_REWARD}


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def served(settings: Settings) -> Iterator[str]:
    """The platform for ``settings`` served by uvicorn on a free local port while the block runs: its base URL."""
    app = create_app(settings)
    sock = _free_socket()
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", ws="none", lifespan="off", access_log=False, loop="asyncio")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        app.state.engine.dispose()


@pytest.fixture(scope="session")
def region(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Region]:
    """The seeded region served by uvicorn on a free local port (one per test worker)."""
    path: Path = tmp_path_factory.mktemp("web") / "greenfin.db"
    settings = Settings(environment="test", database_url=f"sqlite:///{path}")
    enterprises = build_region(settings)
    extra = add_farm_and_finance_demo(settings)
    extra |= add_personal_seed(settings)
    own = enterprises[0]
    other = next(e for e in enterprises if e.county != own.county)
    with served(settings) as base_url:
        yield Region(base_url=base_url, enterprises=enterprises, own=own, other=other, extra=extra)


@dataclass
class Visit:
    """A browser page on the live server and every URL it requested."""

    page: Page
    base_url: str
    requests: list[str]

    def go(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def login(self, username: str, password: str = PASSWORD) -> None:
        self.go("/login")
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        with self.page.expect_navigation():
            self.page.click("button[type=submit]")


@pytest.fixture
def visit(browser: Browser, region: Region) -> Iterator[Visit]:
    """A fresh browser context (no cookies, Chinese locale) on the live server."""
    # Reduced motion: the pages then draw charts without animation (steady screenshots).
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
    context.set_default_timeout(10_000)
    page = context.new_page()
    requests: list[str] = []

    def record(request: Request) -> None:
        requests.append(request.url)

    page.on("request", record)
    yield Visit(page=page, base_url=region.base_url, requests=requests)
    context.close()
