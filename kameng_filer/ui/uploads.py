"""Evidence dropped on the form: size and type checked, stored under a generated name, drafted by OCR.

The uploaded file's own name is never used as a path: the stored name is made from the content's
SHA-256 and the sniffed type. Screenshots are read with the same functions as ``kameng new --from``.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from kameng_filer.ui.casefiles import FormError

MAX_BYTES = 10 * 1024 * 1024
"""Largest evidence file accepted (channels take at most a few MB per image anyway)."""
MAX_FILES = 10
ACCEPTED = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp", "application/pdf": ".pdf"}
SAFE_NAME = re.compile(r"^[a-z]+-[0-9a-f]{12}\.(png|jpg|webp|pdf)$")
MEDIA = {".png": "image/png", ".jpg": "image/jpeg", ".webp": "image/webp", ".pdf": "application/pdf"}


def stored_name(data: bytes, label: str) -> str:
    """The generated file name for an upload, or ``FormError`` naming the file when it is refused."""
    from kameng_filer.store.sniff import mime_label, sniff_mime

    if not data:
        raise FormError(f"{label} 是空文件。", hint="请重新截图后再拖进来。")
    if len(data) > MAX_BYTES:
        raise FormError(
            f"{label} 太大（{len(data) / 1048576:.1f} MB，上限 {MAX_BYTES // 1048576} MB）。",
            hint="请压缩图片或只截取需要的部分。",
        )
    mime = sniff_mime(data[:8192])
    if mime not in ACCEPTED:
        raise FormError(
            f"{label} 不是可以作为证据的文件（实际是{mime_label(mime)}）。",
            hint="证据请用截图（PNG、JPEG、WebP）或 PDF。",
        )
    prefix = "doc" if mime == "application/pdf" else "shot"
    return f"{prefix}-{hashlib.sha256(data).hexdigest()[:12]}{ACCEPTED[mime]}"


def put(folder: Path, data: bytes, label: str) -> Path:
    """Store one upload in ``folder/evidence`` under its generated name (the same content once)."""
    from kameng_filer import paths

    name = stored_name(data, label)
    target = paths.ensure_dir(folder / "evidence") / name
    if not target.exists():
        tmp = target.with_name(f".{name}.part")
        tmp.write_bytes(data)
        tmp.replace(target)
    return target


def draft_files(folder: Path, files: list[Path]) -> dict[str, Any]:
    """Evidence entries and case values read from the screenshots (``ocr.draft.draft``, as ``kameng new
    --from``), each value with the image it came from; PDFs become evidence entries without reading."""
    from kameng_filer.ocr.draft import LABELS, draft

    images = [f for f in files if f.suffix != ".pdf"]
    result = draft(images, folder) if images else None
    evidence = [
        {"id": e.id, "kind": e.kind, "file": e.file, "description": e.description}
        for e in (result.evidence if result else [])
    ]
    for f in files:
        if f.suffix == ".pdf":
            evidence.append(
                {"id": f.stem, "kind": "other", "file": f"evidence/{f.name}", "description": "PDF 材料"}
            )
    values = [
        {
            "path": v.path,
            "label": LABELS.get(v.path, v.path),
            "value": v.value,
            "source": v.source,
            "confidence": round(v.confidence, 2),
        }
        for v in (result.values.values() if result else [])
    ]
    return {"evidence": evidence, "values": values}


def evidence_file(folder: Path, name: str) -> Path | None:
    """An uploaded file to show back (generated names only, inside ``folder/evidence``), or None."""
    if not SAFE_NAME.fullmatch(name):
        return None
    path = folder / "evidence" / name
    return path if path.is_file() and not path.is_symlink() else None
