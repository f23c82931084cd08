"""Normalisation of OCR text: full-width characters, ￥/元 amounts and Chinese date/time forms."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

_FULL = {chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)}
_FULL.update({"\u3000": " ", "：": ":", "，": ",", "．": ".", "－": "-", "—": "-", "–": "-", "¥": "￥"})
_TABLE = str.maketrans(_FULL)


def normalize_text(text: str) -> str:
    """Half-width digits, letters, colons and dashes; ``¥`` as ``￥``; runs of spaces collapsed."""
    out = text.translate(_TABLE)
    return re.sub(r"\s+", " ", out).strip()


_AMOUNT_RE = re.compile(r"(?:￥|RMB|人民币)\s*(-?\d{1,7}(?:,\d{3})*(?:\.\d{1,2})?)|(-?\d{1,7}(?:,\d{3})*(?:\.\d{1,2})?)\s*元")
_BARE_AMOUNT_RE = re.compile(r"^[-+]?\s*(\d{1,7}(?:,\d{3})*\.\d{2})$")


def parse_amount(text: str) -> Decimal | None:
    """The amount in yuan shown by ``text`` (``￥100.00``, ``100元``, ``-100.00`` alone), or None."""
    t = normalize_text(text)
    m = _AMOUNT_RE.search(t)
    raw = (m.group(1) or m.group(2)) if m else None
    if raw is None:
        bare = _BARE_AMOUNT_RE.match(t)
        raw = bare.group(1) if bare else None
    if raw is None:
        return None
    try:
        value = abs(Decimal(raw.replace(",", "")))
    except InvalidOperation:
        return None
    return value.quantize(Decimal("0.01"))


_FULL_DT = re.compile(
    r"(20\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*(\d{1,2})\s*[:时]\s*(\d{2})(?:\s*[:分]\s*(\d{2}))?"
)
_JOINED_DT = re.compile(r"(20\d{2})-(\d{2})-(\d{2})(\d{2}):(\d{2})(?::(\d{2}))?")
_MD_DT = re.compile(r"(?<!\d)(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*(\d{1,2})\s*[:时]\s*(\d{2})(?:\s*[:分]\s*(\d{2}))?")
_REL_DT = re.compile(r"(今天|昨天|前天)\s*(\d{1,2}):(\d{2})(?::(\d{2}))?")
_REL_DAYS = {"今天": 0, "昨天": 1, "前天": 2}


def _make(y: int, mo: int, d: int, h: int, mi: int, s: str | None) -> datetime | None:
    try:
        return datetime(y, mo, d, h, mi, int(s or 0))
    except ValueError:
        return None


def parse_datetime(text: str, *, today: date | None = None) -> datetime | None:
    """The local (Asia/Shanghai) time shown by ``text``, or None.

    Understands ``2026-11-02 15:00:12``, the joined OCR form ``2026-11-0215:00:12``, ``2026年11月2日 15:00``,
    ``11月2日 15:00`` (year of ``today``) and ``昨天 15:00`` (relative to ``today``).
    """
    t = normalize_text(text)
    m = _JOINED_DT.search(t)
    if m:
        return _make(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), m[6])
    m = _FULL_DT.search(t)
    if m:
        return _make(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), m[6])
    today = today or date.today()
    m = _MD_DT.search(t)
    if m:
        return _make(today.year, int(m[1]), int(m[2]), int(m[3]), int(m[4]), m[5])
    m = _REL_DT.search(t)
    if m:
        day = today - timedelta(days=_REL_DAYS[m[1]])
        return _make(day.year, day.month, day.day, int(m[2]), int(m[3]), m[4])
    return None
