"""Working days: Chinese statutory holidays and make-up working days, and deadlines built on them.

Sources, in order: an administrator's `CalendarDay` entry; chinese-calendar for the years it knows (the
years the State Council has announced); otherwise Monday–Friday. A year with neither source is reported
by `unofficial_years` so that pages can say its deadlines count weekends only. Nothing here raises for a
date outside the known years.
"""

import datetime as dt
import time
from functools import lru_cache

import chinese_calendar
from django.utils import timezone

_CACHE_SECONDS = 60
_overrides: dict[int, tuple[float, dict[dt.date, bool]]] = {}


def _entered(year: int) -> dict[dt.date, bool]:
    """The administrator's entries for `year`, cached briefly (other processes see changes within a minute)."""
    cached = _overrides.get(year)
    if cached and time.monotonic() - cached[0] < _CACHE_SECONDS:
        return cached[1]
    from .models import CalendarDay

    days = dict(CalendarDay.objects.filter(date__year=year).values_list("date", "is_workday"))
    _overrides[year] = (time.monotonic(), days)
    return days


def forget_entries() -> None:
    """Drop the cached entries (called when a CalendarDay is saved or deleted)."""
    _overrides.clear()


@lru_cache(maxsize=64)
def library_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def is_official(year: int) -> bool:
    """Whether `year`'s holidays are known (from chinese-calendar or from an administrator's entries)."""
    return library_knows(year) or bool(_entered(year))


def unofficial_years(*dates) -> list[int]:
    """The years among `dates` for which only weekends count as rest days."""
    return sorted({d.year for d in dates if d is not None and not is_official(d.year)})


def is_workday(day: dt.date) -> bool:
    entered = _entered(day.year)
    if day in entered:
        return entered[day]
    if library_knows(day.year):
        return chinese_calendar.is_workday(day)
    return day.weekday() < 5


def add_workdays(day: dt.date, n: int) -> dt.date:
    """The n-th working day after `day` (n ≥ 1); n = 0 gives `day` itself."""
    current = day
    while n > 0:
        current += dt.timedelta(days=1)
        if is_workday(current):
            n -= 1
    return current


def workdays_between(start: dt.date, end: dt.date) -> int:
    """Working days in (start, end]: 0 when end ≤ start."""
    count, current = 0, start
    while current < end:
        current += dt.timedelta(days=1)
        count += is_workday(current)
    return count


def end_of_day(day: dt.date) -> dt.datetime:
    """23:59:59 of `day` in the current time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59, 59)))


def deadline(start: dt.datetime, *, workdays: int = 0, hours: int = 0) -> dt.datetime:
    """The deadline `workdays` working days (to the end of that day) or `hours` clock hours after `start`."""
    if hours:
        return start + dt.timedelta(hours=hours)
    return end_of_day(add_workdays(timezone.localtime(start).date(), workdays))
