"""Throughput of load + check + render on the bundled example case, on one CPU core (cases per second).

Usage: ``.venv/bin/python bench/bench_check_render.py [-n 500] [--case examples/case.yaml]``

Two figures: (1) load + check + render the ``card_platform`` complaint; (2) load + check + render the
complaint for all 7 built-in channels. Rates are per CPU second of the (pinned) process. The target for the project is ≥ 500 cases/s. Built-in templates
only: the run uses a fresh temporary ``KAMENG_HOME``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHANNELS = ("card_platform", "email", "alipay", "wechat_pay", "12315", "consumer_association", "heimao")


def _pin_one_core() -> str:
    try:
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"pinned to CPU {core}"
    except (AttributeError, OSError):
        return "not pinned (no sched_setaffinity)"


def _checker() -> Callable[..., object] | None:
    """``kameng_filer.checks.check_case`` when it exists (written in parallel), else None."""
    try:
        from kameng_filer.checks.engine import check_case
    except ImportError:
        try:
            from kameng_filer.checks import check_case  # type: ignore[attr-defined, no-redef]
        except ImportError:
            return None
    return check_case


def _rate(step: Callable[[], None], n: int, repeats: int = 3) -> float:
    """Best-of-``repeats`` throughput of ``step`` in calls per CPU second of this process.

    CPU time (``time.process_time``) rather than wall time: on a shared machine the wall clock also
    counts the time other processes held the core, which says nothing about our cost per case.
    """
    rates = []
    for _ in range(repeats):
        start = time.process_time()
        for _ in range(n):
            step()
        rates.append(n / max(time.process_time() - start, 1e-9))
    return max(rates)


def _wall_rate(step: Callable[[], None], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        step()
    return n / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print cases/s for one channel and for all channels."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=500, help="cases per timing run (default 500)")
    parser.add_argument("--case", type=Path, default=ROOT / "examples" / "case.yaml")
    args = parser.parse_args(argv)

    os.environ["KAMENG_HOME"] = tempfile.mkdtemp(prefix="kameng-bench-")
    pinned = _pin_one_core()

    from kameng_filer.case import load_case
    from kameng_filer.render import render
    from kameng_filer.timeutil import SHANGHAI

    check = _checker()
    now = datetime(2026, 11, 3, 10, 0, tzinfo=SHANGHAI)

    def one_case(channels: tuple[str, ...]) -> Callable[[], None]:
        def step() -> None:
            result = load_case(args.case)
            if check is not None:
                check(result, now=now)
            assert result.case is not None
            for channel in channels:
                render(result.case, channel)

        return step

    one, every = one_case(("card_platform",)), one_case(CHANNELS)
    for _ in range(20):  # warm up: compile templates, import rule modules
        every()

    loaded = load_case(args.case)
    assert loaded.case is not None
    load_only = _rate(lambda: load_case(args.case), args.n)
    load_check = _rate(lambda: check(load_case(args.case), now=now), args.n) if check is not None else None
    render_one = _rate(lambda: render(loaded.case, "card_platform"), args.n)
    render_every = _rate(lambda: [render(loaded.case, c) for c in CHANNELS], max(1, args.n // 2))
    rate_one = _rate(one, args.n)
    rate_all = _rate(every, max(1, args.n // 2))
    what = (
        "load + check + render"
        if check is not None
        else "load + render (checks not available yet: NOT measured)"
    )
    print(f"kameng-filer bench · Python {sys.version.split()[0]} · {pinned} · n={args.n}")
    print(f"case: {args.case}")
    print("parts:")
    print(f"  load only:                        {load_only:7.0f} cases/s")
    if load_check is not None:
        print(f"  load + check:                     {load_check:7.0f} cases/s")
    print(f"  render only, 1 channel:           {render_one:7.0f} cases/s")
    print(f"  render only, all {len(CHANNELS)} channels:    {render_every:7.0f} cases/s")
    print(f"{what}, 1 channel (card_platform complaint): {rate_one:.0f} cases/s")
    print(f"{what}, all {len(CHANNELS)} channels' complaints: {rate_all:.0f} cases/s")
    print(
        f"per case: {1000 / rate_one:.2f} ms (1 channel), {1000 / rate_all:.2f} ms (all channels), CPU time"
    )
    print(f"wall clock (includes waiting for a busy CPU): 1 channel {_wall_rate(one, args.n):.0f} cases/s")
    target = 500
    verdict = {True: "OK", False: "MISSED"}
    print(
        f"target ≥ {target} cases/s: 1 channel {verdict[rate_one >= target]}, all channels {verdict[rate_all >= target]}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
