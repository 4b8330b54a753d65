"""The working-day calendar: chinesecalendar for the years it knows, administrators' days beyond, Mon–Fri last.

Holiday facts asserted here are those of the State Council's 2026 arrangement as chinesecalendar 1.11.0
carries them: 国庆节 2026-10-01 … 10-07 off, make-up working days Sunday 2026-09-20 and Saturday
2026-10-10; 中秋节 2026-09-25 … 09-27 off; 元旦 2026-01-01 … 01-03 off, Sunday 2026-01-04 worked.
"""

import datetime as dt

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from agencies import calendar
from agencies.calendar import (
    add_working_days,
    calendar_warnings,
    deadline,
    deadline_uses_fallback,
    is_working_day,
    unknown_years,
    working_days_between,
)
from agencies.models import CalendarDay, CalendarYear

pytestmark = pytest.mark.django_db

D = dt.date


def enter_2027_new_year():
    """What an administrator does once the 2027 arrangement is known: enter the days, mark the year complete."""
    CalendarDay.objects.create(date=D(2027, 1, 1), is_working_day=False, name="元旦")
    CalendarYear.objects.create(year=2027, complete=True, note="国务院办公厅通知")


# ------------------------------------------------------------------------------------------- the package


def test_package_covers_2026_but_not_2027():
    assert calendar.package_covers(2026)
    assert not calendar.package_covers(2027)


def test_national_day_2026_holidays_and_make_up_days():
    for day in range(1, 8):
        assert not is_working_day(D(2026, 10, day)), f"2026-10-0{day} is a National Day holiday"
    assert is_working_day(D(2026, 9, 20))  # Sunday, worked for National Day
    assert D(2026, 9, 20).weekday() == 6
    assert is_working_day(D(2026, 10, 10))  # Saturday, worked for National Day
    assert D(2026, 10, 10).weekday() == 5
    assert not is_working_day(D(2026, 10, 11))  # the Sunday after is an ordinary rest day
    assert not is_working_day(D(2026, 9, 25))  # Friday, 中秋节
    assert is_working_day(D(2026, 10, 8))


def test_new_year_2026():
    assert not is_working_day(D(2026, 1, 1))
    assert not is_working_day(D(2026, 1, 2))  # a Friday
    assert is_working_day(D(2026, 1, 4))  # a Sunday, worked


def test_filing_before_national_day_plus_20_working_days():
    # Filed Monday 2026-09-28 (not counted). 1: 09-29, 2: 09-30, holiday 10-01…07, 3: 10-08, 4: 10-09,
    # 5: Sat 10-10 (make-up), 6–10: 10-12…16, 11–15: 10-19…23, 16–20: 10-26…30.
    result = deadline(D(2026, 9, 28), 20)
    assert result.due == D(2026, 10, 30)
    assert add_working_days(D(2026, 9, 28), 20) == D(2026, 10, 30)
    assert not result.uses_fallback
    # Counting calendar days or weekdays would both be wrong here.
    assert result.due not in (D(2026, 9, 28) + dt.timedelta(days=20), D(2026, 10, 26))


def test_zero_days_is_the_start_and_negative_is_refused():
    assert add_working_days(D(2026, 10, 3), 0) == D(2026, 10, 3)
    with pytest.raises(ValueError):
        add_working_days(D(2026, 10, 3), -1)


def test_a_deadline_starting_on_a_holiday_counts_from_the_next_working_day():
    assert add_working_days(D(2026, 10, 1), 1) == D(2026, 10, 8)
    assert add_working_days(D(2026, 10, 7), 3) == D(2026, 10, 10)


def test_aware_datetimes_count_in_the_portal_time_zone():
    # 2026-09-30 17:00 UTC is already 2026-10-01 01:00 in Shanghai: the count starts from 10-01.
    moment = dt.datetime(2026, 9, 30, 17, 0, tzinfo=dt.UTC)
    assert add_working_days(moment, 1) == D(2026, 10, 8)


# ------------------------------------------------------------------------------------------- between


def test_working_days_between_is_antisymmetric():
    a, b = D(2026, 9, 28), D(2026, 10, 30)
    assert working_days_between(a, b) == 20
    assert working_days_between(b, a) == -20
    assert working_days_between(a, a) == 0


def test_working_days_between_across_the_holiday_and_make_up_days():
    assert working_days_between(D(2026, 9, 30), D(2026, 10, 7)) == 0  # nothing but holiday
    assert working_days_between(D(2026, 10, 7), D(2026, 10, 11)) == 3  # 10-08, 10-09, Sat 10-10
    assert working_days_between(D(2026, 10, 11), D(2026, 10, 7)) == -3
    assert working_days_between(D(2026, 9, 19), D(2026, 9, 20)) == 1  # the make-up Sunday


