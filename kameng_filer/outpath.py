"""Check an output path (``--out``/``--output``) before long work: a clear Chinese error, never ``OSError``."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from kameng_filer.errors import KamengError

_REASONS = {
    errno.EACCES: "没有写权限",
    errno.EPERM: "没有写权限",
    errno.EROFS: "所在的文件系统是只读的",
    errno.ENOSPC: "磁盘已满",
    errno.ENOENT: "这个位置不能创建文件",
    errno.ENOTDIR: "路径中有一段不是文件夹",
}


def reason(exc: OSError) -> str:
    """A short Chinese reason for an ``OSError`` while writing."""
    return _REASONS.get(exc.errno or 0, exc.strerror or str(exc))


def output_error(path: Path, exc: OSError, *, option: str) -> KamengError:
    """The error for an output file that cannot be written."""
    return KamengError(
        f"无法写入输出文件 {path}:{reason(exc)}",
        hint=f"用 {option} 换一个可写的位置，例如当前文件夹：{option} {Path.cwd() / path.name}",
        detail=str(exc),
    )


def check_output(path: Path, *, option: str) -> Path:
    """``path`` (``~`` expanded) when a file can be written there; its folder is created if missing.

    Raises ``KamengError`` naming the path and the reason (a folder, no permission, read-only
    file system, ``/proc``…) so a command fails before its slow part, not after.
    """
    p = Path(path).expanduser()
    if p.is_dir():
        raise KamengError(
            f"{option} 指向的是一个文件夹：{p}", hint=f"{option} 要写文件的完整路径，例如 {p / 'letter.pdf'}"
        )
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=p.parent, prefix=".kameng-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise output_error(p, exc, option=option) from None
    return p
