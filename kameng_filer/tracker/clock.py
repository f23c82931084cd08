"""The tracker's notion of "now": the real time, or a simulated clock for tests and demonstrations.

``KAMENG_SIMULATED_CLOCK="<ISO start>@<unix anchor>x<speed>"`` makes ``now()`` return
``start + (time.time() - anchor) * speed``: every process given the same value (a restarted
``kameng watch`` too) sees the same simulated time. Only for tests and demos — never set it in real use.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from kameng_filer.errors import ConfigError
from kameng_filer.timeutil import now as real_now
from kameng_filer.timeutil import parse_iso

ENV = "KAMENG_SIMULATED_CLOCK"
_FORMAT = re.compile(r"^(?P<start>[^@]+)@(?P<anchor>\d+(?:\.\d+)?)x(?P<speed>\d+(?:\.\d+)?)$")


@dataclass(frozen=True)
class SimulatedClock:
    """``start`` at real time ``anchor`` (epoch seconds), running ``speed`` times faster."""

    start: datetime
    anchor: float
    speed: float

    def now(self) -> datetime:
        """The simulated time now."""
        return self.start + timedelta(seconds=(time.time() - self.anchor) * self.speed)

    def to_env(self) -> str:
        """The ``KAMENG_SIMULATED_CLOCK`` value for this clock."""
        return f"{self.start.isoformat()}@{self.anchor:.3f}x{self.speed:g}"


def parse(value: str) -> SimulatedClock:
    """Read a ``KAMENG_SIMULATED_CLOCK`` value (``ConfigError`` in Chinese when malformed)."""
    m = _FORMAT.match(value.strip())
    if not m:
        raise ConfigError(
            f"环境变量 {ENV} 的格式应为 ISO起点@Unix时间x倍速，例如 2026-11-03T10:00:00+08:00@1763700000x3600",
            detail=value,
        )
    try:
        start = parse_iso(m["start"])
    except ValueError:
        raise ConfigError(f"环境变量 {ENV} 的起点不是有效的 ISO 时间：{m['start']}") from None
    return SimulatedClock(start, float(m["anchor"]), float(m["speed"]))


def now() -> datetime:
    """The tracker's current time: simulated when ``KAMENG_SIMULATED_CLOCK`` is set, else real."""
    value = os.environ.get(ENV)
    return parse(value).now() if value else real_now()
