"""Correcting a recorded meeting from the browser (meeting-edit): the form pre-filled from the meeting, the
correction through services.do_update_meeting, refusals re-rendered with 400, 404 outside the change scope, and
the 更正 button on the meeting page only for those who may change it."""

import datetime as dt
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts.services import do_create_user
from dangjian.branchlife.models import Attendance, Meeting
from dangjian.branchlife.services import do_record_meeting
from dangjian.members.services import do_create_member, do_update_member
from tests.factories import PASSWORD, build_county, id_number


class Form(HTMLParser):
    """The state of a rendered form: input values, checked radios, selected options, readonly fields."""

    def __init__(self, html: str):
        super().__init__()
        self.values, self.checked, self.selected, self.readonly, self.names = {}, {}, {}, {}, set()
        self.textareas, self._select, self._textarea = {}, None, None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input":
            if a.get("type") == "radio":
                self.names.add(a["name"])
                if "checked" in a:
                    self.checked[a["name"]] = a["value"]
            elif a.get("name"):
                self.values[a["name"]] = a.get("value", "")
            elif "readonly" in a:
                self.readonly[a.get("id")] = a.get("value", "")
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self.selected[self._select] = a.get("value")
        elif tag == "textarea":
            self._textarea = a.get("name")
            self.textareas[self._textarea] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.textareas[self._textarea] += data


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


@pytest.fixture
def meeting(county):
    """A 主题党日 of 东风村党支部 ten days ago, chaired by 张三: 张三 present, 王五 on leave, 赵六 absent, 孙七 present
    (孙七 has since moved to 柳林村党支部); 周八 joined the branch after it and is not recorded."""
    def member(name, org=county.branch_a):
        return do_create_member(actor=None, name=name, id_number=id_number(), org=org, status="full",
                                joined_on=dt.date(2015, 7, 1), full_on=dt.date(2016, 7, 1))

    a, wang, zhao, sun = county.members["a"], member("王五"), member("赵六"), member("孙七")
    m = do_record_meeting(actor=None, org=county.branch_a, kind="theme_day", held_on=days_ago(10), topic="学习党章",
                          chair=a, minutes="原记录", attendance={a.pk: "present", wang.pk: "leave",
                                                             zhao.pk: "absent", sun.pk: "present"})
    do_update_member(actor=None, member=sun, org=county.branch_b)
    zhou = member("周八")
    county.people = {"a": a, "wang": wang, "zhao": zhao, "sun": sun, "zhou": zhou}
    return m


def recorded(meeting):
    return dict(Attendance.objects.filter(meeting=meeting).values_list("member_id", "status"))


def post_of(meeting, county, **change):
    """What the pre-filled form posts back, with `change` applied (att_<pk> keys for attendance)."""
    p = county.people
    data = {"held_on": meeting.held_on.isoformat(), "topic": meeting.topic, "minutes": meeting.minutes,
            "vote_subject": "", "chair": str(p["a"].pk), f"att_{p['a'].pk}": "present",
            f"att_{p['wang'].pk}": "leave", f"att_{p['zhao'].pk}": "absent", f"att_{p['sun'].pk}": "present",
            f"att_{p['zhou'].pk}": ""}
    return {**data, **change}


