"""The final click and what follows: the confirmation, the complaint number (page text, URL, toast, dialog
or locator) and the site's refusal; the receipt's artifacts are ``form.artifacts``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import time
from typing import Any
from urllib.parse import urljoin

from kameng_filer.errors import ChannelRejected, ChannelUnreachable, FormChanged
from kameng_filer.filing.boundary import is_rate_limited, not_delivered
from kameng_filer.filing.form.artifacts import ReceiptArtifacts
from kameng_filer.filing.form.human import CHALLENGE_ROUNDS
from kameng_filer.filing.form.state import BROWSER_ERRORS
from kameng_filer.filing.form.watching import DIALOG_SELECTORS, WATCH_SELECTORS
from kameng_filer.filing.profile import Locator, ReceiptSpec

log = logging.getLogger(__name__)

FIRST_TEXT_JS = "(els) => els.length ? els[0].innerText : null"
"""The rendered text of a locator's first match, or null when nothing matches."""


class ReceiptReading(ReceiptArtifacts):
    """Submits and reads the receipt."""

    async def submit(self, spec: ReceiptSpec) -> tuple[str, str]:
        """Record ``submitting``, click the final button, and return (complaint number, where it was read)."""
        await self.watch()
        button = await self.find(self.profile.submit, field="提交按钮")
        confirm = self.profile.confirm
        await self.ctx.about_to_submit({k: v for k, v in self.values.items() if not k.startswith("_")})
        mark_seen, mark_dialogs = len(self.seen), len(self.dialogs)
        mark_http = len(self.http_errors)
        url_before = self.page.url
        self._changed.clear()
        # don't wait for the navigation here: a site that never answers is read_receipt's to report
        await button.click(no_wait_after=True)
        # the page's first reaction (its request, a navigation, a message) before the first look, at
        # most 0.1 s: looks at the page being left would cost round trips while the answer is on its way
        await self.page_changed(0.1)
        if confirm:
            await self._confirm(confirm, mark_seen, mark_dialogs)
        return await self.read_receipt(
            spec, since_seen=mark_seen, since_dialog=mark_dialogs, url_before=url_before, since_http=mark_http
        )

    async def _confirm(self, confirm: Locator, mark_seen: int, mark_dialogs: int) -> None:
        """Click the confirmation (an HTML modal's button); a native ``confirm()`` was already accepted."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if len(self.dialogs) > mark_dialogs:
                return
            try:
                el = await self.find(confirm, field="确认提交按钮", timeout_ms=0)
            except FormChanged:
                errors = await self.current_errors(since_seen=mark_seen, since_dialog=mark_dialogs)
                if errors:
                    raise ChannelRejected(f"渠道拒绝了提交：{errors}", channel=self.ctx.channel) from None
                await self.page_changed(0.1)
                continue
            await el.click()
            return
        raise FormChanged(
            "网页表单已变化：找不到「确认提交按钮」",
            field="confirm",
            selector=confirm.describe(),
            channel=self.ctx.channel,
        )

    async def read_receipt(
        self,
        spec: ReceiptSpec,
        *,
        since_seen: int = 0,
        since_dialog: int = 0,
        url_before: str | None = None,
        since_http: int | None = None,
    ) -> tuple[str, str]:
        """Wait for the complaint number (page text, URL, toast, dialog or locator) or a validation message.

        A captcha the site shows only now ("安全验证") is handed to the person and answered, and the
        wait goes on; a 5xx / 429 answer to the submit ends the wait as ``ChannelUnreachable``.
        """
        rx = re.compile(spec.pattern)
        rounds = 0
        timeout_ms = int(os.environ.get("KAMENG_RECEIPT_TIMEOUT_MS", spec.timeout_ms))
        started = time.monotonic()
        deadline = started + timeout_ms / 1000
        js = "(re) => { const m = (document.body ? document.body.innerText : '').match(new RegExp(re)); return m ? m[0] : null; }"

        def search(texts: list[str]) -> str | None:
            for t in texts:
                m = rx.search(t)
                if m:
                    return m.group(0)
            return None

        async def look() -> str | None:
            """One look for the number (bounded: a page stuck in a navigation must not stall the wait)."""
            found: str | None = None
            transient = self.dialogs[since_dialog:] + [s.text for s in self.seen[since_seen:]]
            with contextlib.suppress(*BROWSER_ERRORS):
                if spec.where == "url":
                    found = search([self.page.url])
                elif spec.where == "locator" and spec.locator is not None:
                    # seen as it appeared first: the site may already be moving on to another page
                    found = search([s.text for s in self.seen[since_seen:] if "receipt" in s.kinds])
                    for _, cand in [] if found else self._candidates(spec.locator):
                        # the first match's text in one round trip (was a count, then its text)
                        text = await cand.evaluate_all(FIRST_TEXT_JS)
                        found = search([text]) if text else None
                        if found:
                            break
                    if not found:
                        found = search([s.text for s in self.seen[since_seen:] if "receipt" in s.kinds])
                elif spec.where == "dialog":
                    found = search(transient) or search(await self._visible_texts(DIALOG_SELECTORS))
                elif spec.where == "toast":
                    css = (
                        spec.locator.css if spec.locator is not None and spec.locator.css else WATCH_SELECTORS
                    )
                    found = search(transient) or search(await self._visible_texts(css))
                else:
                    found = search(transient) or await self.page.evaluate(js, spec.pattern)
            return found

        async def bounded(coro: Any, cap: float | None = None) -> Any:
            limit = max(0.3, deadline - time.monotonic())
            try:
                return await asyncio.wait_for(coro, timeout=min(limit, cap) if cap else limit)
            except TimeoutError:
                return None

        while True:
            found = await bounded(look(), 1.0)  # a DOM read on a navigating page waits for the next one
            if found:
                return found, spec.where
            if since_http is not None and len(self.http_errors) > since_http:
                if self.http_errors[since_http][0] == 429:  # refused for coming too often: nothing stored
                    not_delivered(self.ctx)
                self.raise_http_errors(since_http)
            # while the next document is on its way (the submit's answer), the page on screen is the
            # one already looked at: its number, message or captcha is read when it arrives, and the
            # URL / the messages recorded as they appeared are looked at again as soon as it commits
            moving = self.navigating()
            # short caps: on a page that is navigating these wait for the next document, and the
            # number (recorded as it appeared) must not wait for them
            if not moving and await bounded(self._challenge_shown(), 1.0):
                rounds += 1
                if rounds > CHALLENGE_ROUNDS:
                    not_delivered(self.ctx)
                    raise ChannelRejected(
                        f"提交时的安全验证（图片验证码）{CHALLENGE_ROUNDS} 次都没有通过，投诉没有提交",
                        channel=self.ctx.channel,
                        hint="重新运行同一命令，仔细核对图片中的字符",
                    )
                await self._solve_challenge()
                deadline = time.monotonic() + timeout_ms / 1000
                continue
            native = (
                url_before is not None and self.page.url == url_before and time.monotonic() - started > 1.5
            )
            errors = None
            with contextlib.suppress(*BROWSER_ERRORS):
                errors = (
                    None
                    if moving
                    else await bounded(
                        self.current_errors(since_seen=since_seen, since_dialog=since_dialog, native=native),
                        1.0,
                    )
                )
            if errors:
                if is_rate_limited(errors):  # "操作过于频繁": refused for now, nothing stored
                    not_delivered(self.ctx)
                raise self.refusal(f"渠道拒绝了提交：{errors}")
            if time.monotonic() > deadline:
                said = ";".join(self.dialogs[since_dialog:] + [s.text for s in self.seen[since_seen:]])[:300]
                raise ChannelUnreachable(
                    "提交后没有看到投诉编号（响应丢失或超时）",
                    channel=self.ctx.channel,
                    detail=f"页面提示：{said}" if said else None,
                )
            # look again as soon as the page moves (a navigation, an answer, a message), at most 0.1 s
            await self.page_changed(0.1)

    async def receipt_link(self, spec: ReceiptSpec) -> str | None:
        """The absolute href of the receipt's link to the complaint's own page (``receipt.link``), read at
        once (the site may move on right after showing the receipt); None when there is none."""
        if spec.link is None:
            return None
        for s in reversed(self.seen):
            if "receipt_link" in s.kinds and s.href:
                return s.href
        with contextlib.suppress(FormChanged, *BROWSER_ERRORS):  # no link shown: the receipt has none
            el = await self.find(spec.link, field="回执中的详情链接", timeout_ms=500, visible=False)
            href = await asyncio.wait_for(el.get_attribute("href"), 1)
            if href:
                return urljoin(self.page.url, href)
        return None
