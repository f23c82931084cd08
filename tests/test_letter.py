"""The consumer association's printable complaint letter (PDF): pages, text, evidence index, embedded CJK font."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pypdf import PdfReader
from typer.testing import CliRunner

from kameng_filer.case import load_case
from kameng_filer.case.model import Case
from kameng_filer.cli import app
from kameng_filer.letter import FONT_ENV, FontMissing, find_cjk_font, write_letter_pdf
from kameng_filer.store import Store

runner = CliRunner()


def load(path: Path) -> Case:
    result = load_case(path)
    assert result.case is not None
    return result.case


def _unicode_map(font: Any) -> dict[int, str]:
    """The font's ToUnicode CMap (2-byte codes → text)."""
    data = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    out: dict[int, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", data, re.S):
        for code, uni in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            out[int(code, 16)] = bytes.fromhex(uni).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", data, re.S):
        for lo, hi, start in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            base = int(start, 16)
            for n, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                out[code] = chr(base + n)
    return out


def page_text(page: Any) -> str:
    """Text of a page decoded with each font's ToUnicode map and 2-byte codes.

    pypdf's own ``extract_text`` reads fpdf2's embedded CID CMap (used for CFF fonts such as Noto CJK)
    as one-byte codes, which garbles glyphs after the first 256 of a font; so decode the show-text
    operators here with pypdf's content-stream parser.
    """
    from pypdf.generic import ContentStream, TextStringObject

    fonts = page["/Resources"]["/Font"]
    maps = {name: _unicode_map(ref.get_object()) for name, ref in fonts.items()}
    stream = ContentStream(page.get_contents(), page.pdf)
    current: dict[int, str] = {}
    parts: list[str] = []
    for operands, op in stream.operations:
        if op == b"Tf":
            current = maps[operands[0]]
        elif op in (b"Tj", b"TJ"):
            items = operands[0] if op == b"TJ" else [operands[0]]
            for item in items:
                if isinstance(item, TextStringObject):
                    raw = item.get_original_bytes()
                    if getattr(item, "autodetect_utf16", False) and raw.startswith(b"\xfe\xff"):
                        raw = raw[2:]  # pypdf took the 2-byte codes for UTF-16 and re-adds a BOM
                elif isinstance(item, bytes):
                    raw = bytes(item)
                else:
                    continue  # a kerning number in TJ
                codes = (int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2))
                parts.append("".join(current.get(code, "") for code in codes))
            parts.append("\n")
    return "".join(parts)


def test_letter_pdf_pages_text_and_embedded_font(example_case: Path, tmp_path: Path) -> None:
    case = load(example_case)
    out = write_letter_pdf(case, tmp_path / "out" / "letter.pdf")
    assert out.is_file() and out.read_bytes().startswith(b"%PDF")
    reader = PdfReader(str(out))
    # letter (2 pages for this case) + evidence index + one page per evidence image
    assert len(reader.pages) == 2 + 1 + len(case.evidence)

    first = reader.pages[0].extract_text(extraction_mode="layout").replace("\x00", "")
    assert "KM20261102150012" in first and "张三" in first

    texts = [page_text(p) for p in reader.pages]
    letter = "".join(texts[:2])
    for needle in (
        "投  诉  书",
        "张三",
        "13800138000",
        "星辰网络科技有限公司",
        "KM20261102150012",
        "100.00 元",
        "2026年11月2日",
        "王者荣耀点券 1000点",
        "事实与理由",
        "投诉请求",
        "全额退款100.00元",
        "投诉人（签名）",
        "日期:",
    ):
        assert needle in letter, needle
    index = texts[2].replace("\n", "")
    assert "证据清单" in index
    for ev in case.evidence:
        digest = hashlib.sha256(ev.path.read_bytes()).hexdigest()
        assert digest in index and Path(ev.file).name in index
    for n, ev in enumerate(case.evidence, start=1):
        page = reader.pages[2 + n]
        assert f"证据 {n}:{ev.description}" in page_text(page)
        assert len(page.images) == 1

    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            assert "NotoSansCJK" in str(font["/BaseFont"])
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            assert any(
                k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")
            )  # embedded, not referenced


def test_given_hashes_are_printed(example_case: Path, tmp_path: Path) -> None:
    case = load(example_case)
    fake = "ab" * 32
    out = write_letter_pdf(
        case, tmp_path / "l.pdf", hashes={"order": fake}, addressee="杭州市消费者权益保护委员会"
    )
    reader = PdfReader(str(out))
    assert fake in page_text(reader.pages[2]).replace("\n", "")
    assert "杭州市消费者权益保护委员会" in page_text(reader.pages[0])


def test_non_image_evidence_gets_a_note_page(example_case: Path, tmp_path: Path) -> None:
    (example_case.parent / "evidence" / "record.pdf").write_bytes(b"%PDF-1.4\n%fake\n")
    raw = yaml.safe_load(example_case.read_text(encoding="utf-8"))
    raw["evidence"].append(
        {"id": "rec", "kind": "other", "file": "evidence/record.pdf", "description": "录屏导出的PDF"}
    )
    example_case.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    reader = PdfReader(str(write_letter_pdf(load(example_case), tmp_path / "l.pdf")))
    last = page_text(reader.pages[-1])
    assert "录屏导出的PDF" in last and "不是图片" in last


def test_font_lookup_errors_are_clear(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(FONT_ENV, str(tmp_path / "missing.ttc"))
    with pytest.raises(FontMissing, match="字体文件不存在") as err:
        find_cjk_font()
    assert "fonts-noto-cjk" in (err.value.hint or "")
    monkeypatch.delenv(FONT_ENV)
    with pytest.raises(FontMissing, match="找不到中文字体") as err:
        find_cjk_font(candidates=[str(tmp_path / "*.ttc")], use_fc_match=False)
    assert "apt install fonts-noto-cjk" in (err.value.hint or "")
    found = find_cjk_font()
    assert found.path.is_file()
    if found.path.suffix == ".ttc":
        from fontTools.ttLib import TTCollection

        with TTCollection(str(found.path), lazy=True) as coll:
            assert str(coll.fonts[found.index]["name"].getDebugName(4)).endswith(" SC")


def test_letter_command(example_case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Store.open() as store:
        store.import_case(example_case)
        rows = {r.evidence_id: r.sha256 for r in store.evidence_index("km-2026-0001")}
    out = tmp_path / "投诉书.pdf"
    res = runner.invoke(app, ["letter", "km-2026-0001", "--out", str(out), "--to", "北京市消费者协会"])
    assert res.exit_code == 0, res.output
    assert out.is_file() and "已生成投诉书" in res.output
    reader = PdfReader(str(out))
    index = page_text(reader.pages[2]).replace("\n", "")
    assert all(sha in index for sha in rows.values())
    monkeypatch.setenv(FONT_ENV, "/nonexistent/font.otf")
    res = runner.invoke(app, ["letter", str(example_case), "--out", str(tmp_path / "x.pdf")])
    assert res.exit_code == 1 and "字体文件不存在" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "x.pdf").exists()
