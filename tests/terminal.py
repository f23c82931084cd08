"""Run the real ``kameng`` CLI on a pseudo-terminal and type the captcha when it asks (as a person would)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

KAMENG = str(Path(sys.executable).parent / "kameng")


def run_answering_captcha(
    args: list[str], answer: Callable[[], str], tmp_path: Path, *, timeout: float = 180
) -> subprocess.CompletedProcess[bytes]:
    """Run ``kameng ARGS`` on a pty; when it shows the captcha image, type ``answer()`` and Enter."""
    master, slave = pty.openpty()
    err_path = tmp_path / "kameng-stderr.txt"
    with err_path.open("w", encoding="utf-8") as err:
        proc = subprocess.Popen([KAMENG, *args], stdin=slave, stdout=subprocess.PIPE, stderr=err)
        os.close(slave)
        try:
            deadline = time.monotonic() + 90
            while "验证码图片" not in err_path.read_text(encoding="utf-8"):
                assert proc.poll() is None, err_path.read_text(encoding="utf-8")
                assert time.monotonic() < deadline, "kameng never asked for the captcha"
                time.sleep(0.05)
            os.write(master, (answer() + "\n").encode())
            out, _ = proc.communicate(timeout=timeout)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
            os.close(master)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err_path.read_bytes())
