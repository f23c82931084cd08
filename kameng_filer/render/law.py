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
    version: str = ""
    """Which text of the regulation is cited (revision and date in force), e.g. ``2013年修正``."""


CSL = "《消费者权益保护法》"
ECL = "《电子商务法》"
CIVIL = "《民法典》"
CSL_REG = "《消费者权益保护法实施条例》"
PIPL = "《个人信息保护法》"
NTM = "《网络交易监督管理办法》"

VERSIONS: dict[str, str] = {
    CSL: "2013年10月25日修正，2014年3月15日起施行",
    ECL: "2019年1月1日起施行",
    CIVIL: "2021年1月1日起施行",
    CSL_REG: "2024年7月1日起施行",
    PIPL: "2021年11月1日起施行",
    NTM: "2021年5月1日起施行",
}
"""The text of each regulation the citations follow (one table; docs/channels.md lists it too)."""

LAW: dict[str, Citation] = {
    "csl20": Citation(
        f"{CSL}第20条", "经营者提供的商品信息（含有效期限）应当真实、全面，不得作虚假或引人误解的宣传"
    ),
    "csl24": Citation(f"{CSL}第24条", "商品不符合质量要求的，消费者可以要求退货、更换"),
    "csl29": Citation(f"{CSL}第29条", "经营者对收集的消费者个人信息必须严格保密，不得泄露"),
    "csl44": Citation(
        f"{CSL}第44条", "平台不能提供销售者真实名称、地址和有效联系方式的，消费者可以向平台要求赔偿"
    ),
    "csl48_6": Citation(f"{CSL}第48条第1款第6项", "销售的商品数量不足的，经营者应当承担民事责任"),
    "csl48_7": Citation(f"{CSL}第48条第1款第7项", "服务的内容和费用违反约定的，经营者应当承担民事责任"),
    "csl48_8": Citation(
        f"{CSL}第48条第1款第8项", "对消费者退货、退还货款的要求故意拖延或无理拒绝的，经营者应当承担民事责任"
    ),
    "csl26": Citation(
        f"{CSL}第26条",
        "经营者不得以格式条款、通知、声明等方式排除或者限制消费者权利、减轻或者免除经营者责任，其内容无效",
    ),
    "csl48_124": Citation(
        f"{CSL}第48条第1款第1、2、4项",
        "商品存在缺陷、不具备应当具备的使用性能或不符合商品说明表明的质量状况的，经营者应当承担民事责任",
    ),
    "civ497": Citation(
        f"{CIVIL}第497条", "不合理地免除或者减轻其责任、加重对方责任、限制对方主要权利的格式条款无效"
    ),
    "ecl49": Citation(
        f"{ECL}第49条", "用户提交订单成功即合同成立，经营者不得以格式条款排除消费者权利，此类条款无效"
    ),
    "csl_reg10": Citation(
        f"{CSL_REG}第10条", "经营者以自动续费等方式提供服务的，应当在续费日前以显著方式提请消费者注意"
    ),
    "pipl69": Citation(
        f"{PIPL}第69条",
        "处理个人信息侵害个人信息权益造成损害，处理者不能证明自己没有过错的，应当承担赔偿责任",
    ),
    "csl55": Citation(
        f"{CSL}第55条", "经营者有欺诈行为的，应按消费者要求增加赔偿价款的三倍，不足五百元的为五百元"
    ),
    "ecl17": Citation(f"{ECL}第17条", "电子商务经营者应当全面、真实、准确、及时地披露商品或者服务信息"),
    "ecl20": Citation(f"{ECL}第20条", "电子商务经营者应当按照承诺或者约定的方式、时限交付商品或者服务"),
    "ecl51": Citation(f"{ECL}第51条", "在线传输交付的，以商品进入指定系统并能够检索识别的时间为交付时间"),
    "ecl59": Citation(f"{ECL}第59条", "电子商务经营者应当建立便捷、有效的投诉机制，及时受理并处理投诉"),
    "ecl62": Citation(f"{ECL}第62条", "在争议处理中，电子商务经营者应当提供原始合同和交易记录"),
    "ntm18": Citation(f"{NTM}第18条", "自动续费应在消费者接受服务前和续费日前五日以显著方式提请消费者注意"),
}

