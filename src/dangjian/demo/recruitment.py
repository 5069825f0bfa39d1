"""Recruitment cases (发展党员) for the demo county, played through the recruitment services with historical
dates: people admitted as probationary members and awaiting the upper committee's approval, in probation at
different steps of stage 5, past probation and awaiting conversion, and finished. A few carry the timing
problems real ledgers have (a late talk, an approval or a conversion overdue), so the page and the checkup
have something to show.

Every person here is a party member already (the 支部大会 has voted): the demo ledger holds members only."""

import datetime as dt
import random

from dangjian.checkup.watch import paused
from dangjian.members.models import Member
from dangjian.orgs.models import PartyOrg
from dangjian.recruitment import services, timing
from dangjian.recruitment.models import RecruitmentCase

from .people import People

# (how many, where the case stops, extra) — "stop" is the last step recorded.
PLAN = [
    (4, 15, {}),  # voted in, upper approval pending
    (2, 15, {"overdue_approval": True}),  # voted 4–5 months ago, no approval yet
    (3, 17, {}), (3, 20, {}), (3, 22, {}),  # probation at different steps
    (2, 20, {"late_talk": True}),
    (3, 23, {"probation_over": True}),  # probation over, conversion voted, approval pending
    (1, 23, {"probation_over": True, "overdue_conversion": True}),
    (7, 25, {}),  # finished: full members
]
EDUCATION = ["20", "30", "40", "60"]


def _forward(rng: random.Random, applied: dt.date, late_talk: bool) -> dict[int, dt.date]:
    """Dates of steps 2–14 from the application on, keeping the 2014 timing rules unless told otherwise."""
    d = {2: applied + dt.timedelta(days=rng.randint(36, 50) if late_talk else rng.randint(5, 25))}
    d[3] = d[2] + dt.timedelta(days=rng.randint(10, 60))
    d[4] = d[3] + dt.timedelta(days=3)
    d[5] = d[3] + dt.timedelta(days=1)
    d[7] = timing.add_months(d[3], 12) + dt.timedelta(days=rng.randint(0, 60))
    d[8] = d[7] + dt.timedelta(days=3)
    d[9] = d[7] + dt.timedelta(days=2)
    d[10] = d[7] + dt.timedelta(days=rng.randint(5, 20))
    d[11] = d[10] + dt.timedelta(days=rng.randint(5, 15))  # the last day of a 3-day training
    d[12] = d[11] + dt.timedelta(days=rng.randint(2, 10))
    notice_start = d[12] + dt.timedelta(days=1)
    d["notice"] = (notice_start, timing.period_end(notice_start, 5, "workdays"))
    d[13] = d["notice"][1] + dt.timedelta(days=rng.randint(1, 4))
    d[14] = d[13] + dt.timedelta(days=rng.randint(1, 3))
    return d


def _vote_day(rng, today, stop, extra) -> dt.date:
    if extra.get("overdue_approval"):
        return today - dt.timedelta(days=rng.randint(125, 150))
    if stop == 15:
        return today - dt.timedelta(days=rng.randint(10, 50))
    if extra.get("overdue_conversion"):
        return timing.add_months(today, -17) - dt.timedelta(days=rng.randint(0, 20))
    if extra.get("probation_over"):
        return timing.add_months(today, -12) - dt.timedelta(days=rng.randint(25, 45))
    if stop == 25:
        return timing.add_months(today, -12) - dt.timedelta(days=rng.randint(120, 900))
    if stop == 22:
        return timing.add_months(today, -12) + dt.timedelta(days=rng.randint(1, 20))
    return today - dt.timedelta(days=rng.randint(100, 300))


def _after_vote(rng, vote: dt.date, extra) -> dict[int, dt.date]:
    d = {16: vote + dt.timedelta(days=rng.randint(5, 15))}
    d[17] = vote + dt.timedelta(days=rng.randint(20, 80))
    d[18] = d[17] + dt.timedelta(days=5)
    d[19] = d[17] + dt.timedelta(days=1)
    d[20] = d[17] + dt.timedelta(days=rng.randint(5, 25))
    end = timing.add_months(vote, 12)
    d[22] = end - dt.timedelta(days=rng.randint(0, 10))
    d[23] = end + dt.timedelta(days=rng.randint(0, 20))
    d[24] = d[23] + dt.timedelta(days=rng.randint(10, 40))
    d[25] = d[24] + dt.timedelta(days=rng.randint(10, 20))
    return d


