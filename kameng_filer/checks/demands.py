"""诉求: concrete, executable and consistent with the amount paid and 消保法 art. 55."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from kameng_filer.case.model import DemandType
from kameng_filer.checks.base import Context, fmt_yuan
from kameng_filer.checks.consistency import total_paid
from kameng_filer.findings import Finding
from kameng_filer.render.fraud import case_fraud_grounds

PUNITIVE_MULTIPLE = Decimal(3)
PUNITIVE_MINIMUM = Decimal(500)
_MONEY_TYPES = (DemandType.refund, DemandType.compensation, DemandType.punitive_damages)
_LABEL = {
    DemandType.refund: "退款",
    DemandType.redeliver: "补发",
    DemandType.compensation: "补偿",
    DemandType.punitive_damages: "惩罚性赔偿",
    DemandType.apology: "道歉",
    DemandType.other: "其他",
}


def punitive_amount(price: Decimal) -> Decimal:
    """消保法 art. 55: three times the price, at least 500 yuan."""
    return max(price * PUNITIVE_MULTIPLE, PUNITIVE_MINIMUM).quantize(Decimal("0.01"))


def check(ctx: Context) -> Iterator[Finding]:
    """Missing, vague or inconsistent demands."""
    case = ctx.case
    if case is None:
        return
    if not case.demands:
        yield ctx.finding(
            "demands.none",
            "demands",
            "没有填写诉求：投诉必须说明你要什么",
            f"在 demands 中写具体可执行的诉求，例如 type: refund、amount: {case.order.amount:.2f}、"
            "to: original_payment（全额退款至原支付账户）",
        )
        return
    lex = ctx.lexicon
    paid = total_paid(case)  # with auto-renewal deductions
    grounds = case_fraud_grounds(case)
    refunded = Decimal("0.00")
    exceeded = False
    for i, demand in enumerate(case.demands):
        label = _LABEL[demand.type]
        base = f"demands[{i}]"
        if demand.type in _MONEY_TYPES and demand.amount is None:
            example = punitive_amount(paid) if demand.type == DemandType.punitive_damages else paid
            yield ctx.finding(
                "demands.no_amount",
                f"{base}.amount",
                f"{label}诉求没有写金额，对方无法执行",
                f"写明金额（元），例如 amount: {example:.2f}",
            )
        if demand.note:
            words = lex.find("vague_demands", demand.note)
            if words:
                yield ctx.finding(
                    "demands.vague_phrase",
                    f"{base}.note",
                    f"诉求说明“{demand.note}”含糊，无法执行（“{'”“'.join(words)}”）",
                    lex.hint("vague_demands", words),
                )
        if demand.type == DemandType.other and not demand.note:
            yield ctx.finding(
                "demands.other_unspecified",
                f"{base}.note",
                "“其他”诉求没有说明具体要求",
                "在 note 中写明可执行的要求，或改用 refund / redeliver / compensation 等类型",
            )
        if demand.type == DemandType.redeliver and demand.quantity is None and not demand.note:
            yield ctx.finding(
                "demands.redeliver_unspecified",
                f"{base}.quantity",
                "补发诉求没有写明补发什么、多少",
                f"写 quantity 或 note，例如 note: 补发{case.order.product}",
            )
        if demand.type == DemandType.refund:
            if not demand.to:
                yield ctx.finding(
                    "demands.refund_destination",
                    f"{base}.to",
                    "退款诉求没有写退到哪里",
                    "写 to: original_payment（退回原支付账户），避免对方以平台余额代替退款",
                )
            if demand.amount is not None:
                refunded += demand.amount
                if refunded > paid and not exceeded:
                    exceeded = True
                    yield ctx.finding(
                        "demands.refund_exceeds_paid",
                        f"{base}.amount",
                        f"退款合计 {fmt_yuan(refunded)} 超过实付金额 {fmt_yuan(paid)}",
                        "退款最多为实付金额；额外损失请写成 compensation（补偿）或 punitive_damages（惩罚性赔偿）",
                    )
        if demand.type == DemandType.punitive_damages:
            if not grounds:
                yield ctx.finding(
                    "demands.punitive_no_fraud",
                    base,
                    "惩罚性赔偿（《消费者权益保护法》第55条）以商家欺诈为前提，本案没有欺诈的证据，"
                    "投诉文本不会写入这项诉求；提出这项诉求本身也不能证明欺诈",
                    "有欺诈证据时再主张，并在证据中附上：被推翻的商品页承诺截图（kind: promise）与问题证明、"
                    "售出前已被使用的卡密的兑换记录、收款后商家失联的记录；惩罚性赔偿向销售商家（入驻商户）主张",
                )
            if demand.amount is not None:
                yield from _punitive(ctx, base, demand.amount, paid)


def _punitive(ctx: Context, base: str, asked: Decimal, paid: Decimal) -> Iterator[Finding]:
    due = punitive_amount(paid)
    if asked == due:
        return
    rule = f"消保法第55条：经营者有欺诈行为的，赔偿价款的3倍，不足500元的为500元；本案为 {fmt_yuan(due)}"
    if asked > due:
        message = f"惩罚性赔偿 {fmt_yuan(asked)} 超过法定标准"
    else:
        message = f"惩罚性赔偿 {fmt_yuan(asked)} 低于法定标准"
    yield ctx.finding(
        "demands.punitive_amount",
        f"{base}.amount",
        f"{message}({rule})",
        f"把金额改为 {due:.2f}；惩罚性赔偿以商家存在欺诈为前提，需要有虚假承诺等证据",
    )
