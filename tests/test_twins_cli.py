"""``kameng twins`` as a real process: prints the URLs, serves, stops cleanly on SIGTERM/Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import smtplib
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

URL_LINE = re.compile(r"^(\w+) (http|smtp)://127\.0\.0\.1:(\d+)$")


def _start(args: list[str], home: Path) -> subprocess.Popen:
    env = {**os.environ, "KAMENG_HOME": str(home), "COLUMNS": "120", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-c", "from kameng_filer.cli import main; main()", "twins", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _wait_urls(
    proc: subprocess.Popen, count: int, seen: list[str] | None = None
) -> dict[str, tuple[str, int]]:
    found: dict[str, tuple[str, int]] = {}
    seen = [] if seen is None else seen
    deadline = time.monotonic() + 60
    assert proc.stdout is not None
    while len(found) < count and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        m = URL_LINE.match(line.strip())
        if m:
            found[m.group(1)] = (m.group(2), int(m.group(3)))
    return found


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_twins_command_serves_and_stops(tmp_path: Path, sig: signal.Signals) -> None:
    proc = _start(["--only", "card_a,card_b,email"], tmp_path)
    try:
        seen: list[str] = []
        urls = _wait_urls(proc, 3, seen)
        assert set(urls) == {"card_a", "card_b", "email"}
        assert httpx.get(f"http://127.0.0.1:{urls['card_a'][1]}/_twin/health").text == "ok"
        assert "下单手机号" in httpx.get(f"http://127.0.0.1:{urls['card_b'][1]}/complaint").text
        with smtplib.SMTP("127.0.0.1", urls["email"][1], timeout=10) as smtp:
            assert smtp.noop()[0] == 250
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
        out = "".join(seen) + out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "孪生站点已全部停止" in out
    assert "demo / 密码 demo-pass" in out and "13800138000" in out
    assert "Traceback" not in err
    assert (tmp_path / "twins" / "card_a" / "state.json").exists()


def test_twins_command_fixed_ports(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        base = probe.getsockname()[1]
    proc = _start(
        ["--only", "card_a,card_b", "--port", str(base), "--data-dir", str(tmp_path / "d")], tmp_path
    )
    try:
        urls = _wait_urls(proc, 2)
        if not urls:
            proc.terminate()
            _, err = proc.communicate(timeout=30)
            pytest.skip(f"ports not free: {err}")
        assert urls == {"card_a": ("http", base), "card_b": ("http", base + 1)}
        proc.terminate()
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
    assert (tmp_path / "d" / "card_b" / "state.json").exists()


def test_twins_command_unknown_name(tmp_path: Path) -> None:
    proc = _start(["--only", "card_a,nope"], tmp_path)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "没有这些孪生站点：nope" in err and "card_a" in err
