"""The administration pages, self-service registration and its approval in a real browser.

They run on a live server of their own (an empty region: the platform, a regulator, a bank
and their users), so that the organisations, users and enterprises they create never
change the figures of the seeded region the other page tests count on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from greenfin.auth import service as auth
from greenfin.db import Base, import_all_models, make_engine, make_session_factory, session_scope
from greenfin.settings import Settings
from greenfin.web.i18n import translate
from tests.admin.conftest import make_uscc
from tests.web.conftest import PASSWORD, Visit, served

pytestmark = pytest.mark.browser

NEW_PASSWORD = "lvse-jinrong-2026!"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty region served by uvicorn: ``root`` (admin), ``watcher`` (regulator), ``teller`` (bank)."""
    path: Path = tmp_path_factory.mktemp("admin-web") / "greenfin.db"
    settings = Settings(environment="test", database_url=f"sqlite:///{path}", posting_interval_seconds=0)
    import_all_models()
    engine = make_engine(settings.database_url)
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    auth.install_audit(factory)
    with session_scope(factory) as session:
        session.info["actor"] = auth.SYSTEM
        platform = auth.create_organisation(session, kind="platform", name="平台运营方", code="platform")
        regulator = auth.create_organisation(session, kind="regulator", name="衢州市金融办", code="QZJRB")
        bank = auth.create_organisation(session, kind="bank", name="衢州农商银行", code="QZB01")
        for username, role, organisation in (("root", "admin", platform), ("watcher", "regulator", regulator)):
            auth.create_user(session, username=username, password=PASSWORD, role=role, organisation=organisation)
        auth.create_user(session, username="teller", password=PASSWORD, role="bank", organisation=bank)
    engine.dispose()
    with served(settings) as base:
        yield base


@pytest.fixture
def page_on(browser: Browser, site: str) -> Iterator[Visit]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
    context.set_default_timeout(10_000)
    yield Visit(page=context.new_page(), base_url=site, requests=[])
    context.close()


def test_the_admin_registers_a_data_source_creates_a_user_and_a_key(page_on: Visit) -> None:
    page_on.login("root")
    page = page_on.page
    page.click("#nav-admin")
    expect(page.locator("h1")).to_have_text(translate("admin.organisations", "zh"))
    page.select_option("#org-kind", "data_source")
    page.fill("#org-name", "衢州公交集团")
    page.fill("#org-code", "QZBUS")
    with page.expect_navigation():
        page.click("#org-submit")
    expect(page.locator("#admin-notice")).to_have_text(translate("admin.done", "zh"))
    row = page.locator("#org-table tr[data-code=QZBUS]")
    expect(row).to_contain_text("衢州公交集团")
    expect(row).to_contain_text(translate("orgkind.data_source", "zh"))

    page.click("#admin-tabs a[href='/admin/users']")
    page.fill("#user-username", "busfeed")
    page.select_option("#user-role", "data_source")
    page.select_option("#user-org", "QZBUS")
    page.fill("#user-password", "short")
    with page.expect_navigation():
        page.click("#user-submit")
    expect(page.locator("#admin-error")).to_have_text(translate("password.too_short", "zh"))
    page.fill("#user-username", "busfeed")
    page.select_option("#user-role", "data_source")
    page.select_option("#user-org", "QZBUS")
    page.fill("#user-password", NEW_PASSWORD)
    with page.expect_navigation():
        page.click("#user-submit")
    expect(page.locator("#user-table tr[data-username=busfeed] .status")).to_have_text(translate("admin.active", "zh"))

    page.click("#admin-tabs a[href='/admin/api-keys']")
    page.select_option("#key-org", "QZBUS")
    page.fill("#key-name", "刷卡数据")
    page.check("#key-scopes input[value=personal_events]")
    page.fill("#key-days", "365")
    with page.expect_navigation():
        page.click("#key-submit")
    key = page.locator("#new-key").inner_text()
    assert re.fullmatch(r"gf_[0-9a-f]{12}_[A-Za-z0-9_-]+", key), key
    prefix = key.split("_")[1]
    row = page.locator(f"#key-table tr[data-prefix='{prefix}']")
    expect(row).to_have_attribute("data-status", "live")
    expect(row).to_contain_text(translate("scope.personal_events", "zh"))
    with page.expect_navigation():
        row.locator("button.revoke").click()
    expect(page.locator(f"#key-table tr[data-prefix='{prefix}']")).to_have_attribute("data-status", "revoked")
    page_on.go("/admin/api-keys")
    assert key not in page.content()  # shown once

    # The audit log names what was done, by whom, in Beijing time; English on request.
    page.click("#admin-tabs a[href='/admin/audit']")
    page.select_option("#audit-entity-type", "auth_organisation")
    with page.expect_navigation():
        page.click("#audit-submit")
    first = page.locator("#audit-table tbody tr").first
    expect(first).to_contain_text("QZBUS")
    expect(first).to_contain_text(translate("action.create", "zh"))
    expect(first).to_contain_text("root")
    assert "entity_type=auth_organisation" in (page.locator("#export-csv").get_attribute("href") or "")
    # sortable, paged by number, and the XLSX export holds exactly the filtered rows
    page.locator("#audit-table th a.sort[data-sort=actor]").click()
    expect(page).to_have_url(re.compile(r"sort=actor"))
    href = page.locator("#export-xlsx").get_attribute("href") or ""
    assert "entity_type=auth_organisation" in href and "export=xlsx" in href
    import io

    import openpyxl

    answer = page.request.get(f"{page_on.base_url}{href}")
    rows = list(openpyxl.load_workbook(io.BytesIO(answer.body()), read_only=True).active.iter_rows(values_only=True))
    shown = page.locator("#audit-table tbody tr[data-entity]").count()
    assert len(rows) - 1 == shown and all(row[3] == translate("entity.auth_organisation", "zh") for row in rows[1:])
    page.click("#lang-switch")
    expect(page.locator("h1")).to_have_text(translate("admin.audit", "en"))
    page.screenshot(path="/tmp/greenfin-admin-audit.png", full_page=True)


