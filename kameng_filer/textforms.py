"""The written forms of one personal value (shared by masking and the secret checks): width, separators and spelling variants people use.

A phone number is still the person's phone when written ``138 0013 8000``, ``１３８００１３８０００``,
``138.0013.8000`` or ``138－001－38000``; a card key when written ``ABCD 1234 EFGH 5678``; an e-mail
when written ``zhang＠example.com`` or ``zhang(at)example.com``. ``normalise`` maps the full-width
letters, digits and separators to their ASCII form one character for one character (so positions do
not move and full-width Chinese punctuation such as ，：（） is left alone); ``loose_pattern`` builds
the regular expression that finds a value in any of those forms.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from datetime import date

SEP_CHARS = " \t.\\-—–·_"
"""Characters people put between the digits or letters of one number or key."""
SEP = f"[{SEP_CHARS}]"

_WIDTH: dict[int, str] = {cp: chr(cp - 0xFEE0) for cp in range(0xFF10, 0xFF1A)}  # ０-９
_WIDTH.update({cp: chr(cp - 0xFEE0) for cp in range(0xFF21, 0xFF3B)})  # Ａ-Ｚ
_WIDTH.update({cp: chr(cp - 0xFEE0) for cp in range(0xFF41, 0xFF5B)})  # ａ-ｚ
_WIDTH.update({0xFF20: "@", 0xFF0B: "+", 0xFF0E: ".", 0xFF3F: "_", 0x3000: " "})
_WIDTH.update({cp: "-" for cp in (0xFF0D, 0x2010, 0x2011, 0x2012, 0x2212, 0xFE63)})
_NEEDS_WIDTH = re.compile("[" + "".join(re.escape(chr(cp)) for cp in sorted(_WIDTH)) + "]")

AT = r"(?:@|[(（\[]\s*at\s*[)）\]]|\s+at\s+)"
DOT = r"(?:\.|[(（\[]\s*dot\s*[)）\]]|\s+dot\s+)"

_PROVINCE = re.compile(r"^.{2,7}?(?:省|自治区|特别行政区)")
_CITY = re.compile(r"^.{1,7}?(?:市|自治州|地区|盟)")
_DISTRICT = re.compile(r"^.{1,6}?(?:区|县|旗)")
_MUNICIPALITIES = ("北京", "上海", "天津", "重庆")


def normalise(text: str) -> str:
    """Full-width letters, digits, ＠, hyphens and the ideographic space as ASCII (same length)."""
    if _NEEDS_WIDTH.search(text) is None:
        return text
    return text.translate(_WIDTH)


def compact(value: str) -> str:
    """A value's letters and digits only (normalised): ``ABCD-1234 efgh`` → ``ABCD1234efgh``."""
    return re.sub(r"[^0-9A-Za-z\u4e00-\u9fff@]", "", normalise(value))


def _chars(value: str) -> str:
    return f"{SEP}*".join(re.escape(ch) for ch in value)


def loose_pattern(value: str, kind: str) -> str | None:
    """A regex (source) matching ``value`` in any written form, or None when too short to be safe.

    ``kind`` is ``digits`` (phones, ID numbers: optional +86 prefix for phones), ``key`` (card keys,
    accounts: letters and digits, any separators), ``email``, ``name`` or ``exact`` (the characters as written, any spaces between;
    used for each of ``address_variants``).
    """
    value = normalise(value.strip())
    if kind == "email":
        local, sep, domain = value.partition("@")
        if not sep or not local or "." not in domain:
            return None
        parts = [_chars(p) for p in domain.split(".") if p]
        return rf"{_chars(local)}\s*{AT}\s*" + rf"\s*{DOT}\s*".join(parts)
    if kind == "exact":
        text = re.sub(r"\s+", "", value)
        return r"\s*".join(re.escape(ch) for ch in text) if len(text) >= 2 else None
    if kind == "name":
        name = re.sub(r"\s+", "", value)
        if len(name) < 2:
            return None
        return r"[ \t·]*".join(re.escape(ch) for ch in name)
    core = compact(value)
    if kind == "digits":
        digits = re.sub(r"\D", "", core)
        if len(digits) < 5:
            return None
        if len(digits) == 13 and digits.startswith("86"):
            digits = digits[2:]
        body = _chars(digits) + (f"{SEP}*[Xx]" if core[-1:] in "Xx" else "")
        return rf"(?<!\d)(?:(?:\+|00)?8{SEP}*6{SEP}*)?{body}(?![\dXx])"
    if len(core) < 5:
        return None
    body = _chars(core)
    return rf"(?<![0-9A-Za-z]){body}(?![0-9A-Za-z])" if core.isdigit() else body


