"""Channel instances: ``NAME`` or ``NAME@PROFILE`` resolved to an adapter with its settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kameng_filer import registry
from kameng_filer.adapter import Adapter
from kameng_filer.config import channel_settings, load_config
from kameng_filer.errors import KamengError


@dataclass
class ChannelInstance:
    """One place to file: the adapter plus its settings (``card_platform@site`` picks the site profile)."""

    name: str
    adapter: Adapter

    @property
    def base(self) -> str:
        """The adapter's channel name (before ``@``)."""
        return self.name.split("@", 1)[0]


def parse_channels(text: str) -> list[str]:
    """Split ``a,b, c`` into unique channel tokens, keeping order."""
    out: list[str] = []
    for token in text.replace("，", ",").split(","):
        token = token.strip()
        if token and token not in out:
            out.append(token)
    if not out:
        raise KamengError(
            "没有指定渠道",
            hint="例如 --channels card_platform@站点配置名,email（站点配置名见 kameng adapters list）",
        )
    return out


def resolve(token: str, config: dict[str, Any] | None = None) -> ChannelInstance:
    """The adapter for ``NAME`` or ``NAME@PROFILE`` with settings merged from config."""
    cfg = load_config() if config is None else config
    base, _, profile = token.partition("@")
    cls = registry.adapter_class(base)
    settings = channel_settings(base, cfg)
    if profile:
        settings.update(channel_settings(token, cfg))
        settings.setdefault("profile", profile)
    return ChannelInstance(token, cls(settings))


def exclusive_conflict(tokens: list[str]) -> bool:
    """True when two channels declared exclusive with each other are asked for (12315 ⟂ 消协, 办法 art. 16)."""
    bases = {t.split("@", 1)[0] for t in tokens}
    for base in sorted(bases):
        try:
            spec = registry.spec(base)
        except KamengError:
            continue
        if any(other in bases for other in spec.exclusive_with):
            return True
    return False
