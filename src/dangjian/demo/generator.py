"""The demo county 示范县: a synthetic county with the figures real counties report.

`build_demo(seed)` writes the whole county in one transaction with bulk inserts: the place tree down to
micro-grids, the party-organisation tree, about 12,000 members, the county departments and their township
stations, units, buildings, households, one demo account per role, and three months of 吹哨报到 work orders
with the grid workers, command-center staff and department handlers who act on them (see `tickets`), and a
year of branch life (committees, meetings, dues, study, transfers, mobile members, talks: see `county_life`). The
same seed gives the same names, ID numbers, structure and tickets (dates are counted back from today, so
they move with the calendar).

Tree rows are bulk-created, so their treebeard materialised paths are computed here (`_Tree`). The fixed
names and figures are in `data`, the synthetic people in `people`, and emptying the ledger in `ledger`.
"""

import datetime as dt
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from dangjian.accounts.services import do_create_user
from dangjian.checkup.engine import run as run_checkup
from dangjian.members.models import Member
from dangjian.orgs.models import PartyOrg
from dangjian.places.models import Building, Household, Region
from dangjian.reports.services import do_refresh
from dangjian.units.models import Department, Unit

from . import data
from .county_life import build_branch_life
from .data import DEMO_PASSWORD, DEMO_USERNAMES
from .ledger import DemoError, demo_counts, ledger_is_empty
from .people import CREDIT_PREFIX, People, chinese_number, make_credit_code
from .recruitment import build_recruitment, recruitment_counts
from .tickets import build_tickets

TARGET_MEMBERS = 12_000

# Relative number of members per kind of branch (scaled so the county has about TARGET_MEMBERS). Village
# branches are sized by the village's population instead (see _Builder.build_village).
BRANCH_SIZES = {
    "grid": (8, 25),
    "community": (15, 35),
    "organ": (8, 30),
    "school": (10, 40),
    "hospital": (15, 45),
    "institution": (8, 25),
    "state_enterprise": (8, 25),
    "private": (3, 12),
    "joint": (5, 15),
    "gig": (5, 15),
    "social": (3, 8),
}

# Villages of this population or more have a general branch (党总支) with two to four branches.
BIG_VILLAGE = 2500


