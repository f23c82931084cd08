"""Hostile case input: evidence outside the case folder, duplicate keys, control characters, huge texts and
numbers, English pydantic messages, template code execution and images too large to decode naively."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError
from typer.testing import CliRunner

from kameng_filer.case.loader import LineIndex, load_case, load_case_text, parse_text, validate
from kameng_filer.case.model import Case
from kameng_filer.checks import check_case
from kameng_filer.errors import CaseInvalid, RenderError
from kameng_filer.timeutil import parse_iso

ROOT = Path(__file__).resolve().parent.parent
NOW = parse_iso("2026-11-03T10:00:00")
EXAMPLE_RAW = parse_text((ROOT / "examples" / "case.yaml").read_text("utf-8"))


def _app() -> Any:
    from kameng_filer.cli import app

    return app


def cli(*args: str) -> Any:
    """``kameng …`` in-process (stdout and stderr apart)."""
    return CliRunner().invoke(_app(), list(args), env={"COLUMNS": "200"})


def set_evidence(case_yaml: Path, file: str, index: int = 0, extra: str = "") -> None:
    """Point evidence item ``index`` of the case at ``file`` (and append ``extra`` YAML)."""
    text = case_yaml.read_text("utf-8")
    names = ["evidence/order.png", "evidence/payment.png", "evidence/chat.png", "evidence/balance.png"]
    text = text.replace(f"file: {names[index]}", f"file: {json.dumps(file)}", 1)
    case_yaml.write_text(text + extra, "utf-8")


def codes_at(findings: list, path: str) -> set[str]:
    return {f.code for f in findings if f.path == path}


# ------------------------------------------------------------ evidence outside the case folder


@pytest.fixture
def fake_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home folder with an SSH key in it (``~`` expands here)."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_ed25519").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n", "utf-8")
    monkeypatch.setenv("HOME", str(home))
    return home


def _outside(kind: str, case_yaml: Path, tmp_path: Path) -> str:
    """Make the outside file for ``kind``; the evidence path to write in the case."""
    if kind == "dotdot":
        return "../" * 12 + "etc/passwd"
    if kind == "absolute":
        return "/etc/shadow"
    if kind == "symlink":
        (case_yaml.parent / "evidence" / "shadow.png").symlink_to("/etc/shadow")
        return "evidence/shadow.png"
    if kind == "ssh_key":
        return "~/.ssh/id_ed25519"
    other = tmp_path / "other"
    other.mkdir(exist_ok=True)
    (other / "x.png").write_bytes((case_yaml.parent / "evidence" / "order.png").read_bytes())
    if kind == "sibling":
        return "../other/x.png"
    (case_yaml.parent / "evidence" / "linkdir").symlink_to(other)  # a linked folder inside evidence/
    return "evidence/linkdir/x.png"


KINDS = ["dotdot", "absolute", "symlink", "ssh_key", "sibling", "linked_folder"]


@pytest.mark.parametrize("kind", KINDS)
def test_check_refuses_evidence_outside_the_case_folder(
    kind: str, example_case: Path, tmp_path: Path, fake_home: Path
) -> None:
    set_evidence(example_case, _outside(kind, example_case, tmp_path))
    result = load_case(example_case)
    findings = check_case(result, now=NOW)
    at = [f for f in findings if f.path == "evidence[0].file"]
    assert [f.code for f in at] == ["evidence.outside_case"], at  # no sniffing of the file either
    assert at[0].severity == "error" and at[0].line is not None and at[0].hint
    assert "拒绝读取" in at[0].message
    with pytest.raises(CaseInvalid):  # nothing can read it through the model
        result.case.evidence[0].path.read_bytes()


@pytest.mark.parametrize("kind", KINDS)
def test_add_stores_nothing_from_outside(
    kind: str, example_case: Path, tmp_path: Path, fake_home: Path
) -> None:
    from kameng_filer.store import Store

    set_evidence(example_case, _outside(kind, example_case, tmp_path))
    r = cli("add", str(example_case))
    assert r.exit_code == 1, r.output
    assert "evidence[0].file" in r.output and "拒绝读取" in r.output
    store = Store.open()
    assert not store.has_case("km-2026-0001")
    blobs = [p for p in store.blobs.root.rglob("*") if p.is_file()]
    assert not any(b"PRIVATE KEY" in p.read_bytes() or b"root:" in p.read_bytes() for p in blobs)


@pytest.mark.parametrize("command", ["render", "letter", "plan", "file"])
def test_commands_reading_evidence_refuse_outside_files(
    command: str, example_case: Path, tmp_path: Path, fake_home: Path
) -> None:
    set_evidence(example_case, "~/.ssh/id_ed25519")
    args = {
        "render": ["render", str(example_case), "--channel", "email"],
        "letter": ["letter", str(example_case), "--out", str(tmp_path / "l.pdf")],
        "plan": ["plan", str(example_case)],
        "file": ["file", str(example_case), "--channels", "email", "--yes"],
    }[command]
    r = cli(*args)
    assert r.exit_code != 0, r.output
    assert "evidence[0].file" in r.output or "拒绝读取" in r.output, r.output
    assert "PRIVATE KEY" not in r.output and "Traceback" not in r.output
    assert not (tmp_path / "l.pdf").exists()


def test_outside_evidence_is_never_mailed(
    example_case: Path, tmp_path: Path, email_twin, fake_home: Path
) -> None:
    from kameng_filer.config import save_config

    save_config(
        {
            "channels": {
                "email": {
                    "to": "kefu@xingchen-km.example.com",
                    "smtp_host": email_twin.host,
                    "smtp_port": email_twin.port,
                    "timeout": 5,
                }
            }
        }
    )
    (example_case.parent / "evidence" / "balance.png").unlink()
    (example_case.parent / "evidence" / "balance.png").symlink_to(fake_home / ".ssh" / "id_ed25519")
    r = cli("file", str(example_case), "--channels", "email", "--yes", "--json")
    assert r.exit_code != 0
    assert email_twin.messages() == []


def test_prepare_files_refuses_a_refused_item(example_case: Path, fake_home: Path, tmp_path: Path) -> None:
    from kameng_filer.filing.evidence import prepare_files
    from kameng_filer.registry import spec

    set_evidence(example_case, "~/.ssh/id_ed25519")
    case = load_case(example_case).case
    with pytest.raises(CaseInvalid, match="拒绝读取"):
        prepare_files(case, spec("email").field("attachments"), tmp_path / "out")


def test_allow_outside_admits_one_named_folder(example_case: Path, tmp_path: Path) -> None:
    shots = tmp_path / "截图"
    shots.mkdir()
    (shots / "x.png").write_bytes((example_case.parent / "evidence" / "order.png").read_bytes())
    set_evidence(example_case, str(shots / "x.png"), extra=f"allow_outside:\n  - {json.dumps(str(shots))}\n")
    result = load_case(example_case)
    findings = check_case(result, now=NOW)
    assert not [f for f in findings if f.code.startswith("evidence.outside")], findings
    assert result.case.evidence[0].path.read_bytes()[:4] == b"\x89PNG"
    assert result.case.evidence[0].real_path == shots / "x.png"
    # a neighbouring folder is still refused
    other = tmp_path / "其他"
    other.mkdir()
    (other / "y.png").write_bytes(b"x")
    set_evidence(example_case, str(other / "y.png"), index=1)
    assert "evidence.outside_case" in codes_at(
        check_case(load_case(example_case), now=NOW), "evidence[1].file"
    )


@pytest.mark.parametrize("folder", ["/etc", "/", "~", "relative/folder", "~/.ssh", "/proc/self"])
def test_allow_outside_never_admits_system_places_or_everything(
    folder: str, example_case: Path, fake_home: Path
) -> None:
    set_evidence(example_case, "/etc/passwd", extra=f"allow_outside: [{json.dumps(folder)}]\n")
    findings = check_case(load_case(example_case), now=NOW)
    assert "evidence.outside_folder" in codes_at(findings, "allow_outside[0]")
    assert "evidence.outside_case" in codes_at(findings, "evidence[0].file")


def test_hidden_home_folder_and_data_folder_refused_even_when_allowed(
    example_case: Path, fake_home: Path, kameng_home: Path
) -> None:
    secret = fake_home / ".local" / "share" / "x.png"
    secret.parent.mkdir(parents=True)
    secret.write_bytes(b"x")
    (kameng_home / "blob.png").write_bytes(b"x")
    extra = f"allow_outside: [{json.dumps(str(fake_home / '.local'))}, {json.dumps(str(kameng_home))}]\n"
    set_evidence(example_case, str(secret), extra=extra)
    set_evidence(example_case, str(kameng_home / "blob.png"), index=1)
    findings = check_case(load_case(example_case), now=NOW)
    assert "evidence.outside_case" in codes_at(findings, "evidence[0].file")
    assert "evidence.outside_case" in codes_at(findings, "evidence[1].file")


def test_the_plan_table_shows_each_file_real_path(example_case: Path, tmp_path: Path) -> None:
    from kameng_filer.filing.run import prepare
    from kameng_filer.store import Store

    link = example_case.parent / "evidence" / "订单.png"
    link.symlink_to(example_case.parent / "evidence" / "order.png")
    set_evidence(example_case, "evidence/订单.png")
    case = load_case(example_case).case
    assert case.evidence[0].real_path == (example_case.parent / "evidence" / "order.png").resolve()
    from kameng_filer.config import save_config
    from kameng_filer.filing.run import plan_table

    save_config({"channels": {"email": {"to": "kefu@example.com", "smtp_host": "127.0.0.1", "smtp_port": 1}}})
    prepared = prepare(Store.open(), str(example_case), ["email"], now=NOW)
    assert prepared.work, prepared.failed
    (adapter, plan) = prepared.work[0]
    real = str((example_case.parent / "evidence" / "order.png").resolve())
    assert plan.files[0].source_path == real
    from rich.console import Console

    console = Console(width=400, record=True)
    console.print(plan_table(adapter, plan))
    assert real in console.export_text()


# ------------------------------------------------------------ duplicate keys


@pytest.mark.parametrize(
    ("old", "new", "path", "line"),
    [
        ("title: 王者荣耀点券充值未到账\n", "title: 王者荣耀点券充值未到账\ntitle: 另一个标题\n", "title", 6),
        ("  quantity: 1\n", "  quantity: 1\n  quantity: 100\n", "order.quantity", 28),
        ("    kind: order_info ", "    kind: order_info\n    kind: other ", "evidence[0].kind", 64),
    ],
)
def test_duplicate_keys_are_errors_with_both_lines(
    example_case: Path, old: str, new: str, path: str, line: int
) -> None:
    text = example_case.read_text("utf-8")
    assert old in text
    example_case.write_text(text.replace(old, new, 1), "utf-8")
    result = load_case(example_case)
    dup = [f for f in result.findings if f.code == "yaml.duplicate_key"]
    assert [(f.path, f.line, f.severity) for f in dup] == [(path, line, "error")]
    assert f"第 {line - 1} 行" in dup[0].message or f"第 {line} 行" in dup[0].message
    assert "yaml.duplicate_key" in {f.code for f in check_case(result, now=NOW)}
    r = cli("add", str(example_case))
    assert r.exit_code == 1 and path in r.output


def test_merge_keys_are_not_duplicates() -> None:
    text = (ROOT / "examples" / "case.yaml").read_text("utf-8")
    text = text.replace("complainant:                      # 投诉人\n", "complainant: &who\n", 1)
    text += "x_copy:\n  <<: *who\n  name: 李四\n"
    result = load_case_text(text, base_dir=ROOT / "examples")
    assert not [f for f in result.findings if f.code == "yaml.duplicate_key"]


def test_duplicate_keys_in_json_and_through_the_importer(tmp_path: Path) -> None:
    from kameng_filer.store.importer import prepare

    raw = json.dumps(EXAMPLE_RAW, ensure_ascii=False)
    text = raw.replace('"title": ', '"title": "第一个", "title": ', 1)
    result = load_case_text(text, base_dir=ROOT / "examples", is_json=True)
    assert [f.path for f in result.findings if f.code == "yaml.duplicate_key"] == ["title"]
    case_file = tmp_path / "case.yaml"
    shutil.copytree(ROOT / "examples" / "evidence", tmp_path / "evidence")
    case_file.write_text(
        (ROOT / "examples" / "case.yaml")
        .read_text("utf-8")
        .replace("  quantity: 1\n", "  quantity: 1\n  quantity: 2\n"),
        "utf-8",
    )
    with pytest.raises(CaseInvalid) as info:
        prepare(case_file)
    assert [f.code for f in info.value.issues] == ["yaml.duplicate_key"]


# ------------------------------------------------------------ numbers and pydantic messages


def _with(path: str, value: Any) -> dict:
    raw = json.loads(json.dumps(EXAMPLE_RAW))
    cur = raw
    keys = [int(k) if k.isdigit() else k for k in re.split(r"[.\[\]]+", path) if k]
    for k in keys[:-1]:
        cur = cur[k]
    cur[keys[-1]] = value
    return raw


@pytest.mark.parametrize(
    ("path", "value", "code"),
    [
        ("order.quantity", str(10**26), "schema.range"),
        ("order.quantity", 10**26, "schema.range"),
        ("demands[0].quantity", "2000000", "schema.range"),
        ("order.amount", "1000000000", "schema.amount"),
        ("order.amount", "1e30", "schema.amount"),
        ("demands[0].amount", "-5", "schema.amount"),
    ],
)
def test_numeric_bounds(path: str, value: Any, code: str) -> None:
    result = validate(_with(path, value), source=None, base_dir=ROOT / "examples", lines=None)
    assert result.case is None
    assert code in codes_at(result.findings, path), result.findings


BAD_VALUES: list[tuple[str, Any]] = [
    ("order.ordered_at", "9999-12-31T23:59:59-12:00"),  # out of range once in Beijing time
    ("order.ordered_at", "0001-01-01T00:00:00+14:00"),
    ("order.paid_at", "2026-02-30T10:00:00"),
    ("order.paid_at", "昨天"),
    ("order.paid_at", ["2026-11-02"]),
    ("order.quantity", "三个"),
    ("order.quantity", "1.5"),
    ("order.quantity", "0"),
    ("order.quantity", str(10**400)),
    ("order.quantity", "yes"),
    ("order.amount", "一百"),
    ("order.amount", "NaN"),
    ("order.amount", "Infinity"),
    ("order.amount", True),
    ("order.amount", {"a": 1}),
    ("problem.type", "服务差"),
    ("order.payment.method", "cash"),
    ("evidence[0].kind", 5),
    ("contacts[0].with", "boss"),
    ("platform_policy", {"complaint_window": "七天"}),
    ("platform_policy", {"complaint_window": "P99999999999D"}),
    ("title", ""),
    ("title", ["a", "b"]),
    ("title", {"a": 1}),
    ("id", "../x"),
    ("id", "a" * 100),
    ("complainant", "张三"),
    ("timeline", "昨天"),
    ("timeline", [{"at": "2026-11-02T10:00:00"}]),
    ("order", None),
    ("auto_escalate", "maybe"),
    ("policies", ["x"]),
    ("allow_outside", "x"),
    ("allow_outside", [{"a": 1}]),
    ("demands[0].type", None),
    ("demands[0].quantity", "-1"),
    ("rules", [{"source": ""}]),
]
_ENGLISH = re.compile(
    r"\b(?:Input|should|valid|Value error|Field required|must|out of range|expected|number)\b"
)


@pytest.mark.parametrize(("path", "value"), BAD_VALUES)
def test_no_english_pydantic_message_reaches_the_person(path: str, value: Any) -> None:
    raw = _with(path, value)
    try:
        Case.model_validate(raw)
        english: list[str] = []
    except ValidationError as exc:
        english = [e["msg"] for e in exc.errors()]
    result = validate(raw, source=None, base_dir=ROOT / "examples", lines=None)
    assert result.case is None and result.findings
    for f in result.findings:
        shown = re.sub(r"'[^']*'", "", f.message)  # the value as written may be English
        assert not _ENGLISH.search(shown), f.message
        assert not _ENGLISH.search(f.hint), f.hint
        assert all(m not in f.message for m in english if len(m) > 12), f.message
        assert re.search(r"[\u4e00-\u9fff]", f.message)
        assert len(f.message) < 400


def test_cli_check_json_is_chinese_for_a_date_out_of_range(example_case: Path) -> None:
    text = example_case.read_text("utf-8").replace(
        "ordered_at: 2026-11-02T15:00:12", "ordered_at: 9999-12-31T23:59:59-12:00"
    )
    example_case.write_text(text, "utf-8")
    r = cli("check", str(example_case), "--json", "--now", "2026-11-03T10:00:00")
    data = json.loads(r.stdout)
    [f] = [f for f in data["findings"] if f["path"] == "order.ordered_at"]
    assert "date out of range" not in f["message"] and "日期" in f["message"]


# ------------------------------------------------------------ control characters


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("a\x1b[31mred\x1b[0m", "ared"),
        ("x\x1b]0;title\x07y", "xy"),
        ("ab\u202ecd\u2066e\u200f\u061c", "abcde"),
        ("ok\n\tz", "ok\n\tz"),
        ("e\x1bcq\x9b2Jd\x00\x7f\r", "eqd"),
        ("星辰卡盟", "星辰卡盟"),
    ],
)
def test_clean_for_terminal(raw: str, clean: str) -> None:
    from kameng_filer.textsafe import clean_for_terminal

    assert clean_for_terminal(raw) == clean


def test_check_reports_control_and_bidi_characters(example_case: Path) -> None:
    text = example_case.read_text("utf-8")
    text = text.replace("title: 王者荣耀点券充值未到账", 'title: "王者\\e[2J荣耀\\u202e点券"')
    text = text.replace("    name: 小王点卡", '    name: "小王\\u2066点卡"')
    example_case.write_text(text, "utf-8")
    findings = check_case(load_case(example_case), now=NOW)
    by_path = {f.path: f for f in findings if f.code == "text.control_chars"}
    assert set(by_path) == {"title", "respondent.merchant.name"}
    assert "U+001B" in by_path["title"].message and "U+202E" in by_path["title"].message
    assert by_path["title"].severity == "error" and by_path["title"].line == 5


def test_cases_and_status_never_print_escapes_from_a_title(example_case: Path) -> None:
    text = example_case.read_text("utf-8").replace(
        "title: 王者荣耀点券充值未到账", 'title: "\\e]0;pwned\\a王者\\e[31m荣耀\\e[0m\\u202e点券"'
    )
    example_case.write_text(text, "utf-8")
    assert cli("add", str(example_case)).exit_code == 0
    for args in (["cases"], ["plan", "km-2026-0001"], ["evidence", "km-2026-0001"]):
        r = cli(*args)
        assert r.exit_code == 0, r.output
        assert "\x1b" not in r.output and "\u202e" not in r.output and "\x07" not in r.output, args
    assert "王者荣耀点券" in cli("cases").output


# ------------------------------------------------------------ lengths against the channels' limits


def test_a_huge_summary_is_an_error_at_the_field(example_case: Path) -> None:
    data = yaml.safe_load(example_case.read_text("utf-8"))
    data["problem"]["summary"] = "点券未到账" * 40_000
    example_case.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    findings = check_case(load_case(example_case), now=NOW)
    [f] = [f for f in findings if f.path == "problem.summary"]
    assert f.code == "text.too_long" and f.severity == "error" and "20000" in f.message


def test_a_long_summary_warns_for_the_channels_it_cannot_fit() -> None:
    result = validate(
        _with("problem.summary", "点券未到账" * 80), source=None, base_dir=ROOT / "examples", lines=None
    )
    [f] = [f for f in check_case(result, now=NOW) if f.path == "problem.summary"]
    assert f.code == "text.long_for_channel" and f.severity == "warning"
    assert "支付宝交易投诉（alipay，上限 200 字）" in f.message and "email" not in f.message
    assert "只保留前面几句" in f.message and "无法" not in f.message  # rendering shortens, it does not fail
    assert "wechat_pay" not in f.message  # an Alipay-paid order is never rendered for WeChat Pay
    from kameng_filer.render import render

    out = render(result.case, "alipay")  # rendering shortens the summary instead of failing
    assert len(out.fields["content"]) <= 200 and out.dropped["content"][-1] == "summary"


def test_a_long_product_name_warns_with_the_form_field_limit() -> None:
    result = validate(
        _with("order.product", "王者荣耀点券" * 10), source=None, base_dir=ROOT / "examples", lines=None
    )
    [f] = [f for f in check_case(result, now=NOW) if f.path == "order.product"]
    assert f.code == "text.long_for_channel" and "12315" in f.message and "50" in f.message


def test_a_long_platform_name_is_tried_on_every_channel() -> None:
    from kameng_filer.render import render

    result = validate(
        _with("respondent.platform", "星辰" * 100), source=None, base_dir=ROOT / "examples", lines=None
    )
    found = [f for f in check_case(result, now=NOW) if f.path == "respondent.platform"]
    assert any(
        "黑猫投诉（heimao）无法生成投诉文本" in f.message and "50" in f.message and f.severity == "error"
        for f in found
    ), found
    with pytest.raises(RenderError):
        render(result.case, "heimao")


def test_the_example_has_no_length_findings() -> None:
    result = validate(EXAMPLE_RAW, source=None, base_dir=ROOT / "examples", lines=None)
    assert not [f for f in check_case(result, now=NOW) if f.code.startswith("text.")]


# ------------------------------------------------------------ template sandbox


@pytest.mark.parametrize(
    "expr",
    [
        "cycler.__init__.__globals__.os.popen('touch {marker}').read()",
        "lipsum.__globals__['os'].popen('touch {marker}').read()",
        "''.__class__.__mro__[1].__subclasses__()",
        "f.__class__.__init__.__globals__",
        "'a' * 10**9",
        "9 ** 99999999",
    ],
)
def test_user_template_cannot_run_code(expr: str, tmp_path: Path, kameng_home: Path) -> None:
    from kameng_filer import paths
    from kameng_filer.render import render

    marker = tmp_path / "pwned"
    folder = paths.user_templates_dir() / "card_platform"
    folder.mkdir(parents=True)
    template = folder / "complaint.j2"
    template.write_text(
        "{% block title %}订单{{ f.order_no }}{{ " + expr.format(marker=marker) + " }}{% endblock %}"
        "{% block content %}订单{{ f.order_no }}正文内容足够长的一段文字。{% endblock %}",
        encoding="utf-8",
    )
    case = load_case(ROOT / "examples").case
    with pytest.raises(RenderError) as info:
        render(case, "card_platform")
    assert "沙箱" in info.value.message and str(template) in info.value.message
    assert not marker.exists()


# ------------------------------------------------------------ huge images

_PEAK = r"""
import json, resource, sys, time
from pathlib import Path
from kameng_filer.case.loader import load_case
from kameng_filer.letter import write_letter_pdf
case = load_case(Path(sys.argv[1])).case
t = time.perf_counter()
write_letter_pdf(case, Path(sys.argv[2]))
print(json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "seconds": time.perf_counter() - t}))
"""


def test_letter_on_an_88_megapixel_png_has_bounded_memory(example_case: Path, tmp_path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (11000, 8000), (200, 220, 240)).save(example_case.parent / "evidence" / "order.png")
    out = tmp_path / "letter.pdf"
    proc = subprocess.run(
        [sys.executable, "-c", _PEAK, str(example_case), str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ},
    )
    assert proc.returncode == 0, proc.stderr
    peak = json.loads(proc.stdout.strip().splitlines()[-1])["peak_mb"]
    assert peak < 800, peak  # before: 1.3 GB (the image decoded, converted and embedded at full size)
    assert out.stat().st_size < 20 * 1024 * 1024


def test_decompression_bomb_is_a_clear_message(tmp_path: Path) -> None:
    from PIL import Image

    from kameng_filer.filing.imaging import ImageTooLarge, open_bounded

    bomb = tmp_path / "bomb.png"
    Image.new("1", (12000, 12000)).save(bomb)  # 144 megapixels, a few kilobytes
    with pytest.raises(ImageTooLarge) as info:
        open_bounded(bomb, 1000)
    assert "12000×12000" in info.value.message and info.value.hint


def test_open_bounded_shrinks_jpeg_and_png_and_keeps_orientation(tmp_path: Path) -> None:
    from PIL import Image

    from kameng_filer.filing.imaging import open_bounded

    for name in ("a.jpg", "a.png"):
        img = Image.new("RGB", (4000, 1000), (10, 20, 30))
        exif = Image.Exif()
        exif[0x0112] = 6  # rotated: shown upright as 1000 x 4000
        img.save(tmp_path / name, exif=exif)
        small = open_bounded(tmp_path / name, 800)
        assert small.size == (200, 800), (name, small.size)
        assert not small.info


def test_upload_of_a_huge_image_is_downscaled(tmp_path: Path) -> None:
    from PIL import Image

    from kameng_filer.channels import FieldSpec
    from kameng_filer.filing.evidence import MAX_UPLOAD_SIDE, convert_image

    buf = tmp_path / "big.png"
    Image.new("RGB", (9000, 3000), (1, 2, 3)).save(buf)
    out, mime = convert_image(buf.read_bytes(), FieldSpec("images", "图片", "file", accept=("image/png",)))
    import io

    with Image.open(io.BytesIO(out)) as img:
        assert max(img.size) == MAX_UPLOAD_SIDE and mime == "image/png"


def test_amount_bound_is_documented() -> None:
    from kameng_filer.case.model import MAX_AMOUNT, MAX_QUANTITY

    doc = (ROOT / "docs" / "case-format.md").read_text("utf-8")
    assert Decimal("100000000") == MAX_AMOUNT and "1 亿元" in doc
    assert f"{MAX_QUANTITY}" in doc and "allow_outside" in doc


def test_line_index_finds_duplicates_lazily() -> None:
    index = LineIndex("a: 1\nb:\n  c: 1\n  c: 2\n")
    assert [(d.path, d.line, d.first_line) for d in index.duplicates()] == [("b.c", 4, 3)]


def test_check_reports_a_decompression_bomb_as_evidence(example_case: Path) -> None:
    from PIL import Image

    Image.new("1", (12000, 12000)).save(example_case.parent / "evidence" / "order.png")  # 144 MP, tiny file
    findings = check_case(load_case(example_case), now=NOW)
    [f] = [f for f in findings if f.path == "evidence[0].file"]
    assert f.code == "evidence.file_type" and "12000×12000" in f.message


def test_kameng_plan_lists_each_evidence_real_path(example_case: Path) -> None:
    (example_case.parent / "evidence" / "订单截图.png").symlink_to(
        example_case.parent / "evidence" / "order.png"
    )
    set_evidence(example_case, "evidence/订单截图.png")
    r = cli("plan", str(example_case), "--now", "2026-11-03T10:00:00")
    assert r.exit_code == 0, r.output
    assert f"order:{(example_case.parent / 'evidence' / 'order.png').resolve()}" in r.output.replace("\n", "")
