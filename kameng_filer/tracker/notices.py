"""The Chinese messages the tracker sends the person: follow-ups, escalations, statuses, reminders."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kameng_filer import registry
from kameng_filer.errors import KamengError
from kameng_filer.tracker.actions import Notice
from kameng_filer.tracker.clocks import ClockCalc
from kameng_filer.workdays import WorkCalendar, format_cn

EXCERPT = 300


def channel_title(channel: str) -> str:
    """The channel's Chinese title (``card_platform@a`` → ``卡盟平台工单/投诉(a)``)."""
    base, _, profile = channel.partition("@")
    try:
        title = registry.spec(base).title
    except KamengError:
        title = base
    return f"{title}({profile})" if profile else title


def excerpt(text: str, limit: int = EXCERPT) -> str:
    """The start of a long text."""
    text = (text or "").strip()
    return text if len(text) <= limit else text[:limit] + "…"


def follow_up_sent(case_id: str, channel: str, number: int, complaint_no: str, text: str) -> Notice:
    """A follow-up went out through the channel."""
    return Notice(
        f"已催办：{case_id} · {channel_title(channel)}",
        f"已通过「{channel_title(channel)}」发出第 {number} 次礼貌催办（投诉编号 {complaint_no}）。\n\n"
        f"内容：\n{excerpt(text)}",
        ["follow_up"],
    )


def follow_up_for_person(case_id: str, channel: str, number: int, instructions: str) -> Notice:
    """A follow-up the person has to post themselves."""
    return Notice(
        f"请催办：{case_id} · {channel_title(channel)}",
        f"「{channel_title(channel)}」的处理期限已过。第 {number} 次催办需要你本人操作：\n\n{instructions}",
        ["follow_up", "person"],
    )


def action_failed(case_id: str, channel: str, what: str, message: str, hint: str | None) -> Notice:
    """An automatic action did not work."""
    tail = f"\n建议：{hint}" if hint else ""
    return Notice(
        f"{what}未成功：{case_id} · {channel_title(channel)}",
        f"{what}没有成功：{message}{tail}\n下一次跟踪时会再试（最多 3 次）。",
        ["error"],
    )


def status_changed(
    case_id: str, channel: str, complaint_no: str, raw: str, at: datetime, data: dict[str, Any]
) -> Notice:
    """A new status (polled or reported), with what it means for the person."""
    lines = [f"「{channel_title(channel)}」投诉 {complaint_no} 的状态变为「{raw}」（{format_cn(at)}）。"]
    if data.get("reply"):
        lines.append(f"对方回复：{excerpt(str(data['reply']))}")
    state = data.get("state")
    event = data.get("event")
    if event in ("waiting_for_person", "supplement_requested") or state == "needs_user":
        lines.append("对方在等你回复或补充材料：请登录该渠道查看并回复（期间处理期限暂停计算）。")
    elif state == "resolved":
        lines.append(
            f"已出处理结果。请核实退款/补发是否到位；不接受结果时运行 kameng reject {case_id} --channel {channel}。"
        )
    elif state == "rejected":
        lines.append("投诉被驳回或不予受理，跟踪器会按渠道计划准备升级。")
    elif state == "closed":
        lines.append(f"投诉已关闭。如果问题没有解决，要升级请运行：kameng reject {case_id} --channel {channel}")
    return Notice(f"状态变化：{case_id} · {channel_title(channel)}", "\n".join(lines), ["status"])


def reminder(
    case_id: str, channel: str, calc: ClockCalc, stage: str, now: datetime, calendar: WorkCalendar
) -> Notice:
    """A person clock started, is near, or lapsed."""
    clock = calc.clock
    due = format_cn(calc.due.due)
    left = calendar.working_days_between(now, calc.due.due)
    prov = f"\n（暂定：{calc.due.reason}）" if calc.due.provisional else ""
    hint = _hint(clock.id, case_id, channel)
    if stage == "s":
        title = f"期限开始：{clock.title}"
        body = f"「{channel_title(channel)}」：{clock.title}，截止 {due}（还有 {left} 个工作日）。"
    elif stage == "b":
        title = f"期限临近：{clock.title}"
        body = f"「{channel_title(channel)}」：{clock.title}将于 {due} 到期（还有 {left} 个工作日）。"
    else:
        title = f"期限已到：{clock.title}"
        body = f"「{channel_title(channel)}」：{clock.title}已于 {due} 到期。"
    return Notice(f"{title} · {case_id}", body + (f"\n{hint}" if hint else "") + prov, ["deadline"])


def _hint(clock_id: str, case_id: str, channel: str) -> str:
    if clock_id == "review_window":
        return f"不接受处理结果时，在截止前申请复核：kameng reject {case_id} --channel {channel} --reason 理由"
    if clock_id == "refund_check":
        return (
            f"请核实退款是否已到账；到账后运行 kameng report {case_id} --channel {channel} --status 退款已到账，"
            f"未到账时运行 kameng reject {case_id} --channel {channel} --reason 退款未到账"
        )
    if clock_id == "limitation":
        return "诉讼时效届满后，对方可以拒绝履行；12315 也不再受理（办法第十六条）。请尽快通过诉讼或其他途径主张权利。"
    if clock_id == "supplement":
        return (
            "请按平台提示补充材料。补充后记录一下："
            f"kameng report {case_id} --channel {channel} --note 已按要求补充材料"
        )
    return ""
