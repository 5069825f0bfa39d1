"""The demo county's work orders: every row as the services would have left it, realistic figures, numbers
that the services carry on, determinism, and a reset that removes them."""

import datetime as dt
from collections import Counter, defaultdict
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from dangjian.accounts.models import User
from dangjian.core import workdays
from dangjian.demo.generator import build_demo
from dangjian.demo.ledger import reset_ledger
from dangjian.places.models import Household, Region
from dangjian.tickets import queries, services
from dangjian.tickets.models import (
    Assignment,
    GridWorker,
    Ticket,
    TicketCounter,
    TicketEvent,
    TicketPolicy,
    Visit,
)
from dangjian.units.models import Department

fast_hashing = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
LOOP = ("registered", "dispatched", "processing", "resolved")


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The county built once for the module (seed 1), removed again afterwards."""
    with django_db_blocker.unblock(), fast_hashing:
        started = timezone.now()
        counts = build_demo(seed=1)
        counts["started"] = started
    yield counts
    with django_db_blocker.unblock():
        reset_ledger()


def events_by_ticket():
    grouped = defaultdict(list)
    for e in TicketEvent.objects.order_by("id").values("ticket_id", "kind", "at", "actor_id", "actor_name",
                                                       "assignment_id", "data"):  # fmt: skip
        grouped[e["ticket_id"]].append(e)
    return grouped


@pytest.mark.django_db
def test_status_mix_is_realistic(demo):
    statuses = Counter(Ticket.objects.values_list("status", flat=True))
    total = sum(statuses.values())
    assert 2_000 <= total <= 5_000
    assert statuses["closed"] / total > 0.8
    for status in ("rejected", "merged", "dispatched", "processing", "resolved"):
        assert statuses[status] > 0, status
    assert demo["tickets"] == total and demo["ticket_statuses"] == {s: n for s, n in statuses.items() if n}
    assert Ticket.objects.filter(urgent=True).count() > 0
    assert Assignment.objects.filter(role="whistle", status="responded").count() > 0
    assert Assignment.objects.filter(role="lead", status="returned").count() > 0
    assert Assignment.objects.filter(reopen_count__gt=0).count() > 0
    closed = Ticket.objects.filter(status="closed")
    assert closed.exclude(satisfaction="").count() / closed.count() > 0.7
    now = timezone.now()
    first = Ticket.objects.order_by("created_at").first().created_at
    assert now - dt.timedelta(days=92) <= first and Ticket.objects.filter(created_at__gt=now).count() == 0
    assert Ticket.objects.filter(created_at__gte=now - dt.timedelta(days=3)).exists()


@pytest.mark.django_db
def test_statuses_follow_the_lead_assignment(demo):
    """Tickets in the dispatch loop have the status and deadline services.status_for_lead derives."""
    tickets = list(Ticket.objects.filter(status__in=LOOP))
    assert len(tickets) > 20
    for ticket in tickets:
        leads = list(ticket.assignments.filter(role="lead", status__in=Assignment.ACTIVE_STATUSES))
        assert len(leads) <= 1, ticket.number
        assert (ticket.status, ticket.deadline) == services.status_for_lead(leads[0] if leads else None), ticket.number


@pytest.mark.django_db
def test_rows_are_as_the_services_leave_them(demo):
    policy = TicketPolicy.current()
    tickets = {t.pk: t for t in Ticket.objects.select_related("category", "grid")}
    departments = {d.pk: d for d in Department.objects.all()}
    township_of = {r.path: r for r in Region.objects.filter(level__in=("township", "street"))}
    by_ticket = defaultdict(list)
    for a in Assignment.objects.order_by("dispatched_at", "id"):
        t = tickets[a.ticket_id]
        dept = departments[a.department_id]
        by_ticket[t.pk].append(a)
        assert (a.region_path, a.grid_id, a.category_id, a.source) == (t.region_path, t.grid_id, t.category_id,
                                                                        t.source)  # fmt: skip
        assert a.department_path == dept.path and a.dispatched_by_id is not None
        assert a.dispatched_at >= t.registered_at
        if a.role == "whistle":
            due = workdays.deadline(a.dispatched_at, hours=policy.whistle_response_hours)
            assert a.response_deadline == a.deadline == due
            assert (a.status == "responded") == (a.responded_at is not None)
            continue
        response, finish = services.dispatch_deadlines(t, policy, a.dispatched_at)
        assert a.response_deadline == response
        assert a.deadline == (
            workdays.deadline(finish, workdays=a.extension_days) if a.extension_days else finish
        )
        if a.status == "returned":
            assert a.accepted_at is None and a.return_reason and a.returned_at > a.dispatched_at
            start, end = (timezone.localtime(x).date() for x in (a.dispatched_at, a.returned_at))
            assert workdays.workdays_between(start, end) <= policy.return_workdays
            continue
        # the department that finally has it is of the category's kind, a station in the ticket's township
        assert dept.kind == t.category.department_kind, (t.category.code, dept.name)
        if dept.kind == "station":
            assert township_of[t.region_path[:8]].pk == dept.region_id
        if a.status == "pending":
            assert a.accepted_at is None and a.resolve_count == 0
            continue
        assert a.accepted_at >= a.dispatched_at
        assert (a.resolved_at is not None) == (a.resolve_count > 0)
        assert a.resolve_count >= a.reopen_count + (a.status in ("resolved", "closed"))
        if a.status == "closed":
            assert t.status == "closed" and a.closed_at == t.closed_at
            assert a.hours_to_close == round((t.closed_at - t.registered_at).total_seconds() / 3600, 2)
            assert a.on_time == (a.resolved_at <= a.deadline)
            assert a.satisfaction == t.satisfaction
        else:
            assert a.closed_at is None and a.on_time is None and a.hours_to_close is None
    for t in tickets.values():
        leads = [a for a in by_ticket[t.pk] if a.role == "lead"]
        active = [a for a in leads if a.status in Assignment.ACTIVE_STATUSES]
        assert len(active) <= 1
        if t.status == "closed":
            assert [a.status for a in leads if a.status != "returned"] == ["closed"]
            assert t.deadline == leads[-1].deadline and t.closed_at > t.registered_at
        elif t.status in ("rejected", "merged"):
            assert t.closed_at is not None and not leads and t.deadline is None
            assert (t.duplicate_of_id is not None) == (t.status == "merged")
        elif t.status == "reported":
            assert t.registered_at is None and not leads
        if t.status != "closed":
            assert t.satisfaction == ""
        assert t.occurred_at <= t.created_at
        if t.duplicate_of_id:
            assert tickets[t.duplicate_of_id].status not in ("merged", "rejected")


@pytest.mark.django_db
def test_events_are_in_time_order_one_per_action(demo):
    grouped = events_by_ticket()
    assignments = {a.pk: a for a in Assignment.objects.all()}
    per_ticket = defaultdict(list)
    for a in assignments.values():
        per_ticket[a.ticket_id].append(a)
    users = dict((pk, str(u)) for pk, u in User.objects.in_bulk().items())
    for t in Ticket.objects.all():
        events = grouped[t.pk]
        kinds = [e["kind"] for e in events]
        assert kinds[0] == "report" and kinds.count("report") == 1, t.number
        assert [e["at"] for e in events] == sorted(e["at"] for e in events), t.number
        assert events[0]["at"] == t.created_at
        assert all(e["at"] <= timezone.now() for e in events)
        for e in events:
            assert e["actor_name"], t.number
            assert e["actor_name"] == (users[e["actor_id"]] if e["actor_id"] else "系统")
        mine = per_ticket[t.pk]
        lead_like = [a for a in mine if a.role != "whistle"]
        count = Counter(kinds)
        assert count["dispatch"] == len(lead_like)
        assert count["accept"] == sum(a.accepted_at is not None for a in lead_like)
        assert count["return"] == sum(a.status == "returned" for a in lead_like)
        assert count["resolve"] == sum(a.resolve_count for a in lead_like)
        assert count["reopen"] == sum(a.reopen_count for a in lead_like)
        assert count["respond"] == sum(a.status == "responded" for a in mine)
        assert count["close"] == (t.status == "closed") and count["rate"] == bool(t.satisfaction)
        assert count["register"] == (t.registered_at is not None)
        assert count["reject"] == (t.status == "rejected")
        if t.status == "merged":
            assert kinds[-1] == "merge" and events[-1]["data"] == {"into": t.duplicate_of.number}
        for e in events:
            if e["kind"] == "dispatch":
                a = assignments[e["assignment_id"]]
                assert e["at"] == a.dispatched_at and e["data"]["role"] == a.role
            elif e["kind"] in ("accept", "return"):
                a = assignments[e["assignment_id"]]
                assert e["at"] == (a.accepted_at if e["kind"] == "accept" else a.returned_at)


@pytest.mark.django_db
def test_metrics_are_realistic(demo):
    m = queries.ticket_metrics(Assignment.objects.all())
    for key in ("acceptance_rate", "return_rate", "closure_rate", "on_time_rate", "extension_rate",
                "satisfaction_rate", "rework_rate", "response_rate"):  # fmt: skip
        assert m[key] is not None and 0 <= m[key] <= 1, key
    assert 0.9 <= m["acceptance_rate"] < 1
    assert 0.8 <= m["closure_rate"] < 1 and 0.75 <= m["on_time_rate"] < 1
    assert 0.85 <= m["satisfaction_rate"] < 1 and 0 < m["rework_rate"] < 0.15
    assert m["overdue_open"] > 0 and m["returned"] > 0 and m["whistled"] > 0 and m["reopened"] > 0
    assert 24 < m["avg_hours_to_close"] < 24 * 10
    township = User.objects.get(username="township_admin")
    scoped = queries.ticket_metrics(queries.scoped_assignments(township))
    assert 0 < scoped["dispatched"] < m["dispatched"]


@pytest.mark.django_db
def test_grid_workers_and_visits(demo):
    grids = Region.objects.filter(level="grid")
    workers = {w.grid_id: w for w in GridWorker.objects.select_related("user", "grid")}
    for grid in grids:
        if grid.grid_kind in ("standard", "comprehensive", "micro"):
            worker = workers[grid.pk]
            assert worker.kind == ("micro" if grid.grid_kind == "micro" else "full_time")
            assert worker.region_path == grid.path and worker.name == str(worker.user)
            assert worker.user.assignments.get().region_id == grid.pk
        else:
            assert grid.pk not in workers
    demo_worker = User.objects.get(username="grid_worker")
    assert demo_worker.grid_worker.grid == demo_worker.assignments.get().region
    today = timezone.localdate()
    visits = Visit.objects.select_related("worker__grid", "household")
    assert visits.count() >= 3 * len(workers)
    assert not visits.filter(visited_on__gt=today).exists()
    assert not visits.filter(visited_on__lt=today - dt.timedelta(days=92)).exists()
    for v in visits[::20]:
        # as services.do_record_visit: a household of the worker's own grid
        assert v.household.region_path == v.region_path and v.region_path.startswith(v.worker.region_path)
    assert visits.values("worker", "household", "visited_on").distinct().count() == visits.count()
    micro = GridWorker.objects.filter(kind="micro")
    assert Visit.objects.filter(worker__in=micro).values("worker").distinct().count() == micro.count()
    assert Visit.objects.filter(worker=demo_worker.grid_worker).count() >= 3
    # reports by grid workers are from their own grid
    reported = Ticket.objects.filter(source="grid_worker").select_related("reporter__grid_worker")
    assert reported.count() > 500
    assert all(t.reporter.grid_worker.grid_id == t.grid_id for t in reported)
    assert Ticket.objects.filter(reporter=demo_worker).exists()
    assert Ticket.objects.filter(reporter__isnull=True, source="hotline").exists()
    rows = queries.assessment(
        User.objects.get(username="county_admin"), today.replace(day=1) - dt.timedelta(days=1)
    )
    assert (
        len(rows) == len(workers) and sum(r["visits"] for r in rows) > 0 and sum(r["valid"] for r in rows) > 0
    )
    assert {r["band"] for r in rows} - {"red"}


@pytest.mark.django_db
def test_numbers_and_counters(demo):
    per_day = defaultdict(list)
    for number, created in Ticket.objects.order_by("created_at", "id").values_list("number", "created_at"):
        day = timezone.localtime(created).date()
        assert number[:10] == f"GD{day:%Y%m%d}" and len(number) == 14
        per_day[day].append(int(number[10:]))
    for day, numbers in per_day.items():
        assert numbers == list(range(1, len(numbers) + 1)), day
    assert dict(TicketCounter.objects.values_list("day", "last")) == {d: len(n) for d, n in per_day.items()}


@pytest.mark.django_db
def test_services_carry_on_from_the_demo(demo):
    """A ticket reported today gets the next number; open demo tickets can be worked on by their staff."""
    user = User.objects.get(username="grid_worker")
    today = timezone.localdate()
    prefix = f"GD{today:%Y%m%d}"
    numbers = Ticket.objects.filter(number__startswith=prefix).values_list("number", flat=True)
    last = max((int(n[10:]) for n in numbers), default=0)
    ticket = services.do_report_ticket(actor=user, title="路灯不亮", description="村口路灯不亮", category="0904",
                                       grid=user.grid_worker.grid, source="grid_worker")  # fmt: skip
    assert ticket.number == f"{prefix}{last + 1:04d}"

    pending = Assignment.objects.filter(role="lead", status="pending").select_related("ticket", "department")
    a = pending.first()
    handler = User.objects.get(assignments__department=a.department, assignments__role="department_handler")
    services.do_accept(actor=handler, ticket=a.ticket)
    a.ticket.refresh_from_db()
    assert a.ticket.status == "processing"

    resolved = Assignment.objects.filter(role="lead", status="resolved").select_related("ticket").first()
    verifier = User.objects.get(pk=resolved.dispatched_by_id)
    services.do_verify(actor=verifier, ticket=resolved.ticket, passed=True)
    resolved.refresh_from_db()
    assert resolved.status == "closed" and resolved.ticket.status == "closed"

    returned = Assignment.objects.filter(status="returned").select_related("ticket").first()
    township = Region.objects.get(path=returned.region_path[:8])
    operator = User.objects.get(assignments__region=township, assignments__role="township_admin")
    report = services.do_report_ticket(actor=None, title="热线来电", description="群众来电反映路面积水",
                                       category="0505", grid=returned.ticket.grid, source="hotline")  # fmt: skip
    services.do_register(actor=operator, ticket=report)
    services.do_merge(actor=operator, ticket=report, into=returned.ticket.number)


def signature(before: dt.datetime):
    """What the demo wrote up to `before`: tickets, and their events with the time they happened."""
    tickets = list(Ticket.objects.filter(created_at__lt=before).order_by("number")
                   .values_list("number", "title", "category__code", "grid__division_code", "source", "urgent",
                                "reporter__username", "created_at"))  # fmt: skip
    events = list(TicketEvent.objects.filter(at__lt=before).order_by("ticket__number", "at", "kind")
                  .values_list("ticket__number", "kind", "at", "actor_name"))  # fmt: skip
    return tickets, events


@pytest.mark.django_db
def test_reset_replaces_the_tickets_and_the_same_seed_gives_the_same_ones(demo):
    before = signature(demo["started"])
    user = User.objects.get(username="grid_worker")
    services.do_report_ticket(actor=user, title="重置前的工单", description="重置后不应存在", category="0102",
                              grid=user.grid_worker.grid, source="grid_worker")  # fmt: skip
    protected = (Ticket.objects.filter(duplicate_of__isnull=False).count(), Visit.objects.count())
    assert all(protected)
    with fast_hashing:
        call_command("demo", "--reset", "--seed", "1", stdout=StringIO())
    assert not Ticket.objects.filter(title="重置前的工单").exists()
    assert signature(demo["started"]) == before
    assert Household.objects.count() and GridWorker.objects.count() == demo["grid_workers"]
