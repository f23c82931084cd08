"""Chinese prose punctuation: ASCII ``, : ; ( ) ? !`` next to Chinese words become full-width.

Rendered texts mix the templates' words with the person's own text. Whatever either wrote, a
comma, colon, semicolon or bracket that touches a Chinese character is written full-width
(``，：；（）？！``). Numbers, times (``09:20``), amounts (``1,200``), order numbers, URLs and
plain Latin text keep their ASCII punctuation.
"""

from __future__ import annotations

import re

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff60\u2018-\u201f\u2026\u00d7"
"""Chinese characters, CJK and full-width punctuation, Chinese quotes, the ellipsis and ``×``."""

_FULL = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！", "(": "（", ")": "）"}
_SEPARATOR = re.compile(rf"(?<=[{_CJK}])[ \t]*([,:;?!])[ \t]*|[ \t]*([,:;])[ \t]*(?=[{_CJK}])")
_PAREN = re.compile(r"\(([^()\n]*)\)")
_HAS_CJK = re.compile(f"[{_CJK}]")
_ASCII_MARKS = frozenset(",:;?!()")


def _paren(match: re.Match[str]) -> str:
    text, start, end = match.string, match.start(), match.end()
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    if _HAS_CJK.search(match.group(1)) or _HAS_CJK.match(before or " ") or _HAS_CJK.match(after or " "):
        return f"（{match.group(1)}）"
    return f"\x00{match.group(1)}\x01"  # Latin-only brackets: hidden while outer pairs are looked at


def fullwidth_prose(text: str) -> str:
    """Write the punctuation that touches Chinese words full-width (see the module docstring)."""
    if _ASCII_MARKS.isdisjoint(text):
        return text
    out = text
    while "(" in out:
        nxt = _PAREN.sub(_paren, out)
        if nxt == out:
            break
        out = nxt
    out = out.replace("\x00", "(").replace("\x01", ")")
    return _SEPARATOR.sub(lambda m: _FULL[m.group(1) or m.group(2)], out)
