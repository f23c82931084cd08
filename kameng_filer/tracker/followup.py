"""Polite follow-ups: render the channel's ``follow_up`` text and send it (or hand it to the person).

A follow-up action that was started but not finished (a crash, a lost answer) is reconciled before it
is sent again: on a channel whose status page shows the thread, the tracker looks for the text among
the replies and records it as sent when it is there. The e-mail adapter sends every retry with the
same Message-ID (``follow_up-N``), so a mail that did leave is recognisable as the same message.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from kameng_filer import registry
from kameng_filer.crashpoints import crash_point
from kameng_filer.errors import ChannelRejected, HumanActionRequired, KamengError, RenderError
from kameng_filer.render import RenderContext, render
from kameng_filer.store.records import FilingRecord
from kameng_filer.tracker import actions as act
from kameng_filer.tracker import notices
from kameng_filer.tracker.channel_io import base_channel, can_poll, text_in_replies
from kameng_filer.tracker.context import Pass
from kameng_filer.tracker.models import DbTracking


def main_field(channel: str) -> str:
    """The rendered field that carries the message (the longest textarea: content, body, detail…)."""
    spec = registry.spec(base_channel(channel))
    areas = [f for f in spec.rendered_fields if f.kind == "textarea"] or list(spec.rendered_fields)
    return max(areas, key=lambda f: f.max_len or 0).name


def render_context(p: Pass, filing: FilingRecord, last_status: str = "") -> RenderContext:
    """What the follow-up / escalation texts know about the earlier filing."""
    return RenderContext(
        prior_channel=notices.channel_title(filing.channel).split("(")[0],
        complaint_no=(filing.complaint_no or "") if quotes_number(filing.channel) else "",
        filed_at=filing.submitted_at,
        last_status=last_status,
    )


def quotes_number(channel: str) -> bool:
    """Whether texts quote the earlier filing's number (not on e-mail: its "number" is a Message-ID)."""
    try:
        return registry.spec(base_channel(channel)).kind != "email"
    except KamengError:
        return True


def reply_limit(p: Pass, channel: str) -> int | None:
    """The site's limit for a follow-up (site profile ``limits: {follow_up: {max_len: N}}``), if any."""
    return p.channels.instance(channel).adapter.reply_limit()


def shorten(text: str, limit: int) -> str:
    """Whole paragraphs from the start that fit ``limit`` (the progress query comes first)."""
    if len(text) <= limit:
        return text
    out = ""
    for para in text.split("\n\n"):
        candidate = f"{out}\n\n{para}" if out else para
        if len(candidate) > limit:
            break
        out = candidate
    if not out:
        raise RenderError(
            f"催办内容的第一段就超过了该渠道的 {limit} 字上限",
            hint="在数据目录 templates/ 下放一个更短的 follow_up 模板（见 docs/templates.md）",
        )
    return out


def follow_up_text(p: Pass, filing: FilingRecord, last_status: str = "") -> str:
    """The polite follow-up for this filing, from ``templates/<channel>/follow_up.j2``, within the site's limit."""
    case = p.case(filing.case_id)
    rendered = render(case, base_channel(filing.channel), "follow_up", render_context(p, filing, last_status))
    text = rendered.fields[main_field(filing.channel)]
    limit = reply_limit(p, filing.channel)
    return shorten(text, limit) if limit else text


def enqueue(p: Pass, filing: FilingRecord, number: int, last_status: str) -> bool:
    """Queue follow-up ``number`` of a filing (and count it on the tracking row); False if it exists."""
    text = follow_up_text(p, filing, last_status)
    key = f"follow_up:{filing.id}:{number}"
    now = p.now

    def count(s: Any) -> None:
        s.execute(
            update(DbTracking)
            .where(DbTracking.filing_id == filing.id, DbTracking.follow_ups < number)
            .values(follow_ups=number, last_follow_up_at=now, updated_at=now)
        )

    action = act.claim(
        p.store,
        key,
        "follow_up",
        case_id=filing.case_id,
        filing_id=filing.id,
        at=now,
        detail={
            "channel": filing.channel,
            "number": number,
            "text": text,
            "complaint_no": filing.complaint_no,
        },
        also=count,
        leased=False,
    )
    if action is not None:
        p.report.action(key, "follow_up", "pending", f"第 {number} 次催办已排队", channel=filing.channel)
    return action is not None


