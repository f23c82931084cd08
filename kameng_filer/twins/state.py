"""What a twin received (submissions, files, logins, messages, statuses), JSON-dumpable and saved."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from kameng_filer.twins.clock import TwinClock


@dataclass(frozen=True)
class FileInfo:
    """One uploaded file as the twin received it."""

    name: str
    size: int
    sha256: str
    mime: str
    exif: bool
    width: int = 0
    height: int = 0
    stored_as: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self)


_LISTS = ("submissions", "rejections", "logins", "messages", "status_history")


class TwinState:
    """Everything a twin received, in order; written to ``state.json`` after every change.

    ``submissions``: stored tickets/complaints with their field values and files;
    ``rejections``: submits refused by validation/rate limit (nothing stored);
    ``logins``: login and verification attempts; ``messages``: replies and follow-ups by both sides;
    ``status_history``: every status change.
    """

    def __init__(self, channel: str, clock: TwinClock, path: Path | None = None) -> None:
        self.channel = channel
        self.clock = clock
        self.path = path
        self._lock = threading.RLock()
        self.submissions: list[dict[str, Any]] = []
        self.rejections: list[dict[str, Any]] = []
        self.logins: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []
        self.status_history: list[dict[str, Any]] = []

    def _at(self) -> str:
        return self.clock.now().isoformat(timespec="seconds")

    def _append(self, attr: str, entry: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            entry = {"at": self._at(), **entry}
            getattr(self, attr).append(entry)
            self.save()
            return entry

    def record_submission(
        self,
        number: str,
        kind: str,
        fields: dict[str, Any],
        files: list[FileInfo] | None = None,
        *,
        user: str | None = None,
        via: str = "form",
    ) -> dict[str, Any]:
        """A stored ticket/complaint with every field value and file received."""
        return self._append(
            "submissions",
            {
                "number": number,
                "kind": kind,
                "user": user,
                "via": via,
                "fields": dict(fields),
                "files": [f.to_dict() for f in files or []],
            },
        )

    def record_rejection(
        self, form: str, errors: dict[str, str], *, user: str | None = None, via: str = "form"
    ) -> dict[str, Any]:
        """A submit refused with these messages (field → message); nothing was stored."""
        return self._append("rejections", {"form": form, "user": user, "via": via, "errors": dict(errors)})

    def record_login(self, username: str, ok: bool, reason: str = "", *, via: str = "form") -> dict[str, Any]:
        """A login or identity-verification attempt."""
        return self._append("logins", {"username": username, "ok": ok, "reason": reason, "via": via})

    def record_message(self, number: str, by: str, text: str, *, kind: str = "reply") -> dict[str, Any]:
        """A reply or follow-up on ``number`` by ``user`` / ``operator`` (or ``merchant``/``platform``)."""
        return self._append("messages", {"number": number, "by": by, "kind": kind, "text": text})

    def record_status(self, number: str, status: str, by: str, note: str = "") -> dict[str, Any]:
        """A status change of ``number``."""
        return self._append("status_history", {"number": number, "status": status, "by": by, "note": note})

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly copy of everything received."""
        with self._lock:
            data: dict[str, Any] = {"channel": self.channel}
            for name in _LISTS:
                data[name] = [dict(e) for e in getattr(self, name)]
            return data

    def save(self) -> None:
        """Write ``state.json`` atomically (no-op without a path)."""
        if self.path is None:
            return
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".json.tmp")
            tmp.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
            os.replace(tmp, self.path)

    def clear(self) -> None:
        """Forget everything (``/_twin/reset``)."""
        with self._lock:
            for name in _LISTS:
                getattr(self, name).clear()
            self.save()
