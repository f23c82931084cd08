"""The channel plan: which channels to use for a case, in what order and when, with the reason for each.

The planner names no channel. It computes the case facts (``Facts``), then asks every registered
adapter class for its planning rules (``Adapter.plan_rules``: rank + rule; the built-in rules live in
``kameng_filer.adapters.plan_rules``, a plugin can declare a ``PlanRule`` in its ``ChannelSpec``) and
runs them in rank order on a ``Planning`` (the steps so far, exclusions, availability, facts). Two
manual steps are the planner's own: contact the merchant first, and the legal route last.

Rules (docs/plan.md, from domain.md "Choosing channels"): inside first (merchant → platform ticket →
platform escalation), the payment channel when paid by 支付宝/微信支付 (earlier for small amounts),
12315 for fraud, a vanished merchant or large amounts, **never both 12315 and the consumer
association** (办法 art. 16, declared as ``ChannelSpec.exclusive_with``), 黑猫 as public pressure after
the inside steps, the platform's complaint window (a closing window puts the platform ticket first)
and the 3-year limitation (民法典 art. 188). ``parallel=True`` files the allowed channels at once.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from kameng_filer import registry
from kameng_filer.case.model import Case, ContactWith, PaymentMethod, ProblemType
from kameng_filer.checks.limitation import limitation_end
from kameng_filer.checks.routes import SMALL_CLAIMS
from kameng_filer.checks.windows import CLOSING_SOON, WINDOW_STARTS, fmt_duration
from kameng_filer.errors import KamengError
from kameng_filer.render.fraud import case_fraud_grounds
from kameng_filer.timeutil import as_shanghai

if TYPE_CHECKING:
    from kameng_filer.channels import ChannelSpec

SMALL_AMOUNT = Decimal("200")
"""Below this the payment channel is the strongest lever (domain.md: "under about 200 yuan")."""
LARGE_AMOUNT = Decimal("1000")
"""Above this the dispute goes to 12315 early (domain.md: "over about 1000 yuan")."""

MANUAL = ("merchant", "legal")
"""Steps the person takes outside the toolkit (contact the merchant; court / police)."""
MANUAL_TITLES = {"merchant": "联系商家（本人操作）", "legal": "法律途径（本人操作）"}

NOW = "立即"
PARALLEL_NOW = "立即（并行提交）"
NOT_AVAILABLE = "该渠道未安装或未启用"

Rule = Callable[["Planning"], None]
"""One planning rule: looks at the planning so far and adds steps or exclusions."""


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
class Facts:
    """What the planning rules know about the case (computed once per plan)."""

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
    method: PaymentMethod | None = None
    """How the order was paid (``order.payment.method``)."""
    pay: str | None = None
    """The available payment channel declared for ``method`` (``ChannelSpec.payment_method``)."""

    @property
    def urgent(self) -> bool:
        """Fraud, a vanished merchant or a large amount: the authorities come early."""
        return self.fraud or self.vanished or self.large

    @property
    def paid(self) -> bool:
        """The order's payment method is known."""
        return self.method is not None

    @property
    def early_pay(self) -> bool:
        """The payment channel comes early (small amount, closed window or vanished merchant)."""
        return bool(self.pay) and (self.small or self.window_closed or self.vanished)


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


def _facts(case: Case, now: datetime) -> Facts:
    amount = case.order.amount
    deadline, span = _window(case, now)
    start = case.problem.discovered_at or case.order.paid_at or case.order.ordered_at
    end = limitation_end(start) if start is not None else None
    pay = case.order.payment
    return Facts(
        method=pay.method if pay else None,
        amount=amount,
        small=amount < SMALL_AMOUNT,
        large=amount > LARGE_AMOUNT,
        fraud=bool(case_fraud_grounds(case)),  # evidence of fraud; demanding art. 55 is none
        vanished=case.problem.type == ProblemType.merchant_vanished,
        merchant_contacted=any(c.with_ == ContactWith.merchant for c in case.contacts),
        window_deadline=deadline,
        window_text=span,
        window_closing=deadline is not None and timedelta(0) <= deadline - now <= CLOSING_SOON,
        window_closed=deadline is not None and deadline < now,
        limitation_end=end,
        limitation_passed=end is not None and now > end,
    )


