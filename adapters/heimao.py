"""黑猫投诉 (channels.md §6): https://tousu.sina.com.cn/ — public; personal data is masked.

Steps: Weibo login (QR or SMS, person step) → 发起投诉 → 投诉对象 (search) → 投诉问题 tags →
投诉要求 → 涉诉金额 → title → description → images → submit → 11-digit 投诉编号; public page.
"""

from __future__ import annotations

from typing import Any

from kameng_filer.case.model import Case, DemandType, ProblemType
from kameng_filer.channels import IMAGE_TYPES, ChannelSpec, FieldSpec, PlanRule, status_words
from kameng_filer.filing.web import ProfileAdapter

SPEC = ChannelSpec(
    name="heimao",
    title="黑猫投诉",
    short_title="黑猫投诉",
    kind="browser",
    capabilities=frozenset({"submit", "reconcile", "poll_status", "follow_up"}),
    role="public",
    plan=PlanRule(
        when="平台内部投诉（含升级）无结果后",
        reason="公开投诉平台（黑猫投诉）形成舆论压力；没有法定期限，投诉内容公开，个人信息会被遮盖",
        after="card_platform:escalation",
        rank=80,
    ),
    status_vocabulary=status_words(
        {
            # channels.md §6
            "处理中": "open",
            "已回复": ("replied", "replied"),
            "已完成": ("resolved", "resolved"),
        }
    ),
    public=True,
    url="https://tousu.sina.com.cn/",
    description="新浪黑猫投诉，公开平台：手机号、邮箱、地址、身份证号、完整卡密一律打码",
    fields=(
        FieldSpec("target", "投诉对象", max_len=50, source="respondent.platform"),
        FieldSpec(
            "issues",
            "投诉问题",
            "multiselect",
            options=(
                "不予退款",
                "联系不到客服",
                "虚假宣传",
                "未发货",
                "商品与描述不符",
                "卡密无效",
                "乱扣费",
                "其他",
            ),
            source="problem.type",
        ),
        FieldSpec(
            "demands",
            "投诉要求",
            "multiselect",
            options=("退款", "道歉赔偿", "解释", "补发", "其他"),
            source="demands",
        ),
        FieldSpec("amount", "涉诉金额", "money", source="order.amount"),
        FieldSpec("title", "投诉标题", min_len=5, max_len=50, rendered=True, confidence="L"),
        FieldSpec(
            "description", "投诉描述", "textarea", min_len=20, max_len=1500, rendered=True, confidence="L"
        ),
        FieldSpec(
            "images",
            "图片",
            "file",
            required=False,
            accept=IMAGE_TYPES,
            max_bytes=5 * 1024 * 1024,
            max_files=9,
            max_pixels=2048,
            source="evidence（去除 EXIF，文件名不含个人信息）",
        ),
    ),
    steps=(
        "微博登录（扫码或短信验证码，本人操作）",
        "发起投诉 → 搜索并选择投诉对象",
        "选择投诉问题与要求，填写金额、标题、描述",
        "上传图片并提交，记下投诉编号",
    ),
)


ISSUE_TAGS: dict[ProblemType, str] = {
    ProblemType.not_delivered: "未发货",
    ProblemType.delayed_delivery: "未发货",
    ProblemType.merchant_vanished: "联系不到客服",
    ProblemType.invalid_card_key: "卡密无效",
    ProblemType.short_validity: "卡密无效",
    ProblemType.not_as_described: "商品与描述不符",
    ProblemType.quantity_mismatch: "商品与描述不符",
    ProblemType.membership_not_activated: "商品与描述不符",
    ProblemType.false_promise: "虚假宣传",
    ProblemType.refund_refused: "不予退款",
    ProblemType.no_response: "联系不到客服",
    ProblemType.auto_renewal: "乱扣费",
    ProblemType.abnormal_transaction: "乱扣费",
}

DEMAND_TAGS: dict[DemandType, str] = {
    DemandType.refund: "退款",
    DemandType.compensation: "道歉赔偿",
    DemandType.punitive_damages: "道歉赔偿",
    DemandType.apology: "道歉赔偿",
    DemandType.redeliver: "补发",
    DemandType.other: "其他",
}


class HeimaoAdapter(ProfileAdapter):
    """Files on 黑猫投诉 (public): every text masked, images re-encoded without EXIF and renamed."""

    spec = SPEC
    default_profile = "heimao-twin"
    file_field = "images"

    def values(self, case: Case, purpose: str, context: dict[str, Any] | None) -> dict[str, Any]:
        """Tags from the problem and demands, masked texts."""
        from kameng_filer.render import render

        texts = render(case, self.name, purpose).fields
        issues = [ISSUE_TAGS.get(case.problem.type, "其他")]
        if any(c.summary and "拒绝退款" in c.summary for c in case.contacts) and "不予退款" not in issues:
            issues.append("不予退款")
        demands = list(dict.fromkeys(DEMAND_TAGS[d.type] for d in case.demands)) or ["其他"]
        target = str(self.settings.get("target") or case.respondent.platform)
        return {
            "target": target,
            "target_name": target,
            "issues": issues,
            "demands": demands,
            "amount": f"{case.order.amount:.2f}",
            "title": texts["title"],
            "description": texts["description"],
        }

    def plan(self, case: Case, *, purpose: str = "complaint", context: dict[str, Any] | None = None):  # type: ignore[override]
        """As for every web channel, but the plan's variables carry nothing personal either."""
        plan = super().plan(case, purpose=purpose, context=context)
        personal = ("name", "phone", "email", "address", "transaction_no")
        plan.target["vars"] = {k: v for k, v in plan.target["vars"].items() if k not in personal}
        return plan
