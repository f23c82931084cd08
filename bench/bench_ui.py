"""Benchmark: server time per workspace page (``kameng ui``) at 100 stored cases.

Run: ``.venv/bin/python bench/bench_ui.py [--cases 100] [--repeat 20] [--profile PAGE] [--keep DIR]``
(``--keep DIR``: build the cases into ``DIR`` once and reuse them on the next runs, which saves the
minute the build takes; without it a temporary folder is built and removed).

A fresh data folder gets ``--cases`` copies of the example case (ids ``km-bench-NNNN``, each in its own
folder with its evidence, as ``kameng add`` stores them), each filed on 12315 and Alipay
(``record_submitted``) and one tracker pass computing their deadlines. The app is called in-process
through httpx's ASGI transport (no socket, no second process), so the figures are the server's own
time: the wall time of the ASGI call and the CPU time this process spent on it (the CPU figure is what a
loaded machine distorts least). Each page is requested once to warm up, then ``--repeat`` times; the
median and worst are printed with the machine's load average. Target (issue 16): < 50 ms per page at
100 cases. ``--profile PAGE`` prints the top functions (cProfile) of one more request of that page, made right
after another case changed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.benchinfo import describe  # noqa: E402


def build(home: Path, n: int) -> str:
    """``n`` stored cases (each in its own folder, as imported) with two submitted filings each and
    tracked deadlines; returns one case id."""
    os.environ["KAMENG_HOME"] = str(home)
    from kameng_filer.store import Store
    from kameng_filer.timeutil import parse_iso
    from kameng_filer.tracker.testing import record_submitted
    from kameng_filer.tracker.tick import run_pass

    text = (ROOT / "examples" / "case.yaml").read_text(encoding="utf-8")
    store = Store.open()
    filed = parse_iso("2026-11-10T10:00:00")
    for i in range(n):
        case_id = f"km-bench-{i:04d}"
        folder = home.parent / "cases" / case_id
        shutil.copytree(ROOT / "examples" / "evidence", folder / "evidence")
        (folder / "case.yaml").write_text(re.sub(r"(?m)^id: .*$", f"id: {case_id}", text), encoding="utf-8")
        store.import_case(folder / "case.yaml")
        record_submitted(store, case_id, "12315", f"3301{i:021d}", filed)
        record_submitted(store, case_id, "alipay", f"2026{i:015d}", filed)
    run_pass(store, filed)
    store.close()
    return "km-bench-0000"


def _note(case_id: str, i: int = 0) -> None:
    """One tracker-like write on ``case_id``: a status read of its 12315 filing (its tracking row) and
    the timeline event it leaves."""
    from kameng_filer.store import Store
    from kameng_filer.tracker import repo

    store = Store.open()
    try:
        filing = next(f for f in store.filings(case_id) if f.channel == "12315")
        repo.update_tracking(store, filing.id, last_raw=f"处理中（第 {i} 次读取）")
        store.add_event(case_id, "note", {"text": "bench"}, filing_id=filing.id)
    finally:
        store.close()


PAGES = {
    "home": "/",
    "dispute": "/cases/{case}",
    "texts": "/cases/{case}/texts/alipay/complaint",
    "edit": "/cases/{case}/edit",
    "ics": "/deadlines.ics",
}
"""The pages timed (the dispute page holds the plan, the check findings and every rendered text)."""


async def measure(app: object, case_id: str, repeat: int, profile: str) -> None:
    """Time each page in-process and print median / worst wall and CPU milliseconds."""
    import httpx

    from kameng_filer.ui.security import cookie_name

    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", timeout=120) as c:
        c.cookies.set(cookie_name(None), app.state.token)  # type: ignore[attr-defined]
        for name, pattern in PAGES.items():
            path = pattern.format(case=case_id)
            first = time.perf_counter()
            r = await c.get(path)
            assert r.status_code == 200, (path, r.status_code, r.text[:300])
            cold = (time.perf_counter() - first) * 1000
            wall, cpu = [], []
            for _ in range(repeat):
                t, p = time.perf_counter(), time.process_time()
                r = await c.get(path)
                wall.append((time.perf_counter() - t) * 1000)
                cpu.append((time.process_time() - p) * 1000)
                assert r.status_code == 200
            other: list[tuple[float, float]] = []
            own: list[tuple[float, float]] = []
            for i in range(min(repeat, 5)):  # a case changes (a tracker status read), then the page again
                for case, times in ((f"km-bench-{i + 1:04d}", other), (case_id, own)):
                    _note(case, i)
                    t, p = time.perf_counter(), time.process_time()
                    assert (await c.get(path)).status_code == 200
                    times.append(((time.perf_counter() - t) * 1000, (time.process_time() - p) * 1000))
            print(
                f"{name:<8} {path:<42} median {statistics.median(wall):6.1f} ms (CPU {statistics.median(cpu):6.1f})"
                f" · worst {max(wall):6.1f} ms · after another case changed {_figures(other)}"
                f" · after this case changed {_figures(own)} · first {cold:7.1f} ms · {len(r.content) / 1024:.0f} KB"
            )
        if profile:
            import cProfile
            import pstats

            path = PAGES[profile].format(case=case_id)
            _note("km-bench-0001")  # profiled right after another case changed (the slow case)
            prof = cProfile.Profile()
            prof.enable()
            await c.get(path)
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(45)


def _figures(times: list[tuple[float, float]]) -> str:
    """Median wall (median CPU, worst wall) of (wall, CPU) millisecond pairs."""
    wall = [w for w, _c in times]
    return (
        f"{statistics.median(wall):6.1f} ms (CPU {statistics.median(c for _w, c in times):6.1f},"
        f" worst {max(wall):6.1f})"
    )


def main() -> None:
    """Build the store, time each page in-process."""
    import asyncio

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--profile", choices=sorted(PAGES), default="")
    parser.add_argument("--keep", type=Path, default=None, help="build into this folder once and reuse it")
    args = parser.parse_args()
    print(describe())
    tmp = args.keep or Path(tempfile.mkdtemp(prefix="kameng-bench-ui-"))
    try:
        t0 = time.perf_counter()
        if args.keep and (tmp / "home" / f"built-{args.cases}").is_file():
            os.environ["KAMENG_HOME"] = str(tmp / "home")
            case_id = "km-bench-0000"
            print(f"reusing {args.cases} cases in {tmp}")
        else:
            if args.keep:
                shutil.rmtree(tmp, ignore_errors=True)
            case_id = build(tmp / "home", args.cases)
            (tmp / "home" / f"built-{args.cases}").write_text("", encoding="utf-8")
            print(f"built {args.cases} cases in {time.perf_counter() - t0:.1f} s")
        from kameng_filer.timeutil import parse_iso
        from kameng_filer.ui import create_app

        now = parse_iso("2026-11-12T10:00:00")
        asyncio.run(measure(create_app(now=lambda: now), case_id, args.repeat, args.profile))
        print(describe())
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
