from django.conf import settings
from django.db import models


class AccessLog(models.Model):
    """An access to personal data: every unmasking, export and import is written here."""

    class Action(models.TextChoices):
        UNMASK = "unmask", "查看明文"
        EXPORT = "export", "导出"
        IMPORT = "import", "导入"

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="用户", null=True, blank=True, on_delete=models.SET_NULL
    )
    username = models.CharField("用户名", max_length=150, blank=True)
    action = models.CharField("操作", max_length=16, choices=Action.choices)
    object_type = models.CharField("对象类型", max_length=64)
    object_id = models.CharField("对象标识", max_length=64, blank=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    count = models.PositiveIntegerField("记录数", default=1)
    remote_addr = models.GenericIPAddressField("来源地址", null=True, blank=True)
    detail = models.JSONField("详情", default=dict, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "个人信息访问记录"
        ordering = ["-at"]

    def __str__(self):
        return f"{self.username or '系统'} {self.get_action_display()} {self.object_repr}"


class ImportRecord(models.Model):
    """One spreadsheet import: what was read, written and rejected, with the per-row errors."""

    kind = models.CharField("导入类型", max_length=32)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="导入人", null=True, blank=True,
                             on_delete=models.SET_NULL)
    filename = models.CharField("文件名", max_length=255, blank=True)
    partial = models.BooleanField("部分导入", default=False)
    total = models.PositiveIntegerField("总行数", default=0)
    imported = models.PositiveIntegerField("导入行数", default=0)
    rejected = models.PositiveIntegerField("拒绝行数", default=0)
    errors = models.JSONField("错误", default=list, blank=True)
    created_at = models.DateTimeField("导入时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "导入记录"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.kind} {self.filename}"
