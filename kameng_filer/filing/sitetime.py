"""Times as a site shows them, read for reconciliation (``kameng_filer.filing.proof``).

A site shows when a complaint was created in many shapes: ``2026-11-02 15:30:05``, ``2026/11/02 15:30``,
``2026年11月2日 下午3:30``, ``11-02 15:30`` (this year), ``03:30 PM``, ``昨天 15:30``, ``3分钟前``,
``刚刚``, ISO with an offset (``…T07:30:05Z``), an offset after a space (``… +00:00``, ``UTC``,
``GMT+8``) or an API's Unix timestamp (seconds or milliseconds). A time without an offset is Beijing
time. Each reading keeps the span the shown text stands for (a second, a minute, a day), so a coarse
time is never read as earlier than it may be: reading a time too early could make the tool mistake its
own complaint for someone else's and file twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from kameng_filer.timeutil import SHANGHAI, now

_TIME = (
    r"(?:[\sT]*(?P<ampm>上午|下午|中午|晚上|凌晨|早上|傍晚)?\s*(?P<H>\d{1,2})\s*[:时]\s*(?P<M>\d{2})"
    r"(?:\s*[:分]\s*(?P<S>\d{2})(?:[.,]\d+)?)?(?:\s*(?P<ap>[AaPp])\.?[Mm]\.?(?![A-Za-z]))?"
    r"(?P<zone>\s*\(?\s*(?:Z(?![A-Za-z])|(?:UTC|GMT)\s*[+-]\d{1,2}(?::?\d{2})?|[+-]\d{2}:?\d{2}"
    r"|(?:UTC|GMT)(?![A-Za-z]))\s*\)?)?)?"
)
_STAMP = re.compile(r"(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?" + _TIME)
_SHORT = re.compile(r"(?<![\d.\-/])(?P<m>\d{1,2})\s*[-/月]\s*(?P<d>\d{1,2})\s*日?" + _TIME)
_DAYWORD = re.compile(r"(?P<word>今天|昨天|前天)" + _TIME)
_AGO = re.compile(r"(?P<n>\d+)\s*(?P<unit>秒|分钟|分|小时|个小时|天)\s*前")
_UNITS = {
    "秒": timedelta(seconds=1),
    "分钟": timedelta(minutes=1),
    "分": timedelta(minutes=1),
    "小时": timedelta(hours=1),
    "个小时": timedelta(hours=1),
    "天": timedelta(days=1),
}
_TICK = timedelta(microseconds=1)


@dataclass
class SiteTime:
    """A time shown by the site, with the span it stands for (a minute, a day…)."""

    at: datetime
    span: timedelta

    @property
    def latest(self) -> datetime:
        """The latest moment this shown time can mean."""
        return self.at + self.span


def parse_site_time(text: str | None, *, today: datetime | None = None) -> SiteTime | None:
    """The first date/time in ``text`` in any of the shapes above; None when there is none.

    ``today`` (default: now) anchors times shown without a year or relative to now."""
    if not text:
        return None
    text = text.strip()
    ref = (today or now()).astimezone(SHANGHAI)
    for read in (_iso, _epoch, _stamped, _dayword, _ago, _short):
        try:
            found = read(text, ref)
        except (ValueError, OverflowError):
            found = None
        if found is not None:
            return found
    return None


def _iso(text: str, ref: datetime) -> SiteTime | None:
    if "T" not in text:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None
    at = at.replace(tzinfo=SHANGHAI) if at.tzinfo is None else at
    return SiteTime(at, timedelta(seconds=1) - _TICK)


def _epoch(text: str, ref: datetime) -> SiteTime | None:
    """An API's Unix timestamp: 10 digits (seconds, maybe with a fraction) or 13 (milliseconds)."""
    if not re.fullmatch(r"\d{10}(\.\d+)?|\d{13}", text):
        return None
    ms = len(text) == 13
    at = datetime.fromtimestamp(float(text) / (1000 if ms else 1), UTC)
    return SiteTime(at, (timedelta(milliseconds=1) if ms else timedelta(seconds=1)) - _TICK)


def _stamped(text: str, ref: datetime) -> SiteTime | None:
    m = _STAMP.search(text)
    return _build(m, int(m["y"]), int(m["m"]), int(m["d"])) if m else None


def _short(text: str, ref: datetime) -> SiteTime | None:
    """``11-02 15:30``: this year, or last year when that would be more than a day ahead of now."""
    m = _SHORT.search(text)
    if m is None or m.group("H") is None:
        return None
    found = _build(m, ref.year, int(m["m"]), int(m["d"]))
    if found is not None and found.at > ref + timedelta(days=1):
        found = _build(m, ref.year - 1, int(m["m"]), int(m["d"]))
    return found


def _dayword(text: str, ref: datetime) -> SiteTime | None:
    m = _DAYWORD.search(text)
    if m is None:
        return None
    day = ref - timedelta(days={"今天": 0, "昨天": 1, "前天": 2}[m["word"]])
    return _build(m, day.year, day.month, day.day)


def _ago(text: str, ref: datetime) -> SiteTime | None:
    """``3分钟前`` (between 3 and 4 minutes before now), ``刚刚`` (within the last minute)."""
    if "刚刚" in text:
        return SiteTime(ref - timedelta(minutes=1), timedelta(minutes=1))
    m = _AGO.search(text)
    if m is None:
        return None
    unit = _UNITS[m["unit"]]
    return SiteTime(ref - unit * (int(m["n"]) + 1), unit)


def _build(m: re.Match[str], year: int, month: int, day: int) -> SiteTime | None:
    if m.group("H") is None:
        return SiteTime(datetime(year, month, day, tzinfo=SHANGHAI), timedelta(days=1) - _TICK)
    hour = _hour(int(m["H"]), m.group("ampm"), m.group("ap"))
    if hour is None:
        return None
    zone = _zone(m.group("zone"))
    at = datetime(year, month, day, hour, int(m["M"]), int(m["S"] or 0), tzinfo=zone)
    span = timedelta(seconds=1) if m.group("S") else timedelta(minutes=1)
    return SiteTime(at, span - _TICK)


def _hour(hour: int, ampm: str | None, ap: str | None) -> int | None:
    """The 24-hour hour of a 12-hour clock reading (上午/下午…, AM/PM); None for an impossible one."""
    if hour > 23:
        return None
    pm = (ap or "").lower() == "p" or ampm in ("下午", "晚上", "傍晚")
    am = (ap or "").lower() == "a" or ampm in ("上午", "凌晨", "早上")
    if (pm or am) and hour > 12:
        return hour if pm else None  # "下午 15:30" is 15:30; "上午 15:30" is no time at all
    if pm and hour < 12:
        return hour + 12
    if am and hour == 12:
        return 0
    if ampm == "中午" and hour < 6:  # 中午1:10 is 13:10
        return hour + 12
    return hour


def _zone(shown: str | None) -> tzinfo:
    """The offset written after a time (``Z``, ``UTC``, ``+00:00``, ``GMT+8``); Beijing without one."""
    if not shown:
        return SHANGHAI
    text = shown.strip(" ()")
    if text in ("Z", "UTC", "GMT"):
        return UTC
    m = re.search(r"([+-])(\d{1,2})(?::?(\d{2}))?", text)
    if m is None:
        return SHANGHAI
    delta = timedelta(hours=int(m[2]), minutes=int(m[3] or 0))
    return timezone(-delta if m[1] == "-" else delta)
