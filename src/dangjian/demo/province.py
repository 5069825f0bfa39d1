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
  current year, transfers (received, open, expired, returned) and mobile members with their contact logs.

Each county is generated from its own seeded random generator, so the data does not depend on how the counties
are spread over worker processes. Ids are assigned here in per-county blocks (above the tables' current maximum)
so rows can refer to each other before they are written; leaf rows take their ids from the database.

On PostgreSQL the rows go in with COPY, counties in parallel worker processes (fork), each county in one
transaction; secondary indexes of the big tables are dropped first and built again at the end, then the tables
are VACUUM ANALYZEd. On SQLite it runs in-process with executemany, for tests with a few small counties
(PROVINCE_SQLITE_MAX_MEMBERS at most).

Extending it (e.g. with three years of work orders): append a function `(builder) -> None` to COUNTY_STEPS
(it gets the _County builder with the county's places, organisations and members, writes through
`builder.write(model, columns, rows)` and counts with `builder.counts`), and add its big tables to BULK_TABLES so
their indexes are dropped during the load.
"""

import datetime as dt
import math
import multiprocessing
import os
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.db import connection, connections, transaction
from django.utils import timezone
from faker.providers.person.zh_CN import Provider as ChinesePersonProvider

from dangjian.branchlife.dues import monthly_dues
from dangjian.branchlife.models import Attendance, DuesPayment, DuesProfile, Meeting, StudyRecord
from dangjian.core import crypto
from dangjian.core.idnumber import make_id_number, mask_id_number
from dangjian.core.phone import mask_phone
from dangjian.core.pinyin import initials
from dangjian.members.models import ContactLog, Member, MobileStay, Transfer
from dangjian.orgs.models import BranchCommittee, CommitteeSeat, PartyOrg, term_years_for
from dangjian.places.models import Region

from . import data
from .ledger import DemoError, ledger_is_empty
from .people import AGE_BANDS, EDUCATION_MIX, MALE_SHARE, PROFILE_AGES, add_years, chinese_number

PROVINCE_NAME = "示范省"
DEFAULT_COUNTIES = 100
MAX_COUNTIES = 100  # the ID-number sequence space is shared out between at most 100 counties (see _id_number)
DEFAULT_COUNTY_MEMBERS = 30_000
PROVINCE_SQLITE_MAX_MEMBERS = 20_000
ATTENDANCE_MONTHS = 7  # attendance rows for the meetings of the last 7 months (the 6-month absence rule and a margin)
DUES_MONTHS = 12
FLUSH_ROWS = 50_000

# The big tables whose secondary indexes are dropped during a PostgreSQL load and built again afterwards.
BULK_TABLES = [Member, PartyOrg, Region, Meeting, Attendance, DuesProfile, DuesPayment, StudyRecord,
               BranchCommittee, CommitteeSeat, Transfer, MobileStay, ContactLog]  # fmt: skip

# Invented county names (two characters + 县); the prefectures 3690–3698 do not exist in GB/T 2260, so no
# synthetic ID number can be a real person's.
COUNTY_FIRST = list("安宝昌成崇大丹德东丰福高广贵海和河华怀惠吉嘉江金锦靖九康乐丽连临龙隆罗茂梅明南宁平")
COUNTY_SECOND = list("安昌城川丰谷和湖华江康乐林陵宁平泉山水顺台阳源远州")
PLACE_FIRST = list("白碧长城春翠大东丰凤福高古观和黑红湖黄回金锦兰老立莲林柳龙芦马茅梅南平坪桥青清沙上石双水")
PLACE_SECOND = list("坝坂岙北滨埠仓场冲川店渡墩坊丰岗沟河湖集涧江口岭隆庙畈浦桥泉沙山市水塘田湾溪圩峪园寨洲庄")
DESTINATIONS = ["广东省深圳市", "广东省广州市", "广东省东莞市", "浙江省杭州市", "浙江省宁波市", "江苏省苏州市",
                "上海市", "北京市", "福建省厦门市", "湖北省武汉市", "四川省成都市", "天津市"]  # fmt: skip
TOPICS = {
    "general_assembly": ["传达学习上级会议精神", "讨论发展党员工作", "研究支部年度工作计划", "通报党费收缴情况",
                         "讨论预备党员转正"],
    "committee_meeting": ["研究本月支部工作安排", "研究发展党员工作", "研究主题党日活动方案", "研究党员教育管理工作"],
    "group_meeting": ["党小组学习讨论", "交流思想和工作情况", "开展批评与自我批评"],
    "party_lecture": ["学习贯彻党的二十大精神专题党课", "党史学习教育专题党课", "作风建设专题党课", "党纪学习教育专题党课"],
    "theme_day": ["重温入党誓词", "志愿服务进社区", "集中学习党章党规", "参观红色教育基地", "开展环境整治志愿活动"],
    "life_meeting": ["年度组织生活会"],
    "member_review": ["年度民主评议党员"],
}  # fmt: skip
STUDY_TOPICS = ["学习强国线上学习", "党员教育网络培训", "集中轮训", "专题学习", "党员冬训"]
ALL_MEMBER_KINDS = ("general_assembly", "party_lecture", "theme_day", "life_meeting", "member_review")

# Dues bases (元 a month, after tax) by member profile, for in-service members; retired members get 2000–7000.
IN_SERVICE_BASE = {"organ": (3500, 12000), "school": (3500, 11000), "hospital": (4000, 16000),
                   "institution": (3000, 9000), "state_enterprise": (3500, 14000), "private": (2500, 9000),
                   "gig": (3000, 8000), "social": (2500, 6000), "community": (2500, 7000)}  # fmt: skip

_SURNAMES = list(ChinesePersonProvider.last_names)
_SURNAME_WEIGHTS = list(ChinesePersonProvider.last_names.values())
_MALE_CHARS = sorted({c for n in ChinesePersonProvider.first_names_male for c in n})
_FEMALE_CHARS = sorted({c for n in ChinesePersonProvider.first_names_female for c in n})


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


def _strides(county_members: int) -> dict:
    factor = county_members / DEFAULT_COUNTY_MEMBERS
    tree = int(2500 * max(factor, 0.05)) + 500
    return {Region._meta.label: tree, PartyOrg._meta.label: tree, Member._meta.label: int(county_members * 1.3) + 500,
            BranchCommittee._meta.label: tree, Meeting._meta.label: tree * 45}  # fmt: skip


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


# --- trees ------------------------------------------------------------------------------------------------
class _Node:
    __slots__ = ("id", "path", "depth", "numchild", "fields")

    def __init__(self, id, path, depth, fields):
        self.id, self.path, self.depth, self.numchild, self.fields = id, path, depth, 0, fields


class _Tree:
    """Materialised paths, depths and child counts for rows written directly (treebeard MP_Node)."""

    def __init__(self, model, first_id: int, root_number: int, limit: int):
        self.model, self.next_id, self.root_number, self.limit = model, first_id, root_number, first_id + limit
        self.nodes: list[_Node] = []

    def add(self, parent: _Node | None, **fields) -> _Node:
        if parent is None:
            path = self.model._get_path(None, 1, self.root_number)
        else:
            parent.numchild += 1
            path = self.model._get_path(parent.path, parent.depth + 1, parent.numchild)
        if self.next_id >= self.limit:
            raise DemoError(f"每个县的{self.model._meta.verbose_name}数量超出预留编号范围")
        node = _Node(self.next_id, path, len(path) // self.model.steplen, fields)
        self.next_id += 1
        self.nodes.append(node)
        return node


@dataclass
class _Branch:
    """An organisation that members belong to directly (a branch or joint branch)."""

    org: _Node
    profile: str  # what kind of people it has (a key of PROFILE_AGES)
    kind: str  # village, grid, organ, ... (how big it is, what its secretary is called)
    weight: float
    level: str  # the level of its region (village / community / ...), for the term length
    members: list = field(default_factory=list)  # indexes into _County.members
    groups: list = field(default_factory=list)  # party-group nodes under it
    weak: bool = False  # a slack branch (软弱涣散): misses meetings far more often
    committee: int | None = None  # id of its current committee
    seats: list = field(default_factory=list)  # member ids holding a seat now


@dataclass(slots=True)
class _Person:
    id: int
    branch: int
    status: str
    joined: dt.date
    full: dt.date | None
    profile: str
    age: int
    mobile: bool
    absentee: bool
    deleted: bool
    cadre: bool
    path: str


def _month_add(day: dt.date, months: int) -> dt.date:
    m = day.year * 12 + day.month - 1 + months
    return dt.date(m // 12, m % 12 + 1, 1)


# --- one county -------------------------------------------------------------------------------------------
class _County:
    """Builds county `i` of the plan and writes it through a _Sink."""

    def __init__(self, plan: Plan, i: int, sink: _Sink):
        self.plan, self.i, self.sink = plan, i, sink
        self.rng = random.Random(f"{plan.seed}-county-{i}")
        self.today = plan.today
        self.f = plan.factor
        self.code = plan.county_code(i)
        self.name = plan.county_name(i)
        self.counts: Counter = Counter()
        stride = plan.strides
        self.regions = _Tree(Region, plan.first_id(Region, i), plan.region_roots + i + 1, stride[Region._meta.label])
        self.orgs = _Tree(PartyOrg, plan.first_id(PartyOrg, i), plan.org_roots + i + 1, stride[PartyOrg._meta.label])
        self.branches: list[_Branch] = []
        self.members: list[_Person] = []
        self.secretaries: dict[int, int] = {}  # org id → member id
        self.org_count = 0
        self.used_ids: set[str] = set()
        self.window_start = _month_add(self.today.replace(day=1), -12 - (self.today.month - 1) % 3)  # a quarter start
        self.last_day = self.today - dt.timedelta(days=1)

    def write(self, model, columns, rows) -> None:
        self.sink.write(model, columns, rows)

    def scaled(self, n: float, minimum: int = 1) -> int:
        return max(minimum, round(n * self.f))

    def day_between(self, start: dt.date, end: dt.date) -> dt.date:
        return start + dt.timedelta(days=self.rng.randint(0, max((end - start).days, 0)))

    # --- places ---------------------------------------------------------------------------------------
    def place_name(self, used: set, suffix: str) -> str:
        for _ in range(200):
            name = self.rng.choice(PLACE_FIRST) + self.rng.choice(PLACE_SECOND) + suffix
            if name not in used:
                used.add(name)
                return name
        name = f"{self.rng.choice(PLACE_FIRST)}{chinese_number(len(used) % 99 + 1)}{suffix}"
        used.add(name)
        return name

    def region(self, parent, code, name, level, grid_kind="", population=None) -> _Node:
        return self.regions.add(parent, division_code=code, name=name, level=level, grid_kind=grid_kind,
                                population=population)

    def build_places(self) -> None:
        rng = self.rng
        self.county = self.region(None, self.code, self.name, "county")
        self.townships = []  # (node, [villages and communities])
        towns = self.scaled(15 * self.rng.uniform(0.8, 1.2), 2)
        streets = max(1, round(towns * 0.15))
        used_town, used_village = set(), set()
        street_no, town_no, xiang_no = 0, 99, 199
        for t in range(towns):
            if t < streets:
                street_no += 1
                number, level, suffix = street_no, "street", "街道"
            elif rng.random() < 0.6:
                town_no += 1
                number, level, suffix = town_no, "township", "镇"
            else:
                xiang_no += 1
                number, level, suffix = xiang_no, "township", "乡"
            town = self.region(self.county, f"{self.code}{number:03d}", self.place_name(used_town, suffix), level)
            places = []
            if level == "street":
                for n in range(1, rng.randint(3, 6) + 1):
                    community = self.region(town, f"{town.fields['division_code']}{n:03d}",
                                            self.place_name(used_village, "社区"), "community",
                                            population=rng.randint(6000, 15000))
                    count = rng.randint(8, 18)
                    grids = [self.region(community, f"{community.fields['division_code']}{g:03d}",
                                         f"{community.fields['name']}第{chinese_number(g)}网格", "grid",
                                         "comprehensive", community.fields["population"] // count)
                             for g in range(1, count + 1)]
                    places.append((community, grids))
            for n in range(1, self.scaled(rng.randint(12, 22) if level != "street" else rng.randint(0, 3), 0) + 1):
                village = self.region(town, f"{town.fields['division_code']}{199 + n:03d}",
                                      self.place_name(used_village, "村"), "village",
                                      population=rng.randint(800, 4000))
                count = rng.choices([1, 2, 3], weights=[3, 5, 2])[0]
                grids = [self.region(village, f"{village.fields['division_code']}{g:03d}",
                                     f"{village.fields['name']}第{chinese_number(g)}网格", "grid", "standard",
                                     village.fields["population"] // count)
                         for g in range(1, count + 1)]
                places.append((village, grids))
            if not places:  # a tiny county: every township has at least one village
                village = self.region(town, f"{town.fields['division_code']}200", self.place_name(used_village, "村"),
                                      "village", population=rng.randint(800, 4000))
                places.append((village, [self.region(village, f"{village.fields['division_code']}001",
                                                     f"{village.fields['name']}第一网格", "grid", "standard")]))
            town.fields["population"] = sum(p.fields["population"] or 0 for p, _ in places)
            self.townships.append((town, places))
        self.county.fields["population"] = sum(t.fields["population"] for t, _ in self.townships)

    # --- organisations --------------------------------------------------------------------------------
    def org(self, parent, name, kind, region: _Node, founded=(1950, 2000)) -> _Node:
        self.org_count += 1
        if self.org_count > 99_999:
            raise DemoError("每个县的党组织不能超过 99999 个")
        first, last = founded
        founded_on = self.day_between(dt.date(first, 1, 1), min(dt.date(last, 12, 31), self.today))
        node = self.orgs.add(parent, code=f"D{self.code}{self.org_count:05d}", name=name, kind=kind,
                             region_id=region.id, founded_on=founded_on)
        node.fields["level"] = region.fields["level"]
        return node

    def branch(self, parent, name, profile, kind, region, weight, org_kind="branch", founded=(1960, 2020)):
        node = self.org(parent, name, org_kind, region, founded)
        b = _Branch(node, profile, kind, weight, region.fields["level"], weak=self.rng.random() < 0.03)
        self.branches.append(b)
        return b

    def groups(self, b: _Branch, count: int, region: _Node, label: str) -> None:
        for n in range(1, count + 1):
            b.groups.append(self.org(b.org, f"{b.org.fields['name'].removesuffix('党支部')}{label}{chinese_number(n)}党小组",
                                     "group", region, (2000, 2024)))

    def build_orgs(self) -> None:
        rng, county = self.rng, self.county
        self.root = root = self.org(None, f"中共{self.name}委员会", "committee", county, (1949, 1949))
        organs = self.org(root, "县直机关工委", "working_committee", county, (1952, 1965))
        for n in range(self.scaled(rng.randint(45, 70))):
            self.branch(organs, f"县直第{n + 1}机关党支部", "organ", "organ", county, rng.uniform(15, 40))
        for name, profile, low, high, count in (("县教育系统党委", "school", 20, 60, rng.randint(25, 40)),
                                               ("县卫生健康系统党委", "hospital", 25, 80, rng.randint(10, 20)),
                                               ("县国资委党委", "state_enterprise", 10, 40, rng.randint(8, 15))):  # fmt: skip
            committee = self.org(root, name, "committee", county, (1970, 2005))
            for n in range(self.scaled(count)):
                self.branch(committee, f"{name.removesuffix('党委')}第{n + 1}党支部", profile, profile, county,
                            rng.uniform(low, high))
        sectors = self.org(root, "县委两新工委", "working_committee", county, (2010, 2015))
        for n in range(self.scaled(rng.randint(15, 30))):
            self.branch(sectors, f"两新组织第{n + 1}党支部", "private", "private", county, rng.uniform(3, 15),
                        founded=(2005, 2024))
        for n in range(self.scaled(rng.randint(5, 10))):
            self.branch(sectors, f"社会组织第{n + 1}党支部", "social", "social", county, rng.uniform(3, 8),
                        founded=(2012, 2024))
        trade = self.org(sectors, "县快递物流行业党委", "industry_committee", county, (2019, 2022))
        for n in range(self.scaled(rng.randint(3, 6))):
            self.branch(trade, f"快递物流第{n + 1}联合党支部", "gig", "joint", county, rng.uniform(5, 15),
                        org_kind="joint_branch", founded=(2019, 2024))
        for town, places in self.townships:
            self.build_township(root, town, places)

    def build_township(self, root, town: _Node, places) -> None:
        rng = self.rng
        street = town.fields["level"] == "street"
        name = town.fields["name"]
        org = self.org(root, f"{name}党工委" if street else f"{name}党委",
                       "working_committee" if street else "committee", town, (1955, 1990))
        self.branch(org, f"{name}机关党支部", "organ", "organ", town, rng.uniform(15, 35))
        self.branch(org, f"{name}综合服务中心党支部", "institution", "institution", town, rng.uniform(8, 25))
        if not street:
            self.branch(org, f"{name}中心学校党支部", "school", "school", town, rng.uniform(10, 30))
            self.branch(org, f"{name}卫生院党支部", "hospital", "hospital", town, rng.uniform(8, 20))
        for n in range(rng.randint(1, 5)):
            self.branch(org, f"{name}第{n + 1}非公企业党支部", "private", "private", rng.choice(places)[0],
                        rng.uniform(3, 12), founded=(2003, 2024))
        if not street:
            self.branch(org, f"{name}非公企业联合党支部", "private", "joint", town, rng.uniform(5, 15),
                        org_kind="joint_branch", founded=(2010, 2022))
        for place, grids in places:
            if place.fields["level"] == "community":
                self.build_community(org, place, grids)
            else:
                self.build_village(org, place, grids)

    def build_village(self, town_org, village: _Node, grids) -> None:
        rng = self.rng
        population, name = village.fields["population"], village.fields["name"]
        members = population / 45 * rng.uniform(0.8, 1.2)
        if population >= 2000:
            org = self.org(town_org, f"{name}党总支", "general_branch", village, (1980, 2015))
            count = 2 + (population - 2000) // 600
            for n in range(1, count + 1):
                b = self.branch(org, f"{name}第{chinese_number(n)}党支部", "village", "village", village,
                                members / count * rng.uniform(0.85, 1.15))
                self.groups(b, rng.choices([0, 1, 2], weights=[4, 4, 2])[0], village, "第")
        else:
            b = self.branch(town_org, f"{name}党支部", "village", "village", village, members)
            self.groups(b, rng.choices([0, 1, 2, 3], weights=[3, 3, 3, 1])[0], village, "第")

    def build_community(self, town_org, community: _Node, grids) -> None:
        rng = self.rng
        name = community.fields["name"]
        if rng.random() < 0.4:
            org = self.org(town_org, f"{name}党委", "committee", community, (2000, 2015))
        else:
            org = self.org(town_org, f"{name}党总支", "general_branch", community, (1985, 2010))
        with_branch = max(1, round(len(grids) * rng.uniform(0.6, 0.9)))
        hosts = []
        for grid in grids[:with_branch]:
            hosts.append(self.branch(org, f"{grid.fields['name']}党支部", "community", "grid", grid,
                                     rng.uniform(8, 25), founded=(2016, 2023)))
        for n, grid in enumerate(grids[with_branch:]):
            host = hosts[n % len(hosts)]
            host.groups.append(self.org(host.org, f"{grid.fields['name']}党小组", "group", grid, (2018, 2024)))
        self.branch(org, f"{name}离退休党员党支部", "community", "community", community, rng.uniform(15, 35),
                    founded=(1995, 2015))

    # --- members --------------------------------------------------------------------------------------
    def _id_number(self, birth: dt.date, male: bool) -> str:
        """Unique in the province without coordination between workers: a county's own region code takes
        sequences 000–499; members born in another county of the province take that county's region code and
        one of the five sequences 500 + 5·i … 504 + 5·i that belong to this county i (i < 100)."""
        rng, parity = self.rng, int(male)  # the 17th digit is odd for men, even for women
        own = range(500 + 5 * self.i, 505 + 5 * self.i)
        mine = [s for s in own if s % 2 == parity]
        while True:
            if self.plan.counties == 1 or rng.random() < 0.85:
                region, sequence = self.code, rng.randrange(250) * 2 + parity
            else:
                other = rng.randrange(self.plan.counties - 1)
                region = self.plan.county_code(other if other < self.i else other + 1)
                sequence = rng.choice(mine)
            value = make_id_number(region, birth, sequence)
            if value[:17] not in self.used_ids:
                self.used_ids.add(value[:17])
                return value

    def name_for(self, male: bool) -> str:
        rng = self.rng
        surname = rng.choices(_SURNAMES, _SURNAME_WEIGHTS)[0]
        chars = _MALE_CHARS if male else _FEMALE_CHARS
        return surname + "".join(rng.sample(chars, 2 if rng.random() < 0.8 else 1))

    def build_members(self) -> None:
        rng = self.rng
        total = sum(b.weight for b in self.branches)
        scale = self.plan.county_members / total
        next_id = self.plan.first_id(Member, self.i)
        limit = next_id + self.plan.strides[Member._meta.label]
        rows = []
        for index, b in enumerate(self.branches):
            if rng.random() < 0.015:  # a branch that has shrunk below three full members
                size = rng.randint(2, 3)
            else:
                size = max(3, round(b.weight * scale * rng.uniform(0.85, 1.15)))
            for n in range(size):
                if next_id >= limit:
                    raise DemoError("每个县的党员数量超出预留编号范围")
                person, row = self.member(next_id, index, b, n == 0)
                next_id += 1
                self.members.append(person)
                b.members.append(len(self.members) - 1)
                rows.append(row)
            self.secretaries[b.org.id] = b.members and self.members[b.members[0]].id
        self.member_rows = rows  # written after transfers may have moved some of them

    def member(self, member_id: int, branch_index: int, b: _Branch, is_secretary: bool):
        rng, today = self.rng, self.today
        profile = b.profile
        r = rng.random()
        probationary = not is_secretary and r < 0.034
        if is_secretary:
            age = rng.randint(32, 58)
        elif probationary:
            age = rng.randint(20, 38)
        else:
            bands = AGE_BANDS[PROFILE_AGES[profile]]
            low, high, _ = rng.choices(bands, weights=[w for _, _, w in bands])[0]
            age = rng.randint(low, high)
        male = rng.random() < (0.8 if is_secretary else MALE_SHARE.get(profile, 0.7))
        birth = add_years(today, -age) - dt.timedelta(days=rng.randint(0, 364))
        adult = add_years(birth, 18)
        if probationary:
            p = rng.random()
            if p < 0.08:  # probation ends within 30 days
                joined = today - dt.timedelta(days=rng.randint(336, 365))
            elif p < 0.12:  # probation ended more than 3 months ago, conversion not decided
                joined = today - dt.timedelta(days=rng.randint(460, 560))
            else:
                joined = today - dt.timedelta(days=rng.randint(20, 335))
            joined = max(joined, adult)
            full = None
        else:
            latest = today - dt.timedelta(days=400)
            joined = adult + dt.timedelta(days=int(max((latest - adult).days, 0) * rng.betavariate(1.3, 3.5)))
            full = joined + dt.timedelta(days=365 + rng.randint(0, 40))
        if is_secretary:
            job = data.SECRETARY_JOBS.get(b.kind, "党支部书记")
        elif profile in ("village", "community", "organ") and age >= 65:
            job = "离退休人员" if profile != "village" else "农民"
        else:
            job = rng.choice(data.JOBS[profile])
        mobile = not is_secretary and ((profile == "village" and age < 50 and rng.random() < 0.12)
                                       or (profile in ("private", "gig") and rng.random() < 0.04))
        if mobile and profile == "village":
            job = "外出务工人员"
        deleted = not is_secretary and rng.random() < 0.003
        group = PROFILE_AGES[profile]
        if group == "local":
            group = "local_old" if age >= 60 and not is_secretary else "local_young"
        mix = EDUCATION_MIX[group]
        education = rng.choices(list(mix), weights=list(mix.values()))[0]
        name = self.name_for(male)
        id_number = self._id_number(birth, male)
        if is_secretary or rng.random() < 0.95:
            phone = rng.choice(data.PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"
            phone_enc, phone_masked = crypto.encrypt(phone), mask_phone(phone)
        else:
            phone_enc = phone_masked = ""
        status = "probationary" if probationary else "full"
        person = _Person(member_id, branch_index, status, joined, full, profile, age, mobile,
                         not is_secretary and not mobile and rng.random() < 0.012, deleted, is_secretary, b.org.path)
        deleted_at = deleted_reason = None
        if deleted:
            day = self.window_start - dt.timedelta(days=rng.randint(1, 400))
            deleted_at = connection.ops.adapt_datetimefield_value(timezone.make_aware(dt.datetime.combine(day, dt.time(10))))
            deleted_reason = "去世"
        row = [member_id, name, initials(name), "male" if male else "female",
               rng.choice(data.MINORITIES) if rng.random() < 0.05 else "01",
               crypto.encrypt(id_number), crypto.blind_index(id_number), mask_id_number(id_number), birth.isoformat(),
               education, status, joined.isoformat(), full.isoformat() if full else None, job, phone_enc,
               phone_masked, b.org.id, b.org.path, mobile, deleted_at, deleted_reason or ""]
        return person, row

    MEMBER_COLUMNS = ("id", "name", "name_initials", "gender", "ethnicity", "id_number_enc", "id_number_index",
                      "id_number_masked", "birth_date", "education", "status", "joined_on", "full_on", "job",
                      "phone_enc", "phone_masked", "org_id", "org_path", "is_mobile", "deleted_at", "deleted_reason")

    def live(self, b: _Branch):
        return [self.members[k] for k in b.members if not self.members[k].deleted]

    # --- transfers --------------------------------------------------------------------------------------
    def build_transfers(self) -> None:
        """About 0.3 % of members have a letter: most received (the member now belongs to the receiving branch),
        some open and valid, some past their validity, some returned or cancelled; a few go out of the system."""
        rng, today = self.rng, self.today
        candidates = [p for p in self.members if not p.deleted and not p.cadre and p.status == "full"]
        if len(self.branches) < 2 or not candidates:
            return
        rows, moved = [], {}
        for p in rng.sample(candidates, max(1, len(candidates) * 3 // 1000)):
            source = self.branches[p.branch]
            r = rng.random()
            kind = rng.choices(["introduction", "certificate", "mobile_card"], weights=[85, 10, 5])[0]
            if r < 0.65:  # received
                target_index = rng.randrange(len(self.branches))
                if target_index == p.branch:
                    continue
                target = self.branches[target_index]
                issued = today - dt.timedelta(days=rng.randint(40, 330))
                status, received, valid = "received", issued + dt.timedelta(days=rng.randint(2, 25)), 30
                moved[p.id] = (target_index, source)
                to_org, to_path, to_name = target.org.id, target.org.path, ""
            else:
                target = self.branches[rng.randrange(len(self.branches))]
                external = rng.random() < 0.2 or target is source
                to_org, to_path, to_name = (None, "", "外省某单位党组织") if external else \
                    (target.org.id, target.org.path, "")  # fmt: skip
                received = None
                valid = rng.choice([30, 30, 30, 60, 90])
                if r < 0.80:
                    status, issued = "issued", today - dt.timedelta(days=rng.randint(1, valid - 1))
                elif r < 0.92:
                    status, issued = "issued", today - dt.timedelta(days=rng.randint(valid + 1, valid + 150))
                else:
                    status, issued = rng.choice(["returned", "cancelled"]), today - dt.timedelta(days=rng.randint(30, 300))
            expires = issued + dt.timedelta(days=valid)
            rows.append((p.id, kind, source.org.id, source.org.path, to_org, to_path, to_name,
                         f"{issued.year}-{len(rows) + 1:04d}", issued.isoformat(), valid, expires.isoformat(), status,
                         received.isoformat() if received else None, "已退回：信息不全" if status == "returned" else "",
                         ""))  # fmt: skip
        # A received transfer moved the member: the member row and branch lists follow.
        by_id = {p.id: k for k, p in enumerate(self.members)}
        for member_id, (target_index, source) in moved.items():
            k = by_id[member_id]
            person = self.members[k]
            source.members.remove(k)
            target = self.branches[target_index]
            target.members.append(k)
            person.branch, person.path = target_index, target.org.path
            row = self.member_rows[k]
            row[16], row[17] = target.org.id, target.org.path
        self.write(Transfer, ("member_id", "kind", "from_org_id", "from_org_path", "to_org_id", "to_org_path",
                              "to_org_name", "letter_no", "issued_on", "valid_days", "expires_on", "status",
                              "received_on", "closed_reason", "note"), rows)
        self.counts["transfers"] += len(rows)

    # --- committees -------------------------------------------------------------------------------------
    def build_committees(self) -> None:
        """Every organisation above branch level has a committee; branches with 7 or more full members mostly do
        (8 % do not). Terms are spread so that a few expire within 90 days and about 5 % are overdue (half of
        those with an approved postponement); about 6 % of committees have fewer than 3 or more than 5 seats."""
        rng, today = self.rng, self.today
        next_id = self.plan.first_id(BranchCommittee, self.i)
        committees, seats = [], []
        holders: dict[int, list[int]] = {}  # organisation id → member ids who may sit on its committee
        for b in self.branches:
            holders[b.org.id] = [self.members[k].id for k in b.members if not self.members[k].deleted
                                 and self.members[k].status == "full"]
        branch_by_org = {b.org.id: b for b in self.branches}
        parents = [n for n in self.orgs.nodes if n.fields["kind"] not in ("branch", "joint_branch", "group")]
        for node in parents:  # the members of the branches below (first ones: the branch secretaries)
            below = [b for b in self.branches if b.org.path.startswith(node.path)]
            holders[node.id] = [self.secretaries[b.org.id] for b in below if self.secretaries.get(b.org.id)]
        for node in [*parents, *(b.org for b in self.branches)]:
            b = branch_by_org.get(node.id)
            pool = holders[node.id]
            if b is not None and (len(pool) < 7 or rng.random() < 0.08):
                continue
            if len(pool) < 3:
                continue
            size = rng.choices([3, 5, 4, 7, 2, 6, 9], weights=[50, 38, 5, 3, 1.5, 2, 0.5])[0]
            size = min(size, len(pool))
            years = term_years_for(SimpleNamespace(kind=node.fields["kind"], region_id=node.fields["region_id"],
                                                   region=SimpleNamespace(level=node.fields["level"])))
            length = years * 365
            r = rng.random()
            postponed = approved_postponement = None
            if r < 0.05:  # overdue: the term ended before today
                elected = today - dt.timedelta(days=length + rng.randint(1, 500))
                if rng.random() < 0.5:
                    ends = add_years(elected, years)
                    postponed = ends + dt.timedelta(days=rng.randint(60, 365))
                    approved_postponement = ends - dt.timedelta(days=rng.randint(5, 40))
            else:
                elected = today - dt.timedelta(days=rng.randint(30, length - 1))
            approved = elected + dt.timedelta(days=rng.randint(5, 30))
            committees.append((next_id, node.id, elected.isoformat(), min(approved, self.last_day).isoformat(), years,
                               postponed.isoformat() if postponed else None,
                               approved_postponement.isoformat() if approved_postponement else None,
                               "上级党组织批复" if postponed else "", None))  # fmt: skip
            chosen = [pool[0], *rng.sample(pool[1:], size - 1)]
            roles = ["secretary", *(["deputy_secretary"] if size >= 5 else []), *["member"] * size]
            current = []
            for member_id, role in zip(chosen, roles, strict=False):
                vacant = role != "secretary" and rng.random() < 0.03
                left = self.day_between(elected, self.last_day) if vacant else None
                seats.append((next_id, member_id, role, elected.isoformat(), approved.isoformat()
                              if approved <= self.last_day else None, left.isoformat() if left else None,
                              "工作调动" if vacant else ""))  # fmt: skip
                if not vacant:
                    current.append(member_id)
            self.secretaries[node.id] = chosen[0]
            if b is not None:
                b.committee, b.seats = next_id, current
            next_id += 1
        if next_id >= self.plan.first_id(BranchCommittee, self.i) + self.plan.strides[BranchCommittee._meta.label]:
            raise DemoError("每个县的委员会数量超出预留编号范围")
        self.write(BranchCommittee, ("id", "org_id", "elected_on", "approved_on", "term_years", "postponed_to",
                                     "postponement_approved_on", "postponement_document", "ended_on"), committees)
        self.write(CommitteeSeat, ("committee_id", "member_id", "role", "elected_on", "approved_on", "left_on",
                                   "left_reason"), seats)
        self.counts["committees"] += len(committees)
        self.counts["committee_seats"] += len(seats)

    # --- writing the trees and the members ----------------------------------------------------------------
    def write_trees(self) -> None:
        self.write(Region, ("id", "path", "depth", "numchild", "division_code", "name", "level", "grid_kind",
                            "population", "boundary"),
                   [(n.id, n.path, n.depth, n.numchild, n.fields["division_code"], n.fields["name"], n.fields["level"],
                     n.fields["grid_kind"], n.fields["population"], None) for n in self.regions.nodes])  # fmt: skip
        self.write(PartyOrg, ("id", "path", "depth", "numchild", "code", "name", "kind", "region_id", "unit_id",
                              "founded_on", "secretary_id", "status"),
                   [(n.id, n.path, n.depth, n.numchild, n.fields["code"], n.fields["name"], n.fields["kind"],
                     n.fields["region_id"], None, n.fields["founded_on"].isoformat(), self.secretaries.get(n.id) or None,
                     "active") for n in self.orgs.nodes])  # fmt: skip
        self.write(Member, self.MEMBER_COLUMNS, [tuple(row) for row in self.member_rows])
        self.counts["regions"] += len(self.regions.nodes)
        self.counts["orgs"] += len(self.orgs.nodes)
        self.counts["members"] += len(self.member_rows)
        self.counts["branches"] += len(self.branches)
        self.counts["party_groups"] += sum(len(b.groups) for b in self.branches)
        self.counts["mobile_members"] += sum(1 for p in self.members if p.mobile and not p.deleted)
        self.counts["probationary"] += sum(1 for p in self.members if p.status == "probationary" and not p.deleted)
        self.member_rows = None

    # --- meetings and attendance ------------------------------------------------------------------------
    def build_meetings(self) -> None:
        """Meetings of every kind from the start of the quarter a year back until yesterday: monthly 主题党日 on the
        branch's fixed day, 支委会 (branches with a committee) and 党小组会 (each party group); quarterly 支部党员大会
        and 党课; yearly 组织生活会 and 民主评议党员 (mostly in December). Each is missed now and then (about 5 %,
        ten times as often in slack branches). Attendance is recorded for the meetings of the last
        `attendance_months` months: everyone for the meetings of all members, the sitting committee for 支委会."""
        rng = self.rng
        next_id = self.plan.first_id(Meeting, self.i)
        limit = next_id + self.plan.strides[Meeting._meta.label]
        start, last = self.window_start, self.last_day
        attend_from = _month_add(self.today.replace(day=1), -self.plan.attendance_months)
        months = []
        m = start
        while m <= last:
            months.append(m)
            m = _month_add(m, 1)
        meetings, attendance = [], []
        write, flush_at = self.write, FLUSH_ROWS
        meeting_columns = ("id", "org_id", "org_path", "kind", "held_on", "topic", "chair_id", "minutes",
                           "vote_subject", "due_voters", "present_voters", "recorded_by_id")
        for b in self.branches:
            miss = 0.4 if b.weak else 0.04
            chair = self.secretaries.get(b.org.id)
            people = self.live(b)
            theme_day = rng.randint(1, 25)
            held: list[tuple[str, dt.date, _Node]] = []
            for month in months:
                month_end = _month_add(month, 1) - dt.timedelta(days=1)
                if month_end > last:
                    month_end = last
                if rng.random() >= miss:
                    day = month.replace(day=min(theme_day, month_end.day))
                    if day <= last:
                        held.append(("theme_day", day, b.org))
                if b.committee and rng.random() >= miss:
                    held.append(("committee_meeting", self.day_between(month, month_end), b.org))
                for group in b.groups:
                    if rng.random() >= miss * 1.5:
                        held.append(("group_meeting", self.day_between(month, month_end), group))
                if month.month % 3 == 1:  # a quarter starts
                    quarter_end = min(_month_add(month, 3) - dt.timedelta(days=1), last)
                    for kind in ("general_assembly", "party_lecture"):
                        if rng.random() >= miss * 1.2:
                            held.append((kind, self.day_between(month, quarter_end), b.org))
                if month.month == 12:
                    for kind in ("life_meeting", "member_review"):
                        if rng.random() >= miss * 0.8:
                            held.append((kind, self.day_between(month, month_end), b.org))
            for kind, day, org in held:
                if next_id >= limit:
                    raise DemoError("每个县的会议数量超出预留编号范围")
                meeting_id = next_id
                next_id += 1
                meetings.append((meeting_id, org.id, org.path, kind, day.isoformat(), rng.choice(TOPICS[kind]),
                                 chair if org is b.org else None, "", "", None, None, None))
                if day < attend_from:
                    continue
                if kind in ALL_MEMBER_KINDS:
                    for p in people:
                        if p.joined > day:
                            continue
                        r = rng.random()
                        if p.absentee:
                            status = "absent" if r < 0.85 else "leave"
                        elif p.mobile:
                            status = "present" if r < 0.25 else ("leave" if r < 0.95 else "absent")
                        else:
                            status = "present" if r < 0.9 else ("leave" if r < 0.97 else "absent")
                        attendance.append((meeting_id, p.id, status))
                elif kind == "committee_meeting":
                    for member_id in b.seats:
                        attendance.append((meeting_id, member_id, "present" if rng.random() < 0.92 else "leave"))
            if len(attendance) >= flush_at:
                write(Attendance, ("meeting_id", "member_id", "status"), attendance)
                self.counts["attendance"] += len(attendance)
                attendance = []
            if len(meetings) >= flush_at:
                write(Meeting, meeting_columns, meetings)
                self.counts["meetings"] += len(meetings)
                meetings = []
        write(Meeting, meeting_columns, meetings)
        write(Attendance, ("meeting_id", "member_id", "status"), attendance)
        self.counts["meetings"] += len(meetings)
        self.counts["attendance"] += len(attendance)

    # --- dues -------------------------------------------------------------------------------------------
    def dues_category(self, p: _Person):
        rng = self.rng
        r = rng.random()
        if p.profile == "village":
            if r < 0.03:
                return "relief", None
            return "farmer", rng.choice(["0.20", "0.50", "0.50", "1.00"])
        if p.age >= 60 and p.profile in ("community", "organ", "school", "hospital", "institution", "state_enterprise"):
            return "retired", rng.randrange(2000, 7000, 100)
        if p.profile == "community":
            if p.age < 23 and r < 0.5:
                return "student", None
            if r < 0.08:
                return "unemployed", None
            if r < 0.11:
                return "relief", None
        low, high = IN_SERVICE_BASE.get(p.profile, (3000, 9000))
        return "in_service", rng.randrange(low, high, 100)

    def build_dues(self) -> None:
        """Profiles for every paying member and their payments for the last 12 complete months: about 1.5 % stopped
        paying 3–5 months ago, 0.7 % six months or more ago, 3 % missed one month; 0.2 % add a voluntary payment."""
        rng = self.rng
        first = _month_add(self.today.replace(day=1), -DUES_MONTHS)
        months = [_month_add(first, k) for k in range(DUES_MONTHS)]
        month_text = [m.isoformat() for m in months]
        cache: dict = {}
        profiles, payments = [], []
        write = self.write
        pay_columns = ("member_id", "org_path", "month", "due", "paid", "paid_on", "voluntary", "remit_in_full",
                       "recorded_by_id")
        for p in self.members:
            if p.deleted:
                continue
            category, base = self.dues_category(p)
            key = (category, base)
            monthly = cache.get(key)
            if monthly is None:
                monthly = cache[key] = str(monthly_dues(category, base))
            start = max(first, p.joined.replace(day=1))
            profiles.append((p.id, category, None if base is None else str(base), monthly, start.isoformat()))
            r = rng.random()
            stop = None
            if r < 0.015:
                stop = DUES_MONTHS - rng.randint(3, 5)
            elif r < 0.022:
                stop = DUES_MONTHS - rng.randint(6, 12)
            skip = rng.randrange(DUES_MONTHS - 1) if 0.022 <= r < 0.052 else None
            voluntary_month = rng.randrange(DUES_MONTHS) if rng.random() < 0.002 else None
            for k, month in enumerate(months):
                if month < start or k == skip or (stop is not None and k >= stop):
                    continue
                paid_on = month + dt.timedelta(days=rng.randint(0, 27))
                if paid_on > self.last_day:
                    paid_on = self.last_day
                voluntary = "0"
                remit = False
                if k == voluntary_month:
                    amount = rng.choice([100, 200, 500, 1000, 2000])
                    voluntary, remit = str(amount), amount >= 1000
                payments.append((p.id, p.path, month_text[k], monthly, monthly, paid_on.isoformat(), voluntary, remit,
                                 None))
            if len(payments) >= FLUSH_ROWS:
                write(DuesPayment, pay_columns, payments)
                self.counts["dues_payments"] += len(payments)
                payments = []
        write(DuesProfile, ("member_id", "category", "base", "monthly", "since"), profiles)
        write(DuesPayment, pay_columns, payments)
        self.counts["dues_profiles"] += len(profiles)
        self.counts["dues_payments"] += len(payments)

    # --- study ------------------------------------------------------------------------------------------
    def build_study(self) -> None:
        """One or two records for last year and two to five for this year (until yesterday): most members reach
        32 hours (56 for secretaries and committee members) pro rata; about 6 % fall short."""
        rng, today = self.rng, self.today
        seated = {m for b in self.branches for m in b.seats} | set(self.secretaries.values())
        last_year = dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31)
        this_year = dt.date(today.year, 1, 1), self.last_day
        share = max((this_year[1] - this_year[0]).days + 1, 1) / 365
        rows = []
        write = self.write
        for p in self.members:
            if p.deleted:
                continue
            need = 56 if (p.id in seated) else 32
            for (first, last), portion, count in ((last_year, 1.0, rng.randint(1, 2)),
                                                  (this_year, share, rng.randint(2, 5))):  # fmt: skip
                if last < first:
                    continue
                first = max(first, p.joined)
                if first > last:
                    continue
                target = need * portion * (rng.uniform(0.3, 0.9) if rng.random() < 0.06 else rng.uniform(1.0, 1.5))
                count = max(count, math.ceil(target / 20))  # a day's record holds at most 24 hours
                per = max(math.ceil(target / count * 2) / 2, 0.5)
                for _ in range(count):
                    rows.append((p.id, p.path, self.day_between(first, last).isoformat(), str(per),
                                 rng.choice(STUDY_TOPICS)))
            if len(rows) >= FLUSH_ROWS:
                write(StudyRecord, ("member_id", "org_path", "studied_on", "hours", "topic"), rows)
                self.counts["study_records"] += len(rows)
                rows = []
        write(StudyRecord, ("member_id", "org_path", "studied_on", "hours", "topic"), rows)
        self.counts["study_records"] += len(rows)

    # --- mobile members ---------------------------------------------------------------------------------
    def build_mobile(self) -> None:
        """Each mobile member has an open stay away and contact logs every two to four months; about 7 % have had
        no contact for six months or more, 3 % for over two years."""
        rng, today = self.rng, self.today
        stays, logs = [], []
        for p in self.members:
            if not p.mobile or p.deleted:
                continue
            left = today - dt.timedelta(days=rng.randint(200, 2400))
            stays.append((p.id, left.isoformat(), rng.choice(DESTINATIONS), "外出务工", None))
            r = rng.random()
            if r < 0.03:
                latest = today - dt.timedelta(days=rng.randint(731, 1000))
            elif r < 0.10:
                latest = today - dt.timedelta(days=rng.randint(185, 700))
            else:
                latest = today - dt.timedelta(days=rng.randint(1, 150))
            day = latest
            while day >= left:
                logs.append((p.id, day.isoformat(), rng.choice(["phone", "phone", "wechat", "visit"]), "已联系，情况正常",
                             None))
                day -= dt.timedelta(days=rng.randint(60, 120))
        self.write(MobileStay, ("member_id", "left_on", "destination", "reason", "returned_on"), stays)
        self.write(ContactLog, ("member_id", "contacted_on", "method", "note", "by_id"), logs)
        self.counts["mobile_stays"] += len(stays)
        self.counts["contact_logs"] += len(logs)


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


def _drop_indexes() -> list[tuple[str, str, str, str]]:
    dropped = []
    with connection.cursor() as c:
        for model in BULK_TABLES:
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
        for model in (Region, PartyOrg, Member, BranchCommittee, Meeting):
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
              attendance_months: int = ATTENDANCE_MONTHS) -> Plan:  # fmt: skip
    if not 1 <= counties <= MAX_COUNTIES:
        raise DemoError(f"县的数量应在 1 到 {MAX_COUNTIES} 之间，实际为 {counties}")
    if county_members < 50:
        raise DemoError(f"每县党员数应不少于 50 名，实际为 {county_members}")
    now = timezone.now()
    if today is not None and today != timezone.localdate(now):
        now = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=1), dt.time(18)))
    today = today or timezone.localdate(now)
    base = {}
    for model in (Region, PartyOrg, Member, BranchCommittee, Meeting):
        base[model._meta.label] = model._base_manager.order_by("-pk").values_list("pk", flat=True).first() or 0
    return Plan(seed=seed, counties=counties, county_members=county_members, today=today, now=now,
                attendance_months=attendance_months, region_roots=Region.objects.get_root_nodes().count(),
                org_roots=PartyOrg.objects.get_root_nodes().count(), base_ids=base, strides=_strides(county_members),
                names=_county_names(seed, counties))


def build_province(counties: int = DEFAULT_COUNTIES, county_members: int = DEFAULT_COUNTY_MEMBERS, seed: int = 1,
                   today: dt.date | None = None, workers: int | None = None,
                   attendance_months: int = ATTENDANCE_MONTHS, log=None) -> dict:  # fmt: skip
    """Build 示范省 into an empty ledger; returns the counts written and the seconds each phase took.

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
    plan = make_plan(counties, county_members, seed, today, attendance_months)
    started = time.perf_counter()
    totals: Counter = Counter()
    seconds = {}
    if not postgres:
        with transaction.atomic():
            for i in range(counties):
                totals.update(_build_county(plan, i))
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
    }

