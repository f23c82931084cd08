"""The user's settings file (``$KAMENG_HOME/config.yaml``): per-channel settings, never secrets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from kameng_filer import paths
from kameng_filer.errors import ConfigError

SECRET_KEYS = {"password", "token", "secret", "smtp_password", "api_key", "webhook_token"}


def load_config(path: Path | None = None) -> dict[str, Any]:
    """Read the settings file (empty when absent); ``ConfigError`` with a Chinese message when broken."""
    p = path or paths.config_path()
    if not p.exists():
        return {}
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"配置文件格式错误:{p}", detail=str(exc)) from None
    if not isinstance(data, dict):
        raise ConfigError(f"配置文件最外层应为映射:{p}")
    _refuse_secrets(data, p)
    return data


def _refuse_secrets(data: Any, p: Path, where: str = "") -> None:
    if isinstance(data, dict):
        for k, v in data.items():
            if str(k).lower() in SECRET_KEYS and v:
                raise ConfigError(
                    f"配置文件 {p} 的 {where}{k} 里写了密码/令牌:秘密只能保存在密钥环或环境变量中",
                    hint="删除该项,改用 kameng login 保存密码",
                )
            _refuse_secrets(v, p, f"{where}{k}.")


def save_config(data: dict[str, Any], path: Path | None = None) -> Path:
    """Write the settings file."""
    p = path or paths.config_path()
    _refuse_secrets(data, p)
    p.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return p


def channel_settings(name: str, config: dict[str, Any] | None = None) -> dict[str, Any]:
    """Settings of one channel (``channels.<name>``)."""
    cfg = load_config() if config is None else config
    value = (cfg.get("channels") or {}).get(name) or {}
    if not isinstance(value, dict):
        raise ConfigError(f"配置文件中 channels.{name} 应为映射")
    return dict(value)
