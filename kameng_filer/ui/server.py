"""Run the workspace under uvicorn on 127.0.0.1, in the foreground (``kameng ui``) or a thread (tests).

The workspace always listens on the loopback address only. LAN access (``kameng ui --lan`` at start, or
the switch in the page later) adds a second listener on the LAN address that serves nothing but the
read-only phone guide pages (``ui.lan``); stopping the workspace stops it too.
"""

from __future__ import annotations

from typing import Any

from kameng_filer.twins.server import TwinServer


class UiServer(TwinServer):
    """The workspace app in a background thread on 127.0.0.1 (the twins' runner, without their health URL)."""

    def __init__(self, app: Any, port: int = 0, *, lan: bool = False) -> None:
        super().__init__(app, "ui", port=port)
        self.lan_at_start = lan
        """Turn LAN access on right after starting (``kameng ui --lan``)."""

    @property
    def lan(self) -> Any:
        """The app's ``lan.LanAccess`` (None for an app built without one)."""
        kit = getattr(self.app.state, "kit", None)
        return None if kit is None else kit.lan

    def start(self, timeout: float = 15.0) -> UiServer:
        """Start and tell the app its port (the Host check then requires it); LAN access when asked."""
        super().start(timeout)
        self.app.state.port_ref[0] = self.port
        if self.lan_at_start and self.lan is not None:
            try:
                self.lan.turn_on(self.app, self.port)
            except BaseException:
                self.stop()
                raise
        return self

    def stop(self) -> None:
        """Stop the LAN listener (if on) and the workspace."""
        if self.lan is not None:
            self.lan.turn_off()
        super().stop()

    def _wait_answering(self, deadline: float) -> None:
        return  # uvicorn's ``started`` already means the socket listens

    @property
    def url(self) -> str:
        """Base URL on the loopback address."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def entry_url(self) -> str:
        """The URL carrying the session token (what ``kameng ui`` prints)."""
        return f"{self.url}/?token={self.app.state.token}"
