"""Reads of the checkup, always scoped: the organisation a page looks at, counts by rule and by child
organisation, and the month plan of the 本月待办 calendar."""

import calendar
import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Max, Q
from django.db.models.functions import Substr
from django.http import Http404

from dangjian.orgs.models import PartyOrg

from . import engine
from .models import DailyRun, Finding
from .registry import RULES

SEVERITIES = [(value, label) for value, label in Finding.Severity.choices]


def visible_findings(user, action: str = "view"):
    return Finding.objects.restrict(user, action)


def root_org(user, code: str | None, action: str = "view") -> PartyOrg:
    """The organisation a page looks at: `code` inside the user's scope for `action`, else their topmost one;
    404 when there is none (out of scope, unknown, or a user without an organisation scope)."""
    orgs = PartyOrg.objects.restrict(user, action)
    if code:
        org = orgs.filter(code=code.strip()).first()
    else:
        org = orgs.order_by("depth", "path").first()
    if org is None:
        raise Http404
    return org


def ancestors(org: PartyOrg, user) -> list[PartyOrg]:
    """The visible organisations above `org`, outermost first (for the breadcrumbs of the report)."""
    step = PartyOrg.steplen
    paths = [org.path[:n] for n in range(step, len(org.path), step)]
    return list(PartyOrg.objects.restrict(user, "view").filter(path__in=paths).order_by("depth"))


def status_counts(findings) -> dict:
    """{rule: {open, waived, resolved, overdue}} and per severity the open ones, for one query each."""
    from django.utils import timezone

    rows = findings.values("rule", "status").annotate(n=Count("pk"))
    by_rule: dict = {}
    for r in rows:
        by_rule.setdefault(r["rule"], {"open": 0, "waived": 0, "resolved": 0})[r["status"]] = r["n"]
    overdue = findings.filter(status=Finding.Status.OPEN, due__lt=timezone.localdate())
    for rule_id, n in overdue.values_list("rule").annotate(n=Count("pk")):
        by_rule.setdefault(rule_id, {"open": 0, "waived": 0, "resolved": 0})["overdue"] = n
    severity = dict(findings.filter(status=Finding.Status.OPEN).values_list("severity").annotate(n=Count("pk")))
    return {"by_rule": by_rule, "by_severity": severity}


@dataclass
class RuleRow:
    rule_id: str
    rule: object  # the registered Rule; None for a rule since removed whose findings remain
    open: int = 0
    waived: int = 0
    resolved: int = 0
    overdue: int = 0

    @property
    def total(self) -> int:
        return self.open + self.waived + self.resolved


def report(user, org: PartyOrg) -> dict:
    """体检报告 of a subtree: one row per registered rule (rules without findings too), totals by severity,
    the child organisations with their open counts, and the date of the latest run that saw a finding."""
    findings = visible_findings(user).filter(org_path__startswith=org.path)
    counts = status_counts(findings)
    rows = []
    for rule in sorted(RULES.values(), key=lambda r: r.id):
        c = counts["by_rule"].get(rule.id, {})
        rows.append(RuleRow(rule.id, rule, c.get("open", 0), c.get("waived", 0), c.get("resolved", 0),
                            c.get("overdue", 0)))
    for rule_id in sorted(set(counts["by_rule"]) - set(RULES)):  # a rule since removed: still counted
        c = counts["by_rule"][rule_id]
        rows.append(RuleRow(rule_id, None, c.get("open", 0), c.get("waived", 0), c.get("resolved", 0),
                            c.get("overdue", 0)))
    depth_len = len(org.path) + PartyOrg.steplen
    children = list(PartyOrg.objects.restrict(user, "view").filter(path__startswith=org.path, depth=org.depth + 1)
                    .order_by("path"))
    open_below = (findings.filter(status=Finding.Status.OPEN).exclude(org_path=org.path)
                  .annotate(head=Substr("org_path", 1, depth_len)).values("head", "severity").annotate(n=Count("pk")))
    by_child: dict = {}
    for r in open_below:
        by_child.setdefault(r["head"], {})[r["severity"]] = r["n"]
    child_rows = [{"org": c, **{s: by_child.get(c.path, {}).get(s, 0) for s, _ in SEVERITIES},
                   "open": sum(by_child.get(c.path, {}).values())} for c in children]
    own = findings.filter(status=Finding.Status.OPEN, org_path=org.path).count()
    return {
        "rows": rows,
        "severity": [(s, label, counts["by_severity"].get(s, 0)) for s, label in SEVERITIES],
        "total_open": sum(counts["by_severity"].values()),
        "total_waived": sum(r.waived for r in rows),
        "total_resolved": sum(r.resolved for r in rows),
        "children": child_rows,
        "own_open": own,
        "last_run": findings.aggregate(d=Max("last_seen"))["d"],
        "last_full_run": DailyRun.objects.filter(finished_at__isnull=False).order_by("-day").first(),
    }


