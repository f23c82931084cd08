"""Read the status of open filings whose read is due, politely, and record each change as an event.

Per channel at most ``polling.max_per_pass`` reads per pass, ``polling.min_gap_seconds`` apart, each
filing again after ``polling.every_hours``. A read that needs the person (an expired login with a
captcha) is skipped and noted once a day; an unreachable channel is retried with backoff.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from kameng_filer.errors import HumanActionRequired, KamengError
from kameng_filer.filing.status_words import normalise_status
from kameng_filer.store.records import StatusEvent
from kameng_filer.store.timeline import add_event_row
from kameng_filer.tracker import actions as act
from kameng_filer.tracker import repo
from kameng_filer.tracker.channel_io import squash
from kameng_filer.tracker.context import Pass
from kameng_filer.tracker.events import STATE_EVENTS
from kameng_filer.tracker.models import DbTracking
from kameng_filer.vocab import EventKind, Reporter

MAX_BACKOFF_HOURS = 24.0
OURS = frozenset({"user", "member", "me", "consumer", "本人", "用户"})


def _ours(reply: dict[str, Any], sent: list[str]) -> bool:
    if str(reply.get("by", "")).lower() in OURS:
        return True
    text = squash(str(reply.get("text", "")))
    return any(s and s[:40] in text for s in sent)


def _sent_texts(p: Pass, filing_id: int, case_id: str) -> list[str]:
    events = p.store.events(case_id, kinds=("follow_up",), filing_id=filing_id)
    return [squash(str(e.data.get("text", ""))) for e in events if e.data.get("text")]


async def poll_due(p: Pass, limit: int = 1000) -> None:
    """Read every due status (bounded per channel) and record what changed."""
    due = repo.due_polls(p.store, p.now, limit)
    by_channel: dict[str, list[DbTracking]] = defaultdict(list)
    for row in due:
        by_channel[row.channel].append(row)
    for channel, rows in by_channel.items():
        try:
            polling = p.policy(channel).polling
        except KamengError as exc:
            p.report.errors.append(f"{channel}:{exc.message}")
            continue
        for row in rows[: polling.max_per_pass]:
            if p.stopping():
                return
            await _poll_one(p, row, polling.min_gap_seconds, polling.every_hours)


async def _poll_one(p: Pass, row: DbTracking, gap: float, every_hours: float) -> None:
    filing = p.filing(row.filing_id)
    if filing is None or filing.state != "submitted":
        repo.update_tracking(p.store, row.filing_id, open=False, next_poll_at=None, updated_at=p.now)
        return
    later = p.now + timedelta(hours=every_hours)
    entry: dict[str, Any] = {"filing_id": filing.id, "case_id": filing.case_id, "channel": filing.channel}
    try:
        await p.channels.polite(filing.channel, gap)
        report = await p.channels.status(filing)
    except HumanActionRequired as exc:
        repo.update_tracking(p.store, filing.id, next_poll_at=later, last_error=exc.message, updated_at=p.now)
        key = f"status_poll:{filing.id}:person:{p.now.date().isoformat()}"
        noted = act.claim(
            p.store,
            key,
            "status_poll",
            case_id=filing.case_id,
            filing_id=filing.id,
            at=p.now,
            detail={"channel": filing.channel, "error": exc.message},
        )
        if noted is not None:
            body = f"读取「{filing.channel}」投诉 {filing.complaint_no} 的状态需要本人操作：{exc.message}"
            act.finish(
                p.store,
                noted,
                "pending_person",
                at=p.now,
                event={"channel": filing.channel, "error": exc.message},
                notice=act.Notice(f"需要登录：{filing.case_id} · {filing.channel}", body, ["person"]),
            )
        p.report.polled.append({**entry, "skipped": "需要本人操作", "error": exc.message})
        return
    except KamengError as exc:
        failures = row.poll_failures + 1
        wait = min(every_hours, 0.25 * 2 ** (failures - 1), MAX_BACKOFF_HOURS)
        repo.update_tracking(
            p.store,
            filing.id,
            poll_failures=failures,
            last_error=exc.message,
            next_poll_at=p.now + timedelta(hours=wait),
            updated_at=p.now,
        )
        p.report.polled.append({**entry, "error": exc.message})
        return
    sent = _sent_texts(p, filing.id, filing.case_id)
    theirs = [r for r in report.replies if not _ours(r, sent)]
    changed = report.raw != (row.last_raw or "") or len(theirs) > row.replies_seen
    meaning = normalise_status(filing.channel, report.raw)
    state = meaning.state if meaning else report.state
    event = meaning.event if meaning else STATE_EVENTS.get(report.state)
    common = {
        "last_checked_at": p.now,
        "next_poll_at": later,
        "poll_failures": 0,
        "last_error": None,
        "updated_at": p.now,
    }
    if not changed:
        repo.update_tracking(p.store, filing.id, **common)
        p.report.polled.append({**entry, "raw": report.raw, "changed": False})
        return
    data = StatusEvent(
        channel=filing.channel,
        raw=report.raw,
        state=state,
        by=Reporter.TRACKER,
        event=event,
        complaint_no=filing.complaint_no,
        first=row.status_seq == 0,
        reply=str(theirs[-1].get("text", ""))[:2000] if len(theirs) > row.replies_seen else None,
    ).to_data()
    with p.store.transaction() as s:
        res = s.execute(
            update(DbTracking)
            .where(DbTracking.filing_id == filing.id, DbTracking.status_seq == row.status_seq)
            .values(
                status_seq=row.status_seq + 1,
                last_raw=report.raw,
                last_state=state,
                replies_seen=len(theirs),
                **common,
            )
        )
        if res.rowcount:
            add_event_row(
                s,
                filing.case_id,
                EventKind.STATUS,
                data,
                filing_id=filing.id,
                at=p.now,
                dedupe_key=f"status:{filing.id}:{row.status_seq + 1}",
            )
    p.report.polled.append({**entry, "raw": report.raw, "state": state, "changed": bool(res.rowcount)})
