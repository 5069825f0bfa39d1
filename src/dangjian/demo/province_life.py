"""Branch life of one county of the demo province: meetings and attendance, dues, study records and mobile
members (a mixin of province_county._County, which holds the county's branches, members and committees)."""

import datetime as dt
import math

from dangjian.branchlife.dues import monthly_dues
from dangjian.branchlife.models import Attendance, DuesPayment, DuesProfile, Meeting, StudyRecord
from dangjian.members.models import ContactLog, MobileStay

from .ledger import DemoError

DUES_MONTHS = 12
FLUSH_ROWS = 50_000
ATTENDANCE_COLUMNS = ("meeting_id", "member_id", "status", "held_on")  # held_on: the meeting's date, copied

DESTINATIONS = ["广东省深圳市", "广东省广州市", "广东省东莞市", "浙江省杭州市", "浙江省宁波市", "江苏省苏州市",
                "上海市", "北京市", "福建省厦门市", "湖北省武汉市", "四川省成都市", "天津市"]  # fmt: skip
TOPICS = {
    "general_assembly": ["传达学习上级会议精神", "讨论发展党员工作", "研究支部年度工作计划", "通报党费收缴情况",
                         "讨论预备党员转正"],
    "committee_meeting": ["研究本月支部工作安排", "研究发展党员工作", "研究主题党日活动方案", "研究党员教育管理工作"],
    "group_meeting": ["党小组学习讨论", "交流思想和工作情况", "开展批评与自我批评"],
    "party_lecture": ["学习贯彻党的二十大精神专题党课", "党史学习教育专题党课", "作风建设专题党课", "党纪学习教育专题党课"],
    "theme_day": ["重温入党誓词", "志愿服务进社区", "集中学习党章党规", "参观红色教育基地", "开展环境整治志愿活动"],
    "life_meeting": ["年度组织生活会"],
    "member_review": ["年度民主评议党员"],
}  # fmt: skip
STUDY_TOPICS = ["学习强国线上学习", "党员教育网络培训", "集中轮训", "专题学习", "党员冬训"]
ALL_MEMBER_KINDS = ("general_assembly", "party_lecture", "theme_day", "life_meeting", "member_review")

# Dues bases (元 a month, after tax) by member profile, for in-service members; retired members get 2000–7000.
IN_SERVICE_BASE = {"organ": (3500, 12000), "school": (3500, 11000), "hospital": (4000, 16000),
                   "institution": (3000, 9000), "state_enterprise": (3500, 14000), "private": (2500, 9000),
                   "gig": (3000, 8000), "social": (2500, 6000), "community": (2500, 7000)}  # fmt: skip


