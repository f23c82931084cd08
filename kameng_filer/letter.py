"""The printable complaint letter (投诉书) for a consumer association, as a PDF with the evidence attached.

Layout: 投诉书 heading, complainant, respondent, purchase (date, goods, amount, order), the facts and
demands rendered from the ``consumer_association`` templates, a signature/date line, then the 证据清单
(file names, descriptions, SHA-256) and each evidence image on its own page. Text uses a CJK font
embedded in the PDF (Debian's fonts-noto-cjk; ``KAMENG_CJK_FONT=path[#index]`` overrides).
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from kameng_filer.case.model import Case, PaymentMethod
from kameng_filer.errors import FilingError, KamengError
from kameng_filer.filing.evidence import sniff_mime
from kameng_filer.filing.imaging import ImageTooLarge, open_bounded

FONT_ENV = "KAMENG_CJK_FONT"
FAMILY = "NotoSansCJKSC"
CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/local/share/fonts/NotoSansCJK-Regular.ttc",
    "/Library/Fonts/NotoSansCJK-Regular.ttc",
)
INSTALL_HINT = (
    "安装中文字体 fonts-noto-cjk（Debian/Ubuntu:sudo apt install fonts-noto-cjk），"
    f"或设置环境变量 {FONT_ENV}=字体文件路径（.ttc 可写成 路径#序号）"
)
PAYMENT_LABELS = {
    PaymentMethod.alipay: "支付宝",
    PaymentMethod.wechat_pay: "微信支付",
    PaymentMethod.bank_card: "银行卡",
    PaymentMethod.balance: "平台余额",
    PaymentMethod.other: "其他",
}
_IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif")
LETTER_IMAGE_SIDE = 1800
"""Longest side of an evidence image in the letter (A4 at about 250 dpi; larger images are scaled down)."""


class FontMissing(KamengError):
    """No CJK font could be found to write a Chinese PDF."""


@dataclass(frozen=True)
class FontFile:
    """A font file and, for a collection (.ttc), the index of the Simplified Chinese face."""

    path: Path
    index: int = 0


def _sc_index(path: Path) -> int:
    """The index of the Simplified Chinese face in a .ttc collection (0 when unknown)."""
    if path.suffix.lower() != ".ttc":
        return 0
    from fontTools.ttLib import TTCollection

    try:
        with TTCollection(str(path), lazy=True) as coll:
            names = [str(f["name"].getDebugName(4) or "") for f in coll.fonts]
    except Exception:
        return 0
    for i, name in enumerate(names):
        if name.endswith(" SC") and "Mono" not in name:
            return i
    return 0


def _parse_ref(ref: str) -> FontFile:
    path, _, index = ref.partition("#")
    p = Path(path).expanduser()
    if not p.is_file():
        raise FontMissing(f"环境变量 {FONT_ENV} 指向的字体文件不存在：{path}", hint=INSTALL_HINT)
    if index:
        if not index.isdigit():
            raise FontMissing(f"环境变量 {FONT_ENV} 的字体序号不是数字：{index}", hint="例如 /path/font.ttc#2")
        return FontFile(p, int(index))
    return FontFile(p, _sc_index(p))


def _fc_match() -> Path | None:
    exe = shutil.which("fc-match")
    if exe is None:
        return None
    try:
        out = subprocess.run(
            [exe, "-f", "%{file}\n%{family}", "Noto Sans CJK SC:lang=zh-cn"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    lines = out.splitlines()
    if len(lines) < 2 or "CJK" not in lines[1]:
        return None  # fc-match falls back to any font (e.g. DejaVu) when the CJK one is absent
    p = Path(lines[0])
    return p if p.is_file() else None


def find_cjk_font(candidates: Iterable[str] = CANDIDATES, *, use_fc_match: bool = True) -> FontFile:
    """The CJK font to embed: ``$KAMENG_CJK_FONT``, then ``fc-match``, then known install paths.

    Raises ``FontMissing`` (Chinese message: install fonts-noto-cjk) when none is found.
    """
    ref = os.environ.get(FONT_ENV, "").strip()
    if ref:
        return _parse_ref(ref)
    found = _fc_match() if use_fc_match else None
    if found is None:
        for pattern in candidates:
            hit = next((Path(p) for p in sorted(glob.glob(pattern)) if Path(p).is_file()), None)
            if hit is not None:
                found = hit
                break
    if found is None:
        raise FontMissing("找不到中文字体，无法生成 PDF 投诉信", hint=INSTALL_HINT)
    return FontFile(found, _sc_index(found))


def _bold_variant(font: FontFile) -> FontFile:
    name = font.path.name
    if "Regular" not in name:
        return font
    bold = font.path.with_name(name.replace("Regular", "Bold"))
    if not bold.is_file():
        return font
    return FontFile(bold, _sc_index(bold) if bold.suffix.lower() == ".ttc" else 0)


def file_sha256(path: Path) -> str:
    """SHA-256 hex digest of a file ('' when it cannot be read)."""
    h = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 16), b""):
                h.update(chunk)
    except OSError:
        return ""
    return h.hexdigest()


class _LetterPDF(FPDF):
    def __init__(self, case_id: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.case_id = case_id
        self.set_margins(20, 18, 20)
        self.set_auto_page_break(auto=True, margin=18)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, "", 8)
        self.set_text_color(110)
        self.cell(0, 5, text=f"案件 {self.case_id}    第 {self.page_no()} 页 / 共 {{nb}} 页", align="C")
        self.set_text_color(0)


def _fmt_date(case: Case) -> str:
    t = case.order.paid_at or case.order.ordered_at
    return f"{t.year}年{t.month}月{t.day}日 {t:%H:%M}" if t else "（未填写）"


class _Writer:
    def __init__(self, case: Case, hashes: dict[str, str], addressee: str) -> None:
        self.case = case
        self.hashes = hashes
        self.addressee = addressee
        self.pdf = _LetterPDF(case.id)
        font = find_cjk_font()
        bold = _bold_variant(font)
        try:
            self.pdf.add_font(FAMILY, "", str(font.path), collection_font_number=font.index)
            self.pdf.add_font(FAMILY, "B", str(bold.path), collection_font_number=bold.index)
        except Exception as exc:
            raise FontMissing(f"字体文件无法使用：{font.path}", hint=INSTALL_HINT, detail=str(exc)) from None
        self.pdf.set_title(f"投诉书 {case.id}")
        self.pdf.set_creator("kameng-filer")
        self.pdf.set_lang("zh-CN")

    @property
    def width(self) -> float:
        return self.pdf.epw

    def heading(self, text: str, size: float = 13) -> None:
        self.pdf.ln(2)
        self.pdf.set_font(FAMILY, "B", size)
        self.pdf.cell(0, 8, text=text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.set_font(FAMILY, "", 11)

    def para(self, text: str, size: float = 11, height: float = 6.5) -> None:
        self.pdf.set_font(FAMILY, "", size)
        self.pdf.multi_cell(0, height, text=text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def rows(self, items: list[tuple[str, str | None]]) -> None:
        self.pdf.set_font(FAMILY, "", 11)
        for label, value in items:
            if not value:
                continue
            self.pdf.set_font(FAMILY, "B", 11)
            self.pdf.cell(40, 6.5, text=f"{label}:")
            self.pdf.set_font(FAMILY, "", 11)
            self.pdf.multi_cell(0, 6.5, text=value, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def letter(self, facts: str, demand: str) -> None:
        c = self.case
        pdf = self.pdf
        pdf.add_page()
        pdf.set_font(FAMILY, "B", 22)
        pdf.cell(0, 14, text="投  诉  书", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)
        self.para(f"致:{self.addressee}")
        self.heading("一、投诉人")
        self.rows(
            [
                ("姓名", c.complainant.name),
                ("联系电话", c.complainant.phone),
                ("联系地址", c.complainant.address),
                ("电子邮箱", c.complainant.email),
            ]
        )
        r = c.respondent
        self.heading("二、被投诉方")
        merchant = r.merchant
        self.rows(
            [
                ("名称", r.legal_name or r.platform),
                ("平台名称", r.platform if r.legal_name else None),
                ("统一社会信用代码", r.credit_code),
                ("地址", r.address),
                ("网站", r.website),
                ("电话", r.phone),
                ("入驻商户", (merchant.name if merchant else None)),
            ]
        )
        o = c.order
        pay = o.payment
        self.heading("三、购买情况")
        self.rows(
            [
                ("购买日期", _fmt_date(c)),
                ("商品或服务", f"{o.product}（数量 {o.quantity}）"),
                ("金额", f"{o.amount:.2f} 元"),
                ("订单号", o.order_no),
                ("支付方式", PAYMENT_LABELS.get(pay.method, pay.method.value) if pay else None),
                ("交易号", pay.transaction_no if pay else None),
            ]
        )
        self.heading("四、事实与理由")
        self.para(facts)
        self.heading("五、投诉请求")
        self.para(demand)
        pdf.ln(6)
        self.para(f"此致\n{self.addressee}")
        pdf.ln(8)
        pdf.set_font(FAMILY, "", 12)
        pdf.cell(
            0, 8, text="投诉人（签名）：____________________", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        pdf.cell(0, 8, text="日期：________年____月____日", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(4)
        self.para(f"附：证据清单及证据材料共 {len(c.evidence)} 项（见后页）", size=10)

    def evidence_index(self) -> None:
        c = self.case
        pdf = self.pdf
        pdf.add_page()
        pdf.set_font(FAMILY, "B", 16)
        pdf.cell(0, 10, text="证据清单", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.para(f"案件:{c.id}  订单号:{c.order.order_no}  投诉人:{c.complainant.name}", size=9)
        self.para("每项证据的 SHA-256 校验值可用于核对提交的文件未被改动。", size=9)
        pdf.ln(2)
        from kameng_filer.render.filters import EVIDENCE_KIND_LABELS

        pdf.set_font(FAMILY, "", 8.5)
        with pdf.table(
            col_widths=(8, 16, 52, 24, 70),
            text_align=("CENTER", "LEFT", "LEFT", "LEFT", "LEFT"),
            line_height=4.8,
            first_row_as_headings=True,
        ) as table:
            head = table.row()
            for label in ("序号", "类型", "说明", "文件", "SHA-256"):
                head.cell(label)
            for n, ev in enumerate(c.evidence, start=1):
                row = table.row()
                row.cell(str(n))
                row.cell(EVIDENCE_KIND_LABELS[ev.kind])
                row.cell(ev.description)
                row.cell(Path(ev.file).name)
                sha = self.hashes.get(ev.id) or self.hashes.get(ev.file) or ""
                row.cell(f"{sha[:32]}\n{sha[32:]}" if sha else "（文件缺失）")

    def evidence_pages(self) -> None:
        pdf = self.pdf
        for n, ev in enumerate(self.case.evidence, start=1):
            pdf.add_page()
            pdf.set_font(FAMILY, "B", 13)
            pdf.multi_cell(
                0, 7, text=f"证据 {n}:{ev.description}", align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
            )
            sha = self.hashes.get(ev.id) or self.hashes.get(ev.file) or ""
            self.para(f"文件：{Path(ev.file).name}    SHA-256:{sha}", size=8, height=4.5)
            pdf.ln(3)
            self._image(ev.path)

    def _image(self, path: Path) -> None:
        pdf = self.pdf
        try:
            with path.open("rb") as fh:
                head = fh.read(16)
        except OSError:
            self.para("（证据文件无法读取）")
            return
        mime = sniff_mime(head)
        if mime not in _IMAGE_TYPES:
            self.para(f"（该证据不是图片，类型 {mime}，请另行提交原文件）")
            return
        try:
            img = open_bounded(path, LETTER_IMAGE_SIDE)
        except ImageTooLarge as exc:
            self.para(f"（{exc.message}；请另行提交原文件）")
            return
        except FilingError:
            self.para("（证据图片无法读取）")
            return
        w_px, h_px = img.size
        top = pdf.get_y()
        box_w, box_h = self.width, pdf.h - pdf.b_margin - top - 2
        scale = min(box_w / w_px, box_h / h_px)
        w, h = w_px * scale, h_px * scale
        pdf.image(
            img.convert("RGB") if img.mode not in ("RGB", "L") else img,
            x=pdf.l_margin + (box_w - w) / 2,
            y=top,
            w=w,
            h=h,
        )

    def output(self, target: Path) -> Path:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".part")
        self.pdf.output(str(tmp))
        tmp.replace(target)
        return target


def write_letter_pdf(
    case: Case, out_path: str | Path, *, hashes: dict[str, str] | None = None, addressee: str | None = None
) -> Path:
    """Write the consumer-association complaint letter with its evidence index and images; return the path.

    ``hashes`` maps evidence id to SHA-256 (computed from the files when absent); ``addressee`` is the
    association's name (default ``消费者协会``). Raises ``FontMissing`` without a CJK font and
    ``RenderError`` when the texts cannot be rendered.
    """
    from kameng_filer.render import render

    texts = render(case, "consumer_association", "complaint").fields
    sums = {ev.id: file_sha256(ev.path) for ev in case.evidence}
    sums.update({k: v for k, v in (hashes or {}).items() if v})
    writer = _Writer(case, sums, addressee or "消费者协会")
    writer.letter(texts["facts"], texts["demand"])
    writer.evidence_index()
    writer.evidence_pages()
    return writer.output(Path(out_path).expanduser())
