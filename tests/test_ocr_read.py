"""``kameng read``: offline OCR of evidence screenshots, normalisation, kinds and case fields (real engine)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from kameng_filer.cli import ocr_cmds
from kameng_filer.ocr import cache, engine
from kameng_filer.ocr.fields import extract
from kameng_filer.ocr.normalize import normalize_text, parse_amount, parse_datetime
from tests.ocr_shots import draw_screen, html_shot, ocr_engine, to_file  # noqa: F401 - fixture

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "evidence"


def _app() -> typer.Typer:
    app = typer.Typer()
    ocr_cmds.register(app)
    return app


def run(*args: str):
    return CliRunner().invoke(_app(), list(args))


# ---- normalisation (no OCR) ------------------------------------------------------------------------


def test_full_width_digits_and_colons() -> None:
    assert normalize_text("订单号：ＫＭ２０２６１１０２") == "订单号:KM20261102"
    assert normalize_text("实付　¥１００．００") == "实付 ￥100.00"


@pytest.mark.parametrize(
    ("text", "amount"),
    [("实付:￥100.00", "100.00"), ("¥ 1,299.5", "1299.50"), ("共 88元", "88.00"), ("-100.00", "100.00"),
     ("数量:1实付:￥100.00", "100.00"), ("订单号:KM2026", None)],
)
def test_amounts(text: str, amount: str | None) -> None:
    got = parse_amount(text)
    assert (None if got is None else f"{got:.2f}") == amount
    if got is not None:
        assert isinstance(got, Decimal)


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("下单时间:2026-11-0215:00:12", "2026-11-02T15:00:12"),
        ("支付时间:2026-11-0215：00:30", "2026-11-02T15:00:30"),
        ("2026年11月2日 15:00", "2026-11-02T15:00:00"),
        ("2026/11/02 9:05:01", "2026-11-02T09:05:01"),
        ("11月2日 15:00", "2026-11-02T15:00:00"),
        ("昨天 15:00", "2026-11-02T15:00:00"),
        ("前天 08:30:05", "2026-11-01T08:30:05"),
        ("2026-13-45 10:00", None),
        ("没有时间", None),
    ],
)
def test_chinese_dates(text: str, iso: str | None) -> None:
    got = parse_datetime(text, today=date(2026, 11, 3))
    assert (got.isoformat() if got else None) == iso


# ---- the bundled example screenshots -----------------------------------------------------------


@pytest.mark.usefixtures("ocr_engine")
def test_read_examples_json() -> None:
    files = [str(EXAMPLES / f"{n}.png") for n in ("order", "payment", "chat", "balance")]
    res = run("read", "--json", *files)
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert set(out) == {"files", "case"}
    assert [set(f) for f in out["files"]] == [{"file", "kind", "lines", "fields"}] * 4
    kinds = [f["kind"] for f in out["files"]]
    assert kinds == ["order_info", "payment_proof", "communication", "balance"]
    order = out["files"][0]["fields"]["order.order_no"]
    assert order["value"] == "KM20261102150012" and 0.5 < order["confidence"] <= 1 and len(order["box"]) == 4
    assert out["case"] == {
        "order.order_no": "KM20261102150012",
        "order.amount": "100.00",
        "order.ordered_at": "2026-11-02T15:00:12",
        "order.paid_at": "2026-11-02T15:00:30",
        "order.product": "王者荣耀点券1000点",
        "order.payment.method": "alipay",
        "order.payment.transaction_no": "2026110222001400000000001234",
        "respondent.platform": "星辰卡盟",
        "respondent.merchant.name": "小王点卡",
    }
    # read once: the result is cached (0600) by the image's hash, a second read runs no OCR
    sha = engine.read_image((EXAMPLES / "order.png").read_bytes()).sha256
    entry = cache._file(engine.ENGINE_ID, sha)
    assert entry.is_file() and stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert engine.cached((EXAMPLES / "order.png").read_bytes()) is not None


@pytest.mark.usefixtures("ocr_engine")
def test_read_text_output_masks_card_key(tmp_path: Path) -> None:
    shot = draw_screen(
        ["订单号:DD8812345678", "商品:和平精英 60UC", "实付:￥6.00", "卡密:GS-8H2K-99XQ-PLM3", "联系电话:13912345678"],
        title="云端发卡网·订单详情",
    )
    res = run("read", str(to_file(tmp_path, "o.png", shot)))
    assert res.exit_code == 0, res.output
    assert "订单页" in res.stdout and "DD8812345678" in res.stdout
    assert "GS-8H2K-99XQ-PLM3" not in res.stdout and "卡密（敏感）" in res.stdout


# ---- generated screenshots with known values -----------------------------------------------------


@pytest.mark.usefixtures("ocr_engine")
def test_pillow_screens_known_values() -> None:
    wechat = draw_screen(
        ["-58.00", "当前状态:支付成功", "支付时间:2026年11月5日 21:14:07", "支付方式:零钱",
         "交易单号:4200002511202611051234567890", "商户单号:FK202611052114070001"],
        title="微信支付·账单详情", fmt="JPEG",
    )
    r = extract("wx.jpg", engine.read_image(wechat))
    assert r.kind == "payment_proof"
    got = {k: v["value"] for k, v in r.fields.items()}
    assert got["order.amount"] == "58.00"
    assert got["order.paid_at"] == "2026-11-05T21:14:07"
    assert got["order.payment.transaction_no"] == "4200002511202611051234567890"
    assert got["order.order_no"] == "FK202611052114070001"
    assert got["order.payment.method"] == "wechat_pay"
    order = draw_screen(
        ["订单号:DD8812345678", "商品:和平精英 60UC", "实付:￥6.00", "下单时间:11月5日 21:13",
         "卡密:GS-8H2K-99XQ-PLM3", "联系电话:13912345678", "店铺:阿杰点卡"],
        title="云端发卡网·订单详情",
    )
    r = extract("order.png", engine.read_image(order), today=date(2026, 11, 6))
    got = {k: v["value"] for k, v in r.fields.items()}
    assert r.kind == "order_info"
    assert got["order.order_no"] == "DD8812345678"
    assert got["order.amount"] == "6.00"
    assert got["order.ordered_at"] == "2026-11-05T21:13:00"
    assert got["order.card_key"] == "GS-8H2K-99XQ-PLM3" and r.fields["order.card_key"]["secret"] is True
    assert got["complainant.phone"] == "13912345678"
    assert got["respondent.merchant.name"] == "阿杰点卡"
    assert got["respondent.platform"] == "云端发卡网"


ALIPAY_HTML = """<!doctype html><meta charset="utf-8"><style>
body{margin:0;font-family:'Noto Sans CJK SC',sans-serif;background:#f5f5f5}
.bar{background:#1677ff;color:#fff;font-size:20px;padding:14px 16px}
.amt{font-size:34px;text-align:center;margin:28px 0 6px}.st{text-align:center;color:#888;margin-bottom:20px}
.row{display:flex;justify-content:space-between;background:#fff;padding:12px 16px;font-size:16px;border-bottom:1px solid #eee}
.k{color:#888}</style>
<div class="bar">支付宝·账单详情</div><div class="amt">-268.00</div><div class="st">交易成功</div>
<div class="row"><span class="k">支付时间</span><span>2026-10-30 09:41:22</span></div>
<div class="row"><span class="k">付款方式</span><span>余额宝</span></div>
<div class="row"><span class="k">交易号</span><span>2026103022001455551234567890</span></div>
<div class="row"><span class="k">商户订单号</span><span>XC20261030094100088</span></div>"""


@pytest.mark.usefixtures("ocr_engine")
def test_chromium_phone_screenshot(tmp_path: Path) -> None:
    shot = html_shot(tmp_path, ALIPAY_HTML, width=360, height=800, scale=3)  # 1080×2400
    r = extract("alipay.png", engine.read_image(shot))
    got = {k: v["value"] for k, v in r.fields.items()}
    assert r.kind == "payment_proof"
    assert got["order.amount"] == "268.00"
    assert got["order.paid_at"] == "2026-10-30T09:41:22"
    assert got["order.payment.transaction_no"] == "2026103022001455551234567890"
    assert got["order.order_no"] == "XC20261030094100088"
    assert got["order.payment.method"] == "alipay"


# ---- bad input and start-up cost ------------------------------------------------------------------


def test_missing_and_broken_files(tmp_path: Path) -> None:
    res = run("read", str(tmp_path / "nope.png"))
    assert res.exit_code != 0 and "找不到图片文件" in res.output and "Traceback" not in res.output
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    res = run("read", "--json", str(bad))
    err = json.loads(res.stdout)["error"]
    assert res.exit_code != 0 and "无法读取图片" in err["message"] and err["hint"]


def test_engine_not_imported_at_startup() -> None:
    code = "import sys; from kameng_filer.cli import main; print('rapidocr_onnxruntime' in sys.modules, 'cv2' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ}, check=True)
    assert out.stdout.split() == ["False", "False"]


# ---- kameng check: the case against its own screenshots ------------------------------------------


def _check(folder: Path, *extra: str) -> list[dict]:
    from kameng_filer.cli import case_cmds

    app = typer.Typer()
    case_cmds.register(app)
    res = CliRunner().invoke(app, ["check", str(folder), "--json", "--now", "2026-11-03T10:00:00", *extra])
    assert res.exit_code in (0, 1), res.output
    return [f for f in json.loads(res.stdout)["findings"] if f["code"].startswith("evidence.read")]


def _copy_example(tmp_path: Path) -> Path:
    import shutil

    folder = tmp_path / "case"
    shutil.copytree(EXAMPLES.parent, folder)
    return folder


@pytest.mark.usefixtures("ocr_engine")
def test_check_agrees_then_costs_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _copy_example(tmp_path)
    assert _check(folder) == []
    # second check: every screenshot comes from the cache, the OCR engine is not even needed
    monkeypatch.setattr(engine, "_engine", None)
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)
    assert _check(folder) == []
    assert engine._engine is None


@pytest.mark.usefixtures("ocr_engine")
def test_check_reports_contradictions(tmp_path: Path) -> None:
    folder = _copy_example(tmp_path)
    text = (folder / "case.yaml").read_text(encoding="utf-8")
    text = text.replace("order_no: KM20261102150012", "order_no: KM20261102150099")
    text = text.replace("amount: 100.00", "amount: 120.00").replace("method: alipay ", "method: wechat_pay ")
    text = text.replace('"2026110222001400000000001234"', '"2026110222001400000000009999"')
    text = text.replace("paid_at: 2026-11-02T15:00:30", "paid_at: 2026-11-02T16:00:30")
    text = text.replace("kind: communication", "kind: payment_proof")
    (folder / "case.yaml").write_text(text, encoding="utf-8")
    found = _check(folder)
    by_path = {(f["code"], f["path"]) for f in found}
    assert ("evidence.read_mismatch", "order.order_no") in by_path
    assert ("evidence.read_mismatch", "order.amount") in by_path
    assert ("evidence.read_mismatch", "order.paid_at") in by_path
    assert ("evidence.read_mismatch", "order.payment.transaction_no") in by_path
    assert ("evidence.read_method", "order.payment.method") in by_path
    assert ("evidence.read_kind", "evidence[2].kind") in by_path
    msg = next(f["message"] for f in found if f["path"] == "order.order_no")
    assert "evidence/order.png" in msg and "KM20261102150012" in msg
    assert all(f["severity"] == "warning" for f in found)
    assert _check(folder, "--no-read") == []


@pytest.mark.usefixtures("ocr_engine")
def test_check_lists_unreadable_screenshot(tmp_path: Path) -> None:
    from PIL import Image

    folder = _copy_example(tmp_path)
    Image.new("RGB", (300, 500), (250, 250, 250)).save(folder / "evidence" / "balance.png")
    found = _check(folder)
    assert [(f["code"], f["path"]) for f in found] == [("evidence.read_unreadable", "evidence[3].file")]


# ---- kameng new --from: a case drafted from screenshots -----------------------------------------


def _new(tmp_path: Path, *args: str, input: str | None = None):
    from kameng_filer.cli import case_cmds

    app = typer.Typer()
    case_cmds.register(app)
    return CliRunner().invoke(app, ["new", str(tmp_path / "drafted"), *args], input=input)


@pytest.mark.usefixtures("ocr_engine")
def test_new_from_screenshots_passes_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kameng_filer.cli import case_cmds

    monkeypatch.setattr(case_cmds, "_interactive", lambda: True)
    shots = [str(EXAMPLES / f"{n}.png") for n in ("order", "payment", "chat", "balance")]
    # confirm the drafted values, then answer only what screenshots cannot show
    answers = "\n".join(["y", "王者荣耀点券充值未到账", "张三", "13800138000", "not_delivered", "支付成功后点券一直未到账"])
    res = _new(tmp_path, "--from", *shots, input=answers + "\n")
    assert res.exit_code == 0, res.output
    for value, source in (("KM20261102150012", "evidence/order.png"), ("2026110222001400000000001234", "evidence/payment.png")):
        row = next(line for line in res.output.splitlines() if value[:20] in line)
        assert source in row, "each value is shown with the image it came from"
    assert "订单号" not in res.output.split("采用这些值吗")[1], "drafted values are not asked again"
    folder = tmp_path / "drafted"
    text = (folder / "case.yaml").read_text(encoding="utf-8")
    assert 'order_no: "KM20261102150012"' in text and "paid_at: 2026-11-02T15:00:30" in text
    assert "kind: problem_proof" in text and (folder / "evidence" / "balance.png").is_file()
    findings = _check(folder)
    assert findings == []
    from kameng_filer.checks import check_path
    from kameng_filer.timeutil import parse_iso

    _, all_findings = check_path(folder, now=parse_iso("2026-11-03T10:00:00"))
    assert [f for f in all_findings if f.severity == "error"] == []


@pytest.mark.usefixtures("ocr_engine")
def test_new_from_needs_confirmation_and_images(tmp_path: Path) -> None:
    res = _new(tmp_path, "--from", str(EXAMPLES / "order.png"))
    assert res.exit_code != 0 and "确认" in res.output and "--yes" in res.output
    assert not (tmp_path / "drafted" / "case.yaml").exists()
    res = _new(tmp_path, "--from", str(tmp_path / "missing.png"), "--yes")
    assert res.exit_code != 0 and "找不到截图" in res.output
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    res = _new(tmp_path, "--from", str(tmp_path / "notes.txt"), "--yes")
    assert res.exit_code != 0 and "不是图片" in res.output and "Traceback" not in res.output
    res = _new(tmp_path, "--from", str(EXAMPLES / "order.png"), "--yes", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["case_file"].endswith("case.yaml"), "stdout carries only JSON"
    assert 'order_no: "KM20261102150012"' in (tmp_path / "drafted" / "case.yaml").read_text(encoding="utf-8")


def test_amount_when_ocr_misreads_the_yuan_sign() -> None:
    lines = tuple(
        engine.Line(t, 0.9, (10, 10 + 40 * i, 300, 40 + 40 * i))
        for i, t in enumerate(["极速发卡·订单详情", "订单号:FK40621400389476", "实付:?107.45", "下单时间:2026-11-2021:23:01"])
    )
    got = extract("o.jpg", engine.Reading("0" * 64, 720, 1600, lines)).fields
    assert got["order.amount"]["value"] == "107.45"
    assert got["order.ordered_at"]["value"] == "2026-11-20T21:23:01"
    lines = (engine.Line("实付:Y6.00", 0.9, (10, 10, 300, 40)),)
    assert extract("o.jpg", engine.Reading("0" * 64, 720, 1600, lines)).fields["order.amount"]["value"] == "6.00"


def test_damaged_or_unwritable_cache_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAMENG_OCR_CACHE", str(tmp_path / "c"))
    sha = "ab" * 32
    cache.save(engine.ENGINE_ID, sha, {"width": 1, "height": 1, "lines": []})
    entry = cache._file(engine.ENGINE_ID, sha)
    assert cache.load(engine.ENGINE_ID, sha) == {"width": 1, "height": 1, "lines": []}
    entry.write_text("{not json", encoding="utf-8")
    assert cache.load(engine.ENGINE_ID, sha) is None
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("KAMENG_OCR_CACHE", str(blocker / "below-a-file"))
    cache.save(engine.ENGINE_ID, sha, {"lines": []})  # no exception: caching is best effort
    assert cache.load(engine.ENGINE_ID, sha) is None


def test_alipay_bill_own_order_number_is_the_transaction_number() -> None:
    def reading(*texts: str) -> engine.Reading:
        return engine.Reading(
            "0" * 64, 720, 1600, tuple(engine.Line(t, 0.95, (10, 10 + 40 * i, 400, 40 + 40 * i)) for i, t in enumerate(texts))
        )

    bill = extract("bill.png", reading("账单详情", "-100.00", "交易成功", "付款方式:花呗", "订单号:2026110222001400000000001234",
                                       "商家订单号:KM20261102150012", "创建时间:2026-11-02 15:00:30"))
    got = {k: v["value"] for k, v in bill.fields.items()}
    assert bill.kind == "payment_proof"
    assert got["order.payment.transaction_no"] == "2026110222001400000000001234"
    assert got["order.order_no"] == "KM20261102150012"
    assert got["order.payment.method"] == "alipay"


@pytest.mark.usefixtures("ocr_engine")
def test_check_with_evidence_outside_the_case_folder(tmp_path: Path) -> None:
    folder = _copy_example(tmp_path)
    outside = tmp_path / "elsewhere.png"
    outside.write_bytes((EXAMPLES / "order.png").read_bytes())
    text = (folder / "case.yaml").read_text(encoding="utf-8").replace("file: evidence/order.png", f"file: {outside}")
    (folder / "case.yaml").write_text(text, encoding="utf-8")
    from kameng_filer.cli import case_cmds

    app = typer.Typer()
    case_cmds.register(app)
    res = CliRunner().invoke(app, ["check", str(folder), "--json", "--now", "2026-11-03T10:00:00"])
    codes = [f["code"] for f in json.loads(res.stdout)["findings"]]
    assert "evidence.outside_case" in codes, res.stdout


@pytest.mark.usefixtures("ocr_engine")
def test_redeem_error_small_screenshot_is_problem_proof() -> None:
    shot = draw_screen(
        ["兑换失败", "卡密已被使用", "卡密:GS-8H2K-99XQ-PLM3", "请联系客服"], title="王者荣耀·点券兑换", width=360, size=17, fmt="JPEG"
    )
    r = extract("redeem.jpg", engine.read_image(shot))
    assert r.kind == "problem_proof"
    assert r.fields["order.card_key"]["value"] == "GS-8H2K-99XQ-PLM3" and r.fields["order.card_key"]["secret"]
