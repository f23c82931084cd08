"""Access control of the local web workspace: session token, Host check, CSRF on every POST."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

COOKIE = "kameng_ui"
"""Cookie name prefix; the name carries the port (cookies are shared by every port of 127.0.0.1, so two
workspaces running at once would otherwise overwrite each other's token)."""
TOKEN_PARAM = "token"
CSRF_FIELD = "csrf"
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost"})

SAFE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
}


def new_token() -> str:
    """A fresh random session token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def csrf_token(token: str) -> str:
    """The CSRF value put in forms: derived from the session token, so the token itself never is."""
    return hmac.new(token.encode(), b"kameng-ui-csrf", hashlib.sha256).hexdigest()


def cookie_name(port: int | None) -> str:
    """The session cookie's name for the workspace on ``port``."""
    return f"{COOKIE}_{port}" if port else COOKIE


def same(a: str | None, b: str) -> bool:
    """Constant-time comparison that treats a missing value as a mismatch."""
    return a is not None and hmac.compare_digest(a.encode(), b.encode())


def host_ok(host: str | None, port: int | None) -> bool:
    """True when the Host header names the loopback address (and our port, when known)."""
    if not host:
        return False
    try:
        parts = urlsplit(f"//{host}")
        given_port = parts.port
    except ValueError:
        return False
    if parts.hostname not in LOOPBACK_NAMES:
        return False
    return port is None or given_port == port


def origin_ok(request: Request) -> bool:
    """True when a POST comes from a page of this app (Origin, or else Referer, matches the Host)."""
    host = request.headers.get("host", "")
    expected = f"http://{host}"
    origin = request.headers.get("origin")
    if origin is not None:
        return origin == expected
    referer = request.headers.get("referer")
    if referer:
        parts = urlsplit(referer)
        return f"{parts.scheme}://{parts.netloc}" == expected
    return False


def refusal(status: int, message: str, hint: str) -> Response:
    """A short Chinese refusal page (no details of the token, no stack)."""
    body = (
        '<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>无法访问</title>'
        f"<h1>无法访问</h1><p>{message}</p><p>{hint}</p></html>"
    )
    return HTMLResponse(body, status_code=status, headers=SAFE_HEADERS)


class Guard:
    """ASGI middleware: refuse foreign Hosts, requests without the token, and cross-site POSTs."""

    def __init__(self, app: ASGIApp, token: str, port_ref: list[int | None], lan: Any = None) -> None:
        self.app = app
        self.token = token
        self.csrf = csrf_token(token)
        self.port_ref = port_ref
        self.lan = lan
        """``lan.LanAccess``: while it is on, ``/phone/`` guide pages (checked by their own token) need no
        session; the LAN listener itself passes only those (``lan.PhoneGate``)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        response = await self._check(request)
        if response is not None:
            await response(scope, receive, send)
            return

        async def send_safe(message: dict) -> None:  # type: ignore[type-arg]
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                have = {k.lower() for k, _ in headers}
                for name, value in SAFE_HEADERS.items():
                    if name.lower().encode() not in have:
                        headers.append((name.lower().encode(), value.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_safe)

    async def _check(self, request: Request) -> Response | None:
        lan_on = self.lan is not None and self.lan.enabled
        if lan_on and request.url.path.startswith("/phone/"):  # read-only, token in the path
            if request.method in ("GET", "HEAD"):
                return None
            return refusal(405, "手机上的指引页面只能查看。", "请在电脑上的工作台里记录结果。")
        client = request.client.host if request.client else ""
        if client not in ("127.0.0.1", "::1"):  # from the LAN listener: nothing but /phone/ (above)
            return refusal(403, "局域网里只能打开手机指引页面。", "请在运行 kameng ui 的电脑上使用工作台。")
        if not host_ok(request.headers.get("host"), self.port_ref[0]):
            return refusal(
                421,
                "这个地址不是本机的工作台地址。",
                "请用 kameng ui 在终端里显示的 http://127.0.0.1 地址打开。",
            )
        given = request.query_params.get(TOKEN_PARAM)
        if given is not None:
            if not same(given, self.token):
                return refusal(403, "地址里的令牌不正确或已过期。", "请使用 kameng ui 本次启动时显示的地址。")
            rest = [(k, v) for k, v in request.query_params.multi_items() if k != TOKEN_PARAM]
            target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
            response = RedirectResponse(target, status_code=303, headers=SAFE_HEADERS)
            response.set_cookie(
                cookie_name(self.port_ref[0]), self.token, httponly=True, samesite="strict", path="/"
            )
            return response
        if not same(request.cookies.get(cookie_name(self.port_ref[0])), self.token):
            return refusal(
                403, "需要带令牌的地址才能打开工作台。", "请使用 kameng ui 启动时在终端里显示的完整地址。"
            )
        if request.method not in ("GET", "HEAD") and not origin_ok(request):
            return refusal(403, "拒绝来自其他网站的提交。", "请在工作台页面里点按钮提交。")
        return None
