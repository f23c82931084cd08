"""Evidence as each channel accepts it: converted / downscaled with Pillow, EXIF stripped, limits enforced."""

from __future__ import annotations

import hashlib
import io
import mimetypes
import os
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from kameng_filer.adapter import PlannedFile
from kameng_filer.case.model import Case, Evidence
from kameng_filer.channels import FieldSpec
from kameng_filer.errors import FilingError
from kameng_filer.filing.imaging import open_bounded
from kameng_filer.store.sniff import sniff_mime

_EXT = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "application/pdf": ".pdf"}
_PIL_FORMAT = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _encode(img: Image.Image, mime: str) -> bytes:
    buf = io.BytesIO()
    fmt = _PIL_FORMAT[mime]
    if fmt == "JPEG" and img.mode not in ("RGB", "L"):
        img = img.convert("RGB")
    params: dict[str, object] = {}
    if fmt in ("JPEG", "WEBP"):
        params["quality"] = 88
    img.save(buf, format=fmt, **params)
    return buf.getvalue()


def fits_as_is(data: bytes, spec: FieldSpec) -> bool:
    """True when an image already meets the channel's type, byte and pixel limits (no re-encoding needed)."""
    mime = sniff_mime(data)
    accept = spec.accept or ("image/png", "image/jpeg")
    if mime not in accept or (spec.max_bytes and len(data) > spec.max_bytes):
        return False
    try:
        with Image.open(io.BytesIO(data)) as img:
            size = img.size
            has_exif = bool(img.getexif())
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        return False
    return not has_exif and not (spec.max_pixels and max(size) > spec.max_pixels)


MAX_UPLOAD_SIDE = 4096
"""Longest side of a re-encoded image when the channel sets no pixel limit (larger ones are scaled down)."""


def convert_image(data: bytes, spec: FieldSpec, *, name: str = "") -> tuple[bytes, str]:
    """Re-encode an image within ``spec``'s types, pixel and byte limits, without EXIF/metadata.

    The image is decoded small (``imaging.open_bounded``): memory stays bounded for huge images.
    """
    accept = [m for m in (spec.accept or ("image/png", "image/jpeg")) if m in _PIL_FORMAT]
    img = open_bounded(data, spec.max_pixels or MAX_UPLOAD_SIDE, name=name)
    src_mime = sniff_mime(data)
    mime = src_mime if src_mime in accept else ("image/jpeg" if "image/jpeg" in accept else accept[0])
    out = _encode(img, mime)
    limit = spec.max_bytes
    while limit and len(out) > limit:
        if mime == "image/png" and "image/jpeg" in accept:
            mime = "image/jpeg"
        else:
            img.thumbnail((int(img.size[0] * 0.8), int(img.size[1] * 0.8)))
        out = _encode(img, mime)
        if max(img.size) < 64:
            raise FilingError(f"证据图片无法压缩到 {limit // 1024} KB 以内")
    return out, mime


def prepare_files(
    case: Case,
    spec: FieldSpec | None,
    out_dir: Path,
    *,
    anonymous_names: bool = False,
    notes: list[str] | None = None,
) -> list[PlannedFile]:
    """Turn the case's evidence into the files this channel will upload (deterministic, cached by hash).

    Images that already meet the channel's limits are uploaded byte-identical (the hash matches the
    stored evidence); others, and every image for a public channel (``anonymous_names``), are
    re-encoded without metadata. For a public channel each image is first redacted (``ocr.public``):
    one that cannot be redacted with confidence is left out; ``notes`` receives what was done.
    """
    if spec is None:
        return []
    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[PlannedFile] = []
    for index, ev in enumerate(case.evidence, start=1):
        if spec.max_files is not None and len(files) >= spec.max_files:
            break
        try:
            data = ev.path.read_bytes()
        except OSError as exc:
            raise FilingError(f"证据文件无法读取：{ev.file}", detail=str(exc)) from None
        src_sha = _sha(data)
        mime = sniff_mime(data)
        public_note = ""
        if anonymous_names and mime == "application/pdf":
            files += _public_pdf_pages(case, spec, out_dir, ev, index, data, notes, room=_room(spec, files))
            continue
        if anonymous_names and mime.startswith("image/"):
            from kameng_filer.ocr.public import for_public

            public = for_public(data, case=case, name=ev.file)
            public_note = public.note
            if public.data is None:
                if notes is not None:
                    notes.append(public_note)
                continue
            data = public.data
        if mime.startswith("image/") and (anonymous_names or not fits_as_is(data, spec)):
            out, mime = convert_image(data, spec, name=ev.file)
        elif spec.accept and mime not in spec.accept:
            continue
        else:
            out = data
            if spec.max_bytes and len(out) > spec.max_bytes:
                raise FilingError(
                    f"证据文件 {ev.file} 超过该渠道的大小上限 {spec.max_bytes // 1024 // 1024} MB"
                )
        ext = _EXT.get(mime) or mimetypes.guess_extension(mime) or Path(ev.file).suffix
        planned = _planned(ev, out, mime, out_dir, f"evidence-{index}" if anonymous_names else ev.id, src_sha, ext)
        if public_note and notes is not None:
            notes.append(f"{public_note}；将上传的图片：{planned.path}")
        files.append(planned)
    return files


def _room(spec: FieldSpec, files: list[PlannedFile]) -> int | None:
    """How many more files the channel takes (None: no limit)."""
    return None if spec.max_files is None else max(0, spec.max_files - len(files))


def _planned(ev: Evidence, out: bytes, mime: str, out_dir: Path, stem: str, src_sha: str, ext: str) -> PlannedFile:
    """Write ``out`` under ``out_dir`` (named by its hash) and describe it as a file to upload."""
    digest = _sha(out)
    target = out_dir / f"{digest[:16]}{ext}"
    if not target.exists():
        tmp = target.with_suffix(target.suffix + f".{os.getpid()}.tmp")
        tmp.write_bytes(out)
        tmp.replace(target)
    return PlannedFile(
        evidence_id=ev.id,
        path=target,
        upload_name=f"{stem}{ext}",
        mime=mime,
        size=len(out),
        sha256=digest,
        description=ev.description,
        source_sha256=src_sha,
        source_path=str(ev.real_path),
    )


def _public_pdf_pages(
    case: Case,
    spec: FieldSpec,
    out_dir: Path,
    ev: Evidence,
    index: int,
    data: bytes,
    notes: list[str] | None,
    *,
    room: int | None,
) -> list[PlannedFile]:
    """A PDF for a public channel: its pages as redacted pictures (``ocr.pdfpages``), or none when unsure."""
    from kameng_filer.ocr.pdfpages import pdf_for_public
    from kameng_filer.ocr.public import reviewed

    pdf = pdf_for_public(data, case=case, name=ev.file, reviewed=reviewed())
    out: list[PlannedFile] = []
    for no, page in enumerate(pdf.pages, 1):
        if room is not None and len(out) >= room:
            break
        img, mime = convert_image(page, spec, name=f"{ev.file} 第 {no} 页")
        out.append(_planned(ev, img, mime, out_dir, f"evidence-{index}-{no}", _sha(data), _EXT[mime]))
    if notes is not None:
        shown = "；将上传的图片：" + "、".join(str(f.path) for f in out) if out else ""
        notes.append(pdf.note + shown)
    return out
