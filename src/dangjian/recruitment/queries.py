"""Reads of recruitment, always scoped; the facts the timing engine works on, loaded in a few queries."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.utils import timezone

from . import steps, timing
from .models import RecruitmentCase, RuleSet, StepRecord, TimingRule, Training


def cases_for(user, action: str = "view"):
    return RecruitmentCase.objects.restrict(user, action).select_related("member", "member__org")


def rulesets_in_force() -> list[timing.RuleSetData]:
    """Every confirmed rule set with its rules (two queries)."""
    sets = list(RuleSet.objects.filter(in_force=True, effective_on__isnull=False))
    rules = defaultdict(dict)
    for rule in TimingRule.objects.filter(ruleset__in=sets).order_by("position", "id"):
        rules[rule.ruleset_id][rule.code] = rule.as_data()
    return [timing.RuleSetData(code=s.code, document=s.document, doc_number=s.doc_number, version=s.version,
                               effective_on=s.effective_on, rules=rules[s.pk]) for s in sets]


def facts_by_case(case_filter: dict, birth_dates: dict) -> dict[int, timing.Facts]:
    """Facts for every case matching `case_filter` (lookups on RecruitmentCase prefixed by case__), in two
    queries: the step records and the trainings. `birth_dates` maps case id → birth date."""
    facts = {pk: timing.Facts(birth_date=birth) for pk, birth in birth_dates.items()}
    prefixed = {f"case__{k}": v for k, v in case_filter.items()}
    records = StepRecord.objects.filter(**prefixed).values_list("case_id", "step", "done_on", "period_start",
                                                                "period_end")
    for case_id, step, done_on, start, end in records:
        f = facts.get(case_id)
        if f is None:
            continue
        f.steps[step] = done_on
        if start or end:
            f.periods[step] = (start, end)
    trainings = Training.objects.filter(**prefixed).values_list("case_id", "kind", "end_on", "days", "hours")
    for case_id, kind, end_on, days, hours in trainings:
        if case_id in facts:
            facts[case_id].trainings.append((kind, end_on, float(days), float(hours)))
    return facts


def facts_for(case: RecruitmentCase) -> timing.Facts:
    return facts_by_case({"pk": case.pk}, {case.pk: case.member.birth_date})[case.pk]


def open_cases_under(path: str) -> list[dict]:
    """The open cases of a subtree (one query), with what the checkup needs about each person."""
    return list(RecruitmentCase.objects.filter(status=RecruitmentCase.Status.OPEN, member__org_path__startswith=path,
                                               member__deleted_at__isnull=True)
                .values("id", "member_id", "member__name", "member__org_path", "member__birth_date"))


@dataclass
class StepRow:
    step: steps.Step
    record: StepRecord | None
    checks: list  # the timing checks that govern this step
    is_next: bool

    @property
    def violated(self):
        return [c for c in self.checks if c.violated]


@dataclass
class CaseView:
    case: RecruitmentCase
    facts: timing.Facts
    checks: list
    next: timing.NextStep | None
    stages: list  # [(Stage, [StepRow])]
    warnings: list  # violated checks
    rulesets: list


def case_view(case: RecruitmentCase, as_of: dt.date | None = None) -> CaseView:
    as_of = as_of or timezone.localdate()
    rulesets = rulesets_in_force()
    facts = facts_for(case)
    checks = timing.evaluate(facts, rulesets, as_of)
    if not case.is_open:  # a finished or stopped case has nothing overdue
        checks = [c for c in checks if c.state != timing.OVERDUE]
    nxt = timing.next_step(facts, checks) if case.is_open else None
    records = {r.step: r for r in case.step_records.select_related("recorded_by").prefetch_related("files")}
    by_step = defaultdict(list)
    for c in checks:
        by_step[c.rule.target].append(c)
    stages = [(stage, [StepRow(s, records.get(s.number), by_step[s.number], bool(nxt) and nxt.step == s)
                       for s in steps.STEPS if s.stage == stage.number]) for stage in steps.STAGES]
    return CaseView(case, facts, checks, nxt, stages, [c for c in checks if c.violated], rulesets)


def summary(facts: timing.Facts, rulesets, as_of: dt.date) -> dict:
    """The case fields the list filters read: last recorded step, next step and its stage, and the nearest
    deadline of any step not yet recorded (past it, the case is overdue)."""
    checks = timing.evaluate(facts, rulesets, as_of)
    nxt = timing.next_step(facts, checks)
    last = max(facts.steps, default=0)
    deadlines = [c.latest for c in checks if c.rule.bound == "max" and c.recorded is None and c.latest]
    return {"last_step": last, "next_step": nxt.step.number if nxt else None,
            "stage": nxt.step.stage if nxt else steps.BY_NUMBER[steps.LAST].stage,
            "next_due": min(deadlines, default=None) if nxt else None}
