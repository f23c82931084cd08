"""The working-day calendar's status for the settings page: which years' holiday notices are known,
whether next year's is, what happens to deadlines when it is not, and where the person's holiday file is."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kameng_filer.errors import KamengError


def _ranges(years: list[int]) -> str:
    """``2004–2026、2028`` from sorted years."""
    parts: list[str] = []
    start = prev = None
    for y in years:
        if start is None:
            start = prev = y
        elif y == prev + 1:  # type: ignore[operator]
            prev = y
        else:
            parts.append(f"{start}–{prev}" if start != prev else f"{start}")
            start = prev = y
    if start is not None:
        parts.append(f"{start}–{prev}" if start != prev else f"{start}")
    return "、".join(parts)


def calendar_status(now: datetime) -> dict[str, Any]:
    """Known years, this and next year's state, the CLI's warnings and the holiday file (of this workspace)."""
    from kameng_filer.workdays import calendar_warnings, default_calendar, override_path

    path = override_path()
    try:
        cal = default_calendar()
    except KamengError as exc:  # a broken holidays.yaml: the same message as the CLI
        return {"error": exc.message + (f"。建议：{exc.hint}" if exc.hint else ""), "path": str(path)}
    known = sorted(cal.known_years)
    return {
        "error": "",
        "years": _ranges(known),
        "this_year": now.year,
        "this_known": cal.is_known_year(now.year),
        "next_year": now.year + 1,
        "next_known": cal.is_known_year(now.year + 1),
        "own_years": _ranges(sorted(cal.overrides.complete_years)),
        "path": str(path),
        "file_exists": path.exists(),
        "warnings": calendar_warnings(now, calendar=cal),
    }
