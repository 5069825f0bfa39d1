"""Years of 吹哨报到 history generated as rows for a bulk load: tickets, their assignments (流转) and their event log,
for one county at a time. Used by the demo province (dangjian.demo.province, a county step) and by the tickets
benchmark's historical load (bench/scenarios/ticket_history.py); rows go out through a `write(model, columns,
rows)` callable (the province's _Sink: COPY on PostgreSQL, executemany elsewhere).

The mix (per ticket, before the cut at `now`): 3 % not registered (不予立案), 1 % merged into an earlier
duplicate, the rest registered and dispatched to a station of the ticket's township (85 %) or a county
department (15 %); 2 % of dispatches are returned and dispatched again; 5 % get an assisting department and 1 %
a whistle (吹哨, 80 % answered); 6 % get an extension; 4 % are reopened once after verification; handling times
are log-normal around half the category's limit, so roughly one in ten closes late; 75 % of closed tickets are
rated (88 % satisfied, 9 % basically, 3 % dissatisfied). A ticket whose next step would lie after `now` stays
where it is (reported, registered, dispatched, processing or resolved), which leaves a realistic set of open
and overdue tickets at the end.

Tickets come day by day (`daily_counts`: fewer at weekends, a little noise) at the hours people report things;
each day's numbers (GD + yyyymmdd + sequence) start at an offset, so counties generated in parallel never issue
the same number. The events (report, register / reject / merge, dispatch, return, accept, escalate, extend and
approve_extension, resolve, reopen, close, rate, whistle, respond: about seven per ticket) are written in time
order once the county's tickets are done.
"""

import datetime as dt
import math
import random
from dataclasses import dataclass

HOUR = 3600.0
DAY = 86400.0
YEARS = 3

SOURCES = (["grid_worker"] * 55 + ["resident"] * 15 + ["hotline"] * 15 + ["rider"] * 5 + ["member"] * 5
           + ["inspector"] * 5)  # fmt: skip
RATINGS = ["satisfied"] * 88 + ["basically_satisfied"] * 9 + ["dissatisfied"] * 3
TITLES = ["路边垃圾未清运", "私搭乱建", "占道经营", "路灯损坏", "下水道堵塞", "邻里纠纷", "违规张贴小广告",
          "农村人居环境脏乱", "道路破损", "外卖骑手反映电动车充电难"]  # fmt: skip
# Hours of the day tickets are reported at (weights for 0–23 h), as in the demo county.
REPORT_HOURS = [1, 1, 0, 0, 0, 1, 2, 5, 9, 11, 11, 9, 5, 5, 8, 10, 10, 9, 7, 6, 5, 4, 3, 2]
WEEKDAY_FACTOR = [1.06, 1.06, 1.06, 1.06, 1.06, 0.85, 0.85]  # Monday … Sunday (mean 1.0)

TICKET_COLUMNS = ("id", "number", "title", "description", "category_id", "source", "grid_id", "region_path",
                  "address", "urgent", "reporter_id", "occurred_at", "created_at", "registered_at", "deadline",
                  "closed_at", "status", "satisfaction", "duplicate_of_id")  # fmt: skip
ASSIGNMENT_COLUMNS = ("id", "ticket_id", "department_id", "department_path", "region_path", "grid_id",
                      "category_id", "source", "role", "status", "dispatched_at", "dispatched_by_id",
                      "response_deadline", "deadline", "accepted_at", "returned_at", "return_reason",
                      "extension_days", "requested_days", "extension_reason", "resolved_at", "result",
                      "resolve_count", "reopen_count", "closed_at", "on_time", "hours_to_close", "satisfaction",
                      "responded_at", "escalated_at")  # fmt: skip
EVENT_COLUMNS = ("ticket_id", "assignment_id", "kind", "actor_id", "actor_name", "at", "note", "data")

_DAYS: dict[int, str] = {}


