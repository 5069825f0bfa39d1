"""The demo province generator at a tiny scale: valid treebeard trees, members that match their organisation,
real ciphertexts and unique blind indexes, branch life that refers to the right people, refusals.

On PostgreSQL it runs the real bulk-load path (indexes dropped and rebuilt, counties in worker processes), so the
tests use transactional databases: forked workers must see committed rows and no test transaction's locks."""

import datetime as dt
import importlib
from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F, Q

from dangjian.branchlife.models import Attendance, DuesPayment, DuesProfile, Meeting, StudyRecord
from dangjian.core import crypto
from dangjian.core.idnumber import mask_id_number, parse_id_number
from dangjian.demo.ledger import DemoError
from dangjian.demo.province import build_province
from dangjian.members.models import ContactLog, Member, MobileStay, Transfer
from dangjian.orgs.models import BranchCommittee, CommitteeSeat, PartyOrg
from dangjian.places.models import Region
from dangjian.tickets.models import Assignment, Ticket, TicketCounter, TicketEvent
from dangjian.units.models import Department

TODAY = dt.date(2026, 12, 1)


@pytest.fixture
def province(transactional_db):
    from django.apps import apps

    # a transactional test database is emptied after each test, the shipped ticket categories too
    importlib.import_module("dangjian.tickets.migrations.0002_categories").load(apps, None)
    return build_province(counties=3, county_members=600, seed=7, today=TODAY, workers=2, county_tickets=1500)


def test_counts_match_the_database(province):
    assert province["counties"] == 3
    assert Region.objects.filter(depth=1).count() == 3
    assert PartyOrg.objects.filter(depth=1).count() == 3
    assert province["regions"] == Region.objects.count()
    assert province["orgs"] == PartyOrg.objects.count()
    assert province["members"] == Member.all_objects.count()
    assert province["meetings"] == Meeting.objects.count()
    assert province["attendance"] == Attendance.objects.count()
    assert province["dues_payments"] == DuesPayment.objects.count()
    assert province["dues_profiles"] == DuesProfile.objects.count()
    assert province["study_records"] == StudyRecord.objects.count()
    assert province["committees"] == BranchCommittee.objects.count()
    assert province["committee_seats"] == CommitteeSeat.objects.count()
    assert province["transfers"] == Transfer.objects.count()
    assert province["contact_logs"] == ContactLog.objects.count()
    assert 3 * 500 <= Member.objects.count() <= 3 * 700
    kinds = Counter(PartyOrg.objects.values_list("kind", flat=True))
    for kind in ("committee", "working_committee", "general_branch", "branch", "joint_branch", "group"):
        assert kinds[kind] > 0, kind
    levels = Counter(Region.objects.values_list("level", flat=True))
    for level in ("county", "township", "street", "village", "community", "grid"):
        assert levels[level] > 0, level


def test_trees_are_valid_treebeard_trees(province):
    assert all(not problems for problems in PartyOrg.objects.find_problems())
    assert all(not problems for problems in Region.objects.find_problems())
    # numchild and depth agree with the rows (find_problems checks them; this says it in plain terms too)
    for org in PartyOrg.objects.filter(depth__lte=2):
        assert org.numchild == PartyOrg.objects.filter(path__startswith=org.path, depth=org.depth + 1).count()
    county = Region.objects.get(depth=1, division_code="369001")
    assert Region.objects.get_children(county).count() >= 2
    assert PartyOrg.objects.get_descendants(PartyOrg.objects.get(depth=1, region=county)).count() > 50
    # every organisation lies in a place of its own county
    for root in PartyOrg.objects.filter(depth=1).select_related("region"):
        outside = PartyOrg.objects.filter(path__startswith=root.path).exclude(
            region__path__startswith=root.region.path)
        assert not outside.exists()


def test_members_match_their_organisation(province):
    assert not Member.all_objects.exclude(org_path=F("org__path")).exists()
    assert set(Member.all_objects.values_list("org__kind", flat=True).distinct()) <= set(PartyOrg.BRANCH_KINDS)
    statuses = Counter(Member.objects.values_list("status", flat=True))
    assert statuses["full"] > statuses["probationary"] > 0
    genders = Counter(Member.objects.values_list("gender", flat=True))
    assert genders["male"] > genders["female"] > 0
    assert Member.objects.exclude(ethnicity="01").exists()
    assert Member.objects.filter(is_mobile=True).exists()
    assert Member.all_objects.filter(deleted_at__isnull=False).count() < Member.objects.count() * 0.02
    # a branch secretary belongs to the branch they lead
    for org in PartyOrg.objects.filter(kind="branch", committees__isnull=True).exclude(secretary=None)[:50]:
        assert org.secretary.org_path.startswith(org.path)


