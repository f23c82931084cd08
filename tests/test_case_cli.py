"""The real ``kameng`` console script: check (exit codes, --json), new (template, interactive), schema."""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kameng_filer.case.loader import load_case
from kameng_filer.checks import check_case
from kameng_filer.timeutil import parse_iso

KAMENG = Path(sys.executable).parent / "kameng"
NOW = "2026-11-03T10:00:00"


def kameng(*args: str, cwd: Path | None = None, stdin: int | None = subprocess.DEVNULL, timeout: int = 60):
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [str(KAMENG), *args], cwd=cwd, stdin=stdin, capture_output=True, text=True, timeout=timeout, env=env
    )


def test_check_example_is_clean(example_case: Path) -> None:
    proc = kameng("check", str(example_case), "--now", NOW)
    assert proc.returncode == 0, proc.stderr
    assert "错误 0" in proc.stdout
    assert "evidence.chain.promise" in proc.stdout and "第 61 行" in proc.stdout
    assert "没有错误，可以提交" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_check_accepts_the_folder(example_case: Path) -> None:
    proc = kameng("check", str(example_case.parent), "--now", NOW, "--json")
    assert proc.returncode == 0
    assert [f["code"] for f in json.loads(proc.stdout)["findings"]] == ["evidence.chain.promise"]


def test_check_json_shape_and_nothing_else_on_stdout(example_case: Path) -> None:
    text = example_case.read_text("utf-8")
    text = text.replace("  order_no: KM20261102150012\n", "", 1).replace(
        "file: evidence/chat.png", "file: lost.png"
    )
    example_case.write_text(text, "utf-8")
    proc = kameng("check", str(example_case), "--json", "--now", NOW)
    assert proc.returncode == 1
    data = json.loads(proc.stdout)  # the whole of stdout is one JSON document
    assert list(data) == ["findings"]
    for f in data["findings"]:
        assert set(f) - {"line"} == {"code", "severity", "path", "message", "hint"}
        assert f["severity"] in ("error", "warning", "hint")
    pairs = {(f["code"], f["path"]) for f in data["findings"]}
    assert ("required.order_no", "order.order_no") in pairs
    assert ("evidence.file_missing", "evidence[2].file") in pairs
    assert data["findings"][0]["severity"] == "error"


def test_check_json_matches_the_library(example_case: Path) -> None:
    example_case.write_text(
        example_case.read_text("utf-8").replace("title: 王者荣耀点券充值未到账", "title: 求助")
    )
    proc = kameng("check", str(example_case), "--json", "--now", NOW)
    expected = [f.to_dict() for f in check_case(load_case(example_case), now=parse_iso(NOW))]
    assert json.loads(proc.stdout)["findings"] == expected
    assert proc.returncode == 0  # a hint and a warning are not errors


def test_check_human_output_lists_errors_first(example_case: Path) -> None:
    text = (
        example_case.read_text("utf-8")
        .replace("file: evidence/chat.png", "file: chat.png")
        .replace("P7D", "PT1H")
    )
    example_case.write_text(text, "utf-8")
    proc = kameng("check", str(example_case), "--now", NOW)
    assert proc.returncode == 1
    out = proc.stdout
    assert "错误 1 · 警告 2 · 建议 0" in out
    assert out.index("错误  evidence[2].file") < out.index("警告  platform_policy.complaint_window")
    assert "证据文件不存在" in out and "建议：" in out
    assert "修正后才能提交" in out


