"""Chinese messages for every pydantic error the case model can produce (no English reaches the person)."""

from __future__ import annotations

import re
from typing import Any

from kameng_filer.textsafe import clean_line

FIELD_LABELS: dict[str, str] = {
    "id": "案件编号",
    "title": "案件标题",
    "complainant": "投诉人",
    "complainant.name": "投诉人姓名",
    "complainant.phone": "投诉人手机号",
    "complainant.email": "投诉人邮箱",
    "complainant.address": "投诉人地址",
    "respondent": "被投诉方",
    "respondent.platform": "被投诉平台名称",
    "respondent.legal_name": "平台经营主体全称",
    "respondent.address": "被投诉方地址",
    "order": "订单",
    "order.order_no": "订单号",
    "order.product": "商品名称",
    "order.amount": "订单金额",
    "order.quantity": "数量",
    "order.ordered_at": "下单时间",
    "order.paid_at": "支付时间",
    "order.payment.method": "支付方式",
    "order.payment.transaction_no": "支付交易号",
    "problem": "问题",
    "problem.type": "问题类型",
    "problem.summary": "问题概述",
    "problem.discovered_at": "发现问题的时间",
    "platform_policy.complaint_window": "平台投诉时限",
    "allow_outside": "允许的案件外文件夹",
}

_ITEM_LABELS = {
    "timeline": "时间线",
    "contacts": "沟通记录",
    "evidence": "证据",
    "demands": "诉求",
    "rules": "规则",
    "allow_outside": "允许的案件外文件夹",
}

CUSTOM_TYPES = frozenset({"amount_invalid", "amount_negative", "amount_too_large", "date_out_of_range"})
"""Error types raised by the case model's own validators; their ``msg`` is already Chinese."""

_DATE_HINT = "使用 2026-11-02T15:00:12 这样的格式，且日期必须真实存在（无时区时按北京时间）"


def field_label(path: str) -> str:
    """A Chinese name for a dotted field path (falls back to the path itself)."""
    if path in FIELD_LABELS:
        return FIELD_LABELS[path]
    m = re.match(r"^(\w+)\[(\d+)\](?:\.(.+))?$", path)
    if m and m.group(1) in _ITEM_LABELS:
        base = f"{_ITEM_LABELS[m.group(1)]}第{int(m.group(2)) + 1}项"
        return f"{base}的 {m.group(3)}" if m.group(3) else base
    return path


def shown(value: Any, limit: int = 60) -> str:
    """A value as quoted in a message: one line, control characters removed, long values shortened."""
    if isinstance(value, dict):
        return "一组字段"
    if isinstance(value, list):
        return f"含 {len(value)} 项的列表"
    text = clean_line(repr(value) if isinstance(value, str) else str(value))
    return text if len(text) <= limit else f"{text[: limit - 1]}…（共 {len(text)} 个字符）"


def _bound(ctx: dict[str, Any], *names: str) -> str:
    for name in names:
        if name in ctx:
            return str(ctx[name])
    return "?"


def message_for(err: dict[str, Any], path: str) -> tuple[str, str, str]:
    """(code, Chinese message, hint) for one pydantic error of the case model."""
    label = field_label(path)
    etype = str(err.get("type", ""))
    ctx = err.get("ctx") or {}
    value = shown(err.get("input"))
    if etype == "missing":
        return "schema.missing", f"缺少必填字段「{label}」（{path}）", f"在案件文件中填写 {path}"
    if etype == "string_too_short":
        return "schema.empty", f"「{label}」不能为空", f"填写 {path}"
    if etype in CUSTOM_TYPES:
        code = "schema.datetime" if etype == "date_out_of_range" else "schema.amount"
        hint = _DATE_HINT if etype == "date_out_of_range" else "金额以元为单位、不能为负，写成 100.00"
        return code, f"「{label}」{err.get('msg', '')}:{value}", hint
    if etype.startswith(("datetime", "date", "time_")) and not etype.startswith("time_delta"):
        return "schema.datetime", f"「{label}」不是有效的日期时间：{value}", _DATE_HINT
    if etype.startswith("time_delta"):
        return (
            "schema.duration",
            f"「{label}」不是有效时长：{value}",
            "使用 ISO 8601 时长，例如 P7D（7天）、PT1H（1小时）",
        )
    if etype in ("enum", "literal_error") and path == "problem.type":
        from kameng_filer.case.model import PROBLEM_LABELS, closest_problem_type

        near = closest_problem_type(str(err.get("input")))
        guess = f"最接近的是 {near.value}({PROBLEM_LABELS[near]});" if near is not None else ""
        return (
            "schema.enum",
            f"「{label}」的取值 {value} 不在可选范围内",
            f"{guess}可以写类型代码或中文名称，全部取值见 docs/case-format.md",
        )
    if etype in ("enum", "literal_error"):
        expected = ctx.get("expected", "")
        return "schema.enum", f"「{label}」的取值 {value} 不在可选范围内", f"可选值：{expected}"
    if etype.startswith("decimal") or (etype in ("value_error", "finite_number") and "amount" in path):
        return "schema.amount", f"「{label}」不是有效金额：{value}", "金额以元为单位、不能为负，写成 100.00"
    if etype == "string_pattern_mismatch" and path == "id":
        return (
            "schema.id",
            f"案件编号 {value} 含有不允许的字符",
            "只用字母、数字、点、横线和下划线，开头为字母或数字，最长 64 个字符，例如 km-2026-0001",
        )
    if etype == "string_pattern_mismatch":
        return "schema.invalid", f"「{label}」的格式不对：{value}", f"按 docs/case-format.md 检查 {path}"
    if etype in ("model_type", "dict_type", "model_attributes_type", "mapping_type"):
        return "schema.type", f"「{label}」应当是一组字段（键：值），而不是 {value}", f"按示例把 {path} 写成映射"
    if etype in ("list_type", "tuple_type", "set_type", "iterable_type"):
        return (
            "schema.type",
            f"「{label}」应当是列表（每项以 - 开头），而不是 {value}",
            f"按示例把 {path} 写成列表",
        )
    if etype.startswith("int_") or etype.startswith("float_") or etype == "finite_number":
        return "schema.type", f"「{label}」应当是整数：{value}", "填写不带小数点的整数，例如 1"
    if etype in ("greater_than_equal", "greater_than"):
        return "schema.range", f"「{label}」的值太小：{value}", f"至少为 {_bound(ctx, 'ge', 'gt')}"
    if etype in ("less_than_equal", "less_than"):
        return (
            "schema.range",
            f"「{label}」的值太大：{value}",
            f"最多为 {_bound(ctx, 'le', 'lt')}，请核对是否多写了数字",
        )
    if etype in ("string_too_long", "too_long"):
        return (
            "schema.range",
            f"「{label}」太长：{value}",
            f"最多 {_bound(ctx, 'max_length')} 个字符/项，请精简",
        )
    if etype == "too_short":
        return "schema.range", f"「{label}」的项数太少", f"至少 {_bound(ctx, 'min_length')} 项"
    if etype in ("string_type", "string_unicode", "bool_type", "bool_parsing", "bytes_type"):
        return "schema.type", f"「{label}」的类型不对：{value}", "写成文字；纯数字（如手机号）请加引号"
    if etype == "extra_forbidden":
        return "schema.invalid", f"不认识的字段「{label}」", f"删除 {path}，或检查拼写"
    return "schema.invalid", f"「{label}」的值无效：{value}", f"按 docs/case-format.md 检查 {path}"
