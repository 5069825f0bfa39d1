"""Reads of branch life, always scoped: the monthly dues sheet and arrears."""

import datetime as dt

from dangjian.members.models import Member

from .models import DuesPayment, DuesProfile
from .services import PAYING_STATUSES, month_start, pays_from

SHEET_HEADERS = ["党员编号", "姓名", "所在党组织", "党费类别", "计算基数", "应缴金额", "所属月份", "实缴金额", "缴纳日期",
                 "自愿多缴"]


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    months, m = [], month_start(first)
    while m <= last:
        months.append(m)
        m = (m + dt.timedelta(days=32)).replace(day=1)
    return months


def unpaid_months(member, through: dt.date) -> list[dt.date]:
    """The months from the member's first dues month to `through` with no payment."""
    start = pays_from(member)
    if start is None or member.status not in PAYING_STATUSES:
        return []
    paid = set(DuesPayment.objects.filter(member=member).values_list("month", flat=True))
    return [m for m in months_between(start, month_start(through)) if m not in paid]


def dues_sheet(user, org, month: dt.date) -> list[list]:
    """The monthly collection sheet of `org` (and below): one row per paying member, paid or not."""
    members = (Member.objects.restrict(user, "view").filter(org_path__startswith=org.path, status__in=PAYING_STATUSES)
               .select_related("org").order_by("org_path", "name"))
    profiles = {p.member_id: p for p in DuesProfile.objects.filter(member__in=members)}
    payments = {p.member_id: p for p in DuesPayment.objects.filter(member__in=members, month=month)}
    rows = []
    for m in members:
        if (pays_from(m) or month) > month:
            continue
        profile, payment = profiles.get(m.pk), payments.get(m.pk)
        rows.append([m.pk, m.name, m.org.name, profile.get_category_display() if profile else "未设定",
                     profile.base if profile and profile.base is not None else "",
                     profile.monthly if profile else "", f"{month:%Y-%m}",
                     payment.paid if payment else "", payment.paid_on if payment else "",
                     payment.voluntary if payment and payment.voluntary else ""])
    return rows


STUDY_REQUIREMENT = {"member": 32, "cadre": 56}  # 学时 a year; configurable in the checkup rules (REGULATIONS.md)


def study_hours(members, year: int) -> dict[int, float]:
    """Hours studied in `year` per member id (one grouped query)."""
    from django.db.models import Sum

    from .models import StudyRecord

    rows = (StudyRecord.objects.filter(member__in=members, studied_on__year=year).values("member")
            .annotate(total=Sum("hours")))
    return {r["member"]: float(r["total"]) for r in rows}
