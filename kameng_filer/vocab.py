"""The toolkit's vocabularies, defined once: complaint states, filing states, timeline event kinds, who
reported a status. Members are ``StrEnum`` so they compare and serialise as the plain words that are
stored in the database and written in profiles; the Chinese words for people live in ``wording``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ComplaintState(StrEnum):
    """A complaint's status on its channel, normalised (``StatusReport.state``, profile ``status_words``)."""

    OPEN = "open"
    REPLIED = "replied"
    NEEDS_USER = "needs_user"
    RESOLVED = "resolved"
    REJECTED = "rejected"
    CLOSED = "closed"
    ESCALATED = "escalated"
    WITHDRAWN = "withdrawn"
    ACCEPTED = "accepted"
    MEDIATING = "mediating"


COMPLAINT_STATE_MEANINGS: dict[ComplaintState, str] = {
    ComplaintState.OPEN: "待处理 / 处理中",
    ComplaintState.REPLIED: "对方已回复",
    ComplaintState.NEEDS_USER: "等待本人回复或补充",
    ComplaintState.ESCALATED: "已升级 / 平台已介入",
    ComplaintState.RESOLVED: "已处理完成",
    ComplaintState.REJECTED: "被驳回 / 不予受理",
    ComplaintState.CLOSED: "已关闭 / 已办结",
    ComplaintState.WITHDRAWN: "已撤诉",
    ComplaintState.ACCEPTED: "已受理",
    ComplaintState.MEDIATING: "调解中",
}
"""Each complaint state with its Chinese meaning (every member has one)."""


class FilingState(StrEnum):
    """A filing record's state (``filings.state``) and how one channel of a run ended (``Outcome.state``).

    ``ALREADY_FILED`` and ``IN_PROGRESS`` only end a run; they are never stored on a record.
    """

    PLANNED = "planned"
    SUBMITTING = "submitting"
    SUBMITTED = "submitted"
    NEEDS_PERSON = "needs_person"
    FAILED = "failed"
    REJECTED = "rejected"
    ALREADY_FILED = "already_filed"
    IN_PROGRESS = "in_progress"


RECORD_STATES: tuple[FilingState, ...] = (
    FilingState.PLANNED,
    FilingState.SUBMITTING,
    FilingState.SUBMITTED,
    FilingState.NEEDS_PERSON,
    FilingState.FAILED,
    FilingState.REJECTED,
)
"""The states a stored filing record can have."""

REUSABLE: tuple[FilingState, ...] = (
    FilingState.PLANNED,
    FilingState.SUBMITTING,
    FilingState.NEEDS_PERSON,
    FilingState.FAILED,
    FilingState.REJECTED,
)
"""Record states a run may (re)start from; ``submitted`` is final."""


class EventKind(StrEnum):
    """Kinds of timeline events (``events.kind``) and of tracker actions."""

    IMPORTED = "imported"
    FILING_STATE = "filing_state"
    STATUS = "status"
    STATUS_POLL = "status_poll"
    FOLLOW_UP = "follow_up"
    ESCALATION = "escalation"
    NOTIFICATION = "notification"
    REMINDER = "reminder"
    REJECT = "reject"
    NOTE = "note"


class Reporter(StrEnum):
    """Who recorded a status event: the tracker read it from the channel, or the person reported it."""

    TRACKER = "tracker"
    PERSON = "person"


REPORTER_KEY = "by"
"""The one key of a status event's data naming its ``Reporter``."""

LEGACY_REPORTER_KEY = "reported_by"
"""The key ``kameng report`` wrote before; still read in stored data."""


def reported_by(data: dict[str, Any]) -> Reporter:
    """Who recorded a status event (new ``by`` key, or the older ``reported_by``; default the person)."""
    value = data.get(REPORTER_KEY) or data.get(LEGACY_REPORTER_KEY)
    return Reporter.TRACKER if value == Reporter.TRACKER else Reporter.PERSON
