"""Redaction before anything goes public: personal data, card keys and QR codes covered by solid boxes.

Text is found by OCR (``engine.read_image``); each sensitive part of a line is covered by a black box
sized from its position in the line (CJK characters count double width). QR codes and barcodes are found
with OpenCV. When the image cannot be read by OCR the result says so (``confident=False``): it must not
go public unless the person checked it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kameng_filer.errors import KamengError
from kameng_filer.ocr import engine
from kameng_filer.ocr.normalize import normalize_text

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("身份证号", re.compile(r"(?<![0-9A-Za-z])\d{6}(?:19|20)\d{2}\d{7}[\dXx](?![0-9A-Za-z])")),
    ("手机号", re.compile(r"(?<!\d)1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)|(?<!\d)1[3-9]\d\*{4}\d{4}(?!\d)")),
    ("邮箱", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")),
    ("卡密", re.compile(r"(?:卡密|卡号|密码|激活码|兑换码|CDK|cdk|CDKEY|充值码)\s*:?\s*([A-Za-z0-9][A-Za-z0-9 -]{3,63})")),
    ("卡密", re.compile(r"(?<![A-Za-z0-9])(?=[A-Za-z0-9-]*[A-Za-z])[A-Za-z0-9]{2,8}(?:-[A-Za-z0-9]{2,8}){2,7}(?![A-Za-z0-9])")),
    ("卡密", re.compile(r"(?<![A-Za-z0-9-])\d{4,6}(?:[- ]\d{4,6}){2,7}(?![A-Za-z0-9-])")),
    ("QQ/微信号", re.compile(r"(?:QQ|qq|企鹅|扣扣)\s*(?:号)?\s*:?\s*([1-9]\d{4,11})")),
    ("QQ/微信号", re.compile(r"(?:微信号|微信|wx|WX|vx|VX|V信)\s*:?\s*([A-Za-z][A-Za-z0-9_-]{5,19}|1[3-9]\d{9})")),
    ("游戏账号", re.compile(r"(?:游戏账号|充值账号|账号|帐号|角色ID|角色id|UID|uid|玩家ID)\s*:?\s*([^\s:]{3,40})")),
    ("姓名", re.compile(r"(?:收货人|联系人|姓名|真实姓名|买家姓名)\s*:?\s*([\u4e00-\u9fff]{2,4})")),
    ("住址", re.compile(r"(?:地址|收货地址|联系地址|住址)\s*:?\s*(.{4,80})")),
)
MAX_SIDE = 8192
"""Longest side of a redacted image (larger ones are scaled down; uploads are at most 4096 pixels anyway)."""

_LONG_KEY = re.compile(r"(?<![A-Za-z0-9])(?=[A-Za-z0-9]*[A-Za-z])(?=[A-Za-z0-9]*\d)[A-Za-z0-9]{12,40}(?![A-Za-z0-9])")
_NOT_KEY_BEFORE = re.compile(r"(?:订单号|订单编号|单号|交易号|订单|流水号)\s*:?\s*$")


@dataclass
class Redaction:
    """A redacted image: bytes (same format, no EXIF), covered boxes with reasons, and whether OCR ran."""

    data: bytes
    mime: str
    boxes: list[tuple[int, int, int, int]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    confident: bool = True
    problem: str = ""
    covered: float = 0.0
    """Fraction of the picture's area covered by boxes (0..1)."""

    def as_json(self) -> dict[str, Any]:
        """JSON-friendly summary (without the bytes)."""
        return {
            "boxes": [list(b) for b in self.boxes],
            "reasons": self.reasons,
            "confident": self.confident,
            "problem": self.problem,
            "covered": round(self.covered, 4),
        }


def _width(ch: str) -> float:
    return 1.0 if ord(ch) < 0x2E80 else 1.9


