"""The tracker's calls into channel adapters: read a complaint's status, send a follow-up.

The adapters get the same ``ChannelRun`` context the filing engine gives them (stored login
sessions, secrets, one browser per pass) and a person who cannot answer (``NoPerson``): a step that
needs the person raises ``HumanActionRequired`` instead of waiting. Each adapter call is wrapped once
in the filing boundary (``adapter_call``), which translates raw Playwright / httpx / SMTP errors.
Requests to one channel are spaced by the policy's ``polling.min_gap_seconds``.
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from kameng_filer import paths
from kameng_filer.adapter import Adapter, FollowUpResult, StatusReport
from kameng_filer.filing.boundary import adapter_call
from kameng_filer.filing.browser_pool import BrowserPool
from kameng_filer.filing.channel_run import ChannelRun
from kameng_filer.filing.channels import ChannelInstance, resolve
from kameng_filer.filing.person import NoPerson
from kameng_filer.store.records import FilingRecord

_SAFE = re.compile(r"[^A-Za-z0-9_.-]")
_SPACE = re.compile(r"\s+")
RECEIPT_FIELDS = ("subject", "to", "cc")


def base_channel(channel: str) -> str:
    """``card_platform@site`` → ``card_platform``."""
    return channel.split("@", 1)[0]


def receipt_for(filing: FilingRecord, *, follow_up_no: int | None = None) -> dict[str, Any]:
    """What adapters' ``status`` / ``follow_up`` receive: the stored receipt plus the plan's vars/fields."""
    receipt: dict[str, Any] = dict(filing.receipt or {})
    plan = filing.plan or {}
    target = plan.get("target") or {}
    fields = plan.get("fields") or {}
    receipt["complaint_no"] = receipt.get("complaint_no") or filing.complaint_no or ""
    receipt["case_id"] = filing.case_id
    receipt["vars"] = dict(target.get("vars") or {})
    picked = {k: fields[k] for k in RECEIPT_FIELDS if fields.get(k)}
    if picked:
        receipt["fields"] = picked
    if target.get("from"):
        receipt["from"] = target["from"]
    if follow_up_no is not None:
        receipt["follow_up_no"] = follow_up_no
    return receipt


def can_poll(adapter: Adapter) -> bool:
    """Whether the tracker can read this channel's status itself (declared ``poll_status``; on assisted
    channels the person reports it)."""
    return adapter.spec.can("poll_status") and not adapter.spec.can("assisted")


def squash(text: str) -> str:
    """Text without whitespace (for comparing what was sent with what the site shows)."""
    return _SPACE.sub("", text or "")


def text_in_replies(text: str, replies: list[dict[str, Any]]) -> bool:
    """Whether a sent follow-up shows among the complaint's replies (first 40 characters, no spaces)."""
    probe = squash(text)[:40]
    return bool(probe) and any(probe in squash(str(r.get("text", ""))) for r in replies)


class ChannelSession:
    """Adapters, contexts and the browser for one pass; ``aclose`` releases the browser."""

    def __init__(self, store: Any, *, person: Any = None, config: dict[str, Any] | None = None) -> None:
        self.store = store
        self.person = person or NoPerson(Console(stderr=True, quiet=True))
        self.browsers = BrowserPool()
        self.config = config
        self._instances: dict[str, ChannelInstance] = {}
        self._last_call: dict[str, float] = {}

    def instance(self, channel: str) -> ChannelInstance:
        """The adapter (with settings) of a channel token, cached for the pass."""
        if channel not in self._instances:
            self._instances[channel] = resolve(channel, self.config)
        return self._instances[channel]

    def context(self, filing: FilingRecord) -> ChannelRun:
        """A ``ChannelRun`` for this filing (artifacts under ``artifacts/<case>/<channel>-tracker``)."""
        folder: Path = (
            paths.artifacts_dir()
            / _SAFE.sub("_", filing.case_id)
            / f"{_SAFE.sub('_', filing.channel)}-tracker"
        )
        folder.mkdir(parents=True, exist_ok=True)
        return ChannelRun(
            filing.channel,
            filing.id,
            folder,
            store=self.store,
            person=self.person,
            browsers=self.browsers,
            dry_run=False,
            known_numbers=set(),
        )

    async def polite(self, channel: str, gap: float) -> None:
        """Wait until ``gap`` seconds have passed since the last request to ``channel``."""
        last = self._last_call.get(channel)
        if last is not None:
            wait = gap - (time.monotonic() - last)
            if wait > 0:
                await asyncio.sleep(wait)
        self._last_call[channel] = time.monotonic()

    async def status(self, filing: FilingRecord) -> StatusReport:
        """The complaint's status as the channel shows it now."""
        adapter = self.instance(filing.channel).adapter
        with adapter_call(filing.channel):
            return await adapter.status(receipt_for(filing), self.context(filing))

    async def follow_up(self, filing: FilingRecord, text: str, number: int) -> FollowUpResult:
        """Send a follow-up (or get the instructions for the person on assisted channels)."""
        adapter = self.instance(filing.channel).adapter
        with adapter_call(filing.channel):
            return await adapter.follow_up(
                receipt_for(filing, follow_up_no=number), text, self.context(filing)
            )

    async def aclose(self) -> None:
        """Close the browser (if one was started)."""
        await self.browsers.close()
