"""The leak scanner finds every kind of planted leak, stays quiet on clean data, fails a session, and a real
end-to-end flow with canary secrets (notify, env login secrets, filing, export) leaves none anywhere."""

from __future__ import annotations

import base64
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kameng_filer.config import load_config, save_config
from kameng_filer.demo import DemoAnswerer
from kameng_filer.export import export_case
from kameng_filer.filing.person import ScriptedPerson
from kameng_filer.secrets import env_name
from kameng_filer.store import Store
from kameng_filer.tracker.testing import NotificationReceiver
from tests import canaries
from tests.filing_support import by_channel, file_now, twins_running
from tests.leakscan import PLANTED_MARKER, base64_fragments, format_report, scan_tree

ROOT = Path(__file__).resolve().parent.parent
SECRET = canaries.SMTP_PASSWORD
SECRETS = {"SMTP_PASSWORD": SECRET, "ODD": "p@ss w/rd+kmCanary"}
PERSONAL = {"phone": "13800138000", "email": "zhangsan@example.com", "card_key": "ABCD-EFGH-JKLM-NPQR"}


def kinds(report) -> set[tuple[str, str, str]]:
    """(file name or member, kind, what) of every finding."""
    return {(Path(leak.path.split("!")[0].split(":")[0]).name, leak.kind, leak.what) for leak in report.leaks}


def heimao_state(folder: Path, **parts: list) -> Path:
    path = folder / "heimao" / "state.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {"channel": "heimao", "submissions": [], "rejections": [], "logins": [], "messages": []}
    state.update(parts)
    path.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    return path


