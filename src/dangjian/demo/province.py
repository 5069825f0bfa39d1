"""The demo province 示范省: about 100 counties generated straight into the database, for the province-scale
benchmarks (`bench/scenarios/checkup.py`) and `dangjian demo --scale province`.

`build_province(counties=100, county_members=30_000, ...)` writes, per county:

- the place tree: the county, about 15 townships and streets, about 15 villages or communities in each, and their
  grids (no micro-grids, buildings or households at this scale);
- the party-organisation tree (about 1,500 organisations a county: the county committee, its working and system
  committees with their branches, township committees, village branches and general branches, community
  committees with grid branches, retired members' branches, joint branches and party groups), both trees as
  treebeard materialised paths computed here;
- about `county_members` members with real SM4-GCM ciphertexts and HMAC-SM3 blind indexes of valid, unique ID
  numbers and phones (dangjian.core.crypto), their masked forms, `org_path`, and a realistic mix of status,
  gender, ethnicity, age and education;
- committees with seats and terms (some expiring, some expired, some postponed, a few of a wrong size), one
  year of meetings of every kind at realistic frequencies with deliberate gaps (plus the quarter before, so the
  first quarter and the last year are complete), attendance for the meetings of the last ATTENDANCE_MONTHS
  months, dues profiles and 12 months of dues payments (with arrears), study records for the last and the
  current year, transfers (received, open, expired, returned) and mobile members with their contact logs;
- with `county_tickets` (`dangjian demo --scale province`: 100,000 a county, 10 million in all), the departments
  (county departments, utilities, township stations) and three years of work orders with their assignments and
  events (province_tickets, dangjian.demo.ticket_bulk).

Each county is generated from its own seeded random generator, so the data does not depend on how the counties
are spread over worker processes. Ids are assigned here in per-county blocks (above the tables' current maximum)
so rows can refer to each other before they are written; leaf rows take their ids from the database.

On PostgreSQL the rows go in with COPY, counties in parallel worker processes (fork), each county in one
transaction; secondary indexes of the big tables are dropped first and built again at the end, then the tables
are VACUUM ANALYZEd. On SQLite it runs in-process with executemany, for tests with a few small counties
(PROVINCE_SQLITE_MAX_MEMBERS at most).

The county builder is `province_county._County` (places, organisations, members, transfers, committees) with the
branch-life records from `province_life.BranchLife`; this module holds the plan, the sink, the PostgreSQL bulk-load
mode and the orchestration.

Extending it (e.g. with three years of work orders): append a function `(builder) -> None` to COUNTY_STEPS
(it gets the _County builder with the county's places, organisations and members, writes through
`builder.write(model, columns, rows)` and counts with `builder.counts`), and add its big tables to BULK_TABLES so
their indexes are dropped during the load.
"""

import datetime as dt
import multiprocessing
import os
import random
import time
from collections import Counter
from dataclasses import dataclass

from django.db import connection, connections, transaction
from django.utils import timezone

from dangjian.branchlife.models import Attendance, DuesPayment, DuesProfile, Meeting, StudyRecord
from dangjian.members.models import ContactLog, Member, MobileStay, Transfer
from dangjian.orgs.models import BranchCommittee, CommitteeSeat, PartyOrg
from dangjian.places.models import Region
from dangjian.tickets.models import Assignment, Ticket, TicketCategory, TicketCounter, TicketEvent
from dangjian.units.models import Department

from . import province_tickets
from .ledger import DemoError, ledger_is_empty
from .province_county import _County
from .province_life import FLUSH_ROWS

PROVINCE_NAME = "示范省"
DEFAULT_COUNTIES = 100
MAX_COUNTIES = 100  # the ID-number sequence space is shared out between at most 100 counties (see _id_number)
DEFAULT_COUNTY_MEMBERS = 30_000
DEFAULT_COUNTY_TICKETS = 100_000  # for `dangjian demo --scale province`: 10 million over 100 counties
PROVINCE_SQLITE_MAX_MEMBERS = 20_000
ATTENDANCE_MONTHS = 7  # attendance rows for the meetings of the last 7 months (the 6-month absence rule and a margin)

