"""The one boundary where Playwright, httpx, SMTP and OS errors become kameng-filer errors.

As httpx maps httpcore's exceptions in one place, the engine and the tracker wrap each adapter call
once in ``adapter_call(channel)``; adapters raise whatever their libraries raise (or a kameng error
when they know better) and never translate themselves. ``TRANSLATIONS`` is the table, first match
wins; ``HANDLING`` says how the engine ends a channel for each error class.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kameng_filer.adapter import DryRunComplete
from kameng_filer.errors import (
    ChannelRejected,
    ChannelUnreachable,
    FilingError,
    FormChanged,
    HumanActionRequired,
    KamengError,
)
from kameng_filer.vocab import FilingState

_NET_WORDS = (
    "ERR_CONNECTION_REFUSED",
    "ERR_CONNECTION_RESET",
    "ERR_CONNECTION_CLOSED",
    "ERR_EMPTY_RESPONSE",
    "ERR_NAME_NOT_RESOLVED",
    "ERR_ADDRESS_UNREACHABLE",
    "ERR_INTERNET_DISCONNECTED",
    "ERR_TIMED_OUT",
    "ERR_ABORTED",
    "NS_ERROR",
)

Make = Callable[[BaseException, str, str], KamengError]
"""Builds the kameng error from (foreign exception, channel, detail)."""


@dataclass(frozen=True)
class Translation:
    """One row of the table: a foreign exception class (named, so its library is never imported here)."""

    module: str
    name: str
    make: Make

    def matches(self, exc: BaseException) -> bool:
        """True when ``exc`` is an instance of this row's class (only possible once its module is loaded)."""
        cls = getattr(sys.modules.get(self.module), self.name, None)
        return isinstance(cls, type) and isinstance(exc, cls)


def _fixed(cls: type[FilingError], message: str) -> Make:
    def make(exc: BaseException, channel: str, detail: str) -> KamengError:
        return cls(message, channel=channel, detail=detail)

    return make


def _playwright(exc: BaseException, channel: str, detail: str) -> KamengError:
    text = str(exc)
    if any(w in text for w in _NET_WORDS):
        return ChannelUnreachable("无法连接渠道网站", channel=channel, detail=detail)
    if "Executable doesn't exist" in text or "Failed to launch" in text:
        from kameng_filer.browser import no_browser_message

        return FilingError(no_browser_message(), channel=channel, detail=detail)
    if "Target page, context or browser has been closed" in text:
        return ChannelUnreachable("浏览器页面被意外关闭", channel=channel, detail=detail)
    return FilingError("浏览器操作失败", channel=channel, detail=detail)


def _http_status(exc: BaseException, channel: str, detail: str) -> KamengError:
    code = exc.response.status_code  # type: ignore[attr-defined]
    if code >= 500 or code == 429:
        return ChannelUnreachable(f"渠道服务器错误（HTTP {code}）", channel=channel, detail=detail)
    return ChannelRejected(f"渠道拒绝了请求（HTTP {code}）", channel=channel, detail=detail)


def _smtp_answer(exc: BaseException, channel: str, detail: str) -> KamengError:
    code = exc.smtp_code  # type: ignore[attr-defined]
    if 400 <= code < 500:
        return ChannelUnreachable(f"邮件服务器暂时拒绝（SMTP {code}）", channel=channel, detail=detail)
    return ChannelRejected(f"邮件服务器拒绝了邮件（SMTP {code}）", channel=channel, detail=detail)


_PW = "playwright._impl._errors"  # where Playwright's sync and async APIs both take their errors from

TRANSLATIONS: tuple[Translation, ...] = (
    Translation(_PW, "TimeoutError", _fixed(ChannelUnreachable, "渠道网页响应超时")),
    Translation(_PW, "Error", _playwright),
    Translation("httpx", "HTTPStatusError", _http_status),
    Translation("httpx", "TimeoutException", _fixed(ChannelUnreachable, "连接渠道超时")),
    Translation("httpx", "TransportError", _fixed(ChannelUnreachable, "无法连接渠道服务器")),
    Translation("httpx", "HTTPError", _fixed(FilingError, "与渠道服务器通信出错")),
    Translation(
        "smtplib", "SMTPAuthenticationError", _fixed(ChannelRejected, "邮件服务器拒绝登录（用户名或密码错误）")
    ),
    Translation("smtplib", "SMTPResponseException", _smtp_answer),
    Translation("smtplib", "SMTPRecipientsRefused", _fixed(ChannelRejected, "邮件服务器拒绝了收件人地址")),
    Translation("smtplib", "SMTPServerDisconnected", _fixed(ChannelUnreachable, "与邮件服务器的连接中断")),
    Translation("smtplib", "SMTPException", _fixed(FilingError, "发送邮件失败")),
    Translation("builtins", "OSError", _fixed(ChannelUnreachable, "无法连接渠道")),
)
"""Foreign exception → kameng error, first match wins (so subclasses come before their bases:
``smtplib.SMTPException`` is an ``OSError``, ``SMTPAuthenticationError`` an ``SMTPResponseException``)."""

