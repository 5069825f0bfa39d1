"""吹哨报到 work orders: tickets, their dispatches (assignments), the append-only event log, grid workers."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q

from dangjian.core.scope import ScopedQuerySet, prefix_q


def default_bands():
    # score = valid reports × report weight + visits × visit weight; the first band whose minimum is met
    return [{"band": "green", "min": 30}, {"band": "blue", "min": 20}, {"band": "yellow", "min": 10},
            {"band": "orange", "min": 5}, {"band": "red", "min": 0}]


BAND_LABELS = {"green": "绿", "blue": "蓝", "yellow": "黄", "orange": "橙", "red": "红"}


class TicketPolicy(models.Model):
    """The county's time limits and assessment parameters (one row; REGULATIONS.md 'Work orders')."""

    response_workdays = models.PositiveSmallIntegerField("受理时限（工作日）", default=1)
    return_workdays = models.PositiveSmallIntegerField("退回时限（工作日）", default=2)
    finish_workdays = models.PositiveSmallIntegerField("默认办结时限（工作日）", default=5)
    max_extension_workdays = models.PositiveSmallIntegerField("累计延期上限（工作日）", default=5)
    urgent_response_hours = models.PositiveSmallIntegerField("紧急工单响应时限（小时）", default=2)
    urgent_finish_hours = models.PositiveSmallIntegerField("紧急工单办结时限（小时）", default=24)
    whistle_response_hours = models.PositiveSmallIntegerField("吹哨报到时限（小时）", default=24)
    warn_hours = models.PositiveSmallIntegerField("到期前提醒（小时）", default=24)
    report_weight = models.DecimalField("有效上报权重", max_digits=5, decimal_places=2, default=Decimal("1"))
    visit_weight = models.DecimalField("走访权重", max_digits=5, decimal_places=2, default=Decimal("0.5"))
    bands = models.JSONField("五色评定阈值", default=default_bands)
    micro_reward = models.DecimalField("微网格员每件有效上报奖励（元）", max_digits=8, decimal_places=2,
                                       default=Decimal("2.00"))

    class Meta:
        verbose_name = verbose_name_plural = "工单时限与考核参数"

    def __str__(self):
        return "工单时限与考核参数"

    @classmethod
    def current(cls) -> "TicketPolicy":
        return cls.objects.order_by("pk").first() or cls.objects.create()


class TicketCategory(models.Model):
    """A two-level dictionary: 大类 (parent is null) and 小类, with the default department kind and time limit."""

    class Unit(models.TextChoices):
        WORKDAYS = "workdays", "工作日"
        HOURS = "hours", "小时"

    code = models.CharField("分类代码", max_length=16, unique=True)
    name = models.CharField("名称", max_length=50)
    parent = models.ForeignKey("self", verbose_name="大类", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children")
    department_kind = models.CharField("默认办理部门类别", max_length=16, blank=True,
                                       choices=[("county", "县直部门"), ("station", "乡镇站所"),
                                                ("utility", "公用事业单位"), ("other", "其他")])
    time_limit = models.PositiveSmallIntegerField("办理时限", default=5)
    time_unit = models.CharField("时限单位", max_length=8, choices=Unit.choices, default=Unit.WORKDAYS)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "事件分类"
        ordering = ["code"]

    def __str__(self):
        return f"{self.parent.name} / {self.name}" if self.parent_id else self.name

    @property
    def limit_label(self) -> str:
        return f"{self.time_limit}{self.get_time_unit_display()}"


class TicketQuerySet(ScopedQuerySet):
    pass


class Ticket(models.Model):
    class Source(models.TextChoices):
        GRID_WORKER = "grid_worker", "网格员上报"
        RESIDENT = "resident", "群众上报"
        RIDER = "rider", "骑手随手拍"
        HOTLINE = "hotline", "12345热线"
        MEMBER = "member", "党员上报"
        INSPECTOR = "inspector", "巡查发现"

    class Status(models.TextChoices):
        REPORTED = "reported", "待立案"
        REJECTED = "rejected", "不予立案"
        REGISTERED = "registered", "待派单"
        DISPATCHED = "dispatched", "待受理"
        PROCESSING = "processing", "办理中"
        RESOLVED = "resolved", "待核查"
        CLOSED = "closed", "已结案"
        MERGED = "merged", "已合并"

    OPEN_STATUSES = ("reported", "registered", "dispatched", "processing", "resolved")
    # past its deadline while a department still holds it (a resolved ticket waits on the command center)
    OVERDUE_STATUSES = ("dispatched", "processing")

    class Satisfaction(models.TextChoices):
        SATISFIED = "satisfied", "满意"
        BASICALLY = "basically_satisfied", "基本满意"
        DISSATISFIED = "dissatisfied", "不满意"

    number = models.CharField("工单编号", max_length=20, unique=True)
    title = models.CharField("标题", max_length=100)
    description = models.TextField("事件描述")
    category = models.ForeignKey(TicketCategory, verbose_name="事件分类", on_delete=models.PROTECT,
                                 related_name="tickets")
    source = models.CharField("来源", max_length=16, choices=Source.choices)
    grid = models.ForeignKey("places.Region", verbose_name="所在网格", on_delete=models.PROTECT,
                             related_name="tickets")
    region_path = models.CharField(max_length=255, editable=False)
    address = models.CharField("地址", max_length=200, blank=True)
    lat = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    urgent = models.BooleanField("紧急", default=False)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上报人", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="reported_tickets")
    occurred_at = models.DateTimeField("发现时间")
    created_at = models.DateTimeField("上报时间", db_index=True)
    registered_at = models.DateTimeField("立案时间", null=True, blank=True)
    deadline = models.DateTimeField("办结期限", null=True, blank=True)
    closed_at = models.DateTimeField("结案时间", null=True, blank=True)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.REPORTED)
    satisfaction = models.CharField("评价", max_length=24, choices=Satisfaction.choices, blank=True)
    duplicate_of = models.ForeignKey("self", verbose_name="重复于", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="duplicates")

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "事件工单"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["region_path"], name="ticket_region_path_like", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["status", "deadline"], name="ticket_status_deadline"),
            models.Index(fields=["reporter", "created_at"], name="ticket_reporter_created"),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    @classmethod
    def scope_q(cls, scope):
        """In a region of the scope, or dispatched to a department of the scope."""
        q = prefix_q("region_path", scope.regions)
        if scope.departments:
            q |= Exists(Assignment.objects.filter(prefix_q("department_path", scope.departments),
                                                  ticket=OuterRef("pk")))
        return q

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @classmethod
    def overdue_q(cls, now) -> Q:
        return Q(status__in=cls.OVERDUE_STATUSES, deadline__lt=now)

    def is_overdue(self, now) -> bool:
        return self.status in self.OVERDUE_STATUSES and self.deadline is not None and self.deadline < now


