"""The timing engine: for one person, each timing rule gives the earliest or latest allowed date of the step
it governs, and whether the recorded date is too early or too late.

Pure functions over plain data (no ORM): `Facts` about one person, `RuleSetData` loaded from the database.
Working days come from `dangjian.core.workdays` (statutory holidays and make-up days; weekends only for years
without an announced schedule).

Periods in months and years follow 《民法典》 Art 201–202: the period ends on the corresponding day of the
last month, or on that month's last day when it has no such day (31 January + 1 month → 28/29 February;
29 February 2024 + 1 year → 28 February 2025). Both ends are allowed: "within 1 month" allows the last day,
"at least 1 year" allows the anniversary itself. Ages (周岁) are counted the way the member ledger counts
them (`core.dates.age_on`): a person born on 29 February turns 18 on 1 March of a common year."""

import calendar
import datetime as dt
from dataclasses import dataclass, field

from dangjian.core import workdays

from . import steps

UNITS = {"days": "天", "workdays": "个工作日", "months": "个月", "years": "年", "hours": "学时"}
UNIT_CHOICES = list(UNITS.items())
KINDS = {"offset": "相对时限", "period": "持续时间", "training": "集中培训时长"}
BOUNDS = {"min": "不早于", "max": "不晚于"}

OK, TOO_EARLY, TOO_LATE, OVERDUE, WAITING, PENDING = "ok", "too_early", "too_late", "overdue", "waiting", "pending"
STATE_LABELS = {OK: "符合", TOO_EARLY: "过早", TOO_LATE: "过晚", OVERDUE: "已超期", WAITING: "待办", PENDING: "尚未开始"}


@dataclass(frozen=True)
class RuleData:
    code: str
    title: str
    kind: str  # offset / period / training
    anchor: str  # "birth", "step:N" or "rule:CODE" (the bound date of another rule)
    target: int  # the step the rule governs
    bound: str  # min (earliest date) / max (latest date)
    amount: int
    unit: str
    article: str
    severity: str = "warning"
    alt_amount: int | None = None  # training: "3 days OR 24 hours"
    alt_unit: str = ""


@dataclass(frozen=True)
class RuleSetData:
    code: str
    document: str
    doc_number: str
    version: str
    effective_on: dt.date
    rules: dict  # code → RuleData, in display order

    @property
    def citation(self) -> str:
        return f"{self.document}（{self.doc_number}，{self.effective_on:%Y-%m-%d}起施行）"


@dataclass
class Facts:
    """What the records say about one person."""

    birth_date: dt.date | None
    steps: dict = field(default_factory=dict)  # step number → date
    periods: dict = field(default_factory=dict)  # step number → (start, end)
    trainings: list = field(default_factory=list)  # (kind, end_on, days, hours)


@dataclass(frozen=True)
class Check:
    rule: RuleData
    ruleset: RuleSetData
    earliest: dt.date | None
    latest: dt.date | None
    recorded: dt.date | None
    state: str
    detail: str = ""  # e.g. what the training adds up to

    @property
    def violated(self) -> bool:
        return self.state in (TOO_EARLY, TOO_LATE, OVERDUE)

    @property
    def text(self) -> str:
        return describe(self.rule)

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


