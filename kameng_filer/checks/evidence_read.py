"""Case vs its own evidence (read by OCR): order number, amount, times, transaction number, kind, payment method."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from kameng_filer.checks.base import Context
from kameng_filer.errors import KamengError
from kameng_filer.findings import Finding
from kameng_filer.timeutil import as_shanghai

_KIND_LABELS = {
    "order_info": "订单页",
    "payment_proof": "支付账单",
    "communication": "沟通记录",
    "problem_proof": "问题证明",
    "promise": "承诺/商品页",
    "other": "其他",
}
_METHOD_LABELS = {"alipay": "支付宝", "wechat_pay": "微信支付", "bank_card": "银行卡", "balance": "余额"}
# which screenshot kinds may contradict which case fields (a bill's 商户订单号 is not the platform's order number)
_COMPARED = {
    "order.order_no": ("order_info",),
    "order.amount": ("order_info", "payment_proof"),
    "order.ordered_at": ("order_info",),
    "order.paid_at": ("order_info", "payment_proof"),
    "order.payment.transaction_no": ("payment_proof",),
}
_LABELS = {
    "order.order_no": "订单号",
    "order.amount": "金额",
    "order.ordered_at": "下单时间",
    "order.paid_at": "支付时间",
    "order.payment.transaction_no": "交易号",
}


def _case_value(case: Any, path: str) -> Any:
    value: Any = case
    for part in path.split("."):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value


def _agrees(path: str, ours: Any, seen: str) -> bool:
    if path == "order.amount":
        try:
            return Decimal(str(ours)).quantize(Decimal("0.01")) == Decimal(seen)
        except InvalidOperation:
            return True
    if path in ("order.ordered_at", "order.paid_at"):
        local = as_shanghai(ours).replace(tzinfo=None)
        return abs((local - datetime.fromisoformat(seen)).total_seconds()) < 60
    return "".join(str(ours).split()).upper() == seen.upper()


def check(ctx: Context) -> Iterator[Finding]:
    """Warnings where a screenshot contradicts the case; hints for images OCR cannot read."""
    from kameng_filer.ocr.engine import OcrUnavailable, Unreadable, read_image
    from kameng_filer.ocr.fields import extract
    from kameng_filer.store.sniff import sniff_mime

    case = ctx.result.case
    if case is None:
        return
    for i, ev in enumerate(case.evidence):
        try:
            data = ev.path.read_bytes()
        except (OSError, ValueError, KamengError):
            continue  # missing, unreadable or outside the case folder: reported by the loader / evidence_files
        if not sniff_mime(data).startswith("image/"):
            continue
        try:
            reading = read_image(data, name=ev.file)
        except OcrUnavailable as exc:
            yield ctx.finding("evidence.read_unavailable", "evidence", exc.message, exc.hint or "")
            return
        except Unreadable:
            continue  # reported by evidence_files
        where = f"evidence[{i}].file"
        if not reading.lines:
            yield ctx.finding(
                "evidence.read_unreadable",
                where,
                f"证据 {ev.file} 中识别不出文字（可能太模糊、太小或不是截图）",
                "换一张清晰的原始截图（不要拍屏、不要压缩），文字要能看清",
            )
            continue
        seen = extract(ev.file, reading, today=ctx.now.date())
        yield from _compare(ctx, case, i, ev.file, seen)


def _compare(ctx: Context, case: Any, i: int, file: str, seen: Any) -> Iterator[Finding]:
    declared = str(getattr(case.evidence[i].kind, "value", case.evidence[i].kind))
    read_kind = "problem_proof" if seen.kind == "balance" else seen.kind
    if read_kind != "other" and declared != "other" and read_kind != declared:
        yield ctx.finding(
            "evidence.read_kind",
            f"evidence[{i}].kind",
            f"证据 {file} 登记为「{_KIND_LABELS.get(declared, declared)}」，"
            f"但截图内容看起来是「{_KIND_LABELS.get(read_kind, read_kind)}」",
            f"确认选对了截图；如果没错，把 kind 改成 {read_kind}",
        )
    for path, kinds in _COMPARED.items():
        got = seen.fields.get(path)
        ours = _case_value(case, path)
        if got is None or ours is None or seen.kind not in kinds or _agrees(path, ours, str(got["value"])):
            continue
        shown = str(got["value"]).replace("T", " ") if path.endswith("_at") else str(got["value"])
        yield ctx.finding(
            "evidence.read_mismatch",
            path,
            f"证据 {file} 显示{_LABELS[path]} {shown}，与 {path} 不一致",
            "核对截图和案件记录，改正写错的一方（识别可能有误时，以截图原文为准）",
        )
    method = seen.fields.get("order.payment.method")
    payment = getattr(case.order, "payment", None)
    if method and payment is not None and seen.kind == "payment_proof":
        ours = str(getattr(payment.method, "value", payment.method))
        if ours in _METHOD_LABELS and method["value"] != ours:
            yield ctx.finding(
                "evidence.read_method",
                "order.payment.method",
                f"证据 {file} 是{_METHOD_LABELS.get(method['value'], method['value'])}的账单，"
                f"但案件写的支付方式是{_METHOD_LABELS[ours]}",
                "核对支付方式；支付凭证应来自实际付款的 App",
            )