# The big tables whose secondary indexes are dropped during a PostgreSQL load and built again afterwards.
BULK_TABLES = [Member, PartyOrg, Region, Meeting, Attendance, DuesProfile, DuesPayment, StudyRecord,
               BranchCommittee, CommitteeSeat, Transfer, MobileStay, ContactLog, Department, Ticket, Assignment,
               TicketEvent]  # fmt: skip
# The tables that get ids in per-county blocks (see Plan.first_id); their sequences are moved past them at the end.
BLOCK_TABLES = (Region, PartyOrg, Member, BranchCommittee, Meeting, Department, Ticket, Assignment)

# Invented county names (two characters + 县); the prefectures 3690–3698 do not exist in GB/T 2260, so no
# synthetic ID number can be a real person's.
COUNTY_FIRST = list("安宝昌成崇大丹德东丰福高广贵海和河华怀惠吉嘉江金锦靖九康乐丽连临龙隆罗茂梅明南宁平")
COUNTY_SECOND = list("安昌城川丰谷和湖华江康乐林陵宁平泉山水顺台阳源远州")


# --- the plan ---------------------------------------------------------------------------------------------
@dataclass
class Plan:
    """What every worker needs to build county `i` on its own: codes, roots, id blocks, dates."""

    seed: int
    counties: int
    county_members: int
    today: dt.date
    now: dt.datetime
    attendance_months: int
    region_roots: int  # existing root counts (0: the ledger is empty)
    org_roots: int
    base_ids: dict  # model label → the table's current maximum id
    strides: dict  # model label → the id block of one county
    names: list  # the counties' names
    county_tickets: int = 0  # work orders a county (0: none, and no departments)
    dept_roots: int = 0  # existing department roots
    ticket_categories: tuple = ()  # (id, time limit, time unit) of the active sub-categories

    @property
    def factor(self) -> float:
        return self.county_members / DEFAULT_COUNTY_MEMBERS

    def county_code(self, i: int) -> str:
        return f"36{90 + i // 12:02d}{i % 12 + 1:02d}"

    def county_name(self, i: int) -> str:
        return self.names[i]

    def first_id(self, model, i: int) -> int:
        return self.base_ids[model._meta.label] + i * self.strides[model._meta.label] + 1


def _county_names(seed: int, counties: int) -> list[str]:
    rng, names = random.Random(f"{seed}-county-names"), []
    while len(names) < counties:
        name = rng.choice(COUNTY_FIRST) + rng.choice(COUNTY_SECOND) + "县"
        if name not in names:
            names.append(name)
    return names


def _strides(county_members: int, county_tickets: int = 0) -> dict:
    factor = county_members / DEFAULT_COUNTY_MEMBERS
    tree = int(2500 * max(factor, 0.05)) + 500
    return {Region._meta.label: tree, PartyOrg._meta.label: tree, Member._meta.label: int(county_members * 1.3) + 500,
            BranchCommittee._meta.label: tree, Meeting._meta.label: tree * 45, Department._meta.label: 400,
            Ticket._meta.label: county_tickets + 100, Assignment._meta.label: int(county_tickets * 1.25) + 1000}  # fmt: skip


