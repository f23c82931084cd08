"""微信支付 transaction complaint (channels.md §3) — assisted: there is no consumer web form.

App path: 我 → 服务 → 钱包 → 账单 → 账单详情 → 对订单有疑惑 → 投诉商家. The tool prepares each answer
(detail text 1–300 characters, problem type 申请退款 / 服务权益未生效 / 其他, refund amount, ≤4 images),
the person taps, and the complaint number (digits, ≤64) is read back. Settings (``channels.wechat_pay``):
``complaint_no_pattern``, ``reasons`` (problem type → problem-type option).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kameng_filer.adapters import plan_rules

from kameng_filer.adapter import FilingPlan
from kameng_filer.case.model import Case, PaymentMethod, ProblemType
from kameng_filer.channels import ChannelSpec, FieldSpec, Requirement, status_words
from kameng_filer.filing.assisted import AssistedAdapter, GuideStep, money, refund_demand
from kameng_filer.planner import Facts, Planning

SPEC = ChannelSpec(
    name="wechat_pay",
    title="微信支付交易投诉",
    kind="assisted",
    capabilities=frozenset({"submit", "reconcile", "follow_up", "assisted"}),
    role="payment",
    payment_method="wechat_pay",
    requires=(Requirement("order.payment.transaction_no", "支付宝交易号 / 微信支付单号"),),
    status_vocabulary=status_words(
        {
            # channels.md §3: 待处理 → 处理中 (the merchant's first reply) → 已处理完成
            "处理中": ("replied", "replied"),
            "PENDING": "open",
            "PROCESSING": ("replied", "replied"),
            "PROCESSED": ("resolved", "result"),
        }
    ),
    description="在微信账单详情里投诉商家；工具准备好每一项，由本人操作并回填投诉单号",
    fields=(
        FieldSpec("transaction_id", "微信支付单号", source="order.payment.transaction_no", confidence="H"),
        FieldSpec(
            "problem_type",
            "问题类型",
            "select",
            options=("申请退款", "服务权益未生效", "其他"),
            source="problem.type",
            confidence="H",
        ),
        FieldSpec("refund_amount", "申请退款金额", "money", required=False, source="demands", confidence="H"),
        FieldSpec("detail", "投诉详情", "textarea", min_len=1, max_len=300, rendered=True, confidence="H"),
        FieldSpec("phone", "联系电话", "phone", source="complainant.phone"),
        FieldSpec(
            "images",
            "图片",
            "file",
            required=False,
            accept=("image/jpeg", "image/png"),
            max_bytes=2 * 1024 * 1024,
            max_files=4,
            max_pixels=1920,
            source="evidence",
            confidence="M",
        ),
    ),
    steps=(
        "打开微信 → 我 → 服务 → 钱包 → 账单",
        "打开账单详情 → 对订单有疑惑 → 投诉商家",
        "选择问题类型，填写详情与退款金额，上传图片",
        "提交后把投诉单号回填",
    ),
)

NOT_WORKING = {
    ProblemType.not_delivered,
    ProblemType.delayed_delivery,
    ProblemType.merchant_vanished,
    ProblemType.quantity_mismatch,
    ProblemType.invalid_card_key,
    ProblemType.short_validity,
    ProblemType.membership_not_activated,
}
REASONS: dict[ProblemType, str] = {t: "服务权益未生效" for t in NOT_WORKING}
"""problem.type → 问题类型 when no refund is asked (with a refund demand the type is 申请退款)."""

DETAIL_PATH = "微信 → 我 → 服务 → 钱包 → 账单 → 这笔交易的账单详情 → 投诉进度（或 微信支付公众号的投诉消息）"


class WechatPayAdapter(AssistedAdapter):
    """Prepares the 微信支付 complaint and guides the person through the app."""

    spec = SPEC
    app = "微信"
    payment = PaymentMethod.wechat_pay
    text_field = "detail"
    reason_field = "problem_type"
    reason_map = REASONS
    default_number_pattern = r"\d{1,64}"
    number_example = "最多 64 位数字，例如 200201820200101080076610000"
    detail_path = DETAIL_PATH

    @classmethod
    def plan_rules(cls, facts: Facts) -> list[tuple[float, Callable[[Planning], None]]]:
        """The payment channel when the order was paid with 微信支付."""
        return [(plan_rules.payment_rank(facts, cls.spec), lambda p: plan_rules.payment(p, cls.spec))]

    def reason(self, case: Case) -> str:
        """申请退款 when a refund is asked (unless ``reasons`` says otherwise), else by problem type."""
        custom = self.settings.get("reasons") or {}
        if isinstance(custom, dict) and case.problem.type.value in custom:
            return super().reason(case)
        if refund_demand(case):
            return "申请退款"
        return super().reason(case)

    def values(self, case: Case, purpose: str, text: str) -> dict[str, Any]:
        """单号, 问题类型, 退款金额, 详情, 电话 — as the app asks them."""
        refund = refund_demand(case)
        return {
            "transaction_id": case.order.payment.transaction_no if case.order.payment else None,
            "problem_type": self.reason(case),
            "refund_amount": money(refund) if refund else None,
            "detail": text,
            "phone": case.complainant.phone,
        }

    def app_steps(self, plan: FilingPlan) -> list[GuideStep]:
        """The 微信 path for a complaint (or, for later purposes, for the existing complaint)."""
        v = plan.fields
        t = plan.target
        find = GuideStep(
            "打开微信 → 我 → 服务 → 钱包 → 账单",
            f"找到 {t.get('paid_at') or '支付时'} 付给「{t.get('payee')}」{t.get('amount')} 元的那笔账单",
        )
        detail = GuideStep(
            "打开账单详情，核对微信支付单号（账单详情里的“交易单号”）",
            "单号应与下面一致" if v.get("transaction_id") else "案件没有单号：请核对时间和金额",
            copy=v.get("transaction_id") or "",
        )
        files = tuple(str(f.path) for f in plan.files)
        upload = GuideStep(
            f"上传图片（{len(files)} 张，每张已压缩到 2 MB 以内）" if files else "图片：没有需要上传的图片",
            f"图片在 {t.get('images_dir')}（可先发送到手机相册）" if files else "",
            files=files,
        )
        text = GuideStep("在投诉详情框中粘贴以下文字（1–300 字）", copy=str(v.get("detail", "")))
        if plan.purpose != "complaint":
            action = "申请平台介入" if plan.purpose == "escalation" else "补充说明 / 继续投诉"
            return [
                find,
                GuideStep(f"打开账单详情里的投诉进度，点「{action}」", DETAIL_PATH),
                text,
                upload,
                GuideStep("点「提交」", "提交后确认投诉进度页显示了新的记录"),
            ]
        refund = v.get("refund_amount")
        steps = [
            find,
            detail,
            GuideStep("点「对订单有疑惑」→「投诉商家」"),
            GuideStep(f"问题类型选「{v['problem_type']}」"),
        ]
        if refund:
            steps.append(GuideStep(f"申请退款金额填 {refund} 元", copy=str(refund)))
        steps += [
            text,
            upload,
            GuideStep("联系电话填写", copy=str(v.get("phone", ""))),
            GuideStep("点「提交」", "提交成功后打开投诉进度，记下投诉单号（一串数字，建议截图）"),
        ]
        return steps
