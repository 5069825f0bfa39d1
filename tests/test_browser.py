"""Browser tests: the key pages driven in headless Chromium (Playwright, sync API) against live_server.

The data is built with tests.factories.build_county() (one user per role, usernames = role keys).
Each test opens its own browser contexts (one per user); the browser itself is shared by the module.
Screenshots of the main pages are written to /tmp/screens/ for a human to look at.
"""

import datetime as dt
import re

import openpyxl
import pytest
from playwright.sync_api import expect

from dangjian.core import crypto
from dangjian.core.idnumber import check_digit
from dangjian.core.models import AccessLog
from dangjian.members.models import Member
from tests.browser_helpers import (
    fill_login,
    read_xlsx,
    screenshot,
    sign_in,
    table_after_header,
    watch,
)
from tests.factories import PASSWORD, build_county, id_number

pytestmark = pytest.mark.browser

expect.set_options(timeout=10_000)


@pytest.fixture
def world(browser, transactional_db):
    return build_county()


@pytest.fixture
def new_page(browser, live_server):
    """Open a page in a fresh browser context (own cookies); fail if a static file or a script breaks."""
    contexts, problems = [], []

    def make():
        context = browser.new_context(base_url=live_server.url, locale="zh-CN", accept_downloads=True,
                                      viewport={"width": 1400, "height": 900})  # fmt: skip
        context.set_default_timeout(10_000)
        contexts.append(context)
        return watch(context.new_page(), problems)

    yield make
    for context in contexts:
        context.close()
    assert not problems, problems


def stat(page, label):
    return page.get_by_test_id("home-stats").locator(".dj-card", has_text=label).locator(".dj-stat")


def assert_front_end_loaded(page):
    """htmx 2.0.x and Alpine are loaded from the live server (the tree expansion depends on both)."""
    page.wait_for_function("() => window.htmx !== undefined && window.Alpine !== undefined")
    assert page.evaluate("() => htmx.version").startswith("2.0")


# --- 1. login, home counts, lockout -----------------------------------------------------------------


