"""A twin's clock: Beijing time plus an offset that tests may advance (rate limits, expiry)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from kameng_filer.timeutil import now as real_now


class TwinClock:
    """Current Asia/Shanghai time, shifted by ``offset`` seconds (test-only ``advance``)."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    @property
    def offset(self) -> float:
        """Seconds added to the real time."""
        return self._offset

    def now(self) -> datetime:
        """The twin's current time (aware, Asia/Shanghai)."""
        return real_now() + timedelta(seconds=self._offset)

    def advance(self, seconds: float) -> None:
        """Move the twin's time forward (or back, when negative)."""
        with self._lock:
            self._offset += float(seconds)

    def reset(self) -> None:
        """Back to the real time."""
        with self._lock:
            self._offset = 0.0
