"""dashboard: statistics snapshots and the home dashboard over the demo province on PostgreSQL.

Steps, on the database dangjian_bench_dashboard of the local PostgreSQL server (BENCH_POSTGRES):
  1. prepare (worker): migrate; unless the database already holds a province generated with the same parameters
     (table bench_dashboard_info), build it with dangjian.demo.province exactly as `dangjian demo --scale province`
     does: 100 counties, 3,000,000 members, ~150,000 organisations, their branch life, and 10,000,000 work orders
     over three years with their assignments and events (COPY from two processes, indexes rebuilt, VACUUM ANALYZE);
     the time it took is kept with the data. The database is kept between runs (about 45 GB); --rebuild (or
     BENCH_REBUILD=1) drops it and generates it again. (It is not a copy of dangjian_bench_checkup: that one has no
     work orders and is in use by its own scenario.)
  2. refresh (worker), with the clock at NOW: the full snapshot rebuild (reports.services.do_refresh(full=True), what
     `dangjian stats refresh --full` runs) from empty snapshot tables (`rebuild_seconds`); then a day's worth of work
     orders for the whole province (the province's daily average, on AS_OF, with assignments and events, through the
     same generator) and the incremental refresh a tick runs after it (`incremental_seconds`), and that refresh once
     more with nothing new.
  3. measure (worker): a user for each scope — the province (a superuser: the whole tree, the node "全部" of both
     trees, as queries.resolve_node gives an unrestricted user with several roots), a county and a township
     administrator (region scope) and a village branch secretary (the village's branch) —
     - reports.dashboard.dashboard_data(user, scope_nodes(user), last month) REPEAT times after a warm-up: p50/p95;
     - the same figures computed live from the raw tables: reports.queries.live_values for the scope's organisation
       and region nodes (every registered metric), LIVE_REPEAT times: p50/p95 and the ratio to the snapshots;
     - the first page of the member list (/members/) through the Django test client: p50/p95;
     - EXPLAIN (ANALYZE) of the member list's page query and capped count for the county user.

Goals (2 cores): dashboard p95 ≤ 100 ms for every scope; member list first page p95 ≤ 200 ms for every scope; full
rebuild < 10 minutes; the daily incremental refresh < 1 minute.

Result keys: `p95_ms_by_scope`, `p50_ms_by_scope`, `live_p95_ms_by_scope`, `live_p50_ms_by_scope`, `live_ratio_by_scope`,
`member_list_p95_ms`, `member_list_p50_ms`, `rebuild_seconds`, `incremental_seconds`, plus `volumes`, `generation`,
`refresh`, `scopes`, `explain`.

Worker steps (python -m scenarios.dashboard STEP with DJANGO_SETTINGS_MODULE=settings_bench): prepare | refresh | measure.
"""

import datetime as dt
import json
import os
import statistics
import sys
import time

from common import Goal, KeptDatabase, emit, load_average, print_table, run_streamed

NAME = "dashboard"
MODULE = "scenarios.dashboard"
DATABASE = os.environ.get("BENCH_DASHBOARD_DATABASE", "dangjian_bench_dashboard")
AS_OF = dt.date(2026, 12, 1)  # the province is generated up to this day; fixed so re-runs compare alike
NOW_HOUR = 12  # the clock of the refresh and the dashboards: AS_OF at noon
COUNTIES = int(os.environ.get("BENCH_COUNTIES", "100"))  # fewer for a quicker run (figures then say so)
COUNTY_MEMBERS = int(os.environ.get("BENCH_COUNTY_MEMBERS", "30000"))
COUNTY_TICKETS = 100_000
SEED = 1
REPEAT = 40
LIVE_REPEAT = 5
LIVE_BUDGET_SECONDS = 90  # per scope; at least 2 samples after the warm-up
GOAL_DASHBOARD_MS = 100
GOAL_MEMBER_LIST_MS = 200
GOAL_REBUILD_SECONDS = 600
GOAL_INCREMENTAL_SECONDS = 60
SCOPES = ("province", "county", "township", "village")
BENCH_FIELD_KEY = "62656e63682d64617368626f6172642d6669656c642d6b65792d6e6f742d736563"


DB = KeptDatabase(DATABASE, BENCH_FIELD_KEY)


