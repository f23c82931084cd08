"""Deadlines as an iCalendar (.ics) file a phone calendar can import (RFC 5545)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kameng_filer.timeutil import parse_iso

PRODID = "-//kameng-filer//workspace//ZH"


def escape_text(value: str) -> str:
    """Escape a TEXT value: backslash, semicolon, comma and line breaks."""
    out = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return out.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def fold(line: str) -> str:
    """Fold a content line at 75 octets, never splitting a UTF-8 character."""
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
    for d in items:
        due = parse_iso(d["due"])
        summary = f"{d['title']}\uff08{d['channel_title']}\uff09"
        description = f"案件 {d['case']}\uff1a{d['case_title']}。" + (
            "期限为暂定。" if d["provisional"] else ""
        )
        lines += [
            "BEGIN:VEVENT",
            f"UID:{d['case']}-{d['filing_id']}-{d['clock']}@kameng-filer",
            f"DTSTAMP:{_stamp(now)}",
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
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
