"""衢融通 pages in chromium: supermarket, need, matches, apply, bank workbench, regulator dashboard."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.web.conftest import Region, Visit, region, visit  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture
def second(browser: Browser, region: Region) -> Iterator[Visit]:  # noqa: F811
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield Visit(page=page, base_url=region.base_url, requests=[])
    context.close()


def test_need_to_application_to_acceptance(visit: Visit, second: Visit) -> None:  # noqa: F811
    bank = second
    bank.login("bank")
    body = {
        "name": "碳效贷",
        "min_amount_fen": 10_000_000,
        "max_amount_fen": 1_000_000_000,
        "min_term_months": 6,
        "max_term_months": 36,
        "borrower_kinds": ["enterprise"],
        "rate_spread_bp": 45,
    }
    created = bank.page.request.post(f"{bank.base_url}/api/v1/market/products", data=body)
    assert created.status == 201, created.text()
    product_id = created.json()["id"]
    assert bank.page.request.post(f"{bank.base_url}/api/v1/market/products/{product_id}/publish").status == 200

    visit.login("enterprise")
    visit.go("/market")
    expect(visit.page.locator(f"#products tr[data-product='{product_id}']")).to_contain_text("碳效贷")
    expect(visit.page.locator(f"#products tr[data-product='{product_id}']")).to_contain_text("3.45%")
    visit.page.click("#new-need")
    visit.page.fill("#amount_wan", "200")
    visit.page.fill("#term_months", "12")
    visit.page.fill("#purpose", "余热回收改造")
    visit.page.select_option("#green_use", "1")
    with visit.page.expect_navigation():
        visit.page.click("#need-submit")
    row = visit.page.locator(f"#matches tr[data-product='{product_id}']")
    expect(row).to_contain_text("衢州绿色银行")
    expect(row).to_contain_text("挂牌利率 3.45%")
    with visit.page.expect_navigation():
        row.locator("button.apply").click()
    expect(visit.page.locator("#applications")).to_contain_text("已提交")
    expect(visit.page.locator("#applications .timeline").first).to_contain_text("提交申请")
    assert "submitted" not in visit.page.locator("main").inner_text()

    bank.go("/market/applications")
    mine = bank.page.locator("#applications tr[data-state='submitted']").first
    expect(mine.locator(".countdown")).to_contain_text("工作日")
    with bank.page.expect_navigation():
        mine.locator("button.accept").click()
    expect(bank.page.locator("#applications tr[data-state='accepted']").first).to_contain_text("已受理")

    visit.go("/market/applications")
    expect(visit.page.locator("#applications .timeline").first).to_contain_text("银行受理")


def test_regulator_dashboard(visit: Visit) -> None:  # noqa: F811
    visit.login("regulator")
    visit.go("/market/dashboard")
    expect(visit.page.locator("h1")).to_have_text("衢融通平台监测")
    expect(visit.page.locator("#kpis")).to_be_visible()
