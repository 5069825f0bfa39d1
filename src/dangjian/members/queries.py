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