# --- trees ----------------------------------------------------------------------------------------------
class _Tree:
    """Gives unsaved treebeard MP_Node rows their path, depth and numchild, so they can be bulk-created."""

    def __init__(self, model):
        self.model = model
        self.nodes = []
        self.roots = 0  # the demo goes into an empty tree

    def add(self, parent, **fields):
        if parent is None:
            self.roots += 1
            path = self.model._get_path(None, 1, self.roots)
        else:
            parent.numchild += 1
            path = self.model._get_path(parent.path, parent.depth + 1, parent.numchild)
        node = self.model(path=path, depth=len(path) // self.model.steplen, numchild=0, **fields)
        self.nodes.append(node)
        return node

    def save(self):
        self.model.objects.bulk_create(self.nodes, batch_size=1000)


@dataclass
class _Branch:
    """A party organisation that members belong to directly."""

    org: PartyOrg
    profile: str  # what kind of members it has (village, organ, school, private, ...)
    size: str  # what kind of branch it is (a key of BRANCH_SIZES)
    weight: float  # relative number of members
    secretary: Member | None = None


class _Builder:
    def __init__(self, seed: int, today: dt.date):
        self.rng = random.Random(seed)
        self.today = today
        self.people = People(seed, self.rng, today)
        self.regions = _Tree(Region)
        self.orgs = _Tree(PartyOrg)
        self.departments = _Tree(Department)
        self.units: list[Unit] = []
        self.branches: list[_Branch] = []
        self.org_count = self.unit_count = self.department_count = 0
        self.unit_by_name: dict[str, Unit] = {}
        # Filled while building and used for the demo accounts.
        self.townships: list[Region] = []
        self.villages: dict[int, list[Region]] = {}  # township index → villages and communities
        self.grids: dict[str, list[Region]] = {}  # village/community division code → its grids
        self.micro_grids: dict[str, list[Region]] = {}  # community grid division code → its micro-grids
        self.grid_branch_quota: dict[str, int] = {}  # community division code → how many grids have a branch
        self.village_orgs: dict[str, PartyOrg] = {}  # village division code → its organisation
        self.department_by_name: dict[str, Department] = {}

    # --- helpers ---------------------------------------------------------------------------------------
    def day_between(self, start: dt.date, end: dt.date) -> dt.date:
        return start + dt.timedelta(days=self.rng.randint(0, max((end - start).days, 0)))

    def founded(self, first_year: int, last_year: int) -> dt.date:
        return self.day_between(dt.date(first_year, 1, 1), min(dt.date(last_year, 12, 31), self.today))

    def region(
        self, parent, code: str, name: str, level: str, grid_kind: str = "", population=None
    ) -> Region:
        return self.regions.add(
            parent, division_code=code, name=name, level=level, grid_kind=grid_kind, population=population
        )

    def org(self, parent, name: str, kind: str, region=None, unit=None, founded=(1950, 2000)) -> PartyOrg:
        self.org_count += 1
        return self.orgs.add(
            parent,
            code=f"D{data.COUNTY_CODE}{self.org_count:04d}",
            name=name,
            kind=kind,
            region=region,
            unit=unit,
            founded_on=self.founded(*founded),
        )

    def branch(
        self, parent, name: str, profile: str, size: str, kind=PartyOrg.Kind.BRANCH, weight=None, **fields
    ) -> PartyOrg:
        org = self.org(parent, name, kind, **fields)
        if weight is None:
            weight = self.rng.uniform(*BRANCH_SIZES[size])
        self.branches.append(_Branch(org, profile, size, weight))
        return org

    def unit(self, name: str, kind: str, region: Region) -> Unit:
        self.unit_count += 1
        unit = Unit(
            code=f"DW{data.COUNTY_CODE}{self.unit_count:04d}",
            name=name,
            kind=kind,
            region=region,
            credit_code=make_credit_code(self.rng, CREDIT_PREFIX[kind], data.COUNTY_CODE),
        )
        self.units.append(unit)
        self.unit_by_name[name] = unit
        return unit

    def company_name(self) -> str:
        while True:
            name = self.people.company()
            if name not in self.unit_by_name:
                return name

    def department(self, parent, name: str, kind: str, region: Region) -> Department:
        self.department_count += 1
        dept = self.departments.add(
            parent,
            code=f"BM{data.COUNTY_CODE}{self.department_count:03d}",
            name=name,
            kind=kind,
            region=region,
        )
        self.department_by_name[name] = dept
        return dept

    # --- places ----------------------------------------------------------------------------------------
    def build_places(self) -> Region:
        county = self.region(None, data.COUNTY_CODE, data.COUNTY_NAME, Region.Level.COUNTY)
        dedicated = {(index, where): suffix for suffix, index, where in data.DEDICATED_GRIDS}
        community_names = iter(data.COMMUNITIES)
        community_grids = iter(zip(data.COMMUNITY_GRIDS, data.GRID_BRANCHES, strict=True))
        village_names: set[str] = set()
        street_no, town_no, xiang_no = 0, 99, 199
        for index, (name, level, communities, villages) in enumerate(data.TOWNSHIPS):
            # 001–099 streets, 100–199 towns (镇), 200–399 townships (乡), as in the statistical division codes.
            if level == Region.Level.STREET:
                street_no += 1
                number = street_no
            elif name.endswith("镇"):
                town_no += 1
                number = town_no
            else:
                xiang_no += 1
                number = xiang_no
            township = self.region(county, f"{data.COUNTY_CODE}{number:03d}", name, level)
            self.townships.append(township)
            self.villages[index] = []
            for n in range(1, communities + 1):
                grids, branches = next(community_grids)
                community = self.region(
                    township,
                    f"{township.division_code}{n:03d}",
                    next(community_names),
                    Region.Level.COMMUNITY,
                    population=self.rng.randint(6000, 15000),
                )
                self.grid_branch_quota[community.division_code] = branches
                self.villages[index].append(community)
                self.build_grids(
                    community, grids, Region.GridKind.COMPREHENSIVE, dedicated.get((index, "community"))
                )
                dedicated.pop((index, "community"), None)
            for n in range(1, villages + 1):
                while True:
                    village_name = (
                        self.rng.choice(data.VILLAGE_FIRST) + self.rng.choice(data.VILLAGE_SECOND) + "村"
                    )
                    if village_name not in village_names:
                        village_names.add(village_name)
                        break
                village = self.region(
                    township,
                    f"{township.division_code}{199 + n:03d}",
                    village_name,
                    Region.Level.VILLAGE,
                    population=self.rng.randint(800, 4000),
                )
                self.villages[index].append(village)
                count = self.rng.choices([1, 2, 3], weights=[3, 5, 2])[0]
                self.build_grids(
                    village, count, Region.GridKind.STANDARD, dedicated.pop((index, "village"), None)
                )
            township.population = sum(v.population for v in self.villages[index])
        county.population = sum(t.population for t in self.townships)
        self.regions.save()
        return county

    def build_grids(self, parent: Region, count: int, kind: str, dedicated_suffix: str | None) -> None:
        grids = []
        for n in range(1, count + 1):
            grid = self.region(
                parent,
                f"{parent.division_code}{n:03d}",
                f"{parent.name}第{chinese_number(n)}网格",
                Region.Level.GRID,
                grid_kind=kind,
                population=parent.population // count,
            )
            grids.append(grid)
            if kind == Region.GridKind.COMPREHENSIVE:
                micro_count = self.rng.randint(2, 4)
                self.micro_grids[grid.division_code] = []
                for m in range(1, micro_count + 1):
                    micro = self.region(
                        grid,
                        f"{grid.division_code}{m:03d}",
                        f"{grid.name}{m}号微网格",
                        Region.Level.GRID,
                        grid_kind=Region.GridKind.MICRO,
                        population=grid.population // micro_count,
                    )
                    self.micro_grids[grid.division_code].append(micro)
        if dedicated_suffix:
            self.region(
                parent,
                f"{parent.division_code}{count + 1:03d}",
                f"{parent.name}{dedicated_suffix}",
                Region.Level.GRID,
                grid_kind=Region.GridKind.DEDICATED,
                population=self.rng.randint(200, 1500),
            )
        self.grids[parent.division_code] = grids

    # --- departments -----------------------------------------------------------------------------------
    def build_departments(self, county: Region) -> None:
        for name in data.COUNTY_DEPARTMENTS:
            self.department(None, name, Department.Kind.COUNTY, county)
        for name in data.UTILITIES:
            self.department(None, name, Department.Kind.UTILITY, county)
        for township in self.townships:
            short = (
                township.name.removesuffix("街道") if township.level == Region.Level.STREET else township.name
            )
            for suffix, parent_name in data.STATIONS:
                parent = self.department_by_name[parent_name]
                self.department(parent, f"{short}{suffix}", Department.Kind.STATION, township)
        self.departments.save()

    # --- party organisations and units -----------------------------------------------------------------
    def build_orgs(self, county: Region) -> None:
        root = self.org(
            None, f"中共{data.COUNTY_NAME}委员会", PartyOrg.Kind.COMMITTEE, county, founded=(1949, 1949)
        )
        self.build_county_organs(root, county)
        self.build_new_sectors(root, county)
        for index, township in enumerate(self.townships):
            self.build_township(root, index, township)

    def build_county_organs(self, root: PartyOrg, county: Region) -> None:
        organs = self.org(root, "县直机关工委", PartyOrg.Kind.WORKING_COMMITTEE, county, founded=(1952, 1960))
        for name in data.COUNTY_DEPARTMENTS:
            kind = Unit.Kind.INSTITUTION if name.endswith("中心") else Unit.Kind.ORGAN
            own_unit = self.unit(name, kind, county)
            if name not in data.SYSTEM_COMMITTEES:
                self.branch(organs, f"{name}党支部", "organ", "organ", region=county, unit=own_unit)
                continue
            committee = self.org(
                root, f"{name}党委", PartyOrg.Kind.COMMITTEE, county, own_unit, founded=(1955, 1985)
            )
            for branch_name, unit_name, profile in data.SYSTEM_COMMITTEES[name]:
                places = (
                    [t for t in self.townships if t.level != Region.Level.STREET]
                    if "{township}" in branch_name
                    else [county]
                )
                for place in places:
                    if unit_name is None:
                        unit = own_unit
                    else:
                        full_unit_name = unit_name.format(township=place.name)
                        unit = self.unit_by_name.get(full_unit_name) or self.unit(
                            full_unit_name, Unit.Kind.INSTITUTION, place
                        )
                    self.branch(
                        committee,
                        branch_name.format(township=place.name),
                        profile,
                        profile,
                        region=place,
                        unit=unit,
                    )
        for name in data.OTHER_ORGANS:
            unit = self.unit(name, Unit.Kind.ORGAN, county)
            self.branch(organs, f"{name}党支部", "organ", "organ", region=county, unit=unit)
        state = self.org(root, "县国资委党委", PartyOrg.Kind.COMMITTEE, county, founded=(1998, 2008))
        for name in data.STATE_ENTERPRISES:
            unit = self.unit(name, Unit.Kind.STATE_ENTERPRISE, county)
            self.branch(
                state,
                f"{name}党支部",
                "state_enterprise",
                "state_enterprise",
                region=county,
                unit=unit,
                founded=(1995, 2020),
            )

    def build_new_sectors(self, root: PartyOrg, county: Region) -> None:
        """Non-public enterprises and social organisations at county level (两新组织), and the delivery trade."""
        committee = self.org(
            root, "县委两新工委", PartyOrg.Kind.WORKING_COMMITTEE, county, founded=(2010, 2014)
        )
        seat = self.townships[:2]  # the county seat: the two streets
        for _ in range(8):
            place = self.rng.choice(self.villages[self.rng.randrange(len(seat))])
            unit = self.unit(self.company_name(), Unit.Kind.PRIVATE_ENTERPRISE, place)
            self.branch(
                committee,
                f"{unit.name}党支部",
                "private",
                "private",
                region=place,
                unit=unit,
                founded=(2005, 2024),
            )
        for name in data.SOCIAL_ORGS:
            unit = self.unit(name, Unit.Kind.SOCIAL_ORG, county)
            self.branch(
                committee, f"{name}党支部", "social", "social", region=county, unit=unit, founded=(2012, 2024)
            )
        trade = self.org(
            committee, "县快递物流行业党委", PartyOrg.Kind.INDUSTRY_COMMITTEE, county, founded=(2019, 2021)
        )
        for index, name in enumerate(data.INDUSTRY_BRANCHES):
            place = seat[index] if index < len(seat) else county
            self.branch(
                trade, name, "gig", "gig", kind=PartyOrg.Kind.JOINT_BRANCH, region=place, founded=(2019, 2024)
            )

    def build_township(self, root: PartyOrg, index: int, township: Region) -> None:
        is_street = township.level == Region.Level.STREET
        if is_street:
            org = self.org(
                root,
                f"{township.name}党工委",
                PartyOrg.Kind.WORKING_COMMITTEE,
                township,
                founded=(1955, 2015),
            )
            office, service = f"{township.name}办事处", f"{township.name}综合服务中心"
        else:
            org = self.org(
                root, f"{township.name}党委", PartyOrg.Kind.COMMITTEE, township, founded=(1950, 1985)
            )
            office, service = f"{township.name}人民政府", f"{township.name}农业综合服务中心"
        unit = self.unit(office, Unit.Kind.ORGAN, township)
        self.branch(org, f"{township.name}机关党支部", "organ", "organ", region=township, unit=unit)
        unit = self.unit(service, Unit.Kind.INSTITUTION, township)
        self.branch(org, f"{service}党支部", "institution", "institution", region=township, unit=unit)
        for place in self.villages[index]:
            if place.level == Region.Level.COMMUNITY:
                self.build_community(org, place)
            else:
                self.build_village(org, place)
        for _ in range(self.rng.randint(1, 4)):
            place = self.rng.choice(self.villages[index])
            unit = self.unit(self.company_name(), Unit.Kind.PRIVATE_ENTERPRISE, place)
            self.branch(
                org, f"{unit.name}党支部", "private", "private", region=place, unit=unit, founded=(2003, 2024)
            )
        if not is_street:
            self.branch(
                org,
                f"{township.name}非公企业联合党支部",
                "private",
                "joint",
                kind=PartyOrg.Kind.JOINT_BRANCH,
                region=township,
                founded=(2010, 2022),
            )
        # Enterprises without a party organisation of their own (covered by the joint branch).
        for _ in range(self.rng.randint(2, 6)):
            self.unit(
                self.company_name(), Unit.Kind.PRIVATE_ENTERPRISE, self.rng.choice(self.villages[index])
            )

    def build_village(self, township_org: PartyOrg, village: Region) -> None:
        """A village's members number about one in fifty of its people; big villages have a general branch."""
        members = village.population / 50 * self.rng.uniform(0.8, 1.2)
        if village.population >= BIG_VILLAGE:
            org = self.org(township_org, f"{village.name}党总支", PartyOrg.Kind.GENERAL_BRANCH, village)
            branches = 2 + (village.population - BIG_VILLAGE) // 500
            for n in range(1, branches + 1):
                self.branch(
                    org,
                    f"{village.name}第{chinese_number(n)}党支部",
                    "village",
                    "village_sub",
                    weight=members / branches * self.rng.uniform(0.85, 1.15),
                    region=village,
                    founded=(1980, 2015),
                )
        else:
            org = self.branch(
                township_org, f"{village.name}党支部", "village", "village", weight=members, region=village
            )
        self.village_orgs[village.division_code] = org

    def build_community(self, township_org: PartyOrg, community: Region) -> None:
        if community.name in data.COMMUNITY_COMMITTEES:
            org = self.org(
                township_org,
                f"{community.name}党委",
                PartyOrg.Kind.COMMITTEE,
                community,
                founded=(2000, 2015),
            )
        else:
            org = self.org(
                township_org,
                f"{community.name}党总支",
                PartyOrg.Kind.GENERAL_BRANCH,
                community,
                founded=(1985, 2010),
            )
        self.village_orgs[community.division_code] = org
        grids = self.grids[community.division_code]
        quota = self.grid_branch_quota[community.division_code]
        grid_branches = []
        for grid in grids[:quota]:
            grid_branches.append(
                self.branch(org, f"{grid.name}党支部", "community", "grid", region=grid, founded=(2016, 2023))
            )
        # Grids without a branch of their own get a party group in the branch of a neighbouring grid.
        without_branch = grids[quota:]
        hosts = grid_branches[quota - len(without_branch) :]
        for host, grid in zip(hosts, without_branch, strict=True):
            self.org(host, f"{grid.name}党小组", PartyOrg.Kind.GROUP, grid, founded=(2018, 2024))
        self.branch(
            org,
            f"{community.name}离退休党员党支部",
            "community",
            "community",
            region=community,
            founded=(1995, 2015),
        )

    def build_extra_groups(self, count: int) -> None:
        """Party groups in the biggest grid branches, one per micro-grid, up to `count`."""
        grid_branches = [b for b in self.branches if b.org.region and b.org.region.level == Region.Level.GRID]
        grid_branches.sort(key=lambda b: -b.weight)
        micro_grids = {
            node.path: node for node in self.regions.nodes if node.grid_kind == Region.GridKind.MICRO
        }
        for branch in grid_branches[:count]:
            grid = branch.org.region
            micro = next(node for path, node in micro_grids.items() if path.startswith(grid.path))
            self.org(branch.org, f"{micro.name}党小组", PartyOrg.Kind.GROUP, micro, founded=(2018, 2024))

    # --- members ---------------------------------------------------------------------------------------
    def build_members(self) -> None:
        scale = TARGET_MEMBERS / sum(b.weight for b in self.branches)
        batch: list[Member] = []
        for branch in self.branches:
            size = max(3, round(branch.weight * scale))
            first = len(batch)
            for n in range(size):
                batch.append(self.people.member(branch.org, branch.profile, branch.size, is_secretary=n == 0))
            branch.secretary = batch[first]
        Member.objects.bulk_create(batch, batch_size=2000)
        orgs = []
        for branch in self.branches:
            branch.org.secretary = branch.secretary
            orgs.append(branch.org)
        PartyOrg.objects.bulk_update(orgs, ["secretary"], batch_size=1000)

    # --- households ------------------------------------------------------------------------------------
    def build_households(self) -> None:
        buildings: list[Building] = []
        households: list[Household] = []
        for places in self.villages.values():
            for place in places:
                for number, grid in enumerate(self.grids[place.division_code], start=1):
                    if place.level == Region.Level.COMMUNITY:
                        estate = self.rng.choice(data.ESTATES)
                        micro = self.micro_grids.get(grid.division_code) or [grid]
                        for b in range(1, max(self.rng.randint(3, 5), len(micro)) + 1):
                            # A micro-grid is a few buildings: each building lies in one of them.
                            where = micro[(b - 1) % len(micro)]
                            building = Building(
                                grid=where,
                                region_path=where.path,
                                estate=estate,
                                name=f"{b}栋",
                                address=f"{place.name}{estate}{b}栋",
                            )
                            buildings.append(building)
                            for _ in range(self.rng.randint(3, 6)):
                                room = f"{self.rng.randint(1, 3)}单元{self.rng.randint(1, 18)}0{self.rng.randint(1, 4)}室"
                                households.append(self.household(where, f"{estate}{b}栋{room}", building))
                    else:
                        for h in range(1, self.rng.randint(8, 16) + 1):
                            households.append(self.household(grid, f"{place.name}{number}组{h * 2 - 1}号"))
        Building.objects.bulk_create(buildings, batch_size=1000)
        Household.objects.bulk_create(households, batch_size=2000)

    def household(self, grid: Region, address: str, building: Building | None = None) -> Household:
        return Household(
            grid=grid,
            region_path=grid.path,
            building=building,
            head_name=self.people.name(self.rng.random() < 0.8),
            address=address,
            size=self.rng.choices([1, 2, 3, 4, 5, 6], weights=[8, 25, 25, 22, 13, 7])[0],
        )

    # --- demo accounts ---------------------------------------------------------------------------------
    def build_accounts(self, county: Region) -> None:
        township_index = next(i for i, t in enumerate(self.townships) if t.level == Region.Level.TOWNSHIP)
        township = self.townships[township_index]
        villages = [v for v in self.villages[township_index] if v.level == Region.Level.VILLAGE]
        village = next(
            (v for v in villages if self.village_orgs[v.division_code].kind == PartyOrg.Kind.BRANCH),
            villages[0],
        )
        village_org = self.village_orgs[village.division_code]
        branch = next(
            b for b in self.branches if b.org is village_org or b.org.path.startswith(village_org.path)
        )
        member = Member.objects.filter(org=branch.org).exclude(pk=branch.secretary.pk).order_by("id").first()
        scopes = {
            "county_admin": county.division_code,
            "township_admin": township.division_code,
            "branch_secretary": branch.org.code,
            "grid_worker": self.grids[village.division_code][0].division_code,
            "department_handler": self.department_by_name["县住房和城乡建设局"].code,
            "member": None,
            "resident": village.division_code,
        }
        for username, role in DEMO_USERNAMES:
            if role == "member":
                display_name, linked = member.name, member
            elif role == "branch_secretary":
                display_name, linked = branch.secretary.name, branch.secretary
            else:
                display_name, linked = self.people.name(self.rng.random() < 0.6), None
            do_create_user(
                actor=None,
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                scope_code=scopes[role],
                display_name=display_name,
                member=linked,
            )


def _secretary_branch():
    """The demo branch secretary's branch (it gets some of the recruitment cases)."""
    from dangjian.accounts.models import RoleAssignment

    assignment = RoleAssignment.objects.filter(user__username="branch_secretary", org__isnull=False).first()
    return assignment.org if assignment else None


@transaction.atomic
def build_demo(seed: int = 1, today: dt.date | None = None) -> dict:
    """Build 示范县 into an empty ledger; returns the counts of what was created."""
    if not ledger_is_empty():
        raise DemoError("数据库中已有区划、党组织或党员数据，示范县只能生成到空数据库中。")
    now = timezone.now()
    if today is not None and today != timezone.localdate(now):
        now = timezone.make_aware(dt.datetime.combine(today, dt.time(18)))
    builder = _Builder(seed, today or timezone.localdate(now))
    county = builder.build_places()
    builder.build_departments(county)
    builder.build_orgs(county)
    groups = sum(1 for node in builder.orgs.nodes if node.kind == PartyOrg.Kind.GROUP)
    builder.build_extra_groups(data.PARTY_GROUPS - groups)
    Unit.objects.bulk_create(builder.units, batch_size=1000)
    builder.orgs.save()
    builder.build_members()
    builder.build_households()
    builder.build_accounts(county)
    build_tickets(builder, seed, now)
    build_recruitment(builder.people, seed, builder.today, _secretary_branch())
    profiles = {b.org.pk: (b.profile, b.size) for b in builder.branches}
    life = build_branch_life(seed, builder.today, now, profiles)
    # The health check and the statistics snapshots, as the daily tick would make them: the 体检报告, 本月待办 and
    # the dashboards have their figures from the first start.
    checkup = run_checkup("", builder.today)
    do_refresh(now=now, full=True)  # every month with tickets, so the trends have their history
    return {**demo_counts(county), **recruitment_counts(), **life, "findings_open": checkup["opened"]}
