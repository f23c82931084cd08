"""Escalation along the plan: in-channel first (平台内部升级 / 支付渠道平台介入), then the next outside channel.

The next step is decided when the escalation is queued and kept in the action, so a retry does the
same thing: ``internal`` (the channel's own escalation, up to ``escalation.max_attempts``), the next
``channel`` of ``kameng plan`` that the policy's ``escalate_to`` allows (12315 *or* the consumer
association, never both — the planner rules the other one out), ``legal`` (the person's own route),
or ``none``. A step that files something is filed through the filing engine only when the case says
``auto_escalate: true``; otherwise the text is prepared and the person is told how to file it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from kameng_filer import paths
from kameng_filer.errors import KamengError
from kameng_filer.filing.assisted import safe_name
from kameng_filer.planner import plan_channels
from kameng_filer.render import render
from kameng_filer.store.records import FilingRecord, dump_json, load_json
from kameng_filer.tracker import actions as act
from kameng_filer.tracker import notices
from kameng_filer.tracker.channel_io import base_channel
from kameng_filer.tracker.context import Pass
from kameng_filer.tracker.followup import main_field, render_context
from kameng_filer.tracker.models import DbAction, DbTracking

LIVE_FILING = ("submitted", "submitting", "needs_person")


@dataclass(frozen=True)
class Step:
    """One escalation step."""

    kind: str
    """``internal`` | ``channel`` | ``legal`` | ``none``."""
    channel: str | None
    purpose: str
    reason: str


def internal_used(p: Pass, filing: FilingRecord) -> int:
    """In-channel escalations already made (or prepared) for this case on this channel."""
    ids = [f.id for f in p.store.filings(filing.case_id, channel=filing.channel)]
    with p.store.session() as s:
        rows = s.execute(
            select(DbAction.detail_json, DbAction.status, DbAction.attempts).where(
                DbAction.filing_id.in_(ids), DbAction.kind == "escalation"
            )
        ).all()
    used = 0
    for detail, status, attempts in rows:
        step = (load_json(detail) or {}).get("step") or {}
        final_failure = status == "failed" and attempts >= act.MAX_ATTEMPTS
        if step.get("kind") == "internal" and not final_failure:
            used += 1
    return used


def next_step(p: Pass, filing: FilingRecord) -> Step:
    """What escalating this filing means now."""
    policy = p.policy(filing.channel, filing.case_id)
    maximum = policy.escalation.max_attempts if policy.escalation else 0
    title = notices.channel_title(filing.channel)
    if "internal" in policy.escalate_to and internal_used(p, filing) < maximum:
        adapter = p.channels.instance(filing.channel).adapter
        how = "申请平台介入 / 升级投诉" if adapter.spec.can("assisted") else "向平台投诉处理部门申请升级复核"
        return Step("internal", filing.channel, "escalation", f"「{title}」未解决：{how}")
    case = p.case(filing.case_id)
    filed = {
        base_channel(f.channel)
        for f in p.store.filings(filing.case_id)
        if f.purpose == "complaint" and f.state in LIVE_FILING
    }
    plan = plan_channels(case, now=p.now, filed=filed)
    allowed = set(policy.escalate_to) - {"internal"}
    for s in plan.steps:
        if s.done or s.purpose != "complaint" or s.channel not in allowed:
            continue
        if s.channel == "legal":
            return Step("legal", None, "", s.reason)
        if not s.manual:
            return Step("channel", s.channel, "complaint", f"按渠道计划下一步：{s.reason}")
    if "legal" in allowed:
        return Step(
            "legal",
            None,
            "",
            "外部渠道已用尽：可考虑小额诉讼（保留全部证据与投诉记录），涉嫌诈骗可向公安机关报案",
        )
    return Step("none", None, "", "渠道计划中没有可用的下一步")


def enqueue(p: Pass, filing: FilingRecord, key: str, reason: str) -> bool:
    """Queue an escalation of ``filing`` under ``key`` (marks the filing escalated); False if it exists."""
    step = next_step(p, filing)
    now = p.now

    def mark(s: Any) -> None:
        s.execute(
            update(DbTracking)
            .where(DbTracking.filing_id == filing.id, DbTracking.escalated_at.is_(None))
            .values(escalated_at=now, updated_at=now)
        )

    action = act.claim(
        p.store,
        key,
        "escalation",
        case_id=filing.case_id,
        filing_id=filing.id,
        at=now,
        detail={"channel": filing.channel, "reason": reason, "step": asdict(step)},
        also=mark,
        leased=False,
    )
    if action is not None:
        p.report.action(key, "escalation", "pending", f"升级已排队：{step.reason}", channel=filing.channel)
    return action is not None


def _texts(p: Pass, filing: FilingRecord, step: Step) -> dict[str, str]:
    case = p.case(filing.case_id)
    assert step.channel is not None
    ctx = render_context(p, filing, _last_status(p, filing)) if step.purpose == "escalation" else None
    return render(case, base_channel(step.channel), step.purpose, ctx).fields


def _last_status(p: Pass, filing: FilingRecord) -> str:
    with p.store.session() as s:
        row = s.get(DbTracking, filing.id)
        return (row.last_raw or "") if row else ""


def _prepared_file(filing: FilingRecord, step: Step, texts: dict[str, str]) -> Path:
    folder = paths.artifacts_dir() / safe_name(filing.case_id) / "escalations"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{safe_name(step.channel or 'x')}-{step.purpose}-from-{filing.id}.txt"
    target.write_text("\n\n".join(f"【{k}】\n{v}" for k, v in texts.items()) + "\n", encoding="utf-8")
    return target


async def run(p: Pass, action: act.Action, *, person: Any = None, auto: bool | None = None) -> None:
    """Carry out a claimed escalation action."""
    filing = p.filing(action.filing_id or 0)
    if filing is None:
        act.finish(p.store, action, "failed", at=p.now, detail={"error": "投诉记录不存在"}, final=True)
        return
    step = Step(**action.detail["step"])
    case = p.case(filing.case_id)
    event: dict[str, Any] = {
        "channel": filing.channel,
        "step": step.kind,
        "to": step.channel,
        "reason": step.reason,
    }
    title = f"升级：{filing.case_id} · {notices.channel_title(filing.channel)}"
    if step.kind in ("legal", "none"):
        body = f"「{notices.channel_title(filing.channel)}」未解决。{step.reason}"
        act.finish(
            p.store, action, "done", at=p.now, event=event, notice=act.Notice(title, body, ["escalation"])
        )
        p.report.action(action.key, "escalation", "done", step.reason, channel=filing.channel)
        return
    assert step.channel is not None
    try:
        texts = _texts(p, filing, step)
    except KamengError as exc:
        _failed(p, action, filing, exc.message, exc.hint, final=True)
        return
    target_adapter = p.channels.instance(step.channel).adapter
    instructions = (
        target_adapter.escalation_instructions(
            filing.complaint_no or "", texts.get(main_field(step.channel), ""), filing.case_id, filing.channel
        )
        if step.kind == "internal"
        else None
    )
    if instructions is not None:
        act.finish(
            p.store,
            action,
            "pending_person",
            at=p.now,
            detail={"instructions": instructions},
            event={**event, "instructions": instructions},
            notice=act.Notice(title, instructions, ["escalation"]),
        )
        p.report.action(
            action.key, "escalation", "pending_person", "请本人申请平台介入", channel=filing.channel
        )
        return
    if not (case.auto_escalate if auto is None else auto):
        prepared = _prepared_file(filing, step, texts)
        command = f"kameng escalate {filing.case_id} --channel {filing.channel}"
        body = (
            f"{step.reason}\n已准备好{'升级' if step.purpose == 'escalation' else '投诉'}内容：{prepared}\n"
            f"确认后运行 {command} 提交（案件写 auto_escalate: true 时跟踪器会自动提交）。"
        )
        act.finish(
            p.store,
            action,
            "pending_person",
            at=p.now,
            detail={"prepared": str(prepared), "command": command},
            event={**event, "prepared": str(prepared)},
            notice=act.Notice(title, body, ["escalation"]),
        )
        p.report.action(
            action.key, "escalation", "pending_person", f"升级内容已准备：{prepared}", channel=filing.channel
        )
        return
    await _file(p, action, filing, step, texts, person, event, title)


async def _file(
    p: Pass,
    action: act.Action,
    filing: FilingRecord,
    step: Step,
    texts: dict[str, str],
    person: Any,
    event: dict[str, Any],
    title: str,
) -> None:
    from kameng_filer.filing.engine import FileOptions
    from kameng_filer.filing.run import execute, prepare

    assert step.channel is not None
    store = p.store
    expected = action.detail.get("generation")
    latest = store.get_filing(filing.case_id, step.channel, step.purpose)
    if expected is None:
        expected = 1 if latest is None else latest.generation + (1 if latest.state == "submitted" else 0)
        with store.transaction() as s:
            row = s.get(DbAction, action.id)
            assert row is not None
            row.detail_json = dump_json({**action.detail, "generation": expected}) or "{}"
    done = store.get_filing(filing.case_id, step.channel, step.purpose, generation=expected)
    if done is not None and done.state == "submitted":
        _filed(p, action, done.complaint_no or "", event, title, step, reconciled=True)
        return
    again = latest is not None and latest.state == "submitted" and latest.generation < expected
    try:
        prepared = prepare(
            store, filing.case_id, [step.channel], now=p.now, purpose=step.purpose, config=p.config
        )
    except KamengError as exc:
        _failed(p, action, filing, exc.message, exc.hint, final=True)
        return
    for _adapter, plan in prepared.work:
        for name, value in texts.items():
            if name in plan.fields:
                plan.fields[name] = value
    options = FileOptions(purpose=step.purpose, again=again, retries=1, backoff_s=1.0)
    outcomes = await execute(
        store, prepared, person or p.channels.person, options, console=None, show_progress=False
    )
    out = outcomes[0]
    number = (out.receipt or {}).get("complaint_no") or ""
    if out.state in ("submitted", "already_filed"):
        _filed(p, action, number, event, title, step)
    elif out.state == "needs_person":
        body = f"{step.reason}\n需要本人完成：{out.error or ''}" + (f"\n建议：{out.hint}" if out.hint else "")
        act.finish(
            p.store,
            action,
            "pending_person",
            at=p.now,
            detail={"error": out.error, "hint": out.hint},
            event={**event, "error": out.error},
            notice=act.Notice(title, body, ["escalation", "person"]),
        )
        p.report.action(action.key, "escalation", "pending_person", out.error or "", channel=filing.channel)
    else:
        _failed(p, action, filing, out.error or out.state, out.hint, final=not out.retryable)


def _filed(
    p: Pass,
    action: act.Action,
    number: str,
    event: dict[str, Any],
    title: str,
    step: Step,
    reconciled: bool = False,
) -> None:
    what = "升级投诉" if step.purpose == "escalation" else "投诉"
    body = f"{step.reason}\n已自动向「{notices.channel_title(step.channel or '')}」提交{what}，编号 {number}。"
    act.finish(
        p.store,
        action,
        "done",
        at=p.now,
        detail={"complaint_no": number, "reconciled": reconciled},
        event={**event, "complaint_no": number},
        notice=act.Notice(title, body, ["escalation"]),
    )
    p.report.action(action.key, "escalation", "done", f"已提交{what} {number}", channel=step.channel)


def _failed(
    p: Pass, action: act.Action, filing: FilingRecord, message: str, hint: str | None, *, final: bool
) -> None:
    last = final or action.attempts >= act.MAX_ATTEMPTS
    act.finish(
        p.store,
        action,
        "failed",
        at=p.now,
        final=final,
        detail={"error": message, "hint": hint},
        event={"channel": filing.channel, "error": message},
        notice=notices.action_failed(filing.case_id, filing.channel, "升级", message, hint) if last else None,
    )
    p.report.action(action.key, "escalation", "failed", message, channel=filing.channel)
