"""The demo county's place in the database: whether the ledger is empty, wiping it, and what it holds."""

from collections import Counter

from auditlog.context import disable_auditlog
from auditlog.models import LogEntry
from django.db import connection, transaction
from django.utils import timezone

from dangjian.accounts.models import RoleAssignment, User
from dangjian.accounts.roles import ROLES
from dangjian.members.models import Member
from dangjian.orgs.models import PartyOrg
from dangjian.places.models import Building, Household, Region
from dangjian.tickets.models import (
    Assignment,
    GridWorker,
    Ticket,
    TicketCounter,
    TicketEvent,
    TicketPhoto,
    Visit,
)
from dangjian.units.models import Department, Unit

from .data import DEMO_PASSWORD, DEMO_USERNAMES


class DemoError(Exception):
    """The demo cannot be built here; the message is Chinese."""


def ledger_is_empty() -> bool:
    """The demo only goes into a database without places, party organisations or members."""
    return not (Region.objects.exists() or PartyOrg.objects.exists() or Member.all_objects.exists())


def delete_tickets() -> None:
    """Delete the work orders and everything hanging on them, grid workers and their visits, and the daily
    number counters. They come first in a reset: their foreign keys to places, departments and households
    are PROTECT. The photo files go once the deletion is committed."""
    photos = list(TicketPhoto.objects.exclude(image="").values_list("image", flat=True))
    if photos:
        storage = TicketPhoto._meta.get_field("image").storage

        def remove_files():
            for name in photos:
                try:
                    storage.delete(name)
                except OSError:
                    pass

        transaction.on_commit(remove_files)
    TicketPhoto.objects.all().delete()
    TicketEvent.objects.all().delete()
    Assignment.objects.all().delete()
    Ticket.objects.exclude(duplicate_of=None).update(duplicate_of=None)  # PROTECT between tickets
    Ticket.objects.all().delete()
    Visit.objects.all().delete()
    GridWorker.objects.all().delete()
    TicketCounter.objects.all().delete()


@transaction.atomic
def delete_branch_life() -> None:
    """Committees with their seats, meetings with their attendance, talks, study hours, dues, transfers, mobile
    stays and contacts: the records that protect members and organisations. Plain DELETEs, children first:
    the demo county has hundreds of thousands of these rows, which the ORM's collector would load and signal
    one by one (minutes on PostgreSQL); nothing else refers to them, and the findings go in delete_derived."""
    from dangjian.branchlife.models import (
        Attendance,
        DuesPayment,
        DuesProfile,
        HeartToHeart,
        Meeting,
        StudyRecord,
    )
    from dangjian.members.models import ContactLog, MobileStay, Transfer
    from dangjian.orgs.models import BranchCommittee, CommitteeSeat

    CommitteeSeat.objects.update(fills=None)  # by-elections protect the vacancy they filled
    with connection.cursor() as cursor:
        for model in (CommitteeSeat, BranchCommittee, Attendance, Meeting, HeartToHeart, StudyRecord, DuesPayment,
                      DuesProfile, Transfer, MobileStay, ContactLog):  # fmt: skip
            cursor.execute(f'DELETE FROM "{model._meta.db_table}"')


@transaction.atomic
def delete_recruitment() -> None:
    """Recruitment cases with their steps, attachments, sponsors and trainings (they protect members). The
    attachment files go once the deletion is committed. The timing rule sets are configuration and stay."""
    from dangjian.recruitment.models import RecruitmentCase, Sponsor, StepDocument, StepRecord, Training

    files = list(StepDocument.objects.exclude(file="").values_list("file", flat=True))
    if files:
        storage = StepDocument._meta.get_field("file").storage

        def remove_files():
            for name in files:
                try:
                    storage.delete(name)
                except OSError:
                    pass

        transaction.on_commit(remove_files)
    for model in (StepDocument, Sponsor, Training, StepRecord, RecruitmentCase):
        model.objects.all().delete()


def delete_derived() -> None:
    """What the checkup and the statistics computed from the ledger: findings and their queue and daily runs,
    snapshots and their runs. County rule settings go with their organisations; uploaded briefing templates and
    the recruitment rule sets are configuration and stay."""
    from dangjian.checkup.models import DailyRun, Finding, QueuedSubtree
    from dangjian.reports.models import Snapshot, SnapshotRun

    for model in (Finding, QueuedSubtree, DailyRun, Snapshot, SnapshotRun):
        model.objects.all().delete()


