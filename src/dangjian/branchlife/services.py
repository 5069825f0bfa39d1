"""Every write to branch life: checks, writes and audit in one transaction each."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from dangjian.core.audit import acting
from dangjian.core.scope import user_scope
from dangjian.members.models import Member

from .models import Attendance, Meeting

QUORUM_CITATION = "《中国共产党发展党员工作细则》第二十三条；《中国共产党支部工作条例（试行）》第十一条、第十二条"


class BranchLifeError(ValueError):
    """A write was refused; the message is Chinese and names the field and the reason."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _require_change(actor, org) -> None:
    scope = user_scope(actor, "change")
    if not (scope.unrestricted or any(org.path.startswith(p) for p in scope.orgs)):
        raise BranchLifeError(f"您不能为“{org.name}”登记组织生活", "org")


def vote_quorum(due: int, present: int) -> bool:
    """A vote of the 党员大会 needs more than half of the full members due to attend."""
    return present * 2 > due


def _check_meeting(org, kind, held_on, topic, chair, attendance, vote_subject, today, allowed=()):
    """The checks shared by recording and changing a meeting: (topic, attendance {member id: status}, the members
    by id, due voters, present voters), or BranchLifeError naming the field. `allowed`: ids of members who may keep
    their attendance although they are no longer in the organisation (those already recorded for the meeting)."""
    if kind not in Meeting.Kind.values:
        raise BranchLifeError(f"会议类型“{kind}”无效", "kind")
    if not isinstance(held_on, dt.date):
        raise BranchLifeError("请填写召开日期", "held_on")
    if held_on > today:
        raise BranchLifeError("召开日期不能晚于今天", "held_on")
    topic = (topic or "").strip()
    if not topic:
        raise BranchLifeError("请填写会议主题", "topic")
    attendance = {int(k): v for k, v in (attendance or {}).items()}
    bad = [v for v in attendance.values() if v not in Attendance.Status.values]
    if bad:
        raise BranchLifeError(f"出席情况“{bad[0]}”无效，应为出席、请假或缺席", "attendance")
    members = {m.pk: m for m in Member.objects.filter(pk__in=attendance, org_path__startswith=org.path)}
    members.update((m.pk, m) for m in Member.objects.filter(pk__in=set(attendance) & set(allowed)))
    outsiders = sorted(set(attendance) - set(members))
    if outsiders:
        raise BranchLifeError(f"第 {outsiders[0]} 号党员不属于“{org.name}”，不能登记其出席情况", "attendance")
    present = {pk for pk, status in attendance.items() if status == Attendance.Status.PRESENT}
    if chair is not None and chair.pk not in present:
        raise BranchLifeError(f"主持人{chair.name}未登记为出席", "chair")
    due_voters = present_voters = None
    if kind == Meeting.Kind.COMMITTEE_MEETING:
        committee = org.committees.filter(ended_on__isnull=True).first()
        if committee is None:
            raise BranchLifeError(f"“{org.name}”没有现任委员会，不能召开支委会", "kind")
        seats = set(committee.open_seats.values_list("member_id", flat=True))
        if not vote_quorum(len(seats), len(seats & present)):
            raise BranchLifeError(f"到会委员 {len(seats & present)} 人，未超过委员会 {len(seats)} 人的半数，"
                                  f"支委会不能召开（{QUORUM_CITATION}）", "attendance")
    if vote_subject:
        if kind != Meeting.Kind.GENERAL_ASSEMBLY:
            raise BranchLifeError("只有支部党员大会可以表决", "vote_subject")
        full = set(Member.objects.filter(org_path__startswith=org.path, status=Member.Status.FULL)
                   .values_list("pk", flat=True))
        due_voters, present_voters = len(full), len(full & present)
        if not vote_quorum(due_voters, present_voters):
            raise BranchLifeError(f"到会有表决权的正式党员 {present_voters} 人，未超过应到会 {due_voters} 人的半数，"
                                  f"不能表决（{QUORUM_CITATION}）", "attendance")
    return topic, attendance, members, due_voters, present_voters


