"""Evidence stays inside the case folder: paths are resolved (symlinks first) and checked before any read.

An evidence file is read only when its real path (``os.path.realpath``: ``..``, ``~`` and every
symlink resolved) lies inside the case folder, or inside a folder the person listed in the case's
``allow_outside``. System places (``/etc``, ``/proc``, ``~/.ssh``…) are refused even then, and so are
hidden folders of the home directory and the toolkit's own data folder.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from kameng_filer.findings import Finding

SYSTEM_PLACES: tuple[str, ...] = (
    "/etc",
    "/proc",
    "/sys",
    "/dev",
    "/boot",
    "/run",
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/usr",
    "/snap",
    "/var/lib",
    "/var/log",
    "/var/run",
    "/var/spool",
    "/var/mail",
    "/var/backups",
    "/var/cache",
    "/private/etc",
    "/private/var/db",
    "/System",
    "/Library",
)
"""Folders whose files are never evidence (tried as given and with symlinks resolved)."""

HOME_SECRETS: tuple[str, ...] = (
    ".ssh",
    ".gnupg",
    ".aws",
    ".azure",
    ".kube",
    ".docker",
    ".password-store",
    ".netrc",
    ".pgpass",
    ".git-credentials",
    ".config",
    ".local/share/keyrings",
)
"""Places in the home folder holding keys and passwords: refused even inside a case folder."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an evidence path may not be read: Chinese ``message`` and ``hint``, and the real path."""

    message: str
    hint: str
    real: Path


def written_path(base_dir: Path, file: str) -> Path:
    """The evidence path as written: ``~`` expanded, relative to ``base_dir`` (symlinks not resolved)."""
    p = Path(file)
    with contextlib.suppress(RuntimeError):  # "~unknownuser/…" stays as written
        p = p.expanduser()
    return p if p.is_absolute() else base_dir / p


def real_path(base_dir: Path, file: str) -> Path:
    """The evidence file's real path: ``~`` expanded, relative to ``base_dir``, every symlink resolved."""
    try:
        expanded = os.path.expanduser(file)
    except (RuntimeError, KeyError):
        expanded = file
    try:
        return Path(os.path.realpath(os.path.join(base_dir, expanded)))
    except (OSError, ValueError):
        return Path(os.path.abspath(os.path.join(base_dir, expanded)))


def _inside(path: Path, folder: Path) -> bool:
    """True when ``path`` is ``folder`` or lies below it (both absolute and already resolved)."""
    p, f = str(path), str(folder)
    if p == f:
        return True
    return p.startswith(f if f.endswith(os.sep) else f + os.sep)


def real_folder(folder: str | Path) -> Path:
    """A folder's real path (``~`` expanded, symlinks resolved)."""
    return _real_folder(folder)


def _real_folder(folder: str | Path) -> Path:
    try:
        return Path(os.path.realpath(Path(folder).expanduser()))
    except (OSError, ValueError, RuntimeError):
        return Path(os.path.abspath(folder))


@lru_cache(maxsize=4)
def _real_home(home: str | None) -> Path | None:
    try:
        return _real_folder(Path(home) if home else Path.home())
    except (RuntimeError, KeyError, OSError):
        return None


def _home() -> Path | None:
    return _real_home(os.environ.get("HOME"))


@lru_cache(maxsize=4)
def _real_kameng_home(data: str) -> Path:
    return _real_folder(Path(data))


def _kameng_home() -> Path:
    from kameng_filer import home

    return _real_kameng_home(str(home.current().data))


@lru_cache(maxsize=1)
def _system_places() -> tuple[tuple[str, str], ...]:
    """Each system place with its spelling and its real path (``/etc`` → ``/private/etc`` on macOS)."""
    out: list[tuple[str, str]] = []
    for place in SYSTEM_PLACES:
        out.append((place, place))
        real = str(_real_folder(place))
        if real != place:
            out.append((place, real))
    return tuple(out)


@lru_cache(maxsize=1)
def _system_prefixes() -> tuple[str, ...]:
    return tuple(folder + os.sep for _, folder in _system_places())


def _never(real: Path) -> str | None:
    """Why ``real`` is never evidence (a system place or a key store in the home folder), or None."""
    text = str(real) + os.sep
    if text.startswith(_system_prefixes()):
        for place, folder in _system_places():
            if text.startswith(folder + os.sep):
                return f"系统目录 {place}"
    home = _home()
    if home is not None and home != Path("/") and _inside(real, home):
        for name in HOME_SECRETS:
            if _inside(real, home / name):
                return f"存放密钥或密码的位置 ~/{name}"
    return None


