"""From OCR lines to a screenshot's kind and the case fields it shows (named by the case file's dotted paths)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kameng_filer.ocr.engine import Line, Reading
from kameng_filer.ocr.normalize import parse_amount, parse_datetime
from kameng_filer.pii import READ_CARD_GROUPS, READ_CARD_LABELLED, READ_PHONE

KINDS = {
    "order_info": "订单页",
    "payment_proof": "支付账单",
    "communication": "沟通记录",
    "problem_proof": "问题证明",
    "promise": "承诺/商品页",
    "balance": "余额/到账记录",
    "other": "其他",
}
"""Kinds a screenshot can read as (``balance`` proves a problem too: it counts as ``problem_proof``)."""

_KIND_WORDS: dict[str, tuple[str, ...]] = {
    "payment_proof": ("账单详情", "交易号", "交易单号", "支付单号", "交易成功", "支付成功", "付款方式", "支付方式", "微信支付", "支付宝"),
    "order_info": ("订单详情", "订单号", "订单编号", "下单时间", "实付", "订单状态", "待发货", "购买数量", "数量"),
    "communication": ("消息", "聊天", "客服", "我:", "商家:", "卖家:", "对方:"),
    "problem_proof": ("已被使用", "已使用", "无效", "错误", "未到账", "失败", "不存在", "已过期", "兑换失败"),
    "promise": ("秒到", "包退", "承诺", "保证", "商品详情", "假一赔", "售后"),
    "balance": ("余额", "当前点券", "我的点券", "充值记录", "到账记录"),
}

_ID = r"([A-Za-z0-9][A-Za-z0-9_-]{5,40})"
_LABELS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("order.payment.transaction_no", re.compile(r"(?:交易号|交易单号|支付单号|微信支付单号|支付流水号|流水号)\s*:?\s*" + _ID)),
    ("order.order_no", re.compile(r"(?:商户订单号|商家订单号|商户单号|订单编号|订单号)\s*:?\s*" + _ID)),
    ("order.ordered_at", re.compile(r"(?:下单时间|创建时间|订单时间|提交时间)\s*:?\s*(.+)")),
    ("order.paid_at", re.compile(r"(?:支付时间|付款时间|交易时间)\s*:?\s*(.+)")),
    ("order.amount", re.compile(r"(?:实付款|实付|支付金额|付款金额|订单金额|实付金额|金额)\s*:?\s*(.+)")),
    ("order.product", re.compile(r"^(?:商品名称|商品)\s*:\s*(.+)")),
    ("respondent.merchant.name", re.compile(r"^(?:店铺名称|店铺|商家名称|卖家|商户名称)\s*:\s*(.+)")),
    ("order.payment.method", re.compile(r"(?:支付方式|付款方式)\s*:?\s*(.+)")),
)
_PLATFORM = re.compile(r"([\u4e00-\u9fff]{1,8}(?:卡盟|发卡网|发卡|卡网|寄售))")
_METHODS = (("支付宝", "alipay"), ("余额宝", "alipay"), ("花呗", "alipay"), ("零钱", "wechat_pay"), ("微信", "wechat_pay"), ("银行卡", "bank_card"), ("储蓄卡", "bank_card"), ("信用卡", "bank_card"), ("余额", "balance"))

SECRET_PATHS = frozenset({"order.card_key"})
"""Field paths whose values are secrets (never shown in full, redacted before anything goes public)."""


@dataclass
class FileReading:
    """One screenshot read: kind, lines and fields (path → value, confidence, box)."""

    file: str
    kind: str
    lines: list[Line]
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The ``kameng read --json`` form of this file."""
        return {
            "file": self.file,
            "kind": self.kind,
            "lines": [ln.text for ln in self.lines],
            "fields": self.fields,
        }


def classify(lines: list[Line]) -> str:
    """The kind of screenshot these lines come from (the header line weighs double)."""
    scores = dict.fromkeys(_KIND_WORDS, 0.0)
    for i, ln in enumerate(lines):
        weight = 3.0 if i == 0 else 1.0
        for kind, words in _KIND_WORDS.items():
            scores[kind] += weight * sum(1 for w in words if w in ln.text)
        if re.match(r"^\[?\d{1,2}[-/]\d{2,4}", ln.text) and ":" in ln.text[5:]:
            scores["communication"] += 1
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] > 0 else "other"


def _put(fields: dict[str, dict[str, Any]], path: str, value: Any, ln: Line) -> None:
    if value in (None, "") or path in fields:
        return
    entry: dict[str, Any] = {"value": value, "confidence": ln.confidence, "box": list(ln.box)}
    if path in SECRET_PATHS:
        entry["secret"] = True
    fields[path] = entry


def _method(text: str) -> str | None:
    return next((m for word, m in _METHODS if word in text), None)