def _span_box(text: str, start: int, end: int, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """The part of a line's box holding characters ``start:end`` (one character of margin each side)."""
    widths = [_width(c) for c in text] or [1.0]
    total = sum(widths)
    x0, y0, x1, y1 = box
    unit = (x1 - x0) / total
    left = x0 + unit * (sum(widths[:start]) - 1.0)
    right = x0 + unit * (sum(widths[:end]) + 1.0)
    pad_y = max(2, (y1 - y0) // 8)
    return (max(x0 - 2, int(left)), y0 - pad_y, min(x1 + 2, int(right) + 1), y1 + pad_y)


def _personal_words(case: Any) -> list[tuple[str, str]]:
    """The complainant's own values (name, phone, e-mail, address, id, game account, card key) to look for."""
    if case is None:
        return []
    c = case.complainant
    order = case.order
    pairs = [
        ("姓名", c.name),
        ("手机号", c.phone),
        ("邮箱", c.email),
        ("住址", c.address),
        ("身份证号", c.id_number),
        ("游戏账号", getattr(order, "account", None)),
        ("卡密", getattr(order, "card_key", None)),
    ]
    return [(k, normalize_text(str(v))) for k, v in pairs if v and len(str(v).strip()) >= 2]


def _squash(text: str) -> tuple[str, list[int]]:
    """``text`` without spaces and dashes, with the index in ``text`` of each kept character."""
    kept = [(i, c) for i, c in enumerate(text) if c not in " -"]
    return "".join(c for _, c in kept), [i for i, _ in kept]


def find_spans(text: str, case: Any = None, *, keep: Iterable[str] = ()) -> list[tuple[int, int, str]]:
    """Sensitive character spans ``(start, end, reason)`` in one normalised OCR line."""
    spans: list[tuple[int, int, str]] = []
    for reason, rx in _PATTERNS:
        for m in rx.finditer(text):
            g = 1 if m.groups() else 0
            spans.append((m.start(g), m.end(g), reason))
    keep_set = {k for k in keep if k}
    for m in _LONG_KEY.finditer(text):
        if m.group(0) in keep_set or _NOT_KEY_BEFORE.search(text[: m.start()]):
            continue
        spans.append((m.start(), m.end(), "卡密"))
    squashed, index = _squash(text)
    for reason, word in _personal_words(case):
        w, _ = _squash(word)
        if len(w) < 2:
            continue
        pieces = {w}
        if reason == "住址" and len(w) > 6:  # an address OCR split over two lines: any 6 characters of it
            pieces |= {w[k : k + 6] for k in range(len(w) - 5)}
        for piece in pieces:
            for m in re.finditer(re.escape(piece), squashed):
                spans.append((index[m.start()], index[m.end() - 1] + 1, reason))
    return spans


def _codes(img: Any) -> list[tuple[int, int, int, int]]:
    """Boxes of QR codes and barcodes found by OpenCV (none when OpenCV is missing)."""
    try:
        import cv2
        import numpy as np
    except ImportError:
        return []
    arr = np.asarray(img.convert("L"))
    boxes: list[tuple[int, int, int, int]] = []
    detectors: list[Any] = [cv2.QRCodeDetector()]
    make_bar = getattr(cv2, "barcode_BarcodeDetector", None) or getattr(getattr(cv2, "barcode", None), "BarcodeDetector", None)
    if make_bar is not None:
        detectors.append(make_bar())
    for det in detectors:
        try:
            found = det.detectMulti(arr) if hasattr(det, "detectMulti") else det.detect(arr)
        except cv2.error:
            continue
        ok, points = found[0], found[1]
        if not ok or points is None:
            continue
        for quad in np.asarray(points).reshape(-1, 4, 2):
            xs, ys = quad[:, 0], quad[:, 1]
            pad = max(4, int((xs.max() - xs.min()) * 0.06))
            boxes.append((int(xs.min()) - pad, int(ys.min()) - pad, int(xs.max()) + pad, int(ys.max()) + pad))
    return boxes


def _area(boxes: list[tuple[int, int, int, int]], w: int, h: int) -> float:
    """Covered fraction of a ``w``×``h`` picture (overlaps counted once)."""
    if not boxes or not w or not h:
        return 0.0
    import numpy as np

    mask = np.zeros((h, w), dtype=bool)
    for x0, y0, x1, y1 in boxes:
        mask[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)] = True
    return float(mask.mean())


def redact(data: bytes, *, case: Any = None, name: str = "") -> Redaction:
    """The image with every sensitive text box, QR code and barcode covered by black boxes.

    When OCR is not available or cannot decode the image, the original bytes come back with
    ``confident=False`` and ``problem`` saying why: such an image must not be published unchecked.
    """
    from PIL import Image, ImageDraw

    try:
        reading = engine.read_image(data, name=name)
    except KamengError as exc:
        return Redaction(data, "", confident=False, problem=exc.message)
    keep = [case.order.order_no, getattr(case.order.payment, "transaction_no", None)] if case is not None else []
    from kameng_filer.filing.imaging import open_bounded

    with Image.open(io.BytesIO(data)) as src:
        fmt = src.format or "PNG"
    img = open_bounded(data, MAX_SIDE, name=name).convert("RGB")  # upright, huge images decoded small
    k = max(img.size) / max(reading.width, reading.height, 1)
    boxes: list[tuple[int, int, int, int]] = []
    reasons: list[str] = []
    for ln in reading.lines:
        for start, end, reason in find_spans(ln.text, case, keep=keep):
            x0, y0, x1, y1 = _span_box(ln.text, start, end, ln.box)
            box = (int(x0 * k), int(y0 * k), int(x1 * k) + 1, int(y1 * k) + 1)
            if box not in boxes:
                boxes.append(box)
            reasons.append(reason)
    for box in _codes(img):
        boxes.append(box)
        reasons.append("二维码/条码")
    draw = ImageDraw.Draw(img)
    for box in boxes:
        draw.rectangle(box, fill=(0, 0, 0))
    out = io.BytesIO()
    if fmt == "JPEG":
        img.save(out, format="JPEG", quality=90)
        mime = "image/jpeg"
    elif fmt == "WEBP":
        img.save(out, format="WEBP", quality=90)
        mime = "image/webp"
    else:
        img.save(out, format="PNG")
        mime = "image/png"
    return Redaction(
        out.getvalue(), mime, boxes, sorted(set(reasons)), covered=_area(boxes, img.width, img.height)
    )
