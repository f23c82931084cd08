"""Suite mode switches set by ``conftest.pytest_configure`` (``--long`` for the long reliability mode)."""

from __future__ import annotations

LONG = False


def runs(short: int, long: int) -> int:
    """How many repetitions a reliability loop makes in this mode."""
    return long if LONG else short
