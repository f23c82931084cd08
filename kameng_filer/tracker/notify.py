"""Notifications to the person through apprise URLs (WeCom / DingTalk / Feishu bots, Bark, ntfy, e-mail…).

A webhook URL carries its token, so it is a secret: the URL itself lives in keyring (or in the
environment variable ``KAMENG_SECRET_NOTIFY_<NAME>``); ``config.yaml`` keeps only a masked form and the
reference::

    notify:
      urls:
        - {name: phone, masked: "ntfy://ntfy.sh/***", ref: keyring}
"""

from __future__ import annotations

import contextlib
import logging
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from kameng_filer.config import load_config, save_config
from kameng_filer.errors import ConfigError, KamengError, SecretMissing
from kameng_filer.secrets import delete_secret, env_name, get_secret, set_secret

SCOPE = "notify"
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


@contextlib.contextmanager
def _quiet_apprise() -> Iterator[Any]:
    """Import apprise without its plugin-loading DeprecationWarning (imghdr) and keep its log out of
    the terminal (log lines may contain parts of the URL)."""
    log = logging.getLogger("apprise")
    level, propagate = log.level, log.propagate
    log.setLevel(logging.CRITICAL + 1)
    log.propagate = False
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*imghdr.*", category=DeprecationWarning)
            import apprise

            yield apprise
    finally:
        log.setLevel(level)
        log.propagate = propagate


def mask(url: str) -> str:
    """A display form without secrets: ``json://127.0.0.1:8080/***``, ``dingtalk://abc***``."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme or "?"
    host = parts.hostname or ""
    looks_like_host = host == "localhost" or "." in host or ":" in (parts.netloc or "")
    if host and looks_like_host:
        port = f":{parts.port}" if parts.port else ""
        shown = f"{scheme}://{host}{port}/"
        return shown + ("***" if (parts.path.strip("/") or parts.query or parts.username) else "")
    rest = url.split("://", 1)[-1]
    return f"{scheme}://{rest[:3]}***"


def validate(url: str) -> None:
    """``ConfigError`` when apprise does not understand ``url``."""
    with _quiet_apprise() as apprise:
        ok = apprise.Apprise.instantiate(url.strip()) is not None
    if not ok:
        raise ConfigError(
            f"无法识别的通知地址：{mask(url)}",
            hint="支持企业微信/钉钉/飞书机器人、Bark、ntfy、邮件等，格式见 https://github.com/caronc/apprise/wiki",
        )


def entries(config: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The configured notification targets (name, masked, ref) — never the URLs."""
    cfg = load_config() if config is None else config
    section = cfg.get("notify") or {}
    if not isinstance(section, dict):
        raise ConfigError("配置文件中 notify 应为映射")
    urls = section.get("urls") or []
    if not isinstance(urls, list):
        raise ConfigError("配置文件中 notify.urls 应为列表")
    return [u for u in urls if isinstance(u, dict) and u.get("name")]


def add(url: str, name: str | None = None) -> tuple[dict[str, Any], str | None]:
    """Store ``url`` as a secret and its masked form in config; returns (entry, warning or None).

    Without a usable keyring the entry refers to an environment variable and the warning says which.
    """
    url = url.strip()
    validate(url)
    cfg = load_config()
    existing = entries(cfg)
    if name is None:
        used = {e["name"] for e in existing}
        name = next(f"n{i}" for i in range(1, 1000) if f"n{i}" not in used)
    if not _NAME.match(name):
        raise KamengError(f"通知名称「{name}」无效", hint="只用字母、数字、- 和 _，最长 32 个字符")
    warning = None
    ref = "keyring"
    try:
        set_secret(SCOPE, name, url)
        if get_secret(SCOPE, name) != url:
            raise SecretMissing("密钥环没有保存下来")
    except SecretMissing:
        ref = "env"
        warning = (
            f"本机密钥环不可用，地址没有保存。请设置环境变量 {env_name(SCOPE, name)} 为该通知地址"
            "（例如写在 systemd 服务的 Environment= 或 cron 的环境里）"
        )
    entry = {"name": name, "masked": mask(url), "ref": ref}
    section = dict(cfg.get("notify") or {})
    section["urls"] = [e for e in existing if e["name"] != name] + [entry]
    cfg["notify"] = section
    save_config(cfg)
    return entry, warning


def remove(name: str) -> bool:
    """Forget a target (config entry and stored secret); False when there was none."""
    cfg = load_config()
    existing = entries(cfg)
    kept = [e for e in existing if e["name"] != name]
    if len(kept) == len(existing):
        return False
    section = dict(cfg.get("notify") or {})
    section["urls"] = kept
    cfg["notify"] = section
    save_config(cfg)
    delete_secret(SCOPE, name)
    return True


@dataclass
class Delivery:
    """How sending one notification went."""

    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    """Targets whose URL could not be found (keyring / environment)."""

    @property
    def configured(self) -> bool:
        """Whether any target is configured at all."""
        return bool(self.sent or self.failed or self.missing)

    @property
    def ok(self) -> bool:
        """Delivered to at least one target and failed on none (or nothing configured)."""
        return not self.failed and not (self.missing and not self.sent)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (names only)."""
        return {"sent": self.sent, "failed": self.failed, "missing": self.missing}


def send(title: str, body: str, *, config: dict[str, Any] | None = None) -> Delivery:
    """Send to every configured target, one apprise instance per target (so each result is known)."""
    result = Delivery()
    for entry in entries(config):
        name = str(entry["name"])
        try:
            url = get_secret(SCOPE, name)
        except SecretMissing:
            result.missing.append(name)
            continue
        with _quiet_apprise() as apprise:
            target = apprise.Apprise()
            if not target.add(url):
                result.failed.append(name)
                continue
            ok = target.notify(title=title, body=body)
        (result.sent if ok else result.failed).append(name)
    return result
