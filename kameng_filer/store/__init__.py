"""The local store: SQLite (SQLAlchemy + alembic) for cases, versions, filings and events; blobs on disk."""

from kameng_filer.store.blobs import BlobInfo, BlobStore
from kameng_filer.store.engine import HEAD_REVISION
from kameng_filer.store.records import (
    EVENT_KINDS,
    FILING_STATE_LABELS,
    FILING_STATES,
    CaseNotFound,
    CaseSummary,
    EventRecord,
    EvidenceRow,
    FilingRecord,
    FilingStateConflict,
    ImportResult,
    VersionInfo,
)
from kameng_filer.store.sniff import extension_conflict, mime_label, sniff_mime
from kameng_filer.store.store import Store

__all__ = [
    "EVENT_KINDS",
    "FILING_STATES",
    "FILING_STATE_LABELS",
    "HEAD_REVISION",
    "BlobInfo",
    "BlobStore",
    "CaseNotFound",
    "CaseSummary",
    "EventRecord",
    "EvidenceRow",
    "FilingRecord",
    "FilingStateConflict",
    "ImportResult",
    "Store",
    "VersionInfo",
    "extension_conflict",
    "mime_label",
    "sniff_mime",
]
