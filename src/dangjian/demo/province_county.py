"""One county of the demo province 示范省 (see dangjian.demo.province): its places, organisations, members,
committees, meetings and attendance, dues, study records, transfers and mobile members, generated from the
county's own seeded random generator and written through the province's sink."""

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING

from django.db import connection
from django.utils import timezone
from faker.providers.person.zh_CN import Provider as ChinesePersonProvider

from dangjian.core import crypto
from dangjian.core.idnumber import make_id_number, mask_id_number
from dangjian.core.phone import mask_phone
from dangjian.core.pinyin import initials
from dangjian.members.models import Member, Transfer
from dangjian.orgs.models import BranchCommittee, CommitteeSeat, PartyOrg, term_years_for
from dangjian.places.models import Region

from . import data
from .ledger import DemoError
from .people import AGE_BANDS, EDUCATION_MIX, MALE_SHARE, PROFILE_AGES, add_years, chinese_number
from .province_life import BranchLife, _month_add

if TYPE_CHECKING:
    from .province import Plan, _Sink


PLACE_FIRST = list("白碧长城春翠大东丰凤福高古观和黑红湖黄回金锦兰老立莲林柳龙芦马茅梅南平坪桥青清沙上石双水")
PLACE_SECOND = list("坝坂岙北滨埠仓场冲川店渡墩坊丰岗沟河湖集涧江口岭隆庙畈浦桥泉沙山市水塘田湾溪圩峪园寨洲庄")
_SURNAMES = list(ChinesePersonProvider.last_names)
_SURNAME_WEIGHTS = list(ChinesePersonProvider.last_names.values())
_MALE_CHARS = sorted({c for n in ChinesePersonProvider.first_names_male for c in n})
_FEMALE_CHARS = sorted({c for n in ChinesePersonProvider.first_names_female for c in n})


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


class _County(BranchLife):
    """Builds county `i` of the plan and writes it through a _Sink."""

    # Committee gaps (the demo county lowers them, see county_life): a branch of 7 or more full members without a
    # committee, a term overdue; committee sizes and their weights.
    committee_gaps = (0.08, 0.05)
    committee_sizes = ((3, 5, 4, 7, 2, 6, 9), (50, 38, 5, 3, 1.5, 2, 0.5))

    def __init__(self, plan: "Plan", i: int, sink: "_Sink"):
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
            if b is not None and (len(pool) < 7 or rng.random() < self.committee_gaps[0]):
                continue
            if len(pool) < 3:
                continue
            size = rng.choices(*self.committee_sizes)[0]
            size = min(size, len(pool))
            years = term_years_for(SimpleNamespace(kind=node.fields["kind"], region_id=node.fields["region_id"],
                                                   region=SimpleNamespace(level=node.fields["level"])))
            length = years * 365
            r = rng.random()
            postponed = approved_postponement = None
            if r < self.committee_gaps[1]:  # overdue: the term ended before today
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
