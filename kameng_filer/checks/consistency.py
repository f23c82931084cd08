"""Facts cross-checked before they are rendered: amounts against payments and timeline, one order vs several.

The texts state “本人…购买…，订单号…，通过支付宝实付X元” on the payment day. That sentence is wrong when
``order.amount`` is really the total of later auto-renewal deductions (1 yuan paid on day X, then three
30-yuan deductions: never “实付90元” on day X), when the case's words speak of several orders under one
order number, when a unit price × quantity differs from the amount, when the timeline says a different
amount was paid, or when the payment proof names another payment method than ``order.payment.method``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

from kameng_filer.case.model import Case, EvidenceKind, PaymentMethod, ProblemType
from kameng_filer.checks.base import Context, fmt_yuan
from kameng_filer.findings import Finding
from kameng_filer.render.amounts import AMOUNT, count, renewals, yuan
from kameng_filer.textforms import normalise

_PAID = re.compile(rf"(?:实付|支付|付款|付了|充值|开通)(?:了)?\s*{AMOUNT}")
_SEVERAL_ORDERS = re.compile(r"([两二三四五六七八九十\d]{1,2}|多)\s*(?:单|笔订单|个订单|笔交易)")
_UNIT_PRICE = re.compile(rf"(?:每单|单价|每份|每张|每个)\s*{AMOUNT}")
_METHOD_LABELS = {
    PaymentMethod.alipay: "支付宝",
    PaymentMethod.wechat_pay: "微信支付",
    PaymentMethod.bank_card: "银行卡",
    PaymentMethod.balance: "平台余额",
    PaymentMethod.other: "其他方式",
}
_OTHER_METHOD = {
    PaymentMethod.alipay: re.compile(r"微信支付|微信账单|微信转账|财付通"),
    PaymentMethod.wechat_pay: re.compile(r"支付宝"),
    PaymentMethod.bank_card: re.compile(r"支付宝|微信支付|微信账单"),
}


def total_paid(case: Case) -> Decimal:
    """What the person paid in all: the order amount plus later auto-renewal deductions."""
    found = renewals(case)
    if found is None or found.total == case.order.amount:
        return case.order.amount
    return case.order.amount + found.total


def _auto_renewal(ctx: Context, case: Case) -> Iterator[Finding]:
    found = renewals(case)
    if found is None:
        return
    amount = case.order.amount
    if amount == found.total and found.first != amount:
        first = f"开通当天实付的金额（{fmt_yuan(found.first)}）" if found.first else "开通当天实付的金额"
        yield ctx.finding(
            "facts.renewal_amount",
            "order.amount",
            f"订单金额 {fmt_yuan(amount)} 等于后来{found.count}次自动续费扣款的合计，"
            f"投诉文本会写成在下单当天“实付{amount:.2f}元”，与事实不符",
            f"order.amount 写{first}；每次自动扣款写进 timeline（日期和金额），退款诉求写扣款合计",
        )
    elif found.first is not None and found.first != amount:
        yield ctx.finding(
            "facts.renewal_amount",
            "order.amount",
            f"问题概述说开通时支付 {fmt_yuan(found.first)}，订单金额却是 {fmt_yuan(amount)}",
            "order.amount 写开通当天实付的金额，自动扣款写进 timeline",
        )


def _orders(ctx: Context, case: Case) -> Iterator[Finding]:
    words = normalise("\n".join([case.title, case.order.product, case.problem.summary]))
    m = _SEVERAL_ORDERS.search(words)
    n = (0 if m.group(1) == "多" else count(m.group(1))) if m else 1
    if m and n != 1:
        yield ctx.finding(
            "facts.several_orders",
            "order.order_no",
            f"案件只有一个订单号 {case.order.order_no}，文字却说“{m.group(0)}”：投诉文本会把几单写成一单",
            "每个订单单独建一个案件（各自的订单号、金额和交易号）；如果是一单买了几件，写 order.quantity，"
            "不要写“两单”",
        )
    unit = _UNIT_PRICE.search(words)
    price = yuan(unit.group(1)) if unit else None
    if price is not None and price * case.order.quantity != case.order.amount:
        yield ctx.finding(
            "facts.amount_mismatch",
            "order.amount",
            f"单价 {fmt_yuan(price)} × 数量 {case.order.quantity} = {fmt_yuan(price * case.order.quantity)}，"
            f"与订单金额 {fmt_yuan(case.order.amount)} 不一致",
            "按订单页面核对数量（order.quantity）和实付金额（order.amount）",
        )


def _timeline_payment(ctx: Context, case: Case) -> Iterator[Finding]:
    paid_at = case.order.paid_at
    if paid_at is None or case.problem.type == ProblemType.auto_renewal:
        return
    for i, t in enumerate(case.timeline):
        if abs((t.at - paid_at).total_seconds()) > 600:
            continue
        m = _PAID.search(normalise(t.event))
        value = yuan(m.group(1)) if m else None
        if value is not None and value != case.order.amount:
            yield ctx.finding(
                "facts.amount_mismatch",
                f"timeline[{i}].event",
                f"时间线写支付 {fmt_yuan(value)}，订单金额（order.amount）是 {fmt_yuan(case.order.amount)}",
                "按支付凭证核对金额，两处写成一致",
            )
            return


def _payment_method(ctx: Context, case: Case) -> Iterator[Finding]:
    pay = case.order.payment
    rx = _OTHER_METHOD.get(pay.method) if pay else None
    if rx is None:
        return
    for i, e in enumerate(case.evidence):
        if e.kind != EvidenceKind.payment_proof:
            continue
        m = rx.search(normalise(e.description))
        if m:
            yield ctx.finding(
                "facts.payment_method",
                "order.payment.method",
                f"支付凭证（evidence[{i}]）写的是“{m.group(0)}”，付款方式（order.payment.method）却是"
                f"{_METHOD_LABELS[pay.method]}",  # type: ignore[union-attr]
                "按支付凭证改正付款方式：支付宝、微信支付的交易投诉只受理通过它们付款的订单",
            )
            return


def check(ctx: Context) -> Iterator[Finding]:
    """Warnings where the case's amounts, orders or payment method disagree with each other."""
    case = ctx.case
    if case is None:
        return
    yield from _auto_renewal(ctx, case)
    yield from _orders(ctx, case)
    yield from _timeline_payment(ctx, case)
    yield from _payment_method(ctx, case)
