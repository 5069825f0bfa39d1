"""Browser test of the 体检报告 in headless Chromium (Playwright, sync API) against live_server: counts by rule,
the drill-down to the list and a finding, the waive form, 立即体检, the calendar and the rule settings.
Screenshots (1366×768) are written to /tmp/screens/ for a human to look at."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from dangjian.checkup import engine
from dangjian.checkup.models import Finding
from dangjian.checkup.registry import RULES
from dangjian.orgs.models import PartyOrg
from tests.browser_helpers import screenshot, sign_in, watch
from tests.factories import build_county

pytestmark = pytest.mark.browser

expect.set_options(timeout=10_000)
FEW = "org.branch.too_few_full_members"


@pytest.fixture
def world(browser, transactional_db):
    county = build_county()
    # founded long ago, so the meeting cadence rules have completed periods to check
    PartyOrg.objects.filter(pk__in=[county.branch_a.pk, county.branch_b.pk]).update(founded_on=dt.date(2020, 1, 1))
    engine.run("")
    return county


@pytest.fixture
def new_page(browser, live_server):
    contexts, problems = [], []

    def make():
        context = browser.new_context(base_url=live_server.url, locale="zh-CN", accept_downloads=True,
                                      viewport={"width": 1366, "height": 768})  # fmt: skip
        context.set_default_timeout(10_000)
        contexts.append(context)
        return watch(context.new_page(), problems)

    yield make
    for context in contexts:
        context.close()
    assert not problems, problems


def test_report_drills_down_to_a_finding_that_can_be_waived(world, new_page, live_server):
    page = new_page()
    sign_in(page, live_server.url, world.users["county_admin"])
    page.get_by_role("link", name="体检报告").click()
    expect(page.get_by_test_id("report-org")).to_have_text("中共示范县委员会")
    row = page.get_by_test_id("rule-counts").locator(f'tr[data-rule="{FEW}"]')
    expect(row.locator('[data-count="open"]')).to_have_text("2")
    expect(row).to_contain_text(RULES[FEW].title)
    expect(page.get_by_test_id("total-open")).to_have_text(str(Finding.objects.filter(status="open").count()))
    screenshot(page, "checkup-report")

    row.locator('a[data-count="open"]').click()
    expect(page).to_have_url(re.compile(r"/checkup/findings/\?org=D01&rule=org\.branch\.too_few_full_members"))
    expect(page.get_by_test_id("total")).to_have_text("2")
    screenshot(page, "checkup-findings")
    page.get_by_role("link", name=re.compile("东风村党支部只有正式党员")).click()
    expect(page.get_by_test_id("finding")).to_contain_text("《中国共产党支部工作条例（试行）》")
    page.get_by_role("button", name="豁免").click()
    expect(page.get_by_test_id("error")).to_have_text("请填写豁免理由")
    page.get_by_label("豁免理由").fill("正与邻村筹建联合党支部")
    page.get_by_role("button", name="豁免").click()
    expect(page.get_by_test_id("status")).to_contain_text("已豁免")
    expect(page.get_by_test_id("waived-by")).to_contain_text("county_admin")
    screenshot(page, "checkup-finding-waived")

    page.goto("/checkup/")
    row = page.get_by_test_id("rule-counts").locator(f'tr[data-rule="{FEW}"]')
    expect(row.locator('[data-count="open"]')).to_have_text("1")
    expect(row.locator('[data-count="waived"]')).to_have_text("1")
    page.get_by_test_id("children").get_by_role("link", name="城关镇党委").click()
    expect(page.get_by_test_id("report-org")).to_have_text("城关镇党委")
    page.get_by_test_id("run-now").click()
    expect(page.get_by_role("alert")).to_contain_text("体检完成")
    expect(page.get_by_test_id("rule-counts").locator(f'tr[data-rule="{FEW}"] [data-count="waived"]')).to_have_text("1")


def test_calendar_and_rule_settings_pages(world, new_page, live_server):
    page = new_page()
    sign_in(page, live_server.url, world.users["branch_secretary"])
    page.get_by_role("link", name="本月待办").click()
    expect(page.get_by_test_id("month-grid")).to_be_visible()
    expect(page.get_by_test_id("legend")).to_contain_text("已超期")
    screenshot(page, "checkup-calendar")
    month = page.get_by_test_id("month").inner_text()
    page.get_by_test_id("next").click()
    expect(page.get_by_test_id("month")).not_to_have_text(month)

    page = new_page()
    sign_in(page, live_server.url, world.users["county_admin"])
    page.get_by_role("link", name="体检规则设置").click()
    expect(page.get_by_test_id("rules").locator(f'tr[data-rule="{FEW}"]')).to_contain_text("下限：3")
    screenshot(page, "checkup-rules")
    page.get_by_test_id("rules").locator(f'tr[data-rule="{FEW}"]').get_by_role("link", name="修改").click()
    page.get_by_label(re.compile("下限")).fill("2")
    screenshot(page, "checkup-rule-form")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert")).to_contain_text("参数已保存")
    expect(page.get_by_test_id("rules").locator(f'tr[data-rule="{FEW}"]')).to_contain_text("下限：2")
