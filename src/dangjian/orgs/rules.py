"""Checkup rules about organisations: branch size, committees and terms (registered from OrgsConfig.ready)."""

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from dangjian.checkup.registry import Citation, Rule, Violation, register_rule
from dangjian.members.models import Member

from .models import POSTPONEMENT_LIMIT_YEARS, BranchCommittee, CommitteeSeat, PartyOrg, add_years

BRANCH_RULES = Citation("《中国共产党支部工作条例（试行）》", "第四条、第五条（条号待核对）", "2018-10", "2018-10-28")
COMMITTEE_RULES = Citation("《中国共产党支部工作条例（试行）》", "第十九条（条号待核对）", "2018-10", "2018-10-28")
TERM_RULES = Citation("《关于党的基层组织任期的意见》", "第二条、第三条（条号待核对）", "2018", "2018-11-01")

LIVE_FULL = Q(members__status="full", members__deleted_at__isnull=True)
LIVE = Q(members__status__in=("full", "probationary"), members__deleted_at__isnull=True)


def _branches(path):
    return PartyOrg.objects.filter(path__startswith=path, kind__in=PartyOrg.BRANCH_KINDS,
                                   status=PartyOrg.Status.ACTIVE)


def too_few_full_members(path, as_of, params):
    rows = (_branches(path).annotate(full=Count("members", filter=LIVE_FULL)).filter(full__lt=params["minimum"])
            .values_list("pk", "code", "path", "name", "full"))
    for pk, code, org_path, name, full in rows:
        yield Violation("org", pk, code, org_path, f"{name}只有正式党员 {full} 名，少于 {params['minimum']} 名，"
                                                    "应与邻近单位成立联合党支部")


def too_many_members(path, as_of, params):
    rows = (_branches(path).annotate(n=Count("members", filter=LIVE)).filter(n__gt=params["maximum"])
            .values_list("pk", "code", "path", "name", "n"))
    for pk, code, org_path, name, n in rows:
        yield Violation("org", pk, code, org_path, f"{name}有党员 {n} 名，超过 {params['maximum']} 名，宜分设支部或成立党总支")


def committee_missing(path, as_of, params):
    current = BranchCommittee.objects.filter(org=OuterRef("pk"), ended_on__isnull=True)
    rows = (_branches(path).annotate(full=Count("members", filter=LIVE_FULL)).filter(full__gte=params["threshold"])
            .exclude(Exists(current)).values_list("pk", "code", "path", "name", "full"))
    for pk, code, org_path, name, full in rows:
        yield Violation("org", pk, code, org_path, f"{name}有正式党员 {full} 名，应设立支部委员会")


def committee_size(path, as_of, params):
    """The current committee's positions (seats held, and vacancies no by-election has filled yet): more than
    `limit` is an error for any branch; outside `min_seats`–`max_seats` a warning for a branch with `threshold` or
    more full members (a smaller branch has only a secretary, and perhaps a deputy). One query, not grouped: the
    positions are a correlated count on the seat index of each current committee, and the full members are counted
    (on the member org index) only for the committees whose size is out of the range."""
    positions = Coalesce(Subquery(CommitteeSeat.objects.filter(committee=OuterRef("pk"), filled_by__isnull=True)
                                  .order_by().values("committee").annotate(n=Count("pk")).values("n")[:1]), 0)
    full = Coalesce(Subquery(Member.objects.filter(org=OuterRef("org"), status="full").order_by()
                             .values("org").annotate(n=Count("pk")).values("n")[:1]), 0)
    rows = (BranchCommittee.objects.filter(ended_on__isnull=True, org__path__startswith=path,
                                           org__kind__in=PartyOrg.BRANCH_KINDS, org__status=PartyOrg.Status.ACTIVE)
            .annotate(positions=positions).exclude(positions__range=(params["min_seats"], params["max_seats"]))
            .annotate(full=full).order_by().values_list("org_id", "org__code", "org__path", "org__name", "positions",
                                                        "full"))
    for pk, code, org_path, name, n, full_members in rows:
        if n <= params["limit"] and full_members < params["threshold"]:
            continue
        if n > params["limit"]:
            yield Violation("org", pk, code, org_path, f"{name}支部委员会设委员 {n} 名，超过 {params['limit']} 名",
                            severity="error")
        else:
            yield Violation("org", pk, code, org_path, f"{name}支部委员会设委员 {n} 名，不在 "
                                                        f"{params['min_seats']}～{params['max_seats']} 名之间",
                            severity="warning")


