"""Chinese working days: the one place where every statutory deadline is counted (DESIGN §4).

Whether a day is a working day is decided, in this order:

1. a `CalendarDay` entered by an administrator — always wins (next year's 调休, or a correction);
2. the `chinesecalendar` package, for the years it covers (statutory holidays and make-up working days);
3. Monday–Friday. For a year an administrator has marked complete (`CalendarYear.complete`) that is the
   authoritative answer, since every exception has been entered. For any other year it is only a guess
   (the *fallback*): deadlines that rely on it say so (`Deadline.fallback_years`, `deadline_uses_fallback`),
   and administrators are warned until the year is entered (`calendar_warnings`).

Counting convention, for every deadline of the form "within N working days of X" (受理之日起20个工作日内,
7个工作日内移送 …): the day of X itself is not counted; the first working day after it is day 1, and the
deadline is the N-th working day after X, inclusive. `add_working_days(x, n)` returns that day;
`working_days_between(a, b)` counts the working days in (a, b], so the two round-trip. Never compute a
statutory deadline with `timedelta(days=…)`.

Dates are calendar dates in the portal's time zone (Asia/Shanghai): an aware datetime is converted with
`timezone.localdate` before counting.

The administrators' table is read once into the cache (one snapshot per call, no query when cached) and
dropped whenever a `CalendarDay` or `CalendarYear` is saved or deleted; bulk writes that bypass signals
(`bulk_create`, `update`) must call `invalidate_calendar()`. For several deadlines in one go, take one
`working_calendar()` snapshot and call its methods.
"""

from __future__ import annotations

import bisect
import datetime as dt
import time
import uuid
from dataclasses import dataclass, field
from functools import lru_cache

import chinese_calendar
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import CalendarDay, CalendarYear

ADMIN_CALENDAR_KEY = "calendar:admin-days:v3"  # v3: a version token; the snapshot stays in each process
# Signals drop the cached table on every change; the expiry only bounds a rare race (a reader caching the
# old table just as another process commits a change).
ADMIN_CALENDAR_TTL = 600

# The package's own range check (chinese_calendar.utils._validate_date) uses the years of its holiday table.
PACKAGE_FIRST_YEAR = min(chinese_calendar.holidays).year
PACKAGE_LAST_YEAR = max(chinese_calendar.holidays).year

# How a day was decided.
SOURCE_ADMIN = "admin"  # an administrator's CalendarDay
SOURCE_PACKAGE = "package"  # chinesecalendar
SOURCE_COMPLETE_YEAR = "complete_year"  # Mon–Fri in a year an administrator declared complete
SOURCE_FALLBACK = "fallback"  # Mon–Fri in a year nobody has entered: a guess


def package_covers(year: int) -> bool:
    return PACKAGE_FIRST_YEAR <= year <= PACKAGE_LAST_YEAR


def package_decision(day) -> bool | None:
    """What chinesecalendar alone says about a day (None outside its years); the admin shows it beside overrides."""
    day = _as_date(day)
    return chinese_calendar.is_workday(day) if package_covers(day.year) else None


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value
    raise TypeError(f"expected a date, got {type(value).__name__}")


def _as_year(value) -> int:
    return value if isinstance(value, int) else _as_date(value).year


def _local_today() -> dt.date:
    return timezone.localdate()


@dataclass(frozen=True)
class Deadline:
    """A deadline counted in working days, and whether it leaned on the Mon–Fri guess for some year."""

    start: dt.date
    working_days: int
    due: dt.date
    fallback_years: tuple[int, ...] = ()

    @property
    def uses_fallback(self) -> bool:
        return bool(self.fallback_years)


@lru_cache(maxsize=256)
def _year_running_counts(year: int, overrides: tuple, complete: bool) -> tuple[int, ...]:
    """Working days from 1 January up to each day of `year` inclusive, by day of the year (index 0 = 1 January).

    Keyed on everything that decides the year's days (the administrators' entries for it, whether it is complete),
    so a changed table gives a new key and never a stale count."""
    admin = dict(overrides)
    day, end, running, counts = dt.date(year, 1, 1), dt.date(year, 12, 31), 0, []
    while day <= end:
        if day in admin:
            working = admin[day]
        elif package_covers(year):
            working = chinese_calendar.is_workday(day)
        else:
            working = day.weekday() < 5
        running += working
        counts.append(running)
        day += dt.timedelta(days=1)
    return tuple(counts)


