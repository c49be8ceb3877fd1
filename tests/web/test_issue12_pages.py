"""Issue 12 and issue 11 part 7 in a real browser: the farm login, Chinese-only pages, names before codes.

The seeded region (``tests/web/conftest.py``) carries the demo login ``farm``: a user of role
``enterprise`` acting for the demo pig farm through the organisation with the farm's USCC.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Browser, expect

from greenfin.web.i18n import translate
from tests.web.conftest import PASSWORD, Region, Visit, internal_identifiers

pytestmark = pytest.mark.browser

WIDTHS = (1366, 390)


def _visible_text(visit: Visit) -> str:
    return visit.page.locator("body").inner_text()


def test_the_farm_login_lands_on_its_agricultural_account(visit: Visit, region: Region) -> None:
    visit.login("farm")
    expect(visit.page).to_have_url(re.compile(r"/agriculture/farms/[0-9a-f]{32}$"))
    expect(visit.page.locator("h1")).to_contain_text("养殖场")
    nav = visit.page.locator("nav.nav")
    hrefs = [nav.locator("a").nth(i).get_attribute("href") or "" for i in range(nav.locator("a").count())]
    assert not [h for h in hrefs if h.startswith("/industry")], hrefs
    farm_id = visit.page.url.rsplit("/", 1)[-1]
    assert f"/agriculture/farms/{farm_id}" in hrefs
    assert f"/finance/what-if?farm={farm_id}" in hrefs
    assert "/finance/consents" in hrefs and "/finance/reports" in hrefs
    for href in hrefs:
        visit.go(href)
        assert visit.page.locator(".status-code").count() == 0, href
        assert not internal_identifiers(_visible_text(visit)), (href, internal_identifiers(_visible_text(visit)))


@pytest.mark.parametrize("width", WIDTHS)
def test_the_farm_pages_fit_both_screens(browser: Browser, region: Region, width: int) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900}, reduced_motion="reduce")
    page = context.new_page()
    visit = Visit(page=page, base_url=region.base_url, requests=[])
    visit.login("farm", PASSWORD)
    expect(page).to_have_url(re.compile(r"/agriculture/farms/"))
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    context.close()


def _pages_of(role: str, region: Region) -> list[str]:
    own, farm = region.own.uscc, region.extra["pig_farm"]
    staff = [
        "/industry/overview",
        "/industry/enterprises",
        f"/industry/enterprises/{own}",
        "/agriculture/coverage",
        f"/agriculture/farms/{farm}",
        "/finance/reports",
        "/personal/overview",
        "/market/dashboard",
        "/ecobank",
        "/ecobank/assets",
        "/agriculture/farms",
        "/stats",
        "/stats/evaluation",
    ]
    admin = ["/admin/organisations", "/admin/users", "/admin/api-keys", "/admin/audit", "/admin/registrations"]
    return {
        "regulator": [*staff, "/admin/registrations"],
        "admin": [*staff, *admin],
        "bank": [
            "/finance/reports",
            "/finance/consents",
            "/market/applications",
            "/market/products",
            "/market/products/new",
            "/ecobank/assets",
            "/stats",
            "/stats/disclosure",
        ],
        "enterprise": [
            f"/industry/enterprises/{own}",
            "/finance/what-if",
            "/finance/consents",
            "/finance/reports",
            "/market",
            "/market/needs/new",
            "/market/applications",
            "/finance/consents/history",
            "/account/password",
        ],
        "resident": ["/personal/account", "/personal/vouchers", "/personal/consents/history", "/market"],
    }[role]


@pytest.mark.parametrize("role", ["regulator", "admin", "bank", "enterprise", "resident"])
@pytest.mark.parametrize("width", WIDTHS)
def test_chinese_pages_show_no_internal_identifiers(browser: Browser, region: Region, role: str, width: int) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900}, reduced_motion="reduce")
    context.set_default_timeout(10_000)
    visit = Visit(page=context.new_page(), base_url=region.base_url, requests=[])
    visit.login(role)
    found: dict[str, list[str]] = {}
    for path in _pages_of(role, region):
        visit.go(path)
        assert visit.page.locator(".status-code").count() == 0, path
        identifiers = internal_identifiers(_visible_text(visit))
        if identifiers:
            found[path] = identifiers
    context.close()
    assert found == {}


def test_api_docs_work_offline_with_the_password_flow(visit: Visit, region: Region) -> None:
    finished: list[str] = []
    blocked: list[str] = []
    visit.page.on("requestfinished", lambda request: finished.append(request.url))
    visit.page.on("requestfailed", lambda request: blocked.append(f"{request.url} {request.failure}"))
    visit.go("/docs")
    expect(visit.page.locator(".swagger-ui .info .title")).to_contain_text("greenfin")
    visit.page.locator("button.authorize").first.click()
    expect(visit.page.get_by_role("textbox", name="username:")).to_be_visible()  # the OAuth2 password flow
    expect(visit.page.get_by_text("/api/v1/auth/token").first).to_be_visible()
    visit.go("/redoc")
    # ReDoc lays out the whole document (hundreds of operations) before its title: allow a loaded machine time
    expect(visit.page.locator("h1").first).to_contain_text("greenfin", timeout=30_000)
    local = (region.base_url + "/", "data:", "blob:")
    assert [url for url in finished if not url.startswith(local)] == []  # nothing fetched from elsewhere
    # ReDoc's footer asks for its maker's logo on a CDN; the page's policy refuses it before it leaves.
    assert all("csp" in line.lower() for line in blocked if not line.startswith(local)), blocked


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_browser_asking_for_an_unknown_page_gets_the_error_page(visit: Visit, region: Region, lang: str) -> None:
    if lang == "en":
        visit.go("/lang/en?next=/")
    response = visit.page.goto(region.base_url + "/no-such-page")
    assert response is not None and response.status == 404
    assert response.headers["content-type"].startswith("text/html")
    expect(visit.page.locator("html")).to_have_attribute("lang", "zh-CN" if lang == "zh" else "en")
    expect(visit.page.locator(".status-code")).to_have_text("404")
    expect(visit.page.locator(".error-sentence")).to_have_text(translate("error.404", lang))
    api = visit.page.request.get(region.base_url + "/api/v1/no-such-thing")
    assert api.status == 404 and api.headers["content-type"] == "application/problem+json"


def _download(visit: Visit, selector: str) -> bytes:
    with visit.page.expect_download() as info:
        visit.page.click(selector)
    path = info.value.path()
    return Path(path).read_bytes()


def test_the_enterprise_list_sorts_pages_and_exports_exactly_what_is_filtered(visit: Visit, region: Region) -> None:
    visit.login("regulator")
    county = region.enterprises[1].county
    in_county = sorted((e for e in region.enterprises if e.county == county), key=lambda e: e.name, reverse=True)
    visit.go(f"/industry/enterprises?county={county}")
    page = visit.page
    # Sort by name, then the other way: the filter stays in the URL.
    page.click("th a[data-sort=name]")
    page.click("th a[data-sort=name]")
    expect(page).to_have_url(re.compile(rf"county={county}.*sort=name.*dir=desc|sort=name.*dir=desc.*county={county}"))
    names = page.locator("#enterprise-table tbody tr td:first-child").all_inner_texts()
    assert names == [e.name for e in in_county]
    # Page size: 20, 50, 100; the region's 24 enterprises fit one page of 50.
    visit.go("/industry/enterprises")
    page.select_option("#page-size", "50")
    page.click("#page-size-submit")
    expect(page.locator("#enterprise-table tbody tr")).to_have_count(len(region.enterprises))
    assert page.locator(".pager").count() == 0
    # Exports hold exactly the filtered rows, names first.
    visit.go(f"/industry/enterprises?county={county}&sort=name&dir=desc")
    workbook = openpyxl.load_workbook(io.BytesIO(_download(visit, "#export-xlsx")), read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("企业", "统一社会信用代码", "所在区县")
    assert [row[0] for row in rows[1:]] == [e.name for e in in_county]
    assert [row[1] for row in rows[1:]] == [e.uscc for e in in_county]
    text = _download(visit, "#export-csv").decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert [line[1] for line in lines[1:]] == [e.uscc for e in in_county]


def test_the_regulator_has_a_farm_list_that_exports_exactly_what_is_filtered(visit: Visit, region: Region) -> None:
    visit.login("regulator")
    page = visit.page
    page.click(f"nav a:text-is('{translate('nav.farms', 'zh')}')")
    expect(page.locator("h1")).to_have_text(translate("list.farms_title", "zh"))
    page.select_option("#farm_type", "pig_farm")
    page.select_option("#account", "yes")
    with page.expect_navigation():
        page.click("#farm-filter-submit")
    expect(page).to_have_url(re.compile(r"farm_type=pig_farm.*account=yes"))
    page.select_option("#page-size", "100")
    with page.expect_navigation():
        page.click("#page-size-submit")
    expect(page).to_have_url(re.compile(r"farm_type=pig_farm.*size=100"))
    total = int(page.locator("#farm-results").get_attribute("data-total") or "0")
    rows = page.locator("#farm-table tbody tr[data-farm]")
    expect(rows).to_have_count(min(total, 100))
    assert total > 0
    shown = rows.locator("td:first-child").all_inner_texts()
    assert all(
        translate("list.account_open", "zh") == text for text in rows.locator("td:nth-child(6)").all_inner_texts()
    )
    workbook = openpyxl.load_workbook(io.BytesIO(_download(visit, "#export-xlsx")), read_only=True)
    exported = list(workbook.active.iter_rows(values_only=True))
    assert exported[0][0] == translate("list.farm_name", "zh")
    assert len(exported) - 1 == total  # every filtered row, not just this page
    assert [row[0] for row in exported[1 : len(shown) + 1]] == shown  # in the order shown
    assert {row[1] for row in exported[1:]} == {translate("agri.category.pig_farm", "zh")}
    assert all("北京时间" in row[-1] for row in exported[1:])
    # Sorted by name descending, the first page begins with the last names of all filtered.
    page.click("th a[data-sort=name]")
    page.click("th a[data-sort=name]")
    every = sorted((str(row[0]) for row in exported[1:]), reverse=True)
    assert rows.locator("td:first-child").all_inner_texts() == every[: min(total, 100)]


def test_the_ledger_export_holds_exactly_the_filtered_entries(visit: Visit, region: Region) -> None:
    visit.login("resident")
    visit.go("/personal/account?kind=earn")
    total = int(visit.page.locator("#ledger-results").get_attribute("data-total") or "0")
    assert total > 20  # more than one page: the export is not just the page shown
    workbook = openpyxl.load_workbook(io.BytesIO(_download(visit, "#ledger-results #export-xlsx")), read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    assert len(rows) - 1 == total
    assert {row[1] for row in rows[1:]} == {translate("personal.kind.earn", "zh")}
    assert all(row[2] for row in rows[1:])  # every earning names its scenarios
    first = visit.page.locator("#ledger-table tbody tr").first
    expect(first.locator(".what")).to_have_text(str(rows[1][2]))


def test_the_borrower_exports_who_read_its_reports(visit: Visit) -> None:
    visit.login("enterprise")
    visit.go("/finance/consents")
    shown = visit.page.locator("#report-reads tbody tr[data-actor]").count()
    workbook = openpyxl.load_workbook(io.BytesIO(_download(visit, "#export-xlsx")), read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][0] == translate("fin.read_at", "zh")
    assert len(rows) - 1 == shown
    assert all("北京时间" in str(row[0]) for row in rows[1:])
    # sortable by bank: the page and the export follow the same order
    visit.page.locator("#report-reads th a.sort[data-sort=bank]").click()
    expect(visit.page).to_have_url(re.compile(r"sort=bank"))
    sorted_rows = list(
        openpyxl.load_workbook(io.BytesIO(_download(visit, "#export-xlsx")), read_only=True).active.iter_rows(
            values_only=True
        )
    )
    assert [row[2] for row in sorted_rows[1:]] == sorted(row[2] for row in sorted_rows[1:])


def test_names_come_first_where_codes_were(visit: Visit, region: Region) -> None:
    visit.login("bank")
    expect(visit.page.locator("#who")).to_contain_text("衢州绿色银行")  # the organisation's name beside the user's
    visit.go("/finance/consents")
    borrowers = visit.page.locator("#consent-list .borrower-name").all_inner_texts()
    assert any(region.own.name in text for text in borrowers)  # the enterprise by name, not its USCC
    assert not any(text.strip() == region.own.uscc for text in borrowers)
    visit.go("/finance/reports")
    expect(visit.page.locator("#borrower option").first).not_to_contain_text(region.own.uscc)
    visit.page.locator("form.logout button").click()
    visit.login("enterprise")
    visit.go("/finance/consents")
    expect(visit.page.locator("#consent-list .bank-name").first).to_contain_text("衢州绿色银行")


def test_the_bank_enters_amount_and_term_and_gets_a_report_fit_for_a_credit_file(visit: Visit, region: Region) -> None:
    from pypdf import PdfReader

    visit.login("bank")
    visit.go("/finance/reports")
    page = visit.page
    page.select_option("#borrower", f"enterprise:{region.own.uscc}")
    page.fill("#amount_wan", "150")
    page.fill("#term_months", "36")
    with page.expect_navigation():
        page.click("#request-submit")
    expect(page.locator("#borrower-name")).to_have_text(region.own.name)
    expect(page.locator("#issued-at")).to_contain_text("北京时间")
    terms = page.locator("#report-terms")
    expect(terms).to_contain_text("1,500,000.00 元（150.00 万元）")  # the amount the bank entered
    expect(terms).to_contain_text("36 个月")
    expect(page.locator("#reference-rate")).to_contain_text("LPR")
    expect(page.locator("#terms-adjustments .basis").first).to_contain_text("《衢州市碳账户金融差异化政策表 第1版》")
    expect(page.locator("#report-qr svg")).to_be_visible()
    assert not internal_identifiers(_visible_text(visit))
    href = page.locator("#pdf-link").get_attribute("href") or ""
    pdf = page.context.request.get(region.base_url + href).body()
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
    assert region.own.name in text and "北京时间" in text and "150.00万元" in text
