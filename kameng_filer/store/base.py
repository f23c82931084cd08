"""The store's plumbing shared by its parts: the engine, the blob folder, read and write sessions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from kameng_filer.store.blobs import BlobStore
from kameng_filer.store.engine import WRITE, guard


class StoreBase:
    """Holds the engine and blob store; hands out sessions whose database failures become ``StoreError``.

    ``readonly`` stores (``Store.open(readonly=True)``) read the file with SQLite's ``mode=ro``.
    """

    def __init__(self, engine: Engine, path: Path, blobs: BlobStore, *, readonly: bool = False) -> None:
        self.engine = engine
        self.path = path
        self.blobs = blobs
        self.readonly = readonly
        self._read = sessionmaker(engine, expire_on_commit=False)
        self._write = sessionmaker(engine.execution_options(**WRITE), expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A read session (``BEGIN``); database failures become ``StoreError``."""
        with guard(self.path), self._read() as s:
            yield s

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write transaction (``BEGIN IMMEDIATE``), committed on success, rolled back on error."""
        with guard(self.path), self._write.begin() as s:
            yield s
