"""The channel plan: which channels to use for a case, in what order and when, with the reason for each.

Rules (docs/plan.md, from domain.md "Choosing channels"): inside first (merchant → platform ticket →
platform escalation), the payment channel when paid by 支付宝/微信支付 (earlier for small amounts),
12315 for fraud, a vanished merchant or large amounts, **never both 12315 and the consumer
association** (办法 art. 16), 黑猫 as public pressure after the inside steps, the platform's complaint
window (a closing window puts the platform ticket first) and the 3-year limitation (民法典 art. 188:
channels that reject older disputes are excluded). ``parallel=True`` files the allowed channels at once.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from kameng_filer.case.model import Case, ContactWith, DemandType, PaymentMethod, ProblemType
from kameng_filer.checks.limitation import limitation_end
from kameng_filer.checks.windows import CLOSING_SOON, WINDOW_STARTS, fmt_duration
from kameng_filer.timeutil import as_shanghai

SMALL_AMOUNT = Decimal("200")
"""Below this the payment channel is the strongest lever (domain.md: "under about 200 yuan")."""
LARGE_AMOUNT = Decimal("1000")
"""Above this the dispute goes to 12315 early (domain.md: "over about 1000 yuan")."""

EXCLUSIVE = ("12315", "consumer_association")
PAYMENT_CHANNELS = {PaymentMethod.alipay: "alipay", PaymentMethod.wechat_pay: "wechat_pay"}
PAYMENT_LABELS = {
    PaymentMethod.alipay: "支付宝",
    PaymentMethod.wechat_pay: "微信支付",
    PaymentMethod.bank_card: "银行卡",
    PaymentMethod.balance: "平台余额",
    PaymentMethod.other: "其他方式",
}
MANUAL = ("merchant", "legal")
"""Steps the person takes outside the toolkit (contact the merchant; court / police)."""

ESCALATION = "card_platform:escalation"
NOW = "立即"
PARALLEL_NOW = "立即(并行提交)"
AFTER_PLATFORM = "平台工单提交后,平台处理期限(约5个工作日)届满仍未解决时"
AFTER_ESCALATION = "平台升级投诉(约48小时答复)仍无结果后"


@dataclass(frozen=True)
class Missing:
    """A fact a channel needs that the case does not have yet."""

    channel: str
    field: str
    label: str

    def to_dict(self) -> dict[str, str]:
        """JSON form."""
        return {"channel": self.channel, "field": self.field, "label": self.label}


@dataclass
class Step:
    """One recommended step: a channel, when to use it (Chinese + machine-readable ``after``) and why."""

    channel: str
    when: str
    reason: str
    purpose: str = "complaint"
    after: str | None = None
    """The step this one waits for (``channel`` or ``channel:purpose``); None = now."""
    manual: bool = False
    """Done by the person outside the toolkit (merchant contact, court / police)."""
    deadline: datetime | None = None
    missing: list[Missing] = field(default_factory=list)
    done: bool = False

    @property
    def key(self) -> str:
        """``channel`` or ``channel:purpose`` (what ``after`` refers to)."""
        return self.channel if self.purpose == "complaint" else f"{self.channel}:{self.purpose}"

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``channel``, ``when``, ``reason`` plus the machine-readable extras."""
        return {
            "channel": self.channel,
            "when": self.when,
            "reason": self.reason,
            "purpose": self.purpose,
            "after": self.after,
            "immediate": self.after is None and not self.done,
            "manual": self.manual,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "missing": [m.to_dict() for m in self.missing],
            "done": self.done,
        }


