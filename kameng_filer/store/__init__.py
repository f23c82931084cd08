"""The local store: SQLite (SQLAlchemy + alembic) for cases, versions, filings and events; blobs on disk.

The names below load on first use (PEP 562), so importing a light sub-module such as
``kameng_filer.store.sniff`` does not import SQLAlchemy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_SOURCES = {
    "blobs": ("BlobInfo", "BlobStore"),
    "engine": ("HEAD_REVISION",),
    "records": (
        "EVENT_KINDS",
        "FILING_STATE_LABELS",
        "FILING_STATES",
        "CaseNotFound",
        "CaseSummary",
        "EventRecord",
        "EvidenceRow",
        "FilingRecord",
        "FilingStateConflict",
        "ImportResult",
        "VersionInfo",
    ),
    "sniff": ("extension_conflict", "mime_label", "sniff_mime"),
    "store": ("Store",),
}
_MODULE_OF = {name: module for module, names in _SOURCES.items() for name in names}

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


def __getattr__(name: str) -> Any:
    """Import the sub-module that defines ``name`` on first access."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """Module attributes including the lazily loaded names."""
    return sorted({*globals(), *__all__})
