"""The OCR engine (RapidOCR, PP-OCRv4 models shipped in the wheel): loaded lazily, once per process.

Nothing is imported at ``kameng`` start-up; ``read_image`` loads the model on first use and caches every
result by the image's SHA-256 (``cache.py``), so each screenshot is read once.
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
from dataclasses import dataclass
from typing import Any

from kameng_filer.errors import KamengError
from kameng_filer.ocr import cache
from kameng_filer.ocr.normalize import normalize_text

ENGINE_ID = "rapidocr-1.4-ppocrv4-nocls-det736-v2"
"""Bumped whenever engine settings change, so that cached results of older settings are not reused."""

MAX_SIDE = 2400
"""Images are scaled so that their longest side is at most this many pixels before OCR."""

DET_SIDE = 736
"""Text detection runs on the image scaled so that its shorter side is this many pixels (PP-OCR's own
default); recognition then reads each line from the full-size image. Detection is most of the time: a
1080×2400 screenshot detected at full size cost about 1.5× a 720×1600 one."""
BLANK_MARGIN = 24
"""Pixels kept above the first and below the last row with content when blank bands are cut off."""

_lock = threading.Lock()
_engine: Any = None


class OcrUnavailable(KamengError):
    """The OCR engine cannot be loaded (package missing or broken)."""


class Unreadable(KamengError):
    """The image cannot be decoded."""


@dataclass(frozen=True)
class Line:
    """One text line found in an image: normalised text, confidence 0..1, box ``(x0, y0, x1, y1)`` in pixels."""

    text: str
    confidence: float
    box: tuple[int, int, int, int]


@dataclass(frozen=True)
class Reading:
    """What OCR saw in one image: its size and text lines, top to bottom."""

    sha256: str
    width: int
    height: int
    lines: tuple[Line, ...]
    unread: int = 0
    """Text boxes found whose text could not be read (rotated, blurred or tiny text): redaction is unsure."""


def _threads() -> int:
    try:
        return max(1, int(os.environ.get("KAMENG_OCR_THREADS", "1")))
    except ValueError:
        return 1


def engine() -> Any:
    """The process-wide RapidOCR instance (loaded on first call; one thread unless ``KAMENG_OCR_THREADS``)."""
    global _engine
    with _lock:
        if _engine is None:
            try:
                from rapidocr_onnxruntime import RapidOCR
            except Exception as exc:  # any import failure means "not available"
                raise OcrUnavailable(
                    "文字识别(OCR)组件不可用",
                    hint="重新安装本工具:pip install --force-reinstall kameng-filer(会安装 rapidocr-onnxruntime)",
                    detail=str(exc),
                ) from None
            n = _threads()
            _engine = RapidOCR(
                use_cls=False,
                intra_op_num_threads=n,
                inter_op_num_threads=1,
                print_verbose=False,
                det_limit_side_len=32,  # no resizing inside the detector: ``_ocr`` scales to DET_SIDE itself
            )
        return _engine


def is_loaded() -> bool:
    """True once the model has been loaded in this process."""
    return _engine is not None


def _decode(data: bytes, name: str) -> tuple[Any, tuple[int, int]]:
    """The image upright, decoded small (longest side at most ``MAX_SIDE``), and its full upright size."""
    from PIL import Image

    from kameng_filer.filing.imaging import open_bounded

    try:
        img = open_bounded(data, MAX_SIDE, name=name).convert("RGB")
        with Image.open(io.BytesIO(data)) as src:
            size = src.size
    except KamengError as exc:
        raise Unreadable(
            exc.message if "像素" in exc.message else f"无法读取图片:{name}",
            hint=exc.hint or "确认它是 PNG、JPEG 或 WebP 格式的截图",
            detail=exc.detail,
        ) from None
    except Exception as exc:  # any decoder failure: the image is unreadable
        raise Unreadable(
            f"无法读取图片:{name}", hint="确认它是 PNG、JPEG 或 WebP 格式的截图", detail=str(exc)
        ) from None
    if (img.width > img.height) != (size[0] > size[1]):  # EXIF rotation by 90°
        size = (size[1], size[0])
    return img, size


def _content_rows(bgr: Any) -> tuple[int, int]:
    """The rows ``[top, bottom)`` holding anything but one flat colour (blank bands above and below cut off)."""
    import numpy as np

    gray = bgr[:, :, 1]
    rows = np.flatnonzero(gray.max(axis=1).astype(np.int16) - gray.min(axis=1) > 24)
    if rows.size == 0:
        return 0, 0
    h, w = gray.shape
    top, bottom = max(0, int(rows[0]) - BLANK_MARGIN), min(h, int(rows[-1]) + 1 + BLANK_MARGIN)
    short = w // 4 - (bottom - top)  # keep strips no flatter than 4:1 (the detector reads those best)
    if short > 0:
        top, bottom = max(0, top - short // 2), min(h, bottom + short - short // 2)
    return top, bottom


def _ocr(bgr: Any) -> tuple[list[tuple[Any, str, float]], int]:
    """``(points, text, score)`` per line and the number of boxes left unread: blank bands cut off, lines
    detected on a copy scaled so that the image's shorter side is ``DET_SIDE``, each read at full size."""
    import cv2
    import numpy as np

    eng = engine()
    h, w = bgr.shape[:2]
    if not hasattr(eng, "auto_text_det"):  # another RapidOCR layout: its own pipeline
        result, _ = eng(bgr)
        return [(p, str(t), float(s)) for p, t, s in result or []], 0
    top, bottom = _content_rows(bgr)
    if bottom <= top:
        return [], 0
    part = np.ascontiguousarray(bgr[top:bottom])
    f = DET_SIDE / min(h, w)
    size = (max(32, round(w * f)), max(32, round((bottom - top) * f)))
    small = part if abs(f - 1) < 0.02 else cv2.resize(part, size, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR)
    boxes, _ = eng.auto_text_det(small)
    if boxes is None or len(boxes) == 0:
        return [], 0
    sx, sy = part.shape[1] / small.shape[1], part.shape[0] / small.shape[0]
    limit = [part.shape[1] - 1, part.shape[0] - 1]
    full = [np.clip(np.asarray(b, dtype=np.float32) * [sx, sy], 0, limit).astype(np.float32) for b in boxes]
    texts, _ = eng.text_rec(eng.get_crop_img_list(part, full), False)
    lines = [
        (np.add(b, (0, top)).tolist(), str(t), float(s))
        for b, (t, s, *_) in zip(full, texts, strict=True)
        if float(s) >= eng.text_score and str(t).strip()
    ]
    return lines, len(full) - len(lines)


