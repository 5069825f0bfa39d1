"""`dangjian tick`: escalations of dispatches not accepted in time, reminders before deadlines, overdue notices;
idempotent (a second run at the same moment changes nothing)."""

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command

from dangjian.core.models import Notification
from dangjian.tickets import services
from dangjian.tickets.models import Assignment, TicketEvent, TicketPolicy
from tests.tickets_helpers import T0, build, build_world, local, report, world_state

H = dt.timedelta(hours=1)


@pytest.fixture
def w(county):
    return build_world(county)


def tick(now, *, only=True):
    out = io.StringIO()
    kwargs = {"only": ["ticket_deadlines"]} if only else {}
    call_command("tick", now=now if isinstance(now, str) else now.isoformat(), stdout=out, **kwargs)
    summary = json.loads(out.getvalue())
    return summary["ticket_deadlines"] if only else summary


def keys(user, prefix=""):
    return set(Notification.objects.filter(user=user, key__startswith=prefix).values_list("key", flat=True))


@pytest.fixture
def desk(w):
    """Dispatched on Monday 2 March 09:20 to the station (0102: accept by Tue 23:59:59, finish by Wed 23:59:59):
    `pending` not accepted, `accepted` accepted, `closed` finished; and on the accepted one's ticket a whistle to
    BM001 due Tuesday 10:00."""
    pending = build(w, "dispatched").assignments.get()
    accepted = build(w, "processing").assignments.get()
    closed = build(w, "closed").assignments.get()
    (whistle,) = services.do_whistle(actor=w["township_admin"], ticket=accepted.ticket, departments=["BM001"],
                                     reason="需要到场", now=T0 + H)
    assert pending.response_deadline == local(2026, 3, 3, 23, 59, 59)
    assert pending.deadline == accepted.deadline == local(2026, 3, 4, 23, 59, 59)
    assert whistle.response_deadline == whistle.deadline == T0 + 25 * H
    return {"pending": pending, "accepted": accepted, "closed": closed, "whistle": whistle}


def test_nothing_to_do_before_any_deadline(w, desk):
    before = world_state()
    assert tick(T0 + 2 * H) == {"escalated": 0, "reminders": 0, "overdue_notices": 0}
    assert world_state() == before


def test_escalation_once_when_the_response_deadline_passes(w, desk):
    a = desk["pending"]
    command = (w["township_admin"], w["county_admin"])
    # the whistle is past its response time on Tuesday noon; the station's dispatch is not (until 23:59:59)
    first = tick(local(2026, 3, 3, 12, 0))
    assert first["escalated"] == 1
    assert TicketEvent.objects.filter(kind="escalate", assignment=desk["whistle"]).count() == 1
    assert not TicketEvent.objects.filter(kind="escalate", assignment=a).exists()
    assert tick(local(2026, 3, 3, 23, 59, 59))["escalated"] == 0  # at the deadline itself: not yet late
    result = tick(local(2026, 3, 4, 0, 0))
    assert result["escalated"] == 1
    event = TicketEvent.objects.get(kind="escalate", assignment=a)
    assert (event.at, event.actor, event.actor_name) == (local(2026, 3, 4), None, "系统")
    assert "城关镇规划建设站" in event.note and "未在受理期限" in event.note
    a.refresh_from_db()
    assert a.escalated_at == local(2026, 3, 4) and a.status == "pending"  # escalation does not change the state
    for user in command:
        note = Notification.objects.get(user=user, key=f"assignment:{a.pk}:escalated")
        assert note.level == "danger" and note.title.startswith("超时未受理：")
        assert note.url == f"/tickets/{a.ticket_id}/"
    assert not keys(w["hexi_admin"]) and not keys(w["department_handler"], f"assignment:{a.pk}:escalated")
    # later runs never escalate it again, even once it is accepted late
    assert tick(local(2026, 3, 4, 6, 0))["escalated"] == 0
    services.do_accept(actor=w["department_handler"], ticket=a.ticket, now=local(2026, 3, 4, 8, 0))
    assert tick(local(2026, 3, 4, 9, 0))["escalated"] == 0
    assert TicketEvent.objects.filter(kind="escalate").count() == 2


def test_accepted_or_finished_assignments_are_not_escalated(w, desk):
    tick(local(2026, 3, 10, 0, 0))
    escalated = set(TicketEvent.objects.filter(kind="escalate").values_list("assignment_id", flat=True))
    assert escalated == {desk["pending"].pk, desk["whistle"].pk}


def test_a_responded_whistle_is_not_escalated(w, desk):
    services.do_respond(actor=w["department_handler"], ticket=desk["whistle"].ticket, note="已到场",
                        now=T0 + 3 * H)
    assert tick(local(2026, 3, 3, 12, 0))["escalated"] == 0