def planted(folder: Path) -> Path:
    """Mark ``folder`` as the scanner's own test data, which the end-of-session scan skips."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / PLANTED_MARKER).write_text(
        "leaks planted on purpose by tests/test_leakscan.py\n", encoding="utf-8"
    )
    return folder


def clean_tree(root: Path) -> Path:
    """A data folder as the program leaves it: case files, a database with masked/redacted values, a zip."""
    planted(root)
    shutil.copytree(ROOT / "examples", root / "case")
    db = root / "home" / "kameng.sqlite3"
    db.parent.mkdir(parents=True)
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE filings (id INTEGER, plan_json TEXT, receipt BLOB)")
    con.execute(
        "INSERT INTO filings VALUES (1, ?, ?)",
        ('{"smtp_password": "***", "to": "z***@example.com"}', b"\x00\x01"),
    )
    con.commit()
    con.close()
    (root / "home" / "logs").mkdir()
    (root / "home" / "logs" / "kameng.log").write_text(
        "2026-11-03 登录成功 用户 demo 密码 ***\n", encoding="utf-8"
    )
    with zipfile.ZipFile(root / "export.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("案件摘要.md", "投诉人:张三,电话 138****8000")
    heimao_state(
        root / "twins",
        submissions=[{"number": "1", "fields": {"description": "电话 138****8000,卡密 ABCD****NPQR"}}],
        logins=[
            {"username": "13800138000", "ok": False}
        ],  # a login goes to the platform, not the public page
    )
    card = root / "twins" / "card_a" / "state.json"
    card.parent.mkdir(parents=True)
    card.write_text(
        json.dumps({"channel": "card_a", "submissions": [{"fields": {"contact": "13800138000"}}]})
    )
    return root


def test_clean_tree_has_no_findings(tmp_path: Path) -> None:
    report = scan_tree(clean_tree(tmp_path), SECRETS, PERSONAL)
    assert report.leaks == [], format_report(report)
    assert (
        report.files >= 8 and report.databases == 1 and report.zip_members == 1 and report.public_states == 1
    )


def test_each_planted_leak_is_found(tmp_path: Path) -> None:
    root = clean_tree(tmp_path)
    # a secret in a database text column (raw file bytes are searched too; the column scan names the table)
    con = sqlite3.connect(root / "home" / "kameng.sqlite3")
    con.execute("CREATE TABLE events (data_json TEXT)")
    con.execute("INSERT INTO events VALUES (?)", (json.dumps({"login": {"pw": SECRET}}),))
    con.commit()
    con.close()
    # in a deflated zip member (not visible in the zip's raw bytes), also inside a zip inside the zip
    inner = tmp_path / "inner.zip"
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("artifacts/page.html", f"<input value='{SECRET}'>" * 3)
    with zipfile.ZipFile(root / "bundle.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("filings/001/receipt.json", json.dumps({"password": SECRET}) * 5)
        zf.write(inner, "nested/inner.zip")
    inner.unlink()
    assert SECRET.encode() not in (root / "bundle.zip").read_bytes()
    # base64 inside a log line (an Authorization header), at an alignment other than 0
    basic = base64.b64encode(f"kameng:{SECRET}".encode()).decode()
    (root / "home" / "logs" / "smtp.log").write_text(f"AUTH PLAIN {basic}\n", encoding="utf-8")
    # URL-encoded in a saved page
    (root / "home" / "page.html").write_text(
        "<a href='https://x/?pw=p%40ss%20w%2Frd%2BkmCanary'>", encoding="utf-8"
    )
    # an unmasked phone and card key on the public twin
    heimao_state(
        root / "twins",
        submissions=[{"number": "1", "fields": {"description": "联系我 138 0013 8000"}}],
        messages=[{"number": "1", "by": "user", "text": "卡密 ABCD-EFGH-JKLM-NPQR 无效"}],
    )
    report = scan_tree(root, SECRETS, PERSONAL)
    found = kinds(report)
    assert ("kameng.sqlite3", "secret", "SMTP_PASSWORD") in found
    assert any(leak.path.endswith("kameng.sqlite3:events") for leak in report.leaks)
    assert ("bundle.zip", "secret", "SMTP_PASSWORD") in found
    members = {leak.path.split("!", 1)[1] for leak in report.leaks if "!" in leak.path}
    assert members == {"filings/001/receipt.json", "nested/inner.zip!artifacts/page.html"}
    assert ("smtp.log", "secret (base64)", "SMTP_PASSWORD") in found
    assert ("page.html", "secret (URL-encoded)", "ODD") in found
    assert ("state.json", "personal data on public channel (submissions)", "phone") in found
    assert ("state.json", "personal data on public channel (messages)", "card_key") in found
    assert len(report.leaks) == 8, format_report(report)
    text = format_report(report)
    assert "smtp.log: secret (base64) [SMTP_PASSWORD]" in text and "8 finding(s)" in text
    db_leak = next(leak for leak in report.leaks if leak.path.endswith(":events"))
    assert SECRET in db_leak.context and len(db_leak.context) <= len(SECRET) + 40


def test_session_scan_skips_only_planted_folders(tmp_path: Path) -> None:
    planted(tmp_path / "mine")
    (tmp_path / "mine" / "x.log").write_text(SECRET, encoding="utf-8")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "y.log").write_text(SECRET, encoding="utf-8")
    session = scan_tree(tmp_path, SECRETS, {}, skip_planted=True)
    assert [Path(leak.path).name for leak in session.leaks] == ["y.log"] and session.planted == 1
    (tmp_path / "other" / "y.log").unlink()
    assert len(scan_tree(tmp_path, SECRETS, {}).leaks) == 1


def test_base64_fragments_match_every_alignment() -> None:
    secret = SECRET.encode()
    frags = base64_fragments(secret)
    for prefix in (b"", b"a", b"ab", b"abc", b"user:"):
        for suffix in (b"", b"x", b"xy"):
            encoded = base64.b64encode(prefix + secret + suffix)
            assert any(f in encoded for f in frags), (prefix, suffix)
            urlsafe = base64.urlsafe_b64encode(prefix + secret + suffix)
            assert any(f in urlsafe for f in frags)


INNER_TEST = """
from pathlib import Path

def test_writes_a_secret(tmp_path: Path) -> None:
    (tmp_path / "app.log").write_text("password=" + {secret!r}, encoding="utf-8")