async def run(p: Pass, action: act.Action) -> None:
    """Send (or reconcile, when started before) a claimed follow-up action."""
    filing = p.filing(action.filing_id or 0)
    if filing is None:
        act.finish(p.store, action, "failed", at=p.now, detail={"error": "投诉记录不存在"}, final=True)
        return
    number = int(action.detail.get("number", 1))
    text = str(action.detail.get("text", ""))
    channel = filing.channel
    adapter = p.channels.instance(channel).adapter
    gap = p.policy(channel).polling.min_gap_seconds
    event = {"channel": channel, "number": number, "complaint_no": filing.complaint_no}
    try:
        if action.attempts > 1 and can_poll(adapter):
            await p.channels.polite(channel, gap)
            status = await p.channels.status(filing)
            if text_in_replies(text, status.replies):
                act.finish(
                    p.store,
                    action,
                    "done",
                    at=p.now,
                    detail={"reconciled": True},
                    event={**event, "text": text, "reconciled": True},
                    notice=notices.follow_up_sent(
                        filing.case_id, channel, number, filing.complaint_no or "", text
                    ),
                )
                p.report.action(action.key, "follow_up", "done", "核对：催办此前已送达", channel=channel)
                return
        await p.channels.polite(channel, gap)
        result = await p.channels.follow_up(filing, text, number)
        if result.sent:
            crash_point("tick_follow_up_sent")  # fault injection: sent, the outcome not recorded yet
    except HumanActionRequired as exc:
        instructions = f"{exc.message}。请自行在该渠道发送以下催办内容：\n{text}"
        _person(p, action, filing, number, instructions)
        return
    except ChannelRejected as exc:
        _failed(p, action, filing, exc, final=True)
        return
    except KamengError as exc:
        _failed(p, action, filing, exc, final=False)
        return
    if result.sent:
        act.finish(
            p.store,
            action,
            "done",
            at=p.now,
            detail={"reference": result.reference},
            event={**event, "text": text, "reference": result.reference},
            notice=notices.follow_up_sent(filing.case_id, channel, number, filing.complaint_no or "", text),
        )
        p.report.action(action.key, "follow_up", "done", f"第 {number} 次催办已发出", channel=channel)
        return
    _person(p, action, filing, number, result.instructions or text)


def _person(p: Pass, action: act.Action, filing: FilingRecord, number: int, instructions: str) -> None:
    act.finish(
        p.store,
        action,
        "pending_person",
        at=p.now,
        detail={"instructions": instructions},
        event={"channel": filing.channel, "number": number, "instructions": instructions},
        notice=notices.follow_up_for_person(filing.case_id, filing.channel, number, instructions),
    )
    p.report.action(
        action.key, "follow_up", "pending_person", f"第 {number} 次催办需本人发送", channel=filing.channel
    )


def _failed(p: Pass, action: act.Action, filing: FilingRecord, exc: KamengError, *, final: bool) -> None:
    last = final or action.attempts >= act.MAX_ATTEMPTS
    act.finish(
        p.store,
        action,
        "failed",
        at=p.now,
        final=final,
        detail={"error": exc.message, "hint": exc.hint},
        event={"channel": filing.channel, "error": exc.message},
        notice=notices.action_failed(filing.case_id, filing.channel, "催办", exc.message, exc.hint)
        if last
        else None,
    )
    p.report.action(action.key, "follow_up", "failed", exc.message, channel=filing.channel)
