"""Read one site profile file robustly: a binary, non-UTF-8, oversized, unreadable or special file (a folder,
a FIFO, a device) is a ``ConfigError`` naming that file, never a crash of every command that lists profiles."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kameng_filer.errors import ConfigError

if TYPE_CHECKING:
    from kameng_filer.filing.profile import Profile

MAX_BYTES = 2_000_000
"""A profile larger than this is refused (the biggest real ones are a few hundred lines)."""


def display(text: str) -> str:
    """A file name or path safe to print and to encode as UTF-8 (undecodable bytes become �)."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def read_text(entry: Any, origin: str | None = None) -> str:
    """The UTF-8 text of a profile file (``Path`` or importlib ``Traversable``); ``ConfigError`` otherwise."""
    from kameng_filer.textfile import read_small_text

    return read_small_text(entry, f"站点配置 {display(origin or str(entry))}", MAX_BYTES)


def read_profile(entry: Any, origin: str | None = None) -> Profile:
    """Read and validate one profile file; every failure is a ``ConfigError`` naming the file."""
    from kameng_filer.filing.profile import parse_profile
    from kameng_filer.textfile import check_aliases

    where = display(origin or str(entry))
    text = read_text(entry, where)
    check_aliases(text, f"站点配置 {where}")
    try:
        return parse_profile(text, origin=where)
    except (RecursionError, ValueError, TypeError, OverflowError) as exc:  # YAML constructors, deep nesting
        raise ConfigError(
            f"站点配置 {where} 的 YAML 无法读取", detail=type(exc).__name__, hint="检查文件内容与缩进"
        ) from None