@dataclass
class Excluded:
    """A channel the plan does not use, and why."""

    channel: str
    reason: str
    missing: list[Missing] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``channel``, ``reason`` (+ ``missing``)."""
        return {
            "channel": self.channel,
            "reason": self.reason,
            "missing": [m.to_dict() for m in self.missing],
        }


@dataclass
class ChannelPlan:
    """Steps in order, excluded channels with reasons, and every missing fact."""

    steps: list[Step] = field(default_factory=list)
    excluded: list[Excluded] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)

    def channels(self) -> list[str]:
        """The channels the toolkit can still file, in plan order (complaints only, no manual or done steps)."""
        out: list[str] = []
        for s in self.steps:
            if not s.manual and not s.done and s.purpose == "complaint" and s.channel not in out:
                out.append(s.channel)
        return out

    def to_dict(self) -> dict[str, Any]:
        """Exactly ``{"steps": [...], "excluded": [...]}`` (what ``kameng plan --json`` prints)."""
        return {"steps": [s.to_dict() for s in self.steps], "excluded": [e.to_dict() for e in self.excluded]}


@dataclass
class _Facts:
    amount: Decimal
    small: bool
    large: bool
    fraud: bool
    vanished: bool
    merchant_contacted: bool
    window_deadline: datetime | None
    window_text: str
    window_closing: bool
    window_closed: bool
    limitation_end: datetime | None
    limitation_passed: bool


def _window(case: Case, now: datetime) -> tuple[datetime | None, str]:
    policy = case.platform_policy
    if policy is None or policy.complaint_window is None or policy.complaint_window <= timedelta(0):
        return None, ""
    entry = WINDOW_STARTS.get(policy.window_starts)
    if entry is None:
        return None, ""
    start = (
        case.problem.discovered_at
        if policy.window_starts == "discovered_at"
        else getattr(case.order, policy.window_starts)
    )
    if start is None:
        return None, ""
    try:
        return start + policy.complaint_window, f"{entry[1]}后{fmt_duration(policy.complaint_window)}"
    except OverflowError:
        return None, ""


def _facts(case: Case, now: datetime) -> _Facts:
    amount = case.order.amount
    deadline, span = _window(case, now)
    start = case.problem.discovered_at or case.order.paid_at or case.order.ordered_at
    end = limitation_end(start) if start is not None else None
    return _Facts(
        amount=amount,
        small=amount < SMALL_AMOUNT,
        large=amount > LARGE_AMOUNT,
        fraud=case.problem.type == ProblemType.false_promise
        or any(d.type == DemandType.punitive_damages for d in case.demands),
        vanished=case.problem.type == ProblemType.merchant_vanished,
        merchant_contacted=any(c.with_ == ContactWith.merchant for c in case.contacts),
        window_deadline=deadline,
        window_text=span,
        window_closing=deadline is not None and timedelta(0) <= deadline - now <= CLOSING_SOON,
        window_closed=deadline is not None and deadline < now,
        limitation_end=end,
        limitation_passed=end is not None and now > end,
    )


def _fmt(t: datetime) -> str:
    return as_shanghai(t).strftime("%Y-%m-%d %H:%M")


def missing_for_12315(case: Case) -> list[Missing]:
    """What 12315 needs and the case lacks (办法 art. 10: names, phone, addresses of both sides)."""
    out = []
    if not case.complainant.address:
        out.append(Missing("12315", "complainant.address", "投诉人地址"))
    if not case.respondent.legal_name:
        out.append(Missing("12315", "respondent.legal_name", "被投诉方全称(经营主体)"))
    if not case.respondent.address:
        out.append(Missing("12315", "respondent.address", "被投诉方地址"))
    return out


def missing_for_association(case: Case) -> list[Missing]:
    """What the consumer association's form asks for and the case lacks."""
    out = []
    if not case.complainant.address:
        out.append(Missing("consumer_association", "complainant.address", "投诉人地址"))
    if not case.respondent.legal_name:
        out.append(
            Missing("consumer_association", "respondent.legal_name", "被投诉方全称(暂缺时以平台名称提交)")
        )
    return out


def _labels(missing: list[Missing]) -> str:
    return "、".join(m.label for m in missing)


