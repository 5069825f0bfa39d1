"""The county of the `tickets` scenario: tests/factories.build_county plus a few grids and township stations,
API users with tokens, and a pool of dispatched tickets for the framework floor and pgbench.

Run in a worker process with Django configured (scenarios/tickets.py `setup`).
"""

import datetime as dt

GRIDS = 8  # grids of 东风村 (the factory's one and 7 more): the reports spread over them
BOUNDARY_VERTICES = 64  # each grid gets a surveyed-looking GeoJSON polygon (the ticket map draws them)
STATIONS = ["BM001-01", "BM001-02", "BM001-03", "BM001-04"]  # township stations of 城关镇 (the first is the factory's)
STATION_NAMES = {"BM001-02": "城关镇环境卫生所", "BM001-03": "城关镇农业综合服务站", "BM001-04": "城关镇安全生产监督站"}
COUNTY_CODE = "369901"
FLOOR_POOL = 4000  # tickets with a pending lead assignment, for the floor endpoint and pgbench


def build(floor_pool: int = FLOOR_POOL) -> dict:
    from django.core.management import call_command
    from django.test.utils import override_settings

    call_command("migrate", verbosity=0, interactive=False)
    # The users' passwords are never used (token authentication); a fast hasher only shortens the setup.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        return _build(floor_pool)


def _build(floor_pool: int) -> dict:
    from tests.factories import PASSWORD, build_county

    from dangjian.accounts.services import do_create_user, do_issue_token
    from dangjian.places.models import Region
    from dangjian.tickets.models import TicketCategory
    from dangjian.units.models import Department

    c = build_county()
    grids = [c.grid_a]
    for g in range(2, GRIDS + 1):
        c.village_a.refresh_from_db()
        grids.append(Region.objects.add_child(c.village_a, dict(
            division_code=f"{c.village_a.division_code}{g:03d}", name=f"东风村{g}网格", level="grid",
            grid_kind="standard")))  # fmt: skip
    for n, grid in enumerate(grids):
        grid.boundary = _polygon(n)
        grid.save(update_fields=["boundary"])
    for code in STATIONS[1:]:
        c.department.refresh_from_db()
        Department.objects.add_child(c.department, dict(code=code, name=STATION_NAMES[code], kind="station",
                                                        region=c.town_a))
    # The factory's grid worker reports in one grid; the bench's reporter covers every grid of the village.
    reporter, _ = do_create_user(actor=None, username="bench_reporter", password=PASSWORD, role="grid_worker",
                                 scope_code=c.village_a.division_code, display_name="王网格")
    users = {"reporter": reporter, "command": c.users["township_admin"], "handler": c.users["department_handler"],
             "county": c.users["county_admin"]}  # fmt: skip
    tokens = {role: do_issue_token(user=u) for role, u in users.items()}
    categories = list(TicketCategory.objects.filter(parent__isnull=False, is_active=True)
                      .order_by("code").values_list("code", flat=True))
    first, last = _floor_pool(floor_pool, grids, categories)
    return {
        "county": COUNTY_CODE, "grids": [g.division_code for g in grids], "departments": STATIONS,
        "categories": categories, "tokens": tokens, "user_ids": {r: u.pk for r, u in users.items()},
        "floor_pool": [first, last],
    }  # fmt: skip


def _polygon(n: int) -> dict:
    """A GeoJSON polygon of BOUNDARY_VERTICES points, about 1 km across, east of the last one."""
    import math

    lng0, lat0 = 117.0 + 0.012 * n, 36.6
    ring = [[round(lng0 + 0.005 * math.cos(2 * math.pi * k / BOUNDARY_VERTICES) * (1 + 0.1 * math.sin(5 * k)), 6),
             round(lat0 + 0.004 * math.sin(2 * math.pi * k / BOUNDARY_VERTICES) * (1 + 0.1 * math.cos(3 * k)), 6)]
            for k in range(BOUNDARY_VERTICES)]  # fmt: skip
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def _floor_pool(count: int, grids, category_codes) -> tuple[int, int]:
    """`count` tickets, each with one pending lead assignment to a station, spread like the lifecycles."""
    from django.utils import timezone

    from dangjian.tickets.models import Assignment, Ticket, TicketCategory
    from dangjian.units.models import Department

    now = timezone.now()
    categories = list(TicketCategory.objects.filter(code__in=category_codes).order_by("code"))
    departments = list(Department.objects.filter(code__in=STATIONS).order_by("code"))
    tickets = Ticket.objects.bulk_create(
        [Ticket(number=f"FL{n:08d}", title="地面垃圾", description="基准测试工单", category=categories[n % len(categories)],
                source="grid_worker", grid=grids[n % len(grids)], region_path=grids[n % len(grids)].path,
                occurred_at=now, created_at=now, registered_at=now, deadline=now + dt.timedelta(days=5),
                status="dispatched") for n in range(count)],
        batch_size=1000)  # fmt: skip
    Assignment.objects.bulk_create(
        [Assignment(ticket=t, department=(d := departments[n % len(departments)]), department_path=d.path,
                    region_path=t.region_path, grid_id=t.grid_id, category_id=t.category_id, source=t.source,
                    role="lead", status="pending", dispatched_at=now, response_deadline=now + dt.timedelta(days=1),
                    deadline=now + dt.timedelta(days=5)) for n, t in enumerate(tickets)],
        batch_size=1000)  # fmt: skip
    ids = [t.pk for t in tickets]
    if ids != list(range(ids[0], ids[0] + count)):
        raise RuntimeError("the floor pool's ticket ids are not consecutive")
    return ids[0], ids[-1]