def _month_add(day: dt.date, months: int) -> dt.date:
    m = day.year * 12 + day.month - 1 + months
    return dt.date(m // 12, m % 12 + 1, 1)


# --- one county -------------------------------------------------------------------------------------------


class BranchLife:
    """Builds the branch-life records of a _County (see province_county)."""

    # How often the records have gaps (a builder may lower them: the demo county, see county_life).
    meeting_miss = (0.04, 0.4)  # a meeting not held, in an ordinary branch and in a slack one
    dues_gaps = (0.015, 0.022, 0.052)  # cumulative: stopped 3–5 months ago, 6 or more months ago, missed one month
    study_short = 0.06  # a member short of the year's hours
    contact_lost = (0.03, 0.10)  # cumulative: a mobile member out of contact over 2 years, 6 months or more

    # --- meetings and attendance ------------------------------------------------------------------------
    def build_meetings(self) -> None:
        """Meetings of every kind from the start of the quarter a year back until yesterday: monthly 主题党日 on the
        branch's fixed day, 支委会 (branches with a committee) and 党小组会 (each party group); quarterly 支部党员大会
        and 党课; yearly 组织生活会 and 民主评议党员 (mostly in December). Each is missed now and then (about 5 %,
        ten times as often in slack branches). Attendance is recorded for the meetings of the last
        `attendance_months` months: everyone for the meetings of all members, the sitting committee for 支委会."""
        rng = self.rng
        next_id = self.plan.first_id(Meeting, self.i)
        limit = next_id + self.plan.strides[Meeting._meta.label]
        start, last = self.window_start, self.last_day
        attend_from = _month_add(self.today.replace(day=1), -self.plan.attendance_months)
        months = []
        m = start
        while m <= last:
            months.append(m)
            m = _month_add(m, 1)
        meetings, attendance = [], []
        write, flush_at = self.write, FLUSH_ROWS
        meeting_columns = ("id", "org_id", "org_path", "kind", "held_on", "topic", "chair_id", "minutes",
                           "vote_subject", "due_voters", "present_voters", "recorded_by_id")
        for b in self.branches:
            miss = self.meeting_miss[1] if b.weak else self.meeting_miss[0]
            chair = self.secretaries.get(b.org.id)
            people = self.live(b)
            theme_day = rng.randint(1, 25)
            held = []  # (kind, day, organisation node)
            for month in months:
                month_end = _month_add(month, 1) - dt.timedelta(days=1)
                if month_end > last:
                    month_end = last
                if rng.random() >= miss:
                    day = month.replace(day=min(theme_day, month_end.day))
                    if day <= last:
                        held.append(("theme_day", day, b.org))
                if b.committee and rng.random() >= miss:
                    held.append(("committee_meeting", self.day_between(month, month_end), b.org))
                for group in b.groups:
                    if rng.random() >= miss * 1.5:
                        held.append(("group_meeting", self.day_between(month, month_end), group))
                if month.month % 3 == 1:  # a quarter starts
                    quarter_end = min(_month_add(month, 3) - dt.timedelta(days=1), last)
                    for kind in ("general_assembly", "party_lecture"):
                        if rng.random() >= miss * 1.2:
                            held.append((kind, self.day_between(month, quarter_end), b.org))
                if month.month == 12:
                    for kind in ("life_meeting", "member_review"):
                        if rng.random() >= miss * 0.8:
                            held.append((kind, self.day_between(month, month_end), b.org))
            for kind, day, org in held:
                if next_id >= limit:
                    raise DemoError("每个县的会议数量超出预留编号范围")
                meeting_id = next_id
                next_id += 1
                held_on = day.isoformat()
                meetings.append((meeting_id, org.id, org.path, kind, held_on, rng.choice(TOPICS[kind]),
                                 chair if org is b.org else None, "", "", None, None, None))
                if day < attend_from:
                    continue
                if kind in ALL_MEMBER_KINDS:
                    for p in people:
                        if p.joined > day:
                            continue
                        r = rng.random()
                        if p.absentee:
                            status = "absent" if r < 0.85 else "leave"
                        elif p.mobile:
                            status = "present" if r < 0.25 else ("leave" if r < 0.95 else "absent")
                        else:
                            status = "present" if r < 0.9 else ("leave" if r < 0.97 else "absent")
                        attendance.append((meeting_id, p.id, status, held_on))
                elif kind == "committee_meeting":
                    for member_id in b.seats:
                        attendance.append((meeting_id, member_id, "present" if rng.random() < 0.92 else "leave",
                                           held_on))
            if len(attendance) >= flush_at:
                write(Attendance, ATTENDANCE_COLUMNS, attendance)
                self.counts["attendance"] += len(attendance)
                attendance = []
            if len(meetings) >= flush_at:
                write(Meeting, meeting_columns, meetings)
                self.counts["meetings"] += len(meetings)
                meetings = []
        write(Meeting, meeting_columns, meetings)
        write(Attendance, ATTENDANCE_COLUMNS, attendance)
        self.counts["meetings"] += len(meetings)
        self.counts["attendance"] += len(attendance)

    # --- dues -------------------------------------------------------------------------------------------
    def dues_category(self, p):
        rng = self.rng
        r = rng.random()
        if p.profile == "village":
            if r < 0.03:
                return "relief", None
            return "farmer", rng.choice(["0.20", "0.50", "0.50", "1.00"])
        if p.age >= 60 and p.profile in ("community", "organ", "school", "hospital", "institution", "state_enterprise"):
            return "retired", rng.randrange(2000, 7000, 100)
        if p.profile == "community":
            if p.age < 23 and r < 0.5:
                return "student", None
            if r < 0.08:
                return "unemployed", None
            if r < 0.11:
                return "relief", None
        low, high = IN_SERVICE_BASE.get(p.profile, (3000, 9000))
        return "in_service", rng.randrange(low, high, 100)

    def build_dues(self) -> None:
        """Profiles for every paying member and their payments for the last 12 complete months: about 1.5 % stopped
        paying 3–5 months ago, 0.7 % six months or more ago, 3 % missed one month; 0.2 % add a voluntary payment."""
        rng = self.rng
        first = _month_add(self.today.replace(day=1), -DUES_MONTHS)
        months = [_month_add(first, k) for k in range(DUES_MONTHS)]
        month_text = [m.isoformat() for m in months]
        cache: dict = {}
        profiles, payments = [], []
        write = self.write
        pay_columns = ("member_id", "org_path", "month", "due", "paid", "paid_on", "voluntary", "remit_in_full",
                       "recorded_by_id")
        for p in self.members:
            if p.deleted:
                continue
            category, base = self.dues_category(p)
            key = (category, base)
            monthly = cache.get(key)
            if monthly is None:
                monthly = cache[key] = str(monthly_dues(category, base))
            start = max(first, p.joined.replace(day=1))
            profiles.append((p.id, category, None if base is None else str(base), monthly, start.isoformat()))
            r = rng.random()
            stop = None
            stopped, long_stopped, skipped = self.dues_gaps
            if r < stopped:
                stop = DUES_MONTHS - rng.randint(3, 5)
            elif r < long_stopped:
                stop = DUES_MONTHS - rng.randint(6, 12)
            skip = rng.randrange(DUES_MONTHS - 1) if long_stopped <= r < skipped else None
            voluntary_month = rng.randrange(DUES_MONTHS) if rng.random() < 0.002 else None
            for k, month in enumerate(months):
                if month < start or k == skip or (stop is not None and k >= stop):
                    continue
                paid_on = month + dt.timedelta(days=rng.randint(0, 27))
                if paid_on > self.last_day:
                    paid_on = self.last_day
                voluntary = "0"
                remit = False
                if k == voluntary_month:
                    amount = rng.choice([100, 200, 500, 1000, 2000])
                    voluntary, remit = str(amount), amount >= 1000
                payments.append((p.id, p.path, month_text[k], monthly, monthly, paid_on.isoformat(), voluntary, remit,
                                 None))
            if len(payments) >= FLUSH_ROWS:
                write(DuesPayment, pay_columns, payments)
                self.counts["dues_payments"] += len(payments)
                payments = []
        write(DuesProfile, ("member_id", "category", "base", "monthly", "since"), profiles)
        write(DuesPayment, pay_columns, payments)
        self.counts["dues_profiles"] += len(profiles)
        self.counts["dues_payments"] += len(payments)

    # --- study ------------------------------------------------------------------------------------------
    def build_study(self) -> None:
        """One or two records for last year and two to five for this year (until yesterday): most members reach
        32 hours (56 for secretaries and committee members) pro rata; about 6 % fall short."""
        rng, today = self.rng, self.today
        seated = {m for b in self.branches for m in b.seats} | set(self.secretaries.values())
        last_year = dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31)
        this_year = dt.date(today.year, 1, 1), self.last_day
        share = max((this_year[1] - this_year[0]).days + 1, 1) / 365
        rows = []
        write = self.write
        for p in self.members:
            if p.deleted:
                continue
            need = 56 if (p.id in seated) else 32
            for (first, last), portion, count in ((last_year, 1.0, rng.randint(1, 2)),
                                                  (this_year, share, rng.randint(2, 5))):  # fmt: skip
                if last < first:
                    continue
                first = max(first, p.joined)
                if first > last:
                    continue
                target = need * portion * (rng.uniform(0.3, 0.9) if rng.random() < self.study_short else rng.uniform(1.0, 1.5))
                count = max(count, math.ceil(target / 20))  # a day's record holds at most 24 hours
                per = max(math.ceil(target / count * 2) / 2, 0.5)
                for _ in range(count):
                    rows.append((p.id, p.path, self.day_between(first, last).isoformat(), str(per),
                                 rng.choice(STUDY_TOPICS)))
            if len(rows) >= FLUSH_ROWS:
                write(StudyRecord, ("member_id", "org_path", "studied_on", "hours", "topic"), rows)
                self.counts["study_records"] += len(rows)
                rows = []
        write(StudyRecord, ("member_id", "org_path", "studied_on", "hours", "topic"), rows)
        self.counts["study_records"] += len(rows)

    # --- mobile members ---------------------------------------------------------------------------------
    def build_mobile(self) -> None:
        """Each mobile member has an open stay away and contact logs every two to four months; about 7 % have had
        no contact for six months or more, 3 % for over two years."""
        rng, today = self.rng, self.today
        stays, logs = [], []
        for p in self.members:
            if not p.mobile or p.deleted:
                continue
            left = today - dt.timedelta(days=rng.randint(200, 2400))
            stays.append((p.id, left.isoformat(), rng.choice(DESTINATIONS), "外出务工", None))
            r = rng.random()
            if r < self.contact_lost[0]:
                latest = today - dt.timedelta(days=rng.randint(731, 1000))
            elif r < self.contact_lost[1]:
                latest = today - dt.timedelta(days=rng.randint(185, 700))
            else:
                latest = today - dt.timedelta(days=rng.randint(1, 150))
            day = latest
            while day >= left:
                logs.append((p.id, day.isoformat(), rng.choice(["phone", "phone", "wechat", "visit"]), "已联系，情况正常",
                             None))
                day -= dt.timedelta(days=rng.randint(60, 120))
        self.write(MobileStay, ("member_id", "left_on", "destination", "reason", "returned_on"), stays)
        self.write(ContactLog, ("member_id", "contacted_on", "method", "note", "by_id"), logs)
        self.counts["mobile_stays"] += len(stays)
        self.counts["contact_logs"] += len(logs)
