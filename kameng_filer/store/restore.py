"""Put a backup back in place of the database: the old file is kept aside, never deleted."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kameng_filer.errors import StoreError
from kameng_filer.store.backup import BackupContent, BackupInfo, copy_database, inspect
from kameng_filer.store.engine import HEAD_REVISION, translate


@dataclass(frozen=True, slots=True)
class RestoreResult:
    """What was restored, what it holds, where the replaced files went, and folders newer than it."""

    backup: BackupInfo
    content: BackupContent
    kept_aside: list[Path]
    newer_artifacts: list[Path]


def database_state(db: Path) -> str:
    """``missing`` / ``empty`` / ``broken`` (not a usable kameng database) / ``ok``."""
    if not db.exists():
        return "missing"
    if db.stat().st_size == 0:
        return "empty"
    try:
        inspect(db)
    except StoreError:
        return "broken"
    return "ok"


def restore(db: Path, chosen: BackupInfo, *, force: bool = False) -> RestoreResult:
    """Replace ``db`` with the backup ``chosen`` (under the migration lock).

    A usable database is only replaced with ``force``. The current file and its ``-wal``/``-shm``
    are moved to ``replaced/`` beside it (a stale ``-wal`` must never be applied to the restored file).
    """
    from filelock import FileLock, Timeout

    content = inspect(chosen.path)
    if content.revision is None:
        raise StoreError(f"备份文件里没有 kameng 的数据表：{chosen.path.name}", hint="换一个备份")
    if content.revision > HEAD_REVISION:
        raise StoreError(
            f"备份 {chosen.path.name} 由更新版本的 kameng-filer 创建", hint="升级 kameng-filer 后再恢复"
        )
    state = database_state(db)
    if state == "ok" and not force:
        raise StoreError(
            f"当前数据库完好：{db}。恢复备份会丢掉备份之后的记录（包括之后提交的投诉）",
            hint=f"确实要恢复，请加 --force:kameng restore {chosen.path.name} --force",
        )
    _refuse_while_watching(db.parent)
    try:
        with FileLock(str(db) + ".migrate.lock", timeout=30, mode=0o600):
            kept = _move_aside(db)
            copy_database(chosen.path, db)
    except Timeout:
        raise StoreError(
            "另一个 kameng 进程正在使用数据库", hint="等它结束（或停止 kameng watch）后再恢复"
        ) from None
    except sqlite3.Error as exc:
        raise translate(exc, chosen.path) from None
    except OSError as exc:
        raise StoreError(
            f"无法写入数据库文件：{db}", hint="检查文件夹权限和磁盘空间", detail=str(exc)
        ) from None
    return RestoreResult(chosen, content, kept, _newer_artifacts(db.parent / "artifacts", chosen.at))


def _refuse_while_watching(home: Path) -> None:
    """``StoreError`` when a ``kameng watch`` holds this data folder (it would keep the old file open)."""
    from filelock import FileLock, Timeout

    lock_path = home / "watch.lock"
    if not lock_path.exists():
        return
    lock = FileLock(str(lock_path))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise StoreError(
            f"数据文件夹 {home} 里有 kameng watch 正在运行",
            hint="先停止 kameng watch（Ctrl-C 或 kill），再恢复备份",
        ) from None
    lock.release()


def _move_aside(db: Path) -> list[Path]:
    """Move the database and its WAL files into ``replaced/``; empty files are just removed."""
    folder = db.parent / "replaced"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    kept: list[Path] = []
    for p in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        if not p.exists():
            continue
        if p.stat().st_size == 0 or p.name.endswith("-shm"):
            p.unlink()
            continue
        folder.mkdir(mode=0o700, exist_ok=True)
        dest = folder / f"{stamp}-{p.name}"
        os.replace(p, dest)
        kept.append(dest)
    return kept


def _newer_artifacts(root: Path, since: datetime) -> list[Path]:
    """Filing folders (``artifacts/<case>/<filing>``) changed after ``since``: filed after the backup?"""
    cutoff = since.timestamp()
    found: list[Path] = []
    try:
        cases = [e for e in os.scandir(root) if e.is_dir()]
    except OSError:
        return found
    for case in cases:
        try:
            found.extend(
                Path(e.path) for e in os.scandir(case.path) if e.is_dir() and e.stat().st_mtime > cutoff
            )
        except OSError:
            continue
    return sorted(found)
