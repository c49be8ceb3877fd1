"""The pages in a real browser: login, the regulator's overview, an enterprise's own account,
refusals, the language switch, the htmx filter, a phone screen, and nothing fetched from
outside the machine."""

from __future__ import annotations

import re
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from greenfin.web.i18n import translate
from tests.web.conftest import COUNTIES, Region, Visit

pytestmark = pytest.mark.browser

LABELS = ("dark_green", "light_green", "yellow", "red")
SCREENSHOTS = "/tmp"


def _only_local(requests: list[str], base_url: str) -> list[str]:
    return [url for url in requests if not (url.startswith(base_url + "/") or url.startswith("data:"))]


def test_regulator_sees_the_overview_with_four_label_colours_and_charts(visit: Visit, region: Region) -> None:
    visit.login("regulator")
    page = visit.page
    expect(page).to_have_url(re.compile(r"/industry/overview$"))
    expect(page.locator("h1")).to_have_text(translate("industry.overview_title", "zh"))

    counts = {}
    for code in LABELS:
        card = page.locator(f"#label-counts li[data-label={code}]")
        expect(card.locator(".label-badge")).to_have_text(translate(f"label.{code}", "zh"))
        counts[code] = int(card.locator(".count").inner_text().replace(",", ""))
    assert sum(counts.values()) == len(region.enterprises)
    assert all(counts.values()), counts  # the seed spreads intensities so that every label occurs

    for chart in ("chart-county", "chart-trend", "chart-industry"):
        expect(page.locator(f"#{chart}")).to_have_attribute("data-rendered", "true")
        expect(page.locator(f"#{chart} svg").first).to_be_visible()
    expect(page.locator("#top-emitters tbody tr")).not_to_have_count(0)
    page.screenshot(path=f"{SCREENSHOTS}/greenfin-overview.png", full_page=True)
    assert not _only_local(visit.requests, region.base_url)


def test_an_enterprise_lands_on_its_own_account_with_label_why_and_charts(visit: Visit, region: Region) -> None:
    visit.login("enterprise")
    page = visit.page
    expect(page).to_have_url(re.compile(rf"/industry/enterprises/{region.own.uscc}$"))
    expect(page.locator("#enterprise-name")).to_have_text(region.own.name)
    badge = page.locator("#label-card .label-badge.large")
    assert badge.get_attribute("data-label") in LABELS
    expect(page.locator("#label-card h3").first).to_have_text(translate("industry.why", "zh"))
    assert len(page.locator("#label-why").inner_text().strip()) > 10
    expect(page.locator("#next-label")).not_to_be_empty()
    for chart in ("chart-monthly", "chart-sources"):
        expect(page.locator(f"#{chart}")).to_have_attribute("data-rendered", "true")
        expect(page.locator(f"#{chart} svg").first).to_be_visible()
    expect(page.locator("#history tbody tr")).to_have_count(3)
    page.screenshot(path=f"{SCREENSHOTS}/greenfin-account.png", full_page=True)


def test_the_year_switcher_shows_another_year(visit: Visit, region: Region) -> None:
    visit.login("enterprise")
    visit.page.click(".year-switcher a:text-is('2023')")
    expect(visit.page).to_have_url(re.compile(r"\?year=2023$"))
    expect(visit.page.locator(".eyebrow")).to_contain_text("2023")


def test_an_enterprise_is_refused_another_enterprises_account(visit: Visit, region: Region) -> None:
    visit.login("enterprise")
    response = visit.page.goto(f"{region.base_url}/industry/enterprises/{region.other.uscc}")
    assert response is not None and response.status == 403
    expect(visit.page.locator(".error-sentence")).to_have_text(translate("error.403", "zh"))
    assert region.other.name not in visit.page.content()


def test_pages_need_a_login_and_come_back_after_it(visit: Visit) -> None:
    visit.go("/industry/overview?year=2024")
    expect(visit.page).to_have_url(re.compile(r"/login\?next=/industry/overview%3Fyear%3D2024$"))
    visit.page.fill("#username", "regulator")
    visit.page.fill("#password", "greenfin-demo")
    visit.page.click("button[type=submit]")
    expect(visit.page).to_have_url(re.compile(r"/industry/overview\?year=2024$"))
    expect(visit.page.locator(".eyebrow")).to_contain_text("2024")


def test_logout_ends_the_session(visit: Visit) -> None:
    visit.login("regulator")
    visit.page.click(".logout button")
    expect(visit.page).to_have_url(re.compile(r"/$"))
    visit.go("/industry/overview")
    expect(visit.page).to_have_url(re.compile(r"/login\?next="))


