"""Run the registered rules for a subtree and a date, and keep the findings: new violations open, violations
that are gone resolve by themselves, waived ones stay waived while the violation lasts (and open again if it
resolves and later comes back).

County settings (RuleSetting) are merged over each rule's defaults per subtree: an organisation is checked with
the deepest setting above it, the rest of the tree with the defaults, and every violation is counted once."""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from . import params as rule_params
from .models import Finding, RuleSetting
from .registry import RULES, Rule, Violation


@dataclass(frozen=True)
class Setting:
    path: str
    params: dict
    enabled: bool


def load_settings(rule_ids, path: str = "") -> dict[str, list[Setting]]:
    """rule id → the settings that bear on the subtree at `path`: those above it and those inside it."""
    found: dict[str, list[Setting]] = {}
    rows = RuleSetting.objects.filter(rule__in=list(rule_ids)).values_list("rule", "org__path", "params", "enabled")
    for rule_id, org_path, stored, enabled in rows:
        if path.startswith(org_path) or org_path.startswith(path):
            found.setdefault(rule_id, []).append(Setting(org_path, stored or {}, enabled))
    return found


def effective(rule: Rule, chain: list[Setting]) -> tuple[dict, bool]:
    """The parameters and the on/off switch that a chain of settings (outermost first) gives a rule."""
    merged, enabled = dict(rule.params), True
    for s in chain:
        merged = rule_params.merge(merged, s.params)
        enabled = s.enabled
    return merged, enabled


def settings_at(rule: Rule, path: str, settings: list[Setting] | None = None) -> tuple[dict, bool, Setting | None]:
    """(params, enabled, own setting or None) for the organisation at `path`, as the engine would use them."""
    if settings is None:
        settings = load_settings([rule.id], path).get(rule.id, [])
    chain = sorted((s for s in settings if path.startswith(s.path)), key=lambda s: len(s.path))
    merged, enabled = effective(rule, chain)
    own = next((s for s in chain if s.path == path), None)
    return merged, enabled, own


def _evaluate_rule(rule: Rule, path: str, as_of: dt.date, settings: list[Setting], extra: dict):
    """The rule over the subtree, each part with its own settings: the subtree root with the settings above it,
    each setting inside it for its own subtree, minus the subtrees of the settings deeper still."""
    above = sorted((s for s in settings if path.startswith(s.path)), key=lambda s: len(s.path))
    inside = sorted((s for s in settings if s.path.startswith(path) and s.path != path), key=lambda s: len(s.path))
    parts = [(path, above)] + [(s.path, above + [t for t in inside if s.path.startswith(t.path)]) for s in inside]
    for part_path, chain in parts:
        merged, enabled = effective(rule, chain)
        if not enabled:
            continue
        merged.update(extra)
        deeper = [t.path for t in inside if t.path.startswith(part_path) and t.path != part_path]
        for v in rule.evaluate(part_path, as_of, merged):
            if deeper and any(v.org_path.startswith(d) for d in deeper):
                continue
            yield v


def evaluate(path: str = "", as_of: dt.date | None = None, rules=None, params=None) -> list[tuple[str, Violation]]:
    """(rule id, violation) for every selected rule over the subtree at `path` ('' = everything). `params`
    ({rule id: {name: value}}) overrides the stored settings, for trying values out."""
    as_of = as_of or dt.date.today()
    selected = list(rules or sorted(RULES))
    settings = load_settings(selected, path)
    found = []
    for rule in (RULES[r] for r in selected):
        extra = (params or {}).get(rule.id, {})
        found += [(rule.id, v) for v in _evaluate_rule(rule, path, as_of, settings.get(rule.id, []), extra)]
    return found


UPDATED_FIELDS = ["subject_code", "org_path", "severity", "message", "citation", "due", "last_seen", "status",
                  "resolved_on", "first_seen", "waived_by", "waived_reason", "waived_at"]  # fmt: skip


@transaction.atomic
def run(path: str = "", as_of: dt.date | None = None, rules=None, params=None, found=None) -> dict:
    """Evaluate (unless `found` is given) and store: returns counts of opened, still open, resolved.

    A finding that was resolved and is found again opens again (a waiver given before does not carry over)."""
    as_of = as_of or dt.date.today()
    if found is None:
        found = evaluate(path, as_of, rules, params)
    selected = rules or sorted(RULES)
    existing = {(f.rule, f.subject, f.subject_id, f.key): f
                for f in Finding.objects.filter(rule__in=selected, org_path__startswith=path)}
    seen, new, changed, seen_again, kept = set(), [], [], [], 0
    for rule_id, v in found:
        key = (rule_id, v.subject, v.subject_id, v.key)
        if key in seen:
            continue
        seen.add(key)
        rule = RULES[rule_id]
        fields = dict(subject_code=v.subject_code, org_path=v.org_path, severity=v.severity or rule.severity,
                      message=v.message[:500], citation=str(rule.citation)[:300], due=v.due, last_seen=as_of)
        f = existing.get(key)
        if f is None:
            new.append(Finding(rule=rule_id, subject=v.subject, subject_id=v.subject_id, key=v.key, first_seen=as_of,
                               **fields))
            continue
        kept += 1
        if f.status == Finding.Status.RESOLVED:
            fields.update(status=Finding.Status.OPEN, resolved_on=None, first_seen=as_of, waived_by_id=None,
                          waived_reason="", waived_at=None)
        if any(getattr(f, name) != value for name, value in fields.items() if name != "last_seen"):
            for name, value in fields.items():
                setattr(f, name, value)
            changed.append(f)
        elif f.last_seen != as_of:
            seen_again.append(f.pk)  # the usual case of a daily run: only the date moves, in a few statements
    # a concurrent run of an overlapping subtree may have just opened the same finding: that one stands
    Finding.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    Finding.objects.bulk_update(changed, UPDATED_FIELDS, batch_size=500)
    for i in range(0, len(seen_again), 5000):
        Finding.objects.filter(pk__in=seen_again[i:i + 5000]).update(last_seen=as_of)
    gone = [f.pk for key, f in existing.items()
            if key not in seen and f.status in (Finding.Status.OPEN, Finding.Status.WAIVED)]
    Finding.objects.filter(pk__in=gone).update(status=Finding.Status.RESOLVED, resolved_on=as_of)
    return {"opened": len(new), "open": kept, "resolved": len(gone)}