def add_months(day: dt.date, months: int) -> dt.date:
    """The corresponding day `months` months later, or the last day of that month when it has none."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class WorkCalendar:
    """`dangjian.core.workdays` with each day's answer remembered for the life of this object (one checkup run
    or one page): the library's lookup is slow enough to dominate a run over many cases."""

    def __init__(self):
        self._days: dict[dt.date, bool] = {}

    def is_workday(self, day: dt.date) -> bool:
        known = self._days.get(day)
        if known is None:
            known = self._days[day] = workdays.is_workday(day)
        return known

    def add_workdays(self, day: dt.date, n: int) -> dt.date:
        """The n-th working day after `day` (as core.workdays.add_workdays)."""
        current = day
        while n > 0:
            current += dt.timedelta(days=1)
            if self.is_workday(current):
                n -= 1
        return current

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end] (as core.workdays.workdays_between)."""
        count, current = 0, start
        while current < end:
            current += dt.timedelta(days=1)
            count += self.is_workday(current)
        return count


def add_period(day: dt.date, amount: int, unit: str, calendar: WorkCalendar | None = None) -> dt.date:
    """`day` + `amount` `unit`s; working days skip statutory holidays and count make-up working days."""
    if unit == "days":
        return day + dt.timedelta(days=amount)
    if unit == "workdays":
        return (calendar or WorkCalendar()).add_workdays(day, amount)
    if unit == "months":
        return add_months(day, amount)
    if unit == "years":
        return add_months(day, 12 * amount)
    raise ValueError(f"unit {unit!r} has no calendar length")


def birthday(birth: dt.date, years: int) -> dt.date:
    """The first day on which the person is `years` 周岁 old (29 February → 1 March in a common year)."""
    try:
        return birth.replace(year=birth.year + years)
    except ValueError:
        return dt.date(birth.year + years, 3, 1)


def period_end(start: dt.date, amount: int, unit: str, calendar: WorkCalendar | None = None) -> dt.date:
    """The earliest last day of a period starting on `start` (counted) that lasts `amount` `unit`s."""
    if unit == "workdays":
        return (calendar or WorkCalendar()).add_workdays(start - dt.timedelta(days=1), amount)
    if unit == "days":
        return start + dt.timedelta(days=amount - 1)
    return add_period(start, amount, unit) - dt.timedelta(days=1)


def anchor_label(rule: RuleData) -> str:
    kind, _, value = rule.anchor.partition(":")
    if kind == "birth":
        return "出生"
    if kind == "step":
        return steps.BY_NUMBER[int(value)].name
    return {"probation": "预备期满"}.get(value, value)


def amount_label(amount, unit) -> str:
    return f"{amount}{UNITS.get(unit, unit)}"


def describe(rule: RuleData) -> str:
    """The rule as a sentence, with its numbers: “党组织派人谈话应在递交入党申请书后1个月内”."""
    target = steps.BY_NUMBER[rule.target].name
    if rule.kind == "period":
        return f"{steps.BY_NUMBER[rule.target].period}应不少于{amount_label(rule.amount, rule.unit)}"
    if rule.kind == "training":
        alt = f"或{amount_label(rule.alt_amount, rule.alt_unit)}" if rule.alt_amount else ""
        return f"{target}前，集中培训应不少于{amount_label(rule.amount, rule.unit)}{alt}"
    if rule.anchor == "birth":
        return f"{target}时应年满{rule.amount}周岁"
    if rule.bound == "min":
        return f"{target}应在{anchor_label(rule)}满{amount_label(rule.amount, rule.unit)}后"
    return f"{target}应在{anchor_label(rule)}后{amount_label(rule.amount, rule.unit)}内"


def ruleset_on(rulesets: list[RuleSetData], day: dt.date) -> RuleSetData:
    """The set in force on `day`: the latest effective on or before it. Before the first set took effect, the
    first set (older cases are checked against the oldest rules the system knows)."""
    ordered = sorted(rulesets, key=lambda r: r.effective_on)
    if not ordered:
        raise ValueError("no rule set in force")
    chosen = ordered[0]
    for ruleset in ordered:
        if ruleset.effective_on <= day:
            chosen = ruleset
    return chosen


class Plan:
    """The rule sets prepared once for many people: ordered by date, each rule's structure, the display order."""

    def __init__(self, rulesets: list[RuleSetData]):
        self.rulesets = sorted(rulesets, key=lambda r: r.effective_on)
        self.structure: dict[str, RuleData] = {}
        for ruleset in self.rulesets:
            for code, rule in ruleset.rules.items():
                self.structure.setdefault(code, rule)  # anchor and target are the same in every set
        self.codes = list(self.structure)
        self.order = {code: i for i, code in enumerate(self.codes)}

    def ruleset_on(self, day: dt.date) -> RuleSetData:
        chosen = self.rulesets[0]
        for ruleset in self.rulesets[1:]:
            if ruleset.effective_on <= day:
                chosen = ruleset
        return chosen


def _relevant_day(plan: Plan, code, facts: Facts, as_of: dt.date, depth=0) -> dt.date:
    """The date that decides which rule set applies: the date of the step the timing starts from (for an age,
    the application; for a rule anchored on another rule, that rule's starting step)."""
    rule = plan.structure[code]
    kind, _, value = rule.anchor.partition(":")
    if kind == "step" and facts.steps.get(int(value)):
        return facts.steps[int(value)]
    if kind == "rule" and depth < 5 and value in plan.structure:
        return _relevant_day(plan, value, facts, as_of, depth + 1)
    if rule.kind == "period" and facts.periods.get(rule.target):
        return facts.periods[rule.target][0]
    return facts.steps.get(rule.target) or as_of


def evaluate(facts: Facts, rulesets, as_of: dt.date, calendar: WorkCalendar | None = None) -> list[Check]:
    """Every timing rule for one person, each under the rule set in force on its relevant date. `rulesets` is a
    list of RuleSetData or a Plan prepared from one (for many people)."""
    plan = rulesets if isinstance(rulesets, Plan) else Plan(rulesets)
    if not plan.rulesets:
        return []
    calendar = calendar or WorkCalendar()
    bounds: dict[str, dt.date | None] = {}
    checks: list[Check] = []

    def bound_of(code):
        if code in bounds:
            return bounds[code]
        bounds[code] = None  # guards against a cycle
        if code not in plan.structure:
            return None
        ruleset = plan.ruleset_on(_relevant_day(plan, code, facts, as_of))
        rule = ruleset.rules.get(code)
        check = _check(rule, ruleset, facts, as_of, bound_of, calendar) if rule else None
        if check is not None:
            checks.append(check)
            bounds[code] = check.earliest if rule.bound == "min" else check.latest
        return bounds[code]

    for code in plan.codes:
        bound_of(code)
    return sorted(checks, key=lambda c: plan.order[c.rule.code])


