"""OCR results cached by image SHA-256 in the data folder (``ocr-cache/``, files 0600): each image is read once."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from kameng_filer import paths


def cache_root() -> Path:
    """``<data folder>/ocr-cache``, or ``KAMENG_OCR_CACHE`` when set (e.g. one cache shared by test runs)."""
    env = os.environ.get("KAMENG_OCR_CACHE")
    return Path(env).expanduser() if env else paths.home_path() / "ocr-cache"


def _file(engine_id: str, sha: str) -> Path:
    return cache_root() / engine_id / sha[:2] / f"{sha}.json"


def load(engine_id: str, sha: str) -> dict[str, Any] | None:
    """The cached result for this image and engine, or None (missing or damaged entries are ignored)."""
    try:
        data = json.loads(_file(engine_id, sha).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def save(engine_id: str, sha: str, result: dict[str, Any]) -> None:
    """Store a result (0600, atomic); a read-only data folder only means no caching."""
    target = _file(engine_id, sha)
    try:
        paths.ensure_dir(target.parent)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(result, fh, ensure_ascii=False)
        os.replace(tmp, target)
    except Exception:  # caching is best effort (read-only folder, disk full)
        return
