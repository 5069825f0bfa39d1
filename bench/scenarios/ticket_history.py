"""Three years of ticket history for one county, bulk-loaded: tickets and their assignments generated here and
COPYed, then the event log derived from their timestamps in one INSERT … SELECT. Run in a worker process
with Django configured, on PostgreSQL.

The mix (per ticket, before the cut at `now`): 3 % not registered (不予立案), 1 % merged into an earlier
duplicate, the rest registered and dispatched to a township station (85 %) or a county department (15 %);
2 % of dispatches are returned and dispatched again; 5 % get an assisting department and 1 % a whistle
(吹哨, 80 % answered); 6 % get an extension; 4 % are reopened once after verification; handling times are
log-normal around half the category's limit, so roughly one in ten closes late; 75 % of closed tickets are
rated (88 % satisfied, 9 % basically, 3 % dissatisfied). Tickets are spread evenly over three years that end
at midnight today (so their numbers never meet today's); a ticket whose next step would lie after `now`
stays where it is (reported, registered, dispatched, processing or resolved), which leaves a realistic set
of open and overdue tickets at the end.

The events (report, register / reject / merge, dispatch, return, accept, extend and approve_extension,
resolve, reopen, close, rate, whistle, respond: about seven per ticket) are inserted in time order, as they
would have been appended. The load runs as a DBA's bulk load would: one transaction, foreign-key triggers off
(session_replication_role = replica; the rows are consistent by construction), secondary indexes dropped
before and built again after. Rows get ids above the current maximum; the identity sequences are moved past
them, and the tables are VACUUM ANALYZEd, as autovacuum would have done on a production database.
"""

import datetime as dt
import math
import random
import time

HOUR = 3600.0
DAY = 86400.0
YEARS = 3

SOURCES = (["grid_worker"] * 55 + ["resident"] * 15 + ["hotline"] * 15 + ["rider"] * 5 + ["member"] * 5
           + ["inspector"] * 5)  # fmt: skip
RATINGS = ["satisfied"] * 88 + ["basically_satisfied"] * 9 + ["dissatisfied"] * 3
TITLES = ["路边垃圾未清运", "私搭乱建", "占道经营", "路灯损坏", "下水道堵塞", "邻里纠纷", "违规张贴小广告",
          "农村人居环境脏乱", "道路破损", "外卖骑手反映电动车充电难"]  # fmt: skip

TICKET_COLUMNS = ("id", "number", "title", "description", "category_id", "source", "grid_id", "region_path",
                  "address", "lat", "lng", "urgent", "reporter_id", "occurred_at", "created_at", "registered_at",
                  "deadline", "closed_at", "status", "satisfaction", "duplicate_of_id")  # fmt: skip
ASSIGNMENT_COLUMNS = ("id", "ticket_id", "department_id", "department_path", "region_path", "grid_id",
                      "category_id", "source", "role", "status", "dispatched_at", "dispatched_by_id",
                      "response_deadline", "deadline", "accepted_at", "returned_at", "return_reason",
                      "extension_days", "requested_days", "extension_reason", "resolved_at", "result",
                      "resolve_count", "reopen_count", "closed_at", "on_time", "hours_to_close", "satisfaction",
                      "responded_at", "escalated_at")  # fmt: skip

TABLES = ("tickets_ticket", "tickets_assignment", "tickets_ticketevent")