# --- writing ----------------------------------------------------------------------------------------------
class _Sink:
    """Rows of one table at a time, buffered: COPY on PostgreSQL, executemany elsewhere. Columns the caller does
    not give are filled with the model field's default (auto_now fields with the load's time)."""

    def __init__(self, now: dt.datetime):
        self.now = now
        self.postgres = connection.vendor == "postgresql"
        self.buffers: dict[str, list] = {}
        self.tables: dict[str, tuple] = {}

    def table(self, model, columns: tuple[str, ...]):
        key = f"{model._meta.db_table}:{','.join(columns)}"
        if key not in self.tables:
            fields = [f for f in model._meta.concrete_fields if f.column not in columns and not f.primary_key]
            extra = tuple(self._default(f) for f in fields)
            names = (*columns, *(f.column for f in fields))
            self.tables[key] = (model._meta.db_table, names, extra)
            self.buffers[key] = []
        return key

    def _default(self, f):
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            value = self.now
        elif f.has_default():
            value = f.get_default()
        elif f.null:
            return None
        elif f.empty_strings_allowed:
            value = ""
        else:
            raise DemoError(f"{f.model._meta.verbose_name}的字段“{f.verbose_name}”没有默认值，省级演示数据无法填写")
        return f.get_db_prep_save(value, connection)

    def write(self, model, columns: tuple[str, ...], rows) -> None:
        key = self.table(model, columns)
        buffer = self.buffers[key]
        buffer.extend(rows)
        if len(buffer) >= FLUSH_ROWS:
            self._flush(key)

    def _flush(self, key: str) -> None:
        rows = self.buffers[key]
        if not rows:
            return
        table, names, extra = self.tables[key]
        if self.postgres:
            raw = connection.cursor().cursor  # the psycopg 3 cursor under Django's wrapper
            with raw.copy(f'COPY "{table}" ({", ".join(names)}) FROM STDIN') as copy:
                if extra:
                    for row in rows:
                        copy.write_row(row + extra)
                else:
                    for row in rows:
                        copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(names))
            with connection.cursor() as c:
                c.executemany(f'INSERT INTO "{table}" ({", ".join(names)}) VALUES ({marks})',
                              [row + extra for row in rows] if extra else rows)
        rows.clear()

    def flush(self) -> None:
        for key in list(self.buffers):
            self._flush(key)



def _places(c: _County) -> None:
    c.build_places()


def _orgs(c: _County) -> None:
    c.build_orgs()


def _members(c: _County) -> None:
    c.build_members()
    c.build_transfers()
    c.build_committees()
    c.write_trees()


# The steps that build one county, in order; each gets the _County builder (see the module docstring).
COUNTY_STEPS = [
    _places,
    _orgs,
    _members,
    lambda c: c.build_meetings(),
    lambda c: c.build_dues(),
    lambda c: c.build_study(),
    lambda c: c.build_mobile(),
    province_tickets.build_tickets,
]


def _build_county(plan: Plan, i: int) -> Counter:
    """Build county `i` in one transaction; returns what it wrote."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as c:
                # Rows are consistent by construction: no per-row foreign-key trigger checks, no waiting on the WAL.
                c.execute("SET LOCAL session_replication_role = replica")
                c.execute("SET LOCAL synchronous_commit = off")
        sink = _Sink(plan.now)
        county = _County(plan, i, sink)
        for step in COUNTY_STEPS:
            step(county)
        sink.flush()
    return county.counts


def _worker(args) -> tuple[int, dict, float]:
    plan, i = args
    started = time.perf_counter()
    counts = _build_county(plan, i)
    return i, dict(counts), time.perf_counter() - started


def _worker_init() -> None:
    # Forked from the parent (which closed its connections first): every worker opens its own.
    connections.close_all()


# --- PostgreSQL bulk-load mode ----------------------------------------------------------------------------
def _secondary_indexes(cursor, table: str) -> list[tuple[str, str, str]]:
    """(kind, name, definition) of the table's indexes and unique constraints other than the primary key."""
    cursor.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint k WHERE k.conname = i.indexname AND k.conrelid = %s::regclass)",
        [table, table])  # fmt: skip
    found = [("index", name, definition) for name, definition in cursor.fetchall()]
    cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                   "AND contype = 'u'", [table])  # fmt: skip
    found += [("constraint", name, f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
              for name, definition in cursor.fetchall()]
    return found


def _drop_indexes(models=BULK_TABLES) -> list[tuple[str, str, str, str]]:
    dropped = []
    with connection.cursor() as c:
        for model in models:
            table = model._meta.db_table
            for kind, name, definition in _secondary_indexes(c, table):
                if kind == "index":
                    c.execute(f'DROP INDEX "{name}"')
                else:
                    c.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
                dropped.append((table, kind, name, definition))
    return dropped


def _restore_indexes(dropped, log) -> None:
    with connection.cursor() as c:
        c.execute("SET maintenance_work_mem = '512MB'")
        c.execute("SET max_parallel_maintenance_workers = 1")
        for table, _, name, definition in dropped:
            started = time.perf_counter()
            c.execute(definition)
            if time.perf_counter() - started > 1:
                log(f"    索引 {table}.{name}：{time.perf_counter() - started:.1f} 秒")


def _finish_postgres(log) -> None:
    with connection.cursor() as c:
        for model in (*BLOCK_TABLES, TicketEvent):
            table = model._meta.db_table
            c.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                      f"GREATEST((SELECT max(id) FROM \"{table}\"), 1))")  # fmt: skip
    with connection.cursor() as c:
        for model in BULK_TABLES:
            started = time.perf_counter()
            c.execute(f'VACUUM ANALYZE "{model._meta.db_table}"')
            if time.perf_counter() - started > 1:
                log(f"    VACUUM ANALYZE {model._meta.db_table}：{time.perf_counter() - started:.1f} 秒")


