"""The recruitment timing engine: both sides of every boundary, and the rule set chosen by date."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dangjian.recruitment import steps, timing
from dangjian.recruitment.timing import Facts, RuleData, RuleSetData

D = dt.date


def rules_2014(**changes):
    """The shipped 2014 rules (as in the data migration), with some numbers changed."""
    rows = [
        RuleData("age", "申请人年龄", "offset", "birth", 1, "min", 18, "years", "第五条", "error"),
        RuleData("talk", "谈话时限", "offset", "step:1", 2, "max", 1, "months", "第七条"),
        RuleData("activist_period", "入党积极分子培养期", "offset", "step:3", 7, "min", 1, "years", "第十三条", "error"),
        RuleData("notice", "发展对象公示期", "period", "step:13", 13, "min", 5, "workdays", "第十九条"),
        RuleData("concentrated_training", "集中培训", "training", "step:11", 12, "min", 3, "days", "第十七条", "error",
                 24, "hours"),
        RuleData("vote_after_prereview", "支部大会讨论时限", "offset", "step:13", 15, "max", 1, "months", "第二十条"),
        RuleData("approval", "上级党委审批时限", "offset", "step:15", 17, "max", 3, "months", "第二十五条"),
        RuleData("approval_limit", "上级党委审批最长时限", "offset", "step:15", 17, "max", 6, "months", "第二十五条",
                 "error"),
        RuleData("probation", "预备期", "offset", "step:15", 23, "min", 1, "years", "第三十一条", "error"),
        RuleData("conversion_approval", "转正审批时限", "offset", "rule:probation", 24, "max", 3, "months",
                 "第三十三条"),
    ]
    out = {}
    for r in rows:
        if r.code in changes:
            r = RuleData(**{**r.__dict__, **changes[r.code]})
        out[r.code] = r
    return out


SET_2014 = RuleSetData("2014", "《中国共产党发展党员工作细则》", "中办发〔2014〕28号", "2014", D(2014, 6, 10), rules_2014())


AS_OF = D(2026, 12, 1)


def check(code, facts, as_of=AS_OF, sets=(SET_2014,)):
    return next(c for c in timing.evaluate(facts, list(sets), as_of) if c.rule.code == code)


def test_the_25_steps_in_5_stages():
    assert len(steps.STEPS) == 25 and [s.number for s in steps.STEPS] == list(range(1, 26))
    assert [s.name for s in steps.STAGES] == ["申请入党", "入党积极分子的确定和培养教育", "发展对象的确定和考察",
                                              "预备党员的接收", "预备党员的教育、考察和转正"]
    assert steps.BY_NUMBER[1].name == "递交入党申请书" and steps.BY_NUMBER[25].name == "材料归档"
    assert steps.BY_NUMBER[15].name == steps.BY_NUMBER[23].name == "支部大会讨论"
    assert steps.label(23) == "第23步“支部大会讨论”（预备党员的教育、考察和转正）"
    assert [len([s for s in steps.STEPS if s.stage == n]) for n in range(1, 6)] == [2, 4, 5, 7, 7]


def test_month_arithmetic_clamps_to_the_month_end():
    assert timing.add_months(D(2027, 1, 31), 1) == D(2027, 2, 28)
    assert timing.add_months(D(2028, 1, 31), 1) == D(2028, 2, 29)
    assert timing.add_months(D(2026, 8, 31), 6) == D(2027, 2, 28)
    assert timing.add_months(D(2026, 11, 30), 3) == D(2027, 2, 28)
    assert timing.add_months(D(2026, 12, 15), 1) == D(2027, 1, 15)
    assert timing.add_period(D(2024, 2, 29), 1, "years") == D(2025, 2, 28)
    assert timing.add_period(D(2024, 2, 29), 4, "years") == D(2028, 2, 29)


@pytest.mark.django_db
@pytest.mark.parametrize(("talk", "state"), [(D(2027, 2, 28), "ok"), (D(2027, 3, 1), "too_late"),
                                             (D(2027, 1, 31), "ok")])
def test_talk_within_one_month_of_31_january(talk, state):
    c = check("talk", Facts(D(1990, 1, 1), steps={1: D(2027, 1, 31), 2: talk}), as_of=D(2027, 6, 1))
    assert c.latest == D(2027, 2, 28) and c.state == state


@pytest.mark.django_db
def test_talk_not_recorded_is_overdue_only_after_the_last_day():
    facts = Facts(D(1990, 1, 1), steps={1: D(2027, 1, 31)})
    assert check("talk", facts, as_of=D(2027, 2, 28)).state == "waiting"
    overdue = check("talk", facts, as_of=D(2027, 3, 1))
    assert overdue.state == "overdue" and overdue.latest == D(2027, 2, 28) and overdue.violated


@pytest.mark.django_db
@pytest.mark.parametrize(("applied", "state"), [(D(2026, 3, 14), "ok"), (D(2026, 3, 13), "too_early")])
def test_applicant_is_18_on_the_birthday_itself(applied, state):
    c = check("age", Facts(D(2008, 3, 14), steps={1: applied}))
    assert c.earliest == D(2026, 3, 14) and c.state == state


@pytest.mark.django_db
def test_born_on_29_february_turns_18_on_1_march():
    assert check("age", Facts(D(2008, 2, 29), steps={1: D(2026, 2, 28)})).state == "too_early"
    assert check("age", Facts(D(2008, 2, 29), steps={1: D(2026, 3, 1)})).state == "ok"


@pytest.mark.django_db
@pytest.mark.parametrize(("candidate", "state"), [(D(2025, 2, 28), "ok"), (D(2025, 2, 27), "too_early"),
                                                  (D(2025, 3, 1), "ok")])
def test_one_year_of_activist_training_from_29_february(candidate, state):
    facts = Facts(D(1990, 1, 1), steps={1: D(2024, 2, 29), 2: D(2024, 2, 29), 3: D(2024, 2, 29), 7: candidate})
    c = check("activist_period", facts)
    assert c.earliest == D(2025, 2, 28) and c.state == state


@pytest.mark.django_db
def test_notice_of_5_working_days_across_national_day_2026():
    """2026: 1–7 October off, Saturday 10 October a make-up working day. A notice from Tuesday 29 September
    counts 29 and 30 September, 8, 9 and 10 October."""
    start = D(2026, 9, 29)
    short = check("notice", Facts(D(1990, 1, 1), steps={13: D(2026, 10, 12)}, periods={13: (start, D(2026, 10, 9))}))
    assert short.earliest == D(2026, 10, 10) and short.state == "too_early"
    assert "共4个工作日" in short.detail
    enough = check("notice", Facts(D(1990, 1, 1), steps={13: D(2026, 10, 12)}, periods={13: (start, D(2026, 10, 10))}))
    assert enough.state == "ok" and "共5个工作日" in enough.detail
    # A plain calendar count would have ended the notice on 3 October.
    assert (D(2026, 10, 3) - start).days + 1 == 5


@pytest.mark.django_db
def test_notice_in_a_year_without_a_holiday_schedule_counts_weekends_only():
    c = check("notice", Facts(D(1990, 1, 1), periods={13: (D(2027, 9, 27), D(2027, 10, 1))}), as_of=D(2027, 10, 5))
    assert c.earliest == D(2027, 10, 1) and c.state == "ok"  # Monday to Friday, no National Day data for 2027


@pytest.mark.parametrize(("trainings", "state", "earliest"), [
    ([("concentrated", D(2026, 5, 3), 3, 0)], "ok", D(2026, 5, 3)),
    ([("concentrated", D(2026, 5, 3), 2.5, 20)], "too_early", None),
    ([("concentrated", D(2026, 5, 3), 2, 16), ("concentrated", D(2026, 5, 20), 1, 8)], "too_early", D(2026, 5, 20)),
    ([("concentrated", D(2026, 5, 3), 0, 24)], "ok", D(2026, 5, 3)),
    ([("activist", D(2026, 5, 3), 10, 80)], "too_early", None),
])
def test_concentrated_training_3_days_or_24_hours(trainings, state, earliest):
    facts = Facts(D(1990, 1, 1), steps={12: D(2026, 5, 10)}, trainings=trainings)
    c = timing._training(SET_2014.rules["concentrated_training"], SET_2014, facts, D(2026, 5, 10))
    assert (c.state, c.earliest) == (state, earliest)


def test_vote_boundary_after_pre_review():
    facts = Facts(D(1990, 1, 1), steps={13: D(2025, 12, 31), 15: D(2026, 1, 31)})
    assert check("vote_after_prereview", facts).state == "ok"
    facts.steps[15] = D(2026, 2, 1)
    assert check("vote_after_prereview", facts).state == "too_late"


@pytest.mark.parametrize(("approved", "normal", "limit"), [
    (D(2026, 4, 30), "ok", "ok"), (D(2026, 5, 1), "too_late", "ok"),
    (D(2026, 7, 31), "too_late", "ok"), (D(2026, 8, 1), "too_late", "too_late"),
])
def test_upper_approval_within_3_months_at_most_6(approved, normal, limit):
    facts = Facts(D(1990, 1, 1), steps={15: D(2026, 1, 31), 17: approved})
    assert check("approval", facts).latest == D(2026, 4, 30)
    assert check("approval_limit", facts).latest == D(2026, 7, 31)
    assert (check("approval", facts).state, check("approval_limit", facts).state) == (normal, limit)


@pytest.mark.parametrize(("conversion_vote", "state"), [(D(2025, 2, 28), "ok"), (D(2025, 2, 27), "too_early")])
def test_probation_is_one_year_from_the_branch_vote(conversion_vote, state):
    facts = Facts(D(1990, 1, 1), steps={15: D(2024, 2, 29), 23: conversion_vote})
    c = check("probation", facts)
    assert c.earliest == D(2025, 2, 28) and c.state == state


@pytest.mark.parametrize(("approved", "state"), [(D(2026, 9, 30), "ok"), (D(2026, 10, 1), "too_late")])
def test_conversion_approved_within_3_months_of_probation_ending(approved, state):
    facts = Facts(D(1990, 1, 1), steps={15: D(2025, 6, 30), 23: D(2026, 7, 1), 24: approved})
    c = check("conversion_approval", facts)
    assert c.latest == D(2026, 9, 30) and c.state == state
    facts.steps.pop(24)
    assert check("conversion_approval", facts, as_of=D(2026, 10, 1)).state == "overdue"
    assert check("conversion_approval", facts, as_of=D(2026, 9, 30)).state == "waiting"


def test_the_rule_set_in_force_on_the_starting_step_decides():
    revised = RuleSetData("2026", "《中国共产党发展党员工作细则》", "（测试文号）", "2026", D(2026, 7, 1),
                          rules_2014(talk={"amount": 20, "unit": "days", "article": "第八条"}))
    assert timing.ruleset_on([SET_2014, revised], D(2026, 6, 30)).code == "2014"
    assert timing.ruleset_on([SET_2014, revised], D(2026, 7, 1)).code == "2026"
    assert timing.ruleset_on([SET_2014, revised], D(2010, 1, 1)).code == "2014"  # before any set: the oldest
    before = Facts(D(1990, 1, 1), steps={1: D(2026, 6, 30), 2: D(2026, 7, 25)})
    c = check("talk", before, sets=(SET_2014, revised))
    assert (c.ruleset.code, c.latest, c.state) == ("2014", D(2026, 7, 30), "ok")
    after = Facts(D(1990, 1, 1), steps={1: D(2026, 7, 1), 2: D(2026, 7, 25)})
    c = check("talk", after, sets=(SET_2014, revised))
    assert (c.ruleset.code, c.latest, c.state, c.rule.article) == ("2026", D(2026, 7, 21), "too_late", "第八条")
    # Without the revised set in force, 2014 applies to everything.
    assert check("talk", after).ruleset.code == "2014"


def test_next_step_with_its_earliest_and_latest_date_and_the_rules_behind_them():
    facts = Facts(D(1990, 1, 1), steps={1: D(2025, 1, 10), 2: D(2025, 1, 20), 3: D(2025, 3, 1), 5: D(2025, 3, 2)})
    checks = timing.evaluate(facts, [SET_2014], D(2025, 6, 1))
    nxt = timing.next_step(facts, checks)
    assert nxt.step.number == 7  # 4 and 6 are not required before 7
    assert nxt.earliest == D(2026, 3, 1) and [c.rule.code for c in nxt.earliest_rules] == ["activist_period"]
    assert nxt.latest is None and nxt.latest_rules == []
    facts.steps.update({n: D(2026, 3, 1) for n in (7, 9, 10, 11, 12, 13, 14)})
    facts.steps[15] = D(2026, 3, 20)
    facts.steps[16] = D(2026, 3, 25)
    nxt = timing.next_step(facts, timing.evaluate(facts, [SET_2014], D(2026, 4, 1)))
    assert nxt.step.number == 17 and nxt.earliest == D(2026, 3, 25) and nxt.earliest_rules == []
    assert nxt.latest == D(2026, 6, 20) and [c.rule.code for c in nxt.latest_rules] == ["approval"]


def test_describe_names_the_numbers():
    r = SET_2014.rules
    assert timing.describe(r["age"]) == "递交入党申请书时应年满18周岁"
    assert timing.describe(r["talk"]) == "党组织派人谈话应在递交入党申请书后1个月内"
    assert timing.describe(r["notice"]) == "公示期应不少于5个工作日"
    assert timing.describe(r["concentrated_training"]) == "支部委员会审查前，集中培训应不少于3天或24学时"
    assert timing.describe(r["conversion_approval"]) == "上级党委审批应在预备期满后3个月内"


# --- properties (hypothesis) ----------------------------------------------------------------------------------

days = st.dates(min_value=D(2000, 1, 1), max_value=D(2030, 12, 31))


@given(days, st.integers(min_value=0, max_value=60))
def test_add_months_lands_on_the_same_day_or_the_month_end(day, months):
    result = timing.add_months(day, months)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    assert result.day == day.day or (result.day < day.day and (result + dt.timedelta(days=1)).day == 1)


@given(days, days)
def test_max_rule_is_too_late_exactly_after_its_latest_day(applied, talk):
    c = check("talk", Facts(D(1980, 1, 1), steps={1: applied, 2: talk}))
    assert c.latest == timing.add_months(applied, 1)
    assert (c.state == "too_late") == (talk > c.latest)


@given(days, days)
def test_min_rule_is_too_early_exactly_before_its_earliest_day(activist, candidate):
    c = check("activist_period", Facts(D(1980, 1, 1), steps={3: activist, 7: candidate}))
    assert c.earliest == timing.add_months(activist, 12)
    assert (c.state == "too_early") == (candidate < c.earliest)


@given(st.dates(min_value=D(1950, 1, 1), max_value=D(2010, 12, 31)), days)
def test_age_rule_agrees_with_the_ledgers_age(birth, applied):
    from dangjian.core.dates import age_on

    c = check("age", Facts(birth, steps={1: applied}))
    assert (c.state == "ok") == (age_on(birth, applied) >= 18)