def timestamp_format(postgres: bool):
    """Epoch seconds → the database's text form of a UTC timestamp (whole seconds; much faster than isoformat):
    'YYYY-MM-DD hh:mm:ss+00' for PostgreSQL's COPY, naive UTC text as Django keeps it on SQLite."""
    suffix = "+00" if postgres else ""

    def ts(t: float | None) -> str | None:
        if t is None:
            return None
        day, rest = divmod(int(t), 86400)
        date = _DAYS.get(day)
        if date is None:
            date = _DAYS[day] = dt.datetime.fromtimestamp(day * 86400, dt.UTC).strftime("%Y-%m-%d")
        hours, rest = divmod(rest, 3600)
        minutes, seconds = divmod(rest, 60)
        return f"{date} {hours:02d}:{minutes:02d}:{seconds:02d}{suffix}"

    return ts


def history_days(end: dt.date, tz, years: int = YEARS) -> list[tuple[dt.date, float]]:
    """(day, local midnight as epoch seconds) for the `years` × 365 days before `end`."""
    first = end - dt.timedelta(days=years * 365)
    return [(first + dt.timedelta(days=k),
             dt.datetime.combine(first + dt.timedelta(days=k), dt.time.min, tzinfo=tz).timestamp())
            for k in range(years * 365)]  # fmt: skip


def daily_counts(seed, unit: int, days: list, total: int) -> list[int]:
    """How many tickets generation unit `unit` (a county) reports on each of `days`: `total` in all, fewer at
    weekends, ±5 % noise; the same for the same seed, unit and days (counties build each other's offsets)."""
    rng = random.Random(f"{seed}-ticket-days-{unit}")
    weights = [WEEKDAY_FACTOR[day.weekday()] * rng.uniform(0.95, 1.05) for day, _ in days]
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    for k in rng.sample(range(len(days)), total - sum(counts)):  # the remainders, one each to random days
        counts[k] += 1
    return counts


@dataclass
class Dept:
    id: int
    path: str
    code: str
    name: str


@dataclass
class Actors:
    """Who acts on the tickets: (user id or None, name) each; a None handler acts under the department's name."""

    reporter: tuple
    command: tuple
    handler: tuple = (None, None)


