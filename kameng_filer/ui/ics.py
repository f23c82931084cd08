"""Deadlines as an iCalendar (.ics) file a phone calendar can import (RFC 5545)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from kameng_filer.timeutil import parse_iso

PRODID = "-//kameng-filer//workspace//ZH"


def escape_text(value: str) -> str:
    """Escape a TEXT value: backslash, semicolon, comma and line breaks."""
    out = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return out.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def fold(line: str) -> str:
    """Fold a content line at 75 octets, never splitting a UTF-8 character."""
    if len(line) <= 18 or len(line.encode()) <= 75:  # 18 characters are at most 72 octets
        return line
    out: list[str] = []
    current = b""
    limit = 75
    for ch in line:
        b = ch.encode()
        if len(current) + len(b) > limit:
            out.append(current.decode())
            current = b""
            limit = 74  # continuation lines start with one space
        current += b
    out.append(current.decode())
    return "\r\n ".join(out)


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def deadlines_ics(items: list[dict[str, Any]], now: datetime) -> str:
    """One VEVENT (with a reminder a day before) per open deadline of ``items`` (see ``open_deadlines``)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "X-WR-CALNAME:投诉期限",
    ]
    stamp = f"DTSTAMP:{_stamp(now)}\r\n"
    head = "".join(fold(line) + "\r\n" for line in lines)
    events = []
    for d in items:
        uid = fold(f"UID:{d['case']}-{d['filing_id']}-{d['clock']}@kameng-filer")
        body = _event(
            d["due"], d["title"], d["channel_title"], d["case"], d["case_title"], bool(d["provisional"])
        )
        events.append(f"BEGIN:VEVENT\r\n{uid}\r\n{stamp}{body}")
    return head + "".join(events) + "END:VCALENDAR\r\n"


@lru_cache(maxsize=4096)
def _event(due_iso: str, title: str, channel: str, case: str, case_title: str, provisional: bool) -> str:
    """The folded lines of one VEVENT after its DTSTAMP (the same deadline gives the same text)."""
    due = parse_iso(due_iso)
    summary = f"{title}\uff08{channel}\uff09"
    description = f"案件 {case}\uff1a{case_title}。" + ("期限为暂定。" if provisional else "")
    lines = [
        f"DTSTART:{_stamp(due)}",
        f"DTEND:{_stamp(due)}",
        f"SUMMARY:{escape_text(summary)}",
        f"DESCRIPTION:{escape_text(description)}",
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        "TRIGGER:-P1D",
        f"DESCRIPTION:{escape_text(summary)}",
        "END:VALARM",
        "END:VEVENT",
    ]
    return "".join(fold(line) + "\r\n" for line in lines)