def test_login_home_counts_and_lockout(world, new_page, live_server):
    page = new_page()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    fill_login(page, "county_admin", PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/")
    assert_front_end_loaded(page)
    expect(stat(page, "党员（名正式党员）")).to_have_text("2")
    expect(stat(page, "预备党员")).to_have_text("0")
    expect(stat(page, "党组织")).to_have_text("5")
    expect(stat(page, "党支部")).to_have_text("2")
    expect(stat(page, "网格")).to_have_text("1")
    expect(stat(page, "职能部门")).to_have_text("2")
    expect(page.locator("header")).to_contain_text("county_admin")
    screenshot(page, "01-home")

    # Wrong passwords: the remaining attempts count down, the fifth failure locks the account.
    other = new_page()
    other.goto("/login/")
    for remaining in (4, 3, 2, 1):
        fill_login(other, "branch_secretary", "Wrong@2026pw")
        expect(other.get_by_test_id("login-error")).to_contain_text(f"还可尝试 {remaining} 次")
        expect(other.get_by_label("用户名")).to_have_value("branch_secretary")
    fill_login(other, "branch_secretary", "Wrong@2026pw")
    expect(other.get_by_test_id("locked")).to_contain_text("已被锁定30分钟")
    screenshot(other, "02-locked")
    # Even the right password is refused now, and no session was opened.
    other.goto("/login/")
    fill_login(other, "branch_secretary", PASSWORD)
    expect(other.get_by_test_id("locked")).to_contain_text("已被锁定30分钟")
    other.goto("/members/")
    expect(other).to_have_url(re.compile(r"/login/\?next=/members/$"))
    # The lock is per account, not per address: another user still logs in from the same browser.
    fill_login(other, "township_admin", PASSWORD)
    expect(other).to_have_url(f"{live_server.url}/members/")
    expect(other.get_by_test_id("total")).to_have_text("1")


# --- 2. organisation and region trees -------------------------------------------------------------


def test_org_tree_expands_with_counts_and_scope(world, new_page, live_server):
    page = new_page()
    sign_in(page, live_server.url, world.users["county_admin"])
    page.goto("/orgs/")
    assert_front_end_loaded(page)
    tree = page.get_by_test_id("org-tree")
    expect(tree).to_contain_text("中共示范县委员会")
    expect(page.get_by_test_id("count-D01")).to_have_text("2")
    expect(tree.get_by_text("城关镇党委")).to_have_count(0)

    toggle = page.get_by_test_id("toggle-D01")
    toggle.click()
    expect(toggle.locator("i")).to_have_class(re.compile(r"\bbi-dash-square\b"))
    expect(tree.get_by_role("link", name="城关镇党委")).to_be_visible()
    expect(tree.get_by_role("link", name="河西镇党委")).to_be_visible()
    expect(page.get_by_test_id("count-D0101")).to_have_text("1")
    expect(page.get_by_test_id("count-D0102")).to_have_text("1")

    page.get_by_test_id("toggle-D0101").click()
    expect(tree.get_by_role("link", name="东风村党支部")).to_be_visible()
    expect(page.get_by_test_id("count-D010101")).to_have_text("1")
    page.get_by_test_id("toggle-D0102").click()
    expect(tree.get_by_role("link", name="柳林村党支部")).to_be_visible()
    screenshot(page, "03-org-tree-expanded")

    # Collapsing hides the children again (Alpine x-show), without reloading them.
    toggle.click()
    expect(tree.get_by_role("link", name="城关镇党委")).to_be_hidden()
    toggle.click()
    expect(tree.get_by_role("link", name="东风村党支部")).to_be_visible()

    # Clicking an organisation opens the member list of its subtree.
    tree.get_by_role("link", name="东风村党支部").click()
    expect(page).to_have_url(re.compile(r"/members/\?org=D010101$"))
    expect(page.get_by_test_id("total")).to_have_text("1")
    expect(page.get_by_role("link", name="张三")).to_be_visible()

    # A township administrator sees only the own township's committee as root.
    town = new_page()
    sign_in(town, live_server.url, world.users["township_admin"])
    town.goto("/orgs/")
    town_tree = town.get_by_test_id("org-tree")
    expect(town_tree.get_by_role("link", name="城关镇党委")).to_be_visible()
    expect(town.get_by_test_id("count-D0101")).to_have_text("1")
    expect(town_tree.locator(":scope > ul > li")).to_have_count(1)
    expect(town_tree).not_to_contain_text("中共示范县委员会")
    expect(town_tree).not_to_contain_text("河西镇")
    town.get_by_test_id("toggle-D0101").click()
    expect(town_tree.get_by_role("link", name="东风村党支部")).to_be_visible()
    expect(town_tree).not_to_contain_text("河西镇")
    expect(town_tree).not_to_contain_text("柳林村")

    # The region tree expands the same way.
    page.goto("/regions/")
    regions = page.get_by_test_id("region-tree")
    expect(regions).to_contain_text("示范县")
    page.get_by_test_id("toggle-369901").click()
    expect(regions.get_by_text("城关镇", exact=False).first).to_be_visible()
    expect(regions).to_contain_text("河西镇")
    page.get_by_test_id("toggle-369901001").click()
    expect(regions).to_contain_text("东风村")
    page.get_by_test_id("toggle-369901001001").click()
    expect(regions).to_contain_text("东风村一网格")
    screenshot(page, "04-region-tree")


# --- 3. import with errors, partial import, error report ------------------------------------------


def _roster(path):
    """A roster as a branch keeps it: a title row, the header, one good row and three bad ones."""
    good = id_number(birth=dt.date(1990, 5, 20))
    bad = id_number(birth=dt.date(1988, 2, 3))
    wrong_digit = "0" if bad[-1] != "0" else "1"
    bad = bad[:-1] + wrong_digit
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["东风村党支部党员花名册"])
    sheet.merge_cells("A1:H1")
    sheet.append(
        [
            "姓名",
            "性别",
            "公民身份号码",
            "人员类别",
            "入党日期",
            "转为正式党员日期",
            "联系电话",
            "所在党组织代码",
        ]
    )
    sheet.append(
        ["王五", "男", good, "正式党员", dt.date(2015, 7, 1), dt.date(2016, 7, 1), "13700137000", "D010101"]
    )
    sheet.append(["赵六", "男", bad, "正式党员", dt.date(2014, 7, 1), dt.date(2015, 7, 1), "", "D010101"])
    sheet.append(
        [
            "钱七",
            "男",
            id_number(birth=dt.date(1987, 8, 8)),
            "正式党员",
            None,
            dt.date(2015, 7, 1),
            "",
            "D010101",
        ]
    )
    sheet.append(["孙八", "男", id_number(birth=dt.date(1986, 9, 9)), "正式党员", dt.date(2013, 7, 1),
                  dt.date(2014, 7, 1), "", "D999999"])  # fmt: skip
    workbook.save(path)
    return good, bad, check_digit(bad[:17])


