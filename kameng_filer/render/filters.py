"""Jinja filters for complaint texts: money, Beijing dates, labels, sentence endings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from kameng_filer.case.model import PROBLEM_LABELS, ContactWith, EvidenceKind, PaymentMethod, ProblemType
from kameng_filer.timeutil import as_shanghai

EVIDENCE_KIND_LABELS: dict[EvidenceKind, str] = {
    EvidenceKind.order_info: "订单信息",
    EvidenceKind.payment_proof: "支付凭证",
    EvidenceKind.communication: "沟通记录",
    EvidenceKind.problem_proof: "问题证明",
    EvidenceKind.promise: "商家承诺截图",
    EvidenceKind.other: "其他材料",
}

CONTACT_LABELS: dict[ContactWith, str] = {
    ContactWith.merchant: "商家",
    ContactWith.platform_support: "平台客服",
    ContactWith.payment: "支付机构客服",
    ContactWith.other: "相关方",
}

PAYMENT_LABELS: dict[PaymentMethod, str] = {
    PaymentMethod.alipay: "支付宝",
    PaymentMethod.wechat_pay: "微信支付",
    PaymentMethod.bank_card: "银行卡",
    PaymentMethod.balance: "平台余额",
    PaymentMethod.other: "其他方式",
}

TRANSACTION_LABELS: dict[PaymentMethod, str] = {
    PaymentMethod.alipay: "支付宝交易号",
    PaymentMethod.wechat_pay: "微信支付单号",
}

_ENDINGS = "。!?!?…"
_SOFT_ENDINGS = ",,;;、:: "


def money(value: Decimal | int | float | str | None) -> str:
    """``100`` → ``100.00元``; None → empty."""
    if value is None or value == "":
        return ""
    return f"{Decimal(str(value)):.2f}元"


def bjtime(value: datetime | None) -> str:
    """Beijing date and time: ``2026年11月2日 15:00``."""
    if value is None:
        return ""
    v = as_shanghai(value)
    return f"{v.year}年{v.month}月{v.day}日 {v.hour:02d}:{v.minute:02d}"


def bjdate(value: datetime | None) -> str:
    """Beijing date: ``2026年11月2日``."""
    if value is None:
        return ""
    v = as_shanghai(value)
    return f"{v.year}年{v.month}月{v.day}日"


def monthday(value: datetime | None) -> str:
    """Beijing month and day: ``11月2日``."""
    if value is None:
        return ""
    v = as_shanghai(value)
    return f"{v.month}月{v.day}日"


def hm(value: datetime | None) -> str:
    """Beijing clock time: ``15:00``."""
    if value is None:
        return ""
    v = as_shanghai(value)
    return f"{v.hour:02d}:{v.minute:02d}"


def problem_label(value: ProblemType | str) -> str:
    """Chinese label of a problem type (``not_delivered`` → ``充值/商品未到账``)."""
    try:
        return PROBLEM_LABELS[ProblemType(value)]
    except ValueError:
        return str(value)


def evidence_kind(value: EvidenceKind | str) -> str:
    """Chinese label of an evidence kind."""
    try:
        return EVIDENCE_KIND_LABELS[EvidenceKind(value)]
    except ValueError:
        return str(value)


def contact_with(value: ContactWith | str) -> str:
    """Chinese label of who was contacted."""
    try:
        return CONTACT_LABELS[ContactWith(value)]
    except ValueError:
        return str(value)


def sentence(value: Any) -> str:
    """End a piece of text with ``。`` unless it already ends a sentence (``?`` ``!`` …)."""
    text = "" if value is None else str(value).strip()
    if not text:
        return ""
    text = text.rstrip(_SOFT_ENDINGS)
    return text if text.endswith(tuple(_ENDINGS)) else text + "。"


def clause(value: Any) -> str:
    """Strip a trailing sentence end, to join pieces with ``;`` or ``,``."""
    text = "" if value is None else str(value).strip()
    return text.rstrip(_ENDINGS + _SOFT_ENDINGS)


def filesize(value: int | None) -> str:
    """Bytes as ``532 B`` / ``12.3 KB`` / ``4.1 MB``."""
    if value is None:
        return ""
    if value < 1024:
        return f"{value} B"
    if value < 1024 * 1024:
        return f"{value / 1024:.1f} KB"
    return f"{value / 1024 / 1024:.1f} MB"


def md_cell(value: Any) -> str:
    """Text safe inside a Markdown table cell (no ``|``, no line breaks)."""
    text = "" if value is None else str(value)
    return " ".join(text.split()).replace("|", "\\|")


FILTERS: dict[str, Callable[..., Any]] = {
    "money": money,
    "bjtime": bjtime,
    "bjdate": bjdate,
    "monthday": monthday,
    "hm": hm,
    "problem_label": problem_label,
    "evidence_kind": evidence_kind,
    "contact_with": contact_with,
    "sentence": sentence,
    "clause": clause,
    "filesize": filesize,
    "md_cell": md_cell,
}
"""Every filter templates can use, by name."""
