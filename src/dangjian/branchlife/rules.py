"""Checkup rules about branch life (registered from BranchlifeConfig.ready): the regular meetings, dues arrears,
absence from 组织生活 and study hours.

Periods. A month, quarter, half-year or year counts only once it has ended before the as-of date (a quarter that
ends today is not complete yet; tomorrow it is). Each rule looks back over its last `periods` completed periods and
reports every missed one as its own finding: Violation.key names the period ("2026-10", "2026Q3", "2026H1",
"2026") and `due` is its last day.

Where the records start. A period is checked only if the organisation existed on its first day: its `founded_on`,
or, when that is empty, the first month for which Dangjian holds any record of the kind (the earliest meeting of
any organisation, the earliest dues payment, the earliest study record). Before records were kept in Dangjian an
absence of records says nothing; taking the earliest record of all organisations (not of this one) still flags an
organisation that has never recorded a meeting, and gives the same answer whichever subtree is checked.

Only active organisations of kind 党支部 / 联合党支部 and live members (not deleted) count.

Every rule issues a fixed number of queries whatever the number of organisations or members (listed in each
docstring); Python only walks the rows that already are violations."""

import datetime as dt
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    FilteredRelation,
    IntegerField,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Length, Substr

from dangjian.checkup.registry import Citation, Rule, Violation, register_rule
from dangjian.members.models import Member
from dangjian.members.services import months_before
from dangjian.orgs.models import BranchCommittee, CommitteeSeat, PartyOrg

from .models import Attendance, DuesPayment, Meeting, StudyRecord
from .queries import STUDY_REQUIREMENT
from .services import PAYING_STATUSES

BRANCH_WORK = "《中国共产党支部工作条例（试行）》"
BRANCH_WORK_VERSION, BRANCH_WORK_EFFECTIVE = "2018-10", "2018-10-28"
GENERAL_ASSEMBLY_RULES = Citation(BRANCH_WORK, "第十一条（条号待核对）", BRANCH_WORK_VERSION, BRANCH_WORK_EFFECTIVE)
COMMITTEE_MEETING_RULES = Citation(BRANCH_WORK, "第十二条（条号待核对）", BRANCH_WORK_VERSION, BRANCH_WORK_EFFECTIVE)
GROUP_MEETING_RULES = Citation(BRANCH_WORK, "第十三条（条号待核对）", BRANCH_WORK_VERSION, BRANCH_WORK_EFFECTIVE)
LECTURE_RULES = Citation(BRANCH_WORK, "党课（条号待核对；条例未规定频次，按季度为地方做法，可配置）", BRANCH_WORK_VERSION,
                         BRANCH_WORK_EFFECTIVE)
THEME_DAY_RULES = Citation(BRANCH_WORK, "主题党日（条号待核对）", BRANCH_WORK_VERSION, BRANCH_WORK_EFFECTIVE)
LIFE_MEETING_RULES = Citation(BRANCH_WORK, "组织生活会（条号待核对）", BRANCH_WORK_VERSION, BRANCH_WORK_EFFECTIVE)
MEMBER_REVIEW_RULES = Citation(BRANCH_WORK, "民主评议党员（条号待核对）", BRANCH_WORK_VERSION, BRANCH_WORK_EFFECTIVE)
CONSTITUTION = Citation("《中国共产党章程》", "第九条", "2022-10（二十大修改）", "2022-10-22")
STUDY_RULES = Citation("《中国共产党党员教育管理工作条例》", "党员学习学时（条号待核对；学时要求以现行党员教育培训规划为准）",
                       "2019", "2019")

# ---- periods ---------------------------------------------------------------------------------------------------
UNIT_MONTHS = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}
FREQUENCIES = {"monthly": "month", "每月": "month", "quarterly": "quarter", "每季度": "quarter",
               "half_yearly": "half_year", "每半年": "half_year", "yearly": "year", "每年": "year"}  # fmt: skip
QUARTERS = "一二三四"
VERBS = {Meeting.Kind.THEME_DAY: "开展", Meeting.Kind.MEMBER_REVIEW: "开展"}  # the others are 召开


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    key: str  # "2026-10", "2026Q3", "2026H1", "2026"
    label: str  # "2026年10月", "2026年第三季度", "2026年上半年", "2026年度"


