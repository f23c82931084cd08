"""``kameng new DIR`` in a terminal: screenshots asked first (pasted/dragged paths), values confirmed one by one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from kameng_filer.case import load_case
from kameng_filer.cli import case_cmds
from kameng_filer.cli.pathinput import split_paths
from kameng_filer.ocr.draft import draft
from tests.ocr_shots import ocr_engine  # noqa: F401 - fixture

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "evidence"
QUESTIONS = ("title", "complainant_name", "complainant_phone", "platform", "order_no", "product", "amount",
             "payment_method", "problem_type", "summary")


def _new(folder: Path, lines: list[str], monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(case_cmds, "_interactive", lambda: True)
    app = typer.Typer()
    case_cmds.register(app)
    return CliRunner().invoke(app, ["new", str(folder)], input="\n".join(lines) + "\n")


def test_split_pasted_and_dragged_paths(tmp_path: Path) -> None:
    spaced = tmp_path / "我的 截图"
    spaced.mkdir()
    a, b = spaced / "订单 页.png", spaced / "b.png"
    a.write_bytes(b"x")
    b.write_bytes(b"x")
    assert split_paths(f"  '{a}'  ") == [a], "GNOME/iTerm quoting"
    assert split_paths(str(a)) == [a], "an unquoted path with spaces"
    assert split_paths(str(a).replace(" ", "\\ ") + " " + str(b).replace(" ", "\\ ")) == [a, b], "macOS escapes"
    assert split_paths(f'"{a}" \'{b}\'') == [a, b], "several at once"
    assert split_paths(a.as_uri()) == [a], "file:// URI with escapes"
    assert split_paths('"C:\\Users\\张 三\\x.png"') == [Path("C:\\Users\\张 三\\x.png")], "Windows Terminal"
    assert split_paths("'unbalanced") == [Path("unbalanced")]
    assert split_paths("   ") == []


@pytest.mark.usefixtures("ocr_engine")
def test_interview_asks_screenshots_first_and_confirms_each_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shots = tmp_path / "my shots"
    more = tmp_path / "更多 截图"
    shots.mkdir()
    more.mkdir()
    for name in ("order", "payment"):
        shutil.copy(EXAMPLES / f"{name}.png", shots / f"{name}.png")
    for name in ("chat", "balance"):
        shutil.copy(EXAMPLES / f"{name}.png", more / f"{name}.png")
    (more / "说明.txt").write_text("不是截图", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    images = [shots / "order.png", shots / "payment.png", *sorted(more.glob("*.png"))]
    expected = draft(images, tmp_path / "probe")  # the same reading the interview will show (cached OCR)
    assert "order.amount" in expected.values and "order.order_no" in expected.values
    review = ["n" if p == "order.amount" else "y" for p in expected.values]
    asked = [k for k in QUESTIONS if k not in expected.answers() or k == "amount"]
    replies = {"title": "王者荣耀点券充值未到账", "complainant_name": "张三", "complainant_phone": "13800138000",
               "amount": "88", "problem_type": "not_delivered", "summary": "支付成功后点券一直未到账"}
    lines = [
        f"'{shots / 'order.png'}' \"{shots / 'payment.png'}\"",  # two quoted paths with spaces at once
        str(tmp_path / "missing.png"),  # refused, asked again
        str(tmp_path / "notes.txt"),  # not an image
        str(more).replace(" ", "\\ "),  # a folder, as macOS Terminal pastes it
        "",
        "n",  # not all at once: one by one
        *review,
        *[replies.get(k, "") for k in asked],
    ]
    res = _new(tmp_path / "case", lines, monkeypatch)
    assert res.exit_code == 0, res.output
    out = res.output
    assert out.index("截图路径") < out.index("从截图识别出的信息"), "screenshots are asked first"
    assert "找不到截图" in out and "不是图片" in out and "Traceback" not in out
    assert "已添加 4 张" in out
    for path, v in expected.values.items():
        assert f"来自 {v.source}" in out, f"{path} shown with its image"
    assert "案件标题" in out and "订单号" not in out.split("逐项回答")[1], "only what is missing is asked"
    folder = tmp_path / "case"
    case = load_case(folder / "case.yaml").case
    assert case is not None
    assert str(case.order.amount) == "88.00", "a rejected value is asked again"
    assert case.order.order_no == expected.values["order.order_no"].value
    assert sorted(e.file for e in case.evidence) == sorted(f"evidence/{p.name}" for p in images)
    assert {e.kind.value for e in case.evidence} >= {"order_info", "payment_proof"}
    assert all((folder / e.file).is_file() for e in case.evidence)


def test_interview_without_screenshots_or_with_empty_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "空文件夹"
    empty.mkdir()
    res = _new(tmp_path / "case", [str(empty), "", *[""] * len(QUESTIONS)], monkeypatch)
    assert res.exit_code == 0, res.output
    assert "没有 PNG、JPEG 或 WebP 截图" in res.output and "从截图识别出的信息" not in res.output
    assert (tmp_path / "case" / "case.yaml").is_file()