# --- the province -----------------------------------------------------------------------------------------
def make_plan(counties: int, county_members: int, seed: int, today: dt.date | None,
              attendance_months: int = ATTENDANCE_MONTHS, county_tickets: int = 0) -> Plan:  # fmt: skip
    if not 1 <= counties <= MAX_COUNTIES:
        raise DemoError(f"县的数量应在 1 到 {MAX_COUNTIES} 之间，实际为 {counties}")
    if county_members < 50:
        raise DemoError(f"每县党员数应不少于 50 名，实际为 {county_members}")
    if county_tickets < 0:
        raise DemoError(f"每县事件工单数不能为负数，实际为 {county_tickets}")
    now = timezone.now()
    if today is not None and today != timezone.localdate(now):
        now = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=1), dt.time(18)))
    today = today or timezone.localdate(now)
    base = {}
    for model in BLOCK_TABLES:
        base[model._meta.label] = model._base_manager.order_by("-pk").values_list("pk", flat=True).first() or 0
    return Plan(seed=seed, counties=counties, county_members=county_members, today=today, now=now,
                attendance_months=attendance_months, region_roots=Region.objects.get_root_nodes().count(),
                org_roots=PartyOrg.objects.get_root_nodes().count(), base_ids=base,
                strides=_strides(county_members, county_tickets), names=_county_names(seed, counties),
                county_tickets=county_tickets, dept_roots=Department.objects.get_root_nodes().count(),
                ticket_categories=tuple(TicketCategory.objects.filter(parent__isnull=False, is_active=True)
                                        .order_by("code").values_list("pk", "time_limit", "time_unit")))  # fmt: skip


