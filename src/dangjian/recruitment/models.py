"""Recruitment (发展党员): one case per person, its step records, sponsors, training, and the versioned timing
rules of 《中国共产党发展党员工作细则》 they are checked against."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from dangjian.core.scope import ScopedQuerySet, prefix_q

from . import steps, timing


class RuleSet(models.Model):
    """One version of the 细则's timing rules. Only a set in force (confirmed) is applied; a person's step is
    checked against the set in force on the date the timing starts from."""

    code = models.CharField("版本代码", max_length=16, unique=True)
    document = models.CharField("文件名称", max_length=100)
    doc_number = models.CharField("文号", max_length=50, blank=True)
    version = models.CharField("版本", max_length=20)
    issued_on = models.DateField("印发日期", null=True, blank=True)
    effective_on = models.DateField("施行日期", null=True, blank=True)
    in_force = models.BooleanField("已确认生效", default=False,
                                   help_text="县级管理员按正式文本核对并录入各项时限后确认；未确认的版本不参与检查")
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="确认人", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)
    note = models.TextField("说明", blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "发展党员时限规则集"
        ordering = ["effective_on", "code"]
        constraints = [
            models.CheckConstraint(name="ruleset_in_force_has_date",
                                   condition=Q(in_force=False) | Q(effective_on__isnull=False)),
        ]

    def __str__(self):
        return f"{self.document}（{self.version}）"

    @property
    def citation(self) -> str:
        number = f"{self.doc_number}，" if self.doc_number else ""
        effective = f"{self.effective_on:%Y-%m-%d}起施行" if self.effective_on else "施行日期待录入"
        return f"{self.document}（{number}{effective}）"


class TimingRule(models.Model):
    """One timing rule of a set: a number, its unit and the article it comes from. The structure (kind,
    anchor, governed step, bound) is the same in every version; the numbers and articles are data."""

    ruleset = models.ForeignKey(RuleSet, verbose_name="规则集", on_delete=models.CASCADE, related_name="rules")
    code = models.CharField("规则代码", max_length=40)
    title = models.CharField("名称", max_length=50)
    kind = models.CharField("类型", max_length=16, choices=list(timing.KINDS.items()), default="offset")
    anchor = models.CharField("起算", max_length=40, help_text="birth、step:N 或 rule:代码")
    target = models.PositiveSmallIntegerField("约束步骤", choices=steps.STEP_CHOICES)
    bound = models.CharField("方向", max_length=8, choices=list(timing.BOUNDS.items()))
    amount = models.PositiveIntegerField("数值")
    unit = models.CharField("单位", max_length=16, choices=timing.UNIT_CHOICES)
    alt_amount = models.PositiveIntegerField("或数值", null=True, blank=True)
    alt_unit = models.CharField("或单位", max_length=16, choices=timing.UNIT_CHOICES, blank=True)
    severity = models.CharField("严重程度", max_length=8, choices=[("error", "错误"), ("warning", "警告")],
                                default="warning")
    article = models.CharField("条款", max_length=100)
    position = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "发展党员时限规则"
        ordering = ["ruleset", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["ruleset", "code"], name="timingrule_once_per_set")]

    def __str__(self):
        return f"{self.ruleset.code} {self.title}"

    def as_data(self) -> timing.RuleData:
        return timing.RuleData(code=self.code, title=self.title, kind=self.kind, anchor=self.anchor,
                               target=self.target, bound=self.bound, amount=self.amount, unit=self.unit,
                               article=self.article, severity=self.severity, alt_amount=self.alt_amount,
                               alt_unit=self.alt_unit)


class RecruitmentCase(models.Model):
    """The recruitment of one person (a `members.Member` from applicant to full member)."""

    class Status(models.TextChoices):
        OPEN = "open", "进行中"
        FINISHED = "finished", "已完成"
        STOPPED = "stopped", "已终止"

    member = models.OneToOneField("members.Member", verbose_name="发展对象", on_delete=models.PROTECT,
                                  related_name="recruitment_case")
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.OPEN)
    applied_on = models.DateField("递交入党申请书日期")
    # Summary of the records, kept by the services for list filters: the last recorded step, the stage of
    # the next step, and the nearest latest date of a step not yet recorded (null: no deadline pending).
    last_step = models.PositiveSmallIntegerField("已完成至", default=0)
    next_step = models.PositiveSmallIntegerField("下一步骤", null=True, blank=True, choices=steps.STEP_CHOICES)
    stage = models.PositiveSmallIntegerField("所处阶段", default=1, choices=steps.STAGE_CHOICES)
    next_due = models.DateField("最近期限", null=True, blank=True)
    stopped_reason = models.CharField("终止原因", max_length=200, blank=True)
    closed_on = models.DateField("完成/终止日期", null=True, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "发展党员"
        ordering = ["-applied_on", "-id"]
        indexes = [models.Index(fields=["status", "next_due"], name="case_status_due_idx")]

    def __str__(self):
        return f"{self.member} 发展党员"

    @classmethod
    def scope_q(cls, scope):
        """Scoped through the member's own organisation path, so a transferred person moves with the ledger."""
        return prefix_q("member__org_path", scope.orgs) | Q(member_id__in=scope.members)

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class StepRecord(models.Model):
    case = models.ForeignKey(RecruitmentCase, verbose_name="发展党员", on_delete=models.CASCADE,
                             related_name="step_records")
    step = models.PositiveSmallIntegerField("步骤", choices=steps.STEP_CHOICES)
    done_on = models.DateField("日期")
    period_start = models.DateField("起始日期", null=True, blank=True)
    period_end = models.DateField("结束日期", null=True, blank=True)
    responsible = models.CharField("负责人", max_length=50, blank=True)
    document_names = models.TextField("材料名称", blank=True, help_text="每行一份材料")
    notes = models.TextField("备注", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "发展党员步骤记录"
        ordering = ["case", "step"]
        constraints = [models.UniqueConstraint(fields=["case", "step"], name="steprecord_once")]

    def __str__(self):
        return f"{self.case.member} {steps.label(self.step)} {self.done_on}"

    @property
    def documents_list(self) -> list[str]:
        return [line.strip() for line in self.document_names.splitlines() if line.strip()]


def document_path(instance, filename):
    return f"recruitment/{instance.record.case_id}/{instance.record.step:02d}-{filename}"


class StepDocument(models.Model):
    record = models.ForeignKey(StepRecord, verbose_name="步骤记录", on_delete=models.CASCADE, related_name="files")
    file = models.FileField("附件", upload_to=document_path, max_length=255)
    name = models.CharField("文件名", max_length=150)
    size = models.PositiveIntegerField("大小（字节）")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "发展党员材料附件"

    def __str__(self):
        return self.name


class Sponsor(models.Model):
    """入党介绍人: a full member of the system."""

    case = models.ForeignKey(RecruitmentCase, verbose_name="发展党员", on_delete=models.CASCADE,
                             related_name="sponsors")
    member = models.ForeignKey("members.Member", verbose_name="入党介绍人", on_delete=models.PROTECT,
                               related_name="sponsored")
    since = models.DateField("确定日期")

    class Meta:
        verbose_name = verbose_name_plural = "入党介绍人"
        constraints = [models.UniqueConstraint(fields=["case", "member"], name="sponsor_once")]

    def __str__(self):
        return f"{self.member}（介绍人）"


class Training(models.Model):
    class Kind(models.TextChoices):
        ACTIVIST = "activist", "入党积极分子培养教育"
        CONCENTRATED = "concentrated", "发展对象集中培训"
        PROBATIONARY = "probationary", "预备党员教育培训"

    case = models.ForeignKey(RecruitmentCase, verbose_name="发展党员", on_delete=models.CASCADE,
                             related_name="trainings")
    record = models.OneToOneField(StepRecord, verbose_name="登记于步骤", null=True, blank=True,
                                  on_delete=models.CASCADE, related_name="training",
                                  help_text="第11步“开展集中培训”登记的培训")
    kind = models.CharField("培训类型", max_length=16, choices=Kind.choices)
    start_on = models.DateField("开始日期")
    end_on = models.DateField("结束日期")
    days = models.DecimalField("天数", max_digits=5, decimal_places=1, default=0)
    hours = models.DecimalField("学时", max_digits=6, decimal_places=1, default=0)
    organiser = models.CharField("举办单位", max_length=100, blank=True)
    notes = models.CharField("备注", max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "发展党员培训记录"
        ordering = ["case", "start_on", "id"]

    def __str__(self):
        return f"{self.case.member} {self.get_kind_display()} {self.start_on}"
