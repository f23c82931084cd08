"""Find and launch Chromium for Playwright (Debian's package by ``executable_path``, or Playwright's own)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from kameng_filer.errors import ConfigError

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """Path of a system Chromium (``KAMENG_CHROMIUM`` first), or None to use Playwright's own download."""
    env = os.environ.get("KAMENG_CHROMIUM")
    if env:
        if Path(env).is_file():
            return env
        raise ConfigError(f"KAMENG_CHROMIUM 指向的文件不存在：{env}")
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    for p in ("/usr/bin/chromium", "/usr/lib/chromium/chromium", "/snap/bin/chromium"):
        if Path(p).is_file():
            return p
    return None


def launch_options(*, headed: bool = False) -> dict[str, Any]:
    """Keyword arguments for ``chromium.launch`` on this machine."""
    opts: dict[str, Any] = {"headless": not headed, "args": list(CHROMIUM_ARGS)}
    exe = find_chromium()
    if exe:
        opts["executable_path"] = exe
    return opts


def no_browser_message() -> str:
    """The Chinese explanation shown when no Chromium can be started."""
    return (
        "找不到可用的 Chromium 浏览器。Debian/Ubuntu:sudo apt-get install chromium fonts-noto-cjk；"
        "其他系统：.venv/bin/playwright install chromium；或设置环境变量 KAMENG_CHROMIUM=浏览器路径"
    )
