"""``kameng ui``: prints the address with its token, serves it, stops cleanly; bad options are Chinese errors."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import httpx
from typer.testing import CliRunner

from kameng_filer.cli import app
from tests.ui_support import cli_workspace


def test_ui_prints_token_url_serves_and_stops(kameng_home: Path) -> None:
    with cli_workspace() as (proc, url):
        match = re.fullmatch(r"http://127\.0\.0\.1:(\d+)/\?token=([\w-]{40,})", url)
        assert match, url
        with httpx.Client(timeout=30, follow_redirects=True) as client:
            r = client.get(url)
            assert r.status_code == 200 and "我的纠纷" in r.text and "还没有保存的案件" in r.text
            assert str(r.url) == f"http://127.0.0.1:{match[1]}/"  # the token left the address
            assert httpx.get(f"http://127.0.0.1:{match[1]}/", timeout=30).status_code == 403
    out, err = proc.stopped
    assert proc.returncode == 0, err
    assert "工作台已停止" in out and "Traceback" not in err
    files = list((kameng_home / "logs").glob("*.log*"))
    assert files  # every run leaves a line in the log
    logs = "".join(p.read_text(errors="replace") for p in files)
    assert match[2] not in logs  # the token never reaches a log file


def test_busy_port_is_a_chinese_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(app, ["ui", "--no-browser", "--port", str(port)])
    assert result.exit_code != 0
    assert f"端口 {port} 已被占用" in result.output and "kameng ui --port" in result.output
    assert "Traceback" not in result.output


def test_bad_port_option_is_a_chinese_error() -> None:
    result = CliRunner().invoke(app, ["ui", "--port", "70000"])
    assert result.exit_code == 2
    assert "--port" in result.output and "Traceback" not in result.output
    assert re.search(r"[\u4e00-\u9fff]", result.output)


def test_help_lists_the_options() -> None:
    result = CliRunner().invoke(app, ["ui", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for option in ("--port", "--no-browser", "--demo"):
        assert option in result.output