def _anchor_date(rule: RuleData, facts: Facts, bound_of) -> dt.date | None:
    kind, _, value = rule.anchor.partition(":")
    if kind == "birth":
        return facts.birth_date
    if kind == "step":
        return facts.steps.get(int(value))
    if kind == "rule":
        return bound_of(value)
    return None


def _check(rule: RuleData, ruleset: RuleSetData, facts: Facts, as_of: dt.date, bound_of,
           calendar: WorkCalendar) -> Check:
    recorded = facts.steps.get(rule.target)
    if rule.kind == "period":
        start, end = facts.periods.get(rule.target) or (None, None)
        if start is None:
            return Check(rule, ruleset, None, None, None, PENDING)
        earliest = period_end(start, rule.amount, rule.unit, calendar)
        if end is None:
            return Check(rule, ruleset, earliest, None, None, WAITING)
        counted = (calendar.workdays_between(start - dt.timedelta(days=1), end) if rule.unit == "workdays"
                   else (end - start).days + 1)
        detail = f"{start:%Y-%m-%d} 至 {end:%Y-%m-%d}，共{amount_label(counted, rule.unit)}"
        return Check(rule, ruleset, earliest, None, end, TOO_EARLY if end < earliest else OK, detail)
    if rule.kind == "training":
        return _training(rule, ruleset, facts, recorded)
    anchor = _anchor_date(rule, facts, bound_of)
    if anchor is None:
        return Check(rule, ruleset, None, None, recorded, PENDING)
    if rule.anchor == "birth" and rule.unit == "years":
        day = birthday(anchor, rule.amount)
    else:
        day = add_period(anchor, rule.amount, rule.unit, calendar)
    if rule.bound == "min":
        if recorded is None:
            return Check(rule, ruleset, day, None, None, WAITING)
        return Check(rule, ruleset, day, None, recorded, TOO_EARLY if recorded < day else OK)
    if recorded is None:
        return Check(rule, ruleset, None, day, None, OVERDUE if as_of > day else WAITING)
    return Check(rule, ruleset, None, day, recorded, TOO_LATE if recorded > day else OK)


def _training(rule: RuleData, ruleset: RuleSetData, facts: Facts, recorded) -> Check:
    """Concentrated training adds up, record by record in the order they ended, until it reaches `amount`
    days or `alt_amount` hours; the governed step may come from that day on."""
    days = hours = 0
    earliest = None
    for _kind, end_on, d, h in sorted((t for t in facts.trainings if t[0] == "concentrated"),
                                     key=lambda t: t[1] or dt.date.max):
        days += d or 0
        hours += h or 0
        if end_on and earliest is None and (days >= rule.amount or (rule.alt_amount and hours >= rule.alt_amount)):
            earliest = end_on
    detail = f"集中培训累计 {days:g} 天、{hours:g} 学时"
    if recorded is None:
        return Check(rule, ruleset, earliest, None, None, WAITING, detail)
    state = TOO_EARLY if earliest is None or recorded < earliest else OK
    return Check(rule, ruleset, earliest, None, recorded, state, detail)


@dataclass
class NextStep:
    step: steps.Step
    earliest: dt.date | None
    latest: dt.date | None
    earliest_rules: list  # [Check] behind the earliest date
    latest_rules: list  # [Check] behind the latest date
    after: dt.date | None  # the date of the previous recorded step (a step never comes before it)

    @property
    def stage_title(self) -> str:
        return steps.STAGES[self.step.stage - 1].title


def next_step(facts: Facts, checks: list[Check]) -> NextStep | None:
    """The first required step not yet recorded, with its earliest and latest dates and the rules behind both."""
    pending = [s for s in steps.STEPS if s.required and s.number not in facts.steps]
    if not pending:
        return None
    step = pending[0]
    earlier = [d for n, d in facts.steps.items() if n < step.number and d]
    after = max(earlier) if earlier else None
    governing = [c for c in checks if c.rule.target == step.number]
    mins = [c for c in governing if c.rule.bound == "min" and c.earliest]
    maxes = [c for c in governing if c.rule.bound == "max" and c.latest]
    earliest = max([c.earliest for c in mins], default=None)
    latest = min([c.latest for c in maxes], default=None)
    if after and (earliest is None or after > earliest):
        earliest_rules = [c for c in mins if c.earliest == after]
        earliest = after
    else:
        earliest_rules = [c for c in mins if c.earliest == earliest]
    return NextStep(step, earliest, latest, earliest_rules, [c for c in maxes if c.latest == latest], after)
