import time

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

from dangjian.core.scope import EVERYTHING, Scope, minimal_prefixes

from .roles import ROLE_CHOICES, ROLES

_TOP_PATHS_SECONDS = 60
_top_paths: dict[tuple[str, str], tuple[float, list[str]]] = {}


def forget_tree_paths(**kwargs) -> None:
    """Drop the cached topmost paths (connected to saves and deletes of regions, orgs and departments)."""
    _top_paths.clear()


def _top_paths_in_region(model_label: str, region_path: str) -> list[str]:
    """The topmost nodes of a tree (orgs, departments) located in the region subtree: their paths cover, as
    prefixes, every node located there, and there are few of them whatever the size of the subtree.

    The trees change rarely, so the answer is kept for a minute per process (and dropped on any change made
    in this process); role assignments themselves are read afresh on every request."""
    cached = _top_paths.get((model_label, region_path))
    if cached and time.monotonic() - cached[0] < _TOP_PATHS_SECONDS:
        return cached[1]
    from django.apps import apps
    from django.db.models import Exists, OuterRef
    from django.db.models.functions import Length, Substr

    model = apps.get_model(model_label)
    inside = model.objects.filter(region__path__startswith=region_path)
    parent_inside = inside.filter(path=OuterRef("parent_path"))
    paths = list(inside.annotate(parent_path=Substr("path", 1, Length("path") - model.steplen))
                 .exclude(Exists(parent_inside)).values_list("path", flat=True))
    _top_paths[(model_label, region_path)] = (time.monotonic(), paths)
    return paths


class User(AbstractUser):
    display_name = models.CharField("姓名", max_length=50, blank=True)
    member = models.ForeignKey(
        "members.Member", verbose_name="对应党员", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "用户"

    def __str__(self):
        return self.display_name or self.username

    def get_scope(self, action: str = "view") -> Scope:
        """The union of the subtrees of this user's assignments whose role grants `action` (memoised)."""
        cache = self.__dict__.setdefault("_scope_cache", {})
        if action not in cache:
            cache[action] = EVERYTHING if self.is_superuser else self._compute_scope(action)
        return cache[action]

    def _grants(self) -> list[dict]:
        """What each role assignment covers, as path prefixes, loaded once per user object (one request)."""
        if "_grants_cache" not in self.__dict__:
            grants = []
            rows = self.assignments.values_list("role", "region__path", "org__path", "org__region__path",
                                                "department__path")
            for role, region, org, org_region, department in rows:
                g = {"role": role, "regions": [], "orgs": [], "departments": [], "view_regions": [],
                     "report_regions": [], "members": set()}
                if role == "member":
                    if self.member_id:
                        g["members"].add(self.member_id)
                        # a member reports events in the place of their own organisation
                        org_of_member = self.member.org if self.member.org_id else None
                        if org_of_member is not None and org_of_member.region_id:
                            g["report_regions"].append(org_of_member.region.path)
                elif region:
                    g["regions"].append(region)
                    g["orgs"] = _top_paths_in_region("orgs.PartyOrg", region)
                    g["departments"] = _top_paths_in_region("units.Department", region)
                elif org:
                    g["orgs"].append(org)
                    if org_region:
                        g["view_regions"].append(org_region)
                elif department:
                    g["departments"].append(department)
                grants.append(g)
            self.__dict__["_grants_cache"] = grants
        return self.__dict__["_grants_cache"]

    def _compute_scope(self, action: str) -> Scope:
        regions, orgs, departments, members = [], [], [], set()
        for g in self._grants():
            if action not in ROLES[g["role"]].actions:
                continue
            if g["role"] == "member":
                if action == "report":
                    regions += g["report_regions"]
                else:
                    members |= g["members"]
                continue
            regions += g["regions"] + (g["view_regions"] if action == "view" else [])
            orgs += g["orgs"]
            departments += g["departments"]
        return Scope(
            regions=minimal_prefixes(regions),
            orgs=minimal_prefixes(orgs),
            departments=minimal_prefixes(departments),
            members=frozenset(members),
        )

    def can(self, action: str) -> bool:
        """Whether this user may do `action` anywhere (for menus and buttons)."""
        return not self.get_scope(action).empty

    @property
    def role_labels(self) -> list[str]:
        return [ROLES[a.role].label for a in self.assignments.all()]


class RoleAssignment(models.Model):
    """(user, role, node): the node is a Region, a PartyOrg or a Department (a member's is their own record)."""

    user = models.ForeignKey(User, verbose_name="用户", on_delete=models.CASCADE, related_name="assignments")
    role = models.CharField("角色", max_length=32, choices=ROLE_CHOICES)
    region = models.ForeignKey("places.Region", verbose_name="区划", null=True, blank=True, on_delete=models.CASCADE)
    org = models.ForeignKey("orgs.PartyOrg", verbose_name="党组织", null=True, blank=True, on_delete=models.CASCADE)
    department = models.ForeignKey(
        "units.Department", verbose_name="部门", null=True, blank=True, on_delete=models.CASCADE
    )
    created_at = models.DateTimeField("授权时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "角色授权"
        constraints = [
            models.CheckConstraint(
                name="assignment_at_most_one_node",
                condition=(
                    Q(region__isnull=True, org__isnull=True, department__isnull=True)
                    | Q(region__isnull=False, org__isnull=True, department__isnull=True)
                    | Q(region__isnull=True, org__isnull=False, department__isnull=True)
                    | Q(region__isnull=True, org__isnull=True, department__isnull=False)
                ),
            )
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.node}"

    @property
    def node(self):
        return self.region or self.org or self.department or "本人"
