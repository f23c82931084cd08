"""`kameng file` refusals that need no browser: unknown channel, 12315 + association, invalid case, no confirmation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

KAMENG = str(Path(sys.executable).parent / "kameng")


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [KAMENG, *args], capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120
    )


def test_unknown_channel_lists_the_known_ones(example_case: Path) -> None:
    r = _run("file", str(example_case), "--channels", "weibo", "--yes")
    assert r.returncode == 1
    assert "未知渠道「weibo」" in r.stderr
    for name in ("card_platform", "email", "alipay", "wechat_pay", "12315", "consumer_association", "heimao"):
        assert name in r.stderr
    assert "Traceback" not in r.stderr


def test_12315_and_association_refused_together(example_case: Path) -> None:
    r = _run("file", str(example_case), "--channels", "12315,consumer_association", "--yes")
    assert r.returncode == 1
    assert "第16条" in r.stderr and "--force" in r.stderr


def test_invalid_case_is_not_filed(example_case: Path, kameng_home: Path) -> None:
    data = yaml.safe_load(example_case.read_text(encoding="utf-8"))
    del data["order"]["order_no"]
    example_case.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    r = _run("file", str(example_case), "--channels", "email", "--yes", "--json")
    assert r.returncode == 1
    out = json.loads(r.stdout)
    assert out["filings"] == []
    assert any(f["path"] == "order.order_no" and f["severity"] == "error" for f in out["findings"])
    assert (
        not (kameng_home / "kameng.sqlite3").exists() or "km-2026-0001" not in _run("cases", "--json").stdout
    )


def test_without_terminal_and_without_yes_nothing_is_filed(example_case: Path) -> None:
    (Path(example_case).parent).mkdir(exist_ok=True)
    r = _run("file", str(example_case), "--channels", "alipay")
    assert r.returncode == 1
    assert "--yes" in r.stderr
    cases = json.loads(_run("cases", "--json").stdout)["cases"]
    assert all(c["filings"] == 0 for c in cases)


def test_missing_case_file_is_a_clear_error(tmp_path: Path) -> None:
    r = _run("file", str(tmp_path / "nope.yaml"), "--channels", "email", "--yes")
    assert r.returncode != 0
    assert "找不到案件" in r.stderr and "Traceback" not in r.stderr
