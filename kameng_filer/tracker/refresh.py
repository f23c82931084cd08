"""Recompute one filing's deadlines from its history and store them with their next action time."""

from __future__ import annotations

from dataclasses import dataclass

from kameng_filer.store.records import FilingRecord
from kameng_filer.tracker import repo
from kameng_filer.tracker.clocks import ChannelStep, ClockCalc, channel_next, compute, person_next
from kameng_filer.tracker.context import Pass
from kameng_filer.tracker.events import TERMINAL_STATES, build_history
from kameng_filer.tracker.models import DbTracking

HISTORY_KINDS = ("status", "reject", "follow_up")


@dataclass
class Refreshed:
    """A filing's clocks at the pass's time and what its lapsed channel clocks call for next."""

    filing: FilingRecord
    tracking: DbTracking
    calcs: list[ClockCalc]
    step: ChannelStep | None
    stages: dict[str, str]


def refresh(p: Pass, filing_id: int) -> Refreshed | None:
    """Recompute and store the deadlines of a tracked, submitted filing (None when it is not tracked)."""
    filing = p.filing(filing_id)
    track = repo.tracking(p.store, filing_id)
    if filing is None or track is None or filing.state != "submitted" or filing.submitted_at is None:
        return None
    case = p.case(filing.case_id)
    policy = p.policy(filing.channel, filing.case_id)
    events = p.store.events(filing.case_id, kinds=HISTORY_KINDS, filing_id=filing_id)
    history = build_history(case, filing.channel, filing.purpose, filing.submitted_at, events)
    calcs = compute(policy, history, p.now, p.calendar)
    lapsed = [c for c in calcs if c.is_channel and c.state == "lapsed"]
    step = channel_next(
        policy,
        lapsed,
        follow_ups=track.follow_ups,
        last_follow_up_at=track.last_follow_up_at,
        escalated=track.escalated_at is not None,
        calendar=p.calendar,
    )
    old = {d.clock: d for d in repo.deadlines_of(p.store, [filing_id])}
    stages: dict[str, str] = {}
    with p.store.transaction() as s:
        for c in calcs:
            prev = old.get(c.clock.id)
            done = prev.stages_done if prev is not None and prev.started_at == c.started_at else ""
            stages[c.clock.id] = done
            if c.is_channel:
                nxt = c.lapses_at if c.state == "due" else None
                if c.state == "lapsed" and step is not None:
                    nxt = policy.quiet_hours.next_allowed(max(step.at, p.now), p.calendar)
            else:
                pn = person_next(c, done)
                nxt = pn[0] if pn else None
            repo.upsert_deadline(
                s,
                filing_id,
                c.clock.id,
                {
                    "case_id": filing.case_id,
                    "title": c.clock.title,
                    "on_lapse": c.clock.on_lapse,
                    "started_at": c.started_at,
                    "due_at": c.due.due,
                    "state": c.state,
                    "provisional": c.due.provisional,
                    "calendar": p.calendar.fingerprint,
                    "remind_at": c.remind_at,
                    "fulfilled_at": c.fulfilled_at,
                    "next_action_at": nxt,
                    "updated_at": p.now,
                },
            )
    if track.open and (track.last_state in TERMINAL_STATES):
        repo.update_tracking(p.store, filing_id, open=False, next_poll_at=None, updated_at=p.now)
    p.report.refreshed += 1
    return Refreshed(filing, track, calcs, step, stages)
