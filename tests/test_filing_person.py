"""The person in the loop at a terminal: one channel pauses for the captcha while the others keep going."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from rich.console import Console

from kameng_filer.filing.person import TerminalPerson
from tests.filing_support import by_channel, configure, file_now, twins_running

pytestmark = pytest.mark.browser


def test_captcha_pauses_one_channel_while_email_is_sent(
    tmp_path: Path, example_case: Path, monkeypatch
) -> None:
    with twins_running(tmp_path, ["card_a", "email"]) as ts:
        channels = ["card_platform@a", "email"]
        configure(ts, channels)
        read_fd, write_fd = os.pipe()
        stdin = os.fdopen(read_fd, "r", encoding="utf-8")
        monkeypatch.setattr(sys, "stdin", stdin)
        shown = tmp_path / "terminal.txt"
        console = Console(file=shown.open("w", encoding="utf-8"), width=200)
        person = TerminalPerson(console, open_images=False)
        answered_at: dict[str, float] = {}

        def play_the_person() -> None:
            """Wait for the prompt, look at the captcha (here: the twin's test endpoint), type the answer."""
            deadline = time.monotonic() + 60
            while "验证码图片" not in shown.read_text(encoding="utf-8"):
                if time.monotonic() > deadline:
                    return
                time.sleep(0.05)
            time.sleep(1.0)  # the person takes their time; the e-mail channel must not wait for them
            answer = httpx.get(ts["card_a"].url + "/_twin/captcha").json()["latest"]
            answered_at["t"] = time.time()
            os.write(write_fd, f"{answer}\n".encode())

        helper = threading.Thread(target=play_the_person, daemon=True)
        helper.start()
        try:
            outcomes = by_channel(file_now(example_case, channels, person))
        finally:
            helper.join(5)
            os.close(write_fd)
            stdin.close()
            console.file.close()
        assert outcomes["card_platform@a"].state == "submitted", outcomes
        assert outcomes["email"].state == "submitted"
        text = shown.read_text(encoding="utf-8")
        assert "需要本人操作" in text and "请输入图片中的验证码" in text
        image = Path(text.split("验证码图片：", 1)[1].split()[0])
        assert image.exists() and image.read_bytes().startswith(b"\x89PNG")
        mail = ts["email"].messages()[0]
        from datetime import datetime

        received = datetime.fromisoformat(mail["received_at"]).timestamp()
        assert received < answered_at["t"], "the e-mail went out while the captcha was waiting for the person"


def test_sms_cooldown_is_waited_out_then_the_code_is_asked_again(tmp_path: Path, example_case: Path) -> None:
    """A code was sent moments ago (e.g. by a run that crashed): the site answers "请 N 秒后再获取"; the
    filer waits those seconds like a person, asks for a new code and files once."""
    from datetime import timedelta

    from tests.filing_support import scripted

    with twins_running(tmp_path, ["card_b"], {"card_b": {"sms_cooldown": timedelta(seconds=3)}}) as ts:
        twin = ts["card_b"]
        errors, _ = twin.send_code("KM20261102150012", "13800138000")
        assert not errors
        configure(ts, ["card_platform@b"])
        person = scripted(ts, ["card_platform@b"])
        started = time.monotonic()
        outcome = by_channel(file_now(example_case, ["card_platform@b"], person))["card_platform@b"]
        assert outcome.state == "submitted", outcome
        assert time.monotonic() - started >= 2, "the cooldown was waited out"
        assert len(twin.outbox.messages("13800138000")) == 2, "exactly one more code was asked for"
        assert len(twin.snapshot()["submissions"]) == 1