class Assignment(models.Model):
    """流转: one dispatch of a ticket to one department (or one department summoned by a whistle).

    Every metric reads this table: the service that appends an event also updates the assignment in the
    same transaction, and copies the few ticket facts the metrics filter on (place, category, source).
    """

    class Role(models.TextChoices):
        LEAD = "lead", "主办"
        ASSIST = "assist", "协办"
        WHISTLE = "whistle", "吹哨报到"

    class Status(models.TextChoices):
        PENDING = "pending", "待受理"
        ACCEPTED = "accepted", "办理中"
        RETURNED = "returned", "已退回"
        RESOLVED = "resolved", "已办结"
        CLOSED = "closed", "已结案"
        RESPONDED = "responded", "已报到"
        CANCELLED = "cancelled", "已撤销"

    ACTIVE_STATUSES = ("pending", "accepted", "resolved")

    ticket = models.ForeignKey(Ticket, verbose_name="工单", on_delete=models.CASCADE, related_name="assignments")
    department = models.ForeignKey("units.Department", verbose_name="办理部门", on_delete=models.PROTECT,
                                   related_name="assignments")
    department_path = models.CharField(max_length=255, editable=False)
    region_path = models.CharField(max_length=255, editable=False)
    grid = models.ForeignKey("places.Region", on_delete=models.PROTECT, related_name="+", editable=False)
    category = models.ForeignKey(TicketCategory, on_delete=models.PROTECT, related_name="+", editable=False)
    source = models.CharField(max_length=16, choices=Ticket.Source.choices, editable=False)
    role = models.CharField("办理方式", max_length=8, choices=Role.choices, default=Role.LEAD)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.PENDING)
    dispatched_at = models.DateTimeField("派单时间")
    dispatched_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="派单人", null=True,
                                      on_delete=models.SET_NULL, related_name="+")
    response_deadline = models.DateTimeField("受理期限")
    deadline = models.DateTimeField("办结期限")
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    returned_at = models.DateTimeField("退回时间", null=True, blank=True)
    return_reason = models.CharField("退回理由", max_length=500, blank=True)
    extension_days = models.PositiveSmallIntegerField("已批准延期（工作日）", default=0)
    requested_days = models.PositiveSmallIntegerField("申请延期（工作日）", default=0)
    extension_reason = models.CharField("延期理由", max_length=500, blank=True)
    resolved_at = models.DateTimeField("办结时间", null=True, blank=True)
    result = models.TextField("办理结果", blank=True)
    resolve_count = models.PositiveSmallIntegerField("办结次数", default=0)
    reopen_count = models.PositiveSmallIntegerField("返工次数", default=0)
    closed_at = models.DateTimeField("结案时间", null=True, blank=True)
    on_time = models.BooleanField("按期办结", null=True)
    hours_to_close = models.FloatField("立案至结案（小时）", null=True)
    satisfaction = models.CharField("评价", max_length=24, choices=Ticket.Satisfaction.choices, blank=True)
    responded_at = models.DateTimeField("报到时间", null=True, blank=True)
    escalated_at = models.DateTimeField("超时上报时间", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "派单记录"
        ordering = ["-dispatched_at", "-id"]
        indexes = [
            models.Index(fields=["dispatched_at"], name="assignment_dispatched"),
            # LIKE 'prefix%' scope filters, and a subtree's dispatches of a period (the statistics of nodes below the
            # snapshots' depth) without visiting the subtree's other years
            models.Index(fields=["region_path", "dispatched_at"], name="assignment_region_dispatched",
                         opclasses=["varchar_pattern_ops", "timestamptz_ops"]),
            models.Index(fields=["department_path"], name="assignment_dept_like",
                         opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["status", "deadline"], name="assignment_status_deadline"),
        ]

    def __str__(self):
        return f"{self.ticket.number} → {self.department}"

    @classmethod
    def scope_q(cls, scope):
        return prefix_q("region_path", scope.regions) | prefix_q("department_path", scope.departments)

    @property
    def is_open(self) -> bool:
        return self.status in ("pending", "accepted")

    @classmethod
    def overdue_q(cls, now) -> Q:
        return Q(status__in=("pending", "accepted"), deadline__lt=now)

    def is_overdue(self, now) -> bool:
        return self.is_open and self.deadline < now


class TicketEvent(models.Model):
    """The append-only log of every action on a ticket: the timeline, and the record behind every figure."""

    class Kind(models.TextChoices):
        REPORT = "report", "上报"
        REGISTER = "register", "立案"
        REJECT = "reject", "不予立案"
        DISPATCH = "dispatch", "派单"
        ACCEPT = "accept", "受理"
        RETURN = "return", "退回"
        EXTEND = "extend", "申请延期"
        APPROVE_EXTENSION = "approve_extension", "审批延期"
        RESOLVE = "resolve", "办结反馈"
        CLOSE = "close", "核查通过，结案"
        REOPEN = "reopen", "核查不通过，返工"
        RATE = "rate", "回访评价"
        WHISTLE = "whistle", "吹哨"
        RESPOND = "respond", "报到"
        MERGE = "merge", "合并"
        ESCALATE = "escalate", "超时未受理，上报指挥中心"

    ticket = models.ForeignKey(Ticket, verbose_name="工单", on_delete=models.CASCADE, related_name="events")
    assignment = models.ForeignKey(Assignment, verbose_name="派单记录", null=True, blank=True,
                                   on_delete=models.CASCADE, related_name="events")
    kind = models.CharField("操作", max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField("操作人姓名", max_length=100, blank=True)
    at = models.DateTimeField("时间", db_index=True)
    note = models.TextField("说明", blank=True)
    data = models.JSONField("数据", default=dict, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "工单日志"
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.ticket_id} {self.get_kind_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("工单日志只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("工单日志只能追加，不能删除")


def photo_path(instance, filename):
    return f"tickets/{instance.ticket.created_at:%Y/%m}/{instance.ticket_id}-{filename}"


class TicketPhoto(models.Model):
    ticket = models.ForeignKey(Ticket, verbose_name="工单", on_delete=models.CASCADE, related_name="photos")
    event = models.ForeignKey(TicketEvent, verbose_name="所属操作", on_delete=models.CASCADE,
                              related_name="photos")
    image = models.FileField("照片", upload_to=photo_path)
    content_type = models.CharField("类型", max_length=32)
    size = models.PositiveIntegerField("大小（字节）")

    class Meta:
        verbose_name = verbose_name_plural = "工单照片"

    def __str__(self):
        return self.image.name


class TicketCounter(models.Model):
    """The last number issued per day (GD + yyyymmdd + 4 digits); incremented under a row lock."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.day} {self.last}"


class GridWorker(models.Model):
    class Kind(models.TextChoices):
        FULL_TIME = "full_time", "专职网格员"
        MICRO = "micro", "微网格员"
        MOBILE = "mobile", "流动网格员"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.CASCADE,
                                related_name="grid_worker")
    grid = models.ForeignKey("places.Region", verbose_name="所在网格", on_delete=models.PROTECT,
                             related_name="grid_workers")
    region_path = models.CharField(max_length=255, editable=False)
    kind = models.CharField("类别", max_length=16, choices=Kind.choices, default=Kind.FULL_TIME)
    name = models.CharField("姓名", max_length=50)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "网格员"
        ordering = ["region_path", "name"]

    def __str__(self):
        return self.name

    @classmethod
    def scope_q(cls, scope):
        return prefix_q("region_path", scope.regions)


class Visit(models.Model):
    """民情家访: a grid worker's recorded visit to a household."""

    worker = models.ForeignKey(GridWorker, verbose_name="网格员", on_delete=models.PROTECT, related_name="visits")
    household = models.ForeignKey("places.Household", verbose_name="走访户", on_delete=models.PROTECT,
                                  related_name="visits")
    region_path = models.CharField(max_length=255, editable=False)
    visited_on = models.DateField("走访日期")
    note = models.TextField("走访情况", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "民情家访"
        ordering = ["-visited_on", "-id"]
        indexes = [models.Index(fields=["worker", "visited_on"], name="visit_worker_day")]

    def __str__(self):
        return f"{self.worker} {self.visited_on}"

    @classmethod
    def scope_q(cls, scope):
        return prefix_q("region_path", scope.regions)

