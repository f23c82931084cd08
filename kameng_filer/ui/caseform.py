"""The dispute form, derived from the pydantic case model: one widget per field, Chinese labels and help.

Field names in the form are case paths (``order.amount``, ``timeline[0].at``, ``contacts[1].with``), the
same paths ``kameng check`` reports findings at, so a finding lands next to the field it concerns.
"""

from __future__ import annotations

import functools
import re
import types
import typing
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import BaseModel

from kameng_filer.case.messages import FIELD_LABELS
from kameng_filer.case.model import PROBLEM_FAMILY, PROBLEM_LABELS, Case, DemandType, ProblemType
from kameng_filer.checks.demands import _LABEL as demand_words
from kameng_filer.render.filters import CONTACT_LABELS, EVIDENCE_KIND_LABELS, PAYMENT_LABELS
from kameng_filer.timeutil import as_shanghai

SKIPPED = frozenset({"policies", "allow_outside", "texts"})
"""Fields kept as the file has them but not offered in the form (advanced or security-relevant)."""

LABELS: dict[str, str] = {
    **FIELD_LABELS,
    "complainant.id_number": "身份证号",
    "respondent.credit_code": "统一社会信用代码",
    "respondent.website": "平台网址",
    "respondent.phone": "平台客服电话",
    "respondent.email": "平台投诉邮箱",
    "respondent.merchant": "平台上的商家",
    "respondent.merchant.name": "商家名称",
    "respondent.merchant.shop_id": "店铺编号",
    "respondent.merchant.shop_url": "店铺网址",
    "order.payment": "支付",
    "order.promise": "商家的承诺",
    "order.account": "充值的游戏账号",
    "order.card_key": "卡密",
    "timeline": "时间线",
    "timeline[].at": "时间",
    "timeline[].event": "发生了什么",
    "contacts": "沟通记录",
    "contacts[].at": "时间",
    "contacts[].with": "联系了谁",
    "contacts[].channel": "联系方式",
    "contacts[].summary": "结果",
    "contacts[].evidence": "对应的证据编号",
    "evidence": "证据",
    "evidence[].id": "证据编号",
    "evidence[].kind": "证明什么",
    "evidence[].file": "文件",
    "evidence[].description": "说明",
    "demands": "诉求",
    "demands[].type": "诉求类型",
    "demands[].amount": "金额(元)",
    "demands[].quantity": "数量",
    "demands[].to": "退到哪里",
    "demands[].note": "补充说明",
    "rules": "平台规则或法律依据",
    "rules[].source": "出处",
    "rules[].article": "条款",
    "rules[].text": "原文",
    "platform_policy": "平台规则",
    "platform_policy.complaint_window": "平台投诉时限",
    "platform_policy.window_starts": "时限从何时起算",
    "auto_escalate": "自动升级",
}
"""Chinese labels by field path (list items as ``name[]``); the case model's own labels come first."""

HELP: dict[str, str] = {
    "id": "字母、数字、点、横线或下划线，如 km-2026-0001；保存后不要再改",
    "title": "一句话，如：王者荣耀点券充值未到账",
    "complainant.phone": "11 位手机号",
    "problem.summary": "只写事实：什么时候、发生了什么，不写情绪",
    "order.amount": "以元为单位，如 100.00",
    "timeline": "按时间先后写，每条一个事实",
    "contacts": "投诉前联系过商家或客服的记录",
    "evidence": "订单、付款、沟通、问题四类截图最好都有；把截图拖到下面的框里",
    "demands": "具体、可执行，如：退款 100.00 元",
    "platform_policy.complaint_window": "ISO 8601 时长，如 P7D 表示 7 天",
    "auto_escalate": "到期没有结果时，允许跟踪器自动提交升级投诉",
}

DEMAND_LABELS = demand_words
"""Demand types in Chinese (the words ``kameng check`` uses)."""

ENUM_LABELS: dict[type, dict[Any, str]] = {}

