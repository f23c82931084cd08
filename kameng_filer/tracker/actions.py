"""The actions log: claim an idempotency key before a side effect, finish it after, queue notifications.

``claim`` inserts the action as ``pending`` with a lease for this process; the unique key makes a
second claim (another pass, a restarted daemon) fail, so the side effect happens at most once per key.
``finish`` records the outcome, a timeline event and the notifications to send — in one transaction,
so a crash never loses a notification of something that happened. An action left ``pending`` by a
process that died (lease expired, or the owner process on this host is gone) is picked up again by
``reclaim`` and reconciled by the caller.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kameng_filer.store import Store
from kameng_filer.store.records import dump_json, load_json
from kameng_filer.store.timeline import add_event_row
from kameng_filer.tracker.models import DbAction, DbTracking

KINDS = ("follow_up", "escalation", "reminder", "notification", "status_poll")
STATUSES = ("pending", "done", "pending_person", "failed")
STATUS_LABELS = {"pending": "进行中", "done": "已完成", "pending_person": "等待本人操作", "failed": "失败"}
LEASE_SECONDS = 15 * 60.0
"""How long a claimed action belongs to the process that claimed it (longer than any single action)."""
MAX_ATTEMPTS = 3


def owner_id() -> str:
    """This process, as ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_alive(owner: str | None) -> bool:
    """False when ``owner`` is a process on this host that no longer exists."""
    if not owner:
        return False
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class Action:
    """A detached action row with ``detail`` decoded."""

    id: int
    key: str
    kind: str
    case_id: str | None
    filing_id: int | None
    at: datetime
    status: str
    attempts: int
    owner: str | None
    detail: dict[str, Any]

    @classmethod
    def of(cls, row: DbAction) -> Action:
        """From an ORM row."""
        return cls(
            row.id,
            row.key,
            row.kind,
            row.case_id,
            row.filing_id,
            row.at,
            row.status,
            row.attempts,
            row.owner,
            load_json(row.detail_json) or {},
        )


@dataclass
class Notice:
    """A message to the person (sent through the configured notification URLs)."""

    title: str
    body: str
    tags: list[str] = field(default_factory=list)


def claim(
    store: Store,
    key: str,
    kind: str,
    *,
    case_id: str | None,
    filing_id: int | None,
    at: datetime,
    detail: dict[str, Any] | None = None,
    also: Callable[[Session], None] | None = None,
    leased: bool = True,
) -> Action | None:
    """Record ``key`` as pending; None when the key already exists (someone else has it).

    ``leased``: held by this process now (it performs the action right away); otherwise queued for
    ``open_actions`` / ``reclaim``. ``also`` runs in the same transaction (e.g. counting a follow-up).
    """
    row = DbAction(
        key=key,
        kind=kind,
        case_id=case_id,
        filing_id=filing_id,
        at=at,
        status="pending",
        attempts=1 if leased else 0,
        lease_until=time.time() + LEASE_SECONDS if leased else None,
        owner=owner_id() if leased else None,
        detail_json=dump_json(detail or {}) or "{}",
        created_at=at,
        updated_at=at,
    )
    try:
        with store.transaction() as s:
            s.add(row)
            s.flush()
            if also is not None:
                also(s)
            return Action.of(row)
    except IntegrityError:
        return None


def exists(store: Store, key: str) -> bool:
    """Whether an action with this key was ever recorded."""
    with store.session() as s:
        return s.scalar(select(DbAction.id).where(DbAction.key == key)) is not None


def get(store: Store, key: str) -> Action | None:
    """The action with this key."""
    with store.session() as s:
        row = s.scalars(select(DbAction).where(DbAction.key == key)).first()
        return Action.of(row) if row else None