@transaction.atomic
def do_record_meeting(*, actor, org, kind, held_on: dt.date, topic: str, chair=None, minutes: str = "",
                      attendance: dict | None = None, vote_subject: str = "", today=None) -> Meeting:
    """Record one meeting with attendance per member ({member id: present|leave|absent}).

    A 支委会 needs more than half of the current committee present; a 党员大会 that votes (`vote_subject`) needs
    more than half of its full members present."""
    today = today or timezone.localdate()
    _require_change(actor, org)
    topic, attendance, members, due_voters, present_voters = _check_meeting(
        org, kind, held_on, topic, chair, attendance, vote_subject, today)
    meeting = Meeting(org=org, org_path=org.path, kind=kind, held_on=held_on, topic=topic[:200], chair=chair,
                      minutes=minutes or "", vote_subject=vote_subject[:200], due_voters=due_voters,
                      present_voters=present_voters,
                      recorded_by=actor if getattr(actor, "is_authenticated", False) else None)
    with acting(actor):
        meeting.save()
        Attendance.objects.bulk_create(Attendance(meeting=meeting, member=members[pk], status=status,
                                                  held_on=held_on) for pk, status in attendance.items())
    return meeting


@transaction.atomic
def do_update_meeting(*, actor, meeting, held_on: dt.date, topic: str, chair=None, minutes: str = "",
                      attendance: dict | None = None, vote_subject: str = "", today=None) -> Meeting:
    """Correct a recorded meeting: its date, topic, chair, minutes, vote and, when `attendance` is given, the
    attendance (replaced by it as a whole; None keeps it). The kind stays. The same checks as recording it apply
    to the result; members recorded before keep their place even if they have moved since. The attendance rows
    carry the meeting's date (Attendance.held_on): a new date is written to all of them in the same transaction."""
    today = today or timezone.localdate()
    meeting = Meeting.objects.select_for_update().select_related("org").get(pk=meeting.pk)
    org = meeting.org
    _require_change(actor, org)
    recorded = dict(meeting.attendance.values_list("member_id", "status"))
    topic, attendance, members, due_voters, present_voters = _check_meeting(
        org, meeting.kind, held_on, topic, chair, recorded if attendance is None else attendance, vote_subject,
        today, allowed=recorded)
    meeting.held_on, meeting.topic, meeting.chair, meeting.minutes = held_on, topic[:200], chair, minutes or ""
    meeting.vote_subject, meeting.due_voters, meeting.present_voters = vote_subject[:200], due_voters, present_voters
    with acting(actor):
        meeting.save()
        rows = Attendance.objects.filter(meeting=meeting)
        if attendance != recorded:
            rows.exclude(member_id__in=attendance).delete()
            for status in Attendance.Status.values:
                kept = [pk for pk, s in attendance.items() if s == status and pk in recorded]
                rows.filter(member_id__in=kept).exclude(status=status).update(status=status)
            Attendance.objects.bulk_create(Attendance(meeting=meeting, member=members[pk], status=status,
                                                      held_on=held_on)
                                           for pk, status in attendance.items() if pk not in recorded)
        rows.exclude(held_on=held_on).update(held_on=held_on)
    return meeting


# ---- dues -----------------------------------------------------------------------------------------------------
PAYING_STATUSES = ("probationary", "full")  # 预备党员 pay from the branch vote (their joining date)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def pays_from(member) -> dt.date | None:
    """The first month a member owes dues: the month of the branch vote (joined_on)."""
    return month_start(member.joined_on) if member.joined_on else None


def _require_member_change(actor, member) -> None:
    scope = user_scope(actor, "change")
    if not (scope.unrestricted or any(member.org_path.startswith(p) for p in scope.orgs)):
        raise BranchLifeError(f"您不能管理{member.name}的党费", "member")


@transaction.atomic
def do_set_dues_profile(*, actor, member, category, base=None, since: dt.date | None = None):
    """Set a member's dues category and base; the monthly amount is computed (and changes from `since`)."""
    from .dues import DuesError, monthly_dues
    from .models import DuesProfile

    _require_member_change(actor, member)
    if member.status not in PAYING_STATUSES:
        raise BranchLifeError(f"{member.name}是{member.get_status_display()}，尚不缴纳党费", "member")
    try:
        monthly = monthly_dues(category, base)
    except DuesError as exc:
        raise BranchLifeError(str(exc), "base") from None
    since = month_start(since or timezone.localdate())
    with acting(actor):
        profile, _ = DuesProfile.objects.update_or_create(member=member, defaults={
            "category": category, "base": None if base in (None, "") else base, "monthly": monthly, "since": since})
    return profile


