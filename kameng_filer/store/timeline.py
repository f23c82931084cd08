"""The events timeline of a case: imports, filing states, statuses, follow-ups, notifications…"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kameng_filer.store.base import StoreBase
from kameng_filer.store.models import DbCase, DbEvent
from kameng_filer.store.records import CaseNotFound, EventRecord, dump_json, load_json
from kameng_filer.timeutil import now


def event_record(row: DbEvent, *, created: bool = True) -> EventRecord:
    """A detached ``EventRecord`` with ``data`` decoded."""
    return EventRecord(
        id=row.id,
        case_id=row.case_id,
        filing_id=row.filing_id,
        at=row.at,
        kind=row.kind,
        data=load_json(row.data_json) or {},
        dedupe_key=row.dedupe_key,
        created=created,
    )


def add_event_row(
    s: Session,
    case_id: str,
    kind: str,
    data: dict[str, Any] | None,
    *,
    filing_id: int | None = None,
    at: datetime | None = None,
    dedupe_key: str | None = None,
) -> EventRecord:
    """Append an event inside an open write session (see ``TimelineMethods.add_event``)."""
    if dedupe_key is not None:
        existing = s.scalars(select(DbEvent).where(DbEvent.dedupe_key == dedupe_key)).first()
        if existing is not None:
            return event_record(existing, created=False)
    row = DbEvent(
        case_id=case_id,
        filing_id=filing_id,
        at=at or now(),
        kind=kind,
        data_json=dump_json(data or {}),
        dedupe_key=dedupe_key,
    )
    s.add(row)
    s.flush()
    return event_record(row)


class TimelineMethods(StoreBase):
    """Store methods for the events timeline."""

    def add_event(
        self,
        case_id: str,
        kind: str,
        data: dict[str, Any] | None = None,
        *,
        filing_id: int | None = None,
        at: datetime | None = None,
        dedupe_key: str | None = None,
    ) -> EventRecord:
        """Append a timeline entry. With ``dedupe_key``, a second call with the same key adds nothing
        and returns the first entry with ``created=False`` (idempotent actions)."""
        with self.transaction() as s:
            if s.get(DbCase, case_id) is None:
                raise CaseNotFound(f"本地存储中没有案件 {case_id}")
            return add_event_row(s, case_id, kind, data, filing_id=filing_id, at=at, dedupe_key=dedupe_key)

    def events(
        self, case_id: str, *, kinds: Collection[str] | None = None, filing_id: int | None = None
    ) -> list[EventRecord]:
        """A case's timeline, oldest first (optionally only some kinds or one filing)."""
        stmt = select(DbEvent).where(DbEvent.case_id == case_id)
        if kinds:
            stmt = stmt.where(DbEvent.kind.in_(list(kinds)))
        if filing_id is not None:
            stmt = stmt.where(DbEvent.filing_id == filing_id)
        with self.session() as s:
            return [event_record(r) for r in s.scalars(stmt.order_by(DbEvent.at, DbEvent.id))]
