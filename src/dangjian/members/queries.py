"""Reads of the member ledger, always scoped."""

from django.db.models import Count

from dangjian.core import crypto
from dangjian.core.dictionaries import EDUCATIONS, ETHNICITIES

from .models import Member

EXPORT_HEADERS = ["姓名", "性别", "民族", "公民身份号码", "出生日期", "学历", "人员类别", "入党日期",
                  "转为正式党员日期", "工作岗位", "联系电话", "所在党组织代码", "所在党组织", "流动党员"]  # fmt: skip


def members_for(user, action: str = "view"):
    return Member.objects.restrict(user, action).select_related("org")


def export_rows(queryset, unmasked: bool):
    """Rows for the roster export; plain ID numbers and phones only when `unmasked`."""
    for m in queryset.select_related("org").iterator(chunk_size=2000):
        yield [
            m.name, m.get_gender_display(), ETHNICITIES.get(m.ethnicity, ""),
            crypto.decrypt(m.id_number_enc) if unmasked else m.id_number_masked,
            m.birth_date, EDUCATIONS.get(m.education, ""), m.get_status_display(), m.joined_on, m.full_on,
            m.job, crypto.decrypt(m.phone_enc) if unmasked else m.phone_masked, m.org.code, m.org.name,
            "是" if m.is_mobile else "否",
        ]  # fmt: skip


def may_unmask_all(user, queryset) -> bool:
    """True when every row of `queryset` lies inside the user's unmask scope (None: the system)."""
    if user is None:
        return True
    return not queryset.exclude(pk__in=Member.objects.restrict(user, "unmask").values("pk")).exists()


def member_counts(nodes) -> dict[str, int]:
    """Members in the subtree of each PartyOrg node, keyed by path: one grouped query per path length."""
    from os.path import commonprefix

    from django.db.models.functions import Substr

    by_length: dict[int, list[str]] = {}
    for node in nodes:
        by_length.setdefault(len(node.path), []).append(node.path)
    counts = dict.fromkeys((n.path for n in nodes), 0)
    for length, paths in by_length.items():
        rows = (
            Member.objects.filter(org_path__startswith=commonprefix(paths))
            .annotate(prefix=Substr("org_path", 1, length))
            .filter(prefix__in=paths)
            .values_list("prefix")
            .annotate(n=Count("id"))
        )
        counts.update(dict(rows))
    return counts


# ---- transfers and mobile members ----------------------------------------------------------------------------

# 《中国共产党党员教育管理工作条例》 (2019) Art 24: a member out of contact for 6 months who cannot be found →
# 停止党籍; still unreachable 2 years after that → 除名. We have no record of the stop decision itself, so the
# 除名 prompt counts the 2 years from the day the 6 months were reached (30 months without contact).
MOBILE_CITATION = {
    "document": "《中国共产党党员教育管理工作条例》",
    "article": "第二十四条",
    "version": "2019",
    "text": "党员失去联系6个月以上、通过各种方式查找仍然没有取得联系的，予以停止党籍；停止党籍2年后仍无法取得联系的，予以除名",
}
SUSPEND_AFTER_MONTHS = 6
EXPEL_AFTER_MONTHS = SUSPEND_AFTER_MONTHS + 24
PROMPT_SUSPEND = "suspend"
PROMPT_EXPEL = "expel"
PROMPT_LABELS = {PROMPT_SUSPEND: "失联满6个月：提示启动停止党籍程序", PROMPT_EXPEL: "停止党籍后满2年仍失联：提示除名"}


def transfers_for(user, action: str = "view"):
    from .models import Transfer

    return Transfer.objects.restrict(user, action).select_related("member", "from_org", "to_org")


def with_last_contact(queryset):
    """Annotate `last_contact`: the later of the last contact log and the start of the open stay (a member who
    has just left is not "out of contact" because of contacts logged during an earlier stay)."""
    from django.db.models import Max, OuterRef, Subquery
    from django.db.models.functions import Coalesce, Greatest

    from .models import ContactLog, MobileStay

    last_log = Subquery(ContactLog.objects.filter(member=OuterRef("pk")).values("member")
                        .annotate(d=Max("contacted_on")).values("d")[:1])
    left_on = Subquery(MobileStay.objects.filter(member=OuterRef("pk"), returned_on__isnull=True)
                       .order_by("-left_on").values("left_on")[:1])
    return queryset.annotate(last_log=last_log, stay_left_on=left_on).annotate(
        last_contact=Greatest(Coalesce("last_log", "stay_left_on"), Coalesce("stay_left_on", "last_log"))
    )


def mobile_members_for(user, action: str = "view"):
    return with_last_contact(Member.objects.restrict(user, action).filter(is_mobile=True).select_related("org"))


def out_of_contact(queryset, today, months: int = SUSPEND_AFTER_MONTHS):
    """Members of an annotated queryset whose last contact is `months` months ago or more (on the boundary day
    itself included)."""
    from .services import months_before

    return queryset.filter(last_contact__lte=months_before(today, months))


def suspension_prompted(queryset, today):
    """Out of contact ≥ 6 months: the 停止党籍 procedure is prompted (Art 24)."""
    return out_of_contact(queryset, today, SUSPEND_AFTER_MONTHS)


def expulsion_prompted(queryset, today):
    """Still out of contact 2 years after the 6 months: 除名 is prompted (Art 24)."""
    return out_of_contact(queryset, today, EXPEL_AFTER_MONTHS)


def prompt_for(last_contact, today) -> str:
    """The prompt for one member: PROMPT_EXPEL, PROMPT_SUSPEND or ""."""
    from .services import months_before

    if last_contact is None:
        return ""
    if last_contact <= months_before(today, EXPEL_AFTER_MONTHS):
        return PROMPT_EXPEL
    if last_contact <= months_before(today, SUSPEND_AFTER_MONTHS):
        return PROMPT_SUSPEND
    return ""
