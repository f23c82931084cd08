"""What a filing cannot do without: order number, amount, platform, complainant name and phone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import Enum
from functools import cache

from pydantic import BaseModel

from kameng_filer.case.loader import field_label
from kameng_filer.checks.base import Context, get, is_blank, text_of
from kameng_filer.checks.schema_walk import enum_of
from kameng_filer.findings import Finding

# (parent keys, field, code, message, hint) — checked whenever the parent mapping is present.
KEY_FIELDS: tuple[tuple[tuple[str, ...], str, str, str, str], ...] = (
    (
        ("order",),
        "order_no",
        "required.order_no",
        "缺少订单号：没有订单号，平台和监管部门无法定位这笔交易",
        "在平台“我的订单”或订单详情页复制订单号，填写到 order.order_no（建议加引号）",
    ),
    (
        ("order",),
        "amount",
        "required.amount",
        "缺少订单金额：退款和赔偿都以实付金额为基础",
        "按支付凭证填写实付金额（元），例如 order.amount: 100.00",
    ),
    (
        ("respondent",),
        "platform",
        "required.platform",
        "缺少被投诉平台名称",
        "填写你下单的卡盟/发卡平台名称（网站上显示的名字），例如 respondent.platform: 星辰卡盟",
    ),
    (
        ("complainant",),
        "name",
        "required.complainant_name",
        "缺少投诉人姓名：12315、支付渠道和消协都要求实名",
        "填写你的真实姓名到 complainant.name",
    ),
    (
        ("complainant",),
        "phone",
        "required.complainant_phone",
        "缺少投诉人手机号：各渠道需要用它联系你、发送处理结果",
        '填写手机号到 complainant.phone，并加引号，例如 "13800138000"',
    ),
)
KEY_PATHS = {".".join((*parents, name)) for parents, name, *_ in KEY_FIELDS}

_MOBILE = re.compile(r"^(?:\+?86[- ]?)?1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(?:-\d{1,6})?$")


def check(ctx: Context) -> Iterator[Finding]:
    """Missing or blank required fields (specific codes for the five a filing needs)."""
    raw = ctx.raw
    for parents, name, code, message, hint in KEY_FIELDS:
        parent = get(raw, *parents)
        if isinstance(parent, dict) and is_blank(parent.get(name)):
            yield ctx.finding(code, ".".join((*parents, name)), message, hint)
    yield from _blank_required(ctx)
    phone = text_of(get(raw, "complainant", "phone"))
    if phone and phone.strip():
        compact = re.sub(r"[\s()()]", "", phone)
        if not (_MOBILE.match(compact) or _LANDLINE.match(compact)):
            yield ctx.finding(
                "complainant.phone_format",
                "complainant.phone",
                f"手机号 {phone!r} 看起来不是有效的中国大陆手机号或座机号",
                '填写 11 位手机号，例如 "13800138000"；座机写成 "0571-88888888"',
            )


@cache
def _required_fields(model: type[BaseModel]) -> tuple[tuple[str, str | None, type[Enum] | None], ...]:
    """(key, description, enum) for each required field of ``model``."""
    return tuple(
        (info.alias or name, info.description, enum_of(info))
        for name, info in model.model_fields.items()
        if info.is_required()
    )


def _blank_required(ctx: Context) -> Iterator[Finding]:
    """Any other required field that is present but left blank (as in the ``kameng new`` template)."""
    for path, model, data in ctx.mappings:
        for key, description, enum in _required_fields(model):
            if key not in data or not is_blank(data[key]):
                continue
            sub = f"{path}.{key}" if path else key
            if sub in KEY_PATHS:
                continue
            label = field_label(sub)
            if enum is not None:
                hint = f"从这些取值中选一个填写：{' | '.join(e.value for e in enum)}"
            elif description:
                hint = f"填写 {sub}({description})"
            else:
                hint = f"填写 {sub}"
            shown = label if label != sub else sub
            yield ctx.finding("required.field", sub, f"请填写「{shown}」（{sub}）", hint)
