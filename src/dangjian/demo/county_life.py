"""Branch life of the demo county 示范县: committees with their terms, a year of meetings of every kind with
attendance, dues profiles and 12 months of payments, study records, transfers, mobile members with their contact
logs, and 谈心谈话.

The records are made by the demo province's county builder (province_county._County with the BranchLife mixin of
province_life), fed with the organisations and members build_demo has already stored, so the two demos share one
generator. `_DemoCounty` stands in for a province county: it reads the organisation tree and the members back
from the database into the builder's shapes and writes through the province's sink (executemany on SQLite, COPY
on PostgreSQL). It changes nothing that exists: a received transfer letter, which in the province moves the
member to the receiving branch, is here the letter that brought the member into their own branch.

The demo county is a well-run one: the gaps are much rarer than in a province county (the rates below), so its
体检报告 shows a few hundred findings, yet every kind of gap: missed meetings (most in a few slack branches), a
branch without a committee, terms expiring within 90 days, expired and postponed ones, dues unpaid for three and
for six months, members short of study hours, mobile members out of contact, an expired transfer letter and
members who stopped coming to 组织生活. Everything comes from one random generator seeded by the demo's seed.
"""

import datetime as dt
import random
from collections import Counter
from types import SimpleNamespace

from django.db import connection

from dangjian.branchlife.models import (
    Attendance,
    DuesPayment,
    DuesProfile,
    HeartToHeart,
    Meeting,
    StudyRecord,
)
from dangjian.checkup.watch import paused
from dangjian.members.models import ContactLog, Member, MobileStay, Transfer
from dangjian.orgs.models import POSTPONEMENT_LIMIT_YEARS, BranchCommittee, CommitteeSeat, PartyOrg, add_years
from dangjian.places.models import Region

from .province import ATTENDANCE_MONTHS, _Sink
from .province_county import _Branch, _County, _Node, _Person
from .province_life import _month_add

SLACK_BRANCHES = 0.01  # share of 软弱涣散 branches, which miss about a third of their meetings
ABSENTEE_SHARE = 0.006  # members who stopped coming to 组织生活 (about a fifth of them for six months running)
TALK_SHARE = 0.25  # members a branch secretary talks with in a year, besides the committee members
TALK_NOTES = ["了解思想和工作情况，交流意见建议", "谈工作中的困难和打算，提出改进意见", "开展谈心谈话，互相提醒",
              "了解家庭生活情况，帮助解决实际困难", "交流学习体会，听取对支部工作的意见"]  # fmt: skip
# The tables the checkup reads, analysed once the branch life is in (PostgreSQL).
ANALYZED = (Region, PartyOrg, Member, BranchCommittee, CommitteeSeat, Meeting, Attendance, DuesProfile, DuesPayment,
            StudyRecord, HeartToHeart, Transfer, MobileStay, ContactLog)  # fmt: skip
ID_BLOCK = 10_000_000  # ids the builder may take for meetings and committees above the tables' current maximum


class _Ids:
    """Stands in for province.Plan where the builders take their id blocks: one block above the current maximum."""

    def __init__(self, attendance_months: int):
        self.attendance_months = attendance_months
        self.base = {m._meta.label: m._base_manager.order_by("-pk").values_list("pk", flat=True).first() or 0
                     for m in (Meeting, BranchCommittee)}  # fmt: skip
        self.strides = dict.fromkeys(self.base, ID_BLOCK)

    def first_id(self, model, i: int) -> int:
        return self.base[model._meta.label] + 1


