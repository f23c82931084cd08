"""Read a small user-written text file (settings, site profiles) with clear Chinese errors: a folder, a FIFO,
a device, an oversized, unreadable, binary or non-UTF-8 file is a ``ConfigError`` naming the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kameng_filer.errors import ConfigError


def decode(raw: bytes, what: str) -> str:
    """UTF-8 text of ``raw`` (BOM allowed); ``what`` names the file in the error (e.g. ``配置文件 x.yaml``)."""
    if b"\x00" in raw:
        raise ConfigError(f"{what} 不是文本文件（含二进制内容）", hint="换成 YAML 文本，或把它移走")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{what} 不是 UTF-8 文本", hint="用 UTF-8 编码保存") from None


def read_small_text(entry: Any, what: str, max_bytes: int) -> str:
    """The text of ``entry`` (a ``Path`` or an importlib ``Traversable``) of at most ``max_bytes`` bytes."""
    try:
        if isinstance(entry, Path):
            if not entry.is_file():
                raise ConfigError(f"{what} 不是普通文件", hint="删除它，或换成 YAML 文本文件")
            if entry.stat().st_size > max_bytes:
                raise ConfigError(f"{what} 太大", hint="检查是否放错了文件")
        raw = entry.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"无法读取{what}", detail=type(exc).__name__, hint="检查文件权限（当前用户需要能读取它）"
        ) from None
    if len(raw) > max_bytes:
        raise ConfigError(f"{what} 太大", hint="检查是否放错了文件")
    return decode(raw, what)


MAX_ALIASES = 50
"""More YAML alias uses (``*name``) than this are refused: nested aliases expand exponentially."""


def check_aliases(text: str, what: str) -> None:
    """``ConfigError`` when the YAML ``text`` uses more than ``MAX_ALIASES`` aliases (a "billion laughs")."""
    import yaml

    count = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                count += 1
                if count > MAX_ALIASES:
                    raise ConfigError(
                        f"{what} 中的 YAML 引用（别名 *）过多，拒绝读取", hint="去掉 & 和 * 引用，直接写出内容"
                    )
    except (yaml.YAMLError, RecursionError):
        return  # the parser reports these itself, with their line
