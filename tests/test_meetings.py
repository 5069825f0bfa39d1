"""Recording branch meetings: attendance per member and the quorum of a 党员大会 vote."""

import datetime as dt

import pytest
from django.db.models import F

from dangjian.branchlife.models import Attendance, Meeting
from dangjian.branchlife.services import BranchLifeError, do_record_meeting, vote_quorum
from dangjian.members.services import do_create_member
from tests.factories import id_number

TODAY = dt.date(2026, 11, 20)


@pytest.fixture
def branch(county):
    """东风村党支部 with 4 full members (张三 and three more) and one probationary member."""
    members = [county.members["a"]] + [
        do_create_member(actor=None, name=name, id_number=id_number(), org=county.branch_a, status="full",
                         joined_on=dt.date(2015, 7, 1), full_on=dt.date(2016, 7, 1))
        for name in ("王五", "赵六", "孙七")]  # fmt: skip
    members.append(do_create_member(actor=None, name="周八", id_number=id_number(), org=county.branch_a,
                                    status="probationary", joined_on=dt.date(2026, 7, 1)))
    return county.branch_a, members


def test_quorum_is_more_than_half():
    assert not vote_quorum(4, 2) and vote_quorum(4, 3) and vote_quorum(5, 3) and not vote_quorum(5, 2)
    assert not vote_quorum(0, 0)


def test_a_vote_with_half_present_is_refused_and_nothing_is_saved(county, branch):
    org, (a, b, c, d, probationer) = branch
    attendance = {a.pk: "present", b.pk: "present", c.pk: "leave", d.pk: "absent", probationer.pk: "present"}
    with pytest.raises(BranchLifeError, match="到会有表决权的正式党员 2 人，未超过应到会 4 人的半数"):
        do_record_meeting(actor=county.users["branch_secretary"], org=org, kind="general_assembly",
                          held_on=TODAY, topic="接收预备党员", attendance=attendance, vote_subject="接收周八为预备党员",
                          chair=a, today=TODAY)
    assert not Meeting.objects.exists() and not Attendance.objects.exists()
    attendance[c.pk] = "present"
    meeting = do_record_meeting(actor=county.users["branch_secretary"], org=org, kind="general_assembly",
                                held_on=TODAY, topic="接收预备党员", attendance=attendance,
                                vote_subject="接收周八为预备党员", chair=a, today=TODAY)
    assert (meeting.due_voters, meeting.present_voters) == (4, 3)  # the probationary member has no vote
    assert meeting.attendance.filter(status="present").count() == 4


@pytest.mark.parametrize(("change", "message"), [
    ({"held_on": TODAY + dt.timedelta(days=1)}, "不能晚于今天"),
    ({"topic": " "}, "请填写会议主题"),
    ({"kind": "picnic"}, "会议类型"),
    ({"vote_subject": "表决", "kind": "theme_day"}, "只有支部党员大会可以表决"),
])  # fmt: skip
def test_refusals(county, branch, change, message):
    org, members = branch
    fields = dict(kind="theme_day", held_on=TODAY, topic="学习党章", attendance={members[0].pk: "present"})
    with pytest.raises(BranchLifeError, match=message):
        do_record_meeting(actor=county.users["branch_secretary"], org=org, today=TODAY, **{**fields, **change})
    assert not Meeting.objects.exists()


def test_attendance_only_for_the_branchs_members_and_within_scope(county, branch):
    org, members = branch
    with pytest.raises(BranchLifeError, match="不属于"):
        do_record_meeting(actor=county.users["branch_secretary"], org=org, kind="theme_day", held_on=TODAY,
                          topic="学习", attendance={county.members["b"].pk: "present"}, today=TODAY)
    with pytest.raises(BranchLifeError, match="不能为"):
        do_record_meeting(actor=county.users["branch_secretary"], org=county.branch_b, kind="theme_day",
                          held_on=TODAY, topic="学习", today=TODAY)
    with pytest.raises(BranchLifeError, match="主持人"):
        do_record_meeting(actor=county.users["branch_secretary"], org=org, kind="theme_day", held_on=TODAY,
                          topic="学习", chair=members[1], attendance={members[1].pk: "absent"}, today=TODAY)


