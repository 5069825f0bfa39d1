"""The demo county generator: figures, valid data, tree integrity, demo accounts, determinism, refusal."""

import datetime as dt
import random
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.test import override_settings

from dangjian.accounts.models import User
from dangjian.branchlife.models import Attendance, DuesPayment, DuesProfile, HeartToHeart, Meeting
from dangjian.checkup.models import Finding
from dangjian.core.dictionaries import EDUCATIONS
from dangjian.core.idnumber import parse_id_number
from dangjian.demo.data import DEMO_PASSWORD, DEMO_USERNAMES
from dangjian.demo.generator import build_demo
from dangjian.demo.ledger import reset_ledger
from dangjian.demo.people import add_years, make_credit_code
from dangjian.members.models import ContactLog, Member, MobileStay, Transfer
from dangjian.orgs.models import BranchCommittee, CommitteeSeat, PartyOrg
from dangjian.places.models import Household, Region
from dangjian.units.models import Department, Unit

# The demo creates seven accounts; PBKDF2 would spend most of the test time hashing their password.
fast_hashing = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])


def first_members(count=20):
    return list(Member.objects.order_by("org_path", "id").values_list("name", "id_number_masked")[:count])


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The county built once for the module (seed 1), removed again afterwards."""
    with django_db_blocker.unblock(), fast_hashing:
        counts = build_demo(seed=1)
        counts["first_members"] = first_members()
    yield counts
    with django_db_blocker.unblock():
        reset_ledger()


@pytest.mark.django_db
def test_figures(demo):
    assert Region.objects.filter(level__in=[Region.Level.TOWNSHIP, Region.Level.STREET]).count() == 15
    assert Region.objects.filter(level=Region.Level.VILLAGE).count() == 141
    assert Region.objects.filter(level=Region.Level.COMMUNITY).count() == 6
    community_grids = Region.objects.filter(level=Region.Level.GRID, grid_kind=Region.GridKind.COMPREHENSIVE)
    assert community_grids.count() == 110
    assert all(len(code) == 15 for code in community_grids.values_list("division_code", flat=True))
    micro = Region.objects.filter(grid_kind=Region.GridKind.MICRO)
    assert 200 <= micro.count() <= 600
    assert all(len(code) == 18 for code in micro.values_list("division_code", flat=True))
    assert Region.objects.filter(grid_kind=Region.GridKind.STANDARD).count() >= 141
    assert PartyOrg.objects.filter(kind=PartyOrg.Kind.BRANCH, region__level=Region.Level.GRID).count() == 94
    assert PartyOrg.objects.filter(kind=PartyOrg.Kind.GROUP).count() == 18
    assert 650 <= PartyOrg.objects.count() <= 750
    assert Department.objects.filter(kind=Department.Kind.COUNTY).count() == 56
    assert Department.objects.filter(kind=Department.Kind.STATION, depth=2).count() > 0
    assert 11_000 <= Member.objects.count() <= 13_000
    assert Household.objects.count() >= 2_000
    assert Unit.objects.filter(kind=Unit.Kind.PRIVATE_ENTERPRISE, orgs__isnull=False).exists()
    assert (
        demo["villages"] == 141 and demo["grid_branches"] == 94 and demo["members"] == Member.objects.count()
    )


@pytest.mark.django_db
def test_codes_are_unique_and_well_formed(demo):
    county = Region.objects.get(level=Region.Level.COUNTY)
    assert county.division_code == "369901" and county.name == "示范县"
    code_by_path = dict(Region.objects.values_list("path", "division_code"))
    for path, code in code_by_path.items():
        if path != county.path:
            assert len(code) in (9, 12, 15, 18) and code_by_path[path[:-4]] == code[:-3], code
    assert PartyOrg.objects.filter(founded_on__isnull=True).count() == 0
    assert PartyOrg.objects.filter(region__isnull=True).count() == 0
    assert Household.objects.exclude(region_path__startswith=county.path).count() == 0
    codes = Unit.objects.values_list("credit_code", flat=True)
    assert all(len(code) == 18 for code in codes) and len(set(codes)) == len(codes)


def credit_check_character(first17: str) -> str:
    """GB 32100-2015: the 18th character of a unified social credit code."""
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    return chars[(31 - sum(chars.index(c) * w for c, w in zip(first17, weights, strict=True)) % 31) % 31]


def test_credit_codes_have_valid_check_characters():
    example = "91350100M000100Y43"  # the example printed in GB 32100-2015
    assert credit_check_character(example[:17]) == example[17]
    rng = random.Random(3)
    for prefix in ("11", "12", "51", "91"):
        code = make_credit_code(rng, prefix, "369901")
        assert len(code) == 18 and code.startswith(prefix + "369901")
        assert credit_check_character(code[:17]) == code[17]


@pytest.mark.django_db
def test_tree_integrity(demo):
    for model in (Region, PartyOrg, Department):
        assert model.objects.find_problems() == ([], [], [], [], []), model.__name__
    county = Region.objects.get(level=Region.Level.COUNTY)
    assert Region.objects.get_descendants(county).count() == Region.objects.count() - 1
    assert Region.objects.get_children(county).count() == 15
    community = Region.objects.filter(level=Region.Level.COMMUNITY).first()
    grids = Region.objects.get_children(community)
    assert grids.count() >= 15 and all(g.level == Region.Level.GRID for g in grids)
    root = PartyOrg.objects.get(depth=1)
    assert root.name == "中共示范县委员会"
    assert PartyOrg.objects.get_descendants(root).count() == PartyOrg.objects.count() - 1
    group = PartyOrg.objects.filter(kind=PartyOrg.Kind.GROUP).first()
    assert PartyOrg.objects.get_parent(group).kind == PartyOrg.Kind.BRANCH
    station = Department.objects.filter(kind=Department.Kind.STATION).first()
    assert Department.objects.get_parent(station).kind == Department.Kind.COUNTY
    member = Member.objects.select_related("org").first()
    assert member.org_path == member.org.path


@pytest.mark.django_db
def test_members_are_valid_and_realistic(demo):
    members = list(Member.objects.all())
    today = dt.date.today()
    for member in members[::25]:
        parsed = parse_id_number(member._plain_id_number())
        assert parsed.value.startswith("3699")  # the invented prefecture: never a real person's number
        assert parsed.masked == member.id_number_masked
        assert parsed.birth_date == member.birth_date
        assert parsed.gender == member.gender
        assert ("male" if int(parsed.value[16]) % 2 else "female") == member.gender
        phone = member._plain_phone()
        assert phone == "" or re.fullmatch(r"1[3-9]\d{9}", phone)
    assert len({m.id_number_index for m in members}) == len(members)
    for member in members:
        assert 20 <= member.age_on(today) <= 90
        assert member.joined_on <= today
        assert member.joined_on >= add_years(member.birth_date, 18)
        if member.status == Member.Status.FULL:
            assert member.full_on > member.joined_on and member.full_on <= today
        else:
            assert member.status == Member.Status.PROBATIONARY and member.full_on is None

    def share(test):
        return sum(1 for m in members if test(m)) / len(members)

    assert 0.65 <= share(lambda m: m.gender == "male") <= 0.75
    assert 0.03 <= share(lambda m: m.ethnicity != "01") <= 0.07
    assert 0.02 <= share(lambda m: m.status == Member.Status.PROBATIONARY) <= 0.04
    assert 0.02 <= share(lambda m: m.is_mobile) <= 0.045
    assert all(m.education in EDUCATIONS for m in members)
    secretaries = PartyOrg.objects.filter(kind__in=PartyOrg.BRANCH_KINDS, secretary__isnull=True)
    assert secretaries.count() == 0


@pytest.mark.django_db
def test_branch_life(demo):
    """A year of branch life from the province generator: every kind of meeting, committees, dues, study hours,
    transfers, mobile members' contacts and talks, mostly complete."""
    today = dt.date.today()
    branches = PartyOrg.objects.filter(kind__in=PartyOrg.BRANCH_KINDS)
    assert set(Meeting.objects.values_list("kind", flat=True).distinct()) == set(Meeting.Kind.values)
    assert not Meeting.objects.exclude(org_path=F("org__path")).exists()
    assert not Meeting.objects.filter(held_on__gte=today).exists()
    year_ago = dt.date(today.year - 1, today.month, 1)
    theme_days = Count("meetings", filter=Q(meetings__kind="theme_day", meetings__held_on__gte=year_ago))
    regular = branches.annotate(n=theme_days).filter(n__gte=11).count()
    assert regular >= 0.95 * branches.count()
    assert not Attendance.objects.exclude(member__org_path__startswith=F("meeting__org_path")).exists()
    assert Attendance.objects.filter(status="present").count() > 0.8 * Attendance.objects.count()

    full = Count("members", filter=Q(members__status="full", members__deleted_at__isnull=True))
    big = branches.annotate(full=full).filter(full__gte=7)
    current = BranchCommittee.objects.filter(ended_on=None)
    with_committee = big.filter(Exists(current.filter(org=OuterRef("pk")))).count()
    assert 0.95 * big.count() <= with_committee < big.count()  # a few have none: the checkup finds them
    assert current.values("org").annotate(n=Count("id")).filter(n__gt=1).count() == 0
    assert CommitteeSeat.objects.filter(role="secretary").count() == current.count() == demo["committees"]
    seated = CommitteeSeat.objects.filter(role="secretary", committee__org__kind__in=PartyOrg.BRANCH_KINDS)
    assert not seated.exclude(member=F("committee__org__secretary")).exists()  # the branch secretary chairs it
    assert current.exclude(postponed_to=None).exists()

    members = Member.objects.filter(status__in=("full", "probationary"))
    assert DuesProfile.objects.count() == members.count()
    assert not DuesPayment.objects.exclude(org_path=F("member__org_path")).exists()
    last_month = dt.date(today.year, today.month, 1) - dt.timedelta(days=1)
    paid = DuesPayment.objects.filter(month=last_month.replace(day=1)).count()
    assert 0.97 * members.filter(joined_on__lte=last_month).count() <= paid
    last_year = today.year - 1
    hours = (Member.objects.filter(joined_on__lt=dt.date(last_year, 1, 1))
             .annotate(h=Sum("study_records__hours", filter=Q(study_records__studied_on__year=last_year))))
    assert hours.filter(h__gte=32).count() >= 0.98 * hours.count()
    assert hours.filter(h__lt=32).exists()

    assert Transfer.objects.count() == demo["transfers"] > 10
    assert not Transfer.objects.filter(status="received").exclude(member__org=F("to_org")).exists()
    assert not Transfer.objects.filter(status="issued").exclude(member__org=F("from_org")).exists()
    assert MobileStay.objects.filter(returned_on=None).count() == Member.objects.filter(is_mobile=True).count()
    assert ContactLog.objects.count() > MobileStay.objects.count()
    talks = HeartToHeart.objects.all()
    assert talks.count() == demo["talks"] > 1000
    assert not talks.exclude(talker=F("org__secretary")).exists()
    assert not talks.exclude(listener__org=F("org")).exists()


