"""Where a privacy leak could hide in a redacted picture: values split over OCR boxes, turned pictures, chat bubbles."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from kameng_filer.ocr import engine
from kameng_filer.ocr.redact import carried_spans, find_spans, redact
from tests.ocr_shots import FONT, draw_screen, html_shot, ocr_engine  # noqa: F401 - fixture

KEY = "GS-8H2K-99XQ-PLM3"


def _squash(text: str) -> str:
    return re.sub(r"[\s:\-_*.]", "", text).lower()


def _seen(data: bytes) -> str:
    return _squash(" ".join(ln.text for ln in engine.read_image(data).lines))


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def test_carried_spans_follow_a_value_into_the_next_box() -> None:
    prev = "卡密:GS-8H2K-"
    assert carried_spans(prev, find_spans(prev), "99XQ-PLM3") == ([(3, 11, "卡密")], [(0, 9, "卡密")])
    assert carried_spans("卡密:", [], "881234567789")[1] == [(0, 12, "卡密")]
    assert carried_spans("我手机号139 1234", [], "5678 加我微信") == ([(4, 12, "手机号")], [(0, 4, "手机号")])
    assert carried_spans("登录密码:", [], "abc123")[1], "a password after its label"
    for prev, text in (("订单号:KM2026", "实付:100"), ("忘记密码", "2026-11-02"), ("商品:点券", "1000点")):
        assert carried_spans(prev, find_spans(prev), text) == ([], []), (prev, text)


@pytest.mark.usefixtures("ocr_engine")
def test_card_key_split_over_two_lines() -> None:
    shot = draw_screen(["订单号:KM20261102150012", "卡密:GS-8H2K-", "99XQ-PLM3", "实付:￥100.00"], title="星辰卡盟·订单详情")
    before = _seen(shot)
    assert "99xqplm3" in before, "the second half is on its own line"
    result = redact(shot)
    assert result.confident
    after = _seen(result.data)
    for piece in ("8h2k", "99xq", "plm3"):
        assert piece not in after, piece
    assert "km20261102150012" in after and "10000" in after


@pytest.mark.usefixtures("ocr_engine")
def test_label_and_value_in_separate_boxes() -> None:
    font = ImageFont.truetype(FONT, 30)
    img = Image.new("RGB", (720, 900), "white")
    d = ImageDraw.Draw(img)
    d.text((24, 40), "订单号:KM20261102150012", font=font, fill="black")
    d.text((24, 120), "卡密:", font=font, fill="black")
    d.text((420, 120), "881234567789", font=font, fill="black")  # far to the right: its own OCR box
    d.text((24, 200), "联系电话", font=font, fill="black")
    d.text((24, 260), "13912345678", font=font, fill="black")  # on the line below its label
    shot = _png(img)
    result = redact(shot)
    after = _seen(result.data)
    assert result.confident and "881234567789" not in after and "13912345678" not in after, after
    assert "km20261102150012" in after


CHAT = """<!doctype html><meta charset="utf-8"><style>
body{margin:0;font-family:'Noto Sans CJK SC',sans-serif;background:#ededed;font-size:17px}
.m{background:#fff;margin:14px;padding:10px 12px;border-radius:6px;width:60%}.me{background:#95ec69;margin-left:auto}
</style><div class="m">您好,请留个联系方式</div><div class="m me">我手机号139 1234<br>5678 加我微信也行</div>
<div class="m">好的,已登记订单 KM20261102150012</div>"""


@pytest.mark.usefixtures("ocr_engine")
def test_phone_wrapped_in_a_chat_bubble(tmp_path: Path) -> None:
    shot = html_shot(tmp_path, CHAT, width=360, height=640, scale=2)
    assert "5678" in _seen(shot)
    result = redact(shot)
    after = _seen(result.data)
    assert result.confident
    assert "1391234" not in after and not re.search(r"(?<!\d)5678(?!\d)", after), after
    assert "加我微信也行" in after and "km20261102150012" in after, "an order number wrapped after 订单 stays"
    assert result.covered < 0.1


@pytest.mark.usefixtures("ocr_engine")
@pytest.mark.parametrize(("turn", "undo"), [(-90, 90), (90, -90), (180, 180)])
def test_turned_screenshot_is_redacted(turn: int, undo: int) -> None:
    upright = Image.open(io.BytesIO(draw_screen(
        ["订单号:KM20261102150012", f"卡密:{KEY}", "手机:13912345678"], title="星辰卡盟·订单详情"
    )))
    shot = _png(upright.rotate(turn, expand=True))
    result = redact(shot)
    assert result.confident, result.problem
    assert {"卡密", "手机号"} <= set(result.reasons)
    with Image.open(io.BytesIO(result.data)) as out:
        assert out.size == Image.open(io.BytesIO(shot)).size, "the picture keeps its orientation"
        after = _seen(_png(out.rotate(undo, expand=True)))
    assert _squash(KEY) not in after and "13912345678" not in after
    assert "km20261102150012" in after
    assert result.boxes and result.covered < 0.2


@pytest.mark.usefixtures("ocr_engine")
def test_low_contrast_screenshot() -> None:
    shot = Image.open(io.BytesIO(draw_screen([f"卡密:{KEY}", "手机:13912345678", "实付:￥100.00"], title="订单详情")))
    faint = _png(Image.eval(shot, lambda v: 200 + v * 55 // 255))  # light grey on white
    result = redact(faint)
    after = _seen(result.data)
    assert result.confident and _squash(KEY) not in after and "13912345678" not in after
