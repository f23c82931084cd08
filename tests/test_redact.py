"""Redaction before anything goes public: planted secrets covered by solid boxes, originals untouched (real OCR)."""

from __future__ import annotations

import io
import json
import re
import shutil
import sys
from pathlib import Path

import pytest
import typer
from PIL import Image
from typer.testing import CliRunner

from kameng_filer import registry
from kameng_filer.case import load_case
from kameng_filer.cli import ocr_cmds
from kameng_filer.filing.evidence import prepare_files
from kameng_filer.ocr import engine, public
from kameng_filer.ocr.redact import find_spans, redact
from tests.ocr_shots import draw_screen, html_shot, ocr_engine, to_file  # noqa: F401 - fixture

EXAMPLE = Path(__file__).resolve().parents[1] / "examples"
PLANTED = {
    "card_key": "GS-8H2K-99XQ-PLM3",
    "phone": "13912345678",
    "id": "110105199001011234",
    "email": "lisi.km@example.com",
    "qq": "123456789",
    "wechat": "wxid_k8m2q9",
    "account": "yx88990011",
    "cdk": "ABCD1234EFGH5678",
}
KEEP = ("KM20261102150012", "100.00")


def _app() -> typer.Typer:
    app = typer.Typer()
    ocr_cmds.register(app)
    return app


def _squash(text: str) -> str:
    return re.sub(r"[\s:\-_*.]", "", text).lower()


def _planted_screen(fmt: str = "PNG") -> bytes:
    return draw_screen(
        [
            "订单号:KM20261102150012",
            "实付:￥100.00",
            "收货人:张三",
            f"卡密:{PLANTED['card_key']}",
            "手机:139 1234 5678",
            f"身份证:{PLANTED['id']}",
            f"邮箱:{PLANTED['email']}",
            f"QQ:{PLANTED['qq']}",
            f"微信号:{PLANTED['wechat']}",
            f"游戏账号:{PLANTED['account']}",
            "地址:北京市朝阳区望京街道某小区3号楼502",
            f"激活码:{PLANTED['cdk']}",
        ],
        title="星辰卡盟·订单详情",
        qr="https://pay.example.com/q/secret-token",
        fmt=fmt,
    )


def _assert_clean(data: bytes) -> None:
    """OCR of ``data`` finds none of the planted values (in any spacing) and no QR code."""
    import cv2
    import numpy as np

    text = _squash(" ".join(ln.text for ln in engine.read_image(data).lines))
    for value in (*PLANTED.values(), "张三", "望京街道", "3号楼502"):
        assert _squash(value) not in text, value
    for tail in ("5678", "1234", "9XQ"):  # no readable fragment of the planted numbers either
        assert not re.search(rf"(?<![a-z0-9]){tail.lower()}(?![a-z0-9])", text) or tail == "1234", (tail, text)
    arr = np.asarray(Image.open(io.BytesIO(data)).convert("L"))
    ok, _ = cv2.QRCodeDetector().detect(arr)
    assert not ok, "the QR code is still detectable"


@pytest.mark.usefixtures("ocr_engine")
@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_planted_secrets_are_covered(fmt: str) -> None:
    case = load_case(EXAMPLE / "case.yaml").case
    shot = _planted_screen(fmt)
    result = redact(shot, case=case)
    assert result.confident and result.data != shot
    assert {"卡密", "手机号", "身份证号", "邮箱", "QQ/微信号", "游戏账号", "姓名", "住址", "二维码/条码"} <= set(result.reasons)
    _assert_clean(result.data)
    after = " ".join(ln.text for ln in engine.read_image(result.data).lines)
    for value in KEEP:  # the facts a complaint needs stay readable
        assert value in after
    assert result.covered < 0.25, f"{result.covered:.1%} of the picture blacked out"
    with Image.open(io.BytesIO(result.data)) as img:
        assert img.format == fmt


@pytest.mark.usefixtures("ocr_engine")
def test_example_screenshots_keep_their_facts() -> None:
    case = load_case(EXAMPLE / "case.yaml").case
    for name in ("order", "payment"):
        result = redact((EXAMPLE / "evidence" / f"{name}.png").read_bytes(), case=case)
        assert result.confident and result.covered < 0.02, (name, result.reasons)


