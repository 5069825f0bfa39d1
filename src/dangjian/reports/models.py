"""Statistics snapshots: one value per (tree, node path, period, metric), written by `services.do_refresh`."""

from django.db import models


class Snapshot(models.Model):
    """The value of one count metric for one node and one period. Rates are never stored: they are read as
    numerator / denominator. Zero values are not stored: a period that `SnapshotRun` marks complete for the
    metric's source reads a missing row as 0."""

    class PeriodKind(models.TextChoices):
        DAY = "day", "日"
        MONTH = "month", "月"

    tree = models.CharField("树", max_length=8)
    path = models.CharField("节点路径", max_length=255, blank=True)
    depth = models.PositiveSmallIntegerField("层级")
    period_kind = models.CharField("周期", max_length=5, choices=PeriodKind.choices)
    period_start = models.DateField("周期起始日")
    metric = models.CharField("指标", max_length=64)
    value = models.FloatField("数值")
    refreshed_at = models.DateTimeField("计算时间")

    class Meta:
        verbose_name = verbose_name_plural = "统计快照"
        constraints = [
            # also the index of a node's series (trends: one metric for a list of months, a descent per month)
            models.UniqueConstraint(fields=["tree", "period_kind", "period_start", "path", "metric"],
                                    name="snapshot_once"),
        ]
        indexes = [
            # a node's figures (depth = d AND path = p) and its children's (depth = d + 1 AND path LIKE 'p%') for
            # one period: both one range of this index, whatever the size of the period
            models.Index(fields=["tree", "period_kind", "period_start", "depth", "path", "metric"],
                         name="snapshot_nodes", opclasses=["", "", "", "", "varchar_pattern_ops", ""]),
        ]

    def __str__(self):
        return f"{self.tree}:{self.path or '全部'} {self.period_kind} {self.period_start} {self.metric}={self.value}"


class SnapshotRun(models.Model):
    """Which (tree, period, source) the snapshots hold completely, when they were computed, and whether they are
    stale (records changed since; the next incremental refresh recomputes them)."""

    tree = models.CharField("树", max_length=8)
    period_kind = models.CharField("周期", max_length=5, choices=Snapshot.PeriodKind.choices)
    period_start = models.DateField("周期起始日")
    source = models.CharField("数据源", max_length=64)
    refreshed_at = models.DateTimeField("计算时间")
    rows = models.PositiveIntegerField("行数", default=0)
    max_depth = models.PositiveSmallIntegerField("保存到的层级", default=0,
                                                 help_text="更深的节点不保存快照，读取时直接计算（其子树很小）")
    digest = models.CharField("数值摘要", max_length=32, blank=True, default="",
                              help_text="全部数值的摘要：重算结果不变时不读不写快照")
    seconds = models.FloatField("用时（秒）", default=0)
    stale = models.BooleanField("待重算", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "快照计算记录"
        constraints = [models.UniqueConstraint(fields=["tree", "period_kind", "period_start", "source"],
                                               name="snapshotrun_once")]
        indexes = [models.Index(fields=["stale"], name="snapshotrun_stale")]

    def __str__(self):
        return f"{self.source} {self.period_kind} {self.period_start}"


from .briefing_models import BriefingTemplate  # noqa: E402,F401  (uploaded briefing templates)