def _value(path: str, raw: str, today: date | None) -> Any:
    if path == "order.amount":
        if not any(c in raw for c in "￥元"):  # OCR often reads ￥ as "?", "Y" or "羊": keep the number only
            raw = "￥" + re.sub(r"^[^\d]*?(?=\d)", "", raw, count=1)
        amount = parse_amount(raw)
        return f"{amount:.2f}" if amount is not None else None
    if path in ("order.ordered_at", "order.paid_at"):
        dt = parse_datetime(raw, today=today)
        return dt.isoformat() if dt else None
    if path == "order.payment.method":
        return _method(raw)
    if path == "respondent.merchant.name":
        return re.sub(r"\s*\((?:ID|店铺ID|id)\s*:?\s*\w+\)\s*$", "", raw).strip() or None
    return raw.strip()


def rows(lines: list[Line]) -> list[Line]:
    """Lines on the same row joined left to right (a label on the left, its value on the right)."""
    out: list[list[Line]] = []
    for ln in sorted(lines, key=lambda x: (x.box[1] + x.box[3]) / 2):
        mid = (ln.box[1] + ln.box[3]) / 2
        if out:
            last = out[-1][0]
            half = (last.box[3] - last.box[1]) / 2
            if abs(mid - (last.box[1] + last.box[3]) / 2) < half:
                out[-1].append(ln)
                continue
        out.append([ln])
    joined: list[Line] = []
    for group in out:
        group.sort(key=lambda x: x.box[0])
        text = group[0].text
        for ln in group[1:]:
            text += ln.text if text.endswith(":") else ":" + ln.text
        box = (
            min(x.box[0] for x in group),
            min(x.box[1] for x in group),
            max(x.box[2] for x in group),
            max(x.box[3] for x in group),
        )
        joined.append(Line(text, min(x.confidence for x in group), box))
    return joined


def _bill_own_number(text: str, m: re.Match[str]) -> bool:
    """True for a bill's plain ``订单号`` (Alipay's own number), not ``商户订单号``/``商家订单号``/``商户单号``."""
    label = text[m.start() : m.start(1)]
    return label.lstrip().startswith("订单号") and text[max(0, m.start() - 2) : m.start()] not in ("商户", "商家")


def extract(file: str, reading: Reading, *, today: date | None = None) -> FileReading:
    """Kind and fields of one screenshot's OCR reading."""
    kind = classify(list(reading.lines))
    lines = rows(list(reading.lines))
    fields: dict[str, dict[str, Any]] = {}
    if lines and kind == "payment_proof":  # the app showing the bill names the method (余额宝 is Alipay)
        _put(fields, "order.payment.method", _method(lines[0].text), lines[0])
    for ln in lines:
        for path, rx in _LABELS:
            m = rx.search(ln.text)
            if m:
                if path == "order.order_no" and kind == "payment_proof" and _bill_own_number(ln.text, m):
                    path = "order.payment.transaction_no"  # a bill's plain 订单号 is the payment's own number
                _put(fields, path, _value(path, m.group(1), today), ln)
        for rx in (READ_CARD_LABELLED, READ_CARD_GROUPS):
            m = rx.search(ln.text)
            if m and not READ_PHONE.fullmatch(m.group(1)) and m.group(1) != fields.get("order.order_no", {}).get("value"):
                _put(fields, "order.card_key", m.group(1), ln)
        m = READ_PHONE.search(ln.text)
        if m:
            _put(fields, "complainant.phone", m.group(1), ln)
    if kind == "payment_proof" and "order.amount" not in fields:
        for ln in lines:
            if re.fullmatch(r"[-+]?\s*\d[\d,]*\.\d{2}", ln.text):
                _put(fields, "order.amount", _value("order.amount", ln.text, today), ln)
                break
    if lines:
        head = lines[0]
        if kind == "order_info" and "·" in head.text:
            _put(fields, "respondent.platform", head.text.split("·")[0].strip(), head)
    for ln in lines:
        m = _PLATFORM.search(ln.text)
        if m and "respondent.platform" not in fields:
            name = re.sub(r"^.*(?:说明|名称|来自)", "", m.group(1))
            _put(fields, "respondent.platform", name, ln)
    return FileReading(file, kind, list(reading.lines), fields)


def merge(readings: list[FileReading]) -> dict[str, Any]:
    """One value per case path across files: the most confident reading wins (secrets left out)."""
    best: dict[str, tuple[float, Any]] = {}
    for r in readings:
        for path, f in r.fields.items():
            if f.get("secret") or path == "complainant.phone":  # may be the seller's number
                continue
            if path not in best or f["confidence"] > best[path][0]:
                best[path] = (f["confidence"], f["value"])
    return {p: v for p, (_, v) in sorted(best.items())}
