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
from kameng_filer.pii import (
    CARD_KEY_LABELS,
    CONTINUED_VALUE,
    LANDLINE,
    NOT_KEY_BEFORE,
    OCR_LINE_PATTERNS,
    OCR_LONG_KEY,
    PARTIAL_VALUE_AT_END,
    VALUE_LABEL_AT_END,
    WXID,
)

MAX_SIDE = 8192
"""Longest side of a redacted image (larger ones are scaled down; uploads are at most 4096 pixels anyway)."""


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
    if (y1 - y0) > 1.5 * (x1 - x0):  # a vertical line (rotated picture): which end is first is unknown
        return (x0 - 2, y0 - 2, x1 + 2, y1 + 2)
    left = x0 + unit * (sum(widths[:start]) - 1.0)
    right = x0 + unit * (sum(widths[:end]) + 1.0)
    pad_y = max(2, (y1 - y0) // 8)
    return (max(x0 - 2, int(left)), y0 - pad_y, min(x1 + 2, int(right) + 1), y1 + pad_y)


_LABEL_REASONS = (("手机", "手机号"), ("电话", "手机号"), ("身份证", "身份证号"), ("qq", "QQ/微信号"), ("微信", "QQ/微信号"),
                  ("账号", "游戏账号"), ("uid", "游戏账号"))
_SECRET_REASONS = frozenset({"卡密", "手机号", "身份证号", "电话", "QQ/微信号", "游戏账号"})


def _next_to(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    """True when box ``b`` continues box ``a``: on the same row to its right, or on the row just below."""
    h = max(1, a[3] - a[1])
    same_row = abs(b[1] - a[1]) < h * 0.6 and b[0] >= a[0]
    below = 0 <= b[1] - a[1] <= h * 2.6 and b[0] < a[2] and b[2] > a[0]
    return same_row or below


def carried_spans(
    prev: str, prev_spans: list[tuple[int, int, str]], text: str
) -> tuple[list[tuple[int, int, str]], list[tuple[int, int, str]]]:
    """A value OCR split over two boxes: extra spans for ``prev`` and for ``text`` when the start of ``text``
    continues ``prev`` (a label such as ``卡密:`` with its value in the next box, a labelled value broken
    at the end of ``prev``, or a card key/number found at the very end of ``prev``)."""
    lead = CONTINUED_VALUE.match(text)
    if lead is None:
        return [], []
    here = (lead.start(1), lead.end(1))
    label = VALUE_LABEL_AT_END.search(prev)
    partial = PARTIAL_VALUE_AT_END.search(prev)
    if label is not None or partial is not None:
        name = (label or partial).group("label")  # type: ignore[union-attr]
        reason = "卡密" if name in CARD_KEY_LABELS else next(
            (r for k, r in _LABEL_REASONS if k in name.lower()), "个人信息"
        )
        before = [(partial.start("value"), partial.end("value"), reason)] if partial is not None else []
        return before, [(*here, reason)]
    tail = len(prev.rstrip())
    for _start, end, reason in prev_spans:
        if reason in _SECRET_REASONS and end >= tail:
            return [], [(*here, reason)]
    return [], []


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


def find_spans(
    text: str, case: Any = None, *, keep: Iterable[str] = (), before: str = ""
) -> list[tuple[int, int, str]]:
    """Sensitive character spans ``(start, end, reason)`` in one normalised OCR line (``before``: the text
    of the box this line continues, e.g. ``订单号:`` when the number wrapped onto the next line)."""
    spans: list[tuple[int, int, str]] = []
    for reason, rx in (*OCR_LINE_PATTERNS, ("电话", LANDLINE), ("QQ/微信号", WXID)):
        for m in rx.finditer(text):
            g = 1 if m.groups() else 0
            spans.append((m.start(g), m.end(g), reason))
    keep_set = {k for k in keep if k}
    for m in OCR_LONG_KEY.finditer(text):
        if m.group(0) in keep_set or NOT_KEY_BEFORE.search((before if m.start() == 0 else "") + text[: m.start()]):
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


def unsure(reading: engine.Reading) -> bool:
    """True when most text boxes OCR found could not be read (a turned, blurred or tiny picture)."""
    return reading.unread >= 2 and reading.unread > len(reading.lines)


UNREADABLE_TEXT = "图片中的文字大多无法识别（可能是旋转、模糊或太小的截图）"


def _turned(data: bytes, fmt: str, case: Any, name: str) -> Redaction:
    """A picture OCR cannot read upright: redacted the way it reads (turned by 90°, 180° or 270°), turned back."""
    from PIL import Image

    from kameng_filer.filing.imaging import open_bounded

    img = open_bounded(data, MAX_SIDE, name=name).convert("RGB")
    w, h = img.size
    back = {
        Image.Transpose.ROTATE_90: (Image.Transpose.ROTATE_270, lambda b: (w - b[3], b[0], w - b[1], b[2])),
        Image.Transpose.ROTATE_180: (Image.Transpose.ROTATE_180, lambda b: (w - b[2], h - b[3], w - b[0], h - b[1])),
        Image.Transpose.ROTATE_270: (Image.Transpose.ROTATE_90, lambda b: (b[1], h - b[2], b[3], h - b[0])),
    }
    for turn, (undo, box_back) in back.items():
        buf = io.BytesIO()
        img.transpose(turn).save(buf, format="PNG")
        try:
            reading = engine.read_image(buf.getvalue(), name=name)
        except KamengError:
            continue
        if not reading.lines or unsure(reading):
            continue
        result = redact(buf.getvalue(), case=case, name=name, turn=False)
        if not result.confident:
            continue
        with Image.open(io.BytesIO(result.data)) as out:
            upright = out.transpose(undo)
        encoded, mime = _encode(upright, fmt)
        return Redaction(encoded, mime, [box_back(b) for b in result.boxes], result.reasons, covered=result.covered)
    return Redaction(data, "", confident=False, problem=UNREADABLE_TEXT)


def _encode(img: Any, fmt: str) -> tuple[bytes, str]:
    """``img`` in the picture's own format (JPEG/WebP at quality 90, anything else as PNG) and its MIME type."""
    out = io.BytesIO()
    if fmt in ("JPEG", "WEBP"):
        img.save(out, format=fmt, quality=90)
        return out.getvalue(), f"image/{fmt.lower()}"
    img.save(out, format="PNG")
    return out.getvalue(), "image/png"


def redact(data: bytes, *, case: Any = None, name: str = "", turn: bool = True) -> Redaction:
    """The image with every sensitive text box, QR code and barcode covered by black boxes.

    When OCR is not available or cannot decode the image, or cannot read most of its text (even turned
    by 90°, 180° or 270°, which ``turn`` allows), the original bytes come back with ``confident=False``
    and ``problem`` saying why: such an image must not be published unchecked.
    """
    from PIL import Image, ImageDraw

    try:
        reading = engine.read_image(data, name=name)
    except KamengError as exc:
        return Redaction(data, "", confident=False, problem=exc.message)
    if unsure(reading):
        if not turn:
            return Redaction(data, "", confident=False, problem=UNREADABLE_TEXT)
        with Image.open(io.BytesIO(data)) as src:
            return _turned(data, src.format or "PNG", case, name)
    keep = [case.order.order_no, getattr(case.order.payment, "transaction_no", None)] if case is not None else []
    from kameng_filer.filing.imaging import open_bounded

    with Image.open(io.BytesIO(data)) as src:
        fmt = src.format or "PNG"
    img = open_bounded(data, MAX_SIDE, name=name).convert("RGB")  # upright, huge images decoded small
    k = max(img.size) / max(reading.width, reading.height, 1)
    boxes: list[tuple[int, int, int, int]] = []
    reasons: list[str] = []
    lines = reading.lines
    near = [[j for j in range(max(0, i - 4), i) if _next_to(lines[j].box, ln.box)] for i, ln in enumerate(lines)]
    found = [
        find_spans(ln.text, case, keep=keep, before=lines[near[i][-1]].text if near[i] else "")
        for i, ln in enumerate(lines)
    ]
    for i, ln in enumerate(lines):
        for j in near[i]:  # boxes just before this one (lines are sorted top to bottom)
            extra_before, extra_here = carried_spans(lines[j].text, found[j], ln.text)
            found[j] += extra_before
            found[i] += extra_here
    for ln, spans in zip(lines, found, strict=True):
        for start, end, reason in spans:
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
    out, mime = _encode(img, fmt)
    return Redaction(out, mime, boxes, sorted(set(reasons)), covered=_area(boxes, img.width, img.height))
