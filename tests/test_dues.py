"""Dues (中组发〔2008〕3号): the calculator at every bracket edge, its command line, payments, arrears and the
monthly collection sheet exported, filled in and imported back."""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given
from hypothesis import strategies as st

from dangjian.branchlife.dues import DuesError, monthly_dues
from dangjian.branchlife.models import DuesPayment
from dangjian.branchlife.queries import unpaid_months
from dangjian.branchlife.services import BranchLifeError, do_record_dues, do_set_dues_profile


@pytest.mark.parametrize(("category", "base", "expected"), [
    ("in_service", "0", "0.00"),
    ("in_service", "3000.00", "15.00"),     # ≤ 3000 → 0.5 %
    ("in_service", "3000.01", "30.00"),     # the whole base at 1 %, not progressive: 30.0001 → 30.00
    ("in_service", "5000", "50.00"),        # ≤ 5000 → 1 %
    ("in_service", "5000.01", "75.00"),     # 75.00015 → 75.00
    ("in_service", "5400", "81.00"),        # the regulation's example
    ("in_service", "10000", "150.00"),      # ≤ 10000 → 1.5 %
    ("in_service", "10000.01", "200.00"),   # > 10000 → 2 %
    ("in_service", "11500", "230.00"),      # the regulation's example
    ("in_service", "2999.99", "15.00"),     # 14.99995 → 15.00, half up
    ("in_service", "4321.10", "43.21"),     # 43.211 → 43.21
    ("retired", "5000", "25.00"),
    ("retired", "5000.01", "50.00"),
    ("retired", "3333.33", "16.67"),        # 16.66665 → 16.67, half up
    ("farmer", "0.2", "0.20"),
    ("farmer", "1", "1.00"),
    ("farmer", None, "0.20"),
    ("student", None, "0.20"),
    ("unemployed", "8000", "0.20"),         # a fixed amount whatever the base
    ("relief", None, "0.20"),
])  # fmt: skip
def test_brackets(category, base, expected):
    assert monthly_dues(category, base) == Decimal(expected)


@pytest.mark.parametrize(("category", "base", "message"), [
    ("in_service", None, "请填写计算基数"),
    ("in_service", "-1", "不能为负数"),
    ("in_service", "三千", "不是有效的数字"),
    ("farmer", "1.01", "不在范围内"),
    ("farmer", "0.1", "不在范围内"),
    ("soldier", "100", "党费类别"),
])  # fmt: skip
def test_refusals_are_chinese(category, base, message):
    with pytest.raises(DuesError, match=message):
        monthly_dues(category, base)


@given(st.decimals(min_value=0, max_value=10_000_000, places=2))
def test_in_service_is_the_rate_on_the_whole_base(base):
    amount = monthly_dues("in_service", base)
    rate = Decimal("0.005") if base <= 3000 else Decimal("0.01") if base <= 5000 else (
        Decimal("0.015") if base <= 10000 else Decimal("0.02"))
    assert abs(amount - base * rate) <= Decimal("0.005") and amount == amount.quantize(Decimal("0.01"))


def test_cli_prints_the_amount():
    out = StringIO()
    call_command("dues", "calc", "--category", "in_service", "--base", "5400", stdout=out)
    assert out.getvalue() == "81.00\n"
    out = StringIO()
    call_command("dues", "calc", "--category", "retired", "--base", "6000", "--explain", stdout=out)
    assert out.getvalue().splitlines()[0] == "60.00" and "中组发〔2008〕3号" in out.getvalue()
    with pytest.raises(CommandError, match="请填写计算基数"):
        call_command("dues", "calc", "--category", "in_service", stdout=StringIO())


# ---- records, arrears and the monthly collection sheet ---------------------------------------------------------
TODAY = dt.date(2026, 11, 20)


@pytest.fixture
def zhang(county):
    member = county.members["a"]  # 张三, full member of 东风村党支部 since 2010
    do_set_dues_profile(actor=county.users["branch_secretary"], member=member, category="in_service", base="5400",
                        since=dt.date(2026, 1, 1))
    return member