TIME_HINT = "如 2026-11-02 15:00（北京时间）"
WINDOW_STARTS = {"paid_at": "支付时间", "ordered_at": "下单时间", "discovered_at": "发现问题的时间"}
_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _enum_labels() -> dict[type, dict[Any, str]]:
    if not ENUM_LABELS:
        from kameng_filer.case.model import ContactWith, EvidenceKind, PaymentMethod

        problem = {
            t: PROBLEM_LABELS[t] + (f"（{PROBLEM_FAMILY[t]}）" if t != ProblemType.other else "")
            for t in ProblemType
        }
        ENUM_LABELS.update(
            {
                ProblemType: problem,
                PaymentMethod: PAYMENT_LABELS,
                ContactWith: CONTACT_LABELS,
                EvidenceKind: EVIDENCE_KIND_LABELS,
                DemandType: DEMAND_LABELS,
            }
        )
    return ENUM_LABELS


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The type inside ``X | None`` / ``Annotated[X, ...]``, and whether None is allowed."""
    optional = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            optional = optional or len(args) < len(typing.get_args(annotation))
            annotation = args[0]
            continue
        return annotation, optional


def _key(path: str) -> str:
    """``timeline[3].at`` → ``timeline[].at`` (the label/help key of a list item's field)."""
    return re.sub(r"\[(?:\d+|__i__)\]", "[]", path)


def _leaf_kind(tp: Any, key: str) -> str:
    if isinstance(tp, type) and issubclass(tp, Enum):
        return "select"
    if tp is bool:
        return "checkbox"
    if tp is datetime:
        return "datetime"
    if tp in (int, Decimal):
        return "number"
    if tp is timedelta:
        return "text"
    if key in ("problem.summary", "timeline[].event", "contacts[].summary", "rules[].text", "demands[].note"):
        return "textarea"
    return "text"


def spec(model: type[BaseModel] = Case, prefix: str = "") -> list[dict[str, Any]]:
    """The widget tree for ``model``: groups, lists (with an item template) and leaves."""
    out: list[dict[str, Any]] = []
    for name, info in model.model_fields.items():
        name = info.alias or name
        if not prefix and name in SKIPPED:
            continue
        path = f"{prefix}.{name}" if prefix else name
        key = _key(path)
        tp, optional = _unwrap(info.annotation)
        label = LABELS.get(key) or info.description or name
        node: dict[str, Any] = {
            "path": path,
            "name": name,
            "label": label,
            "help": HELP.get(key) or (info.description if info.description != label else "") or "",
            "required": info.is_required() and not optional,
        }
        origin = typing.get_origin(tp)
        if origin is list:
            item, _ = _unwrap(typing.get_args(tp)[0])
            if isinstance(item, type) and issubclass(item, BaseModel):
                node.update(kind="list", item=spec(item, f"{path}[__i__]"))
            else:
                node.update(kind="idlist")
        elif isinstance(tp, type) and issubclass(tp, BaseModel):
            node.update(kind="group", children=spec(tp, path))
        else:
            kind = _leaf_kind(tp, key)
            node["kind"] = kind
            if kind == "select":
                node["choices"] = list(_enum_labels()[tp].items()) if tp in _enum_labels() else []
                node["choices"] = [(str(getattr(v, "value", v)), lab) for v, lab in node["choices"]]
            if key == "platform_policy.window_starts":
                node.update(kind="select", choices=list(WINDOW_STARTS.items()), required=False)
            if kind == "datetime":
                node["help"] = node["help"] or TIME_HINT
        out.append(node)
    return out


@functools.cache
def case_spec() -> list[dict[str, Any]]:
    """The case model's widget tree (built once; callers copy before changing it)."""
    return spec()


def _shown(value: Any) -> str:
    """A raw case value as the form shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return f"{as_shanghai(value) if value.tzinfo else value:%Y-%m-%d %H:%M:%S}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ""
    return str(value)


def _get(raw: Any, path: list[str | int]) -> Any:
    for part in path:
        if isinstance(part, int):
            raw = raw[part] if isinstance(raw, list) and part < len(raw) else None
        else:
            raw = raw.get(part) if isinstance(raw, dict) else None
        if raw is None:
            return None
    return raw


def tokens(path: str) -> list[str | int]:
    """``contacts[1].with`` → ``["contacts", 1, "with"]``."""
    return [int(m[2]) if m[2] is not None else m[1] for m in _TOKEN.finditer(path)]


def filled(nodes: list[dict[str, Any]], raw: dict[str, Any]) -> list[dict[str, Any]]:
    """The widget tree with each leaf's value from ``raw`` and one row per list item."""
    out = []
    for node in nodes:
        node = dict(node)
        if node["kind"] == "group":
            node["children"] = filled(node["children"], raw)
        elif node["kind"] == "list":
            items = _get(raw, tokens(node["path"]))
            rows = []
            for i in range(len(items) if isinstance(items, list) else 0):
                rows.append(filled(_indexed(node["item"], i), raw))
            node["rows"] = rows
        else:
            node["value"] = _shown(_get(raw, tokens(node["path"])))
        out.append(node)
    return out


def _indexed(nodes: list[dict[str, Any]], i: int) -> list[dict[str, Any]]:
    """A list item's widgets with ``__i__`` replaced by the row number."""
    out = []
    for node in nodes:
        node = {**node, "path": node["path"].replace("__i__", str(i))}
        if node["kind"] == "group":
            node["children"] = _indexed(node["children"], i)
        out.append(node)
    return out


def _leaves(nodes: list[dict[str, Any]]) -> dict[str, str]:
    """Item-agnostic key (``timeline[].at``) → widget kind, for every leaf."""
    out: dict[str, str] = {}
    for node in nodes:
        if node["kind"] == "group":
            out.update(_leaves(node["children"]))
        elif node["kind"] == "list":
            out.update(_leaves(node["item"]))
        else:
            out[_key(node["path"].replace("[__i__]", "[0]"))] = node["kind"]
    return out


def _coerce(kind: str, value: str) -> Any:
    value = value.replace("\r\n", "\n").strip()  # browsers send a text area's line breaks as CRLF
    if kind == "checkbox":
        return value in ("true", "1", "on")
    if kind == "idlist":
        return [v for v in re.split(r"[,，、\s]+", value) if v]
    if kind == "number" and re.fullmatch(r"-?\d+", value):
        return int(value)
    return value


def from_form(items: list[tuple[str, str]], base: dict[str, Any] | None = None) -> dict[str, Any]:
    """The case data from the form's ``(path, value)`` pairs; fields the form does not offer are kept
    from ``base`` (the file as it was). Empty fields are left out, list rows are renumbered in order."""
    nodes = case_spec()
    kinds = _leaves(nodes)
    data: dict[str, Any] = {}
    offered = {n["name"] for n in nodes}
    for path, value in items:
        key = _key(path)
        if key not in kinds:
            continue  # csrf, hidden bookkeeping, or a forged name: ignored
        coerced = _coerce(kinds[key], value)
        if coerced in ("", []) or (kinds[key] == "checkbox" and coerced is False):
            continue
        _put(data, tokens(path), coerced)
    data = _compact(data)
    merged = {k: v for k, v in (base or {}).items() if k not in offered}
    order = [n["name"] for n in nodes]
    result = {k: data[k] for k in order if k in data}
    result.update(merged)
    return result


def _put(data: dict[str, Any], parts: list[str | int], value: Any) -> None:
    """Set ``value`` at ``parts``; list indexes become dict keys until ``_compact`` orders them."""
    cur: Any = data
    for part in parts[:-1]:
        cur = cur.setdefault(part, {})
        if not isinstance(cur, dict):
            return
    cur[parts[-1]] = value


def _compact(value: Any) -> Any:
    """Dicts keyed by row numbers become lists in row order; empty groups are dropped."""
    if not isinstance(value, dict):
        return value
    items = {k: _compact(v) for k, v in value.items()}
    items = {k: v for k, v in items.items() if v not in ({}, [], None)}
    if items and all(isinstance(k, int) for k in items):
        return [items[k] for k in sorted(items)]
    return items


def form_items(raw: dict[str, Any]) -> list[tuple[str, str]]:
    """The ``(path, value)`` pairs a browser submits for the form filled from ``raw`` (nothing changed)."""
    out: list[tuple[str, str]] = []

    def walk(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            if node["kind"] == "group":
                walk(node["children"])
            elif node["kind"] == "list":
                for row in node["rows"]:
                    walk(row)
            elif node["kind"] != "checkbox" or node["value"] == "true":
                out.append((node["path"], node["value"]))

    walk(filled(case_spec(), raw))
    return out


def normalized(raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` as the form saves it when nothing was changed (what ``from_form`` gives back)."""
    return from_form(form_items(raw), raw)


def label_of(path: str) -> str:
    """A field's Chinese label for messages: ``timeline[1].at`` → ``时间线第 2 项的时间``."""
    words: list[str] = []
    nodes = case_spec()
    for part in tokens(path):
        if isinstance(part, int):
            words[-1:] = [f"{words[-1] if words else ''}第 {part + 1} 项"]
            continue
        node = next((n for n in nodes if n["name"] == part), None)
        if node is None:
            return path
        words.append(node["label"])
        nodes = node.get("children") or node.get("item") or []
    return "的".join(words) or path
