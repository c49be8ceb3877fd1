"""The pages of issue 4 in a real browser: farm coverage and a farm's account, the carbon
credit report a bank requests (and its PDF), consent granted and revoked, who read a
report, the what-if, a phone screen and the language switch — all on 127.0.0.1.

The seeded region carries the demo farms (coverage 100 % / 10.7 % / 20 %) and the demo
consents of the ``enterprise`` login and one pig farm to the ``bank`` login. Tests that
revoke the enterprise's consent grant a fresh one before they end, so any order works.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from playwright.sync_api import Browser, Page, expect

from greenfin.industry.methodology import county_name, industry_name
from greenfin.web.i18n import translate
from tests.web.conftest import Region, Visit

pytestmark = pytest.mark.browser

SCREENSHOTS = "/tmp"
BANK_CODE = "bank-001"
BANK_NAME = "衢州绿色银行"  # tests/web/conftest.py
AGRI_LABELS = ("dark_green", "light_green", "yellow")


def _not_local(requests: list[str], base_url: str) -> list[str]:
    return [url for url in requests if not (url.startswith(base_url + "/") or url.startswith("data:"))]


@pytest.fixture
def second(browser: Browser, region: Region) -> Iterator[Visit]:
    """A second browser context (another user at the same time)."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
    context.set_default_timeout(10_000)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    yield Visit(page=page, base_url=region.base_url, requests=requests)
    context.close()


def _grant(page: Page, base_url: str) -> None:
    """Grant the bank consent as a borrower would: type part of its name, pick it from the list."""
    page.goto(f"{base_url}/finance/consents")
    page.fill("#bank_query", "绿色银行")
    option = page.locator(f".bank-option[data-code={BANK_CODE}]")
    expect(option).to_contain_text(BANK_NAME)
    option.click()
    expect(page.locator("#bank_code")).to_have_value(BANK_CODE)
    with page.expect_navigation():
        page.click("#grant-submit")
    granted = translate("fin.granted", "zh", bank=f"{BANK_NAME}（{BANK_CODE}）")
    expect(page.locator("#consent-notice")).to_have_text(granted)


def _revoke_all(page: Page, base_url: str) -> None:
    """Revoke every active consent to the bank, through the confirmation page."""
    page.goto(f"{base_url}/finance/consents")
    active = page.locator(f"#consent-list tr[data-status=active][data-bank={BANK_CODE}]")
    while active.count():
        with page.expect_navigation():
            active.first.locator("a.revoke").click()
        expect(page.locator("#revoke-confirm")).to_contain_text(BANK_NAME)
        with page.expect_navigation():
            page.click("#confirm-revoke")
        expect(page.locator("#consent-notice")).to_have_text(translate("fin.revoked", "zh"))


def _request_report(page: Page, base_url: str, borrower: str) -> str:
    """As the bank: request a report for ``borrower`` ("kind:ref") and return its id."""
    page.goto(f"{base_url}/finance/reports")
    page.select_option("#borrower", borrower)
    with page.expect_navigation():
        page.click("#request-submit")
    expect(page).to_have_url(re.compile(r"/finance/reports/[0-9a-f]{32}$"))
    return page.url.rsplit("/", 1)[-1]


# --- agriculture -----------------------------------------------------------------------------


def test_the_regulator_sees_the_papers_coverage(visit: Visit, region: Region) -> None:
    visit.login("regulator")
    visit.page.click(f"nav a:text-is('{translate('nav.coverage', 'zh')}')")
    page = visit.page
    expect(page).to_have_url(re.compile(r"/agriculture/coverage$"))
    expect(page.locator("h1")).to_have_text(translate("agri.coverage_title", "zh"))
    shares = {
        category: page.locator(f"#coverage-categories li[data-category={category}] .share").inner_text()
        for category in ("organic_fertiliser_producer", "pig_farm", "grain_grower")
    }
    assert {k: Decimal(v.rstrip("%")) for k, v in shares.items()} == {
        "organic_fertiliser_producer": Decimal(100),
        "pig_farm": Decimal("10.7"),
        "grain_grower": Decimal(20),
    }, shares
    pig = page.locator("#coverage-categories li[data-category=pig_farm]")
    expect(pig.locator(".with-account")).to_have_text("107")
    expect(pig.locator(".registered")).to_have_text("1,000")
    expect(page.locator("#coverage-by-county tbody tr")).to_have_count(6)  # the six counties of Quzhou
    expect(page.locator("#coverage-by-county tbody tr[data-county='330802'] th")).to_have_text("柯城区")
    expect(page.locator("#chart-coverage-county")).to_have_attribute("data-rendered", "true")
    expect(page.locator("#chart-coverage-county svg").first).to_be_visible()
    assert not _not_local(visit.requests, region.base_url)


