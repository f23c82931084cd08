"""Write one channel's section of ``config.yaml`` from the page, keeping the person's own file.

Checked exactly as ``config.save_config`` checks (``settings_check.validate_config``: the CLI's messages),
then changed in place with ``yamlkeep``: comments, order and untouched values stay as written; when the
round trip cannot be proven to read back the same data, the whole file is written plainly instead.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from kameng_filer import paths
from kameng_filer.atomicfile import replace_bytes
from kameng_filer.errors import ConfigError


def _raw_key(channels: dict[Any, Any], name: str) -> Any:
    """The key the file uses for ``name`` (YAML reads ``12315:`` as a number)."""
    if name not in channels and name.isdigit() and int(name) in channels:
        return int(name)
    return name


def _kept(old: str, before: dict[str, Any], after: dict[str, Any]) -> str:
    from kameng_filer.ui import yamlkeep

    try:
        text = yamlkeep.update(old, before, after)
        if yaml.safe_load(text) == after:
            return text
    except Exception:  # any surprise in the round trip: the plain dump (never a wrong file for a comment)
        pass
    return yaml.safe_dump(after, allow_unicode=True, sort_keys=False)


def write_channel(name: str, section: dict[str, Any] | None) -> Path:
    """Set ``channels.<name>`` to ``section`` (None removes it); ``ConfigError`` when the result is wrong."""
    from kameng_filer.config import _parse, _read
    from kameng_filer.settings_check import validate_config

    p = paths.config_path()
    old = _read(p)
    before = _parse(old, p) if old is not None else None
    before = before if isinstance(before, dict) else {}
    after = copy.deepcopy(before)
    channels = after.get("channels")
    channels = dict(channels) if isinstance(channels, dict) else {}
    key = _raw_key(channels, name)
    if section is None:
        channels.pop(key, None)
    else:
        channels[key] = section
    after["channels"] = channels
    validate_config(after, source=str(p))  # the CLI's messages, nothing written when wrong
    text = _kept(old, before, after) if old is not None and before else None
    text = text or yaml.safe_dump(after, allow_unicode=True, sort_keys=False)
    try:
        replace_bytes(p, text.encode("utf-8"))
    except OSError as exc:
        raise ConfigError(
            f"无法写入配置文件 {p}：{exc.strerror or exc}", hint="检查文件夹的写权限和磁盘空间"
        ) from None
    return p
