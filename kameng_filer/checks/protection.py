"""Who is protected and how to pay back: resale, cheats, stolen cards, account trading, minors, payment routes.

消保法 protects a consumer buying for personal consumption (art. 2): resale and wholesale may fall outside
it (12315 may reject, art. 55 may not apply); cheats, top-ups with stolen cards and account trading are
not protected; a minor's top-up is taken back through the guardian (民法典 19/145). The payment steps come
first: cancel an auto-renewal agreement, know that a personal QR-code payment has no 交易投诉, and that a
bank/credit-card dispute goes to the issuing bank.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from kameng_filer.case.model import PaymentMethod, ProblemType
from kameng_filer.checks.base import Context
from kameng_filer.findings import Finding

_RESALE = re.compile(r"批发|转卖|倒卖|囤货|分销|二次销售|代充业务|做代理|转售|卖给客户|工作室")
_CHEAT = re.compile(r"外挂|开挂|作弊器|辅助软件|透视|自瞄|脚本挂")
_STOLEN = re.compile(r"黑卡|盗刷的卡|别人的信用卡|来路不明的卡|套现|洗钱")
_ACCOUNT_TRADE = re.compile(r"买号|卖号|账号交易|帐号交易|租号|账号买卖|买的账号|买来的账号")
_MINOR = re.compile(r"未成年|(?:孩子|小孩|儿子|女儿|小学生|初中生|中学生)[^。,，;；]{0,12}(?:充值|付款|支付|购买|买了)")
_PERSONAL_QR = re.compile(r"个人收款码|个人二维码|个人微信(?:转账|收款)|个人支付宝(?:转账|收款)|扫码转账|转账给(?:商家|对方|卖家)个人")
RESALE_QUANTITY = 50
"""More items than one person plausibly uses: the order may be for resale."""


def _texts(ctx: Context) -> str:
    case = ctx.case
    assert case is not None
    parts = [case.title, case.problem.summary, case.order.product, case.order.promise or ""]
    parts += [t.event for t in case.timeline] + [c.summary for c in case.contacts]
    parts += [d.note or "" for d in case.demands]
    return "\n".join(parts)


def check(ctx: Context) -> Iterator[Finding]:
    """Warnings about who is protected and hints for the payment route."""
    case = ctx.case
    if case is None:
        return
    text = _texts(ctx)
    if _RESALE.search(text) or case.order.quantity >= RESALE_QUANTITY:
        yield ctx.finding(
            "protection.resale",
            "order",
            "订单看起来是批发/转卖用途：消保法只保护为生活消费购买的消费者（第2条），"
            "12315 可能不予受理，第55条惩罚性赔偿也可能不适用",
            "如果确为自用，在问题概述里写明“本人自用”；如果是经营用途，按合同纠纷与商家协商或起诉",
        )
    for rx, code, what in (
        (_CHEAT, "protection.cheat", "外挂/作弊类商品"),
        (_STOLEN, "protection.stolen_card", "用来路不明的银行卡付款或充值"),
        (_ACCOUNT_TRADE, "protection.account_trade", "游戏账号买卖/租借"),
    ):
        m = rx.search(text)
        if m:
            yield ctx.finding(
                code,
                "problem.summary",
                f"案件提到“{m.group(0)}”：{what}违反游戏运营方的用户协议，可能违法，不受消费者权益保护，"
                "投诉会被驳回，甚至可能被追责",
                "如果只是对方的说法，请在文本中写清；否则不要投诉，必要时咨询律师",
            )
    m = _MINOR.search(text)
    if m:
        yield ctx.finding(
            "protection.minor",
            "complainant",
            f"案件提到“{m.group(0)}”：未成年人充值应由监护人以监护人名义申请退还"
            "（民法典第19条、第145条：与其年龄、智力不相适应的行为须经法定代理人同意或追认）",
            "由父母等监护人作为投诉人，写明孩子的年龄、充值时间和金额，附监护关系和付款账户证明",
        )
    if case.problem.type == ProblemType.auto_renewal:
        yield ctx.finding(
            "payment.cancel_renewal",
            "problem.type",
            "自动续费：先取消自动扣款，否则投诉期间还会继续扣钱",
            "支付宝：我的 → 设置 → 支付设置 → 免密支付/自动扣款；微信：我 → 服务 → 钱包 → 支付设置 → 自动续费；"
            "取消后截图留证",
        )
    if _PERSONAL_QR.search(text):
        yield ctx.finding(
            "payment.personal_qr",
            "order.payment",
            "向个人收款码/个人账户转账的付款，支付宝/微信的交易投诉不受理（不是商户交易）",
            "向平台投诉并保留转账记录；商家失联或拒不退款时尽早报警或起诉；以后只通过平台下单付款",
        )
    if case.order.payment is not None and case.order.payment.method == PaymentMethod.bank_card:
        yield ctx.finding(
            "payment.bank_card",
            "order.payment.method",
            "银行卡/信用卡付款：支付宝/微信的交易投诉不适用，争议交易走发卡银行",
            "致电发卡银行申请争议交易处理（信用卡可申请拒付/退单），越早越好，通常有时限",
        )
