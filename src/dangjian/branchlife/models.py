"""Branch life: meetings (三会一课, 主题党日, 组织生活会, 民主评议党员) with attendance, 谈心谈话, study hours."""

from django.conf import settings
from django.db import models

from dangjian.core.scope import ScopedQuerySet, prefix_q


class Meeting(models.Model):
    class Kind(models.TextChoices):
        GENERAL_ASSEMBLY = "general_assembly", "支部党员大会"
        COMMITTEE_MEETING = "committee_meeting", "支委会"
        GROUP_MEETING = "group_meeting", "党小组会"
        PARTY_LECTURE = "party_lecture", "党课"
        THEME_DAY = "theme_day", "主题党日"
        LIFE_MEETING = "life_meeting", "组织生活会"
        MEMBER_REVIEW = "member_review", "民主评议党员"

    org = models.ForeignKey("orgs.PartyOrg", verbose_name="党组织", on_delete=models.PROTECT, related_name="meetings")
    org_path = models.CharField(max_length=255, editable=False)
    kind = models.CharField("会议类型", max_length=24, choices=Kind.choices)
    held_on = models.DateField("召开日期")
    topic = models.CharField("主题", max_length=200)
    chair = models.ForeignKey("members.Member", verbose_name="主持人", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    minutes = models.TextField("会议记录", blank=True)
    vote_subject = models.CharField("表决事项", max_length=200, blank=True)
    due_voters = models.PositiveIntegerField("应到会有表决权人数", null=True, blank=True)
    present_voters = models.PositiveIntegerField("实到会有表决权人数", null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="记录人", null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "组织生活会议"
        ordering = ["-held_on", "-id"]
        indexes = [
            models.Index(fields=["org_path"], name="meeting_org_path_like", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["org", "kind", "held_on"], name="meeting_org_kind_day"),
            models.Index(fields=["held_on"], name="meeting_day"),  # where the records start (checkup rules)
        ]

    def __str__(self):
        return f"{self.held_on} {self.get_kind_display()} {self.topic}"

    @classmethod
    def scope_q(cls, scope):
        return prefix_q("org_path", scope.orgs)


class Attendance(models.Model):
    class Status(models.TextChoices):
        PRESENT = "present", "出席"
        LEAVE = "leave", "请假"
        ABSENT = "absent", "缺席"

    meeting = models.ForeignKey(Meeting, verbose_name="会议", on_delete=models.CASCADE, related_name="attendance")
    # no index of its own: attendance_member_day (member first) serves every lookup by member
    member = models.ForeignKey("members.Member", verbose_name="党员", on_delete=models.PROTECT,
                               related_name="attendance", db_index=False)
    status = models.CharField("出席情况", max_length=8, choices=Status.choices)
    # the meeting's date, copied here (services.do_record_meeting, do_update_meeting keep it in step) so that a
    # member's attendance over a period is read from one index, without joining the meetings
    held_on = models.DateField("召开日期")

    class Meta:
        verbose_name = verbose_name_plural = "出席记录"
        constraints = [models.UniqueConstraint(fields=["meeting", "member"], name="attendance_once")]
        indexes = [
            # a member's attendance by date, with the status: the latest meeting attended (backwards from a day)
            # and whether any was attended in a window are index-only reads of a few entries per member
            models.Index(fields=["member", "held_on", "status"], name="attendance_member_day"),
            # the records of not attending (absent, or on leave), a small share: the members of the absence rule
            # are found from these, for any subtree, without reading the attendance of everyone
            models.Index(fields=["member", "held_on", "status"], name="attendance_missed",
                         condition=models.Q(status__in=["absent", "leave"])),
        ]

    def __str__(self):
        return f"{self.member} {self.get_status_display()}"

    def save(self, *args, **kwargs):
        if self.held_on is None and self.meeting_id is not None:
            self.held_on = self.meeting.held_on
        super().save(*args, **kwargs)


class DuesProfile(models.Model):
    """A member's dues category and monthly base, and the amount they come to (中组发〔2008〕3号)."""

    class Category(models.TextChoices):
        IN_SERVICE = "in_service", "在职"
        RETIRED = "retired", "离退休"
        FARMER = "farmer", "农民"
        STUDENT = "student", "学生"
        UNEMPLOYED = "unemployed", "下岗失业"
        RELIEF = "relief", "享受低保或救济"

    member = models.OneToOneField("members.Member", verbose_name="党员", on_delete=models.CASCADE,
                                  related_name="dues_profile")
    category = models.CharField("党费类别", max_length=16, choices=Category.choices)
    base = models.DecimalField("计算基数（元/月）", max_digits=12, decimal_places=2, null=True, blank=True)
    monthly = models.DecimalField("每月应缴（元）", max_digits=10, decimal_places=2)
    since = models.DateField("起算月份")

    class Meta:
        verbose_name = verbose_name_plural = "党费标准"

    def __str__(self):
        return f"{self.member} {self.monthly}"


class DuesPayment(models.Model):
    """One member's dues for one month: what was due, what was paid, and any voluntary extra payment."""

    # no index of its own: dues_once_a_month (member, month) serves every lookup by member
    member = models.ForeignKey("members.Member", verbose_name="党员", on_delete=models.PROTECT,
                               related_name="dues_payments", db_index=False)
    org_path = models.CharField(max_length=255, editable=False)
    month = models.DateField("所属月份")  # always the first day of the month
    due = models.DecimalField("应缴（元）", max_digits=10, decimal_places=2)
    paid = models.DecimalField("实缴（元）", max_digits=10, decimal_places=2)
    paid_on = models.DateField("缴纳日期")
    voluntary = models.DecimalField("自愿多缴（元）", max_digits=12, decimal_places=2, default=0)
    remit_in_full = models.BooleanField("全额上缴中央", default=False,
                                        help_text="一次性自愿多缴 1000 元以上，全额上缴中央")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="记录人", null=True,
                                    on_delete=models.SET_NULL, related_name="+")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "党费缴纳记录"
        ordering = ["-month", "member_id"]
        constraints = [models.UniqueConstraint(fields=["member", "month"], name="dues_once_a_month")]
        indexes = [models.Index(fields=["org_path"], name="dues_org_path_like", opclasses=["varchar_pattern_ops"]),
                   models.Index(fields=["month"], name="dues_month")]  # where the records start (checkup rules)

    def __str__(self):
        return f"{self.member} {self.month:%Y-%m} {self.paid}"

    @classmethod
    def scope_q(cls, scope):
        return prefix_q("org_path", scope.orgs)


class HeartToHeart(models.Model):
    """谈心谈话: who talked with whom, and when."""

    org = models.ForeignKey("orgs.PartyOrg", verbose_name="党组织", on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255, editable=False)
    talker = models.ForeignKey("members.Member", verbose_name="谈话人", on_delete=models.PROTECT, related_name="+")
    listener = models.ForeignKey("members.Member", verbose_name="谈话对象", on_delete=models.PROTECT, related_name="+")
    held_on = models.DateField("谈话日期")
    note = models.TextField("谈话内容摘要", blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "谈心谈话"
        ordering = ["-held_on", "-id"]

    def __str__(self):
        return f"{self.held_on} {self.talker} → {self.listener}"

    @classmethod
    def scope_q(cls, scope):
        return prefix_q("org_path", scope.orgs)


class StudyRecord(models.Model):
    """学时: hours of study a member completed on a day (counted against the yearly requirement)."""

    # no index of its own: study_member_day_hours (member first) serves every lookup by member
    member = models.ForeignKey("members.Member", verbose_name="党员", on_delete=models.PROTECT,
                               related_name="study_records", db_index=False)
    org_path = models.CharField(max_length=255, editable=False)
    studied_on = models.DateField("学习日期")
    hours = models.DecimalField("学时", max_digits=5, decimal_places=1)
    topic = models.CharField("学习内容", max_length=200)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "学习记录"
        ordering = ["-studied_on", "-id"]
        # with the hours, the yearly totals of the study rule are an index-only scan
        indexes = [models.Index(fields=["member", "studied_on", "hours"], name="study_member_day_hours"),
                   models.Index(fields=["studied_on"], name="study_day")]  # where the records start (checkup rules)

    def __str__(self):
        return f"{self.member} {self.studied_on} {self.hours}"

    @classmethod
    def scope_q(cls, scope):
        return prefix_q("org_path", scope.orgs)
