"""``kameng deadline`` as a real subprocess: JSON shape, Chinese output, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kameng_filer import paths

KAMENG = Path(sys.executable).parent / "kameng"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(KAMENG), "deadline", *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_json_shape_exact() -> None:
    r = run("--from", "2026-02-13T15:00:00", "--working-days", "3", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {
        "due": "2026-02-25T23:59:59+08:00",
        "due_date": "2026-02-25",
        "provisional": False,
    }


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--from", "2026-10-03", "--working-days", "7"], ("2026-10-15T23:59:59+08:00", False)),
        (["--from", "2026-09-23T10:00", "--days", "10"], ("2026-10-08T23:59:59+08:00", False)),
        (["--from", "2026-09-23T10:00", "--days", "10", "--no-roll"], ("2026-10-03T23:59:59+08:00", False)),
        (["--from", "2026-02-14T22:30:00+08:00", "--hours", "24"], ("2026-02-15T22:30:00+08:00", False)),
        (["--from", "2026-02-13T02:00:00Z", "--hours", "1.5"], ("2026-02-13T11:30:00+08:00", False)),
        (["--from", "2027-02-04", "--working-days", "3"], ("2027-02-11T23:59:59+08:00", True)),
    ],
)
def test_json_values(args: list[str], expected: tuple[str, bool]) -> None:
    r = run(*args, "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert (data["due"], data["provisional"]) == expected
    assert data["due_date"] == expected[0][:10]
    assert set(data) == {"due", "due_date", "provisional"}


def test_chinese_text_output() -> None:
    r = run("--from", "2026-02-13", "--working-days", "3")
    assert r.returncode == 0
    assert "截止:2026年2月25日（星期三） 23:59:59 北京时间" in r.stdout
    assert "起始日不计入" in r.stdout and "暂定" not in r.stdout


def test_provisional_text_says_why() -> None:
    r = run("--from", "2027-02-04", "--working-days", "3")
    assert r.returncode == 0
    assert "截止（暂定）:2027年2月11日（星期四） 23:59:59 北京时间" in r.stdout
    assert "2027年的放假安排尚未收录" in r.stdout
    assert str(paths.holidays_override_path()) in r.stdout.replace("\n", "")


def test_override_file_changes_the_cli_result() -> None:
    paths.holidays_override_path().write_text("2027:\n  workdays: [2027-02-07]\n", encoding="utf-8")
    r = run("--from", "2027-02-04", "--working-days", "3", "--json")
    assert json.loads(r.stdout)["due_date"] == "2027-02-10"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--from", "2026-02-13"], "必须且只能给一个"),
        (["--from", "2026-02-13", "--days", "3", "--hours", "2"], "必须且只能给一个"),
        (["--working-days", "3"], "缺少 --from"),
        (["--from", "13/02/2026", "--working-days", "3"], "不是有效的 ISO"),
        (["--from", "2026-02-30", "--working-days", "3"], "不是有效的 ISO"),
        (["--from", "2026-02-13", "--working-days", "abc"], "正整数"),
        (["--from", "2026-02-13", "--working-days", "0"], "大于 0"),
        (["--from", "2026-02-13", "--days", "-3"], "正整数"),
        (["--from", "2026-02-13", "--hours", "x"], "正数"),
        (["--from", "2026-02-13", "--working-days", "99999"], "太大"),
        (["--from", "2026-02-13", "--hours", "2", "--no-roll"], "--no-roll"),
        (["--from", "2099-12-30", "--working-days", "5"], "1901–2099"),
    ],
)
def test_bad_input_exit_2_in_chinese(args: list[str], needle: str) -> None:
    r = run(*args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "错误" in r.stderr and needle in r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    assert r.stdout == ""


def test_bad_override_file_is_a_chinese_error_not_a_traceback() -> None:
    paths.holidays_override_path().write_text("2027:\n  holidays:\n    - 2027-02-30\n", encoding="utf-8")
    r = run("--from", "2026-02-13", "--working-days", "3", "--json")
    assert r.returncode == 1
    error = json.loads(r.stdout)["error"]  # --json: the error is JSON on stdout
    assert "第 3 行" in error["message"] and "2027-02-30" in error["message"]
    assert "Traceback" not in r.stderr
    r = run("--from", "2026-02-13", "--working-days", "3")
    assert r.returncode == 1
    assert "第 3 行" in r.stderr and "2027-02-30" in r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""
