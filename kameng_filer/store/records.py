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

FILING_STATES: tuple[str, ...] = ("planned", "submitting", "submitted", "needs_person", "failed", "rejected")
FILING_STATE_LABELS: dict[str, str] = {state: wording.FILING_STATES[state] for state in FILING_STATES}
"""Chinese words of the filing states (one table for the whole CLI: ``kameng_filer.wording``)."""
EVENT_KINDS: tuple[str, ...] = (
    "imported",
    "filing_state",
    "status",
    "follow_up",
    "escalation",
    "notification",
    "reminder",
    "note",
)

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
