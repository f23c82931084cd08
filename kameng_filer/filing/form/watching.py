"""Page watching: requests in flight, 5xx / 429 answers, native dialogs, and every toast / dialog / alert
recorded the moment it appears (a MutationObserver reporting to Python through a marked console message),
plus the validation messages the page shows now."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from dataclasses import dataclass
from secrets import token_hex
from typing import Any

from kameng_filer.errors import ChannelRejected, ChannelUnreachable
from kameng_filer.filing.boundary import http_status_error, is_rate_limited
from kameng_filer.filing.form.state import BROWSER_ERRORS, RunnerState

WATCH_SELECTORS = (
    "[role=alert],[role=alertdialog],[role=dialog],[role=status],dialog,[aria-modal=true],.toast,"
    "[class*=toast],[class*=Toast],.el-message,.el-notification,.ant-message,.ant-notification,"
    ".layui-layer,.swal2-popup,.notyf__toast,.van-toast,.modal.show,.modal.in"
)
"""Elements whose text is recorded the moment they appear or change (toasts, dialogs, alerts)."""


DIALOG_SELECTORS = "[role=dialog],[role=alertdialog],dialog[open],[aria-modal=true],.modal.show,.modal.in,.swal2-popup,.layui-layer"


SEEN_MARK = "__kameng_seen_"
"""Prefix of the console messages the page observer sends (one per text that appeared), followed by a
token only this run's init script knows (kept in its closure), so the site cannot forge one."""


_WATCH_JS = """
(() => {
  if (window.__kamengWatching) return;
  window.__kamengWatching = true;
  // the console's own function, taken before the site's scripts run (a site may silence console.*)
  const report = console.debug.bind(console);
  const cfg = %s;
  const classify = (el) => {
    const kinds = [];
    for (const [kind, sel] of Object.entries(cfg.kinds)) {
      try { if (sel && el.matches(sel)) kinds.push(kind); } catch (e) {}
    }
    return kinds;
  };
  const send = (el) => {
    const text = (el.innerText || el.textContent || '').trim();
    if (!text || el.__kamengLast === text) return;
    el.__kamengLast = text;
    const href = el.getAttribute && el.getAttribute('href') ? el.href : '';
    try { report(cfg.mark + JSON.stringify({text: text.slice(0, 4000), kinds: classify(el), href: href})); } catch (e) {}
  };
  const visit = (node) => {
    const el = node && (node.nodeType === 1 ? node : node.parentElement);
    if (!el || !el.closest) return;
    const hit = el.closest(cfg.all);
    if (hit) send(hit);
    if (node.nodeType === 1 && node.querySelectorAll) node.querySelectorAll(cfg.all).forEach(send);
  };
  new MutationObserver((muts) => {
    for (const m of muts) {
      if (m.type === 'childList') m.addedNodes.forEach(visit);
      visit(m.target);
    }
  }).observe(document, {subtree: true, childList: true, characterData: true, attributes: true,
                        attributeFilter: ['class', 'style', 'hidden', 'open']});
})();
"""


_INVALID_JS = """
() => [...document.querySelectorAll('form:not([novalidate]) :invalid')]
  .filter((e) => e.willValidate && e.validationMessage)
  .map((e) => {
    const label = (e.labels && e.labels[0] ? e.labels[0].innerText : '') || e.getAttribute('aria-label') || e.name || '';
    return (label ? label.trim() + ':' : '') + e.validationMessage;
  })
"""


VISIBLE_TEXTS_JS = """
(els) => {
  // Playwright's own idea of "visible": not hidden by display / visibility, a non-empty box
  const shown = (e) => {
    const style = getComputedStyle(e);
    if (style.display === 'contents') return [...e.children].some(shown);
    if (e.checkVisibility && !e.checkVisibility()) return false;
    if (style.visibility !== 'visible') return false;
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  return els.slice(0, 10).filter(shown).map((e) => (e.innerText || '').trim()).filter(Boolean);
}
"""
"""The inner texts of the first ten matches that are visible, in one round trip."""


