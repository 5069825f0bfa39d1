"""Run the registered rules for a subtree and a date, and keep the findings: new violations open, violations
that are gone resolve by themselves, waived ones stay waived while the violation lasts."""

import datetime as dt

from django.db import transaction

from .models import Finding
from .registry import RULES, Violation


def evaluate(path: str = "", as_of: dt.date | None = None, rules=None, params=None) -> list[tuple[str, Violation]]:
    """(rule id, violation) for every selected rule over the subtree at `path` ('' = everything)."""
    as_of = as_of or dt.date.today()
    found = []
    for rule in (RULES[r] for r in (rules or sorted(RULES))):
        merged = {**rule.params, **((params or {}).get(rule.id, {}))}
        found += [(rule.id, v) for v in rule.evaluate(path, as_of, merged)]
    return found


@transaction.atomic
def run(path: str = "", as_of: dt.date | None = None, rules=None, params=None, found=None) -> dict:
    """Evaluate (unless `found` is given) and store: returns counts of opened, still open, resolved."""
    as_of = as_of or dt.date.today()
    if found is None:
        found = evaluate(path, as_of, rules, params)
    selected = rules or sorted(RULES)
    existing = {(f.rule, f.subject, f.subject_id, f.key): f
                for f in Finding.objects.filter(rule__in=selected, org_path__startswith=path)}
    seen, new, kept = set(), [], 0
    for rule_id, v in found:
        key = (rule_id, v.subject, v.subject_id, v.key)
        seen.add(key)
        rule = RULES[rule_id]
        fields = dict(subject_code=v.subject_code, org_path=v.org_path, severity=v.severity or rule.severity,
                      message=v.message[:500], citation=str(rule.citation)[:300], due=v.due, last_seen=as_of)
        f = existing.get(key)
        if f is None:
            new.append(Finding(rule=rule_id, subject=v.subject, subject_id=v.subject_id, key=v.key, first_seen=as_of,
                               **fields))
        else:
            if f.status == Finding.Status.RESOLVED:
                fields.update(status=Finding.Status.OPEN, resolved_on=None, first_seen=as_of)
            Finding.objects.filter(pk=f.pk).update(**fields)
            kept += 1
    Finding.objects.bulk_create(new)
    gone = [f.pk for key, f in existing.items() if key not in seen and f.status == Finding.Status.OPEN]
    Finding.objects.filter(pk__in=gone).update(status=Finding.Status.RESOLVED, resolved_on=as_of)
    return {"opened": len(new), "open": kept, "resolved": len(gone)}
