"""Make a captcha / QR image readable for a person: enlarged on disk, and drawn in the terminal.

Sites often serve captchas at 50×24 px; shown at that size (in an image viewer or a terminal) the
letters are unreadable. The saved file is enlarged in place by a whole factor with nearest-neighbour
resampling (no blur, QR codes stay scannable), and the terminal gets a block-character rendering.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image
from rich.style import Style
from rich.text import Text

MIN_WIDTH = 200
"""An image narrower than this is enlarged (50 px wide → 4×)."""
MAX_FACTOR = 8


def enlarge_image(path: Path, *, min_width: int = MIN_WIDTH, max_factor: int = MAX_FACTOR) -> tuple[int, int]:
    """Enlarge the image file at ``path`` in place so it is at least ``min_width`` wide; its new size.

    Nearest neighbour by a whole factor (at most ``max_factor``); a wide enough image, or a file that
    is not an image, is left as it is.
    """
    try:
        with Image.open(path) as img:
            img.load()
            width, height = img.size
            factor = min(max_factor, math.ceil(min_width / max(width, 1)))
            if factor <= 1:
                return width, height
            big = img.resize((width * factor, height * factor), Image.Resampling.NEAREST)
            fmt = img.format or "PNG"
        big.save(path, format=fmt)
        return big.size
    except (OSError, ValueError):  # not an image Pillow can read: show the file as it is
        return 0, 0


def terminal_picture(path: Path, *, max_columns: int = 80) -> Text | None:
    """The image drawn with half-block characters (two pixel rows per line), or None if unreadable."""
    try:
        with Image.open(path) as img:
            rgb = img.convert("RGB")
    except (OSError, ValueError):
        return None
    width, height = rgb.size
    scale = min(1.0, max_columns / max(width, 1))
    cols = max(1, int(width * scale))
    rows = max(2, int(height * scale) // 2 * 2)
    small = rgb.resize((cols, rows), Image.Resampling.NEAREST)
    px = small.load()
    out = Text()
    for y in range(0, rows, 2):
        for x in range(cols):
            top, bottom = px[x, y], px[x, y + 1]
            out.append(
                "▀",
                Style(
                    color=f"rgb({top[0]},{top[1]},{top[2]})",
                    bgcolor=f"rgb({bottom[0]},{bottom[1]},{bottom[2]})",
                ),
            )
        out.append("\n")
    return out
