"""Text that is safe to show on a terminal or send to a merchant: no control or bidi characters."""

from __future__ import annotations

import re

BIDI_CHARS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e"  # embeddings and overrides
    "\u2066\u2067\u2068\u2069"  # isolates
    "\u200e\u200f\u061c"  # LRM, RLM, Arabic letter mark
)
"""Characters that reorder how text is displayed (a name can then read differently than it is)."""

_ESCAPE_SEQUENCE = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, screen clears
    r"|\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window titles, hyperlinks
    r"|[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS / SOS / PM / APC strings
    r"|[ -/]*[0-~])?"  # two-character escapes (ESC c resets the terminal)
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f" + "".join(sorted(BIDI_CHARS)) + "]")


def unsafe_chars(text: str) -> list[str]:
    """The control and bidi characters in ``text`` (``\\n`` and ``\\t`` are fine), in order, repeated."""
    return _UNSAFE.findall(text)


def has_unsafe(text: str) -> bool:
    """True when ``text`` holds any control or bidi character (``\\n`` and ``\\t`` are fine)."""
    return _UNSAFE.search(text) is not None


def describe_char(ch: str) -> str:
    """A character as people can look it up: ``U+202E``."""
    return f"U+{ord(ch):04X}"


def clean_for_terminal(s: str) -> str:
    """``s`` without escape sequences, C0/C1 control characters (except newline and tab) and bidi controls."""
    if not isinstance(s, str):
        s = str(s)
    if not _UNSAFE.search(s):
        return s
    return _UNSAFE.sub("", _ESCAPE_SEQUENCE.sub("", s))


def clean_line(s: str) -> str:
    """``clean_for_terminal`` for a one-line cell: newlines and tabs become spaces as well."""
    return clean_for_terminal(s).replace("\r", " ").replace("\n", " ").replace("\t", " ")
