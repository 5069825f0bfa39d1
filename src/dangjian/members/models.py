import datetime as dt

from django.db import models
from django.db.models import Q

from dangjian.core import crypto
from dangjian.core.dictionaries import EDUCATION_CHOICES, ETHNICITY_CHOICES
from dangjian.core.scope import ScopedQuerySet, prefix_q


class MemberQuerySet(ScopedQuerySet):
    def live(self):
        return self.filter(deleted_at__isnull=True)


class LiveMemberManager(models.Manager.from_queryset(MemberQuerySet)):
    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class Member(models.Model):
    class Status(models.TextChoices):
        APPLICANT = "applicant", "入党申请人"
        ACTIVIST = "activist", "入党积极分子"
        CANDIDATE = "candidate", "发展对象"
        PROBATIONARY = "probationary", "预备党员"
        FULL = "full", "正式党员"

    class Gender(models.TextChoices):
        MALE = "male", "男"
        FEMALE = "female", "女"

    name = models.CharField("姓名", max_length=50)
    name_initials = models.CharField("姓名拼音首字母", max_length=20, db_index=True, editable=False)
    gender = models.CharField("性别", max_length=8, choices=Gender.choices)
    ethnicity = models.CharField("民族", max_length=2, choices=ETHNICITY_CHOICES, default="01")
    # The ID number: SM4-GCM ciphertext, HMAC-SM3 blind index, and the masked form for display.
    id_number_enc = models.TextField("公民身份号码（密文）", editable=False)
    id_number_index = models.CharField(max_length=64, editable=False)
    id_number_masked = models.CharField("公民身份号码", max_length=18, editable=False)
    birth_date = models.DateField("出生日期")
    education = models.CharField("学历", max_length=2, choices=EDUCATION_CHOICES, blank=True)
    status = models.CharField("人员类别", max_length=16, choices=Status.choices, default=Status.FULL)
    joined_on = models.DateField("入党日期", null=True, blank=True)
    full_on = models.DateField("转为正式党员日期", null=True, blank=True)
    job = models.CharField("工作岗位", max_length=100, blank=True)
    phone_enc = models.TextField("联系电话（密文）", blank=True, editable=False)
    phone_masked = models.CharField("联系电话", max_length=16, blank=True, editable=False)
    org = models.ForeignKey("orgs.PartyOrg", verbose_name="所在党组织", on_delete=models.PROTECT, related_name="members")
    org_path = models.CharField(max_length=255, editable=False)
    is_mobile = models.BooleanField("流动党员", default=False)
    deleted_at = models.DateTimeField("删除时间", null=True, blank=True, editable=False)
    deleted_reason = models.CharField("删除原因", max_length=200, blank=True, editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = LiveMemberManager()
    all_objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "党员"
        ordering = ["org_path", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_index"], condition=Q(deleted_at__isnull=True), name="member_unique_live_id_number"
            )
        ]
        indexes = [
            models.Index(fields=["org_path", "id"], name="member_org_path_idx", opclasses=["varchar_pattern_ops", "int8_ops"]),
            models.Index(fields=["id_number_index"], name="member_id_index_idx"),
            models.Index(fields=["status"], name="member_status_idx"),
        ]
        permissions = [("unmask_member", "查看党员身份证号、电话明文")]

    def __str__(self):
        return self.name

    @classmethod
    def scope_q(cls, scope):
        return prefix_q("org_path", scope.orgs) | Q(pk__in=scope.members)

    def age_on(self, day: dt.date | None = None) -> int:
        day = day or dt.date.today()
        return day.year - self.birth_date.year - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))

    @property
    def age(self) -> int:
        return self.age_on()

    # Reading the plain values is for services only: they audit every unmasking (see services.reveal_member).
    def _plain_id_number(self) -> str:
        return crypto.decrypt(self.id_number_enc)

    def _plain_phone(self) -> str:
        return crypto.decrypt(self.phone_enc)
