"""The Chinese words the CLI, the timeline and the export use for internal states, events and kinds.

One table per vocabulary, so no internal word (``planned``, ``follow_up``…) reaches a person. Unknown
values fall back to a neutral Chinese phrase that still names the raw value, never to the bare word.
"""

from __future__ import annotations

import re
from collections.abc import Callable

FILING_STATES: dict[str, str] = {
    "planned": "待提交",
    "submitting": "提交中",
    "submitted": "已提交",
    "needs_person": "需要本人操作",
    "failed": "失败",
    "rejected": "被驳回",
    "already_filed": "已提交过",
    "in_progress": "另一运行正在提交",
}
"""States of a filing record (``filings.state``) and of a run's outcome."""

OUTCOME_STATES: dict[str, str] = {**FILING_STATES, "planned": "已演练（未提交）"}
"""How one channel of a ``kameng file`` run ended (``planned`` = a dry run filled the form only)."""

EVENT_KINDS: dict[str, str] = {
    "imported": "导入",
    "filing_state": "提交",
    "status": "状态",
    "status_poll": "读取状态",
    "follow_up": "催办",
    "escalation": "升级",
    "notification": "通知",
    "reminder": "提醒",
    "reject": "不接受",
    "note": "备注",
}
"""Kinds of timeline events and of tracker actions (``kameng tick``)."""

ACTION_STATUSES: dict[str, str] = {
    "pending": "进行中",
    "done": "已完成",
    "pending_person": "等待本人操作",
    "failed": "失败",
    "skipped": "已跳过",
}
"""Statuses of tracker actions (follow-ups, escalations, notifications, reminders)."""

PURPOSES: dict[str, str] = {
    "complaint": "投诉",
    "escalation": "升级",
    "follow_up": "催办",
    "review": "复核",
}
"""Why a filing was made."""

DEADLINE_STATES: dict[str, str] = {
    "due": "未到期",
    "lapsed": "已逾期",
    "fulfilled": "已履行",
    "paused": "暂停中",
}
"""States of a tracked deadline."""


def _lookup(table: dict[str, str], value: object, what: str) -> str:
    key = "" if value is None else str(value)
    if key in table:
        return table[key]
    return f"{what}「{key}」" if key else "—"


def _words(table: dict[str, str], what: str, doc: str) -> Callable[[object], str]:
    def word(value: object) -> str:
        return _lookup(table, value, what)

    word.__doc__ = doc
    return word


filing_state = _words(FILING_STATES, "状态", "Chinese word for a filing state (``planned`` → 待提交).")
outcome_state = _words(OUTCOME_STATES, "状态", "How a channel of a run ended (``planned`` → 已演练(未提交)).")
event_kind = _words(EVENT_KINDS, "事件", "A timeline event or tracker action kind (``follow_up`` → 催办).")
action_status = _words(
    ACTION_STATUSES, "状态", "A tracker action status (``pending_person`` → 等待本人操作)."
)
purpose = _words(PURPOSES, "用途", "A filing purpose (``escalation`` → 升级).")
deadline_state = _words(DEADLINE_STATES, "状态", "A deadline state (``lapsed`` → 已逾期).")


def action_line(action: dict[str, object]) -> str:
    """One tracker action for people: ``催办 email(已完成):第 1 次催办已发出`` (plain text, no markup)."""
    where = f" {action['channel']}" if action.get("channel") else ""
    kind, status = event_kind(action.get("kind")), action_status(action.get("status"))
    return f"{kind}{where}({status}):{action.get('summary', '')}"


def channel_status(state: object) -> str:
    """Chinese meaning of a normalised channel status (``resolved`` → 已处理完成)."""
    from kameng_filer.filing.status_words import STATES

    return _lookup(STATES, state, "状态")


_TECH = re.compile(
    r"[A-Za-z_][\w.]*(Error|Exception|Timeout\w*)\b\s*:"  # Python/Playwright exception names
    r"|net::ERR_|\b[A-Za-z_]+\.[A-Za-z_]+\(?\)?:\s"  # Chromium net errors, ``Page.goto: …``
    r"|https?://|Errno|\bat\s+\S+:\d+"  # URLs, OS errors, ``at file:line``
)
_CJK = re.compile(r"[\u3400-\u9fff]")


def technical(text: str) -> bool:
    """True when ``text`` reads like a raw technical message (exception text, URL, network code)."""
    return bool(_TECH.search(text)) or (bool(text.strip()) and not _CJK.search(text) and len(text) > 40)


def split_technical(text: str) -> tuple[str, str]:
    """``(message for people, technical detail)`` of a stored error text.

    Errors are stored as ``中文说明(技术细节)``; a trailing parenthesised part that reads as technical
    (exception names, ``net::ERR_…``, URLs) is split off. A text that is technical as a whole becomes
    a generic Chinese message with the whole text as the detail.
    """
    text = (text or "").strip()
    if not text:
        return "", ""
    for open_, close in (("(", ")"), ("（", "）")):
        if text.endswith(close):
            start = _matching_open(text, open_, close)
            if start > 0:
                inner = text[start + 1 : -1]
                if technical(inner):
                    return text[:start].rstrip(), inner
    if technical(text) and not _CJK.search(text):
        return "出现技术错误（加 -v 查看详情）", text
    return text, ""


def _matching_open(text: str, open_: str, close: str) -> int:
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        ch = text[i]
        if ch == close:
            depth += 1
        elif ch == open_:
            depth -= 1
            if depth == 0:
                return i
    return -1