def _month(index: int) -> dt.date:
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, 1)


def period(unit: str, number: int) -> Period:
    """The `number`-th period of `unit` counted from January of year 0 (month index // unit length)."""
    size = UNIT_MONTHS[unit]
    start = _month(number * size)
    end = _month((number + 1) * size) - dt.timedelta(days=1)
    y = start.year
    if unit == "month":
        return Period(start, end, f"{y}-{start.month:02d}", f"{y}年{start.month}月")
    if unit == "quarter":
        q = (start.month - 1) // 3
        return Period(start, end, f"{y}Q{q + 1}", f"{y}年第{QUARTERS[q]}季度")
    if unit == "half_year":
        h = (start.month - 1) // 6
        return Period(start, end, f"{y}H{h + 1}", f"{y}年{'上下'[h]}半年")
    return Period(start, end, str(y), f"{y}年度")


def completed_periods(unit: str, as_of: dt.date, count: int) -> list[Period]:
    """The last `count` periods that ended before `as_of`, oldest first (the period containing as_of is open)."""
    current = (as_of.year * 12 + as_of.month - 1) // UNIT_MONTHS[unit]
    return [period(unit, n) for n in range(current - max(count, 0), current)]


def records_start(model, field: str) -> dt.date | None:
    """The first day of the month of the earliest record of `model` (one indexed MIN query)."""
    first = model.objects.aggregate(first=Min(field))["first"]
    return first.replace(day=1) if first else None


def existed(founded_on: dt.date | None, since: dt.date | None, day: dt.date) -> bool:
    """Whether an organisation counts as existing on `day` (see the module docstring)."""
    start = founded_on or since
    return start is not None and start <= day


def _branches(path):
    return PartyOrg.objects.filter(path__startswith=path, kind__in=PartyOrg.BRANCH_KINDS,
                                   status=PartyOrg.Status.ACTIVE)


def _held_counts(periods, relation="held"):
    """{n0: Count(...), …}: meetings of the filtered relation held in each period."""
    return {f"n{i}": Count(f"{relation}__id", filter=Q(**{f"{relation}__held_on__range": (p.start, p.end)}))
            for i, p in enumerate(periods)}


def _held_in(kind, periods):
    return FilteredRelation("meetings", condition=Q(meetings__kind=kind,
                                                    meetings__held_on__range=(periods[0].start, periods[-1].end)))


def _any_zero(periods):
    return reduce(or_, (Q(**{f"n{i}": 0}) for i in range(len(periods))))


# ---- meetings --------------------------------------------------------------------------------------------------
def missed_meetings(path, as_of, params, kind, unit, committee_only=False):
    """Branches that held no meeting of `kind` in a completed period. Queries: 1 (MIN of meeting dates) + 1 (the
    branches with a period without such a meeting: their meetings of the kind in the window counted per period in
    one hash-joined aggregate). With `committee_only`, a period counts only if a committee was in office on its
    first day (a committee's `ended_on` is set only when the next one is elected, so the first election is
    enough); that test is an EXISTS evaluated only for the branches and periods without a meeting."""
    periods = completed_periods(unit, as_of, params["periods"])
    if not periods:
        return
    since = records_start(Meeting, "held_on")
    counts = _held_counts(periods)
    qs = _branches(path).annotate(held=_held_in(kind, periods)).annotate(**counts)
    missed = {f"m{i}": Q(**{f"n{i}": 0}) for i in range(len(periods))}
    if committee_only:
        for i, p in enumerate(periods):
            missed[f"m{i}"] &= Q(Exists(BranchCommittee.objects.filter(org=OuterRef("pk"), elected_on__lte=p.start)))
    flags = {name: Case(When(q, then=Value(1)), default=Value(0), output_field=IntegerField())
             for name, q in missed.items()}
    rows = (qs.annotate(**flags).filter(reduce(or_, (Q(**{name: 1}) for name in flags))).order_by()
            .values_list("pk", "code", "path", "name", "founded_on", *flags))
    word = VERBS.get(kind, "召开") + Meeting.Kind(kind).label
    for pk, code, org_path, name, founded_on, *missing in rows:
        for p, flag in zip(periods, missing, strict=True):
            if flag and existed(founded_on, since, p.start):
                yield Violation("org", pk, code, org_path, f"{name}{p.label}未{word}", due=p.end, key=p.key)


