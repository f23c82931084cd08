"""Chinese working days and deadline arithmetic, defined once (12315 办法 art. 45; 民法典 art. 201–203).

Rules (see docs/deadlines.md):

- N working days after a start = the Nth working day strictly after the start date; the start day is
  never counted, also when it is a holiday. The deadline ends at 23:59:59 Asia/Shanghai that day.
- N calendar days after a start = start date + N; when that day is not a working day it moves to the
  next working day (``roll_to_workday=True``, the 12315 / 民法典 art. 203 behaviour); ends 23:59:59.
- N hours after a start = start + N hours exactly, never moved.
- "by 24:00 of day N" (WeChat Pay merchants): start date + N days at 23:59:59, never moved.
- Months / years (民法典 art. 202): the corresponding day of the target month (its last day when there
  is none), moved like calendar days.

Working days come from chinese_calendar's official notices (with make-up days, 调休). A year it does
not know falls back to the computed statutory holidays plus weekends, and every result that depends
on such a year is marked provisional until the data arrives (library upgrade or override file).
"""

from __future__ import annotations

import calendar as _stdcal
import functools
import hashlib
import os
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from kameng_filer import home, paths
from kameng_filer.holidays import (
    LIBRARY_YEARS,
    MAX_YEAR,
    MIN_YEAR,
    HolidayOverrides,
    library_is_workday,
    load_overrides,
    statutory_holidays,
)
from kameng_filer.timeutil import SHANGHAI, as_shanghai

SPILL_DAY = 28
"""From December 28 on, a day can also be set by next year's notice (seen: 12/29, 12/30, 12/31)."""
WEEKDAYS_CN = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")

__all__ = [
    "CalendarRangeError",
    "Due",
    "WorkCalendar",
    "add_days",
    "add_hours",
    "add_months",
    "add_working_days",
    "add_years",
    "calendar_warnings",
    "default_calendar",
    "end_of_day_after",
    "format_cn",
    "format_date_cn",
    "is_workday",
    "next_workday",
    "override_path",
    "working_days_between",
]


class CalendarRangeError(ValueError):
    """A date outside the years the calendar can compute (1901–2099)."""


@functools.cache
def _library_version() -> str:
    try:
        return version("chinese-calendar")
    except PackageNotFoundError:  # pragma: no cover - installed as a dependency
        return "?"


def format_cn(value: datetime) -> str:
    """``2026年2月25日(星期三) 23:59:59 北京时间`` for an aware or naive (Shanghai) datetime."""
    v = as_shanghai(value)
    return f"{v.year}年{v.month}月{v.day}日（{WEEKDAYS_CN[v.weekday()]}） {v:%H:%M:%S} 北京时间"


def format_date_cn(day: date) -> str:
    """``2026年2月13日(星期五)``."""
    return f"{day.year}年{day.month}月{day.day}日（{WEEKDAYS_CN[day.weekday()]}）"


@dataclass(frozen=True, slots=True)
class Due:
    """A computed deadline: the aware due time and whether it rests on a year with unknown holidays."""

    due: datetime
    provisional: bool = False
    provisional_years: tuple[int, ...] = ()
    rule: str = ""
    """Chinese description of how the deadline was computed."""

    @property
    def due_date(self) -> date:
        """The calendar date (Asia/Shanghai) of the deadline."""
        return self.due.date()

    def to_dict(self) -> dict[str, Any]:
        """``{"due": ISO datetime, "due_date": "YYYY-MM-DD", "provisional": bool}``."""
        return {
            "due": self.due.isoformat(),
            "due_date": self.due_date.isoformat(),
            "provisional": self.provisional,
        }

    @property
    def reason(self) -> str:
        """Why the deadline is provisional (Chinese), or an empty string."""
        if not self.provisional:
            return ""
        years = "、".join(f"{y}年" for y in self.provisional_years)
        newest = max(LIBRARY_YEARS)
        return (
            f"{years}的放假安排尚未收录（chinese-calendar {_library_version()} 只收录到 {newest} 年，"
            "覆盖文件也未标记该年完整），按法定节假日和周末推算，不含调休；正式安排公布后会重新计算"
        )


def _local_day(value: datetime | date) -> date:
    if isinstance(value, datetime):
        return as_shanghai(value).date()
    return value


def _end_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=SHANGHAI)


