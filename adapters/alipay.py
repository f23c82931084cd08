"""支付宝 transaction complaint (channels.md §2) — assisted: there is no consumer web form.

App path: 我的 → 账单 → 账单详情 → 对此订单有疑问 → 投诉. The tool prepares each answer; the person taps.
Settings (``channels.alipay``): ``text_max_len`` (default 200; the consumer-side limit is unknown),
``complaint_no_pattern`` (default 8–64 letters/digits), ``reasons`` (problem type → reason option).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kameng_filer.adapters import plan_rules

from kameng_filer.adapter import FilingPlan
from kameng_filer.case.model import Case, DemandType, PaymentMethod, ProblemType
from kameng_filer.channels import ChannelSpec, FieldSpec, Requirement, status_words
from kameng_filer.errors import ConfigError
from kameng_filer.filing.assisted import AssistedAdapter, GuideStep, main_demand, money, refund_demand
from kameng_filer.planner import Facts, Planning

SPEC = ChannelSpec(
    name="alipay",
    title="支付宝交易投诉",
    kind="assisted",
    capabilities=frozenset({"submit", "reconcile", "follow_up", "assisted"}),
    role="payment",
    payment_method="alipay",
    requires=(Requirement("order.payment.transaction_no", "支付宝交易号 / 微信支付单号"),),
    status_vocabulary=status_words(
        {
            # channels.md §2 (Alipay merchant-side model: WAIT_PROCESS, MERCHANT_PROCESSING, OVERDUE, …)
            "处理中": "open",
            "商家处理中": "open",
            "商家已处理": ("resolved", "result"),
            "超时未处理": "open",
            "WAIT_PROCESS": "open",
            "MERCHANT_PROCESSING": "open",
            "MERCHANT_FEEDBACKED": ("replied", "replied"),
            "OVERDUE": "open",
            "PLATFORM_PROCESSING": ("escalated", "platform_intervened"),
            "FINISHED": ("resolved", "resolved"),
            "DROP": ("withdrawn", "withdrawn"),
        }
    ),
    description="在支付宝 App 内对账单发起投诉；工具准备好每一项，由本人操作并回填投诉单号",
    fields=(
        FieldSpec("trade_no", "支付宝交易号", source="order.payment.transaction_no", confidence="H"),
        FieldSpec(
            "reason",
            "投诉原因",
            "select",
            options=("未收到货", "商品/服务有问题", "商家欺诈", "其他"),
            source="problem.type",
            confidence="L",
        ),
        FieldSpec(
            "demand", "诉求", "select", options=("退款", "补发", "其他"), source="demands", confidence="L"
        ),
        FieldSpec("amount", "涉及金额", "money", source="demands/order.amount"),
        FieldSpec("content", "问题描述", "textarea", min_len=5, max_len=200, rendered=True, confidence="L"),
        FieldSpec("phone", "联系电话", "phone", source="complainant.phone"),
        FieldSpec(
            "images",
            "图片凭证",
            "file",
            required=False,
            accept=("image/jpeg", "image/png"),
            max_bytes=5 * 1024 * 1024,
            max_files=6,
            max_pixels=2048,
            source="evidence",
            confidence="L",
        ),
    ),
    steps=(
        "打开支付宝 → 我的 → 账单",
        "找到交易并打开账单详情",
        "点“对此订单有疑问” → 投诉",
        "按提示选择原因、诉求，粘贴描述，上传图片",
        "提交后把投诉单号回填",
    ),
)

REASONS: dict[ProblemType, str] = {
    ProblemType.not_delivered: "未收到货",
    ProblemType.delayed_delivery: "未收到货",
    ProblemType.merchant_vanished: "未收到货",
    ProblemType.quantity_mismatch: "商品/服务有问题",
    ProblemType.invalid_card_key: "商品/服务有问题",
    ProblemType.short_validity: "商品/服务有问题",
    ProblemType.not_as_described: "商品/服务有问题",
    ProblemType.auto_renewal: "商品/服务有问题",
    ProblemType.refund_refused: "商品/服务有问题",
    ProblemType.no_response: "商品/服务有问题",
    ProblemType.membership_not_activated: "商品/服务有问题",
    ProblemType.false_promise: "商家欺诈",
}
"""problem.type → 投诉原因 (the app's options are low-confidence: override with ``reasons``)."""

DEMANDS = {DemandType.refund: "退款", DemandType.redeliver: "补发"}
DETAIL_PATH = "支付宝 → 我的 → 账单 → 这笔交易的账单详情 → 投诉详情（或 我的 → 我的客服 → 投诉记录）"


class AlipayAdapter(AssistedAdapter):
    """Prepares the 支付宝 complaint and guides the person through the app."""

    spec = SPEC
    app = "支付宝"
    payment = PaymentMethod.alipay
    text_field = "content"
    reason_field = "reason"
    reason_map = REASONS
    default_number_pattern = r"[0-9A-Za-z]{8,64}"
    number_example = "8–64 位字母或数字"
    detail_path = DETAIL_PATH

    @classmethod
    def plan_rules(cls, facts: Facts) -> list[tuple[float, Callable[[Planning], None]]]:
        """The payment channel when the order was paid with 支付宝."""
        return [(plan_rules.payment_rank(facts, cls.spec), lambda p: plan_rules.payment(p, cls.spec))]

    def text_limit(self) -> int:
        """``text_max_len`` from the settings (default 200: the consumer-side limit is unknown)."""
        raw = self.settings.get("text_max_len", self.spec.field("content").max_len)
        try:
            value = int(raw)
        except (TypeError, ValueError):
            value = 0
        if not 5 <= value <= 5000:
            raise ConfigError(f"配置 channels.alipay.text_max_len 应为 5–5000 的整数，现在是 {raw!r}")
        return value

    def values(self, case: Case, purpose: str, text: str) -> dict[str, Any]:
        """交易号, 原因, 诉求, 金额, 描述, 电话 — as the app asks them."""
        demand = main_demand(case)
        amount = refund_demand(case) or case.order.amount
        return {
            "trade_no": case.order.payment.transaction_no if case.order.payment else None,
            "reason": self.reason(case),
            "demand": DEMANDS.get(demand, "其他") if demand else "其他",
            "amount": money(amount),
            "content": text,
            "phone": case.complainant.phone,
        }

    def app_steps(self, plan: FilingPlan) -> list[GuideStep]:
        """The 支付宝 path for a complaint (or, for later purposes, for the existing complaint)."""
        v = plan.fields
        t = plan.target
        find = GuideStep(
            "打开支付宝 → 我的 → 账单",
            f"找到 {t.get('paid_at') or '支付时'} 向「{t.get('payee')}」付款 {t.get('amount')} 元的那笔交易"
            "（可在账单页搜索交易号或商家名）",
        )
        detail = GuideStep(
            "打开这笔交易的账单详情，核对支付宝交易号",
            "交易号应与下面一致" if v.get("trade_no") else "案件没有交易号：请核对时间和金额",
            copy=v.get("trade_no") or "",
        )
        files = tuple(str(f.path) for f in plan.files)
        upload = GuideStep(
            f"上传图片凭证（{len(files)} 张，已压缩到 5 MB 以内）" if files else "图片凭证：没有需要上传的图片",
            f"图片在 {t.get('images_dir')}（可先发送到手机相册）" if files else "",
            files=files,
        )
        text = GuideStep("在问题描述框中粘贴以下文字", copy=str(v.get("content", "")))
        if plan.purpose != "complaint":
            action = "升级投诉 / 申请平台介入" if plan.purpose == "escalation" else "补充说明"
            return [
                find,
                GuideStep(f"打开账单详情里的投诉详情，点「{action}」", DETAIL_PATH),
                text,
                upload,
                GuideStep("点「提交」", "提交后确认投诉详情页显示了新的进度"),
            ]
        return [
            find,
            detail,
            GuideStep("点「对此订单有疑问」→「投诉」"),
            GuideStep(f"投诉原因选「{v['reason']}」"),
            GuideStep(f"诉求选「{v['demand']}」，金额填 {v['amount']} 元", copy=str(v["amount"])),
            text,
            upload,
            GuideStep("联系电话填写", copy=str(v.get("phone", ""))),
            GuideStep("点「提交」", "提交成功后打开投诉详情，记下投诉单号（建议截图）"),
        ]