def test_import_rejects_errors_then_partial_import_and_report(world, new_page, live_server, tmp_path):
    path = tmp_path / "东风村党支部党员花名册.xlsx"
    good, bad, expected_digit = _roster(path)
    before = Member.objects.count()

    page = new_page()
    sign_in(page, live_server.url, world.users["county_admin"])
    page.goto("/imports/members/")
    assert_front_end_loaded(page)
    page.locator("input[type=file]#file").set_input_files(path)
    page.get_by_role("button", name="开始导入").click()

    summary = page.get_by_test_id("import-summary")
    expect(summary).to_contain_text("共 4 行，导入 0 行，拒绝 3 行")
    expect(summary).to_contain_text("由于存在错误，本次未写入任何数据")
    rows = page.get_by_test_id("error-table").locator("tbody tr")
    expect(rows).to_have_count(3)
    cells = [[c.strip() for c in row.locator("td").all_inner_texts()] for row in rows.all()]
    assert cells == [
        ["4", "公民身份号码", bad, f"公民身份号码校验位错误：应为{expected_digit}，实际为{bad[-1]}"],
        ["5", "入党日期", "", "必填"],
        ["6", "所在党组织代码", "D999999", "党组织“D999999”不存在"],
    ], cells
    assert Member.objects.count() == before
    assert not Member.objects.filter(name="王五").exists()
    # The upload form is ready for another try: button enabled again, progress bar hidden.
    expect(page.get_by_role("button", name="开始导入")).to_be_enabled()
    expect(page.get_by_role("progressbar", name="上传进度")).to_be_hidden()
    screenshot(page, "05-import-errors")

    # Only the rows that pass: the good row is written, the three bad ones are still reported.
    page.get_by_label("只导入校验通过的行").check()
    page.locator("input[type=file]#file").set_input_files(path)
    page.get_by_role("button", name="开始导入").click()
    expect(summary).to_contain_text("共 4 行，导入 1 行，拒绝 3 行")
    expect(summary).not_to_contain_text("未写入任何数据")
    expect(rows).to_have_count(3)
    assert Member.objects.count() == before + 1
    written = Member.objects.get(name="王五")
    assert crypto.decrypt(written.id_number_enc) == good
    assert written.org.code == "D010101" and written.joined_on == dt.date(2015, 7, 1)
    screenshot(page, "06-import-partial")

    with page.expect_download() as info:
        page.get_by_test_id("error-report").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    header, report = table_after_header(read_xlsx(download.path()), "行号")
    assert header == ["行号", "列", "值", "原因"]
    reasons = {(int(r["行号"]), r["列"], r["原因"]) for r in report}
    assert reasons == {
        (4, "公民身份号码", f"公民身份号码校验位错误：应为{expected_digit}，实际为{bad[-1]}"),
        (5, "入党日期", "必填"),
        (6, "所在党组织代码", "党组织“D999999”不存在"),
    }, reasons

    # The written member shows up in the list.
    page.goto("/members/?q=ww")
    expect(page.get_by_test_id("total")).to_have_text("1")
    expect(page.get_by_role("link", name="王五")).to_be_visible()


# --- 4. export, masked or not by permission -------------------------------------------------------


def _export(page):
    page.goto("/members/")
    with page.expect_download() as info:
        page.get_by_test_id("export").click()
    download = info.value
    assert download.suggested_filename.startswith("党员名册") and download.suggested_filename.endswith(
        ".xlsx"
    )
    return table_after_header(read_xlsx(download.path()), "姓名")[1]


def test_export_is_scoped_masked_by_permission_and_audited(world, new_page, live_server):
    plain = {m.name: crypto.decrypt(m.id_number_enc) for m in Member.objects.all()}

    admin = new_page()
    sign_in(admin, live_server.url, world.users["county_admin"])
    rows = _export(admin)
    assert {r["姓名"]: r["公民身份号码"] for r in rows} == plain
    assert all(len(r["公民身份号码"]) == 18 and "*" not in r["公民身份号码"] for r in rows)
    assert {r["所在党组织"] for r in rows} == {"东风村党支部", "柳林村党支部"}

    secretary = new_page()
    sign_in(secretary, live_server.url, world.users["branch_secretary"])
    rows = _export(secretary)
    assert [r["姓名"] for r in rows] == ["张三"]
    masked = rows[0]["公民身份号码"]
    assert "********" in masked and masked != plain["张三"]
    assert masked[:6] == plain["张三"][:6] and masked[-4:] == plain["张三"][-4:]
    assert "****" in rows[0]["联系电话"] and rows[0]["联系电话"] != "13800138000"

    logs = AccessLog.objects.filter(action="export", object_type="member")
    assert {(log.username, log.count, log.detail.get("unmasked")) for log in logs} == {
        ("county_admin", 2, True),
        ("branch_secretary", 1, False),
    }


