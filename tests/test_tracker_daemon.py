"""``kameng watch`` as a real process on a fast simulated clock: SIGTERM mid-way, start again — every
follow-up reaches the twins exactly once, none is lost; a second watch on the same data folder is refused."""

from __future__ import annotations

import email
import email.policy
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from kameng_filer import paths
from kameng_filer.config import load_config, save_config
from kameng_filer.secrets import env_name
from kameng_filer.store import Store
from kameng_filer.timeutil import parse_iso
from kameng_filer.tracker.clock import SimulatedClock
from kameng_filer.tracker.models import DbAction, DbTracking
from kameng_filer.tracker.testing import NotificationReceiver
from tests.filing_support import configure, file_now, scripted, twins_running

pytestmark = [pytest.mark.slow]

KAMENG = str(Path(__file__).resolve().parent.parent / ".venv" / "bin" / "kameng")
CHANNELS = ["card_platform@api", "email"]
SPEED = 60_000.0  # 0.2 s of real time (one watch interval) ≈ 3.3 hours of simulated time
"""The first watch's clock: the first follow-up is due on day 1 (≈ 1.5 s of real time), the last ones on
days 7 and 10, so stopping the first watch a few real seconds after the first one is still mid-way."""
RESTART_SPEED = 240_000.0
"""The restarted watch's clock goes on from where the first stopped, four times faster: the remaining
~9 simulated days (follow-ups, then escalations) take ~3 s of real time instead of ~13 s. A pass
handles everything due by its "now", so coarser steps change no outcome."""
INTERVAL = "0.2"


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def actions(kind: str) -> list[DbAction]:
    with Store.open().session() as s:
        return list(s.scalars(select(DbAction).where(DbAction.kind == kind).order_by(DbAction.id)))


def escalated(ids: list[int]) -> bool:
    with Store.open().session() as s:
        rows = [s.get(DbTracking, i) for i in ids]
        return all(r is not None and r.escalated_at is not None for r in rows)


def start_watch(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [KAMENG, "watch", "--interval", INTERVAL],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err


def test_watch_restart_sends_each_follow_up_exactly_once(tmp_path: Path, example_case: Path) -> None:
    with twins_running(tmp_path, ["card_a", "email"]) as ts, NotificationReceiver() as receiver:
        configure(ts, CHANNELS)
        cfg = load_config()
        cfg["notify"] = {"urls": [{"name": "p", "masked": receiver.url, "ref": "env"}]}
        save_config(cfg)
        (paths.user_schedules_dir() / "_common.yaml").write_text(
            yaml.safe_dump({"polling": {"min_gap_seconds": 0}}), encoding="utf-8"
        )
        outs = file_now(example_case, CHANNELS, scripted(ts, ["card_platform@api"]))
        assert [o.state for o in outs] == ["submitted", "submitted"], outs
        store = Store.open()
        for o in outs:
            store.update_filing(o.filing_id, submitted_at=parse_iso("2026-11-10T10:00:00"))
        ids = [o.filing_id for o in outs]
        clock = SimulatedClock(parse_iso("2026-11-10T10:05:00"), time.time(), SPEED)
        env = {**os.environ, "KAMENG_SIMULATED_CLOCK": clock.to_env(), env_name("notify", "p"): receiver.url}

        first = start_watch(env)
        try:
            wait_for(lambda: any(a.status == "done" for a in actions("follow_up")), 90, "the first follow-up")
            again = subprocess.run([KAMENG, "watch"], env=env, capture_output=True, text=True, timeout=60)
            assert again.returncode == 1 and "已有一个 kameng watch 在运行" in again.stderr
        finally:
            code, out, err = stop(first)
        assert code == 0, err
        assert "kameng watch 已停止" in out and "Traceback" not in err
        sent_before = len(actions("follow_up"))
        assert sent_before < 4  # stopped mid-way: follow-ups are still to come

        faster = SimulatedClock(clock.now(), time.time(), RESTART_SPEED)  # monotonic: starts where it was
        second = start_watch({**env, "KAMENG_SIMULATED_CLOCK": faster.to_env()})
        try:
            wait_for(lambda: escalated(ids), 240, "both filings to be escalated")
            wait_for(lambda: all(a.status != "pending" for a in actions("notification")), 30, "notifications")
            # an escalation notice is planned after its escalation is recorded: wait for both notices,
            # not only until none is pending (under load the second may not exist yet)
            wait_for(
                lambda: sum(t.startswith("升级") for t in receiver.titles()) >= 2,
                60,
                "both escalation notices",
            )
        finally:
            code, out, err = stop(second)
        assert code == 0, err

        ticket = ts["card_a"].records()[0]
        user_replies = [r for r in ticket["replies"] if r["by"] == "user"]
        assert len(user_replies) == 2  # card_platform: follow_up.max = 2, each sent once
        mails = [
            email.message_from_bytes(ts["email"].raw(m["seq"]), policy=email.policy.default)
            for m in ts["email"].messages()
        ]
        replies = [m for m in mails if m["In-Reply-To"]]
        assert len(replies) == 2 and len({m["Message-ID"] for m in replies}) == 2
        follow_ups = actions("follow_up")
        assert sorted(a.key for a in follow_ups) == sorted(f"follow_up:{i}:{n}" for i in ids for n in (1, 2))
        assert {a.status for a in follow_ups} == {"done"}
        titles = receiver.titles()
        assert sum(t.startswith("已催办") for t in titles) == 4
        assert sum(t.startswith("升级") for t in titles) == 2
        jobs = sqlite3.connect(paths.data_dir() / "scheduler.sqlite3").execute(
            "SELECT id FROM apscheduler_jobs"
        )
        assert [r[0] for r in jobs] == [
            "kameng-tracker-pass"
        ]  # the persistent job store survived the restart
