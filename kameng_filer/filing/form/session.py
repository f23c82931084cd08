"""The login: the profile's login steps (retried on a wrong captcha), and its proof on every page opened
(``login.logged_in``), renewed once through ``relogin`` or reported as ``SessionExpired``."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Iterator
from typing import Any

from kameng_filer.errors import ChannelRejected, FormChanged, SessionExpired
from kameng_filer.filing.form.reports import FILING
from kameng_filer.filing.form.state import BROWSER_ERRORS, RunnerState
from kameng_filer.filing.profile import url_matches

NOT_FOUND_TEXT = re.compile(r"页面不存在|找不到(该|此)?页面|不存在或已被?删除|\b404\b|Not Found", re.I)
"""Texts of "no such page" pages (often answered with HTTP 200)."""
LOGGED_OUT_TEXT = re.compile(
    r"登录(会话|状态)?(已经?)?(过期|失效|超时)|请(先|重新)登录|(尚)?未登录|login (expired|required)", re.I
)
"""Messages of pages that say "not logged in" (often answered with HTTP 200)."""


class Session(RunnerState):
    """Logging in, and proving on any page that the session still holds (or renewing it once)."""

    @contextlib.contextmanager
    def logging_in_now(self) -> Iterator[None]:
        """While the login steps run: the pages they open are not checked for the login."""
        before, self.logging_in = self.logging_in, True
        try:
            yield
        finally:
            self.logging_in = before

    async def _prove_session(self, url: str, response: Any) -> Any:
        """The page just opened shows the login marker, or the session is renewed (once) or expired."""
        if await self.session_ok():
            self.verify_login = False
            return response
        relogin, self.relogin = self.relogin, None
        if relogin is None:
            raise self.expired(f"打开 {url} 时")
        self.ctx.progress("登录已过期，重新登录")
        await relogin()
        return await self.open(url)

    def expired(self, where: str) -> SessionExpired:
        """``SessionExpired`` saying where the login was found missing and what proves it."""
        login = self.profile.login
        marker = login.logged_in.describe() if login else ""
        return SessionExpired(
            f"未登录或登录已过期：{where}页面上没有已登录标志「{marker}」（现在的网址：{self.page.url}）",
            channel=self.ctx.channel,
            hint="重新运行同一命令会重新登录；若反复出现，检查站点配置的 login.logged_in 是否在登录后的每个页面上都有",
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
            await asyncio.sleep(0.05)

    async def looks_logged_out(self) -> bool:
        """The page says "not logged in": the ``logged_out_url``, a visible password box, or a
        logged-out message (many sites answer such pages with HTTP 200)."""
        login = self.profile.login
        if login is None:
            return False
        if login.logged_out_url and url_matches(login.logged_out_url, self.page.url):
            return True
        with contextlib.suppress(*BROWSER_ERRORS):
            if await self.page.locator("input[type=password]:visible").count():
                return True
            text = await asyncio.wait_for(self.page.inner_text("body"), 2)
            return LOGGED_OUT_TEXT.search(text[:3000]) is not None
        return False

    async def page_missing(self) -> bool:
        """True when the page says "页面不存在" (a 404 page, which many sites answer with HTTP 200)."""
        with contextlib.suppress(*BROWSER_ERRORS):
            text = await asyncio.wait_for(self.page.inner_text("body"), 2)
            return NOT_FOUND_TEXT.search(text[:2000]) is not None
        return False

    async def login_lost(self) -> bool:
        """After a field was not found: True when the page shows that the login is gone."""
        login = self.profile.login
        if login is None or self.logging_in:
            return False
        if await self.looks_logged_out():
            return True
        return not login.check_url and not await self.session_ok(timeout_ms=0)

    async def logged_in(self) -> bool:
        """True when the stored session still works (checked on the profile's check URL)."""
        login = self.profile.login
        if login is None:
            return True
        if not login.check_url:
            return False
        with self.logging_in_now():
            await self.open(self.url(login.check_url))
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
        observer, self.observer = self.observer, FILING  # a probe reports the form, not the login steps
        try:
            for _ in range(attempts):
                with self.logging_in_now():
                    await self.open(self.url(login.url))
                    await self.run(login.steps)
                    if await self._login_succeeded(login):
                        return
                    last_error = (await self._login_error(login)) or self._login_note or "登录未成功"
                if "验证码" not in last_error:
                    break
        finally:
            self.observer = observer
        raise ChannelRejected(
            f"登录失败：{last_error}", channel=self.ctx.channel, hint="检查账号密码（kameng login）"
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
                        f"登录后到了 {self.page.url}，但页面上没有已登录标志「{login.logged_in.describe()}」"
                        "（站点没有保留登录状态）"
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
            with contextlib.suppress(*BROWSER_ERRORS):
                if await cand.count() > 0 and await cand.first.is_visible():
                    text = (await cand.first.inner_text()).strip()
                    if text:
                        return text
        return None

    async def _check_not_logged_out(self) -> None:
        login = self.profile.login
        if (
            login
            and login.logged_out_url
            and url_matches(login.logged_out_url, self.page.url)
            and not self.logging_in
        ):
            raise SessionExpired("登录状态已失效", channel=self.ctx.channel)
