"""From a filing's history (filing time, case facts, status and tracker events) to clock occurrences.

A clock starts, ends and pauses on the channel-independent events of ``policy.EVENTS``. A status the
channel shows (polled by the tracker) or the person reports (``kameng report``) maps to one event plus
the events it implies (a request to supplement material implies that the other side replied). A
channel saying 已解决 is a *result* (the person may still disagree or wait for the refund); only the
person's own report of 已完成/已解决 resolves the dispute.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kameng_filer.case.model import Case
from kameng_filer.filing.status_words import normalise_status
from kameng_filer.timeutil import as_shanghai
from kameng_filer.vocab import Reporter, reported_by

STATE_EVENTS: dict[str, str | None] = {
    "open": None,
    "accepted": "accepted",
    "mediating": "accepted",
    "replied": "replied",
    "needs_user": "waiting_for_person",
    "escalated": "escalated",
    "resolved": "result",
    "rejected": "not_accepted",
    "closed": "closed",
    "withdrawn": "withdrawn",
}
"""A normalised status state (``StatusReport.state``) → the tracker event it means."""

IMPLIES: dict[str, tuple[str, ...]] = {
    "waiting_for_person": ("replied",),
    "supplement_requested": ("replied",),
    "not_accepted": ("replied",),
    "result": ("replied",),
    "resolved": ("result", "replied"),
    "refund_received": ("result", "replied"),
    "escalation_answered": ("replied",),
    "platform_intervened": ("escalated",),
    "mediation_ended": ("replied",),
}
"""Events that come with another one (each implied event happens at the same time)."""

PAUSE_STATES = frozenset({"waiting_for_person", "supplement_requested"})
"""Events after which the clock waits for the person until the next status change."""

TERMINAL_STATES = frozenset({"resolved", "closed", "withdrawn", "rejected"})
"""Normalised states after which the channel's status is no longer read."""


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One event at one time."""

    event: str
    at: datetime


@dataclass(frozen=True, slots=True)
class StatusPoint:
    """A status change as the clocks see it: when, and the events it means (first = main)."""

    at: datetime
    events: tuple[str, ...]


def status_events(channel: str, data: dict[str, Any]) -> tuple[str, ...]:
    """The events a recorded ``status`` event means (main event first, then implied ones)."""
    polled = reported_by(data) is Reporter.TRACKER
    event = data.get("event")
    if not event and data.get("raw"):
        meaning = normalise_status(channel, str(data["raw"]))
        event = meaning.event if meaning else None
    if not event:
        event = STATE_EVENTS.get(str(data.get("state") or ""))
    if polled and event == "resolved":
        event = "result"
    if not event:
        return ()
    return (event, *IMPLIES.get(event, ()))


@dataclass
class History:
    """Everything the clocks of one filing need, oldest first."""

    occurrences: list[Occurrence]
    statuses: list[StatusPoint]

    def latest(self, event: str) -> datetime | None:
        """The latest time ``event`` happened (a start recorded ahead of the pass's clock counts too)."""
        times = [o.at for o in self.occurrences if o.event == event]
        return max(times) if times else None

    def first_after(self, events: Iterable[str], start: datetime, now: datetime) -> datetime | None:
        """The first time one of ``events`` happened at or after ``start`` (and by ``now``)."""
        wanted = set(events)
        times = [o.at for o in self.occurrences if o.event in wanted and start <= o.at <= now]
        return min(times) if times else None

    def pauses(self, pause_events: Iterable[str], now: datetime) -> list[tuple[datetime, datetime | None]]:
        """Intervals during which the latest status meant one of ``pause_events`` (end None = still)."""
        wanted = set(pause_events)
        out: list[tuple[datetime, datetime | None]] = []
        begin: datetime | None = None
        for point in self.statuses:
            if point.at > now:
                break
            pausing = bool(point.events) and point.events[0] in wanted
            if pausing and begin is None:
                begin = point.at
            elif not pausing and begin is not None:
                out.append((begin, point.at))
                begin = None
        if begin is not None:
            out.append((begin, None))
        return out


def base_occurrences(case: Case, purpose: str, submitted_at: datetime | None) -> list[Occurrence]:
    """``paid``, ``discovered`` from the case and ``filed`` (``escalated`` for an escalation filing)."""
    out = []
    order = case.order
    paid = order.paid_at or order.ordered_at
    if paid is not None:
        out.append(Occurrence("paid", as_shanghai(paid)))
    discovered = case.problem.discovered_at or paid
    if discovered is not None:
        out.append(Occurrence("discovered", as_shanghai(discovered)))
    if submitted_at is not None:
        out.append(Occurrence("escalated" if purpose == "escalation" else "filed", as_shanghai(submitted_at)))
    return out


def build_history(
    case: Case, channel: str, purpose: str, submitted_at: datetime | None, events: Iterable[Any]
) -> History:
    """A filing's history from its stored events (``EventRecord``s of kinds status / reject / follow_up)."""
    occ = base_occurrences(case, purpose, submitted_at)
    statuses: list[StatusPoint] = []
    for ev in events:
        at = as_shanghai(ev.at)
        if ev.kind == "status":
            meant = status_events(channel, ev.data)
            statuses.append(StatusPoint(at, meant))
            occ.extend(Occurrence(e, at) for e in meant)
        elif ev.kind == "reject":
            occ.append(Occurrence("review_requested", at))
        elif ev.kind == "follow_up" and ev.data.get("status") == "done":
            occ.append(Occurrence("follow_up_sent", at))
    occ.sort(key=lambda o: o.at)
    statuses.sort(key=lambda p: p.at)
    return History(occ, statuses)