def test_id_numbers_are_encrypted_valid_and_unique(province):
    assert Member.all_objects.values("id_number_index").distinct().count() == Member.all_objects.count()
    for m in Member.all_objects.order_by("?")[:200]:
        plain = m._plain_id_number()
        parsed = parse_id_number(plain, today=TODAY)
        assert crypto.blind_index(plain) == m.id_number_index
        assert m.id_number_masked == mask_id_number(plain) != plain
        assert (parsed.birth_date, parsed.gender) == (m.birth_date, m.gender)
        assert plain[:4] == "3690"  # an invented prefecture: never a real person's number
        if m.phone_enc:
            assert m._plain_phone()[:3] == m.phone_masked[:3] and "****" in m.phone_masked


def test_branch_life_refers_to_the_right_people(province):
    # attendance: members of the meeting's organisation, for the last months only
    assert not Attendance.objects.exclude(member__org_path__startswith=F("meeting__org_path")).exists()
    assert not Attendance.objects.exclude(held_on=F("meeting__held_on")).exists()  # the meeting's date, copied
    first = Attendance.objects.order_by("meeting__held_on").values_list("meeting__held_on", flat=True).first()
    assert dt.date(2026, 5, 1) <= first
    assert set(Attendance.objects.values_list("status", flat=True).distinct()) == {"present", "leave", "absent"}
    kinds = set(Meeting.objects.values_list("kind", flat=True).distinct())
    assert kinds == set(Meeting.Kind.values)
    assert not Meeting.objects.exclude(org_path=F("org__path")).exists()
    assert not Meeting.objects.filter(Q(held_on__gte=TODAY) | Q(held_on__lt=dt.date(2025, 10, 1))).exists()
    assert not Meeting.objects.filter(kind="group_meeting").exclude(org__kind="group").exists()
    # dues: a profile per paying live member, payments in the last 12 months, at the member's path, some arrears
    assert DuesProfile.objects.count() == Member.objects.count()
    assert not DuesPayment.objects.exclude(org_path=F("member__org_path")).exists()
    months = set(DuesPayment.objects.values_list("month", flat=True).distinct())
    assert months == {dt.date(2025, 12, 1) + dt.timedelta(days=31 * k) - dt.timedelta(days=(dt.date(2025, 12, 1)
                      + dt.timedelta(days=31 * k)).day - 1) for k in range(12)}  # fmt: skip
    full_year = (DuesPayment.objects.values("member").annotate(n=Count("id")).filter(n=12).count())
    assert 0 < full_year < Member.objects.count()
    assert not DuesPayment.objects.filter(paid_on__gte=TODAY).exists()
    assert not DuesPayment.objects.exclude(due=F("paid")).exists()
    # study hours for last year and this year
    years = {d.year for d in StudyRecord.objects.values_list("studied_on", flat=True)}
    assert years == {2025, 2026}
    # committees: one current per organisation, seats held by members
    assert BranchCommittee.objects.filter(ended_on=None).values("org").annotate(n=Count("id")).filter(n__gt=1).count() == 0
    assert CommitteeSeat.objects.filter(role="secretary", left_on=None).count() == BranchCommittee.objects.count()
    # transfers and mobile members
    received = Transfer.objects.filter(status="received")
    assert not received.exclude(member__org=F("to_org")).exists()
    assert not Transfer.objects.filter(status="issued").exclude(member__org=F("from_org")).exists()
    assert MobileStay.objects.filter(returned_on=None).count() == Member.objects.filter(is_mobile=True).count()


