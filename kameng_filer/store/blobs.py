"""Content-addressed file store: each file lives once under ``root/ab/cdef…`` named by its SHA-256."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kameng_filer.errors import StoreError
from kameng_filer.store.sniff import SNIFF_BYTES, sniff_mime

CHUNK = 1 << 20
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
TMP_PREFIX = ".tmp-"
ORPHAN_AGE = 60.0
"""A temp file whose writer process is gone is removed once untouched this many seconds."""
STALE_AGE = 3600.0
"""Any temp file untouched this long is removed (a writer never pauses that long between chunks)."""
_TMP_PID = re.compile(r"^\.tmp-(\d+)-")


@dataclass(frozen=True, slots=True)
class BlobInfo:
    """A stored file: its hash, size, sniffed MIME type, path, and whether it was already stored."""

    sha256: str
    size: int
    mime: str
    path: Path
    existed: bool


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class BlobStore:
    """Files stored by content: writing the same bytes twice stores them once (idempotent)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        """Where the blob with this SHA-256 lives (whether or not it exists)."""
        if not _SHA256.match(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:]

    def exists(self, sha256: str) -> bool:
        """True when the blob is stored."""
        return self.path_for(sha256).is_file()

    def read_bytes(self, sha256: str) -> bytes:
        """The stored bytes of a blob."""
        try:
            return self.path_for(sha256).read_bytes()
        except OSError as exc:
            raise StoreError(f"证据存储中缺少文件 {sha256[:12]}…", detail=str(exc)) from None

    def verify(self, sha256: str) -> bool:
        """True when the stored file exists and still hashes to its name."""
        p = self.path_for(sha256)
        if not p.is_file():
            return False
        h = hashlib.sha256()
        for chunk in _chunks(p):
            h.update(chunk)
        return h.hexdigest() == sha256

    def put_file(self, src: Path) -> BlobInfo:
        """Store a file's content (hash first, copy only when missing); returns its ``BlobInfo``."""
        src = Path(src)
        h = hashlib.sha256()
        size = 0
        head = b""
        try:
            for chunk in _chunks(src):
                if len(head) < SNIFF_BYTES:
                    head += chunk[: SNIFF_BYTES - len(head)]
                h.update(chunk)
                size += len(chunk)
        except OSError as exc:
            raise StoreError(f"无法读取证据文件：{src}", detail=str(exc)) from None
        digest = h.hexdigest()
        dest = self.path_for(digest)
        mime = sniff_mime(head)
        if dest.is_file() and dest.stat().st_size == size:
            return BlobInfo(digest, size, mime, dest, True)
        self._write(dest, digest, _chunks(src), what=str(src))
        return BlobInfo(digest, size, mime, dest, False)

    def put_bytes(self, data: bytes) -> BlobInfo:
        """Store bytes (e.g. a screenshot); returns their ``BlobInfo``."""
        digest = hashlib.sha256(data).hexdigest()
        dest = self.path_for(digest)
        mime = sniff_mime(data[:SNIFF_BYTES])
        if dest.is_file() and dest.stat().st_size == len(data):
            return BlobInfo(digest, len(data), mime, dest, True)
        self._write(dest, digest, iter([data]), what="data")
        return BlobInfo(digest, len(data), mime, dest, False)

    def _write(self, dest: Path, digest: str, chunks: Iterator[bytes], *, what: str) -> None:
        """Temp file in the target folder + fsync + atomic rename; the hash is checked while copying."""
        tmp: str | None = None
        try:
            dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f"{TMP_PREFIX}{os.getpid()}-")
            h = hashlib.sha256()
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    h.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if h.hexdigest() != digest:
                raise StoreError(f"证据文件在导入过程中被修改：{what}", hint="等文件不再变化后重新导入")
            if os.name == "posix":  # read-only evidence; on Windows it would block replace/rmtree
                os.chmod(tmp, 0o400)
            os.replace(tmp, dest)
            tmp = None
            _fsync_dir(dest.parent)
        except OSError as exc:
            raise StoreError(
                f"无法写入证据存储：{self.root}", detail=str(exc), hint="检查磁盘空间和文件夹权限"
            ) from None
        finally:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)

    def clean_stale_tmp(self, *, now: float | None = None) -> list[Path]:
        """Remove temp files left by an interrupted import (e.g. SIGKILL during ``kameng add``).

        A temp file is named ``.tmp-<pid>-…``; it is removed when that process no longer runs and the
        file has not been written for ``ORPHAN_AGE`` seconds, or when untouched for ``STALE_AGE``
        (older names without a pid, or a reused pid). A concurrent import keeps writing its file, so
        its file is never old. Returns what was removed.
        """
        at = time.time() if now is None else now
        removed: list[Path] = []
        try:
            prefixes = [e.path for e in os.scandir(self.root) if len(e.name) == 2 and e.is_dir()]
        except OSError:
            return removed
        for folder in prefixes:
            try:
                with os.scandir(folder) as it:
                    tmps = [e for e in it if e.name.startswith(TMP_PREFIX)]
            except OSError:
                continue
            for e in tmps:
                try:
                    age = at - e.stat(follow_symlinks=False).st_mtime
                    m = _TMP_PID.match(e.name)
                    orphan = m is None or not _alive(int(m.group(1)))
                    if age >= STALE_AGE or (orphan and age >= ORPHAN_AGE):
                        os.unlink(e.path)
                        removed.append(Path(e.path))
                except OSError:
                    continue
        return removed


def _alive(pid: int) -> bool:
    """True when a process with this pid exists (on this machine)."""
    if os.name != "posix":  # os.kill(pid, 0) would signal the process on Windows: rely on age only
        return True
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True
