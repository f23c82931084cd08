"""The claim on one (case, channel, purpose) filing: only one run at a time may file it.

A claim is an exclusive OS file lock (``filelock``: ``flock`` on POSIX) on
``<data>/locks/filing-<case>--<channel>--<purpose>.lock``, taken before the run reads the filing
record and before any I/O on the channel, and held until the run has recorded its outcome. The
operating system drops the lock when the process ends, also after a SIGKILL or a power cut, so a
crashed run never blocks the rerun (no expiry to wait out). Who holds the claim is written next to
the lock (``.owner``: process id, host, start time) so a second run can say who is filing.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from filelock import FileLock, Timeout

from kameng_filer import paths
from kameng_filer.errors import FilingError, StoreError
from kameng_filer.timeutil import now


class ClaimBusy(FilingError):
    """Another run holds the claim on this filing right now."""

    def __init__(self, message: str, *, owner: dict[str, Any] | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.owner = owner or {}


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.@-]", "_", text)


def lock_path(case_id: str, channel: str, purpose: str) -> Path:
    """The lock file of one (case, channel, purpose) filing."""
    return paths.sub("locks") / f"filing-{_safe(case_id)}--{_safe(channel)}--{_safe(purpose)}.lock"


@dataclass
class FilingClaim:
    """``with FilingClaim(case, channel, purpose):`` — held for the whole run on that channel."""

    case_id: str
    channel: str
    purpose: str = "complaint"

    def __post_init__(self) -> None:
        self.path = lock_path(self.case_id, self.channel, self.purpose)
        self._lock = FileLock(str(self.path), timeout=0)
        self._owner_file = self.path.with_suffix(".owner")

    def acquire(self) -> None:
        """Take the claim now or raise ``ClaimBusy`` (never waits)."""
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            owner = self.owner()
            who = f"（进程 {owner['pid']}，开始于 {owner.get('since', '?')}）" if owner.get("pid") else ""
            raise ClaimBusy(
                f"另一个运行正在提交此渠道{who}，本次没有提交，以免重复投诉",
                channel=self.channel,
                owner=owner,
                hint=f"等它结束后用 kameng status {self.case_id} 查看结果；它意外中断时再运行同一命令即可",
            ) from None
        except OSError as exc:
            raise StoreError(
                f"无法在数据目录中建立提交锁 {self.path}:{exc.strerror or exc}",
                hint="检查数据目录（KAMENG_HOME）是否存在且可写",
            ) from None
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": now().isoformat(timespec="seconds"),
        }
        with contextlib.suppress(OSError):  # the owner note only feeds the message a second run shows
            self._owner_file.write_text(json.dumps(info), encoding="utf-8")

    def release(self) -> None:
        """Give the claim back (the owner note stays; it only matters while the lock is held)."""
        self._lock.release()

    def owner(self) -> dict[str, Any]:
        """Who holds the claim, as far as its note says (``{}`` when unknown)."""
        try:
            data = json.loads(self._owner_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def __enter__(self) -> FilingClaim:
        self.acquire()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