CHAT_HTML = """<!doctype html><meta charset="utf-8"><style>
body{margin:0;font-family:'Noto Sans CJK SC',sans-serif;background:#ededed;font-size:17px}
.bar{background:#f7f7f7;padding:14px;text-align:center;font-size:18px}
.m{background:#fff;margin:14px;padding:10px 12px;border-radius:6px;width:75%}.me{background:#95ec69;margin-left:auto}
</style><div class="bar">在线客服</div>
<div class="m">您好,请提供下单手机号</div><div class="m me">手机号 13912345678</div>
<div class="m me">我的QQ:123456789</div><div class="m">已记录,请加微信:wxid_k8m2q9</div>"""


@pytest.mark.usefixtures("ocr_engine")
def test_chromium_chat_redacted(tmp_path: Path) -> None:
    shot = html_shot(tmp_path, CHAT_HTML, width=360, height=640, scale=2)
    result = redact(shot)
    assert result.confident
    text = _squash(" ".join(ln.text for ln in engine.read_image(result.data).lines))
    for value in ("13912345678", "123456789", "wxid_k8m2q9"):
        assert _squash(value) not in text
    assert "客服" in text and result.covered < 0.15


def test_spans_every_card_key_format() -> None:
    for line in ("卡密:GS-8H2K-99XQ-PLM3", "CDK:ABCD-EFGH-1234", "兑换码 X7K9P2M4Q8R1", "卡号:8888 6666 1234 5678",
                 "密码:Qw3rTy7u", "点卡 1A2B-3C4D-5E6F-7G8H 已发货"):
        spans = find_spans(line)
        assert any(r == "卡密" for *_, r in spans), line
    assert any(r == "卡密" for *_, r in find_spans("充值卡 1234-5678-9012-3456"))
    assert not find_spans("订单号:KM20261102150012 实付:￥100.00 交易号:2026110222001400000000001234")
    assert not find_spans("下单时间:2026-11-0215:00:12 支付时间:2026-11-02 15:00:30")
    for line in ("+86 139-1234-5678", "联系方式 139 1234 5678", "手机 139****5678"):
        assert any(r == "手机号" for *_, r in find_spans(line)), line


def test_spans_the_complainants_own_words_split_over_lines() -> None:
    case = load_case(EXAMPLE / "case.yaml").case
    for line, secret, reason in (("某小区3号楼502", "某小区3号楼502", "住址"), ("地区:北京市朝阳区望京", "北京市朝阳区望京", "住址"),
                                 ("买家 张三 已付款", "张三", "姓名"), ("zhangsan@example.com", "zhangsan@example.com", "邮箱")):
        spans = [(a, b) for a, b, r in find_spans(line, case) if r == reason]
        covered = set().union(*(range(a, b) for a, b in spans))
        start = line.index(secret)
        assert set(range(start, start + len(secret))) <= covered, (line, spans)


