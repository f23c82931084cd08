"""Drive a web form in Playwright from a site profile: find fields like a person would, fill, submit, read the receipt.

What the runner copes with, from the profile alone: fields found by label → role → placeholder → text →
CSS (the first *visible* match wins), fields inside (nested) iframes, native and custom (Select2-like,
searchable) dropdowns, button groups, radio groups, rich-text / Markdown editors (contenteditable,
CodeMirror) typed into, uploads through a button that opens a file chooser and upload at once (waiting
for each file to be listed), multi-step wizards (click → wait, with client-side validation messages
turned into a rejection), and receipts or errors shown in the page, the URL, a native ``alert`` /
``confirm``, an HTML modal or a transient toast (a MutationObserver records every toast/dialog/alert
node the moment it appears, so a message that is gone after a second is still read).

In *probe* mode (``kameng adapter try``) nothing is submitted: every field is attempted, and what
matched, with which strategy, what did not and why, is collected in ``FormRunner.report``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import difflib
import json
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from kameng_filer.adapter import FilingContext, PlannedFile
from kameng_filer.errors import (
    ChannelRejected,
    ChannelUnreachable,
    FormChanged,
    SessionExpired,
)
from kameng_filer.filing.boundary import ask_challenge, http_status_error, is_rate_limited, not_delivered
from kameng_filer.filing.profile import Action, Binding, Locator, Profile, ReceiptSpec, fmt, url_matches

Frame = str | list[str] | None

log = logging.getLogger(__name__)

WATCH_SELECTORS = (
    "[role=alert],[role=alertdialog],[role=dialog],[role=status],dialog,[aria-modal=true],.toast,"
    "[class*=toast],[class*=Toast],.el-message,.el-notification,.ant-message,.ant-notification,"
    ".layui-layer,.swal2-popup,.notyf__toast,.van-toast,.modal.show,.modal.in"
)
"""Elements whose text is recorded the moment they appear or change (toasts, dialogs, alerts)."""

DIALOG_SELECTORS = "[role=dialog],[role=alertdialog],dialog[open],[aria-modal=true],.modal.show,.modal.in,.swal2-popup,.layui-layer"

_WATCH_JS = """
(() => {
  if (window.__kamengWatching) return;
  window.__kamengWatching = true;
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
    try { window.__kamengSeen({text: text.slice(0, 4000), kinds: classify(el), href: href}); } catch (e) {}
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

_LABELS_JS = """
(root) => {
  const out = new Set();
  const add = (t) => { t = (t || '').replace(/\\s+/g, ' ').trim(); if (t && t.length <= 40) out.add(t); };
  root.querySelectorAll('label, legend, [aria-label], [placeholder], button, [role=button], [role=combobox], '
    + '[role=textbox], [role=group], [role=radiogroup], [role=tab], input[type=submit], input[type=button]').forEach((e) => {
    if (e.hasAttribute('aria-label')) add(e.getAttribute('aria-label'));
    if (e.hasAttribute('placeholder')) add(e.getAttribute('placeholder'));
    if (e.matches('input[type=submit], input[type=button]')) add(e.value);
    else if (e.matches('label, legend, button, [role=button], [role=tab]')) add(e.innerText);
  });
  return [...out];
}
"""

_INVALID_JS = """
() => [...document.querySelectorAll('form:not([novalidate]) :invalid')]
  .filter((e) => e.willValidate && e.validationMessage)
  .map((e) => {
    const label = (e.labels && e.labels[0] ? e.labels[0].innerText : '') || e.getAttribute('aria-label') || e.name || '';
    return (label ? label.trim() + ':' : '') + e.validationMessage;
  })
"""


CHALLENGE_IMAGE = (
    "img[id*=captcha i], img[class*=captcha i], img[src*=captcha i], img[alt*=验证码], img[id*=verify i]"
)
"""A captcha image that appears after the final click (a site's mid-flow "安全验证")."""
CHALLENGE_INPUT = "input[type=text], input:not([type])"
CHALLENGE_BUTTON = "button, input[type=submit], [role=button]"
CHALLENGE_ROUNDS = 3


GRAB_IMAGE_JS = """el => {
  if (el instanceof HTMLCanvasElement) return el.toDataURL('image/png');
  if (!(el instanceof HTMLImageElement) || !el.complete || !el.naturalWidth) return null;
  const c = document.createElement('canvas');
  c.width = el.naturalWidth; c.height = el.naturalHeight;
  c.getContext('2d').drawImage(el, 0, 0);
  return c.toDataURL('image/png');
}"""
"""Reads an image's pixels in the page (throws for a cross-origin image, which then gets a screenshot)."""


LOGGED_OUT_TEXT = re.compile(
    r"登录(会话|状态)?(已经?)?(过期|失效|超时)|请(先|重新)登录|(尚)?未登录|login (expired|required)", re.I
)
"""Messages of pages that say "not logged in" (often answered with HTTP 200)."""

SMS_RESENDS = 2
"""How often an SMS code is asked for again after the site said "too often, wait N seconds"."""
SMS_MAX_WAIT_S = 180
"""Longer cooldowns are not waited out: the channel ends retryable and the person runs it again later."""


def field_timeout_ms() -> int:
    """How long to look for one field before declaring the form changed."""
    return int(os.environ.get("KAMENG_FIELD_TIMEOUT_MS", "6000"))


@dataclass
class FieldReport:
    """What happened to one field or step in a probe (``kameng adapter try``)."""

    key: str
    label: str
    kind: str
    """``field`` (a binding), ``step`` (click/wait/…), ``submit`` (the final button, not clicked)."""
    ok: bool
    required: bool = True
    widget: str = ""
    strategy: str = ""
    """Which way of finding it matched, e.g. ``label=标题``."""
    value: str = ""
    reason: str = ""
    tried: list[str] = field(default_factory=list)
    """Per strategy: how many elements it found and how many were visible."""
    suggestions: list[str] = field(default_factory=list)
    """Labels on the page that look like the one that was not found."""
    skipped: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self)


class ProbeStop(Exception):
    """A probe cannot go on (a wizard step did not open); the report says why."""


@dataclass
class Seen:
    """A toast / dialog / alert text recorded as it appeared."""

    text: str
    kinds: list[str]
    at: float
    href: str = ""
    """The link's target when the element is a link (``receipt.link``)."""


class FormRunner:
    """Executes profile steps on one page for one channel."""

    def __init__(
        self,
        page: Any,
        profile: Profile,
        values: dict[str, Any],
        files: Sequence[PlannedFile],
        ctx: FilingContext,
        *,
        base_url: str | None = None,
        probe: bool = False,
        timeout_ms: int | None = None,
    ) -> None:
        self.page = page
        self.profile = profile
        self.values = values
        self.files = list(files)
        self.ctx = ctx
        self.base_url = (base_url or profile.base_url).rstrip("/") + "/"
        self.dialogs: list[str] = []
        self.seen: list[Seen] = []
        self.secrets: dict[str, str] = {}
        self.probe = probe
        self.timeout_ms = timeout_ms
        self.report: list[FieldReport] = []
        self.last_strategy = ""
        self._field_strategy = ""
        self._watching = False
        self.http_errors: list[tuple[int, str, str]] = []
        """(status, method, url) of every page/XHR answer that was a 5xx or a 429, in order."""
        self._landed: str | None = None
        """The URL a successful login just landed on (a following ``goto`` there is not repeated)."""
        self._inflight: dict[Any, int] = {}
        self._requests_seen = 0
        self._login_note = ""
        self.verify_login = False
        """Prove the login (``login.logged_in``) on the next page opened, before anything is filled."""
        self.relogin: Callable[[], Awaitable[None]] | None = None
        """Logs in again when that proof fails (once); without it the failure is ``SessionExpired``."""
        self.file_kinds: dict[str, str] = {}
        """Evidence id → evidence kind (for upload fields' ``pick``)."""
        page.on("dialog", self._on_dialog)
        page.on("response", self._on_response)
        page.on("request", self._on_request)
        page.on("requestfinished", self._on_request_done)
        page.on("requestfailed", self._on_request_done)

    def _on_request(self, request: Any) -> None:
        self._requests_seen += 1
        self._inflight[request] = self._requests_seen

    def _on_request_done(self, request: Any) -> None:
        self._inflight.pop(request, None)

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
        with contextlib.suppress(Exception):
            status = response.status
            if (status >= 500 or status == 429) and response.request.resource_type in (
                "document",
                "xhr",
                "fetch",
            ):
                self.http_errors.append((status, response.request.method, response.url))

    async def open(self, url: str) -> Any:
        """Go to ``url``; a 5xx or 429 answer is ``ChannelUnreachable`` (retryable), not a changed form.

        Right after a login that landed on exactly ``url`` (``/login?next=/form``), the page is not loaded
        a second time.
        """
        landed, self._landed = self._landed, None
        if landed is not None and landed == url and self.page.url == url:
            await self.page.wait_for_load_state("domcontentloaded")
            if self.verify_login and not self.values.get("_logging_in"):
                return await self._prove_session(url, None)
            return None
        try:
            response = await self.page.goto(url, wait_until="domcontentloaded")
        except Exception as exc:
            if type(exc).__name__ == "TimeoutError":
                # the site never answered: close the page, or its pending request keeps Chromium's
                # cache lock on this URL (a retry would wait for it) and a screenshot would hang too
                with contextlib.suppress(Exception):
                    await self.page.close()
            raise
        if response is not None and (response.status >= 500 or response.status == 429):
            raise http_status_error(response.status, self.ctx.channel, url=url)
        if self.verify_login and not self.values.get("_logging_in"):
            return await self._prove_session(url, response)
        return response

    def refusal(self, message: str) -> ChannelRejected | ChannelUnreachable:
        """A site's refusal: "too often" is temporary (retryable, with backoff), anything else a rejection."""
        if is_rate_limited(message):
            return ChannelUnreachable(message, channel=self.ctx.channel, hint="渠道限制了操作频率,请稍后再试")
        return ChannelRejected(message, channel=self.ctx.channel)

    def raise_http_errors(self, since: int) -> None:
        """Raise for a 5xx / 429 answer recorded since mark ``since`` (a page or XHR the site failed)."""
        for status, method, url in self.http_errors[since:]:
            raise http_status_error(status, self.ctx.channel, url=f"{method} {url}")

    async def _on_dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        with contextlib.suppress(Exception):
            await dialog.accept()

    def _field_timeout(self) -> int:
        return self.timeout_ms if self.timeout_ms is not None else field_timeout_ms()

    # ------------------------------------------------------------------ watching transient messages
    async def watch(self) -> None:
        """Record every toast / dialog / alert as it appears (on this page and every page it navigates to)."""
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
        script = _WATCH_JS % json.dumps({"all": ",".join([WATCH_SELECTORS, *extra]), "kinds": kinds})
        try:
            await self.page.expose_binding("__kamengSeen", self._on_seen)
            await self.page.add_init_script(script)
            await self.page.evaluate(script)
        except Exception as exc:  # a page that is navigating: the init script covers the next document
            if "closed" in str(exc):
                raise

    def _on_seen(self, source: Any, payload: dict[str, Any]) -> None:
        text = str(payload.get("text", ""))
        if text:
            kinds = list(payload.get("kinds") or [])
            self.seen.append(Seen(text, kinds, time.monotonic(), str(payload.get("href") or "")))

    # ------------------------------------------------------------------ locating
    def url(self, template: str) -> str:
        """Absolute URL for a profile path/template."""
        return urljoin(self.base_url, fmt(template, self.values).lstrip("/"))

    def _root(self, frame: Frame) -> Any:
        root = self.page
        for sel in [frame] if isinstance(frame, str) else frame or []:
            root = root.frame_locator(sel)
        return root

    def _candidates(self, loc: Locator, frame: Frame = None) -> list[tuple[str, Any]]:
        root = self._root(loc.frame or frame)
        out: list[tuple[str, Any]] = []
        if loc.label:
            out.append((f"label={loc.label}", root.get_by_label(loc.label, exact=loc.exact)))
        if loc.role:
            kw = {"name": loc.name, "exact": loc.exact} if loc.name else {}
            out.append(
                (f"role={loc.role}" + (f"[{loc.name}]" if loc.name else ""), root.get_by_role(loc.role, **kw))
            )
        if loc.placeholder:
            out.append(
                (f"placeholder={loc.placeholder}", root.get_by_placeholder(loc.placeholder, exact=loc.exact))
            )
        if loc.text:
            out.append((f"text={loc.text}", root.get_by_text(loc.text, exact=loc.exact)))
        if loc.css:
            out.append((f"css={loc.css}", root.locator(loc.css)))
        return out

    async def _first(self, cand: Any, loc: Locator, visible: bool) -> Any | None:
        n = await cand.count()
        if n == 0:
            return None
        if loc.nth is not None:
            if loc.nth >= n:
                return None
            target = cand.nth(loc.nth)
            return target if not visible or await target.is_visible() else None
        for i in range(min(n, 20)):
            target = cand.nth(i)
            if not visible or await target.is_visible():
                return target
        return None

    async def find(
        self,
        loc: Locator,
        *,
        field: str,
        timeout_ms: int | None = None,
        visible: bool = True,
        frame: Frame = None,
    ) -> Any:
        """The element for ``loc`` (first strategy with a visible match); ``FormChanged`` naming field + selector."""
        deadline = time.monotonic() + (timeout_ms if timeout_ms is not None else self._field_timeout()) / 1000
        candidates = self._candidates(loc, frame)
        while True:
            for name, cand in candidates:
                try:
                    target = await self._first(cand, loc, visible)
                except Exception as exc:  # a detached frame while navigating: try again
                    if "closed" in str(exc):
                        raise
                    target = None
                if target is not None:
                    self.last_strategy = name
                    return target
            if time.monotonic() >= deadline:
                break
            await asyncio.sleep(0.1)
        raise FormChanged(
            f"网页表单已变化:找不到「{field}」({loc.describe()})",
            field=field,
            selector=loc.describe(),
            channel=self.ctx.channel,
            hint="站点改版了?更新站点配置文件(kameng adapter try 可逐项检查)",
        )

    async def diagnose(self, loc: Locator, frame: Frame = None) -> list[str]:
        """Per strategy, how many elements matched and how many were visible (for a probe report)."""
        out = []
        for name, cand in self._candidates(loc, frame):
            try:
                n = await cand.count()
                shown = 0
                for i in range(min(n, 20)):
                    if await cand.nth(i).is_visible():
                        shown += 1
                out.append(f"{name}:找到 {n} 个,可见 {shown} 个")
            except Exception as exc:
                out.append(f"{name}:出错 {str(exc).splitlines()[0][:80]}")
        return out

    async def page_labels(self, frame: Frame = None) -> list[str]:
        """Visible label-like texts on the page (labels, aria-labels, placeholders, buttons)."""
        with contextlib.suppress(Exception):
            return list(await self._root(frame).locator("body").first.evaluate(_LABELS_JS))
        return []

    async def suggest(self, loc: Locator, frame: Frame = None) -> list[str]:
        """Labels on the page that look like the one ``loc`` looks for."""
        wanted = loc.label or loc.name or loc.placeholder or loc.text
        if not wanted:
            return []
        labels = await self.page_labels(loc.frame or frame)
        return difflib.get_close_matches(wanted, labels, n=3, cutoff=0.3)

    # ------------------------------------------------------------------ steps
    async def run(self, actions: Sequence[Action]) -> None:
        """Run profile steps in order."""
        await self.watch()
        for action in actions:
            await self.step(action)

    async def step(self, a: Action) -> None:
        """Run one step (in a probe, a failing click/wait ends the probe with a report entry)."""
        if a.if_url and not url_matches(fmt(a.if_url, self.values), self.page.url):
            return
        if (a.if_visible or a.unless_visible) and not await self._conditions_hold(a):
            if self.probe:
                self.report.append(
                    FieldReport(
                        key=_step_name(a),
                        label=_step_name(a),
                        kind="step",
                        ok=True,
                        skipped=True,
                        reason="条件不满足,跳过这一步",
                    )
                )
            return
        try:
            await self._step_named(a)
        except FormChanged as exc:
            if not self.probe:
                if await self.login_lost():  # a logged-out page, not a changed form
                    raise self.expired(f"在「{exc.field or _step_name(a)}」这一步,") from exc
                raise
            loc = a.click or a.wait
            entry = FieldReport(
                key=_step_name(a),
                label=loc.describe() if loc else _step_name(a),
                kind="step",
                ok=False,
                reason=exc.message,
            )
            if loc is not None:
                entry.tried = await self.diagnose(loc, a.frame)
                entry.suggestions = await self.suggest(loc, a.frame)
            self.report.append(entry)
            raise ProbeStop(exc.message) from None
        except ChannelRejected as exc:
            if not self.probe:
                raise
            self.report.append(
                FieldReport(key=_step_name(a), label=_step_name(a), kind="step", ok=False, reason=exc.message)
            )
            raise ProbeStop(exc.message) from None

    async def _step_named(self, a: Action) -> None:
        """``_step``; a click or wait Playwright waited on in vain (hidden, disabled…) is a ``FormChanged``
        naming the step, its locator and what the page holds (see ``locate``)."""
        from kameng_filer.filing.locate import is_stuck_action, stuck_error

        try:
            await self._step(a)
        except Exception as exc:
            loc = a.click or a.wait
            if loc is None or not is_stuck_action(exc):
                raise
            raise await stuck_error(self, _step_name(a), loc, exc, a.frame) from exc

    async def _conditions_hold(self, a: Action) -> bool:
        """``if_visible`` / ``unless_visible``: whether the step runs (looked at once, no waiting)."""
        for loc, want in ((a.if_visible, True), (a.unless_visible, False)):
            if loc is not None and await self._shown_now(loc, a.frame) != want:
                return False
        return True

    async def _shown_now(self, loc: Locator, frame: Frame) -> bool:
        """Whether ``loc`` (its texts formatted with the plan's values) matches a visible element now."""
        keys = ("label", "name", "placeholder", "text", "css")
        update = {k: fmt(v, self.values) for k in keys if isinstance(v := getattr(loc, k), str)}
        loc = loc.model_copy(update=update)
        for _, cand in self._candidates(loc, frame):
            with contextlib.suppress(Exception):
                if await self._first(cand, loc, True) is not None:
                    return True
        return False

    async def _step(self, a: Action) -> None:
        timeout = a.timeout_ms
        frame = a.frame
        if a.goto:
            await self.open(self.url(a.goto))
            await self._check_not_logged_out()
        elif a.wait_url:
            await self._wait_url(fmt(a.wait_url, self.values), timeout or 15000)
        elif a.click:
            try:
                el = await self.find(a.click, field=a.click.describe(), timeout_ms=timeout, frame=frame)
            except FormChanged:
                if a.optional:
                    return
                raise
            if self.probe:
                self._note_step(a, a.click)
            await el.click(timeout=timeout or 15000)
        elif a.wait:
            await self._wait(a.wait, a.state, timeout or 30000, optional=a.optional, frame=frame)
        elif a.fill:
            for key in [a.fill] if isinstance(a.fill, str) else a.fill:
                await self.fill(key, self.profile.fields[key], frame=frame)
        elif a.captcha:
            await self._captcha(a)
        elif a.sms:
            await self._sms(a)
        elif a.qr:
            await self._qr(a)
        elif a.press:
            await self.page.keyboard.press(a.press)

    async def _wait_url(self, pattern: str, timeout_ms: int) -> None:
        """Wait for the page to move on to ``pattern``; a message the site shows instead ends it early."""
        mark_seen, mark_dialogs, mark_http = len(self.seen), len(self.dialogs), len(self.http_errors)
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            try:
                await self.page.wait_for_url(lambda u: url_matches(pattern, u), timeout=500)
                return
            except Exception as exc:
                if "closed" in str(exc):
                    raise
            self.raise_http_errors(mark_http)
            errors = None
            with contextlib.suppress(Exception):
                errors = await self.current_errors(since_seen=mark_seen, since_dialog=mark_dialogs)
            if errors or time.monotonic() >= deadline:
                await self._stalled(f"页面没有跳转到 {pattern}(现在是 {self.page.url})", pattern)

    def _note_step(self, a: Action, loc: Locator) -> None:
        self.report.append(
            FieldReport(
                key=_step_name(a), label=loc.describe(), kind="step", ok=True, strategy=self.last_strategy
            )
        )

    async def _wait(
        self, loc: Locator, state: str, timeout: int, *, optional: bool = False, frame: Frame = None
    ) -> None:
        deadline = time.monotonic() + timeout / 1000
        while True:
            try:
                el = await self.find(
                    loc, field=loc.describe(), timeout_ms=500, visible=state != "attached", frame=frame
                )
                break
            except FormChanged:
                if optional:
                    return
                if time.monotonic() >= deadline:
                    await self._stalled(f"网页表单已变化:等待「{loc.describe()}」出现超时", loc.describe())
                if not optional and await self.current_errors(since_seen=0, since_dialog=0):
                    await self._stalled(f"网页表单已变化:等待「{loc.describe()}」出现超时", loc.describe())
        if state == "enabled":
            deadline = time.monotonic() + timeout / 1000
            while not await el.is_enabled():
                if time.monotonic() > deadline:
                    raise FormChanged(
                        f"等待「{loc.describe()}」可用超时",
                        field=loc.describe(),
                        selector=loc.describe(),
                        channel=self.ctx.channel,
                    )
                await asyncio.sleep(0.2)
        elif state == "hidden":
            await el.wait_for(state="hidden", timeout=timeout)

    async def _stalled(self, message: str, selector: str) -> None:
        """A wizard did not move on: a failed request is unreachable, a validation message a rejection, else the form changed."""
        self.raise_http_errors(0)
        errors = await self.current_errors(since_seen=0, since_dialog=0)
        if errors:
            raise self.refusal(f"页面提示:{errors}")
        raise FormChanged(
            message,
            field=selector,
            selector=selector,
            channel=self.ctx.channel,
            hint="站点流程变了?用 kameng adapter try 检查站点配置",
        )

    async def _check_not_logged_out(self) -> None:
        login = self.profile.login
        if (
            login
            and login.logged_out_url
            and url_matches(login.logged_out_url, self.page.url)
            and not self.values.get("_logging_in")
        ):
            raise SessionExpired("登录状态已失效", channel=self.ctx.channel)

    # ------------------------------------------------------------------ fields
    def value_for(self, key: str, b: Binding) -> Any:
        """The planned value for a binding (format string, or the plan's field value)."""
        name = b.field or key
        if name in self.secrets:
            return self.secrets[name]
        if b.value is not None:
            return fmt(b.value, self.values)
        return self.values.get(name)

    async def fill(self, key: str, b: Binding, *, frame: Frame = None) -> None:
        """Fill one field the way its widget needs (typing, picking, clicking, uploading)."""
        value = self.value_for(key, b)
        label = b.label or b.name or b.placeholder or key
        entry = FieldReport(
            key=key,
            label=label,
            kind="field",
            ok=False,
            required=b.required,
            widget=b.widget,
            value=_preview(value, secret=(b.field or key) in self.secrets),
        )
        files = self.files_for(b) if b.widget == "upload" else []
        if b.widget == "upload":
            entry.value = _preview([f.upload_name for f in files]) if files else ""
        if (value in (None, "", []) and b.widget != "upload") or (b.widget == "upload" and not files):
            entry.ok, entry.skipped, entry.reason = True, True, "计划中没有值,跳过"
            self._record(entry)
            return
        self.ctx.progress(f"填写 {label}")
        try:
            await self._fill_named(key, b, value, frame)
        except FormChanged as exc:
            if not self.probe:
                if not b.required:
                    return
                raise
            entry.reason = exc.message
            entry.strategy = ""
            entry.tried = await self.diagnose(b, frame)
            entry.suggestions = await self.suggest(b, frame)
            self._record(entry)
            return
        except ChannelRejected as exc:
            if not self.probe:
                raise
            entry.reason = exc.message
            self._record(entry)
            return
        entry.ok = True
        entry.strategy = entry.strategy or self._field_strategy
        self._record(entry)

    async def _fill_named(self, key: str, b: Binding, value: Any, frame: Frame) -> None:
        """``_fill``; an element Playwright waited on in vain (hidden, disabled…) is a ``FormChanged``
        naming the field, its locator and what the page holds (see ``locate``)."""
        from kameng_filer.filing.locate import is_stuck_action, stuck_error

        try:
            await self._fill(key, b, value, frame)
        except Exception as exc:
            if not is_stuck_action(exc):
                raise
            raise await stuck_error(self, key, b, exc, frame) from exc

    def _record(self, entry: FieldReport) -> None:
        if self.probe:
            self.report.append(entry)

    async def _fill(self, key: str, b: Binding, value: Any, frame: Frame) -> None:
        label = b.label or key
        el = await self.find(b, field=label, visible=b.widget != "upload" or b.chooser, frame=frame)
        self._field_strategy = self.last_strategy
        text = b.options.get(str(value), str(value)) if not isinstance(value, list) else ""
        w = b.widget
        if w == "text":
            await el.fill(text)
        elif w == "date":
            await el.fill(str(value)[:10])
        elif w == "type":
            await el.click()
            if b.clear:
                await el.fill("")
            await el.press_sequentially(text, delay=b.type_delay_ms)
        elif w == "editor":
            await self._type_editor(el, b, text)
        elif w == "select":
            option = await self._option(el, text, b)
            if option is None:
                if b.fallback:
                    await self.fill(b.fallback, self.profile.fields[b.fallback], frame=frame)
                    self._field_strategy = f"{self._field_strategy} → 改填 {b.fallback}"
                    return
                raise FormChanged(
                    f"网页表单已变化:「{label}」没有选项「{text}」",
                    field=key,
                    selector=b.describe(),
                    channel=self.ctx.channel,
                )
            await el.select_option(value=option)
        elif w == "checkbox":
            want = bool(value) and str(value).lower() not in ("false", "0", "no", "否")
            try:
                await (el.check() if want else el.uncheck())
            except Exception:
                if (await el.is_checked()) != want:
                    await el.click()
        elif w in ("radio", "buttons"):
            items = value if isinstance(value, list) else [value]
            for item in items:
                await self._click_option(
                    el, b.options.get(str(item), str(item)), radio=w == "radio", field=label
                )
        elif w == "dropdown":
            await el.click()
            if b.search:
                box = await self.find(b.search, field=f"{label} 搜索框", frame=b.frame or frame)
                with contextlib.suppress(Exception):
                    await box.fill("")
                await box.press_sequentially(text, delay=b.type_delay_ms)
            await (await self._pick(b.option, text, b, frame, what="选项")).click()
        elif w == "typeahead":
            await el.click()
            await el.fill("")
            await el.press_sequentially(text, delay=b.type_delay_ms or 30)
            await (await self._pick(b.suggestion, text, b, frame, what="候选")).click()
        elif w == "upload":
            await self._upload(el, b, frame)

    async def _type_editor(self, el: Any, b: Binding, text: str) -> None:
        """Click into a rich-text / Markdown editor and type like a person (contenteditable, CodeMirror…)."""
        await el.click()
        kb = self.page.keyboard
        if b.clear:
            await kb.press("ControlOrMeta+A")
            await kb.press("Delete")
        if b.keys:
            await kb.type(text, delay=b.type_delay_ms)
            return
        if b.newlines == "insert":
            await kb.insert_text(text)
            return
        for i, line in enumerate(text.split("\n")):
            if i:
                await kb.press("Enter")
            if line:
                await kb.insert_text(line)

    async def _pick(self, loc: Locator | None, text: str, b: Binding, frame: Frame, *, what: str) -> Any:
        """The option / suggestion showing ``text`` in an opened list."""
        exact = b.match == "exact"
        field = f"{b.label or b.name or '字段'} {what} {text}"
        if loc is None:
            loc = Locator(role="option", name=text, text=text, exact=exact)
        elif loc.css and not (loc.label or loc.role or loc.text or loc.placeholder):
            root = self._root(loc.frame or b.frame or frame)
            deadline = time.monotonic() + self._field_timeout() / 1000
            while True:
                items = root.locator(loc.css)
                cand = (
                    items.filter(has_text=re.compile(rf"^\s*{re.escape(text)}\s*$"))
                    if exact
                    else items.filter(has_text=text)
                )
                target = await self._first(cand, loc, True)
                if target is not None:
                    return target
                if time.monotonic() >= deadline:
                    raise FormChanged(
                        f"网页表单已变化:找不到「{field}」({loc.describe()})",
                        field=field,
                        selector=loc.describe(),
                        channel=self.ctx.channel,
                    )
                await asyncio.sleep(0.1)
        else:
            update: dict[str, Any] = {"exact": exact}
            if loc.role:
                update["name"] = text
            if not loc.text and not loc.role:
                update["text"] = text
            loc = loc.model_copy(update=update)
        return await self.find(loc, field=field, frame=loc.frame or b.frame or frame)

    async def _option(self, select: Any, text: str, b: Binding) -> str | None:
        """The ``value`` of the <option> showing ``text`` (waiting for JS-filled options), or None."""
        opts = select.locator("option")
        deadline = time.monotonic() + (self._field_timeout() if b.wait_option else 0) / 1000
        while True:
            for i in range(await opts.count()):
                label = (await opts.nth(i).inner_text()).strip()
                if label == text or (b.match == "contains" and text in label):
                    return await opts.nth(i).get_attribute("value") or label
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(0.15)

    async def _click_option(self, container: Any, label: str, *, radio: bool, field: str) -> None:
        """Click the radio / button / tag showing ``label`` (exact first, then containing), waiting for it."""
        tries = [container.get_by_label(label, exact=True)] if radio else []
        tries += [
            container.get_by_role("button", name=label, exact=True),
            container.get_by_text(label, exact=True),
        ]
        if radio:
            tries.append(self.page.get_by_label(label, exact=True))
        else:
            tries += [container.get_by_role("button", name=label), container.get_by_text(label)]
        deadline = time.monotonic() + field_timeout_ms() / 1000
        while True:
            for cand in tries:
                if await cand.count() > 0:
                    target = cand.first
                    if radio:
                        try:
                            await target.check()
                        except Exception:
                            await target.click()
                    elif await target.get_attribute("aria-pressed") != "true":
                        await target.click()
                    return
            if time.monotonic() >= deadline:
                break
            await asyncio.sleep(0.15)
        raise FormChanged(
            f"网页表单已变化:「{field}」没有选项「{label}」",
            field=field,
            selector=label,
            channel=self.ctx.channel,
        )

    async def _count(self, loc: Locator, frame: Frame) -> int:
        total = 0
        for _, cand in self._candidates(loc, frame):
            with contextlib.suppress(Exception):
                total = max(total, await cand.count())
        return total

    def files_for(self, b: Binding) -> list[PlannedFile]:
        """The planned files this upload field takes (its ``pick`` / ``max_files``), best first."""
        from kameng_filer.filing.filepick import pick_files

        return pick_files(self.files, self.file_kinds, pick=b.pick, max_files=b.max_files)

    async def _upload(self, el: Any, b: Binding, frame: Frame) -> None:
        """Upload this field's files; wait for each upload to be done before the next (and the submit).

        A widget that uploads at once (a chooser button or a plain ``<input type=file>`` with a script)
        sends its own request per selection: each is waited for until it has finished (at most
        ``upload_timeout_ms``), or until ``uploaded`` lists it. When no request starts within 0.3 s
        (60 ms for a named input inside a form, which the form itself sends) there is nothing to wait for.
        """
        payloads = [
            {"name": f.upload_name, "mimeType": f.mime, "buffer": f.path.read_bytes()}
            for f in self.files_for(b)
        ]
        groups = [payloads] if b.multiple else [[p] for p in payloads]
        listed = b.uploaded
        base = await self._count(listed, b.frame or frame) if listed else 0
        # a named file input inside a form is sent with the form: a widget script that uploads at once
        # starts its request straight from the change event, so a short look is enough
        start_ms = 300
        if not b.chooser and listed is None:
            with contextlib.suppress(Exception):
                if await el.evaluate("e => !!(e.form && e.name)"):
                    start_ms = 60
        done = 0
        for group in groups:
            mark_seen, mark_dialogs = len(self.seen), len(self.dialogs)
            mark_requests = self._requests_seen
            if b.chooser:
                async with self.page.expect_file_chooser(timeout=self._field_timeout()) as info:
                    await el.click()
                chooser = await info.value
                await chooser.set_files(group)
            else:
                await el.set_input_files(group)
            done += len(group)
            if listed is not None:
                await self._wait_uploaded(listed, base + done, b, frame, mark_seen, mark_dialogs)
            elif not await self.settle_requests(
                mark_requests, start_ms=start_ms, timeout_ms=b.upload_timeout_ms
            ):
                raise ChannelUnreachable(
                    f"上传「{b.label or b.name or '附件'}」超时:站点在 {b.upload_timeout_ms // 1000} 秒内没有处理完上传请求",
                    channel=self.ctx.channel,
                )

    async def _wait_uploaded(
        self, listed: Locator, want: int, b: Binding, frame: Frame, mark_seen: int, mark_dialogs: int
    ) -> None:
        """Wait until ``want`` uploads are listed; an error message on the page ends it as rejected."""
        deadline = time.monotonic() + b.upload_timeout_ms / 1000
        while True:
            if await self._count(listed, b.frame or frame) >= want:
                return
            errors = await self.current_errors(since_seen=mark_seen, since_dialog=mark_dialogs)
            if errors:
                raise ChannelRejected(f"上传被拒绝:{errors}", channel=self.ctx.channel)
            if time.monotonic() > deadline:
                raise ChannelUnreachable(
                    f"上传「{b.label or '附件'}」超时(没有出现在 {listed.describe()})",
                    channel=self.ctx.channel,
                )
            await asyncio.sleep(0.1)

    # ------------------------------------------------------------------ human steps
    async def _captcha(self, a: Action) -> None:
        step = a.captcha
        assert step is not None
        img = await self.find(step.image, field="验证码图片", frame=a.frame)
        shot = self.ctx.artifacts / f"captcha-{int(time.time() * 1000)}.png"
        await self.save_image(img, shot)
        self.ctx.progress("等待本人输入图片验证码")
        answer = await self.ctx.person.ask_code(self.ctx.channel, "请输入图片中的验证码", image=shot)
        box = await self.find(step.input, field="验证码输入框", frame=a.frame)
        await box.fill(answer)

    async def _sms(self, a: Action) -> None:
        step = a.sms
        assert step is not None
        if step.phone is not None:
            await self.fill("phone", step.phone, frame=a.frame)
        phone = str(self.values.get("phone", ""))
        masked = f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else phone
        prompt = f"请输入发送到 {masked} 的短信验证码"
        if not getattr(self.ctx.person, "interactive", True):
            # nobody can read the phone now: don't send a code for nothing (it would also start the
            # site's resend cooldown for when the person runs the command again)
            await self.ctx.person.ask_code(self.ctx.channel, prompt)
        send = await self.find(step.send, field="获取验证码按钮", frame=a.frame)
        await send.click()
        for _ in range(SMS_RESENDS):
            wait = await self._sms_cooldown()
            if wait is None:
                break
            # like a person: the site says "请 N 秒后再获取" — wait it out, then ask for the code again
            self.ctx.progress(f"短信发送过于频繁,等待 {wait} 秒后重新获取验证码")
            await asyncio.sleep(wait + 1)
            if step.phone is not None:
                await self.fill("phone", step.phone, frame=a.frame)
            send = await self.find(step.send, field="获取验证码按钮", frame=a.frame)
            await send.click()
        self.ctx.progress("等待本人输入短信验证码")
        code = await self.ctx.person.ask_code(self.ctx.channel, prompt)
        box = await self.find(step.code, field="短信验证码输入框", frame=a.frame)
        await box.fill(code)

    async def _sms_cooldown(self) -> int | None:
        """Seconds the site asks to wait before another SMS code ("请 60 秒后再获取"), or None."""
        with contextlib.suppress(Exception):
            await self.page.wait_for_load_state("domcontentloaded")
        errors = await self.page_errors()
        if not errors or not is_rate_limited(errors):
            return None
        m = re.search(r"(\d{1,3})\s*秒", errors)
        if m is None or int(m.group(1)) > SMS_MAX_WAIT_S:
            return None
        return int(m.group(1))

    async def _qr(self, a: Action) -> None:
        step = a.qr
        assert step is not None
        img = await self.find(step.image, field="登录二维码", frame=a.frame)
        shot = self.ctx.artifacts / f"qr-{int(time.time() * 1000)}.png"
        await self.save_image(img, shot)
        self.ctx.progress("等待本人扫码登录")
        ok = await self.ctx.person.confirm(self.ctx.channel, f"请用手机扫描二维码登录(图片:{shot})")
        if not ok:
            raise ChannelRejected("本人放弃了扫码登录", channel=self.ctx.channel)
        if step.url_contains:
            pattern = step.url_contains
            await self.page.wait_for_url(lambda u: url_matches(pattern, u), timeout=step.timeout_ms)
        elif step.done:
            await self.find(step.done, field="扫码完成", timeout_ms=step.timeout_ms)

    # ------------------------------------------------------------------ login state on any page
    async def _prove_session(self, url: str, response: Any) -> Any:
        """The page just opened shows the login marker, or the session is renewed (once) or expired."""
        if await self.session_ok():
            self.verify_login = False
            return response
        relogin, self.relogin = self.relogin, None
        if relogin is None:
            raise self.expired(f"打开 {url} 时")
        self.ctx.progress("登录已过期,重新登录")
        await relogin()
        return await self.open(url)

    def expired(self, where: str) -> SessionExpired:
        """``SessionExpired`` saying where the login was found missing and what proves it."""
        login = self.profile.login
        marker = login.logged_in.describe() if login else ""
        return SessionExpired(
            f"未登录或登录已过期:{where}页面上没有已登录标志「{marker}」(现在的网址:{self.page.url})",
            channel=self.ctx.channel,
            hint="重新运行同一命令会重新登录;若反复出现,检查站点配置的 login.logged_in 是否在登录后的每个页面上都有",
        )

    async def session_ok(self, timeout_ms: int | None = None) -> bool:
        """True when this page proves the login (``login.logged_in`` visible); False as soon as it
        shows the login page or a logged-out message, or the marker does not appear in time."""
        login = self.profile.login
        if login is None:
            return True
        start = time.monotonic()
        deadline = start + (timeout_ms if timeout_ms is not None else self._field_timeout()) / 1000
        while True:
            with contextlib.suppress(FormChanged):
                await self.find(login.logged_in, field="已登录标志", timeout_ms=0)
                return True
            now = time.monotonic()
            if now >= deadline:
                return False
            # the page's words and password boxes only once the marker had a moment to appear
            # (a 支付密码 box or a "未登录用户" footer must not end a session that is fine)
            if now - start >= 0.8 and await self.looks_logged_out():
                return False
            if login.logged_out_url and url_matches(login.logged_out_url, self.page.url):
                return False
            await asyncio.sleep(0.1)

    async def looks_logged_out(self) -> bool:
        """The page says "not logged in": the ``logged_out_url``, a visible password box, or a
        logged-out message (many sites answer such pages with HTTP 200)."""
        login = self.profile.login
        if login is None:
            return False
        if login.logged_out_url and url_matches(login.logged_out_url, self.page.url):
            return True
        with contextlib.suppress(Exception):
            if await self.page.locator("input[type=password]:visible").count():
                return True
            text = await asyncio.wait_for(self.page.inner_text("body"), 2)
            return LOGGED_OUT_TEXT.search(text[:3000]) is not None
        return False

    async def login_lost(self) -> bool:
        """After a field was not found: True when the page shows that the login is gone."""
        login = self.profile.login
        if login is None or self.values.get("_logging_in"):
            return False
        if await self.looks_logged_out():
            return True
        return not login.check_url and not await self.session_ok(timeout_ms=0)

    # ------------------------------------------------------------------ login
    async def logged_in(self) -> bool:
        """True when the stored session still works (checked on the profile's check URL)."""
        login = self.profile.login
        if login is None:
            return True
        if not login.check_url:
            return False
        self.values["_logging_in"] = "1"
        try:
            await self.open(self.url(login.check_url))
        finally:
            self.values.pop("_logging_in", None)
        if login.logged_out_url and url_matches(login.logged_out_url, self.page.url):
            return False
        if login.logged_in is None:
            return True
        try:
            await self.find(login.logged_in, field="登录状态", timeout_ms=1500)
        except FormChanged:
            return False
        return True

    async def login(self, account: str, password: str | None, *, attempts: int = 3) -> None:
        """Log in with the profile's login steps (the person answers captchas); retries a wrong captcha.

        A login page reached by redirect (``/login?next=/form``) usually sends the browser back where
        it came from: ``success_url`` is matched on the URL's path, so the login page's own ``next``
        parameter never counts as success.
        """
        login = self.profile.login
        if login is None:
            return
        self.values[login.account_field] = account
        if password is not None:
            self.secrets[login.secret_field] = password
        last_error = ""
        probe, self.probe = self.probe, False
        try:
            for _ in range(attempts):
                self.values["_logging_in"] = "1"
                try:
                    await self.open(self.url(login.url))
                    await self.run(login.steps)
                    if await self._login_succeeded(login):
                        return
                    last_error = (await self._login_error(login)) or self._login_note or "登录未成功"
                finally:
                    self.values.pop("_logging_in", None)
                if "验证码" not in last_error:
                    break
        finally:
            self.probe = probe
        raise ChannelRejected(
            f"登录失败:{last_error}", channel=self.ctx.channel, hint="检查账号密码(kameng login)"
        )

    async def _login_succeeded(self, login: Any) -> bool:
        deadline = time.monotonic() + 10
        mark = len(self.http_errors)
        while time.monotonic() < deadline:
            self.raise_http_errors(mark)
            if login.success_url and url_matches(login.success_url, self.page.url):
                # a URL proves nothing on sites that answer logged-out pages with 200: where the marker
                # is on every page (no check_url), it must be there too
                if not login.check_url and not await self.session_ok(timeout_ms=3000):
                    self._login_note = (
                        f"登录后到了 {self.page.url},但页面上没有已登录标志「{login.logged_in.describe()}」"
                        "(站点没有保留登录状态)"
                    )
                    return False
                self._landed = self.page.url
                return True
            if login.success is not None:
                with contextlib.suppress(FormChanged):
                    await self.find(login.success, field="登录成功标志", timeout_ms=200)
                    return True
            if await self._login_error(login):
                return False
            await asyncio.sleep(0.05)
        return False

    async def _login_error(self, login: Any) -> str | None:
        if login.error is None:
            return None
        for _, cand in self._candidates(login.error):
            with contextlib.suppress(Exception):
                if await cand.count() > 0 and await cand.first.is_visible():
                    text = (await cand.first.inner_text()).strip()
                    if text:
                        return text
        return None

    # ------------------------------------------------------------------ submit + receipt
    async def page_errors(self) -> str | None:
        """Visible validation messages on the page, joined, or None."""
        if not self.profile.errors:
            return None
        texts = []
        for _, cand in self._candidates(self.profile.errors):
            try:
                n = await cand.count()
                for i in range(min(n, 10)):
                    item = cand.nth(i)
                    if await item.is_visible():
                        t = (await item.inner_text()).strip()
                        if t:
                            texts.append(t)
            except Exception:
                continue
            if texts:
                break
        return ";".join(dict.fromkeys(texts)) or None

    async def current_errors(self, *, since_seen: int, since_dialog: int, native: bool = False) -> str | None:
        """Validation messages: visible ones, transient error toasts, dialogs matching ``error_pattern``."""
        texts: list[str] = []
        with contextlib.suppress(Exception):
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
            with contextlib.suppress(Exception):
                texts += list(await self.page.evaluate(_INVALID_JS))
        return ";".join(dict.fromkeys(t.strip() for t in texts if t.strip())) or None

    async def submit(self, spec: ReceiptSpec) -> tuple[str, str]:
        """Record ``submitting``, click the final button, and return (complaint number, where it was read)."""
        await self.watch()
        button = await self.find(self.profile.submit, field="提交按钮")
        confirm = self.profile.confirm
        await self.ctx.about_to_submit({k: v for k, v in self.values.items() if not k.startswith("_")})
        mark_seen, mark_dialogs = len(self.seen), len(self.dialogs)
        mark_http = len(self.http_errors)
        url_before = self.page.url
        # don't wait for the navigation here: a site that never answers is read_receipt's to report
        await button.click(no_wait_after=True)
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
                    raise ChannelRejected(f"渠道拒绝了提交:{errors}", channel=self.ctx.channel) from None
                await asyncio.sleep(0.1)
                continue
            await el.click()
            return
        raise FormChanged(
            "网页表单已变化:找不到「确认提交按钮」",
            field="confirm",
            selector=confirm.describe(),
            channel=self.ctx.channel,
        )

    async def _visible_texts(self, selectors: str) -> list[str]:
        out = []
        with contextlib.suppress(Exception):
            items = self.page.locator(selectors)
            for i in range(min(await items.count(), 10)):
                if await items.nth(i).is_visible():
                    out.append(await items.nth(i).inner_text())
        return out

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
            with contextlib.suppress(Exception):
                if spec.where == "url":
                    found = search([self.page.url])
                elif spec.where == "locator" and spec.locator is not None:
                    # seen as it appeared first: the site may already be moving on to another page
                    found = search([s.text for s in self.seen[since_seen:] if "receipt" in s.kinds])
                    for _, cand in [] if found else self._candidates(spec.locator):
                        if await cand.count() > 0:
                            found = search([await cand.first.inner_text()])
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
            # short caps: on a page that is navigating these wait for the next document, and the
            # number (recorded as it appeared) must not wait for them
            if await bounded(self._challenge_shown(), 1.0):
                rounds += 1
                if rounds > CHALLENGE_ROUNDS:
                    not_delivered(self.ctx)
                    raise ChannelRejected(
                        f"提交时的安全验证(图片验证码){CHALLENGE_ROUNDS} 次都没有通过,投诉没有提交",
                        channel=self.ctx.channel,
                        hint="重新运行同一命令,仔细核对图片中的字符",
                    )
                await self._solve_challenge()
                deadline = time.monotonic() + timeout_ms / 1000
                continue
            native = (
                url_before is not None and self.page.url == url_before and time.monotonic() - started > 1.5
            )
            errors = None
            with contextlib.suppress(Exception):
                errors = await bounded(
                    self.current_errors(since_seen=since_seen, since_dialog=since_dialog, native=native), 1.0
                )
            if errors:
                if is_rate_limited(errors):  # "操作过于频繁": refused for now, nothing stored
                    not_delivered(self.ctx)
                raise self.refusal(f"渠道拒绝了提交:{errors}")
            if time.monotonic() > deadline:
                said = ";".join(self.dialogs[since_dialog:] + [s.text for s in self.seen[since_seen:]])[:300]
                raise ChannelUnreachable(
                    "提交后没有看到投诉编号(响应丢失或超时)",
                    channel=self.ctx.channel,
                    detail=f"页面提示:{said}" if said else None,
                )
            await asyncio.sleep(0.1)

    async def _challenge_image(self) -> Any | None:
        login = self.profile.login
        if login and login.logged_out_url and url_matches(login.logged_out_url, self.page.url):
            return None  # the login page's own captcha is not a mid-flow challenge
        with contextlib.suppress(Exception):
            images = self.page.locator(CHALLENGE_IMAGE)
            for i in range(min(await images.count(), 5)):
                img = images.nth(i)
                if await img.is_visible():
                    return img
        return None

    async def _challenge_shown(self) -> bool:
        return await self._challenge_image() is not None

    async def _solve_challenge(self) -> None:
        """The site asks for a captcha after the final click: show it to the person, type, continue."""
        img = await self._challenge_image()
        if img is None:
            return
        container = (
            self.page.locator(f"{DIALOG_SELECTORS},form").filter(has=self.page.locator(CHALLENGE_IMAGE)).last
        )
        shot = self.ctx.artifacts / f"challenge-{int(time.time() * 1000)}.png"
        await self.save_image(img, shot)
        answer = await ask_challenge(self.ctx, shot)
        box = container.locator(CHALLENGE_INPUT).first
        await box.fill(answer)
        src = await img.get_attribute("src")
        await container.locator(CHALLENGE_BUTTON).first.click(no_wait_after=True)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # until the page moved on or showed a new image
            now_img = await self._challenge_image()
            if now_img is None:
                return
            with contextlib.suppress(Exception):
                if await now_img.get_attribute("src") != src:
                    return
            await asyncio.sleep(0.1)

    async def save_image(self, el: Any, path: Path) -> None:
        """Save a captcha / QR image for the person: the <img>'s own pixels when the page allows it
        (no layout wait), else an element screenshot (canvas-drawn or cross-origin images)."""
        data_url = None
        with contextlib.suppress(Exception):
            data_url = await el.evaluate(GRAB_IMAGE_JS)
        if isinstance(data_url, str) and data_url.startswith("data:image/png;base64,"):
            path.write_bytes(base64.b64decode(data_url.split(",", 1)[1]))
            return
        await el.screenshot(path=str(path))

    async def receipt_link(self, spec: ReceiptSpec) -> str | None:
        """The absolute href of the receipt's link to the complaint's own page (``receipt.link``), read at
        once (the site may move on right after showing the receipt); None when there is none."""
        if spec.link is None:
            return None
        for s in reversed(self.seen):
            if "receipt_link" in s.kinds and s.href:
                return s.href
        with contextlib.suppress(Exception):
            el = await self.find(spec.link, field="回执中的详情链接", timeout_ms=500, visible=False)
            href = await asyncio.wait_for(el.get_attribute("href"), 1)
            if href:
                return urljoin(self.page.url, href)
        return None

    def navigating(self) -> bool:
        """True while the page is loading another document (e.g. the site's redirect after the receipt)."""
        for request in list(self._inflight):
            with contextlib.suppress(Exception):
                if request.is_navigation_request() and request.frame == self.page.main_frame:
                    return True
        return False

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
        problems: list[str] = []
        text = ""
        try:  # first: fast, and the page is most likely still the receipt
            text = await asyncio.wait_for(self.page.content(), min(timeout_s, 2.0))
        except Exception as exc:  # "page is navigating": keep the messages seen on it
            problems.append(f"网页未保存({_first_line(exc)})")
        wait = moving_s if self.navigating() else timeout_s
        try:
            await asyncio.wait_for(
                self.page.screenshot(path=str(shot), full_page=True, timeout=wait * 1000), wait + 0.5
            )
        except Exception as exc:  # the page navigated away or hung: keep going without it
            problems.append(f"截图未保存({_first_line(exc) or '超时'})")
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
            note = "回执编号已记下;" + ";".join(problems) + "(回执页面随即跳转或没有响应,不影响投诉)"
            log.warning("receipt artifacts on %s: %s", self.ctx.channel, note)
        return shot, html, note

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


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:160]


def _step_name(a: Action) -> str:
    for key in ("goto", "click", "wait", "wait_url", "fill", "captcha", "sms", "qr", "press"):
        v = getattr(a, key)
        if v:
            if isinstance(v, Locator):
                return f"{key} {v.describe()}"
            if isinstance(v, str | list):
                return f"{key} {v if isinstance(v, str) else ','.join(v)}"
            return key
    return "step"


def _preview(value: Any, *, secret: bool = False) -> str:
    if secret:
        return "******"
    if isinstance(value, list):
        return "、".join(map(str, value))[:60]
    text = " ".join(("" if value is None else str(value)).split())
    return text if len(text) <= 60 else text[:57] + "…"
