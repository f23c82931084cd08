"""The receipt's artifacts: HTML + screenshot of the page after the number was read (best effort), and of
the page reached in a dry run."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path
from typing import Any

from kameng_filer.filing.form.state import RunnerState

log = logging.getLogger(__name__)


class LeftReceipt(Exception):
    """The page started to leave the receipt while one of its artifacts was being taken."""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:160]


class ReceiptArtifacts(RunnerState):
    """Keeps the page a receipt was read on."""

    async def save_receipt(
        self, stem: str, *, timeout_s: float = 4.0, moving_s: float = 0.3
    ) -> tuple[Path | None, Path | None, str]:
        """HTML + screenshot of the page after the receipt was read: best effort, each with its own short
        timeout (``moving_s`` while the site is already loading another page). The number is already
        known: a page that moves on or hangs costs at most a few seconds and a note, never the receipt;
        the transient messages seen (the receipt text itself) are always kept in the HTML.
        Returns (screenshot, html, note)."""
        shot: Path | None = self.ctx.artifacts / f"{stem}.png"
        html: Path | None = self.ctx.artifacts / f"{stem}.html"
        moving = self.navigating()
        wait = moving_s if moving else timeout_s
        if not moving:  # the number may be read as the receipt's URL commits: let the page arrive
            with contextlib.suppress(Exception):  # a page that never finishes is photographed as it is
                await asyncio.wait_for(self.page.wait_for_load_state("load"), min(timeout_s, 2.0))

        async def page_html() -> tuple[str, str]:
            try:  # fast, and the page is most likely still the receipt
                return await self._unless_leaving(self.page.content(), min(timeout_s, 2.0), moving), ""
            except Exception as exc:  # "page is navigating": keep the messages seen on it
                return "", f"网页未保存（{_first_line(exc) or '超时'}）"

        async def screenshot() -> str:
            taking = self.page.screenshot(path=str(shot), full_page=True, caret="initial", timeout=wait * 1000)
            try:
                await self._unless_leaving(taking, wait + 0.5, moving)
            except Exception as exc:  # the page navigated away or hung: keep going without it
                return f"截图未保存（{_first_line(exc) or '超时'}）"
            return ""

        # both at once: the HTML does not wait for the screenshot's layout and encoding
        (text, html_problem), shot_problem = await asyncio.gather(page_html(), screenshot())
        problems = [p for p in (html_problem, shot_problem) if p]
        if shot_problem:
            shot = None
        said = self.dialogs + [s.text for s in self.seen]
        if said:  # transient messages (toasts, alerts, the receipt itself) are part of the receipt too
            text += (
                "\n<!-- kameng: messages seen on this page:\n"
                + "\n".join(m.replace("--", "- -") for m in said)
                + "\n-->"
            )
        if text:
            assert html is not None
            html.write_text(text, encoding="utf-8")
        else:
            html = None
        note = ""
        if problems:
            note = "回执编号已记下；" + ";".join(problems) + "（回执页面随即跳转或没有响应，不影响投诉）"
            log.warning("receipt artifacts on %s: %s", self.ctx.channel, note)
        return shot, html, note

    async def _unless_leaving(self, coro: Any, cap_s: float, moving: bool) -> Any:
        """``coro``'s result, given up (``LeftReceipt``) the moment the page starts to load another
        document (unless it was already doing so): a screenshot or HTML taken then would wait for, and
        show, the next page (e.g. a slow list), not the receipt; ``TimeoutError`` after ``cap_s``."""
        task = asyncio.ensure_future(coro)
        deadline = time.monotonic() + cap_s
        while not task.done():
            if not moving and self.navigating():
                task.cancel()
                raise LeftReceipt("回执页面已开始跳转")
            if time.monotonic() > deadline:
                task.cancel()
                raise TimeoutError("超时")
            await asyncio.wait({task}, timeout=0.02)
        return task.result()

    async def save_page(self, stem: str) -> tuple[Path, Path]:
        """Screenshot + HTML of the current page into the artifacts folder."""
        shot = self.ctx.artifacts / f"{stem}.png"
        html = self.ctx.artifacts / f"{stem}.html"
        await self.page.screenshot(path=str(shot), full_page=True)
        text = await self.page.content()
        said = self.dialogs + [s.text for s in self.seen]
        if said:  # transient messages (toasts, alerts) are part of the receipt too
            text += (
                "\n<!-- kameng: messages seen on this page:\n"
                + "\n".join(m.replace("--", "- -") for m in said)
                + "\n-->"
            )
        html.write_text(text, encoding="utf-8")
        return shot, html
