"""The inputs and outputs of rendering: purposes, the earlier-filing context and the rendered texts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kameng_filer.timeutil import as_shanghai

PURPOSES: tuple[str, ...] = ("complaint", "follow_up", "escalation", "review")
"""Template purposes, in the order a dispute usually needs them."""

PURPOSE_LABELS: dict[str, str] = {
    "complaint": "投诉",
    "follow_up": "进展查询",
    "escalation": "升级投诉",
    "review": "复核申请",
}


PRIOR_CHANNEL_PHRASES: dict[str, str] = {
    "card_platform": "平台客服工单",
    "卡盟平台工单/投诉": "平台客服工单",
    "卡盟平台工单": "平台客服工单",
    "email": "投诉邮件",
    "投诉邮件": "投诉邮件",
    "12315": "全国12315平台",
    "consumer_association": "消费者协会",
    "heimao": "黑猫投诉平台",
    "黑猫投诉": "黑猫投诉平台",
    "alipay": "支付宝交易投诉",
    "wechat_pay": "微信支付交易投诉",
}
"""Channel names and the tool's own channel titles → how a letter names them in a sentence."""


def prior_channel_phrase(value: str) -> str:
    """How a text names the channel of the earlier filing (``卡盟平台工单/投诉`` → ``平台客服工单``)."""
    text = (value or "").strip()
    return PRIOR_CHANNEL_PHRASES.get(text, text.strip("「」"))


@dataclass(frozen=True)
class RenderContext:
    """What is known about the earlier filing, for ``follow_up``, ``escalation`` and ``review`` texts.

    Every field is optional: with the defaults the texts still render and say only what the case
    record itself supports (they never invent a complaint number, date, status or result).

    - ``prior_channel``: title of the channel the earlier complaint went to, e.g. ``卡盟平台工单/投诉``.
    - ``complaint_no``: the number that channel gave (ticket / 投诉编号).
    - ``filed_at``: when it was filed (aware or naive = Beijing time).
    - ``last_status``: the status the channel shows now, e.g. ``处理中``.
    - ``result``: the result text received, e.g. ``商家称已发货,不予退款``.
    - ``result_at``: when that result was given.
    - ``reason``: why the person thinks the result is wrong, in their own words (optional).
    """

    prior_channel: str = ""
    complaint_no: str = ""
    filed_at: datetime | None = None
    last_status: str = ""
    result: str = ""
    result_at: datetime | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        for name in ("filed_at", "result_at"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, as_shanghai(value))
        for name in ("prior_channel", "complaint_no", "last_status", "result", "reason"):
            object.__setattr__(self, name, (getattr(self, name) or "").strip())
        object.__setattr__(self, "prior_channel", prior_channel_phrase(self.prior_channel))

    @property
    def has_prior(self) -> bool:
        """True when anything about an earlier filing is known."""
        return bool(
            self.prior_channel or self.complaint_no or self.filed_at or self.last_status or self.result
        )


@dataclass
class RenderedText:
    """The texts rendered for one channel and purpose: one entry per rendered field of the channel spec.

    ``dropped`` maps a field name to the parts left out to fit its length limit, in the order they
    were dropped (part names as in ``kameng_filer.render.fit.PART_LABELS``); fields that fit as
    rendered are absent.
    """

    channel: str
    purpose: str
    fields: dict[str, str]
    dropped: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape ``{"channel", "purpose", "fields"}`` (what ``kameng render --json`` prints)."""
        return {"channel": self.channel, "purpose": self.purpose, "fields": dict(self.fields)}
