"""LAN access switched on and off in the page (real Chromium), checked from a non-loopback address (httpx).

The LAN listener binds this machine's LAN address (``lan.lan_address()``; in this sandbox an eth0 address,
so requests to it come from a non-loopback client). Where the machine has no LAN address the tests use a
second loopback address (127.0.0.2) bound explicitly — the listener's rules are the same.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from kameng_filer.ui import UiServer, create_app
from kameng_filer.ui.lan import LanAccess, lan_address
from tests.ui_browser import shoot, workspace_page
from tests.ui_support import CASE, NOW, browser_fixtures, seed_home

pytestmark = [pytest.mark.browser]
GUIDE = f"/cases/{CASE}/assisted/alipay"


def _host() -> str:
    found = lan_address()
    return "127.0.0.2" if found.startswith("127.") else found


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_home(tmp_path_factory.mktemp("ui-lan-home"))


@pytest.fixture(autouse=True)
def _env(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAMENG_HOME", str(home))


@pytest.fixture(scope="module")
def server(home: Path):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KAMENG_HOME", str(home))
        with UiServer(create_app(now=lambda: NOW, lan=LanAccess(host=_host()))) as srv:
            yield srv


screens, browser, _page = browser_fixtures("ui-lan-screens")


def _phone_url(page) -> str:
    return page.locator(".phone-qr p.no").inner_text().strip()


def test_switch_on_off_in_the_page(browser, server, screens) -> None:
    lan = server.app.state.kit.lan
    with workspace_page(browser, server.entry_url) as page:
        page.goto(server.url + GUIDE)
        assert page.locator(".phone-qr img").count() == 0 and not lan.enabled
        page.click("#lan-on")
        page.wait_for_url(server.url + GUIDE)
        assert page.locator(".phone-qr img").first.evaluate("i => i.naturalWidth") > 0
        first = _phone_url(page)
        assert first.startswith(f"http://{lan.host}:") and "/phone/" in first
        assert server.app.state.token not in first  # the session token never leaves the computer
        shoot(page, screens, "assisted-lan-on")
        with httpx.Client(timeout=30) as phone:
            ok = phone.get(first)
            assert ok.status_code == 200 and "操作指引" in ok.text and "<form" not in ok.text
            assets = re.findall(r'(?:href|src)="(/phone/[^"]+)"', ok.text)
            base = first.split("/phone/", 1)[0]
            assert assets and all(phone.get(base + a).status_code == 200 for a in assets)
        page.goto(f"{server.url}/settings")
        assert "已开启" in page.locator("#lan .lan-state").inner_text()
        shoot(page, screens, "settings-lan-on")
        page.click("#lan-off")
        page.wait_for_url(f"{server.url}/settings?done=lan_off#lan")
        assert "已关闭" in page.locator("#lan .lan-state").inner_text() and not lan.enabled
        with httpx.Client(timeout=5) as phone, pytest.raises(httpx.TransportError):
            phone.get(first)  # the listener is gone
        page.click("#lan-on")
        page.wait_for_url(f"{server.url}/settings?done=lan_on#lan")
        page.goto(server.url + GUIDE)
        second = _phone_url(page)
        assert second != first  # a new token each time
        with httpx.Client(timeout=30) as phone:
            old = second.split("/phone/", 1)[0] + "/phone/" + first.split("/phone/", 1)[1]
            assert phone.get(old).status_code == 404  # the old token no longer opens anything
            assert phone.get(second).status_code == 200
        page.click("#lan-off")
        page.wait_for_url(server.url + GUIDE)
        assert page.locator(".phone-qr img").count() == 0


@pytest.fixture
def lan_on(server):
    lan = server.app.state.kit.lan
    lan.turn_on(server.app, server.port)
    try:
        yield lan
    finally:
        lan.turn_off()


def test_lan_listener_answers_only_phone_pages(server, lan_on: LanAccess) -> None:
    url = lan_on.guide_url(CASE, "alipay")
    base, path = url.split("/phone/", 1)[0], "/phone/" + url.split("/phone/", 1)[1]
    with httpx.Client(base_url=server.url, timeout=30, headers={"Origin": server.url}) as session:
        session.get(server.entry_url)  # a logged-in session's cookie, replayed against the LAN listener
        cookies = dict(session.cookies)
    with httpx.Client(base_url=base, timeout=30, cookies=cookies) as phone:
        assert phone.get(path).status_code == 200
        wrong = re.sub(r"/phone/[^/]+/", "/phone/not-the-token/", path)
        assert phone.get(wrong).status_code == 404
        for page in ("/", "/settings", f"/cases/{CASE}", GUIDE, f"/?token={server.app.state.token}"):
            r = phone.get(page)
            assert r.status_code == 404 and "局域网里只能打开手机指引页面" in r.text
        csrf = server.app.state.kit.csrf
        r = phone.post("/settings/lan", data={"on": "0", "csrf": csrf}, headers={"Origin": base})
        assert r.status_code == 404 and lan_on.enabled  # the switch is not reachable from the network
        assert phone.post(path, data={}).status_code == 405
        assert phone.get(path, headers={"Host": f"evil.example:{lan_on.port_ref[0]}"}).status_code == 421
        assert "Traceback" not in phone.get(wrong).text


def test_lan_switch_bad_input_and_failure_are_chinese(server) -> None:
    lan = server.app.state.kit.lan
    csrf = server.app.state.kit.csrf
    with httpx.Client(base_url=server.url, timeout=30, headers={"Origin": server.url}) as c:
        c.get(server.entry_url)
        r = c.post("/settings/lan", data={"csrf": csrf, "on": "0", "next": "https://evil.example/"})
        assert r.status_code == 303 and r.headers["location"].startswith("/settings")
        r = c.post("/settings/lan", data={"csrf": csrf, "on": "0", "next": "//evil.example/x"})
        assert r.headers["location"].startswith("/settings")
        host = lan.host
        lan.host = "192.0.2.254"  # not an address of this machine: binding fails
        try:
            r = c.post("/settings/lan", data={"csrf": csrf, "on": "1"})
        finally:
            lan.host = host
        assert r.status_code == 200 and "无法在局域网地址 192.0.2.254 上开启手机访问" in r.text
        assert not lan.enabled and lan.token is None