# ------------------------------------------------------------------------------------------- 2026 → 2027


def test_crossing_into_2027_falls_back_to_weekdays_and_says_so():
    # Friday 2026-12-25 + 10: 12-28…31 (4), then 2027 guessed Mon–Fri: Fri 01-01 (5), 01-04…08 (6–10).
    result = deadline(D(2026, 12, 25), 10)
    assert result.due == D(2027, 1, 8)
    assert result.fallback_years == (2027,)
    assert result.uses_fallback
    assert deadline_uses_fallback(D(2026, 12, 25), D(2027, 1, 8))
    assert not deadline_uses_fallback(D(2026, 12, 1), D(2026, 12, 31))
    assert unknown_years(2026, 2027) == [2027]
    assert unknown_years(D(2025, 1, 1), D(2028, 3, 1)) == [2027, 2028]


def test_admin_entered_2027_changes_the_deadline_and_clears_the_flag():
    assert add_working_days(D(2026, 12, 25), 10) == D(2027, 1, 8)  # warms the cache with the old table
    enter_2027_new_year()
    # Now 2027-01-01 is a holiday: 12-28…31 (4), 01-04…08 (5–9), Mon 01-11 (10).
    result = deadline(D(2026, 12, 25), 10)
    assert result.due == D(2027, 1, 11)
    assert not result.uses_fallback
    assert not deadline_uses_fallback(D(2026, 12, 25), D(2027, 1, 11))
    assert unknown_years(2026, 2027) == []
    assert working_days_between(D(2026, 12, 25), D(2027, 1, 11)) == 10


def test_entered_days_of_an_incomplete_year_are_used_but_still_flagged():
    CalendarDay.objects.create(date=D(2027, 1, 1), is_working_day=False, name="元旦")
    result = deadline(D(2026, 12, 25), 10)
    assert result.due == D(2027, 1, 11)
    assert result.uses_fallback  # the other days of 2027 are still a guess
    CalendarYear.objects.create(year=2027, complete=False)
    assert deadline(D(2026, 12, 25), 10).uses_fallback
    assert unknown_years(2027, 2027) == [2027]


def test_an_admin_day_wins_over_the_package():
    CalendarDay.objects.create(date=D(2026, 10, 10), is_working_day=False, name="更正")
    assert not is_working_day(D(2026, 10, 10))
    # One working day fewer before the 30th: the 20th is now Monday 11-02.
    assert add_working_days(D(2026, 9, 28), 20) == D(2026, 11, 2)
    CalendarDay.objects.filter(date=D(2026, 10, 10)).get().delete()
    assert add_working_days(D(2026, 9, 28), 20) == D(2026, 10, 30)


def test_a_make_up_saturday_entered_for_2027_counts():
    saturday = D(2027, 2, 6)
    assert saturday.weekday() == 5 and not is_working_day(saturday)
    CalendarDay.objects.create(date=saturday, is_working_day=True, name="春节调休上班")
    assert is_working_day(saturday)


def test_the_admin_table_is_read_once_per_snapshot(django_assert_num_queries):
    cache.clear()
    with django_assert_num_queries(2):  # CalendarDay and CalendarYear, once
        add_working_days(D(2026, 12, 1), 60)
    with django_assert_num_queries(0):
        add_working_days(D(2026, 12, 1), 60)
        working_days_between(D(2026, 1, 1), D(2027, 12, 31))


# ------------------------------------------------------------------------------------------- warnings


def test_calendar_warnings_name_the_missing_year():
    warnings = calendar_warnings(today=D(2026, 11, 25))
    assert len(warnings) == 1
    assert "2027" in warnings[0] and "周一至周五" in warnings[0]
    assert calendar_warnings(today=D(2025, 6, 1)) == []  # 2025 and 2026 are in the package
    assert len(calendar_warnings(today=D(2027, 3, 1))) == 2  # 2027 and 2028
    enter_2027_new_year()
    assert calendar_warnings(today=D(2026, 11, 25)) == []


# ------------------------------------------------------------------------------------------- properties