# --- the scenario (parent process) ----------------------------------------------------------------
def run(rows: int | None = None, workers: str | None = None, rebuild: bool | None = None) -> dict:
    """rows: work orders per county (default 100,000); workers: generating processes (default 2)."""
    rebuild = bool(rebuild) or os.environ.get("BENCH_REBUILD") == "1"
    county_tickets = rows or COUNTY_TICKETS
    loads = [load_average()]
    DB.ensure(rebuild)
    with DB.env() as env:
        print(f"  database {DATABASE}: migrate, then the province with its work orders (reused when already "
              "generated) …", flush=True)  # fmt: skip
        prepared = run_streamed(MODULE, "prepare", [str(county_tickets), str(workers or 2)], env)
        generation = prepared["generation"]
        verb = "generated" if prepared["generated"] else f"reusing the province generated on {generation['generated_at']}"
        print(f"    {verb} (generation took {generation['seconds']['total']:.0f} s)", flush=True)
        print("  snapshots: full rebuild, a day of work orders, the incremental refresh …", flush=True)
        r = run_streamed(MODULE, "refresh", [], env)
        print("  dashboards and member lists by scope …", flush=True)
        m = run_streamed(MODULE, "measure", [], env)
    loads.append(load_average())
    size = DB.size()
    goals = [Goal(f"dashboard p95, {s}", m["p95_ms_by_scope"][s], GOAL_DASHBOARD_MS, "ms") for s in SCOPES]
    goals += [Goal(f"member list p95, {s}", m["member_list_p95_ms"][s], GOAL_MEMBER_LIST_MS, "ms") for s in SCOPES]
    goals += [Goal("full snapshot rebuild", r["rebuild_seconds"], GOAL_REBUILD_SECONDS, "s"),
              Goal("daily incremental refresh", r["incremental_seconds"], GOAL_INCREMENTAL_SECONDS, "s")]
    by_name = {g.name: g for g in goals}
    table = [
        ("members / organisations", f"{m['volumes']['members']:,} / {m['volumes']['orgs']:,}", None),
        ("tickets / assignments / events", f"{m['volumes']['tickets']:,} / {m['volumes']['assignments']:,} / "
                                           f"{m['volumes']['ticket_events']:,}", None),
        ("generation (with work orders)", f"{generation['seconds']['total']:.0f} s", None),
        ("full snapshot rebuild", f"{r['rebuild_seconds']:.1f} s", by_name["full snapshot rebuild"]),
        ("  values written", f"{r['rebuild']['inserted']:,}", None),
        (f"a day of work orders added ({r['day_tickets']['tickets']:,})", f"{r['day_tickets']['seconds']:.1f} s", None),
        ("daily incremental refresh", f"{r['incremental_seconds']:.1f} s", by_name["daily incremental refresh"]),
        ("  again, nothing new", f"{r['again_seconds']:.1f} s", None),
    ]  # fmt: skip
    for s in SCOPES:
        label = m["scopes"][s]["label"]
        table += [
            (f"dashboard {s} ({label}) p50", f"{m['p50_ms_by_scope'][s]:.1f} ms", None),
            (f"dashboard {s} p95", f"{m['p95_ms_by_scope'][s]:.1f} ms", by_name[f"dashboard p95, {s}"]),
            ("  live from raw tables p50 / p95", f"{m['live_p50_ms_by_scope'][s]:.0f} / "
                                                 f"{m['live_p95_ms_by_scope'][s]:.0f} ms", None),
            ("  live / snapshots (p50)", f"{m['live_ratio_by_scope'][s]:.0f}×", None),
            (f"member list {s} p50", f"{m['member_list_p50_ms'][s]:.1f} ms", None),
            (f"member list {s} p95", f"{m['member_list_p95_ms'][s]:.1f} ms", by_name[f"member list p95, {s}"]),
        ]  # fmt: skip
    table.append(("database size", size, None))
    print_table(f"dashboard — PostgreSQL, {m['volumes']['members']:,} members, "
                f"{m['volumes']['tickets']:,} tickets, as of {AS_OF}", table)  # fmt: skip
    for name, plan in m["explain"].items():
        print(f"\n{name}:\n  " + "\n  ".join(plan[:14]))
    return {
        "p95_ms_by_scope": m["p95_ms_by_scope"],
        "p50_ms_by_scope": m["p50_ms_by_scope"],
        "live_p95_ms_by_scope": m["live_p95_ms_by_scope"],
        "live_p50_ms_by_scope": m["live_p50_ms_by_scope"],
        "live_ratio_by_scope": m["live_ratio_by_scope"],
        "member_list_p95_ms": m["member_list_p95_ms"],
        "member_list_p50_ms": m["member_list_p50_ms"],
        "rebuild_seconds": r["rebuild_seconds"],
        "incremental_seconds": r["incremental_seconds"],
        "again_seconds": r["again_seconds"],
        "refresh": r,
        "volumes": m["volumes"],
        "scopes": m["scopes"],
        "explain": m["explain"],
        "as_of": AS_OF.isoformat(),
        "generation": generation,
        "database": {"name": DATABASE, "size": size},
        "load_average": loads,
        "goals": [g.as_dict() for g in goals],
    }