def address_variants(address: str) -> list[str]:
    """The address as written and as people shorten it (without province, city, or their suffixes)."""
    full = re.sub(r"\s+", "", normalise(address))
    out = [full]
    rest = full
    for rx in (_PROVINCE, _CITY, _DISTRICT):
        m = rx.match(rest)
        if m is None and rx is _PROVINCE:
            city = next((c for c in _MUNICIPALITIES if rest.startswith(c)), "")
            rest = rest[len(city) :].removeprefix("市") if city else rest
        elif m is not None:
            rest = rest[m.end() :]
        out.append(rest)
    out.append(re.sub(r"(?<=[\u4e00-\u9fff])(?:省|市)(?=[\u4e00-\u9fff])", "", full))
    seen: list[str] = []
    for v in out:
        if len(v) >= 6 and re.search(r"\d|号|路|街|村|室|楼", v) and v not in seen:
            seen.append(v)
    return sorted(seen, key=len, reverse=True)


_SQUEEZE = re.compile(f"[^{re.escape(SEP_CHARS)}]+")
_SEPARATORS = re.compile(f"[{re.escape(SEP_CHARS)}]+")
_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _lower(text: str) -> str:
    """ASCII letters lower-cased, same length (``str.lower`` is fast but may change the length)."""
    low = text.lower()
    return low if len(low) == len(text) else text.translate(_LOWER)


def squeeze(value: str) -> str:
    """``value`` normalised, without separators, ASCII letters lower-cased (the form ``SqueezedText`` searches)."""
    return _lower("".join(_SQUEEZE.findall(normalise(value))))


class SqueezedText:
    """A text without its separators, with the way back to positions in the text.

    ``find_all("13800138000")`` finds ``138 0013 8000``, ``1-3-8…`` and ``138.0013.8000`` alike and
    returns the spans in the (normalised) text it was built from.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self.squeezed = _lower(_SEPARATORS.sub("", text))
        self._starts: list[int] = []
        self._offsets: list[int] = []

    def _pos(self, i: int) -> int:
        if not self._starts:  # built on the first hit only: most texts hold no personal value
            total = 0
            for m in _SQUEEZE.finditer(self._text):
                self._starts.append(m.start())
                self._offsets.append(total)
                total += m.end() - m.start()
        k = bisect_right(self._offsets, i) - 1
        return self._starts[k] + (i - self._offsets[k])

    def find_all(self, key: str, *, phone_prefix: bool = False) -> list[tuple[int, int]]:
        """Spans ``(start, end)`` of every occurrence of the squeezed ``key`` (with a +86 prefix when asked)."""
        out: list[tuple[int, int]] = []
        i = self.squeezed.find(key)
        while i >= 0:
            start = i
            if phone_prefix and self.squeezed[max(i - 2, 0) : i] == "86":
                start = i - 2
                start -= 1 if self.squeezed[start - 1 : start] == "+" else 0
            out.append((self._pos(start), self._pos(i + len(key) - 1) + 1))
            i = self.squeezed.find(key, i + len(key))
        return out


def _birth_ok(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return 1900 <= year <= 2100


def looks_like_id(value: str) -> bool:
    """An ID number by its shape: 18 characters (any check digit) or 15 digits, with a real birth date."""
    v = compact(value).upper()
    if re.fullmatch(r"[1-9]\d{16}[\dX]", v):
        return _birth_ok(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    if re.fullmatch(r"[1-9]\d{14}", v):
        return _birth_ok(1900 + int(v[6:8]), int(v[8:10]), int(v[10:12]))
    return False


def luhn_ok(digits: str) -> bool:
    """Luhn check (bank card numbers)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0
