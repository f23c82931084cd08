"""The evidence chain (三明确 ②): order info + payment proof + communication + proof, per problem type."""

from __future__ import annotations

from collections.abc import Iterator

from kameng_filer.case.model import PROBLEM_LABELS, EvidenceKind, ProblemType
from kameng_filer.checks.base import Context
from kameng_filer.findings import Finding

K = EvidenceKind
P = ProblemType
_CORE = (K.order_info, K.payment_proof, K.communication, K.problem_proof)

# What each problem type needs to prove (domain.md "Evidence chain", seed 000/002/003).
REQUIRED_KINDS: dict[ProblemType, tuple[EvidenceKind, ...]] = {
    P.not_delivered: _CORE,
    P.quantity_mismatch: _CORE,
    P.invalid_card_key: _CORE,
    P.short_validity: (*_CORE, K.promise),
    P.not_as_described: (*_CORE, K.promise),
    P.auto_renewal: _CORE,
    P.delayed_delivery: _CORE,
    P.merchant_vanished: _CORE,
    P.false_promise: (*_CORE, K.promise),
    P.refund_refused: _CORE,
    P.no_response: (K.order_info, K.payment_proof, K.communication),
    P.membership_not_activated: _CORE,
    P.account_stolen: (K.communication, K.problem_proof),
    P.data_leak: (K.communication, K.problem_proof),
    P.abnormal_transaction: (K.order_info, K.payment_proof, K.problem_proof),
    P.other: _CORE,
}

KIND_TEXT: dict[EvidenceKind, tuple[str, str]] = {
    K.order_info: ("订单信息", "订单详情页截图：订单号、商品、金额、下单时间、订单状态"),
    K.payment_proof: ("支付凭证", "支付宝/微信账单详情截图：交易号、金额、支付时间"),
    K.communication: (
        "沟通记录",
        "与商家或平台客服的聊天记录截图，包括对方的推诿或拒绝（如“系统延迟”“不退不换”）",
    ),
    K.problem_proof: (
        "问题证明",
        "证明问题存在的材料：如余额/到账记录截图、“卡密已使用”提示、兑换过程录屏",
    ),
    K.promise: ("承诺/商品描述", "下单前的商品页或宣传截图（如“秒到账”“100%激活”“假一赔十”）"),
}


PROOF_BY_TYPE: dict[ProblemType, str] = {
    P.invalid_card_key: "兑换时“卡密已使用/无效”的提示截图或录屏；再请游戏运营方（客服）出具该卡密的兑换时间和兑换账号，"
    "证明不是你兑换的",
    P.auto_renewal: "每一笔自动扣款的记录（时间、金额、扣款方）和扣款前没有收到任何续费提醒的证明"
    "（短信、站内信、邮件列表截图）",
    P.not_delivered: "游戏内余额/充值记录截图，显示付款后没有到账",
    P.delayed_delivery: "到账记录截图，显示实际到账时间晚于承诺时间",
    P.quantity_mismatch: "到账记录截图，显示实际到账数量与订单数量不符",
    P.short_validity: "卡密实际有效期的截图，与商品页标注的有效期对照",
    P.not_as_described: "收到的商品与商品页描述的对照截图",
    P.merchant_vanished: "店铺已关闭或商家失联的截图（店铺页面、发出后无人回复的消息及时间）",
    P.membership_not_activated: "会员权益页面截图，显示付款后权益未开通",
    P.account_stolen: "账号登录/充值异常记录截图，以及向游戏运营方申诉的回执",
    P.data_leak: "骚扰电话/短信记录截图，显示对方掌握你的订单信息",
    P.abnormal_transaction: "账单中异常扣款的记录截图（时间、金额、扣款方）",
}
"""What proves the problem, per problem type (the generic text fits none of them well)."""


def required_kinds(problem: ProblemType, *, promise_claimed: bool) -> tuple[EvidenceKind, ...]:
    """Evidence kinds a complaint of this type should carry (plus the promise when one is claimed)."""
    kinds = REQUIRED_KINDS.get(problem, _CORE)
    if promise_claimed and K.promise not in kinds:
        kinds = (*kinds, K.promise)
    return kinds


def check(ctx: Context) -> Iterator[Finding]:
    """A warning for each kind of evidence missing from the chain (or one when there is none at all)."""
    case = ctx.case
    if case is None:
        return
    if not case.evidence:
        yield ctx.finding(
            "evidence.empty",
            "evidence",
            "没有任何证据：投诉需要订单信息 + 沟通记录 + 问题证明",
            "把截图放进 evidence/ 文件夹，并在 evidence 列表中逐项登记（id、kind、file、description）",
        )
        return
    have = {e.kind for e in case.evidence}
    label = PROBLEM_LABELS.get(case.problem.type, case.problem.type.value)
    promise_claimed = bool(case.order.promise)
    for kind in required_kinds(case.problem.type, promise_claimed=promise_claimed):
        if kind in have:
            continue
        name, what = KIND_TEXT[kind]
        if kind == K.problem_proof:
            what = PROOF_BY_TYPE.get(case.problem.type, what)
        if kind == K.promise and promise_claimed:
            why = f"案件写明了商家承诺「{case.order.promise}」，需要截图证明"
        else:
            why = f"「{label}」类投诉通常需要{name}"
        yield ctx.finding(
            f"evidence.chain.{kind.value}",
            "evidence",
            f"证据链缺少{name}:{why}",
            f"补充{what}，登记为 kind: {kind.value}",
        )
