"""Order details that make a complaint checkable: a non-zero amount, payment time, method and number."""

from __future__ import annotations

from collections.abc import Iterator

from kameng_filer.case.model import PaymentMethod
from kameng_filer.checks.base import Context
from kameng_filer.findings import Finding

_TRACEABLE = (PaymentMethod.alipay, PaymentMethod.wechat_pay, PaymentMethod.bank_card)
_NUMBER_NAME = {
    PaymentMethod.alipay: "支付宝交易号（账单详情页）",
    PaymentMethod.wechat_pay: "微信支付单号（账单详情页的“交易单号”）",
    PaymentMethod.bank_card: "银行流水号",
}


def check(ctx: Context) -> Iterator[Finding]:
    """Zero amount, missing payment time, payment method or transaction number."""
    case = ctx.case
    if case is None:
        return
    order = case.order
    if order.amount == 0:
        yield ctx.finding(
            "order.amount_zero",
            "order.amount",
            "订单金额为 0：无法据此主张退款或赔偿",
            "按支付凭证填写实际支付的金额（元）",
        )
    if order.paid_at is None:
        yield ctx.finding(
            "order.paid_at_missing",
            "order.paid_at",
            "没有填写支付时间：平台投诉时限和诉讼时效通常从支付时间起算",
            "按支付凭证填写，例如 paid_at: 2026-11-02T15:00:30",
        )
    if order.payment is None:
        yield ctx.finding(
            "order.payment_missing",
            "order.payment",
            "没有填写支付方式：向支付宝/微信支付投诉时需要",
            '填写 payment: {method: alipay, transaction_no: "…"}',
        )
    elif order.payment.method in _TRACEABLE and not order.payment.transaction_no:
        yield ctx.finding(
            "order.transaction_no_missing",
            "order.payment.transaction_no",
            "没有填写支付交易号：支付渠道凭它定位这笔付款",
            f"填写{_NUMBER_NAME[order.payment.method]}，加引号以免被当成数字",
        )
