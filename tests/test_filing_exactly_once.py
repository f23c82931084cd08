"""Exactly once: SIGKILL right after the submit click; the rerun records the existing complaint, files no second."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kameng_filer.store import Store
from tests.filing_support import configure, file_now, scripted, twins_running

pytestmark = pytest.mark.browser
KAMENG = str(Path(sys.executable).parent / "kameng")


def _cmd(case: Path) -> list[str]:
    return [KAMENG, "file", str(case), "--channels", "card_platform@a", "--yes", "--json"]


@pytest.mark.parametrize("mode", ["browser", "http"])
def test_sigkill_after_submit_click_then_rerun_files_no_second(
    tmp_path: Path, example_case: Path, mode: str
) -> None:
    with twins_running(tmp_path, ["card_a"]) as ts:
        twin = ts["card_a"]
        configure(
            ts, ["card_platform@a"], **({"card_platform@a": {"mode": "http"}} if mode == "http" else {})
        )
        # the person logged in before (session kept), so the unattended run needs no captcha
        assert (
            file_now(example_case, ["card_platform@a"], scripted(ts, ["card_platform@a"]), dry_run=True)[
                0
            ].state
            == "planned"
        )
        twin.set_faults(hang_after_submit=1)
        env = dict(os.environ)
        proc = subprocess.Popen(
            _cmd(example_case),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 90
            while not twin.snapshot()["submissions"]:
                if proc.poll() is not None:
                    out, err = proc.communicate()
                    pytest.fail(f"the filing process ended before submitting: {out.decode()} {err.decode()}")
                assert time.monotonic() < deadline, "the submit click never reached the twin"
                time.sleep(0.05)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
        assert proc.returncode == -signal.SIGKILL
        numbers = [s["number"] for s in twin.snapshot()["submissions"]]
        assert len(numbers) == 1
        rec = Store.open().get_filing("km-2026-0001", "card_platform@a")
        assert rec.state == "submitting", "the record was written before the final click"

        rerun = subprocess.run(
            _cmd(example_case), stdin=subprocess.DEVNULL, capture_output=True, env=env, timeout=180
        )
        data = json.loads(rerun.stdout)
        filing = data["filings"][0]
        assert filing["state"] == "submitted", rerun.stderr.decode()
        assert filing["receipt"]["complaint_no"] == numbers[0]
        assert filing["receipt"]["reconciled"] is True
        assert [s["number"] for s in twin.snapshot()["submissions"]] == numbers, "no second complaint"
        assert rerun.returncode == 0
        # and a third run refuses to file again
        third = subprocess.run(
            _cmd(example_case), stdin=subprocess.DEVNULL, capture_output=True, env=env, timeout=180
        )
        assert json.loads(third.stdout)["filings"][0]["state"] == "already_filed"
        assert len(twin.snapshot()["submissions"]) == 1
