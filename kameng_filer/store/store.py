"""The local store: cases and their versions, evidence blobs, filing records and the events timeline."""

from __future__ import annotations

import logging
import os
import sqlite3
import weakref
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from kameng_filer import openstores, paths
from kameng_filer.errors import StoreError
from kameng_filer.store import housekeeping
from kameng_filer.store.blobs import BlobStore
from kameng_filer.store.cases import CaseMethods
from kameng_filer.store.engine import (
    DEFAULT_BUSY_TIMEOUT,
    HEAD_REVISION,
    current_revision,
    ensure_schema,
    guard,
    make_engine,
)
from kameng_filer.store.filings import FilingMethods
from kameng_filer.store.lost import leftovers, lost_error
from kameng_filer.store.timeline import TimelineMethods

log = logging.getLogger(__name__)


def _filled_meanwhile(db: Path, state: str) -> bool:
    """True when a database seen missing or empty now has content: a concurrent first open created it
    (its schema is then checked again under the migration lock)."""
    return state in ("不存在", "是空的") and db.is_file() and db.stat().st_size > 0


class Store(CaseMethods, FilingMethods, TimelineMethods):
    """The SQLite database plus the blob folder. Open with ``Store.open()``; close (or use ``with``).

    Every public method runs in its own short transaction and returns plain records, so two
    processes can use the same store at once (WAL; writers queue up to the busy timeout).
    ``session()`` / ``transaction()`` give other parts direct ORM access (``kameng_filer.store.models``).
    """

    _finalizer: weakref.finalize | None = None

    @classmethod
    def open(
        cls,
        path: str | Path | None = None,
        *,
        blobs_dir: str | Path | None = None,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        readonly: bool = False,
    ) -> Store:
        """Open (creating and upgrading as needed) the store at ``path`` (default ``paths.db_path()``).

        Blobs live in ``blobs_dir``, by default ``paths.blobs_dir()`` — or ``blobs/`` next to an
        explicit ``path``. When the schema is current, opening costs one small query.

        A missing, empty or schema-less database beside earlier data (evidence, artifacts, sessions,
        backups) is a ``StoreError`` with a recovery hint, never a fresh start. A writable open
        removes stale blob temp files; ``close()`` makes the daily backup when due, or a rolling
        backup when the database changed. ``readonly=True`` (commands that only read) opens the file with
        SQLite's ``mode=ro`` and skips all of that; it works in a read-only data folder.
        """
        db = Path(path).expanduser() if path is not None else paths.home_path() / "kameng.sqlite3"
        blobs_root = Path(blobs_dir).expanduser() if blobs_dir is not None else db.parent / "blobs"
        store = None
        if readonly and db.is_file() and db.stat().st_size > 0:
            store = cls._open_readonly(db, blobs_root, busy_timeout)
        if store is None:
            store = cls._open_writable(db, blobs_root, busy_timeout)
        openstores.register(store)  # closed when the command ends (cli.common.handle_errors)
        return store

    @classmethod
    def _open_readonly(cls, db: Path, blobs_root: Path, busy_timeout: float) -> Store | None:
        """A ``mode=ro`` store when the schema is current; None when it needs creating or upgrading."""
        engine = make_engine(db, busy_timeout=busy_timeout, readonly=True)
        try:
            with guard(db), engine.connect() as conn:
                rev = current_revision(conn)
        except BaseException:
            engine.dispose()
            raise
        if rev == HEAD_REVISION:
            return cls(engine, db, BlobStore(blobs_root), readonly=True)
        engine.dispose()
        if rev is not None and not os.access(db.parent, os.W_OK):
            raise StoreError(
                f"数据库需要先升级结构才能使用，但数据文件夹是只读的：{db.parent}",
                hint="给该文件夹加上写权限后运行任意 kameng 命令一次（升级前会自动备份）",
            )
        return None

    @classmethod
    def _open_writable(cls, db: Path, blobs_root: Path, busy_timeout: float) -> Store:
        paths.ensure_dir(db.parent)
        state = (
            "不存在"
            if not db.exists()
            else ("是空的" if db.stat().st_size == 0 else "里没有 kameng 的数据表")
        )

        def refuse_if_lost() -> None:
            found = leftovers(db, blobs_root)
            if found and not _filled_meanwhile(db, state):
                raise lost_error(db, found, state)

        if state != "里没有 kameng 的数据表":
            refuse_if_lost()  # before SQLite writes its first page into an emptied file
        if not os.access(db.parent, os.W_OK):
            raise StoreError(
                f"数据文件夹不可写：{db.parent}",
                hint=f"这个命令需要写入数据：给该文件夹加上写权限（如 chmod -R u+w {db.parent}），"
                "或用 KAMENG_HOME 指定可写的数据文件夹；只查看的命令（kameng status、kameng cases）在只读文件夹上也能用",
            )
        created = housekeeping.create_private(db)

        engine = make_engine(db, busy_timeout=busy_timeout)
        try:
            with guard(db):
                ensure_schema(engine, db, on_new=refuse_if_lost)
        except BaseException:
            engine.dispose()
            if created:
                housekeeping.remove_if_empty(db)
            raise
        store = cls(engine, db, BlobStore(paths.ensure_dir(blobs_root)))
        store._after_open()
        return store

    def _after_open(self) -> None:
        """Housekeeping of a writable open; failures are logged, never fatal.

        The closing backup is a ``weakref.finalize``: it runs at ``close()``, or when the store is
        dropped or the process exits without closing it (commands that never call ``close()``).
        """
        try:
            self.blobs.clean_stale_tmp()
            housekeeping.tighten(self.path)
            before = housekeeping.fingerprint(self.engine)
        except (OSError, sqlite3.Error, DBAPIError, StoreError) as exc:
            log.warning("store housekeeping failed: %s", exc)
            return
        self._finalizer = weakref.finalize(self, housekeeping.closing_backup, self.engine, self.path, before)

    def close(self) -> None:
        """Release the connections; first, on a writable store, the daily backup when due (a store
        with cases) or else a rolling ``auto`` backup when this store changed the database."""
        try:
            if self._finalizer is not None:
                self._finalizer()
        finally:
            self.engine.dispose()
            openstores.unregister(self)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