class WorkCalendar:
    """Chinese working days as a sorted list of day ordinals; lookups are ``bisect`` (O(log n))."""

    def __init__(self, overrides: HolidayOverrides | None = None) -> None:
        self.overrides = overrides or HolidayOverrides()
        self.known_years: frozenset[int] = LIBRARY_YEARS | self.overrides.complete_years
        ov = self.overrides
        digest = hashlib.sha256(
            repr(
                (_library_version(), sorted(ov.holidays), sorted(ov.workdays), sorted(ov.complete_years))
            ).encode()
        ).hexdigest()[:16]
        self.fingerprint: str = f"cc{_library_version()}-{digest}"
        """Changes when the holiday data changes (library upgrade, override file): store it with a
        provisional deadline and recompute the deadline when it differs."""
        self._ords: list[int] = []
        self._lo = 0
        self._hi = -1
        first = min(LIBRARY_YEARS)
        self._ensure(first, min(MAX_YEAR, max(max(LIBRARY_YEARS), *self.overrides.years, first) + 1))

    # -- building -------------------------------------------------------------------------------

    def _year_workdays(self, year: int) -> list[int]:
        ov = self.overrides
        if year in LIBRARY_YEARS:
            holidays: set[date] = set()
            check = library_is_workday
        else:
            holidays = set() if year in ov.complete_years else set(statutory_holidays(year))

            def check(day: date) -> bool:
                return day.weekday() < 5 and day not in holidays

        out = []
        day = date(year, 1, 1)
        one = timedelta(days=1)
        while day.year == year:
            if day in ov.workdays:
                works = True
            elif day in ov.holidays:
                works = False
            else:
                works = check(day)
            if works:
                out.append(day.toordinal())
            day += one
        return out

    def _ensure(self, lo: int, hi: int) -> None:
        """Make sure years ``lo``..``hi`` are in the list."""
        if self._lo <= lo and hi <= self._hi:
            return
        if lo < MIN_YEAR or hi > MAX_YEAR:
            raise CalendarRangeError(f"只能计算 {MIN_YEAR}–{MAX_YEAR} 年之间的日期")
        new_lo = min(lo, self._lo) if self._hi >= self._lo else lo
        new_hi = max(hi, self._hi)
        ords: list[int] = []
        for year in range(new_lo, new_hi + 1):
            ords.extend(self._year_workdays(year))
        self._ords, self._lo, self._hi = ords, new_lo, new_hi

    def _cover(self, day: date) -> None:
        if not self._lo <= day.year <= self._hi:
            self._ensure(day.year, day.year)

    # -- queries ----------------------------------------------------------------------------------

    def is_known_year(self, year: int) -> bool:
        """Whether the holidays of ``year`` come from an official notice (library or complete override)."""
        return year in self.known_years

    def provisional_years(self, first: date, last: date) -> tuple[int, ...]:
        """Unknown years whose notice decides the days ``first``..``last`` (a notice for year Y+1 can
        reach back to 12/29 of Y, e.g. 2018-12-29 make-up day, so late December also needs Y+1)."""
        lo, hi = (first, last) if first <= last else (last, first)
        hi_year = hi.year + 1 if hi.month == 12 and hi.day >= SPILL_DAY else hi.year
        if lo.year == hi_year:
            return () if hi_year in self.known_years else (hi_year,)
        return tuple(y for y in range(lo.year, hi_year + 1) if y not in self.known_years)

    def is_provisional(self, day: date | datetime) -> bool:
        """Whether the working-day status of ``day`` is a computed guess (its notice is unknown)."""
        d = _local_day(day)
        return bool(self.provisional_years(d, d))

    def is_workday(self, day: date | datetime) -> bool:
        """Whether ``day`` (a datetime counts by its Shanghai date) is a working day."""
        d = _local_day(day)
        self._cover(d)
        o = d.toordinal()
        i = bisect_left(self._ords, o)
        return i < len(self._ords) and self._ords[i] == o

    def next_workday(self, day: date | datetime, *, inclusive: bool = False) -> date:
        """The first working day after ``day`` (or ``day`` itself when ``inclusive`` and it is one)."""
        d = _local_day(day)
        self._cover(d)
        o = d.toordinal()
        i = bisect_left(self._ords, o) if inclusive else bisect_right(self._ords, o)
        while i >= len(self._ords):
            self._ensure(self._hi + 1, self._hi + 1)
        return date.fromordinal(self._ords[i])

    def nth_workday_after(self, day: date | datetime, n: int) -> date:
        """The ``n``-th working day strictly after ``day`` (n ≥ 1); ``day`` itself never counts."""
        if n < 1:
            raise ValueError("n must be at least 1")
        d = _local_day(day)
        self._cover(d)
        i = bisect_right(self._ords, d.toordinal()) + n - 1
        while i >= len(self._ords):
            self._ensure(self._hi + 1, self._hi + 1)
        return date.fromordinal(self._ords[i])

    def working_days_between(self, a: date | datetime, b: date | datetime) -> int:
        """Working days ``d`` with ``a < d ≤ b`` (negative when ``b < a``); the inverse of
        ``nth_workday_after``: ``working_days_between(s, nth_workday_after(s, n)) == n``."""
        da, db = _local_day(a), _local_day(b)
        if db < da:
            return -self.working_days_between(db, da)
        self._cover(da)
        self._cover(db)
        return bisect_right(self._ords, db.toordinal()) - bisect_right(self._ords, da.toordinal())

    # -- deadline rules -----------------------------------------------------------------------------

    def add_working_days(self, start: datetime | date, n: int) -> Due:
        """Deadline ``n`` working days after ``start``: the n-th working day after the start date, 23:59:59."""
        d = _local_day(start)
        target = self.nth_workday_after(d, n)
        years = self.provisional_years(d + timedelta(days=1), target)
        return Due(
            _end_of(target),
            bool(years),
            years,
            f"自{format_date_cn(d)}起 {n} 个工作日（起始日不计入，节假日不计，调休上班日计入），到期日 23:59:59 截止",
        )

    def add_days(self, start: datetime | date, n: int, roll_to_workday: bool = True) -> Due:
        """Deadline ``n`` calendar days after ``start``; a non-working last day moves on when rolling."""
        if n < 0:
            raise ValueError("n must not be negative")
        d = _local_day(start)
        landing = d + timedelta(days=n)
        return self._day_deadline(d, landing, f"{n} 天", roll_to_workday)

    def add_months(self, start: datetime | date, n: int, roll_to_workday: bool = True) -> Due:
        """Deadline ``n`` months after ``start`` (民法典 art. 202: corresponding day, else month end)."""
        if n < 0:
            raise ValueError("n must not be negative")
        d = _local_day(start)
        y, m = divmod(d.month - 1 + n, 12)
        year, month = d.year + y, m + 1
        if year > MAX_YEAR:
            raise CalendarRangeError(f"只能计算 {MIN_YEAR}–{MAX_YEAR} 年之间的日期")
        landing = date(year, month, min(d.day, _stdcal.monthrange(year, month)[1]))
        label = f"{n // 12} 年" if n % 12 == 0 else f"{n} 个月"
        return self._day_deadline(d, landing, label, roll_to_workday)

    def add_years(self, start: datetime | date, n: int, roll_to_workday: bool = True) -> Due:
        """Deadline ``n`` years after ``start`` (e.g. the 3-year limitation, 民法典 art. 188)."""
        return self.add_months(start, 12 * n, roll_to_workday)

    def _day_deadline(self, d: date, landing: date, label: str, roll: bool) -> Due:
        if not roll:
            return Due(
                _end_of(landing), rule=f"自{format_date_cn(d)}起 {label}（起始日不计入），到期日 23:59:59 截止"
            )
        target = self.next_workday(landing, inclusive=True)
        years = self.provisional_years(landing, target)
        moved = f"，到期日 {landing} 不是工作日，顺延至 {target}" if target != landing else ""
        return Due(
            _end_of(target),
            bool(years),
            years,
            f"自{format_date_cn(d)}起 {label}（起始日不计入，到期日遇节假日顺延至下一个工作日）{moved},23:59:59 截止",
        )

    def add_hours(self, start: datetime | date, hours: float) -> Due:
        """Deadline exactly ``hours`` after ``start`` (no moving, never provisional)."""
        if hours < 0:
            raise ValueError("hours must not be negative")
        s = as_shanghai(start) if isinstance(start, datetime) else datetime.combine(start, time(), SHANGHAI)
        due = (s + timedelta(hours=hours)).astimezone(SHANGHAI)
        if due.year > MAX_YEAR:
            raise CalendarRangeError(f"只能计算 {MIN_YEAR}–{MAX_YEAR} 年之间的日期")
        shown = int(hours) if float(hours).is_integer() else hours
        return Due(due, rule=f"自 {s:%Y-%m-%d %H:%M:%S} 起 {shown} 小时整（不因节假日顺延）")

    def end_of_day_after(self, start: datetime | date, n_days: int) -> Due:
        """``n_days`` = 1: by 24:00 of the next day; 3: by 24:00 of day 3 (start day = day 0); no moving."""
        if n_days < 0:
            raise ValueError("n_days must not be negative")
        d = _local_day(start)
        target = d + timedelta(days=n_days)
        which = "当日" if n_days == 0 else ("次日" if n_days == 1 else f"第 {n_days} 日")
        return Due(_end_of(target), rule=f"{format_date_cn(d)}起算，{which} 24:00 前（按自然日，不顺延）")

    # -- warnings -------------------------------------------------------------------------------

    def warnings(self, now: datetime, override_path: Path | None = None) -> list[str]:
        """Chinese warnings about missing holiday data for this year, and for next year from November."""
        now = as_shanghai(now)
        where = override_path or self.overrides.source
        fix = "升级 chinese-calendar(pip install -U chinese-calendar)"
        if where:
            fix += f"，或在 {where} 中补充该年的放假日与调休上班日并写上 complete_years"
        out = []
        if now.year not in self.known_years:
            out.append(
                f"今年（{now.year}年）的放假安排尚未收录，工作日按法定节假日和周末推算，相关期限均为暂定。请{fix}。"
            )
        nxt = now.year + 1
        if now.month >= 11 and nxt not in self.known_years:
            partial = "覆盖文件里已有部分数据但未标记完整；" if nxt in self.overrides.years else ""
            out.append(
                f"明年（{nxt}年）的放假安排尚未收录（{partial}国务院通常在 11 月前后公布），"
                f"跨入 {nxt} 年的期限暂按法定节假日推算、标为暂定。公布后请{fix}。"
            )
        return out


