"""Throughput of load + check + render of a case file, on one CPU core (cases per second).

Usage: ``.venv/bin/python bench/bench_check_render.py [-n 500] [--case examples/case.yaml]``

Issue 7 targets ≥ 500 cases/s for **load + check + render the complaints of all 7 built-in channels,
distinct cases** (the last figure printed, marked ``TARGET``). "Distinct" means every case in a run
differs (its order number is changed, see ``_distinct_cases``), so nothing remembered from one case
(``kameng_filer.render.memo`` remembers macro texts per case facts) can help the next: this is the cost
of a new case. The figures for the *same* case loaded again and again are printed too; they are what a
re-check of an unchanged file costs.

Rates are per CPU second of the process (``time.process_time``), pinned to one core, best of 3 runs;
wall-clock time on a shared machine also counts other processes. Built-in templates only: the run
uses a fresh temporary ``KAMENG_HOME``. The case's folder (with its evidence files) is copied to a
temporary folder for the distinct variants.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.benchinfo import cpu_model  # noqa: E402

CHANNELS = ("card_platform", "email", "alipay", "12315", "consumer_association", "heimao")
"""Every channel the example case can use: it was paid by Alipay, and WeChat Pay takes only its own payments."""
TARGET = 500


def _pin_one_core() -> str:
    try:
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"pinned to CPU {core}"
    except (AttributeError, OSError):
        return "not pinned (no sched_setaffinity)"


def _machine(pinned: str) -> str:
    load = ""
    if hasattr(os, "getloadavg"):
        load = " · load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"machine: {cpu_model()} · {os.cpu_count()} logical cores · {platform.system()} {platform.release()}"
        f"\nPython {platform.python_implementation()} {sys.version.split()[0]} · {pinned}{load}"
    )


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


def _distinct_cases(case: Path, count: int) -> list[Path]:
    """``count`` copies of the case file that differ in the order number, next to a copy of its evidence."""
    import yaml

    from kameng_filer.case.loader import parse_text

    folder = Path(tempfile.mkdtemp(prefix="kameng-bench-cases-")) / "case"
    shutil.copytree(case.parent, folder)
    raw = parse_text(case.read_text(encoding="utf-8"), is_json=case.suffix.lower() == ".json")
    order: dict[str, Any] = raw.get("order") or {}
    base = str(order.get("order_no") or "KM0000000000")
    out = []
    for i in range(count):
        order["order_no"] = (base[:-4] if len(base) >= 8 else base) + f"{i:04d}"
        raw["order"] = order
        path = folder / f"bench-{i:05d}.yaml"
        path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
        out.append(path)
    return out


def _rate(step: Callable[[int], None], n: int, repeats: int = 3) -> float:
    """Best-of-``repeats`` throughput of ``step(i)`` for i in 0..n-1, in calls per CPU second.

    CPU time (``time.process_time``) rather than wall time: on a shared machine the wall clock also
    counts the time other processes held the core, which says nothing about our cost per case.
    """
    rates = []
    for _ in range(repeats):
        start = time.process_time()
        for i in range(n):
            step(i)
        rates.append(n / max(time.process_time() - start, 1e-9))
    return max(rates)


def _wall_rate(step: Callable[[int], None], n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        step(i)
    return n / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print cases/s for one channel and for all channels."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=500, help="cases per timing run (default 500)")
    parser.add_argument("--case", type=Path, default=ROOT / "examples" / "case.yaml")
    args = parser.parse_args(argv)
    n = max(1, args.n)

    os.environ["KAMENG_HOME"] = tempfile.mkdtemp(prefix="kameng-bench-")
    pinned = _pin_one_core()

    from kameng_filer.case import load_case
    from kameng_filer.render import render, render_all
    from kameng_filer.timeutil import SHANGHAI

    check = _checker()
    now = datetime(2026, 11, 3, 10, 0, tzinfo=SHANGHAI)
    distinct = _distinct_cases(args.case, n)

    def pipeline(channels: tuple[str, ...], same: bool) -> Callable[[int], None]:
        def step(i: int) -> None:
            result = load_case(args.case if same else distinct[i])
            if check is not None:
                check(result, now=now)
            assert result.case is not None
            for channel in channels:
                render(result.case, channel)

        return step

    for i in range(20):  # warm up: compile templates, import rule modules
        pipeline(CHANNELS, True)(i)

    loaded = [load_case(p).case for p in distinct]
    assert all(c is not None for c in loaded)
    load_only = _rate(lambda i: load_case(distinct[i]), n)
    load_check = _rate(lambda i: check(load_case(distinct[i]), now=now), n) if check is not None else None
    render_one = _rate(lambda i: render(loaded[i], "card_platform"), n)
    render_every = _rate(lambda i: [render(loaded[i], c) for c in CHANNELS], n)
    same_one = _rate(pipeline(("card_platform",), True), n)
    same_all = _rate(pipeline(CHANNELS, True), n)
    new_one = _rate(pipeline(("card_platform",), False), n)
    new_all = _rate(pipeline(CHANNELS, False), n)

    def batch(i: int) -> None:  # the same with one render_all call instead of render() per channel
        result = load_case(distinct[i])
        if check is not None:
            check(result, now=now)
        assert result.case is not None
        render_all(result.case, channels=CHANNELS)

    new_batch = _rate(batch, n)
    wall_all = _wall_rate(pipeline(CHANNELS, False), n)

    what = (
        "load + check + render" if check is not None else "load + render (checks not available: NOT measured)"
    )
    print(f"kameng-filer bench: check + render throughput · n={n} cases per run, best of 3, CPU time")
    print(_machine(pinned))
    print(f"case: {args.case} ({n} distinct variants: order number changed)")
    print("parts (distinct cases):")
    print(f"  load only:                          {load_only:7.0f} cases/s")
    if load_check is not None:
        print(f"  load + check:                       {load_check:7.0f} cases/s")
    print(f"  render only, 1 channel:             {render_one:7.0f} cases/s")
    print(f"  render only, all {len(CHANNELS)} channels:       {render_every:7.0f} cases/s")
    print(f"same case file again and again ({what}):")
    print(f"  1 channel (card_platform complaint): {same_one:7.0f} cases/s")
    print(f"  all {len(CHANNELS)} channels' complaints:       {same_all:7.0f} cases/s")
    print(f"distinct cases ({what}):")
    print(f"  1 channel (card_platform complaint): {new_one:7.0f} cases/s")
    print(f"  all {len(CHANNELS)} channels' complaints:       {new_all:7.0f} cases/s   <- TARGET (issue 7)")
    print(f"  all {len(CHANNELS)} channels, one render_all(): {new_batch:7.0f} cases/s")
    print(f"per case: {1000 / new_one:.2f} ms (1 channel), {1000 / new_all:.2f} ms (all channels), CPU time")
    print(
        f"wall clock (includes waiting for a busy CPU): all channels, distinct cases {wall_all:.0f} cases/s"
    )
    verdict = "OK" if new_all >= TARGET and check is not None else "MISSED"
    print(
        f"TARGET ≥ {TARGET} cases/s for {what}, all {len(CHANNELS)} channels, distinct cases, one core: "
        f"{new_all:.0f} cases/s → {verdict}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
