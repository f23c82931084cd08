"""Steps only the person can do: a captcha image, an SMS code, a QR login, and the "安全验证" captcha some
sites show only after the final click. Images are saved for the person and the answer is asked through
``ctx.person``; SMS resend cooldowns ("请 60 秒后再获取") are waited out like a person would."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
import time
from pathlib import Path
from typing import Any

from kameng_filer.errors import ChannelRejected
from kameng_filer.filing.boundary import ask_challenge, is_rate_limited
from kameng_filer.filing.form.state import BROWSER_ERRORS, RunnerState
from kameng_filer.filing.form.watching import DIALOG_SELECTORS
from kameng_filer.filing.profile import Action, Locator, url_matches

CHALLENGE_IMAGE = (
    "img[id*=captcha i], img[class*=captcha i], img[src*=captcha i], img[alt*=验证码], img[id*=verify i]"
)
"""A captcha image that appears after the final click (a site's mid-flow "安全验证")."""


CHALLENGE_INPUT = "input[type=text], input:not([type])"


CHALLENGE_BUTTON = "button, input[type=submit], [role=button]"


CHALLENGE_ROUNDS = 3


GRAB_IMAGE_JS = """async el => {
  if (el instanceof HTMLCanvasElement) return el.toDataURL('image/png');
  if (!(el instanceof HTMLImageElement)) return null;
  if (!el.complete) await new Promise((done) => {  // still loading: its pixels in a moment, not a screenshot
    el.addEventListener('load', done, {once: true});
    el.addEventListener('error', done, {once: true});
    setTimeout(done, 2000);
  });
  if (!el.complete || !el.naturalWidth) return null;
  const c = document.createElement('canvas');
  c.width = el.naturalWidth; c.height = el.naturalHeight;
  c.getContext('2d').drawImage(el, 0, 0);
  return c.toDataURL('image/png');
}"""
"""Reads an image's pixels in the page, once it has loaded (throws for a cross-origin image, which then
gets a screenshot)."""


SMS_RESENDS = 2
"""How often an SMS code is asked for again after the site said "too often, wait N seconds"."""


SMS_MAX_WAIT_S = 180
"""Longer cooldowns are not waited out: the channel ends retryable and the person runs it again later."""


class HumanSteps(RunnerState):
    """Captcha / SMS / QR steps and a mid-flow captcha challenge."""

    async def _show_image(self, image: Locator, field: str, stem: str, a: Action, waiting: str) -> Path:
        """Save the image the person must read (a captcha, a QR code) and say that we wait for them."""
        img = await self.find(image, field=field, frame=a.frame)
        shot = self.ctx.artifacts / f"{stem}-{int(time.time() * 1000)}.png"
        await self.save_image(img, shot)
        self.ctx.progress(waiting)
        return shot

    async def _captcha(self, a: Action) -> None:
        step = a.captcha
        assert step is not None
        shot = await self._show_image(step.image, "验证码图片", "captcha", a, "等待本人输入图片验证码")
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
            self.ctx.progress(f"短信发送过于频繁，等待 {wait} 秒后重新获取验证码")
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
        with contextlib.suppress(*BROWSER_ERRORS):
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
        shot = await self._show_image(step.image, "登录二维码", "qr", a, "等待本人扫码登录")
        ok = await self.ctx.person.confirm(self.ctx.channel, f"请用手机扫描二维码登录（图片：{shot}）")
        if not ok:
            raise ChannelRejected("本人放弃了扫码登录", channel=self.ctx.channel)
        if step.url_contains:
            pattern = step.url_contains
            await self.page.wait_for_url(lambda u: url_matches(pattern, u), timeout=step.timeout_ms)
        elif step.done:
            await self.find(step.done, field="扫码完成", timeout_ms=step.timeout_ms)

    async def save_image(self, el: Any, path: Path) -> None:
        """Save a captcha / QR image for the person: the <img>'s own pixels when the page allows it
        (no layout wait), else an element screenshot (canvas-drawn or cross-origin images)."""
        data_url = None
        with contextlib.suppress(*BROWSER_ERRORS):
            data_url = await el.evaluate(GRAB_IMAGE_JS)
        if isinstance(data_url, str) and data_url.startswith("data:image/png;base64,"):
            path.write_bytes(base64.b64decode(data_url.split(",", 1)[1]))
            return
        await el.screenshot(path=str(path))

    async def _challenge_image(self) -> Any | None:
        login = self.profile.login
        if login and login.logged_out_url and url_matches(login.logged_out_url, self.page.url):
            return None  # the login page's own captcha is not a mid-flow challenge
        with contextlib.suppress(*BROWSER_ERRORS):
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
            with contextlib.suppress(*BROWSER_ERRORS):
                if await now_img.get_attribute("src") != src:
                    return
            await asyncio.sleep(0.1)
