"""Commands the CLI suggests, built so they run exactly as printed (quoted, with real channel names).

A 卡盟 platform is filed on as ``card_platform@站点配置名``; a bare ``card_platform`` is never suggested.
The sites come from ``config.yaml`` (``channels: card_platform@xingchen: …``); without one, the plan says
how to add it instead of printing a command that would fail.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

CARD = "card_platform"


@dataclass
class FileSuggestion:
    """Runnable ``kameng file`` command lines and notes about channels they leave out."""

    commands: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def configured_sites(config: dict[str, Any]) -> list[str]:
    """``card_platform@…`` channel names configured in ``config.yaml``, in file order."""
    channels = config.get("channels") if isinstance(config, dict) else None
    if not isinstance(channels, dict):
        return []
    return [str(k) for k in channels if str(k).startswith(f"{CARD}@") and len(str(k)) > len(CARD) + 1]


def command(*parts: str) -> str:
    """A shell command line with every part quoted as needed."""
    return " ".join(shlex.quote(p) for p in parts)


def file_commands(case: str, channels: Sequence[str], config: dict[str, Any]) -> FileSuggestion:
    """``kameng file`` commands for the plan's channels; one per configured 卡盟 site when there are several."""
    out = FileSuggestion()
    others = [c for c in channels if c.split("@", 1)[0] != CARD]
    wants_card = any(c.split("@", 1)[0] == CARD for c in channels)
    explicit = [c for c in channels if c.startswith(f"{CARD}@")]
    sites = explicit or (configured_sites(config) if wants_card else [])
    if wants_card and not sites:
        out.notes.append(
            "卡盟平台工单需要站点配置：用 kameng adapters list 查看已有的站点配置，"
            "在 config.yaml 的 channels 下加入 card_platform@站点配置名（见 docs/adapters.md），"
            "再运行 kameng plan 得到完整的提交命令。"
        )
    if len(sites) > 1:
        out.notes.append("配置了多个卡盟站点：选被投诉平台对应的那一条命令。")
    variants = [[site, *others] for site in sites] if sites else [others]
    for chosen in variants:
        if chosen:
            out.commands.append(command("kameng", "file", case, "--channels", ",".join(chosen)))
    return out
