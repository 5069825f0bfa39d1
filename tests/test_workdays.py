"""Working days: statutory holidays and make-up days from chinese-calendar, the Monday–Friday fallback for
years the library does not know, administrator CalendarDay entries (and their cache), and deadlines."""

import datetime as dt
import zoneinfo

import chinese_calendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangjian.core import workdays
from dangjian.core.models import CalendarDay

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
D = dt.date


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _fresh_entries():
    """CalendarDay entries are cached per process; a rolled-back test must not leak its entries."""
    workdays.forget_entries()
    yield
    workdays.forget_entries()


# ---- the 2026 schedule as announced (国办发明电〔2025〕7号), checked against the library -------------------------
SPRING_FESTIVAL_REST = [D(2026, 2, d) for d in range(15, 24)]  # 2月15日（周日）至23日（周一）放假
SPRING_FESTIVAL_WORK = [D(2026, 2, 14), D(2026, 2, 28)]  # 2月14日（周六）、2月28日（周六）上班
NATIONAL_DAY_REST = [D(2026, 10, d) for d in range(1, 8)]  # 10月1日至7日放假
NATIONAL_DAY_WORK = [D(2026, 9, 20), D(2026, 10, 10)]  # 9月20日（周日）、10月10日（周六）上班


def test_the_library_is_the_one_the_expectations_were_written_for():
    assert chinese_calendar.__version__.startswith("1.11")
    assert workdays.library_knows(2026)
    assert not workdays.library_knows(2027)
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(D(2027, 3, 1))


@pytest.mark.django_db
def test_spring_festival_2026_rest_days_and_make_up_saturdays():
    for day in SPRING_FESTIVAL_REST:
        assert not workdays.is_workday(day), day
    for day in SPRING_FESTIVAL_WORK:
        assert day.weekday() == 5 and workdays.is_workday(day), day
    # the weekday just before and after the holiday are ordinary working days
    assert workdays.is_workday(D(2026, 2, 13)) and workdays.is_workday(D(2026, 2, 24))
    # an ordinary Saturday between is a rest day
    assert not workdays.is_workday(D(2026, 2, 21)) and not workdays.is_workday(D(2026, 3, 7))


