"""Benchmark: a tracker pass with nothing due at 10k / 100k / 1M open filings, and the daemon's RSS at 100k.

Run: ``.venv/bin/python bench/bench_tracker.py [--sizes 10000,100000,1000000] [--rss 100000]``.

It also makes 1% of the filings due at each size and times the passes that work them off.

Each size gets a fresh store in a temporary data folder; filings, their tracking rows and two
deadlines each (the channel's reply clock and the 3-year limitation) are inserted directly with
``executemany``, all with the next status read and next action in the future. The script times
``run_pass`` (median of 5 idle passes on an open store, plus the first pass including opening the
store) and shows that the queries a pass makes are index searches. For the RSS, ``kameng watch`` runs
as a subprocess on the 100k store and ``VmRSS`` / ``VmHWM`` are read from ``/proc`` after a few passes.
Targets (issue 5): < 0.5 s per idle pass at 1M, < 150 MB RSS at 100k.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.benchinfo import describe  # noqa: E402

CASE = ROOT / "examples" / "case.yaml"
KAMENG = ROOT / ".venv" / "bin" / "kameng"
BATCH = 50_000


def _ts(value: datetime) -> str:
    """The storage form of a timestamp (naive UTC text, as SQLAlchemy writes it)."""
    return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def build(home: Path, n: int) -> None:
    """A store with ``n`` submitted, tracked filings whose deadlines and status reads are all in the future."""
    os.environ["KAMENG_HOME"] = str(home)
    from kameng_filer.store import Store
    from kameng_filer.tracker import repo
    from kameng_filer.tracker.tick import CALENDAR_KEY
    from kameng_filer.workdays import default_calendar

    store = Store.open()
    store.import_case(CASE)
    case_id = "km-2026-0001"
    now = datetime.now(UTC)
    filed, later, far = (
        _ts(now - timedelta(hours=1)),
        _ts(now + timedelta(days=2)),
        _ts(now + timedelta(days=900)),
    )
    fingerprint = default_calendar().fingerprint
    con = sqlite3.connect(store.path)
    con.execute("PRAGMA synchronous=OFF")
    for lo in range(1, n + 1, BATCH):
        hi = min(n, lo + BATCH - 1)
        con.executemany(
            "INSERT INTO filings (id, case_id, case_version, channel, purpose, generation, state, retryable,"
            " complaint_no, created_at, updated_at, submitted_at) VALUES (?, ?, 1, 'email', 'complaint', ?,"
            " 'submitted', 0, ?, ?, ?, ?)",
            ((i, case_id, i, f"<m{i}@example.com>", filed, filed, filed) for i in range(lo, hi + 1)),
        )
        con.executemany(
            "INSERT INTO tracking (filing_id, case_id, channel, open, can_poll, next_poll_at, status_seq,"
            " replies_seen, follow_ups, poll_failures, updated_at) VALUES (?, ?, 'email', 1, 1, ?, 0, 0, 0, 0, ?)",
            ((i, case_id, later, filed) for i in range(lo, hi + 1)),
        )
        con.executemany(
            "INSERT INTO deadlines (filing_id, case_id, clock, title, on_lapse, started_at, due_at, state,"
            " provisional, calendar, stages_done, next_action_at, updated_at) VALUES"
            " (?, ?, ?, ?, ?, ?, ?, 'due', ?, ?, '', ?, ?)",
            (
                row
                for i in range(lo, hi + 1)
                for row in (
                    (
                        i,
                        case_id,
                        "reply",
                        "对方回复邮件",
                        "follow_up",
                        filed,
                        later,
                        0,
                        fingerprint,
                        later,
                        filed,
                    ),
                    (
                        i,
                        case_id,
                        "limitation",
                        "诉讼时效(3 年)",
                        "warn",
                        filed,
                        far,
                        1,
                        fingerprint,
                        far,
                        filed,
                    ),
                )
            ),
        )
        con.commit()
    con.close()
    repo.set_meta(store, "feed_cursor", str(repo.max_event_id(store)))
    repo.set_meta(store, CALENDAR_KEY, fingerprint)
    store.close()


def plans(home: Path) -> list[str]:
    """SQLite's plan for each query of an idle pass (all should be SEARCH … USING INDEX)."""
    from kameng_filer.store import Store

    store = Store.open(home / "kameng.sqlite3")
    con = sqlite3.connect(store.path)
    now = _ts(datetime.now(UTC))
    queries = {
        "events since cursor": "SELECT * FROM events WHERE id > 0 ORDER BY id LIMIT 500",
        "status reads due": f"SELECT * FROM tracking WHERE next_poll_at <= '{now}' ORDER BY next_poll_at LIMIT 1000",
        "deadlines due": f"SELECT filing_id FROM deadlines WHERE next_action_at <= '{now}' ORDER BY next_action_at"
        " LIMIT 1000",
        "unfinished actions": "SELECT * FROM actions WHERE (status = 'pending' OR (status = 'failed' AND"
        " attempts < 3)) AND kind IN ('follow_up', 'escalation') ORDER BY id LIMIT 200",
    }
    out = []
    for name, sql in queries.items():
        detail = " | ".join(r[3] for r in con.execute("EXPLAIN QUERY PLAN " + sql))
        out.append(f"  {name:<20} {detail}")
    con.close()
    store.close()
    return out


