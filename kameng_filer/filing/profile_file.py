"""Read one site profile file robustly: a binary, non-UTF-8, oversized, unreadable or special file (a folder,
a FIFO, a device) is a ``ConfigError`` naming that file, never a crash of every command that lists profiles."""

from __future__ import annotations

from typing import Any

MAX_BYTES = 2_000_000
"""A profile larger than this is refused (the biggest real ones are a few hundred lines)."""


def display(text: str) -> str:
    """A file name or path safe to print and to encode as UTF-8 (undecodable bytes become �)."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def read_text(entry: Any, origin: str | None = None) -> str:
    """The UTF-8 text of a profile file (``Path`` or importlib ``Traversable``); ``ConfigError`` otherwise."""
    from kameng_filer.textfile import read_small_text

    return read_small_text(entry, f"站点配置 {display(origin or str(entry))}", MAX_BYTES)


def checked_text(entry: Any, origin: str | None = None) -> tuple[str, str]:
    """The text of a profile file checked for YAML alias bombs, and its printable name;
    ``ConfigError`` otherwise (``kameng_filer.filing.profile.read_profile`` parses it)."""
    from kameng_filer.textfile import check_aliases

    where = display(origin or str(entry))
    text = read_text(entry, where)
    check_aliases(text, f"站点配置 {where}")
    return text, where