# The event log, derived from the rows just loaded (ids between %(first)s and %(last)s): one SELECT per kind.
EVENTS_SQL = """
INSERT INTO tickets_ticketevent (ticket_id, assignment_id, kind, actor_id, actor_name, at, note, data)
SELECT ticket_id, assignment_id, kind, actor_id, actor_name, at, note, data FROM (
  SELECT t.id AS ticket_id, NULL::bigint AS assignment_id, 'report' AS kind,
         coalesce(t.reporter_id, %(command)s) AS actor_id,
         CASE WHEN t.reporter_id IS NULL THEN %(command_name)s ELSE %(reporter_name)s END AS actor_name,
         t.created_at AS at, t.description AS note, '{}'::jsonb AS data
    FROM tickets_ticket t WHERE t.id BETWEEN %(first)s AND %(last)s
  UNION ALL
  SELECT t.id, NULL, 'register', %(command)s, %(command_name)s, t.registered_at, '', '{}'
    FROM tickets_ticket t WHERE t.id BETWEEN %(first)s AND %(last)s AND t.registered_at IS NOT NULL
  UNION ALL
  SELECT t.id, NULL, 'reject', %(command)s, %(command_name)s, t.closed_at, '不属于受理范围', '{}'
    FROM tickets_ticket t WHERE t.id BETWEEN %(first)s AND %(last)s AND t.status = 'rejected'
  UNION ALL
  SELECT t.id, NULL, 'merge', %(command)s, %(command_name)s, t.closed_at, '重复上报，已合并',
         jsonb_build_object('into', d.number)
    FROM tickets_ticket t JOIN tickets_ticket d ON d.id = t.duplicate_of_id
   WHERE t.id BETWEEN %(first)s AND %(last)s AND t.status = 'merged'
  UNION ALL
  SELECT a.ticket_id, a.id, CASE WHEN a.role = 'whistle' THEN 'whistle' ELSE 'dispatch' END,
         %(command)s, %(command_name)s, a.dispatched_at, '',
         CASE WHEN a.role = 'whistle' THEN jsonb_build_object('departments', jsonb_build_array(d.code))
              ELSE jsonb_build_object('department', d.code, 'role', a.role,
                                      'deadline', to_char(a.deadline, 'YYYY-MM-DD"T"HH24:MI:SSOF')) END
    FROM tickets_assignment a JOIN units_department d ON d.id = a.department_id
   WHERE a.id BETWEEN %(first_a)s AND %(last_a)s
  UNION ALL
  SELECT a.ticket_id, a.id, 'return', %(handler)s, %(handler_name)s, a.returned_at, a.return_reason, '{}'
    FROM tickets_assignment a WHERE a.id BETWEEN %(first_a)s AND %(last_a)s AND a.returned_at IS NOT NULL
  UNION ALL
  SELECT a.ticket_id, a.id, 'accept', %(handler)s, %(handler_name)s, a.accepted_at, '', '{}'
    FROM tickets_assignment a WHERE a.id BETWEEN %(first_a)s AND %(last_a)s AND a.accepted_at IS NOT NULL
  UNION ALL
  SELECT a.ticket_id, a.id, 'extend', %(handler)s, %(handler_name)s, a.accepted_at + interval '6 hours',
         a.extension_reason, jsonb_build_object('days', a.extension_days)
    FROM tickets_assignment a WHERE a.id BETWEEN %(first_a)s AND %(last_a)s AND a.extension_days > 0
  UNION ALL
  SELECT a.ticket_id, a.id, 'approve_extension', %(command)s, %(command_name)s, a.accepted_at + interval '7 hours',
         '', jsonb_build_object('approved', true, 'days', a.extension_days)
    FROM tickets_assignment a WHERE a.id BETWEEN %(first_a)s AND %(last_a)s AND a.extension_days > 0
  UNION ALL
  SELECT a.ticket_id, a.id, 'resolve', %(handler)s, %(handler_name)s, a.resolved_at - interval '36 hours',
         a.result, '{}'
    FROM tickets_assignment a WHERE a.id BETWEEN %(first_a)s AND %(last_a)s AND a.reopen_count > 0
  UNION ALL
  SELECT a.ticket_id, a.id, 'reopen', %(command)s, %(command_name)s, a.resolved_at - interval '24 hours',
         '现场仍未整改到位', '{}'
    FROM tickets_assignment a WHERE a.id BETWEEN %(first_a)s AND %(last_a)s AND a.reopen_count > 0
  UNION ALL
  SELECT a.ticket_id, a.id, 'resolve', %(handler)s, %(handler_name)s, a.resolved_at, a.result, '{}'
    FROM tickets_assignment a WHERE a.id BETWEEN %(first_a)s AND %(last_a)s AND a.resolved_at IS NOT NULL
  UNION ALL
  SELECT a.ticket_id, a.id, 'respond', %(handler)s, %(handler_name)s, a.responded_at, a.result, '{}'
    FROM tickets_assignment a WHERE a.id BETWEEN %(first_a)s AND %(last_a)s AND a.responded_at IS NOT NULL
  UNION ALL
  SELECT t.id, NULL, 'close', %(command)s, %(command_name)s, t.closed_at, '', '{}'
    FROM tickets_ticket t WHERE t.id BETWEEN %(first)s AND %(last)s AND t.status = 'closed'
  UNION ALL
  SELECT t.id, NULL, 'rate', %(reporter)s, %(reporter_name)s, least(t.closed_at + interval '1 day', now()), '',
         jsonb_build_object('satisfaction', t.satisfaction)
    FROM tickets_ticket t WHERE t.id BETWEEN %(first)s AND %(last)s AND t.satisfaction <> ''
) e
ORDER BY at, ticket_id
"""