PASS_THROUGH: tuple[type[BaseException], ...] = (KamengError, DryRunComplete)
"""What crosses the boundary unchanged: our own errors and the dry run's stop signal."""


def translate(exc: BaseException, channel: str) -> KamengError:
    """The kameng-filer error for a third-party exception (already-translated errors pass through)."""
    if isinstance(exc, KamengError):
        if isinstance(exc, FilingError) and exc.channel is None:
            exc.channel = channel
        return exc
    first = str(exc).splitlines()[0] if str(exc) else ""
    detail = f"{type(exc).__name__}: {first}"[:500]
    for row in TRANSLATIONS:
        if row.matches(exc):
            return row.make(exc, channel, detail)
    return FilingError("提交过程中出现意外错误", channel=channel, detail=detail)


@contextlib.contextmanager
def adapter_call(channel: str, *, passing: tuple[type[BaseException], ...] = ()) -> Iterator[None]:
    """The one boundary around an adapter call: anything foreign raised inside leaves as a kameng error.

    ``with adapter_call(ch): receipt = await adapter.submit(plan, ctx)``; ``passing`` names more
    exception classes the caller handles itself (a tool's own control flow).
    """
    try:
        yield
    except PASS_THROUGH + passing as exc:
        if isinstance(exc, FilingError) and exc.channel is None:
            exc.channel = channel
        raise
    except Exception as exc:
        raise translate(exc, channel) from exc


@dataclass(frozen=True)
class Handling:
    """How the engine ends a channel on an error of one class."""

    state: FilingState
    retry: bool = False
    """Worth another attempt (with backoff; after the final click only once reconciliation found nothing)."""
    screenshot: str | None = None
    """Stem of the failure screenshot kept as an artifact; None: no screenshot."""
    detail: bool = False
    """Whether the technical detail is stored with the error."""


HANDLING: dict[type[KamengError], Handling] = {
    ChannelUnreachable: Handling(FilingState.FAILED, retry=True, screenshot="unreachable", detail=True),
    HumanActionRequired: Handling(FilingState.NEEDS_PERSON),
    FormChanged: Handling(FilingState.FAILED, screenshot="form-changed"),
    ChannelRejected: Handling(FilingState.REJECTED, screenshot="rejected"),
    FilingError: Handling(FilingState.FAILED, screenshot="failed", detail=True),
    KamengError: Handling(FilingState.FAILED),
}
"""Error class → outcome; the nearest class in the error's MRO decides (``SessionExpired`` and
``AlreadyFiled`` are control flow in the engine: log in again once / keep the record)."""


def handling(exc: KamengError) -> Handling:
    """How the engine ends a channel on ``exc``."""
    for cls in type(exc).__mro__:
        if cls in HANDLING:
            return HANDLING[cls]
    return HANDLING[KamengError]


RATE_WORDS = ("频繁", "too many requests", "rate limit")
"""Words in a site's answer that mean "slow down" (a temporary refusal: retry later)."""


def is_rate_limited(message: str) -> bool:
    """True when a site's message says the request was refused for coming too often."""
    low = message.lower()
    return any(w in low for w in RATE_WORDS)


def http_status_error(status: int, channel: str, *, url: str = "") -> ChannelUnreachable:
    """A 5xx or 429 answer of a site: retryable, with a Chinese message naming the status."""
    detail = f"HTTP {status} {url}".strip()
    if status == 429:
        return ChannelUnreachable("渠道提示操作过于频繁（HTTP 429），请稍后再试", channel=channel, detail=detail)
    return ChannelUnreachable(f"渠道服务器错误（HTTP {status}）", channel=channel, detail=detail)


def not_delivered(ctx: object) -> None:
    """The site answered the final submit with a definite refusal (nothing stored): no reconciliation needed.

    Calls the engine's ``ChannelRun.not_delivered`` (which also clears the durable ``submitting`` mark);
    with another context only its ``submit_started`` flag is reset.
    """
    undo = getattr(ctx, "not_delivered", None)
    if callable(undo):
        undo()
    elif hasattr(ctx, "submit_started"):
        ctx.submit_started = False  # type: ignore[attr-defined]


async def ask_challenge(ctx: Any, shot: Path) -> str:
    """The person reads the captcha a site shows only at the final submit; without a person the channel
    ends ``needs_person`` with nothing stored (the submit never went through)."""
    ctx.progress("网站在提交时要求安全验证，等待本人输入图片验证码")
    try:
        return await ctx.person.ask_code(
            ctx.channel, "提交时网站要求安全验证：请输入图片中的验证码", image=shot
        )
    except HumanActionRequired as exc:
        not_delivered(ctx)
        raise HumanActionRequired(
            f"提交时网站弹出了安全验证（图片验证码），需要本人输入；投诉尚未提交（验证码图片：{shot}）",
            channel=ctx.channel,
            hint=exc.hint or "在终端中重新运行同一命令，按提示输入图片中的验证码",
        ) from None
