import datetime as dt

from django.conf import settings
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


# ---- transfers and mobile members (《中国共产党党员教育管理工作条例》 2019, 中组发〔2004〕10号) ----------------------

# A letter is valid 30 days by default and 3 months at most (中组发〔2004〕10号).
TRANSFER_DEFAULT_VALID_DAYS = 30
TRANSFER_MAX_VALID_DAYS = 90


class TransferQuerySet(ScopedQuerySet):
    def open(self):
        return self.filter(status=Transfer.Status.ISSUED)


class Transfer(models.Model):
    """组织关系转接: one letter, with an outgoing side (from_org) and an incoming side (to_org or to_org_name).

    The member stays in from_org until the receiving side records receipt; only then do Member.org and
    Member.org_path move, in the same transaction. A transfer out of the system (to_org_name) ends, once the
    sending side confirms the receipt slip, with the member soft-deleted with reason "转出"."""

    class Kind(models.TextChoices):
        INTRODUCTION = "introduction", "介绍信"  # away 6 months or more
        CERTIFICATE = "certificate", "证明信"  # away less than 6 months
        MOBILE_CARD = "mobile_card", "流动党员活动证"  # place or time uncertain

    class Status(models.TextChoices):
        ISSUED = "issued", "已开具"
        RECEIVED = "received", "已接收"
        RETURNED = "returned", "已退回"
        CANCELLED = "cancelled", "已撤销"
        EXPIRED = "expired", "已过期"

    member = models.ForeignKey(Member, verbose_name="党员", on_delete=models.PROTECT, related_name="transfers")
    kind = models.CharField("介绍信类型", max_length=16, choices=Kind.choices, default=Kind.INTRODUCTION)
    from_org = models.ForeignKey("orgs.PartyOrg", verbose_name="转出党组织", on_delete=models.PROTECT,
                                 related_name="transfers_out")
    from_org_path = models.CharField(max_length=255, editable=False)
    to_org = models.ForeignKey("orgs.PartyOrg", verbose_name="转入党组织", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="transfers_in")
    to_org_path = models.CharField(max_length=255, blank=True, editable=False)
    to_org_name = models.CharField("转入党组织（系统外）", max_length=200, blank=True)
    letter_no = models.CharField("介绍信编号", max_length=50, blank=True)
    issued_on = models.DateField("开具日期")
    valid_days = models.PositiveSmallIntegerField("有效期（天）", default=TRANSFER_DEFAULT_VALID_DAYS)
    expires_on = models.DateField("有效期至", editable=False)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.ISSUED)
    received_on = models.DateField("接收日期", null=True, blank=True)
    closed_reason = models.CharField("退回/撤销原因", max_length=200, blank=True)
    note = models.CharField("备注", max_length=500, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = TransferQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "组织关系转接"
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["member"], condition=Q(status="issued"), name="transfer_one_open_per_member"),
            models.CheckConstraint(
                name="transfer_one_destination",
                condition=(Q(to_org__isnull=False, to_org_name="") | Q(to_org__isnull=True) & ~Q(to_org_name="")),
            ),
            models.CheckConstraint(
                name="transfer_valid_days_range",
                condition=Q(valid_days__gte=1, valid_days__lte=TRANSFER_MAX_VALID_DAYS),
            ),
        ]
        indexes = [
            models.Index(fields=["from_org_path"], name="transfer_from_path_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["to_org_path"], name="transfer_to_path_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["status", "expires_on"], name="transfer_status_expiry_idx"),
        ]

    def __str__(self):
        return f"{self.member} {self.get_kind_display()} → {self.destination}"

    @classmethod
    def scope_q(cls, scope):
        """Both sides see a transfer: the sending organisation's subtree and the receiving one's."""
        return prefix_q("from_org_path", scope.orgs) | prefix_q("to_org_path", scope.orgs) | Q(
            member_id__in=scope.members
        )

    @property
    def destination(self) -> str:
        return self.to_org.name if self.to_org_id else self.to_org_name

    @property
    def is_external(self) -> bool:
        return not self.to_org_id

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.ISSUED

    def is_past_validity(self, today: dt.date | None = None) -> bool:
        """Past issued_on + valid_days and never received (whether or not already marked expired)."""
        today = today or dt.date.today()
        return self.status == self.Status.EXPIRED or (self.status == self.Status.ISSUED and today > self.expires_on)

    @property
    def is_expired(self) -> bool:
        return self.is_past_validity()


class MobileStay(models.Model):
    """A period away from the member's organisation (外出); 6 months or more makes a mobile member (流动党员)."""

    member = models.ForeignKey(Member, verbose_name="党员", on_delete=models.PROTECT, related_name="mobile_stays")
    left_on = models.DateField("外出日期")
    destination = models.CharField("外出地点", max_length=200)
    reason = models.CharField("外出原因", max_length=200, blank=True)
    returned_on = models.DateField("返回日期", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "外出流动"
        ordering = ["-left_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["member"], condition=Q(returned_on__isnull=True), name="mobilestay_one_open"),
        ]

    def __str__(self):
        return f"{self.member} {self.left_on:%Y-%m-%d} {self.destination}"


class ContactLog(models.Model):
    """One contact with a mobile member (联系记录)."""

    class Method(models.TextChoices):
        PHONE = "phone", "电话"
        WECHAT = "wechat", "微信"
        VISIT = "visit", "走访"
        LETTER = "letter", "信函"
        OTHER = "other", "其他"

    member = models.ForeignKey(Member, verbose_name="党员", on_delete=models.PROTECT, related_name="contacts")
    contacted_on = models.DateField("联系日期")
    method = models.CharField("联系方式", max_length=16, choices=Method.choices, default=Method.PHONE)
    note = models.CharField("联系情况", max_length=500, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="记录人", null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "流动党员联系记录"
        ordering = ["-contacted_on", "-id"]
        indexes = [models.Index(fields=["member", "contacted_on"], name="contactlog_member_date_idx")]

    def __str__(self):
        return f"{self.member} {self.contacted_on:%Y-%m-%d}"
