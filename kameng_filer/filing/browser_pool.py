"""One Chromium per run, one context per channel; login sessions kept as 0600 storage-state files."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from pathlib import Path
from typing import Any

from kameng_filer.browser import launch_options, no_browser_message
from kameng_filer.errors import FilingError

SHARED_ENV = "KAMENG_CHROMIUM_CDP"
"""Tests only: a DevTools endpoint (``http://127.0.0.1:PORT``) of a running Chromium to open contexts in
instead of launching one per run; unset in real use."""


class BrowserPool:
    """Starts Playwright and Chromium lazily on first use and closes everything on ``close``."""

    def __init__(self, *, headed: bool = False) -> None:
        self.headed = headed
        self._lock = asyncio.Lock()
        self._pw: Any = None
        self._browser: Any = None
        self._contexts: list[tuple[Any, Path | None]] = []
        self._warm: asyncio.Task[Any] | None = None
        self._saving: list[asyncio.Task[Any]] = []
        self._final: set[int] = set()  # contexts whose last state is already being saved (id)

    async def browser(self) -> Any:
        """The shared browser (launched on first call)."""
        async with self._lock:
            if self._browser is None:
                from playwright.async_api import Error as PwError
                from playwright.async_api import async_playwright

                self._pw = await async_playwright().start()
                shared = os.environ.get(SHARED_ENV, "") if not self.headed else ""
                try:
                    if shared:  # tests: contexts in an already running Chromium (tests/shared_chromium.py)
                        self._browser = await self._pw.chromium.connect_over_cdp(shared)
                    else:
                        self._browser = await self._pw.chromium.launch(**launch_options(headed=self.headed))
                except PwError as exc:
                    await self._pw.stop()
                    self._pw = None
                    raise FilingError(no_browser_message(), detail=str(exc).splitlines()[0]) from None
            return self._browser

    def warm_up(self) -> asyncio.Task[Any]:
        """Start launching the browser in the background (e.g. while the case is being checked).

        A failure is not raised here: the first real ``browser()`` call launches again and reports it.
        """
        task = asyncio.get_running_loop().create_task(self.browser())
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
        self._warm = task
        return task

    async def context(self, session_file: Path | None = None) -> Any:
        """A new browser context, restoring the stored login session when there is one."""
        browser = await self.browser()
        state = None
        if session_file and session_file.exists():
            try:
                state = json.loads(session_file.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                state = None
        ctx = await browser.new_context(storage_state=state, locale="zh-CN", timezone_id="Asia/Shanghai")
        ctx.set_default_timeout(20_000)
        self._contexts.append((ctx, session_file))
        return ctx

    @staticmethod
    async def save_session(ctx: Any, session_file: Path) -> None:
        """Write the context's cookies/storage to ``session_file`` with mode 0600."""
        state = await ctx.storage_state()
        session_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = session_file.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(state, fh)
        os.chmod(tmp, 0o600)
        tmp.replace(session_file)

    def save_session_soon(self, ctx: Any, session_file: Path, *, final: bool = False) -> None:
        """Save the session in the background while the form is filled; ``close`` waits for it.
        ``final``: the context's work is done (the receipt is recorded), so ``close`` does not read and
        write its state a second time (on a receipt page that moves on, that read waits for the next page)."""
        if final:
            self._final.add(id(ctx))
        self._saving = [t for t in self._saving if not t.done()]
        self._saving.append(asyncio.ensure_future(self.save_session(ctx, session_file)))

    async def close(self) -> None:
        """Save sessions and close every context, the browser and Playwright (after a warm-up finishes)."""
        if self._warm is not None:
            with contextlib.suppress(BaseException):
                await self._warm
            self._warm = None
        for task in self._saving:
            with contextlib.suppress(BaseException):
                await task
        self._saving.clear()

        async def keep(ctx: Any, session_file: Path) -> None:
            with contextlib.suppress(Exception):  # a context that cannot be read keeps its earlier file
                await self.save_session(ctx, session_file)

        # every session at once; the contexts close with the browser (no round trip each)
        await asyncio.gather(
            *(keep(c, f) for c, f in self._contexts if f is not None and id(c) not in self._final)
        )
        self._contexts.clear()
        self._final.clear()
        if self._browser is not None:
            with contextlib.suppress(Exception):
                await self._browser.close()
            self._browser = None
        if self._pw is not None:
            with contextlib.suppress(Exception):
                await self._pw.stop()
            self._pw = None