def check_payment(member, month: dt.date, paid, paid_on, voluntary, today: dt.date, profile):
    """(due, paid, voluntary, remit) for one month's payment, or BranchLifeError naming the field."""
    from .dues import VOLUNTARY_REMIT, DuesError, to_amount

    if profile is None:
        raise BranchLifeError(f"请先为{member.name}设定党费标准", "member")
    if member.status not in PAYING_STATUSES:
        raise BranchLifeError(f"{member.name}是{member.get_status_display()}，尚不缴纳党费", "member")
    start = pays_from(member)
    if start and month < start:
        raise BranchLifeError(f"{member.name}自 {start:%Y-%m} 起缴纳党费，{month:%Y-%m} 不需缴纳", "month")
    if month > month_start(today):
        raise BranchLifeError(f"{month:%Y-%m} 尚未到，不能预先登记", "month")
    if not isinstance(paid_on, dt.date) or paid_on > today:
        raise BranchLifeError("缴纳日期应为今天或之前的日期", "paid_on")
    try:
        paid, voluntary = to_amount(paid, "实缴金额"), to_amount(voluntary or 0, "自愿多缴金额")
    except DuesError as exc:
        raise BranchLifeError(str(exc), "paid") from None
    if paid < profile.monthly:
        raise BranchLifeError(f"实缴 {paid} 元少于应缴 {profile.monthly} 元；确有困难须经支部研究、上级批准减免", "paid")
    return profile.monthly, paid, voluntary, voluntary >= VOLUNTARY_REMIT


@transaction.atomic
def do_record_dues(*, actor, member, month: dt.date, paid, paid_on: dt.date, voluntary=0, today=None):
    from .models import DuesPayment, DuesProfile

    today = today or timezone.localdate()
    _require_member_change(actor, member)
    month = month_start(month)
    profile = DuesProfile.objects.filter(member=member).first()
    due, paid, voluntary, remit = check_payment(member, month, paid, paid_on, voluntary, today, profile)
    if DuesPayment.objects.select_for_update().filter(member=member, month=month).exists():
        raise BranchLifeError(f"{member.name} {month:%Y-%m} 的党费已登记", "month")
    with acting(actor):
        return DuesPayment.objects.create(
            member=member, org_path=member.org_path, month=month, due=due, paid=paid, paid_on=paid_on,
            voluntary=voluntary, remit_in_full=remit,
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None)


# ---- talks and study hours ------------------------------------------------------------------------------------
@transaction.atomic
def do_record_talk(*, actor, org, talker, listener, held_on: dt.date, note="", today=None):
    from .models import HeartToHeart

    today = today or timezone.localdate()
    _require_change(actor, org)
    if talker.pk == listener.pk:
        raise BranchLifeError("谈话人和谈话对象不能是同一人", "listener")
    for who, field in ((talker, "talker"), (listener, "listener")):
        if not who.org_path.startswith(org.path):
            raise BranchLifeError(f"{who.name}不属于“{org.name}”", field)
    if not isinstance(held_on, dt.date) or held_on > today:
        raise BranchLifeError("谈话日期应为今天或之前的日期", "held_on")
    with acting(actor):
        return HeartToHeart.objects.create(org=org, org_path=org.path, talker=talker, listener=listener,
                                           held_on=held_on, note=note or "")


@transaction.atomic
def do_record_study(*, actor, member, studied_on: dt.date, hours, topic, today=None):
    from decimal import Decimal, InvalidOperation

    from .models import StudyRecord

    today = today or timezone.localdate()
    _require_member_change(actor, member)
    try:
        hours = Decimal(str(hours))
    except (InvalidOperation, ValueError):
        raise BranchLifeError(f"学时“{hours}”不是有效的数字", "hours") from None
    if not Decimal("0.5") <= hours <= Decimal("24"):
        raise BranchLifeError("一天的学时应在 0.5 到 24 之间", "hours")
    if not isinstance(studied_on, dt.date) or studied_on > today:
        raise BranchLifeError("学习日期应为今天或之前的日期", "studied_on")
    topic = (topic or "").strip()
    if not topic:
        raise BranchLifeError("请填写学习内容", "topic")
    with acting(actor):
        return StudyRecord.objects.create(member=member, org_path=member.org_path, studied_on=studied_on,
                                          hours=hours, topic=topic[:200])