def _run(data: bytes, name: str) -> tuple[int, int, list[Line], int]:
    import numpy as np

    img, (width, height) = _decode(data, name)
    scale = img.width / width if width else 1.0
    result, unread = _ocr(np.ascontiguousarray(np.asarray(img)[:, :, ::-1]))
    lines: list[Line] = []
    for points, text, score in result:
        xs = [p[0] / scale for p in points]
        ys = [p[1] / scale for p in points]
        box = (int(min(xs)), int(min(ys)), int(max(xs)) + 1, int(max(ys)) + 1)
        lines.append(Line(normalize_text(str(text)), round(float(score), 3), box))
    lines.sort(key=lambda ln: (ln.box[1] // 8, ln.box[0]))
    return width, height, lines, unread


def read_image(data: bytes, *, name: str = "", use_cache: bool = True) -> Reading:
    """OCR of an image's bytes, from the cache when this exact image was read before."""
    sha = hashlib.sha256(data).hexdigest()
    if use_cache:
        hit = cache.load(ENGINE_ID, sha)
        if hit is not None:
            return _from_json(sha, hit)
    width, height, lines, unread = _run(data, name or sha[:12])
    reading = Reading(sha, width, height, tuple(lines), unread)
    if use_cache:
        cache.save(ENGINE_ID, sha, _to_json(reading))
    return reading


def cached(data: bytes) -> Reading | None:
    """The cached reading of an image, or None when it was never read (never runs OCR)."""
    sha = hashlib.sha256(data).hexdigest()
    hit = cache.load(ENGINE_ID, sha)
    return _from_json(sha, hit) if hit is not None else None


def _to_json(r: Reading) -> dict[str, Any]:
    return {
        "width": r.width,
        "height": r.height,
        "unread": r.unread,
        "lines": [{"text": ln.text, "confidence": ln.confidence, "box": list(ln.box)} for ln in r.lines],
    }


def _from_json(sha: str, d: dict[str, Any]) -> Reading:
    lines = tuple(
        Line(str(x["text"]), float(x["confidence"]), tuple(int(v) for v in x["box"]))  # type: ignore[arg-type]
        for x in d.get("lines", [])
    )
    return Reading(sha, int(d.get("width", 0)), int(d.get("height", 0)), lines, int(d.get("unread", 0)))
