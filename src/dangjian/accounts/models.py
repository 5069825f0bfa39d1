from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

from dangjian.core.scope import EVERYTHING, Scope, minimal_prefixes

from .roles import ROLE_CHOICES, ROLES


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

    def _compute_scope(self, action: str) -> Scope:
        from django.apps import apps

        PartyOrg = apps.get_model("orgs", "PartyOrg")
        Department = apps.get_model("units", "Department")
        regions, orgs, departments, members = [], [], [], set()
        for a in self.assignments.select_related("region", "org__region", "department"):
            if action not in ROLES[a.role].actions:
                continue
            if a.role == "member":
                if self.member_id and action == "report":
                    # a member reports events in the place of their own organisation
                    region = self.member.org.region if self.member.org_id else None
                    if region is not None:
                        regions.append(region.path)
                elif self.member_id:
                    members.add(self.member_id)
            elif a.region_id:
                regions.append(a.region.path)
                orgs += PartyOrg.objects.filter(region__path__startswith=a.region.path).values_list("path", flat=True)
                departments += Department.objects.filter(region__path__startswith=a.region.path).values_list(
                    "path", flat=True
                )
            elif a.org_id:
                orgs.append(a.org.path)
                if action == "view" and a.org.region_id:
                    regions.append(a.org.region.path)
            elif a.department_id:
                departments.append(a.department.path)
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
