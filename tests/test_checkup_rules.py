"""The required checkup rules of issue 4 §5 (other than recruitment): each on both sides of its boundaries, and each
with a fixed number of queries whatever the size of the data."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.branchlife.rules import completed_periods, period
from dangjian.branchlife.services import (
    do_record_dues,
    do_record_meeting,
    do_record_study,
    do_set_dues_profile,
)
from dangjian.checkup import engine
from dangjian.checkup.registry import RULES
from dangjian.members.services import (
    do_create_member,
    do_record_contact,
    do_start_mobile_stay,
    do_update_member,
)
from dangjian.orgs.models import PartyOrg
from dangjian.orgs.services import do_elect_committee, do_postpone_term, do_vacate_seat
from tests.factories import id_number

D = dt.date
BRANCH_A, BRANCH_B = "D010101", "D010201"
OUR_RULES = [
    "org.committee.size", "org.term.expiring", "org.term.expired",
    "branchlife.general_assembly.quarterly", "branchlife.committee_meeting.monthly",
    "branchlife.group_meeting.monthly", "branchlife.party_lecture.quarterly", "branchlife.theme_day.monthly",
    "branchlife.life_meeting.yearly", "branchlife.member_review.yearly", "member.dues.arrears",
    "member.absent.six_months", "member.study.hours_short", "member.probation.ending", "member.probation.overdue",
    "member.mobile.no_contact",
]  # fmt: skip


def found(rule, as_of, params=None):
    """{(subject code, key): violation} of one rule over everything."""
    return {(v.subject_code, v.key): v for _, v in engine.evaluate("", as_of, [rule], {rule: params or {}})}


def keys_of(rule, as_of, subject, params=None):
    return {k for code, k in found(rule, as_of, params) if code == str(subject)}


def member(org, name, status="full", joined_on=None):
    joined_on = joined_on or D(2015, 7, 1)
    return do_create_member(actor=None, name=name, id_number=id_number(), org=org, status=status, joined_on=joined_on,
                            full_on=joined_on.replace(year=joined_on.year + 1) if status == "full" else None)


def meet(org, kind, day, attendance=None, **extra):
    return do_record_meeting(actor=None, org=org, kind=kind, held_on=day, topic="学习", attendance=attendance or {},
                             today=max(day, D(2026, 12, 1)), **extra)


def founded(org, day):
    PartyOrg.objects.filter(pk=org.pk).update(founded_on=day)


def elect(org, people, on, roles=None):
    roles = roles or ["secretary"] + ["member"] * (len(people) - 1)
    return do_elect_committee(actor=None, org=org, elected_on=on, approved_on=on, seats=list(zip(people, roles, strict=True)),
                              today=max(on, D(2026, 12, 1)))


def test_every_rule_is_registered_with_a_citation_and_chinese_title():
    for rule_id in OUR_RULES:
        rule = RULES[rule_id]
        assert rule.title and not rule.title.isascii()
        assert rule.citation.document.startswith("《") and rule.citation.version and rule.citation.effective
        assert rule.severity in ("error", "warning", "notice") and rule.subject in ("org", "member")
    assert RULES["branchlife.party_lecture.quarterly"].params["frequency"] == "quarterly"
    assert RULES["member.study.hours_short"].params["hours"] == {"member": 32, "cadre": 56}


# ---- periods -------------------------------------------------------------------------------------------------------
def test_a_period_is_complete_only_the_day_after_it_ends():
    assert [p.key for p in completed_periods("quarter", D(2026, 9, 30), 2)] == ["2026Q1", "2026Q2"]
    assert [p.key for p in completed_periods("quarter", D(2026, 10, 1), 2)] == ["2026Q2", "2026Q3"]
    assert [p.key for p in completed_periods("month", D(2028, 3, 1), 2)] == ["2028-01", "2028-02"]
    assert completed_periods("month", D(2028, 3, 1), 1)[0].end == D(2028, 2, 29)
    assert [p.key for p in completed_periods("year", D(2027, 1, 1), 1)] == ["2026"]
    assert completed_periods("year", D(2026, 12, 31), 1)[0].key == "2025"
    assert [p.key for p in completed_periods("half_year", D(2026, 7, 1), 2)] == ["2025H2", "2026H1"]
    assert period("quarter", (2026 * 12 + 6) // 3).label == "2026年第三季度"
    assert period("month", 2028 * 12 + 1).label == "2028年2月"


# ---- meetings ------------------------------------------------------------------------------------------------------
def test_general_assembly_quarterly(county):
    rule = "branchlife.general_assembly.quarterly"
    founded(county.branch_a, D(2026, 1, 1))
    meet(county.branch_a, "general_assembly", D(2026, 2, 10))  # Q1 held; Q2 and Q3 not
    assert keys_of(rule, D(2026, 9, 30), BRANCH_A) == {"2026Q2"}  # Q3 ends today: not complete yet
    assert keys_of(rule, D(2026, 10, 1), BRANCH_A) == {"2026Q2", "2026Q3"}
    v = found(rule, D(2026, 10, 1))[(BRANCH_A, "2026Q3")]
    assert v.message == "东风村党支部2026年第三季度未召开支部党员大会" and v.due == D(2026, 9, 30)
    # branch B has no founding date: checked from the month of the first meeting recorded anywhere (2026-02), so Q1
    # (which began before records) is not checked
    assert keys_of(rule, D(2026, 10, 1), BRANCH_B) == {"2026Q2", "2026Q3"}
    # the look-back is a parameter; an assembly held in a quarter clears it
    assert keys_of(rule, D(2026, 10, 1), BRANCH_A, {"periods": 1}) == {"2026Q3"}
    meet(county.branch_a, "general_assembly", D(2026, 9, 30))
    assert keys_of(rule, D(2026, 10, 1), BRANCH_A) == {"2026Q2"}
    # a dissolved organisation is not checked
    PartyOrg.objects.filter(pk=county.branch_b.pk).update(status="dissolved")
    assert keys_of(rule, D(2026, 10, 1), BRANCH_B) == set()


def test_other_kinds_do_not_count(county):
    founded(county.branch_a, D(2026, 1, 1))
    meet(county.branch_a, "party_lecture", D(2026, 5, 10))
    assert "2026Q2" in keys_of("branchlife.general_assembly.quarterly", D(2026, 7, 1), BRANCH_A)
    assert "2026Q2" not in keys_of("branchlife.party_lecture.quarterly", D(2026, 7, 1), BRANCH_A)


def test_committee_meeting_monthly_in_a_leap_february(county):
    rule = "branchlife.committee_meeting.monthly"
    founded(county.branch_a, D(2020, 1, 1))
    founded(county.branch_b, D(2020, 1, 1))
    people = [county.members["a"], member(county.branch_a, "王五"), member(county.branch_a, "赵六")]
    elect(county.branch_a, people, D(2028, 1, 15))
    # January: the committee was not in office on 1 January; February 2028 has 29 days
    assert keys_of(rule, D(2028, 2, 29), BRANCH_A) == set()
    assert keys_of(rule, D(2028, 3, 1), BRANCH_A) == {"2028-02"}
    assert found(rule, D(2028, 3, 1))[(BRANCH_A, "2028-02")].due == D(2028, 2, 29)
    assert found(rule, D(2028, 3, 1))[(BRANCH_A, "2028-02")].message == "东风村党支部2028年2月未召开支委会"
    # a branch without a committee is not checked
    assert keys_of(rule, D(2028, 3, 1), BRANCH_B) == set()
    meet(county.branch_a, "committee_meeting", D(2028, 2, 29), {p.pk: "present" for p in people})
    assert keys_of(rule, D(2028, 3, 1), BRANCH_A) == set()
    assert keys_of(rule, D(2028, 4, 1), BRANCH_A) == {"2028-03"}


def group(branch, code, name, founded_on):
    return PartyOrg.objects.add_child(PartyOrg.objects.get(pk=branch.pk),
                                      dict(code=code, name=name, kind="group", founded_on=founded_on))


def test_group_meeting_monthly_on_the_group_or_on_the_branch(county):
    rule = "branchlife.group_meeting.monthly"
    first = group(county.branch_a, "D01010101", "第一党小组", D(2028, 2, 1))
    group(county.branch_a, "D01010102", "第二党小组", D(2028, 2, 1))
    meet(first, "group_meeting", D(2028, 2, 20))
    assert keys_of(rule, D(2028, 2, 29), BRANCH_A) == set()
    assert keys_of(rule, D(2028, 3, 1), BRANCH_A) == {"2028-02"}  # January: the groups did not exist yet
    v = found(rule, D(2028, 3, 1))[(BRANCH_A, "2028-02")]
    assert v.message == "东风村党支部的第二党小组2028年2月未召开党小组会" and v.due == D(2028, 2, 29)
    # branch B has no groups; a group meeting recorded on the branch itself counts for all its groups
    assert keys_of(rule, D(2028, 3, 1), BRANCH_B) == set()
    meet(county.branch_a, "group_meeting", D(2028, 2, 29))
    assert keys_of(rule, D(2028, 3, 1), BRANCH_A) == set()
    v = found(rule, D(2028, 4, 1))[(BRANCH_A, "2028-03")]
    assert v.message == "东风村党支部的第一党小组、第二党小组2028年3月未召开党小组会"
    PartyOrg.objects.filter(code="D01010102").update(status="dissolved")
    assert "第二党小组" not in found(rule, D(2028, 4, 1))[(BRANCH_A, "2028-03")].message


def test_party_lecture_frequency_is_a_parameter(county):
    rule = "branchlife.party_lecture.quarterly"
    founded(county.branch_a, D(2026, 1, 1))
    meet(county.branch_a, "party_lecture", D(2026, 10, 10))
    assert keys_of(rule, D(2026, 12, 31), BRANCH_A) == {"2026Q1", "2026Q2", "2026Q3"}
    assert keys_of(rule, D(2027, 1, 1), BRANCH_A) == {"2026Q1", "2026Q2", "2026Q3"}  # Q4 had one
    monthly = keys_of(rule, D(2027, 1, 1), BRANCH_A, {"frequency": "monthly", "periods": 3})
    assert monthly == {"2026-11", "2026-12"}
    assert keys_of(rule, D(2027, 1, 1), BRANCH_A, {"frequency": "yearly"}) == set()
    assert keys_of(rule, D(2027, 1, 1), BRANCH_A, {"frequency": "half_yearly", "periods": 2}) == {"2026H1"}


def test_theme_day_monthly_in_a_leap_february(county):
    rule = "branchlife.theme_day.monthly"
    founded(county.branch_a, D(2028, 1, 1))
    meet(county.branch_a, "theme_day", D(2028, 1, 31))
    assert keys_of(rule, D(2028, 2, 29), BRANCH_A) == set()
    assert keys_of(rule, D(2028, 3, 1), BRANCH_A) == {"2028-02"}
    assert found(rule, D(2028, 3, 1))[(BRANCH_A, "2028-02")].message == "东风村党支部2028年2月未开展主题党日"


@pytest.mark.parametrize("rule,kind,word", [("branchlife.life_meeting.yearly", "life_meeting", "召开组织生活会"),
                                            ("branchlife.member_review.yearly", "member_review", "开展民主评议党员")])
def test_yearly_meetings(county, rule, kind, word):
    founded(county.branch_a, D(2025, 1, 1))
    meet(county.branch_a, kind, D(2025, 12, 20))
    assert keys_of(rule, D(2026, 12, 31), BRANCH_A) == set()  # 2025 held; 2026 not over yet
    assert keys_of(rule, D(2027, 1, 1), BRANCH_A) == {"2026"}
    v = found(rule, D(2027, 1, 1))[(BRANCH_A, "2026")]
    assert v.message == f"东风村党支部2026年度未{word}" and v.due == D(2026, 12, 31)
    founded(county.branch_a, D(2026, 1, 2))  # founded after 1 January: 2026 is not checked
    assert keys_of(rule, D(2027, 1, 1), BRANCH_A) == set()


# ---- committees and terms ------------------------------------------------------------------------------------------
def test_committee_size(county):
    rule = "org.committee.size"
    people = [county.members["a"], *(member(county.branch_a, f"党员{i}") for i in range(7))]  # 8 full members
    committee = elect(county.branch_a, people[:2], D(2024, 1, 10))
    assert found(rule, D(2026, 11, 1))[(BRANCH_A, "")].severity == "warning"  # 2 seats, 8 full members
    elect(county.branch_a, people[:3], D(2024, 2, 10))
    assert (BRANCH_A, "") not in found(rule, D(2026, 11, 1))
    committee = elect(county.branch_a, people[:5], D(2024, 3, 10))
    assert (BRANCH_A, "") not in found(rule, D(2026, 11, 1))
    elect(county.branch_a, people[:6], D(2024, 4, 10))
    v = found(rule, D(2026, 11, 1))[(BRANCH_A, "")]
    assert v.severity == "warning" and "6 名" in v.message
    elect(county.branch_a, people[:7], D(2024, 5, 10))
    assert found(rule, D(2026, 11, 1))[(BRANCH_A, "")].severity == "warning"  # 7: outside 3–5, not above 7
    committee = elect(county.branch_a, people[:8], D(2024, 6, 10))
    v = found(rule, D(2026, 11, 1))[(BRANCH_A, "")]
    assert v.severity == "error" and "超过 7 名" in v.message
    # a vacancy still counts as a position until the by-election
    do_vacate_seat(actor=None, seat=committee.seats.get(member=people[7]), left_on=D(2024, 7, 1), reason="调离")
    assert found(rule, D(2026, 11, 1))[(BRANCH_A, "")].severity == "error"
    # a branch of fewer than 7 full members with a lone secretary is fine
    elect(county.branch_b, [county.members["b"]], D(2024, 1, 10))
    assert (BRANCH_B, "") not in found(rule, D(2026, 11, 1))


def test_term_expired_and_past_the_postponement_limit(county):
    rule = "org.term.expired"
    committee = elect(county.branch_a, [county.members["a"]], D(2023, 12, 1))  # village: 5 years, to 2028-12-01
    assert keys_of(rule, D(2028, 12, 1), BRANCH_A) == set()
    assert keys_of(rule, D(2028, 12, 2), BRANCH_A) == {""}
    assert keys_of(rule, D(2029, 12, 1), BRANCH_A) == {""}  # the last day of the 1-year limit
    assert keys_of(rule, D(2029, 12, 2), BRANCH_A) == {"", "past_limit"}
    v = found(rule, D(2029, 12, 2))[(BRANCH_A, "past_limit")]
    assert "超过延期换届不超过 1 年的限度" in v.message and v.due == D(2029, 12, 1) and v.severity is None
    do_postpone_term(actor=None, committee=committee, postponed_to=D(2029, 6, 1), approved_on=D(2026, 11, 1),
                     document="示组〔2026〕1号")
    assert keys_of(rule, D(2029, 6, 1), BRANCH_A) == set()
    assert keys_of(rule, D(2029, 6, 2), BRANCH_A) == {""}
    assert keys_of(rule, D(2029, 12, 2), BRANCH_A) == {"", "past_limit"}
    assert keys_of("org.term.expiring", D(2029, 3, 3), BRANCH_A) == {""}  # 90 days before the postponed date
    assert keys_of("org.term.expiring", D(2029, 3, 2), BRANCH_A) == set()


def test_term_elected_on_29_february(county):
    elect(county.branch_b, [county.members["b"]], D(2024, 2, 29))  # 5 years: due 2029-02-28
    assert keys_of("org.term.expired", D(2029, 2, 28), BRANCH_B) == set()
    assert keys_of("org.term.expired", D(2029, 3, 1), BRANCH_B) == {""}
    assert keys_of("org.term.expiring", D(2028, 11, 30), BRANCH_B) == {""}  # 90 days before 2029-02-28
    assert keys_of("org.term.expiring", D(2028, 11, 29), BRANCH_B) == set()
    assert keys_of("org.term.expiring", D(2029, 3, 1), BRANCH_B) == set()


# ---- dues ----------------------------------------------------------------------------------------------------------
def pay(m, months):
    for month in months:
        do_record_dues(actor=None, member=m, month=month, paid="1.00", paid_on=month, today=D(2026, 12, 1))


def months(first, last):
    out, m = [], first
    while m <= last:
        out.append(m)
        m = (m + dt.timedelta(days=32)).replace(day=1)
    return out


@pytest.fixture
def payer(county):
    a = county.members["a"]
    do_set_dues_profile(actor=None, member=a, category="student", since=D(2025, 12, 1))
    return a


def test_no_dues_records_no_findings(payer):
    assert found("member.dues.arrears", D(2026, 12, 1)) == {}


def test_dues_three_months_unpaid_is_a_warning(payer):
    rule = "member.dues.arrears"
    pay(payer, months(D(2025, 12, 1), D(2026, 8, 1)))
    assert keys_of(rule, D(2026, 11, 1), payer.pk) == set()  # 9, 10 unpaid: 2 months
    assert keys_of(rule, D(2026, 11, 30), payer.pk) == set()  # November is not over
    v = found(rule, D(2026, 12, 1))[(str(payer.pk), "")]  # 9, 10, 11
    assert v.severity == "warning" and v.message == "张三有 3 个月未交纳党费（2026年9月、10月、11月）"
    assert v.due == D(2026, 11, 30)


def test_dues_six_consecutive_months_is_an_error(payer):
    rule = "member.dues.arrears"
    pay(payer, months(D(2025, 12, 1), D(2026, 5, 1)))
    assert found(rule, D(2026, 11, 1))[(str(payer.pk), "")].severity == "warning"  # 6–10: 5 in a row
    v = found(rule, D(2026, 12, 1))[(str(payer.pk), "")]
    assert v.severity == "error" and "连续 6 个月" in v.message and "2026年6月至2026年11月" in v.message
    # six unpaid months that are not consecutive: a warning
    pay(payer, [D(2026, 7, 1), D(2026, 9, 1), D(2026, 11, 1)])
    v = found(rule, D(2027, 2, 1))[(str(payer.pk), "")]  # unpaid: 6, 8, 10, 12, 1 → 5 months, none 6 in a row
    assert v.severity == "warning" and "5 个月" in v.message


def test_dues_of_a_probationary_member_start_at_the_branch_vote(county, payer):
    pay(payer, months(D(2025, 12, 1), D(2026, 11, 1)))
    p = member(county.branch_a, "预备党员", status="probationary", joined_on=D(2026, 8, 15))
    do_set_dues_profile(actor=None, member=p, category="student", since=D(2026, 8, 1))
    assert keys_of("member.dues.arrears", D(2026, 10, 1), p.pk) == set()  # August, September
    v = found("member.dues.arrears", D(2026, 11, 1))[(str(p.pk), "")]  # August, September, October
    assert v.message == "预备党员有 3 个月未交纳党费（2026年8月、9月、10月）"
    assert keys_of("member.dues.arrears", D(2026, 12, 1), payer.pk) == set()
    # a deleted member is not checked
    from dangjian.members.services import do_delete_member

    do_delete_member(actor=None, member=p, reason="录入错误")
    assert keys_of("member.dues.arrears", D(2026, 11, 1), p.pk) == set()


# ---- absence -------------------------------------------------------------------------------------------------------
def test_absent_for_exactly_six_months(county):
    rule = "member.absent.six_months"
    a, b = county.members["a"], county.members["b"]
    meet(county.branch_a, "theme_day", D(2026, 3, 10), {a.pk: "present"})
    meet(county.branch_a, "theme_day", D(2026, 5, 10), {a.pk: "absent"})
    meet(county.branch_a, "theme_day", D(2026, 8, 10), {a.pk: "absent"})
    assert keys_of(rule, D(2026, 9, 9), a.pk) == set()
    v = found(rule, D(2026, 9, 10))[(str(a.pk), "")]
    assert v.message.startswith("张三自 2026-03-10 参加组织生活以来已连续 6 个月未参加党的组织生活")
    assert v.due == D(2026, 9, 10) and v.severity is None
    assert keys_of(rule, D(2026, 9, 10), b.pk) == set()  # never called to a meeting: not checked
    # 请假 is a justified absence unless the county says otherwise
    meet(county.branch_a, "theme_day", D(2026, 6, 10), {a.pk: "leave"})
    assert keys_of(rule, D(2026, 9, 10), a.pk) == set()
    assert keys_of(rule, D(2026, 9, 10), a.pk, {"leave_excuses": False}) == {""}
    meet(county.branch_a, "theme_day", D(2026, 9, 1), {a.pk: "present"})
    assert keys_of(rule, D(2026, 9, 10), a.pk, {"leave_excuses": False}) == set()


def test_absence_is_not_checked_before_records_start(county):
    a = county.members["a"]
    meet(county.branch_a, "theme_day", D(2026, 5, 10), {a.pk: "absent"})
    assert keys_of("member.absent.six_months", D(2026, 10, 31), a.pk) == set()  # records from 2026-05-01
    assert keys_of("member.absent.six_months", D(2026, 11, 1), a.pk) == {""}


# ---- study hours ---------------------------------------------------------------------------------------------------
def study(m, day, hours):
    while hours > 0:
        do_record_study(actor=None, member=m, studied_on=day, hours=min(hours, 24), topic="学习", today=D(2027, 1, 1))
        hours -= min(hours, 24)


def test_study_hours_after_the_year_ends(county):
    rule = "member.study.hours_short"
    a = county.members["a"]
    study(a, D(2025, 1, 5), 31.5)
    assert keys_of(rule, D(2025, 12, 31), a.pk) == set()  # 11 months done: 29.3 hours expected
    v = found(rule, D(2026, 1, 1))[(str(a.pk), "2025")]
    assert v.severity is None and v.message == "张三2025年度学习 31.5 学时，未达到每年 32 学时的要求"
    assert v.due == D(2025, 12, 31)
    study(a, D(2025, 12, 31), 0.5)
    assert keys_of(rule, D(2026, 1, 1), a.pk) == set()  # 32 hours
    # a secretary needs 56
    elect(county.branch_a, [a], D(2024, 1, 10))
    v = found(rule, D(2026, 1, 1))[(str(a.pk), "2025")]
    assert "（书记、委员）" in v.message and "56 学时" in v.message
    study(a, D(2025, 6, 1), 24)
    assert keys_of(rule, D(2026, 1, 1), a.pk) == set()  # 56
    assert keys_of(rule, D(2026, 1, 1), a.pk, {"hours": {"member": 32, "cadre": 60}}) == {"2025"}


def test_study_hours_pro_rata_during_the_year(county):
    rule = "member.study.hours_short"
    a = county.members["a"]
    study(a, D(2026, 1, 5), 15.5)
    assert keys_of(rule, D(2026, 1, 31), a.pk) == set()  # no month completed yet
    assert keys_of(rule, D(2026, 6, 30), a.pk) == set()  # 5 months: 13.3 expected
    v = found(rule, D(2026, 7, 1))[(str(a.pk), "2026")]  # 6 months: 16 expected
    assert v.severity == "warning" and "截至6月底学习 15.5 学时，低于按月折算应完成的 16 学时" in v.message
    study(a, D(2026, 6, 30), 0.5)
    assert keys_of(rule, D(2026, 7, 1), a.pk) == set()
    # a member who joined during the year is not checked for that year
    late = member(county.branch_a, "新党员", status="probationary", joined_on=D(2026, 3, 1))
    assert keys_of(rule, D(2026, 7, 1), late.pk) == set()
    assert keys_of(rule, D(2026, 7, 1), county.members["b"].pk) == {"2026"}  # no hours at all


# ---- probation -----------------------------------------------------------------------------------------------------
def test_probation_that_ends_on_national_day(county):
    p = member(county.branch_a, "王预备", status="probationary", joined_on=D(2025, 10, 1))  # ends 2026-10-01
    ending, overdue = "member.probation.ending", "member.probation.overdue"
    assert keys_of(ending, D(2026, 8, 31), p.pk) == set()  # 31 days before
    v = found(ending, D(2026, 9, 1))[(str(p.pk), "")]  # 30 days before
    assert v.due == D(2026, 10, 1) and "2026-10-01 期满" in v.message and "还有 30 天" in v.message
    assert keys_of(ending, D(2026, 10, 1), p.pk) == {""}  # the holiday itself: still the last day
    assert keys_of(ending, D(2026, 10, 2), p.pk) == set()
    # 3 months after 2026-10-01 is 2027-01-01 (New Year's Day: holidays do not move the date)
    assert keys_of(overdue, D(2027, 1, 1), p.pk) == set()
    v = found(overdue, D(2027, 1, 2))[(str(p.pk), "")]
    assert v.due == D(2027, 1, 1) and "超过 3 个月仍未讨论转正" in v.message
    do_update_member(actor=None, member=p, status="full", full_on=D(2026, 10, 8))
    assert keys_of(overdue, D(2027, 1, 2), p.pk) == set()


def test_probation_voted_on_29_february(county):
    p = member(county.branch_a, "闰预备", status="probationary", joined_on=D(2024, 2, 29))  # ends 2025-02-28
    assert keys_of("member.probation.ending", D(2025, 1, 29), p.pk) == {""}
    assert keys_of("member.probation.ending", D(2025, 1, 28), p.pk) == set()
    assert keys_of("member.probation.overdue", D(2025, 5, 28), p.pk) == set()
    assert keys_of("member.probation.overdue", D(2025, 5, 29), p.pk) == {""}


# ---- mobile members ------------------------------------------------------------------------------------------------
def test_mobile_member_out_of_contact_for_exactly_six_months(county):
    rule = "member.mobile.no_contact"
    a = county.members["a"]
    do_start_mobile_stay(actor=None, member=a, left_on=D(2026, 1, 10), destination="广东省深圳市",
                         today=D(2026, 12, 1))
    do_record_contact(actor=None, member=a, contacted_on=D(2026, 3, 15))
    assert keys_of(rule, D(2026, 9, 14), a.pk) == set()
    v = found(rule, D(2026, 9, 15))[(str(a.pk), "")]
    assert v.severity is None and "停止党籍" in v.message and v.due == D(2026, 9, 15)
    v = found(rule, D(2028, 9, 15))[(str(a.pk), "")]  # 30 months: 除名 is prompted
    assert v.severity == "error" and "除名" in v.message
    assert keys_of(rule, D(2026, 9, 15), county.members["b"].pk) == set()  # not a mobile member


# ---- set-based -----------------------------------------------------------------------------------------------------
def _queries(rule_id, as_of):
    rule = RULES[rule_id]
    with CaptureQueriesContext(connection) as ctx:
        list(rule.evaluate("", as_of, dict(rule.params)))
    return len(ctx.captured_queries)


def _populate(county, first, n, day):
    """n more branches, each with a group, members, a committee, meetings, dues, study and a mobile member."""
    town = PartyOrg.objects.get(pk=county.town_a_org.pk)
    for i in range(first, first + n):
        branch = PartyOrg.objects.add_child(town, dict(code=f"D0101{50 + i}", name=f"测试党支部{i}", kind="branch"))
        town = PartyOrg.objects.get(pk=town.pk)
        group(branch, f"D0101{50 + i}01", "第一党小组", None)
        people = [member(branch, f"成员{i}-{j}") for j in range(3)]
        people.append(member(branch, f"预备{i}", status="probationary", joined_on=D(2025, 12, 20)))
        elect(branch, people[:3], D(2022, 1, 10))
        meet(branch, "theme_day", D(2026, 2, 1), {p.pk: "present" for p in people})
        do_set_dues_profile(actor=None, member=people[0], category="student", since=D(2026, 1, 1))
        pay(people[0], [D(2026, 1, 1)])
        study(people[0], D(2026, 1, 5), 1)
        do_start_mobile_stay(actor=None, member=people[1], left_on=D(2025, 1, 10), destination="外地", today=day)


def test_every_rule_issues_a_fixed_number_of_queries(county):
    as_of = D(2026, 12, 1)
    _populate(county, 0, 1, as_of)
    before = {r: _queries(r, as_of) for r in OUR_RULES}
    _populate(county, 1, 4, as_of)
    after = {r: _queries(r, as_of) for r in OUR_RULES}
    assert after == before
    assert max(before.values()) <= 3
    assert all(found(r, as_of) for r in ("branchlife.theme_day.monthly", "member.dues.arrears",
                                         "member.study.hours_short", "member.mobile.no_contact",
                                         "branchlife.group_meeting.monthly", "member.probation.ending"))

