"""Drive a web form in Playwright from a site profile: find fields like a person would, fill, submit, read the receipt."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from kameng_filer.adapter import FilingContext, PlannedFile
from kameng_filer.errors import ChannelRejected, ChannelUnreachable, FormChanged, SessionExpired
from kameng_filer.filing.profile import Action, Binding, Locator, Profile, ReceiptSpec, fmt


def field_timeout_ms() -> int:
    """How long to look for one field before declaring the form changed."""
    return int(os.environ.get("KAMENG_FIELD_TIMEOUT_MS", "6000"))


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
    ) -> None:
        self.page = page
        self.profile = profile
        self.values = values
        self.files = list(files)
        self.ctx = ctx
        self.base_url = (base_url or profile.base_url).rstrip("/") + "/"
        self.dialogs: list[str] = []
        self.secrets: dict[str, str] = {}
        page.on("dialog", self._on_dialog)

    async def _on_dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        with contextlib.suppress(Exception):
            await dialog.accept()

    # ------------------------------------------------------------------ locating
    def url(self, template: str) -> str:
        """Absolute URL for a profile path/template."""
        return urljoin(self.base_url, fmt(template, self.values).lstrip("/"))

    def _candidates(self, loc: Locator) -> list[tuple[str, Any]]:
        root = self.page.frame_locator(loc.frame) if loc.frame else self.page
        out: list[tuple[str, Any]] = []
        if loc.label:
            out.append((f"label={loc.label}", root.get_by_label(loc.label, exact=loc.exact)))
        if loc.role:
            kw = {"name": loc.name, "exact": loc.exact} if loc.name else {}
            out.append((f"role={loc.role}", root.get_by_role(loc.role, **kw)))
        if loc.placeholder:
            out.append((f"placeholder={loc.placeholder}", root.get_by_placeholder(loc.placeholder, exact=loc.exact)))
        if loc.text:
            out.append((f"text={loc.text}", root.get_by_text(loc.text, exact=loc.exact)))
        if loc.css:
            out.append((f"css={loc.css}", root.locator(loc.css)))
        return out

    async def find(self, loc: Locator, *, field: str, timeout_ms: int | None = None, visible: bool = True) -> Any:
        """The element for ``loc`` (first strategy that matches); ``FormChanged`` naming field + selector."""
        deadline = time.monotonic() + (timeout_ms if timeout_ms is not None else field_timeout_ms()) / 1000
        candidates = self._candidates(loc)
        while True:
            for _, cand in candidates:
                target = cand.nth(loc.nth) if loc.nth is not None else cand.first
                try:
                    if await cand.count() > 0 and (not visible or await target.is_visible()):
                        return target
                except Exception as exc:  # a detached frame while navigating: try again
                    if "closed" in str(exc):
                        raise
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

    # ------------------------------------------------------------------ steps
    async def run(self, actions: Sequence[Action]) -> None:
        """Run profile steps in order."""
        for action in actions:
            await self.step(action)

    async def step(self, a: Action) -> None:
        """Run one step."""
        timeout = a.timeout_ms
        if a.if_url and a.if_url not in self.page.url:
            return
        if a.goto:
            await self.page.goto(self.url(a.goto), wait_until="domcontentloaded")
            await self._check_not_logged_out()
        elif a.wait_url:
            await self.page.wait_for_url(re.compile(re.escape(fmt(a.wait_url, self.values))), timeout=timeout or 15000)
        elif a.click:
            try:
                el = await self.find(a.click, field=a.click.describe(), timeout_ms=timeout)
            except FormChanged:
                if a.optional:
                    return
                raise
            await el.click(timeout=timeout or 15000)
        elif a.wait:
            await self._wait(a.wait, a.state, timeout or 30000, optional=a.optional)
        elif a.fill:
            for key in [a.fill] if isinstance(a.fill, str) else a.fill:
                await self.fill(key, self.profile.fields[key])
        elif a.captcha:
            await self._captcha(a)
        elif a.sms:
            await self._sms(a)
        elif a.qr:
            await self._qr(a)
        elif a.press:
            await self.page.keyboard.press(a.press)

    async def _wait(self, loc: Locator, state: str, timeout: int, *, optional: bool = False) -> None:
        try:
            el = await self.find(loc, field=loc.describe(), timeout_ms=timeout, visible=state != "attached")
        except FormChanged:
            if optional:
                return
            raise
        if state == "enabled":
            deadline = time.monotonic() + timeout / 1000
            while not await el.is_enabled():
                if time.monotonic() > deadline:
                    raise FormChanged(
                        f"等待「{loc.describe()}」可用超时", field=loc.describe(), selector=loc.describe(), channel=self.ctx.channel
                    )
                await asyncio.sleep(0.2)
        elif state == "hidden":
            await el.wait_for(state="hidden", timeout=timeout)

    async def _check_not_logged_out(self) -> None:
        login = self.profile.login
        if login and login.logged_out_url and login.logged_out_url in self.page.url and not self.values.get("_logging_in"):
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

    async def fill(self, key: str, b: Binding) -> None:
        """Fill one field the way its widget needs (typing, picking, clicking, uploading)."""
        value = self.value_for(key, b)
        if value in (None, "", []) and b.widget != "upload":
            if b.required:
                return
            return
        self.ctx.progress(f"填写 {b.label or key}")
        try:
            el = await self.find(b, field=b.label or key, visible=b.widget not in ("upload",) or b.chooser)
        except FormChanged:
            if not b.required:
                return
            raise
        text = b.options.get(str(value), str(value)) if not isinstance(value, list) else None
        w = b.widget
        if w == "text":
            await el.fill(text)
        elif w == "date":
            await el.fill(str(value)[:10])
        elif w == "type":
            await el.click()
            await el.fill("")
            await el.press_sequentially(text, delay=b.type_delay_ms)
        elif w == "editor":
            await el.click()
            await self.page.keyboard.insert_text(text)
        elif w == "select":
            option = await self._option(el, text, b)
            if option is None:
                if b.fallback:
                    await self.fill(b.fallback, self.profile.fields[b.fallback])
                    return
                raise FormChanged(
                    f"网页表单已变化:「{b.label or key}」没有选项「{text}」",
                    field=key,
                    selector=b.describe(),
                    channel=self.ctx.channel,
                )
            await el.select_option(value=option)
        elif w == "checkbox":
            if value and str(value).lower() not in ("false", "0", "no"):
                await el.check()
            else:
                await el.uncheck()
        elif w in ("radio", "buttons"):
            items = value if isinstance(value, list) else [value]
            for item in items:
                label = b.options.get(str(item), str(item))
                await self._click_option(el, label, radio=w == "radio", field=b.label or key)
        elif w == "dropdown":
            await el.click()
            if b.search:
                box = await self.find(b.search, field=f"{b.label or key} 搜索框")
                await box.press_sequentially(text, delay=b.type_delay_ms)
            opt_loc = b.option or Locator(role="option", name=text, text=text, exact=True)
            opt = await self.find(opt_loc.model_copy(update={"name": text} if opt_loc.role else {}), field=f"{b.label or key} 选项 {text}")
            await opt.click()
        elif w == "typeahead":
            await el.click()
            await el.fill("")
            await el.press_sequentially(text, delay=b.type_delay_ms or 30)
            sug = b.suggestion or Locator(text=text)
            if b.suggestion and b.suggestion.text is None and b.suggestion.css and not b.suggestion.label:
                cand = self.page.locator(b.suggestion.css).filter(has_text=text).first
                await cand.wait_for(state="visible", timeout=field_timeout_ms())
                await cand.click()
            else:
                target = await self.find(sug, field=f"{b.label or key} 候选 {text}")
                await target.click()
        elif w == "upload":
            await self._upload(el, b)

    async def _option(self, select: Any, text: str, b: Binding) -> str | None:
        """The ``value`` of the <option> showing ``text`` (waiting for JS-filled options), or None."""
        opts = select.locator("option")
        deadline = time.monotonic() + (field_timeout_ms() if b.wait_option else 0) / 1000
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
        tries += [container.get_by_role("button", name=label, exact=True), container.get_by_text(label, exact=True)]
        if radio:
            tries.append(self.page.get_by_label(label, exact=True))
        else:
            tries += [container.get_by_role("button", name=label), container.get_by_text(label)]
        deadline = time.monotonic() + field_timeout_ms() / 1000
        while True:
            for cand in tries:
                if await cand.count() > 0:
                    if radio:
                        try:
                            await cand.first.check()
                        except Exception:
                            await cand.first.click()
                    else:
                        await cand.first.click()
                    return
            if time.monotonic() >= deadline:
                break
            await asyncio.sleep(0.15)
        raise FormChanged(f"网页表单已变化:「{field}」没有选项「{label}」", field=field, selector=label, channel=self.ctx.channel)

    async def _upload(self, el: Any, b: Binding) -> None:
        payloads = [{"name": f.upload_name, "mimeType": f.mime, "buffer": f.path.read_bytes()} for f in self.files]
        if not payloads:
            return
        groups = [payloads] if b.multiple else [[p] for p in payloads]
        for group in groups:
            if b.chooser:
                async with self.page.expect_file_chooser() as info:
                    await el.click()
                chooser = await info.value
                await chooser.set_files(group)
            else:
                await el.set_input_files(group)
            with contextlib.suppress(Exception):
                await self.page.wait_for_load_state("networkidle", timeout=5000)

    # ------------------------------------------------------------------ human steps
    async def _captcha(self, a: Action) -> None:
        step = a.captcha
        assert step is not None
        img = await self.find(step.image, field="验证码图片")
        shot = self.ctx.artifacts / f"captcha-{int(time.time() * 1000)}.png"
        await img.screenshot(path=str(shot))
        self.ctx.progress("等待本人输入图片验证码")
        answer = await self.ctx.person.ask_code(self.ctx.channel, "请输入图片中的验证码", image=shot)
        box = await self.find(step.input, field="验证码输入框")
        await box.fill(answer)

    async def _sms(self, a: Action) -> None:
        step = a.sms
        assert step is not None
        if step.phone is not None:
            await self.fill("phone", step.phone)
        send = await self.find(step.send, field="获取验证码按钮")
        await send.click()
        self.ctx.progress("等待本人输入短信验证码")
        phone = self.values.get("phone", "")
        masked = f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else phone
        code = await self.ctx.person.ask_code(self.ctx.channel, f"请输入发送到 {masked} 的短信验证码")
        box = await self.find(step.code, field="短信验证码输入框")
        await box.fill(code)

    async def _qr(self, a: Action) -> None:
        step = a.qr
        assert step is not None
        img = await self.find(step.image, field="登录二维码")
        shot = self.ctx.artifacts / f"qr-{int(time.time() * 1000)}.png"
        await img.screenshot(path=str(shot))
        self.ctx.progress("等待本人扫码登录")
        ok = await self.ctx.person.confirm(self.ctx.channel, f"请用手机扫描二维码登录(图片:{shot})")
        if not ok:
            raise ChannelRejected("本人放弃了扫码登录", channel=self.ctx.channel)
        if step.url_contains:
            await self.page.wait_for_url(re.compile(re.escape(step.url_contains)), timeout=step.timeout_ms)
        elif step.done:
            await self.find(step.done, field="扫码完成", timeout_ms=step.timeout_ms)

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
            await self.page.goto(self.url(login.check_url), wait_until="domcontentloaded")
        finally:
            self.values.pop("_logging_in", None)
        if login.logged_out_url and login.logged_out_url in self.page.url:
            return False
        if login.logged_in is None:
            return True
        try:
            await self.find(login.logged_in, field="登录状态", timeout_ms=1500)
        except FormChanged:
            return False
        return True

    async def login(self, account: str, password: str | None, *, attempts: int = 3) -> None:
        """Log in with the profile's login steps (the person answers captchas); retries a wrong captcha."""
        login = self.profile.login
        if login is None:
            return
        self.values[login.account_field] = account
        if password is not None:
            self.secrets[login.secret_field] = password
        last_error = ""
        for _ in range(attempts):
            self.values["_logging_in"] = "1"
            try:
                await self.page.goto(self.url(login.url), wait_until="domcontentloaded")
                await self.run(login.steps)
                if await self._login_succeeded(login):
                    return
                last_error = (await self._login_error(login)) or "登录未成功"
            finally:
                self.values.pop("_logging_in", None)
            if "验证码" not in last_error:
                break
        raise ChannelRejected(f"登录失败:{last_error}", channel=self.ctx.channel, hint="检查账号密码(kameng login)")

    async def _login_succeeded(self, login: Any) -> bool:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if login.success_url and login.success_url in self.page.url:
                return True
            if login.success is not None:
                with contextlib.suppress(FormChanged):
                    await self.find(login.success, field="登录成功标志", timeout_ms=200)
                    return True
            if await self._login_error(login):
                return False
            await asyncio.sleep(0.15)
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

    async def submit(self, spec: ReceiptSpec) -> tuple[str, str]:
        """Record ``submitting``, click the final button, and return (complaint number, where it was read)."""
        button = await self.find(self.profile.submit, field="提交按钮")
        confirm = self.profile.confirm
        await self.ctx.about_to_submit({k: v for k, v in self.values.items() if not k.startswith("_")})
        await button.click()
        if confirm:
            await (await self.find(confirm, field="确认提交按钮", timeout_ms=10000)).click()
        return await self.read_receipt(spec)

    async def read_receipt(self, spec: ReceiptSpec) -> tuple[str, str]:
        """Wait for the complaint number (page text, URL, toast, dialog or locator) or a validation message."""
        rx = re.compile(spec.pattern)
        timeout_ms = int(os.environ.get("KAMENG_RECEIPT_TIMEOUT_MS", spec.timeout_ms))
        deadline = time.monotonic() + timeout_ms / 1000
        js = "(re) => { const m = (document.body ? document.body.innerText : '').match(new RegExp(re)); return m ? m[0] : null; }"
        while True:
            found: str | None = None
            with contextlib.suppress(Exception):
                if spec.where == "url":
                    m = rx.search(self.page.url)
                    found = m.group(0) if m else None
                elif spec.where == "dialog":
                    for msg in self.dialogs:
                        m = rx.search(msg)
                        if m:
                            found = m.group(0)
                            break
                elif spec.where == "locator" and spec.locator is not None:
                    for _, cand in self._candidates(spec.locator):
                        if await cand.count() > 0:
                            m = rx.search(await cand.first.inner_text())
                            if m:
                                found = m.group(0)
                                break
                else:
                    found = await self.page.evaluate(js, spec.pattern)
                    if not found:
                        for msg in self.dialogs:
                            m = rx.search(msg)
                            if m:
                                found = m.group(0)
            if found:
                return found, spec.where
            errors = None
            with contextlib.suppress(Exception):
                errors = await self.page_errors()
            if errors:
                raise ChannelRejected(f"渠道拒绝了提交:{errors}", channel=self.ctx.channel)
            if time.monotonic() > deadline:
                raise ChannelUnreachable("提交后没有看到投诉编号(响应丢失或超时)", channel=self.ctx.channel)
            await asyncio.sleep(0.1)

    async def save_page(self, stem: str) -> tuple[Path, Path]:
        """Screenshot + HTML of the current page into the artifacts folder."""
        shot = self.ctx.artifacts / f"{stem}.png"
        html = self.ctx.artifacts / f"{stem}.html"
        await self.page.screenshot(path=str(shot), full_page=True)
        html.write_text(await self.page.content(), encoding="utf-8")
        return shot, html