def build_province(counties: int = DEFAULT_COUNTIES, county_members: int = DEFAULT_COUNTY_MEMBERS, seed: int = 1,
                   today: dt.date | None = None, workers: int | None = None,
                   attendance_months: int = ATTENDANCE_MONTHS, county_tickets: int = 0, log=None) -> dict:  # fmt: skip
    """Build 示范省 into an empty ledger; returns the counts written and the seconds each phase took.

    `county_tickets` work orders a county over the three years before `today` (0: no tickets, no departments).

    On PostgreSQL `workers` processes (default: the number of CPUs, at most 4) build counties in parallel; on
    SQLite the province is built in this process and may hold at most PROVINCE_SQLITE_MAX_MEMBERS members."""
    log = log or (lambda message: None)
    if not ledger_is_empty():
        raise DemoError("数据库中已有区划、党组织或党员数据，示范省只能生成到空数据库中。")
    postgres = connection.vendor == "postgresql"
    if not postgres and counties * county_members > PROVINCE_SQLITE_MAX_MEMBERS:
        raise DemoError(f"省级规模（{counties} 个县、{counties * county_members:,} 名党员）只能生成到 PostgreSQL 数据库中"
                        f"（设置 DATABASE_URL）；SQLite 上最多生成 {PROVINCE_SQLITE_MAX_MEMBERS:,} 名党员，"
                        "请用 --counties 和 --county-members 缩小规模。")
    plan = make_plan(counties, county_members, seed, today, attendance_months, county_tickets)
    if county_tickets and not plan.ticket_categories:
        raise DemoError("没有启用的事件分类，无法生成事件工单")
    started = time.perf_counter()
    totals: Counter = Counter()
    seconds = {}
    if not postgres:
        with transaction.atomic():
            for i in range(counties):
                totals.update(_build_county(plan, i))
            if county_tickets:
                TicketCounter.objects.bulk_create(province_tickets.day_counters(plan))
        seconds["load"] = round(time.perf_counter() - started, 1)
        return {**dict(totals), "counties": counties, "seconds": seconds, "today": plan.today.isoformat()}

    workers = max(1, min(workers or min(os.cpu_count() or 1, 4), counties))
    dropped = _drop_indexes()
    log(f"  已暂时删除 {len(dropped)} 个二级索引；{workers} 个进程并行生成 {counties} 个县……")
    failed = None
    try:
        if workers == 1:
            for i in range(counties):
                _, counts, took = _worker((plan, i))
                totals.update(counts)
                log(f"    第 {i + 1}/{counties} 个县：{counts.get('members', 0):,} 名党员，{took:.1f} 秒")
        else:
            connections.close_all()
            context = multiprocessing.get_context("fork")
            with context.Pool(workers, initializer=_worker_init) as pool:
                done = 0
                for i, counts, took in pool.imap_unordered(_worker, [(plan, i) for i in range(counties)]):
                    done += 1
                    totals.update(counts)
                    log(f"    {done}/{counties}：{plan.names[i]}（{plan.county_code(i)}）"
                        f"{counts.get('members', 0):,} 名党员，{took:.1f} 秒")
    except BaseException as exc:
        failed = exc
    seconds["load"] = round(time.perf_counter() - started, 1)
    log(f"  重建 {len(dropped)} 个索引……")
    indexed = time.perf_counter()
    _restore_indexes(dropped, log)
    seconds["indexes"] = round(time.perf_counter() - indexed, 1)
    if failed is not None:
        raise failed
    if county_tickets:
        TicketCounter.objects.bulk_create(province_tickets.day_counters(plan), batch_size=1000)
    analyzed = time.perf_counter()
    _finish_postgres(log)
    seconds["vacuum_analyze"] = round(time.perf_counter() - analyzed, 1)
    seconds["total"] = round(time.perf_counter() - started, 1)
    return {**dict(totals), "counties": counties, "workers": workers, "seconds": seconds,
            "today": plan.today.isoformat()}


def province_counts() -> dict:
    """What the database holds, for the summary (exact counts, read back)."""
    from django.db.models import Count

    kinds = {row["kind"]: row["n"] for row in PartyOrg.objects.values("kind").annotate(n=Count("id")).order_by()}
    return {
        "counties": Region.objects.filter(depth=1).count(),
        "regions": Region.objects.count(),
        "orgs": sum(kinds.values()),
        "org_kinds": kinds,
        "members": Member.objects.count(),
        "meetings": Meeting.objects.count(),
        "attendance": Attendance.objects.count(),
        "dues_payments": DuesPayment.objects.count(),
        "study_records": StudyRecord.objects.count(),
        "departments": Department.objects.count(),
        "tickets": Ticket.objects.count(),
        "assignments": Assignment.objects.count(),
        "ticket_events": TicketEvent.objects.count(),
    }

