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
    member = models.ForeignKey("members.Member", verbose_name="党员", on_delete=models.PROTECT,
                               related_name="attendance")
    status = models.CharField("出席情况", max_length=8, choices=Status.choices)

    class Meta:
        verbose_name = verbose_name_plural = "出席记录"
        constraints = [models.UniqueConstraint(fields=["meeting", "member"], name="attendance_once")]
        indexes = [models.Index(fields=["member", "status"], name="attendance_member_status")]

    def __str__(self):
        return f"{self.member} {self.get_status_display()}"
