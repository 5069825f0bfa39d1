"""Checkup rules of recruitment (registered from RecruitmentConfig.ready): each timing rule of the 细则 in force
on the relevant date, for every open case of the subtree.

The open cases, their step records and trainings are loaded in three queries; the timing of each case is then
computed in Python (month arithmetic and statutory working days do not translate into SQL). That is bounded by
the number of open cases: finished and stopped cases are never loaded."""

from dangjian.checkup.registry import Citation, Rule, Violation, register_rule

from . import queries, steps, timing

CITATION = Citation("《中国共产党发展党员工作细则》（中办发〔2014〕28号）", "各项时限见“发展党员时限规则”", "2014-06",
                    "2014-06-10")
DEFAULT_CODE = "2014"


def _checks(path, as_of):
    rulesets = queries.rulesets_in_force()
    if not rulesets:
        return
    cases = queries.open_cases_under(path)
    births = {c["id"]: c["member__birth_date"] for c in cases}
    facts = queries.facts_by_case({"status": "open", "member__org_path__startswith": path}, births)
    plan, calendar = timing.Plan(rulesets), timing.WorkCalendar()
    for case in cases:
        for check in timing.evaluate(facts[case["id"]], plan, as_of, calendar):
            if check.violated:
                yield case, check


def _message(case, check: timing.Check) -> str:
    rule = check.rule
    step = steps.label(rule.target)
    if check.state == timing.TOO_EARLY:
        if rule.kind == "period":
            what = f"{check.detail}，少于{timing.amount_label(rule.amount, rule.unit)}"
        elif rule.kind == "training":
            what = f"登记于 {check.recorded:%Y-%m-%d}，{check.detail}，尚未达到要求"
        else:
            what = f"登记于 {check.recorded:%Y-%m-%d}，早于最早日期 {check.earliest:%Y-%m-%d}"
    elif check.state == timing.TOO_LATE:
        what = f"登记于 {check.recorded:%Y-%m-%d}，晚于最迟日期 {check.latest:%Y-%m-%d}"
    else:
        what = f"最迟应于 {check.latest:%Y-%m-%d} 完成，至今未登记"
    source = rule.article
    if check.ruleset.code != DEFAULT_CODE:
        source = f"{check.ruleset.citation}{rule.article}"
    return f"{case['member__name']}：{step}——{timing.describe(rule)}；{what}（{source}）"


def _violations(path, as_of, states):
    for case, check in _checks(path, as_of):
        if check.state not in states:
            continue
        yield Violation("member", case["member_id"], str(case["member_id"]), case["member__org_path"],
                        _message(case, check), due=check.earliest if check.state == timing.TOO_EARLY else check.latest,
                        severity=check.rule.severity, key=check.rule.code)


def step_too_early(path, as_of, params):
    return _violations(path, as_of, {timing.TOO_EARLY})


def step_too_late(path, as_of, params):
    return _violations(path, as_of, {timing.TOO_LATE, timing.OVERDUE})


def register() -> None:
    register_rule(Rule("recruitment.step.too_early", "发展党员步骤早于规定时限", CITATION, "warning", "member",
                       step_too_early))
    register_rule(Rule("recruitment.step.too_late", "发展党员步骤晚于规定时限或超期未办", CITATION, "warning", "member",
                       step_too_late))
