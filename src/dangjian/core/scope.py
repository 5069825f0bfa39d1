"""Scope: every queryset that reaches a user passes `restrict(user, action)` (NetBox's pattern).

A user's scope is the union of the subtrees of the nodes they are assigned to, kept as materialised
path prefixes of the three trees (regions, party organisations, departments) plus single member ids
(a member sees their own record). Each model says how a scope filters it in `scope_q(scope)`, so a
scope filter is one indexed prefix match per assigned node, never a join over the tree.
"""

from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.db import models
from django.db.models import Q
from treebeard.mp_tree import MP_NodeManager, MP_NodeQuerySet

ACTIONS = ("view", "change", "import", "export", "unmask", "manage_users",
           "report",  # report events (随手拍) in grids of the scope
           "command",  # the command center: register, dispatch, verify, whistle, merge
           "handle",  # a department: accept, return, extend, resolve, respond
           "configure")  # county settings: time limits, categories, holiday schedule


@dataclass(frozen=True)
class Scope:
    unrestricted: bool = False
    regions: tuple[str, ...] = ()
    orgs: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    members: frozenset[int] = field(default_factory=frozenset)

    @property
    def empty(self) -> bool:
        return not (self.unrestricted or self.regions or self.orgs or self.departments or self.members)


EVERYTHING = Scope(unrestricted=True)
NOTHING = Scope()


def minimal_prefixes(paths) -> tuple[str, ...]:
    """Drop every path that lies under another path of the set."""
    kept: list[str] = []
    for path in sorted(set(paths)):
        if not kept or not path.startswith(kept[-1]):
            kept.append(path)
    return tuple(kept)


def prefix_q(field_name: str, prefixes) -> Q:
    """`field LIKE p1% OR field LIKE p2% …`; matches nothing when there are no prefixes."""
    if not prefixes:
        return Q(pk__in=[])
    return reduce(or_, (Q(**{f"{field_name}__startswith": p}) for p in prefixes))


def user_scope(user, action: str = "view") -> Scope:
    """The scope of `user` for `action`. None means the system (CLI without --as): everything."""
    if user is None:
        return EVERYTHING
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return NOTHING
    return user.get_scope(action)


class ScopedQuerySetMixin:
    def restrict(self, user, action: str = "view"):
        scope = user_scope(user, action)
        if scope.unrestricted:
            return self
        return self.filter(self.model.scope_q(scope))


class ScopedQuerySet(ScopedQuerySetMixin, models.QuerySet):
    pass


class ScopedTreeQuerySet(ScopedQuerySetMixin, MP_NodeQuerySet):
    pass


class ScopedTreeManager(MP_NodeManager):
    def get_queryset(self):
        return ScopedTreeQuerySet(self.model, using=self._db).order_by("path")

    def restrict(self, user, action: str = "view"):
        return self.get_queryset().restrict(user, action)
