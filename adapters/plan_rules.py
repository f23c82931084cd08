"""The built-in channels' planning rules (``Adapter.plan_rules`` of each built-in adapter).

They live with the adapters, so the planner itself names no channel. Each rule receives the
``Planning`` (facts, steps so far, exclusions) and the channel's ``ChannelSpec``. Ranks: 10 merchant
(25 when the platform's window is closing), 20 platform, 30 e-mail, 35 early payment channel,
40 platform escalation, 50/51 official channels when urgent, 60 late payment channel, 70/71 official
channels otherwise, 80 public (黑猫, declared as data), 90 legal.
"""

from __future__ import annotations

from kameng_filer.case.model import Case, PaymentMethod
from kameng_filer.channels import ChannelSpec
from kameng_filer.planner import NOW, SMALL_AMOUNT, Facts, Planning, Step, fmt_time, labels

PLATFORM = "card_platform"
ASSOCIATION = "consumer_association"
ESCALATION = "card_platform:escalation"
AFTER_PLATFORM = "平台工单提交后，平台处理期限（约5个工作日）届满仍未解决时"
AFTER_ESCALATION = "平台升级投诉（约48小时答复）仍无结果后"
PAYMENT_LABELS = {
    PaymentMethod.alipay: "支付宝",
    PaymentMethod.wechat_pay: "微信支付",
    PaymentMethod.bank_card: "银行卡",
    PaymentMethod.balance: "平台余额",
    PaymentMethod.other: "其他方式",
}

RANK_PLATFORM = 20
RANK_EMAIL = 30
RANK_PAYMENT_EARLY = 35
RANK_ESCALATION = 40
RANK_OFFICIAL_URGENT = 50
RANK_PAYMENT_LATE = 60
RANK_OFFICIAL = 70
RANK_PUBLIC = 80


def platform(p: Planning, spec: ChannelSpec) -> None:
    """The platform's own ticket: first (after the merchant), sooner when its window closes."""
    f = p.facts
    if not p.ok(spec.name):
        return
    reason = "内部优先：平台对入驻商家负有管理责任，须提供有效的投诉机制（电子商务法第38、59条）"
    after = None
    if f.window_closed:
        when = "立即（已过平台投诉时限，提交时说明未能及时投诉的原因）"
        reason += f"；平台投诉时限（{f.window_text}）已于 {fmt_time(f.window_deadline)} 截止，外部渠道同步准备"  # type: ignore[arg-type]
    elif f.window_closing:
        when = f"立即（平台投诉时限 {fmt_time(f.window_deadline)} 截止）"  # type: ignore[arg-type]
        reason += f"；平台投诉时限（{f.window_text}）即将截止，先提交、后补充证据"
    elif f.vanished:
        when = "立即（商家失联，直接向平台投诉）"
    elif not f.merchant_contacted:
        when = "联系商家后仍未解决时（一般等待商家答复不超过24小时）"
        after = "merchant"
    else:
        when = NOW
    if f.window_deadline is not None and not f.window_closed and not f.window_closing:
        reason += f"；须在平台投诉时限 {fmt_time(f.window_deadline)}（{f.window_text}）前提交"
    p.add(Step(spec.name, when, reason, after=after, deadline=f.window_deadline))


def escalation(p: Planning, spec: ChannelSpec) -> None:
    """The platform's internal escalation after its handling period."""
    if not p.ok(spec.name):
        return
    p.add(
        Step(
            spec.name,
            "平台处理期限（约5个工作日）届满仍未解决后",
            "内部升级：向平台投诉处理部门/平台监察申请升级复核，附首次投诉记录；一般最多升级2–3次",
            purpose="escalation",
            after=spec.name,
        )
    )


def email(p: Planning, spec: ChannelSpec) -> None:
    """The platform's complaint mailbox, together with the platform ticket."""
    address = p.case.respondent.email
    if not address:
        p.exclude(spec.name, "案件没有平台投诉邮箱（respondent.email）；平台公布投诉邮箱时填写即可使用")
        return
    if not p.ok(spec.name):
        return
    first = p.step(PLATFORM)
    p.add(
        Step(
            spec.name,
            "与平台工单同时" if first else NOW,
            f"平台公布了投诉邮箱 {address}：邮件留下书面记录，附全部证据，可与工单同时发送",
            after=first.after if first else None,
        )
    )


def payment_rank(facts: Facts, spec: ChannelSpec) -> float:
    """Early unless this is the order's payment channel and it comes after the inside steps.

    The order's own channel runs just after the others (they are excluded first)."""
    if facts.method is None or facts.method.value != spec.payment_method:
        return RANK_PAYMENT_EARLY
    late = facts.pay == spec.name and not facts.early_pay
    return RANK_PAYMENT_LATE if late else RANK_PAYMENT_EARLY + 0.5


