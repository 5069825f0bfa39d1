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
    groups = []
    for group in sorted(MENU.values(), key=lambda g: g.order):
        items = []
        for item in group.items:
            if item.action and not user.can(item.action):
                continue
            url = reverse(item.url_name)
            active = path == url or (url != "/" and path.startswith(url))
            items.append({"label": item.label, "url": url, "icon": item.icon, "active": active})
        if items:
            groups.append({"label": group.label, "icon": group.icon, "items": items,
                           "open": any(i["active"] for i in items)})
    return groups
