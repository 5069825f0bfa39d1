"""Three years of ticket history for one county, bulk-loaded: the rows come from dangjian.demo.ticket_bulk (the
generator the demo province uses for its 10 million tickets; its docstring gives the mix) and go in with COPY.
Run in a worker process with Django configured, on PostgreSQL.

Here the acting users are the bench's own (a grid worker who reports, the township command center, a county
department handler), the ticket numbers start at 0001 each day, and the stations are those of the ticket's
township (any station when the township has none). The load runs as a DBA's bulk load would: one
transaction, foreign-key triggers off (session_replication_role = replica; the rows are consistent by
construction), secondary indexes dropped before and built again after. Rows get ids above the current maximum;
the identity sequences are moved past them, and the tables are VACUUM ANALYZEd, as autovacuum would have done
on a production database.
"""

import random
import time


def load(rows: int, seed: int = 20261122) -> dict:
    from django.db import connection, transaction
    from django.db.models import Max
    from django.utils import timezone

    from dangjian.accounts.models import User
    from dangjian.demo.province import _drop_indexes, _restore_indexes, _Sink
    from dangjian.demo.ticket_bulk import Actors, Dept, TicketHistory, daily_counts, history_days
    from dangjian.places.models import Region
    from dangjian.tickets.models import Assignment, Ticket, TicketCategory, TicketEvent
    from dangjian.units.models import Department

    started = time.perf_counter()
    now = timezone.now()
    tz = timezone.get_current_timezone()
    town_len = Region.steplen * 2
    grids = [(pk, path, path[:town_len], name)
             for pk, path, name in Region.objects.filter(level="grid").order_by("path").values_list("pk", "path", "name")]
    departments = sorted(Department.objects.select_related("region"), key=lambda d: d.code)
    stations: dict[str, list] = {}
    county_departments = []
    for d in departments:
        dept = Dept(d.pk, d.path, d.code, d.name)
        if d.kind == "station":
            stations.setdefault(d.region.path[:town_len], []).append(dept)
        else:
            county_departments.append(dept)
    all_stations = [d for ds in stations.values() for d in ds]
    stations = {g[2]: stations.get(g[2]) or all_stations for g in grids}
    users = {u.username: u for u in User.objects.filter(
        username__in=["bench_reporter", "township_admin", "department_handler"])}  # fmt: skip
    actors = Actors(reporter=(users["bench_reporter"].pk, str(users["bench_reporter"])),
                    command=(users["township_admin"].pk, str(users["township_admin"])),
                    handler=(users["department_handler"].pk, str(users["department_handler"])))  # fmt: skip
    history = TicketHistory(
        random.Random(seed), grids=grids, stations=stations, departments=county_departments or all_stations,
        categories=list(TicketCategory.objects.filter(parent__isnull=False).order_by("code")
                        .values_list("pk", "time_limit", "time_unit")),
        actors=actors, now=now.timestamp(), postgres=True,
        first_ticket=(Ticket.objects.aggregate(m=Max("id"))["m"] or 0) + 1,
        first_assignment=(Assignment.objects.aggregate(m=Max("id"))["m"] or 0) + 1,
    )  # fmt: skip
    days = history_days(timezone.localdate(now), tz)
    counts = daily_counts(seed, 0, days, rows)
    tables = (Ticket, Assignment, TicketEvent)
    with transaction.atomic(), connection.cursor() as c:
        c.execute("SET LOCAL synchronous_commit = off")
        c.execute("SET LOCAL session_replication_role = replica")
        dropped = _drop_indexes(tables)
        sink = _Sink(now)
        generated = history.run(days, counts, [0] * len(days), sink.write)
        sink.flush()
        written = time.perf_counter()
        _restore_indexes(dropped, lambda line: None)
        for model in tables:
            table = model._meta.db_table
            c.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    loaded = time.perf_counter()
    with connection.cursor() as c:
        for model in tables:
            c.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    return {
        **generated, "from": days[0][0].isoformat(), "to": days[-1][0].isoformat(),
        "tickets_assignments_and_events_seconds": round(written - started, 1),
        "indexes_seconds": round(loaded - written, 1), "load_seconds": round(loaded - started, 1),
        "vacuum_analyze_seconds": round(time.perf_counter() - loaded, 1),
    }  # fmt: skip
