"""卡盟 / 发卡 platform's own ticket or complaint form (channels.md §1), driven by a site profile.

Family A (member ticket, 工单): login (image captcha) → 工单 → 新建 → 售后支持 → order → proof image →
priority → title (4–100) → content → submit → ticket number ``TK`` + yymmddHHMMSS + 8 hex.
Family B (guest complaint): order number + phone → SMS code → type → description → contact → submit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kameng_filer.adapters import plan_rules

from kameng_filer.case.model import Case, ProblemType
from kameng_filer.channels import IMAGE_TYPES, ChannelSpec, FieldSpec, status_words
from kameng_filer.filing.web import ProfileAdapter
from kameng_filer.planner import Facts, Planning

SPEC = ChannelSpec(
    name="card_platform",
    title="卡盟平台工单/投诉",
    kind="browser",
    capabilities=frozenset({"submit", "reconcile", "poll_status", "follow_up"}),
    role="inside",
    status_vocabulary=status_words(
        {
            # channels.md §1 (family A and B)
            "待客服回复": "open",
            "待用户回复": ("needs_user", "waiting_for_person"),
        }
    ),
    description="平台自己的售后工单（会员）或按订单投诉（游客）；每个站点一份站点配置文件",
    fields=(
        FieldSpec(
            "ticket_type", "工单类型", "select", options=("售前咨询", "售后支持"), source="固定为 售后支持"
        ),
        FieldSpec("order_no", "订单号", max_len=32, source="order.order_no"),
        FieldSpec(
            "complaint_type",
            "投诉类型",
            "select",
            required=False,
            options=("未收到货", "卡密无效", "与描述不符", "其他"),
            source="problem.type （B 类站点）",
        ),
        FieldSpec("priority", "优先级", "select", options=("低", "中", "高"), source="金额与问题类型"),
        FieldSpec("title", "标题", min_len=4, max_len=100, rendered=True, confidence="H"),
        FieldSpec("content", "内容", "textarea", min_len=10, max_len=5000, rendered=True),
        FieldSpec("contact", "联系方式", "phone", required=False, source="complainant.phone （B 类站点）"),
        FieldSpec(
            "proof",
            "购买凭证",
            "file",
            accept=IMAGE_TYPES,
            max_bytes=10 * 1024 * 1024,
            max_files=5,
            max_pixels=4096,
            source="evidence",
            confidence="H",
        ),
    ),
    steps=(
        "登录会员（可能有图片验证码）",
        "工单 → 新建工单 → 售后支持",
        "选择订单、上传凭证、填写标题与内容",
        "提交，记下工单号",
    ),
)


COMPLAINT_TYPES: dict[ProblemType, str] = {
    ProblemType.not_delivered: "未收到货",
    ProblemType.delayed_delivery: "未收到货",
    ProblemType.merchant_vanished: "未收到货",
    ProblemType.invalid_card_key: "卡密无效",
    ProblemType.short_validity: "卡密无效",
    ProblemType.not_as_described: "与描述不符",
    ProblemType.quantity_mismatch: "与描述不符",
    ProblemType.false_promise: "与描述不符",
    ProblemType.membership_not_activated: "与描述不符",
}

HIGH_PRIORITY = {ProblemType.merchant_vanished, ProblemType.account_stolen, ProblemType.abnormal_transaction}


def priority(case: Case) -> str:
    """高 for large amounts or urgent problems, 中 from 50 yuan, else 低."""
    if case.order.amount >= 500 or case.problem.type in HIGH_PRIORITY:
        return "高"
    return "中" if case.order.amount >= 50 else "低"


class CardPlatformAdapter(ProfileAdapter):
    """Files a 售后 ticket / order complaint on a 卡盟 site described by a site profile."""

    spec = SPEC
    file_field = "proof"
    default_profile = ""

    @classmethod
    def plan_rules(cls, facts: Facts) -> list[tuple[float, Callable[[Planning], None]]]:
        """The platform ticket (after the merchant) and, later, its internal escalation."""
        return [
            (plan_rules.RANK_PLATFORM, lambda p: plan_rules.platform(p, cls.spec)),
            (plan_rules.RANK_ESCALATION, lambda p: plan_rules.escalation(p, cls.spec)),
        ]

    def values(self, case: Case, purpose: str, context: dict[str, Any] | None) -> dict[str, Any]:
        """Rendered title/content plus the options this channel asks for."""
        from kameng_filer.render import render

        texts = render(case, self.name, purpose).fields
        return {
            "ticket_type": "售后支持",
            "order_no": case.order.order_no,
            "complaint_type": COMPLAINT_TYPES.get(case.problem.type, "其他"),
            "priority": priority(case),
            "title": texts["title"],
            "content": texts["content"],
            "contact": case.complainant.phone,
        }
