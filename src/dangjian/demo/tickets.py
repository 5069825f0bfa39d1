"""The demo county's 吹哨报到 work orders: grid workers and their visits, the command centers' and departments'
staff, and about three months of tickets ending now.

Every ticket is played through the same lifecycle the services implement (report → register → dispatch →
accept or return → extend → whistle and respond → resolve → verify, reopen → close → rate, or reject, or merge),
with the services' own deadline rule (`services.dispatch_deadlines`, working days from chinese-calendar and the
TicketPolicy), and stops at the first action that would lie in the future. So old tickets are closed and
rated, recent ones are still open, and a few recent ones are stuck past their deadline. The rows are then
written with multi-row inserts (dangjian.core.bulk) and explicit ids, each ticket's events in time order.

Determinism: the place, category, text and plan of every ticket come from generators seeded by the seed
(one per ticket), so the same seed gives the same tickets; only what has happened "by now" moves with the clock.
"""

import datetime as dt
import random
from collections import Counter, defaultdict

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from dangjian.accounts.models import RoleAssignment, User
from dangjian.core import workdays
from dangjian.core.bulk import insert_rows
from dangjian.places.models import Household, Region
from dangjian.tickets.models import (
    Assignment,
    GridWorker,
    Ticket,
    TicketCategory,
    TicketCounter,
    TicketEvent,
    TicketPolicy,
    Visit,
)
from dangjian.tickets.services import LOOP, dispatch_deadlines, status_for_lead
from dangjian.units.models import Department

from . import data

UTC = dt.UTC
Status, AStatus, Kind = Ticket.Status, Assignment.Status, TicketEvent.Kind

# How tickets go (shares of tickets; see TicketBuilder.play).
REJECTED = 0.025
MERGED = 0.012  # duplicates, on top of the tickets
MISDISPATCHED = 0.03  # dispatched to the wrong department, returned, dispatched again
LATE = 0.08  # resolved after the deadline
EXTENDED = 0.03
WHISTLED = 0.03  # of tickets led by a township station
REOPENED = 0.05
RATED = 0.9
STUCK_DAYS = 35  # tickets this recent may be stuck: never accepted, or never resolved
NEVER_ACCEPTED = 0.01
NEVER_RESOLVED = 0.04
SATISFACTION = {"satisfied": 84, "basically_satisfied": 12, "dissatisfied": 4}
# Hours of the day tickets are reported at (weights for 0–23 h).
REPORT_HOURS = [1, 1, 0, 0, 0, 1, 2, 5, 9, 11, 11, 9, 5, 5, 8, 10, 10, 9, 7, 6, 5, 4, 3, 2]
# Visits per worker and 30-day period, by kind of worker.
VISITS = {GridWorker.Kind.FULL_TIME: (3, 6), GridWorker.Kind.MICRO: (1, 3)}


def hours(value: float) -> dt.timedelta:
    return dt.timedelta(hours=value)


