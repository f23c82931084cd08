"""Act on the deadlines whose next action is due: reminders to the person, follow-ups, escalations."""

from __future__ import annotations

from kameng_filer.errors import KamengError
from kameng_filer.tracker import actions as act
from kameng_filer.tracker import escalation, followup, notices, repo
from kameng_filer.tracker.clocks import ClockCalc, person_next
from kameng_filer.tracker.context import Pass
from kameng_filer.tracker.refresh import Refreshed, refresh

CASE_CLOCKS = frozenset({"limitation"})
"""Clocks that belong to the dispute, not to one filing: their notices go out once per case."""


def act_on_due(p: Pass, limit: int = 1000) -> None:
    """Handle every filing with a due deadline (index ``next_action_at``); one bad filing stops only itself."""
    for filing_id in repo.due_deadline_filings(p.store, p.now, limit):
        if p.stopping():
            return
        try:
            _act(p, filing_id)
        except KamengError as exc:
            p.report.errors.append(f"投诉记录 {filing_id}:{exc.message}")


def _act(p: Pass, filing_id: int) -> None:
    r = refresh(p, filing_id)
    if r is None:
        _clear(p, filing_id)
        return
    changed = False
    for calc in r.calcs:
        if not calc.is_channel:
            changed |= _person(p, r, calc)
    step = r.step
    if step is not None and step.at <= p.now and p.quiet_allows(r.filing.channel):
        changed = True
        if step.kind == "follow_up":
            followup.enqueue(p, r.filing, step.number, r.tracking.last_raw or "")
        else:
            reason = "催办后仍未答复" if r.tracking.follow_ups else "处理期限已过"
            escalation.enqueue(p, r.filing, f"escalation:{r.filing.id}:auto", reason)
    if changed:
        # a stage was marked or an action queued: the next action time moves on
        refresh(p, filing_id)


def _clear(p: Pass, filing_id: int) -> None:
    from sqlalchemy import update

    from kameng_filer.tracker.models import DbDeadline

    with p.store.transaction() as s:
        s.execute(update(DbDeadline).where(DbDeadline.filing_id == filing_id).values(next_action_at=None))


def reminder_key(r: Refreshed, calc: ClockCalc, stage: str) -> str:
    """``reminder:<filing>:<clock>:<start>:<stage>`` (``case:<id>`` instead of the filing for case clocks)."""
    owner = f"case:{r.filing.case_id}" if calc.clock.id in CASE_CLOCKS else str(r.filing.id)
    return f"reminder:{owner}:{calc.clock.id}:{calc.started_at.isoformat()}:{stage}"


def _person(p: Pass, r: Refreshed, calc: ClockCalc) -> bool:
    """Send the person's due reminders of one clock; True when a stage was marked done."""
    done = r.stages.get(calc.clock.id, "")
    marked = False
    while True:
        nxt = person_next(calc, done)
        if nxt is None or nxt[0] > p.now:
            return marked
        stage = nxt[1]
        done += stage
        marked = True  # the stored stages now differ from what refresh saw
        if not repo.mark_stage(p.store, r.filing.id, calc.clock.id, stage):
            continue
        key = reminder_key(r, calc, stage)
        action = act.claim(
            p.store,
            key,
            "reminder",
            case_id=r.filing.case_id,
            filing_id=r.filing.id,
            at=p.now,
            detail={"channel": r.filing.channel, "clock": calc.clock.id, "stage": stage},
        )
        if action is None:
            continue
        notice = notices.reminder(r.filing.case_id, r.filing.channel, calc, stage, p.now, p.calendar)
        act.finish(
            p.store,
            action,
            "done",
            at=p.now,
            event={
                "channel": r.filing.channel,
                "clock": calc.clock.id,
                "stage": stage,
                "title": notice.title,
                "due": calc.due.due.isoformat(),
                "provisional": calc.due.provisional,
            },
            notice=notice,
        )
        p.report.action(key, "reminder", "done", notice.title, channel=r.filing.channel)
