import datetime as dt

from django.db import models
from django.db.models import Q
from treebeard.mp_tree import MP_Node

from dangjian.core.scope import ScopedTreeManager, prefix_q


class PartyOrg(MP_Node):
    class Kind(models.TextChoices):
        COMMITTEE = "committee", "党委"
        WORKING_COMMITTEE = "working_committee", "党工委"
        INDUSTRY_COMMITTEE = "industry_committee", "行业党委"
        CHAIN_COMMITTEE = "chain_committee", "产业链联合党委"
        GENERAL_BRANCH = "general_branch", "党总支"
        BRANCH = "branch", "党支部"
        JOINT_BRANCH = "joint_branch", "联合党支部"
        GROUP = "group", "党小组"

    class Status(models.TextChoices):
        ACTIVE = "active", "正常"
        DISSOLVED = "dissolved", "已撤销"

    BRANCH_KINDS = (Kind.BRANCH, Kind.JOINT_BRANCH)

    code = models.CharField("组织代码", max_length=32, unique=True)
    name = models.CharField("组织名称", max_length=100)
    kind = models.CharField("组织类别", max_length=24, choices=Kind.choices)
    region = models.ForeignKey(
        "places.Region", verbose_name="所在区划", null=True, blank=True, on_delete=models.PROTECT, related_name="orgs"
    )
    unit = models.ForeignKey(
        "units.Unit", verbose_name="所在单位", null=True, blank=True, on_delete=models.SET_NULL, related_name="orgs"
    )
    founded_on = models.DateField("成立日期", null=True, blank=True)
    secretary = models.ForeignKey(
        "members.Member", verbose_name="书记", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.ACTIVE)

    objects = ScopedTreeManager()

    class Meta:
        verbose_name = verbose_name_plural = "党组织"
        # LIKE 'prefix%' scope filters use this index on PostgreSQL (the unique index does not).
        indexes = [models.Index(fields=["path"], name="org_path_like", opclasses=["varchar_pattern_ops"]),
                   # one level of the whole tree (the roots, the counties of a province) without reading every node
                   models.Index(fields=["depth", "path"], name="org_depth_path")]

    def __str__(self):
        return self.name

    @classmethod
    def scope_q(cls, scope):
        return prefix_q("path", scope.orgs)


# ---- committees and terms ------------------------------------------------------------------------------------
# Where the term lengths and the postponement limit come from. The article numbers are to be checked against the
# official texts (REGULATIONS.md marks them *check*); the checkup rules cite these entries.
TERM_CITATIONS = (
    {"document": "《关于党的基层组织任期的意见》", "article": "第二条、第三条（条号待核对）", "version": "2018",
     "effective_on": "2018", "says": "基层党委每届任期5年；总支、支部每届任期3年；村、社区党组织每届任期5年；"
                                     "延期或提前换届须经上级党组织批准，期限一般不超过1年"},
    {"document": "《中国共产党支部工作条例（试行）》", "article": "第六章（条号待核对）", "version": "2018-10",
     "effective_on": "2018-10-28", "says": "村、社区党支部委员会每届任期5年，其他基层单位党支部委员会一般每届任期3年"},
)  # fmt: skip
TERM_CITATION = "；".join(f"{c['document']}（{c['version']}）{c['article']}" for c in TERM_CITATIONS)
POSTPONEMENT_LIMIT_YEARS = 1
FIVE_YEAR_KINDS = (PartyOrg.Kind.COMMITTEE, PartyOrg.Kind.WORKING_COMMITTEE)
FIVE_YEAR_LEVELS = ("village", "community")


def add_years(day: dt.date, years: int) -> dt.date:
    """The same date `years` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def term_years_for(org: PartyOrg) -> int:
    """5 years for 基层党委 (党委, 党工委) and every village or community organisation; 3 for 总支 and other branches."""
    if org.kind in FIVE_YEAR_KINDS:
        return 5
    if org.region_id and org.region.level in FIVE_YEAR_LEVELS:
        return 5
    return 3


class BranchCommittee(models.Model):
    """One term of an organisation's elected committee; the current one has no `ended_on`."""

    org = models.ForeignKey(PartyOrg, verbose_name="党组织", on_delete=models.PROTECT, related_name="committees")
    elected_on = models.DateField("选举日期")
    approved_on = models.DateField("上级批复日期")
    term_years = models.PositiveSmallIntegerField("任期（年）")
    postponed_to = models.DateField("延期换届至", null=True, blank=True)
    postponement_approved_on = models.DateField("延期批复日期", null=True, blank=True)
    postponement_document = models.CharField("延期批复文号", max_length=100, blank=True)
    ended_on = models.DateField("届满换届日期", null=True, blank=True, help_text="下一届委员会选举产生之日")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "支部委员会（届次）"
        ordering = ["org", "-elected_on"]
        constraints = [
            models.UniqueConstraint(fields=["org"], condition=Q(ended_on__isnull=True), name="committee_one_current_per_org"),
        ]

    def __str__(self):
        return f"{self.org.name}（{self.elected_on:%Y-%m-%d}选举）"

    @property
    def is_current(self) -> bool:
        return self.ended_on is None

    @property
    def ends_on(self) -> dt.date:
        """The normal end of the term: the election date plus the term length."""
        return add_years(self.elected_on, self.term_years)

    @property
    def postponement_limit(self) -> dt.date:
        return add_years(self.ends_on, POSTPONEMENT_LIMIT_YEARS)

    @property
    def due_on(self) -> dt.date:
        """When the next election is due: the approved postponement, or the normal end."""
        return self.postponed_to or self.ends_on

    @property
    def open_seats(self):
        return self.seats.filter(left_on__isnull=True)

    @property
    def vacancies(self):
        """Seats whose member left and that no by-election has filled yet."""
        return self.seats.filter(left_on__isnull=False, filled_by__isnull=True)


class CommitteeSeat(models.Model):
    class Role(models.TextChoices):
        SECRETARY = "secretary", "书记"
        DEPUTY_SECRETARY = "deputy_secretary", "副书记"
        MEMBER = "member", "委员"

    committee = models.ForeignKey(BranchCommittee, verbose_name="委员会", on_delete=models.CASCADE, related_name="seats")
    member = models.ForeignKey("members.Member", verbose_name="党员", on_delete=models.PROTECT, related_name="committee_seats")
    role = models.CharField("职务", max_length=24, choices=Role.choices)
    elected_on = models.DateField("当选日期")
    approved_on = models.DateField("批复日期", null=True, blank=True)
    left_on = models.DateField("离任日期", null=True, blank=True)
    left_reason = models.CharField("离任原因", max_length=200, blank=True)
    fills = models.OneToOneField("self", verbose_name="补选的空缺", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="filled_by")

    class Meta:
        verbose_name = verbose_name_plural = "委员会职务"
        ordering = ["committee", "role", "elected_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["committee", "member"], condition=Q(left_on__isnull=True),
                                    name="seat_one_open_per_member"),
            models.UniqueConstraint(fields=["committee"], condition=Q(left_on__isnull=True, role="secretary"),
                                    name="seat_one_secretary"),
        ]

    def __str__(self):
        return f"{self.member.name}（{self.get_role_display()}）"

    @property
    def is_vacant(self) -> bool:
        return self.left_on is not None
