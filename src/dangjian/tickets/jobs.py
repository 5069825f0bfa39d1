"""The ticket part of `dangjian tick`: escalations, reminders before deadlines, overdue notices. Idempotent:
escalations are claimed with a conditional update, notifications carry a key per assignment and deadline."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from dangjian.core.notify import notify

from .models import Assignment, Ticket, TicketEvent, TicketPolicy
from .services import command_users, handler_users, record_event, ticket_url


def _when(moment) -> str:
    return f"{timezone.localtime(moment):%m-%d %H:%M}"


def run_deadlines(now=None) -> dict:
    now = now or timezone.now()
    policy = TicketPolicy.current()
    counts = {"escalated": 0, "reminders": 0, "overdue_notices": 0}
    late = (Assignment.objects.filter(status="pending", response_deadline__lt=now, escalated_at__isnull=True,
                                      ticket__status__in=Ticket.OPEN_STATUSES)
            .select_related("ticket", "department"))
    for a in late:
        with transaction.atomic():
            if not Assignment.objects.filter(pk=a.pk, status="pending", escalated_at__isnull=True).update(escalated_at=now):
                continue  # another tick claimed it
            note = f"{a.department.name}未在受理期限 {_when(a.response_deadline)} 前受理"
            record_event(a.ticket, TicketEvent.Kind.ESCALATE, None, now, assignment=a, note=note)
            notify(command_users(a.region_path), key=f"assignment:{a.pk}:escalated", level="danger",
                   title=f"超时未受理：{a.ticket.title}", body=note, url=ticket_url(a.ticket))
            counts["escalated"] += 1
    soon = (Assignment.objects.filter(status__in=("pending", "accepted"), deadline__gt=now,
                                      deadline__lte=now + dt.timedelta(hours=policy.warn_hours))
            .exclude(role="whistle").select_related("ticket"))
    for a in soon:
        counts["reminders"] += notify(
            handler_users(a.department_path), key=f"assignment:{a.pk}:due:{a.deadline.isoformat()}",
            title=f"即将到期：{a.ticket.title}", body=f"办结期限 {_when(a.deadline)}", url=ticket_url(a.ticket),
            level="warning", count_new=True)
    overdue = (Assignment.objects.filter(Assignment.overdue_q(now))
               .exclude(role="whistle")  # a late whistle is escalated above; it has no finish deadline of its own
               .select_related("ticket", "department"))
    for a in overdue:
        users = handler_users(a.department_path) + command_users(a.region_path)
        counts["overdue_notices"] += notify(
            users, key=f"assignment:{a.pk}:overdue:{a.deadline.isoformat()}", level="danger",
            title=f"已超期：{a.ticket.title}", body=f"{a.department.name} · 办结期限 {_when(a.deadline)}",
            url=ticket_url(a.ticket), count_new=True)
    return counts
