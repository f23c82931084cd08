"""The tracker's tables: what is watched, every deadline (indexed by next action), the actions log, meta.

The schema itself is owned by migration ``0002_tracker``; these models are registered on the store's
``Base`` (the store does not import them; ``kameng_filer.schema.METADATA`` holds both) so alembic and
``compare_metadata`` see one schema. Rows are added and updated, never deleted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from kameng_filer.store.models import Base, UTCDateTime


class DbTracking(Base):
    """One submitted filing the tracker follows: when to read its status next and what it showed last."""

    __tablename__ = "tracking"
    __table_args__ = (Index(None, "next_poll_at"),)

    filing_id: Mapped[int] = mapped_column(Integer, ForeignKey("filings.id"), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(64))
    open: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("1"))
    can_poll: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("0"))
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_raw: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_state: Mapped[str | None] = mapped_column(String(32), nullable=True)
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status_seq: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    replies_seen: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    follow_ups: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_follow_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    poll_failures: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DbDeadline(Base):
    """One clock of one filing: its due time, state and the next moment the tracker must act on it."""

    __tablename__ = "deadlines"
    __table_args__ = (
        UniqueConstraint("filing_id", "clock"),
        Index(None, "state", "due_at"),
        Index(None, "next_action_at"),
        Index(None, "provisional", "calendar"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    filing_id: Mapped[int] = mapped_column(Integer, ForeignKey("filings.id"))
    case_id: Mapped[str] = mapped_column(String(64))
    clock: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    on_lapse: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16))
    provisional: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("0"))
    calendar: Mapped[str] = mapped_column(String(64))
    remind_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    stages_done: Mapped[str] = mapped_column(String(64), default="", server_default=text("''"))
    next_action_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DbAction(Base):
    """One tracker action; ``key`` (unique) is recorded before the side effect, so it happens once."""

    __tablename__ = "actions"
    __table_args__ = (Index(None, "status", "attempts"), Index(None, "filing_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    case_id: Mapped[str | None] = mapped_column(String(64), ForeignKey("cases.id"), nullable=True)
    filing_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("filings.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    lease_until: Mapped[float | None] = mapped_column(Float, nullable=True)
    owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    detail_json: Mapped[str] = mapped_column(Text, default="{}", server_default=text("'{}'"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DbTrackerMeta(Base):
    """Small key/value state of the tracker (event cursor, calendar fingerprint)."""

    __tablename__ = "tracker_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