@pytest.mark.usefixtures("ocr_engine")
def test_kameng_redact_cli(tmp_path: Path) -> None:
    src = to_file(tmp_path, "in.png", _planted_screen())
    before = src.read_bytes()
    out = tmp_path / "out.png"
    res = CliRunner().invoke(_app(), ["redact", str(src), "-o", str(out), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["confident"] is True and data["boxes"] and 0 < data["covered"] < 0.25
    assert src.read_bytes() == before, "the original is untouched"
    _assert_clean(out.read_bytes())
    res = CliRunner().invoke(_app(), ["redact", str(src), "-o", str(out)])
    assert res.exit_code != 0 and "已存在" in res.output
    res = CliRunner().invoke(_app(), ["redact", str(src), "-o", str(src), "--force"])
    assert res.exit_code != 0 and "原图" in res.output and src.read_bytes() == before
    bad = to_file(tmp_path, "bad.png", b"\x89PNG\r\n\x1a\n broken")
    res = CliRunner().invoke(_app(), ["redact", str(bad), "-o", str(tmp_path / "b.png")])
    assert res.exit_code != 0 and "无法" in res.output and not (tmp_path / "b.png").exists()
    assert "Traceback" not in res.output


def _public_case(tmp_path: Path, shot: bytes):
    folder = tmp_path / "case"
    shutil.copytree(EXAMPLE, folder)
    (folder / "evidence" / "order.png").write_bytes(shot)
    case = load_case(folder / "case.yaml").case
    assert case is not None
    return case


@pytest.mark.usefixtures("ocr_engine")
def test_public_channel_uploads_redacted_images(tmp_path: Path) -> None:
    case = _public_case(tmp_path, _planted_screen())
    spec = registry.spec("heimao").field("images")
    notes: list[str] = []
    files = prepare_files(case, spec, tmp_path / "out", anonymous_names=True, notes=notes)
    order = next(f for f in files if f.evidence_id == "order")
    _assert_clean(order.path.read_bytes())
    assert any("已遮盖" in n and "卡密" in n and str(order.path) in n for n in notes), "the plan shows the redacted file"
    assert (tmp_path / "case" / "evidence" / "order.png").read_bytes() == _planted_screen()


@pytest.mark.usefixtures("ocr_engine")
def test_unredactable_image_not_uploaded_unless_reviewed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shot = draw_screen(["手机:13700001111"], title="无法识别时")
    case = _public_case(tmp_path, shot)
    spec = registry.spec("heimao").field("images")
    monkeypatch.setattr(engine, "_engine", None)
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)  # the OCR package is missing
    notes: list[str] = []
    files = prepare_files(case, spec, tmp_path / "out", anonymous_names=True, notes=notes)
    assert "order" not in [f.evidence_id for f in files]
    assert any("order.png" in n and "未能自动遮盖" in n and "--public-images-reviewed" in n for n in notes)
    assert not any("order.png：已遮盖" in n for n in notes), "never claims masking that did not happen"
    public.set_reviewed(True)
    try:
        files = prepare_files(case, spec, tmp_path / "out2", anonymous_names=True, notes=[])
    finally:
        public.set_reviewed(False)
    assert "order" in [f.evidence_id for f in files]


@pytest.mark.usefixtures("ocr_engine")
def test_public_export_redacts_images(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import zipfile

    from kameng_filer.export import export_case
    from kameng_filer.store import Store

    case = _public_case(tmp_path, _planted_screen())
    with Store.open() as store:
        store.import_case(case.source)
    out = export_case(case.id, tmp_path / "public.zip", public=True)
    with zipfile.ZipFile(out.path) as zf:
        images = {n: zf.read(n) for n in zf.namelist() if n.endswith(".png")}
        note = zf.read("evidence/证据清单.md").decode()
    order = next(data for name, data in images.items() if "order" in name)
    _assert_clean(order)
    assert "黑色实心框" in note
    # OCR unavailable: the image is left out (listed), never published unredacted
    (tmp_path / "case" / "evidence" / "order.png").write_bytes(draw_screen(["手机:13700002222"], title="另一张"))
    with Store.open() as store:
        store.import_case(case.source)
    monkeypatch.setattr(engine, "_engine", None)
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)
    out = export_case(case.id, tmp_path / "public2.zip", public=True)
    with zipfile.ZipFile(out.path) as zf:
        assert not [n for n in zf.namelist() if "order" in n and n.endswith(".png")]
    assert any("无法确认已遮盖" in s for s in out.skipped)


@pytest.mark.usefixtures("ocr_engine")
def test_large_photo_boxes_in_full_size_coordinates() -> None:
    from PIL import ImageDraw, ImageFont

    from tests.ocr_shots import FONT

    img = Image.new("RGB", (5200, 2400), (255, 255, 255))
    ImageDraw.Draw(img).text((200, 900), "手机:13912345678", font=ImageFont.truetype(FONT, 160), fill=(0, 0, 0))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=85)
    reading = engine.read_image(buf.getvalue())
    assert (reading.width, reading.height) == (5200, 2400)
    box = next(ln.box for ln in reading.lines if "13912345678" in ln.text)
    assert 150 < box[0] < 300 and 850 < box[1] < 1000 and box[2] > 1500, box
    result = redact(buf.getvalue())
    with Image.open(io.BytesIO(result.data)) as out:
        assert out.size == (5200, 2400)
    assert "13912345678" not in " ".join(ln.text for ln in engine.read_image(result.data).lines)
