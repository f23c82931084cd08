"""``ChannelRun``: the ``FilingContext`` one channel's adapter gets from the engine or the tracker.

It needs only the store (the durable ``submitting`` mark), the person, a browser pool and a progress
callback — not a whole ``FilingEngine``.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from kameng_filer import paths
from kameng_filer.crashpoints import crash_point
from kameng_filer.errors import AlreadyFiled
from kameng_filer.filing.browser_pool import BrowserPool
from kameng_filer.secrets import get_secret
from kameng_filer.store.records import FilingStateConflict
from kameng_filer.timeutil import now
from kameng_filer.vocab import REUSABLE, FilingState

Reporter = Callable[[str, str], None]
"""Shows progress: (channel, Chinese text)."""


def safe_name(text: str) -> str:
    """``text`` reduced to characters safe in a file name."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)


class ChannelRun:
    """The ``FilingContext`` of one channel: browser, person, secrets, artifacts and the submit mark."""

    def __init__(
        self,
        channel: str,
        filing_id: int | None,
        artifacts: Path,
        *,
        store: Any,
        person: Any,
        browsers: BrowserPool,
        dry_run: bool,
        known_numbers: set[str],
        submit_mark: datetime | None = None,
        report: Reporter | None = None,
    ) -> None:
        self.channel = channel
        self.filing_id = filing_id
        self.artifacts = artifacts
        self.store = store
        self.person = person
        self.browsers = browsers
        self.dry_run = dry_run
        self.known_numbers = known_numbers
        self.submit_started = False
        self.submit_mark = submit_mark
        """When the filing was last durably marked ``submitting`` (what reconciliation proves against)."""
        self.person_says_new = False
        """The person ruled out the list rows reconciliation cannot prove ours (``--again``)."""
        self.pages: list[Any] = []
        self._report = report
        self._context: Any = None
        self._session: Path | None = None

    async def browser_context(self, account: str | None = None) -> Any:
        """This channel's browser context (restoring the account's stored session)."""
        if self._context is None:
            self._session = self.session_file(account) if account else None
            self._context = await self.browsers.context(self._session)
        return self._context

    async def new_page(self, account: str | None = None) -> Any:
        """A new page in this channel's context (tracked for failure screenshots)."""
        ctx = await self.browser_context(account)
        page = await ctx.new_page()
        self.pages.append(page)
        return page

    async def save_session(self, *, final: bool = False) -> None:
        """Persist the login session (so a crash later keeps it), in the background: the form is filled
        meanwhile, and the browser pool waits for the write before it closes the context. ``final``: this
        run is done with the site, the pool need not save the session again when it closes."""
        if self._context is not None and self._session is not None:
            self.browsers.save_session_soon(self._context, self._session, final=final)

    def forget_session(self) -> None:
        """Delete the stored session (it expired)."""
        if self._session and self._session.exists():
            self._session.unlink()
        self._context = None

    def secret(self, key: str) -> str:
        """A secret for this channel from keyring or the environment."""
        return get_secret(self.channel, key)

    def session_file(self, account: str) -> Path:
        """Storage-state file for this channel account (0600, in a 0700 folder)."""
        return paths.sessions_dir() / f"{safe_name(self.channel)}--{safe_name(account)}.json"

    async def about_to_submit(self, values: dict[str, Any]) -> None:
        """Durably mark the filing ``submitting`` right before the final click."""
        self.submit_started = True
        if self.filing_id is not None and not self.dry_run:
            mark = now()
            try:  # compare-and-set: never from ``submitted`` (someone recorded it meanwhile)
                self.store.update_filing(
                    self.filing_id,
                    expect_state=REUSABLE,
                    state=FilingState.SUBMITTING,
                    submitting_at=mark,
                    submitted_values_json=json.dumps(values, ensure_ascii=False, default=str),
                )
            except FilingStateConflict as exc:
                self.submit_started = False
                raise AlreadyFiled(
                    "这份投诉在本次提交前已被记录为已提交，本次没有再提交",
                    channel=self.channel,
                    hint="用 kameng status 查看记录的投诉编号",
                ) from exc
            self.submit_mark = mark
            # fault injection (KAMENG_CRASH_AT): durably submitting, nothing sent yet
            crash_point("before_submit")

    def not_delivered(self) -> None:
        """The channel definitely refused the final submit (nothing stored): undo the ``submitting`` mark.

        Called by adapters when the site answered the submit with a refusal (rate limit, an unsolved
        captcha, an SMTP 4xx/5xx to DATA), so a retry needs no reconciliation first.
        """
        self.submit_started = False
        if self.filing_id is not None and not self.dry_run:
            with contextlib.suppress(FilingStateConflict):  # not marked (a refusal before the click)
                self.store.update_filing(
                    self.filing_id,
                    expect_state=FilingState.SUBMITTING,
                    state=FilingState.PLANNED,
                    submitting_at=None,
                )

    def progress(self, text: str) -> None:
        """Show what this channel is doing."""
        if self._report is not None:
            self._report(self.channel, text)

    async def failure_screenshot(self, stem: str) -> str | None:
        """Screenshot of the last page, for a failure report."""
        if not self.pages:
            return None
        target = self.artifacts / f"{stem}.png"
        try:
            await self.pages[-1].screenshot(path=str(target), full_page=True)
        except Exception:
            return None
        return str(target)
