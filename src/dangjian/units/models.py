from django.db import models
from treebeard.mp_tree import MP_Node

from dangjian.core.scope import ScopedQuerySet, ScopedTreeManager, prefix_q


class Unit(models.Model):
    class Kind(models.TextChoices):
        ORGAN = "organ", "机关"
        INSTITUTION = "institution", "事业单位"
        STATE_ENTERPRISE = "state_enterprise", "国有企业"
        PRIVATE_ENTERPRISE = "private_enterprise", "非公企业"
        SOCIAL_ORG = "social_org", "社会组织"

    code = models.CharField("单位代码", max_length=32, unique=True)
    name = models.CharField("单位名称", max_length=100)
    kind = models.CharField("单位类别", max_length=24, choices=Kind.choices)
    region = models.ForeignKey("places.Region", verbose_name="所在区划", on_delete=models.PROTECT, related_name="units")
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "单位"
        ordering = ["code"]

    def __str__(self):
        return self.name

    @classmethod
    def scope_q(cls, scope):
        return prefix_q("region__path", scope.regions)


class Department(MP_Node):
    """A body that handles dispatched work orders: county departments and their township stations."""

    class Kind(models.TextChoices):
        COUNTY = "county", "县直部门"
        STATION = "station", "乡镇站所"
        UTILITY = "utility", "公用事业单位"
        OTHER = "other", "其他"

    code = models.CharField("部门代码", max_length=32, unique=True)
    name = models.CharField("部门名称", max_length=100)
    kind = models.CharField("部门类别", max_length=16, choices=Kind.choices, default=Kind.COUNTY)
    region = models.ForeignKey(
        "places.Region", verbose_name="所在区划", on_delete=models.PROTECT, related_name="departments"
    )

    objects = ScopedTreeManager()

    class Meta:
        verbose_name = verbose_name_plural = "职能部门"
        # LIKE 'prefix%' scope filters use this index on PostgreSQL (the unique index does not).
        indexes = [models.Index(fields=["path"], name="department_path_like", opclasses=["varchar_pattern_ops"])]

    def __str__(self):
        return self.name

    @classmethod
    def scope_q(cls, scope):
        return prefix_q("path", scope.departments)