def fmt_time(t: datetime) -> str:
    """A plan's way of writing a time (Shanghai, minutes)."""
    return as_shanghai(t).strftime("%Y-%m-%d %H:%M")


def labels(missing: list[Missing]) -> str:
    """The labels of missing facts, joined for a sentence."""
    return "、".join(m.label for m in missing)


class Planning:
    """The plan being built: the case, its facts, availability, what is filed, and the steps so far."""

    def __init__(
        self, case: Case, now: datetime, parallel: bool, available: set[str] | None, filed: set[str]
    ) -> None:
        self.case = case
        self.now = now
        self.parallel = parallel
        self.available = available
        self.filed = filed
        self.facts = _facts(case, now)
        self.plan = ChannelPlan()
        self.specs = {s.name: s for s in registry.all_specs()}
        method = self.facts.method
        self.facts.pay = next(
            (
                s.name
                for s in self.specs.values()
                if method is not None and s.payment_method == method.value and self.usable(s.name)
            ),
            None,
        )

    def usable(self, channel: str) -> bool:
        """True when the channel may be used (installed and, when limited, in ``available``)."""
        return channel in MANUAL or self.available is None or channel in self.available

    def ok(self, channel: str) -> bool:
        """True when the channel can be used here; otherwise records why not."""
        if self.usable(channel):
            return True
        self.exclude(channel, NOT_AVAILABLE)
        return False

    def role(self, channel: str) -> str:
        """The declared role of a channel (``official``…); "" for manual steps and unknown channels."""
        spec = self.specs.get(channel)
        return spec.role if spec else ""

    def step(self, channel: str, purpose: str = "complaint") -> Step | None:
        """The plan's step for ``channel`` and ``purpose``, if any."""
        return next((s for s in self.plan.steps if s.channel == channel and s.purpose == purpose), None)

    def excluded_reason(self, channel: str) -> str:
        """Why ``channel`` was excluded ("" when it was not)."""
        return next((e.reason for e in self.plan.excluded if e.channel == channel), "")

    def missing(self, spec: ChannelSpec) -> list[Missing]:
        """What ``spec`` requires that the case lacks."""
        return [Missing(spec.name, r.path, r.label) for r in spec.missing(self.case)]

    def add(self, step: Step) -> None:
        """Append a step (marked done when filed; immediate when planning in parallel)."""
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
        """Record that ``channel`` is not used, and why (first reason wins)."""
        if any(e.channel == channel for e in self.plan.excluded):
            return
        self.plan.excluded.append(Excluded(channel, reason, list(missing or [])))
        self.plan.missing.extend(m for m in (missing or []) if m not in self.plan.missing)

    def partners(self, spec: ChannelSpec) -> list[str]:
        """The channels exclusive with ``spec``, declared on either side (``ChannelSpec.exclusive_with``)."""
        out = list(spec.exclusive_with)
        out += [s.name for s in self.specs.values() if spec.name in s.exclusive_with and s.name not in out]
        return out

    def exclusive_step(self, spec: ChannelSpec) -> str:
        """The channel exclusive with ``spec`` that is already planned or filed ("" when none)."""
        for other in self.partners(spec):
            if other in self.filed or self.step(other) is not None:
                return other
        return ""


# ---------------------------------------------------------------------------- the planner's own rules


def merchant_rule(p: Planning) -> None:
    """Contact the merchant first (skipped when done or when the merchant vanished)."""
    f = p.facts
    if f.merchant_contacted:
        return
    if f.vanished:
        p.exclude("merchant", "商家已失联，跳过与商家沟通，直接向平台投诉")
        return
    when = "立即（与平台投诉同时）" if f.window_closing else NOW
    p.add(
        Step(
            "merchant",
            when,
            "先与商家沟通并保留记录：平台规则通常要求“先与商家沟通未果再投诉”，"
            "未沟通就投诉可能被视为恶意投诉；沟通后把记录补进案件的 contacts",
            manual=True,
        )
    )


