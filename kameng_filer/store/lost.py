"""A missing, empty or schema-less database beside existing data is an error, never a fresh start.

Starting over with an empty database would forget every complaint already sent, and the next
``kameng file`` would send them again. Evidence blobs, filing artifacts, login sessions and
backups all prove the folder was used before.
"""

from __future__ import annotations

import os
from pathlib import Path

from kameng_filer.errors import StoreError
from kameng_filer.store.backup import BackupInfo, list_backups, newest_usable

_SIGNS = (("artifacts", "投诉材料（artifacts）"), ("sessions", "登录会话（sessions）"), ("assisted", "协助提交记录"))


def _has_files(folder: Path, depth: int = 2) -> bool:
    """True when ``folder`` holds at least one regular file (not a temporary one) within ``depth`` levels."""
    try:
        with os.scandir(folder) as it:
            for e in it:
                if e.name.startswith(".tmp-"):
                    continue
                if e.is_file(follow_symlinks=False):
                    return True
                if depth > 0 and e.is_dir(follow_symlinks=False) and _has_files(Path(e.path), depth - 1):
                    return True
    except OSError:
        return False
    return False


def leftovers(db: Path, blobs_root: Path) -> list[str]:
    """Chinese names of the earlier data found beside ``db`` (empty for a genuinely new folder)."""
    found = []
    if _has_files(blobs_root, 1):
        found.append(f"证据文件（{blobs_root}）")
    for name, label in _SIGNS:
        if _has_files(db.parent / name, 3):
            found.append(label)
    wal = db.with_name(db.name + "-wal")
    if wal.is_file() and wal.stat().st_size > 0:
        found.append(f"数据库日志文件 {wal.name}")
    if list_backups(db):
        found.append("自动备份（backups）")
    return found


def lost_error(db: Path, found: list[str], state: str) -> StoreError:
    """The error for a database that is ``state`` ("不存在"/"是空的"/…) although ``found`` data exists."""
    newest = newest_usable(db)
    if newest is not None:
        hint = (  # the command comes last, alone, so it can be copied (and parsed) as printed
            f"从自动备份恢复（最近的可用备份 {newest.path.name}，北京时间 {_shanghai(newest)}），运行：kameng restore"
        )
    else:
        hint = (
            f"如果有自己备份的数据库文件，把它复制回 {db}；"
            f"确实要从头开始，先把整个数据文件夹 {db.parent} 改名移走"
        )
    return StoreError(
        f"数据库文件{state}:{db}。但数据文件夹里还有以前的数据：{'、'.join(found)}。"
        "为避免重复投诉,kameng 不会把它当作新数据库从头开始",
        hint=hint,
    )


def _shanghai(b: BackupInfo) -> str:
    from zoneinfo import ZoneInfo

    return f"{b.at.astimezone(ZoneInfo('Asia/Shanghai')):%Y-%m-%d %H:%M}"
