"""TESTS ONLY: one Chromium per pytest process, shared by every filing run through CDP.

Launching Chromium costs about a second of CPU per run, and the suite files hundreds of times (in
process and through ``kameng file`` subprocesses). ``python -m tests.shared_chromium`` launches one
Chromium the way the product does (Playwright's ``launch`` with the product's flags) plus a DevTools
port, prints ``ready <endpoint>`` and keeps it running until its stdin closes. Tests then set
``KAMENG_CHROMIUM_CDP`` (kameng_filer/filing/browser_pool.py) so every run — in process or in a child
process that inherits the environment — connects to it and opens its own browser contexts there.
Contexts are isolated (cookies, storage, cache) and are disposed when the run closes or dies.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve() -> None:
    """Launch Chromium with a DevTools port, announce the endpoint, wait until stdin closes."""
    from playwright.sync_api import sync_playwright

    from kameng_filer.browser import launch_options

    port = _free_port()
    opts = launch_options()
    opts["args"] = [*opts["args"], f"--remote-debugging-port={port}", "--remote-debugging-address=127.0.0.1"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(**opts)
        endpoint = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{endpoint}/json/version", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("Chromium's DevTools port did not open")
            time.sleep(0.05)
        print(f"ready {endpoint}", flush=True)
        sys.stdin.read()  # until the test process ends (or dies: its end of the pipe closes)
        browser.close()


class SharedChromium:
    """The helper process, started on first use; ``endpoint`` for ``KAMENG_CHROMIUM_CDP``."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[str] | None = None
        self._endpoint = ""

    def endpoint(self) -> str:
        """The DevTools endpoint of the running shared Chromium (started or restarted when needed)."""
        if self._proc is not None and self._proc.poll() is None and self._alive():
            return self._endpoint
        self.stop()
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "tests.shared_chromium"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline().strip()
        if not line.startswith("ready "):
            self.stop()
            raise RuntimeError(f"shared Chromium did not start: {line!r}")
        self._endpoint = line.removeprefix("ready ")
        return self._endpoint

    def _alive(self) -> bool:
        try:
            return httpx.get(f"{self._endpoint}/json/version", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        """Close the helper (Chromium exits with it)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            proc.communicate(timeout=15)  # closes stdin (the helper's signal to end) and stdout
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


if __name__ == "__main__":
    serve()
