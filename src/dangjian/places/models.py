from django.db import models
from treebeard.mp_tree import MP_Node

from dangjian.core.scope import ScopedQuerySet, ScopedTreeManager, prefix_q


class Region(MP_Node):
    """A node of the place tree: county → township/street → village/community → grid → micro-grid."""

    class Level(models.TextChoices):
        COUNTY = "county", "县"
        TOWNSHIP = "township", "乡镇"
        STREET = "street", "街道"
        VILLAGE = "village", "村"
        COMMUNITY = "community", "社区"
        GRID = "grid", "网格"

    class GridKind(models.TextChoices):
        COMPREHENSIVE = "comprehensive", "综合网格"
        STANDARD = "standard", "四级网格"
        DEDICATED = "dedicated", "专属网格"
        MICRO = "micro", "微网格"

    division_code = models.CharField("区划代码", max_length=18, unique=True)
    name = models.CharField("名称", max_length=100)
    level = models.CharField("层级", max_length=16, choices=Level.choices)
    grid_kind = models.CharField("网格类型", max_length=16, choices=GridKind.choices, blank=True)
    population = models.PositiveIntegerField("人口", null=True, blank=True)
    boundary = models.JSONField("边界（GeoJSON）", null=True, blank=True)

    objects = ScopedTreeManager()

    class Meta:
        verbose_name = verbose_name_plural = "行政区划"
        # LIKE 'prefix%' scope filters use this index on PostgreSQL (the unique index does not).
        indexes = [models.Index(fields=["path"], name="region_path_like", opclasses=["varchar_pattern_ops"]),
                   # one level of the whole tree (the roots, the counties of a province) without reading every node
                   models.Index(fields=["depth", "path"], name="region_depth_path")]

    def __str__(self):
        return self.name

    @classmethod
    def scope_q(cls, scope):
        return prefix_q("path", scope.regions)

    @property
    def is_grid(self) -> bool:
        return self.level == self.Level.GRID

    @property
    def level_label(self) -> str:
        return self.get_grid_kind_display() if self.is_grid and self.grid_kind else self.get_level_display()


class GridManager(ScopedTreeManager):
    def get_queryset(self):
        return super().get_queryset().filter(level=Region.Level.GRID)


class Grid(Region):
    """网格: a Region of level `grid` (comprehensive, standard, dedicated or micro)."""

    objects = GridManager()

    class Meta:
        proxy = True
        verbose_name = verbose_name_plural = "网格"


class Building(models.Model):
    grid = models.ForeignKey(Region, verbose_name="所在网格", on_delete=models.PROTECT, related_name="buildings")
    region_path = models.CharField(max_length=255, db_index=True, editable=False)
    estate = models.CharField("小区", max_length=100, blank=True)
    name = models.CharField("楼栋", max_length=100)
    address = models.CharField("地址", max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "楼栋"

    def __str__(self):
        return f"{self.estate}{self.name}"

    @classmethod
    def scope_q(cls, scope):
        return prefix_q("region_path", scope.regions)

    def save(self, *args, **kwargs):
        self.region_path = self.grid.path
        super().save(*args, **kwargs)


class Household(models.Model):
    grid = models.ForeignKey(Region, verbose_name="所在网格", on_delete=models.PROTECT, related_name="households")
    region_path = models.CharField(max_length=255, db_index=True, editable=False)
    building = models.ForeignKey(Building, verbose_name="楼栋", null=True, blank=True, on_delete=models.SET_NULL)
    head_name = models.CharField("户主", max_length=50)
    address = models.CharField("住址", max_length=200, blank=True)
    size = models.PositiveSmallIntegerField("人口数", default=1)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "户"

    def __str__(self):
        return f"{self.head_name}户"

    @classmethod
    def scope_q(cls, scope):
        return prefix_q("region_path", scope.regions)

    def save(self, *args, **kwargs):
        self.region_path = self.grid.path
        super().save(*args, **kwargs)
