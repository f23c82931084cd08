"""Files the workspace may show: a filing's receipt screenshot, only from inside the data folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kameng_filer import paths

IMAGE_SUFFIXES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


def receipt_screenshot(receipt: Any) -> Path | None:
    """The receipt's screenshot when it is an image file inside the data folder, else None.

    The stored path is never trusted as given: it is resolved (symlinks followed) and must stay under
    the data folder's ``artifacts``; a path elsewhere (or a non-image) is not served.
    """
    value = receipt.get("screenshot") if isinstance(receipt, dict) else None
    if not isinstance(value, str) or not value:
        return None
    try:
        real = Path(value).resolve(strict=True)
        root = paths.home_path().resolve() / "artifacts"
    except (OSError, RuntimeError):
        return None
    if not real.is_relative_to(root) or real.suffix.lower() not in IMAGE_SUFFIXES or not real.is_file():
        return None
    return real


def case_receipt_image(store: Any, case_id: str, filing_id: int) -> Path | None:
    """The screenshot of filing ``filing_id`` when that filing belongs to ``case_id``."""
    f = store.get_filing_by_id(filing_id)
    if f is None or f.case_id != case_id:
        return None
    return receipt_screenshot(f.receipt)