"""


def test_a_leak_fails_the_session_with_a_report(tmp_path: Path) -> None:
    """A session whose test writes a canary secret passes its test but fails as a whole, with the report."""
    inner = planted(tmp_path) / "inner"
    inner.mkdir()
    (inner / "test_inner.py").write_text(INNER_TEST.format(secret=canaries.ENV_SECRET), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "tests.leakscan", "-p", "no:cacheprovider"]
    cmd += ["-c", str(ROOT / "pyproject.toml"), "--rootdir", str(inner), "--basetemp", str(tmp_path / "base")]
    res = subprocess.run([*cmd, str(inner)], capture_output=True, text=True, env=env, cwd=inner, timeout=120)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "1 passed" in res.stdout and "LEAK SCAN FAILED" in res.stdout
    assert "app.log: secret [ENV_SECRET]" in res.stdout
    (inner / "test_inner.py").write_text(INNER_TEST.format(secret="harmless"), encoding="utf-8")
    ok = subprocess.run([*cmd, str(inner)], capture_output=True, text=True, env=env, cwd=inner, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "leak scan of" in ok.stdout and "0 finding(s)" in ok.stdout


@pytest.mark.browser
def test_real_flow_with_canary_secrets_leaks_nothing(
    tmp_path: Path, kameng_home: Path, example_case: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Notification token, env login password, SMTP password → filing on three twins → exports: no canary
    anywhere in the data folder, the twins' data or the exports; the public twin got nothing personal."""
    from kameng_filer.cli import app
    from kameng_filer.tracker import notify

    options = {
        "card_a": {"password": canaries.CARD_PASSWORD},
        "email": {"username": "kameng", "password": canaries.SMTP_PASSWORD},
    }
    channels = ["card_platform@a", "email", "heimao"]
    with (
        NotificationReceiver() as receiver,
        twins_running(tmp_path, ["card_a", "email", "heimao"], options) as ts,
    ):
        hook = f"json://127.0.0.1:{receiver.port}/hook?token={canaries.NOTIFY_TOKEN}"
        res = CliRunner().invoke(app, ["notify", "add", hook, "--name", "canary"])
        assert res.exit_code == 0, res.output
        monkeypatch.setenv(env_name("notify", "canary"), hook)
        config = load_config()
        config["channels"] = {
            "card_platform@a": {"profile": "card-a-twin", "account": "demo", "base_url": ts["card_a"].url},
            "email": {
                "smtp_host": ts["email"].host,
                "smtp_port": ts["email"].port,
                "username": "kameng",
                "to": "kefu@xingchen-km.example.com",
                "timeout": 5,
            },
            "heimao": {"base_url": ts["heimao"].url},
        }
        save_config(config)
        monkeypatch.setenv(env_name("card_platform@a", "demo"), canaries.CARD_PASSWORD)
        monkeypatch.setenv(env_name("email", "kameng"), canaries.SMTP_PASSWORD)
        urls = {"card_platform@a": ts["card_a"].url, "heimao": ts["heimao"].url}
        outcomes = by_channel(
            file_now(example_case, channels, ScriptedPerson(DemoAnswerer(urls), quiet=True))
        )
        assert {c: o.state for c, o in outcomes.items()} == dict.fromkeys(channels, "submitted"), outcomes
        assert notify.send("投诉已提交", "三个渠道均已提交").sent == ["canary"]
        assert receiver.titles() == ["投诉已提交"]
        assert ts["card_a"].snapshot()["logins"][-1]["ok"] is True  # the canary password was really used
        with Store.open() as store:
            full = export_case("km-2026-0001", tmp_path / "exports" / "full.zip", store=store)
            public = export_case(
                "km-2026-0001", tmp_path / "exports" / "public.zip", store=store, public=True
            )
    assert full.filings == 3 and public.filings == 3

    report = scan_tree([tmp_path, kameng_home])
    assert report.leaks == [], format_report(report)
    assert report.databases >= 1 and report.db_values > 50 and report.zip_members > 20
    assert report.public_states == 1

    # the scan really reads the database columns, zip members and the twins' data: a value known to be
    # everywhere (the 卡盟 complaint number) is found in each of them
    number = outcomes["card_platform@a"].receipt["complaint_no"]
    seen = scan_tree([tmp_path, kameng_home], {"number": number}, {})
    where = {leak.path for leak in seen.leaks}
    assert any(p.endswith("kameng.sqlite3:filings") for p in where)
    assert any("full.zip!filings/" in p for p in where) and any("public.zip!" in p for p in where)
    assert any(p.endswith(str(Path("card_a") / "state.json")) for p in where)
    # and the public twin's state is checked for personal data: the order number is public, so it is found
    on_heimao = scan_tree(tmp_path, {}, {"order_no": "KM20261102150012"})
    assert {leak.kind for leak in on_heimao.leaks} == {"personal data on public channel (submissions)"}
