"""全国12315平台 complaint (channels.md §4): https://www.12315.cn/cuser/

Steps: login (account + password + image captcha) → 我要投诉 → 须知 (agree after countdown) →
respondent (search/pick, or name + address) → consumer address → case info (商品名称, typeahead
商品类别, 销售方式 网购 → 电商平台/入驻商户, 问题类别, cascading 处理单位, typed 内容, 订单号,
attachments) → submit → 25-digit case number; list + detail with 材料补充.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from kameng_filer.adapters import plan_rules

from kameng_filer.adapter import FilingContext, FilingPlan, Receipt
from kameng_filer.case.model import Case, ProblemType
from kameng_filer.channels import ChannelSpec, FieldSpec, Requirement, status_words
from kameng_filer.errors import ChannelRejected, FormChanged, HumanActionRequired, RenderError
from kameng_filer.filing.web import ProfileAdapter
from kameng_filer.planner import Facts, Planning
from kameng_filer.regions import split_region

RESPONDENT_HINT = (
    "12315 先按企业全称搜索；搜索不到时（小型发卡网站的经营者常见）要手工填写企业全称和地址。"
    "在案件文件的 respondent 下补上 legal_name（营业执照上的全称）和 address（经营地址，写成“某省某市某区…”），"
    "有统一社会信用代码也写上 credit_code；可从网站底部的 ICP 备案信息或国家企业信用信息公示系统查到。"
)
"""What to add to the case when the respondent cannot be named on 12315."""
RESPONDENT_REFUSAL = re.compile(r"被投诉企业|统一社会信用代码")
"""A refusal of the wizard's enterprise step (search pick or manual entry)."""
COMPLAINANT_HINT = "在案件文件的 complainant 下补上 address（本人的联系地址）。"

LOOKUP = "平台首页底部的营业执照信息（电子商务法第15条）或国家企业信用信息公示系统"
"""Where the respondent's legal name and address can be found."""

REQUIRES = (
    Requirement(
        "complainant.address",
        "投诉人地址",
        hint=COMPLAINANT_HINT,
        code="12315.complainant_address",
        problem="没有填写投诉人地址：12315 要求投诉人提供真实姓名、电话和地址",
        fix="填写你的联系地址到 complainant.address（只向 12315 等官方渠道提交）",
    ),
    Requirement(
        "respondent.legal_name",
        "被投诉方全称（经营主体）",
        hint=RESPONDENT_HINT,
        code="12315.respondent_legal_name",
        problem="没有填写被投诉方全称：12315 和消协需要经营主体的全称，而不是“{respondent.platform}”这样的平台名",
        fix=f"在{LOOKUP}查到全称，填写到 respondent.legal_name",
    ),
    Requirement(
        "respondent.address",
        "被投诉方地址",
        hint=RESPONDENT_HINT,
        code="12315.respondent_address",
        problem="没有填写被投诉方地址：12315 按被投诉方所在地分派处理部门",
        fix=f"在{LOOKUP}查到住所/经营场所，填写到 respondent.address",
    ),
)
"""What 12315 needs before it accepts a complaint (《市场监督管理投诉举报处理办法》art. 10): read by the
planner, ``kameng check`` and ``values()`` alike."""


SPEC = ChannelSpec(
    name="12315",
    title="全国12315平台",
    short_title="12315",
    kind="browser",
    capabilities=frozenset({"submit", "reconcile", "poll_status", "follow_up"}),
    role="official",
    exclusive_with=("consumer_association",),
    requires=REQUIRES,
    status_vocabulary=status_words(
        {
            # channels.md §4 (complaint statuses are assumed; report statuses are seen)
            "待核查": "open",
            "已立案": ("open", "accepted"),
            "不予立案": ("rejected", "not_accepted"),
            "调解中": ("open", "accepted"),
            "终止调解": ("closed", "mediation_ended"),
        }
    ),
    url="https://www.12315.cn/cuser/",
    templates="gov12315",
    schedule="gov12315.yaml",
    description="市场监管部门投诉；须实名、双方地址明确；与消协投诉对同一纠纷互斥",
    fields=(
        FieldSpec(
            "respondent_name", "被投诉方名称", max_len=100, source="respondent.legal_name", confidence="H"
        ),
        FieldSpec(
            "respondent_address", "被投诉方地址", max_len=200, source="respondent.address", confidence="H"
        ),
        FieldSpec(
            "consumer_address", "消费者地址", max_len=200, source="complainant.address", confidence="H"
        ),
        FieldSpec("product_name", "商品名称", min_len=2, max_len=50, source="order.product"),
        FieldSpec("product_category", "商品类别", "select", source="typeahead: 虚拟商品 → 网络游戏充值…"),
        FieldSpec("sales_method", "销售方式", "select", options=("网购", "实体店", "电视购物", "其他")),
        FieldSpec("platform_name", "电商平台", source="respondent.platform"),
        FieldSpec("merchant_name", "入驻商户", required=False, source="respondent.merchant.name"),
        FieldSpec(
            "problem_category",
            "问题类别",
            "select",
            options=("合同", "质量", "售后服务", "虚假宣传", "价格", "其他"),
            source="problem.type",
        ),
        FieldSpec("handling_unit", "处理单位", "select", source="省 → 市 → 区（被投诉方所在地）"),
        FieldSpec("request", "投诉请求", "textarea", min_len=5, max_len=500, rendered=True, confidence="M"),
        FieldSpec(
            "content", "事实与理由", "textarea", min_len=20, max_len=2000, rendered=True, confidence="M"
        ),
        FieldSpec("order_no", "订单号", max_len=64, source="order.order_no"),
        FieldSpec(
            "attachments",
            "附件",
            "file",
            required=False,
            accept=("image/jpeg", "image/png", "application/pdf"),
            max_bytes=5 * 1024 * 1024,
            max_files=5,
            max_pixels=2560,
            source="evidence",
        ),
    ),
    steps=(
        "登录（账号+密码+图片验证码，本人输入验证码）",
        "我要投诉 → 阅读须知，倒计时后同意",
        "选择被投诉企业或手工填写名称与地址",
        "填写消费者地址与案件信息，逐字输入内容",
        "上传附件并提交，记下25位投诉编号",
    ),
)


