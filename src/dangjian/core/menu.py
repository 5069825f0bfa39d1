"""The left menu tree. Apps add their entries from AppConfig.ready; items show only where the user may act."""

from dataclasses import dataclass, field

from django.urls import reverse


@dataclass
class MenuItem:
    label: str
    url_name: str
    action: str = "view"  # the scope action needed to see the item
    icon: str = ""


@dataclass
class MenuGroup:
    key: str
    label: str
    icon: str
    order: int
    items: list[MenuItem] = field(default_factory=list)


MENU: dict[str, MenuGroup] = {}


def register_menu(key: str, label: str, icon: str, order: int, items: list[MenuItem]) -> None:
    group = MENU.setdefault(key, MenuGroup(key, label, icon, order))
    group.items.extend(items)


def menu_for(user, path: str) -> list[dict]:
    """The groups and items the user may see; one item is active: the one whose URL is the longest prefix."""
    groups = []
    for group in sorted(MENU.values(), key=lambda g: g.order):
        items = [{"label": item.label, "url": reverse(item.url_name), "icon": item.icon, "active": False}
                 for item in group.items if not item.action or user.can(item.action)]
        if items:
            groups.append({"label": group.label, "icon": group.icon, "items": items})
    matches = [i for g in groups for i in g["items"] if path == i["url"] or (i["url"] != "/" and path.startswith(i["url"]))]
    if matches:
        max(matches, key=lambda i: len(i["url"]))["active"] = True
    for g in groups:
        g["open"] = any(i["active"] for i in g["items"])
    return groups
