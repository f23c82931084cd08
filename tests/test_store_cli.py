"""``kameng add`` / ``kameng cases`` / ``kameng evidence`` run as real subprocesses on a real store."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from kameng_filer import paths

KAMENG = str(Path(sys.executable).parent / "kameng")
CASE_ID = "km-2026-0001"


def kameng(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COLUMNS="200", NO_COLOR="1")
    return subprocess.run([KAMENG, *args], capture_output=True, text=True, env=env, timeout=120)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def no_traceback(res: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in res.stdout + res.stderr


def test_add_prints_id_version_and_evidence_table(example_case: Path):
    res = kameng("add", str(example_case))
    assert res.returncode == 0, res.stderr
    assert CASE_ID in res.stdout and "第 1 版" in res.stdout and "新案件" in res.stdout
    for name in ("order.png", "payment.png", "chat.png", "balance.png"):
        f = example_case.parent / "evidence" / name
        assert name in res.stdout
        assert sha(f)[:12] in res.stdout
    assert "PNG 图片" in res.stdout and "KB" in res.stdout

    again = kameng("add", str(example_case))
    assert again.returncode == 0
    assert "未新建版本" in again.stdout and "第 1 版" in again.stdout


def test_add_json(example_case: Path):
    res = kameng("add", str(example_case), "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert (data["case_id"], data["version"], data["created"]) == (CASE_ID, 1, True)
    assert [e["id"] for e in data["evidence"]] == ["order", "payment", "chat", "balance"]
    assert data["evidence"][0]["sha256"] == sha(example_case.parent / "evidence" / "order.png")
    assert data["warnings"] == []


def test_add_warns_when_content_and_extension_differ(example_case: Path):
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, format="JPEG")
    (example_case.parent / "evidence" / "chat.png").write_bytes(buf.getvalue())
    res = kameng("add", str(example_case))
    assert res.returncode == 0, res.stderr
    assert "警告" in res.stderr and "evidence[2].file" in res.stderr
    assert "扩展名" in res.stderr and "JPEG 图片" in res.stderr
    assert "JPEG 图片" in res.stdout


def test_add_refuses_missing_evidence_in_chinese_and_stores_nothing(example_case: Path):
    (example_case.parent / "evidence" / "chat.png").unlink()
    res = kameng("add", str(example_case))
    assert res.returncode == 1
    no_traceback(res)
    assert "证据文件不存在" in res.stderr and "evidence[2].file" in res.stderr and "未导入" in res.stderr
    listed = kameng("cases", "--json")
    assert json.loads(listed.stdout) == {"cases": []}


def test_add_unreadable_file_exits_2(tmp_path: Path):
    bad = tmp_path / "case.yaml"
    bad.write_text("id: [unclosed\n", encoding="utf-8")
    res = kameng("add", str(bad))
    assert res.returncode == 2
    no_traceback(res)
    assert "YAML" in res.stderr


def test_cases_lists_versions_and_filings(example_case: Path):
    assert kameng("add", str(example_case)).returncode == 0
    text = example_case.read_text(encoding="utf-8").replace("秒到账", "立即到账")
    example_case.write_text(text, encoding="utf-8")
    assert kameng("add", str(example_case)).returncode == 0

    from kameng_filer.store import Store

    with Store.open() as store:
        store.create_filing(CASE_ID, "email")

    res = kameng("cases", "--json")
    assert res.returncode == 0, res.stderr
    [case] = json.loads(res.stdout)["cases"]
    assert set(case) == {"id", "title", "versions", "updated_at", "filings"}
    assert (case["id"], case["title"], case["versions"], case["filings"]) == (
        CASE_ID,
        "王者荣耀点券充值未到账",
        2,
        1,
    )
    assert case["updated_at"].endswith("+08:00")

    human = kameng("cases")
    assert human.returncode == 0
    assert CASE_ID in human.stdout and "王者荣耀点券充值未到账" in human.stdout


def test_cases_when_empty():
    res = kameng("cases")
    assert res.returncode == 0
    assert "还没有导入任何案件" in res.stdout


def test_evidence_index_markdown_and_json(example_case: Path):
    assert kameng("add", str(example_case)).returncode == 0
    md = kameng("evidence", CASE_ID)
    assert md.returncode == 0, md.stderr
    assert md.stdout.startswith("# 证据清单")
    assert "KM20261102150012" in md.stdout
    for name in ("order.png", "payment.png", "chat.png", "balance.png"):
        assert sha(example_case.parent / "evidence" / name) in md.stdout
    assert "与商家的站内消息记录" in md.stdout and "沟通记录" in md.stdout

    js = kameng("evidence", CASE_ID, "--format", "json")
    assert js.returncode == 0, js.stderr
    data = json.loads(js.stdout)
    assert (data["case_id"], data["version"]) == (CASE_ID, 1)
    for row in data["evidence"]:
        original = example_case.parent / "evidence" / row["original_name"]
        assert row["size"] == original.stat().st_size
        assert row["sha256"] == sha(original)
        assert Path(row["path"]).read_bytes() == original.read_bytes()


def test_evidence_of_an_earlier_version(example_case: Path):
    assert kameng("add", str(example_case)).returncode == 0
    chat = example_case.parent / "evidence" / "chat.png"
    old_sha = sha(chat)
    buf = io.BytesIO()
    Image.new("RGB", (9, 9), (9, 9, 9)).save(buf, format="PNG")
    chat.write_bytes(buf.getvalue())
    assert kameng("add", str(example_case)).returncode == 0
    v1 = json.loads(kameng("evidence", CASE_ID, "--version", "1", "--format", "json").stdout)
    v2 = json.loads(kameng("evidence", CASE_ID, "--format", "json").stdout)
    assert (v1["version"], v2["version"]) == (1, 2)
    assert v1["evidence"][2]["sha256"] == old_sha
    assert v2["evidence"][2]["sha256"] == sha(chat)


@pytest.mark.parametrize("args", [("evidence", "nope"), ("evidence", CASE_ID, "--version", "5")])
def test_evidence_unknown_case_or_version(example_case: Path, args: tuple[str, ...]):
    assert kameng("add", str(example_case)).returncode == 0
    res = kameng(*args)
    assert res.returncode == 1
    no_traceback(res)
    assert "没有" in res.stderr


def test_corrupt_database_gives_chinese_error():
    paths.db_path().write_bytes(b"\x00garbage" * 1000)
    res = kameng("cases")
    assert res.returncode == 1
    no_traceback(res)
    assert "数据库文件已损坏" in res.stderr
