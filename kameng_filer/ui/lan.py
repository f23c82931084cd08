"""LAN mode (``kameng ui --lan``): the assisted-channel guides, read-only, on the person's phone.

Off by default: the workspace listens on 127.0.0.1 only. With ``--lan`` it also listens on the local
network, but there it answers only ``/phone/<guide token>/…`` pages — read-only guides without forms —
and only with the right guide token (a second random token, not the session token; the QR code on
the guide page carries it). Everything else still needs the loopback address and the session cookie.
"""

from __future__ import annotations

import base64
import contextlib
import io
import secrets
import socket
from dataclasses import dataclass, field
from urllib.parse import quote

PHONE_PREFIX = "/phone/"


def lan_address() -> str:
    """This computer's address on the local network (the one its default route uses), or 127.0.0.1."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("10.255.255.255", 1))  # no packet is sent: only picks the outgoing interface
        return str(s.getsockname()[0])
    return "127.0.0.1"


@dataclass
class LanAccess:
    """The phone guide pages' address and token (``port_ref`` is filled in when the server starts)."""

    host: str = field(default_factory=lan_address)
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    port_ref: list[int | None] = field(default_factory=lambda: [None])

    def guide_url(self, case_id: str, channel: str) -> str:
        """The phone's URL of one assisted channel's guide (what the QR code encodes)."""
        path = f"{PHONE_PREFIX}{self.token}/{quote(case_id, safe='')}/{quote(channel, safe='')}"
        return f"http://{self.host}:{self.port_ref[0]}{path}"


def qr_data_uri(text: str) -> str:
    """A QR code of ``text`` as a ``data:image/png`` URI (the page's CSP allows data: images)."""
    import qrcode

    img = qrcode.make(text, box_size=8, border=2)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
