"""The verbosity chosen with the global ``-v/--verbose`` and ``-q/--quiet`` options.

``level()`` is -1 when quiet, 0 normally and 1 or more with ``-v`` (``-vv`` = 2). Commands use it to
decide whether technical details (exception texts, URLs, timings) are printed next to the Chinese message.
"""

from __future__ import annotations

QUIET = -1
NORMAL = 0
VERBOSE = 1

_level = NORMAL


def level() -> int:
    """The current verbosity: -1 quiet, 0 normal, 1+ verbose."""
    return _level


def set_level(n: int) -> None:
    """Set the verbosity (clamped to at least -1)."""
    global _level
    _level = max(QUIET, int(n))


def verbose() -> bool:
    """True when technical details should be printed (``-v`` or more)."""
    return _level >= VERBOSE


def quiet() -> bool:
    """True when only errors and requested data should be printed (``-q``)."""
    return _level <= QUIET
