"""The settings page in the real Chromium: a password goes to keyring and is never shown back, bad input
gets the CLI's Chinese message at the field, a notification URL is masked and its test button really
delivers (apprise to an HTTP receiver on 127.0.0.1), the calendar says next year's holidays are missing."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import keyring
import pytest
from keyring.backend import KeyringBackend

from tests.ui_browser import chromium, shoot, workspace_page
from tests.ui_support import running

pytestmark = [pytest.mark.browser]
PASSWORD = "Pw-7f3c9e-不要显示"


class MemoryKeyring(KeyringBackend):
    """A keyring held in memory (the machine's own keyring is never touched by tests)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


@pytest.fixture(scope="module")
def ring():
    before = keyring.get_keyring()
    mem = MemoryKeyring()
    keyring.set_keyring(mem)
    try:
        yield mem
    finally:
        keyring.set_keyring(before)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ui-settings-home")


@pytest.fixture(autouse=True)
def _home(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAMENG_HOME", str(home))


@pytest.fixture(scope="module")
def server(home: Path, ring):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KAMENG_HOME", str(home))
        with running() as srv:
            yield srv


@pytest.fixture(scope="module")
def receiver():
    got: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            got.append(json.loads(body or b"{}"))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"json://127.0.0.1:{srv.server_address[1]}/hook", got
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser, server):
    with workspace_page(browser, server.entry_url) as pg:
        yield pg


def test_password_saved_to_keyring_never_shown(page, server, ring: MemoryKeyring, home: Path, screens_dir) -> None:
    page.click("a:has-text('设置')")
    assert page.get_by_role("heading", name="设置", exact=True).is_visible()
    assert "2027" in page.locator("#calendar").inner_text()  # next year's holidays not published yet
    page.select_option("#s-channel", "email")
    page.fill("#s-account", "")
    page.fill("#s-password", PASSWORD)
    page.click("#accounts button[type=submit]")
    assert "账号不能为空" in page.locator("#accounts [role=alert]").inner_text()
    page.fill("#s-account", "me@example.com")
    page.fill("#s-password", PASSWORD)
    page.click("#accounts button[type=submit]")
    page.wait_for_url(f"{server.url}/settings?done=account")
    row = page.locator("#accounts tr", has_text="me@example.com")
    assert row.locator(".password-state").inner_text() == "已保存"
    assert PASSWORD not in page.content() and page.input_value("#s-password") == ""
    assert ring.items[("kameng-filer", "email:me@example.com")] == PASSWORD
    config = (home / "config.yaml").read_text("utf-8")
    assert "me@example.com" in config and PASSWORD not in config
    page.fill("#s-channel-other", "card_platform@../../x")
    page.select_option("#s-channel", "")
    page.fill("#s-account", "u")
    page.fill("#s-password", "p")
    page.click("#accounts button[type=submit]")
    assert "站点名" in page.locator("#accounts [role=alert]").inner_text()
    shoot(page, screens_dir, "settings")


def test_notification_url_masked_and_test_delivers(page, server, receiver, ring: MemoryKeyring) -> None:
    url, got = receiver
    page.goto(f"{server.url}/settings")
    page.fill("#n-url", "not a url")
    page.click("#notify form.settings-form button[type=submit]")
    assert page.locator("#notify [role=alert]").inner_text()
    page.fill("#n-url", url)
    page.fill("#n-name", "hook")
    page.click("#notify form.settings-form button[type=submit]")
    page.wait_for_url(f"{server.url}/settings?done=notify")
    assert "hook" in page.locator(".targets").inner_text() and url not in page.content()
    page.click("button:has-text('发送测试消息')")
    assert "已送达：hook" in page.locator(".test-result").inner_text()
    assert got and "测试" in json.dumps(got[-1], ensure_ascii=False)


def test_settings_forms_need_csrf(server) -> None:
    with httpx.Client(base_url=server.url, headers={"origin": server.url}) as c:
        c.get(server.entry_url)
        r = c.post("/settings/account", data={"channel": "email", "account": "a", "password": "b"})
        assert r.status_code == 403
        r = c.post("/settings/notify/test", data={})
        assert r.status_code == 403


@pytest.fixture(scope="module")
def screens_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ui-settings-screens")
