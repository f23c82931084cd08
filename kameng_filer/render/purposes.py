"""Which text purposes each channel really offers, and the next step when it does not offer one.

12315, the consumer association, 黑猫 and WeChat Pay have no 复核 (review) procedure: a review
text for them is refused with the step that does exist instead (domain.md, channels.md). A payment
channel takes only orders paid through it: an Alipay text for a WeChat-paid or bank-card order (or the
other way round) is refused with the route that fits the payment.
"""

from __future__ import annotations

from kameng_filer.case.model import Case, PaymentMethod
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


PAYMENT_CHANNELS: dict[str, PaymentMethod] = {"alipay": PaymentMethod.alipay, "wechat_pay": PaymentMethod.wechat_pay}
"""Payment channels and the one payment method each of them takes complaints about."""
_PAID_WITH = {
    PaymentMethod.alipay: "支付宝",
    PaymentMethod.wechat_pay: "微信支付",
    PaymentMethod.bank_card: "银行卡",
    PaymentMethod.balance: "平台余额",
    PaymentMethod.other: "其他方式",
}
_ROUTE = {
    PaymentMethod.alipay: "改向支付宝交易投诉（--channel alipay），或向平台、12315投诉。",
    PaymentMethod.wechat_pay: "改向微信支付交易投诉（--channel wechat_pay），或向平台、12315投诉。",
    PaymentMethod.bank_card: "银行卡/信用卡付款的争议交易向发卡银行申请处理（信用卡可申请拒付），"
    "同时向平台、12315投诉。",
    PaymentMethod.balance: "平台余额付款的订单向平台投诉（--channel card_platform），未解决再向12315投诉。",
    PaymentMethod.other: "按实际付款方式选择渠道：向个人收款码转账的，向平台投诉并尽早报警或起诉。",
}


def payment_mismatch(channel: str, case: Case) -> RenderError | None:
    """The refusal when ``channel`` is a payment channel the case's order was not paid through, else None.

    A case that does not say how it was paid is not refused here (``kameng check`` asks for the method).
    """
    takes = PAYMENT_CHANNELS.get(channel)
    pay = case.order.payment
    if takes is None or pay is None or pay.method == takes:
        return None
    return RenderError(
        f"订单{case.order.order_no}是用{_PAID_WITH[pay.method]}付款的，不能向{_PAID_WITH[takes]}交易投诉："
        f"{_PAID_WITH[takes]}只受理通过它付款的交易。",
        hint=_ROUTE[pay.method],
    )