def org_names(paths) -> dict[str, str]:
    """{org path: name} for the organisations at these paths (one query, for a page of findings)."""
    return dict(PartyOrg.objects.filter(path__in=set(paths)).values_list("path", "name"))


# ---- 本月待办 ----------------------------------------------------------------------------------------------------
KIND_LABELS = {"overdue": "已超期", "due": "本月到期", "upcoming": "月底前将成为问题", "resolved": "已整改",
               "waived": "已豁免"}  # fmt: skip
CARRIED_SHOWN = 8  # the earlier open findings listed above the calendar; the rest are a link to the list


@dataclass
class PlanItem:
    day: dt.date
    kind: str  # a key of KIND_LABELS
    rule_id: str
    title: str
    message: str
    citation: str
    severity: str
    due: dt.date | None = None
    finding_id: int | None = None

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def severity_label(self) -> str:
        return Finding.Severity(self.severity).label if self.severity in Finding.Severity.values else self.severity


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def month_plan(user, org: PartyOrg, month: dt.date, today: dt.date) -> dict:
    """What is due, overdue and coming in `month` for the subtree of `org`, each with the article behind it.

    - open findings whose deadline falls in the month (red once it has passed), and — in the current month —
      the open ones whose deadline passed before it or that have none;
    - for the current and later months, what will be a violation on the first day of the next month if
      nothing is done: the rules evaluated at that day, keeping the violations not present today (or, for a
      later month, on its first day); each is put
      on its own deadline when that falls in the month, otherwise on the last day of the month;
    - for past months, what was due then and how it ended (resolved, waived, still open)."""
    first, last = month_bounds(month)
    findings = visible_findings(user).filter(org_path__startswith=org.path)
    items: list[PlanItem] = []
    carried: list[PlanItem] = []

    def title_of(rule_id):
        return RULES[rule_id].title if rule_id in RULES else rule_id

    for f in findings.filter(due__gte=first, due__lte=last):
        if f.status == Finding.Status.OPEN:
            kind = "overdue" if f.due < today else "due"
        else:
            kind = f.status
        items.append(PlanItem(f.due, kind, f.rule, title_of(f.rule), f.message, f.citation, f.severity, f.due, f.pk))
    carried_count = 0
    if first <= today <= last:
        earlier = (findings.filter(Q(due__lt=first) | Q(due__isnull=True), status=Finding.Status.OPEN)
                   .order_by(F("due").asc(nulls_last=True), "org_path", "rule", "pk"))
        carried_count = earlier.count()
        for f in earlier[:CARRIED_SHOWN]:
            carried.append(PlanItem(f.due or today, "overdue", f.rule, title_of(f.rule), f.message, f.citation,
                                    f.severity, f.due, f.pk))
    if last >= today:
        start = max(today, first)  # a later month: what appears during it, not what is due before it
        now = {(r, v.subject, v.subject_id, v.key) for r, v in engine.evaluate(org.path, start)}
        later = engine.evaluate(org.path, last + dt.timedelta(days=1))
        for rule_id, v in later:
            if (rule_id, v.subject, v.subject_id, v.key) in now:
                continue
            day = v.due if v.due and max(first, today) <= v.due <= last else last
            rule = RULES[rule_id]
            items.append(PlanItem(day, "upcoming", rule_id, rule.title, v.message, str(rule.citation),
                                  v.severity or rule.severity, v.due))
    order = {"overdue": 0, "due": 1, "upcoming": 2, "waived": 3, "resolved": 4}
    items.sort(key=lambda i: (i.day, order[i.kind], i.rule_id))
    by_day: dict[dt.date, list[PlanItem]] = {}
    for item in items:
        by_day.setdefault(item.day, []).append(item)
    weeks = [[{"day": d, "in_month": d.month == first.month, "today": d == today, "items": by_day.get(d, [])}
              for d in week] for week in calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)]
    counts = {k: sum(1 for i in items if i.kind == k) for k in KIND_LABELS}
    counts["overdue"] += carried_count
    return {"first": first, "last": last, "weeks": weeks, "items": items, "carried": carried,
            "carried_count": carried_count, "carried_more": carried_count - len(carried), "counts": counts}
