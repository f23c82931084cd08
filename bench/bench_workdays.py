"""Benchmark: 100k ``add_working_days`` with the precomputed calendar vs ``chinese_calendar.find_workday``.

Run: ``.venv/bin/python bench/bench_workdays.py [N] [--full]``. ``find_workday`` is timed on a tenth
of the calls and scaled (it needs ~40 s for 100k); ``--full`` times all of them. Both sides compute the same due dates for
working-day starts (``find_workday`` counts a holiday start differently, see docs/deadlines.md), and
the script checks that before printing the rates.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import date, datetime, timedelta

import chinese_calendar

from kameng_filer.timeutil import SHANGHAI
from kameng_filer.workdays import WorkCalendar, add_working_days


def main() -> None:
    """Time both implementations on the same random (start, n) pairs and print calls per second."""
    args = [a for a in sys.argv[1:] if a != "--full"]
    n_calls = int(args[0]) if args else 100_000
    rng = random.Random(2026)
    cal = WorkCalendar()
    base = date(2024, 1, 1)
    starts: list[date] = []
    while len(starts) < n_calls:
        d = base + timedelta(days=rng.randrange(0, 900))  # 2024-01 .. 2026-06: all within known data
        if cal.is_workday(d):
            starts.append(d)
    counts = [rng.choice((2, 3, 5, 7, 10, 15)) for _ in range(n_calls)]
    moments = [datetime(d.year, d.month, d.day, 10, 0, tzinfo=SHANGHAI) for d in starts]

    t0 = time.perf_counter()
    ours = [cal.add_working_days(m, k).due_date for m, k in zip(moments, counts, strict=True)]
    t_ours = time.perf_counter() - t0

    t0 = time.perf_counter()
    for m, k in zip(moments, counts, strict=True):
        add_working_days(m, k)  # module-level API: default calendar + override-file check per call
    t_default = time.perf_counter() - t0

    full = "--full" in sys.argv or n_calls <= 20_000
    sample = n_calls if full else max(1, n_calls // 10)
    t0 = time.perf_counter()
    lib = [chinese_calendar.find_workday(k, d) for d, k in zip(starts[:sample], counts[:sample], strict=True)]
    t_lib = (time.perf_counter() - t0) * n_calls / sample

    assert ours[:sample] == lib, "results differ"
    print(f"calls: {n_calls:,} (find_workday timed on {sample:,} and scaled)")
    print(f"WorkCalendar.add_working_days:       {n_calls / t_ours:>12,.0f} calls/s  ({t_ours:.3f} s)")
    print(f"workdays.add_working_days (default): {n_calls / t_default:>12,.0f} calls/s  ({t_default:.3f} s)")
    print(f"chinese_calendar.find_workday:       {n_calls / t_lib:>12,.0f} calls/s  ({t_lib:.3f} s)")
    print(f"speed-up: {t_lib / t_ours:.1f}x")


if __name__ == "__main__":
    main()
