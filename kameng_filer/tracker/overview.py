"""What ``kameng status`` and ``kameng timeline`` show: per filing its state, deadlines and next action;
per case its history in words."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kameng_filer import wording
from kameng_filer.store import Store
from kameng_filer.store.records import EventRecord, FilingRecord
from kameng_filer.timeutil import as_shanghai
from kameng_filer.tracker import repo
from kameng_filer.tracker.clocks import CHANNEL_LAPSE
from kameng_filer.tracker.models import DbDeadline
from kameng_filer.tracker.notices import channel_title
from kameng_filer.vocab import Reporter, reported_by
from kameng_filer.workdays import WorkCalendar, default_calendar

DEADLINE_STATES = wording.DEADLINE_STATES
PURPOSE_LABELS = wording.PURPOSES


def _next_action(d: DbDeadline) -> str:
    if d.on_lapse in CHANNEL_LAPSE:
        return "到期后礼貌催办" if d.on_lapse == "follow_up" else "到期后升级"
    return "提醒本人"


def filing_view(
    f: FilingRecord, rows: list[DbDeadline], track: Any, now: datetime, cal: WorkCalendar
) -> dict[str, Any]:
    """One filing: state, receipt, last status, next deadline with countdown, next action."""
    open_rows = [d for d in rows if d.state in ("due", "paused", "lapsed")]
    upcoming = sorted((d for d in open_rows if d.state in ("due", "paused")), key=lambda d: d.due_at)
    nxt = upcoming[0] if upcoming else None
    acting = sorted((d for d in rows if d.next_action_at is not None), key=lambda d: d.next_action_at)
    deadline = None
    if nxt is not None:
        due = as_shanghai(nxt.due_at)
        deadline = {
            "clock": nxt.clock,
            "title": nxt.title,
            "due": due.isoformat(),
            "state": "lapsed" if due < now else nxt.state,
            "working_days_left": cal.working_days_between(now, due),
            "provisional": bool(nxt.provisional),
        }
    action = None
    if acting:
        a = acting[0]
        action = {"at": as_shanghai(a.next_action_at).isoformat(), "clock": a.clock, "what": _next_action(a)}
    return {
        "filing_id": f.id,
        "channel": f.channel,
        "purpose": f.purpose,
        "generation": f.generation,
        "state": f.state,
        "state_label": f.state_label,
        "complaint_no": f.complaint_no,
        "error": f.error if f.state != "submitted" else None,
        "submitted_at": f.submitted_at.isoformat() if f.submitted_at else None,
        "last_status": track.last_raw if track is not None else None,
        "follow_ups": track.follow_ups if track is not None else 0,
        "escalated": bool(track is not None and track.escalated_at),
        "next_deadline": deadline,
        "next_action": action,
        "deadlines": [
            {
                "clock": d.clock,
                "title": d.title,
                "due": as_shanghai(d.due_at).isoformat(),
                "state": d.state,
                "provisional": bool(d.provisional),
            }
            for d in rows
        ],
    }


def case_status(store: Store, case_id: str, now: datetime, title: str = "") -> dict[str, Any]:
    """``{"case", "title", "filings": [...]}`` for one stored case."""
    cal = default_calendar()
    filings = store.filings(case_id)
    ids = [f.id for f in filings]
    rows = repo.deadlines_of(store, ids)
    tracks = repo.tracking_rows(store, ids)
    by_filing: dict[int, list[DbDeadline]] = {}
    for d in rows:
        by_filing.setdefault(d.filing_id, []).append(d)
    return {
        "case": case_id,
        "title": title,
        "filings": [filing_view(f, by_filing.get(f.id, []), tracks.get(f.id), now, cal) for f in filings],
    }


def timeline_line(ev: EventRecord) -> tuple[str, str]:
    """(kind label, Chinese description) of one event (technical details left out; see ``timeline_entry``)."""
    label, text, _detail = timeline_entry(ev)
    return label, text


def timeline_entry(ev: EventRecord) -> tuple[str, str, str]:
    """(kind label, Chinese description, technical detail or "") of one event."""
    d = ev.data
    ch = channel_title(str(d.get("channel", ""))) if d.get("channel") else ""
    status = wording.action_status(d.get("status")) if d.get("status") else ""
    error, detail = wording.split_technical(str(d.get("error") or ""))
    label = wording.event_kind(ev.kind)
    if ev.kind == "imported":
        return label, f"导入案件第 {d.get('version')} 版（证据 {d.get('evidence', 0)} 项）", ""
    if ev.kind == "filing_state":
        purpose = wording.purpose(d.get("purpose"))
        number = f"，编号 {d['complaint_no']}" if d.get("complaint_no") else ""
        err = f"。原因：{error}" if error else ""
        before = wording.filing_state(d["from"]) if d.get("from") else "新建"
        after = wording.filing_state(d.get("to"))
        change = f"{before} → {after}" if d.get("from") != d.get("to") else f"仍为{after}"
        return label, f"{ch} {purpose}:{change}{number}{err}", detail
    if ev.kind == "status":
        who = "跟踪器读取" if reported_by(d) is Reporter.TRACKER else "本人记录"
        reply = f"；对方回复：{str(d['reply'])[:80]}" if d.get("reply") else ""
        said = d.get("raw") or wording.channel_status(d.get("state"))
        return label, f"{ch}:{said}({who}){reply}", ""
    if ev.kind == "follow_up":
        extra = f":{error}" if error else ""
        return label, f"{ch} 第 {d.get('number', '?')} 次催办 {status}{extra}", detail
    if ev.kind == "escalation":
        to = f" → {channel_title(str(d['to']))}" if d.get("to") else ""
        number = f"，编号 {d['complaint_no']}" if d.get("complaint_no") else ""
        extra = f":{error}" if error else ""
        reason = f"({d['reason']})" if d.get("reason") else ""
        return label, f"{ch}{to} {status}{number}{extra}{reason}", detail
    if ev.kind == "reminder":
        return label, str(d.get("title", "")), ""
    if ev.kind == "notification":
        where = f"已发送 {len(d.get('sent', []))} 处" if d.get("configured") else "未配置通知地址"
        return label, f"{d.get('title', '')}({where},{status})", ""
    if ev.kind == "reject":
        return label, f"{ch}：本人不接受处理结果（{d.get('reason') or '未写理由'}）", ""
    if ev.kind == "status_poll":
        return label, f"{ch}:{error or '读取失败'}", detail
    if ev.kind == "note":
        where = f"{ch}:" if ch else ""
        return label, f"{where}{d.get('note') or d.get('text') or ''}", ""
    return label, str(d.get("note") or ""), ""
