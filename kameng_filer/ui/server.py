"""Run the workspace under uvicorn on 127.0.0.1, in the foreground (``kameng ui``) or a thread (tests)."""

from __future__ import annotations

from typing import Any

from kameng_filer.twins.server import TwinServer


class UiServer(TwinServer):
    """The workspace app in a background thread on 127.0.0.1 (the twins' runner, without their health URL)."""

    def __init__(self, app: Any, port: int = 0) -> None:
        super().__init__(app, "ui", port=port)

    def start(self, timeout: float = 15.0) -> UiServer:
        """Start and tell the app its port (the Host check then requires it)."""
        super().start(timeout)
        self.app.state.port_ref[0] = self.port
        return self

    def _wait_answering(self, deadline: float) -> None:
        return  # uvicorn's ``started`` already means the socket listens

    @property
    def entry_url(self) -> str:
        """The URL carrying the session token (what ``kameng ui`` prints)."""
        return f"{self.url}/?token={self.app.state.token}"