def general_assembly(path, as_of, params):
    return missed_meetings(path, as_of, params, Meeting.Kind.GENERAL_ASSEMBLY, "quarter")


def committee_meeting(path, as_of, params):
    return missed_meetings(path, as_of, params, Meeting.Kind.COMMITTEE_MEETING, "month", committee_only=True)


def party_lecture(path, as_of, params):
    return missed_meetings(path, as_of, params, Meeting.Kind.PARTY_LECTURE,
                           FREQUENCIES.get(str(params["frequency"]).strip(), "quarter"))


def theme_day(path, as_of, params):
    return missed_meetings(path, as_of, params, Meeting.Kind.THEME_DAY, "month")


def life_meeting(path, as_of, params):
    return missed_meetings(path, as_of, params, Meeting.Kind.LIFE_MEETING, "year")


def member_review(path, as_of, params):
    return missed_meetings(path, as_of, params, Meeting.Kind.MEMBER_REVIEW, "year")


def group_meeting(path, as_of, params):
    """Every active 党小组 of an active branch should hold a 党小组会 each month. A meeting recorded on the group
    counts for that group; one recorded on the branch itself counts for all its groups (a branch that keeps its
    groups' meetings in its own register). The subject is the branch, naming the groups that did not meet.
    Queries: 1 (MIN of meeting dates) + 1 (groups with a month without a meeting of their own) + 1 (the parent
    branches of those groups, with their own 党小组会 per month)."""
    periods = completed_periods("month", as_of, params["periods"])
    if not periods:
        return
    since = records_start(Meeting, "held_on")
    counts = _held_counts(periods)
    kind = Meeting.Kind.GROUP_MEETING
    groups = (PartyOrg.objects.filter(path__startswith=path, kind=PartyOrg.Kind.GROUP, status=PartyOrg.Status.ACTIVE)
              .annotate(parent_path=Substr("path", 1, Length("path") - PartyOrg.steplen))
              .filter(parent_path__in=_branches(path).values("path"))
              .annotate(held=_held_in(kind, periods)).annotate(**counts).filter(_any_zero(periods)).order_by())
    group_rows = list(groups.values_list("name", "founded_on", "parent_path", *counts))
    if not group_rows:
        return
    branches = (_branches(path).filter(path__in=groups.values("parent_path"))
                .annotate(held=_held_in(kind, periods)).annotate(**counts).order_by()
                .values_list("pk", "code", "path", "name", *counts))
    branches = {row[2]: row for row in branches}
    missing: dict[tuple[str, int], list[str]] = {}
    for name, founded_on, parent_path, *held in group_rows:
        branch = branches.get(parent_path)
        if branch is None:
            continue
        for i, (p, n) in enumerate(zip(periods, held, strict=True)):
            if not n and not branch[4 + i] and existed(founded_on, since, p.start):
                missing.setdefault((parent_path, i), []).append(name)
    for (parent_path, i), names in sorted(missing.items()):
        pk, code, org_path, branch_name = branches[parent_path][:4]
        p = periods[i]
        yield Violation("org", pk, code, org_path, f"{branch_name}的{'、'.join(sorted(names))}{p.label}未召开党小组会",
                        due=p.end, key=p.key)


# ---- members ---------------------------------------------------------------------------------------------------
def _adapt(day: dt.date):
    return connection.ops.adapt_datefield_value(day)


def _left_join(outer, inner, where: str, params, cadres=False, extra=None) -> list[tuple]:
    """Rows of `outer` (a values_list queryset with `id` first) each joined with its row of `inner` (a grouped
    values queryset with `member_id` first), filtered by `where` over their columns (o.…, i.…). With `cadres`, also
    joined with the set of secretaries and committee members (c.member_id is not null for them; its column comes
    after those of `inner`). `extra` ((sql, params) of an expression over o.id, e.g. a correlated subquery) adds a
    last column, computed only for the rows that pass `where`. One query: the aggregate and the set are computed
    once and joined, rather than a correlated subquery per member."""
    o_sql, o_params = outer.query.sql_with_params()
    i_sql, i_params = inner.query.sql_with_params()
    e_sql, e_params = extra or ("", ())
    select = f"o.*, i.*{', c.member_id' if cadres else ''}{f', ({e_sql})' if extra else ''}"
    sql = f"SELECT {select} FROM ({o_sql}) o LEFT JOIN ({i_sql}) i ON i.member_id = o.id"
    c_params = ()
    if cadres:
        c_sql, c_params = _cadres().query.sql_with_params()
        sql += f" LEFT JOIN ({c_sql}) c ON c.member_id = o.id"
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} WHERE {where}", (*e_params, *o_params, *i_params, *c_params, *params))
        return cursor.fetchall()


