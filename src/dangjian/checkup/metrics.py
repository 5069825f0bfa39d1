"""Health-check figures for the reports: open findings (待整改) by severity and by rule, for every organisation
subtree. Registered late (reports.registry.register_later) because the rules come from every app's ready()."""

import re
from urllib.parse import urlencode

from django.db.models import Count, Q

from .models import Finding
from .registry import RULES

OPEN = Q(status=Finding.Status.OPEN)


def rule_key(rule_id: str) -> str:
    """'org.term.expired' → 'checkup.rule_org_term_expired'."""
    return "checkup.rule_" + re.sub(r"[^a-z0-9]+", "_", rule_id.lower()).strip("_")


def compute(group) -> dict:
    """Open findings in total, by severity and by rule, for every organisation of one depth: one grouped query."""
    counts = {"open": Count("id")}
    for severity in Finding.Severity:
        counts[f"open_{severity.value}"] = Count("id", filter=Q(severity=severity.value))
    for rule_id in sorted(RULES):
        counts[rule_key(rule_id).removeprefix("checkup.")] = Count("id", filter=Q(rule=rule_id))
    rows = group.grouped(Finding.objects.filter(OPEN), "org_path").annotate(**counts)
    return group.rows(rows, prefix="checkup.")


def _findings(**params):
    def url(node, period):
        from django.urls import NoReverseMatch, reverse

        try:
            base = reverse("checkup-findings")
        except NoReverseMatch:
            return None
        return base + "?" + urlencode(({"org": node.code} if node.path else {}) | {"status": "open"} | params)

    return url


def register() -> None:
    from dangjian.reports.registry import Metric, Source, register_source

    metrics = [Metric("checkup.open", "待整改问题", "个", "org", records=_findings(), group="制度体检", order=3000)]
    for i, severity in enumerate(Finding.Severity):
        metrics.append(Metric(f"checkup.open_{severity.value}", f"待整改问题（{severity.label}）", "个", "org",
                              records=_findings(severity=severity.value), group="制度体检", order=3001 + i))
    for i, rule_id in enumerate(sorted(RULES)):
        metrics.append(Metric(rule_key(rule_id), RULES[rule_id].title, "个", "org", records=_findings(rule=rule_id),
                              group="体检规则", order=3100 + i, help=rule_id))
    register_source(Source("checkup.findings", "org", "stock", tuple(m.key for m in metrics), compute), metrics)


def schedule() -> None:
    """Called from CheckupConfig.ready: register once every app has registered its rules."""
    from dangjian.reports.registry import register_later

    register_later(register)