def reset_ledger() -> None:
    """Delete every ledger row: work orders (with their events, dispatches and photos), grid workers and
    their visits, members, organisations, departments, units, households, buildings, places, users other
    than superusers (with their role assignments) and the change log."""
    with disable_auditlog():
        delete_tickets()
        delete_branch_life()
        delete_recruitment()
        delete_derived()
        User.objects.filter(is_superuser=False).delete()
        Member.all_objects.all().delete()
        PartyOrg.objects.all().delete()
        Household.objects.all().delete()
        Building.objects.all().delete()
        Unit.objects.all().delete()
        Department.objects.all().delete()
        Region.objects.all().delete()
        LogEntry.objects.all().delete()


def demo_counts(county: Region) -> dict:
    """What the county holds, by kind (read back from the database)."""
    regions = Region.objects.filter(path__startswith=county.path)
    levels = Counter(regions.values_list("level", flat=True))
    grid_kinds = Counter(regions.filter(level=Region.Level.GRID).values_list("grid_kind", flat=True))
    orgs = PartyOrg.objects.filter(region__path__startswith=county.path)
    org_kinds = Counter(orgs.values_list("kind", flat=True))
    departments = Counter(
        Department.objects.filter(region__path__startswith=county.path).values_list("kind", flat=True)
    )
    members = Member.objects.filter(org__region__path__startswith=county.path)
    return {
        "townships": levels[Region.Level.TOWNSHIP] + levels[Region.Level.STREET],
        "streets": levels[Region.Level.STREET],
        "villages": levels[Region.Level.VILLAGE],
        "communities": levels[Region.Level.COMMUNITY],
        "community_grids": grid_kinds[Region.GridKind.COMPREHENSIVE],
        "village_grids": grid_kinds[Region.GridKind.STANDARD],
        "dedicated_grids": grid_kinds[Region.GridKind.DEDICATED],
        "micro_grids": grid_kinds[Region.GridKind.MICRO],
        "orgs": sum(org_kinds.values()),
        "org_kinds": dict(org_kinds),
        "grid_branches": orgs.filter(kind=PartyOrg.Kind.BRANCH, region__level=Region.Level.GRID).count(),
        "party_groups": org_kinds[PartyOrg.Kind.GROUP],
        "members": members.count(),
        "probationary": members.filter(status=Member.Status.PROBATIONARY).count(),
        "mobile_members": members.filter(is_mobile=True).count(),
        "county_departments": departments[Department.Kind.COUNTY],
        "stations": departments[Department.Kind.STATION],
        "utilities": departments[Department.Kind.UTILITY],
        "units": Unit.objects.filter(region__path__startswith=county.path).count(),
        "buildings": Building.objects.filter(region_path__startswith=county.path).count(),
        "households": Household.objects.filter(region_path__startswith=county.path).count(),
        "accounts": RoleAssignment.objects.filter(user__username__in=[u for u, _ in DEMO_USERNAMES]).count(),
        **ticket_counts(county),
    }


def ticket_counts(county: Region) -> dict:
    tickets = Ticket.objects.filter(region_path__startswith=county.path)
    statuses = Counter(tickets.values_list("status", flat=True))
    open_dispatches = Assignment.objects.filter(
        region_path__startswith=county.path, status__in=("pending", "accepted"), deadline__lt=timezone.now()
    ).exclude(role=Assignment.Role.WHISTLE)
    return {
        "tickets": sum(statuses.values()),
        "ticket_statuses": {s: statuses[s] for s in Ticket.Status.values if statuses[s]},
        "overdue_open": open_dispatches.count(),
        "dispatches": Assignment.objects.filter(region_path__startswith=county.path).count(),
        "ticket_events": TicketEvent.objects.filter(ticket__region_path__startswith=county.path).count(),
        "grid_workers": GridWorker.objects.filter(region_path__startswith=county.path).count(),
        "micro_grid_workers": GridWorker.objects.filter(
            region_path__startswith=county.path, kind=GridWorker.Kind.MICRO
        ).count(),
        "visits": Visit.objects.filter(region_path__startswith=county.path).count(),
    }


def demo_accounts() -> list[dict]:
    """The demo accounts with their role label and the name of the node they are assigned to."""
    rows = []
    assignments = RoleAssignment.objects.select_related("user", "region", "org", "department")
    for assignment in assignments.filter(user__username__in=[u for u, _ in DEMO_USERNAMES]):
        node = assignment.region or assignment.org or assignment.department
        rows.append(
            {
                "username": assignment.user.username,
                "role": assignment.role,
                "role_label": ROLES[assignment.role].label,
                "scope": str(node) if node else f"本人档案（{assignment.user.display_name}）",
                "password": DEMO_PASSWORD,
            }
        )
    order = [u for u, _ in DEMO_USERNAMES]
    return sorted(rows, key=lambda row: order.index(row["username"]))