def time_passes(home: Path, repeat: int = 5) -> tuple[float, float, dict[str, int]]:
    """(first pass incl. opening the store, median idle pass on an open store, what the last pass did)."""
    from kameng_filer.store import Store
    from kameng_filer.tracker.tick import run_pass

    os.environ["KAMENG_HOME"] = str(home)
    t = time.perf_counter()
    store = Store.open()
    report = run_pass(store, datetime.now(UTC), config={})
    first = time.perf_counter() - t
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        report = run_pass(store, datetime.now(UTC), config={})
        times.append(time.perf_counter() - t)
    store.close()
    did = {"polled": len(report.polled), "actions": len(report.actions), "events": report.events}
    return first, statistics.median(times), did


def due_pass(home: Path, k: int) -> tuple[float, int, int, float]:
    """Make ``k`` filings' reply deadline due, then run passes until none is left.

    Returns (seconds of the first pass, filings it handled, passes needed, total seconds). A pass
    handles at most 1,000 due filings, so at 1M open filings (1% = 10,000 due) the work is spread
    over several passes.
    """
    from kameng_filer.store import Store
    from kameng_filer.tracker.tick import run_pass

    os.environ["KAMENG_HOME"] = str(home)
    store = Store.open()
    con = sqlite3.connect(store.path)
    past = _ts(datetime.now(UTC) - timedelta(minutes=1))
    con.execute("UPDATE deadlines SET next_action_at = ? WHERE filing_id <= ? AND clock = 'reply'", (past, k))
    con.commit()
    con.close()
    first = handled = passes = 0
    total = 0.0
    while True:
        t = time.perf_counter()
        report = run_pass(store, datetime.now(UTC), config={})
        secs = time.perf_counter() - t
        if passes == 0:
            first, handled = secs, report.refreshed
        if report.refreshed == 0:
            break
        passes += 1
        total += secs
    store.close()
    return first, handled, passes, total


def daemon_rss(home: Path, seconds: float = 8.0) -> tuple[int, int, int]:
    """(VmRSS kB, VmHWM kB, passes seen) of ``kameng watch --interval 1`` on the store in ``home``."""
    env = {**os.environ, "KAMENG_HOME": str(home), "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    proc = subprocess.Popen(
        [str(KAMENG), "watch", "--interval", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(seconds)
        status = Path(f"/proc/{proc.pid}/status").read_text()
        fields = {
            ln.split(":")[0]: ln.split()[1] for ln in status.splitlines() if ln.startswith(("VmRSS", "VmHWM"))
        }
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=60)
    if proc.returncode != 0:
        raise SystemExit(f"kameng watch failed: {err[-2000:]}")
    return int(fields["VmRSS"]), int(fields["VmHWM"]), int(seconds)


def main() -> None:
    """Build each size, time idle passes, measure the daemon at the RSS size, print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--rss", type=int, default=100_000, help="size for the daemon RSS measurement (0: skip)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    print(describe())
    print(f"{'open filings':>13} {'build s':>8} {'db MB':>7} {'1st pass s':>11} {'idle pass s':>12}  did")
    rss_home: Path | None = None
    due_rows: list[tuple[int, float, int, int, float]] = []
    for n in sizes:
        home = Path(tempfile.mkdtemp(prefix=f"kameng-bench-{n}-"))
        t = time.perf_counter()
        build(home, n)
        built = time.perf_counter() - t
        first, idle, did = time_passes(home)
        size = (home / "kameng.sqlite3").stat().st_size / 1e6
        print(f"{n:>13,} {built:>8.1f} {size:>7.0f} {first:>11.3f} {idle:>12.4f}  {did}", flush=True)
        if n == max(sizes):
            print("query plans of an idle pass:")
            print("\n".join(plans(home)))
        due_rows.append((n, *due_pass(home, max(1, n // 100))))
        if n == args.rss:
            rss_home = home
        else:
            shutil.rmtree(home, ignore_errors=True)
    print("1% of the open filings due (reply deadline lapsed, nothing to send: recompute + reschedule):")
    print(
        f"{'open filings':>13} {'due':>7} {'1st pass s':>11} {'handled':>8} {'passes':>7} {'total s':>8} {'ms/filing':>10}"
    )
    for n, first, handled, passes, total in due_rows:
        per = 1000 * total / max(1, n // 100)
        print(f"{n:>13,} {n // 100:>7,} {first:>11.3f} {handled:>8,} {passes:>7} {total:>8.2f} {per:>10.2f}")
    if args.rss:
        if rss_home is None:
            rss_home = Path(tempfile.mkdtemp(prefix=f"kameng-bench-{args.rss}-"))
            build(rss_home, args.rss)
        rss, hwm, _ = daemon_rss(rss_home)
        print(
            f"kameng watch at {args.rss:,} open filings: RSS {rss / 1024:.1f} MB (peak {hwm / 1024:.1f} MB)"
        )
        shutil.rmtree(rss_home, ignore_errors=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