def _branches(rng, secretary_branch) -> list[PartyOrg]:
    """The demo secretary's branch first (so its account has cases to show), then large village branches."""
    villages = list(PartyOrg.objects.filter(kind=PartyOrg.Kind.BRANCH, region__level="village").order_by("path"))
    rng.shuffle(villages)
    chosen = [secretary_branch] if secretary_branch else []
    return chosen + [b for b in villages if b != secretary_branch][:12]


def _sponsors(org: PartyOrg, day: dt.date, exclude: set) -> list[Member]:
    return list(Member.objects.filter(org=org, status=Member.Status.FULL, full_on__lt=day)
                .exclude(pk__in=exclude).order_by("id")[:2])


def build_recruitment(people: People, seed: int, today: dt.date, secretary_branch=None) -> int:
    """Open and walk the demo's cases; returns how many were created."""
    rng = random.Random(f"recruitment-{seed}")
    branches = _branches(rng, secretary_branch)
    created = 0
    with paused():  # one checkup run afterwards (or the daily run) instead of one per write
        for count, stop, extra in PLAN:
            for _ in range(count):
                org = branches[created % len(branches)] if created % 3 else branches[0]
                vote = _vote_day(rng, today, stop, extra)
                male = rng.random() < 0.65
                birth = people.birth_date(rng.randint(26, 36))
                base = dt.date(2000, 1, 1)
                probe = _forward(rng, base, extra.get("late_talk", False))
                shift = vote - dt.timedelta(days=rng.randint(3, 25)) - probe[14]  # the vote 3–25 days after step 14
                before = {k: (v[0] + shift, v[1] + shift) if k == "notice" else v + shift for k, v in probe.items()}
                applied = base + shift
                # working days do not shift with the calendar: count the notice again where it now falls
                start = before[12] + dt.timedelta(days=1)
                before["notice"] = (start, timing.period_end(start, 5, "workdays"))
                before[13] = before["notice"][1] + dt.timedelta(days=rng.randint(1, 4))
                before[14] = before[13] + dt.timedelta(days=rng.randint(1, 3))
                vote = min(max(vote, before[14] + dt.timedelta(days=3)), today)
                before[15] = vote
                dates = {**before, **_after_vote(rng, vote, extra)}
                if extra.get("overdue_conversion"):
                    dates[23] = today - dt.timedelta(days=rng.randint(60, 90))
                sponsors = _sponsors(org, dates[9], set())
                if len(sponsors) < 2:
                    continue
                case = services.do_open_case(actor=None, org=org, name=people.name(male),
                                             id_number=people.id_number(birth, male), applied_on=applied,
                                             phone=people.phone(), education=rng.choice(EDUCATION),
                                             job=rng.choice(["农民", "个体经营户", "村务工作者", "教师", "外出务工人员"]),
                                             responsible="支部书记", document_names="入党申请书", today=today)
                for step in range(2, stop + 1):
                    if step in (6, 21) or step not in dates or dates[step] > today:
                        continue
                    kwargs = {}
                    if step == 9:
                        kwargs["sponsors"] = sponsors
                    if step == 11:
                        kwargs.update(period_start=dates[11] - dt.timedelta(days=2), period_end=dates[11],
                                      training={"days": 3, "hours": 24, "organiser": "乡镇党委党校"})
                    if step == 13:
                        kwargs.update(period_start=dates["notice"][0], period_end=dates["notice"][1])
                    services.do_record_step(actor=None, case=case, step=step, done_on=dates[step],
                                            responsible="支部书记", today=today, **kwargs)
                created += 1
    return created


def recruitment_counts() -> dict:
    cases = RecruitmentCase.objects.all()
    return {"recruitment_cases": cases.count(),
            "recruitment_open": cases.filter(status=RecruitmentCase.Status.OPEN).count()}
