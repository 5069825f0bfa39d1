"""Uploaded .docx templates of briefings (imported from reports.models)."""

from auditlog.registry import auditlog
from django.conf import settings
from django.db import models


def _upload_to(instance, filename: str) -> str:
    from django.utils import timezone

    return f"briefing_templates/{timezone.localdate():%Y/%m}/{instance.scope_code or 'all'}.docx"


class BriefingTemplate(models.Model):
    """A .docx in docxtpl syntax (`{{ tickets.dispatched }}`), checked on upload, kept for the scope it was uploaded
    for (its main node ``scope_tree`` + ``scope_path``, and its nodes on both trees ``region_path`` / ``org_path``):
    users of that scope, of the nodes above it and below it, on either tree, may use it."""

    class Tree(models.TextChoices):
        REGION = "region", "行政区划"
        ORG = "org", "党组织"

    name = models.CharField("模板名称", max_length=100)
    file = models.FileField("模板文件", upload_to=_upload_to, max_length=255)
    original_name = models.CharField("原文件名", max_length=255, blank=True)
    size = models.PositiveIntegerField("文件大小（字节）", default=0)
    variables = models.JSONField("使用的变量", default=list, blank=True)
    scope_tree = models.CharField("范围类型", max_length=8, choices=Tree.choices)
    scope_path = models.CharField("范围路径", max_length=255, blank=True)
    scope_code = models.CharField("范围代码", max_length=40, blank=True)
    scope_name = models.CharField("范围名称", max_length=100, blank=True)
    # the scope on both trees (None: the scope has no node on that tree), for who may use the template
    region_path = models.CharField("区划路径", max_length=255, null=True, blank=True)
    org_path = models.CharField("党组织路径", max_length=255, null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上传人", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        app_label = "reports"
        verbose_name = verbose_name_plural = "通报模板"
        ordering = ["-uploaded_at", "-id"]
        indexes = [models.Index(fields=["scope_tree", "scope_path"], name="briefingtemplate_scope",
                                opclasses=["", "varchar_pattern_ops"])]

    def __str__(self):
        return self.name


auditlog.register(BriefingTemplate, exclude_fields=["variables"])
