"""Rule parameters: the defaults a rule declares, the values a county stored for a subtree (RuleSetting), and the
typed reading of a form. Values keep the type of their default (an int stays an int, a Decimal a Decimal); JSON
keeps Decimals and dates as text and they are read back through the default's type."""

import datetime as dt
from decimal import Decimal, InvalidOperation

# Labels for parameter names rules commonly use, when a rule gives none of its own (Rule.param_labels).
GENERIC_LABELS = {
    "minimum": "下限", "maximum": "上限", "threshold": "起点人数", "days": "天数", "months": "月数",
    "hours": "学时", "warning_months": "预警月数", "error_months": "违规月数", "frequency": "频次",
    "member": "党员", "secretary": "书记", "committee": "委员", "min_seats": "最少委员数",
    "max_seats": "最多委员数", "limit": "上限",
}  # fmt: skip


class ParamError(ValueError):
    """A parameter value was refused; the message is Chinese and names the parameter and the reason."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def flatten(params: dict, prefix: str = "") -> dict:
    """{"hours": {"member": 32}} → {"hours.member": 32}: one form field per scalar (or list) value."""
    flat = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def unflatten(flat: dict) -> dict:
    nested: dict = {}
    for name, value in flat.items():
        *parents, last = name.split(".")
        node = nested
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
    return nested


def label_of(rule, name: str) -> str:
    if name in rule.param_labels:
        return rule.param_labels[name]
    parts = name.split(".")
    return "·".join(GENERIC_LABELS.get(p, p) for p in parts)


def to_json(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    return value


def _cast(value, default):
    """A stored JSON value read back as the type of its default; None when it cannot be."""
    try:
        if isinstance(default, bool):
            return value if isinstance(value, bool) else None
        if isinstance(default, int):
            return int(value) if not isinstance(value, bool) and int(value) == Decimal(str(value)) else None
        if isinstance(default, Decimal):
            return Decimal(str(value))
        if isinstance(default, float):
            return float(value)
        if isinstance(default, dt.date):
            return dt.date.fromisoformat(str(value))
        if isinstance(default, list | tuple):
            element = default[0] if default else ""
            return [_cast(v, element) for v in value]
        if isinstance(default, dict):
            return merge(default, value) if isinstance(value, dict) else None
        return value if isinstance(value, type(default)) or default is None else str(value)
    except (TypeError, ValueError, InvalidOperation, ArithmeticError):
        return None


def merge(defaults: dict, stored: dict | None) -> dict:
    """The defaults with the stored values over them, each read back as its default's type. Unknown keys (a
    parameter the rule no longer has) and unreadable values are dropped, so a rule always gets what it expects."""
    merged = dict(defaults)
    for key, value in (stored or {}).items():
        if key in defaults:
            cast = _cast(value, defaults[key])
            if cast is not None:
                merged[key] = cast
    return merged


def overrides(defaults: dict, values: dict) -> dict:
    """Only what differs from the defaults, as JSON (nested dicts keep only their differing keys)."""
    out = {}
    for key, default in defaults.items():
        if key not in values:
            continue
        value = values[key]
        if isinstance(default, dict):
            inner = overrides(default, value)
            if inner:
                out[key] = inner
        elif value != default:
            out[key] = to_json(value)
    return out


def kind_of(default) -> str:
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "int"
    if isinstance(default, Decimal | float):
        return "decimal"
    if isinstance(default, dt.date):
        return "date"
    if isinstance(default, list | tuple):
        return "list"
    return "text"


def kind_label(default) -> str:
    return {"bool": "是/否", "int": "整数", "decimal": "数值", "date": "日期", "list": "多个值，用逗号分隔",
            "text": "文字"}[kind_of(default)]


def parse_value(raw, default, label: str, name: str = ""):
    """A form value read as the type of `default`; numbers must not be negative. Chinese errors name the field."""
    kind = kind_of(default)
    if kind == "bool":
        return raw in (True, "on", "1", "true", "True", "是")
    text = "" if raw is None else str(raw).strip()
    if kind == "list":
        element = default[0] if default else ""
        parts = [p.strip() for p in text.replace("，", ",").replace("、", ",").split(",") if p.strip()]
        return [parse_value(p, element, label, name) for p in parts]
    if not text:
        raise ParamError(f"请填写“{label}”", name)
    if kind == "int":
        try:
            value = int(text)
        except ValueError:
            raise ParamError(f"“{label}”应为整数，“{text}”不是整数", name) from None
    elif kind == "decimal":
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ParamError(f"“{label}”应为数值，“{text}”不是数值", name) from None
        if not value.is_finite():
            raise ParamError(f"“{label}”应为数值，“{text}”不是数值", name)
        if isinstance(default, float):
            value = float(value)
    elif kind == "date":
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ParamError(f"“{label}”应为日期（如 2026-01-01），“{text}”不是日期", name) from None
    else:
        return text
    if value < 0:
        raise ParamError(f"“{label}”不能为负数", name)
    return value


def parse_form(rule, data) -> dict:
    """All the rule's parameters read from a form (`data` has one entry per flattened name); raises ParamError
    for the first refused value."""
    values = {}
    for name, default in flatten(rule.params).items():
        values[name] = parse_value(data.get(name), default, label_of(rule, name), name)
    return unflatten(values)