# --- worker steps (child processes, Django configured by settings_bench) ---------------------------
def _now():
    from django.utils import timezone

    return timezone.make_aware(dt.datetime.combine(AS_OF, dt.time(NOW_HOUR)))


def _prepare(county_tickets: str, workers: str) -> dict:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    wanted = {"counties": COUNTIES, "county_members": COUNTY_MEMBERS, "county_tickets": int(county_tickets),
              "seed": SEED, "as_of": AS_OF.isoformat()}  # fmt: skip
    with connection.cursor() as c:
        c.execute("CREATE TABLE IF NOT EXISTS bench_dashboard_info (key text PRIMARY KEY, value jsonb NOT NULL)")
        c.execute("SELECT value FROM bench_dashboard_info WHERE key = 'province'")
        row = c.fetchone()
    if row:
        stored = row[0] if isinstance(row[0], dict) else json.loads(row[0])
        if stored.get("parameters") == wanted:
            return {"generated": False, "generation": stored}
        raise RuntimeError(f"{DATABASE} holds a province generated with {stored.get('parameters')}, not {wanted}: "
                           "run with --rebuild")  # fmt: skip
    from dangjian.demo.province import build_province

    started = time.perf_counter()
    counts = build_province(counties=COUNTIES, county_members=COUNTY_MEMBERS, county_tickets=int(county_tickets),
                            seed=SEED, today=AS_OF, workers=int(workers), log=lambda line: print(line, flush=True))  # fmt: skip
    info = {"parameters": wanted, **counts, "generated_at": dt.datetime.now().isoformat(timespec="seconds"),
            "wall_seconds": round(time.perf_counter() - started, 1)}  # fmt: skip
    with connection.cursor() as c:
        c.execute("INSERT INTO bench_dashboard_info (key, value) VALUES ('province', %s)", [json.dumps(info)])
    return {"generated": True, "generation": info}


def _add_day_of_tickets(now) -> dict:
    """The province's daily average of work orders, reported on AS_OF before `now`, through the province's generator
    (earlier runs' tickets of that day are deleted first, so a re-run adds the same day again)."""
    import random

    from django.db import connection, transaction
    from django.db.models import Max
    from django.utils import timezone

    from dangjian.demo.province import _Sink
    from dangjian.demo.ticket_bulk import Actors, Dept, TicketHistory
    from dangjian.places.models import Region
    from dangjian.tickets.models import Assignment, Ticket, TicketCategory, TicketCounter
    from dangjian.units.models import Department

    started = time.perf_counter()
    midnight = timezone.make_aware(dt.datetime.combine(AS_OF, dt.time.min))
    with transaction.atomic(), connection.cursor() as c:
        c.execute("DELETE FROM tickets_ticketevent WHERE ticket_id IN (SELECT id FROM tickets_ticket WHERE created_at >= %s)", [midnight])
        c.execute("DELETE FROM tickets_assignment WHERE ticket_id IN (SELECT id FROM tickets_ticket WHERE created_at >= %s)", [midnight])
        c.execute("DELETE FROM tickets_ticket WHERE created_at >= %s", [midnight])
    deleted = time.perf_counter() - started
    town_len = Region.steplen * 2
    grids = [(pk, path, path[:town_len], name) for pk, path, name in
             Region.objects.filter(level="grid").order_by("path").values_list("pk", "path", "name")]  # fmt: skip
    stations, county_depts = {}, []
    for pk, path, code, name, kind, region_path in Department.objects.order_by("path").values_list(
            "pk", "path", "code", "name", "kind", "region__path"):  # fmt: skip
        if kind == "station":
            stations.setdefault(region_path[:town_len], []).append(Dept(pk, path, code, name))
        elif kind == "county":
            county_depts.append(Dept(pk, path, code, name))
    total = Ticket.objects.filter(created_at__lt=midnight).count()
    per_day = round(total / (3 * 365))
    history = TicketHistory(
        random.Random(f"{SEED}-day-{AS_OF}"), grids=grids, stations=stations, departments=county_depts,
        categories=list(TicketCategory.objects.filter(parent__isnull=False, is_active=True).order_by("code")
                        .values_list("pk", "time_limit", "time_unit")),
        actors=Actors(reporter=(None, "网格员"), command=(None, "社会治理指挥中心")), now=now.timestamp(), postgres=True,
        first_ticket=(Ticket.objects.aggregate(m=Max("id"))["m"] or 0) + 1,
        first_assignment=(Assignment.objects.aggregate(m=Max("id"))["m"] or 0) + 1,
    )  # fmt: skip
    with transaction.atomic():  # those whose time of day lies after `now` are not reported yet
        sink = _Sink(now)
        done = history.run([(AS_OF, midnight.timestamp())], [per_day], [0], sink.write, width=4 if per_day <= 9999 else 5)
        sink.flush()
        TicketCounter.objects.update_or_create(day=AS_OF, defaults={"last": per_day})
    return {**done, "deleted_seconds": round(deleted, 1), "seconds": round(time.perf_counter() - started, 1)}


