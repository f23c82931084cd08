"""Helpers for filing tests: start twins, write a config pointing at them, file in-process."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kameng_filer.config import save_config
from kameng_filer.demo import DemoAnswerer
from kameng_filer.filing.engine import FileOptions, Outcome
from kameng_filer.filing.person import ScriptedPerson
from kameng_filer.filing.run import prepare_and_execute
from kameng_filer.secrets import env_name
from kameng_filer.store import Store
from kameng_filer.timeutil import parse_iso
from kameng_filer.twins.registry import TwinSet, start_twins
from tests import canaries

NOW = parse_iso("2026-11-03T10:00:00")

CHANNELS = {
    "card_platform@a": ("card_a", {"profile": "card-a-twin", "account": "demo"}),
    "card_platform@api": (
        "card_a",
        {"profile": "card-a-twin", "account": "demo", "mode": "http", "timeout": 5},
    ),
    "card_platform@b": ("card_b", {"profile": "card-b-twin"}),
    "card_platform@c": ("card_c", {"profile": "card-c-twin", "account": "demo"}),
    "email": ("email", {"to": "kefu@xingchen-km.example.com"}),
}


FAST = {"gov12315": {"notice_seconds": 2}}


@contextmanager
def twins_running(
    tmp: Path, names: list[str], options: dict[str, dict[str, Any]] | None = None
) -> Iterator[TwinSet]:
    """Start the named twins on free ports (12315's countdown shortened to 2 s); stop them afterwards."""
    ts = start_twins(names, data_dir=tmp / "twins", options={**FAST, **(options or {})})
    try:
        yield ts
    finally:
        ts.stop()


def configure(twins: TwinSet, channels: list[str], **overrides: dict[str, Any]) -> dict[str, Any]:
    """Write ``$KAMENG_HOME/config.yaml`` for these channels and put the demo password in the env."""
    cfg: dict[str, Any] = {"channels": {}}
    for ch in channels:
        twin_name, settings = CHANNELS[ch]
        settings = dict(settings)
        twin = twins[twin_name]
        if twin_name == "email":
            settings.update(smtp_host=twin.host, smtp_port=twin.port, timeout=5)
        else:
            settings["base_url"] = twin.url
        settings.update(overrides.get(ch, {}))
        cfg["channels"][ch] = settings
        if settings.get("account"):
            os.environ[env_name(ch, settings["account"])] = canaries.TWIN_PASSWORD
    save_config(cfg)
    return cfg


def scripted(twins: TwinSet, channels: list[str]) -> ScriptedPerson:
    """The demo's scripted person, reading each channel's twin."""
    urls = {ch: twins[CHANNELS[ch][0]].url for ch in channels if CHANNELS[ch][0] != "email"}
    return ScriptedPerson(DemoAnswerer(urls), quiet=True)


def file_now(case_path: Path | str, channels: list[str], person: Any, **opts: Any) -> list[Outcome]:
    """File in-process (what ``kameng file --yes`` does: the store opens while Chromium starts)."""
    options = FileOptions(backoff_s=opts.pop("backoff_s", 0.05), **opts)
    run = prepare_and_execute(Store.open, str(case_path), channels, person, options, now=NOW)
    _, outcomes = asyncio.run(run)
    return outcomes


def by_channel(outcomes: list[Outcome]) -> dict[str, Outcome]:
    """Outcomes keyed by channel."""
    return {o.channel: o for o in outcomes}
