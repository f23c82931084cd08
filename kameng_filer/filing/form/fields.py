"""Filling one field: the planned value for a binding, the report entry in a probe, the widget's work.

How each kind of control is filled lives in ``kameng_filer.filing.form.widgets``.
"""

from __future__ import annotations

from typing import Any

from kameng_filer.errors import ChannelRejected, FormChanged
from kameng_filer.filing.form.reports import FieldReport, _preview
from kameng_filer.filing.form.state import Frame, RunnerState
from kameng_filer.filing.form.widgets import WIDGETS, Fill
from kameng_filer.filing.profile import Binding, fmt


class Fields(RunnerState):
    """Fills a profile's field bindings."""

    def value_for(self, key: str, b: Binding) -> Any:
        """The planned value for a binding (format string, or the plan's field value)."""
        name = b.field or key
        if name in self.secrets:
            return self.secrets[name]
        if b.value is not None:
            return fmt(b.value, self.values)
        return self.values.get(name)

    async def fill(self, key: str, b: Binding, *, frame: Frame = None) -> None:
        """Fill one field the way its widget needs (typing, picking, clicking, uploading)."""
        value = self.value_for(key, b)
        label = b.label or b.name or b.placeholder or key
        entry = FieldReport(
            key=key,
            label=label,
            kind="field",
            ok=False,
            required=b.required,
            widget=b.widget,
            value=_preview(value, secret=(b.field or key) in self.secrets),
        )
        files = self.files_for(b) if b.widget == "upload" else []
        if b.widget == "upload":
            entry.value = _preview([f.upload_name for f in files]) if files else ""
        if (value in (None, "", []) and b.widget != "upload") or (b.widget == "upload" and not files):
            entry.ok, entry.skipped, entry.reason = True, True, "计划中没有值，跳过"
            self._record(entry)
            return
        self.ctx.progress(f"填写 {label}")
        try:
            await self._fill_named(key, b, value, frame)
        except FormChanged as exc:
            if not self.probe:
                if not b.required:
                    return
                raise
            entry.reason = exc.message
            entry.strategy = ""
            entry.tried = await self.diagnose(b, frame)
            entry.suggestions = await self.suggest(b, frame)
            self._record(entry)
            return
        except ChannelRejected as exc:
            if not self.probe:
                raise
            entry.reason = exc.message
            self._record(entry)
            return
        entry.ok = True
        entry.strategy = entry.strategy or self._field_strategy
        self._record(entry)

    async def _fill_named(self, key: str, b: Binding, value: Any, frame: Frame) -> None:
        """``_fill``; an element Playwright waited on in vain (hidden, disabled…) is a ``FormChanged``
        naming the field, its locator and what the page holds (see ``locate``)."""
        from kameng_filer.filing.locate import is_stuck_action, stuck_error

        try:
            await self._fill(key, b, value, frame)
        except Exception as exc:
            if not is_stuck_action(exc):
                raise
            raise await stuck_error(self, key, b, exc, frame) from exc

    def _record(self, entry: FieldReport) -> None:
        self.observer.record(entry)

    async def _fill(self, key: str, b: Binding, value: Any, frame: Frame) -> None:
        """Find the field and put the value in the way its widget needs (``form.widgets.WIDGETS``)."""
        el = await self.find(b, field=b.label or key, visible=must_show(b), frame=frame)
        self._field_strategy = self.last_strategy
        if b.widget not in TYPED:  # a choice may show or hide other fields: look for them again
            self._prefetched = None
        await WIDGETS[b.widget](self, Fill(key, b, el, value, frame))  # type: ignore[arg-type]


TYPED = ("text", "type", "editor", "date")
"""Widgets that only put text into their own field (other fields found before them stay found)."""


def must_show(b: Binding) -> bool:
    """Whether the field's element must be visible to be filled (a plain file input may be hidden)."""
    return b.widget != "upload" or bool(b.chooser)