def test_the_meeting_form_records_attendance(county, branch, client):
    from django.urls import reverse
    from django.utils import timezone

    org, (a, b, c, d, probationer) = branch
    client.force_login(county.users["branch_secretary"])
    page = client.get(reverse("meeting-add")).content.decode()
    assert "王五" in page and "周八" in page
    post = {"org": org.code, "kind": "general_assembly", "held_on": timezone.localdate().isoformat(),
            "topic": "讨论发展对象", "vote_subject": "确定发展对象", "chair": a.pk,
            f"att_{a.pk}": "present", f"att_{b.pk}": "present", f"att_{c.pk}": "absent", f"att_{d.pk}": "absent",
            f"att_{probationer.pk}": "present"}
    refused = client.post(reverse("meeting-add"), post)
    assert refused.status_code == 400 and "未超过应到会 4 人的半数" in refused.content.decode()
    post[f"att_{d.pk}"] = "present"
    done = client.post(reverse("meeting-add"), post)
    meeting = Meeting.objects.get()
    assert done.status_code == 302 and (meeting.present_voters, meeting.due_voters) == (3, 4)
    listing = client.get(reverse("meeting-list")).content.decode()
    assert "讨论发展对象" in listing and "3/4" in listing


def test_talks_and_study_hours(county, branch):
    from decimal import Decimal

    from dangjian.branchlife.queries import study_hours
    from dangjian.branchlife.services import do_record_study, do_record_talk

    org, (a, b, *_rest) = branch
    secretary = county.users["branch_secretary"]
    talk = do_record_talk(actor=secretary, org=org, talker=a, listener=b, held_on=TODAY, note="谈工作", today=TODAY)
    assert talk.org_path == org.path
    with pytest.raises(BranchLifeError, match="同一人"):
        do_record_talk(actor=secretary, org=org, talker=a, listener=a, held_on=TODAY, today=TODAY)
    with pytest.raises(BranchLifeError, match="不属于"):
        do_record_talk(actor=secretary, org=org, talker=a, listener=county.members["b"], held_on=TODAY, today=TODAY)
    do_record_study(actor=secretary, member=a, studied_on=TODAY, hours="3.5", topic="党章", today=TODAY)
    do_record_study(actor=secretary, member=a, studied_on=dt.date(2026, 3, 1), hours=4, topic="条例", today=TODAY)
    do_record_study(actor=secretary, member=a, studied_on=dt.date(2025, 12, 31), hours=8, topic="去年", today=TODAY)
    assert study_hours([a, b], 2026) == {a.pk: 7.5}
    for hours, message in (("0.4", "0.5 到 24"), ("abc", "不是有效的数字")):
        with pytest.raises(BranchLifeError, match=message):
            do_record_study(actor=secretary, member=a, studied_on=TODAY, hours=hours, topic="x", today=TODAY)
    assert Decimal("7.5") == sum(r.hours for r in a.study_records.filter(studied_on__year=2026))


def test_demo_reset_clears_branch_life(county, branch):
    from dangjian.branchlife.services import do_record_study
    from dangjian.demo.ledger import reset_ledger

    org, members = branch
    do_record_meeting(actor=None, org=org, kind="theme_day", held_on=TODAY, topic="学习",
                      attendance={members[0].pk: "present"}, today=TODAY)
    do_record_study(actor=None, member=members[0], studied_on=TODAY, hours=2, topic="党章", today=TODAY)
    reset_ledger()
    assert not Meeting.objects.exists() and not Attendance.objects.exists()


def test_a_committee_meeting_needs_more_than_half_of_the_committee(county, branch):
    from dangjian.orgs.services import do_elect_committee

    org, (a, b, c, d, probationer) = branch
    secretary = county.users["branch_secretary"]
    fields = dict(actor=secretary, org=org, kind="committee_meeting", held_on=TODAY, topic="研究发展党员", today=TODAY)
    with pytest.raises(BranchLifeError, match="没有现任委员会"):
        do_record_meeting(**fields, attendance={a.pk: "present"})
    do_elect_committee(actor=secretary, org=org, elected_on=dt.date(2025, 6, 1), approved_on=dt.date(2025, 6, 10),
                       seats=[(a, "secretary"), (b, "deputy_secretary"), (c, "member")], today=TODAY)
    with pytest.raises(BranchLifeError, match="到会委员 1 人，未超过委员会 3 人的半数"):
        do_record_meeting(**fields, attendance={a.pk: "present", b.pk: "leave", d.pk: "present"})
    meeting = do_record_meeting(**fields, attendance={a.pk: "present", b.pk: "present", c.pk: "absent"})
    assert meeting.kind == "committee_meeting"


