import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from dangjian.core.scope import user_scope

from .models import BranchCommittee, PartyOrg, add_years


def tree_roots(user):
    """The top nodes of the user's organisation scope (the whole forest for the system or a superuser)."""
    scope = user_scope(user, "view")
    if scope.unrestricted:
        return PartyOrg.objects.get_root_nodes()
    return PartyOrg.objects.filter(path__in=scope.orgs)


def children(user, parent: PartyOrg):
    return PartyOrg.objects.restrict(user, "view").filter(
        path__startswith=parent.path, depth=parent.depth + 1
    ).select_related("region")


# ---- committees and terms ------------------------------------------------------------------------------------
DUE_STATES = {"expiring": "即将届满", "expired": "已届满未换届", "past_limit": "超过延期上限"}


@dataclass(frozen=True)
class DueCommittee:
    committee: BranchCommittee
    state: str  # a key of DUE_STATES
    due_on: dt.date
    days_left: int  # negative when overdue

    @property
    def state_label(self) -> str:
        return DUE_STATES[self.state]


def current_committees(user, action: str = "view"):
    """The current committee of every organisation in the user's scope."""
    return BranchCommittee.objects.filter(ended_on__isnull=True, org__in=PartyOrg.objects.restrict(user, action))


def _latest_election_ending_by(day: dt.date, years: int) -> dt.date:
    """The last election date whose normal term (`years`, 29 Feb → 28 Feb) ends on or before `day`."""
    start = add_years(day, -years)
    while add_years(start + dt.timedelta(days=1), years) <= day:
        start += dt.timedelta(days=1)
    return start


def committees_due(user, *, within_days: int = 90, today: dt.date | None = None) -> list[DueCommittee]:
    """Current committees in scope whose re-election is due within `within_days`, overdue, or past the 1-year
    postponement limit (overdue for more than a year after the normal end, or postponed beyond it). Earliest first.

    The database picks the candidates (due on or before today + `within_days`); only those are classified here."""
    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=within_days)
    committees = current_committees(user)
    by_normal_end = Q(pk__in=[])
    for years in set(committees.values_list("term_years", flat=True)):
        by_normal_end |= Q(term_years=years, elected_on__lte=_latest_election_ending_by(horizon, years))
    # A postponement always lies after the normal end, so every candidate's normal end is within the horizon.
    candidates = committees.filter(by_normal_end).select_related("org", "org__region")
    rows = []
    for c in candidates:
        limit = c.postponement_limit
        if today > limit or (c.postponed_to and c.postponed_to > limit):
            state = "past_limit"
        elif c.due_on < today:
            state = "expired"
        elif c.due_on <= horizon:
            state = "expiring"
        else:
            continue
        rows.append(DueCommittee(c, state, c.due_on, (c.due_on - today).days))
    return sorted(rows, key=lambda r: (r.due_on, r.committee.org.path))
