"""Browser test of the briefing pages: the figures page fills a text and the variable filter works; the 工作通报
preview renders in the base layout. Screenshots go to /tmp/screens/ (briefing-figures, briefing)."""

import importlib

import pytest
from django.apps import apps
from playwright.sync_api import expect

from tests.briefing_helpers import build_briefing_county
from tests.browser_helpers import screenshot, sign_in, watch
from tests.factories import build_county

pytestmark = pytest.mark.browser

expect.set_options(timeout=10_000)


@pytest.fixture
def world(browser, transactional_db):
    # the ticket categories ship in a data migration, which transactional tests flush
    importlib.import_module("dangjian.tickets.migrations.0002_categories").load(apps, None)
    return build_briefing_county(build_county())


def test_figures_and_briefing_pages(browser, live_server, world):
    problems: list = []
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = watch(context.new_page(), problems)
    sign_in(page, live_server.url, world.users["county_admin"])
    page.goto("/reports/briefing/figures/?scope=369901&month=2026-11")
    page.fill("#f-text", "流转事件工单{{ tickets.dispatched }}件，受理率达{{ tickets.acceptance_rate|percent }}")
    page.click("text=填入数据")
    expect(page.get_by_test_id("result")).to_have_text("流转事件工单7件，受理率达71.4%")
    page.fill("[aria-label=筛选变量]", "acceptance")
    visible = page.locator("[data-variable]:visible")
    expect(visible).to_have_count(1)
    screenshot(page, "briefing-figures")
    page.fill("#f-text", "{{ tickets.dispatchd }}")
    page.click("text=填入数据")
    expect(page.get_by_test_id("problems")).to_have_text("第1行：未知变量 tickets.dispatchd")
    page.goto("/reports/briefing/?scope=369901&month=2026-11")
    expect(page.get_by_test_id("briefing-preview")).to_contain_text("受理率71.4%（5/7）")
    expect(page.locator(".dj-sidebar .nav-link.active")).to_have_text("工作通报")
    with page.expect_download() as download:
        page.get_by_test_id("export").click()
    assert download.value.suggested_filename == "关于示范县2026年11月党建引领基层治理工作情况的通报.docx"
    screenshot(page, "briefing")
    context.close()
    assert not problems, problems
