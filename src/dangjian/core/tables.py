"""Declared table columns: a list page is a queryset + a filterset + these columns (NetBox's pattern)."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Col:
    label: str
    value: Callable  # obj → displayed value
    link: Callable | None = None  # obj → url
    export: Callable | None = None  # obj → value written to xlsx (default: value)

    def cell(self, obj) -> dict:
        value = self.value(obj)
        if isinstance(value, dt.date):
            value = value.isoformat()[:10]
        return {"value": "" if value is None else value, "url": self.link(obj) if self.link else None}

    def export_value(self, obj):
        return (self.export or self.value)(obj)


def attr(name: str) -> Callable:
    """Col value from a dotted attribute path, tolerant of None along the way."""

    def get(obj):
        for part in name.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                return ""
            if callable(obj):
                obj = obj()
        return obj

    return get
