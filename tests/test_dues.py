"""The dues calculator at every bracket edge (中组发〔2008〕3号) and its command line."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given
from hypothesis import strategies as st

from dangjian.branchlife.dues import DuesError, monthly_dues


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
