"""Automatic backups of the SQLite database (SQLite's online backup API) and restoring one.

Backups live in ``backups/`` next to the database, mode 0600, named
``kameng-<UTC time>-<kind>.sqlite3``. Kinds: ``migrate`` (before a schema upgrade), ``daily``
(the first writable open of a day, so also every day while ``kameng watch`` runs) and ``auto``
(when a command changed the database, at close). Each kind keeps its newest few.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from kameng_filer.errors import StoreError

KEEP = {"auto": 5, "daily": 7, "migrate": 3}
DAILY = timedelta(days=1)
STALE_TMP_SECONDS = 600
_NAME = re.compile(r"^kameng-(\d{8}T\d{6}\d{6})-(auto|daily|migrate)\.sqlite3$")


@dataclass(frozen=True, slots=True)
class BackupInfo:
    """One backup file: where, which kind, when (UTC) and how big."""

    path: Path
    kind: str
    at: datetime
    size: int


@dataclass(frozen=True, slots=True)
class BackupContent:
    """What a backup holds: schema revision, cases, filings, and the newest filing change (UTC text)."""

    revision: str | None
    cases: int
    filings: int
    last_change: str | None


def backups_dir(db: Path) -> Path:
    """The backup folder of the database ``db``."""
    return db.parent / "backups"


def list_backups(db: Path) -> list[BackupInfo]:
    """The backups of ``db``, newest first (temporary files and foreign names ignored)."""
    folder = backups_dir(db)
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    found: list[BackupInfo] = []
    for e in entries:
        m = _NAME.match(e.name)
        if not m or not e.is_file():
            continue
        at = datetime.strptime(m.group(1), "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC)
        found.append(BackupInfo(Path(e.path), m.group(2), at, e.stat().st_size))
    return sorted(found, key=lambda b: b.at, reverse=True)


def newest_usable(db: Path) -> BackupInfo | None:
    """The newest backup that opens as a kameng database (a damaged newest one is skipped)."""
    for b in list_backups(db):
        try:
            if inspect(b.path).revision is not None:
                return b
        except StoreError:
            continue
    return None


def find_backup(db: Path, name: str) -> BackupInfo | None:
    """The backup called ``name`` (file name, or a path inside the backup folder)."""
    wanted = Path(name).name
    return next((b for b in list_backups(db) if b.path.name == wanted), None)


def _private_file(path: Path) -> None:
    """Create an empty file readable by its owner only (0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def copy_database(src: Path, dest: Path, *, durable: bool = True) -> None:
    """Copy the database ``src`` into a new 0600 file ``dest`` with SQLite's online backup (consistent
    while others write); written beside ``dest`` and renamed, never left half-written.

    ``durable`` syncs the copy to disk before the rename (rolling ``auto`` backups skip it).
    """
    tmp = dest.with_name(f".tmp-{dest.name}-{os.getpid()}")
    try:
        _private_file(tmp)
        source = sqlite3.connect(f"file:{quote(str(src))}?mode=ro", uri=True, timeout=15)
        try:
            target = sqlite3.connect(tmp)
            try:
                # a fresh private file: no journal, no syncs while copying; one fsync at the end
                target.execute("PRAGMA journal_mode=OFF")
                target.execute("PRAGMA synchronous=OFF")
                source.backup(target)
                target.execute("PRAGMA journal_mode=DELETE")
            finally:
                target.close()
        finally:
            source.close()
        if durable:
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def make_backup(db: Path, kind: str) -> BackupInfo:
    """Back up ``db`` now as ``kind``; prune older backups of that kind. ``OSError``/``sqlite3.Error`` pass."""
    folder = backups_dir(db)
    folder.mkdir(mode=0o700, exist_ok=True)
    at = datetime.now(UTC)
    dest = folder / f"kameng-{at:%Y%m%dT%H%M%S%f}-{kind}.sqlite3"
    copy_database(db, dest, durable=kind != "auto")
    prune(db)
    return BackupInfo(dest, kind, at, dest.stat().st_size)


def prune(db: Path) -> None:
    """Keep the newest ``KEEP[kind]`` backups of each kind; remove temporary files older than 10 minutes."""
    seen: dict[str, int] = {}
    for b in list_backups(db):
        seen[b.kind] = seen.get(b.kind, 0) + 1
        if seen[b.kind] > KEEP.get(b.kind, 3):
            b.path.unlink(missing_ok=True)
    cutoff = time.time() - STALE_TMP_SECONDS
    try:
        for e in os.scandir(backups_dir(db)):
            if e.name.startswith(".tmp-") and e.stat().st_mtime < cutoff:
                Path(e.path).unlink(missing_ok=True)
    except OSError:
        pass


def daily_due(db: Path, now: datetime | None = None) -> bool:
    """True when the newest ``daily`` backup is older than a day (or there is none)."""
    newest = next((b for b in list_backups(db) if b.kind == "daily"), None)
    return newest is None or (now or datetime.now(UTC)) - newest.at >= DAILY


def inspect(path: Path) -> BackupContent:
    """Read what a database file holds; ``StoreError`` when it is not a usable kameng database."""
    try:
        con = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
        try:
            if con.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("quick_check failed")
            rev = con.execute("SELECT version_num FROM alembic_version").fetchone()
            cases = con.execute("SELECT count(*) FROM cases").fetchone()[0]
            filings, last = con.execute("SELECT count(*), max(updated_at) FROM filings").fetchone()
        finally:
            con.close()
    except sqlite3.Error as exc:
        raise StoreError(
            f"备份文件已损坏，或不是 kameng 的数据库：{path}",
            hint="换一个备份：kameng restore --list 列出全部备份",
            detail=str(exc),
        ) from None
    return BackupContent(rev[0] if rev else None, cases, filings, last)
