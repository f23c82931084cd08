"""Status words the channels show (channels.md) mapped to normalised states and tracker events.

``kameng report --status`` records what the person sees in an app or on a site; the words differ per
channel (微信支付 ``处理中`` means the merchant has replied, 支付宝 ``处理中`` that it is still working),
so each channel has its own table on top of a shared one. A normalised state name (``resolved``…)
or an Alipay/WeChat API code (``MERCHANT_PROCESSING``…) is accepted as well.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

STATES: dict[str, str] = {
    "open": "待处理 / 处理中",
    "replied": "对方已回复",
    "needs_user": "等待本人回复或补充",
    "escalated": "已升级 / 平台已介入",
    "resolved": "已处理完成",
    "rejected": "被驳回 / 不予受理",
    "closed": "已关闭 / 已办结",
    "withdrawn": "已撤诉",
}
"""Normalised states (the ``StatusReport.state`` vocabulary) with their Chinese meaning."""


@dataclass(frozen=True)
class StatusWord:
    """What one status word means: the normalised state and the tracker event it implies (if any)."""

    state: str
    event: str | None = None


def _w(state: str, event: str | None = None) -> StatusWord:
    return StatusWord(state, event)


COMMON: dict[str, StatusWord] = {
    "待处理": _w("open"),
    "处理中": _w("open"),
    "待受理": _w("open"),
    "已受理": _w("open", "accepted"),
    "审核通过": _w("open", "accepted"),
    "商家已回复": _w("replied", "replied"),
    "已回复": _w("replied", "replied"),
    "待用户回复": _w("needs_user", "waiting_for_person"),
    "待补充材料": _w("needs_user", "supplement_requested"),
    "平台介入": _w("escalated", "platform_intervened"),
    "平台已介入": _w("escalated", "platform_intervened"),
    "申请平台介入": _w("escalated", "escalated"),
    "已申请平台介入": _w("escalated", "escalated"),
    "升级投诉": _w("escalated", "escalated"),
    "已升级": _w("escalated", "escalated"),
    "客服处理中": _w("escalated", "platform_intervened"),
    "已完成": _w("resolved", "resolved"),
    "已解决": _w("resolved", "resolved"),
    "处理完成": _w("resolved", "result"),
    "已处理完成": _w("resolved", "result"),
    "投诉完结": _w("resolved", "resolved"),
    "退款已到账": _w("resolved", "refund_received"),
    "已驳回": _w("rejected", "not_accepted"),
    "不予受理": _w("rejected", "not_accepted"),
    "已关闭": _w("closed", "closed"),
    "已办结": _w("closed", "closed"),
    "撤诉": _w("withdrawn", "withdrawn"),
    "已撤诉": _w("withdrawn", "withdrawn"),
    "用户撤诉": _w("withdrawn", "withdrawn"),
    "已撤销": _w("withdrawn", "withdrawn"),
}

PER_CHANNEL: dict[str, dict[str, StatusWord]] = {
    # channels.md §2 (Alipay merchant-side model: WAIT_PROCESS, MERCHANT_PROCESSING, OVERDUE, …)
    "alipay": {
        "处理中": _w("open"),
        "商家处理中": _w("open"),
        "商家已处理": _w("resolved", "result"),
        "超时未处理": _w("open"),
        "WAIT_PROCESS": _w("open"),
        "MERCHANT_PROCESSING": _w("open"),
        "MERCHANT_FEEDBACKED": _w("replied", "replied"),
        "OVERDUE": _w("open"),
        "PLATFORM_PROCESSING": _w("escalated", "platform_intervened"),
        "FINISHED": _w("resolved", "resolved"),
        "DROP": _w("withdrawn", "withdrawn"),
    },
    # channels.md §3: 待处理 → 处理中 (the merchant's first reply) → 已处理完成
    "wechat_pay": {
        "处理中": _w("replied", "replied"),
        "PENDING": _w("open"),
        "PROCESSING": _w("replied", "replied"),
        "PROCESSED": _w("resolved", "result"),
    },
    # channels.md §1 (family A and B)
    "card_platform": {
        "待客服回复": _w("open"),
        "待用户回复": _w("needs_user", "waiting_for_person"),
    },
    # channels.md §4 (complaint statuses are assumed; report statuses are seen)
    "12315": {
        "待核查": _w("open"),
        "已立案": _w("open", "accepted"),
        "不予立案": _w("rejected", "not_accepted"),
        "调解中": _w("open", "accepted"),
        "终止调解": _w("closed", "mediation_ended"),
    },
    # channels.md §6
    "heimao": {
        "处理中": _w("open"),
        "已回复": _w("replied", "replied"),
        "已完成": _w("resolved", "resolved"),
    },
}


_LIGATURE = re.compile(r"(?<![A-Za-z0-9])[a-z]+(?:_[a-z0-9]+)*(?![A-Za-z0-9])")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def strip_ligatures(text: str) -> str:
    """Drop icon-font ligature words (``schedule``, ``check_circle``) from a Chinese status text.

    Icon fonts draw an icon for a lowercase word that is still in the page's text: a status cell shows
    an icon and 待客服回复, but its text is ``schedule\n待客服回复``. Only texts with Chinese in them are
    touched, and only all-lowercase Latin words; whitespace is collapsed.
    """
    if not _CJK.search(text):
        return " ".join(text.split())
    return " ".join(_LIGATURE.sub(" ", text).split())


def _key(text: str) -> str:
    return re.sub(r"[\s。.!!]+", "", text)


def known_words(channel: str) -> list[str]:
    """The status words known for ``channel`` (its own first, then the shared ones)."""
    base = channel.split("@", 1)[0]
    own = list(PER_CHANNEL.get(base, {}))
    return own + [w for w in COMMON if w not in own]


def normalise_status(channel: str, text: str) -> StatusWord | None:
    """The meaning of ``text`` on ``channel``, or None when the word is unknown."""
    base = channel.split("@", 1)[0]
    key = _key(strip_ligatures(text))
    if key.lower() in STATES:
        return StatusWord(key.lower())
    table = PER_CHANNEL.get(base, {})
    upper = key.upper()
    for candidate in (key, upper):
        if candidate in table:
            return table[candidate]
        if candidate in COMMON:
            return COMMON[candidate]
    if upper.startswith("DROP"):
        return StatusWord("withdrawn", "withdrawn")
    return None
