"""Tell what an evidence file really is from its content (magic bytes, Pillow), never from its name."""

from __future__ import annotations

import codecs
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image

from kameng_filer.filing.imaging import MAX_PIXELS

HEAD_BYTES = 4096
TEXT_SAMPLE = 1024 * 1024

# format → (kind, mime, extensions that fit it; the first is the usual one)
FORMATS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "png": ("image", "image/png", (".png",)),
    "jpeg": ("image", "image/jpeg", (".jpg", ".jpeg", ".jpe", ".jfif")),
    "gif": ("image", "image/gif", (".gif",)),
    "webp": ("image", "image/webp", (".webp",)),
    "bmp": ("image", "image/bmp", (".bmp",)),
    "tiff": ("image", "image/tiff", (".tif", ".tiff")),
    "heic": ("image", "image/heic", (".heic", ".heif", ".avif")),
    "pdf": ("pdf", "application/pdf", (".pdf",)),
    "mp4": ("video", "video/mp4", (".mp4", ".m4v", ".mov", ".3gp", ".3g2", ".qt")),
    "webm": ("video", "video/webm", (".webm", ".mkv")),
    "avi": ("video", "video/x-msvideo", (".avi",)),
    "flv": ("video", "video/x-flv", (".flv",)),
    "mpeg-ts": ("video", "video/mp2t", (".ts", ".m2ts", ".mts")),
    "mpeg": ("video", "video/mpeg", (".mpg", ".mpeg", ".vob")),
    "wmv": ("video", "video/x-ms-wmv", (".wmv", ".asf", ".wma")),
    "m4a": ("audio", "audio/mp4", (".m4a", ".mp4", ".aac")),
    "mp3": ("audio", "audio/mpeg", (".mp3",)),
    "wav": ("audio", "audio/wav", (".wav",)),
    "ogg": ("audio", "audio/ogg", (".ogg", ".oga", ".opus")),
    "flac": ("audio", "audio/flac", (".flac",)),
    "amr": ("audio", "audio/amr", (".amr",)),
    "silk": ("audio", "audio/silk", (".silk", ".slk", ".amr")),
    "text": ("text", "text/plain", (".txt", ".text", ".log", ".csv", ".json", ".md", ".eml")),
    "html": ("text", "text/html", (".html", ".htm", ".mht", ".mhtml")),
}
KIND_LABELS = {"image": "图片", "pdf": "PDF", "video": "视频", "audio": "音频", "text": "文本"}
_PILLOW_FORMATS = {"png": "PNG", "jpeg": "JPEG", "gif": "GIF", "webp": "WEBP", "bmp": "BMP", "tiff": "TIFF"}
_HEIC_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis")
_AUDIO_BRANDS = (b"M4A ", b"M4B ", b"F4A ")


@dataclass(frozen=True)
class Sniffed:
    """What a file is: ``format`` (png, pdf, mp4 …) or None with a Chinese ``problem``."""

    format: str | None
    problem: str | None = None

    @property
    def kind(self) -> str | None:
        """image | pdf | video | audio | text, or None when the file is not usable evidence."""
        return FORMATS[self.format][0] if self.format else None

    @property
    def mime(self) -> str | None:
        """The MIME type for the detected format."""
        return FORMATS[self.format][1] if self.format else None

    @property
    def extension(self) -> str | None:
        """The usual file extension for the detected format (".png")."""
        return FORMATS[self.format][2][0] if self.format else None

    def fits_extension(self, suffix: str) -> bool:
        """True when a file name ending in ``suffix`` matches the detected format."""
        return self.format is None or suffix.lower() in FORMATS[self.format][2]