def test_a_farm_account_shows_its_label_why_and_the_terms(visit: Visit, region: Region) -> None:
    visit.login("regulator")
    visit.go(f"/agriculture/farms/{region.extra['held_farm']}")
    page = visit.page
    expect(page.locator(".eyebrow")).to_contain_text(translate("agri.account_title", "zh"))
    holder = page.locator("#holder-id").inner_text()
    assert re.fullmatch(r"\w{4}\*{10}\w{4}", holder), holder  # the holder's ID number, masked
    expect(page.locator("#farm-identity")).to_contain_text(translate("agri.category.grain_grower", "zh"))
    badge = page.locator("#label-card .label-badge.large")
    assert badge.get_attribute("data-label") in AGRI_LABELS
    expect(page.locator("#label-card h3").first).to_have_text(translate("agri.why", "zh"))
    expect(page.locator("#label-why")).to_contain_text("减排强度")
    expect(page.locator("#next-label")).not_to_be_empty()
    expect(page.locator("#bands li")).to_have_count(3)
    # Every reduction is broken down into terms, each with formula, inputs and sources.
    terms = page.locator("#reductions table.terms tbody tr:not(.inputs)")
    expect(terms.first).to_be_visible()
    page.locator("#reductions details summary").first.click()
    expect(page.locator("#reductions details li").first).to_contain_text("—")
    expect(page.locator("#chart-practices")).to_have_attribute("data-rendered", "true")
    expect(page.locator("#history tbody tr")).to_have_count(3)
    page.click(".year-switcher a:text-is('2022')")
    expect(page.locator(".eyebrow")).to_contain_text("2022")
    assert not _not_local(visit.requests, region.base_url)


def test_the_farm_account_fits_a_phone_screen(browser: Browser, region: Region) -> None:
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, reduced_motion="reduce"
    )
    page = context.new_page()
    visit = Visit(page=page, base_url=region.base_url, requests=[])
    try:
        visit.login("regulator")
        visit.go(f"/agriculture/farms/{region.extra['pig_farm']}")
        expect(page.locator("#chart-practices")).to_have_attribute("data-rendered", "true")
        page.locator("#reductions details summary").first.click()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=f"{SCREENSHOTS}/greenfin-farm-phone.png", full_page=True)
    finally:
        context.close()


