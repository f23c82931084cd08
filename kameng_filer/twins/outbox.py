"""The SMS outbox: codes a twin "sends" are kept in memory and appended to ``outbox.jsonl``."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from kameng_filer.twins.clock import TwinClock


class SmsOutbox:
    """Messages ``{channel, phone, code, text, at}`` in sending order (test/demo-only reading)."""

    def __init__(self, channel: str, clock: TwinClock, path: Path | None = None) -> None:
        self.channel = channel
        self.clock = clock
        self.path = path
        self._lock = threading.Lock()
        self._messages: list[dict[str, Any]] = []

    def send(self, phone: str, code: str, text: str) -> dict[str, Any]:
        """ "Send" an SMS: remember it and append it to the JSONL file."""
        entry = {
            "channel": self.channel,
            "phone": phone,
            "code": code,
            "text": text,
            "at": self.clock.now().isoformat(timespec="seconds"),
        }
        with self._lock:
            self._messages.append(entry)
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return entry

    def messages(self, phone: str | None = None) -> list[dict[str, Any]]:
        """Sent messages, oldest first; only those to ``phone`` when given."""
        with self._lock:
            return [dict(m) for m in self._messages if phone is None or m["phone"] == phone]

    def latest_code(self, phone: str | None = None) -> str | None:
        """The last code sent (to ``phone``), or None."""
        msgs = self.messages(phone)
        return msgs[-1]["code"] if msgs else None

    def clear(self) -> None:
        """Forget every message and truncate the file."""
        with self._lock:
            self._messages.clear()
            if self.path is not None and self.path.exists():
                self.path.write_text("", encoding="utf-8")


def read_outbox_file(path: Path) -> list[dict[str, Any]]:
    """Read an ``outbox.jsonl`` written by a twin (possibly another process)."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            out.append(json.loads(line))
    return out
