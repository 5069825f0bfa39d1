"""Ledger invariants on a member's dates, shared by the importer, the services and the forms."""

import datetime as dt

from dangjian.core.dates import age_on

from .models import Member


def date_problems(*, birth_date, status, joined_on, full_on, today: dt.date) -> list[tuple[str, str]]:
    """(column label, Chinese reason) for every violated rule; empty when the dates are consistent."""
    problems = []
    if joined_on:
        if joined_on > today:
            problems.append(("入党日期", "入党日期不能晚于今天"))
        if birth_date and age_on(birth_date, joined_on) < 18:
            problems.append(("入党日期", f"入党时未满18周岁（出生日期{birth_date:%Y-%m-%d}）"))
    if status == Member.Status.FULL and joined_on:
        if not full_on:
            problems.append(("转为正式党员日期", "正式党员必须填写转为正式党员日期"))
        elif full_on < joined_on:
            problems.append(("转为正式党员日期", "转为正式党员日期早于入党日期"))
    if status == Member.Status.PROBATIONARY and full_on:
        problems.append(("转为正式党员日期", "预备党员不应填写转为正式党员日期"))
    return problems
