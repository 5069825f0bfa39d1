from django.conf import settings
from django.db import models

from dangjian.core.scope import ScopedQuerySet, prefix_q


class Finding(models.Model):
    """One violation of one rule by one organisation or member; resolved automatically when the data no longer
    violates the rule, or waived by a person with a reason."""

    class Status(models.TextChoices):
        OPEN = "open", "待整改"
        RESOLVED = "resolved", "已整改"
        WAIVED = "waived", "已豁免"

    class Severity(models.TextChoices):
        ERROR = "error", "违规"
        WARNING = "warning", "预警"
        NOTICE = "notice", "提示"

    rule = models.CharField("规则", max_length=80)
    subject = models.CharField("对象类型", max_length=8)
    subject_id = models.PositiveBigIntegerField("对象标识")
    subject_code = models.CharField("对象代码", max_length=40)
    key = models.CharField("细分", max_length=40, blank=True, default="")
    org_path = models.CharField(max_length=255, editable=False)
    severity = models.CharField("级别", max_length=8, choices=Severity.choices)
    message = models.CharField("问题", max_length=500)
    citation = models.CharField("依据", max_length=300)
    due = models.DateField("期限", null=True, blank=True)
    status = models.CharField("状态", max_length=8, choices=Status.choices, default=Status.OPEN)
    first_seen = models.DateField("首次发现")
    last_seen = models.DateField("最近发现")
    resolved_on = models.DateField("整改日期", null=True, blank=True)
    waived_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="豁免人", null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    waived_reason = models.CharField("豁免理由", max_length=300, blank=True)
    waived_at = models.DateTimeField("豁免时间", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "体检发现"
        ordering = ["org_path", "rule"]
        constraints = [models.UniqueConstraint(fields=["rule", "subject", "subject_id", "key"], name="finding_once")]
        indexes = [models.Index(fields=["org_path"], name="finding_org_path_like", opclasses=["varchar_pattern_ops"]),
                   models.Index(fields=["status", "rule"], name="finding_status_rule")]

    def __str__(self):
        return f"{self.rule} {self.subject_code} {self.message}"

    @classmethod
    def scope_q(cls, scope):
        return prefix_q("org_path", scope.orgs)

    @property
    def is_overdue(self) -> bool:
        from django.utils import timezone

        return self.status == self.Status.OPEN and self.due is not None and self.due < timezone.localdate()


class RuleSetting(models.Model):
    """A county's own parameters for one rule, or the rule switched off, for the subtree of one organisation
    (normally the county's party committee). The deepest setting above an organisation applies to it; the
    stored params hold only the values that differ from the rule's defaults."""

    rule = models.CharField("规则", max_length=80)
    org = models.ForeignKey("orgs.PartyOrg", verbose_name="适用党组织（含下级）", on_delete=models.CASCADE,
                            related_name="+")
    params = models.JSONField("参数", default=dict, blank=True)
    enabled = models.BooleanField("启用", default=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="修改人", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "体检规则参数"
        ordering = ["rule", "org__path"]
        constraints = [models.UniqueConstraint(fields=["rule", "org"], name="rule_setting_once")]

    def __str__(self):
        return f"{self.rule} @ {self.org_id}"


class QueuedSubtree(models.Model):
    """A subtree to check again, queued when one transaction touched too many of them; `dangjian tick` runs it."""

    path = models.CharField(max_length=255, unique=True)
    queued_at = models.DateTimeField("加入时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "待体检范围"
        ordering = ["path"]

    def __str__(self):
        return self.path


class DailyRun(models.Model):
    """The full run of one day, claimed by inserting this row (the day is unique), so it happens once."""

    day = models.DateField("日期", unique=True)
    started_at = models.DateTimeField("开始时间", auto_now_add=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    counts = models.JSONField("结果", default=dict, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "每日全面体检"
        ordering = ["-day"]

    def __str__(self):
        return str(self.day)