def test_the_form_is_prefilled_from_the_meeting(county, meeting, client):
    p = county.people
    client.force_login(county.users["branch_secretary"])
    response = client.get(reverse("meeting-edit", args=[meeting.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    form = Form(page)
    assert form.values["held_on"] == days_ago(10).isoformat() and form.values["topic"] == "学习党章"
    assert form.textareas["minutes"] == "原记录" and form.values["vote_subject"] == ""
    assert form.selected["chair"] == str(p["a"].pk)
    # the kind is shown, not offered: no kind field is posted
    assert form.readonly["id_kind"] == "主题党日" and "kind" not in form.values and "kind" not in form.selected
    # recorded members with their status (孙七 although moved), current members not recorded at 未登记,
    # nobody else (李四 of 柳林村党支部 was never recorded)
    assert form.checked == {f"att_{p['a'].pk}": "present", f"att_{p['wang'].pk}": "leave",
                            f"att_{p['zhao'].pk}": "absent", f"att_{p['sun'].pk}": "present",
                            f"att_{p['zhou'].pk}": ""}
    assert f"att_{county.members['b'].pk}" not in form.names and "李四" not in page
    assert "已不在本组织" in page and "未登记" in page
    # breadcrumbs: 组织生活 → 会议记录 → the meeting → 更正
    assert f'<a href="{reverse("meeting-list")}">会议记录</a>' in page
    assert f'<a href="{reverse("meeting-detail", args=[meeting.pk])}">学习党章</a>' in page
    assert '<li class="breadcrumb-item active" aria-current="page">更正</li>' in page


def test_unchanged_form_posted_back_changes_nothing_but_keeps_everyone(county, meeting, client):
    client.force_login(county.users["branch_secretary"])
    before = recorded(meeting)
    response = client.post(reverse("meeting-edit", args=[meeting.pk]), post_of(meeting, county))
    assert response.status_code == 302
    assert recorded(meeting) == before  # 周八 at 未登记 was not added, 孙七 (moved) was kept


def test_a_correction_changes_date_topic_and_attendance(county, meeting, client):
    p = county.people
    other = do_record_meeting(actor=None, org=county.branch_a, kind="party_lecture", held_on=days_ago(20),
                              topic="党课", attendance={p["a"].pk: "present"})
    client.force_login(county.users["branch_secretary"])
    url = reverse("meeting-edit", args=[meeting.pk])
    post = post_of(meeting, county, held_on=days_ago(12).isoformat(), topic="学习新党章", minutes="补记",
                   kind="general_assembly", **{f"att_{p['wang'].pk}": "present", f"att_{p['zhao'].pk}": "",
                                               f"att_{p['zhou'].pk}": "absent"})
    response = client.post(url, post)
    assert response.status_code == 302 and response["Location"] == reverse("meeting-detail", args=[meeting.pk])
    meeting.refresh_from_db()
    assert (meeting.held_on, meeting.topic, meeting.minutes, meeting.kind, meeting.chair_id) == (
        days_ago(12), "学习新党章", "补记", "theme_day", p["a"].pk)  # the posted kind is ignored
    assert recorded(meeting) == {p["a"].pk: "present", p["wang"].pk: "present", p["sun"].pk: "present",
                                 p["zhou"].pk: "absent"}
    assert set(Attendance.objects.filter(meeting=meeting).values_list("held_on", flat=True)) == {days_ago(12)}
    assert set(other.attendance.values_list("held_on", flat=True)) == {days_ago(20)}
    detail = client.get(response["Location"]).content.decode()
    assert "会议记录已更正" in detail and "学习新党章" in detail


@pytest.mark.parametrize(("change", "message"), [
    ({"held_on": (timezone.localdate() + dt.timedelta(days=1)).isoformat()}, "召开日期不能晚于今天"),
    ({"held_on": "2026-02-30"}, "请填写召开日期"),
    ({"held_on": ""}, "请填写召开日期"),
    ({"topic": "  "}, "请填写会议主题"),
    ({"vote_subject": "表决"}, "只有支部党员大会可以表决"),
    ({"chair": "wang"}, "主持人王五未登记为出席"),
])  # fmt: skip
def test_a_refused_correction_is_shown_with_400_and_changes_nothing(county, meeting, client, change, message):
    p = county.people
    if change.get("chair") == "wang":
        change = {"chair": str(p["wang"].pk)}
    client.force_login(county.users["branch_secretary"])
    before = (meeting.held_on, meeting.topic, meeting.minutes, meeting.chair_id, recorded(meeting))
    post = post_of(meeting, county, minutes="新记录", **{f"att_{p['zhao'].pk}": "present"}, **change)
    response = client.post(reverse("meeting-edit", args=[meeting.pk]), post)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and 'data-testid="error"' in page
    form = Form(page)  # the secretary's input is kept for another try
    assert form.textareas["minutes"] == "新记录" and form.checked[f"att_{p['zhao'].pk}"] == "present"
    meeting.refresh_from_db()
    assert (meeting.held_on, meeting.topic, meeting.minutes, meeting.chair_id, recorded(meeting)) == before
    assert set(Attendance.objects.filter(meeting=meeting).values_list("held_on", flat=True)) == {days_ago(10)}


def test_outside_the_change_scope_is_404_for_get_and_post(county, meeting, client):
    other_town, _ = do_create_user(actor=None, username="hexi_admin", password=PASSWORD, role="township_admin",
                                   scope_code="369901002")
    village_viewer, _ = do_create_user(actor=None, username="dongfeng_grid", password=PASSWORD,
                                       role="grid_worker", scope_code="369901001001")
    url = reverse("meeting-edit", args=[meeting.pk])
    post = post_of(meeting, county, topic="不应保存")
    for user in (other_town, village_viewer, county.users["grid_worker"], county.users["member"],
                 county.users["resident"], county.users["department_handler"]):
        client.force_login(user)
        assert client.get(url).status_code == 404, user
        assert client.post(url, post).status_code == 404, user
    client.force_login(village_viewer)  # sees the meeting, may not change it
    assert client.get(reverse("meeting-detail", args=[meeting.pk])).status_code == 200
    client.force_login(county.users["branch_secretary"])  # another branch's meeting
    b = do_record_meeting(actor=None, org=county.branch_b, kind="theme_day", held_on=days_ago(3), topic="学习",
                          attendance={county.members["b"].pk: "present"})
    assert client.get(reverse("meeting-edit", args=[b.pk])).status_code == 404
    assert client.post(reverse("meeting-edit", args=[b.pk]), {"held_on": days_ago(3).isoformat(),
                                                                "topic": "不应保存"}).status_code == 404
    assert client.get(reverse("meeting-edit", args=[987654])).status_code == 404
    assert Meeting.objects.filter(topic="不应保存").count() == 0


def test_the_meeting_page_shows_the_button_only_to_those_who_may_change(county, meeting, client):
    village_viewer, _ = do_create_user(actor=None, username="dongfeng_grid", password=PASSWORD,
                                       role="grid_worker", scope_code="369901001001")
    detail, edit = reverse("meeting-detail", args=[meeting.pk]), reverse("meeting-edit", args=[meeting.pk])
    for user, may in ((county.users["county_admin"], True), (county.users["township_admin"], True),
                      (county.users["branch_secretary"], True), (village_viewer, False)):
        client.force_login(user)
        response = client.get(detail)
        assert response.status_code == 200, user
        page = response.content.decode()
        assert (f'href="{edit}"' in page) is may and ("更正" in page) is may, user
        if may:
            assert client.get(edit).status_code == 200, user


# ---- in the browser ---------------------------------------------------------------------------------------------
@pytest.fixture
def world(browser, transactional_db):
    county = build_county()
    county.wang = do_create_member(actor=None, name="王五", id_number=id_number(), org=county.branch_a,
                                   status="full", joined_on=dt.date(2015, 7, 1), full_on=dt.date(2016, 7, 1))
    county.meeting = do_record_meeting(
        actor=None, org=county.branch_a, kind="theme_day", held_on=days_ago(6), topic="重温入党誓词",
        chair=county.members["a"], attendance={county.members["a"].pk: "present", county.wang.pk: "absent"})
    return county


@pytest.mark.browser
def test_correcting_a_meeting_in_the_browser(world, browser, live_server):
    from playwright.sync_api import expect

    from tests.browser_helpers import screenshot, sign_in, watch

    problems = []
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1400, "height": 900})
    context.set_default_timeout(10_000)
    try:
        page = watch(context.new_page(), problems)
        sign_in(page, live_server.url, world.users["branch_secretary"])
        page.goto(reverse("meeting-detail", args=[world.meeting.pk]))
        page.get_by_test_id("meeting-edit").click()
        expect(page.get_by_label("召开日期")).to_have_value(days_ago(6).isoformat())
        expect(page.get_by_label("王五 缺席")).to_be_checked()
        page.get_by_label("召开日期").fill(days_ago(8).isoformat())
        page.get_by_label("主题", exact=True).fill(" ")
        page.get_by_role("button", name="保存").click()
        expect(page.get_by_test_id("error")).to_have_text("请填写会议主题")
        expect(page.get_by_label("召开日期")).to_have_value(days_ago(8).isoformat())  # kept for another try
        page.get_by_label("主题", exact=True).fill("重温入党誓词（补记）")
        page.get_by_label("王五 请假").check()
        screenshot(page, "meeting-edit")
        page.get_by_role("button", name="保存").click()
        expect(page.get_by_role("alert").filter(has_text="会议记录已更正")).to_be_visible()
        expect(page.get_by_role("heading", level=1)).to_contain_text("重温入党誓词（补记）")
        expect(page.get_by_role("heading", level=1)).to_contain_text(days_ago(8).isoformat())
        expect(page.get_by_role("row", name="王五 请假")).to_be_visible()
    finally:
        context.close()
    assert not problems, problems
    assert set(world.meeting.attendance.values_list("held_on", flat=True)) == {days_ago(8)}