def _live_members(path):
    return Member.objects.filter(org_path__startswith=path, status__in=PAYING_STATUSES).order_by()


def _by_member(model, path):
    """Records of members of the subtree (all records when the subtree is everything, so that the full run scans
    the table once instead of joining every row to its member)."""
    qs = model.objects.order_by()
    return qs.filter(member__org_path__startswith=path) if path else qs


def _month_list(months: list[dt.date]) -> str:
    """"2026年3月至8月" for a run, "2026年3月、5月，2027年1月" otherwise."""
    parts, year = [], None
    for m in months:
        parts.append(f"{m.month}月" if m.year == year else f"{m.year}年{m.month}月")
        year = m.year
    return "、".join(parts)


def dues_arrears(path, as_of, params):
    """党费 not paid for `warning_months` completed months of the window (warning), or for `error_months`
    consecutive months (error, 党章 Art 9). A member owes dues from the month of the branch vote (joined_on: a
    probationary member pays from the vote; pays_from in services.py), and a month counts once it has ended, within
    the last `periods` months and not before the first month of dues recorded in Dangjian. A payment row for the
    month (whatever its amount) is a payment, as in queries.unpaid_months. One finding per member: a warning that
    becomes an error. Queries: 1 (MIN of dues months) + 1 (members joined with the number of their payments of
    the window, counted once in member order over the index (member, month); the bit mask of the months paid is
    summed only for the members in arrears, from the same index)."""
    since = records_start(DuesPayment, "month")
    if since is None:
        return
    months = [p for p in completed_periods("month", as_of, params["periods"]) if p.start >= since]
    if not months:
        return
    warn, error = params["warning_months"], params["error_months"]
    window = Q(month__range=(months[0].start, months[-1].start))
    inner = (_by_member(DuesPayment, path).filter(window).values("member_id").annotate(paid=Count("*"))
             .values("member_id", "paid"))
    # the months paid, as a bit mask, only for the members in arrears (an index-only read of their dozen rows)
    mask = (DuesPayment.objects.filter(window, member_id=RawSQL("o.id", ())).order_by().values("member_id")
            .annotate(mask=Sum(Case(*(When(month=p.start, then=Value(1 << i)) for i, p in enumerate(months)),
                                    default=Value(0), output_field=IntegerField()))).values("mask"))
    outer = (_live_members(path).filter(joined_on__isnull=False, joined_on__lte=months[-1].end)
             .values_list("id", "name", "org_path", "joined_on"))
    # months due: those ending on or after the branch vote, i.e. CASE on joined_on over the months' last days
    due = "CASE " + " ".join(f"WHEN o.joined_on <= %s THEN {len(months) - i}" for i in range(len(months))) + " ELSE 0 END"
    rows = _left_join(outer, inner, f"({due}) - COALESCE(i.paid, 0) >= %s",
                      [*(_adapt(p.end) for p in months), min(warn, error)], extra=mask.query.sql_with_params())
    for pk, name, org_path, joined_on, *rest in rows:
        joined_on = joined_on if isinstance(joined_on, dt.date) else dt.date.fromisoformat(joined_on)
        bits = int(rest[-1] or 0)
        unpaid = [p for i, p in enumerate(months) if p.end >= joined_on and not bits >> i & 1]
        run, longest, best_end = 0, 0, 0
        for i, p in enumerate(months):
            run = run + 1 if p in unpaid else 0
            if run > longest:
                longest, best_end = run, i
        if longest >= error:
            streak = months[best_end - longest + 1:best_end + 1]
            yield Violation("member", pk, str(pk), org_path,
                            f"{name}已连续 {longest} 个月未交纳党费（{streak[0].label}至{streak[-1].label}），"
                            "按党章第九条应视为自行脱党，须由支部大会讨论处理", due=streak[-1].end, severity="error")
        elif len(unpaid) >= warn:
            yield Violation("member", pk, str(pk), org_path,
                            f"{name}有 {len(unpaid)} 个月未交纳党费（{_month_list([p.start for p in unpaid])}）",
                            due=unpaid[-1].end, severity="warning")


