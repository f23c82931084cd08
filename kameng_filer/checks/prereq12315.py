"""What the channels need before they accept a complaint (their declared ``ChannelSpec.requires``).

The facts themselves (12315: both sides' addresses and the respondent's legal name, 《市场监督管理投诉举报
处理办法》art. 10) are declared once, in the channel's descriptor; the planner and the adapter's
``values()`` read the same declaration. This module adds the checks of the values' form (a legal name
that looks like an enterprise name, a well-formed credit code).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from kameng_filer import registry
from kameng_filer.channels import read_path
from kameng_filer.checks.base import Context
from kameng_filer.checks.codes import CODES
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
_LOOKUP = "平台首页底部的营业执照信息（电子商务法第15条）或国家企业信用信息公示系统"


_PLACEHOLDER = re.compile(r"\{([a-z_]+(?:\.[a-z_]+)*)\}")


def _fill(text: str, case: object) -> str:
    """``{respondent.platform}`` in a declared message → the case's value."""
    return _PLACEHOLDER.sub(lambda m: str(read_path(case, m.group(1)) or ""), text)


def check(ctx: Context) -> Iterator[Finding]:
    """Warnings for every declared prerequisite the case lacks, and for the legal name's and credit code's form."""
    case = ctx.case
    if case is None:
        return
    seen: set[str] = set()
    for spec in registry.all_specs():
        for req in spec.requires:
            if req.code in CODES and req.code not in seen and req.missing(case):
                seen.add(req.code)
                yield ctx.finding(req.code, req.path, _fill(req.problem, case), _fill(req.fix, case))
    respondent = case.respondent
    if respondent.legal_name and not any(w in respondent.legal_name for w in ENTITY_WORDS):
        yield ctx.finding(
            "12315.legal_name_form",
            "respondent.legal_name",
            f"被投诉方全称“{respondent.legal_name}”不像企业名称（通常以“有限公司”等结尾）",
            f"按营业执照填写完整名称，查询途径：{_LOOKUP}",
        )
    code = respondent.credit_code
    if code and not CREDIT_CODE.match(code.strip().upper()):
        yield ctx.finding(
            "respondent.credit_code_format",
            "respondent.credit_code",
            f"统一社会信用代码“{code}”格式不对（应为 18 位数字和大写字母）",
            "从国家企业信用信息公示系统复制，或删除该字段",
        )