@pytest.mark.django_db
def test_national_day_2026():
    for day in NATIONAL_DAY_REST:
        assert not workdays.is_workday(day), day
    for day in NATIONAL_DAY_WORK:
        assert day.weekday() >= 5 and workdays.is_workday(day), day
    assert not workdays.is_workday(D(2026, 9, 25))  # 中秋节 (a Friday)
    # Wednesday 30 September + 1 working day = the make-up Saturday 10 October
    assert workdays.add_workdays(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert workdays.add_workdays(D(2026, 10, 8), 2) == D(2026, 10, 10)
    assert workdays.add_workdays(D(2026, 10, 8), 3) == D(2026, 10, 12)


@pytest.mark.django_db
def test_add_workdays_across_the_spring_festival():
    friday = D(2026, 2, 13)
    assert workdays.add_workdays(friday, 0) == friday
    assert workdays.add_workdays(friday, 1) == D(2026, 2, 14)  # the make-up Saturday
    assert workdays.add_workdays(friday, 2) == D(2026, 2, 24)  # then nine days off
    assert workdays.add_workdays(friday, 5) == D(2026, 2, 27)
    assert workdays.add_workdays(friday, 6) == D(2026, 2, 28)  # the second make-up Saturday
    assert workdays.add_workdays(friday, 7) == D(2026, 3, 2)
    # starting inside the holiday
    assert workdays.add_workdays(D(2026, 2, 17), 1) == D(2026, 2, 24)
    # n = 0 on a rest day gives that rest day itself
    assert workdays.add_workdays(D(2026, 2, 17), 0) == D(2026, 2, 17)


@pytest.mark.django_db
def test_workdays_between_counts_the_half_open_interval():
    assert workdays.workdays_between(D(2026, 2, 13), D(2026, 2, 13)) == 0
    assert workdays.workdays_between(D(2026, 2, 13), D(2026, 2, 12)) == 0  # end before start
    assert workdays.workdays_between(D(2026, 2, 13), D(2026, 2, 14)) == 1  # (13, 14]: the make-up Saturday
    assert workdays.workdays_between(D(2026, 2, 13), D(2026, 2, 23)) == 1
    assert workdays.workdays_between(D(2026, 2, 13), D(2026, 2, 24)) == 2
    assert workdays.workdays_between(D(2026, 2, 13), D(2026, 3, 2)) == 7
    # a whole year of 2026, day by day against the library
    expected = sum(chinese_calendar.is_workday(D(2026, 1, 1) + dt.timedelta(days=i)) for i in range(365))
    assert workdays.workdays_between(D(2025, 12, 31), D(2026, 12, 31)) == expected


@pytest.mark.django_db
def test_deadline_in_workdays_ends_at_the_end_of_the_working_day():
    start = local(2026, 2, 13, 10, 30)
    assert workdays.deadline(start, workdays=2) == local(2026, 2, 24, 23, 59, 59)
    assert workdays.deadline(start, workdays=1) == local(2026, 2, 14, 23, 59, 59)
    assert workdays.deadline(start) == local(2026, 2, 13, 23, 59, 59)  # neither: the end of today
    # the day is taken in local time: 20:00 UTC on the 13th is already Saturday the 14th in Shanghai
    utc_start = dt.datetime(2026, 2, 13, 20, 0, tzinfo=dt.UTC)
    assert workdays.deadline(utc_start, workdays=1) == local(2026, 2, 24, 23, 59, 59)
    assert workdays.deadline(utc_start, workdays=2) == local(2026, 2, 25, 23, 59, 59)


@pytest.mark.django_db
def test_deadline_in_hours_counts_clock_hours_even_on_holidays():
    start = local(2026, 2, 16, 10, 0)  # the first Monday of the Spring Festival holiday
    assert workdays.deadline(start, hours=24) == local(2026, 2, 17, 10, 0)
    assert workdays.deadline(start, hours=2) == local(2026, 2, 16, 12, 0)
    # hours win over workdays when both are given
    assert workdays.deadline(start, workdays=3, hours=5) == local(2026, 2, 16, 15, 0)


@pytest.mark.django_db
def test_2027_falls_back_to_monday_to_friday_and_is_reported_unofficial():
    # 2027-02-08 is a Monday that will very likely be in the 2027 Spring Festival; without a schedule it works
    assert workdays.is_workday(D(2027, 2, 8))
    assert not workdays.is_workday(D(2027, 2, 6)) and not workdays.is_workday(D(2027, 2, 7))
    assert workdays.add_workdays(D(2027, 2, 5), 1) == D(2027, 2, 8)  # Friday → Monday
    assert workdays.workdays_between(D(2027, 1, 31), D(2027, 2, 28)) == 20  # February 2027: 20 weekdays
    # across the year boundary: 2027-01-01 is a Friday, a working day without a schedule
    assert workdays.add_workdays(D(2026, 12, 31), 1) == D(2027, 1, 1)
    assert workdays.add_workdays(D(2026, 12, 31), 2) == D(2027, 1, 4)
    assert workdays.deadline(local(2027, 3, 5, 9), workdays=1) == local(2027, 3, 8, 23, 59, 59)
    assert not workdays.is_official(2027) and workdays.is_official(2026)
    assert workdays.unofficial_years(D(2026, 5, 1), D(2027, 1, 4), None, D(2027, 6, 1), D(2028, 1, 3)) == [2027, 2028]
    assert workdays.unofficial_years(D(2026, 5, 1), None) == []
    assert workdays.unofficial_years() == []


@pytest.mark.django_db
def test_calendar_entries_override_the_library_and_the_fallback():
    # an administrator moves a 2026 day (the library's answer is overridden) ...
    CalendarDay.objects.create(date=D(2026, 2, 24), is_workday=False, name="延长春节假期")
    CalendarDay.objects.create(date=D(2026, 2, 21), is_workday=True, name="调休上班")
    assert not workdays.is_workday(D(2026, 2, 24))
    assert workdays.is_workday(D(2026, 2, 21))
    # Friday 13th + 2: the 14th (make-up day), then the 21st (entered make-up day)
    assert workdays.add_workdays(D(2026, 2, 13), 2) == D(2026, 2, 21)
    assert workdays.add_workdays(D(2026, 2, 13), 3) == D(2026, 2, 25)
    # ... and enters the 2027 Spring Festival, which the library does not know
    CalendarDay.objects.bulk_create([CalendarDay(date=D(2027, 2, d), is_workday=False, name="春节") for d in range(8, 13)]
                                    + [CalendarDay(date=D(2027, 2, 6), is_workday=True, name="春节调休上班")])
    workdays.forget_entries()  # bulk_create sends no signal
    assert workdays.is_official(2027)
    assert workdays.unofficial_years(D(2027, 2, 10)) == []
    assert workdays.is_workday(D(2027, 2, 6))  # an entered make-up Saturday
    assert not workdays.is_workday(D(2027, 2, 7))  # Sunday: no entry, weekday fallback
    assert not workdays.is_workday(D(2027, 2, 8))
    assert workdays.add_workdays(D(2027, 2, 5), 1) == D(2027, 2, 6)
    assert workdays.add_workdays(D(2027, 2, 5), 2) == D(2027, 2, 15)
    assert workdays.workdays_between(D(2027, 2, 5), D(2027, 2, 15)) == 2


@pytest.mark.django_db
def test_entries_are_cached_until_a_signal_or_forget_entries(monkeypatch):
    day = D(2026, 3, 3)  # an ordinary Tuesday
    assert workdays.is_workday(day)  # caches 2026's (empty) entries
    # a write that sends no signal is not seen until the cache is dropped ...
    CalendarDay.objects.bulk_create([CalendarDay(date=day, is_workday=False)])
    assert workdays.is_workday(day)
    workdays.forget_entries()
    assert not workdays.is_workday(day)
    # ... saving a CalendarDay clears the cache through post_save
    entry = CalendarDay.objects.get(date=day)
    entry.is_workday = True
    entry.save()
    assert workdays.is_workday(day)
    entry.is_workday = False
    entry.save()
    assert not workdays.is_workday(day)
    # ... and deleting through post_delete
    entry.delete()
    assert workdays.is_workday(day)
    # an update() sends no signal: the stale answer lasts until the cache expires (one minute)
    CalendarDay.objects.create(date=day, is_workday=False)
    assert not workdays.is_workday(day)
    CalendarDay.objects.filter(date=day).update(is_workday=True)
    assert not workdays.is_workday(day)
    real = workdays.time.monotonic
    monkeypatch.setattr(workdays.time, "monotonic", lambda: real() + workdays._CACHE_SECONDS + 1)
    assert workdays.is_workday(day)


@pytest.mark.django_db
def test_a_2027_entry_makes_the_year_official_and_deleting_it_makes_it_unofficial_again():
    assert workdays.unofficial_years(D(2027, 1, 4)) == [2027]
    entry = CalendarDay.objects.create(date=D(2027, 1, 1), is_workday=False, name="元旦")
    assert workdays.unofficial_years(D(2027, 1, 4)) == []
    assert not workdays.is_workday(D(2027, 1, 1))
    entry.delete()
    assert workdays.unofficial_years(D(2027, 1, 4)) == [2027]
    assert workdays.is_workday(D(2027, 1, 1))


# ---- properties -----------------------------------------------------------------------------------------------
DAYS = st.dates(min_value=D(2004, 1, 1), max_value=D(2028, 12, 31))
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _expected_workday(day):
    return chinese_calendar.is_workday(day) if 2004 <= day.year <= 2026 else day.weekday() < 5


@pytest.mark.django_db
@PROPERTY
@given(day=DAYS)
def test_is_workday_is_the_library_or_monday_to_friday(day):
    assert workdays.is_workday(day) == _expected_workday(day)


@pytest.mark.django_db
@PROPERTY
@given(day=DAYS, n=st.integers(min_value=1, max_value=40))
def test_add_workdays_lands_on_a_working_day_n_working_days_later(day, n):
    end = workdays.add_workdays(day, n)
    assert end > day
    assert workdays.is_workday(end)
    assert workdays.workdays_between(day, end) == n
    # and it is the first such day: the day before has one working day fewer
    assert workdays.workdays_between(day, end - dt.timedelta(days=1)) == n - 1


@pytest.mark.django_db
@PROPERTY
@given(a=DAYS, steps=st.tuples(st.integers(0, 200), st.integers(0, 200)))
def test_workdays_between_is_additive(a, steps):
    b = a + dt.timedelta(days=steps[0])
    c = b + dt.timedelta(days=steps[1])
    assert workdays.workdays_between(a, b) + workdays.workdays_between(b, c) == workdays.workdays_between(a, c)
    brute = sum(_expected_workday(a + dt.timedelta(days=i)) for i in range(1, (c - a).days + 1))
    assert workdays.workdays_between(a, c) == brute


@pytest.mark.django_db
@PROPERTY
@given(start=st.datetimes(min_value=dt.datetime(2004, 1, 1), max_value=dt.datetime(2028, 12, 1),
                          timezones=st.just(SHANGHAI)),
       n=st.integers(min_value=1, max_value=20), hours=st.integers(min_value=1, max_value=240))
def test_deadlines(start, n, hours):
    end = workdays.deadline(start, workdays=n)
    local_end = end.astimezone(SHANGHAI)
    assert local_end.time() == dt.time(23, 59, 59)
    assert workdays.is_workday(local_end.date())
    assert workdays.workdays_between(start.date(), local_end.date()) == n
    assert workdays.deadline(start, hours=hours) - start == dt.timedelta(hours=hours)