@dataclass(frozen=True)
class WorkingCalendar:
    """One consistent snapshot of the administrators' table; every count goes through it."""

    admin_days: dict  # date -> is_working_day
    complete_years: frozenset
    # Per-year running counts, filled on first use: a queue of a hundred items, some years overdue, would
    # otherwise decide hundreds of thousands of days one at a time.
    _years: dict = field(default_factory=dict, compare=False, repr=False)

    def _running_counts(self, year: int) -> tuple[int, ...]:
        counts = self._years.get(year)
        if counts is None:
            overrides = tuple(sorted((d, w) for d, w in self.admin_days.items() if d.year == year))
            counts = self._years[year] = _year_running_counts(year, overrides, year in self.complete_years)
        return counts

    def _working_days_to(self, day: dt.date) -> int:
        """Working days from 1 January of the day's year up to the day, inclusive."""
        return self._running_counts(day.year)[day.timetuple().tm_yday - 1]

    def decide(self, day: dt.date) -> tuple[bool, str]:
        """(is it a working day, which source decided it)."""
        if day in self.admin_days:
            return self.admin_days[day], SOURCE_ADMIN
        if package_covers(day.year):
            return chinese_calendar.is_workday(day), SOURCE_PACKAGE
        weekday = day.weekday() < 5
        return weekday, (SOURCE_COMPLETE_YEAR if day.year in self.complete_years else SOURCE_FALLBACK)

    def is_working_day(self, day) -> bool:
        return self.decide(_as_date(day))[0]

    def deadline(self, start, n: int) -> Deadline:
        """The n-th working day after `start` (`start` itself not counted); n = 0 gives `start` unchanged.

        Found in the per-year running counts (a bisection per year crossed), not by deciding one day at a time:
        every complaint submission computes two of these."""
        start = _as_date(start)
        if n < 0:
            raise ValueError("n must be zero or positive: statutory deadlines count forwards")
        if n == 0:
            return Deadline(start, 0, start, ())
        year, target = start.year, self._working_days_to(start) + n  # counted from 1 January of start's year
        counts = self._running_counts(year)
        while counts[-1] < target:
            target -= counts[-1]
            year += 1
            counts = self._running_counts(year)
        due = dt.date(year, 1, 1) + dt.timedelta(days=bisect.bisect_left(counts, target))
        fallback = tuple(y for y in range(start.year, due.year + 1) if self._guessed_in(y, start, due))
        return Deadline(start, n, due, fallback)

    def _guessed_in(self, year: int, start: dt.date, due: dt.date) -> bool:
        """Whether the Mon–Fri guess decided some day of `year` in (start, due]."""
        if package_covers(year) or year in self.complete_years:
            return False
        first, last = max(start + dt.timedelta(days=1), dt.date(year, 1, 1)), min(due, dt.date(year, 12, 31))
        entered = sum(1 for day in self.admin_days if first <= day <= last)
        return (last - first).days + 1 > entered

    def add_working_days(self, start, n: int) -> dt.date:
        return self.deadline(start, n).due

    def working_days_between(self, a, b) -> int:
        """Working days in (a, b]; if b is before a, minus the working days in (b, a]; 0 when a == b."""
        a, b = _as_date(a), _as_date(b)
        if b < a:
            return -self.working_days_between(b, a)
        # (a, b] = (1 Jan of a's year, b] minus [1 Jan of a's year, a], by whole years in between.
        whole_years = sum(self._running_counts(year)[-1] for year in range(a.year, b.year))
        return whole_years + self._working_days_to(b) - self._working_days_to(a)

    def fallback_years(self, start, end) -> list[int]:
        """Years of the days in (start, end] (either order) that only the Mon–Fri guess decided."""
        a, b = sorted((_as_date(start), _as_date(end)))
        years, day = set(), a
        while day < b:
            day += dt.timedelta(days=1)
            if day.year in years:
                continue
            if self.decide(day)[1] == SOURCE_FALLBACK:
                years.add(day.year)
        return sorted(years)

    def unknown_years(self, start, end) -> list[int]:
        """Years from start to end (inclusive, either order) that neither the package nor an admin has entered."""
        first, last = sorted((_as_year(start), _as_year(end)))
        return [y for y in range(first, last + 1) if not package_covers(y) and y not in self.complete_years]