class _DemoCounty(_County):
    """The province's county builder over the demo county as stored (see the module docstring)."""

    meeting_miss = (0.004, 0.3)
    dues_gaps = (0.002, 0.00215, 0.006)  # about 24 members three to five months behind, two six months or more
    study_short = 0.0012
    contact_lost = (0.004, 0.05)
    committee_gaps = (0.02, 0.0012)
    committee_sizes = ((3, 5, 4, 7, 2, 6), (55, 40, 3, 1, 0.5, 0.5))

    def __init__(self, seed: int, today: dt.date, now: dt.datetime, profiles: dict[int, tuple[str, str]]):
        self.plan, self.i = _Ids(ATTENDANCE_MONTHS), 0
        self.sink = _Sink(now)
        self.rng = random.Random(f"{seed}-county-life")
        self.today = today
        self.counts: Counter = Counter()
        self.window_start = _month_add(today.replace(day=1), -12 - (today.month - 1) % 3)  # a quarter start
        self.last_day = today - dt.timedelta(days=1)
        self.receiving = False
        self.load(profiles)

    def load(self, profiles: dict[int, tuple[str, str]]) -> None:
        """The organisations (as tree nodes) and the full and probationary members of the branches, secretaries
        first. `profiles`: branch id → (member profile, kind of branch), as the demo generator built them."""
        rng = self.rng
        nodes, by_path = [], {}
        rows = (PartyOrg.objects.filter(status=PartyOrg.Status.ACTIVE).order_by("path")
                .values_list("id", "path", "depth", "kind", "region_id", "region__level", "secretary_id"))
        self.secretaries = {}
        for pk, path, depth, kind, region_id, level, secretary_id in rows:
            node = _Node(pk, path, depth, {"kind": kind, "region_id": region_id, "level": level})
            nodes.append(node)
            by_path[path] = node
            if secretary_id:
                self.secretaries[pk] = secretary_id
        self.orgs = SimpleNamespace(nodes=nodes)
        self.branches, index = [], {}
        for node in nodes:
            if node.fields["kind"] in PartyOrg.BRANCH_KINDS:
                profile, size = profiles.get(node.id, ("community", "community"))
                index[node.id] = len(self.branches)
                self.branches.append(_Branch(node, profile, size, 0, node.fields["level"],
                                             weak=rng.random() < SLACK_BRANCHES))
        for node in nodes:
            parent = by_path.get(node.path[:-PartyOrg.steplen])
            if node.fields["kind"] == PartyOrg.Kind.GROUP and parent is not None and parent.id in index:
                self.branches[index[parent.id]].groups.append(node)
        self.members = []
        members = (Member.objects.filter(status__in=(Member.Status.FULL, Member.Status.PROBATIONARY))
                   .order_by("id").values_list("id", "org_id", "status", "joined_on", "full_on", "birth_date",
                                               "is_mobile", "org_path"))  # fmt: skip
        today = self.today
        secretaries = set(self.secretaries.values())
        for pk, org_id, status, joined, full, birth, mobile, path in members:
            k = index.get(org_id)
            if k is None or joined is None:
                continue
            b = self.branches[k]
            age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
            cadre = pk in secretaries
            absentee = not cadre and not mobile and rng.random() < ABSENTEE_SHARE
            b.members.append(len(self.members))
            self.members.append(_Person(pk, k, status, joined, full, b.profile, age, mobile, absentee, False, cadre,
                                        path))  # fmt: skip

    def write(self, model, columns, rows) -> None:
        if model is Transfer and self.receiving:
            # A received letter brought the member from the other branch into theirs: swap its two ends.
            ends = columns.index("from_org_id"), columns.index("from_org_path")
            ends += columns.index("to_org_id"), columns.index("to_org_path")
            swapped = []
            for row in rows:
                if row[columns.index("status")] == Transfer.Status.RECEIVED:
                    row = list(row)
                    f_id, f_path, t_id, t_path = ends
                    row[f_id], row[f_path], row[t_id], row[t_path] = row[t_id], row[t_path], row[f_id], row[f_path]
                    row = tuple(row)
                swapped.append(row)
            rows = swapped
        elif model is BranchCommittee:
            rows = self.postpone_one(columns, rows)
        self.sink.write(model, columns, rows)

    def postpone_one(self, columns: tuple, rows: list) -> list:
        """The county shows a postponed election (延期换届): when two or more committees are overdue and none of
        them has a postponement, the one whose term ended last gets one, approved before its term ended, to half a
        year after it (at least two months from today, within the 1-year limit)."""
        today = self.today
        elected, years, to, approved_on, document = (columns.index(c) for c in (
            "elected_on", "term_years", "postponed_to", "postponement_approved_on", "postponement_document"))
        overdue = []
        for k, row in enumerate(rows):
            ends = add_years(dt.date.fromisoformat(row[elected]), row[years])
            if ends < today:
                overdue.append((ends, k))
        if len(overdue) < 2 or any(rows[k][to] for _, k in overdue):
            return rows
        ends, k = max(overdue)
        postponed = min(add_years(ends, POSTPONEMENT_LIMIT_YEARS),
                        max(ends + dt.timedelta(days=182), today + dt.timedelta(days=60)))
        if postponed <= today:
            return rows
        rows, row = list(rows), list(rows[k])
        row[to], row[document] = postponed.isoformat(), "上级党组织批复"
        row[approved_on] = (ends - dt.timedelta(days=self.rng.randint(5, 40))).isoformat()
        rows[k] = tuple(row)
        return rows

    def build_transfers(self) -> None:
        """The province's transfer letters, with the members left where they are (see write)."""
        where = [(p.branch, p.path) for p in self.members]
        lists = [list(b.members) for b in self.branches]
        self.member_rows = [[None] * len(self.MEMBER_COLUMNS) for _ in self.members]
        self.receiving = True
        try:
            super().build_transfers()
        finally:
            self.receiving = False
            self.member_rows = None
            for p, (branch, path) in zip(self.members, where, strict=True):
                p.branch, p.path = branch, path
            for b, members in zip(self.branches, lists, strict=True):
                b.members = members

    def build_talks(self) -> None:
        """谈心谈话 of the last 12 months: the branch secretary with each other committee member, and with about a
        quarter of the other members (more often with mobile members and absentees)."""
        rng, rows = self.rng, []
        first = _month_add(self.today.replace(day=1), -12)
        for b in self.branches:
            talker = self.secretaries.get(b.org.id)
            if not talker:
                continue
            seats = set(b.seats)
            for p in self.live(b):
                if p.id == talker:
                    continue
                share = 1 if p.id in seats else (0.8 if p.mobile or p.absentee else TALK_SHARE)
                if rng.random() >= share:
                    continue
                day = self.day_between(max(first, p.joined), self.last_day)
                rows.append((b.org.id, b.org.path, talker, p.id, day.isoformat(), rng.choice(TALK_NOTES)))
        self.write(HeartToHeart, ("org_id", "org_path", "talker_id", "listener_id", "held_on", "note"), rows)
        self.counts["talks"] += len(rows)

    def build(self) -> Counter:
        self.build_transfers()
        self.build_committees()
        self.build_meetings()
        self.build_dues()
        self.build_study()
        self.build_mobile()
        self.build_talks()
        self.sink.flush()
        if connection.vendor == "postgresql":
            with connection.cursor() as c:
                for model in (Meeting, BranchCommittee):
                    table = model._meta.db_table
                    c.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                              f"GREATEST((SELECT max(id) FROM \"{table}\"), 1))")  # fmt: skip
                # Statistics for the planner before build_demo's checkup: autovacuum cannot see the rows of this
                # open transaction, and without them the checkup's joins take a minute instead of a second.
                for model in ANALYZED:
                    c.execute(f'ANALYZE "{model._meta.db_table}"')
        return self.counts


def build_branch_life(seed: int, today: dt.date, now: dt.datetime, profiles: dict[int, tuple[str, str]]) -> dict:
    """Write the demo county's branch life (inside build_demo's transaction); returns the counts written.
    `profiles`: branch id → (member profile, kind of branch) from the demo generator."""
    with paused():  # rows go in directly; build_demo runs the checkup once at the end
        return dict(_DemoCounty(seed, today, now, profiles).build())
