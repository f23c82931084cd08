"""One tracker pass at a given time (``kameng tick``; ``kameng watch`` runs it on a schedule).

Order of a pass:

1. holiday data changed (library upgrade / override file)? → recompute provisional deadlines; warn
   from November when next year's holidays are missing;
2. unfinished actions (queued, or left pending by a process that died, or failed with attempts
   left) are carried out — a started follow-up is first looked for on the channel;
3. new events (the change feed) are handled;
4. due status reads (politely, per channel), then the feed again for what they recorded;
5. due deadlines: reminders, follow-ups and escalations are queued — and carried out (step 2's code);
6. queued notifications are delivered.

The work of a pass is proportional to what is due: every step starts from an index range.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from kameng_filer.crashpoints import crash_point
from kameng_filer.errors import KamengError
from kameng_filer.store import Store
from kameng_filer.tracker import actions as act
from kameng_filer.tracker import escalation, feed, followup, notify, repo
from kameng_filer.tracker.context import Pass, PassReport
from kameng_filer.tracker.due import act_on_due
from kameng_filer.tracker.polling import poll_due
from kameng_filer.tracker.refresh import refresh
from kameng_filer.workdays import calendar_warnings

CALENDAR_KEY = "calendar_fingerprint"
CHANNEL_KINDS = ("follow_up", "escalation")
RECOMPUTE_PER_PASS = 2000
"""Provisional filings recomputed per pass after the holiday data changed (the rest: next passes)."""


def run_pass(
    store: Store,
    now: datetime,
    *,
    person: Any = None,
    config: dict[str, Any] | None = None,
    stop: Callable[[], bool] | None = None,
) -> PassReport:
    """Run one pass at ``now`` and return what it did; ``stop()`` True ends it between actions."""
    return asyncio.run(arun_pass(store, now, person=person, config=config, stop=stop))


async def arun_pass(
    store: Store,
    now: datetime,
    *,
    person: Any = None,
    config: dict[str, Any] | None = None,
    stop: Callable[[], bool] | None = None,
) -> PassReport:
    """``run_pass`` for async callers."""
    p = Pass(store, now, person=person, config=config, stop=stop)
    try:
        _calendar(p)
        await carry_out(p)
        feed.consume(p)
        await poll_due(p)
        feed.consume(p)
        act_on_due(p)
        await carry_out(p)
        deliver(p)
    finally:
        await p.channels.aclose()
    return p.report


def _calendar(p: Pass) -> None:
    fingerprint = p.calendar.fingerprint
    if repo.get_meta(p.store, CALENDAR_KEY) != fingerprint:
        todo = repo.provisional_filings(p.store, fingerprint, RECOMPUTE_PER_PASS)
        for filing_id in todo:
            if p.stopping():
                return
            if refresh(p, filing_id) is None:
                repo.stamp_calendar(p.store, filing_id, fingerprint)
        if len(todo) < RECOMPUTE_PER_PASS:
            repo.set_meta(p.store, CALENDAR_KEY, fingerprint)
    for text in calendar_warnings(p.now, calendar=p.calendar):
        p.report.warnings.append(text)
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        notice = act.Notice("节假日数据缺失", text, ["calendar"])
        act.enqueue_notice(
            p.store, f"calendar:{p.now.year}:{digest}", case_id=None, filing_id=None, at=p.now, notice=notice
        )


async def carry_out(p: Pass, limit: int = 200) -> None:
    """Carry out queued / unfinished follow-ups and escalations (inside the channel's quiet hours)."""
    for action in act.open_actions(p.store, CHANNEL_KINDS, limit):
        if p.stopping():
            return
        filing = p.filing(action.filing_id or 0)
        if filing is not None and not p.quiet_allows(filing.channel):
            continue
        claimed = act.reclaim(p.store, action)
        if claimed is None:
            continue
        crash_point("tick_claimed")  # fault injection: the key is held by this process, nothing sent
        try:
            if claimed.kind == "follow_up":
                await followup.run(p, claimed)
            else:
                await escalation.run(p, claimed)
        except KamengError as exc:
            act.finish(p.store, claimed, "failed", at=p.now, detail={"error": exc.message})
            p.report.errors.append(f"{_what(claimed)}:{exc.message}")
        except Exception as exc:  # a bug must not leave the action held for the whole lease
            act.finish(p.store, claimed, "failed", at=p.now, detail={"error": f"{type(exc).__name__}: {exc}"})
            p.report.errors.append(f"{_what(claimed)}：意外错误（{type(exc).__name__}: {exc}）")


def _what(action: act.Action) -> str:
    """An action named for people: ``催办(投诉记录 12)``."""
    from kameng_filer import wording

    where = f"（投诉记录 {action.filing_id}）" if action.filing_id is not None else ""
    return f"{wording.event_kind(action.kind)}{where}"


def deliver(p: Pass, limit: int = 200) -> None:
    """Send queued notifications (a failed one is retried by later passes, up to 3 attempts)."""
    for action in act.open_actions(p.store, ("notification",), limit):
        claimed = act.reclaim(p.store, action)
        if claimed is None:
            continue
        title = str(claimed.detail.get("title", ""))
        try:
            result = notify.send(title, str(claimed.detail.get("body", "")), config=p.config)
        except KamengError as exc:
            act.finish(p.store, claimed, "failed", at=p.now, detail={"error": exc.message})
            p.report.errors.append(f"通知失败：{exc.message}")
            continue
        status = "done" if result.ok else "failed"
        event = {"title": title, **result.to_dict(), "configured": result.configured}
        act.finish(p.store, claimed, status, at=p.now, detail={"delivery": result.to_dict()}, event=event)
        summary = (
            f"{title}（已发送 {len(result.sent)} 处）" if result.configured else f"{title}（未配置通知地址）"
        )
        p.report.action(claimed.key, "notification", status, summary)
