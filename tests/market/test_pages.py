"""衢融通 pages in chromium: supermarket, need, matches, apply, bank workbench, regulator dashboard."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Browser, expect

from tests.web.conftest import Region, Visit, internal_identifiers, region, visit  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture
def second(browser: Browser, region: Region) -> Iterator[Visit]:  # noqa: F811
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield Visit(page=page, base_url=region.base_url, requests=[])
    context.close()


PRODUCT_BODY = {
    "name": "碳效贷",
    "min_amount_fen": 10_000_000,
    "max_amount_fen": 1_000_000_000,
    "min_term_months": 6,
    "max_term_months": 36,
    "borrower_kinds": ["enterprise"],
    "rate_spread_bp": 45,
}


def test_need_to_application_to_acceptance(visit: Visit, second: Visit, region: Region) -> None:  # noqa: F811
    bank = second
    bank.login("bank")
    body = PRODUCT_BODY
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
    need_page = visit.page.url.removeprefix(visit.base_url)
    row = visit.page.locator(f"#matches tr[data-product='{product_id}']")
    expect(row).to_contain_text("衢州绿色银行")
    expect(row).to_contain_text("挂牌利率 3.45%")
    with visit.page.expect_navigation():
        row.locator("button.apply").click()
    expect(visit.page.locator("#applications")).to_contain_text("已提交")
    expect(visit.page.locator("#applications .timeline").first).to_contain_text("提交申请")
    assert "submitted" not in visit.page.locator("main").inner_text()

    app_id = visit.page.locator("#applications tr[data-state='submitted']").first.get_attribute("data-application")
    mine_for_borrower = visit.page.locator(f"#applications tr[data-application='{app_id}']")
    expect(mine_for_borrower).to_contain_text("衢州绿色银行")  # the bank by name
    expect(mine_for_borrower).to_contain_text("碳效贷")

    bank.go("/market/applications")
    mine = bank.page.locator(f"#applications tr[data-application='{app_id}']")
    expect(mine.locator(".countdown")).to_contain_text("工作日")
    expect(mine.locator(".party")).to_contain_text(region.own.name)  # the borrower by name, then its code
    expect(mine.locator(".party")).to_contain_text(region.own.uscc)
    with bank.page.expect_navigation():
        mine.locator("button.accept").click()
    expect(bank.page.locator("#notice")).to_contain_text("已受理")
    expect(mine).to_have_attribute("data-state", "accepted")
    mine.locator("summary.approve-open").click()
    mine.locator("input[name=rate_pct]").fill("3.20")
    mine.locator("input[name=amount_wan]").fill("150")
    with bank.page.expect_navigation():
        mine.locator("button.approve").click()
    expect(mine).to_have_attribute("data-state", "approved")
    expect(mine).to_contain_text("150.00 万元")
    expect(mine).to_contain_text("3.20%")
    with bank.page.expect_navigation():
        mine.locator("button.contract").click()
    expect(mine).to_have_attribute("data-state", "contracted")
    mine.locator("summary.disburse-open").click()
    mine.locator("input[name=loan_no]").fill("JJ-2026-0001")
    with bank.page.expect_navigation():
        mine.locator("button.disburse").click()
    expect(bank.page.locator("#notice")).to_contain_text("贷款台账")
    expect(mine).to_have_attribute("data-state", "disbursed")
    loans = bank.page.request.get(f"{bank.base_url}/api/v1/loans?borrower={region.own.uscc}").json()["items"]
    loan = next(item for item in loans if item["loan_no"] == "JJ-2026-0001")
    assert (loan["amount_fen"], loan["rate_bp"], loan["application_id"]) == (150_000_000, 320, app_id)

    bank.page.context.clear_cookies()
    bank.login("regulator")
    policy = {"title": "放款后贴息测试", "valid_from": "2020-01-01", "valid_to": "2099-12-31",
              "subsidy_rate_bp": 100, "budget_fen": 10_000_000, "green_only": False}  # fmt: skip
    assert bank.page.request.post(f"{bank.base_url}/api/v1/market/policies", data=policy).status == 201

    visit.go("/market/applications")
    expect(mine_for_borrower).to_contain_text("已放款")
    expect(mine_for_borrower.locator(".timeline")).to_contain_text("放款")
    mine_for_borrower.locator("summary.subsidy-open").click()
    mine_for_borrower.locator("select[name=policy_id]").select_option(label="放款后贴息测试")
    with visit.page.expect_navigation():
        mine_for_borrower.locator("button.subsidy-submit").click()
    expect(visit.page.locator("#notice")).to_contain_text("待监管部门审核")
    applied = visit.page.locator("#my-subsidies tr", has_text="放款后贴息测试")
    expect(applied).to_contain_text("1.50 万元")  # 150万元 × 1 % × 12/12
    expect(applied).to_contain_text("待审核")
    expect(mine_for_borrower.locator("summary.subsidy-open")).to_have_count(0)  # once per loan
    for who, path in ((visit, "/market/applications"), (visit, need_page), (bank, "/market/applications")):
        who.go(path)
        assert not internal_identifiers(who.page.locator("body").inner_text()), path


def test_the_borrower_withdraws_and_the_bank_filters_and_exports(
    visit: Visit,  # noqa: F811
    second: Visit,
    region: Region,  # noqa: F811
) -> None:
    bank = second
    bank.login("bank")
    body = {**PRODUCT_BODY, "name": "撤回测试贷"}
    product_id = bank.page.request.post(f"{bank.base_url}/api/v1/market/products", data=body).json()["id"]
    assert bank.page.request.post(f"{bank.base_url}/api/v1/market/products/{product_id}/publish").status == 200
    visit.login("enterprise")
    need = {"amount_fen": 50_000_000, "term_months": 12, "purpose": "光伏屋顶"}
    need_id = visit.page.request.post(f"{visit.base_url}/api/v1/market/needs", data=need).json()["id"]
    applied = visit.page.request.post(
        f"{visit.base_url}/api/v1/market/applications", data={"need_id": need_id, "product_id": product_id}
    ).json()
    visit.go("/market/applications")
    row = visit.page.locator(f"#applications tr[data-application='{applied['id']}']")
    visit.page.once("dialog", lambda dialog: dialog.accept())  # asked to confirm
    with visit.page.expect_navigation():
        row.locator("button.withdraw").click()
    expect(visit.page.locator("#notice")).to_contain_text("已撤回")
    expect(row).to_have_attribute("data-state", "withdrawn")

    bank.go("/market/applications")
    bank.page.select_option("#state", "withdrawn")
    with bank.page.expect_navigation():
        bank.page.click("#application-filter-submit")
    assert "state=withdrawn" in bank.page.url
    expect(bank.page.locator(f"#applications tr[data-application='{applied['id']}']")).to_be_visible()
    states = bank.page.locator("#applications tbody tr[data-state]")
    assert {states.nth(i).get_attribute("data-state") for i in range(states.count())} == {"withdrawn"}
    with bank.page.expect_download() as download:
        bank.page.click("#export-xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("提交时间", "借款人", "产品")
    assert len(rows) - 1 == states.count() and all(r[6] == "已撤回" for r in rows[1:])


def test_regulator_dashboard(visit: Visit) -> None:  # noqa: F811
    visit.login("regulator")
    visit.go("/market/dashboard")
    expect(visit.page.locator("h1")).to_have_text("衢融通平台监测")
    expect(visit.page.locator("#kpis")).to_be_visible()
    assert not internal_identifiers(visit.page.locator("body").inner_text())


def test_the_regulator_reviews_and_pays_a_subsidy_on_the_dashboard(
    visit: Visit,  # noqa: F811
    second: Visit,
    region: Region,  # noqa: F811
) -> None:
    visit.login("regulator")
    policy = {"title": "页面贴息测试", "valid_from": "2020-01-01", "valid_to": "2099-12-31", "subsidy_rate_bp": 100,
              "budget_fen": 10_000_000}  # fmt: skip
    policy_id = visit.page.request.post(f"{visit.base_url}/api/v1/market/policies", data=policy).json()["id"]
    second.login("bank")
    loan = {"loan_no": "SUB-PAGE-1", "borrower_code": region.own.uscc, "borrower_name": region.own.name,
            "amount_fen": 200_000_000, "rate_bp": 300, "term_months": 24, "start_date": "2026-03-01",
            "green_use": "3"}  # fmt: skip
    loan_id = second.page.request.post(f"{second.base_url}/api/v1/loans", data=loan).json()["id"]
    second.page.context.clear_cookies()
    second.login("enterprise")
    applied = second.page.request.post(
        f"{second.base_url}/api/v1/market/subsidies", data={"policy_id": policy_id, "loan_id": loan_id}
    )
    assert applied.status == 201, applied.text()
    subsidy_id = applied.json()["id"]

    visit.go("/market/dashboard")
    row = visit.page.locator(f"#subsidies tr[data-subsidy='{subsidy_id}']")
    expect(row).to_contain_text(region.own.name)
    expect(row).to_contain_text("2.00 万元")  # 200万元 × 1 % × 12/12
    expect(row).to_contain_text("待审核")
    with visit.page.expect_navigation():
        row.locator("button.subsidy-approve").click()
    expect(visit.page.locator("#notice")).to_contain_text("预算已扣减")
    expect(row).to_have_attribute("data-status", "approved")
    visit.page.once("dialog", lambda dialog: dialog.accept())
    with visit.page.expect_navigation():
        row.locator("button.subsidy-pay").click()
    expect(row).to_have_count(0)  # paid: no longer waiting
    budget = visit.page.locator("#policies tr", has_text="页面贴息测试")
    expect(budget).to_contain_text("2.00 万元")
    assert not internal_identifiers(visit.page.locator("body").inner_text())


def test_product_editor(visit: Visit) -> None:  # noqa: F811
    """A bank drafts a product on the page, is told which field is wrong, publishes, edits into version 2."""
    visit.login("bank")
    visit.go("/market/products")
    visit.page.click("#new-product")
    visit.page.fill("#name", "绿色技改贷")
    visit.page.fill("#min_amount_wan", "500")
    visit.page.fill("#max_amount_wan", "100")  # below the smallest: refused, the field named
    visit.page.fill("#spread_percent", "0.35")
    with visit.page.expect_navigation():
        visit.page.click("#product-submit")
    expect(visit.page.locator("#product-error")).to_contain_text("「最高额度（万元）」填写有误")
    expect(visit.page.locator("#name")).to_have_value("绿色技改贷")  # what was typed is kept
    visit.page.fill("#min_amount_wan", "10")
    visit.page.fill("#max_amount_wan", "500")
    with visit.page.expect_navigation():
        visit.page.click("#product-submit")
    row = visit.page.locator("#my-products tr[data-status='draft']", has_text="绿色技改贷")
    expect(row).to_contain_text("草稿")
    expect(row).to_contain_text("第 1 版")
    with visit.page.expect_navigation():
        row.locator("button", has_text="发布").click()
    published = visit.page.locator("#my-products tr[data-status='published']", has_text="绿色技改贷")
    expect(published).to_contain_text("已发布")
    with visit.page.expect_navigation():
        published.locator("a", has_text="编辑").click()
    expect(visit.page.locator("main")).to_contain_text("生成新的草稿版本")
    visit.page.fill("#spread_percent", "0.25")
    with visit.page.expect_navigation():
        visit.page.click("#product-submit")
    versions = visit.page.locator("#my-products tr", has_text="绿色技改贷")
    expect(versions).to_have_count(2)
    expect(visit.page.locator("#my-products tr[data-status='draft']", has_text="绿色技改贷")).to_contain_text("第 2 版")
    text = visit.page.locator("main").inner_text()
    assert "draft" not in text and "published" not in text and "green_credit" not in text


def test_the_supermarket_filters_sorts_pages_and_exports(visit: Visit, second: Visit) -> None:  # noqa: F811
    bank = second
    bank.login("bank")
    for i, (spread, top) in enumerate(((20, 3_000_000_000), (90, 50_000_000), (55, 800_000_000))):
        body = {**PRODUCT_BODY, "name": f"超市测试贷{i}", "rate_spread_bp": spread, "max_amount_fen": top,
                "loan_method": "mortgage"}  # fmt: skip
        product_id = bank.page.request.post(f"{bank.base_url}/api/v1/market/products", data=body).json()["id"]
        assert bank.page.request.post(f"{bank.base_url}/api/v1/market/products/{product_id}/publish").status == 200
    visit.login("enterprise")
    visit.go("/market")
    visit.page.fill("#q", "超市测试贷")
    visit.page.select_option("#method", "mortgage")
    with visit.page.expect_navigation():
        visit.page.click("#product-filter-submit")
    names = visit.page.locator("#products tbody tr td:first-child")
    expect(names).to_have_count(3)
    assert [n.split("\n")[0] for n in names.all_inner_texts()] == ["超市测试贷0", "超市测试贷2", "超市测试贷1"]  # rate
    visit.page.fill("#amount_wan", "1000")  # 1,000 万元: only the products lending that much
    with visit.page.expect_navigation():
        visit.page.click("#product-filter-submit")
    assert "amount_wan=1000" in visit.page.url and "method=mortgage" in visit.page.url
    expect(names).to_have_count(1)
    expect(names.first).to_contain_text("超市测试贷0")
    visit.go("/market?q=超市测试贷&sort=max_amount&dir=desc&size=20")
    assert [n.split("\n")[0] for n in names.all_inner_texts()] == ["超市测试贷0", "超市测试贷2", "超市测试贷1"]
    with visit.page.expect_download() as download:
        visit.page.click("#export-xlsx")
    rows = list(openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active.values)
    assert rows[0][0] == "产品" and [r[0] for r in rows[1:]] == ["超市测试贷0", "超市测试贷2", "超市测试贷1"]
    for amount in ("NaN", "Infinity", "abc"):  # a need's amount that is no number: the form again, said why
        posted = visit.page.request.post(
            f"{visit.base_url}/market/needs", form={"amount_wan": amount, "term_months": "12", "purpose": "测试"}
        )
        assert posted.status == 422 and "金额须为数字" in posted.text(), (amount, posted.status)
    visit.go("/market?amount_wan=NaN&term=abc")  # nonsense filters are dropped, not a 500
    expect(visit.page.locator(".status-code")).to_have_count(0)
    assert not internal_identifiers(visit.page.locator("body").inner_text())


def test_the_loan_book_takes_a_balance_file_and_names_every_bad_row(
    visit: Visit,  # noqa: F811
    second: Visit,
    region: Region,  # noqa: F811
) -> None:
    bank = visit
    bank.login("bank")
    loan = {"loan_no": "BOOK-PAGE-1", "borrower_code": region.own.uscc, "borrower_name": region.own.name,
            "amount_fen": 100_000_000, "rate_bp": 310, "term_months": 24, "start_date": "2026-01-05",
            "green_use": "3"}  # fmt: skip
    assert bank.page.request.post(f"{bank.base_url}/api/v1/loans", data=loan).status == 201
    bank.go("/home")
    bank.page.click("#nav-loans")
    expect(bank.page.locator("h1")).to_have_text("贷款台账")
    header = "借据号,月末日期,余额（分）,五级分类\n"
    problems = bank.page.locator("#balance-problems")
    bank.page.click("#balance-upload summary")
    for body, named in (
        ("BOOK-PAGE-1,2026-11-30,90000000,正常\nBOOK-PAGE-1,2026-10-31,1,良好\n", ["不是正常/关注/次级/可疑/损失之一"]),
        (
            "BOOK-PAGE-1,2026-11-30,90000000,正常\nNO-SUCH-LOAN,2026-11-30,1,正常\nBOOK-PAGE-1,2026-10-31,200000000,正常\n",
            ["本行贷款台账中没有此借据号", "余额高于贷款金额"],
        ),
    ):
        upload = {"name": "余额.csv", "mimeType": "text/csv", "buffer": (header + body).encode()}
        bank.page.set_input_files("#balance-file", files=[upload])
        with bank.page.expect_navigation():
            bank.page.click("#balance-submit")
        expect(problems).to_contain_text("整份文件未导入")
        expect(problems.locator("tbody tr")).to_have_count(len(named))
        for reason in named:
            expect(problems).to_contain_text(reason)
        assert not internal_identifiers(bank.page.locator("body").inner_text())
    expect(bank.page.locator("#loans tr[data-loan='BOOK-PAGE-1'] .balance")).to_have_text("—")  # nothing imported

    good = "借据号,月末日期,余额（分）,五级分类\nBOOK-PAGE-1,2026-11-30,90000000,关注\n"
    bank.page.set_input_files(
        "#balance-file", files=[{"name": "余额.csv", "mimeType": "text/csv", "buffer": good.encode()}]
    )
    with bank.page.expect_navigation():
        bank.page.click("#balance-submit")
    expect(bank.page.locator("#notice")).to_contain_text("新增或更正 1 行")
    bank.go("/market/loans?sort=amount&dir=asc")  # a list read newest first, turned round: filtering keeps it
    bank.page.fill("#q", "BOOK-PAGE")
    with bank.page.expect_navigation():
        bank.page.click("#loan-filter-submit")
    assert "sort=amount" in bank.page.url and "dir=asc" in bank.page.url and "q=BOOK-PAGE" in bank.page.url
    row = bank.page.locator("#loans tr[data-loan='BOOK-PAGE-1']")
    expect(row).to_contain_text(region.own.name)
    expect(row.locator(".balance")).to_have_text("90.00 万元")
    expect(row.locator(".quality")).to_have_text("关注")
    with bank.page.expect_download() as download:
        bank.page.click("#export-xlsx")
    rows = list(openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active.values)
    assert [r[0] for r in rows[1:]] == ["BOOK-PAGE-1"] and rows[1][-1] == "关注"

    second.login("regulator")
    second.go("/market/loans?q=BOOK-PAGE")
    expect(second.page.locator("#loans tr[data-loan='BOOK-PAGE-1']")).to_contain_text("衢州绿色银行")  # the bank's name
    expect(second.page.locator("#balance-upload")).to_have_count(0)  # the regulator reads, never sends
    second.page.context.clear_cookies()
    second.login("enterprise")
    second.go("/market/loans")
    expect(second.page.locator(".status-code")).to_contain_text("403")
