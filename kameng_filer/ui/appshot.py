"""The App's screenshot attached when the person records an assisted channel's complaint number.

Size and type are checked on the content (Pillow must read it as a PNG, JPEG or WebP picture); the
uploaded file's name is never used: the stored name is the time and the content's SHA-256. The file is
kept where ``kameng report --screenshot`` keeps it (``artifacts/<case>/<channel>-reports/``), so the
receipt shows it on the dispute page and ``kameng export`` includes it (masked in the public version).
"""

from __future__ import annotations

import hashlib
import io
from datetime import datetime
from pathlib import Path

from kameng_filer.errors import KamengError

MAX_BYTES = 10 * 1024 * 1024
"""Largest screenshot accepted (a phone screenshot is a few MB at most)."""
MAX_PIXELS = 40_000_000
"""Largest picture accepted, in pixels (a phone screen is about 3 million)."""
FORMATS = {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".png"}
"""Accepted picture formats and the suffix they are kept with (WebP is kept as PNG, which every page shows)."""
HINT = "请上传 App 投诉详情页的截图（PNG、JPEG 或 WebP 图片，不超过 10 MB）。"


def checked_image(data: bytes) -> tuple[bytes, str]:
    """(the bytes to keep, their suffix) for a real picture, else ``KamengError`` saying what is wrong."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise KamengError("截图是空文件。", hint=HINT)
    if len(data) > MAX_BYTES:
        raise KamengError(f"截图太大（{len(data) / 1048576:.1f} MB，上限 {MAX_BYTES // 1048576} MB）。", hint=HINT)
    try:
        with Image.open(io.BytesIO(data)) as im:
            fmt = im.format or ""
            if fmt not in FORMATS:
                raise KamengError(f"截图的格式（{fmt or '未知'}）不能使用。", hint=HINT)
            if im.width * im.height > MAX_PIXELS:
                raise KamengError(f"截图的尺寸太大（{im.width}×{im.height}）。", hint=HINT)
            im.load()  # the whole picture must decode, not only its header
            if fmt == "WEBP":
                out = io.BytesIO()
                im.save(out, format="PNG")
                return out.getvalue(), ".png"
    except KamengError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise KamengError("上传的文件不是可以读取的图片。", hint=HINT) from None
    return data, FORMATS[fmt]


def keep(case_id: str, channel: str, data: bytes, suffix: str, at: datetime) -> Path:
    """Store a checked screenshot in the data folder under a generated name; its path."""
    from kameng_filer import paths
    from kameng_filer.filing.assisted import safe_name

    folder = paths.artifacts_dir() / safe_name(case_id) / f"{safe_name(channel)}-reports"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{at:%Y%m%d-%H%M%S}-app-{hashlib.sha256(data).hexdigest()[:12]}{suffix}"
    tmp = target.with_name(f".{target.name}.part")
    tmp.write_bytes(data)
    tmp.replace(target)
    return target