def absent(path, as_of, params):
    """Live members who were called to 组织生活 in the last `months` months and attended none of it: 请假 (leave)
    counts as a justified absence while `leave_excuses` is on (党章 Art 9 says "without good reason"), so a member on
    leave is not flagged. The window is (as_of − months, as_of]: a member whose last attendance was exactly
    `months` months ago is flagged that day. A member with no attendance record at all in the window is not
    flagged (the branch that held no meeting is, by the meeting rules). Members who joined within the window, and
    windows before the first meeting recorded in Dangjian, are not checked. Queries: 1 (MIN of meeting dates) + 1
    (members with a record of not attending in the window, found from the small partial index of such records,
    without an attended one in it: a probe of a few entries of the index (member, held_on, status) per member,
    which gives the date of the last attendance of those flagged too; the meeting's date is on the attendance
    record, so no meeting is joined)."""
    months = params["months"]
    cutoff = months_before(as_of, months)
    since = records_start(Meeting, "held_on")
    if since is None or since > cutoff:
        return
    counted = [Attendance.Status.PRESENT] + ([Attendance.Status.LEAVE] if params["leave_excuses"] else [])
    missed = [s for s in Attendance.Status.values if s not in counted]
    window = Q(held_on__gt=cutoff, held_on__lte=as_of)
    called = Attendance.objects.filter(window, member=OuterRef("pk"), status__in=missed)
    attended = Attendance.objects.filter(member=OuterRef("pk"), status__in=counted, held_on__lte=as_of)
    rows = (Member.objects.filter(org_path__startswith=path, status__in=PAYING_STATUSES, joined_on__lte=cutoff)
            .filter(Exists(called)).exclude(Exists(attended.filter(held_on__gt=cutoff)))
            .annotate(last=Subquery(attended.order_by("-held_on").values("held_on")[:1]))
            .order_by().values_list("pk", "name", "org_path", "last"))
    for pk, name, org_path, last in rows:
        since_text = f"自 {last} 参加组织生活以来" if last else f"自 {cutoff} 以来"
        yield Violation("member", pk, str(pk), org_path, f"{name}{since_text}已连续 {months} 个月未参加党的组织生活，"
                        "按党章第九条没有正当理由的应视为自行脱党", due=months_before(last, -months) if last else None)


def _cadres():
    """The ids (member_id) of members who hold a seat of a current committee or are the secretary of an active
    organisation, each once."""
    seats = CommitteeSeat.objects.filter(left_on__isnull=True, committee__ended_on__isnull=True).values("member_id")
    secretaries = (PartyOrg.objects.filter(secretary__isnull=False, status=PartyOrg.Status.ACTIVE)
                   .values_list("secretary_id"))
    return seats.order_by().union(secretaries.order_by())


