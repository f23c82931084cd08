"""Which law a complaint may cite for each problem type (short paraphrases from domain.md)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kameng_filer.case.model import Case, DemandType, ProblemType


@dataclass(frozen=True, slots=True)
class Citation:
    """One rule or law: ``cite`` like ``《电子商务法》第20条`` and a short ``text`` (may be empty)."""

    cite: str
    text: str = ""


CSL = "《消费者权益保护法》"
ECL = "《电子商务法》"

LAW: dict[str, Citation] = {
    "csl20": Citation(
        f"{CSL}第20条", "经营者提供的商品信息(含有效期限)应当真实、全面,不得作虚假或引人误解的宣传"
    ),
    "csl24": Citation(f"{CSL}第24条", "商品不符合质量要求的,消费者可以要求退货、更换"),
    "csl29": Citation(f"{CSL}第29条", "经营者对收集的消费者个人信息必须严格保密,不得泄露"),
    "csl44": Citation(
        f"{CSL}第44条", "平台不能提供销售者真实名称、地址和有效联系方式的,消费者可以向平台要求赔偿"
    ),
    "csl48_6": Citation(f"{CSL}第48条第1款第6项", "销售的商品数量不足的,经营者应当承担民事责任"),
    "csl48_7": Citation(f"{CSL}第48条第1款第7项", "服务的内容和费用违反约定的,经营者应当承担民事责任"),
    "csl48_8": Citation(
        f"{CSL}第48条第1款第8项", "对消费者退货、退还货款的要求故意拖延或无理拒绝的,经营者应当承担民事责任"
    ),
    "csl55": Citation(
        f"{CSL}第55条", "经营者有欺诈行为的,应按消费者要求增加赔偿价款的三倍,不足五百元的为五百元"
    ),
    "ecl17": Citation(f"{ECL}第17条", "电子商务经营者应当全面、真实、准确、及时地披露商品或者服务信息"),
    "ecl20": Citation(f"{ECL}第20条", "电子商务经营者应当按照承诺或者约定的方式、时限交付商品或者服务"),
    "ecl51": Citation(f"{ECL}第51条", "在线传输交付的,以商品进入指定系统并能够检索识别的时间为交付时间"),
    "ecl59": Citation(f"{ECL}第59条", "电子商务经营者应当建立便捷、有效的投诉机制,及时受理并处理投诉"),
    "ecl62": Citation(f"{ECL}第62条", "在争议处理中,电子商务经营者应当提供原始合同和交易记录"),
    "ntm18": Citation(
        "《网络交易监督管理办法》第18条", "自动续费应在消费者接受服务前和续费日前五日以显著方式提请消费者注意"
    ),
}

BY_PROBLEM: dict[ProblemType, tuple[str, ...]] = {
    ProblemType.not_delivered: ("ecl20", "ecl51"),
    ProblemType.delayed_delivery: ("ecl20",),
    ProblemType.quantity_mismatch: ("ecl20", "csl48_6"),
    ProblemType.invalid_card_key: ("csl24", "ecl51"),
    ProblemType.short_validity: ("csl20", "csl24"),
    ProblemType.not_as_described: ("ecl17", "csl24"),
    ProblemType.auto_renewal: ("ntm18",),
    ProblemType.merchant_vanished: ("csl44", "ecl20"),
    ProblemType.false_promise: ("csl20", "ecl17"),
    ProblemType.refund_refused: ("csl48_8",),
    ProblemType.no_response: ("ecl59",),
    ProblemType.membership_not_activated: ("ecl20", "csl48_7"),
    ProblemType.account_stolen: ("ecl62",),
    ProblemType.data_leak: ("csl29",),
    ProblemType.abnormal_transaction: ("ecl62",),
    ProblemType.other: (),
}


CLAIMS: dict[ProblemType, str] = {
    ProblemType.not_delivered: "被投诉方收款后未交付商品",
    ProblemType.quantity_mismatch: "被投诉方交付的数量与订单不符",
    ProblemType.invalid_card_key: "被投诉方交付的卡密无法正常使用",
    ProblemType.short_validity: "被投诉方交付的卡密有效期过短",
    ProblemType.not_as_described: "被投诉方交付的商品与描述不符",
    ProblemType.auto_renewal: "被投诉方未提前告知即自动续费扣款",
    ProblemType.delayed_delivery: "被投诉方未按承诺的时限交付商品",
    ProblemType.merchant_vanished: "商家已无法联系,平台应当依法承担相应责任",
    ProblemType.false_promise: "被投诉方的宣传承诺未兑现",
    ProblemType.refund_refused: "被投诉方对退款要求拖延或拒绝",
    ProblemType.no_response: "被投诉方对本人的反映不予回复",
    ProblemType.membership_not_activated: "被投诉方收款后未开通会员权益",
    ProblemType.account_stolen: "本人账号被盗并发生非本人操作的交易",
    ProblemType.data_leak: "本人的个人信息被泄露",
    ProblemType.abnormal_transaction: "交易记录存在异常",
    ProblemType.other: "",
}
"""The complainant's position in one clause, restating the problem type (no new facts)."""


def laws_for(case: Case) -> list[Citation]:
    """The law citations that support this case's problem type and demands, most specific first."""
    return laws_for_types(case.problem.type, [d.type for d in case.demands])


def laws_for_types(problem: ProblemType, demands: Iterable[DemandType]) -> list[Citation]:
    """``laws_for`` from the problem type and the demand types alone."""
    keys = list(BY_PROBLEM.get(problem, ()))
    if any(d == DemandType.punitive_damages for d in demands) and "csl55" not in keys:
        keys.append("csl55")
    return [LAW[k] for k in keys]
