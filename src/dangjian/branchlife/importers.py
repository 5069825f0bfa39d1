"""The monthly dues collection sheet, filled in and imported back (党费收缴表)."""

import datetime as dt

from dangjian.core.dates import DateError, parse_date
from dangjian.core.excel import Column, as_code
from dangjian.core.imports import Importer, RowInvalid, register_importer
from dangjian.members.models import Member

from .dues import DuesError, monthly_dues
from .models import DuesPayment, DuesProfile
from .services import BranchLifeError, check_payment, month_start

CATEGORY_BY_LABEL = {label: value for value, label in DuesProfile.Category.choices}

FIELD_COLUMNS = {"member": "党员编号", "month": "所属月份", "paid": "实缴金额", "paid_on": "缴纳日期"}


def parse_month(value) -> dt.date:
    text = str(value or "").strip().replace("年", "-").replace("月", "").replace("/", "-").replace(".", "-")
    try:
        year, month = (int(p) for p in text.split("-")[:2])
        return dt.date(year, month, 1)
    except (ValueError, TypeError):
        pass
    return month_start(parse_date(value))


@register_importer
class DuesImporter(Importer):
    kind = "dues"
    label = "党费收缴表"
    columns = (
        Column("member", "党员编号", (), required=True, example="1"),
        Column("name", "姓名", (), required=True, example="张三"),
        Column("category", "党费类别", (), example="在职"),
        Column("base", "计算基数", (), example="5400"),
        Column("month", "所属月份", ("月份",), required=True, example="2026-11"),
        Column("paid", "实缴金额", ("实缴", "缴纳金额"), example="81.00"),
        Column("paid_on", "缴纳日期", (), example="2026-11-05"),
        Column("voluntary", "自愿多缴", (), example=""),
    )

    def prepare(self, rows):
        ids = {int(v) for _, r in rows if (v := as_code(r.get("member"))).isdigit()}
        members = Member.objects.filter(pk__in=ids)
        if self.scope is not None and not self.scope.unrestricted:
            members = members.filter(Member.scope_q(self.scope))
        self.members = {m.pk: m for m in members}
        self.profiles = {p.member_id: p for p in DuesProfile.objects.filter(member_id__in=self.members)}
        self.done = set(DuesPayment.objects.filter(member_id__in=self.members).values_list("member_id", "month"))
        self.seen = set()
        self.changed_profiles = {}  # member id → the standard set or changed by this sheet

    def validate(self, row, values):
        code = as_code(values.get("member"))
        member = self.members.get(int(code)) if code.isdigit() else None
        if member is None:
            raise RowInvalid(("党员编号", code, "党员不存在或不在您的管辖范围内"))
        name = str(values.get("name") or "").strip()
        if name != member.name:
            raise RowInvalid(("姓名", name, f"与党员编号 {code} 的姓名“{member.name}”不一致"))
        profile = self._profile(member, values)
        if values.get("paid") in (None, ""):
            self._accept(member, profile)
            return None  # not paid this month: only the standard is kept, if it was set or changed
        try:
            month = parse_month(values.get("month"))
        except (DateError, ValueError):
            raise RowInvalid(("所属月份", values.get("month"), "应为年月，例如 2026-11")) from None
        try:
            paid_on = parse_date(values.get("paid_on"))
        except DateError as exc:
            raise RowInvalid(("缴纳日期", values.get("paid_on"), str(exc))) from None
        if (member.pk, month) in self.done or (member.pk, month) in self.seen:
            raise RowInvalid(("所属月份", f"{month:%Y-%m}", f"{member.name} 该月党费已登记"))
        try:
            due, paid, voluntary, remit = check_payment(member, month, values.get("paid"), paid_on,
                                                        values.get("voluntary"), self.today, profile)
        except BranchLifeError as exc:
            column = FIELD_COLUMNS.get(exc.field, "实缴金额")
            raise RowInvalid((column, values.get({"党员编号": "member", "所属月份": "month", "缴纳日期": "paid_on"}
                                                 .get(column, "paid")), str(exc))) from None
        self.seen.add((member.pk, month))
        self._accept(member, profile)
        payment = DuesPayment(member=member, org_path=member.org_path, month=month, due=due, paid=paid,
                              paid_on=paid_on, voluntary=voluntary, remit_in_full=remit)
        return payment

    def _accept(self, member, profile) -> None:
        if profile is not None and profile is not self.profiles.get(member.pk):
            self.profiles[member.pk] = self.changed_profiles[member.pk] = profile

    def _profile(self, member, values):
        """The member's dues standard: the sheet's 党费类别/计算基数 when filled in, else the stored one."""
        label = str(values.get("category") or "").strip()
        current = self.profiles.get(member.pk)
        if not label or label == "未设定":
            return current
        category = CATEGORY_BY_LABEL.get(label)
        if category is None:
            raise RowInvalid(("党费类别", label, f"应为{'、'.join(CATEGORY_BY_LABEL)}之一"))
        base = values.get("base")
        base = None if base in (None, "") else str(base)
        try:
            monthly = monthly_dues(category, base)
        except DuesError as exc:
            raise RowInvalid(("计算基数", base or "", str(exc))) from None
        if current is not None and (current.category, current.monthly) == (category, monthly):
            return current
        # a new object (keeping the stored row's id): nothing changes unless the whole row is accepted
        return DuesProfile(pk=current.pk if current else None, member=member, category=category, base=base,
                           monthly=monthly, since=current.since if current else self.today.replace(day=1))

    def save(self, objects):
        """The changed standards, then the payments; returns the number of payments written."""
        for profile in self.changed_profiles.values():
            profile.save()
        payments = [p for p in objects if p is not None]
        DuesPayment.objects.bulk_create(payments)
        return len(payments)