# --- 5. member detail: masked, reveal (audited), permission and scope -----------------------------


def test_member_detail_reveal_permission_and_scope(world, new_page, live_server):
    zhang, li = world.members["a"], world.members["b"]
    plain = crypto.decrypt(zhang.id_number_enc)

    page = new_page()
    accept = lambda dialog: dialog.accept()  # noqa: E731
    page.on("dialog", accept)
    sign_in(page, live_server.url, world.users["county_admin"])
    page.goto("/members/")
    page.get_by_role("link", name="张三").click()
    expect(page).to_have_url(f"{live_server.url}/members/{zhang.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("张三")
    id_cell = page.get_by_test_id("id-number")
    expect(id_cell).to_have_text(zhang.id_number_masked)
    expect(id_cell).to_contain_text("********")
    expect(page.get_by_test_id("phone")).not_to_contain_text("13800138000")
    assert not AccessLog.objects.filter(action="unmask").exists()

    page.get_by_role("button", name="查看明文").click()
    expect(id_cell).to_have_text(plain)
    expect(page.get_by_test_id("phone")).to_have_text("13800138000")
    expect(page.get_by_text("本次查看已记入审计日志")).to_be_visible()
    log = AccessLog.objects.get(action="unmask")
    assert log.username == "county_admin" and log.object_id == str(zhang.pk)
    screenshot(page, "07-member-detail-revealed")

    # Dismissing the confirmation reveals nothing and writes nothing.
    page.remove_listener("dialog", accept)
    page.reload()
    messages = []
    page.once("dialog", lambda dialog: (messages.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="查看明文").click()
    page.wait_for_load_state("networkidle")
    assert messages == ["查看明文将记入审计日志，确定查看？"]
    expect(id_cell).to_have_text(zhang.id_number_masked)
    assert AccessLog.objects.filter(action="unmask").count() == 1

    secretary = new_page()
    sign_in(secretary, live_server.url, world.users["branch_secretary"])
    secretary.goto(f"/members/{zhang.pk}/")
    expect(secretary.get_by_test_id("id-number")).to_have_text(zhang.id_number_masked)
    expect(secretary.get_by_role("button", name="查看明文")).to_have_count(0)

    town = new_page()
    sign_in(town, live_server.url, world.users["township_admin"])
    response = town.goto(f"/members/{li.pk}/")
    assert response.status == 404
    expect(town.locator("body")).not_to_contain_text("李四")
    response = town.goto(f"/members/{zhang.pk}/")
    assert response.status == 200
    assert AccessLog.objects.filter(action="unmask").count() == 1


# --- 6. member list filters -----------------------------------------------------------------------


def test_member_list_search_and_filters(world, new_page, live_server):
    page = new_page()
    sign_in(page, live_server.url, world.users["county_admin"])
    page.goto("/members/")
    expect(page.get_by_test_id("total")).to_have_text("2")
    expect(page.get_by_role("link", name="张三")).to_be_visible()
    expect(page.get_by_role("link", name="李四")).to_be_visible()
    screenshot(page, "08-member-list")

    page.get_by_label("姓名/拼音首字母/身份证号").fill("zs")
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_url(re.compile(r"[?&]q=zs(&|$)"))
    expect(page.get_by_test_id("total")).to_have_text("1")
    expect(page.get_by_role("link", name="张三")).to_be_visible()
    expect(page.get_by_role("link", name="李四")).to_have_count(0)

    page.get_by_role("link", name="重置").click()
    expect(page.get_by_test_id("total")).to_have_text("2")
    page.get_by_label("性别").select_option(label="女")
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_url(re.compile(r"[?&]gender=female(&|$)"))
    expect(page.get_by_test_id("total")).to_have_text("1")
    expect(page.get_by_role("link", name="李四")).to_be_visible()
    expect(page.get_by_role("link", name="张三")).to_have_count(0)
    expect(page.get_by_label("性别")).to_have_value("female")
