"""Benchmark: server time per workspace page (``kameng ui``) at 100 stored cases.

Run: ``.venv/bin/python bench/bench_ui.py [--cases 100] [--repeat 10]``.

A fresh data folder gets ``--cases`` copies of the example case (ids ``km-bench-NNNN``), each filed on
12315 and Alipay (``record_submitted``) and one tracker pass computing their deadlines. The workspace
runs on 127.0.0.1 as ``kameng ui`` runs it; each page is requested ``--repeat`` times over one
keep-alive connection after a warm-up request, and the median and worst wall times of the request
are printed (the client is on the same machine, so this is the server's time plus a loopback round
trip). Target (issue 16): < 50 ms per page at 100 cases.
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
    """``n`` stored cases with two submitted filings each and tracked deadlines; returns one case id."""
    os.environ["KAMENG_HOME"] = str(home)
    from kameng_filer.store import Store
    from kameng_filer.timeutil import parse_iso
    from kameng_filer.tracker.testing import record_submitted
    from kameng_filer.tracker.tick import run_pass

    folder = home.parent / "case"
    shutil.copytree(ROOT / "examples", folder)
    text = (ROOT / "examples" / "case.yaml").read_text(encoding="utf-8")
    store = Store.open()
    filed = parse_iso("2026-11-10T10:00:00")
    for i in range(n):
        case_id = f"km-bench-{i:04d}"
        (folder / "case.yaml").write_text(re.sub(r"(?m)^id: .*$", f"id: {case_id}", text), encoding="utf-8")
        store.import_case(folder / "case.yaml")
        record_submitted(store, case_id, "12315", f"3301{i:021d}", filed)
        record_submitted(store, case_id, "alipay", f"2026{i:015d}", filed)
    run_pass(store, filed)
    store.close()
    return "km-bench-0000"


def main() -> None:
    """Build the store, serve it, time each page."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    print(describe())
    tmp = Path(tempfile.mkdtemp(prefix="kameng-bench-ui-"))
    try:
        t0 = time.perf_counter()
        case_id = build(tmp / "home", args.cases)
        print(f"built {args.cases} cases in {time.perf_counter() - t0:.1f} s")
        import httpx

        from kameng_filer.timeutil import parse_iso
        from kameng_filer.ui import UiServer, create_app
        from kameng_filer.ui.security import cookie_name

        now = parse_iso("2026-11-12T10:00:00")
        with (
            UiServer(create_app(now=lambda: now)) as server,
            httpx.Client(base_url=server.url, timeout=120) as c,
        ):
            c.cookies.set(cookie_name(server.port), server.app.state.token)
            for path in ("/", "/deadlines.ics", f"/cases/{case_id}"):
                assert c.get(path).status_code == 200, path  # warm-up (imports, first queries)
                times = []
                for _ in range(args.repeat):
                    t = time.perf_counter()
                    r = c.get(path)
                    times.append((time.perf_counter() - t) * 1000)
                    assert r.status_code == 200
                print(
                    f"{path:<28} median {statistics.median(times):7.1f} ms · worst {max(times):7.1f} ms"
                    f" · {len(r.content) / 1024:.0f} KB"
                )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