def magic(head: bytes) -> str | None:
    """Format from the first bytes of a file (None when no known signature matches)."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "avi"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"BM") and len(head) >= 26 and head[6:10] == b"\x00\x00\x00\x00":
        return "bmp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIC_BRANDS:
            return "heic"
        if brand in _AUDIO_BRANDS:
            return "m4a"
        return "mp4"  # isom, mp41/42, qt, 3gp …: every other ISO-BMFF brand is a video container
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    if head.startswith(b"FLV\x01"):
        return "flv"
    if head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"):
        return "wmv"
    if head.startswith(b"\x00\x00\x01\xba") or head.startswith(b"\x00\x00\x01\xb3"):
        return "mpeg"
    if len(head) > 376 and head[0] == 0x47 and head[188] == 0x47 and head[376] == 0x47:
        return "mpeg-ts"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] in (0xFB, 0xF3, 0xF2, 0xFA)):
        return "mp3"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"#!AMR"):
        return "amr"
    if head.startswith(b"#!SILK") or head.startswith(b"\x02#!SILK"):
        return "silk"
    return None


def _check_image(path: Path, fmt: str) -> str | None:
    """None when Pillow can verify (and for JPEG, decode) the image; a Chinese reason otherwise."""
    pil = _PILLOW_FORMATS.get(fmt)
    if pil is None:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DecompressionBombWarning etc.: only errors matter here
            with Image.open(path, formats=[pil]) as im:
                if im.size[0] * im.size[1] > MAX_PIXELS:
                    w, h = im.size
                    return f"图片尺寸异常大（{w}×{h}，超过 1 亿像素），无法安全打开；请裁剪或缩小后替换"
                im.verify()
            if fmt == "jpeg":
                with Image.open(path, formats=[pil]) as im:
                    im.draft("RGB", (64, 64))
                    im.load()
    except Image.DecompressionBombError:
        return "图片尺寸异常大，无法安全打开"
    except Exception:  # untrusted bytes: Pillow's plugins raise many kinds of errors
        return "图片已损坏或不完整，无法打开"
    return None


def _check_pdf(path: Path, size: int) -> str | None:
    with path.open("rb") as fh:
        fh.seek(max(0, size - 2048))
        tail = fh.read()
    if b"%%EOF" not in tail:
        return "PDF 文件不完整（缺少结尾标记，可能下载或复制中断）"
    return None


def _text_format(path: Path) -> str | None:
    """ "text" / "html" when the file is readable text (UTF-8, UTF-16 with BOM or GB18030).

    Only the first ``TEXT_SAMPLE`` bytes are decoded, so a long chat export costs no more than a short one.
    """
    with path.open("rb") as fh:
        data = fh.read(TEXT_SAMPLE)
        complete = not fh.read(1)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: tuple[str, ...] = ("utf-16",)
    elif b"\x00" in data:
        return None
    else:
        encodings = ("utf-8-sig", "gb18030")
    for enc in encodings:
        text = _decode(data, enc, complete)
        if text is None:
            continue
        if not text.strip():
            return None
        sample = text[:4096]
        printable = sum(1 for ch in sample if ch.isprintable() or ch in "\r\n\t")
        if printable < 0.95 * len(sample):
            return None
        lowered = text[:2048].lower()
        return "html" if ("<html" in lowered or "<!doctype html" in lowered) else "text"
    return None


def _decode(data: bytes, encoding: str, complete: bool) -> str | None:
    """Decode ``data``; a sample cut in the middle of a character may lose its last few bytes."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        if complete or exc.start < len(data) - 4:
            return None
        try:
            return data[: exc.start].decode(encoding)
        except UnicodeDecodeError:
            return None


@lru_cache(maxsize=4096)
def _sniff_cached(path: str, size: int, mtime_ns: int) -> Sniffed:
    p = Path(path)
    with p.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
    fmt = magic(head)
    if fmt is None:
        fmt = _text_format(p)
        if fmt is None:
            return Sniffed(None, "内容不是可识别的图片、PDF、视频、音频或文本（可能是损坏文件或其他格式）")
        return Sniffed(fmt)
    kind = FORMATS[fmt][0]
    if kind == "image":
        problem = _check_image(p, fmt)
    elif kind == "pdf":
        problem = _check_pdf(p, size)
    else:
        problem = None
    return Sniffed(None if problem else fmt, problem)


def sniff_file(path: Path) -> Sniffed:
    """Sniff a regular, non-empty file's content; raises ``OSError`` when it cannot be read."""
    st = path.stat()
    return _sniff_cached(str(path), st.st_size, st.st_mtime_ns)