def _queue_notice(s: Session, action: Action, notice: Notice, at: datetime, status: str) -> None:
    key = f"notify:{action.key}:{status}"[:200]
    if s.scalar(select(DbAction.id).where(DbAction.key == key)) is not None:
        return
    s.add(
        DbAction(
            key=key,
            kind="notification",
            case_id=action.case_id,
            filing_id=action.filing_id,
            at=at,
            status="pending",
            attempts=0,
            lease_until=None,
            owner=None,
            detail_json=json.dumps(
                {"title": notice.title, "body": notice.body, "tags": notice.tags, "source": action.key},
                ensure_ascii=False,
            ),
            created_at=at,
            updated_at=at,
        )
    )


def finish(
    store: Store,
    action: Action,
    status: str,
    *,
    at: datetime,
    detail: dict[str, Any] | None = None,
    event: dict[str, Any] | None = None,
    notice: Notice | None = None,
    tracking: dict[str, Any] | None = None,
    final: bool = False,
) -> None:
    """Record the outcome of ``action``; add its timeline event and queue its notice, atomically.

    A ``failed`` action is retried by later passes (up to ``MAX_ATTEMPTS``) unless ``final``.
    """
    if status not in STATUSES:
        raise ValueError(f"unknown action status {status!r}")
    with store.transaction() as s:
        row = s.get(DbAction, action.id)
        assert row is not None
        row.status = status
        row.updated_at = at
        row.lease_until = None if status != "pending" else row.lease_until
        if status == "failed" and final:
            row.attempts = max(row.attempts, MAX_ATTEMPTS)
        if detail is not None:
            row.detail_json = dump_json({**(load_json(row.detail_json) or {}), **detail}) or "{}"
        if event is not None and action.case_id is not None:
            data = {"key": action.key, "status": status, **event}
            add_event_row(
                s,
                action.case_id,
                action.kind,
                data,
                filing_id=action.filing_id,
                at=at,
                dedupe_key=f"action:{action.key}:{status}:{row.attempts}"[:200],
            )
        if notice is not None:
            _queue_notice(s, action, notice, at, status)
        if tracking and action.filing_id is not None:
            s.execute(update(DbTracking).where(DbTracking.filing_id == action.filing_id).values(**tracking))


def open_actions(store: Store, kinds: tuple[str, ...], limit: int) -> list[Action]:
    """Pending actions nobody holds and failed ones with attempts left (index on status, attempts)."""
    now = time.time()
    stmt = (
        select(DbAction)
        .where(
            or_(
                DbAction.status == "pending",
                and_(DbAction.status == "failed", DbAction.attempts < MAX_ATTEMPTS),
            )
        )
        .where(DbAction.kind.in_(kinds))
        .order_by(DbAction.id)
        .limit(limit)
    )
    with store.session() as s:
        rows = list(s.scalars(stmt))
    return [
        Action.of(r)
        for r in rows
        if not (
            r.status == "pending"
            and r.lease_until is not None
            and r.lease_until >= now
            and owner_alive(r.owner)
        )
    ]


def reclaim(store: Store, action: Action) -> Action | None:
    """Take over an unfinished action (compare-and-set on its lease); None when someone else did."""
    now = time.time()
    with store.transaction() as s:
        row = s.get(DbAction, action.id)
        if row is None or row.status not in ("pending", "failed"):
            return None
        if row.lease_until is not None and row.lease_until >= now and owner_alive(row.owner):
            return None
        if row.attempts != action.attempts:
            return None
        row.attempts += 1
        row.lease_until = now + LEASE_SECONDS
        row.owner = owner_id()
        return Action.of(row)


def enqueue_notice(
    store: Store, key: str, *, case_id: str | None, filing_id: int | None, at: datetime, notice: Notice
) -> bool:
    """Queue a notification under its own idempotency key; False when it was queued before."""
    detail = {"title": notice.title, "body": notice.body, "tags": notice.tags, "source": key}
    return (
        claim(
            store,
            f"notify:{key}"[:200],
            "notification",
            case_id=case_id,
            filing_id=filing_id,
            at=at,
            detail=detail,
            leased=False,
        )
        is not None
    )