class _Builder:
    def __init__(
        self, case: Case, now: datetime, parallel: bool, available: set[str] | None, filed: set[str]
    ) -> None:
        self.case = case
        self.now = now
        self.parallel = parallel
        self.available = available
        self.filed = filed
        self.f = _facts(case, now)
        self.plan = ChannelPlan()

    def ok(self, channel: str) -> bool:
        """True when the channel can be used here; otherwise records why not."""
        if channel in MANUAL or self.available is None or channel in self.available:
            return True
        self.exclude(channel, "该渠道未安装或未启用")
        return False

    def add(self, step: Step) -> None:
        if step.channel in self.filed and step.purpose == "complaint":
            step.done = True
            step.when = "已提交"
            step.after = None
        if self.parallel and not step.manual and step.purpose == "complaint" and not step.done:
            step.when = PARALLEL_NOW
            step.after = None
        self.plan.steps.append(step)
        self.plan.missing.extend(m for m in step.missing if m not in self.plan.missing)

    def exclude(self, channel: str, reason: str, missing: list[Missing] | None = None) -> None:
        if any(e.channel == channel for e in self.plan.excluded):
            return
        self.plan.excluded.append(Excluded(channel, reason, list(missing or [])))
        self.plan.missing.extend(m for m in (missing or []) if m not in self.plan.missing)

    # ------------------------------------------------------------------ rules

    def merchant(self) -> None:
        f = self.f
        if f.merchant_contacted:
            return
        if f.vanished:
            self.exclude("merchant", "商家已失联,跳过与商家沟通,直接向平台投诉")
            return
        when = "立即(与平台投诉同时)" if f.window_closing else NOW
        self.add(
            Step(
                "merchant",
                when,
                "先与商家沟通并保留记录:平台规则通常要求“先与商家沟通未果再投诉”,"
                "未沟通就投诉可能被视为恶意投诉；沟通后把记录补进案件的 contacts",
                manual=True,
            )
        )

    def platform(self) -> None:
        f = self.f
        if not self.ok("card_platform"):
            return
        reason = "内部优先:平台对入驻商家负有管理责任,须提供有效的投诉机制(电子商务法第38、59条)"
        after = None
        if f.window_closed:
            when = "立即(已过平台投诉时限,提交时说明未能及时投诉的原因)"
            reason += f";平台投诉时限({f.window_text})已于 {_fmt(f.window_deadline)} 截止,外部渠道同步准备"  # type: ignore[arg-type]
        elif f.window_closing:
            when = f"立即(平台投诉时限 {_fmt(f.window_deadline)} 截止)"  # type: ignore[arg-type]
            reason += f";平台投诉时限({f.window_text})即将截止,先提交、后补充证据"
        elif f.vanished:
            when = "立即(商家失联,直接向平台投诉)"
        elif not f.merchant_contacted:
            when = "联系商家后仍未解决时(一般等待商家答复不超过24小时)"
            after = "merchant"
        else:
            when = NOW
        if f.window_deadline is not None and not f.window_closed and not f.window_closing:
            reason += f";须在平台投诉时限 {_fmt(f.window_deadline)}({f.window_text})前提交"
        self.add(Step("card_platform", when, reason, after=after, deadline=f.window_deadline))

    def email(self) -> None:
        if not self.case.respondent.email:
            self.exclude("email", "案件没有平台投诉邮箱(respondent.email);平台公布投诉邮箱时填写即可使用")
            return
        if not self.ok("email"):
            return
        first = next((s for s in self.plan.steps if s.channel == "card_platform"), None)
        after = first.after if first else None
        when = "与平台工单同时" if first else NOW
        self.add(
            Step(
                "email",
                when,
                f"平台公布了投诉邮箱 {self.case.respondent.email}:邮件留下书面记录,附全部证据,可与工单同时发送",
                after=after,
            )
        )

    def payment_channel(self) -> str | None:
        pay = self.case.order.payment
        method = pay.method if pay else None
        chosen = PAYMENT_CHANNELS.get(method) if method else None
        for m, ch in PAYMENT_CHANNELS.items():
            if ch != chosen:
                paid = (
                    f"订单用{PAYMENT_LABELS[method]}支付"
                    if method
                    else "案件没有写支付方式(order.payment.method)"
                )
                self.exclude(ch, f"{paid},不是通过{PAYMENT_LABELS[m]}付款")
        return chosen if chosen and self.ok(chosen) else None

    def payment_step(self, channel: str, *, early: bool) -> None:
        f = self.f
        app = "支付宝" if channel == "alipay" else "微信支付"
        missing = []
        if not (self.case.order.payment and self.case.order.payment.transaction_no):
            missing.append(Missing(channel, "order.payment.transaction_no", "支付宝交易号 / 微信支付单号"))
        if early:
            reason = f"小额纠纷(¥{f.amount},不足约{SMALL_AMOUNT}元)支付渠道最有效:{app}掌握资金,商家逾期会被标记超时"
            if f.window_closed or f.vanished:
                when, after = NOW, None
                reason += ";平台时限已过或商家失联,不必等待平台"
            else:
                when, after = "平台工单提交后约24小时仍无实质答复时", "card_platform"
        else:
            reason = f"{app}投诉在平台内部流程走完后施压;¥{f.amount} 不属小额,先给平台处理和升级的机会"
            when, after = AFTER_ESCALATION, ESCALATION
        self.add(Step(channel, when, reason, after=after, missing=missing))

    def escalation(self) -> None:
        if not self.ok("card_platform"):
            return
        self.add(
            Step(
                "card_platform",
                "平台处理期限(约5个工作日)届满仍未解决后",
                "内部升级:向平台投诉处理部门/平台监察申请升级复核,附首次投诉记录;一般最多升级2–3次",
                purpose="escalation",
                after="card_platform",
            )
        )

    def official(self, *, urgent: bool, pay: str | None) -> None:
        """12315 or the consumer association — never both (办法 art. 16)."""
        f = self.f
        need = missing_for_12315(self.case)
        why_urgent = "、".join(
            w
            for w, on in (
                ("涉嫌欺诈(虚假承诺)", f.fraud),
                ("商家失联", f.vanished),
                (f"金额较大(¥{f.amount})", f.large),
            )
            if on
        )
        block_12315, block_missing = "", []
        if "12315" in self.filed:
            pass
        elif "consumer_association" in self.filed:
            block_12315 = "已向消费者协会投诉:12315 不受理消协已受理的纠纷(办法第16条)"
        elif f.limitation_passed:
            block_12315 = (
                f"3年诉讼时效已于 {_fmt(f.limitation_end)} 届满(民法典第188条):"  # type: ignore[arg-type]
                "12315 不受理超过3年的纠纷(办法第16条)"
            )
        elif need:
            block_12315, block_missing = f"12315 要求的信息不全(办法第10条),缺少:{_labels(need)}", need
        elif self.available is not None and "12315" not in self.available:
            block_12315 = "该渠道未安装或未启用"
        can_12315 = not block_12315
        if urgent:
            when, after = AFTER_PLATFORM, "card_platform"
        elif pay:
            when, after = f"平台升级与{'支付宝' if pay == 'alipay' else '微信支付'}投诉均未解决后", pay
        else:
            when, after = AFTER_ESCALATION, ESCALATION
        if can_12315:
            reason = (
                "外部监管渠道:12315 应在7个工作日内决定是否受理(办法第15条),可组织调解;"
                "本案投诉人地址、被投诉方全称与地址齐全,满足12315的受理要求"
            )
            reason += f";本案{why_urgent},平台处理期限过后即可提交,不必等待升级结果" if urgent else ""
            self.add(Step("12315", when, reason, after=after))
            self.exclude(
                "consumer_association",
                "与12315互斥:12315 不受理已被消费者协会受理的纠纷(办法第16条);本案信息满足12315要求,选择12315",
            )
            return
        self.exclude("12315", block_12315, block_missing)
        if self.available is not None and "consumer_association" not in self.available:
            self.exclude("consumer_association", "该渠道未安装或未启用")
            return
        miss = missing_for_association(self.case)
        reason = f"外部调解渠道(消保法第37条):未选12315,因为{block_12315};消协与12315对同一纠纷只选其一"
        if f.limitation_passed:
            reason += ";已过3年时效,各地消协受理规定不一,提交前先电话确认是否受理"
        if urgent and why_urgent:
            reason += f";本案{why_urgent}"
        self.add(Step("consumer_association", when, reason, after=after, missing=miss))

    def heimao(self) -> None:
        if not self.ok("heimao"):
            return
        self.add(
            Step(
                "heimao",
                "平台内部投诉(含升级)无结果后",
                "公开投诉平台(黑猫投诉)形成舆论压力;没有法定期限,投诉内容公开,个人信息会被遮盖",
                after=ESCALATION,
            )
        )

    def legal(self) -> None:
        f = self.f
        if not (f.fraud or f.large):
            return
        if f.limitation_passed:
            self.exclude("legal", "3年诉讼时效已届满(民法典第188条):对方提出时效抗辩时法院不予支持")
            return
        if f.fraud:
            reason = "涉嫌欺诈:可主张退一赔三、最低500元(消保法第55条);涉嫌诈骗可向公安机关报案"
        else:
            reason = f"金额较大(¥{f.amount}):可向法院提起小额诉讼,保留全部证据与投诉记录"
        official = next((s.channel for s in self.plan.steps if s.channel in EXCLUSIVE), None)
        after = official or ESCALATION
        self.add(Step("legal", "外部渠道仍未解决时", reason, after=after, manual=True))

    def build(self) -> ChannelPlan:
        f = self.f
        urgent = f.fraud or f.vanished or f.large
        if f.window_closing:
            self.platform()
            self.merchant()
        else:
            self.merchant()
            self.platform()
        self.email()
        pay = self.payment_channel()
        early_pay = bool(pay) and (f.small or f.window_closed or f.vanished)
        if pay and early_pay:
            self.payment_step(pay, early=True)
        self.escalation()
        if urgent:
            self.official(urgent=True, pay=None)
        if pay and not early_pay:
            self.payment_step(pay, early=False)
        if not urgent:
            self.official(urgent=False, pay=pay)
        self.heimao()
        self.legal()
        return self.plan


def plan_channels(
    case: Case,
    *,
    now: datetime,
    parallel: bool = False,
    available: Collection[str] | None = None,
    filed: Collection[str] | None = None,
) -> ChannelPlan:
    """The recommended channels for ``case`` at ``now``, in order, with reasons and exclusions.

    ``available`` limits the plan to these channel names (default: every built-in channel);
    ``filed`` names channels already filed for this case (they show as done, and a filed consumer
    association rules 12315 out and vice versa). ``parallel`` files every allowed channel at once —
    still never both 12315 and the consumer association.
    """
    builder = _Builder(
        case, as_shanghai(now), parallel, set(available) if available is not None else None, set(filed or ())
    )
    return builder.build()
