"""The pages of issue 3 in a real browser: the resident's personal carbon account (balance,
grade, chart, ledger filters, redeeming, consent), a phone screen, the language switch, and
the regulator's overview — all on 127.0.0.1.

The seeded region carries ``greenfin demo``'s personal accounts for three residents; the
``resident`` login owns the first (a year of events, a grade consent to ``bank``), and one
reward is priced beyond any balance. Each test worker has its own database, and every
assertion on the balance is relative to what the test read first, so any order works.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from greenfin.web.i18n import translate
from tests.web.conftest import Region, Visit

pytestmark = pytest.mark.browser

SCREENSHOTS = "/tmp"
CHEAP_REWARD = "bus_month"  # 800 points in the demo catalogue of rewards
GRADES = ("light_green", "mid_green", "dark_green")


def _not_local(requests: list[str], base_url: str) -> list[str]:
    return [url for url in requests if not (url.startswith(base_url + "/") or url.startswith("data:"))]


def _balance(page: Page) -> int:
    return int(page.locator("#balance").get_attribute("data-points") or "")


def _open_account(visit: Visit) -> Page:
    visit.login("resident")
    visit.go("/personal/account")
    return visit.page


def test_the_resident_sees_balance_grade_and_the_chart(visit: Visit, region: Region) -> None:
    visit.login("resident")
    page = visit.page
    expect(page).to_have_url(re.compile(r"/personal/account$"))  # /home leads the resident to the account
    page.click(f"nav a:text-is('{translate('nav.my_account', 'zh')}')")
    expect(page).to_have_url(re.compile(r"/personal/account$"))
    expect(page.locator("h1")).to_have_text(translate("personal.account_title", "zh"))
    assert _balance(page) > 0
    expect(page.locator("#co2-12m")).to_contain_text("千克")
    assert page.locator("#grade").get_attribute("data-grade") in GRADES
    expect(page.locator("#next-grade")).not_to_be_empty()
    expect(page.locator("#chart-history")).to_have_attribute("data-rendered", "true")
    expect(page.locator("#chart-history svg").first).to_be_visible()
    expect(page.locator("#ledger-table tbody tr")).to_have_count(20)  # one page of a year of entries
    expect(page.locator("#reward-list li[data-reward]").first).to_be_visible()
    # The demo consent to the bank is listed and can be withdrawn.
    expect(page.locator("#consent-list li[data-bank='bank-001'][data-status=active]").first).to_be_visible()
    page.screenshot(path=f"{SCREENSHOTS}/greenfin-personal-account.png", full_page=True)
    assert not _not_local(visit.requests, region.base_url)


def test_redeeming_lowers_the_balance_by_the_price_and_books_a_redeem_entry(visit: Visit) -> None:
    page = _open_account(visit)
    before = _balance(page)
    reward = page.locator(f"#reward-list li[data-reward={CHEAP_REWARD}]")
    price = int(reward.get_attribute("data-price") or "")
    stock = int(reward.get_attribute("data-stock") or "")
    with page.expect_navigation():
        reward.locator("button.redeem").click()
    # Asked first: the price and what is left; nothing is spent until confirmed.
    expect(page.locator("#redeem-balance")).to_have_text(
        translate("personal.redeem_balance", "zh", balance=f"{before:,}", after=f"{before - price:,}")
    )
    with page.expect_navigation():
        page.click("#confirm-redeem")
    expect(page.locator("#account-notice")).to_contain_text(translate("personal.redeem", "zh"))
    assert _balance(page) == before - price
    reward = page.locator(f"#reward-list li[data-reward={CHEAP_REWARD}]")
    assert int(reward.get_attribute("data-stock") or "") == stock - 1
    newest = page.locator("#ledger-table tbody tr").first
    expect(newest).to_have_attribute("data-kind", "redeem")
    expect(newest.locator(".points")).to_have_text(f"-{price:,}")
    expect(newest.locator(".what")).not_to_be_empty()  # the row names the reward bought
    expect(page.locator(f"#vouchers li[data-reward={CHEAP_REWARD}]").first).to_be_visible()
    page.reload()  # POST → redirect → GET: a reload redeems nothing more
    assert _balance(page) == before - price
    # 我的券 keeps every voucher with its code and state.
    code = page.locator(f"#vouchers li[data-reward={CHEAP_REWARD}] .mono").first.inner_text()
    with page.expect_navigation():
        page.click("#all-vouchers")
    row = page.locator(f"#voucher-list tr[data-voucher='{code}']")
    expect(row.locator(".state")).to_have_text(translate("personal.voucher_state.valid", "zh"))


def test_a_reward_beyond_the_balance_is_refused_in_one_sentence(visit: Visit, region: Region) -> None:
    page = _open_account(visit)
    before = _balance(page)
    newest = page.locator("#ledger-table tbody tr").first.get_attribute("data-seq")
    code = region.extra["expensive_reward"]
    reward = page.locator(f"#reward-list li[data-reward={code}]")
    with page.expect_navigation():
        reward.locator("button.redeem").click()
    expect(page.locator("#redeem-balance")).to_have_text(
        translate("personal.redeem_short", "zh", missing=f"{10_000_000 - before:,}")
    )
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click("#confirm-redeem")
    assert answer.value.status == 409
    sentence = translate(
        "personal.refused_points", "zh", reward="屋顶光伏一套", price="10,000,000", balance=f"{before:,}"
    )
    expect(page.locator("#redeem-error")).to_have_text(sentence)
    assert _balance(page) == before
    visit.go("/personal/account")  # and nothing was booked
    expect(page.locator("#ledger-table tbody tr").first).to_have_attribute("data-seq", newest or "")


def test_the_ledger_filter_swaps_only_the_table(visit: Visit, region: Region) -> None:
    page = _open_account(visit)
    rows = page.locator("#ledger-table tbody tr")
    expect(rows).to_have_count(20)
    page.evaluate("window.__notReloaded = true")
    page.select_option("#kind", "expire")  # the demo year has no expiry run: nothing matches
    expect(page.locator("#ledger-table tbody tr.empty")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"kind=expire"))
    assert page.evaluate("window.__notReloaded") is True  # htmx swapped the table; no page load

    page.select_option("#kind", "earn")
    page.select_option("#scenario", "recycling_pickup")
    expect(page).to_have_url(re.compile(r"scenario=recycling_pickup"))
    expect(page.locator("#ledger-table tbody tr[data-kind=earn]").first).to_be_visible()
    assert page.locator("#ledger-table tbody tr:not([data-kind=earn])").count() == 0
    assert page.evaluate("window.__notReloaded") is True

    page.select_option("#scenario", "")
    page.locator(".pager a.page-number").first.click()  # page 2 by its number, swapped in as well
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page.locator("#ledger-results .list-count")).to_contain_text("21")
    page.locator("#ledger-table th a.sort[data-sort=points]").click()  # sorted by points, back to page 1
    expect(page).to_have_url(re.compile(r"sort=points"))
    shown = page.locator("#ledger-table td.points").all_inner_texts()
    points = [int(p.replace(",", "").replace("+", "")) for p in shown]
    assert points == sorted(points)
    assert page.evaluate("window.__notReloaded") is True

    # The same URL asked by htmx answers only the table (the page's own cookies ride along).
    answer = page.request.get(f"{region.base_url}/personal/account?kind=earn", headers={"HX-Request": "true"})
    assert answer.ok and answer.headers["vary"] == "HX-Request"
    body = answer.text()
    assert body.lstrip().startswith('<div id="ledger-results"')
    assert "<html" not in body


def test_consent_is_granted_and_withdrawn(visit: Visit) -> None:
    page = _open_account(visit)
    page.fill("#bank_query", "没有这家")
    expect(page.locator("#bank-none")).to_be_visible()  # the list says no bank matched

    active = page.locator("#consent-list li[data-bank='bank-001'][data-status=active]")
    before = active.count()
    page.fill("#bank_query", "衢州绿色")  # part of the bank's name, never its code
    page.locator(".bank-option[data-code='bank-001']").click()
    expect(page.locator("#bank_code")).to_have_value("bank-001")
    page.select_option("#days", "90")
    with page.expect_navigation():
        page.click("#grant-submit")
    expect(page.locator("#account-notice")).to_have_text(
        translate("personal.granted", "zh", bank="衢州绿色银行（bank-001）")
    )
    expect(active).to_have_count(before + 1)
    with page.expect_navigation():
        active.first.locator("a.revoke").click()
    expect(page.locator("#revoke-confirm")).to_contain_text("衢州绿色银行")
    with page.expect_navigation():
        page.click("#confirm-revoke")
    expect(page.locator("#account-notice")).to_have_text(translate("personal.revoked", "zh"))
    expect(active).to_have_count(before)


def test_the_account_fits_a_phone_screen(browser, region: Region) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, reduced_motion="reduce"
    )
    page = context.new_page()
    visit = Visit(page=page, base_url=region.base_url, requests=[])
    try:
        visit.login("resident")
        visit.go("/personal/account")
        expect(page.locator("#chart-history")).to_have_attribute("data-rendered", "true")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        # Nothing inside scrolls sideways either: the ledger and the rewards fit the screen.
        assert page.evaluate("document.querySelector('#ledger-table').scrollWidth") <= 390
        assert page.evaluate("document.querySelector('#reward-list').scrollWidth") <= 390
        font = page.evaluate("parseFloat(getComputedStyle(document.querySelector('#ledger-table td')).fontSize)")
        assert font >= 13, font  # readable without zooming
        page.screenshot(path=f"{SCREENSHOTS}/greenfin-personal-phone.png", full_page=True)
    finally:
        context.close()


def test_a_resident_cannot_open_the_regulator_overview(visit: Visit, region: Region) -> None:
    visit.login("resident")
    response = visit.page.goto(f"{region.base_url}/personal/overview")
    assert response is not None and response.status == 403
    expect(visit.page.locator(".error-sentence")).to_have_text(translate("error.403", "zh"))
    expect(visit.page.locator("#overview-figures")).to_have_count(0)


def test_the_regulator_overview_shows_the_figures_and_charts(visit: Visit, region: Region) -> None:
    visit.login("regulator")
    page = visit.page
    page.click(f"nav a:text-is('{translate('nav.personal_overview', 'zh')}')")
    expect(page).to_have_url(re.compile(r"/personal/overview$"))
    expect(page.locator("h1")).to_have_text(translate("personal.overview_title", "zh"))
    figures = page.locator("#overview-figures")
    expect(figures.locator("[data-figure=accounts] .tile-value")).to_have_text("3")
    for name in ("points_issued", "points_redeemed", "points_outstanding", "events_30d"):
        expect(figures.locator(f"[data-figure={name}] .tile-value")).not_to_be_empty()
    issued = int(figures.locator("[data-figure=points_issued] .tile-value").inner_text().replace(",", ""))
    outstanding = int(figures.locator("[data-figure=points_outstanding] .tile-value").inner_text().replace(",", ""))
    assert issued > 0 and 0 < outstanding <= issued
    for chart in ("chart-events", "chart-scenarios"):
        expect(page.locator(f"#{chart}")).to_have_attribute("data-rendered", "true")
        expect(page.locator(f"#{chart} svg").first).to_be_visible()
    expect(page.locator("#scenario-table tbody tr[data-scenario=qr_payment] td").first).to_have_text("扫码支付")
    assert not _not_local(visit.requests, region.base_url)

    # The period is chosen, kept in the URL, and the tiles say which.
    events_30 = int(figures.locator("[data-figure=events_30d] .tile-value").inner_text().replace(",", ""))
    page.select_option("#days", "365")
    with page.expect_navigation():
        page.click("#period-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/personal/overview\?days=365$"))
    expect(figures.locator("[data-figure=events_30d] .tile-label")).to_have_text(
        translate("personal.events_30d", "zh", days=365)
    )
    events_365 = int(figures.locator("[data-figure=events_30d] .tile-value").inner_text().replace(",", ""))
    assert events_365 >= events_30

    page.click("#lang-switch")
    expect(page.locator("h1")).to_have_text(translate("personal.overview_title", "en"))
    expect(page.locator("#scenario-table tbody tr[data-scenario=qr_payment] td").first).to_have_text("QR-code payment")

    # Any range of days, kept in the URL; the export holds exactly the period's figures.
    last = re.findall(r"\d{4}-\d{2}-\d{2}", page.locator("#overview-period").inner_text())[-1]
    page.fill("#from", last)
    page.fill("#to", last)
    with page.expect_navigation():
        page.click("#range-submit")
    expect(page).to_have_url(re.compile(rf"from={last}&to={last}"))
    expect(page.locator("#overview-period")).to_contain_text("1 day")
    one_day = int(figures.locator("[data-figure=events_30d] .tile-value").inner_text().replace(",", ""))
    with page.expect_download() as download:
        page.click("#export-xlsx")
    import openpyxl

    content = Path(download.value.path()).read_bytes()
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))[1:]
    assert sum(int(r[2]) for r in rows if r[0] == last) == one_day  # the day's row counts the period's events


def test_the_language_switch_works_on_the_account_page(visit: Visit) -> None:
    page = _open_account(visit)
    page.click("#lang-switch")
    expect(page.locator("h1")).to_have_text(translate("personal.account_title", "en"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/personal/account$"))
    expect(page.locator("#co2-12m")).to_contain_text("kg")
    expect(page.locator("#reward-list li[data-reward=bus_month] .name")).to_have_text("Bus monthly-pass discount")
    expect(page.locator("#chart-history")).to_have_attribute("data-rendered", "true")
    page.click("#lang-switch")
    expect(page.locator("h1")).to_have_text(translate("personal.account_title", "zh"))
