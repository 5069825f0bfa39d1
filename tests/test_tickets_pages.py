"""The ticket pages through the Django test client: each renders for its users and its forms act."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from dangjian.accounts.services import do_create_user
from dangjian.core.models import AccessLog, Notification
from dangjian.tickets import services
from dangjian.tickets.models import GridWorker, Ticket
from tests.factories import PASSWORD

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture
def station_handler(county):
    user, _ = do_create_user(actor=None, username="station", password=PASSWORD, role="department_handler",
                             scope_code="BM001-01")
    return user


def reported(county, title="垃圾堆放"):
    return services.do_report_ticket(actor=county.users["grid_worker"], title=title, description="路边垃圾未清运",
                                     category="0102", grid="369901001001001", source="grid_worker")


def test_report_page_creates_ticket_with_photo(county, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(county.users["grid_worker"])
    assert client.get(reverse("ticket-report")).status_code == 200
    response = client.post(reverse("ticket-report"), {
        "title": "井盖缺失", "description": "路口井盖缺失", "category": "0504", "grid": "369901001001001",
        "source": "grid_worker", "photos": [SimpleUploadedFile("a.png", PNG, "image/png")]})  # fmt: skip
    assert response.status_code == 302
    ticket = Ticket.objects.get(title="井盖缺失")
    assert ticket.photos.count() == 1
    mine = client.get(reverse("ticket-mine"))
    assert ticket.number in mine.content.decode()
    photo = client.get(reverse("ticket-photo", args=[ticket.photos.get().pk]))
    assert photo.status_code == 200 and b"".join(photo.streaming_content) == PNG


def test_report_page_refuses_bad_input_and_keeps_it(county, client):
    client.force_login(county.users["grid_worker"])
    response = client.post(reverse("ticket-report"), {"title": "井盖缺失", "description": "", "category": "0504",
                                                       "grid": "369901001001001"})
    assert response.status_code == 400
    assert "请填写事件描述" in response.content.decode() and "井盖缺失" in response.content.decode()
    assert not Ticket.objects.exists()


def test_queue_bulk_dispatch_and_detail_actions(county, client, station_handler):
    a, b = reported(county, "一"), reported(county, "二")
    admin = county.users["township_admin"]
    client.force_login(admin)
    page = client.get(reverse("ticket-queue"))
    assert page.status_code == 200 and a.number in page.content.decode()
    client.post(reverse("ticket-bulk-dispatch"), {"tickets": [a.pk, b.pk], "department": "BM001-01"})
    assert set(Ticket.objects.values_list("status", flat=True)) == {"dispatched"}
    client.force_login(station_handler)
    inbox = client.get(reverse("ticket-inbox"))
    assert a.number in inbox.content.decode()
    detail = client.get(reverse("ticket-detail", args=[a.pk])).content.decode()
    assert 'data-action="accept"' in detail and 'data-action="return"' in detail
    client.post(reverse("ticket-act", args=[a.pk, "accept"]))
    client.post(reverse("ticket-act", args=[a.pk, "resolve"]), {"result": "已清运"})
    response = client.post(reverse("ticket-act", args=[a.pk, "accept"]), follow=True)
    assert "不能受理" in response.content.decode()
    client.force_login(admin)
    client.post(reverse("ticket-act", args=[a.pk, "verify"]), {"passed": "true"})
    a.refresh_from_db()
    assert a.status == "closed"
    timeline = client.get(reverse("ticket-detail", args=[a.pk])).content.decode()
    for label in ("上报", "立案", "派单", "受理", "办结反馈", "核查通过，结案"):
        assert label in timeline


def test_rate_from_my_reports(county, client, station_handler):
    t = reported(county)
    admin = county.users["township_admin"]
    services.do_register(actor=admin, ticket=t)
    services.do_dispatch(actor=admin, ticket=t, department="BM001-01")
    services.do_accept(actor=station_handler, ticket=t)
    services.do_resolve(actor=station_handler, ticket=t, result="好了")
    services.do_verify(actor=admin, ticket=t, passed=True)
    client.force_login(county.users["grid_worker"])
    assert Notification.objects.filter(user=county.users["grid_worker"], key__endswith=":closed").exists()
    client.post(reverse("ticket-act", args=[t.pk, "rate"]), {"satisfaction": "satisfied", "next": "https://evil.example/"})
    t.refresh_from_db()
    assert t.satisfaction == "satisfied"


@pytest.mark.parametrize("name", ["ticket-list", "ticket-map", "ticket-metrics", "ticket-assessment",
                                  "ticket-categories", "notification-list"])
def test_read_pages_render(county, client, name):
    reported(county)
    client.force_login(county.users["county_admin"])
    response = client.get(reverse(name))
    assert response.status_code == 200


def test_assessment_counts_and_export(county, client):
    GridWorker.objects.create(user=county.users["grid_worker"], grid=county.grid_a, region_path=county.grid_a.path,
                              kind="micro", name="王网格")
    t = reported(county)
    services.do_register(actor=county.users["township_admin"], ticket=t)
    reported(county, "无效")
    client.force_login(county.users["county_admin"])
    page = client.get(reverse("ticket-assessment")).content.decode()
    assert "王网格" in page
    response = client.get(reverse("ticket-assessment") + "?export=xlsx")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    data = [r for r in rows if r and r[0] == "王网格"][0]
    assert data[3:5] == (2, 1)  # reports made, valid (registered)
    assert data[9] == 2.0  # micro-grid reward for one valid report at the default 2.00 元
    assert AccessLog.objects.filter(action="export", object_type="grid_worker_assessment").exists()


def test_grid_worker_roster_import_all_or_nothing(county, tmp_path):
    from dangjian.core.services import do_import
    from tests.sheets import write

    header = ["姓名", "登录用户名", "网格代码", "类别"]
    bad = write(tmp_path, "bad", [header, ["王网格", "grid_worker", "369901001001001", "微网格员"],
                                  ["李网格", "nobody", "369901001001001", "专职网格员"],
                                  ["赵网格", "resident", "369901001", "巡逻员"]], fmt="xlsx")
    result = do_import("grid_workers", bad.read_bytes(), actor=county.users["township_admin"])
    reasons = {(e.row, e.column): e.reason for e in result.errors}
    assert "用户不存在" in reasons[(3, "登录用户名")]
    assert "不是网格" in reasons[(4, "网格代码")] and "应为" in reasons[(4, "类别")]
    assert not GridWorker.objects.exists()
    good = write(tmp_path, "good", [header, ["王网格", "grid_worker", "369901001001001", "微网格员"],
                                    ["赵网格", "resident", "369901001001001", ""]], fmt="ods")
    result = do_import("grid_workers", good.read_bytes(), actor=county.users["township_admin"])
    assert result.ok and result.imported == 2
    zhao = GridWorker.objects.get(name="赵网格")
    assert zhao.kind == "full_time" and zhao.user.assignments.filter(role="grid_worker", region=county.grid_a).exists()


def test_visit_page_records_and_refuses(county, client):
    import datetime as dt

    from django.utils import timezone

    from dangjian.places.models import Household

    GridWorker.objects.create(user=county.users["grid_worker"], grid=county.grid_a, region_path=county.grid_a.path,
                              name="王网格")
    home = Household.objects.create(grid=county.grid_a, region_path=county.grid_a.path, head_name="刘大爷")
    client.force_login(county.users["grid_worker"])
    today = timezone.localdate()
    assert client.post(reverse("ticket-visits"), {"household": home.pk, "visited_on": today.isoformat(),
                                                  "note": "反映路灯不亮"}).status_code == 302
    again = client.post(reverse("ticket-visits"), {"household": home.pk, "visited_on": today.isoformat()})
    assert again.status_code == 400 and "已登记过" in again.content.decode()
    future = client.post(reverse("ticket-visits"), {"household": home.pk,
                                                    "visited_on": (today + dt.timedelta(days=1)).isoformat()})
    assert "不能晚于今天" in future.content.decode()
    page = client.get(reverse("ticket-visits")).content.decode()
    assert "本月已走访 1 户次" in page and "刘大爷" in page


def test_county_edits_category_policy_and_holidays(county, client):
    import datetime as dt

    from auditlog.models import LogEntry

    from dangjian.core import workdays
    from dangjian.tickets.models import TicketCategory, TicketPolicy

    client.force_login(county.users["county_admin"])
    category = TicketCategory.objects.get(code="0102")
    response = client.post(reverse("ticket-category-edit", args=[category.pk]), {
        "name": "暴露垃圾", "parent": category.parent_id, "department_kind": "station", "time_limit": 3,
        "time_unit": "workdays", "is_active": "on"})  # fmt: skip
    assert response.status_code == 302
    category.refresh_from_db()
    assert category.time_limit == 3 and category.code == "0102"
    assert LogEntry.objects.get_for_object(category).filter(actor=county.users["county_admin"]).exists()
    bad = client.post(reverse("ticket-category-add"), {"code": "0102", "name": "重复", "time_limit": 0,
                                                       "time_unit": "workdays"})
    assert bad.status_code == 400 and "已存在" in bad.content.decode()
    policy = {f.name: getattr(TicketPolicy.current(), f.name) for f in TicketPolicy._meta.fields
              if f.name not in ("id", "bands")}
    wrong = client.post(reverse("ticket-policy"), {**policy, "band_green": 5, "band_blue": 10, "band_yellow": 3,
                                                   "band_orange": 1})
    assert wrong.status_code == 400 and "依次降低" in wrong.content.decode()
    client.post(reverse("ticket-policy"), {**policy, "return_workdays": 3, "band_green": 40, "band_blue": 25,
                                           "band_yellow": 12, "band_orange": 6})
    fresh = TicketPolicy.current()
    assert fresh.return_workdays == 3 and fresh.bands[0] == {"band": "green", "min": 40.0}
    # 2027 is not in chinese-calendar 1.11: until entered, only weekends rest; an entry changes that at once.
    assert workdays.is_workday(dt.date(2027, 1, 1)) and "未录入" in client.get(reverse("calendar-days") + "?year=2027").content.decode()
    client.post(reverse("calendar-days"), {"date": "2027-01-01", "is_workday": "False", "name": "元旦"})
    assert not workdays.is_workday(dt.date(2027, 1, 1))


def test_figures_click_through_to_the_dispatches_behind_them(county, client, station_handler):
    from django.utils import timezone

    admin = county.users["township_admin"]
    kept, returned = reported(county, "受理的"), reported(county, "退回的")
    for t in (kept, returned):
        services.do_register(actor=admin, ticket=t)
        services.do_dispatch(actor=admin, ticket=t, department="BM001-01")
    services.do_accept(actor=station_handler, ticket=kept)
    services.do_return(actor=station_handler, ticket=returned, reason="不属于本站职责")
    client.force_login(county.users["county_admin"])
    today = timezone.localdate().isoformat()
    page = client.get(reverse("ticket-metrics") + f"?from={today}&to={today}").content.decode()
    assert "受理 1</a> /" in page and "流转工单 2</a>" in page
    base = reverse("ticket-dispatches") + f"?scope=369901&from={today}&to={today}"
    accepted = client.get(base + "&metric=accepted").content.decode()
    assert "受理的" in accepted and "退回的" not in accepted
    dispatched = client.get(base + "&metric=dispatched").content.decode()
    assert "受理的" in dispatched and "退回的" in dispatched
    assert client.get(base + "&metric=nonsense").status_code == 404
    # a department user sees the figures of their department, not the region tree
    client.force_login(station_handler)
    own = client.get(reverse("ticket-metrics")).content.decode()
    assert "各部门对比" in own and "城关镇规划建设站" in own
