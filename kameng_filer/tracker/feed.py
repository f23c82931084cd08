"""The change feed: events added since the last pass (primary-key range) drive the tracker.

- a filing that became ``submitted`` starts being tracked (its deadlines computed, its status read);
- a ``status`` (read by the tracker or reported with ``kameng report``) recomputes the filing's
  deadlines and notifies the person; a rejection (已驳回 / 不予受理) queues an escalation;
- ``reject`` (``kameng reject``) queues an escalation;
- a re-imported case recomputes its filings' deadlines (its dates may have changed).

Handling an event twice (two passes at once) changes nothing: tracking rows are inserted once, and
notifications and escalations carry idempotency keys derived from the event id.
"""

from __future__ import annotations

from kameng_filer import wording
from kameng_filer.errors import KamengError
from kameng_filer.tracker import actions as act
from kameng_filer.tracker import escalation, notices, repo
from kameng_filer.tracker.channel_io import can_poll
from kameng_filer.tracker.context import Pass
from kameng_filer.tracker.events import TERMINAL_STATES
from kameng_filer.tracker.refresh import refresh
from kameng_filer.tracker.repo import FeedEvent
from kameng_filer.vocab import Reporter, reported_by

CURSOR = "feed_cursor"
BATCH = 500


def consume(p: Pass) -> None:
    """Handle every event added since the cursor, then move the cursor."""
    cursor = int(repo.get_meta(p.store, CURSOR) or 0)
    while True:
        events = repo.new_events(p.store, cursor, BATCH)
        if not events:
            return
        for ev in events:
            try:
                _handle(p, ev)
            except KamengError as exc:
                p.report.errors.append(f"事件 {ev.id}({wording.event_kind(ev.kind)}):{exc.message}")
        cursor = events[-1].id
        repo.advance_cursor(p.store, CURSOR, cursor)
        p.report.events += len(events)


def _handle(p: Pass, ev: FeedEvent) -> None:
    if ev.kind == "filing_state" and ev.data.get("to") == "submitted" and ev.filing_id:
        _start(p, ev.filing_id)
    elif ev.kind == "status" and ev.filing_id:
        _status(p, ev)
    elif ev.kind == "reject" and ev.filing_id:
        filing = p.filing(ev.filing_id)
        if filing is not None and filing.state == "submitted":
            reason = str(ev.data.get("reason") or "本人不接受处理结果")
            refresh(p, filing.id)
            escalation.enqueue(p, filing, f"escalation:reject:{ev.id}", reason)
    elif ev.kind == "imported":
        p.forget_case(ev.case_id)
        tracked = repo.tracking_rows(p.store, [f.id for f in p.store.filings(ev.case_id)])
        for fid in tracked:
            refresh(p, fid)


def _start(p: Pass, filing_id: int) -> None:
    filing = p.filing(filing_id)
    if filing is None or filing.state != "submitted":
        return
    try:
        pollable = can_poll(p.channels.instance(filing.channel).adapter)
    except KamengError:
        pollable = False
    repo.ensure_tracking(p.store, filing, can_poll=pollable, now=p.now)
    refresh(p, filing_id)


def _status(p: Pass, ev: FeedEvent) -> None:
    assert ev.filing_id is not None
    filing = p.filing(ev.filing_id)
    track = repo.tracking(p.store, ev.filing_id)
    if filing is None or track is None:
        return
    data = ev.data
    state = str(data.get("state") or "")
    if reported_by(data) is not Reporter.TRACKER:
        repo.update_tracking(
            p.store, filing.id, last_raw=str(data.get("raw") or ""), last_state=state, updated_at=p.now
        )
    if state in TERMINAL_STATES:
        repo.update_tracking(p.store, filing.id, open=False, next_poll_at=None, updated_at=p.now)
    refresh(p, filing.id)
    quiet_first = data.get("first") and state == "open"
    if not quiet_first:
        notice = notices.status_changed(
            filing.case_id,
            filing.channel,
            filing.complaint_no or "",
            str(data.get("raw") or state),
            ev.at,
            data,
        )
        act.enqueue_notice(
            p.store, f"status:{ev.id}", case_id=filing.case_id, filing_id=filing.id, at=p.now, notice=notice
        )
    if state == "rejected":
        escalation.enqueue(p, filing, f"escalation:status:{ev.id}", f"渠道驳回：{data.get('raw') or state}")