def test_attendance_carries_the_meetings_date_and_follows_a_corrected_date(county, branch):
    from dangjian.branchlife.services import do_update_meeting

    org, (a, b, c, d, probationer) = branch
    secretary = county.users["branch_secretary"]
    meeting = do_record_meeting(actor=secretary, org=org, kind="theme_day", held_on=TODAY - dt.timedelta(days=3),
                                topic="重温入党誓词", attendance={a.pk: "present", b.pk: "leave", c.pk: "absent"},
                                today=TODAY)
    other = do_record_meeting(actor=secretary, org=org, kind="party_lecture", held_on=TODAY - dt.timedelta(days=9),
                              topic="党课", attendance={a.pk: "present"}, today=TODAY)
    assert set(meeting.attendance.values_list("held_on", flat=True)) == {TODAY - dt.timedelta(days=3)}
    # the date corrected: every attendance row of the meeting follows, the other meeting's stay
    do_update_meeting(actor=secretary, meeting=meeting, held_on=TODAY - dt.timedelta(days=40), topic="重温入党誓词",
                      minutes="补记", today=TODAY)
    meeting.refresh_from_db()
    assert (meeting.held_on, meeting.minutes) == (TODAY - dt.timedelta(days=40), "补记")
    assert sorted(meeting.attendance.values_list("member_id", "status", "held_on")) == sorted(
        [(a.pk, "present", meeting.held_on), (b.pk, "leave", meeting.held_on), (c.pk, "absent", meeting.held_on)])
    assert set(other.attendance.values_list("held_on", flat=True)) == {TODAY - dt.timedelta(days=9)}
    # the attendance replaced: a status changed, one removed, one added, all with the new date
    do_update_meeting(actor=secretary, meeting=meeting, held_on=TODAY - dt.timedelta(days=41), topic="重温入党誓词",
                      attendance={a.pk: "present", b.pk: "present", d.pk: "absent"}, today=TODAY)
    assert sorted(meeting.attendance.values_list("member_id", "status", "held_on")) == sorted(
        [(a.pk, "present", TODAY - dt.timedelta(days=41)), (b.pk, "present", TODAY - dt.timedelta(days=41)),
         (d.pk, "absent", TODAY - dt.timedelta(days=41))])
    assert not Attendance.objects.exclude(held_on=F("meeting__held_on")).exists()


def test_a_correction_is_checked_like_a_recording_and_changes_nothing_when_refused(county, branch):
    from dangjian.branchlife.services import do_update_meeting
    from dangjian.members.services import do_update_member

    org, (a, b, c, d, probationer) = branch
    secretary = county.users["branch_secretary"]
    day = TODAY - dt.timedelta(days=5)
    meeting = do_record_meeting(actor=secretary, org=org, kind="theme_day", held_on=day, topic="学习",
                                attendance={a.pk: "present", b.pk: "absent"}, today=TODAY)
    for change, message in (({"held_on": TODAY + dt.timedelta(days=1)}, "不能晚于今天"), ({"topic": " "}, "请填写会议主题"),
                            ({"held_on": None}, "请填写召开日期"),
                            ({"attendance": {a.pk: "late"}}, "出席情况“late”无效"),
                            ({"attendance": {county.members["b"].pk: "present"}}, "不属于"),
                            ({"vote_subject": "表决"}, "只有支部党员大会可以表决"),
                            ({"chair": b}, "主持人")):  # fmt: skip
        with pytest.raises(BranchLifeError, match=message):
            do_update_meeting(actor=secretary, meeting=meeting, **{"held_on": day, "topic": "学习", "today": TODAY,
                                                                   **change})
    with pytest.raises(BranchLifeError, match="不能为"):
        do_update_meeting(actor=county.users["township_admin"], meeting=do_record_meeting(
            actor=None, org=county.branch_b, kind="theme_day", held_on=day, topic="学习", today=TODAY),
            held_on=day, topic="学习", today=TODAY)
    meeting.refresh_from_db()
    assert (meeting.held_on, meeting.topic) == (day, "学习")
    assert set(meeting.attendance.values_list("held_on", flat=True)) == {day}
    # a member recorded before who has moved since keeps their place in the correction
    do_update_member(actor=None, member=b, org=county.branch_b)
    do_update_meeting(actor=secretary, meeting=meeting, held_on=day - dt.timedelta(days=1), topic="学习党章",
                      attendance={a.pk: "present", b.pk: "leave"}, today=TODAY)
    assert dict(meeting.attendance.values_list("member_id", "status")) == {a.pk: "present", b.pk: "leave"}
