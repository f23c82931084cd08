"""Where one kameng filing's wall time goes, phase by phase (issue 12 §3).

Run: .venv/bin/python bench/profile_filing.py card_platform@a [--rounds 2]
Files the channel on fresh twins (as ``bench/bench_filing.py`` does) with timing wrappers around the
engine's phases — case check, Chromium launch, context, login, each step and field, uploads, submit,
receipt, artifacts, store, browser close — and prints a timeline (start / duration in ms, nested by
depth). Nothing in the product is changed: the wrappers are installed on the classes for this process.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_filing import CASE, TWINS, configure, start_twins  # noqa: E402
from tests.filing_support import file_now  # noqa: E402

EVENTS: list[tuple[float, float, int, str]] = []
"""(start, end, depth, name) of every wrapped call, in perf_counter seconds."""
_depth = [0]


def _wrap(owner: Any, attr: str, name: str, describe: Any = None) -> None:
    """Replace ``owner.attr`` by a timing wrapper that records an event named ``name``."""
    fn = getattr(owner, attr)
    if asyncio.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def awrapper(*args: Any, **kwargs: Any) -> Any:
            label = name + (describe(*args, **kwargs) if describe else "")
            t0, d = time.perf_counter(), _depth[0]
            _depth[0] += 1
            try:
                return await fn(*args, **kwargs)
            finally:
                _depth[0] -= 1
                EVENTS.append((t0, time.perf_counter(), d, label))

        setattr(owner, attr, awrapper)
    else:

        @functools.wraps(fn)
        def swrapper(*args: Any, **kwargs: Any) -> Any:
            label = name + (describe(*args, **kwargs) if describe else "")
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                EVENTS.append((t0, time.perf_counter(), _depth[0], label))

        setattr(owner, attr, swrapper)


def install() -> None:
    """Timing wrappers around the phases of a filing."""
    from playwright.async_api import Browser, BrowserContext, Page

    from kameng_filer.filing import browser_pool, browser_site, channel_run, engine, run
    from kameng_filer.filing.formfill import FormRunner

    pool, chan, drv, fr = (
        browser_pool.BrowserPool,
        channel_run.ChannelRun,
        browser_site.BrowserDriver,
        FormRunner,
    )
    table = {
        run: "prepare=prepare (check, import, plan)",
        pool: "browser=browser()_(launch_on_first_call) context=new_context close=pool_close",
        chan: "about_to_submit=submitting_mark save_session=save_session new_page=channel_new_page "
        "secret=secret_(keyring)",
        engine.FilingEngine: "_record_success=record_receipt_(store)",
        drv: "runner=runner_(page_+_login) submit=driver.submit",
        fr: "login=login _prove_session=prove_session _captcha=captcha _sms=sms _qr=qr "
        "_login_succeeded=login_succeeded? _upload=upload _wait_uploaded=wait_uploaded "
        "submit=runner.submit_(click_+_receipt) read_receipt=read_receipt receipt_link=receipt_link "
        "save_receipt=artifacts page_errors=page_errors? settle_requests=settle_requests "
        "watch=watch_(toast_observer) session_ok=session_ok?",
        Page: "screenshot=pw_screenshot content=pw_content",
        BrowserContext: "new_page=pw_new_page storage_state=pw_storage_state close=pw_context_close",
        Browser: "close=pw_browser_close",
    }
    for owner, spec in table.items():
        for item in spec.split(" ") if owner is not run else [spec]:
            attr, name = item.split("=", 1)
            _wrap(owner, attr, name.replace("_", " ") if owner is not run else name)
    _wrap(fr, "open", "open", lambda self, url, *a, **k: f" {url}")
    _wrap(fr, "step", "step", lambda self, a, *x, **k: _step_label(a))
    _wrap(fr, "fill", "fill", lambda self, key, *a, **k: f" {key}")
    _wrap(fr, "find", "find", lambda self, x, *a, **k: f" {x}"[:70])


def _step_label(a: Any) -> str:
    """A short name of a profile step."""
    from kameng_filer.filing.form.reports import _step_name

    try:
        return " " + _step_name(a)[:60]
    except Exception:
        return ""


def one(channel: str) -> float:
    """File ``channel`` once on fresh twins; print its timeline; return the wall time."""
    home = Path(tempfile.mkdtemp(prefix="kameng-prof-"))
    os.environ["KAMENG_HOME"] = str(home)
    try:
        with start_twins(TWINS, data_dir=home / "twins") as ts:
            person = configure(ts, [channel])
            EVENTS.clear()
            t0 = time.perf_counter()
            outcomes = file_now(CASE, [channel], person)
            wall = time.perf_counter() - t0
        print(f"\n{channel}: {wall:.2f} s, {[o.state for o in outcomes]}")
        for start, end, depth, name in sorted(EVENTS):
            print(f"  {1000 * (start - t0):7.0f} ms {1000 * (end - start):6.0f} ms  {'  ' * depth}{name}")
        return wall
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    """Profile the chosen channel."""
    ap = argparse.ArgumentParser()
    ap.add_argument("channel")
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args()
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    install()
    for _ in range(args.rounds):
        one(args.channel)


if __name__ == "__main__":
    main()