def test_tickets_lie_in_their_grids_and_follow_their_lifecycle(province):
    assert province["tickets"] == Ticket.objects.count()
    assert province["assignments"] == Assignment.objects.count()
    assert province["events"] == TicketEvent.objects.count()
    assert province["departments"] == Department.objects.count()
    assert 3 * 1400 <= Ticket.objects.count() <= 3 * 1500
    assert all(not problems for problems in Department.objects.find_problems())
    # the place: a grid of the ticket's county; the assignments copy it; stations of the ticket's township
    assert set(Ticket.objects.values_list("grid__level", flat=True).distinct()) == {"grid"}
    assert not Ticket.objects.exclude(region_path=F("grid__path")).exists()
    assert not Assignment.objects.exclude(region_path=F("ticket__region_path")).exists()
    assert not Assignment.objects.exclude(grid=F("ticket__grid")).exists()
    assert not Assignment.objects.exclude(department_path=F("department__path")).exists()
    for county in Region.objects.filter(depth=1):
        tickets = Ticket.objects.filter(region_path__startswith=county.path)
        assert 1400 <= tickets.count() <= 1500
        assert not Assignment.objects.filter(ticket__in=tickets).exclude(department__region__path__startswith=county.path).exists()
    stations = Assignment.objects.filter(department__kind="station")
    assert stations.count() > Assignment.objects.count() * 0.6
    assert not stations.exclude(region_path__startswith=F("department__region__path")).exists()
    # numbers unique over the province, day counters at the last number issued
    assert Ticket.objects.values("number").distinct().count() == Ticket.objects.count()
    last = Ticket.objects.filter(number__startswith="GD20261130").order_by("-number").first()
    assert TicketCounter.objects.get(day=dt.date(2026, 11, 30)).last >= int(last.number[10:])
    # three years up to today, mostly closed, some still open, a few overdue
    first = Ticket.objects.order_by("created_at").first().created_at.date()
    assert dt.date(2023, 12, 1) <= first <= dt.date(2023, 12, 5)
    assert Ticket.objects.order_by("-created_at").first().created_at.date() <= TODAY
    statuses = Counter(Ticket.objects.values_list("status", flat=True))
    assert statuses["closed"] > Ticket.objects.count() * 0.85 and statuses["rejected"] > 0 and statuses["merged"] > 0
    assert not Ticket.objects.filter(status="closed", closed_at=None).exists()
    assert not Ticket.objects.filter(status="merged", duplicate_of=None).exists()
    roles = Counter(Assignment.objects.values_list("role", flat=True))
    assert roles["lead"] > roles["assist"] > 0
    # every ticket's log starts with its report; each dispatch has its event; closed tickets a close event
    kinds = Counter(TicketEvent.objects.values_list("kind", flat=True))
    assert kinds["report"] == Ticket.objects.count()
    assert kinds["dispatch"] + kinds["whistle"] == Assignment.objects.count()
    assert kinds["close"] == statuses["closed"]
    assert 5 <= TicketEvent.objects.count() / Ticket.objects.count() <= 9
    assert not TicketEvent.objects.filter(kind="report").exclude(at=F("ticket__created_at")).exists()
    assert not TicketEvent.objects.filter(kind="close").exclude(at=F("ticket__closed_at")).exists()


def test_refuses_a_database_that_is_not_empty(province):
    with pytest.raises(DemoError, match="空数据库"):
        build_province(counties=1, county_members=100, today=TODAY)


@pytest.mark.django_db
def test_refuses_bad_sizes():
    with pytest.raises(DemoError, match="县的数量"):
        build_province(counties=0, county_members=100)
    with pytest.raises(DemoError, match="县的数量"):
        build_province(counties=101, county_members=100)
    with pytest.raises(DemoError, match="党员数"):
        build_province(counties=1, county_members=10)
    assert not Member.objects.exists()


@pytest.mark.django_db
def test_sqlite_refuses_the_province_scale():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with pytest.raises(DemoError, match="PostgreSQL"):
        build_province(counties=100)
    assert not Region.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_command():
    from django.apps import apps

    importlib.import_module("dangjian.tickets.migrations.0002_categories").load(apps, None)
    out = StringIO()
    call_command("demo", "--scale", "province", "--counties", "2", "--county-members", "200", "--workers", "1",
                 "--county-tickets", "300", stdout=out)
    text = out.getvalue()
    assert "示范省已生成" in text
    assert f"{Member.all_objects.count():,} 名" in text
    assert Region.objects.filter(depth=1).count() == 2
    assert f"{Ticket.objects.count():,} 件（近三年）" in text and Ticket.objects.count() > 500


@pytest.mark.django_db(transaction=True)
def test_command_refuses_to_reset_a_huge_ledger(monkeypatch):
    from dangjian.demo.management.commands import demo

    build_province(counties=1, county_members=100, today=TODAY, workers=1)
    monkeypatch.setattr(demo, "RESET_MAX_MEMBERS", 50)
    with pytest.raises(CommandError, match="新建一个空数据库"):
        call_command("demo", "--scale", "province", "--reset", "--counties", "1", stdout=StringIO())
    assert Region.objects.filter(depth=1).count() == 1
