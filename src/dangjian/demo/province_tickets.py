"""Work orders of one county of the demo province: its departments (the county departments and utilities as tree
roots, the township stations under them, as in the demo county) and `plan.county_tickets` tickets over the three
years before `plan.today`, with their assignments and events (dangjian.demo.ticket_bulk). A county step of
dangjian.demo.province; does nothing when the plan asks for no tickets.

Acting users are not generated at this scale: the rows name the actor (the county's command center, the handling
department, 网格员 or 群众) and leave the user empty, as for users deleted since."""

import random

from dangjian.tickets.models import Assignment, Ticket, TicketCounter
from dangjian.units.models import Department

from . import data
from .ticket_bulk import Actors, Dept, TicketHistory, daily_counts, history_days

DEPT_ROOTS_PER_COUNTY = 64  # root numbers reserved per county (56 county departments and 5 utilities today)

_COUNTS: dict[tuple, list[int]] = {}


def county_daily_counts(plan, i: int) -> list[int]:
    key = (plan.seed, i, plan.county_tickets, plan.today)
    if key not in _COUNTS:
        _COUNTS[key] = daily_counts(plan.seed, i, history_days(plan.today, _tz()), plan.county_tickets)
    return _COUNTS[key]


def province_daily_totals(plan) -> list[int]:
    """Tickets a day over the whole province (for the width of the numbers and the day counters)."""
    totals = None
    for i in range(plan.counties):
        counts = county_daily_counts(plan, i)
        totals = list(counts) if totals is None else [a + b for a, b in zip(totals, counts, strict=True)]
    return totals or []


def number_width(plan) -> int:
    return 4 if max(province_daily_totals(plan), default=0) <= 9999 else 5


def _tz():
    from django.utils import timezone

    return timezone.get_current_timezone()


def build_departments(c) -> tuple[list[Dept], dict[str, list[Dept]]]:
    """The county's departments, written; returns (county departments, township path → stations)."""
    plan, i = c.plan, c.i
    next_id = plan.first_id(Department, i)
    limit = next_id + plan.strides[Department._meta.label]
    root_number = plan.dept_roots + i * DEPT_ROOTS_PER_COUNTY
    rows, county_depts, by_name, stations = [], [], {}, {}
    numchild: dict[int, int] = {}

    def add(path, depth, name, kind, region_id):
        nonlocal next_id
        if next_id >= limit:
            from .ledger import DemoError

            raise DemoError("每个县的职能部门数量超出预留编号范围")
        dept = Dept(next_id, path, f"BM{c.code}{len(rows) + 1:03d}", name)
        rows.append([next_id, path, depth, 0, dept.code, name, kind, region_id])
        next_id += 1
        return dept

    short = c.name.removesuffix("县")
    names = [(n, Department.Kind.COUNTY) for n in data.COUNTY_DEPARTMENTS] + [
        (n, Department.Kind.UTILITY) for n in data.UTILITIES]  # fmt: skip
    for k, (name, kind) in enumerate(names):
        dept = add(Department._get_path(None, 1, root_number + k + 1), 1, name.replace("示范县", c.name).replace(
            "示范", short), kind, c.county.id)  # fmt: skip
        by_name[name] = (dept, len(rows) - 1)
        if kind == Department.Kind.COUNTY:
            county_depts.append(dept)
    for town, _ in c.townships:
        town_name = town.fields["name"]
        prefix = town_name.removesuffix("街道") if town.fields["level"] == "street" else town_name
        for suffix, parent_name in data.STATIONS:
            parent, row = by_name[parent_name]
            numchild[row] = numchild.get(row, 0) + 1
            rows[row][3] = numchild[row]
            station = add(Department._get_path(parent.path, 2, numchild[row]), 2, f"{prefix}{suffix}",
                          Department.Kind.STATION, town.id)  # fmt: skip
            stations.setdefault(town.path, []).append(station)
    c.write(Department, ("id", "path", "depth", "numchild", "code", "name", "kind", "region_id"),
            [tuple(r) for r in rows])  # fmt: skip
    c.counts["departments"] += len(rows)
    return county_depts, stations


def build_tickets(c) -> None:
    plan, i = c.plan, c.i
    if not plan.county_tickets:
        return
    county_depts, stations = build_departments(c)
    grids = [(g.id, g.path, town.path, place.fields["name"])
             for town, places in c.townships for place, place_grids in places for g in place_grids]  # fmt: skip
    from django.db import connection

    first_ticket, first_assignment = plan.first_id(Ticket, i), plan.first_id(Assignment, i)
    history = TicketHistory(
        random.Random(f"{plan.seed}-tickets-{i}"), grids=grids, stations=stations, departments=county_depts,
        categories=list(plan.ticket_categories), now=plan.now.timestamp(), postgres=connection.vendor == "postgresql",
        actors=Actors(reporter=(None, "网格员"), command=(None, f"{c.name}社会治理指挥中心")),
        first_ticket=first_ticket, first_assignment=first_assignment,
        id_limit=(first_ticket + plan.strides[Ticket._meta.label],
                  first_assignment + plan.strides[Assignment._meta.label]),
    )  # fmt: skip
    counts = county_daily_counts(plan, i)
    offsets = [0] * len(counts)
    for j in range(i):
        offsets = [a + b for a, b in zip(offsets, county_daily_counts(plan, j), strict=True)]
    done = history.run(history_days(plan.today, _tz()), counts, offsets, c.write, width=number_width(plan))
    for key in ("tickets", "assignments", "events"):
        c.counts[key] += done[key]
    for status, n in done["statuses"].items():
        c.counts[f"tickets_{status}"] += n


def day_counters(plan) -> list[TicketCounter]:
    """The day counters at the last number the load issued, so tickets reported later get the next numbers."""
    return [TicketCounter(day=day, last=n) for (day, _), n in zip(history_days(plan.today, _tz()),
                                                                 province_daily_totals(plan), strict=True) if n]
