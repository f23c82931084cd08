"""``kameng watch``: tracker passes on an APScheduler 3 scheduler, one per data folder, clean stop.

- One interval job with a fixed id in a persistent ``SQLAlchemyJobStore`` (``scheduler.sqlite3`` in the
  data folder), added with ``replace_existing=True`` and a first run right away (a pass catches up
  with everything that fell due while the daemon was down: the tracker's own tables know what is due).
- APScheduler 3 defaults would silently drop a run that was due while the process was down
  (``misfire_grace_time=1``): here ``misfire_grace_time=None``, ``coalesce=True``, ``max_instances=1``,
  ``timezone="Asia/Shanghai"``.
- APScheduler 3 cannot share a job store between processes: a second ``watch`` on the same data
  folder is refused (``filelock``; the lock goes away with the process, also after a crash).
- SIGTERM / Ctrl-C: no new pass starts, the running one finishes its current action, then exit 0.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from kameng_filer import paths
from kameng_filer.errors import KamengError
from kameng_filer.timeutil import SHANGHAI

JOB_ID = "kameng-tracker-pass"
LOCK_FILE = "watch.lock"
PID_FILE = "watch.pid"
JOBSTORE_FILE = "scheduler.sqlite3"
STOP = threading.Event()
"""Set on SIGTERM / Ctrl-C; passes check it between actions."""


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def scheduled_pass() -> None:
    """The job: one pass at the tracker's "now" (module-level, so the job store can reference it)."""
    from kameng_filer import wording
    from kameng_filer.store import Store
    from kameng_filer.tracker import clock
    from kameng_filer.tracker.tick import run_pass

    if STOP.is_set():
        return
    try:
        store = Store.open()
    except KamengError as exc:
        _say(f"跟踪失败：{exc.message}")
        return
    try:
        report = run_pass(store, clock.now(), stop=STOP.is_set)
    except KamengError as exc:
        _say(f"跟踪失败：{exc.message}")
        return
    except Exception as exc:  # the daemon keeps running; the next pass retries
        _say(f"跟踪出错：{type(exc).__name__}: {exc}")
        return
    finally:
        store.close()
    done = [a for a in report.actions if a["kind"] != "notification"]
    if not (report.polled or report.actions or report.errors):
        return
    _say(
        f"[{report.now:%Y-%m-%d %H:%M:%S}] 跟踪一次：读取状态 {len(report.polled)} 条，"
        f"动作 {len(done)} 个，通知 {len(report.actions) - len(done)} 条"
        + "".join(f"\n  - {wording.action_line(a)}" for a in done)
        + "".join(f"\n  - 问题：{e}" for e in report.errors)
    )


def _lock_message(home: Path) -> str:
    try:
        pid = (home / PID_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        pid = "?"
    return f"数据文件夹 {home} 已有一个 kameng watch 在运行（进程 {pid}），同一数据文件夹只能运行一个"


def scheduler(home: Path) -> Any:
    """A ``BackgroundScheduler`` with the persistent job store and the safe job defaults."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    from kameng_filer.store.housekeeping import create_private, tighten

    create_private(home / JOBSTORE_FILE)  # 0600 like the store (SQLite keeps the mode of an existing file)
    tighten(home / JOBSTORE_FILE)
    return BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{home / JOBSTORE_FILE}")},
        executors={"default": ThreadPoolExecutor(1)},
        job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        timezone="Asia/Shanghai",
    )


def watch(interval: float, *, say: Callable[[str], None] = _say) -> None:
    """Run passes every ``interval`` seconds until SIGTERM / Ctrl-C (``KamengError`` if already running)."""
    from filelock import FileLock, Timeout

    home = paths.data_dir()
    lock = FileLock(str(home / LOCK_FILE))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise KamengError(
            _lock_message(home),
            hint="先停止正在运行的 kameng watch（Ctrl-C 或 kill 该进程）；单次跟踪可用 kameng tick",
        ) from None
    try:
        (home / PID_FILE).write_text(str(os.getpid()), encoding="utf-8")
        STOP.clear()
        logging.getLogger("apscheduler").setLevel(logging.ERROR)  # "max instances reached" = a long pass
        sched = scheduler(home)
        sched.add_job(
            scheduled_pass,
            "interval",
            seconds=interval,
            id=JOB_ID,
            name="kameng tracker pass",
            replace_existing=True,
            next_run_time=datetime.now(SHANGHAI),
        )
        previous = {s: signal.signal(s, lambda *_: STOP.set()) for s in (signal.SIGTERM, signal.SIGINT)}
        sched.start()
        say(f"kameng watch 已启动：每 {interval:g} 秒跟踪一次，数据文件夹 {home}（Ctrl-C 停止）")
        try:
            while not STOP.wait(0.5):
                pass
            say("收到停止信号，等待当前跟踪结束…")
        finally:
            # APScheduler 3 runs one more job lookup after shutdown() wakes its thread: leave nothing
            # due (the stored job is replaced on the next start), so nothing is handed to a closed pool.
            sched.pause()
            sched.pause_job(JOB_ID)
            time.sleep(0.2)
            sched.shutdown(wait=True)
            for s, handler in previous.items():
                signal.signal(s, handler)
        say("kameng watch 已停止。")
    finally:
        (home / PID_FILE).unlink(missing_ok=True)
        lock.release()
