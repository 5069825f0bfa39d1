"""A whole lifecycle through the services, and the metrics it produces."""

import pytest

from dangjian.tickets import queries, services
from dangjian.tickets.errors import Conflict, Forbidden, Invalid
from dangjian.tickets.models import Assignment, Ticket


@pytest.fixture
def town_station(county):
    return county.station  # BM001-01, in 城关镇, inside township_admin's command scope


def report(county, **kw):
    return services.do_report_ticket(actor=county.users["grid_worker"], title="垃圾堆放", description="路边垃圾未清运",
                                     category=kw.pop("category", "0102"), grid="369901001001001",
                                     source="grid_worker", **kw)


def test_full_lifecycle(county, town_station):
    admin, handler = county.users["township_admin"], None
    ticket = report(county)
    assert ticket.number.startswith("GD") and ticket.status == "reported"
    services.do_register(actor=admin, ticket=ticket)
    a = services.do_dispatch(actor=admin, ticket=ticket, department="BM001-01")
    ticket.refresh_from_db()
    assert ticket.status == "dispatched" and ticket.deadline == a.deadline
    from dangjian.accounts.services import do_create_user
    handler, _ = do_create_user(actor=None, username="station", password="Test@2026pw", role="department_handler",
                                scope_code="BM001-01")
    services.do_accept(actor=handler, ticket=ticket)
    with pytest.raises(Conflict):
        services.do_accept(actor=handler, ticket=ticket)
    services.do_resolve(actor=handler, ticket=ticket, result="已清运")
    services.do_verify(actor=admin, ticket=ticket, passed=False, note="仍有垃圾")
    services.do_resolve(actor=handler, ticket=ticket, result="已彻底清运")
    services.do_verify(actor=admin, ticket=ticket, passed=True)
    services.do_rate(actor=county.users["grid_worker"], ticket=ticket, satisfaction="satisfied")
    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.satisfaction == "satisfied"
    m = queries.ticket_metrics(Assignment.objects.all())
    assert m["dispatched"] == 1 and m["accepted"] == 1 and m["closed"] == 1 and m["on_time"] == 1
    assert m["resolved"] == 2 and m["reopened"] == 1 and m["rework_rate"] == 0.5
    assert m["rated"] == 1 and m["satisfaction_rate"] == 1.0
    assert [e.kind for e in ticket.events.all()] == ["report", "register", "dispatch", "accept", "resolve", "reopen",
                                                     "resolve", "close", "rate"]


def test_refusals(county):
    ticket = report(county)
    with pytest.raises(Forbidden):
        services.do_register(actor=county.users["grid_worker"], ticket=ticket)
    with pytest.raises(Invalid):
        services.do_reject(actor=county.users["township_admin"], ticket=ticket, reason=" ")
    with pytest.raises(Forbidden):
        services.do_dispatch(actor=county.users["township_admin"], ticket=ticket, department="BM001")
    with pytest.raises(Invalid):
        report(county, category="01")
    assert Ticket.objects.get(pk=ticket.pk).status == "reported"


def test_metrics_cli_json_and_text(county):
    import json
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    ticket = report(county)
    services.do_register(actor=None, ticket=ticket)
    services.do_dispatch(actor=None, ticket=ticket, department="BM001")
    out = StringIO()
    call_command("tickets", "metrics", "--scope", "369901", "--format", "json", stdout=out)
    body = json.loads(out.getvalue())
    assert (body["dispatched"], body["accepted"], body["acceptance_rate"], body["on_time_rate"]) == (1, 0, 0.0, None)
    out = StringIO()
    call_command("tickets", "metrics", "--scope", "BM001", stdout=out)
    assert "受理率：0.0%（0 / 1）" in out.getvalue() and "按期办结率：—（分母为 0）" in out.getvalue()
    with pytest.raises(CommandError, match="找不到代码"):
        call_command("tickets", "metrics", "--scope", "999999", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("tickets", "metrics", "--from", "2026-13-45", stdout=StringIO())
