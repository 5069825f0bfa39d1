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


class CalendarDay(models.Model):
    """An official rest day or make-up working day entered by an administrator.

    chinese-calendar carries the State Council's schedule only up to the last year it has published; a
    county enters the next year's schedule here as soon as it is announced. An entry always wins.
    """

    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("是否工作日")
    name = models.CharField("说明", max_length=50, blank=True, help_text="如：春节、国庆节调休上班")

    class Meta:
        verbose_name = verbose_name_plural = "法定节假日安排"
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {'上班' if self.is_workday else '休息'} {self.name}"


class Notification(models.Model):
    """An in-app message for one user. `key` makes periodic jobs idempotent: one message per key and user."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="接收人", on_delete=models.CASCADE,
                             related_name="notifications")
    key = models.CharField("去重键", max_length=120)
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    url = models.CharField("链接", max_length=300, blank=True)
    level = models.CharField("级别", max_length=16, default="info",
                             choices=[("info", "提示"), ("warning", "提醒"), ("danger", "警告")])
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "站内通知"
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="notification_once_per_key")]

    def __str__(self):
        return self.title
