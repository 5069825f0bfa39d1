"""The demo province generator at a tiny scale: valid treebeard trees, members that match their organisation,
real ciphertexts and unique blind indexes, branch life that refers to the right people, refusals.

On PostgreSQL it runs the real bulk-load path (indexes dropped and rebuilt, counties in worker processes), so the
tests use transactional databases: forked workers must see committed rows and no test transaction's locks."""

import datetime as dt
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
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

TODAY = dt.date(2026, 12, 1)


@pytest.fixture
def province(transactional_db):
    return build_province(counties=3, county_members=600, seed=7, today=TODAY, workers=2)


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
    out = StringIO()
    call_command("demo", "--scale", "province", "--counties", "2", "--county-members", "200", "--workers", "1",
                 stdout=out)
    text = out.getvalue()
    assert "示范省已生成" in text
    assert f"{Member.all_objects.count():,} 名" in text
    assert Region.objects.filter(depth=1).count() == 2
