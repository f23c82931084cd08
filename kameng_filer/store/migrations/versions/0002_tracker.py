"""Tracker tables: tracking (per submitted filing), deadlines, actions (idempotency log), tracker_meta.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

Written to match kameng_filer.tracker.models; timestamps are plain DateTime columns holding naive
UTC (the models read them through UTCDateTime).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the tracker's tables and indexes."""
    op.create_table(
        "tracking",
        sa.Column("filing_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("open", sa.Boolean(), server_default=sa.text("1"), nullable=False),
        sa.Column("can_poll", sa.Boolean(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_poll_at", sa.DateTime(), nullable=True),
        sa.Column("last_raw", sa.Text(), nullable=True),
        sa.Column("last_state", sa.String(length=32), nullable=True),
        sa.Column("last_checked_at", sa.DateTime(), nullable=True),
        sa.Column("status_seq", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("replies_seen", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("follow_ups", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_follow_up_at", sa.DateTime(), nullable=True),
        sa.Column("escalated_at", sa.DateTime(), nullable=True),
        sa.Column("poll_failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["filing_id"], ["filings.id"], name=op.f("fk_tracking_filing_id_filings")),
        sa.PrimaryKeyConstraint("filing_id", name=op.f("pk_tracking")),
    )
    op.create_index(op.f("ix_tracking_next_poll_at"), "tracking", ["next_poll_at"], unique=False)
    op.create_table(
        "deadlines",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("filing_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("clock", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("on_lapse", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("provisional", sa.Boolean(), server_default=sa.text("0"), nullable=False),
        sa.Column("calendar", sa.String(length=64), nullable=False),
        sa.Column("remind_at", sa.DateTime(), nullable=True),
        sa.Column("fulfilled_at", sa.DateTime(), nullable=True),
        sa.Column("stages_done", sa.String(length=64), server_default=sa.text("''"), nullable=False),
        sa.Column("next_action_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["filing_id"], ["filings.id"], name=op.f("fk_deadlines_filing_id_filings")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadlines")),
        sa.UniqueConstraint("filing_id", "clock", name=op.f("uq_deadlines_filing_id_clock")),
    )
    op.create_index(op.f("ix_deadlines_state_due_at"), "deadlines", ["state", "due_at"], unique=False)
    op.create_index(op.f("ix_deadlines_next_action_at"), "deadlines", ["next_action_at"], unique=False)
    op.create_index(
        op.f("ix_deadlines_provisional_calendar"), "deadlines", ["provisional", "calendar"], unique=False
    )
    op.create_table(
        "actions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=True),
        sa.Column("filing_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("lease_until", sa.Float(), nullable=True),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.Column("detail_json", sa.Text(), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_actions_case_id_cases")),
        sa.ForeignKeyConstraint(["filing_id"], ["filings.id"], name=op.f("fk_actions_filing_id_filings")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actions")),
        sa.UniqueConstraint("key", name=op.f("uq_actions_key")),
    )
    op.create_index(op.f("ix_actions_status_attempts"), "actions", ["status", "attempts"], unique=False)
    op.create_index(op.f("ix_actions_filing_id"), "actions", ["filing_id"], unique=False)
    op.create_table(
        "tracker_meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_tracker_meta")),
    )


def downgrade() -> None:
    """Drop the tracker's tables (loses deadlines and the actions log)."""
    op.drop_table("tracker_meta")
    op.drop_index(op.f("ix_actions_filing_id"), table_name="actions")
    op.drop_index(op.f("ix_actions_status_attempts"), table_name="actions")
    op.drop_table("actions")
    op.drop_index(op.f("ix_deadlines_provisional_calendar"), table_name="deadlines")
    op.drop_index(op.f("ix_deadlines_next_action_at"), table_name="deadlines")
    op.drop_index(op.f("ix_deadlines_state_due_at"), table_name="deadlines")
    op.drop_table("deadlines")
    op.drop_index(op.f("ix_tracking_next_poll_at"), table_name="tracking")
    op.drop_table("tracking")