def working_calendar() -> WorkingCalendar:
    """The current snapshot. The shared cache holds only a version token; each process keeps the snapshot of the
    version it last read and reads the token again at most every CHECK_SECONDS, so a complaint's deadlines cost
    no cache read at all, not the unpickling of the whole table. A changed table drops the token (and this
    process's snapshot at once): the next reader builds a new snapshot (two small queries) under a new token;
    other processes follow within CHECK_SECONDS."""
    global _memo
    memo, now = _memo, time.monotonic()
    if memo is not None and now - memo[2] < CHECK_SECONDS:
        return memo[1]
    version = cache.get(ADMIN_CALENDAR_KEY)
    if version is not None and memo is not None and memo[0] == version:
        _memo = (version, memo[1], now)
        return memo[1]
    snapshot = WorkingCalendar(
        admin_days=dict(CalendarDay.objects.values_list("date", "is_working_day")),
        complete_years=frozenset(CalendarYear.objects.filter(complete=True).values_list("year", flat=True)),
    )
    if version is None:
        cache.add(ADMIN_CALENDAR_KEY, uuid.uuid4().hex, ADMIN_CALENDAR_TTL)
        version = cache.get(ADMIN_CALENDAR_KEY)
    _memo = (version, snapshot, now)
    return snapshot


# How long a process uses its snapshot before it asks whether the table changed (as a user object keeps the
# catalog version: agencies.access.MEMO_SECONDS).
CHECK_SECONDS = 0.5
_memo: tuple[str, WorkingCalendar, float] | None = None


def forget_snapshot() -> None:
    """Drop this process's snapshot (tests roll back calendar edits, and the next test may come within
    CHECK_SECONDS)."""
    global _memo
    _memo = None


def invalidate_calendar(**_kwargs) -> None:
    """Drop the version token now (this transaction reads its own change) and again after commit (others do)."""
    global _memo
    _memo = None
    cache.delete(ADMIN_CALENDAR_KEY)
    transaction.on_commit(lambda: cache.delete(ADMIN_CALENDAR_KEY))


for _model in (CalendarDay, CalendarYear):
    post_save.connect(invalidate_calendar, sender=_model, dispatch_uid=f"calendar-save-{_model.__name__}")
    post_delete.connect(invalidate_calendar, sender=_model, dispatch_uid=f"calendar-delete-{_model.__name__}")


# ------------------------------------------------------------------------------------------ the public API


def is_working_day(day) -> bool:
    return working_calendar().is_working_day(day)


def add_working_days(start, n: int) -> dt.date:
    """The n-th working day after `start`, `start` not counted: "within 20 working days of filing" on 2026-09-28
    is `add_working_days(date(2026, 9, 28), 20)`, the last day on which the check is still on time."""
    return working_calendar().add_working_days(start, n)


def deadline(start, n: int) -> Deadline:
    """`add_working_days` with the fallback flag: callers show "期限按周一至周五估算" when `uses_fallback`."""
    return working_calendar().deadline(start, n)


def working_days_between(a, b) -> int:
    """Working days after `a` up to and including `b`; negative when b < a, so that
    working_days_between(a, b) == -working_days_between(b, a), and 0 for a == b."""
    return working_calendar().working_days_between(a, b)


def deadline_uses_fallback(start, end) -> bool:
    """Whether any day in (start, end] was decided by the Mon–Fri guess (its year not yet entered)."""
    return bool(working_calendar().fallback_years(start, end))


def unknown_years(start, end) -> list[int]:
    """Years in [start, end] (dates or years) neither covered by the package nor marked complete by an admin."""
    return working_calendar().unknown_years(start, end)


def calendar_warnings(today=None) -> list[str]:
    """Warnings for administrators: this year or next year has no holiday calendar yet, so deadlines that
    reach into it are counted Monday–Friday."""
    today = _as_date(today) if today is not None else _local_today()
    return [
        _("%(year)d 年的法定节假日和调休安排尚未录入：涉及该年的办理期限暂按周一至周五计算，可能不准确。"
          "请在“工作日历调整”中录入该年的放假日期和调休上班日期，并在“日历年度”中将该年标记为已完整录入。")
        % {"year": year}
        for year in unknown_years(today.year, today.year + 1)
    ]