def _refresh() -> dict:
    from django.db import connection

    from dangjian.reports.models import Snapshot, SnapshotRun
    from dangjian.reports.services import do_refresh

    now = _now()
    with connection.cursor() as c:
        c.execute(f'TRUNCATE "{Snapshot._meta.db_table}", "{SnapshotRun._meta.db_table}"')
    started = time.perf_counter()
    rebuild = do_refresh(full=True, now=now - dt.timedelta(hours=NOW_HOUR))  # the night before AS_OF's tickets
    rebuild_seconds = time.perf_counter() - started
    day = _add_day_of_tickets(now)
    started = time.perf_counter()
    incremental = do_refresh(now=now)
    incremental_seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = do_refresh(now=now)
    return {"rebuild_seconds": round(rebuild_seconds, 1), "incremental_seconds": round(incremental_seconds, 1),
            "again_seconds": round(time.perf_counter() - started, 1), "rebuild": rebuild, "incremental": incremental,
            "again": again, "day_tickets": day, "snapshots": Snapshot.objects.count()}  # fmt: skip


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return round(statistics.median(ordered), 1), round(p95, 1)


def _scope_users() -> dict:
    """A user per scope (created once, kept in the database)."""
    from dangjian.accounts.models import RoleAssignment, User
    from dangjian.orgs.models import PartyOrg
    from dangjian.places.models import Region

    counties = list(Region.objects.filter(depth=1).order_by("path"))
    county = counties[len(counties) // 2]
    township = (Region.objects.filter(path__startswith=county.path, level="township", depth=2).order_by("path")
                .first())  # fmt: skip
    village = Region.objects.filter(path__startswith=township.path, level="village").order_by("path").first()
    branch = (PartyOrg.objects.filter(region=village, name__startswith=village.name, kind__in=PartyOrg.BRANCH_KINDS)
              .order_by("depth", "path").first())  # fmt: skip
    if branch is None:
        branch = PartyOrg.objects.filter(region=village).order_by("depth", "path").first()
    wanted = {"province": ("bench_province", None, None), "county": ("bench_county", "county_admin", county),
              "township": ("bench_township", "township_admin", township),
              "village": ("bench_village", "branch_secretary", branch)}  # fmt: skip
    users, labels = {}, {}
    for scope, (username, role, node) in wanted.items():
        user, created = User.objects.get_or_create(username=username, defaults={"is_superuser": role is None})
        if created and role is not None:
            field = "org" if scope == "village" else "region"
            RoleAssignment.objects.create(user=user, role=role, **{field: node})
        users[scope] = user
        labels[scope] = "示范省（全部）" if node is None else f"{node.name}（{getattr(node, 'division_code', None) or node.code}）"
    return {"users": users, "labels": labels}


def _measure() -> dict:
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from dangjian.accounts.models import User
    from dangjian.demo.province import province_counts
    from dangjian.members.models import Member
    from dangjian.reports import queries
    from dangjian.reports.dashboard import dashboard_data
    from dangjian.reports.registry import Period

    now = _now()
    period = Period.of("month", AS_OF).previous
    chosen = _scope_users()
    out = {k: {} for k in ("p50_ms_by_scope", "p95_ms_by_scope", "live_p50_ms_by_scope", "live_p95_ms_by_scope",
                           "live_ratio_by_scope", "member_list_p50_ms", "member_list_p95_ms")}  # fmt: skip
    scopes, explain = {}, {}
    for scope in SCOPES:
        user = User.objects.get(pk=chosen["users"][scope].pk)
        samples = []
        for k in range(REPEAT + 2):
            user = User.objects.get(pk=user.pk)  # a fresh user each time, as a request has: scope resolved anew
            started = time.perf_counter()
            data = dashboard_data(user, queries.scope_nodes(user), period, now=now)
            if k >= 2:
                samples.append((time.perf_counter() - started) * 1000)
        out["p50_ms_by_scope"][scope], out["p95_ms_by_scope"][scope] = _percentiles(samples)
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            dashboard_data(user, queries.scope_nodes(user), period, now=now)
        dashboard_queries = len(captured)  # now: each request of the test client below empties the query log
        nodes = queries.scope_nodes(user)
        live, live_started = [], time.perf_counter()
        for k in range(LIVE_REPEAT + 1):
            if len(live) >= 2 and time.perf_counter() - live_started > LIVE_BUDGET_SECONDS:
                break  # the whole province live takes long: fewer samples
            started = time.perf_counter()
            for node in nodes.values():
                if node is not None:
                    queries.live_values(node, period, now=now)
            if k >= 1:
                live.append((time.perf_counter() - started) * 1000)
        out["live_p50_ms_by_scope"][scope], out["live_p95_ms_by_scope"][scope] = _percentiles(live)
        out["live_ratio_by_scope"][scope] = round(out["live_p50_ms_by_scope"][scope]
                                                  / max(out["p50_ms_by_scope"][scope], 0.1), 1)  # fmt: skip
        client = Client(SERVER_NAME="127.0.0.1")  # an allowed host of the default settings
        client.force_login(user)
        pages = []
        for k in range(REPEAT + 2):
            started = time.perf_counter()
            response = client.get("/members/")
            if k >= 2:
                pages.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"/members/ for {scope}: {response.status_code}")
        html = response.content.decode()
        total = html.split('data-testid="total">', 1)[1].split("<", 1)[0] if 'data-testid="total">' in html else "?"
        out["member_list_p50_ms"][scope], out["member_list_p95_ms"][scope] = _percentiles(pages)
        visible = Member.objects.restrict(user, "view")
        scopes[scope] = {"label": chosen["labels"][scope], "user": user.username,
                         "nodes": {t: (n.code, n.name) for t, n in nodes.items() if n is not None},
                         "dashboard_queries": dashboard_queries, "member_list_total_shown": total,
                         "members_in_scope": visible.count(),
                         "ranking_rows": len((data.get("ranking") or {}).get("rows", []))}  # fmt: skip
        if scope == "county":
            page_sql = [q["sql"] for q in _page_queries(client)]
            for name, sql in page_sql:
                with connection.cursor() as c:
                    c.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                    explain[f"member list, county: {name}"] = [row[0] for row in c.fetchall()]
    counts = province_counts()
    return {**out, "scopes": scopes, "explain": explain,
            "volumes": {k: v for k, v in counts.items() if k != "org_kinds"}}


def _page_queries(client) -> list[dict]:
    """The member list's page query and its capped count (SQL as sent), for EXPLAIN."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get("/members/")
    found = []
    for q in captured.captured_queries:
        sql = q["sql"]
        if "members_member" in sql and "COUNT(" in sql.upper():
            found.append({"sql": ("capped count", sql)})
        elif "members_member" in sql and "LIMIT" in sql and "ORDER BY" in sql:
            found.append({"sql": ("page", sql)})
    return found


def main(argv: list[str]) -> None:
    import django

    django.setup()
    step, *args = argv
    if step == "prepare":
        emit(_prepare(*args))
    elif step == "refresh":
        emit(_refresh())
    elif step == "measure":
        emit(_measure())
    else:
        raise SystemExit(f"unknown step {step}")


if __name__ == "__main__":
    main(sys.argv[1:])
