"""Change history for people to read: Chinese field names, choice labels and related names, not codes."""

from django.core.exceptions import FieldDoesNotExist

ACTIONS = {0: "新建", 1: "修改", 2: "删除", 3: "查看"}
HIDDEN_FIELDS = {"id"}
EMPTY = {"None", "", None}


def _display(field, value, related: dict):
    if value in EMPTY:
        return "—"
    if field is None:
        return value
    if field.is_relation and field.many_to_one:
        return related.get((field.related_model, str(value)), value)
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    return value


def readable_history(entries, model) -> list[dict]:
    """[{at, actor, action, changes: [(label, old, new)]}] for auditlog entries of one model."""
    entries = list(entries)
    fields = {}
    wanted: dict = {}
    for entry in entries:
        for name, (old, new) in (entry.changes_dict or {}).items():
            try:
                field = fields.setdefault(name, model._meta.get_field(name))
            except FieldDoesNotExist:
                fields[name] = None
                continue
            if not getattr(field, "concrete", False):  # a reverse relation some auditlog versions list
                fields[name] = None
                continue
            if field.is_relation and field.many_to_one:
                wanted.setdefault(field.related_model, set()).update(v for v in (old, new) if v not in EMPTY)
    related = {
        (rel_model, str(obj.pk)): str(obj)
        for rel_model, pks in wanted.items()
        for obj in rel_model._base_manager.filter(pk__in=pks)
    }
    rows = []
    for entry in entries:
        changes = []
        for name, (old, new) in (entry.changes_dict or {}).items():
            if name in HIDDEN_FIELDS:
                continue
            field = fields.get(name)
            label = str(field.verbose_name) if field is not None else name
            changes.append((label, _display(field, old, related), _display(field, new, related)))
        rows.append({"at": entry.timestamp, "actor": entry.actor or "系统", "action": ACTIONS.get(entry.action, ""),
                     "changes": changes, "remote_addr": entry.remote_addr})  # fmt: skip
    return rows
