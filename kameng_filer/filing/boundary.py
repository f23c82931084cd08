"""The one boundary where Playwright, httpx and SMTP errors become kameng-filer errors."""

from __future__ import annotations

import contextlib
import smtplib
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kameng_filer.errors import (
    ChannelRejected,
    ChannelUnreachable,
    FilingError,
    HumanActionRequired,
    KamengError,
)

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


def translate(exc: BaseException, channel: str) -> KamengError:
    """The kameng-filer error for a third-party exception (already-translated errors pass through)."""
    if isinstance(exc, KamengError):
        if isinstance(exc, FilingError) and exc.channel is None:
            exc.channel = channel
        return exc
    detail = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:500]
    from playwright.async_api import Error as PwError  # lazy: Playwright is heavy to import
    from playwright.async_api import TimeoutError as PwTimeout

    if isinstance(exc, PwTimeout):
        return ChannelUnreachable("渠道网页响应超时", channel=channel, detail=detail)
    if isinstance(exc, PwError):
        text = str(exc)
        if any(w in text for w in _NET_WORDS):
            return ChannelUnreachable("无法连接渠道网站", channel=channel, detail=detail)
        if "Executable doesn't exist" in text or "Failed to launch" in text:
            from kameng_filer.browser import no_browser_message

            return FilingError(no_browser_message(), channel=channel, detail=detail)
        if "Target page, context or browser has been closed" in text:
            return ChannelUnreachable("浏览器页面被意外关闭", channel=channel, detail=detail)
        return FilingError("浏览器操作失败", channel=channel, detail=detail)
    # httpx (only loaded by the channels that use it: an error of it cannot exist before)
    httpx = sys.modules.get("httpx")
    if httpx is not None and isinstance(exc, httpx.HTTPStatusError):
        code = exc.response.status_code
        if code >= 500 or code == 429:
            return ChannelUnreachable(f"渠道服务器错误(HTTP {code})", channel=channel, detail=detail)
        return ChannelRejected(f"渠道拒绝了请求(HTTP {code})", channel=channel, detail=detail)
    if httpx is not None and isinstance(exc, httpx.TimeoutException):
        return ChannelUnreachable("连接渠道超时", channel=channel, detail=detail)
    if httpx is not None and isinstance(exc, httpx.TransportError):
        return ChannelUnreachable("无法连接渠道服务器", channel=channel, detail=detail)
    # SMTP
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return ChannelRejected("邮件服务器拒绝登录(用户名或密码错误)", channel=channel, detail=detail)
    if isinstance(exc, smtplib.SMTPResponseException):
        if 400 <= exc.smtp_code < 500:
            return ChannelUnreachable(
                f"邮件服务器暂时拒绝(SMTP {exc.smtp_code})", channel=channel, detail=detail
            )
        return ChannelRejected(f"邮件服务器拒绝了邮件(SMTP {exc.smtp_code})", channel=channel, detail=detail)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return ChannelRejected("邮件服务器拒绝了收件人地址", channel=channel, detail=detail)
    if isinstance(exc, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError):
        return ChannelUnreachable("与邮件服务器的连接中断", channel=channel, detail=detail)
    if isinstance(exc, smtplib.SMTPException):
        return FilingError("发送邮件失败", channel=channel, detail=detail)
    if isinstance(exc, ConnectionError | socket.timeout | TimeoutError | OSError):
        return ChannelUnreachable("无法连接渠道", channel=channel, detail=detail)
    return FilingError("提交过程中出现意外错误", channel=channel, detail=detail)


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
        return ChannelUnreachable("渠道提示操作过于频繁(HTTP 429),请稍后再试", channel=channel, detail=detail)
    return ChannelUnreachable(f"渠道服务器错误(HTTP {status})", channel=channel, detail=detail)


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


@contextlib.contextmanager
def mapped(channel: str) -> Iterator[None]:
    """Translate any third-party exception raised inside the block."""
    try:
        yield
    except KamengError:
        raise
    except Exception as exc:
        raise translate(exc, channel) from exc


async def ask_challenge(ctx: Any, shot: Path) -> str:
    """The person reads the captcha a site shows only at the final submit; without a person the channel
    ends ``needs_person`` with nothing stored (the submit never went through)."""
    ctx.progress("网站在提交时要求安全验证,等待本人输入图片验证码")
    try:
        return await ctx.person.ask_code(
            ctx.channel, "提交时网站要求安全验证:请输入图片中的验证码", image=shot
        )
    except HumanActionRequired as exc:
        not_delivered(ctx)
        raise HumanActionRequired(
            f"提交时网站弹出了安全验证(图片验证码),需要本人输入;投诉尚未提交(验证码图片:{shot})",
            channel=ctx.channel,
            hint=exc.hint or "在终端中重新运行同一命令,按提示输入图片中的验证码",
        ) from None
