"""Stores opened during one command, closed when it ends.

Commands open the store and leave it to the end of the process; in one process that runs several
commands (tests, the workspace) a store dropped later by the garbage collector would close its
SQLite connections — and checkpoint its write-ahead log into the database file — at a moment no
one chose. ``closing_opened()`` closes, when a command ends, every store opened while it ran.
No SQLAlchemy import here: the CLI loads this module on every command.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

log = logging.getLogger(__name__)

_lock = threading.Lock()
_open: dict[int, tuple[int, weakref.ref[Any]]] = {}  # order -> (opening thread, store)
_counter = 0


def register(store: Any) -> None:
    """Note an opened store (anything with ``close()``), in opening order."""
    global _counter
    with _lock:
        _counter += 1
        key = _counter
        _open[key] = (threading.get_ident(), weakref.ref(store, lambda _ref, key=key: _forget(key)))


def _forget(key: int) -> None:
    with _lock:
        _open.pop(key, None)


def unregister(store: Any) -> None:
    """Forget a store its owner closed."""
    with _lock:
        for key, (_thread, ref) in list(_open.items()):
            if ref() is store:
                del _open[key]


@contextmanager
def closing_opened() -> Iterator[None]:
    """Close, on the way out, every store this thread opened inside the block and still open (newest
    first). Stores other threads opened meanwhile (a workspace serving pages) are theirs to close."""
    thread = threading.get_ident()
    with _lock:
        mark = _counter
    try:
        yield
    finally:
        with _lock:
            later = [
                ref
                for key, (owner, ref) in sorted(_open.items(), reverse=True)
                if key > mark and owner == thread
            ]
        for ref in later:
            store = ref()
            if store is None:
                continue
            try:
                store.close()
            except Exception as exc:  # closing is housekeeping: the command's own result stands
                log.warning("closing a store failed: %s", exc)
