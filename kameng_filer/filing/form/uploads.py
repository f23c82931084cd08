"""Upload fields: which planned files each takes (``pick`` / ``max_files``), and uploading them through
an ``<input type=file>`` or a chooser button, waiting for each upload to finish before the next."""

from __future__ import annotations

import contextlib
import time
from typing import Any

from kameng_filer.adapter import PlannedFile
from kameng_filer.errors import ChannelRejected, ChannelUnreachable
from kameng_filer.filing.form.state import BROWSER_ERRORS, Frame, RunnerState
from kameng_filer.filing.profile import Binding, Locator


class Uploads(RunnerState):
    """Uploads a field's files."""

    def files_for(self, b: Binding) -> list[PlannedFile]:
        """The planned files this upload field takes (its ``pick`` / ``max_files``, and none another
        upload field of the profile takes: ``filepick.assign_uploads``), best first."""
        from kameng_filer.filing.filepick import assign_uploads, pick_files

        uploads = [(k, x) for k, x in self.profile.fields.items() if x.widget == "upload"]
        key = next((k for k, x in uploads if x is b), None)
        if key is None or len(uploads) < 2:
            return pick_files(self.files, self.file_kinds, pick=b.pick, max_files=b.max_files)
        fields = [(k, x.pick, x.max_files) for k, x in uploads]
        return assign_uploads(self.files, self.file_kinds, fields)[key]

    async def _upload(self, el: Any, b: Binding, frame: Frame) -> None:
        """Upload this field's files; wait for each upload to be done before the next (and the submit).

        A widget that uploads at once (a chooser button or a plain ``<input type=file>`` with a script)
        sends its own request per selection: each is waited for until it has finished (at most
        ``upload_timeout_ms``), or until ``uploaded`` lists it. When no request starts within 0.3 s
        (60 ms for a named input inside a form, which the form itself sends) there is nothing to wait for.
        """
        payloads = [
            {"name": f.upload_name, "mimeType": f.mime, "buffer": f.path.read_bytes()}
            for f in self.files_for(b)
        ]
        groups = [payloads] if b.multiple else [[p] for p in payloads]
        listed = b.uploaded
        base = await self._count(listed, b.frame or frame) if listed else 0
        # a named file input inside a form is sent with the form: a widget script that uploads at once
        # starts its request straight from the change event, so a short look is enough
        start_ms = 300
        if not b.chooser and listed is None:
            with contextlib.suppress(*BROWSER_ERRORS):
                if await el.evaluate_all("(els) => !!(els[0] && els[0].form && els[0].name)"):
                    start_ms = 60
        done = 0
        for group in groups:
            mark_seen, mark_dialogs = len(self.seen), len(self.dialogs)
            mark_requests = self._requests_seen
            if b.chooser:
                async with self.page.expect_file_chooser(timeout=self._field_timeout()) as info:
                    await el.click()
                chooser = await info.value
                await chooser.set_files(group)
            else:
                await el.set_input_files(group)
            done += len(group)
            if listed is not None:
                await self._wait_uploaded(listed, base + done, b, frame, mark_seen, mark_dialogs)
            elif not await self.settle_requests(
                mark_requests, start_ms=start_ms, timeout_ms=b.upload_timeout_ms
            ):
                raise ChannelUnreachable(
                    f"上传「{b.label or b.name or '附件'}」超时：站点在 {b.upload_timeout_ms // 1000} 秒内没有处理完上传请求",
                    channel=self.ctx.channel,
                )

    async def _wait_uploaded(
        self, listed: Locator, want: int, b: Binding, frame: Frame, mark_seen: int, mark_dialogs: int
    ) -> None:
        """Wait until ``want`` uploads are listed; an error message on the page ends it as rejected."""
        deadline = time.monotonic() + b.upload_timeout_ms / 1000
        while True:
            if await self._count(listed, b.frame or frame) >= want:
                return
            errors = await self.current_errors(since_seen=mark_seen, since_dialog=mark_dialogs)
            if errors:
                raise ChannelRejected(f"上传被拒绝：{errors}", channel=self.ctx.channel)
            if time.monotonic() > deadline:
                raise ChannelUnreachable(
                    f"上传「{b.label or '附件'}」超时（没有出现在 {listed.describe()}）",
                    channel=self.ctx.channel,
                )
            await self.page_changed(0.05)  # the widget lists a file right after its request ends
