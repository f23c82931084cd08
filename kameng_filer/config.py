"""The user's settings file (``config.yaml``): per-channel settings and notification targets, never secrets.

Loading validates the whole file (``kameng_filer.settings_model``): a wrong value, an unknown key or a
secret-looking key is a ``ConfigError`` naming every problem by its path (``channels.email.smtp_port``)
and line. Channel names YAML reads as numbers (``12315:``) are taken as text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from kameng_filer import paths
from kameng_filer.errors import ConfigError

MAX_BYTES = 1_000_000
"""A settings file larger than this is refused (it holds a few dozen lines)."""


def _read(p: Path) -> str | None:
    """The file's text; None when it does not exist; ``ConfigError`` when it cannot be used."""
    from kameng_filer.textfile import read_small_text

    try:
        exists = p.exists()
    except OSError:
        exists = True  # let the read name the problem (e.g. a folder without permission)
    return read_small_text(p, f"配置文件 {p}", MAX_BYTES) if exists else None


def _parse(text: str, p: Path) -> Any:
    from kameng_filer.textfile import check_aliases

    check_aliases(text, f"配置文件 {p}")
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行" if mark else ""
        raise ConfigError(
            f"配置文件 {p} 的 YAML 格式错误 {where}".rstrip(),
            detail=str(getattr(exc, "problem", "") or ""),
            hint="检查缩进与冒号；文字里有 : 或 # 时加引号",
        ) from None
    except (RecursionError, ValueError, TypeError, OverflowError) as exc:  # deep nesting, bad !!tags
        raise ConfigError(
            f"配置文件 {p} 的 YAML 无法读取", detail=type(exc).__name__, hint="检查 YAML 结构与取值"
        ) from None


def load_config(path: Path | None = None) -> dict[str, Any]:
    """Read and validate the settings file (empty when absent); ``ConfigError`` in Chinese when wrong."""
    from kameng_filer.settings_check import validate_config

    p = path or paths.config_path()
    text = _read(p)
    if text is None:
        return {}
    data = _parse(text, p)
    return validate_config({} if data is None else data, source=str(p), text=text)


def save_config(data: dict[str, Any], path: Path | None = None) -> Path:
    """Validate and write the settings file."""
    from kameng_filer.settings_check import validate_config

    p = path or paths.config_path()
    data = validate_config(data, source=str(p))
    p.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return p


def channel_settings(name: str, config: dict[str, Any] | None = None) -> dict[str, Any]:
    """Validated settings of one channel (``channels.<name>``), addresses and numbers normalised."""
    from kameng_filer.settings_check import checked_section

    cfg = load_config() if config is None else config
    return checked_section(name, cfg)
