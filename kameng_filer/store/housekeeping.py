"""Small chores of a writable store: private file modes, change fingerprint, the closing backup."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from kameng_filer.errors import StoreError
from kameng_filer.store import backup as backups

log = logging.getLogger(__name__)


def create_private(db: Path) -> bool:
    """Create ``db`` empty with mode 0600 unless it exists (SQLite then keeps that mode for its
    ``-wal``/``-shm`` files); True when this call created it."""
    try:
        fd = os.open(db, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def remove_if_empty(db: Path) -> None:
    """Remove an empty database file this process created (an open that failed leaves nothing)."""
    try:
        if db.stat().st_size == 0:
            db.unlink()
    except OSError:
        pass


def tighten(db: Path) -> None:
    """Make the database and its ``-wal``/``-shm`` files 0600 when others could read them."""
    if os.name != "posix":
        return
    for p in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        try:
            mode = stat.S_IMODE(p.stat().st_mode)
            if mode & 0o077:
                p.chmod(mode & 0o700)
        except OSError:
            continue


def fingerprint(engine: Engine) -> tuple[object, ...]:
    """A cheap summary that changes whenever cases, versions, filings or events change."""
    with engine.connect() as conn:
        row = conn.exec_driver_sql(
            "SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM case_versions),"
            " (SELECT count(*) FROM filings), (SELECT max(updated_at) FROM filings),"
            " (SELECT max(id) FROM events)"
        ).one()
        conn.rollback()
    return tuple(row)


def closing_backup(engine: Engine, db: Path, before: tuple[object, ...]) -> None:
    """At the end of a writable store's use: the daily backup when due (a store with cases), else a
    rolling ``auto`` backup when the database changed since ``before``. Failures are only logged."""
    try:
        if not db.is_file() or db.stat().st_size == 0:  # gone or emptied meanwhile: nothing to keep
            return
        now = fingerprint(engine)
        if now[0] and backups.daily_due(db):
            backups.make_backup(db, "daily")
        elif now != before:
            backups.make_backup(db, "auto")
    except (OSError, sqlite3.Error, DBAPIError, StoreError) as exc:
        log.warning("automatic backup failed: %s", exc)
