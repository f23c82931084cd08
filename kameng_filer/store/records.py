"""Plain records the store hands out (detached from any session), its own errors, and JSON helpers."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from kameng_filer import wording
from kameng_filer.errors import StoreError
from kameng_filer.findings import Finding
from kameng_filer.store.sniff import extension_conflict
from kameng_filer.vocab import RECORD_STATES, REPORTER_KEY, EventKind, Reporter, reported_by

FILING_STATES: tuple[str, ...] = RECORD_STATES
"""States a stored filing can have (``vocab.RECORD_STATES``)."""
FILING_STATE_LABELS: dict[str, str] = {state: wording.FILING_STATES[state] for state in FILING_STATES}
"""Chinese words of the filing states (one table for the whole CLI: ``kameng_filer.wording``)."""
EVENT_KINDS: tuple[str, ...] = tuple(EventKind)
"""Kinds of timeline events (``vocab.EventKind``)."""

_SECRET_KEY = re.compile(r"pass(word|wd)?$|secret|token|cookie|authorization|api_?key|session_?id", re.I)
REDACTED = "***"


class CaseNotFound(StoreError):
    """No stored case (or no such version of it) has this id."""


class FilingStateConflict(StoreError):
    """A filing was not in the state the caller expected (another process moved it first)."""

    def __init__(self, message: str, *, state: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.state = state


def redact(value: Any) -> Any:
    """A copy with the values of secret-looking keys (password, token, cookie…) replaced by ``***``."""
    if isinstance(value, dict):
        return {
            k: (REDACTED if isinstance(k, str) and _SECRET_KEY.search(k) else redact(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def dump_json(value: Any) -> str | None:
    """JSON text for a JSON column (UTF-8, secrets redacted); None stays None."""
    if value is None:
        return None
    return json.dumps(redact(value), ensure_ascii=False, default=str)


def load_json(text: str | None) -> Any:
    """The Python value of a JSON column."""
    return None if text is None else json.loads(text)


@dataclass(frozen=True, slots=True)
class EvidenceRow:
    """One line of the 证据清单: an evidence item of a case version and its stored file."""

    evidence_id: str
    kind: str
    description: str
    original_name: str
    sha256: str
    size: int
    mime: str
    path: Path

    @property
    def expected_mime(self) -> str | None:
        """The type the original file name promises when the content is something else, else None."""
        return extension_conflict(self.original_name, self.mime)

    def to_dict(self) -> dict[str, Any]:
        """JSON shape of this row."""
        return {
            "id": self.evidence_id,
            "kind": self.kind,
            "description": self.description,
            "original_name": self.original_name,
            "sha256": self.sha256,
            "size": self.size,
            "mime": self.mime,
            "path": str(self.path),
        }


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What ``Store.import_case`` did: the version now current, whether it is new, its evidence."""

    case_id: str
    version: int
    created: bool
    evidence: list[EvidenceRow]
    warnings: list[Finding] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CaseSummary:
    """One stored case for listings."""

    id: str
    title: str
    versions: int
    current_version: int
    created_at: datetime
    updated_at: datetime
    filings: int


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """One stored version of a case."""

    version: int
    content_sha256: str
    content_format: str
    source_path: str | None
    imported_at: datetime
    evidence_count: int


@dataclass(frozen=True, slots=True)
class FilingRecord:
    """A filing row with its JSON columns decoded."""

    id: int
    case_id: str
    case_version: int
    channel: str
    purpose: str
    generation: int
    state: str
    retryable: bool
    complaint_no: str | None
    plan: Any
    receipt: Any
    submitted_values: Any
    evidence_hashes: Any
    error: str | None
    created_at: datetime
    updated_at: datetime
    submitting_at: datetime | None
    submitted_at: datetime | None
    force_reason: str | None

    @property
    def state_label(self) -> str:
        """The state in Chinese."""
        return FILING_STATE_LABELS.get(self.state, self.state)

    @property
    def stored_receipt(self) -> StoredReceipt | None:
        """The receipt, typed (None before one is recorded)."""
        return StoredReceipt.from_data(self.receipt)

    @property
    def plan_json(self) -> str | None:
        """``plan`` as JSON text."""
        return dump_json(self.plan)

    @property
    def receipt_json(self) -> str | None:
        """``receipt`` as JSON text."""
        return dump_json(self.receipt)

    @property
    def submitted_values_json(self) -> str | None:
        """``submitted_values`` as JSON text."""
        return dump_json(self.submitted_values)

    @property
    def evidence_hashes_json(self) -> str | None:
        """``evidence_hashes`` as JSON text."""
        return dump_json(self.evidence_hashes)


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One timeline entry; ``created`` is False when ``add_event`` found its dedupe key already used."""

    id: int
    case_id: str
    filing_id: int | None
    at: datetime
    kind: str
    data: dict[str, Any]
    dedupe_key: str | None
    created: bool = True


@dataclass(frozen=True, slots=True)
class StatusEvent:
    """The data of a ``status`` timeline event: a complaint status the tracker read or the person reported.

    Written one way (``to_data``, key ``by``); ``from_data`` also reads the older ``reported_by`` key.
    """

    channel: str
    raw: str
    state: str
    by: Reporter
    event: str | None = None
    complaint_no: str | None = None
    note: str | None = None
    screenshot: str | None = None
    reply: str | None = None
    first: bool | None = None

    def to_data(self) -> dict[str, Any]:
        """The JSON stored in ``events.data_json`` (optional keys only when set)."""
        data: dict[str, Any] = {
            "channel": self.channel,
            "raw": self.raw,
            "state": str(self.state),
            "event": self.event,
            "complaint_no": self.complaint_no,
            REPORTER_KEY: str(self.by),
        }
        for key in ("note", "screenshot", "reply", "first"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> StatusEvent:
        """A stored event's data, old or new."""
        first = data.get("first")
        return cls(
            channel=str(data.get("channel") or ""),
            raw=str(data.get("raw") or ""),
            state=str(data.get("state") or ""),
            by=reported_by(data),
            event=data.get("event") or None,
            complaint_no=data.get("complaint_no") or None,
            note=data.get("note") or None,
            screenshot=data.get("screenshot") or None,
            reply=data.get("reply") or None,
            first=bool(first) if first is not None else None,
        )


@dataclass(frozen=True, slots=True)
class StoredReceipt:
    """A filing's stored receipt (``filings.receipt_json``, written from ``adapter.Receipt.to_dict``)."""

    complaint_no: str
    filed_at: datetime | None = None
    status: str | None = None
    url: str | None = None
    screenshot: str | None = None
    html: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    reconciled: bool = False

    @classmethod
    def from_data(cls, data: Any) -> StoredReceipt | None:
        """The typed receipt of stored JSON data; None when there is none."""
        if not isinstance(data, dict):
            return None
        filed = data.get("filed_at")
        try:
            filed_at = datetime.fromisoformat(filed) if isinstance(filed, str) and filed else None
        except ValueError:
            filed_at = None
        extra = data.get("extra")
        return cls(
            complaint_no=str(data.get("complaint_no") or ""),
            filed_at=filed_at,
            status=data.get("status"),
            url=data.get("url"),
            screenshot=data.get("screenshot"),
            html=data.get("html"),
            extra=dict(extra) if isinstance(extra, dict) else {},
            reconciled=bool(data.get("reconciled")),
        )