def legal_rule(p: Planning) -> None:
    """Police at once for a vanished merchant or fraud; the (small-claims) court when the channels fail.

    Court is not only for large amounts (most disputes fit the small-claims procedure, 民事诉讼法 165;
    online delivery lets the buyer sue at home, 民诉法解释 20). A passed limitation is a warning, not an
    exclusion: a court does not raise it by itself and the other side may still pay.
    """
    f = p.facts
    court = "平台和监管渠道仍未解决时向法院起诉：" + SMALL_CLAIMS
    if f.fraud:
        court += "；有欺诈证据的，可向销售商家主张退一赔三、最低500元（消保法第55条）"
    if f.limitation_passed:
        court += (
            f"；3年诉讼时效已于 {fmt_time(f.limitation_end)} 届满（民法典第188条）："  # type: ignore[arg-type]
            "法院不会主动适用时效，对方提出时效抗辩时才不予支持，对方也仍可自愿退款"
        )
    if f.vanished or f.fraud:
        why = "商家收款后失联" if f.vanished else "涉嫌欺诈"
        reason = (
            f"{why}：现在就向公安机关报案（110或派出所），不必等其他渠道处理完；"
            "同一商家的受害者一起报案，合计金额更容易达到诈骗罪的立案标准；" + court
        )
        p.add(Step("legal", NOW, reason, manual=True))
        return
    official = next((s.channel for s in p.plan.steps if p.role(s.channel) == "official"), None)
    escalation = next((s.key for s in p.plan.steps if s.purpose == "escalation"), None)
    last = next((s.key for s in reversed(p.plan.steps) if not s.manual), None)
    after = official or escalation or last
    p.add(Step("legal", "外部渠道仍未解决时", court, after=after, manual=True))


def data_rule(spec: ChannelSpec) -> Rule:
    """The rule of a channel that declares its plan as data (``ChannelSpec.plan``)."""

    def rule(p: Planning) -> None:
        declared = spec.plan
        if declared is None:
            return
        if declared.only_if and not any(bool(getattr(p.facts, name, False)) for name in declared.only_if):
            p.exclude(spec.name, f"本案不符合该渠道的使用条件（{'、'.join(declared.only_if)}）")
            return
        if not p.ok(spec.name):
            return
        other = p.exclusive_step(spec)
        if other and spec.name not in p.filed:
            title = p.specs[other].title if other in p.specs else other
            p.exclude(spec.name, f"与「{title}」互斥：同一纠纷只选其一")
            return
        p.add(Step(spec.name, declared.when, declared.reason, after=declared.after, missing=p.missing(spec)))

    return rule


def _rules(p: Planning) -> list[Rule]:
    ranked: list[tuple[float, str, Rule]] = [
        (25 if p.facts.window_closing else 10, "merchant", merchant_rule),
        (90, "legal", legal_rule),
    ]
    for name in registry.names():
        try:
            cls = registry.adapter_class(name)
            own = cls.plan_rules(p.facts)
            if not own and cls.spec.plan is not None:
                own = [(cls.spec.plan.rank, data_rule(cls.spec))]
            ranked.extend((rank, name, rule) for rank, rule in own)
        except KamengError:  # a broken plugin is left out of the plan, as from ``adapters list``
            continue
    ranked.sort(key=lambda r: (r[0], r[1]))
    return [rule for _, _, rule in ranked]


def plan_channels(
    case: Case,
    *,
    now: datetime,
    parallel: bool = False,
    available: Collection[str] | None = None,
    filed: Collection[str] | None = None,
) -> ChannelPlan:
    """The recommended channels for ``case`` at ``now``, in order, with reasons and exclusions.

    ``available`` limits the plan to these channel names (default: every registered channel);
    ``filed`` names channels already filed for this case (they show as done, and a filed channel rules
    out the ones declared exclusive with it). ``parallel`` files every allowed channel at once — still
    never two exclusive channels.
    """
    p = Planning(
        case, as_shanghai(now), parallel, set(available) if available is not None else None, set(filed or ())
    )
    for rule in _rules(p):
        rule(p)
    return p.plan
