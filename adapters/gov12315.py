"""全国12315平台 complaint (channels.md §4): https://www.12315.cn/cuser/

Steps: login (account + password + image captcha) → 我要投诉 → 须知 (agree after countdown) →
respondent (search/pick, or name + address) → consumer address → case info (商品名称, typeahead
商品类别, 销售方式 网购 → 电商平台/入驻商户, 问题类别, cascading 处理单位, typed 内容, 订单号,
attachments) → submit → 25-digit case number; list + detail with 材料补充.
"""

from __future__ import annotations

from kameng_filer.adapter import Adapter
from kameng_filer.channels import ChannelSpec, FieldSpec

SPEC = ChannelSpec(
    name="12315",
    title="全国12315平台",
    kind="browser",
    url="https://www.12315.cn/cuser/",
    templates="gov12315",
    schedule="gov12315.yaml",
    description="市场监管部门投诉;须实名、双方地址明确;与消协投诉对同一纠纷互斥",
    fields=(
        FieldSpec("respondent_name", "被投诉方名称", max_len=100, source="respondent.legal_name", confidence="H"),
        FieldSpec("respondent_address", "被投诉方地址", max_len=200, source="respondent.address", confidence="H"),
        FieldSpec("consumer_address", "消费者地址", max_len=200, source="complainant.address", confidence="H"),
        FieldSpec("product_name", "商品名称", min_len=2, max_len=50, source="order.product"),
        FieldSpec("product_category", "商品类别", "select", source="typeahead: 虚拟商品 → 网络游戏充值…"),
        FieldSpec("sales_method", "销售方式", "select", options=("网购", "实体店", "电视购物", "其他")),
        FieldSpec("platform_name", "电商平台", source="respondent.platform"),
        FieldSpec("merchant_name", "入驻商户", required=False, source="respondent.merchant.name"),
        FieldSpec("problem_category", "问题类别", "select",
                  options=("合同", "质量", "售后服务", "虚假宣传", "价格", "其他"), source="problem.type"),
        FieldSpec("handling_unit", "处理单位", "select", source="省 → 市 → 区(被投诉方所在地)"),
        FieldSpec("request", "投诉请求", "textarea", min_len=5, max_len=500, rendered=True, confidence="M"),
        FieldSpec("content", "事实与理由", "textarea", min_len=20, max_len=2000, rendered=True, confidence="M"),
        FieldSpec("order_no", "订单号", max_len=64, source="order.order_no"),
        FieldSpec("attachments", "附件", "file", required=False,
                  accept=("image/jpeg", "image/png", "application/pdf"), max_bytes=5 * 1024 * 1024,
                  max_files=5, max_pixels=2560, source="evidence"),
    ),
    steps=("登录(账号+密码+图片验证码,本人输入验证码)", "我要投诉 → 阅读须知,倒计时后同意", "选择被投诉企业或手工填写名称与地址", "填写消费者地址与案件信息,逐字输入内容", "上传附件并提交,记下25位投诉编号"),
)


class Gov12315Adapter(Adapter):
    """Adapter for this channel (filing arrives with the filing engine)."""

    spec = SPEC
