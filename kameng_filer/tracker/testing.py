"""Test helpers for the tracker: a local notification receiver and recording a filing at a given time.

``NotificationReceiver`` is a real HTTP server on 127.0.0.1 that keeps every notification apprise
posts to it (``json://127.0.0.1:PORT/``). Importing this module has no side effects.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from kameng_filer.store import Store
from kameng_filer.store.records import FilingRecord


class NotificationReceiver:
    """Collects JSON notifications on 127.0.0.1 (apprise ``json://`` URLs); use as a context manager."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw.decode("utf-8"))
                except ValueError:
                    body = {"raw": raw.decode("utf-8", "replace")}
                with receiver._lock:
                    receiver.messages.append(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The apprise URL that posts here."""
        return f"json://127.0.0.1:{self.port}/"

    def titles(self) -> list[str]:
        """Titles received so far."""
        with self._lock:
            return [str(m.get("title", "")) for m in self.messages]

    def __enter__(self) -> NotificationReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def record_submitted(
    store: Store,
    case_id: str,
    channel: str,
    complaint_no: str,
    at: datetime,
    *,
    receipt: dict[str, Any] | None = None,
    plan: dict[str, Any] | None = None,
    purpose: str = "complaint",
) -> FilingRecord:
    """Create a filing (next free generation) and mark it submitted at ``at`` (like ``kameng report --number``)."""
    filing = store.create_filing(
        case_id, channel, purpose=purpose, generation=None, state="planned", plan=plan, at=at
    )
    return store.update_filing(
        filing.id,
        state="submitted",
        complaint_no=complaint_no,
        receipt=receipt or {"complaint_no": complaint_no, "filed_at": at.isoformat()},
        submitted_at=at,
        at=at,
    )
