"""LAN mode: the assisted-channel guides, read-only, on the person's phone — turned on and off at run time.

Off by default: the workspace listens on 127.0.0.1 only. Turned on (``kameng ui --lan``, or the switch on
the settings page and on the assisted guide pages), a second listener starts on this computer's LAN
address; it answers only ``GET /phone/<guide token>/…`` — read-only guides without forms — and only with
the current guide token (a second random token, not the session token; the QR code carries it).
Turned off, that listener stops and the token is forgotten: the old phone address never works again,
and the next ``on`` makes a new one. The workspace itself stays on the loopback address, behind the
session cookie (``security.Guard``).
"""

from __future__ import annotations

import base64
import contextlib
import io
import re
import secrets
import socket
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from kameng_filer.errors import KamengError
from kameng_filer.twins.server import TwinServer, TwinServerError
from kameng_filer.ui import security

PHONE_PREFIX = "/phone/"
_PHONE_PATH = re.compile(r"^/phone/([^/]+)/")


def lan_address() -> str:
    """This computer's address on the local network (the one its default route uses), or 127.0.0.1."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("10.255.255.255", 1))  # no packet is sent: only picks the outgoing interface
        return str(s.getsockname()[0])
    return "127.0.0.1"


class LanListener(TwinServer):
    """The second uvicorn server, on the LAN address, serving ``PhoneGate`` around the workspace app."""

    def __init__(self, app: Any, host: str, port: int) -> None:
        super().__init__(app, "ui-lan", port=port)
        self.host = host  # deliberately not the loopback address: this is the listener the phone reaches

    def _wait_answering(self, deadline: float) -> None:
        return  # uvicorn's ``started`` already means the socket listens


@dataclass
class LanAccess:
    """Whether the phone guide pages are open to the local network, their address and current token."""

    host: str = field(default_factory=lan_address)
    token: str | None = None
    """The current guide token; None while LAN access is off (an old token then matches nothing)."""
    port_ref: list[int | None] = field(default_factory=lambda: [None])
    """The LAN listener's port while it runs."""
    _listener: LanListener | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def enabled(self) -> bool:
        """True while the LAN listener runs and a guide token is valid."""
        return self.token is not None and self._listener is not None and self._listener.running

    def turn_on(self, app: ASGIApp, preferred_port: int | None = None) -> None:
        """Start the LAN listener (on ``preferred_port`` when free, else any port) with a new guide token."""
        with self._lock:
            if self.enabled:
                return
            gate = PhoneGate(app, self)
            token = secrets.token_urlsafe(24)
            self.token = token
            for port in dict.fromkeys([preferred_port or 0, 0]):
                listener = LanListener(gate, self.host, port)
                try:
                    listener.start()
                except TwinServerError:
                    continue
                self._listener, self.port_ref[0] = listener, listener.port
                return
            self.token = None
            raise KamengError(
                f"无法在局域网地址 {self.host} 上开启手机访问",
                hint="检查电脑是否连着局域网（Wi-Fi 或网线）；工作台本身不受影响，仍可在本机使用",
            )

    def turn_off(self) -> None:
        """Stop the LAN listener and forget the guide token (the phone's address stops working)."""
        with self._lock:
            self.token = None
            listener, self._listener = self._listener, None
            self.port_ref[0] = None
        if listener is not None:
            listener.stop()

    def token_ok(self, given: str | None) -> bool:
        """True when ``given`` is the current guide token (constant-time; always False while off)."""
        current = self.token
        return current is not None and security.same(given, current)

    def guide_url(self, case_id: str, channel: str) -> str:
        """The phone's URL of one assisted channel's guide (what the QR code encodes)."""
        path = f"{PHONE_PREFIX}{self.token}/{quote(case_id, safe='')}/{quote(channel, safe='')}"
        return f"http://{self.host}:{self.port_ref[0]}{path}"


class PhoneGate:
    """What the LAN listener serves: ``GET /phone/<current token>/…`` passed to the app, nothing else."""

    def __init__(self, app: ASGIApp, access: LanAccess) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        response = self._refusal(scope)
        if response is not None:
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope) -> Any:
        access = self.access
        if not access.enabled:
            return security.refusal(
                403, "手机访问已关闭。", "请在电脑上的工作台里重新开启局域网访问，再扫描新的二维码。"
            )
        host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
        try:
            parts = urlsplit(f"//{host}")
            host_ok = parts.hostname == access.host and parts.port == access.port_ref[0]
        except ValueError:
            host_ok = False
        if not host_ok:
            return security.refusal(
                421, "这个地址不是工作台的手机访问地址。", "请扫描电脑上工作台页面里的二维码。"
            )
        match = _PHONE_PATH.match(scope.get("path", ""))
        if match is None or not access.token_ok(match.group(1)):
            return security.refusal(
                404,
                "局域网里只能打开手机指引页面，地址不对或已过期。",
                "请扫描电脑上工作台页面里的新二维码。",
            )
        if scope.get("method") not in ("GET", "HEAD"):
            return security.refusal(405, "手机上的指引页面只能查看。", "请在电脑上的工作台里记录结果。")
        return None


def qr_data_uri(text: str) -> str:
    """A QR code of ``text`` as a ``data:image/png`` URI (the page's CSP allows data: images)."""
    import qrcode

    img = qrcode.make(text, box_size=8, border=2)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
