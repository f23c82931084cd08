"""Where the toolkit keeps its data: the current ``Home`` (``$KAMENG_HOME`` or the platformdirs user data folder).

Folders the toolkit creates are private (0700): they hold evidence, receipts and login sessions.
A folder that cannot be created becomes a ``StoreError`` naming it, never a raw ``OSError``.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

from kameng_filer import home
from kameng_filer.errors import StoreError
from kameng_filer.home import APP as APP
from kameng_filer.home import CONFIG_NAME as CONFIG_NAME


def home_path() -> Path:
    """The data folder's path, without creating it."""
    return home.current().data


def ensure_dir(p: Path) -> Path:
    """Create the folder ``p`` (0700, parents as needed) unless it exists; ``StoreError`` when impossible."""
    if p.is_dir():
        return p
    try:
        p.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"无法创建文件夹：{p}",
            hint="检查它的上级文件夹是否存在并且可写；也可以用环境变量 KAMENG_HOME 指定一个可写的数据文件夹",
            detail=str(exc),
        ) from None
    return p


_CANNOT_WRITE = {
    errno.EACCES: "没有写权限",
    errno.EPERM: "没有写权限",
    errno.EROFS: "所在的文件系统是只读的",
    errno.ENOSPC: "磁盘已满",
    getattr(errno, "EDQUOT", -1): "磁盘配额已满",
}


def data_os_error(exc: BaseException) -> StoreError | None:
    """A Chinese ``StoreError`` for an ``OSError`` writing inside the data or config folder
    (read-only, no permission, disk full); None for anything else."""
    if not isinstance(exc, OSError) or exc.errno not in _CANNOT_WRITE:
        return None
    names = [n for n in (exc.filename, exc.filename2) if n]
    roots = [home_path(), *(c.parent for c in config_candidates())]
    for name in names:
        target = Path(os.fsdecode(name)).expanduser().absolute()
        for root in roots:
            if target == root or root in target.parents:
                return StoreError(
                    f"无法写入数据文件夹 {root}:{_CANNOT_WRITE[exc.errno]}",
                    hint=f"这个命令需要写入 {target}：给该文件夹加上写权限、腾出磁盘空间，"
                    "或用 KAMENG_HOME 指定可写的数据文件夹；只查看的命令（kameng status、kameng cases）在只读文件夹上也能用",
                    detail=str(exc),
                )
    return None


def data_dir() -> Path:
    """The data folder (created on first use)."""
    return ensure_dir(home_path())


def sub(name: str) -> Path:
    """A sub-folder of the data folder (created on first use)."""
    return ensure_dir(data_dir() / name)


def db_path() -> Path:
    """The SQLite database file."""
    return data_dir() / "kameng.sqlite3"


def config_candidates() -> list[Path]:
    """Where ``config.yaml`` is looked for, first match wins (see ``config_path``)."""
    return home.current().config_candidates()


def config_path() -> Path:
    """The user's settings file (channels, SMTP, notification URLs; never secrets).

    With ``KAMENG_HOME`` set: ``$KAMENG_HOME/config.yaml``. Otherwise the platform's config folder
    (``platformdirs.user_config_dir``, e.g. ``~/.config/kameng-filer/config.yaml``); a file at the old
    place (the data folder) is still used while the new place has none. The new place's folder is
    created when possible (so the file can be written there).
    """
    candidates = config_candidates()
    for p in candidates:
        if p.is_file():
            return p
    with contextlib.suppress(StoreError):  # a read-only place: reading finds no file; writing says why
        ensure_dir(candidates[0].parent)
    return candidates[0]


def _lookup_dir(name: str) -> Path:
    """A folder of optional user files: created when possible, its path either way (read-only homes)."""
    try:
        return sub(name)
    except StoreError:
        return home_path() / name


def blobs_dir() -> Path:
    """Content-addressed evidence store."""
    return sub("blobs")


def sessions_dir() -> Path:
    """Stored browser sessions (storage state files, mode 0600)."""
    p = sub("sessions")
    with contextlib.suppress(OSError):  # not ours or a read-only folder: reading sessions still works
        p.chmod(0o700)
    return p


def artifacts_dir() -> Path:
    """Screenshots, confirmation pages and prepared files per filing."""
    return sub("artifacts")


def user_templates_dir() -> Path:
    """Templates here override the built-in ones with the same relative name."""
    return _lookup_dir("templates")


def user_profiles_dir() -> Path:
    """Site profiles written by the user."""
    return _lookup_dir("profiles")


def user_schedules_dir() -> Path:
    """Policy overrides written by the user."""
    return _lookup_dir("schedules")


def holidays_override_path() -> Path:
    """Optional file of extra holidays / make-up working days."""
    data_dir()
    return home.current().holidays
