"""PDF evidence before it goes public: pages rendered (PDFium), redacted like screenshots, never published unchecked."""

from __future__ import annotations

import re
import shutil
import sys
import zipfile
from pathlib import Path

import pytest
from fpdf import FPDF

from kameng_filer import registry
from kameng_filer.case import load_case
from kameng_filer.filing.evidence import prepare_files
from kameng_filer.ocr import engine, public
from kameng_filer.ocr.pdfpages import pages_as_pdf, pdf_for_public, rasterise
from tests.ocr_shots import FONT, ocr_engine  # noqa: F401 - fixture

EXAMPLE = Path(__file__).resolve().parents[1] / "examples"
SECRETS = ("GS-8H2K-99XQ-PLM3", "13912345678", "110105199001011234")
FACTS = ("KM20261102150012", "100.00")


def _statement_pdf(note: str = "") -> bytes:
    """A two-page PDF (made now with fpdf2) holding the order facts, a card key, a phone and an ID number.

    ``note`` changes the pages (OCR results are cached by picture: a test without OCR needs unseen pages)."""
    pdf = FPDF(format=(148, 210))
    pdf.add_font("cjk", "", FONT)
    pdf.set_font("cjk", size=13)
    pdf.add_page()
    for line in ("星辰卡盟 订单详情", "订单号:KM20261102150012", "实付:￥100.00", f"卡密:{SECRETS[0]}"):
        pdf.cell(0, 12, text=line, new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    for line in ("联系信息", "手机:139 1234 5678", f"身份证:{SECRETS[2]}", note):
        pdf.cell(0, 12, text=line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _squash(text: str) -> str:
    return re.sub(r"[\s:\-_*.]", "", text).lower()


def _ocr_text(pages: list[bytes]) -> str:
    return _squash(" ".join(ln.text for p in pages for ln in engine.read_image(p).lines))


def _assert_clean(pages: list[bytes]) -> None:
    text = _ocr_text(pages)
    for value in SECRETS:
        assert _squash(value) not in text, value
    for value in FACTS:
        assert _squash(value) in text, value  # the facts a complaint needs stay readable


def _pdf_case(tmp_path: Path, data: bytes):
    folder = tmp_path / "case"
    shutil.copytree(EXAMPLE, folder)
    (folder / "evidence" / "order.pdf").write_bytes(data)
    yaml = folder / "case.yaml"
    yaml.write_text(yaml.read_text("utf-8").replace("evidence/order.png", "evidence/order.pdf"), "utf-8")
    case = load_case(yaml).case
    assert case is not None
    return case


def _no_ocr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "_engine", None)
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)  # the OCR package is missing


@pytest.mark.usefixtures("ocr_engine")
def test_pdf_pages_redacted() -> None:
    data = _statement_pdf()
    pages = rasterise(data)
    assert len(pages) == 2
    before = _ocr_text(pages)
    assert all(_squash(v) in before for v in SECRETS), "the rendered pages show the planted values"
    result = pdf_for_public(data, case=None, name="order.pdf")
    assert result.redacted and len(result.pages) == 2
    assert {"卡密", "手机号", "身份证号"} <= set(result.reasons)
    assert "已逐页转为图片并遮盖" in result.note
    _assert_clean(result.pages)
    rebuilt = pages_as_pdf(result.pages)
    assert rebuilt.startswith(b"%PDF") and len(rasterise(rebuilt)) == 2
    _assert_clean(rasterise(rebuilt))


@pytest.mark.usefixtures("ocr_engine")
def test_public_channel_uploads_redacted_pdf_pages(tmp_path: Path) -> None:
    case = _pdf_case(tmp_path, _statement_pdf())
    spec = registry.spec("heimao").field("images")
    notes: list[str] = []
    files = prepare_files(case, spec, tmp_path / "out", anonymous_names=True, notes=notes)
    pages = [f for f in files if f.evidence_id == "order"]
    assert len(pages) == 2 and all(f.mime.startswith("image/") for f in pages)
    assert [f.upload_name.rsplit(".", 1)[0] for f in pages] == ["evidence-1-1", "evidence-1-2"]
    _assert_clean([f.path.read_bytes() for f in pages])
    note = next(n for n in notes if "order.pdf" in n)
    assert "已逐页转为图片并遮盖" in note and all(str(f.path) in note for f in pages), "the plan shows each page"


@pytest.mark.usefixtures("ocr_engine")
def test_unredactable_pdf_not_uploaded_unless_reviewed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = registry.spec("heimao").field("images")
    damaged = _pdf_case(tmp_path / "d", b"%PDF-1.7\n" + b"\x00garbage" * 50)
    notes: list[str] = []
    public.set_reviewed(True)
    try:
        files = prepare_files(damaged, spec, tmp_path / "out0", anonymous_names=True, notes=notes)
    finally:
        public.set_reviewed(False)
    assert "order" not in [f.evidence_id for f in files], "a PDF that cannot be rendered is never sent"
    assert any("order.pdf" in n and "未能自动遮盖" in n for n in notes)

    case = _pdf_case(tmp_path / "n", _statement_pdf("未读过的页面"))
    _no_ocr(monkeypatch)
    notes = []
    files = prepare_files(case, spec, tmp_path / "out1", anonymous_names=True, notes=notes)
    assert "order" not in [f.evidence_id for f in files]
    note = next(n for n in notes if "order.pdf" in n)
    assert "未能自动遮盖" in note and "--public-images-reviewed" in note
    assert not any("已遮盖" in n and "order.pdf" in n and "未能" not in n for n in notes), "no claimed masking"
    public.set_reviewed(True)
    try:
        files = prepare_files(case, spec, tmp_path / "out2", anonymous_names=True, notes=notes)
    finally:
        public.set_reviewed(False)
    assert len([f for f in files if f.evidence_id == "order"]) == 2, "reviewed: the rendered pages go as they are"


@pytest.mark.usefixtures("ocr_engine")
def test_public_export_redacts_pdf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kameng_filer.export import export_case
    from kameng_filer.store import Store

    case = _pdf_case(tmp_path, _statement_pdf())
    with Store.open() as store:
        store.import_case(case.source)
    out = export_case(case.id, tmp_path / "public.zip", public=True)
    with zipfile.ZipFile(out.path) as zf:
        pdfs = {n: zf.read(n) for n in zf.namelist() if n.endswith(".pdf") and "order" in n}
        summary = "".join(zf.read(n).decode() for n in zf.namelist() if n.endswith(".md"))
    assert len(pdfs) == 1
    _assert_clean(rasterise(next(iter(pdfs.values()))))
    assert "不含截图" not in summary
    _no_ocr(monkeypatch)
    (tmp_path / "case" / "evidence" / "order.pdf").write_bytes(_statement_pdf("另一份"))
    with Store.open() as store:
        store.import_case(case.source)
    out = export_case(case.id, tmp_path / "public2.zip", public=True)
    with zipfile.ZipFile(out.path) as zf:
        assert not [n for n in zf.namelist() if n.endswith(".pdf") and "order" in n]
    assert any("order" in s and "无法确认已遮盖" in s for s in out.skipped)