PRODUCT_CATEGORIES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("会员", "VIP", "vip"), "虚拟商品/会员充值"),
    (("话费", "流量"), "虚拟商品/话费流量充值"),
    (("礼品卡", "购物卡"), "虚拟商品/礼品卡、购物卡"),
    (("账号", "装备"), "虚拟商品/游戏账号及装备"),
    (("点卡", "充值卡", "卡密"), "虚拟商品/游戏点卡"),
    (("点券", "钻石", "金币", "充值", "游戏"), "虚拟商品/网络游戏充值"),
)

PROBLEM_CATEGORIES: dict[ProblemType, str] = {
    ProblemType.false_promise: "虚假宣传",
    ProblemType.refund_refused: "售后服务",
    ProblemType.no_response: "售后服务",
    ProblemType.invalid_card_key: "质量",
    ProblemType.short_validity: "质量",
    ProblemType.not_as_described: "质量",
    ProblemType.quantity_mismatch: "质量",
}




def product_category(case: Case, override: str | None = None) -> str:
    """The 商品类别 to pick in the typeahead (by keywords in the product name)."""
    if override:
        return override
    for words, category in PRODUCT_CATEGORIES:
        if any(w in case.order.product for w in words):
            return category
    return "虚拟商品/游戏点卡"


class Gov12315Adapter(ProfileAdapter):
    """Files on 12315 through its wizard like a person: waits out the countdown, picks, types, uploads."""

    spec = SPEC
    default_profile = "gov12315-twin"
    file_field = "attachments"

    @classmethod
    def plan_rules(cls, facts: Facts) -> list[tuple[float, Callable[[Planning], None]]]:
        """12315 when its prerequisites are met (early for fraud, a vanished merchant, large amounts)."""
        return [(plan_rules.official_rank(facts), lambda p: plan_rules.gov12315(p, cls.spec))]

    async def submit(self, plan: FilingPlan, ctx: FilingContext) -> Receipt:
        """File like every profile channel; a refused enterprise entry says what to add to the case."""
        try:
            return await super().submit(plan, ctx)
        except ChannelRejected as exc:
            if RESPONDENT_REFUSAL.search(exc.message):
                exc.message = f"12315 不接受被投诉企业信息（{exc.message}）"
                exc.hint = RESPONDENT_HINT
            raise
        except FormChanged as exc:
            if "手工填写" not in f"{exc.field or ''} {exc.selector or ''} {exc.message}":
                raise
            # the search found nothing and this page offers no manual entry: not a redesign
            name = str(plan.fields.get("respondent_name") or "")
            raise HumanActionRequired(
                f"12315 平台搜索不到被投诉企业「{name}」，页面上也没有“找不到企业？手工填写”的入口，"
                "无法在网上登记这家企业；本次什么也没有提交",
                channel=ctx.channel,
                hint=(
                    "核对案件里的 respondent.legal_name 是否与营业执照上的全称一字不差（可在"
                    f"{LOOKUP}查到），改正后重新运行；仍然搜不到时拨打 12315 热线登记，"
                    f"或改向其他渠道投诉（kameng plan {plan.case_id} 查看）"
                ),
            ) from exc

    def values(self, case: Case, purpose: str, context: dict[str, Any] | None) -> dict[str, Any]:
        """The wizard's values; 12315 needs the respondent's legal name and address and the consumer's address."""
        from kameng_filer.render import render

        missing = self.spec.missing(case)
        if missing:
            raise RenderError(
                f"12315 要求写明被投诉企业和双方地址，案件缺少：{'、'.join(f'{r.label} {r.path}' for r in missing)}",
                field="respondent_name",
                hint="".join(dict.fromkeys(sorted((r.hint for r in missing), key=lambda h: h != RESPONDENT_HINT))),
            )
        province, city, district = split_region(
            self.settings.get("handling_address") or case.respondent.address or ""
        )
        if not district:
            raise RenderError(
                "无法从被投诉方地址确定处理单位（省/市/区县）",
                field="handling_unit",
                hint="把 respondent.address 写成“某省某市某区…”，或在配置 channels.12315.handling_address 中指定",
            )
        texts = render(case, self.name, purpose).fields
        return {
            "respondent_name": case.respondent.legal_name,
            "respondent_address": case.respondent.address,
            "respondent_credit_code": case.respondent.credit_code or "",
            "consumer_address": case.complainant.address,
            "product_name": case.order.product[:50],
            "product_category": product_category(case, self.settings.get("product_category")),
            "sales_method": "网购",
            "platform_name": case.respondent.platform,
            "merchant_name": case.respondent.merchant.name if case.respondent.merchant else "",
            "problem_category": PROBLEM_CATEGORIES.get(case.problem.type, "合同"),
            "handling_unit": f"{province}/{city}/{district}",
            "unit_province": province,
            "unit_city": city,
            "unit_district": district,
            "request": texts["request"],
            "content": texts["content"],
            "order_no": case.order.order_no,
        }