def _first_on_or_after(target: dt.date, years: int) -> dt.date:
    """The earliest election date whose normal term end (election + `years`, monotonic) falls on or after
    `target`."""
    day = add_years(target, -years)
    while add_years(day - dt.timedelta(days=1), years) >= target:
        day -= dt.timedelta(days=1)
    while add_years(day, years) < target:
        day += dt.timedelta(days=1)
    return day


def _committees_due(path, first: dt.date | None, last: dt.date):
    """(org id, code, path, name, committee) rows of current committees of active organisations whose next
    election is due between `first` and `last` (None: any time up to `last`): one query for the term lengths in
    use, one for the committees; the due dates are turned into election-date ranges, so nothing is computed per
    committee in Python but the violations themselves."""
    current = BranchCommittee.objects.filter(ended_on__isnull=True, org__path__startswith=path,
                                             org__status=PartyOrg.Status.ACTIVE)
    years = sorted(set(current.order_by().values_list("term_years", flat=True).distinct()))
    postponed = Q(postponed_to__lte=last) if first is None else Q(postponed_to__range=(first, last))
    due = Q(postponed_to__isnull=False) & postponed
    for y in years:
        before = Q(elected_on__lt=_first_on_or_after(last + dt.timedelta(days=1), y))
        if first is not None:
            before &= Q(elected_on__gte=_first_on_or_after(first, y))
        due |= Q(postponed_to__isnull=True, term_years=y) & before
    return current.filter(due).select_related("org").only(
        "org__code", "org__path", "org__name", "elected_on", "term_years", "postponed_to")


def term_expiring(path, as_of, params):
    horizon = as_of + dt.timedelta(days=params["days"])
    for c in _committees_due(path, as_of, horizon):
        yield Violation("org", c.org_id, c.org.code, c.org.path,
                        f"{c.org.name}本届委员会应于 {c.due_on} 换届，还有 {(c.due_on - as_of).days} 天", due=c.due_on)


def term_expired(path, as_of, params):
    """Past the due date: one finding; past the 1-year postponement limit as well: a second one (key
    "past_limit"), so that the report counts them apart."""
    for c in _committees_due(path, None, as_of - dt.timedelta(days=1)):
        yield Violation("org", c.org_id, c.org.code, c.org.path,
                        f"{c.org.name}本届委员会已于 {c.due_on} 届满，尚未换届", due=c.due_on)
        if as_of > c.postponement_limit:
            yield Violation("org", c.org_id, c.org.code, c.org.path,
                            f"{c.org.name}本届委员会已于 {c.ends_on} 届满，至今未换届，已超过延期换届不超过 "
                            f"{POSTPONEMENT_LIMIT_YEARS} 年的限度（{c.postponement_limit}）", due=c.postponement_limit,
                            key="past_limit")


def register() -> None:
    register_rule(Rule("org.branch.too_few_full_members", "支部正式党员不足 3 名", BRANCH_RULES, "warning", "org",
                       too_few_full_members, {"minimum": 3}))
    register_rule(Rule("org.branch.too_many_members", "支部党员超过 50 名", BRANCH_RULES, "warning", "org",
                       too_many_members, {"maximum": 50}))
    register_rule(Rule("org.committee.missing", "正式党员 7 名以上未设支委会", COMMITTEE_RULES, "error", "org",
                       committee_missing, {"threshold": 7}))
    register_rule(Rule("org.committee.size", "支委会委员职数不符合规定", COMMITTEE_RULES, "warning", "org",
                       committee_size, {"min_seats": 3, "max_seats": 5, "limit": 7, "threshold": 7},
                       {"min_seats": "委员最少（名）", "max_seats": "委员最多（名）", "limit": "委员一般不超过（名）",
                        "threshold": "设支委会的正式党员人数"}))
    register_rule(Rule("org.term.expiring", "任期即将届满", TERM_RULES, "warning", "org", term_expiring, {"days": 90}))
    register_rule(Rule("org.term.expired", "任期届满未换届", TERM_RULES, "error", "org", term_expired))
