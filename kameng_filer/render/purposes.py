"""Which text purposes each channel really offers, and the next step when it does not offer one.

12315, the consumer association, 黑猫 and WeChat Pay have no 复核 (review) procedure: a review
text for them is refused with the step that does exist instead (domain.md, channels.md).
"""

from __future__ import annotations

from kameng_filer.errors import RenderError

_REFUSED: dict[tuple[str, str], tuple[str, str]] = {
    ("12315", "review"): (
        "全国12315平台没有“复核”程序，不能生成复核申请。",
        "调解终止或未达成协议的，可以向人民法院起诉（网络购物可在自己住所地法院起诉，"
        "多数金额适用小额诉讼）；对不予受理、终止处理的决定不服的，可以依法申请行政复议；"
        "需要补充事实或证据时，用“进展查询”用途生成材料补充说明（--purpose follow_up）。",
    ),
    ("consumer_association", "review"): (
        "消费者协会没有“复核”程序，不能生成复核申请。",
        "调解未成的，可以请求消费者协会再次调解（--purpose escalation），或申请消费者协会支持起诉"
        "（《消费者权益保护法》第37条第1款第7项），也可以直接向人民法院起诉。",
    ),
    ("heimao", "review"): (
        "黑猫投诉没有“复核”程序，不能生成复核申请。",
        "对商家的回复不满意时，在原投诉下“补充投诉”说明理由（--purpose follow_up），"
        "或改向全国12315平台投诉（--channel 12315）。",
    ),
    ("wechat_pay", "review"): (
        "微信支付交易投诉没有“复核”程序，不能生成复核申请。",
        "对商家的处理不满意时，在投诉详情里“申请平台介入”（--purpose escalation）。",
    ),
}


def refusal(channel: str, purpose: str) -> RenderError | None:
    """The error for a purpose ``channel`` does not offer (with the right next step), else None."""
    found = _REFUSED.get((channel, purpose))
    if found is None:
        return None
    message, hint = found
    return RenderError(message, hint=hint)


def offered(channel: str, purpose: str) -> bool:
    """True when ``channel`` offers a text for ``purpose``."""
    return (channel, purpose) not in _REFUSED