class TicketHistory:
    """Generates the tickets of one unit (a county) day by day and writes them through `write`.

    grids: [(grid id, region path, township path, address)]; stations: township path → [Dept]; departments:
    the county departments [Dept]; categories: [(id, time limit, time unit)] of the sub-categories."""

    def __init__(self, rng: random.Random, *, grids, stations, departments, categories, actors: Actors, now: float,
                 postgres: bool, first_ticket: int, first_assignment: int, id_limit: tuple | None = None):  # fmt: skip
        self.rng, self.now, self.actors = rng, now, actors
        self.grids, self.stations, self.categories = grids, stations, categories
        self.county_departments = departments or [d for ds in stations.values() for d in ds]
        self.ts = timestamp_format(postgres)
        self.next_ticket, self.next_assignment = first_ticket, first_assignment
        self.id_limit = id_limit  # (first ticket id, first assignment id) that must not be reached
        self.tickets: list[tuple] = []
        self.assignments: list[tuple] = []
        self.events: list[tuple] = []
        self.counts = {"tickets": 0, "assignments": 0, "events": 0}
        self.status_counts: dict[str, int] = {}
        self.hour_weights = [sum(REPORT_HOURS[: h + 1]) for h in range(24)]

    # ---- the days -------------------------------------------------------------------------------------
    def run(self, days, counts, offsets, write, flush_rows: int = 20_000, width: int = 4) -> dict:
        """Generate counts[k] tickets on days[k] (numbered from offsets[k] + 1); rows go out through `write`."""
        from dangjian.tickets.models import Assignment, Ticket, TicketEvent

        rng, now, previous = self.rng, self.now, None
        for (day, midnight), n, offset in zip(days, counts, offsets, strict=True):
            if not n or midnight > now:
                continue
            stamp = day.strftime("%Y%m%d")
            times = sorted(midnight + (rng.choices(range(24), cum_weights=self.hour_weights)[0] + rng.random()) * HOUR
                           for _ in range(n))  # fmt: skip
            for k, created in enumerate(times):
                if created > now:
                    break
                previous = self.ticket(created, f"GD{stamp}{offset + k + 1:0{width}d}", previous)
            if len(self.tickets) >= flush_rows:
                self.flush(write, Ticket, Assignment)
        self.flush(write, Ticket, Assignment)
        if self.id_limit and (self.next_ticket > self.id_limit[0] or self.next_assignment > self.id_limit[1]):
            from .ledger import DemoError

            raise DemoError("每个县的事件工单或派单记录数量超出预留编号范围")
        ts = self.ts
        self.events.sort(key=lambda e: (e[5], e[0]))
        rows = [(e[0], e[1], e[2], e[3], e[4], ts(e[5]), e[6], e[7]) for e in self.events]
        self.events = []
        for start in range(0, len(rows), flush_rows * 5):
            write(TicketEvent, EVENT_COLUMNS, rows[start:start + flush_rows * 5])
        self.counts["events"] += len(rows)
        return {**self.counts, "statuses": dict(sorted(self.status_counts.items()))}

    def flush(self, write, Ticket, Assignment) -> None:
        # tickets first: the assignments refer to them
        if self.tickets:
            write(Ticket, TICKET_COLUMNS, self.tickets)
            self.counts["tickets"] += len(self.tickets)
            self.tickets = []
        if self.assignments:
            write(Assignment, ASSIGNMENT_COLUMNS, self.assignments)
            self.counts["assignments"] += len(self.assignments)
            self.assignments = []

    # ---- rows -----------------------------------------------------------------------------------------
    def event(self, tid, aid, kind, actor, at, note="", data="{}") -> None:
        self.events.append((tid, aid, kind, actor[0], actor[1], at, note, data))

    def handler(self, dept: Dept) -> tuple:
        actor = self.actors.handler
        return actor if actor[0] is not None else (None, dept.name)

    def deadline(self, start: float, limit: int, unit: str, urgent: bool) -> float:
        if urgent:
            return start + min(24, limit if unit == "hours" else 24) * HOUR
        if unit == "hours":
            return start + limit * HOUR
        return start + limit * 1.4 * DAY  # working days, roughly (weekends)

    def ticket(self, created: float, number: str, previous: tuple | None) -> tuple:
        rng, now, ts = self.rng, self.now, self.ts
        tid = self.next_ticket
        self.next_ticket += 1
        category, limit, unit = rng.choice(self.categories)
        grid, region_path, town_path, address = rng.choice(self.grids)
        source = rng.choice(SOURCES)
        urgent = rng.random() < 0.03
        reporter = self.actors.reporter if source == "grid_worker" else (None, "群众")
        occurred = created - rng.random() * 6 * HOUR
        title = rng.choice(TITLES)
        description = f"{title}，请尽快处理。"
        self.event(tid, None, "report", reporter if reporter[0] else self.actors.command, created, description)

        status, registered, deadline, closed, satisfaction, duplicate_of = "reported", None, None, None, "", None
        outcome = rng.random()
        register_at = created + rng.uniform(0.2, 8) * HOUR
        if register_at > now:
            pass
        elif outcome < 0.03:
            status, closed = "rejected", register_at
            self.event(tid, None, "reject", self.actors.command, closed, "不属于受理范围")
        elif outcome < 0.04 and previous is not None:
            status, closed, duplicate_of = "merged", register_at, previous[0]
            self.event(tid, None, "merge", self.actors.command, closed, "重复上报，已合并", f'{{"into": "{previous[1]}"}}')
        else:
            registered = register_at
            self.event(tid, None, "register", self.actors.command, registered)
            place = {"grid": grid, "region_path": region_path, "category": category, "source": source}
            status, deadline, closed, satisfaction = self.dispatches(
                tid, registered, limit, unit, urgent, town_path, place)
            if status == "closed":
                self.event(tid, None, "close", self.actors.command, closed)
                if satisfaction:
                    self.event(tid, None, "rate", reporter if reporter[0] else self.actors.command,
                               min(closed + DAY, now), "", f'{{"satisfaction": "{satisfaction}"}}')

        self.status_counts[status] = self.status_counts.get(status, 0) + 1
        self.tickets.append((
            tid, number, title, description, category, source, grid, region_path, address, urgent, reporter[0],
            ts(occurred), ts(created), ts(registered), ts(deadline), ts(closed), status, satisfaction, duplicate_of,
        ))  # fmt: skip
        return tid, number

    def assignment(self, tid, dept: Dept, role, status, dispatched, response_deadline, deadline, place, **f) -> int:
        ts = self.ts
        aid = self.next_assignment
        self.next_assignment += 1
        self.assignments.append((
            aid, tid, dept.id, dept.path, place["region_path"], place["grid"], place["category"], place["source"],
            role, status, ts(dispatched), self.actors.command[0], ts(response_deadline), ts(deadline),
            ts(f.get("accepted")), ts(f.get("returned")), f.get("return_reason", ""), f.get("extension_days", 0), 0,
            f.get("extension_reason", ""), ts(f.get("resolved")), f.get("result", ""), f.get("resolve_count", 0),
            f.get("reopen_count", 0), ts(f.get("closed")), f.get("on_time"), f.get("hours_to_close"),
            f.get("satisfaction", ""), ts(f.get("responded")), ts(f.get("escalated")),
        ))  # fmt: skip
        if role == "whistle":
            self.event(tid, aid, "whistle", self.actors.command, dispatched, "", f'{{"departments": ["{dept.code}"]}}')
        else:
            self.event(tid, aid, "dispatch", self.actors.command, dispatched, "",
                       f'{{"department": "{dept.code}", "role": "{role}", '
                       f'"deadline": "{dt.datetime.fromtimestamp(int(deadline), dt.UTC).isoformat()}"}}')
        handler = self.handler(dept)
        if f.get("returned") is not None:
            self.event(tid, aid, "return", handler, f["returned"], f["return_reason"])
        if f.get("escalated") is not None:
            self.event(tid, aid, "escalate", (None, "系统"), f["escalated"], "超时未受理，上报指挥中心")
        if f.get("accepted") is not None:
            self.event(tid, aid, "accept", handler, f["accepted"])
        if f.get("extension_days"):
            days = f["extension_days"]
            self.event(tid, aid, "extend", handler, f["accepted"] + 6 * HOUR, f["extension_reason"],
                       f'{{"days": {days}}}')
            self.event(tid, aid, "approve_extension", self.actors.command, f["accepted"] + 7 * HOUR, "",
                       f'{{"approved": true, "days": {days}}}')
        if f.get("first_resolved") is not None:
            self.event(tid, aid, "resolve", handler, f["first_resolved"], f["result"])
            self.event(tid, aid, "reopen", self.actors.command, f["reopened"], "现场仍未整改到位")
        if f.get("resolved") is not None:
            self.event(tid, aid, "resolve", handler, f["resolved"], f["result"])
        if f.get("responded") is not None:
            self.event(tid, aid, "respond", handler, f["responded"], f["result"])
        return aid

    def department(self, town_path: str) -> Dept:
        rng = self.rng
        stations = self.stations.get(town_path)
        if stations and rng.random() < 0.85:
            return rng.choice(stations)
        return rng.choice(self.county_departments)

    def dispatches(self, tid, registered, limit, unit, urgent, town_path, place):
        """The dispatch loop of a registered ticket; returns (status, deadline, closed_at, satisfaction)."""
        rng, now = self.rng, self.now
        at = registered + rng.uniform(0.1, 4) * HOUR
        if at > now:
            return "registered", None, None, ""
        dept = self.department(town_path)
        if rng.random() < 0.02:  # 退回: the first department returns it, then it is dispatched again
            returned = at + rng.uniform(1, 30) * HOUR
            if returned < now:
                self.assignment(tid, dept, "lead", "returned", at, at + DAY, self.deadline(at, limit, unit, urgent),
                                place, returned=returned, return_reason="不属于本单位职责")
                at = returned + rng.uniform(0.5, 4) * HOUR
                dept = self.department(town_path)
                if at > now:
                    return "registered", None, None, ""

        response_deadline = at + (2 * HOUR if urgent else DAY)
        deadline = self.deadline(at, limit, unit, urgent)
        accepted = at + rng.uniform(0.2, 20) * HOUR * (0.2 if urgent else 1)
        if accepted > now:
            self.assignment(tid, dept, "lead", "pending", at, response_deadline, deadline, place)
            return "dispatched", deadline, None, ""
        fields = {"accepted": accepted}
        if accepted > response_deadline:
            fields["escalated"] = response_deadline + HOUR
        if rng.random() < 0.06 and accepted + 7 * HOUR < now:
            days = rng.randint(1, 3)
            deadline += days * 1.4 * DAY
            fields.update(extension_days=days, extension_reason="需协调相关单位")
        # handling time: log-normal around 45 % of the time limit
        resolved = accepted + (deadline - at) * min(6.0, math.exp(rng.gauss(math.log(0.45), 0.55)))
        if rng.random() < 0.05:  # an assisting department works alongside
            self.assistant(tid, town_path, at, response_deadline, deadline, resolved, place)
        if rng.random() < 0.01:  # 吹哨: a county department summoned
            self.whistle(tid, at, place)
        if resolved > now:
            self.assignment(tid, dept, "lead", "accepted", at, response_deadline, deadline, place, **fields)
            return "processing", deadline, None, ""
        fields.update(resolved=resolved, result="已处理完毕", resolve_count=1)
        verified = resolved + rng.uniform(1, 24) * HOUR
        if rng.random() < 0.04 and verified < now:  # 返工 once
            first, resolved = resolved, verified + rng.uniform(36, 96) * HOUR
            if resolved > now:
                fields.update(resolved=None, resolve_count=1, reopen_count=1)
                self.assignment(tid, dept, "lead", "accepted", at, response_deadline, deadline, place, **fields,
                                first_resolved=first, reopened=verified)  # fmt: skip
                return "processing", deadline, None, ""
            fields.update(resolved=resolved, resolve_count=2, reopen_count=1, first_resolved=first, reopened=verified)
            verified = resolved + rng.uniform(1, 24) * HOUR
        if verified > now:
            self.assignment(tid, dept, "lead", "resolved", at, response_deadline, deadline, place, **fields)
            return "resolved", deadline, None, ""
        satisfaction = rng.choice(RATINGS) if rng.random() < 0.75 else ""
        fields.update(closed=verified, on_time=resolved <= deadline, satisfaction=satisfaction,
                      hours_to_close=round((verified - registered) / HOUR, 2))
        self.assignment(tid, dept, "lead", "closed", at, response_deadline, deadline, place, **fields)
        return "closed", deadline, verified, satisfaction

    def assistant(self, tid, town_path, at, response_deadline, deadline, resolved, place):
        dept = self.department(town_path)
        accepted = at + self.rng.uniform(0.2, 20) * HOUR
        if accepted > self.now:
            self.assignment(tid, dept, "assist", "pending", at, response_deadline, deadline, place)
        elif resolved > self.now:
            self.assignment(tid, dept, "assist", "accepted", at, response_deadline, deadline, place,
                            accepted=accepted)
        else:
            self.assignment(tid, dept, "assist", "resolved", at, response_deadline, deadline, place,
                            accepted=accepted, resolved=resolved, result="已配合处理", resolve_count=1)

    def whistle(self, tid, at, place):
        dept = self.rng.choice(self.county_departments)
        at += self.rng.uniform(1, 24) * HOUR
        if at > self.now:
            return
        due = at + DAY
        responded = at + self.rng.uniform(1, 30) * HOUR
        if self.rng.random() < 0.8 and responded < self.now:
            self.assignment(tid, dept, "whistle", "responded", at, due, due, place, responded=responded,
                            result="已到场处置")
        else:
            self.assignment(tid, dept, "whistle", "pending", at, due, due, place)
