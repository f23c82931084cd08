"""Reads and writes of the tracker's tables; every query a pass makes is an index range, never a scan.

A pass asks for: new events since its cursor (primary key range), tracked filings whose status read is
due (``ix_tracking_next_poll_at``), deadlines whose next action is due (``ix_deadlines_next_action_at``)
and unfinished actions (``ix_actions_status``). With nothing due each of these returns no rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from kameng_filer.store import Store
from kameng_filer.store.models import DbEvent, DbFiling
from kameng_filer.store.records import load_json
from kameng_filer.tracker.models import DbDeadline, DbTrackerMeta, DbTracking


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """A new row of the events table (the tracker's change feed)."""

    id: int
    case_id: str
    filing_id: int | None
    kind: str
    at: datetime
    data: dict[str, Any]


def get_meta(store: Store, key: str) -> str | None:
    """A value of ``tracker_meta`` (None when unset)."""
    with store.session() as s:
        row = s.get(DbTrackerMeta, key)
        return row.value if row else None


def set_meta(store: Store, key: str, value: str) -> None:
    """Set a value of ``tracker_meta``."""
    with store.transaction() as s:
        stmt = sqlite_insert(DbTrackerMeta).values(key=key, value=value)
        s.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": value}))


def advance_cursor(store: Store, key: str, value: int) -> None:
    """Move an integer cursor forward (never back, also when two passes race)."""
    with store.transaction() as s:
        row = s.get(DbTrackerMeta, key)
        if row is None:
            s.add(DbTrackerMeta(key=key, value=str(value)))
        elif int(row.value) < value:
            row.value = str(value)


def new_events(store: Store, after_id: int, limit: int) -> list[FeedEvent]:
    """Events with ``id > after_id``, oldest first (at most ``limit``)."""
    stmt = select(DbEvent).where(DbEvent.id > after_id).order_by(DbEvent.id).limit(limit)
    with store.session() as s:
        return [
            FeedEvent(r.id, r.case_id, r.filing_id, r.kind, r.at, load_json(r.data_json) or {})
            for r in s.scalars(stmt)
        ]


def max_event_id(store: Store) -> int:
    """The newest event id (0 when there is none)."""
    with store.session() as s:
        row = s.execute(select(DbEvent.id).order_by(DbEvent.id.desc()).limit(1)).first()
        return int(row[0]) if row else 0


def ensure_tracking(store: Store, filing: Any, *, can_poll: bool, now: datetime) -> bool:
    """Start tracking a submitted filing (first status read due now when it can be read); True if new."""
    values = {
        "filing_id": filing.id,
        "case_id": filing.case_id,
        "channel": filing.channel,
        "open": True,
        "can_poll": can_poll,
        "next_poll_at": now if can_poll else None,
        "updated_at": now,
    }
    with store.transaction() as s:
        res = s.execute(sqlite_insert(DbTracking).values(**values).on_conflict_do_nothing())
        return bool(res.rowcount)


def tracking(store: Store, filing_id: int) -> DbTracking | None:
    """The tracking row of a filing (detached)."""
    with store.session() as s:
        return s.get(DbTracking, filing_id)


def tracking_rows(store: Store, filing_ids: Iterable[int]) -> dict[int, DbTracking]:
    """Tracking rows by filing id."""
    ids = list(filing_ids)
    if not ids:
        return {}
    with store.session() as s:
        return {r.filing_id: r for r in s.scalars(select(DbTracking).where(DbTracking.filing_id.in_(ids)))}


def update_tracking(store: Store, filing_id: int, **fields: Any) -> None:
    """Set fields of a tracking row."""
    with store.transaction() as s:
        s.execute(update(DbTracking).where(DbTracking.filing_id == filing_id).values(**fields))


def due_polls(store: Store, now: datetime, limit: int) -> list[DbTracking]:
    """Open, readable filings whose status read is due, earliest first."""
    stmt = (
        select(DbTracking)
        .where(DbTracking.next_poll_at <= now)
        .order_by(DbTracking.next_poll_at)
        .limit(limit)
    )
    with store.session() as s:
        return [r for r in s.scalars(stmt) if r.open and r.can_poll]


def due_deadline_filings(store: Store, now: datetime, limit: int) -> list[int]:
    """Filings with a deadline whose next action is due (each once), earliest first."""
    stmt = (
        select(DbDeadline.filing_id, DbDeadline.next_action_at)
        .where(DbDeadline.next_action_at <= now)
        .order_by(DbDeadline.next_action_at)
        .limit(limit)
    )
    out: list[int] = []
    with store.session() as s:
        for fid, _ in s.execute(stmt):
            if fid not in out:
                out.append(fid)
    return out


def deadlines_of(store: Store, filing_ids: Iterable[int]) -> list[DbDeadline]:
    """Every deadline row of these filings."""
    ids = list(filing_ids)
    if not ids:
        return []
    with store.session() as s:
        stmt = select(DbDeadline).where(DbDeadline.filing_id.in_(ids)).order_by(DbDeadline.due_at)
        return list(s.scalars(stmt))


def provisional_filings(store: Store, calendar: str, limit: int) -> list[int]:
    """Filings with a provisional deadline computed with another calendar (data arrived: recompute).

    Two index ranges on (provisional, calendar) — rows already recomputed are not visited again.
    """
    ids: set[int] = set()
    with store.session() as s:
        for cond in (DbDeadline.calendar < calendar, DbDeadline.calendar > calendar):
            stmt = select(DbDeadline.filing_id).where(DbDeadline.provisional.is_(True), cond).limit(limit)
            ids.update(int(r[0]) for r in s.execute(stmt))
    return sorted(ids)[:limit]


def stamp_calendar(store: Store, filing_id: int, calendar: str) -> None:
    """Mark a filing's deadlines as seen by ``calendar`` (a filing no longer tracked is not recomputed)."""
    with store.transaction() as s:
        s.execute(update(DbDeadline).where(DbDeadline.filing_id == filing_id).values(calendar=calendar))


def upsert_deadline(s: Session, filing_id: int, clock: str, values: dict[str, Any]) -> None:
    """Insert or update the (filing, clock) deadline inside an open write session."""
    row = s.scalars(
        select(DbDeadline).where(DbDeadline.filing_id == filing_id, DbDeadline.clock == clock)
    ).first()
    if row is None:
        s.add(DbDeadline(filing_id=filing_id, clock=clock, **values))
        return
    if row.started_at != values["started_at"]:
        row.stages_done = ""
    for k, v in values.items():
        setattr(row, k, v)


def mark_stage(store: Store, filing_id: int, clock: str, stage: str) -> bool:
    """Record a handled stage of a person clock; False when another pass handled it first."""
    with store.transaction() as s:
        row = s.scalars(
            select(DbDeadline).where(DbDeadline.filing_id == filing_id, DbDeadline.clock == clock)
        ).first()
        if row is None or stage in row.stages_done:
            return False
        row.stages_done = row.stages_done + stage
        return True


def filing_rows(store: Store, filing_ids: Iterable[int]) -> dict[int, DbFiling]:
    """Filing rows by id (detached, JSON not decoded)."""
    ids = list(filing_ids)
    if not ids:
        return {}
    with store.session() as s:
        return {r.id: r for r in s.scalars(select(DbFiling).where(DbFiling.id.in_(ids)))}
