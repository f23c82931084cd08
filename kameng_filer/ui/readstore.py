"""The local store opened read-only for one page (its own module so the page modules need not import ``app``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from kameng_filer import paths


@contextlib.contextmanager
def open_store() -> Iterator[Any]:
    """The local store read-only, or None when nothing was saved yet (reading must not create it)."""
    if not paths.db_path().exists():
        yield None
        return
    from kameng_filer.store import Store

    store = Store.open(readonly=True)
    try:
        yield store
    finally:
        store.close()