# -- module-level default calendar -------------------------------------------------------------------

_path_cache: tuple[tuple[str, bool], Path] | None = None
_default: tuple[tuple[Any, ...], WorkCalendar] | None = None


def override_path() -> Path:
    """The person's holiday file of the current workspace (``Home.holidays``)."""
    global _path_cache
    key = home.current().key
    if _path_cache is None or _path_cache[0] != key:
        _path_cache = (key, paths.holidays_override_path())
    return _path_cache[1]


def default_calendar() -> WorkCalendar:
    """The calendar with the person's override file; rebuilt when that file changes (mtime/size)."""
    global _default
    path = override_path()
    try:
        st = os.stat(path)
        key: tuple[Any, ...] = (str(path), st.st_mtime_ns, st.st_size, st.st_ino)
    except FileNotFoundError:
        key = (str(path), None)
    except OSError:
        key = (str(path), "error")
    if _default is not None and _default[0] == key:
        return _default[1]
    cal = WorkCalendar(load_overrides(path))
    _default = (key, cal)
    return cal


def _cal(calendar: WorkCalendar | None) -> WorkCalendar:
    return calendar if calendar is not None else default_calendar()


def add_working_days(start: datetime | date, n: int, *, calendar: WorkCalendar | None = None) -> Due:
    """``n`` working days after ``start`` (start day not counted), ending 23:59:59 Asia/Shanghai."""
    return _cal(calendar).add_working_days(start, n)


