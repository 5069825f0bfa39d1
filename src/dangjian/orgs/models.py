from django.db import models
from treebeard.mp_tree import MP_Node

from dangjian.core.scope import ScopedTreeManager, prefix_q


class PartyOrg(MP_Node):
    class Kind(models.TextChoices):
        COMMITTEE = "committee", "党委"
        WORKING_COMMITTEE = "working_committee", "党工委"
        INDUSTRY_COMMITTEE = "industry_committee", "行业党委"
        CHAIN_COMMITTEE = "chain_committee", "产业链联合党委"
        GENERAL_BRANCH = "general_branch", "党总支"
        BRANCH = "branch", "党支部"
        JOINT_BRANCH = "joint_branch", "联合党支部"
        GROUP = "group", "党小组"

    class Status(models.TextChoices):
        ACTIVE = "active", "正常"
        DISSOLVED = "dissolved", "已撤销"

    BRANCH_KINDS = (Kind.BRANCH, Kind.JOINT_BRANCH)

    code = models.CharField("组织代码", max_length=32, unique=True)
    name = models.CharField("组织名称", max_length=100)
    kind = models.CharField("组织类别", max_length=24, choices=Kind.choices)
    region = models.ForeignKey(
        "places.Region", verbose_name="所在区划", null=True, blank=True, on_delete=models.PROTECT, related_name="orgs"
    )
    unit = models.ForeignKey(
        "units.Unit", verbose_name="所在单位", null=True, blank=True, on_delete=models.SET_NULL, related_name="orgs"
    )
    founded_on = models.DateField("成立日期", null=True, blank=True)
    secretary = models.ForeignKey(
        "members.Member", verbose_name="书记", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.ACTIVE)

    objects = ScopedTreeManager()

    class Meta:
        verbose_name = verbose_name_plural = "党组织"
        # LIKE 'prefix%' scope filters use this index on PostgreSQL (the unique index does not).
        indexes = [models.Index(fields=["path"], name="org_path_like", opclasses=["varchar_pattern_ops"])]

    def __str__(self):
        return self.name

    @classmethod
    def scope_q(cls, scope):
        return prefix_q("path", scope.orgs)
