"""Running a profile's steps (goto / click / wait / wait_url / fill / captcha / sms / qr / press) with their
conditions; a wizard that does not move on is a refusal (a message shown), unreachable (a 5xx) or a
changed form. In a probe a failing step is reported and ends the probe (``ProbeStop``)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence

from kameng_filer.errors import ChannelRejected, FormChanged
from kameng_filer.filing.form.fields import must_show
from kameng_filer.filing.form.reports import FieldReport, ProbeStop, _step_name
from kameng_filer.filing.form.state import BROWSER_ERRORS, Frame, RunnerState
from kameng_filer.filing.profile import Action, Locator, fmt, url_matches


class Steps(RunnerState):
    """Runs profile actions in order."""

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
            self.observer.record(
                FieldReport(
                    key=_step_name(a),
                    label=_step_name(a),
                    kind="step",
                    ok=True,
                    skipped=True,
                    reason="条件不满足，跳过这一步",
                )
            )
            return
        try:
            await self._step_named(a)
        except FormChanged as exc:
            if not self.probe:
                if await self.login_lost():  # a logged-out page, not a changed form
                    raise self.expired(f"在「{exc.field or _step_name(a)}」这一步，") from exc
                if await self.page_missing():  # a "页面不存在" page (often HTTP 200), not a changed form
                    raise FormChanged(
                        f"页面不存在：站点对 {self.page.url} 回答了“页面不存在”，"
                        f"找不到「{exc.field or _step_name(a)}」",
                        field=exc.field,
                        selector=exc.selector,
                        channel=self.ctx.channel,
                        hint="站点可能换了这一页的地址：检查站点配置 steps 里的 goto（kameng adapter try 可逐项检查）",
                    ) from exc
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
            self.observer.record(entry)
            raise ProbeStop(exc.message) from None
        except ChannelRejected as exc:
            if not self.probe:
                raise
            self.observer.record(
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
            self._note_step(a, a.click)
            await el.click(timeout=timeout or 15000)
        elif a.wait:
            await self._wait(a.wait, a.state, timeout or 30000, optional=a.optional, frame=frame)
        elif a.fill:
            keys = [a.fill] if isinstance(a.fill, str) else a.fill
            fields = [self.profile.fields[k] for k in keys]
            self._prefetched = None
            try:
                for i, key in enumerate(keys):
                    # the fields still to fill looked for together (again after a choice that may
                    # show or hide some); a probe reports each field's own search
                    if self._prefetched is None and len(keys) - i > 1 and not self.probe:
                        await self.prefetch([(b, must_show(b)) for b in fields[i:]], frame)
                    await self.fill(key, fields[i], frame=frame)
            finally:
                self._prefetched = None
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
            except BROWSER_ERRORS as exc:  # not there yet (a 500 ms look)
                if "closed" in str(exc):
                    raise
            self.raise_http_errors(mark_http)
            errors = None
            with contextlib.suppress(*BROWSER_ERRORS):
                errors = await self.current_errors(since_seen=mark_seen, since_dialog=mark_dialogs)
            if errors or time.monotonic() >= deadline:
                await self._stalled(f"页面没有跳转到 {pattern}（现在是 {self.page.url}）", pattern)

    def _note_step(self, a: Action, loc: Locator) -> None:
        self.observer.record(
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
                    await self._stalled(f"网页表单已变化：等待「{loc.describe()}」出现超时", loc.describe())
                if not optional and await self.current_errors(since_seen=0, since_dialog=0):
                    await self._stalled(f"网页表单已变化：等待「{loc.describe()}」出现超时", loc.describe())
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
            raise self.refusal(f"页面提示：{errors}")
        raise FormChanged(
            message,
            field=selector,
            selector=selector,
            channel=self.ctx.channel,
            hint="站点流程变了？用 kameng adapter try 检查站点配置",
        )
