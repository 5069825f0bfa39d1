"""The recruitment person page in headless Chromium: the 25 steps, the next step with its dates and rules, a
timing warning, and recording the next step through the form."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from dangjian.members.services import do_create_member
from dangjian.recruitment import services
from tests.browser_helpers import screenshot, sign_in, watch
from tests.factories import build_county, id_number

pytestmark = pytest.mark.browser
D = dt.date
expect.set_options(timeout=10_000)


def shipped_rule_sets():
    """A transactional test flushes the tables, and with them the rule sets the data migration ships: put
    them back the way the migration does."""
    import importlib

    from django.apps import apps

    from dangjian.recruitment.models import RuleSet

    if not RuleSet.objects.exists():
        importlib.import_module("dangjian.recruitment.migrations.0002_rulesets_2014_2026").create(apps, None)


@pytest.fixture
def world(browser, transactional_db):
    shipped_rule_sets()
    county = build_county()
    second = do_create_member(actor=None, name="钱七", id_number=id_number(D(1980, 5, 5)), org=county.branch_a,
                              status="full", joined_on=D(2005, 7, 1), full_on=D(2006, 7, 1))
    case = services.do_open_case(actor=None, org=county.branch_a, name="王小明", id_number=id_number(D(2001, 4, 3)),
                                 applied_on=D(2025, 3, 3), document_names="入党申请书", responsible="张三")
    for step, day in ((2, D(2025, 4, 10)), (3, D(2025, 5, 6)), (4, D(2025, 5, 12)), (5, D(2025, 5, 6))):
        services.do_record_step(actor=None, case=case, step=step, done_on=day, responsible="张三",
                                document_names="谈话记录" if step == 2 else "")
    services.do_add_training(actor=None, case=case, kind="activist", start_on=D(2025, 6, 1), end_on=D(2025, 6, 3),
                             days=3, hours=12, organiser="城关镇党委党校")
    services.do_record_step(actor=None, case=case, step=7, done_on=D(2026, 5, 8), responsible="张三")
    county.case, county.sponsors = case, [county.members["a"], second]
    return county


def test_person_page_next_step_warning_and_recording(world, browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1400, "height": 900})
    problems = []
    page = watch(context.new_page(), problems)
    sign_in(page, live_server.url, world.users["branch_secretary"])
    page.get_by_role("link", name="发展党员台账").click()
    expect(page.get_by_test_id("total")).to_have_text("1")
    page.get_by_role("link", name="王小明").click()
    expect(page.get_by_test_id("step-25")).to_contain_text("材料归档")
    expect(page.locator("[data-testid^=step-]")).to_have_count(25)
    nxt = page.get_by_test_id("next-step")
    expect(nxt).to_contain_text("第9步 确定入党介绍人")
    expect(page.get_by_test_id("next-earliest")).to_contain_text("2026-05-08")
    warnings = page.get_by_test_id("warnings")
    expect(warnings).to_contain_text("党组织派人谈话应在递交入党申请书后1个月内")
    expect(warnings).to_contain_text("第七条")
    screenshot(page, "recruitment-person")

    page.get_by_test_id("record-next").click()
    page.get_by_label("日期").fill("2026-05-10")
    page.get_by_label("入党介绍人（一）").select_option(label="张三")
    page.get_by_label("入党介绍人（二）").select_option(label="钱七")
    page.get_by_label("负责人").fill("张三")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("sponsors")).to_contain_text("钱七")
    expect(page.get_by_test_id("next-step")).to_contain_text("第10步 进行政治审查")
    expect(page.get_by_test_id("step-9")).to_contain_text("2026-05-10")
    screenshot(page, "recruitment-person-after")
    context.close()
    assert not problems, problems


def test_case_list_and_rule_set_pages(world, browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1400, "height": 900})
    problems = []
    page = watch(context.new_page(), problems)
    sign_in(page, live_server.url, world.users["county_admin"])
    page.goto("/recruitment/")
    expect(page.get_by_test_id("total")).to_have_text("1")
    expect(page.locator("table")).to_contain_text("9. 确定入党介绍人")
    screenshot(page, "recruitment-list")
    page.get_by_role("link", name="发展党员时限规则").click()
    expect(page.get_by_test_id("ruleset-2014")).to_contain_text("今日适用")
    expect(page.get_by_test_id("ruleset-2026")).to_contain_text("未确认，不适用")
    screenshot(page, "recruitment-rulesets")
    page.get_by_test_id("ruleset-2026").get_by_role("link", name="编辑并确认").click()
    expect(page.get_by_label("施行日期")).to_have_value("")
    screenshot(page, "recruitment-ruleset-edit")
    page.goto(f"/recruitment/{world.case.pk}/steps/13/")  # steps 9–12 first
    expect(page.locator(".alert-danger")).to_contain_text("第13步“上级党委预审”（预备党员的接收）之前须先登记第9步")
    page.goto(f"/recruitment/{world.case.pk}/steps/6/")
    expect(page.get_by_label("培养考察期起始日期")).to_be_visible()
    screenshot(page, "recruitment-step-form")
    context.close()
    assert not problems, problems
