"""The local store opened read-only for the pages (its own module so the page modules need not import ``app``).

One read-only ``Store`` per database file is kept for the life of the workspace: every store method
runs in its own short transaction on a fresh SQLite connection (nothing stays open between pages), so
keeping the engine only keeps SQLAlchemy's compiled statements, which otherwise were rebuilt for every
page. A database replaced on disk (``kameng restore``) is a new file and gets a new store.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from kameng_filer import paths

KEPT = 8
_KEPT: OrderedDict[tuple[str, int, int], Any] = OrderedDict()
_LOCK = threading.Lock()


@contextlib.contextmanager
def open_store() -> Iterator[Any]:
    """The local store read-only, or None when nothing was saved yet (reading must not create it)."""
    db = paths.db_path()
    try:
        st = db.stat()
    except FileNotFoundError:
        yield None
        return
    key = (str(db), st.st_dev, st.st_ino)
    with _LOCK:
        store = _KEPT.get(key)
        if store is not None:
            _KEPT.move_to_end(key)
    if store is not None:
        yield store
        return
    from kameng_filer.store import Store

    store = Store.open(readonly=True)
    if not getattr(store, "readonly", False):  # it had to be created or upgraded: not kept
        try:
            yield store
        finally:
            store.close()
        return
    with _LOCK:
        _KEPT[key] = store
        while len(_KEPT) > KEPT:
            _KEPT.popitem(last=False)[1].close()
    yield store