def test_the_language_switch_works_on_the_coverage_page(visit: Visit) -> None:
    visit.login("regulator")
    visit.go("/agriculture/coverage")
    page = visit.page
    page.click("#lang-switch")
    expect(page.locator("h1")).to_have_text(translate("agri.coverage_title", "en"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#coverage-categories li[data-category=pig_farm]")).to_contain_text("Pig farms")
    expect(page.locator("#coverage-by-county tbody tr[data-county='330802'] th")).to_have_text("Kecheng District")
    expect(page).to_have_url(re.compile(r"/agriculture/coverage$"))


# --- carbon credit reports and consent -------------------------------------------------------


def test_the_bank_requests_a_report_sees_it_and_downloads_the_pdf(visit: Visit, region: Region) -> None:
    visit.login("bank")
    page = visit.page
    page.click("#home-reports")
    report_id = _request_report(page, region.base_url, f"enterprise:{region.own.uscc}")
    expect(page.locator("#borrower-name")).to_have_text(region.own.name)
    expect(page.locator("#report-id")).to_have_text(report_id)
    expect(page.locator("#report-years tbody tr")).to_have_count(3)  # three years of emissions
    expect(page.locator("#report-labels .why").first).not_to_be_empty()
    expect(page.locator("#terms-summary .rate")).to_contain_text("%")
    expect(page.locator("#terms-adjustments tbody tr").first).to_be_visible()
    assert len(page.locator("#key-id").inner_text().strip()) >= 8
    assert len(page.locator("#signature-value").inner_text().strip()) > 40
    page.screenshot(path=f"{SCREENSHOTS}/greenfin-report.png", full_page=True)

    href = page.locator("#pdf-link").get_attribute("href")
    assert href == f"/api/v1/finance/reports/{report_id}/pdf"
    pdf = page.context.request.get(region.base_url + href)  # the page session's cookie is the credential
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    expect(page.locator("#report-list")).to_have_count(0)  # the report page is not the list

    # The English page names the county and the industry in English, from the signed report.
    page.click("#lang-switch")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#borrower-industry")).to_have_text(
        f"{industry_name(region.own.industry).name_en} ({region.own.industry})"
    )
    expect(page.locator("#borrower-county")).to_have_text(
        f"{county_name(region.own.county).name_en} ({region.own.county})"
    )
    expect(page.locator("#issuer-region")).to_have_text("Quzhou")
    page.click("#lang-switch")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    visit.go("/finance/reports")
    expect(page.locator(f"#report-list tr[data-report='{report_id}']")).to_have_count(1)
    assert not _not_local(visit.requests, region.base_url)


def test_the_bank_reads_a_farm_report(visit: Visit, region: Region) -> None:
    visit.login("bank")
    _request_report(visit.page, region.base_url, f"farm:{region.extra['pig_farm']}")
    expect(visit.page.locator("#identity")).to_contain_text(translate("agri.category.pig_farm", "zh"))
    expect(visit.page.locator("#report-labels .why").first).to_contain_text("减排强度")


def test_revoked_consent_refuses_the_bank_with_a_sentence(visit: Visit, second: Visit, region: Region) -> None:
    enterprise, bank = visit, second
    enterprise.login("enterprise")
    bank.login("bank")
    report_id = _request_report(bank.page, region.base_url, f"enterprise:{region.own.uscc}")
    try:
        _grant(enterprise.page, region.base_url)
        row = enterprise.page.locator(f"#consent-list tr[data-status=active][data-bank={BANK_CODE}]")
        expect(row.first).to_be_visible()
        _revoke_all(enterprise.page, region.base_url)
        expect(row).to_have_count(0)
        expect(
            enterprise.page.locator(f"#consent-list tr[data-status=revoked][data-bank={BANK_CODE}]").first
        ).to_be_visible()

        bank.go("/finance/reports")
        bank.page.select_option("#borrower", f"enterprise:{region.own.uscc}")
        with bank.page.expect_response(lambda r: r.request.method == "POST") as answer:
            bank.page.click("#request-submit")
        assert answer.value.status == 403
        expect(bank.page.locator("#request-error")).to_have_text(translate("fin.refused_revoked", "zh"))

        response = bank.page.goto(f"{region.base_url}/finance/reports/{report_id}")
        assert response is not None and response.status == 403
        expect(bank.page.locator(".error-sentence")).to_have_text(translate("fin.refused_revoked", "zh"))
        assert region.own.name not in bank.page.content()
    finally:
        _grant(enterprise.page, region.base_url)  # the next tests' bank is consented to again
    assert not _not_local(enterprise.requests + bank.requests, region.base_url)


def test_the_enterprise_sees_who_read_its_report(visit: Visit, second: Visit, region: Region) -> None:
    second.login("bank")
    report_id = _request_report(second.page, region.base_url, f"enterprise:{region.own.uscc}")
    visit.login("enterprise")
    visit.page.click(f"nav a:text-is('{translate('nav.consents', 'zh')}')")
    reads = visit.page.locator(f"#report-reads tr:has(a[href='/finance/reports/{report_id}'])")
    expect(reads).to_have_count(2)  # issued, then read as a page
    expect(reads.first).to_contain_text("bank")
    expect(reads.first).to_contain_text(translate("role.bank", "zh"))
    forms = {reads.nth(i).get_attribute("data-form") for i in range(2)}
    assert forms == {"issue", "page"}


# --- what-if ---------------------------------------------------------------------------------


def _what_if(visit: Visit, field: str, value: str) -> tuple[Decimal, Decimal]:
    page = visit.page
    page.evaluate("window.__notReloaded = true")
    result = page.locator("#what-if-result")
    before = result.get_attribute("data-co2-after")
    page.fill(f"#{field}", value)
    page.click("#what-if-submit")
    expect(result).not_to_have_attribute("data-co2-after", before or "")
    assert page.evaluate("window.__notReloaded") is True  # htmx swapped the fragment; no page load
    return Decimal(result.get_attribute("data-co2-before") or "0"), Decimal(
        result.get_attribute("data-co2-after") or "0"
    )


def test_the_what_if_swaps_the_result_and_rooftop_pv_lowers_emissions(visit: Visit, region: Region) -> None:
    visit.login("enterprise")
    visit.page.click(f"nav a:text-is('{translate('nav.what_if', 'zh')}')")
    page = visit.page
    expect(page.locator("h1")).to_have_text(translate("fin.what_if_title", "zh"))
    now, after = _what_if(visit, "pv_mwh", "1000")  # 1,000 MWh, in the account's unit
    assert after < now
    expect(page.locator("#what-if-after .total-co2")).not_to_have_text(
        page.locator("#what-if-before .total-co2").inner_text()
    )
    expect(page.locator("#terms-after .rate")).to_contain_text("%")
    page.screenshot(path=f"{SCREENSHOTS}/greenfin-what-if.png", full_page=True)
    assert not _not_local(visit.requests, region.base_url)


def test_moving_coal_to_a_heat_pump_lowers_emissions(visit: Visit, region: Region) -> None:
    visit.login("enterprise")
    visit.go("/finance/what-if")
    now, after = _what_if(visit, "coal_pct", "30")
    assert after < now
    # The energy table names energies (factor set cn-2024), not their keys.
    page = visit.page
    electricity = page.locator("#what-if-energies tr[data-energy=electricity] .energy-name")
    expect(electricity).to_have_text("电力")
    page.click("#lang-switch")
    expect(electricity).to_have_text("Purchased electricity")
    page.click("#lang-switch")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")


def test_a_digester_what_if_for_a_farm(visit: Visit, region: Region) -> None:
    visit.login("regulator")
    visit.go(f"/agriculture/farms/{region.extra['pig_farm']}")
    visit.page.click("#farm-what-if")
    page = visit.page
    expect(page.locator("h1")).to_have_text(translate("fin.farm_what_if_title", "zh"))
    result = page.locator("#what-if-result")
    before = Decimal(result.get_attribute("data-reduction-before") or "0")
    after = Decimal(result.get_attribute("data-reduction-after") or "0")
    assert after > before  # a digester avoids manure methane
    expect(page.locator("#what-if-after .label-badge.large")).to_be_visible()