BY_PROBLEM: dict[ProblemType, tuple[str, ...]] = {
    ProblemType.not_delivered: ("ecl20", "ecl51"),
    ProblemType.delayed_delivery: ("ecl20",),
    ProblemType.quantity_mismatch: ("ecl20", "csl48_6"),
    ProblemType.invalid_card_key: ("csl24", "csl48_124"),  # not 电商法 51: it helps the seller here
    ProblemType.short_validity: ("csl20", "csl24"),
    ProblemType.not_as_described: ("ecl17", "csl24"),
    ProblemType.auto_renewal: ("ntm18", "csl_reg10"),
    ProblemType.merchant_vanished: ("csl44", "ecl20"),
    ProblemType.false_promise: ("csl20", "ecl17"),
    ProblemType.refund_refused: ("csl48_8",),
    ProblemType.no_response: ("ecl59",),
    ProblemType.membership_not_activated: ("ecl20", "csl48_7"),
    ProblemType.account_stolen: ("ecl62",),
    ProblemType.data_leak: ("csl29", "pipl69"),
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
    ProblemType.merchant_vanished: "商家已无法联系，平台应当依法承担相应责任",
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


def claim_for(problem: ProblemType, merchant: str) -> str:
    """The claim naming the party at fault: an in-platform seller is named, and the platform is asked
    to disclose the seller's identity or pay first (消保法 44)."""
    claim = CLAIMS.get(problem, "")
    if not merchant or not claim.startswith("被投诉方"):
        return claim
    return (
        claim.replace("被投诉方", f"入驻商户“{merchant}”", 1)
        + "；平台应当提供该商户的真实名称、地址和有效联系方式，不能提供的应当先行赔偿"
        + "（《消费者权益保护法》第44条）"
    )


UNFAIR_TERMS = ("概不退换", "不退不换", "概不退款", "不予退换", "开通即同意", "发出后不退", "售出不退")
"""Words of a standard term that excludes the buyer's rights: cite 消保法 26 / 民法典 497 / 电商法 49."""


def laws_for(case: Case) -> list[Citation]:
    """The law citations that support this case's problem type and demands, most specific first."""
    text = " ".join(
        [case.problem.summary, *(t.event for t in case.timeline), *(c.summary for c in case.contacts)]
    )
    from kameng_filer.render.fraud import case_fraud_grounds

    fraud = bool(case_fraud_grounds(case))  # art. 55 only with evidence of fraud
    demands = [d.type for d in case.demands if fraud or d.type != DemandType.punitive_damages]
    return laws_for_types(case.problem.type, demands, text + (case.order.promise or ""))


def laws_for_types(problem: ProblemType, demands: Iterable[DemandType], text: str = "") -> list[Citation]:
    """``laws_for`` from the problem type, the demand types and the case's own words (``text``)."""
    keys = list(BY_PROBLEM.get(problem, ()))
    if any(term in text for term in UNFAIR_TERMS):
        keys += ["csl26", "civ497", "ecl49"]
    if any(d == DemandType.punitive_damages for d in demands) and "csl55" not in keys:
        keys.append("csl55")
    out, named = [], set()
    for k in keys:
        c = LAW[k]
        name = c.cite[: c.cite.index("》") + 1]
        out.append(c if name in named else Citation(c.cite, c.text, VERSIONS.get(name, "")))
        named.add(name)  # the version is said once per regulation
    return out


def rule_cite(source: str, article: str | None) -> str:
    """A rule's citation: ``《用户协议》`` + ``第5.3条`` joined, any other article in brackets."""
    source, article = source.strip(), (article or "").strip()
    if not article or article in source:
        return source
    if article.startswith("第"):
        return source + article
    if source.endswith("》") and article[0].isdigit():
        return f"{source}第{article}条"
    return f"{source}（{article}）"


def _key(cite: str) -> str:
    return "".join(cite.split()).replace("(", "（").replace(")", "）")


def merge_citations(
    rules: Iterable[Citation], laws: Iterable[Citation]
) -> tuple[tuple[Citation, ...], tuple[Citation, ...]]:
    """Rules and laws with every citation once: a law the person's own rule already cites is left out."""
    seen: set[str] = set()
    kept_rules = []
    for r in rules:
        if _key(r.cite) not in seen:
            seen.add(_key(r.cite))
            kept_rules.append(r)
    kept_laws = []
    for law in laws:
        if _key(law.cite) not in seen:
            seen.add(_key(law.cite))
            kept_laws.append(law)
    return tuple(kept_rules), tuple(kept_laws)
