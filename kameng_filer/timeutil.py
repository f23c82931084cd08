"""Time zone helpers: everything is Asia/Shanghai unless it carries its own offset."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def as_shanghai(value: datetime) -> datetime:
    """Attach Asia/Shanghai to a naive datetime; convert an aware one to Asia/Shanghai."""
    if value.tzinfo is None:
        return value.replace(tzinfo=SHANGHAI)
    return value.astimezone(SHANGHAI)


def now() -> datetime:
    """The current time in Asia/Shanghai."""
    return datetime.now(UTC).astimezone(SHANGHAI)


def parse_iso(text: str) -> datetime:
    """Parse an ISO 8601 date or datetime; naive values are Asia/Shanghai."""
    return as_shanghai(datetime.fromisoformat(text.strip()))