def test_reminders_before_the_deadline(w, desk):
    handlers = (w["department_handler"], w["station_handler"])
    # 24 hours before Wednesday 23:59:59 is Tuesday 23:59:59
    assert tick(local(2026, 3, 3, 23, 59, 58))["reminders"] == 0
    result = tick(local(2026, 3, 3, 23, 59, 59))
    assert result["reminders"] == 4  # two open dispatches × two handlers of the station
    for key in (f"assignment:{desk['pending'].pk}:due:", f"assignment:{desk['accepted'].pk}:due:"):
        for user in handlers:
            (note,) = Notification.objects.filter(user=user, key__startswith=key)
            assert note.level == "warning" and note.title.startswith("即将到期：") and "03-04 23:59" in note.body
    reminded = set(Notification.objects.filter(key__contains=":due:").values_list("user__username", flat=True))
    assert reminded == {"department_handler", "station_handler"}  # the handlers only
    assert not Notification.objects.filter(key__startswith=f"assignment:{desk['closed'].pk}:due").exists()
    assert not Notification.objects.filter(key__startswith=f"assignment:{desk['whistle'].pk}:due").exists()
    assert tick(local(2026, 3, 4, 12, 0))["reminders"] == 0  # already reminded of this deadline


def test_a_new_deadline_gets_a_new_reminder(w, desk):
    a = desk["accepted"]
    assert tick(local(2026, 3, 4, 9, 0))["reminders"] == 4
    services.do_extend(actor=w["department_handler"], ticket=a.ticket, days=2, reason="需协调",
                       now=local(2026, 3, 4, 10, 0))
    services.do_approve_extension(actor=w["township_admin"], ticket=a.ticket, now=local(2026, 3, 4, 11, 0))
    a.refresh_from_db()
    assert a.deadline == local(2026, 3, 6, 23, 59, 59)
    assert tick(local(2026, 3, 5, 9, 0))["reminders"] == 0
    assert tick(local(2026, 3, 6, 9, 0))["reminders"] == 2
    assert len(keys(w["station_handler"], f"assignment:{a.pk}:due:")) == 2


def test_overdue_notices_once_per_deadline(w, desk):
    pending, accepted = desk["pending"], desk["accepted"]
    result = tick(local(2026, 3, 5, 0, 0))
    # the two station dispatches × (2 handlers + 2 command-center users); a late whistle is escalated, not
    # "overdue" (it has no finish deadline of its own)
    assert result["overdue_notices"] == 2 * 4
    assert not Notification.objects.filter(key__startswith=f"assignment:{desk['whistle'].pk}:overdue").exists()
    for a in (pending, accepted):
        for user in (w["department_handler"], w["station_handler"], w["township_admin"], w["county_admin"]):
            (note,) = Notification.objects.filter(user=user, key__startswith=f"assignment:{a.pk}:overdue:")
            assert note.level == "danger" and note.title.startswith("已超期：")
    assert not keys(w["hexi_admin"]) and not keys(w["water_handler"])
    assert tick(local(2026, 3, 6, 0, 0))["overdue_notices"] == 0
    # resolved in the meantime: no longer open, no notice for a later deadline either
    services.do_resolve(actor=w["department_handler"], ticket=accepted.ticket, result="已处理",
                        now=local(2026, 3, 6, 8, 0))
    Assignment.objects.filter(pk=pending.pk).update(deadline=local(2026, 3, 6, 12, 0))
    assert tick(local(2026, 3, 7, 0, 0))["overdue_notices"] == 4


def test_running_twice_changes_nothing(w, desk):
    moments = [local(2026, 3, 3, 12, 0), local(2026, 3, 4, 9, 0), local(2026, 3, 5, 9, 0), local(2026, 3, 9, 9, 0)]
    for moment in moments:
        first = tick(moment, only=False)
        snapshot = world_state()
        second = tick(moment, only=False)
        assert world_state() == snapshot, moment
        assert set(second) >= {"ticket_deadlines"}
        assert second["ticket_deadlines"] == {"escalated": 0, "reminders": 0, "overdue_notices": 0}, moment
        assert first["ticket_deadlines"] != second["ticket_deadlines"] or moment == moments[-1]


def test_urgent_tickets_are_escalated_within_hours(w):
    ticket = report(w, urgent=True)
    services.do_register(actor=w["township_admin"], ticket=ticket, now=T0)
    a = services.do_dispatch(actor=w["township_admin"], ticket=ticket, department="BM001-01", now=T0)
    assert a.response_deadline == T0 + TicketPolicy.current().urgent_response_hours * H
    # reminded at once: the 24-hour finish deadline is within the 24-hour warning window
    assert tick(T0 + 2 * H) == {"escalated": 0, "reminders": 2, "overdue_notices": 0}
    assert tick(T0 + 2 * H + dt.timedelta(seconds=1)) == {"escalated": 1, "reminders": 0, "overdue_notices": 0}
    assert tick(T0 + 24 * H + dt.timedelta(seconds=1)) == {"escalated": 0, "reminders": 0, "overdue_notices": 4}


def test_the_now_option(w, desk):
    assert tick("2026-03-04T00:00:00")["escalated"] == 2  # naive: Asia/Shanghai
    a = Assignment.objects.get(pk=desk["pending"].pk)
    assert a.escalated_at == local(2026, 3, 4)
    assert tick("2026-03-03T16:00:01Z")["escalated"] == 0  # = 2026-03-04 00:00:01 in Shanghai, already done
    with pytest.raises(CommandError, match="不是有效的时间"):
        tick("下周一")
