"""Open evidence images small: decoded at reduced size where the format allows, bounded in pixels.

A phone screenshot is a few megapixels, but a scanned page or a stitched long screenshot can be 80+
megapixels; decoding it at full size and re-encoding it used over a gigabyte. ``open_bounded`` decodes a
JPEG directly at 1/2, 1/4 or 1/8 size (``Image.draft``), shrinks any other format right after decoding
with ``Image.reduce`` (the full-size pixels are freed at once), and refuses images with more pixels
than ``MAX_PIXELS`` (decompression bombs) with a clear message before anything is decoded.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from kameng_filer.errors import FilingError

MAX_PIXELS = 100_000_000
"""Images with more pixels than this are refused (10,000 × 10,000; a phone photo is 12-50 million)."""

_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class ImageTooLarge(FilingError):
    """An image has more pixels than can be opened safely."""


def _too_large(name: str, size: tuple[int, int]) -> ImageTooLarge:
    w, h = size
    return ImageTooLarge(
        f"证据图片 {name} 的尺寸异常大（{w}×{h},{w * h / 1e6:.0f} 百万像素），为安全起见不打开",
        hint="截取需要的部分，或用看图软件把图片缩小到 1 亿像素以内后替换该文件",
    )


def open_bounded(source: Path | bytes, max_side: int, *, name: str = "") -> Image.Image:
    """The image at ``source`` decoded, upright (EXIF orientation) and at most ``max_side`` pixels wide/high.

    Raises ``ImageTooLarge`` for images over ``MAX_PIXELS`` and ``FilingError`` for unreadable ones;
    the result carries no metadata.
    """
    label = name or (source.name if isinstance(source, Path) else "")
    fp = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(fp) as src:
                if src.size[0] * src.size[1] > MAX_PIXELS:
                    raise _too_large(label, src.size)
                orientation = src.getexif().get(0x0112, 1)
                if src.format == "JPEG":
                    src.draft(src.mode if src.mode in ("RGB", "L") else "RGB", (max_side, max_side))
                img = _shrunk(src, max_side)
    except ImageTooLarge:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(
            f"证据图片 {label} 的尺寸异常大（超过 {MAX_PIXELS // 1_000_000} 百万像素），为安全起见不打开",
            hint="截取需要的部分，或用看图软件把图片缩小到 1 亿像素以内后替换该文件",
            detail=str(exc),
        ) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise FilingError(f"证据图片 {label} 无法读取", detail=str(exc)) from None
    if orientation in _TRANSPOSE:
        img = img.transpose(_TRANSPOSE[orientation])
    img.info.clear()
    return img


def _shrunk(src: Image.Image, max_side: int) -> Image.Image:
    """Decode ``src`` and bring it within ``max_side`` (integer reduce first: cheap, then a fine resize)."""
    src.load()
    img: Image.Image = src
    factor = max(src.size) // (2 * max_side)
    if factor >= 2 and src.mode not in ("P", "1"):
        img = src.reduce(factor)
    elif src.mode in ("P", "1") and max(src.size) > max_side:
        img = src.convert("RGBA" if "transparency" in src.info else "RGB")
    else:
        img = src.copy()
    if max(img.size) > max_side:
        img.thumbnail((max_side, max_side))
    return img
