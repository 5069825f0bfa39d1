"""Reads of the member ledger, always scoped."""

import datetime as dt

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


def count_by_org(org_paths_prefix: str | None = None) -> dict[int, int]:
    qs = Member.objects.all()
    if org_paths_prefix:
        qs = qs.filter(org_path__startswith=org_paths_prefix)
    return dict(qs.values_list("org_id").annotate(n=Count("id")).values_list("org_id", "n"))


def age_band_bounds(band: str, today: dt.date | None = None) -> tuple[dt.date | None, dt.date | None]:
    """'30-39' → birth dates (earliest, latest) for that age on `today`; '70+' → (None, latest)."""
    today = today or dt.date.today()
    low, _, high = band.partition("-")
    low = int(low.rstrip("+"))
    latest = dt.date(today.year - low, today.month, min(today.day, 28))
    earliest = dt.date(today.year - int(high) - 1, today.month, min(today.day, 28)) if high else None
    return earliest, latest
