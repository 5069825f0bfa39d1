"""Browser tests of the 吹哨报到 work-order pages in headless Chromium (Playwright, sync API) against live_server.

Same patterns as tests/test_browser.py: one Chromium per module, one browser context per user, the county from
tests.factories.build_county() (usernames = role keys), tickets built through dangjian.tickets.services, and
screenshots written to /tmp/screens/ for a human to look at.
"""

import importlib
import re
import struct
import zlib

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from dangjian.accounts.services import do_create_user
from dangjian.tickets import services
from dangjian.tickets.models import Assignment, GridWorker, Ticket, TicketEvent, TicketPolicy
from tests.browser_helpers import (
    read_xlsx,
    screenshot,
    sign_in,
    table_after_header,
    watch,
)
from tests.factories import PASSWORD, build_county

pytestmark = pytest.mark.browser

expect.set_options(timeout=10_000)

GRID = "369901001001001"
STATION = "BM001-01"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2,
         "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                       "Chrome/120.0 Mobile Safari/537.36"}  # fmt: skip
DESKTOP = {"viewport": {"width": 1440, "height": 900}}


def _png(width=48, height=32, rgb=(183, 28, 28)) -> bytes:
    """A real (decodable) RGB PNG, so Chromium can display it in the timeline."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PNG = _png()


# --- fixtures -------------------------------------------------------------------------------------------------


def _load_categories():
    """The category dictionary ships in a data migration; transactional tests flush it, so load it again."""
    migration = importlib.import_module("dangjian.tickets.migrations.0002_categories")
    migration.load(apps, None)


@pytest.fixture
def world(browser, transactional_db):
    _load_categories()
    return build_county()


@pytest.fixture
def station(world):
    """A handler of 城关镇规划建设站 (the factory's department handler sits on the county bureau BM001)."""
    user, _ = do_create_user(actor=None, username="station", password=PASSWORD, role="department_handler",
                             scope_code=STATION)  # fmt: skip
    return user


@pytest.fixture
def new_page(browser, live_server):
    """Open a page in a fresh browser context (own cookies); fail if a static file or a script breaks."""
    contexts, problems = [], []

    def make(**options):
        settings = {
            "base_url": live_server.url,
            "locale": "zh-CN",
            "accept_downloads": True,
            **DESKTOP,
            **options,
        }
        context = browser.new_context(**settings)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return watch(context.new_page(), problems)

    yield make
    for context in contexts:
        context.close()
    assert not problems, problems


# --- building tickets through the services ------------------------------------------------------------------


def report(county, title, category="0102", description="路边垃圾堆放，未及时清运"):
    return services.do_report_ticket(actor=county.users["grid_worker"], title=title, description=description,
                                     category=category, grid=GRID, source="grid_worker")  # fmt: skip


def dispatched(county, title, category="0102"):
    ticket = report(county, title, category)
    admin = county.users["township_admin"]
    services.do_register(actor=admin, ticket=ticket)
    services.do_dispatch(actor=admin, ticket=ticket, department=STATION)
    return Ticket.objects.get(pk=ticket.pk)


def through_the_loop(county, station, title, *, category="0102", rework=False, rating=None):
    """report → register → dispatch → accept → resolve (→ reopen → resolve) → verify (→ rate)."""
    admin = county.users["township_admin"]
    ticket = dispatched(county, title, category)
    services.do_accept(actor=station, ticket=ticket)
    services.do_resolve(actor=station, ticket=ticket, result="已清理完毕")
    if rework:
        services.do_verify(actor=admin, ticket=ticket, passed=False, note="现场仍有垃圾")
        services.do_resolve(actor=station, ticket=ticket, result="已彻底清运")
    services.do_verify(actor=admin, ticket=ticket, passed=True)
    if rating:
        services.do_rate(actor=county.users["grid_worker"], ticket=ticket, satisfaction=rating)
    return Ticket.objects.get(pk=ticket.pk)


def loop_scenario(county, station):
    """Five tickets in one grid: two closed (one reworked), one in progress, one returned, one just reported.

    流转 4 · 受理 3 · 退回 1 · 办结 2 · 按期办结 2 · 有效回访 2 (1 不满意) · 办结反馈 3 · 返工 1."""
    closed = through_the_loop(county, station, "东风村口垃圾堆放", rating="satisfied")
    reworked = through_the_loop(county, station, "村委会旁积存垃圾", category="0103", rework=True,
                                rating="dissatisfied")  # fmt: skip
    processing = dispatched(county, "水塘漂浮物", "0105")
    services.do_accept(actor=station, ticket=processing)
    returned = dispatched(county, "废弃车辆占道", "0107")
    services.do_return(actor=station, ticket=returned, reason="废弃车辆由县交通部门处置，不属于本站职责")
    fresh = report(county, "公厕无人保洁", "0108")
    return closed, reworked, processing, returned, fresh


def shot(page, name):
    """A full-page screenshot from the top (else the sticky top bar is painted where the page was scrolled to)."""
    page.evaluate("() => window.scrollTo(0, 0)")
    screenshot(page, name)


def row_of(page, number):
    return page.locator("tbody tr", has=page.get_by_role("link", name=number, exact=True))


def no_horizontal_overflow(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


# --- 1. 随手拍 on a phone ---------------------------------------------------------------------------------------


def test_mobile_report_page_creates_ticket_with_photo(world, new_page, live_server, tmp_path):
    photo = tmp_path / "垃圾现场.png"
    photo.write_bytes(PNG)
    page = new_page(**PHONE)
    sign_in(page, live_server.url, world.users["grid_worker"])
    page.goto(reverse("ticket-report"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("随手拍 · 上报事件")

    # At phone width the left menu is folded away behind the 菜单 button in the top bar; it opens on a tap.
    menu_button = page.get_by_role("button", name="菜单")
    sidebar = page.get_by_role("navigation", name="主菜单")
    expect(menu_button).to_be_visible()
    expect(sidebar).to_be_hidden()
    assert no_horizontal_overflow(page), "the report page scrolls sideways at 390 px"
    menu_button.tap()
    expect(sidebar).to_be_visible()
    expect(sidebar.get_by_role("link", name="随手拍")).to_have_class(re.compile(r"\bactive\b"))
    expect(menu_button).to_have_attribute("aria-expanded", "true")
    expect(sidebar).to_have_class(re.compile(r"\bcollapse show\b"))  # Bootstrap ignores taps mid-transition
    menu_button.tap()
    expect(sidebar).to_be_hidden()

    # Category picker: tap a 大类 button (highlighted), then one of its 小类.
    groups = page.get_by_role("group", name="事件大类")
    small = page.get_by_text("暴露垃圾", exact=True)
    groups.get_by_role("button", name="农村人居环境").tap()
    expect(groups.get_by_role("button", name="农村人居环境")).to_have_class(re.compile(r"\bbtn-dj\b"))
    groups.get_by_role("button", name="市容环境").tap()
    expect(groups.get_by_role("button", name="市容环境")).to_have_class(re.compile(r"\bbtn-dj\b"))
    expect(groups.get_by_role("button", name="农村人居环境")).not_to_have_class(re.compile(r"\bbtn-dj\b"))
    expect(small).to_be_visible()
    small.tap()
    expect(page.locator("input[name=category][value='0102']")).to_be_checked()
    expect(small).to_have_class(re.compile(r"\bbtn-primary\b"))

    page.get_by_label("标题").fill("东风村口垃圾堆放")
    page.get_by_label("事件描述").fill("村口路边垃圾堆放三天未清运，气味较大")
    page.locator("input[name=photos]").set_input_files(photo)
    expect(page.get_by_text("已选 1 张")).to_be_visible()
    expect(page.get_by_label("所在网格")).to_have_value(GRID)
    expect(page.get_by_label("来源")).to_have_value("grid_worker")
    page.get_by_label("地址").fill("东风村村委会东侧 50 米")
    assert no_horizontal_overflow(page), "the filled-in report form scrolls sideways at 390 px"
    shot(page, "tickets-report-mobile")

    page.get_by_role("button", name="提交上报").tap()
    expect(page).to_have_url(f"{live_server.url}{reverse('ticket-mine')}")
    ticket = Ticket.objects.get()
    assert (ticket.title, ticket.category.code, ticket.grid.division_code, ticket.source, ticket.status) == (
        "东风村口垃圾堆放",
        "0102",
        GRID,
        "grid_worker",
        "reported",
    )
    assert ticket.reporter == world.users["grid_worker"] and ticket.address == "东风村村委会东侧 50 米"
    assert re.fullmatch(rf"GD{timezone.localdate():%Y%m%d}\d{{4}}", ticket.number), ticket.number
    assert ticket.photos.count() == 1
    stored = ticket.photos.get()
    assert stored.content_type == "image/png" and stored.size == len(PNG)
    with stored.image.open("rb") as f:
        assert f.read() == PNG
    assert list(ticket.events.values_list("kind", flat=True)) == ["report"]

    # 我的上报: the success message names the number; the card shows it with the status 待立案.
    expect(page.get_by_role("alert").filter(has_text="上报成功")).to_contain_text(f"工单编号 {ticket.number}")
    cards = page.get_by_test_id("my-ticket")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text(ticket.number)
    expect(cards.first).to_contain_text("东风村口垃圾堆放")
    expect(cards.first.locator(".badge")).to_have_text("待立案")
    expect(cards.first).to_contain_text("暴露垃圾")
    expect(cards.first).to_contain_text("东风村一网格")
    assert no_horizontal_overflow(page), "我的上报 scrolls sideways at 390 px"
    shot(page, "tickets-mine-mobile")

    # An empty description: refused in Chinese, what was typed stays, nothing is written.
    page.get_by_role("link", name="随手拍").last.tap()
    expect(page).to_have_url(f"{live_server.url}{reverse('ticket-report')}")
    groups.get_by_role("button", name="市容环境").tap()
    page.get_by_text("道路不洁", exact=True).tap()
    page.get_by_label("标题").fill("主街路面油污")
    page.get_by_role("button", name="提交上报").tap()
    expect(page.get_by_test_id("error")).to_have_text("请填写事件描述")
    expect(page.get_by_label("标题")).to_have_value("主街路面油污")
    expect(page.get_by_label("事件描述")).to_have_value("")
    expect(page.locator("input[name=category][value='0104']")).to_be_checked()
    expect(page.get_by_text("道路不洁", exact=True)).to_be_visible()
    assert Ticket.objects.count() == 1
    assert not Ticket.objects.filter(title="主街路面油污").exists()
    shot(page, "tickets-report-mobile-error")


def test_mobile_report_page_shows_only_the_chosen_groups_subcategories(world, new_page, live_server):
    page = new_page(**PHONE)
    sign_in(page, live_server.url, world.users["grid_worker"])
    page.goto(reverse("ticket-report"))
    page.wait_for_function("() => window.Alpine !== undefined")
    groups = page.get_by_role("group", name="事件大类")
    expect(page.get_by_text("暴露垃圾", exact=True)).to_be_hidden(timeout=2_000)
    groups.get_by_role("button", name="农村人居环境").tap()
    expect(page.get_by_text("暴露垃圾", exact=True)).to_be_hidden(timeout=2_000)
    groups.get_by_role("button", name="市容环境").tap()
    expect(page.get_by_text("暴露垃圾", exact=True)).to_be_visible()


# --- 2. the command-center queue ----------------------------------------------------------------------------


def test_queue_counts_and_bulk_dispatch(world, new_page, live_server):
    first = report(world, "东风村口垃圾堆放")
    second = report(world, "道路积水", "0104")
    third = report(world, "公厕无人保洁", "0108")
    older = dispatched(world, "村委会旁积存垃圾", "0103")

    page = new_page(**DESKTOP)
    sign_in(page, live_server.url, world.users["township_admin"])
    page.goto(reverse("ticket-queue"))
    expect(page.get_by_role("heading", level=1)).to_have_text("指挥中心 · 工单队列")
    counts = page.get_by_test_id("status-counts")

    def count(label):
        return counts.get_by_role("link").filter(has_text=label).locator(".badge")

    expect(count("待立案")).to_have_text("3")
    expect(count("待受理")).to_have_text("1")
    expect(count("待派单")).to_have_text("0")
    expect(count("已结案")).to_have_text("0")
    expect(count("超期")).to_have_text("0")
    expect(page.get_by_test_id("total")).to_have_text("4")
    # Only tickets still to register or dispatch can be picked.
    expect(row_of(page, older.number).locator("input.dj-pick")).to_have_count(0)
    expect(row_of(page, older.number)).to_contain_text("待受理")

    submit = page.get_by_role("button", name="批量立案派单")
    picked = page.get_by_text(re.compile(r"^已选 \d+ 件"))
    expect(picked).to_contain_text("已选 0 件")
    expect(submit).to_be_disabled()
    page.get_by_label(f"选择 {first.number}").check()
    expect(picked).to_contain_text("已选 1 件")
    expect(submit).to_be_enabled()
    page.get_by_label(f"选择 {second.number}").check()
    expect(picked).to_contain_text("已选 2 件")
    department = page.get_by_label("办理部门")
    department.select_option(STATION)
    expect(department.locator("option:checked")).to_contain_text("城关镇规划建设站")
    shot(page, "tickets-queue-selected")

    submit.click()
    expect(page.get_by_role("alert").filter(has_text="已派单")).to_contain_text("已派单 2 件")
    assert {t.number: t.status for t in Ticket.objects.all()} == {
        first.number: "dispatched", second.number: "dispatched", third.number: "reported",
        older.number: "dispatched"}  # fmt: skip
    for ticket in (first, second):
        assignment = Assignment.objects.get(ticket=ticket)
        assert (assignment.department.code, assignment.role, assignment.status) == (
            STATION,
            "lead",
            "pending",
        )
        assert list(ticket.events.values_list("kind", flat=True)) == ["report", "register", "dispatch"]
    assert not Assignment.objects.filter(ticket=third).exists()

    expect(row_of(page, first.number)).to_contain_text("待受理")
    expect(row_of(page, second.number)).to_contain_text("待受理")
    expect(row_of(page, third.number)).to_contain_text("待立案")
    expect(row_of(page, first.number).locator("input.dj-pick")).to_have_count(0)
    expect(count("待立案")).to_have_text("1")
    expect(count("待受理")).to_have_text("3")
    expect(picked).to_contain_text("已选 0 件")
    shot(page, "tickets-queue")

    # A status button filters the queue.
    counts.get_by_role("link").filter(has_text="待立案").click()
    expect(page).to_have_url(re.compile(r"\?status=reported$"))
    expect(page.get_by_test_id("total")).to_have_text("1")
    expect(row_of(page, third.number)).to_be_visible()
    expect(page.get_by_role("link", name=first.number)).to_have_count(0)


# --- 3. ticket detail: accept, resolve with a photo, verify, rate ------------------------------------------------


def test_detail_accept_resolve_verify_and_rate(world, station, new_page, live_server, tmp_path):
    ticket = dispatched(world, "东风村口垃圾堆放")
    photo = tmp_path / "清理后.png"
    photo.write_bytes(_png(64, 40, (46, 125, 50)))
    url = reverse("ticket-detail", args=[ticket.pk])

    handler = new_page(**DESKTOP)
    sign_in(handler, live_server.url, station)
    handler.goto(url)
    expect(handler.get_by_role("heading", level=1)).to_contain_text("东风村口垃圾堆放")
    expect(handler.get_by_test_id("status")).to_have_text("待受理")
    expect(handler.get_by_test_id("time-left")).to_contain_text("剩余")
    actions = handler.get_by_test_id("actions")
    expect(actions.locator("form[data-action]")).to_have_count(2)
    expect(actions.locator("form[data-action=verify]")).to_have_count(0)
    handler.get_by_role("button", name="受理", exact=True).click()
    expect(handler.get_by_role("alert").filter(has_text="操作成功")).to_be_visible()
    expect(handler.get_by_test_id("status")).to_have_text("办理中")
    assignment = Assignment.objects.get(ticket=ticket)
    assert assignment.status == "accepted" and assignment.accepted_at is not None

    resolve = actions.locator("form[data-action=resolve]")
    resolve.get_by_placeholder("办理结果（必填）").fill("已组织保洁员清运垃圾 2 车，现场已恢复整洁")
    resolve.get_by_label("办结照片").set_input_files(photo)
    resolve.get_by_role("button", name="办结反馈").click()
    expect(handler.get_by_test_id("status")).to_have_text("待核查")
    assignment.refresh_from_db()
    assert (
        assignment.status == "resolved" and assignment.result == "已组织保洁员清运垃圾 2 车，现场已恢复整洁"
    )
    resolved_event = TicketEvent.objects.get(ticket=ticket, kind="resolve")
    assert resolved_event.photos.count() == 1 and resolved_event.actor == station
    # The handler cannot verify the own work.
    expect(handler.locator("form[data-action=verify]")).to_have_count(0)

    admin = new_page(**DESKTOP)
    sign_in(admin, live_server.url, world.users["township_admin"])
    admin.goto(url)
    expect(admin.get_by_test_id("status")).to_have_text("待核查")
    admin.get_by_role("button", name="核查通过，结案").click()
    expect(admin.get_by_test_id("status")).to_have_text("已结案")
    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.closed_at is not None
    assignment.refresh_from_db()
    assert assignment.status == "closed" and assignment.on_time is True

    timeline = admin.get_by_test_id("timeline")
    expect(timeline.locator("li .badge")).to_have_text(
        ["上报", "立案", "派单", "受理", "办结反馈", "核查通过，结案"]
    )
    steps = timeline.locator("li")
    expect(steps.nth(2)).to_contain_text("城关镇规划建设站")
    expect(steps.nth(3)).to_contain_text("station")
    expect(steps.nth(4)).to_contain_text("已组织保洁员清运垃圾 2 车")
    image = steps.nth(4).get_by_role("img", name="现场照片")
    expect(image).to_be_visible()
    admin.wait_for_function("el => el.complete && el.naturalWidth === 64", arg=image.element_handle())
    record = admin.locator("table tbody tr", has_text="城关镇规划建设站")
    expect(record).to_contain_text("已结案")
    expect(record).to_contain_text("主办")
    shot(admin, "tickets-detail")

    # The reporter rates on 我的上报.
    reporter = new_page(**PHONE)
    sign_in(reporter, live_server.url, world.users["grid_worker"])
    reporter.goto(reverse("ticket-mine"))
    card = reporter.get_by_test_id("my-ticket").filter(has_text=ticket.number)
    expect(card.locator(".badge")).to_have_text("已结案")
    expect(card.get_by_role("button")).to_have_text(["满意", "基本满意", "不满意"])
    card.get_by_role("button", name="满意", exact=True).tap()
    expect(reporter).to_have_url(f"{live_server.url}{reverse('ticket-mine')}")
    expect(reporter.get_by_role("alert").filter(has_text="操作成功")).to_be_visible()
    expect(card).to_contain_text("我的评价：满意")
    expect(card.get_by_role("button")).to_have_count(0)
    ticket.refresh_from_db()
    assert ticket.satisfaction == "satisfied"
    assert Assignment.objects.get(ticket=ticket).satisfaction == "satisfied"
    assert list(ticket.events.order_by("at", "pk").values_list("kind", flat=True)) == [
        "report",
        "register",
        "dispatch",
        "accept",
        "resolve",
        "close",
        "rate",
    ]
    admin.reload()
    expect(timeline.locator("li .badge").last).to_have_text("回访评价")
    expect(admin.get_by_test_id("actions")).to_have_count(0)


# --- 4. metrics, map and assessment ---------------------------------------------------------------------------


def test_metrics_cards_charts_and_click_through(world, station, new_page, live_server):
    loop_scenario(world, station)
    page = new_page(**DESKTOP)
    sign_in(page, live_server.url, world.users["county_admin"])
    page.goto(reverse("ticket-metrics"))
    expect(page.get_by_role("heading", level=1)).to_have_text("工单统计 · 示范县")

    def card(key):
        return page.locator(f"[data-metric={key}]")

    expected = {
        "acceptance_rate": ("受理率", "75.0%", "受理 3 / 流转工单 4"),
        "return_rate": ("退回率", "25.0%", "退回 1 / 流转工单 4"),
        "closure_rate": ("办结率", "50.0%", "办结 2 / 流转工单 4"),
        "on_time_rate": ("按期办结率", "100.0%", "按期办结 2 / 办结 2"),
        "extension_rate": ("延期率", "0.0%", "延期 0 / 流转工单 4"),
        "satisfaction_rate": ("满意率", "50.0%", "满意及基本满意 1 / 有效回访 2"),
        "rework_rate": ("返工率", "33.3%", "返工 1 / 办结反馈 3"),
        "response_rate": ("报到率", "—", "部门报到 0 / 吹哨召集 0"),
    }
    expect(page.get_by_test_id("figures").locator("[data-metric]")).to_have_count(len(expected))
    for key, (label, value, fraction) in expected.items():
        expect(card(key).locator(".dj-stat-label")).to_have_text(label)
        expect(card(key).locator(".dj-stat")).to_have_text(value)
        expect(card(key).locator(".dj-fraction")).to_have_text(fraction)

    # ECharts drew both charts into canvases, with the figures of the page.
    for chart in ("funnel", "ranking"):
        expect(page.get_by_test_id(chart).locator("canvas")).to_have_count(1)
    page.wait_for_function("""() => ["dj-funnel", "dj-rank"].every(id => {
        const c = document.querySelector("#" + id + " canvas");
        if (!c || !c.width || !c.height) return false;
        const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < d.length; i += 4) if (d[i]) return true;
        return false;
    })""")
    funnel = page.evaluate("""() => echarts.getInstanceByDom(document.getElementById("dj-funnel"))
        .getOption().series[0].data.map(d => [d.name, d.value])""")
    assert funnel == [["流转", 4], ["受理", 3], ["办结", 2], ["按期办结", 2]], funnel
    ranking = page.evaluate("""() => { const o = echarts.getInstanceByDom(document.getElementById("dj-rank")).getOption();
        return [o.yAxis[0].data, o.series[0].data.map(d => d.value)]; }""")
    assert ranking == [["城关镇"], [75.0]], ranking
    page.wait_for_timeout(1_200)  # only for the picture: let the ECharts entry animation finish
    shot(page, "tickets-metrics")
    page.get_by_label("排名指标").select_option("satisfaction_rate")
    page.wait_for_function("""() => echarts.getInstanceByDom(document.getElementById("dj-rank"))
        .getOption().series[0].data[0].value === 50""")
    town = page.get_by_test_id("children").locator("tbody tr", has_text="城关镇")
    expect(town.locator("td")).to_have_text(
        ["城关镇", "4", "3", "1", "75.0%", "2", "50.0%", "100.0%", "50.0%", "33.3%", "0"]
    )
    categories = page.get_by_test_id("categories").locator("tbody tr")
    expect(categories).to_have_count(1)
    expect(categories.first.locator("td").nth(0)).to_have_text("市容环境")
    expect(categories.first.locator("td").nth(1)).to_have_text("4")

    # A rate card opens the dispatches behind its numerator; its denominator link opens the denominator's.
    today = timezone.localdate()
    card("acceptance_rate").locator(".dj-stat").click()
    expect(page).to_have_url(re.compile(
        rf"/tickets/dispatches/\?scope=369901&from={today.replace(day=1)}&to={today}&metric=accepted$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("流转记录 · 受理")
    expect(page.get_by_test_id("total")).to_have_text("3")
    page.go_back()
    card("acceptance_rate").get_by_role("link", name="流转工单 4").click()
    expect(page.get_by_test_id("total")).to_have_text("4")


def test_map_heatmap_table_links_each_grid(world, station, new_page, live_server):
    loop_scenario(world, station)
    page = new_page(**DESKTOP)
    sign_in(page, live_server.url, world.users["county_admin"])
    page.goto(reverse("ticket-map"))
    expect(page.get_by_role("heading", level=1)).to_have_text("工单地图 · 示范县 未结案 3 件")
    # No grid boundaries in the factory county: no Leaflet map, the table heat-map instead.
    expect(page.get_by_test_id("map")).to_have_count(0)
    expect(page.get_by_text("本区域的网格尚未录入边界")).to_be_visible()
    heat = page.get_by_test_id("heatmap")
    # county → township rows, their villages as cells; drill down from 城关镇 to 东风村 to its grid
    town = heat.locator("tbody tr", has_text="城关镇")
    expect(town.locator("td").nth(1)).to_have_text("3")  # in progress, returned (待派单 again), just reported
    town.get_by_role("link", name="城关镇").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("工单地图 · 城关镇")
    page.get_by_test_id("heatmap").get_by_role("link", name="东风村", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("工单地图 · 东风村")
    grid = page.get_by_test_id("heatmap").locator("tbody tr", has_text="东风村一网格").locator("td").nth(1).get_by_role("link")
    expect(grid).to_have_text("3")
    expect(grid).to_have_attribute("href", f"{reverse('ticket-list')}?region={GRID}&status=open")
    shot(page, "tickets-map")

    grid.click()
    expect(page.get_by_test_id("total")).to_have_text("3")
    expect(page.get_by_role("link", name=re.compile(r"^GD"))).to_have_count(3)
    open_titles = set(Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES).values_list("title", flat=True))
    assert open_titles == {"水塘漂浮物", "废弃车辆占道", "公厕无人保洁"}
    for title in open_titles:
        expect(page.locator("tbody")).to_contain_text(title)


def test_assessment_page_and_xlsx_export(world, station, new_page, live_server):
    GridWorker.objects.create(user=world.users["grid_worker"], grid=world.grid_a, region_path=world.grid_a.path,
                              kind="micro", name="王网格")  # fmt: skip
    loop_scenario(world, station)
    reward = float(TicketPolicy.current().micro_reward) * 4
    page = new_page(**DESKTOP)
    sign_in(page, live_server.url, world.users["county_admin"])
    page.goto(reverse("ticket-assessment"))
    month = timezone.localdate()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"网格员考核 · {month.year}年{month.month}月")
    expect(page.get_by_test_id("total")).to_have_text("1")
    row = page.locator("tbody tr", has_text="王网格")
    expect(row.locator("td").nth(1)).to_have_text("微网格员")
    expect(row.locator("td").nth(2)).to_have_text("东风村一网格")
    expect(row.locator("td").nth(3)).to_have_text("5")  # reports made this month
    expect(row.locator("td").nth(4)).to_have_text("4")  # registered as valid (the fresh one is not yet)
    expect(row.locator("td").nth(5)).to_have_text("0")
    shot(page, "tickets-assessment")

    with page.expect_download() as info:
        page.get_by_test_id("export").click()
    download = info.value
    assert download.suggested_filename == f"网格员考核-{month:%Y-%m}.xlsx"
    header, rows = table_after_header(read_xlsx(download.path()), "网格员")
    assert header == ["网格员", "类别", "网格", "上报数", "有效上报", "走访户数", "平均上报用时（小时）", "得分",
                      "五色评定", "奖励（元）"]  # fmt: skip
    assert len(rows) == 1
    (wang,) = rows
    assert (wang["网格员"], wang["类别"], wang["网格"]) == ("王网格", "微网格员", "东风村一网格")
    assert (wang["上报数"], wang["有效上报"], wang["走访户数"]) == (5, 4, 0)
    assert wang["奖励（元）"] == pytest.approx(reward)
    assert wang["五色评定"] in "红橙黄蓝绿" and wang["五色评定"]
    expect(row.locator("td").nth(8)).to_have_text(wang["五色评定"])