N = "\\N"  # COPY's NULL
_DAYS: dict[int, str] = {}


def _ts(t: float | None) -> str:
    """Epoch seconds → 'YYYY-MM-DD hh:mm:ss+00' (whole seconds; much faster than datetime.isoformat)."""
    if t is None:
        return N
    day, rest = divmod(int(t), 86400)
    date = _DAYS.get(day)
    if date is None:
        date = _DAYS[day] = dt.datetime.fromtimestamp(day * 86400, dt.UTC).strftime("%Y-%m-%d")
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{date} {hours:02d}:{minutes:02d}:{seconds:02d}+00"


def _b(v: bool | None) -> str:
    return N if v is None else ("t" if v else "f")


def _n(v) -> str:
    return N if v is None else str(v)


class Loader:
    def __init__(self, rows: int, seed: int = 20261122):
        from django.db import connection
        from django.utils import timezone

        from dangjian.accounts.models import User
        from dangjian.places.models import Region
        from dangjian.tickets.models import TicketCategory
        from dangjian.units.models import Department

        self.connection = connection
        self.rows = rows
        self.rng = random.Random(seed)
        self.now = timezone.now().timestamp()
        self.tz = timezone.get_current_timezone()
        today = timezone.localtime().date()
        self.end = dt.datetime.combine(today, dt.time.min, tzinfo=self.tz).timestamp()  # midnight today, local
        self.start = self.end - YEARS * 365 * DAY
        self.grids = [(g.pk, g.path) for g in Region.objects.filter(level="grid").order_by("path")]
        self.categories = [(c.pk, c.time_limit, c.time_unit)
                           for c in TicketCategory.objects.filter(parent__isnull=False).order_by("code")]
        departments = sorted(Department.objects.all(), key=lambda d: d.code)
        self.stations = [(d.pk, d.path) for d in departments if d.kind == "station"]
        self.county_departments = [(d.pk, d.path) for d in departments if d.kind != "station"] or self.stations
        users = {u.username: u for u in User.objects.filter(
            username__in=["bench_reporter", "township_admin", "department_handler"])}  # fmt: skip
        self.users = {"reporter": users["bench_reporter"], "command": users["township_admin"],
                      "handler": users["department_handler"]}  # fmt: skip
        self.reporter = self.users["reporter"].pk
        self.command = self.users["command"].pk
        with connection.cursor() as c:
            c.execute("SELECT coalesce(max(id), 0) FROM tickets_ticket")
            self.first_ticket = self.next_ticket = c.fetchone()[0] + 1
            c.execute("SELECT coalesce(max(id), 0) FROM tickets_assignment")
            self.first_assignment = self.next_assignment = c.fetchone()[0] + 1
        self.tickets: list[str] = []
        self.assignments: list[str] = []
        self.counts = {"tickets": 0, "assignments": 0, "events": 0}
        self.status_counts: dict[str, int] = {}

    # ---- rows ---------------------------------------------------------------------------------------
    def deadline(self, start: float, limit: int, unit: str, urgent: bool) -> float:
        if urgent:
            return start + min(24, limit if unit == "hours" else 24) * HOUR
        if unit == "hours":
            return start + limit * HOUR
        return start + limit * 1.4 * DAY  # working days, roughly (weekends)

    def ticket(self, created: float, number: str, previous_id: int | None) -> int:
        rng, now = self.rng, self.now
        tid = self.next_ticket
        self.next_ticket += 1
        category, limit, unit = rng.choice(self.categories)
        grid, region_path = rng.choice(self.grids)
        source = rng.choice(SOURCES)
        urgent = rng.random() < 0.03
        reporter = self.reporter if source == "grid_worker" else None
        occurred = created - rng.random() * 6 * HOUR
        title = rng.choice(TITLES)

        status, registered, deadline, closed, satisfaction, duplicate_of = "reported", None, None, None, "", None
        outcome = rng.random()
        register_at = created + rng.uniform(0.2, 8) * HOUR
        if register_at > now:
            pass
        elif outcome < 0.03:
            status, closed = "rejected", register_at
        elif outcome < 0.04 and previous_id is not None:
            status, closed, duplicate_of = "merged", register_at, previous_id
        else:
            registered = register_at
            status, deadline, closed, satisfaction = self.dispatches(
                tid, registered, category, limit, unit, urgent, grid, region_path, source)

        self.status_counts[status] = self.status_counts.get(status, 0) + 1
        self.tickets.append("\t".join((
            str(tid), number, title, f"{title}，请尽快处理。", str(category), source, str(grid), region_path,
            "东风村", N, N, _b(urgent), _n(reporter), _ts(occurred), _ts(created),
            _ts(registered), _ts(deadline), _ts(closed), status, satisfaction, _n(duplicate_of),
        )))  # fmt: skip
        return tid

    def assignment(self, tid, dept, role, status, dispatched, response_deadline, deadline, *, grid, region_path,
                   category, source, **f) -> None:  # fmt: skip
        aid = self.next_assignment
        self.next_assignment += 1
        self.assignments.append("\t".join((
            str(aid), str(tid), str(dept[0]), dept[1], region_path, str(grid), str(category), source, role,
            status, _ts(dispatched), str(self.command), _ts(response_deadline), _ts(deadline),
            _ts(f.get("accepted")), _ts(f.get("returned")), f.get("return_reason", ""),
            str(f.get("extension_days", 0)), "0", f.get("extension_reason", ""), _ts(f.get("resolved")),
            f.get("result", ""), str(f.get("resolve_count", 0)), str(f.get("reopen_count", 0)),
            _ts(f.get("closed")), _b(f.get("on_time")), _n(f.get("hours_to_close")),
            f.get("satisfaction", ""), _ts(f.get("responded")), _ts(f.get("escalated")),
        )))  # fmt: skip

    def department(self):
        rng = self.rng
        return rng.choice(self.stations) if rng.random() < 0.85 else rng.choice(self.county_departments)

    def dispatches(self, tid, registered, category, limit, unit, urgent, grid, region_path, source):
        """The dispatch loop of a registered ticket; returns (status, deadline, closed_at, satisfaction)."""
        rng, now = self.rng, self.now
        place = {"grid": grid, "region_path": region_path, "category": category, "source": source}
        at = registered + rng.uniform(0.1, 4) * HOUR
        if at > now:
            return "registered", None, None, ""
        dept = self.department()
        if rng.random() < 0.02:  # 退回: the first department returns it, then it is dispatched again
            returned = at + rng.uniform(1, 30) * HOUR
            if returned < now:
                self.assignment(tid, dept, "lead", "returned", at, at + DAY, self.deadline(at, limit, unit, urgent),
                                returned=returned, return_reason="不属于本单位职责", **place)
                at = returned + rng.uniform(0.5, 4) * HOUR
                dept = self.department()
                if at > now:
                    return "registered", None, None, ""

        response_deadline = at + (2 * HOUR if urgent else DAY)
        deadline = self.deadline(at, limit, unit, urgent)
        accepted = at + rng.uniform(0.2, 20) * HOUR * (0.2 if urgent else 1)
        if accepted > now:
            self.assignment(tid, dept, "lead", "pending", at, response_deadline, deadline, **place)
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
            self.assistant(tid, at, response_deadline, deadline, resolved, place)
        if rng.random() < 0.01:  # 吹哨: a county department summoned
            self.whistle(tid, at, place)
        if resolved > now:
            self.assignment(tid, dept, "lead", "accepted", at, response_deadline, deadline, **fields, **place)
            return "processing", deadline, None, ""
        fields.update(resolved=resolved, result="已处理完毕", resolve_count=1)
        verified = resolved + rng.uniform(1, 24) * HOUR
        if rng.random() < 0.04 and verified < now:  # 返工 once
            resolved = verified + rng.uniform(36, 96) * HOUR
            fields.update(reopen_count=1)
            if resolved > now:
                self.assignment(tid, dept, "lead", "accepted", at, response_deadline, deadline, **fields, **place)
                return "processing", deadline, None, ""
            fields.update(resolved=resolved, resolve_count=2)
            verified = resolved + rng.uniform(1, 24) * HOUR
        if verified > now:
            self.assignment(tid, dept, "lead", "resolved", at, response_deadline, deadline, **fields, **place)
            return "resolved", deadline, None, ""
        satisfaction = rng.choice(RATINGS) if rng.random() < 0.75 else ""
        fields.update(closed=verified, on_time=resolved <= deadline, satisfaction=satisfaction,
                      hours_to_close=round((verified - registered) / HOUR, 2))
        self.assignment(tid, dept, "lead", "closed", at, response_deadline, deadline, **fields, **place)
        return "closed", deadline, verified, satisfaction

    def assistant(self, tid, at, response_deadline, deadline, resolved, place):
        dept = self.department()
        accepted = at + self.rng.uniform(0.2, 20) * HOUR
        if accepted > self.now:
            self.assignment(tid, dept, "assist", "pending", at, response_deadline, deadline, **place)
        elif resolved > self.now:
            self.assignment(tid, dept, "assist", "accepted", at, response_deadline, deadline, accepted=accepted,
                            **place)
        else:
            self.assignment(tid, dept, "assist", "resolved", at, response_deadline, deadline, accepted=accepted,
                            resolved=resolved, result="已配合处理", resolve_count=1, **place)

    def whistle(self, tid, at, place):
        dept = self.rng.choice(self.county_departments)
        at += self.rng.uniform(1, 24) * HOUR
        if at > self.now:
            return
        due = at + DAY
        responded = at + self.rng.uniform(1, 30) * HOUR
        if self.rng.random() < 0.8 and responded < self.now:
            self.assignment(tid, dept, "whistle", "responded", at, due, due, responded=responded,
                            result="已到场处置", **place)
        else:
            self.assignment(tid, dept, "whistle", "pending", at, due, due, **place)

    # ---- loading ------------------------------------------------------------------------------------
    def flush(self):
        """COPY the rows generated so far (tickets first: the assignments refer to them)."""
        raw = self.connection.cursor().cursor  # the psycopg 3 cursor under Django's wrapper
        for table, columns, lines, key in (
            ("tickets_ticket", TICKET_COLUMNS, self.tickets, "tickets"),
            ("tickets_assignment", ASSIGNMENT_COLUMNS, self.assignments, "assignments"),
        ):
            if lines:
                with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    copy.write("\n".join(lines) + "\n")
                self.counts[key] += len(lines)
                lines.clear()

    def run(self) -> dict:
        from django.db import connection, transaction

        started = time.perf_counter()
        rng = self.rng
        times = sorted(self.start + rng.random() * (self.end - self.start) for _ in range(self.rows))
        day_counter: dict[str, int] = {}
        previous = None
        with transaction.atomic(), connection.cursor() as c:
            # A bulk load as a DBA would do it: no per-row foreign-key trigger checks (the rows are consistent
            # by construction), secondary indexes dropped and built again afterwards, one transaction.
            c.execute("SET LOCAL synchronous_commit = off")
            c.execute("SET LOCAL session_replication_role = replica")
            c.execute("SET LOCAL maintenance_work_mem = '256MB'")
            c.execute("SET LOCAL work_mem = '256MB'")  # the event sort, in memory
            indexes = []
            for table in TABLES:
                c.execute(
                    "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s AND NOT EXISTS "
                    "(SELECT 1 FROM pg_constraint k WHERE k.conname = i.indexname AND k.conrelid = %s::regclass)",
                    [table, table],
                )
                indexes += c.fetchall()
            for name, _ in indexes:
                c.execute(f'DROP INDEX "{name}"')
            for i, created in enumerate(times):
                day = dt.datetime.fromtimestamp(created, self.tz).strftime("%Y%m%d")
                day_counter[day] = day_counter.get(day, 0) + 1
                previous = self.ticket(created, f"GD{day}{day_counter[day]:04d}", previous)
                if i % 20000 == 19999:
                    self.flush()
            self.flush()
            generated = time.perf_counter()
            c.execute(EVENTS_SQL, {
                "first": self.first_ticket, "last": self.next_ticket - 1, "first_a": self.first_assignment,
                "last_a": self.next_assignment - 1, "reporter": self.reporter, "command": self.command,
                "handler": self.users["handler"].pk, "reporter_name": str(self.users["reporter"]),
                "command_name": str(self.users["command"]), "handler_name": str(self.users["handler"]),
            })  # fmt: skip
            self.counts["events"] = c.rowcount
            events_done = time.perf_counter()
            for _, definition in indexes:
                c.execute(definition)
            for table in TABLES:
                c.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        loaded = time.perf_counter()
        with connection.cursor() as c:
            for table in TABLES:
                c.execute(f"VACUUM ANALYZE {table}")
        return {
            **self.counts, "statuses": dict(sorted(self.status_counts.items())),
            "from": dt.datetime.fromtimestamp(self.start, self.tz).date().isoformat(),
            "to": (dt.datetime.fromtimestamp(self.end, self.tz).date() - dt.timedelta(days=1)).isoformat(),
            "tickets_and_assignments_seconds": round(generated - started, 1),
            "events_seconds": round(events_done - generated, 1), "indexes_seconds": round(loaded - events_done, 1),
            "load_seconds": round(loaded - started, 1), "vacuum_analyze_seconds": round(time.perf_counter() - loaded, 1),
        }  # fmt: skip


def load(rows: int) -> dict:
    return Loader(rows).run()