@dataclass
class Seen:
    """A toast / dialog / alert text recorded as it appeared."""

    text: str
    kinds: list[str]
    at: float
    href: str = ""
    """The link's target when the element is a link (``receipt.link``)."""


class PageWatch(RunnerState):
    """Listens to the page and reads the messages it shows."""

    def listen(self, page: Any) -> None:
        """Follow the page's dialogs, answers and requests."""
        self._changed = asyncio.Event()
        page.on("dialog", self._on_dialog)
        page.on("response", self._on_response)
        page.on("request", self._on_request)
        page.on("requestfinished", self._on_request_done)
        page.on("requestfailed", self._on_request_done)
        page.on("framenavigated", self._on_navigated)

    def _on_navigated(self, frame: Any) -> None:
        self._changed.set()

    async def page_changed(self, timeout_s: float) -> None:
        """Wait until the page does something (navigates, answers a request, shows a message or a
        dialog) or ``timeout_s`` has passed: a poll that wakes up at once when there is news, including
        news that came while the caller was looking (then after 10 ms, so a chatty page is no busy loop)."""
        if self._changed.is_set():
            await asyncio.sleep(0.01)
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout_s)
        self._changed.clear()

    async def close_quietly(self) -> None:
        """Close the page whatever state it is in (a page whose site never answered)."""
        with contextlib.suppress(*BROWSER_ERRORS):
            await self.page.close()

    def _on_request(self, request: Any) -> None:
        self._requests_seen += 1
        self._inflight[request] = self._requests_seen
        self._changed.set()

    def _on_request_done(self, request: Any) -> None:
        self._inflight.pop(request, None)
        self._changed.set()

    async def settle_requests(self, since: int, *, start_ms: int = 300, timeout_ms: int = 5000) -> bool:
        """Wait until the requests a widget started (after mark ``since``) have finished; False on timeout.

        Faster than ``networkidle`` (which always waits for 500 ms of silence): waits up to ``start_ms``
        for a request to begin, then until none of those started since the mark is in flight (older
        ones, e.g. a long poll, are not waited for), at most ``timeout_ms``.
        """
        start = time.monotonic()
        while self._requests_seen == since and time.monotonic() - start < start_ms / 1000:
            await asyncio.sleep(0.02)
        while any(seq > since for seq in list(self._inflight.values())):
            if time.monotonic() - start >= timeout_ms / 1000:
                return False
            await asyncio.sleep(0.02)
        return True

    def _on_response(self, response: Any) -> None:
        self._changed.set()
        # an event handler must never raise (Playwright would report it on the event loop, far from any
        # filing): an answer that cannot be read is simply not recorded
        with contextlib.suppress(Exception):
            status = response.status
            if (status >= 500 or status == 429) and response.request.resource_type in (
                "document",
                "xhr",
                "fetch",
            ):
                self.http_errors.append((status, response.request.method, response.url))

    def refusal(self, message: str) -> ChannelRejected | ChannelUnreachable:
        """A site's refusal: "too often" is temporary (retryable, with backoff), anything else a rejection."""
        if is_rate_limited(message):
            return ChannelUnreachable(
                message, channel=self.ctx.channel, hint="渠道限制了操作频率，请稍后再试"
            )
        return ChannelRejected(message, channel=self.ctx.channel)

    def raise_http_errors(self, since: int) -> None:
        """Raise for a 5xx / 429 answer recorded since mark ``since`` (a page or XHR the site failed)."""
        for status, method, url in self.http_errors[since:]:
            raise http_status_error(status, self.ctx.channel, url=f"{method} {url}")

    async def _on_dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        self._changed.set()
        with contextlib.suppress(*BROWSER_ERRORS):
            await dialog.accept()

    async def watch(self) -> None:
        """Record every toast / dialog / alert as it appears (on this page and every page it navigates to).

        Installed before the first page is opened (``FormRunner.open``) with one round trip: the init
        script reports through marked console messages (no binding to expose), nothing is evaluated on
        the blank page."""
        if self._watching:
            return
        self._watching = True
        kinds: dict[str, str] = {"dialog": DIALOG_SELECTORS}
        extra = []
        if self.profile.errors and self.profile.errors.css:
            kinds["error"] = self.profile.errors.css
            extra.append(self.profile.errors.css)
        loc = self.profile.receipt.locator
        if loc is not None and loc.css:
            kinds["receipt"] = loc.css
            extra.append(loc.css)
        link = self.profile.receipt.link
        if link is not None and link.css:  # the receipt's detail link, kept even if the page moves on
            kinds["receipt_link"] = link.css
            extra.append(link.css)
        self._seen_mark = f"{SEEN_MARK}{token_hex(8)}:"
        cfg = {"all": ",".join([WATCH_SELECTORS, *extra]), "kinds": kinds, "mark": self._seen_mark}
        script = _WATCH_JS % json.dumps(cfg)
        self.page.on("console", self._on_console)
        try:
            await self.page.add_init_script(script)
            if self.page.url != "about:blank":  # a document already shown: watch it too
                await self.page.evaluate(script)
        except BROWSER_ERRORS as exc:  # a page that is navigating: the init script covers the next document
            if "closed" in str(exc):
                raise

    def _on_console(self, message: Any) -> None:
        # an event handler must never raise: a message that is not the observer's is ignored
        with contextlib.suppress(Exception):
            text = message.text
            if text.startswith(self._seen_mark):
                self._on_seen(json.loads(text[len(self._seen_mark) :]))

    def _on_seen(self, payload: dict[str, Any]) -> None:
        text = str(payload.get("text", ""))
        if text:
            kinds = list(payload.get("kinds") or [])
            self.seen.append(Seen(text, kinds, time.monotonic(), str(payload.get("href") or "")))
            self._changed.set()

    def navigating(self) -> bool:
        """True while the page is loading another document (e.g. the site's redirect after the receipt);
        the document already shown at its URL, still arriving, does not count."""
        for request in list(self._inflight):
            with contextlib.suppress(*BROWSER_ERRORS):
                if (
                    request.is_navigation_request()
                    and request.frame == self.page.main_frame
                    and request.url != self.page.url
                ):
                    return True
        return False

    async def page_errors(self) -> str | None:
        """Visible validation messages on the page, joined, or None (one round trip per strategy)."""
        if not self.profile.errors:
            return None
        texts: list[str] = []
        for _, cand in self._candidates(self.profile.errors):
            with contextlib.suppress(*BROWSER_ERRORS):
                texts = [t for t in await cand.evaluate_all(VISIBLE_TEXTS_JS) if t]
            if texts:
                break
        return ";".join(dict.fromkeys(texts)) or None

    async def current_errors(self, *, since_seen: int, since_dialog: int, native: bool = False) -> str | None:
        """Validation messages: visible ones, transient error toasts, dialogs matching ``error_pattern``."""
        texts: list[str] = []
        with contextlib.suppress(*BROWSER_ERRORS):
            visible = await self.page_errors()
            if visible:
                texts.append(visible)
        rx = re.compile(self.profile.error_pattern) if self.profile.error_pattern else None
        for s in self.seen[since_seen:]:
            if "error" in s.kinds or (rx and rx.search(s.text)):
                texts.append(s.text)
        if rx:
            texts += [m for m in self.dialogs[since_dialog:] if rx.search(m)]
        if native and not texts:
            with contextlib.suppress(*BROWSER_ERRORS):
                texts += list(await self.page.evaluate(_INVALID_JS))
        return ";".join(dict.fromkeys(t.strip() for t in texts if t.strip())) or None

    async def _visible_texts(self, selectors: str) -> list[str]:
        out: list[str] = []
        with contextlib.suppress(*BROWSER_ERRORS):
            out = list(await self.page.locator(selectors).evaluate_all(VISIBLE_TEXTS_JS))
        return out