def test_the_language_switch_changes_the_text_and_back(visit: Visit) -> None:
    visit.login("regulator")
    page = visit.page
    heading = page.locator("h1")
    expect(heading).to_have_text(translate("industry.overview_title", "zh"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")

    page.click("#lang-switch")
    expect(heading).to_have_text(translate("industry.overview_title", "en"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#label-counts li[data-label=dark_green] .label-badge")).to_have_text("Dark green")
    expect(page).to_have_url(re.compile(r"/industry/overview$"))

    page.click("#lang-switch")
    expect(heading).to_have_text(translate("industry.overview_title", "zh"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")


def test_the_filter_swaps_only_the_table(visit: Visit, region: Region) -> None:
    visit.login("regulator")
    visit.go("/industry/enterprises")
    page = visit.page
    rows = page.locator("#enterprise-table tbody tr")
    expect(rows).to_have_count(20)  # one page of the 24
    page.evaluate("window.__notReloaded = true")

    page.select_option("#county", COUNTIES[1])
    in_county = sum(1 for e in region.enterprises if e.county == COUNTIES[1])
    expect(rows).to_have_count(in_county)
    expect(page).to_have_url(re.compile(rf"county={COUNTIES[1]}"))
    assert page.evaluate("window.__notReloaded") is True  # htmx swapped the table; no page load

    page.fill("#q", region.enterprises[1].name)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(region.enterprises[1].uscc)
    assert page.evaluate("window.__notReloaded") is True


def test_the_list_pages_through_the_region(visit: Visit, region: Region) -> None:
    visit.login("regulator")
    visit.go("/industry/enterprises")
    page = visit.page
    page.click(".pager a.page-number")  # page 2, by its number
    expect(page.locator("#enterprise-table tbody tr")).to_have_count(len(region.enterprises) - 20)
    expect(page).to_have_url(re.compile(r"page=2"))


def test_the_list_answers_htmx_with_the_fragment_only(region: Region, visit: Visit) -> None:
    visit.login("regulator")
    cookie = next(c for c in visit.page.context.cookies() if c["name"] == "greenfin_session")
    request = urllib.request.Request(
        f"{region.base_url}/industry/enterprises?county={COUNTIES[0]}",
        headers={"Cookie": f"greenfin_session={cookie['value']}", "HX-Request": "true"},
    )
    with urllib.request.urlopen(request) as response:
        body = response.read().decode()
        assert response.headers["Vary"] == "HX-Request"
    assert body.lstrip().startswith('<section class="card" id="enterprise-results"')
    assert "<html" not in body


def test_a_wrong_password_is_one_sentence(visit: Visit) -> None:
    visit.go("/login")
    visit.page.fill("#username", "bank")
    visit.page.fill("#password", "not-the-password")
    with visit.page.expect_response(lambda r: r.request.method == "POST") as answer:
        visit.page.click("button[type=submit]")
    assert answer.value.status == 401
    expect(visit.page.locator("#login-error")).to_have_text(translate("login.wrong", "zh"))
    expect(visit.page.locator("#username")).to_have_value("bank")


def test_repeated_failures_are_throttled_with_a_sentence(visit: Visit) -> None:
    for _ in range(5):
        visit.login("nobody-at-all", "wrong-password")
        expect(visit.page.locator("#login-error")).to_have_text(translate("login.wrong", "zh"))
    visit.login("nobody-at-all", "wrong-password")
    expect(visit.page.locator("#login-error")).to_have_text(translate("login.throttled", "zh", minutes=15))


def test_the_account_fits_a_phone_screen(browser, region: Region) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, reduced_motion="reduce"
    )
    page = context.new_page()
    visit = Visit(page=page, base_url=region.base_url, requests=[])
    try:
        visit.login("enterprise")
        expect(page.locator("#chart-monthly")).to_have_attribute("data-rendered", "true")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=f"{SCREENSHOTS}/greenfin-account-phone.png", full_page=True)
        visit.go("/industry/enterprises")
    finally:
        context.close()


def test_no_request_leaves_the_machine(visit: Visit, region: Region) -> None:
    visit.go("/")
    visit.login("regulator")
    for path in ("/industry/overview", "/industry/enterprises", f"/industry/enterprises/{region.own.uscc}"):
        visit.go(path)
        visit.page.wait_for_load_state("networkidle")
    assert any("/static/vendor/echarts.min.js" in url for url in visit.requests)
    assert not _only_local(visit.requests, region.base_url), _only_local(visit.requests, region.base_url)


def test_the_landing_page_is_public(visit: Visit) -> None:
    visit.go("/")
    expect(visit.page.locator("h1")).to_have_text(translate("landing.title", "zh"))
    expect(visit.page.locator(".label-counts li")).to_have_count(4)


def test_the_api_still_answers_problem_json(region: Region) -> None:
    request = urllib.request.Request(f"{region.base_url}/api/v1/me", headers={"Accept": "text/html"})
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request)
    raised.value.close()  # the error holds the response's socket: close it, or a later test trips on a ResourceWarning
    assert raised.value.code == 401
    assert raised.value.headers["Content-Type"] == "application/problem+json"