def test_a_regulator_reads_and_a_bank_is_refused(page_on: Visit) -> None:
    page_on.login("watcher")
    page = page_on.page
    page.click("#nav-admin")
    expect(page.locator("#read-only")).to_be_visible()
    expect(page.locator("#org-form")).to_have_count(0)
    expect(page.locator("#org-table tr[data-code=QZB01]")).to_be_visible()
    page_on.page.context.clear_cookies()
    page_on.login("teller")
    expect(page.locator("#nav-admin")).to_have_count(0)
    response = page.goto(page_on.base_url + "/admin/users")
    assert response is not None and response.status == 403
    expect(page.locator(".error-sentence")).to_have_text(translate("error.403", "zh"))


def test_an_enterprise_registers_and_logs_in_once_approved(page_on: Visit) -> None:
    page = page_on.page
    uscc = make_uscc(71)
    page_on.go("/login")
    page.click("#nav-register")
    page.select_option("#reg-kind", "enterprise")
    page.fill("#reg-uscc", uscc.lower())
    page.fill("#reg-name", "衢州绿色建材有限公司")
    page.select_option("#reg-county", "330802")
    page.select_option("#reg-industry", "3011")
    page.fill("#reg-contact-name", "赵经理")
    page.fill("#reg-contact-phone", "0570-8888888")
    page.fill("#reg-username", "jiancai")
    page.fill("#reg-password", NEW_PASSWORD)
    with page.expect_navigation():
        page.click("#reg-submit")
    expect(page.locator("#reg-sent")).to_be_visible()
    page_on.login("jiancai", NEW_PASSWORD)  # pending: refused like a wrong password
    expect(page.locator("#login-error")).to_have_text(translate("login.wrong", "zh"))

    page_on.login("watcher")
    page.goto(page_on.base_url + "/admin/registrations")
    row = page.locator(f"#reg-table tr[data-uscc='{uscc}']")
    expect(row.locator(".status")).to_have_text(translate("reg.status.pending", "zh"))
    with page.expect_navigation():
        row.locator("button.approve").click()
    expect(page.locator("#admin-notice")).to_have_text(translate("admin.done", "zh"))
    page.context.clear_cookies()

    page_on.login("jiancai", NEW_PASSWORD)
    expect(page).to_have_url(re.compile(rf"/industry/enterprises/{uscc}$"))
    # Its own password, changed from the page; then the new one logs in.
    page.click("#nav-password")
    page.fill("#pw-current", NEW_PASSWORD)
    page.fill("#pw-new", "jiancai-new-password")
    page.fill("#pw-repeat", "jiancai-new-password")
    with page.expect_navigation():
        page.click("#pw-submit")
    expect(page.locator("#pw-error")).to_have_text(translate("password.username", "zh"))
    page.fill("#pw-current", NEW_PASSWORD)
    page.fill("#pw-new", "qingshan-lvshui-88")
    page.fill("#pw-repeat", "qingshan-lvshui-88")
    with page.expect_navigation():
        page.click("#pw-submit")
    expect(page).to_have_url(re.compile(r"/login$"))
    page_on.login("jiancai", "qingshan-lvshui-88")
    expect(page).to_have_url(re.compile(rf"/industry/enterprises/{uscc}$"))


def test_a_rejected_farm_sees_no_login_and_the_reason_is_kept(page_on: Visit) -> None:
    page = page_on.page
    uscc = make_uscc(72, "330881")
    page_on.go("/register")
    page.select_option("#reg-kind", "farm")
    page.fill("#reg-uscc", uscc)
    page.fill("#reg-name", "江山某生猪养殖场")
    page.select_option("#reg-county", "330881")
    page.select_option("#reg-farm-type", "pig_farm")
    page.fill("#reg-township", "贺村镇")
    page.fill("#reg-contact-name", "周场长")
    page.fill("#reg-contact-phone", "13900001111")
    page.fill("#reg-username", "zhuchang")
    page.fill("#reg-password", NEW_PASSWORD)
    with page.expect_navigation():
        page.click("#reg-submit")
    expect(page.locator("#reg-sent")).to_be_visible()

    page_on.login("watcher")
    page.goto(page_on.base_url + "/admin/registrations")
    row = page.locator(f"#reg-table tr[data-uscc='{uscc}']")
    row.locator("form.reject input[name=reason]").fill("营业执照名称与申请不符")
    with page.expect_navigation():
        row.locator("form.reject button").click()
    page.select_option("#reg-status", "rejected")
    with page.expect_navigation():
        page.click("#reg-filter button")
    rejected = page.locator(f"#reg-table tr[data-uscc='{uscc}']")
    expect(rejected).to_have_attribute("data-status", "rejected")
    expect(rejected.locator(".reason")).to_have_text("营业执照名称与申请不符")
    page.context.clear_cookies()
    page_on.login("zhuchang", NEW_PASSWORD)
    expect(page.locator("#login-error")).to_have_text(translate("login.wrong", "zh"))
