"""The overdue tickets of a region subtree for the monthly 工作通报 (registered with reports.briefing from
TicketsConfig.ready, so reports imports nothing from here)."""

import math
from urllib.parse import urlencode

from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone

from .models import Assignment, Ticket

LISTED = 10  # tickets listed by name; the count covers all of them


def overdue_section(node, period, now) -> dict | None:
    """超期未办结工单 under the region `node` at `now` (a ticket past its deadline while a department holds it): the
    count, and the longest overdue ones with their grid, lead department and days past the deadline."""
    tickets = Ticket.objects.filter(Ticket.overdue_q(now))
    if node.path:
        tickets = tickets.filter(region_path__startswith=node.path)
    total = tickets.count()
    day = timezone.localdate(now)
    as_of = f"{day.year}年{day.month}月{day.day}日"
    query = ({"region": node.code} if node.path else {}) | {"overdue": "true"}
    url = reverse("ticket-list") + "?" + urlencode(query)
    if not total:
        return {"paragraphs": [f"截至{as_of}，没有超期未办结的工单。"], "url": url}
    leads = Prefetch("assignments", queryset=Assignment.objects.filter(role="lead", status__in=("pending", "accepted"))
                     .select_related("department"), to_attr="open_leads")  # fmt: skip
    rows = []
    for i, t in enumerate(tickets.select_related("grid").prefetch_related(leads).order_by("deadline", "id")[:LISTED]):
        days = max(1, math.ceil((now - t.deadline).total_seconds() / 86400))
        departments = "、".join(a.department.name for a in t.open_leads) or "—"
        rows.append([str(i + 1), f"{t.number} {t.title}", t.grid.name, departments, f"{days}天"])
    text = f"截至{as_of}，超期未办结工单{total}件"
    text += f"，超期时间最长的{len(rows)}件如下表。" if total > len(rows) else "，详见下表。"
    return {"paragraphs": [text], "headers": ["序号", "工单", "所在网格", "主办部门", "超期"], "rows": rows,
            "widths": [3, 16, 8, 9, 4], "url": url, "left_col": 1}


def register() -> None:
    from dangjian.reports.briefing import BriefingSection, register_briefing_section

    register_briefing_section(BriefingSection("tickets.overdue", "超期未办结工单", "region", overdue_section, order=30))