class _Staff:
    """The users who act on tickets: grid workers, command-center operators and department handlers."""

    def __init__(self, builder):
        self.b = builder
        demo = {
            a.user.username: a
            for a in RoleAssignment.objects.filter(
                user__username__in=[u for u, _ in data.DEMO_USERNAMES]
            ).select_related("user", "region")
        }
        self.county = demo["county_admin"].user
        self.resident, self.member = demo["resident"].user, demo["member"].user
        self.resident_place = demo["resident"].region.path  # the resident and the member live here
        self.users: list[User] = []
        self.roles: list[RoleAssignment] = []
        self.workers: list[GridWorker] = []
        self.worker_of: dict[int, GridWorker] = {}  # grid id → its worker
        self.operator_of: dict[int, User] = {}  # township id → the command-center operator
        self.handler_of: dict[int, User] = {}  # department id → its handler
        for township in builder.townships:
            if township.pk == demo["township_admin"].region_id:
                self.operator_of[township.pk] = demo["township_admin"].user
            else:
                self.operator_of[township.pk] = self.user(
                    f"zh{township.division_code}", "township_admin", region=township
                )
        for department in builder.departments.nodes:
            if department.pk == demo["department_handler"].department_id:
                self.handler_of[department.pk] = demo["department_handler"].user
            else:
                self.handler_of[department.pk] = self.user(
                    f"bm{department.code.lower()}", "department_handler", department=department
                )
        kinds = {
            Region.GridKind.STANDARD: GridWorker.Kind.FULL_TIME,
            Region.GridKind.COMPREHENSIVE: GridWorker.Kind.FULL_TIME,
            Region.GridKind.MICRO: GridWorker.Kind.MICRO,
        }
        for grid in builder.regions.nodes:
            if grid.level != Region.Level.GRID or grid.grid_kind not in kinds:
                continue
            if grid.pk == demo["grid_worker"].region_id:
                user = demo["grid_worker"].user
            else:
                user = self.user(f"wg{grid.division_code}", "grid_worker", region=grid, male_share=0.45)
            worker = GridWorker(
                user=user, grid=grid, region_path=grid.path, kind=kinds[grid.grid_kind], name=str(user)
            )
            self.workers.append(worker)
            self.worker_of[grid.pk] = worker

    def user(self, username: str, role: str, male_share: float = 0.6, **node) -> User:
        name = self.b.people.name(self.b.rng.random() < male_share)
        # No password: the administrator sets one when the person starts using the system.
        user = User(username=username, display_name=name, password=make_password(None))
        self.users.append(user)
        self.roles.append(RoleAssignment(user=user, role=role, **node))
        return user

    def save(self) -> None:
        User.objects.bulk_create(self.users, batch_size=1000)
        RoleAssignment.objects.bulk_create(self.roles, batch_size=1000)
        GridWorker.objects.bulk_create(self.workers, batch_size=1000)


