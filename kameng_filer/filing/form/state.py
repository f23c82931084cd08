"""What every part of the form runner shares: the page, the profile, the plan's values and files, the
filing context, and the run's records (messages seen, HTTP errors, the probe report).

``RunnerState`` only declares these attributes; ``kameng_filer.filing.formfill.FormRunner`` sets them.
Each mixin of the runner (locating, page watching, steps, widgets, uploads, human steps, session,
receipt) derives from it so the attributes it uses are named in one place.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kameng_filer.adapter import FilingContext, PlannedFile
    from kameng_filer.filing.form.reports import FieldReport, FormObserver
    from kameng_filer.filing.form.watching import Seen
    from kameng_filer.filing.profile import Profile

from playwright.async_api import Error as PlaywrightError

BROWSER_ERRORS: tuple[type[Exception], ...] = (PlaywrightError, TimeoutError)
"""What a look at the page may fail with and the runner shrugs off: Playwright's errors (a detached
frame, a page that navigated or closed, its own timeouts) and ``asyncio.wait_for``'s timeout."""

Frame = str | list[str] | None
"""A CSS selector of an iframe, a chain of them (nested iframes), or None for the page itself."""


class RunnerState:
    """The attributes the runner's parts share (set by ``FormRunner.__init__``)."""

    page: Any
    """The Playwright page."""
    profile: Profile
    values: dict[str, Any]
    """The plan's field values and case variables (``{name}`` in the profile); data only, no control flags."""
    files: list[PlannedFile]
    ctx: FilingContext
    base_url: str
    timeout_ms: int | None
    observer: FormObserver
    """Told about every field and step (``ProbeReport`` in ``kameng adapter try``; silent when filing)."""
    report: list[FieldReport]
    dialogs: list[str]
    seen: list[Seen]
    secrets: dict[str, str]
    http_errors: list[tuple[int, str, str]]
    last_strategy: str
    logging_in: bool
    """True while the login steps run: login checks on the pages they open are off."""
    verify_login: bool
    relogin: Callable[[], Awaitable[None]] | None
    file_kinds: dict[str, str]
    _field_strategy: str
    _watching: bool
    _prefetched: dict[int, Any] | None
    """Fields of the running fill step already found visible (``Locating.prefetch``), by binding id."""
    _seen_mark: str
    _landed: str | None
    _inflight: dict[Any, int]
    _requests_seen: int
    _login_note: str
    _changed: asyncio.Event
    """Set whenever the page navigates, a request starts or ends, or a message or dialog appears."""

    @property
    def probe(self) -> bool:
        """True in a probe (``kameng adapter try``): failures are reported per field instead of raised."""
        return self.observer.reporting