def study_short(path, as_of, params):
    """Study hours of the last `years` completed years below the requirement (the rule's severity, error), and of
    the current year below the requirement pro rata to the months completed so far (a warning). The requirement
    is `hours.member` for members and `hours.cadre` for secretaries and committee members (current CommitteeSeat
    holders and organisation secretaries, as of the as-of date). Members who joined after 1 January of a year, and
    years before study records start in Dangjian, are not checked. One finding per member and year (key "2026"):
    the pro-rata warning becomes the year-end finding. Queries: 1 (MIN of study dates) + 1 (members joined with
    their hours per year, aggregated once over the index (member, studied_on) that includes the hours)."""
    since = records_start(StudyRecord, "studied_on")
    if since is None:
        return
    member_hours, cadre_hours = params["hours"]["member"], params["hours"]["cadre"]
    years = [(p, 12) for p in completed_periods("year", as_of, params["years"])]
    if as_of.month > 1:
        years.append((period("year", as_of.year), as_of.month - 1))
    years = [(p, months) for p, months in years if p.start >= since]
    if not years:
        return
    sums = {f"h{i}": Sum("hours", filter=Q(studied_on__range=(p.start, min(p.end, as_of))))
            for i, (p, _) in enumerate(years)}
    inner = (_by_member(StudyRecord, path).filter(studied_on__range=(years[0][0].start, as_of))
             .values("member_id").annotate(**sums).values("member_id", *sums))
    outer = (_live_members(path).filter(joined_on__lte=years[-1][0].start)
             .values_list("id", "name", "org_path", "joined_on"))
    need = "(CASE WHEN c.member_id IS NULL THEN %s ELSE %s END)"
    where = " OR ".join(f"(o.joined_on <= %s AND COALESCE(i.h{i}, 0) * 12 < {need} * %s)" for i in range(len(years)))
    params_sql = [x for p, months in years for x in (_adapt(p.start), member_hours, cadre_hours, months)]
    for pk, name, org_path, joined_on, _member, *hours, cadre_id in _left_join(outer, inner, where, params_sql,
                                                                               cadres=True):
        joined_on = joined_on if isinstance(joined_on, dt.date) else dt.date.fromisoformat(joined_on)
        is_cadre = cadre_id is not None
        need_hours = cadre_hours if is_cadre else member_hours
        who = "（书记、委员）" if is_cadre else ""
        for (p, months), h in zip(years, hours, strict=True):
            h = h or 0
            if joined_on > p.start or h * 12 >= need_hours * months:
                continue
            if months == 12:
                yield Violation("member", pk, str(pk), org_path,
                                f"{name}{who}{p.label}学习 {float(h):g} 学时，未达到每年 {need_hours} 学时的要求",
                                due=p.end, key=p.key)
            else:
                expected = round(need_hours * months / 12, 1)
                yield Violation("member", pk, str(pk), org_path,
                                f"{name}{who}{p.start.year}年截至{months}月底学习 {float(h):g} 学时，低于按月折算应完成的 "
                                f"{expected:g} 学时（全年 {need_hours} 学时）", due=p.end, key=p.key, severity="warning")


def register() -> None:
    periods = {"periods": "检查最近几个周期"}
    for rule_id, title, citation, fn, default_periods in [
        ("branchlife.general_assembly.quarterly", "未按季度召开支部党员大会", GENERAL_ASSEMBLY_RULES, general_assembly, 4),
        ("branchlife.committee_meeting.monthly", "未按月召开支委会", COMMITTEE_MEETING_RULES, committee_meeting, 12),
        ("branchlife.group_meeting.monthly", "党小组未按月召开党小组会", GROUP_MEETING_RULES, group_meeting, 12),
        ("branchlife.theme_day.monthly", "未按月开展主题党日", THEME_DAY_RULES, theme_day, 12),
        ("branchlife.life_meeting.yearly", "未按年度召开组织生活会", LIFE_MEETING_RULES, life_meeting, 1),
        ("branchlife.member_review.yearly", "未按年度开展民主评议党员", MEMBER_REVIEW_RULES, member_review, 1),
    ]:
        register_rule(Rule(rule_id, title, citation, "warning", "org", fn, {"periods": default_periods}, periods))
    register_rule(Rule("branchlife.party_lecture.quarterly", "未按规定频次上党课", LECTURE_RULES, "warning", "org",
                       party_lecture, {"frequency": "quarterly", "periods": 4},
                       {"frequency": "频次（monthly 每月 / quarterly 每季度 / half_yearly 每半年 / yearly 每年）",
                        **periods}))
    register_rule(Rule("member.dues.arrears", "党员欠缴党费", CONSTITUTION, "warning", "member", dues_arrears,
                       {"warning_months": 3, "error_months": 6, "periods": 12},
                       {"warning_months": "欠缴预警月数", "error_months": "连续欠缴违规月数", "periods": "检查最近几个月"}))
    register_rule(Rule("member.absent.six_months", "党员连续 6 个月未参加组织生活", CONSTITUTION, "error", "member", absent,
                       {"months": 6, "leave_excuses": True},
                       {"months": "连续未参加月数", "leave_excuses": "请假视为有正当理由"}))
    register_rule(Rule("member.study.hours_short", "党员学习学时不足", STUDY_RULES, "error", "member", study_short,
                       {"hours": dict(STUDY_REQUIREMENT), "years": 1},
                       {"hours.member": "党员每年学时", "hours.cadre": "书记、委员每年学时", "years": "检查最近几个年度"}))
