"""The statistics dashboard and the evaluation page in Debian's chromium, served from a small book.

The book is test_book_statistics' (the 金沙县农信社 2024 disclosure): 211,672.44 万元 green of
773,363.21 万元 on 2024-12-31 (27.37 %), growth 60.43 %; bank A 150,000 万元 of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from greenfin.auth import service as auth
from greenfin.db import Base, import_all_models, make_engine, make_session_factory, session_scope
from greenfin.settings import Settings
from tests.stats.test_book_statistics import _book
from tests.web.conftest import PASSWORD, internal_identifiers, served

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path: Path = tmp_path_factory.mktemp("stats") / "greenfin.db"
    settings = Settings(environment="test", database_url=f"sqlite:///{path}", posting_interval_seconds=0)
    import_all_models()
    engine = make_engine(settings.database_url)
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    auth.install_audit(factory)
    with session_scope(factory) as session:
        session.info["actor"] = auth.SYSTEM
        platform = auth.create_organisation(session, kind="platform", name="greenfin", code="platform")
        bank = auth.create_organisation(session, kind="bank", name="金沙农信社城关支行", code="bank-a")
        auth.create_user(session, username="regulator", password=PASSWORD, role="regulator", organisation=platform)
        auth.create_user(session, username="banker", password=PASSWORD, role="bank", organisation=bank)
        _book(session)
    engine.dispose()
    with served(settings) as base:
        yield base


@pytest.fixture
def page(browser: Browser, live: str) -> Iterator[Page]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
    context.set_default_timeout(10_000)
    opened = context.new_page()
    requested: list[str] = []
    opened.on("request", lambda request: requested.append(request.url))
    opened.requested = requested  # type: ignore[attr-defined]
    yield opened
    context.close()


def _login(page: Page, base: str, username: str, then: str) -> None:
    page.goto(f"{base}/login?next={then}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")


def test_the_regulators_dashboard_in_chinese_and_english(page: Page, live: Any) -> None:
    _login(page, live, "regulator", "/stats")
    expect(page.locator("h1")).to_have_text("绿色金融统计")
    expect(page.locator("#tile-green")).to_have_text("21.17 亿元")
    expect(page.locator("#tile-share")).to_have_text("27.37%")
    expect(page.locator("#tile-points")).to_have_text("高于各项贷款增速 47.77 个百分点")
    expect(page.locator("#chart-series")).to_have_attribute("data-rendered", "true")
    expect(page.locator("#by-bank tbody tr")).to_have_count(2)
    body = page.locator("main").inner_text()
    assert "special_mention" not in body and "stats." not in body and "330802" not in body
    page.select_option("#bank", "bank-a")
    with page.expect_navigation():
        page.click("#filters button[type=submit]")
    expect(page.locator("#tile-green")).to_have_text("15.00 亿元")
    page.click("#lang-switch")
    expect(page.locator("h1")).to_have_text("Green-finance statistics")
    expect(page.locator("#tile-green")).to_have_text("1.50 bn yuan")
    page.goto(f"{live}/stats/evaluation")
    expect(page.locator("#indicators tbody tr")).to_have_count(2)
    assert all(url.startswith(live) or url.startswith("data:") for url in page.requested)  # type: ignore[attr-defined]


def test_a_bank_sees_its_own_figures(page: Page, live: Any) -> None:
    _login(page, live, "banker", "/home")
    page.click("#nav-stats")
    expect(page.locator("#tile-green")).to_have_text("15.00 亿元")
    expect(page.locator("#bank")).to_have_count(0)  # no other bank to pick
    expect(page.locator("#by-bank")).to_have_count(0)
    page.click("text=银行业金融机构绿色金融评价")
    expect(page.locator("#indicators tbody tr")).to_have_count(1)
    expect(page.locator("#indicators")).to_contain_text("70.86%")


def test_the_bank_writes_its_disclosure_and_downloads_the_pdf(page: Page, live: Any) -> None:
    _login(page, live, "banker", "/stats/disclosure")
    expect(page.locator("h1")).to_have_text("金沙农信社城关支行 2024 年度环境信息披露报告")
    expect(page.locator("#section-overview")).to_contain_text("15.00 亿元")
    expect(page.locator("#text-governance")).to_have_text("本行尚未撰写本节。")
    page.click("#section-governance summary")
    page.fill("#form-governance textarea", "董事会下设绿色金融委员会。")
    with page.expect_navigation():
        page.click("#form-governance button[type=submit]")
    expect(page.locator("#text-governance")).to_have_text("董事会下设绿色金融委员会。")
    expect(page.locator("#version-governance")).to_contain_text("第 1 版")
    page.click("#section-governance details summary")
    page.fill("#form-governance textarea", "   ")
    with page.expect_navigation():
        page.click("#form-governance button[type=submit]")
    expect(page.locator("#refused")).to_contain_text("未保存")
    with page.expect_download() as download:
        page.click("#download-pdf")
    assert download.value.suggested_filename.endswith("环境信息披露报告.pdf")


@pytest.mark.parametrize(
    ("username", "paths"),
    [
        ("regulator", ["/stats", "/stats?by=quality", "/stats/evaluation"]),
        ("banker", ["/stats", "/stats/evaluation", "/stats/disclosure"]),
    ],
)
def test_the_chinese_pages_show_no_internal_identifiers(page: Page, live: Any, username: str, paths: list[str]) -> None:
    _login(page, live, username, paths[0])
    found = {}
    for path in paths:
        page.goto(f"{live}{path}")
        expect(page.locator(".status-code")).to_have_count(0)
        if identifiers := internal_identifiers(page.locator("body").inner_text()):
            found[path] = identifiers
    assert found == {}
