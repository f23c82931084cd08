"""What 12315 needs before it accepts a complaint (《市场监督管理投诉举报处理办法》art. 10)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from kameng_filer.checks.base import Context
from kameng_filer.findings import Finding

ENTITY_WORDS = (
    "公司",
    "有限",
    "企业",
    "集团",
    "工作室",
    "个体",
    "经营部",
    "商行",
    "店",
    "中心",
    "合伙",
    "事务所",
    "厂",
    "社",
)
CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
_LOOKUP = "平台首页底部的营业执照信息(电子商务法第15条)或国家企业信用信息公示系统"


def check(ctx: Context) -> Iterator[Finding]:
    """Warnings for the complainant's address and the respondent's legal name and address."""
    case = ctx.case
    if case is None:
        return
    if not case.complainant.address:
        yield ctx.finding(
            "12315.complainant_address",
            "complainant.address",
            "没有填写投诉人地址:12315 要求投诉人提供真实姓名、电话和地址",
            "填写你的联系地址到 complainant.address(只向 12315 等官方渠道提交)",
        )
    respondent = case.respondent
    if not respondent.legal_name:
        yield ctx.finding(
            "12315.respondent_legal_name",
            "respondent.legal_name",
            f"没有填写被投诉方全称:12315 和消协需要经营主体的全称,而不是“{respondent.platform}”这样的平台名",
            f"在{_LOOKUP}查到全称,填写到 respondent.legal_name",
        )
    elif not any(w in respondent.legal_name for w in ENTITY_WORDS):
        yield ctx.finding(
            "12315.legal_name_form",
            "respondent.legal_name",
            f"被投诉方全称“{respondent.legal_name}”不像企业名称(通常以“有限公司”等结尾)",
            f"按营业执照填写完整名称,查询途径:{_LOOKUP}",
        )
    if not respondent.address:
        yield ctx.finding(
            "12315.respondent_address",
            "respondent.address",
            "没有填写被投诉方地址:12315 按被投诉方所在地分派处理部门",
            f"在{_LOOKUP}查到住所/经营场所,填写到 respondent.address",
        )
    code = respondent.credit_code
    if code and not CREDIT_CODE.match(code.strip().upper()):
        yield ctx.finding(
            "respondent.credit_code_format",
            "respondent.credit_code",
            f"统一社会信用代码“{code}”格式不对(应为 18 位数字和大写字母)",
            "从国家企业信用信息公示系统复制,或删除该字段",
        )
