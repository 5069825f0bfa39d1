"""A small county for tests, built through the same models and services the product uses."""

import datetime as dt
import itertools
from dataclasses import dataclass, field

from dangjian.accounts.services import do_create_user
from dangjian.core.idnumber import make_id_number
from dangjian.members.services import do_create_member
from dangjian.orgs.models import PartyOrg
from dangjian.places.models import Region
from dangjian.units.models import Department, Unit

PASSWORD = "Test@2026pw"
_sequence = itertools.count(1)


def id_number(birth=dt.date(1985, 3, 14), region="369901", male=True) -> str:
    """A valid, unique ID number; the sequence's last digit decides the gender."""
    n = next(_sequence)
    seq = (n * 2 + (1 if male else 0)) % 1000
    return make_id_number(region, birth, seq)


@dataclass
class County:
    county: Region
    town_a: Region
    town_b: Region
    village_a: Region
    village_b: Region
    grid_a: Region
    county_org: PartyOrg
    town_a_org: PartyOrg
    town_b_org: PartyOrg
    branch_a: PartyOrg
    branch_b: PartyOrg
    department: Department
    station: Department
    unit: Unit
    users: dict = field(default_factory=dict)
    members: dict = field(default_factory=dict)


def build_county() -> County:
    county = Region.objects.add_root(dict(division_code="369901", name="示范县", level="county"))
    town_a = type(county).objects.add_child(county, dict(division_code="369901001", name="城关镇", level="township"))
    town_b = type(county).objects.add_child(county, dict(division_code="369901002", name="河西镇", level="township"))
    village_a = type(town_a).objects.add_child(town_a, dict(division_code="369901001001", name="东风村", level="village"))
    village_b = type(town_b).objects.add_child(town_b, dict(division_code="369901002001", name="柳林村", level="village"))
    grid_a = type(village_a).objects.add_child(village_a, dict(division_code="369901001001001", name="东风村一网格", level="grid",
                                 grid_kind="standard"))
    county_org = PartyOrg.objects.add_root(dict(code="D01", name="中共示范县委员会", kind="committee", region=county))
    town_a_org = type(county_org).objects.add_child(county_org, dict(code="D0101", name="城关镇党委", kind="committee", region=town_a))
    town_b_org = type(county_org).objects.add_child(county_org, dict(code="D0102", name="河西镇党委", kind="committee", region=town_b))
    branch_a = type(town_a_org).objects.add_child(town_a_org, dict(code="D010101", name="东风村党支部", kind="branch", region=village_a))
    branch_b = type(town_b_org).objects.add_child(town_b_org, dict(code="D010201", name="柳林村党支部", kind="branch", region=village_b))
    department = Department.objects.add_root(dict(code="BM001", name="县住房和城乡建设局", kind="county", region=county))
    station = type(department).objects.add_child(department, dict(code="BM001-01", name="城关镇规划建设站", kind="station", region=town_a))
    unit = Unit.objects.create(code="U001", name="示范县第一中学", kind="institution", region=town_a)
    c = County(county, town_a, town_b, village_a, village_b, grid_a, county_org, town_a_org, town_b_org,
               branch_a, branch_b, department, station, unit)
    c.members["a"] = do_create_member(actor=None, name="张三", id_number=id_number(), org=branch_a,
                                      phone="13800138000", joined_on=dt.date(2010, 7, 1),
                                      full_on=dt.date(2011, 7, 1), status="full", education="20")
    c.members["b"] = do_create_member(actor=None, name="李四", id_number=id_number(male=False), org=branch_b,
                                      phone="13900139000", joined_on=dt.date(2012, 7, 1),
                                      full_on=dt.date(2013, 7, 1), status="full", education="30")
    roles = {
        "county_admin": "369901", "township_admin": "369901001", "branch_secretary": "D010101",
        "grid_worker": "369901001001001", "department_handler": "BM001", "resident": "369901001001",
    }  # fmt: skip
    for role, scope in roles.items():
        c.users[role], _ = do_create_user(actor=None, username=role, password=PASSWORD, role=role, scope_code=scope)
    c.users["member"], _ = do_create_user(actor=None, username="member", password=PASSWORD, role="member",
                                          member=c.members["a"])
    return c
