"""The suite's shared Chromium (``KAMENG_CHROMIUM_CDP``): runs connect instead of launching, stay isolated
from each other, and leave no page behind when they close or their process is killed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from kameng_filer.filing.browser_pool import SHARED_ENV, BrowserPool

pytestmark = pytest.mark.browser

PAGE = "data:text/html,<title>kameng-shared-probe</title><p>probe</p>"


def _probe_pages(endpoint: str) -> list[dict[str, str]]:
    targets = httpx.get(f"{endpoint}/json/list", timeout=5).json()
    return [t for t in targets if t.get("type") == "page" and t.get("title") == "kameng-shared-probe"]


def _wait_until(check, timeout: float = 20) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.05)
    return check()


def test_runs_connect_to_the_shared_browser_and_stay_isolated() -> None:
    endpoint = os.environ.get(SHARED_ENV)
    if not endpoint:
        pytest.skip("KAMENG_TEST_OWN_CHROMIUM is set: nothing shared")

    async def go() -> tuple[list[dict[str, str]], list[dict[str, str]], int]:
        one, two = BrowserPool(), BrowserPool()
        try:
            a = await (await one.context()).new_page()
            b = await (await two.context()).new_page()
            await a.goto(PAGE)
            await b.goto(PAGE)
            await a.context.add_cookies([{"name": "who", "value": "one", "url": "http://127.0.0.1/"}])
            seen_by_two = await b.context.cookies("http://127.0.0.1/")
            open_now = len(_probe_pages(endpoint))
        finally:
            await one.close()
            await two.close()
        return seen_by_two, await asyncio.to_thread(_probe_pages, endpoint), open_now

    seen_by_two, left, open_now = asyncio.run(go())
    assert seen_by_two == [], "one run's cookies are not another's"
    assert open_now >= 2, "both pages were opened in the shared browser"
    assert _wait_until(lambda: not _probe_pages(endpoint)), left


def test_a_killed_run_leaves_no_page_in_the_shared_browser() -> None:
    endpoint = os.environ.get(SHARED_ENV)
    if not endpoint:
        pytest.skip("KAMENG_TEST_OWN_CHROMIUM is set: nothing shared")
    child = (
        "import asyncio, sys\n"
        "from kameng_filer.filing.browser_pool import BrowserPool\n"
        "async def go():\n"
        "    page = await (await BrowserPool().context()).new_page()\n"
        f"    await page.goto({PAGE!r})\n"
        "    print('open', flush=True)\n"
        "    await asyncio.sleep(600)\n"
        "asyncio.run(go())\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", child], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "open"
        assert len(_probe_pages(endpoint)) == 1
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the run and its Playwright driver, as in the crash tests
        proc.communicate()
    assert _wait_until(lambda: not _probe_pages(endpoint)), "the killed run's context was disposed"