def _sensitive_outside(real: Path) -> str | None:
    """Why a file outside the case folder stays refused even in an allowed folder, or None."""
    never = _never(real)
    if never:
        return never
    if _inside(real, _kameng_home()):
        return "本工具的数据文件夹"
    home = _home()
    if home is not None and home != Path("/") and _inside(real, home) and real != home:
        first = real.relative_to(home).parts[0]
        if first.startswith("."):
            return f"主目录下的隐藏文件夹 ~/{first}"
    return None


def folder_problem(folder: str) -> str | None:
    """Why an ``allow_outside`` entry cannot be allowed (too broad or a system place), or None."""
    if not folder.strip():
        return "路径是空的"
    real = _real_folder(folder.strip())
    if not Path(folder.strip()).expanduser().is_absolute():
        return "必须写绝对路径（如 /home/me/截图 或 ~/截图）"
    home = _home()
    if real == Path(real.anchor) or (home is not None and _inside(home, real)):
        return "范围太大（根目录或整个主目录）"
    why = _sensitive_outside(real)
    if why:
        return why
    return None


def evidence_refusal(
    base_dir: Path,
    file: str,
    allow_outside: Iterable[str] = (),
    *,
    real: Path | None = None,
    case_dir: Path | None = None,
) -> Refusal | None:
    """Why the evidence ``file`` (as written in a case in ``base_dir``) may not be read, or None.

    ``real`` (the file's real path) and ``case_dir`` (the folder's) may be passed when already known.
    """
    real = real if real is not None else real_path(base_dir, file)
    case_dir = case_dir if case_dir is not None else _real_folder(base_dir)
    if _inside(real, case_dir):
        why = _never(real)
        if why is None:
            return None
        return Refusal(
            f"证据文件 {file} 指向{why}（{real}），拒绝读取",
            "证据只能是你自己的截图、录屏或导出的文件；把它复制到案件的 evidence/ 文件夹后改写路径",
            real,
        )
    allowed = [_real_folder(f) for f in allow_outside if isinstance(f, str) and folder_problem(f) is None]
    why = _sensitive_outside(real)
    if why is None and any(_inside(real, folder) for folder in allowed):
        return None
    if why is not None:
        return Refusal(
            f"证据文件 {file} 在案件文件夹之外，指向{why}（{real}），拒绝读取",
            "证据只能是你自己的截图、录屏或导出的文件；把它复制到案件的 evidence/ 文件夹后改写路径",
            real,
        )
    link = "（经符号链接）" if real != Path(os.path.abspath(written_path(base_dir, file))) else ""
    return Refusal(
        f"证据文件 {file} 在案件文件夹 {case_dir} 之外{link}：实际位置 {real}，拒绝读取",
        "把文件复制到案件的 evidence/ 文件夹并改写路径；确需使用其他文件夹时，"
        "在案件文件中写 allow_outside: [该文件夹的绝对路径]（见 docs/case-format.md）",
        real,
    )


def _allowed_folders(raw: dict[str, Any]) -> list[tuple[int, str]]:
    value = raw.get("allow_outside")
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return [(i, f) for i, f in enumerate(value) if isinstance(f, str)]


def containment_findings(
    raw: Any,
    base_dir: Path,
    line: Callable[[str], int | None],
    known: list[Refusal | None] | None = None,
) -> list[Finding]:
    """Error findings for evidence outside the case folder and for ``allow_outside`` folders refused.

    ``known`` holds each evidence item's refusal when the validated case already worked them out.
    """
    if not isinstance(raw, dict):
        return []
    out: list[Finding] = []
    folders = _allowed_folders(raw)
    for i, folder in folders:
        why = folder_problem(folder)
        if why:
            path = f"allow_outside[{i}]"
            out.append(
                Finding(
                    "evidence.outside_folder",
                    "error",
                    path,
                    f"不能允许读取文件夹 {folder}:{why}",
                    "只列出存放证据截图的具体文件夹（绝对路径），例如 /home/me/截图",
                    line(path),
                )
            )
    allowed = [f for _, f in folders]
    evidence = raw.get("evidence")
    for i, item in enumerate(evidence if isinstance(evidence, list) else []):
        file = item.get("file") if isinstance(item, dict) else None
        if not isinstance(file, str) or not file.strip():
            continue
        if known is not None and i < len(known):
            refusal = known[i]
        else:
            refusal = evidence_refusal(base_dir, file.strip(), allowed)
        if refusal is not None:
            path = f"evidence[{i}].file"
            out.append(
                Finding("evidence.outside_case", "error", path, refusal.message, refusal.hint, line(path))
            )
    return out
