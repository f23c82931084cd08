"""Status words the channels show (channels.md) mapped to normalised states and tracker events.

``kameng report --status`` records what the person sees in an app or on a site; the words differ per
channel (微信支付 ``处理中`` means the merchant has replied, 支付宝 ``处理中`` that it is still working),
so each channel declares its own words (``ChannelSpec.status_vocabulary``) on top of the shared ones. A normalised state name (``resolved``…)
or an Alipay/WeChat API code (``MERCHANT_PROCESSING``…) is accepted as well.
"""

from __future__ import annotations

import re

from kameng_filer import registry
from kameng_filer.channels import StatusWord
from kameng_filer.errors import KamengError
from kameng_filer.vocab import COMPLAINT_STATE_MEANINGS

STATES: dict[str, str] = {str(state): meaning for state, meaning in COMPLAINT_STATE_MEANINGS.items()}
"""Normalised states (``vocab.ComplaintState``, the ``StatusReport.state`` vocabulary) with their Chinese meaning."""


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

def channel_words(channel: str) -> dict[str, StatusWord]:
    """The channel's own status words, as its declaration (``ChannelSpec.status_vocabulary``) lists them."""
    try:
        return registry.spec(channel.split("@", 1)[0]).status_table
    except KamengError:
        return {}


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
    own = list(channel_words(channel))
    return own + [w for w in COMMON if w not in own]


def normalise_status(channel: str, text: str) -> StatusWord | None:
    """The meaning of ``text`` on ``channel``, or None when the word is unknown."""
    key = _key(strip_ligatures(text))
    if key.lower() in STATES:
        return StatusWord(key.lower())
    table = channel_words(channel)
    upper = key.upper()
    for candidate in (key, upper):
        if candidate in table:
            return table[candidate]
        if candidate in COMMON:
            return COMMON[candidate]
    if upper.startswith("DROP"):
        return StatusWord("withdrawn", "withdrawn")
    return None