def payment(p: Planning, spec: ChannelSpec) -> None:
    """The payment channel the order was paid through; the others are excluded with the reason."""
    f = p.facts
    mine = PaymentMethod(spec.payment_method)
    if f.method != mine:
        paid = f"订单用{PAYMENT_LABELS[f.method]}支付" if f.method else "案件没有写支付方式（order.payment.method）"
        p.exclude(spec.name, f"{paid}，不是通过{PAYMENT_LABELS[mine]}付款")
        return
    if not p.ok(spec.name):
        return
    app = PAYMENT_LABELS[mine]
    if f.early_pay:
        reason = f"小额纠纷（¥{f.amount}，不足约{SMALL_AMOUNT}元）支付渠道最有效：{app}掌握资金，商家逾期会被标记超时"
        if f.window_closed or f.vanished:
            when, after = NOW, None
            reason += "；平台时限已过或商家失联，不必等待平台"
        else:
            when, after = "平台工单提交后约24小时仍无实质答复时", PLATFORM
    else:
        reason = f"{app}投诉在平台内部流程走完后施压；¥{f.amount} 不属小额，先给平台处理和升级的机会"
        when, after = AFTER_ESCALATION, ESCALATION
    p.add(Step(spec.name, when, reason, after=after, missing=p.missing(spec)))


def official_rank(facts: Facts) -> float:
    """Right after the platform when urgent, else after the payment channel."""
    return RANK_OFFICIAL_URGENT if facts.urgent else RANK_OFFICIAL


def _official_timing(p: Planning) -> tuple[str, str]:
    f = p.facts
    if f.urgent:
        return AFTER_PLATFORM, PLATFORM
    if f.pay and f.method is not None:
        return f"平台升级与{PAYMENT_LABELS[f.method]}投诉均未解决后", f.pay
    return AFTER_ESCALATION, ESCALATION


def _why_urgent(p: Planning) -> str:
    f = p.facts
    return "、".join(
        w
        for w, on in (
            ("涉嫌欺诈", f.fraud),
            ("商家失联", f.vanished),
            (f"金额较大（¥{f.amount}）", f.large),
        )
        if on
    )


def gov12315(p: Planning, spec: ChannelSpec) -> None:
    """12315 when its prerequisites are met, nothing exclusive with it is filed, and within 3 years."""
    f = p.facts
    need = p.missing(spec)
    block, block_missing = "", []
    if spec.name in p.filed:
        pass
    elif any(other in p.filed for other in p.partners(spec)):
        other = next(o for o in p.partners(spec) if o in p.filed)
        block = (
            "已向消费者协会投诉：12315 不受理消协已受理的纠纷（办法第16条）"
            if other == ASSOCIATION
            else f"已向「{p.specs[other].title if other in p.specs else other}」投诉，与12315互斥"
        )
    elif f.limitation_passed:
        block = (
            f"3年诉讼时效已于 {fmt_time(f.limitation_end)} 届满（民法典第188条）："  # type: ignore[arg-type]
            "12315 不受理超过3年的纠纷（办法第16条）"
        )
    elif need:
        block, block_missing = f"12315 要求的信息不全（办法第10条），缺少：{labels(need)}", need
    elif not p.usable(spec.name):
        block = "该渠道未安装或未启用"
    if block:
        p.exclude(spec.name, block, block_missing)
        return
    when, after = _official_timing(p)
    reason = (
        "外部监管渠道：12315 应在7个工作日内决定是否受理（办法第15条），可组织调解；"
        "本案投诉人地址、被投诉方全称与地址齐全，满足12315的受理要求"
    )
    why = _why_urgent(p)
    reason += f"；本案{why}，平台处理期限过后即可提交，不必等待升级结果" if f.urgent else ""
    reason += report_12315(p.case)
    p.add(Step(spec.name, when, reason, after=after))


def report_12315(case: Case) -> str:
    """For auto-renewal or false advertising: also a 12315 举报 (a report asks the regulator to act)."""
    from kameng_filer.checks.routes import reported_violation

    what = reported_violation(case)
    return f"；{what}是违法行为，还可以同时在12315“我要举报”，请市场监管部门查处" if what else ""


def association(p: Planning, spec: ChannelSpec) -> None:
    """The consumer association when the channel exclusive with it (12315) was not chosen."""
    f = p.facts
    chosen = next((o for o in p.partners(spec) if p.step(o) is not None), "")
    if chosen:
        p.exclude(
            spec.name,
            "与12315互斥：12315 不受理已被消费者协会受理的纠纷（办法第16条）；本案信息满足12315要求，选择12315",
        )
        return
    if not p.ok(spec.name):
        return
    block = next((p.excluded_reason(o) for o in p.partners(spec) if p.excluded_reason(o)), "")
    when, after = _official_timing(p)
    reason = f"外部调解渠道（消保法第37条）：未选12315，因为{block}；消协与12315对同一纠纷只选其一"
    if f.limitation_passed:
        reason += "；已过3年时效，各地消协受理规定不一，提交前先电话确认是否受理"
    why = _why_urgent(p)
    if f.urgent and why:
        reason += f"；本案{why}"
    if report_12315(p.case):  # a 12315 report is not a complaint: it does not clash with the association
        reason += report_12315(p.case).replace("同时", "在向消协投诉的同时")
    p.add(Step(spec.name, when, reason, after=after, missing=p.missing(spec)))
