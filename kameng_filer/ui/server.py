"""Run the workspace under uvicorn on 127.0.0.1, in the foreground (``kameng ui``) or a thread (tests).

With LAN mode (``kameng ui --lan``) it listens on every interface, and the app itself answers other
computers only with the read-only phone guide pages (``security.Guard``).
"""

from __future__ import annotations

from typing import Any

from kameng_filer.twins.server import TwinServer

ANY_INTERFACE = "0.0.0.0"
"""LAN mode only; the app refuses the network everything but ``/phone/``."""


class UiServer(TwinServer):
    """The workspace app in a background thread on 127.0.0.1 (the twins' runner, without their health URL)."""

    def __init__(self, app: Any, port: int = 0, *, lan: bool = False) -> None:
        super().__init__(app, "ui", port=port)
        if lan:
            self.host = ANY_INTERFACE

    def start(self, timeout: float = 15.0) -> UiServer:
        """Start and tell the app its port (the Host check then requires it)."""
        super().start(timeout)
        self.app.state.port_ref[0] = self.port
        kit = getattr(self.app.state, "kit", None)
        if kit is not None and kit.lan is not None:
            kit.lan.port_ref[0] = self.port
        return self

    def _wait_answering(self, deadline: float) -> None:
        return  # uvicorn's ``started`` already means the socket listens

    @property
    def url(self) -> str:
        """Base URL on the loopback address (also in LAN mode)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def entry_url(self) -> str:
        """The URL carrying the session token (what ``kameng ui`` prints)."""
        return f"{self.url}/?token={self.app.state.token}"
