"""Probe reporting: what a probe (``kameng adapter try``) learns about each field and step.

The runner tells its ``observer`` about every field and step it handled; a filing's observer
(``FormObserver``) ignores it, a probe's (``ProbeReport``) keeps the ``FieldReport`` entries in order.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from kameng_filer.filing.profile import Action, Locator


@dataclass
class FieldReport:
    """What happened to one field or step in a probe (``kameng adapter try``)."""

    key: str
    label: str
    kind: str
    """``field`` (a binding), ``step`` (click/wait/…), ``submit`` (the final button, not clicked)."""
    ok: bool
    required: bool = True
    widget: str = ""
    strategy: str = ""
    """Which way of finding it matched, e.g. ``label=标题``."""
    value: str = ""
    reason: str = ""
    tried: list[str] = field(default_factory=list)
    """Per strategy: how many elements it found and how many were visible."""
    suggestions: list[str] = field(default_factory=list)
    """Labels on the page that look like the one that was not found."""
    skipped: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self)


class ProbeStop(Exception):
    """A probe cannot go on (a wizard step did not open); the report says why."""


def _step_name(a: Action) -> str:
    for key in ("goto", "click", "wait", "wait_url", "fill", "captcha", "sms", "qr", "press"):
        v = getattr(a, key)
        if v:
            if isinstance(v, Locator):
                return f"{key} {v.describe()}"
            if isinstance(v, str | list):
                return f"{key} {v if isinstance(v, str) else ','.join(v)}"
            return key
    return "step"


def _preview(value: Any, *, secret: bool = False) -> str:
    if secret:
        return "******"
    if isinstance(value, list):
        return "、".join(map(str, value))[:60]
    text = " ".join(("" if value is None else str(value)).split())
    return text if len(text) <= 60 else text[:57] + "…"


class FormObserver:
    """Told about every field and step while a form is filled; this one (a filing) keeps nothing."""

    reporting = False
    """True when failures are to be reported per field and step instead of raised (a probe)."""

    def record(self, entry: FieldReport) -> None:
        """One field or step was handled (a filing ignores it)."""


class ProbeReport(FormObserver):
    """A probe's observer: keeps every entry in ``entries`` (the runner's ``report``)."""

    reporting = True

    def __init__(self, entries: list[FieldReport]) -> None:
        self.entries = entries

    def record(self, entry: FieldReport) -> None:
        """Keep the entry."""
        self.entries.append(entry)


FILING = FormObserver()
"""The observer of a filing (and of a probe's login steps, which are not reported)."""
