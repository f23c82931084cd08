"""``kameng export``: a real store with the example case filed on the twins (卡盟 API + e-mail) → zip bundle."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import typer
import yaml
from PIL import Image
from typer.testing import CliRunner

from kameng_filer.cli import export_cmds
from kameng_filer.store import Store
from kameng_filer.timeutil import parse_iso
from tests.filing_support import configure, file_now, scripted, twins_running

CASE_ID = "km-2026-0001"
CHANNELS = ["card_platform@api", "email"]
PERSONAL = ("13800138000", "zhangsan@example.com", "望京街道", "3号楼502")
# ``kameng export`` in a real process: the command module on a Typer app of its own (independent of
# how ``kameng_filer.cli`` loads its command modules)
STANDALONE = (
    "import sys, typer; from kameng_filer.cli import export_cmds; app = typer.Typer(add_completion=False, "
    "pretty_exceptions_enable=False); export_cmds.register(app); app.command('_noop', hidden=True)(lambda: None); "
    "app(prog_name='kameng')"
)


def _app() -> typer.Typer:
    app = typer.Typer()
    export_cmds.register(app)
    app.command("_noop", hidden=True)(lambda: None)  # keep ``export`` a sub-command, as in ``kameng``
    return app


def run(*args: str):
    return CliRunner().invoke(_app(), ["export", *args])


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        return {n: zf.read(n) for n in zf.namelist()}


@pytest.fixture
def filed(tmp_path: Path, example_case: Path) -> dict[str, str]:
    """The example imported and filed for real on the card_a twin (HTTP mode) and the SMTP twin."""
    with twins_running(tmp_path, ["card_a", "email"]) as ts:
        configure(ts, CHANNELS)
        outcomes = file_now(example_case, CHANNELS, scripted(ts, CHANNELS))
    assert [o.state for o in outcomes] == ["submitted", "submitted"], outcomes
    with Store.open() as store:
        f = store.get_filing(CASE_ID, "card_platform@api")
        store.add_event(
            CASE_ID,
            "status",
            {"channel": f.channel, "raw": "待客服回复", "state": "open", "by": "tracker"},
            filing_id=f.id,
            at=parse_iso("2026-11-04T09:00:00"),
        )
        store.add_event(
            CASE_ID,
            "follow_up",
            {"channel": f.channel, "number": 1, "status": "sent"},
            filing_id=f.id,
            at=parse_iso("2026-11-10T10:00:00"),
        )
    return {o.channel: o.receipt["complaint_no"] for o in outcomes}


def test_full_export_has_record_evidence_receipts_timeline_and_summary(
    filed: dict[str, str], example_case: Path, tmp_path: Path
) -> None:
    out = tmp_path / "bundle.zip"
    res = run(CASE_ID, "-o", str(out))
    assert res.exit_code == 0, res.output
    assert "已导出" in res.output and str(out) in res.output
    files = members(out)

    # the case record exactly as imported
    assert files["case/case.yaml"] == example_case.read_bytes()
    # evidence byte-identical, with the 证据清单 listing every SHA-256
    case = yaml.safe_load(example_case.read_text(encoding="utf-8"))
    index = files["evidence/证据清单.md"].decode()
    meta = json.loads(files["evidence/evidence.json"])
    for pos, ev in enumerate(case["evidence"], 1):
        original = (example_case.parent / ev["file"]).read_bytes()
        name = f"evidence/{pos:02d}-{Path(ev['file']).name}"
        assert files[name] == original
        digest = hashlib.sha256(original).hexdigest()
        assert digest in index
        assert meta["evidence"][pos - 1]["file"] == name and "path" not in meta["evidence"][pos - 1]

    # one receipt per filing, with the complaint number, time and the values sent
    receipts = {
        json.loads(d)["channel"]: json.loads(d) for n, d in files.items() if n.endswith("/receipt.json")
    }
    assert set(receipts) == set(CHANNELS)
    for ch, number in filed.items():
        r = receipts[ch]
        assert r["complaint_no"] == number and r["state"] == "submitted" and r["submitted_at"]
        assert r["submitted_values"]
    mail = receipts["email"]
    assert mail["receipt"]["html"].endswith("complaint.eml") and mail["receipt"]["html"] in files
    assert b"Subject:" in files[mail["receipt"]["html"]]
    assert not any(
        str(tmp_path) in d.decode("utf-8", "replace") for n, d in files.items() if n.endswith(".json")
    )

    # timeline: events, status history, follow-ups; readable summary in Chinese
    tl = json.loads(files["timeline.json"])
    assert [e["kind"] for e in tl["status_history"]].count("status") == 1
    assert tl["follow_ups"][0]["label"] == "催办"
    assert {f["complaint_no"] for f in tl["filings"]} == set(filed.values())
    summary = files["案件摘要.md"].decode()
    assert summary.startswith("# 案件材料汇总：王者荣耀点券充值未到账")
    assert "完整版" in summary and "13800138000" in summary and "KM20261102150012" in summary
    for number in filed.values():
        assert number in summary
    assert "【催办】" in summary and "待客服回复" in summary

    # every member's fingerprint is listed and right
    sums = dict(
        reversed(line.split("  ", 1)) for line in files["SHA256SUMS.txt"].decode().splitlines() if line
    )
    assert set(sums) == set(files) - {"SHA256SUMS.txt"}
    for name, digest in sums.items():
        assert hashlib.sha256(files[name]).hexdigest() == digest


def test_public_export_masks_personal_data(filed: dict[str, str], example_case: Path, tmp_path: Path) -> None:
    out = tmp_path / "public.zip"
    res = run(CASE_ID, "-o", str(out), "--public")
    assert res.exit_code == 0, res.output
    files = members(out)
    for name, data in files.items():
        text = data.decode("utf-8", "replace")
        for value in PERSONAL:
            assert value not in text, f"{value} in {name}"
        if name.lower().endswith((".png", ".jpg", ".jpeg")):
            assert name.startswith("evidence/"), "screenshots are left out of the public bundle"
            with Image.open(io.BytesIO(data)) as im:
                assert not im.getexif()
    summary = files["案件摘要.md"].decode()
    assert "公开版" in summary and "138****8000" in summary and "z***@example.com" in summary
    assert "KM20261102150012" in summary, "identifiers stay readable"
    for number in filed.values():
        assert number in summary
    index = files["evidence/证据清单.md"].decode()
    order = (example_case.parent / "evidence" / "order.png").read_bytes()
    assert hashlib.sha256(order).hexdigest() in index, "SHA-256 of the originals is not masked"
    assert any(n.endswith("complaint.eml.txt") for n in files) and not any(n.endswith(".eml") for n in files)
    assert "138****8000" in files["case/case.yaml"].decode()
    with Store.open() as store:
        content_sha = store.case_versions(CASE_ID)[0].content_sha256
    assert content_sha in files["timeline.json"].decode()


def test_version_option_exports_that_version(
    filed: dict[str, str], example_case: Path, tmp_path: Path
) -> None:
    first = example_case.read_text(encoding="utf-8")
    example_case.write_text(first.replace("王者荣耀点券充值未到账", "点券充值未到账(补充)"), encoding="utf-8")
    with Store.open() as store:
        assert store.import_case(example_case).version == 2
    run(CASE_ID, "-o", str(tmp_path / "v1.zip"), "--version", "1")
    run(CASE_ID, "-o", str(tmp_path / "v2.zip"))
    assert members(tmp_path / "v1.zip")["case/case.yaml"].decode() == first
    v2 = members(tmp_path / "v2.zip")
    assert "补充" in v2["case/case.yaml"].decode() and "第 2 版，共 2 版" in v2["案件摘要.md"].decode()
    bad = run(CASE_ID, "-o", str(tmp_path / "v9.zip"), "--version", "9")
    assert bad.exit_code == 1 and "没有第 9 版" in bad.output and not (tmp_path / "v9.zip").exists()


def test_existing_output_is_refused_unless_force(example_case: Path, tmp_path: Path) -> None:
    with Store.open() as store:
        store.import_case(example_case)
    out = tmp_path / "x.zip"
    out.write_bytes(b"keep me")
    res = run(CASE_ID, "-o", str(out))
    assert res.exit_code == 1 and "输出文件已存在" in res.output and "--force" in res.output
    assert out.read_bytes() == b"keep me"
    res = run(CASE_ID, "-o", str(out), "--force")
    assert res.exit_code == 0, res.output
    assert "案件摘要.md" in members(out)
    # no case has no filings: the summary says so
    assert "还没有投诉记录" in members(out)["案件摘要.md"].decode()


def test_default_output_name_in_current_folder(example_case: Path, tmp_path: Path, monkeypatch) -> None:
    with Store.open() as store:
        store.import_case(example_case)
    monkeypatch.chdir(tmp_path)
    res = run(CASE_ID, "--public", "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert Path(data["path"]) == tmp_path / f"{CASE_ID}-材料包-公开版.zip" and data["public"] is True
    assert (tmp_path / f"{CASE_ID}-材料包-公开版.zip").is_file()


@pytest.mark.parametrize("with_store", [False, True])
def test_unknown_case_is_a_clear_chinese_error(
    with_store: bool, example_case: Path, kameng_home: Path, tmp_path: Path
) -> None:
    if with_store:
        with Store.open() as store:
            store.import_case(example_case)
    res = subprocess.run(
        [sys.executable, "-c", STANDALONE, "export", "km-nope", "-o", str(tmp_path / "n.zip")],
        capture_output=True,
        text=True,
        env=dict(os.environ, COLUMNS="200", NO_COLOR="1"),
        timeout=120,
    )
    assert res.returncode != 0
    assert "Traceback" not in res.stdout + res.stderr
    assert "本地存储中没有案件 km-nope" in res.stderr
    assert not (tmp_path / "n.zip").exists()
    assert with_store or not (kameng_home / "kameng.sqlite3").exists(), "export must not create a store"
