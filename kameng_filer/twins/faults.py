"""Fault switches (5xx, timeouts, delay, dropped connections, lost submit responses, changed labels,
rate limit, a captcha appearing mid-flow) and the ASGI layer that applies them."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.responses import HTMLResponse, Response

from kameng_filer.twins.challenge import Challenges, challenge_id_of, replay_receive, replay_scope

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

COUNTERS = (
    "http_500",
    "hang",
    "drop",
    "drop_after_submit",
    "hang_after_submit",
    "rate_limit",
    "captcha_midflow",
)
FAULT_HELP = {
    "http_500": "接下来 n 个请求返回 HTTP 500",
    "hang": "接下来 n 个请求一直不响应,直到客户端超时放弃(最多 120 秒后断开;模拟超时)",
    "delay": "每个请求先等待这么多秒(0 关闭;模拟响应慢)",
    "drop": "接下来 n 个请求直接断开连接,不返回任何响应",
    "drop_after_submit": "接下来 n 次提交:工单/投诉照常保存,但提交请求的连接被断开(模拟响应丢失)",
    "hang_after_submit": "接下来 n 次提交:工单/投诉照常保存,但响应一直不返回,直到客户端放弃(模拟超时)",
    "labels": '"changed" 改掉表单的标签、id 与 name(旧选择器失效);"normal" 恢复',
    "expire_sessions": "true:立即让所有登录/游客会话过期",
    "rate_limit": "接下来 n 次提交(工单/投诉的提交请求)被站点以“操作过于频繁”拒绝,不保存",
    "captcha_midflow": "接下来 n 次提交先弹出图片验证码(安全验证),答对后才保存;答错换一张,不答不保存",
}
INTERNAL_PREFIX = "/_twin"


class FaultError(ValueError):
    """A fault switch request that makes no sense (Chinese message)."""


class Faults:
    """The current fault switches of one twin; counters are consumed by ``take``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counters: dict[str, int] = dict.fromkeys(COUNTERS, 0)
        self.delay = 0.0
        self.labels = "normal"
        self.applied: dict[str, int] = dict.fromkeys(COUNTERS, 0)
        self.requests = 0
        self.submits = 0

    @property
    def labels_changed(self) -> bool:
        """True while the ``labels: changed`` switch is on."""
        return self.labels == "changed"

    def set(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Apply switches from ``spec`` (unknown keys and bad values raise ``FaultError``)."""
        unknown = set(spec) - set(FAULT_HELP)
        if unknown:
            raise FaultError(f"未知的故障开关:{', '.join(sorted(unknown))};可用:{', '.join(FAULT_HELP)}")
        with self._lock:
            for key, value in spec.items():
                if key in COUNTERS:
                    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                        raise FaultError(f"故障开关 {key} 需要非负整数")
                    self.counters[key] = value
                elif key == "delay":
                    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                        raise FaultError("故障开关 delay 需要非负秒数")
                    self.delay = float(value)
                elif key == "labels":
                    if value not in ("changed", "normal"):
                        raise FaultError('故障开关 labels 只能是 "changed" 或 "normal"')
                    self.labels = value
                elif key == "expire_sessions" and not isinstance(value, bool):
                    raise FaultError("故障开关 expire_sessions 需要 true/false")
        return self.snapshot()

    def take(self, key: str) -> bool:
        """Consume one unit of counter ``key``; True when the fault applies to this request."""
        with self._lock:
            if self.counters.get(key, 0) > 0:
                self.counters[key] -= 1
                self.applied[key] += 1
                return True
            return False

    def count(self, *, submit: bool) -> None:
        """Count one site request (and whether it was a submit) for ``stats``."""
        with self._lock:
            self.requests += 1
            if submit:
                self.submits += 1

    def stats(self) -> dict[str, Any]:
        """What the twin saw since the last reset: site requests, submits, and how often each fault hit."""
        with self._lock:
            return {"requests": self.requests, "submits": self.submits, "applied": dict(self.applied)}

    def snapshot(self) -> dict[str, Any]:
        """Current switches."""
        with self._lock:
            return {**self.counters, "delay": self.delay, "labels": self.labels}

    def clear(self) -> None:
        """Every switch off."""
        with self._lock:
            self.counters = dict.fromkeys(COUNTERS, 0)
            self.delay = 0.0
            self.labels = "normal"
            self.applied = dict.fromkeys(COUNTERS, 0)
            self.requests = 0
            self.submits = 0


async def drop_connection(send: Send) -> None:
    """Close the client connection without writing a response (uvicorn h11 transport)."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise RuntimeError("drop fault needs uvicorn's h11 protocol")
    transport.close()
    for _ in range(200):
        if getattr(cycle, "disconnected", True):
            return
        await asyncio.sleep(0.005)


HANG_LIMIT = 120.0
"""After this long a hung request is answered with 504 (a gateway timeout), never closed silently:
browsers resend a POST whose kept-alive connection closes without an answer."""


async def _wait_for_disconnect(receive: Receive, *, limit: float) -> bool:
    """Hold the response back until the client gives up (True) or ``limit`` seconds pass (False)."""
    try:
        async with asyncio.timeout(limit):
            while (await receive())["type"] != "http.disconnect":
                pass
    except TimeoutError:
        return False
    return True


def gateway_timeout_response() -> Response:
    """What a gateway answers when the site behind it never did."""
    return HTMLResponse(
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>504</title></head>'
        "<body><h1>504 Gateway Time-out</h1><p>网关超时,请稍后再试。</p></body></html>",
        status_code=504,
    )


async def send_response(response: Response, send: Send) -> None:
    """Send ``response`` on ``send`` (outside the app that was answering)."""

    async def no_receive() -> Message:
        return {"type": "http.disconnect"}

    await response({"type": "http"}, no_receive, send)


def server_error_response() -> Response:
    """What a broken server answers."""
    return HTMLResponse(
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>500</title></head>'
        "<body><h1>500 Internal Server Error</h1><p>服务器内部错误,请稍后再试。</p></body></html>",
        status_code=500,
    )


class FaultMiddleware:
    """Outermost ASGI layer: applies the switches to every request outside ``/_twin``.

    ``is_submit(scope)`` tells which POSTs are the site's final submits (``rate_limit`` and
    ``captcha_midflow`` act on those only). A handler that stored a submission can ask for the response
    to be lost by setting ``scope["twin"]["drop"] = True`` (see ``WebTwin.lose_response``).
    """

    def __init__(
        self,
        app: ASGIApp,
        faults: Faults,
        rate_limited: Callable[[Scope], Response],
        *,
        is_submit: Callable[[Scope], bool] | None = None,
        challenges: Challenges | None = None,
    ) -> None:
        self.app = app
        self.faults = faults
        self.rate_limited = rate_limited
        self.is_submit = is_submit or (lambda scope: scope["method"] == "POST")
        self.challenges = challenges

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(INTERNAL_PREFIX):
            await self.app(scope, receive, send)
            return
        f = self.faults
        submit = scope["method"] == "POST" and self.is_submit(scope)
        f.count(submit=submit)
        if f.delay:
            await asyncio.sleep(f.delay)
        if f.take("hang"):
            if not await _wait_for_disconnect(receive, limit=HANG_LIMIT):
                await gateway_timeout_response()(scope, receive, send)
            return
        if f.take("drop"):
            await drop_connection(send)
            return
        if f.take("http_500"):
            await server_error_response()(scope, receive, send)
            return
        if submit and self.challenges is not None:
            challenge_id = challenge_id_of(scope)
            if challenge_id is not None:  # the answer to a mid-flow captcha
                answer, held = await self.challenges.answer(scope, receive, challenge_id)
                if answer is not None or held is None:
                    await (answer or server_error_response())(scope, receive, send)
                    return
                scope = replay_scope(scope, held)
                receive = replay_receive(receive, held.body)
            elif f.take("rate_limit"):
                await self.rate_limited(scope)(scope, receive, send)
                return
            elif f.take("captcha_midflow"):
                await (await self.challenges.hold(scope, receive))(scope, receive, send)
                return
        elif submit and f.take("rate_limit"):
            await self.rate_limited(scope)(scope, receive, send)
            return
        flags: dict[str, bool] = {"drop": False, "hang": False}
        scope["twin"] = flags
        dropped = False

        async def guarded_send(message: Message) -> None:
            nonlocal dropped
            if dropped:
                return
            if message["type"] == "http.response.start" and flags["hang"]:
                if not await _wait_for_disconnect(receive, limit=HANG_LIMIT):
                    dropped = True  # the client is still waiting: a gateway gives up on its behalf
                    await send_response(gateway_timeout_response(), send)
                    return
                flags["drop"] = True
            if message["type"] == "http.response.start" and flags["drop"]:
                dropped = True
                await drop_connection(send)
                return
            await send(message)

        await self.app(scope, receive, guarded_send)
