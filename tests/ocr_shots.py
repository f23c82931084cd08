"""Screenshots made at test time with known values (Pillow-drawn and Chromium-rendered), and a shared OCR cache."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


@pytest.fixture(scope="session")
def ocr_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The process-wide OCR engine (one thread), loaded once, with one OCR cache for the session."""
    from kameng_filer.ocr import engine

    old = os.environ.get("KAMENG_OCR_CACHE")
    os.environ["KAMENG_OCR_CACHE"] = str(tmp_path_factory.mktemp("ocr-cache"))
    os.environ.setdefault("KAMENG_OCR_THREADS", "1")
    yield engine.engine()
    if old is None:
        os.environ.pop("KAMENG_OCR_CACHE", None)
    else:
        os.environ["KAMENG_OCR_CACHE"] = old


def draw_screen(
    lines: list[str], *, title: str, width: int = 720, fmt: str = "PNG", qr: str | None = None, size: int = 30
) -> bytes:
    """A phone-like screenshot: a coloured title bar and one text line per row (``fmt`` PNG or JPEG)."""
    font = ImageFont.truetype(FONT, size)
    row = int(size * 2.2)
    qr_side = 220 if qr else 0
    height = max(row * (len(lines) + 2) + qr_side + 40, int(width * 1.2))
    img = Image.new("RGB", (width, height), (255, 255, 255))
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, width, row + 10), fill=(22, 119, 255))
    d.text((24, 12), title, font=font, fill=(255, 255, 255))
    for i, text in enumerate(lines):
        d.text((24, row + 30 + i * row), text, font=font, fill=(30, 30, 30))
    if qr:
        import cv2
        import numpy as np

        code = cv2.QRCodeEncoder.create().encode(qr)
        q = Image.fromarray(np.asarray(code)).resize((200, 200), Image.NEAREST).convert("RGB")
        img.paste(q, (24, row + 40 + len(lines) * row))
    out = io.BytesIO()
    img.save(out, format=fmt, **({"quality": 85} if fmt == "JPEG" else {}))
    return out.getvalue()


def html_shot(tmp: Path, html: str, *, width: int = 540, height: int = 1200, scale: float = 1.0) -> bytes:
    """``html`` rendered by Chromium at a phone's viewport (``scale`` = device pixel ratio), as PNG."""
    from playwright.sync_api import sync_playwright

    from kameng_filer.browser import launch_options

    page_file = tmp / "shot.html"
    page_file.write_text(html, encoding="utf-8")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(**launch_options())
        try:
            page = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=scale)
            page.goto(page_file.as_uri())
            return page.screenshot(full_page=False)
        finally:
            browser.close()


def to_file(tmp: Path, name: str, data: bytes) -> Path:
    """Write ``data`` as ``tmp/name``; its path."""
    p = tmp / name
    p.write_bytes(data)
    return p


def is_image(data: bytes) -> bool:
    """True when Pillow can open ``data``."""
    try:
        with Image.open(io.BytesIO(data)):
            return True
    except OSError:
        return False
