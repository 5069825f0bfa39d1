from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key, 0) if mapping else 0


@register.filter
def percent(value, digits=1):
    """0.97912 → '97.9%'; None → '—' (an empty denominator)."""
    if value is None:
        return "—"
    return f"{value * 100:.{int(digits)}f}%"
