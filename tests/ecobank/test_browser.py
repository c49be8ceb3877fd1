"""The registry and an asset's page in Debian's chromium: filter by kind, open an asset, export, all local.

A small region of its own (an admin, an ecological bank of 常山, two assets with valuations)
is served by uvicorn from a temporary SQLite file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from greenfin.auth import service as auth
from greenfin.db import Base, import_all_models, make_engine, make_session_factory, session_scope
from greenfin.ecobank import service
from greenfin.ecobank.schemas import AssetCreate, OperatorCreate, PledgeCreate, ValuationCreate
from greenfin.market import service as market
from greenfin.market.schemas import LoanCreate
from greenfin.settings import Settings
from tests.ecobank.test_pledges import _loan_body
from tests.ecobank.test_registry import asset_body
from tests.web.conftest import PASSWORD, internal_identifiers, served

pytestmark = pytest.mark.browser


def _seed(settings: Settings) -> dict[str, str]:
    import_all_models()
    engine = make_engine(settings.database_url)
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    auth.install_audit(factory)
    with session_scope(factory) as session:
        session.info["actor"] = auth.SYSTEM
        platform = auth.create_organisation(session, kind="platform", name="greenfin", code="platform")
        bank = auth.create_organisation(session, kind="enterprise", name="常山两山银行", code="91330822MA2EBANK01")
        auth.create_user(session, username="admin", password=PASSWORD, role="admin", organisation=platform)
        auth.create_user(session, username="ecobank", password=PASSWORD, role="enterprise", organisation=bank)
        operator = OperatorCreate(organisation_code=bank.code, name=bank.name, county_code="330822")
        service.register_operator(session, auth.SYSTEM, operator_in=operator)
        orchard = service.register_asset(
            session, auth.SYSTEM, asset_in=AssetCreate.model_validate(asset_body("B-1")), secret_key="k"
        )
        forest_in = asset_body(
            "B-2", kind="forest_right", crop=None, name="开化林场林权", county_code="330824",
            township_code="330824100", village_code="330824100001", area_mu="300",
        )  # fmt: skip
        forest = service.register_asset(
            session, auth.SYSTEM, asset_in=AssetCreate.model_validate(forest_in), secret_key="k"
        )
        for asset, method, inputs in (
            (orchard, "income", {"annual_net_income": 520000, "years": 20, "rate": "0.08"}),
            (forest, "income", {"annual_net_income": 90000, "years": 30, "rate": "0.06"}),
            (forest, "gep", {"quantities": {"water_retention": 60000}}),
        ):
            valuation = ValuationCreate(
                method=method, inputs=inputs, valuer="衢州林业资产评估事务所", valued_on=date(2026, 6, 30)
            )
            service.appraise(session, auth.SYSTEM, asset_id=asset.id, valuation_in=valuation)
        lender_org = auth.create_organisation(session, kind="bank", name="常山农商银行", code="cs_rcb")
        auth.create_user(session, username="lender", password=PASSWORD, role="bank", organisation=lender_org)
        auth.create_user(session, username="firm", password=PASSWORD, role="enterprise", organisation=platform)
        lender = auth.Principal(actor="user:lender", role="bank", organisation_kind="bank", organisation_code="cs_rcb")
        loan = market.report_loan(session, lender, loan_in=LoanCreate.model_validate(_loan_body("HYD-B-1")))
        consent = service.add_document(
            session,
            auth.SYSTEM,
            asset_id=orchard.id,
            filename="太公山村质押同意书.pdf",
            content_type="application/pdf",
            content=b"%PDF-1.4 consent",
            kind="pledge_consent",
        )
        pledge_in = PledgeCreate(
            asset_id=orchard.id, loan_id=loan.id, amount_fen=100_000_000, consent_document_id=consent.id
        )
        service.pledge_asset(session, lender, pledge_in=pledge_in)
        ids = {"orchard": orchard.id, "forest": forest.id}
    engine.dispose()
    return ids


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    path: Path = tmp_path_factory.mktemp("ecobank") / "greenfin.db"
    settings = Settings(environment="test", database_url=f"sqlite:///{path}", posting_interval_seconds=0)
    ids = _seed(settings)
    with served(settings) as base:
        yield {"base": base, **ids}


@pytest.fixture
def page(browser: Browser, live: dict[str, Any]) -> Iterator[Page]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
    context.set_default_timeout(10_000)
    opened = context.new_page()
    requested: list[str] = []
    opened.on("request", lambda request: requested.append(request.url))
    opened.requested = requested  # type: ignore[attr-defined]
    yield opened
    context.close()


def _login(page: Page, base: str, username: str, then: str = "/ecobank/assets") -> None:
    page.goto(f"{base}/login?next={then}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")


def test_staff_filter_open_and_export(page: Page, live: dict[str, Any]) -> None:
    base = live["base"]
    _login(page, base, "admin")
    expect(page.locator("h1")).to_have_text("两山银行 · 生态资源资产登记簿")
    rows = page.locator("#asset-table tbody tr")
    expect(rows).to_have_count(2)
    page.select_option("#kind", "forest_right")  # htmx swaps the table
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("开化林场林权")
    expect(rows.first).to_contain_text("林权")
    expect(page).to_have_url(re.compile(r"/ecobank/assets\?.*kind=forest_right"))
    with page.expect_download() as download:
        page.click("#export")
    assert download.value.suggested_filename.startswith("两山银行") and download.value.suggested_filename.endswith(
        ".csv"
    )
    page.click("#asset-table tbody tr a")
    expect(page.locator("#asset-name")).to_have_text("开化林场林权")
    expect(page.locator("#gep-value")).to_contain_text("/ 年")
    expect(page.locator("#valuations tbody tr")).to_have_count(2)
    expect(page.locator("#ltv")).to_have_text("评估价值的 60%")
    local = page.requested  # type: ignore[attr-defined]
    assert all(url.startswith(base) or url.startswith("data:") for url in local)  # nothing leaves the machine


def test_ecological_bank_sees_its_county(page: Page, live: dict[str, Any]) -> None:
    _login(page, live["base"], "ecobank")
    rows = page.locator("#asset-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("同弓乡胡柚园")
    page.goto(f"{live['base']}/ecobank/assets/{live['forest']}")
    expect(page.locator("main")).to_contain_text("403")


def test_the_dashboard_in_chinese_and_english(page: Page, live: dict[str, Any]) -> None:
    """Two assets (a 常山 orchard and a 开化 forest), one pledge of 100 万元 on a loan of 400 万元."""
    base = live["base"]
    _login(page, base, "admin", "/ecobank")
    expect(page.locator("h1")).to_have_text("两山银行概览")
    expect(page.locator("#tile-assets")).to_have_text("2")
    expect(page.locator("#tile-loans")).to_have_text("1")
    expect(page.locator("#tiles")).to_contain_text("400.00 万元")  # the loan secured, in 万元
    expect(page.locator("#chart-counties")).to_have_attribute("data-rendered", "true")
    expect(page.locator("#by-county tbody tr")).to_have_count(2)
    expect(page.locator("#by-county")).to_contain_text("开化县")
    body = page.locator("main").inner_text()
    assert "forest_right" not in body and "eco." not in body and "330824" not in body  # names, never codes or keys
    page.click("#by-kind tbody tr[data-key=forest_right] a")
    expect(page).to_have_url(re.compile(r"/ecobank/assets\?kind=forest_right"))
    expect(page.locator("#asset-table tbody tr")).to_have_count(1)
    page.goto(f"{base}/ecobank")
    page.click("#lang-switch")
    expect(page.locator("h1")).to_have_text("Two Mountains Bank overview")
    expect(page.locator("#tiles")).to_contain_text("4.00 m yuan")
    local = page.requested  # type: ignore[attr-defined]
    assert all(url.startswith(base) or url.startswith("data:") for url in local)


def test_the_ecological_bank_sees_its_county_and_others_are_refused(page: Page, live: dict[str, Any]) -> None:
    _login(page, live["base"], "ecobank", "/ecobank")
    expect(page.locator("#tile-assets")).to_have_text("1")
    expect(page.locator("#by-county tbody tr")).to_have_count(1)
    expect(page.locator("#county")).to_have_count(0)  # no county to choose
    page.context.clear_cookies()
    _login(page, live["base"], "firm", "/ecobank")
    expect(page.locator("main")).to_contain_text("403")


def test_the_lending_bank_sees_what_is_pledged_to_it_with_the_consent(page: Page, live: dict[str, Any]) -> None:
    _login(page, live["base"], "lender", "/home")
    page.click("#nav-pledged")
    rows = page.locator("#asset-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("同弓乡胡柚园")
    page.click("#asset-table tbody tr a")
    expect(page.locator("#pledges tbody tr")).to_have_count(1)
    expect(page.locator("#pledges")).to_contain_text("太公山村质押同意书.pdf")
    expect(page.locator("#pledges")).to_contain_text("常山农商银行")
    expect(page.locator("#documents li[data-kind=pledge_consent]")).to_contain_text("权利人质押同意书")


@pytest.mark.parametrize(
    ("username", "paths"),
    [
        ("admin", ["/ecobank", "/ecobank/assets", "/ecobank/assets/{orchard}", "/ecobank/assets/{forest}"]),
        ("ecobank", ["/ecobank", "/ecobank/assets", "/ecobank/assets/{orchard}"]),
        ("lender", ["/ecobank/assets", "/ecobank/assets/{orchard}"]),
    ],
)
def test_the_chinese_pages_show_no_internal_identifiers(
    page: Page, live: dict[str, Any], username: str, paths: list[str]
) -> None:
    _login(page, live["base"], username, "/home")
    found = {}
    for path in paths:
        page.goto(live["base"] + path.format(**live))
        expect(page.locator(".status-code")).to_have_count(0)
        if identifiers := internal_identifiers(page.locator("body").inner_text()):
            found[path] = identifiers
    assert found == {}