@pytest.mark.django_db
def test_health_check_shows_a_few_gaps_of_every_kind(demo):
    """The 体检报告 of the demo county: open findings are a small fraction of members and organisations, mostly
    warnings, and every family of rules has some."""
    findings = Finding.objects.filter(status=Finding.Status.OPEN)
    total = findings.count()
    assert total == demo["findings_open"]
    assert 50 <= total < 0.05 * (Member.objects.count() + PartyOrg.objects.count())
    severities = dict(findings.values_list("severity").annotate(n=Count("id")))
    assert severities.get("warning", 0) > total / 2
    rules = set(findings.values_list("rule", flat=True).distinct())
    for family in ("branchlife.theme_day.", "branchlife.committee_meeting.", "branchlife.general_assembly.",
                   "branchlife.party_lecture.", "org.committee.missing", "org.term.expiring", "org.term.expired",
                   "member.dues.", "member.study.", "member.probation.", "member.mobile.", "member.transfer.",
                   "member.absent."):
        assert any(rule.startswith(family) for rule in rules), family
    assert findings.filter(rule="member.dues.arrears", severity="error").exists()
    assert findings.filter(rule="member.dues.arrears", severity="warning").count() >= 5


@pytest.mark.django_db
def test_demo_accounts(demo):
    expected = {
        "county_admin": lambda a: a.region.level == Region.Level.COUNTY,
        "township_admin": lambda a: a.region.level == Region.Level.TOWNSHIP,
        "branch_secretary": lambda a: (
            a.org.kind == PartyOrg.Kind.BRANCH and a.org.region.level == Region.Level.VILLAGE
        ),
        "grid_worker": lambda a: a.region.level == Region.Level.GRID,
        "department_handler": lambda a: a.department.kind == Department.Kind.COUNTY,
        "member": lambda a: a.region is None and a.org is None and a.department is None,
        "resident": lambda a: a.region.level == Region.Level.VILLAGE,
    }
    assert [username for username, _ in DEMO_USERNAMES] == list(expected)
    for username, role in DEMO_USERNAMES:
        user = User.objects.get(username=username)
        assert user.check_password(DEMO_PASSWORD)
        (assignment,) = user.assignments.all()
        assert assignment.role == role
        assert expected[username](assignment), username
        scope = user.get_scope("view")
        # 群众 (resident) has no "view" action on the ledger at all (dangjian.accounts.roles).
        assert scope.empty if role == "resident" else not scope.empty, username
    member_user = User.objects.get(username="member")
    assert member_user.member is not None and member_user.display_name == member_user.member.name
    assert Member.objects.restrict(member_user).get() == member_user.member
    secretary = User.objects.get(username="branch_secretary")
    branch = secretary.assignments.get().org
    assert Member.objects.restrict(secretary).count() == branch.members.count() > 3
    assert member_user.member.org == branch
    township_admin = User.objects.get(username="township_admin")
    assert Member.objects.restrict(township_admin).filter(org=branch).count() == branch.members.count()
    assert Member.objects.restrict(township_admin).count() < Member.objects.count()


