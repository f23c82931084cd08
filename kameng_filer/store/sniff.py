"""Recognise an evidence file's type from its first bytes (never from its name)."""

from __future__ import annotations

from pathlib import PurePath

SNIFF_BYTES = 8192
OCTET = "application/octet-stream"

MIME_LABELS: dict[str, str] = {
    "image/png": "PNG 图片",
    "image/jpeg": "JPEG 图片",
    "image/gif": "GIF 图片",
    "image/webp": "WebP 图片",
    "image/bmp": "BMP 图片",
    "image/tiff": "TIFF 图片",
    "image/heic": "HEIC 图片",
    "image/heif": "HEIF 图片",
    "image/avif": "AVIF 图片",
    "application/pdf": "PDF 文档",
    "video/mp4": "MP4 视频",
    "video/quicktime": "MOV 视频",
    "video/webm": "WebM 视频",
    "video/x-matroska": "MKV 视频",
    "video/x-msvideo": "AVI 视频",
    "audio/mpeg": "MP3 音频",
    "audio/mp4": "M4A 音频",
    "audio/wav": "WAV 音频",
    "audio/ogg": "OGG 音频",
    "application/zip": "ZIP 压缩包",
    "text/plain": "文本",
    "text/html": "HTML 网页",
    OCTET: "无法识别的文件",
}

EXTENSION_MIME: dict[str, str] = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".jfif": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".bmp": "image/bmp",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".heic": "image/heic",
    ".heif": "image/heif",
    ".avif": "image/avif",
    ".pdf": "application/pdf",
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".webm": "video/webm",
    ".mkv": "video/x-matroska",
    ".avi": "video/x-msvideo",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".wav": "audio/wav",
    ".ogg": "audio/ogg",
    ".zip": "application/zip",
    ".txt": "text/plain",
    ".log": "text/plain",
    ".md": "text/plain",
    ".csv": "text/plain",
    ".json": "text/plain",
    ".html": "text/html",
    ".htm": "text/html",
}

# Types that are the same thing in practice (ISO media containers, HEIF family, any text).
_SAME = [
    {"video/mp4", "video/quicktime"},
    {"image/heic", "image/heif"},
]

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"}
_TEXT_CONTROL_OK = {9, 10, 12, 13, 27}


def _iso_media(head: bytes) -> str:
    brand = head[8:12]
    if brand in _HEIF_BRANDS:
        return "image/heic"
    if brand in (b"mif1", b"msf1"):
        return "image/heif"
    if brand in (b"avif", b"avis"):
        return "image/avif"
    if brand == b"qt  ":
        return "video/quicktime"
    if brand in (b"M4A ", b"M4B "):
        return "audio/mp4"
    return "video/mp4"


def _looks_like_text(head: bytes) -> str | None:
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return "text/plain"
    if b"\x00" in head:
        return None
    text: str | None = None
    # A multi-byte character may be cut at the end of the sniffed window: allow up to 3 bytes of it.
    candidates = [head[: len(head) - cut] for cut in range(min(4, len(head)))]
    for encoding in ("utf-8", "gb18030"):
        for chunk in candidates:
            try:
                text = chunk.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        if text is not None:
            break
    if text is None:
        return None
    if any(ord(c) < 32 and ord(c) not in _TEXT_CONTROL_OK for c in text):
        return None
    start = text.lstrip()[:15].lower()
    if start.startswith(("<!doctype html", "<html")):
        return "text/html"
    return "text/plain"


def sniff_mime(head: bytes) -> str:
    """The MIME type of a file from its first bytes (``SNIFF_BYTES`` are enough)."""
    if not head:
        return OCTET
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"RIFF") and len(head) >= 12:
        riff = {b"WEBP": "image/webp", b"WAVE": "audio/wav", b"AVI ": "video/x-msvideo"}.get(head[8:12])
        if riff:
            return riff
    if b"%PDF-" in head[:1024]:
        return "application/pdf"
    if head[4:8] == b"ftyp":
        return _iso_media(head)
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm" if b"webm" in head[:64] else "video/x-matroska"
    if head.startswith(b"BM") and len(head) >= 14 and head[6:10] == b"\x00\x00\x00\x00":
        return "image/bmp"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    if head.startswith(b"PK\x03\x04"):
        return "application/zip"
    if head.startswith(b"ID3"):
        return "audio/mpeg"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    return _looks_like_text(head) or OCTET


def mime_label(mime: str) -> str:
    """A Chinese name for a MIME type (the MIME type itself when unknown)."""
    return MIME_LABELS.get(mime, mime)


def same_type(a: str, b: str) -> bool:
    """True when two MIME types are the same kind of file for a person (e.g. any two text types)."""
    if a == b or (a.startswith("text/") and b.startswith("text/")):
        return True
    return any(a in group and b in group for group in _SAME)


def extension_conflict(name: str, mime: str) -> str | None:
    """The type the file name's extension promises when the content is something else, else None."""
    expected = EXTENSION_MIME.get(PurePath(name).suffix.lower())
    if expected is None or same_type(expected, mime):
        return None
    return expected