def test_record_and_arrears(county, zhang):
    secretary = county.users["branch_secretary"]
    for month in (8, 9, 11):
        do_record_dues(actor=secretary, member=zhang, month=dt.date(2026, month, 1), paid="81.00",
                       paid_on=dt.date(2026, month, 5), today=TODAY)
    big = do_record_dues(actor=secretary, member=zhang, month=dt.date(2026, 7, 1), paid="81", voluntary="1000",
                         paid_on=dt.date(2026, 7, 3), today=TODAY)
    assert big.remit_in_full and big.due == Decimal("81.00")
    assert dt.date(2026, 10, 1) in unpaid_months(zhang, TODAY)
    assert dt.date(2026, 9, 1) not in unpaid_months(zhang, TODAY)
    with pytest.raises(BranchLifeError, match="已登记"):
        do_record_dues(actor=secretary, member=zhang, month=dt.date(2026, 8, 1), paid="81", paid_on=TODAY, today=TODAY)
    with pytest.raises(BranchLifeError, match="少于应缴 81.00 元"):
        do_record_dues(actor=secretary, member=zhang, month=dt.date(2026, 10, 1), paid="80", paid_on=TODAY, today=TODAY)
    with pytest.raises(BranchLifeError, match="尚未到"):
        do_record_dues(actor=secretary, member=zhang, month=dt.date(2026, 12, 1), paid="81", paid_on=TODAY, today=TODAY)
    with pytest.raises(BranchLifeError, match="不能管理"):
        do_record_dues(actor=secretary, member=county.members["b"], month=dt.date(2026, 10, 1), paid="1",
                       paid_on=TODAY, today=TODAY)
    assert DuesPayment.objects.count() == 4


def test_sheet_export_fill_in_and_import(county, zhang, client, tmp_path):
    import io

    from django.urls import reverse
    from django.utils import timezone
    from openpyxl import load_workbook

    from dangjian.core.services import do_import

    client.force_login(county.users["branch_secretary"])
    month = timezone.localdate().replace(day=1)
    response = client.get(reverse("dues-sheet") + f"?org=D010101&month={month:%Y-%m}&export=xlsx")
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.active
    header_row = next(r for r in sheet.iter_rows() if r[0].value == "党员编号")
    columns = {c.value: c.column for c in header_row}
    row = header_row[0].row + 1
    assert sheet.cell(row, columns["姓名"]).value == "张三" and float(sheet.cell(row, columns["应缴金额"]).value) == 81
    sheet.cell(row, columns["实缴金额"]).value = 50  # too little: refused, names the row and column
    sheet.cell(row, columns["缴纳日期"]).value = month.isoformat()
    bad = tmp_path / "bad.xlsx"
    book.save(bad)
    result = do_import("dues", bad.read_bytes(), actor=county.users["branch_secretary"])
    assert [(e.row, e.column) for e in result.errors] == [(row, "实缴金额")] and "少于应缴" in result.errors[0].reason
    assert not DuesPayment.objects.exists()
    sheet.cell(row, columns["实缴金额"]).value = 81
    good = tmp_path / "good.xlsx"
    book.save(good)
    result = do_import("dues", good.read_bytes(), actor=county.users["branch_secretary"])
    assert result.ok and result.imported == 1
    assert DuesPayment.objects.get().paid == Decimal("81.00")
    page = client.get(reverse("dues-sheet") + f"?org=D010101&month={month:%Y-%m}").content.decode()
    assert "已缴 <strong>1</strong> 人" in page


def test_the_sheet_sets_standards_and_refused_rows_change_nothing(county, tmp_path):
    from dangjian.branchlife.models import DuesProfile
    from dangjian.core.services import do_import
    from tests.sheets import write

    a = county.members["a"]
    header = ["党员编号", "姓名", "党费类别", "计算基数", "所属月份", "实缴金额", "缴纳日期"]
    month = TODAY.replace(day=1)
    rows = [header, [a.pk, "张三", "离退休", 6000, f"{month:%Y-%m}", 59, TODAY]]  # due 60.00: refused
    result = do_import("dues", write(tmp_path, "bad", rows).read_bytes(), actor=county.users["branch_secretary"],
                       partial=True)
    assert [e.column for e in result.errors] == ["实缴金额"] and not DuesProfile.objects.exists()
    rows[1][5] = 60
    rows.append([a.pk, "张三", "农民", 3, "2026-10", "", ""])  # a farmer's amount is 0.2–1 元
    result = do_import("dues", write(tmp_path, "bad2", rows).read_bytes(), actor=county.users["branch_secretary"])
    assert [(e.row, e.column) for e in result.errors] == [(3, "计算基数")]
    rows.pop()
    result = do_import("dues", write(tmp_path, "good", rows).read_bytes(), actor=county.users["branch_secretary"])
    assert result.ok and DuesProfile.objects.get(member=a).monthly == Decimal("60.00")
    assert DuesPayment.objects.get(member=a).due == Decimal("60.00")