def add_days(
    start: datetime | date, n: int, roll_to_workday: bool = True, *, calendar: WorkCalendar | None = None
) -> Due:
    """``n`` calendar days after ``start``, moved to the next working day when rolling (default)."""
    return _cal(calendar).add_days(start, n, roll_to_workday)


def add_months(
    start: datetime | date, n: int, roll_to_workday: bool = True, *, calendar: WorkCalendar | None = None
) -> Due:
    """``n`` months after ``start`` (民法典 art. 202), moved to the next working day when rolling."""
    return _cal(calendar).add_months(start, n, roll_to_workday)


def add_years(
    start: datetime | date, n: int, roll_to_workday: bool = True, *, calendar: WorkCalendar | None = None
) -> Due:
    """``n`` years after ``start``, moved to the next working day when rolling."""
    return _cal(calendar).add_years(start, n, roll_to_workday)


def add_hours(start: datetime | date, hours: float, *, calendar: WorkCalendar | None = None) -> Due:
    """Exactly ``hours`` after ``start``."""
    return _cal(calendar).add_hours(start, hours)


def end_of_day_after(start: datetime | date, n_days: int, *, calendar: WorkCalendar | None = None) -> Due:
    """By 24:00 (23:59:59) of the ``n_days``-th day after the start date."""
    return _cal(calendar).end_of_day_after(start, n_days)


def is_workday(day: date | datetime, *, calendar: WorkCalendar | None = None) -> bool:
    """Whether ``day`` is a Chinese working day."""
    return _cal(calendar).is_workday(day)


def next_workday(
    day: date | datetime, *, inclusive: bool = False, calendar: WorkCalendar | None = None
) -> date:
    """The next working day after ``day`` (``inclusive``: ``day`` itself when it is one)."""
    return _cal(calendar).next_workday(day, inclusive=inclusive)


def working_days_between(
    a: date | datetime, b: date | datetime, *, calendar: WorkCalendar | None = None
) -> int:
    """Working days in ``(a, b]`` — a countdown: 1 means the deadline is the next working day."""
    return _cal(calendar).working_days_between(a, b)


def calendar_warnings(now: datetime, *, calendar: WorkCalendar | None = None) -> list[str]:
    """Chinese warnings when this year's holiday data, or from November next year's, is missing."""
    return _cal(calendar).warnings(now, override_path())
