"""The local store: cases and their versions, evidence blobs, filing records and the events timeline."""

from __future__ import annotations

from pathlib import Path

from kameng_filer import paths
from kameng_filer.errors import StoreError
from kameng_filer.store.blobs import BlobStore
from kameng_filer.store.cases import CaseMethods
from kameng_filer.store.engine import DEFAULT_BUSY_TIMEOUT, ensure_schema, guard, make_engine
from kameng_filer.store.filings import FilingMethods
from kameng_filer.store.timeline import TimelineMethods


class Store(CaseMethods, FilingMethods, TimelineMethods):
    """The SQLite database plus the blob folder. Open with ``Store.open()``; close (or use ``with``).

    Every public method runs in its own short transaction and returns plain records, so two
    processes can use the same store at once (WAL; writers queue up to the busy timeout).
    ``session()`` / ``transaction()`` give other parts direct ORM access (``kameng_filer.store.models``).
    """

    @classmethod
    def open(
        cls,
        path: str | Path | None = None,
        *,
        blobs_dir: str | Path | None = None,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    ) -> Store:
        """Open (creating and upgrading as needed) the store at ``path`` (default ``paths.db_path()``).

        Blobs live in ``blobs_dir``, by default ``paths.blobs_dir()`` — or ``blobs/`` next to an
        explicit ``path``. When the schema is current, opening costs one small query.
        """
        db = Path(path).expanduser() if path is not None else paths.db_path()
        if blobs_dir is not None:
            blobs_root = Path(blobs_dir).expanduser()
        else:
            blobs_root = paths.blobs_dir() if path is None else db.parent / "blobs"
        try:
            db.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"无法创建数据文件夹:{db.parent}", detail=str(exc)) from None
        engine = make_engine(db, busy_timeout=busy_timeout)
        try:
            with guard(db):
                ensure_schema(engine, db)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, db, BlobStore(blobs_root))

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