@pytest.mark.django_db
def test_refuses_a_non_empty_database(demo):
    with pytest.raises(CommandError, match="--reset") as excinfo:
        call_command("demo", stdout=StringIO(), stderr=StringIO())
    assert excinfo.value.returncode == 1
    assert Member.objects.count() == demo["members"]
    out = StringIO()
    call_command("demo", "--if-empty", stdout=out)
    assert "已有数据" in out.getvalue() and Member.objects.count() == demo["members"]
    with pytest.raises(CommandError):
        call_command("demo", "--if-empty", "--reset", stdout=StringIO())


@pytest.mark.django_db
def test_same_seed_same_county_and_reset_keeps_only_superusers(demo):
    out = StringIO()
    with fast_hashing:
        User.objects.create_superuser("root", password="Root@2026x")
        User.objects.create_user("clerk", password="Clerk@2026x")
        call_command("demo", "--reset", "--seed", "1", stdout=out)
        assert first_members() == demo["first_members"]
        assert Member.objects.count() == demo["members"]
        # the reset removed the branch life, the rebuild made the same again
        assert Meeting.objects.count() == demo["meetings"] and Attendance.objects.count() == demo["attendance"]
        assert BranchCommittee.objects.count() == demo["committees"]
        assert DuesPayment.objects.count() == demo["dues_payments"] and HeartToHeart.objects.count() == demo["talks"]
        assert Transfer.objects.count() == demo["transfers"] and ContactLog.objects.count() == demo["contact_logs"]
        assert Finding.objects.filter(status="open").count() == demo["findings_open"]
        text = out.getvalue()
        assert "示范县已生成" in text and DEMO_PASSWORD in text
        assert all(username in text for username, _ in DEMO_USERNAMES)
        assert User.objects.filter(username="root", is_superuser=True).exists()
        assert not User.objects.filter(username="clerk").exists()

        call_command("demo", "--reset", "--seed", "2", stdout=StringIO())
        assert first_members() != demo["first_members"]
        assert 11_000 <= Member.objects.count() <= 13_000
        assert Region.objects.filter(level=Region.Level.VILLAGE).count() == 141
