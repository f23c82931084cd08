"""A case draft from screenshots: values read by OCR (each with the image it came from) and evidence entries."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from kameng_filer.ocr.engine import read_image
from kameng_filer.ocr.fields import KINDS, FileReading, extract

_EVIDENCE_KIND = {"balance": "problem_proof"}
_TEMPLATE_KEYS = {
    "order.order_no": "order_no",
    "order.product": "product",
    "order.amount": "amount",
    "order.payment.method": "payment_method",
    "respondent.platform": "platform",
}
_PREFERRED = {
    "order.order_no": ("order_info",),
    "order.product": ("order_info", "promise"),
    "order.ordered_at": ("order_info",),
    "order.payment.transaction_no": ("payment_proof",),
    "order.payment.method": ("payment_proof",),
    "respondent.platform": ("order_info",),
    "respondent.merchant.name": ("order_info",),
}
"""The screenshot kinds whose reading of a field wins over other screenshots'."""

LABELS = {
    "order.order_no": "订单号",
    "order.product": "商品",
    "order.amount": "实付金额(元)",
    "order.ordered_at": "下单时间",
    "order.paid_at": "支付时间",
    "order.payment.method": "支付方式",
    "order.payment.transaction_no": "交易号",
    "respondent.platform": "平台",
    "respondent.merchant.name": "商家",
}


@dataclass
class DraftValue:
    """One case value and the screenshot it was read from."""

    path: str
    value: str
    source: str
    confidence: float


@dataclass
class DraftEvidence:
    """An evidence entry for the drafted case."""

    id: str
    kind: str
    file: str
    description: str


@dataclass
class Draft:
    """Values and evidence entries drafted from screenshots."""

    values: dict[str, DraftValue] = field(default_factory=dict)
    evidence: list[DraftEvidence] = field(default_factory=list)
    readings: list[FileReading] = field(default_factory=list)

    def answers(self) -> dict[str, str]:
        """The ``render_template`` answers these values fill."""
        out = {key: self.values[p].value for p, key in _TEMPLATE_KEYS.items() if p in self.values}
        return out


def _evidence_id(stem: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-").lower() or "evidence"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name


def draft(images: list[Path], folder: Path, *, today: date | None = None) -> Draft:
    """Read ``images``, copy them into ``folder/evidence/`` and draft the case's values and evidence."""
    out = Draft()
    evidence_dir = folder / "evidence"
    evidence_dir.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    ranks: dict[str, tuple[bool, float]] = {}
    for image in images:
        data = image.read_bytes()
        target = evidence_dir / image.name
        if target.resolve() != image.resolve():
            n = 2
            while target.exists():
                target = evidence_dir / f"{image.stem}-{n}{image.suffix}"
                n += 1
            shutil.copyfile(image, target)
        rel = f"evidence/{target.name}"
        reading = extract(rel, read_image(data, name=str(image)), today=today)
        out.readings.append(reading)
        for path, f in reading.fields.items():
            if path not in LABELS:
                continue  # card keys and phone numbers never go into the draft
            rank = (reading.kind in _PREFERRED.get(path, ()), f["confidence"])
            if path not in ranks or rank > ranks[path]:
                ranks[path] = rank
                out.values[path] = DraftValue(path, str(f["value"]), rel, f["confidence"])
        kind = _EVIDENCE_KIND.get(reading.kind, reading.kind)
        shown = [LABELS[p] for p in reading.fields if p in LABELS]
        desc = f"{KINDS.get(reading.kind, '截图')}截图" + (f",显示{'、'.join(shown)}" if shown else "")
        out.evidence.append(DraftEvidence(_evidence_id(target.stem, taken), kind, rel, desc))
    return out


def _set_line(text: str, key: str, value: str) -> str:
    """Fill ``  key:`` (empty or ``""``) in the template, keeping the line's comment."""
    rx = re.compile(rf"^(\s*{re.escape(key)}:)(?: \"\")?( *)(#.*)?$", re.M)
    return rx.sub(lambda m: f"{m[1]} {value}" + (f"  {m[3]}" if m[3] else ""), text, count=1)


def apply(text: str, d: Draft) -> str:
    """The rendered ``case.yaml`` template with the draft's times, transaction number, seller and evidence."""
    import json

    v = d.values
    if "order.ordered_at" in v:
        text = _set_line(text, "ordered_at", v["order.ordered_at"].value)
    if "order.paid_at" in v:
        text = _set_line(text, "paid_at", v["order.paid_at"].value)
    if "order.payment.transaction_no" in v:
        text = _set_line(text, "transaction_no", json.dumps(v["order.payment.transaction_no"].value))
    if "respondent.merchant.name" in v:
        text = re.sub(
            r'^(    name:) ""$', lambda m: f"{m[1]} {json.dumps(v['respondent.merchant.name'].value, ensure_ascii=False)}",
            text, count=1, flags=re.M,
        )
    if d.evidence:
        entries = "".join(
            f"  - id: {e.id}\n    kind: {e.kind}\n    file: {json.dumps(e.file, ensure_ascii=False)}\n"
            f"    description: {json.dumps(e.description, ensure_ascii=False)}\n"
            for e in d.evidence
        )
        text = re.sub(r"^evidence: \[\]( *#.*)?\n", lambda m: f"evidence:{m[1] or ''}\n{entries}", text, count=1, flags=re.M)
    return text
