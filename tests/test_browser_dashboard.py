"""Browser tests of the dashboards: the home dashboard draws its charts without script errors and every figure
clicks through to its list; the 大屏 at 1920×1080 fits the screen and refetches its figures without a reload.
Screenshots go to /tmp/screens/ (dashboard-home, dashboard-bigscreen)."""

import importlib
import re

import pytest
from django.apps import apps
from playwright.sync_api import expect

from tests.browser_helpers import screenshot, sign_in, watch
from tests.factories import build_county
from tests.test_dashboard import populate

pytestmark = pytest.mark.browser

expect.set_options(timeout=10_000)
MONTH = "2026-03"


@pytest.fixture
def world(browser, transactional_db):
    # the ticket categories ship in a data migration, which transactional tests flush
    importlib.import_module("dangjian.tickets.migrations.0002_categories").load(apps, None)
    return populate(build_county())


@pytest.fixture
def new_page(browser, live_server):
    contexts, problems = [], []

    def make(width=1366, height=768):
        context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": width,
                                                                                           "height": height})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = watch(context.new_page(), problems)
        page.on("console", lambda m: m.type == "error" and problems.append(f"console error on {page.url}: {m.text}"))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not problems, problems


def charts_drawn(page, *ids):
    for chart in ids:
        expect(page.locator(f"#{chart} canvas")).to_have_count(1)


def test_home_dashboard_draws_charts_and_figures_click_through(world, new_page, live_server):
    page = new_page()
    sign_in(page, live_server.url, world.users["county_admin"])
    page.goto(f"/?month={MONTH}")
    charts_drawn(page, "dj-status", "dj-gender", "dj-age", "dj-education", "dj-orgkinds", "dj-funnel", "dj-trend",
                 "dj-severity", "dj-rules")
    cards = page.get_by_test_id("dashboard-cards")
    expect(cards.locator('[data-key="members.total"] .dj-kpi-value')).to_have_text("2人")
    expect(cards.locator('[data-key="tickets.acceptance_rate"] .dj-fraction')).to_contain_text("受理 2件 / 流转工单 4件")
    expect(cards.locator('[data-key="tickets.dispatched"] .dj-chg').first).to_contain_text("环比 ▲ 300.0%")
    ranking = page.get_by_test_id("ranking")
    expect(ranking.locator("tbody tr").first).to_contain_text("城关镇")
    expect(page.get_by_test_id("heatmap")).to_contain_text("东风村 4")
    screenshot(page, "dashboard-home")

    # the ranking sorts by a column and changes metric without a reload
    ranking.locator("th", has_text="名称").click()
    expect(ranking.locator("tbody tr").first).to_contain_text("城关镇")
    page.select_option("#dj-rank-metric", "members.total")
    expect(page.get_by_test_id("ranking").locator("thead")).to_contain_text("党员总数")
    expect(page.get_by_test_id("ranking").locator("tbody tr")).to_have_count(2)

    # a headline card opens the member list with the same count
    cards.locator('[data-key="members.total"]').click()
    expect(page).to_have_url(re.compile(r"/members/\?org=D01&party=true"))
    expect(page.get_by_test_id("total")).to_have_text("2")

    # a segment of the funnel chart (ECharts click handler) opens the dispatches behind it
    page.goto(f"/?month={MONTH}")
    charts_drawn(page, "dj-funnel")
    page.locator("#dj-funnel").scroll_into_view_if_needed()
    page.wait_for_timeout(800)  # the funnel's entry animation
    box = page.locator("#dj-funnel").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + 30)
    expect(page).to_have_url(re.compile(r"/tickets/dispatches/\?scope=369901&from=2026-03-01&to=2026-03-31"
                                        r"&metric=dispatched"))
    expect(page.get_by_test_id("total")).to_have_text("4")

    # a heat-map cell opens the dispatches of the village
    page.goto(f"/?month={MONTH}")
    page.get_by_test_id("heatmap").locator("a", has_text="东风村").click()
    expect(page).to_have_url(re.compile(r"scope=369901001001&"))
    expect(page.get_by_test_id("total")).to_have_text("4")


def test_bigscreen_fits_1920_by_1080_and_refreshes_itself(world, new_page, live_server):
    page = new_page(1920, 1080)
    sign_in(page, live_server.url, world.users["county_admin"])
    fetched = []
    page.on("response", lambda r: "/reports/dashboard/data/" in r.url and r.status == 200 and fetched.append(r.url))
    page.goto(f"/reports/bigscreen/?month={MONTH}&refresh=2")
    expect(page.get_by_test_id("bigscreen")).to_be_visible()
    charts_drawn(page, "dj-gender", "dj-status", "dj-age", "dj-education", "dj-orgkinds", "dj-funnel", "dj-trend",
                 "dj-rankbar", "dj-severity", "dj-rules", "dj-heatmap")
    expect(page.locator("h1")).to_have_text("示范县党建引领基层治理指挥中心")
    expect(page.get_by_test_id("dashboard-cards").locator('[data-key="tickets.dispatched"] .dj-kpi-value')) \
        .to_have_text("4件")
    # nothing scrolls: the layout fits the screen
    size = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    assert size[0] <= 1920 and size[1] <= 1080, size
    rendered = int(page.evaluate("() => document.body.dataset.djRendered"))
    # two refetches of the JSON, each drawn, and the page itself never reloaded
    page.wait_for_function(f"() => Number(document.body.dataset.djRendered) >= {rendered + 2}", timeout=15_000)
    assert len(fetched) >= 2 and all("month=2026-03" in url for url in fetched), fetched
    assert page.evaluate("() => performance.getEntriesByType('navigation').length") == 1
    screenshot(page, "dashboard-bigscreen")
