"""PDF evidence for public channels: every page rasterised (PDFium, via pypdfium2) and redacted like a screenshot.

A PDF (a bank statement, an exported chat, a scanned receipt) can hold the same card keys, phone numbers
and ID numbers as a screenshot, and its text layer cannot be trusted to show what the page shows. So the
pages are rendered to pictures, each picture is redacted by ``ocr.redact``, and only the redacted page
pictures (or a PDF rebuilt from them) are published. A PDF that cannot be rendered or read with
confidence is left out unless the person checked it (``--public-images-reviewed``).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

MAX_PAGES = 20
"""PDFs with more pages than this are not redacted automatically (a complaint needs the relevant pages only)."""
RENDER_SCALE = 2.0
"""Pages are rendered at 144 dpi (an A4 page is 1190×1684 pixels): small print stays readable for OCR."""


class PdfUnreadable(Exception):
    """The PDF cannot be rendered (damaged, password-protected, too many pages, PDFium missing)."""


@dataclass
class PublicPdf:
    """The page pictures to publish (empty: leave the PDF out), whether they are redacted, and a note."""

    pages: list[bytes] = field(default_factory=list)
    redacted: bool = False
    note: str = ""
    reasons: list[str] = field(default_factory=list)


def rasterise(data: bytes, *, name: str = "") -> list[bytes]:
    """Each page of the PDF as a PNG picture (at ``RENDER_SCALE``); ``PdfUnreadable`` with a Chinese reason."""
    try:
        import pypdfium2 as pdfium
    except ImportError:
        raise PdfUnreadable("PDF 组件（pypdfium2）不可用") from None
    try:
        doc = pdfium.PdfDocument(data)
    except Exception as exc:  # PdfiumError and friends: damaged or encrypted
        text = str(exc).lower()
        raise PdfUnreadable("PDF 有密码保护" if "password" in text else "PDF 文件已损坏或无法打开") from None
    try:
        if len(doc) == 0:
            raise PdfUnreadable("PDF 没有页面")
        if len(doc) > MAX_PAGES:
            raise PdfUnreadable(f"PDF 有 {len(doc)} 页，超过自动遮盖的上限 {MAX_PAGES} 页")
        pages: list[bytes] = []
        for i in range(len(doc)):
            page = doc[i]
            try:
                img = page.render(scale=RENDER_SCALE).to_pil().convert("RGB")
            finally:
                page.close()
            buf = io.BytesIO()
            img.save(buf, format="PNG")
            pages.append(buf.getvalue())
        return pages
    except PdfUnreadable:
        raise
    except Exception:  # a page PDFium cannot render
        raise PdfUnreadable(f"PDF 的页面无法显示：{name}") from None
    finally:
        doc.close()


def pdf_for_public(data: bytes, *, case: Any, name: str, reviewed: bool = False) -> PublicPdf:
    """The PDF's pages redacted for a public channel, or nothing when that cannot be done with confidence.

    When ``reviewed`` (the person checked the file) pages that could not be redacted are published as rendered.
    """
    from kameng_filer.ocr.redact import redact

    try:
        pages = rasterise(data, name=name)
    except PdfUnreadable as exc:
        return PublicPdf(note=f"{name}：未能自动遮盖（{exc}），不上传到公开渠道，也无法转换为图片上传")
    out: list[bytes] = []
    reasons: set[str] = set()
    problem = ""
    for no, page in enumerate(pages, 1):
        result = redact(page, case=case, name=f"{name} 第 {no} 页")
        if not result.confident:
            problem = problem or f"第 {no} 页：{result.problem}"
        out.append(result.data if result.confident else page)
        reasons |= set(result.reasons)
    n = len(pages)
    if not problem:
        what = "、".join(sorted(reasons)) if reasons else "未发现需要遮盖的内容"
        return PublicPdf(out, True, f"{name}：PDF 共 {n} 页，已逐页转为图片并遮盖（{what}）", sorted(reasons))
    if reviewed:
        return PublicPdf(
            out, False, f"{name}：PDF 未能自动遮盖（{problem}），本人已确认检查过，按转换后的 {n} 页图片上传"
        )
    return PublicPdf(
        note=f"{name}：PDF 未能自动遮盖（{problem}），不上传到公开渠道；检查后可加 --public-images-reviewed 上传"
    )


def pages_as_pdf(pages: list[bytes]) -> bytes:
    """A PDF rebuilt from page pictures (one picture per page, no text layer, no metadata from the original)."""
    from fpdf import FPDF
    from PIL import Image

    pdf = FPDF(unit="pt")
    pdf.set_creator("kameng-filer")
    for page in pages:
        with Image.open(io.BytesIO(page)) as im:
            w, h = im.size
        pw, ph = w / RENDER_SCALE, h / RENDER_SCALE
        pdf.add_page(format=(pw, ph))
        pdf.image(io.BytesIO(page), x=0, y=0, w=pw, h=ph)
    return bytes(pdf.output())
