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

ENGINE_ID = "rapidocr-1.4-ppocrv4-nocls-v1"
"""Bumped whenever engine settings change, so that cached results of older settings are not reused."""

MAX_SIDE = 2400
"""Images are scaled so that their longest side is at most this many pixels before OCR."""

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
                use_cls=False, intra_op_num_threads=n, inter_op_num_threads=1, print_verbose=False
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


def _run(data: bytes, name: str) -> tuple[int, int, list[Line]]:
    import numpy as np

    img, (width, height) = _decode(data, name)
    scale = img.width / width if width else 1.0
    result, _ = engine()(np.asarray(img)[:, :, ::-1])
    lines: list[Line] = []
    for points, text, score in result or []:
        xs = [p[0] / scale for p in points]
        ys = [p[1] / scale for p in points]
        box = (int(min(xs)), int(min(ys)), int(max(xs)) + 1, int(max(ys)) + 1)
        lines.append(Line(normalize_text(str(text)), round(float(score), 3), box))
    lines.sort(key=lambda ln: (ln.box[1] // 8, ln.box[0]))
    return width, height, lines


def read_image(data: bytes, *, name: str = "", use_cache: bool = True) -> Reading:
    """OCR of an image's bytes, from the cache when this exact image was read before."""
    sha = hashlib.sha256(data).hexdigest()
    if use_cache:
        hit = cache.load(ENGINE_ID, sha)
        if hit is not None:
            return _from_json(sha, hit)
    width, height, lines = _run(data, name or sha[:12])
    reading = Reading(sha, width, height, tuple(lines))
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
        "lines": [{"text": ln.text, "confidence": ln.confidence, "box": list(ln.box)} for ln in r.lines],
    }


def _from_json(sha: str, d: dict[str, Any]) -> Reading:
    lines = tuple(
        Line(str(x["text"]), float(x["confidence"]), tuple(int(v) for v in x["box"]))  # type: ignore[arg-type]
        for x in d.get("lines", [])
    )
    return Reading(sha, int(d.get("width", 0)), int(d.get("height", 0)), lines)
