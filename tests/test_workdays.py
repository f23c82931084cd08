"""Chinese working days and the deadline rules (办法 art. 45), against the real 2026 notice data."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kameng_filer import paths
from kameng_filer.errors import ConfigError
from kameng_filer.holidays import LIBRARY_YEARS, load_overrides, qingming, statutory_holidays
from kameng_filer.timeutil import SHANGHAI
from kameng_filer.workdays import (
    WorkCalendar,
    add_days,
    add_hours,
    add_working_days,
    calendar_warnings,
    default_calendar,
    end_of_day_after,
    is_workday,
    next_workday,
    working_days_between,
)

CAL = WorkCalendar()


def eod(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 23, 59, 59, tzinfo=SHANGHAI)


def days(a: date, b: date) -> list[date]:
    return [a + timedelta(days=i) for i in range((b - a).days + 1)]


def write_override(text: str) -> Path:
    path = paths.holidays_override_path()
    path.write_text(text, encoding="utf-8")
    return path


# -- the calendar itself -----------------------------------------------------------------------------


def test_spring_festival_2026_makeup_days_and_holidays() -> None:
    assert CAL.is_workday(date(2026, 2, 14))  # Saturday, make-up day
    assert CAL.is_workday(date(2026, 2, 28))  # Saturday, make-up day
    for d in days(date(2026, 2, 15), date(2026, 2, 23)):
        assert not CAL.is_workday(d), d
    assert CAL.is_workday(date(2026, 2, 13)) and CAL.is_workday(date(2026, 2, 24))


def test_national_day_2026_data() -> None:
    for d in days(date(2026, 10, 1), date(2026, 10, 7)):
        assert not CAL.is_workday(d), d
    for d in days(date(2026, 9, 25), date(2026, 9, 27)):  # 中秋
        assert not CAL.is_workday(d), d
    assert CAL.is_workday(date(2026, 9, 20))  # Sunday, make-up day
    assert CAL.is_workday(date(2026, 10, 10))  # Saturday, make-up day
    assert not CAL.is_workday(date(2026, 10, 11))


def test_matches_chinese_calendar_for_every_known_day() -> None:
    start, end = date(min(LIBRARY_YEARS), 1, 1), date(max(LIBRARY_YEARS), 12, 31)
    d = start
    while d <= end:
        assert CAL.is_workday(d) == chinese_calendar.is_workday(d), d
        d += timedelta(days=1)


# -- working-day deadlines --------------------------------------------------------------------------


def test_three_working_days_after_friday_before_spring_festival() -> None:
    due = add_working_days(datetime(2026, 2, 13, 15, 0, tzinfo=SHANGHAI), 3)
    assert due.due == eod(2026, 2, 25)
    assert due.due.utcoffset() == timedelta(hours=8)
    assert due.to_dict() == {
        "due": "2026-02-25T23:59:59+08:00",
        "due_date": "2026-02-25",
        "provisional": False,
    }


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 9, 30), 3, date(2026, 10, 10)),  # 10/8, 10/9, then Saturday 10/10 (make-up)
        (date(2026, 9, 30), 4, date(2026, 10, 12)),
        (date(2026, 9, 24), 1, date(2026, 9, 28)),  # 9/25–27 中秋 off
        (date(2026, 9, 19), 1, date(2026, 9, 20)),  # Saturday start, Sunday make-up day counts
        (date(2026, 9, 18), 7, date(2026, 9, 29)),  # 9/20(日),21,22,23,24,28,29
        (date(2026, 10, 10), 1, date(2026, 10, 12)),
    ],
)
def test_national_day_2026_deadlines(start: date, n: int, expected: date) -> None:
    due = CAL.add_working_days(start, n)
    assert due.due == eod(expected.year, expected.month, expected.day)
    assert not due.provisional


def test_start_on_holiday_is_not_counted() -> None:
    # 2/17 is a holiday: the 1st working day strictly after it is 2/24.
    assert CAL.add_working_days(date(2026, 2, 17), 1).due_date == date(2026, 2, 24)
    # chinese_calendar.find_workday counts differently (rolls to 2/24 first, then adds): the rule is ours.
    assert chinese_calendar.find_workday(1, date(2026, 2, 17)) == date(2026, 2, 25)


def test_12315_seven_working_days_from_holiday_start() -> None:
    assert CAL.add_working_days(date(2026, 10, 3), 7).due == eod(2026, 10, 15)
    assert CAL.add_working_days(datetime(2026, 2, 16, 20, 0, tzinfo=SHANGHAI), 7).due == eod(2026, 3, 3)


def test_start_date_is_taken_in_shanghai_time() -> None:
    # 16:00 UTC on 2/13 is already Saturday 2/14 00:00 in Beijing → 3 working days later is 2/26.
    due = CAL.add_working_days(datetime(2026, 2, 13, 16, 0, tzinfo=UTC), 3)
    assert due.due == eod(2026, 2, 26)
    naive = CAL.add_working_days(datetime(2026, 2, 13, 23, 30), 3)  # naive = Beijing time
    assert naive.due == eod(2026, 2, 25)


def test_working_days_between_and_next_workday() -> None:
    assert working_days_between(date(2026, 2, 13), date(2026, 2, 25), calendar=CAL) == 3
    assert working_days_between(date(2026, 2, 25), date(2026, 2, 13), calendar=CAL) == -3
    assert working_days_between(date(2026, 2, 15), date(2026, 2, 23), calendar=CAL) == 0
    assert next_workday(date(2026, 2, 14), calendar=CAL) == date(2026, 2, 24)
    assert next_workday(date(2026, 2, 14), inclusive=True, calendar=CAL) == date(2026, 2, 14)
    assert next_workday(date(2026, 2, 15), inclusive=True, calendar=CAL) == date(2026, 2, 24)
    assert is_workday(datetime(2026, 2, 28, 12, 0, tzinfo=SHANGHAI), calendar=CAL)


@settings(max_examples=200, deadline=None)
@given(
    st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 8, 1)), st.integers(min_value=1, max_value=60)
)
def test_nth_working_day_matches_brute_force(start: date, n: int) -> None:
    due = CAL.add_working_days(start, n).due_date
    counted = [d for d in days(start + timedelta(days=1), due) if chinese_calendar.is_workday(d)]
    assert len(counted) == n and counted[-1] == due
    assert CAL.working_days_between(start, due) == n


def test_zero_or_negative_counts_are_rejected() -> None:
    with pytest.raises(ValueError):
        CAL.add_working_days(date(2026, 2, 13), 0)
    with pytest.raises(ValueError):
        CAL.add_days(date(2026, 2, 13), -1)
    with pytest.raises(ValueError):
        CAL.add_hours(date(2026, 2, 13), -1)


# -- calendar-day, hour and end-of-day deadlines --------------------------------------------------------


def test_days_landing_on_holiday_rolls_forward() -> None:
    due = add_days(date(2026, 9, 23), 10, calendar=CAL)  # lands on 10/3 (国庆)
    assert due.due == eod(2026, 10, 8)
    assert "顺延" in due.rule
    assert add_days(date(2026, 9, 23), 10, roll_to_workday=False, calendar=CAL).due == eod(2026, 10, 3)
    # a make-up Saturday is a working day: no move
    assert add_days(date(2026, 2, 13), 1, calendar=CAL).due == eod(2026, 2, 14)
    # 12315 mediation: 60 days after acceptance on 2026-08-02 → 10/1 (国庆) → 10/8
    assert add_days(date(2026, 8, 2), 60, calendar=CAL).due == eod(2026, 10, 8)


def test_hours_are_exact_and_never_move() -> None:
    due = add_hours(datetime(2026, 2, 14, 22, 30, tzinfo=SHANGHAI), 24, calendar=CAL)
    assert due.due == datetime(2026, 2, 15, 22, 30, tzinfo=SHANGHAI)  # a holiday: not moved
    assert not due.provisional
    utc = add_hours(datetime(2027, 3, 1, 1, 0, tzinfo=UTC), 1.5, calendar=CAL)
    assert utc.due == datetime(2027, 3, 1, 10, 30, tzinfo=SHANGHAI)
    assert utc.to_dict()["due"] == "2027-03-01T10:30:00+08:00"
    assert not utc.provisional  # hours do not depend on holiday data


def test_end_of_day_after_wechat_clocks() -> None:
    start = datetime(2026, 2, 13, 10, 0, tzinfo=SHANGHAI)
    assert end_of_day_after(start, 1, calendar=CAL).due == eod(2026, 2, 14)
    assert end_of_day_after(start, 3, calendar=CAL).due == eod(2026, 2, 16)  # a holiday, not moved


def test_years_follow_civil_code_article_202_and_203() -> None:
    assert CAL.add_years(date(2023, 2, 10), 3).due == eod(2026, 2, 10)
    # Feb 29 has no counterpart → Feb 28 (a Sunday in 2027) → next working day, provisional (2027 unknown)
    limit = CAL.add_years(date(2024, 2, 29), 3)
    assert limit.due == eod(2027, 3, 1) and limit.provisional
    assert CAL.add_months(date(2026, 1, 31), 1).due == eod(2026, 2, 28)  # month end, a make-up Saturday


# -- provisional years ------------------------------------------------------------------------------


def test_fallback_statutory_holidays_2027() -> None:
    hol = statutory_holidays(2027)
    spring = sorted(d for d, name in hol.items() if name == "春节")
    assert spring == days(date(2027, 2, 5), date(2027, 2, 8))  # 除夕 2/5 + 初一~初三
    assert hol[date(2027, 1, 1)] == "元旦"
    assert hol[date(2027, 4, 5)] == "清明节"
    assert {date(2027, 5, 1), date(2027, 5, 2)} <= set(hol)
    assert hol[date(2027, 6, 9)] == "端午节"
    assert hol[date(2027, 9, 15)] == "中秋节"
    assert {date(2027, 10, d) for d in (1, 2, 3)} <= set(hol)
    assert len(hol) == 13


@pytest.mark.parametrize(
    ("year", "day"),
    [(2027, 5), (2028, 4), (2029, 4), (2030, 5), (2031, 5), (2032, 4), (2033, 4), (2034, 5), (2035, 5)],
)
def test_qingming_dates(year: int, day: int) -> None:
    assert qingming(year) == date(year, 4, day)


def test_2027_deadline_is_provisional_and_uses_computed_spring_festival() -> None:
    due = add_working_days(date(2027, 2, 4), 3)  # 2/5–2/8 off (2/6, 2/7 weekend) → 2/9, 2/10, 2/11
    assert due.due == eod(2027, 2, 11)
    assert due.provisional and due.provisional_years == (2027,)
    assert "2027年" in due.reason
    assert due.to_dict() == {
        "due": "2027-02-11T23:59:59+08:00",
        "due_date": "2027-02-11",
        "provisional": True,
    }


def test_provisional_only_when_the_unknown_year_matters() -> None:
    assert not CAL.add_working_days(date(2026, 12, 21), 3).provisional  # ends 12/24
    crossing = CAL.add_working_days(date(2026, 12, 30), 3)
    assert crossing.provisional and crossing.provisional_years == (2027,)
    # the notice for 2027 can still reach back to 2026-12-29..31
    assert CAL.add_working_days(date(2026, 12, 25), 2).provisional
    assert CAL.is_provisional(date(2027, 6, 1)) and not CAL.is_provisional(date(2026, 6, 1))


# -- override file ----------------------------------------------------------------------------------


def test_override_adds_makeup_day_and_changes_result() -> None:
    assert add_working_days(date(2027, 2, 4), 3).due_date == date(2027, 2, 11)
    write_override("2027:\n  workdays:\n    - 2027-02-07\n")
    due = add_working_days(date(2027, 2, 4), 3)
    assert due.due == eod(2027, 2, 10)  # Sunday 2/7 now counts
    assert due.provisional  # the year is not declared complete


def test_complete_years_makes_it_non_provisional() -> None:
    write_override(
        "complete_years: [2027]\n"
        "2027:\n"
        "  holidays:\n"
        "    - 2027-01-01\n"
        "    - 2027-02-05..2027-02-11\n"
        "    - {from: 2027-10-01, to: 2027-10-07}\n"
        "  workdays: [2027-02-13, 2027-10-09]\n"
    )
    due = add_working_days(date(2027, 2, 4), 3)  # 2/12, 2/13 (Sat make-up), 2/15
    assert due.due == eod(2027, 2, 15)
    assert not due.provisional
    assert not default_calendar().is_workday(date(2027, 10, 7))
    # With the year complete, the computed fallback is not used: 2027-06-09 (端午) is a plain Wednesday.
    assert default_calendar().is_workday(date(2027, 6, 9))


def test_default_calendar_reloads_when_the_file_changes() -> None:
    first = default_calendar()
    assert default_calendar() is first
    path = write_override("holidays: [2026-03-02]\n")
    second = default_calendar()
    assert second is not first and not second.is_workday(date(2026, 3, 2))
    path.unlink()
    assert default_calendar().is_workday(date(2026, 3, 2))


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("2027:\n  holidays:\n    - 2027-02-30\n", "第 3 行"),
        ("2027:\n  holidays:\n    - 2027-02-30\n", "2027-02-30"),
        ("2027:\n  holiday:\n    - 2027-02-05\n", "holiday"),
        ("2027:\n  holidays: [2027-02-05\n", "不是有效的 YAML"),
        ("- 2027-02-05\n", "顶层"),
        ("complete_years: 2027\n", "complete_years"),
        ("complete_years: [20x7]\n", "20x7"),
        ("holidays:\n  - 2027-02-11..2027-02-05\n", "早于"),
        ("holidays:\n  - 2027-01-01..2027-06-01\n", "超过"),
        ("holidays: [2027-02-06]\nworkdays:\n  - 2027-02-06\n", "第 3 行"),
        ("holidays:\n  - {from: 2027-02-05}\n", "from 和 to"),
        ("holidays:\n  - [2027-02-05]\n", "第 2 行"),
        ("holidays:\n  - tomorrow\n", "tomorrow"),
        ("2027: [2027-02-05]\n", "应当是映射"),
    ],
)
def test_malformed_override_is_a_config_error(text: str, needle: str) -> None:
    path = write_override(text)
    with pytest.raises(ConfigError) as info:
        load_overrides(path)
    assert needle in info.value.message
    assert str(path) in info.value.message
    with pytest.raises(ConfigError):
        add_working_days(date(2026, 2, 13), 3)


def test_binary_override_file_is_a_config_error() -> None:
    path = paths.holidays_override_path()
    path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ConfigError, match="UTF-8"):
        load_overrides(path)


def test_missing_and_empty_override_files_mean_no_overrides() -> None:
    path = paths.holidays_override_path()
    assert not path.exists()
    assert load_overrides(path).holidays == frozenset()
    path.write_text("# 还没有内容\n", encoding="utf-8")
    assert load_overrides(path).workdays == frozenset()


# -- warnings ----------------------------------------------------------------------------------------


def test_november_warning_when_next_year_is_missing() -> None:
    assert calendar_warnings(datetime(2026, 10, 31, 23, 0, tzinfo=SHANGHAI)) == []
    warnings = calendar_warnings(datetime(2026, 11, 1, 9, 0, tzinfo=SHANGHAI))
    assert len(warnings) == 1 and "2027" in warnings[0] and "暂定" in warnings[0]
    assert str(paths.holidays_override_path()) in warnings[0]


def test_warning_goes_away_with_complete_override_and_covers_this_year() -> None:
    write_override("complete_years: [2027]\n2027:\n  holidays: [2027-01-01]\n")
    assert calendar_warnings(datetime(2026, 12, 1, tzinfo=SHANGHAI)) == []
    this_year = calendar_warnings(datetime(2028, 3, 1, tzinfo=SHANGHAI))
    assert len(this_year) == 1 and "2028" in this_year[0]


def test_partial_override_still_warns() -> None:
    write_override("2027:\n  workdays: [2027-02-07]\n")
    warnings = calendar_warnings(datetime(2026, 11, 20, tzinfo=SHANGHAI))
    assert warnings and "部分数据" in warnings[0]


def test_isolated_home_is_used() -> None:
    assert str(paths.holidays_override_path()).startswith(os.environ["KAMENG_HOME"])


def test_override_for_the_last_supported_year_does_not_break_the_calendar() -> None:
    write_override("2099:\n  workdays: [2099-01-03]\n")
    assert default_calendar().is_workday(date(2099, 1, 3))
    assert default_calendar().add_working_days(date(2026, 2, 13), 3).due_date == date(2026, 2, 25)


def test_fingerprint_changes_with_the_data() -> None:
    before = default_calendar().fingerprint
    assert before == WorkCalendar().fingerprint
    write_override("2027:\n  workdays: [2027-02-07]\n")
    assert default_calendar().fingerprint != before