# The fixtures (database transaction, cleared cache) are per test, not per example; examples only read.
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.dates(min_value=D(2025, 1, 1), max_value=D(2026, 12, 31)), n=st.integers(min_value=0, max_value=60))
def test_add_then_between_round_trips(start, n):
    due = add_working_days(start, n)
    assert working_days_between(start, due) == n
    assert working_days_between(due, start) == -n
    if n:
        # The due date is a working day and the earliest date with n working days: one day earlier has n - 1.
        assert is_working_day(due)
        assert working_days_between(start, due - dt.timedelta(days=1)) == n - 1
        assert due > start
    else:
        assert due == start


def deadline_day_by_day(snapshot, start, n):
    """The definition itself: step one calendar day at a time, count the working ones, note the guessed years."""
    day, counted, guessed = start, 0, set()
    while counted < n:
        day += dt.timedelta(days=1)
        working, source = snapshot.decide(day)
        if source == calendar.SOURCE_FALLBACK:
            guessed.add(day.year)
        counted += working
    return day, tuple(sorted(guessed))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.dates(min_value=D(2024, 6, 1), max_value=D(2028, 12, 31)), n=st.integers(min_value=0, max_value=400))
@example(start=D(2027, 2, 5), n=1)  # due on the entered Saturday: no day of 2027 was guessed
def test_deadline_by_running_counts_equals_stepping_day_by_day(start, n):
    # Deadlines are found by bisecting per-year running counts; they must agree with the definition across years,
    # package years, guessed years, a completed year, and an administrator's entries in a guessed year.
    from agencies.calendar import working_calendar

    CalendarDay.objects.get_or_create(date=D(2027, 2, 6), defaults={"is_working_day": True, "name": "调休"})
    CalendarDay.objects.get_or_create(date=D(2027, 10, 1), defaults={"is_working_day": False, "name": "国庆节"})
    CalendarYear.objects.get_or_create(year=2028, defaults={"complete": True})
    snapshot = working_calendar()
    result = snapshot.deadline(start, n)
    assert (result.due, result.fallback_years) == deadline_day_by_day(snapshot, start, n)


def count_day_by_day(calendar, a, b):
    """The definition itself: decide every day in (a, b] and count the working ones."""
    count, day = 0, a
    while day < b:
        day += dt.timedelta(days=1)
        count += calendar.decide(day)[0]
    return count


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=st.dates(min_value=D(2019, 1, 1), max_value=D(2028, 12, 31)),
       b=st.dates(min_value=D(2019, 1, 1), max_value=D(2028, 12, 31)))
def test_between_by_year_running_counts_equals_counting_day_by_day(a, b):
    # The count uses per-year running totals (a queue of years-overdue items stays fast); it must agree with
    # deciding each day, across years, package and fallback years, and an administrator's entries.
    from agencies.calendar import working_calendar

    CalendarDay.objects.get_or_create(date=D(2027, 2, 6), defaults={"is_working_day": True, "name": "调休"})
    CalendarDay.objects.get_or_create(date=D(2026, 12, 31), defaults={"is_working_day": False, "name": "更正"})
    calendar = working_calendar()
    low, high = sorted((a, b))
    assert calendar.working_days_between(low, high) == count_day_by_day(calendar, low, high)
    assert calendar.working_days_between(high, low) == -count_day_by_day(calendar, low, high)


def test_a_changed_table_is_counted_at_once():
    from agencies.calendar import working_calendar

    before = working_calendar().working_days_between(D(2027, 1, 1), D(2027, 1, 31))
    CalendarDay.objects.create(date=D(2027, 1, 4), is_working_day=False, name="停工")  # a Monday
    assert working_calendar().working_days_between(D(2027, 1, 1), D(2027, 1, 31)) == before - 1


def test_another_process_change_is_seen_within_check_seconds(monkeypatch):
    """Another process's edit (here: rows written without the signal, and the token dropped as its
    invalidate_calendar would) is seen once this process's CHECK_SECONDS have run out, not before."""
    from django.core.cache import cache

    from agencies import calendar

    clock = [1000.0]
    monkeypatch.setattr(calendar.time, "monotonic", lambda: clock[0])
    before = calendar.working_calendar().working_days_between(D(2027, 1, 1), D(2027, 1, 31))
    CalendarDay.objects.bulk_create([CalendarDay(date=D(2027, 1, 5), is_working_day=False, name="停工")])
    cache.delete(calendar.ADMIN_CALENDAR_KEY)
    clock[0] += calendar.CHECK_SECONDS / 2
    assert calendar.working_calendar().working_days_between(D(2027, 1, 1), D(2027, 1, 31)) == before
    clock[0] += calendar.CHECK_SECONDS
    assert calendar.working_calendar().working_days_between(D(2027, 1, 1), D(2027, 1, 31)) == before - 1