class TicketBuilder:
    def __init__(self, builder, seed: int, now: dt.datetime):
        self.b = builder
        self.seed = seed
        self.now = now
        self.today = timezone.localtime(now).date()
        self.rng = random.Random(f"demo-tickets-{seed}")
        self.policy = TicketPolicy.current()
        self.categories = {
            c.code: c
            for c in TicketCategory.objects.filter(is_active=True, parent__isnull=False).select_related(
                "parent"
            )
            if c.code in data.TICKET_PROBLEMS
        }
        self.tickets: list[Ticket] = []
        self.assignments: list[Assignment] = []
        self.events: list[TicketEvent] = []
        self.finish: list = []  # merge events, whose notes name ticket numbers (given at the end)

    # --- the whole thing -------------------------------------------------------------------------------
    def build(self) -> None:
        self.staff = _Staff(self.b)
        self.staff.save()
        self.load_places()
        self.build_visits()
        self.build_tickets()
        self.save_tickets()

    def load_places(self) -> None:
        b = self.b
        self.region_by_path = {r.path: r for r in b.regions.nodes}
        self.township_of = {}  # grid id → township
        for grid in b.regions.nodes:
            if grid.level == Region.Level.GRID:
                self.township_of[grid.pk] = self.region_by_path[grid.path[: 2 * Region.steplen]]
        # grid id → the households in it or in its micro-grids: (id, region_path, address, estate)
        self.households = defaultdict(list)
        grid_ids = {r.path: r.pk for r in b.regions.nodes if r.level == Region.Level.GRID}
        rows = Household.objects.filter(region_path__startswith=b.townships[0].path[: Region.steplen])
        for row in rows.order_by("id").values_list("id", "region_path", "address", "building__estate"):
            home = (row[0], row[1], row[2], row[3] or "")
            for depth in range(4 * Region.steplen, len(row[1]) + 1, Region.steplen):
                if row[1][:depth] in grid_ids:
                    self.households[grid_ids[row[1][:depth]]].append(home)
        self.stations = {}  # (township id, suffix) → station
        self.department_by_name = dict(b.department_by_name)
        for township in b.townships:
            short = (
                township.name.removesuffix("街道") if township.level == Region.Level.STREET else township.name
            )
            for suffix, _ in data.STATIONS:
                self.stations[township.pk, suffix] = b.department_by_name[f"{short}{suffix}"]
        kinds = defaultdict(list)
        for dept in b.departments.nodes:
            kinds[dept.kind].append(dept)
        self.by_kind = kinds
        self.micro_of = defaultdict(list)  # comprehensive grid id → its micro grids
        for node in b.regions.nodes:
            if node.grid_kind == Region.GridKind.MICRO:
                self.micro_of[self.region_by_path[node.path[: -Region.steplen]].pk].append(node)

    # --- grid workers' visits --------------------------------------------------------------------------
    def build_visits(self) -> None:
        rng = random.Random(f"demo-visits-{self.seed}")
        visits = []
        for worker in self.staff.workers:
            grid = worker.grid
            homes = self.households[grid.pk]  # as services.do_record_visit: households in the worker's grid
            if not homes:
                continue
            low, high = VISITS[worker.kind]
            seen = set()
            for period in range(data.TICKET_MONTHS):
                for _ in range(rng.randint(low, high)):
                    day = self.today - dt.timedelta(days=rng.randint(period * 30, period * 30 + 29))
                    home_id, path, _, _ = rng.choice(homes)
                    if (home_id, day) in seen:  # one visit per household and day
                        continue
                    seen.add((home_id, day))
                    created = timezone.make_aware(dt.datetime.combine(day, dt.time(rng.randint(9, 20))))
                    visits.append(
                        Visit(
                            worker=worker,
                            household_id=home_id,
                            region_path=path,
                            visited_on=day,
                            note=rng.choice(data.VISIT_NOTES),
                            created_at=min(created, self.now),
                        )
                    )
        visits.sort(key=lambda v: (v.visited_on, v.worker.pk))
        insert_rows(Visit, visits, ["worker", "household", "region_path", "visited_on", "note", "created_at"])

    # --- tickets ---------------------------------------------------------------------------------------
    def build_tickets(self) -> None:
        rng = self.rng
        kinds = {
            Region.GridKind.STANDARD: "village",
            Region.GridKind.COMPREHENSIVE: "community",
            Region.GridKind.DEDICATED: "dedicated",
        }
        grids = [g for g in self.b.regions.nodes if g.level == Region.Level.GRID and g.grid_kind in kinds]
        weights = [(g.population or 500) ** 0.5 for g in grids]
        total = round(len(grids) * data.TICKETS_PER_GRID_MONTH * data.TICKET_MONTHS)
        days = [self.today - dt.timedelta(days=n) for n in range(data.TICKET_MONTHS * 30)]
        day_weights = [1.0 if workdays.is_workday(d) else 0.6 for d in days]
        by_major = defaultdict(list)
        for code in sorted(self.categories):
            by_major[code[:2]].append(code)
        for n in range(total):
            grid = rng.choices(grids, weights)[0]
            day = rng.choices(days, day_weights)[0]
            moment = dt.datetime.combine(day, dt.time(rng.choices(range(24), REPORT_HOURS)[0]))
            moment += dt.timedelta(seconds=rng.randrange(3600))
            created = timezone.make_aware(moment).astimezone(UTC)
            area = kinds[grid.grid_kind]
            majors = {m: w for m, w in data.CATEGORY_WEIGHTS[area].items() if w and by_major[m]}
            code = rng.choice(by_major[rng.choices(list(majors), list(majors.values()))[0]])
            sources = data.SOURCE_WEIGHTS[area]
            source = rng.choices(list(sources), list(sources.values()))[0]
            if created > self.now:
                continue
            # Each ticket has its own generator: what has happened by now does not shift the others.
            ticket_rng = random.Random(f"demo-ticket-{self.seed}-{n}")
            ticket = self.new_ticket(ticket_rng, grid, self.categories[code], source, created)
            self.play(ticket, ticket_rng)
            if ticket_rng.random() < MERGED and not ticket._rejected:
                self.add_duplicate(ticket, ticket_rng)

    def new_ticket(self, rng, grid, category, source, created) -> Ticket:
        reporter = None
        if source == Ticket.Source.GRID_WORKER:
            micro = self.micro_of.get(grid.pk)
            if micro and rng.random() < 0.35:
                grid = rng.choice(micro)
            reporter = self.staff.worker_of[grid.pk].user
        elif source in (Ticket.Source.RESIDENT, Ticket.Source.MEMBER) and grid.path.startswith(
            self.staff.resident_place
        ):
            reporter = self.staff.resident if source == Ticket.Source.RESIDENT else self.staff.member
        homes = self.households[grid.pk]
        if not homes:  # a dedicated grid: a market, an industrial park, a scenic area
            address = place = grid.name.removesuffix("专属网格")
        else:
            _, _, address, estate = rng.choice(homes)
            parent = self.region_by_path[grid.path[: 3 * Region.steplen]]  # the village or community
            if estate:  # 锦绣花园3栋2单元1501室, in a community
                place, address = estate, parent.name + address
            else:  # 张家湾村2组7号, in a village
                place = parent.name
        problem = rng.choice(data.TICKET_PROBLEMS[category.code])
        detail = rng.choice(data.TICKET_DETAILS.get(category.code[:2], ["请相关部门核实处理。"]))
        lag = rng.uniform(0.5, 36) if source == Ticket.Source.HOTLINE else rng.uniform(0.05, 6)
        unit = category.time_unit == TicketCategory.Unit.HOURS
        urgent = rng.random() < (0.4 if unit else 0.1 if category.code in ("0801", "0805", "0806") else 0.004)
        ticket = Ticket(
            title=f"{place}{problem}"[:100],
            description=f"{address}附近{problem}，{detail}",
            category=category,
            source=source,
            grid=grid,
            region_path=grid.path,
            address=address[:200],
            urgent=urgent,
            reporter=reporter,
            occurred_at=created - hours(lag),
            created_at=created,
            status=Status.REPORTED,
        )
        ticket._events, ticket._assignments, ticket._rejected = [], [], False
        ticket._township = self.township_of[grid.pk]
        ticket._operator = self.staff.operator_of[ticket._township.pk]
        self.tickets.append(ticket)
        return ticket

    # --- one lifecycle ---------------------------------------------------------------------------------
    def event(self, ticket, kind, actor, at, note="", assignment=None, data_=None) -> TicketEvent:
        event = TicketEvent(
            kind=kind,
            actor=actor,
            actor_name=str(actor) if actor is not None else "系统",
            at=at,
            note=note,
            data=data_ or {},
        )
        event._ticket, event._assignment, event._seq = ticket, assignment, len(self.events)
        ticket._events.append(event)
        self.events.append(event)
        return event

    @staticmethod
    def sync(ticket) -> None:
        """services.status_for_lead, on the unsaved rows."""
        if ticket.status not in LOOP:
            return
        leads = [
            a for a in ticket._assignments if a.role == "lead" and a.status in Assignment.ACTIVE_STATUSES
        ]
        ticket.status, ticket.deadline = status_for_lead(max(leads, key=lambda a: a.dispatched_at) if leads else None)

    def office(self, rng, at: dt.datetime) -> dt.datetime:
        """`at`, or the next morning if it falls outside office hours (8:00–19:00)."""
        local = timezone.localtime(at)
        if local.hour < 8:
            local = local.replace(hour=8, minute=rng.randrange(60))
        elif local.hour >= 19:
            local = (local + dt.timedelta(days=1)).replace(hour=8, minute=rng.randrange(60))
        return local.astimezone(UTC)

    def later(self, rng, at, low, high, urgent=False) -> dt.datetime:
        moved = at + hours(rng.uniform(low, high))
        return moved if urgent else self.office(rng, moved)

    def dispatch(self, ticket, department, by, at, role="lead") -> Assignment:
        response_deadline, deadline = dispatch_deadlines(ticket, self.policy, at)
        assignment = self.assignment(ticket, department, by, at, role, response_deadline, deadline)
        self.event(ticket, Kind.DISPATCH, by, at, assignment=assignment,
                   data_={"department": department.code, "role": role, "deadline": deadline.isoformat()})  # fmt: skip
        self.sync(ticket)
        return assignment

    def assignment(self, ticket, department, by, at, role, response_deadline, deadline) -> Assignment:
        a = Assignment(
            department=department,
            department_path=department.path,
            region_path=ticket.region_path,
            grid_id=ticket.grid_id,
            category_id=ticket.category_id,
            source=ticket.source,
            role=role,
            status=AStatus.PENDING,
            dispatched_at=at,
            dispatched_by=by,
            response_deadline=response_deadline,
            deadline=deadline,
        )
        a._ticket, a._seq = ticket, len(self.assignments)
        ticket._assignments.append(a)
        self.assignments.append(a)
        return a

    def handlers(self, ticket, rng) -> list[Department]:
        """The departments that handle the ticket's category, of the category's department kind if possible."""
        category, township = ticket.category, ticket._township
        found = []
        for name in data.TICKET_HANDLERS.get(category.code, []):
            dept = self.stations.get((township.pk, name)) or self.department_by_name.get(name)
            if dept is not None:
                found.append(dept)
        matching = [d for d in found if d.kind == category.department_kind]
        if matching:
            return matching
        if found:
            return found
        pool = self.by_kind.get(category.department_kind) or self.by_kind[Department.Kind.COUNTY]
        pool = [d for d in pool if d.kind != Department.Kind.STATION or d.region_id == township.pk] or pool
        return [rng.choice(pool)]

    def wrong_department(self, rng, right: Department, township) -> Department:
        if right.kind == Department.Kind.STATION:
            pool = [d for (t, _), d in self.stations.items() if t == township.pk]
        else:
            pool = self.by_kind[right.kind]
        return rng.choice([d for d in pool if d.pk != right.pk] or pool)

    def dispatcher(self, ticket, department) -> User:
        """Township stations are dispatched by the township's command center, the rest by the county's."""
        if department.kind == Department.Kind.STATION and department.region_id == ticket._township.pk:
            return ticket._operator
        return self.staff.county

    def play(self, ticket: Ticket, rng: random.Random) -> None:
        """Run the ticket's lifecycle up to now. The draws come in the same order whatever the time, so a
        later clock only lets the same story run further."""
        now, policy, staff = self.now, self.policy, self.staff
        urgent = ticket.urgent
        recent = (now - ticket.created_at).days < STUCK_DAYS
        roll = {key: rng.random() for key in ("reject", "wrong", "late", "extend", "whistle", "reopen", "rate",
                                              "stuck")}  # fmt: skip
        stuck = None
        if recent and roll["stuck"] < NEVER_ACCEPTED:
            stuck = "accept"
        elif recent and roll["stuck"] < NEVER_ACCEPTED + NEVER_RESOLVED:
            stuck = "resolve"
        satisfaction = rng.choices(list(SATISFACTION), list(SATISFACTION.values()))[0]
        ticket._rejected = roll["reject"] < REJECTED and not urgent
        operator = ticket._operator

        at = ticket.created_at
        self.event(ticket, Kind.REPORT, ticket.reporter, at, note=ticket.description)
        if ticket._rejected:
            at = self.later(rng, at, 0.3, 6)
            if at > now:
                return
            ticket.status, ticket.closed_at = Status.REJECTED, at
            self.event(ticket, Kind.REJECT, operator, at, note=rng.choice(data.TICKET_REJECT_REASONS))
            return
        at = self.later(rng, at, 0.05, 0.5, True) if urgent else self.later(rng, at, 0.2, 5)
        if at > now:
            return
        ticket.status, ticket.registered_at = Status.REGISTERED, at
        self.event(ticket, Kind.REGISTER, operator, at)

        handlers = self.handlers(ticket, rng)
        department = handlers[0] if len(handlers) == 1 or rng.random() < 0.75 else rng.choice(handlers[1:])
        dispatcher = self.dispatcher(ticket, department)
        at = self.later(rng, at, 0.05, 0.3, True) if urgent else self.later(rng, at, 0.1, 2)
        if roll["wrong"] < MISDISPATCHED and not urgent:
            # 派错了: the first department returns it within the return limit, and it is dispatched again.
            wrong = self.wrong_department(rng, department, ticket._township)
            back = self.later(rng, at, 0.5, 20)
            if at > now:
                return
            a = self.dispatch(ticket, wrong, self.dispatcher(ticket, wrong), at)
            start = timezone.localtime(a.dispatched_at).date()
            if workdays.workdays_between(start, timezone.localtime(back).date()) > policy.return_workdays:
                back = at + hours(1)
            if back > now:
                return
            reason = f"经核实，该事件不属于本单位职责范围，建议由{department.name}办理。"
            a.status, a.returned_at, a.return_reason = AStatus.RETURNED, back, reason
            self.event(ticket, Kind.RETURN, staff.handler_of[wrong.pk], back, note=reason, assignment=a)
            self.sync(ticket)
            at = self.later(rng, back, 0.3, 3)
        if at > now:
            return
        a = self.dispatch(ticket, department, dispatcher, at)
        handler = staff.handler_of[department.pk]
        if stuck == "accept":
            return

        at = self.later(rng, at, 0.05, 1, True) if urgent else self.later(rng, at, 0.2, 16)
        if at > now:
            return
        a.status, a.accepted_at = AStatus.ACCEPTED, at
        self.event(ticket, Kind.ACCEPT, handler, at, assignment=a)
        self.sync(ticket)
        if stuck == "resolve":
            return

        if roll["extend"] < EXTENDED and not urgent and a.deadline > at + hours(4):
            asked = at + (a.deadline - at) * rng.uniform(0.3, 0.8)
            decided = self.later(rng, asked, 1, 8)
            days = min(rng.randint(1, 3), policy.max_extension_workdays)
            reason = rng.choice(data.TICKET_EXTEND_REASONS)
            approved = rng.random() < 0.9
            if asked > now:
                return
            a.requested_days, a.extension_reason = days, reason
            self.event(ticket, Kind.EXTEND, handler, asked, note=reason, assignment=a, data_={"days": days})
            if decided > now:
                return
            a.requested_days = 0
            if approved:
                a.extension_days += days
                a.deadline = workdays.deadline(a.deadline, workdays=days)
            self.event(ticket, Kind.APPROVE_EXTENSION, dispatcher, decided, assignment=a,
                       data_={"approved": approved, "days": days, "deadline": a.deadline.isoformat()})  # fmt: skip
            self.sync(ticket)
            at = decided

        if roll["whistle"] < WHISTLED and department.kind == Department.Kind.STATION and not urgent:
            # 吹哨报到: the township summons county departments; the station resolves once they have come.
            whistled = self.later(rng, at, 1, 20)
            names = data.WHISTLE_DEPARTMENTS.get(ticket.category.code[:2], data.WHISTLE_DEPARTMENTS[""])
            summoned = rng.sample(names, min(len(names), rng.randint(2, 3)))
            arrivals = [whistled + hours(rng.uniform(1, 30)) for _ in summoned]
            notes = [rng.choice(data.TICKET_RESPOND_NOTES) for _ in summoned]
            reason = rng.choice(data.TICKET_WHISTLE_REASONS)
            if whistled > now:
                return
            due = workdays.deadline(whistled, hours=policy.whistle_response_hours)
            called = [self.assignment(ticket, self.department_by_name[name], operator, whistled, "whistle", due, due)
                      for name in summoned]  # fmt: skip
            self.event(ticket, Kind.WHISTLE, operator, whistled, note=reason,
                       data_={"departments": [w.department.code for w in called]})  # fmt: skip
            for w, came, note in sorted(zip(called, arrivals, notes, strict=True), key=lambda x: x[1]):
                if came > now:
                    return
                w.status, w.responded_at, w.result = AStatus.RESPONDED, came, note
                self.event(
                    ticket, Kind.RESPOND, staff.handler_of[w.department.pk], came, note=note, assignment=w
                )
                at = came

        results = data.TICKET_RESULTS.get(ticket.category.code[:2], ["已办结。"])
        done = self.resolve_time(rng, a, at, roll["late"] < LATE, urgent)
        result = rng.choice(results)
        if done > now:
            return
        self.resolve(ticket, a, handler, done, result)
        if roll["reopen"] < REOPENED and not urgent:
            checked = self.later(rng, done, 1, 20)
            note = rng.choice(data.TICKET_REOPEN_NOTES)
            if checked > now:
                return
            a.status, a.reopen_count = AStatus.ACCEPTED, a.reopen_count + 1
            self.event(ticket, Kind.REOPEN, dispatcher, checked, note=note, assignment=a)
            self.sync(ticket)
            done = self.later(rng, checked, 4, 48)
            if done > now:
                return
            self.resolve(ticket, a, handler, done, "已按核查意见整改到位。" + result)
        closed = self.later(rng, done, 0.1, 2, True) if urgent else self.later(rng, done, 0.5, 20)
        note = rng.choice(data.TICKET_CLOSE_NOTES)
        if closed > now:
            return
        self.close(ticket, dispatcher, closed, note)
        rated = closed + hours(rng.uniform(1, 48))
        if roll["rate"] < RATED and rated <= now:
            ticket.satisfaction = satisfaction
            for x in ticket._assignments:
                if x.role == "lead" and x.status == AStatus.CLOSED:
                    x.satisfaction = satisfaction
            # 回访: the reporter rates, or the command center calls the reporter back.
            self.event(ticket, Kind.RATE, ticket.reporter or operator, rated, data_={"satisfaction": satisfaction},
                       note="" if ticket.reporter else "电话回访")  # fmt: skip

    def resolve_time(self, rng, a, start, late: bool, urgent: bool) -> dt.datetime:
        """When the lead department resolves, having started at `start`: before the deadline, or after it."""
        span = (a.deadline - start).total_seconds() / 3600
        share, overrun, least = (
            rng.uniform(0.1, 0.85),
            rng.uniform(1, 8) if urgent else rng.uniform(2, 60),
            rng.uniform(0.3, 1),
        )
        if late:
            done = max(a.deadline + hours(overrun), start + hours(least))
        else:
            done = start + hours(least if span <= 1.5 else span * share)
        if urgent:
            return done
        shifted = self.office(rng, done)
        return shifted if late or shifted <= a.deadline else done

    def resolve(self, ticket, a, handler, at, result) -> None:
        a.status, a.resolved_at, a.result, a.resolve_count = AStatus.RESOLVED, at, result, a.resolve_count + 1
        self.event(ticket, Kind.RESOLVE, handler, at, note=result, assignment=a)
        self.sync(ticket)

    def close(self, ticket, by, at, note) -> None:
        """services.do_verify(passed=True)."""
        ticket.status, ticket.closed_at = Status.CLOSED, at
        spent = round((at - (ticket.registered_at or ticket.created_at)).total_seconds() / 3600, 2)
        for a in ticket._assignments:
            if a.role not in ("lead", "assist"):
                continue
            if a.status in (AStatus.ACCEPTED, AStatus.RESOLVED):
                a.status, a.closed_at, a.hours_to_close = AStatus.CLOSED, at, spent
                a.on_time = a.resolved_at is not None and a.resolved_at <= a.deadline
            elif a.status == AStatus.PENDING:
                a.status = AStatus.CANCELLED
        self.event(ticket, Kind.CLOSE, by, at, note=note)

    # --- duplicates --------------------------------------------------------------------------------------
    def add_duplicate(self, target: Ticket, rng: random.Random) -> None:
        """The same event reported again a little later; the command center merges it into the first."""
        created = target.created_at + hours(rng.uniform(0.5, 20))
        registered = self.later(rng, created, 0.1, 0.3, True) if rng.random() < 0.3 else None
        merged = self.later(rng, registered or created, 0.3, 4)
        source = rng.choice([Ticket.Source.HOTLINE, Ticket.Source.RESIDENT, Ticket.Source.INSPECTOR])
        if created > self.now:
            return
        dup = self.new_ticket(rng, target.grid, target.category, source, created)
        dup.reporter, dup.title, dup.urgent = None, target.title, target.urgent
        dup.description = f"{target.address}附近群众反映：{target.title}。"
        self.event(dup, Kind.REPORT, None, created, note=dup.description)
        if registered is not None:
            if registered > self.now:
                return
            dup.status, dup.registered_at = Status.REGISTERED, registered
            self.event(dup, Kind.REGISTER, dup._operator, registered)
        if merged > self.now:
            return
        dup.status, dup.duplicate_of, dup.closed_at = Status.MERGED, target, merged
        mine = self.event(dup, Kind.MERGE, dup._operator, merged)
        theirs = self.event(target, Kind.MERGE, dup._operator, merged)
        self.finish.append((mine, theirs, dup, target))

    # --- writing -----------------------------------------------------------------------------------------
    def save_tickets(self) -> None:
        tickets = sorted(self.tickets, key=lambda t: t.created_at)
        next_id = (Ticket.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        per_day = Counter()
        for n, ticket in enumerate(tickets):
            ticket.id = next_id + n
            day = timezone.localtime(ticket.created_at).date()
            per_day[day] += 1
            ticket.number = f"GD{day:%Y%m%d}{per_day[day]:04d}"
        for mine, theirs, dup, target in self.finish:
            dup.duplicate_of_id = target.id
            mine.note, mine.data = f"与工单{target.number}重复，已合并", {"into": target.number}
            theirs.note, theirs.data = f"合并了重复工单{dup.number}", {"from": dup.number}
        assignments = sorted(self.assignments, key=lambda a: (a.dispatched_at, a._seq))
        next_id = (Assignment.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        for n, a in enumerate(assignments):
            a.id, a.ticket_id = next_id + n, a._ticket.id
        events = sorted(self.events, key=lambda e: (e.at, e._seq))
        next_id = (TicketEvent.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        for n, e in enumerate(events):
            e.id, e.ticket_id = next_id + n, e._ticket.id
            e.assignment_id = e._assignment.id if e._assignment is not None else None
        for model, rows in ((Ticket, tickets), (Assignment, assignments), (TicketEvent, events)):
            insert_rows(model, rows, [f.name for f in model._meta.concrete_fields])
        # The ids were given here: move PostgreSQL's sequences past them (SQLite follows by itself).
        statements = connection.ops.sequence_reset_sql(no_style(), [Ticket, Assignment, TicketEvent])
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
        # The next ticket reported today through the services gets the next number of the day.
        TicketCounter.objects.filter(day__in=list(per_day)).delete()
        TicketCounter.objects.bulk_create([TicketCounter(day=d, last=n) for d, n in sorted(per_day.items())])


def build_tickets(builder, seed: int, now: dt.datetime | None = None) -> None:
    TicketBuilder(builder, seed, now or timezone.now()).build()