def test_check_unparsable_file_exits_2_with_line(tmp_path: Path) -> None:
    bad = tmp_path / "case.yaml"
    bad.write_text("id: km-1\ntitle: [未闭合\norder: x\n", "utf-8")
    proc = kameng("check", str(bad))
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "YAML 格式错误" in proc.stderr and "行" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = kameng("check", str(bad), "--json")  # --json: the error is JSON on stdout
    assert proc.returncode == 2
    error = json.loads(proc.stdout)["error"]
    assert error["code"] == "case_unreadable"
    assert "YAML 格式错误" in error["message"] and "行" in error["message"]
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02junk", b"- just\n- a list\n"])
def test_check_junk_exits_2(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "case.yaml"
    bad.write_bytes(content)
    proc = kameng("check", str(bad))
    assert proc.returncode == 2 and "错误" in proc.stderr and "Traceback" not in proc.stderr


def test_check_missing_path_and_bad_now(tmp_path: Path, example_case: Path) -> None:
    proc = kameng("check", str(tmp_path / "nothing-here"))
    assert proc.returncode == 2 and "找不到" in proc.stderr
    proc = kameng("check", str(tmp_path))
    assert proc.returncode == 2 and "case.yaml" in proc.stderr
    proc = kameng("check", str(example_case), "--now", "下周一")
    assert proc.returncode == 2 and "--now" in proc.stderr


def test_check_now_moves_the_clock(example_case: Path) -> None:
    proc = kameng("check", str(example_case), "--json", "--now", "2026-11-20T10:00:00")
    codes = [f["code"] for f in json.loads(proc.stdout)["findings"]]
    assert "window.closed" in codes and proc.returncode == 0


def test_new_writes_a_template_that_says_what_to_fill(tmp_path: Path) -> None:
    proc = kameng("new", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "kameng-case"
    assert (folder / "evidence").is_dir()
    text = (folder / "case.yaml").read_text("utf-8")
    assert "# " in text and "投诉人" in text and "not_delivered" in text and "充值/商品未到账" in text
    check = kameng("check", str(folder), "--json")
    assert check.returncode == 1
    findings = json.loads(check.stdout)["findings"]
    assert findings and all(f["code"].startswith("required.") for f in findings), findings
    assert {f["path"] for f in findings} >= {
        "title",
        "complainant.name",
        "complainant.phone",
        "respondent.platform",
        "order.order_no",
        "order.amount",
        "problem.type",
        "problem.summary",
    }
    assert all("填写" in f["message"] or "缺少" in f["message"] for f in findings)


def test_new_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "mine"
    assert kameng("new", str(target)).returncode == 0
    (target / "case.yaml").write_text("id: keep-me\n", "utf-8")
    proc = kameng("new", str(target))
    assert proc.returncode == 1 and "不会覆盖" in proc.stderr
    assert (target / "case.yaml").read_text("utf-8") == "id: keep-me\n"
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    assert kameng("new", str(a_file)).returncode == 1


def test_new_filled_template_becomes_a_clean_case(tmp_path: Path) -> None:
    """The template plus the example's evidence and values loads and checks without errors."""
    assert kameng("new", str(tmp_path / "c")).returncode == 0
    case_file = tmp_path / "c" / "case.yaml"
    text = case_file.read_text("utf-8")
    for old, new in [
        ('title: ""', "title: 点券未到账"),
        ('name: ""                        #', "name: 张三                      #"),
        ('phone: ""', 'phone: "13800138000"'),
        ('platform: ""', "platform: 星辰卡盟"),
        ('order_no: ""', 'order_no: "KM1"'),
        ('product: ""', "product: 点券"),
        ("amount:         ", "amount: 100.00  "),
        ("method:         ", "method: alipay  "),
        ("  type:           ", "  type: not_delivered"),
        ('summary: ""', "summary: 支付成功后点券一直未到账"),
    ]:
        assert old in text, old
        text = text.replace(old, new, 1)
    case_file.write_text(text, "utf-8")
    proc = kameng("check", str(case_file), "--json")
    assert proc.returncode == 0, proc.stdout
    codes = {f["code"] for f in json.loads(proc.stdout)["findings"]}
    assert {"evidence.empty", "contacts.none", "demands.none", "12315.complainant_address"} <= codes


def test_new_interactive_on_a_terminal(tmp_path: Path) -> None:
    answers = [
        "",  # no screenshots: the interview asks for them first
        "订单KM1-点券未到账",
        "张三",
        "13800138000",
        "星辰卡盟",
        "KM20261102150012",
        "王者荣耀点券 1000点",
        "一百块",  # refused: asked again
        "¥100",
        "1",  # payment: alipay
        "99",  # refused: asked again
        "1",
        "支付成功后点券一直未到账",
    ]
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            [str(KAMENG), "new", str(tmp_path / "tty-case")],
            stdin=slave,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "NO_COLOR": "1"},
        )
        os.write(master, ("\n".join(answers) + "\n").encode())
        out, err = proc.communicate(timeout=60)
    finally:
        os.close(slave)
        os.close(master)
    assert proc.returncode == 0, err.decode()
    assert "问题类型" in out.decode() and "不是有效金额" in err.decode()
    case = load_case(tmp_path / "tty-case").case
    assert case is not None
    assert case.title == "订单KM1-点券未到账"
    assert case.complainant.phone == "13800138000"
    assert case.order.order_no == "KM20261102150012"
    assert str(case.order.amount) == "100.00"
    assert case.problem.type.value == "not_delivered"
    assert case.order.payment.method.value == "alipay"
    assert case.problem.summary == "支付成功后点券一直未到账"


def test_schema_is_valid_json_schema() -> None:
    proc = kameng("schema")
    assert proc.returncode == 0
    schema = json.loads(proc.stdout)
    assert schema["type"] == "object"
    assert {"id", "title", "complainant", "respondent", "order", "problem"} <= set(schema["required"])
    contact = schema["$defs"]["Contact"]["properties"]
    assert "with" in contact and "with_" not in contact
    problem_type = schema["$defs"]["ProblemType"]["enum"]
    assert "not_delivered" in problem_type and "other" in problem_type


def test_help_is_chinese() -> None:
    proc = kameng("check", "--help")
    assert proc.returncode == 0 and "检查案件" in proc.stdout


@pytest.fixture(autouse=True)
def _console_script_exists() -> None:
    if not KAMENG.exists():
        pytest.fail(f"console script missing: {KAMENG} (pip install -e '.[test]')")
    assert shutil.which(str(KAMENG))
