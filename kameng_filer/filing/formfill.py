"""Drive a web form in Playwright from a site profile: find fields like a person would, fill, submit, read the receipt.

What the runner copes with, from the profile alone: fields found by label → role → placeholder → text →
CSS (the first *visible* match wins), fields inside (nested) iframes, native and custom (Select2-like,
searchable) dropdowns, button groups, radio groups, rich-text / Markdown editors (contenteditable,
CodeMirror) typed into, uploads through a button that opens a file chooser and upload at once (waiting
for each file to be listed), multi-step wizards (click → wait, with client-side validation messages
turned into a rejection), and receipts or errors shown in the page, the URL, a native ``alert`` /
``confirm``, an HTML modal or a transient toast (a MutationObserver records every toast/dialog/alert
node the moment it appears, so a message that is gone after a second is still read).

In *probe* mode (``kameng adapter try``) nothing is submitted: every field is attempted, and what
matched, with which strategy, what did not and why, is collected in ``FormRunner.report`` (its observer
is a ``ProbeReport``).

``FormRunner`` is assembled from one part per seam, each in ``kameng_filer.filing.form``:
``locating`` (find / diagnose / suggest), ``watching`` (requests, dialogs, toasts, error messages),
``steps`` (the profile's actions), ``fields`` + ``widgets`` (the widget registry), ``uploads``,
``human`` (captcha / SMS / QR / a mid-flow challenge), ``session`` (login and its proof on every page),
``receipt`` (submit, the complaint number, artifacts) and ``reports`` (probe reporting as an observer).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kameng_filer.adapter import FilingContext, PlannedFile
from kameng_filer.filing.boundary import http_status_error
from kameng_filer.filing.form.fields import Fields
from kameng_filer.filing.form.human import SMS_MAX_WAIT_S, SMS_RESENDS, HumanSteps
from kameng_filer.filing.form.locating import Locating, field_timeout_ms
from kameng_filer.filing.form.receipt import ReceiptReading
from kameng_filer.filing.form.reports import FILING, FieldReport, ProbeReport, ProbeStop, _step_name
from kameng_filer.filing.form.session import LOGGED_OUT_TEXT, Session
from kameng_filer.filing.form.state import Frame
from kameng_filer.filing.form.steps import Steps
from kameng_filer.filing.form.uploads import Uploads
from kameng_filer.filing.form.watching import DIALOG_SELECTORS, WATCH_SELECTORS, PageWatch, Seen
from kameng_filer.filing.profile import Profile

__all__ = [
    "DIALOG_SELECTORS",
    "LOGGED_OUT_TEXT",
    "SMS_MAX_WAIT_S",
    "SMS_RESENDS",
    "WATCH_SELECTORS",
    "FieldReport",
    "FormRunner",
    "Frame",
    "ProbeStop",
    "Seen",
    "_step_name",
    "field_timeout_ms",
]


class FormRunner(Steps, Fields, Uploads, HumanSteps, Session, ReceiptReading, PageWatch, Locating):
    """Executes profile steps on one page for one channel."""

    def __init__(
        self,
        page: Any,
        profile: Profile,
        values: dict[str, Any],
        files: Sequence[PlannedFile],
        ctx: FilingContext,
        *,
        base_url: str | None = None,
        probe: bool = False,
        timeout_ms: int | None = None,
    ) -> None:
        self.page = page
        self.profile = profile
        self.values = values
        self.files = list(files)
        self.ctx = ctx
        self.base_url = (base_url or profile.base_url).rstrip("/") + "/"
        self.dialogs = []
        self.seen = []
        self.secrets = {}
        self.timeout_ms = timeout_ms
        self.report = []
        self.observer = ProbeReport(self.report) if probe else FILING
        self.last_strategy = ""
        self._field_strategy = ""
        self._watching = False
        self.http_errors = []
        """(status, method, url) of every page/XHR answer that was a 5xx or a 429, in order."""
        self._landed = None
        """The URL a successful login just landed on (a following ``goto`` there is not repeated)."""
        self._inflight = {}
        self._requests_seen = 0
        self._login_note = ""
        self.logging_in = False
        self.verify_login = False
        """Prove the login (``login.logged_in``) on the next page opened, before anything is filled."""
        self.relogin = None
        """Logs in again when that proof fails (once); without it the failure is ``SessionExpired``."""
        self.file_kinds = {}
        """Evidence id → evidence kind (for upload fields' ``pick``)."""
        self.listen(page)

    async def open(self, url: str) -> Any:
        """Go to ``url``; a 5xx or 429 answer is ``ChannelUnreachable`` (retryable), not a changed form.

        Right after a login that landed on exactly ``url`` (``/login?next=/form``), the page is not loaded
        a second time.
        """
        landed, self._landed = self._landed, None
        if landed is not None and landed == url and self.page.url == url:
            await self.page.wait_for_load_state("domcontentloaded")
            if self.verify_login and not self.logging_in:
                return await self._prove_session(url, None)
            return None
        try:
            response = await self.page.goto(url, wait_until="domcontentloaded")
        except Exception as exc:
            if type(exc).__name__ == "TimeoutError":
                # the site never answered: close the page, or its pending request keeps Chromium's
                # cache lock on this URL (a retry would wait for it) and a screenshot would hang too
                await self.close_quietly()
            raise
        if response is not None and (response.status >= 500 or response.status == 429):
            raise http_status_error(response.status, self.ctx.channel, url=url)
        if self.verify_login and not self.logging_in:
            return await self._prove_session(url, response)
        return response
