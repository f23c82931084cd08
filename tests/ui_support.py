"""Shared helpers of the workspace tests: a stored example case with filings and tracked deadlines."""

from __future__ import annotations

import html as html_lib
import os
import re
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from kameng_filer.store import Store
from kameng_filer.timeutil import parse_iso
from kameng_filer.tracker.testing import record_submitted
from kameng_filer.tracker.tick import run_pass
from kameng_filer.ui import UiServer, create_app

ROOT = Path(__file__).resolve().parent.parent
KAMENG = str(ROOT / ".venv" / "bin" / "kameng")
CASE = "km-2026-0001"
NOW = parse_iso("2026-11-12T10:00:00")
"""The workspace's "now" in these tests: the 12315 filing's first deadline has passed, the
heimao one still runs."""


def seed_home(home: Path) -> Path:
    """A data folder holding the example case: 12315 filed long ago (a deadline overdue at ``NOW``; its
    receipt names a screenshot outside the data folder), heimao filed the day before ``NOW`` (receipt
    screenshot under ``artifacts``); one tracker pass computed the deadlines."""
    folder = home.parent / f"{home.name}-case"
    shutil.copytree(ROOT / "examples", folder)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KAMENG_HOME", str(home))
        store = Store.open()
        try:
            store.import_case(folder / "case.yaml")
            old = parse_iso("2026-11-02T18:00:00")
            outside = {
                "complaint_no": "3301102026110212345678901",
                "screenshot": str(folder / "evidence" / "chat.png"),
            }
            record_submitted(store, CASE, "12315", outside["complaint_no"], old, receipt=outside)
            recent = parse_iso("2026-11-11T10:00:00")
            shot = home / "artifacts" / CASE / "heimao-complaint-1" / "receipt-17358899.png"
            shot.parent.mkdir(parents=True)
            shutil.copyfile(folder / "evidence" / "order.png", shot)
            inside = {"complaint_no": "17358899", "screenshot": str(shot)}
            record_submitted(store, CASE, "heimao", "17358899", recent, receipt=inside)
            run_pass(store, recent)
        finally:
            store.close()
    return home


@contextmanager
def running() -> Iterator[UiServer]:
    """The workspace (its clock fixed at ``NOW``) on a free 127.0.0.1 port."""
    with UiServer(create_app(now=lambda: NOW)) as server:
        yield server


def workspace_fixtures(name: str) -> tuple[Any, Any, Any]:
    """The fixtures most workspace test files share, for ``seeded, _home, server = workspace_fixtures(...)``:

    ``seeded`` (module): a data folder made by ``seed_home`` once per test file; ``_home`` (autouse):
    ``KAMENG_HOME`` pointing at it in every test; ``server`` (module): the workspace serving it.
    """

    @pytest.fixture(scope="module")
    def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
        return seed_home(tmp_path_factory.mktemp(name))

    @pytest.fixture(autouse=True)
    def _home(seeded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("KAMENG_HOME", str(seeded))

    @pytest.fixture(scope="module")
    def server(seeded: Path) -> Iterator[UiServer]:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("KAMENG_HOME", str(seeded))
            with running() as srv:
                yield srv

    return seeded, _home, server


@contextmanager
def logged_in(server: UiServer) -> Iterator[httpx.Client]:
    """An HTTP client past the token URL, posting as the workspace's own pages do (same Origin)."""
    with httpx.Client(base_url=server.url, headers={"origin": server.url}, timeout=120) as c:
        assert c.get(server.entry_url).status_code == 303
        yield c


def form_fields(client: httpx.Client, url: str) -> dict[str, str]:
    """The fields the dispute form at ``url`` submits unchanged (inputs, chosen options, text areas)."""
    html = client.get(url).text
    fields = dict(
        re.findall(r'<input type="(?:hidden|text)" (?:id="[^"]*" )?name="([^"]+)" value="([^"]*)"', html)
    )
    for name, body in re.findall(r'<select id="[^"]*" name="([^"]+)">(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', body)
        fields[name] = chosen[1] if chosen else ""
    for name, body in re.findall(r'<textarea id="[^"]*" name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        fields[name] = body
    return {k: html_lib.unescape(v) for k, v in fields.items()}


@contextmanager
def cli_workspace(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``kameng ui --no-browser ARGS`` as a process, and the token URL it printed; stopped with SIGTERM
    afterwards (the test reads ``proc.returncode`` and ``proc.stopped`` = (stdout rest, stderr))."""
    proc = subprocess.Popen(
        [KAMENG, "ui", "--no-browser", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200", "BROWSER": "false"},
    )
    try:
        url = ""
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("http://"):
                url = line.strip()
                break
        yield proc, url
        proc.send_signal(signal.SIGTERM)
        proc.stopped = proc.communicate(timeout=60)  # type: ignore[attr-defined]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def browser_fixtures(screens_name: str) -> tuple[Any, Any, Any]:
    """``screens, browser, page = browser_fixtures(...)``: a module's screenshot folder, one real Chromium
    per module, and a fresh logged-in page per test (on the module's ``server``)."""
    from tests.ui_browser import chromium, workspace_page

    @pytest.fixture(scope="module")
    def screens(tmp_path_factory: pytest.TempPathFactory) -> Path:
        return tmp_path_factory.mktemp(screens_name)

    @pytest.fixture(scope="module")
    def browser() -> Iterator[Any]:
        with chromium() as b:
            yield b

    @pytest.fixture
    def page(browser: Any, server: UiServer) -> Iterator[Any]:
        with workspace_page(browser, server.entry_url) as pg:
            yield pg

    return screens, browser, page
