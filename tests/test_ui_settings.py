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


def test_password_saved_to_keyring_never_shown(
    page, server, ring: MemoryKeyring, home: Path, screens_dir
) -> None:
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


def _cli_messages(section_name: str, section: dict) -> dict[str, str]:
    """What the CLI says (``config.load_config``'s check) about a hand-written section, by key."""
    from kameng_filer.errors import ConfigError
    from kameng_filer.settings_check import validate_config

    with pytest.raises(ConfigError) as caught:
        validate_config({"channels": {section_name: section}})
    prefix = f"channels.{section_name}."
    return {p["path"].removeprefix(prefix): p["message"] for p in caught.value.problems}


def _edit_config(home: Path, change) -> dict:
    """Edit config.yaml the way a person does by hand (load, change, write back)."""
    import yaml

    path = home / "config.yaml"
    data = yaml.safe_load(path.read_text("utf-8")) if path.exists() else {}
    data = data or {}
    change(data.setdefault("channels", {}))
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return data


def test_channel_settings_form_saves_what_the_cli_reads(page, server, home: Path, screens_dir) -> None:
    import yaml

    from kameng_filer.config import channel_settings, load_config

    def hand(channels: dict) -> None:
        channels["12315"] = {"handling_address": "浙江省杭州市西湖区"}
        channels["heimao"] = {"target": "某某网络科技有限公司", "timeout": 30}

    _edit_config(home, hand)
    page.goto(f"{server.url}/settings")
    page.locator("#channels tr", has_text="12315").locator("a.edit-channel").click()
    assert page.input_value("#f-handling_address") == "浙江省杭州市西湖区"  # the hand edit is seen
    assert page.locator("label[for=f-base_url]").inner_text().startswith("网址")
    page.fill("#f-base_url", "file:///etc/passwd")
    page.fill("#f-timeout", "abc")
    page.click("#channel-form button[type=submit]")
    cli = _cli_messages("12315", {"base_url": "file:///etc/passwd", "timeout": "abc"})
    for key in ("base_url", "timeout"):
        shown = page.locator(f"#channel-form [data-key={key}] [role=alert]").inner_text()
        assert shown == cli[key]  # the CLI's own words, at the field
    assert page.input_value("#f-timeout") == "abc"  # what was typed stays for correcting
    assert "passwd" not in (home / "config.yaml").read_text("utf-8")
    page.fill("#f-base_url", "https://www.12315.cn/")
    page.fill("#f-timeout", "60")
    page.select_option("#f-mode", "http")
    shoot(page, screens_dir, "settings-channel")
    page.click("#channel-form button[type=submit]")
    page.wait_for_url(f"{server.url}/settings?done=channel#channels")
    saved = channel_settings("12315")
    assert saved == {
        "handling_address": "浙江省杭州市西湖区",
        "base_url": "https://www.12315.cn/",
        "timeout": 60,
        "mode": "http",
    }
    cfg = load_config()
    assert cfg["channels"]["heimao"] == {"target": "某某网络科技有限公司", "timeout": 30}  # kept
    assert yaml.safe_load((home / "config.yaml").read_text("utf-8"))["channels"]["12315"]["timeout"] == 60

    # an input emptied removes the key; the e-mail channel's lists and booleans
    page.goto(f"{server.url}/settings/channels/email")
    page.fill("#f-to", "a@example.com, B <b@example.org>")
    page.fill("#f-smtp_port", "465")
    page.select_option("#f-ssl", "true")
    page.click("#channel-form button[type=submit]")
    page.wait_for_url(f"{server.url}/settings?done=channel#channels")
    email = channel_settings("email")
    assert email["to"] == "a@example.com, b@example.org" and email["smtp_port"] == 465  # as the CLI reads it
    assert email["ssl"] is True


def test_channel_form_does_not_overwrite_a_hand_edit_made_meanwhile(page, server, home: Path) -> None:
    from kameng_filer.config import channel_settings

    _edit_config(home, lambda ch: ch.__setitem__("heimao", {"target": "甲公司", "timeout": 30}))
    page.goto(f"{server.url}/settings/channels/heimao")
    _edit_config(home, lambda ch: ch["heimao"].__setitem__("target", "乙公司"))  # by hand, meanwhile
    page.fill("#f-timeout", "45")
    page.click("#channel-form button[type=submit]")
    assert "被改过" in page.locator("[role=alert]").first.inner_text()
    assert page.input_value("#f-target") == "乙公司"  # the file's current value is shown
    assert channel_settings("heimao") == {"target": "乙公司", "timeout": 30}
    page.fill("#f-timeout", "45")
    page.click("#channel-form button[type=submit]")
    page.wait_for_url(f"{server.url}/settings?done=channel#channels")
    assert channel_settings("heimao") == {"target": "乙公司", "timeout": 45}


def test_channel_settings_bad_names_broken_file_csrf(server, home: Path) -> None:
    with httpx.Client(base_url=server.url, headers={"origin": server.url}, timeout=30) as c:
        c.get(server.entry_url)
        r = c.get("/settings/channel", params={"channel": "card_platform", "site": ""})
        assert r.status_code == 200 and "卡盟渠道要写站点配置名" in r.text
        r = c.get("/settings/channel", params={"channel": "emial", "site": ""})
        assert "未知渠道「emial」" in r.text
        r = c.get("/settings/channel", params={"channel": "card_platform", "site": "bad name"})
        assert "站点名「bad name」无效" in r.text
        r = c.get("/settings/channel", params={"channel": "card_platform", "site": "xingchen"})
        assert r.status_code == 303 and r.headers["location"] == "/settings/channels/card_platform@xingchen"
        r = c.post("/settings/channels/email", data={"smtp_port": "1"})
        assert r.status_code == 403
        r = c.post("/settings/lan", data={"on": "1"})
        assert r.status_code == 403 and not server.app.state.kit.lan.enabled
        csrf = server.app.state.kit.csrf
        r = c.post("/settings/lan", data={"on": "1", "csrf": csrf}, headers={"origin": "http://evil.example"})
        assert r.status_code == 403 and not server.app.state.kit.lan.enabled
        path = home / "config.yaml"
        before = path.read_text("utf-8")
        try:
            path.write_text("channels:\n  email:\n    smtp_port: abc\n", "utf-8")
            r = c.get("/settings/channels/email")
            assert r.status_code == 400 and "应为整数" in r.text and "Traceback" not in r.text
        finally:
            path.write_text(before, "utf-8")


def test_secret_looking_settings_refused_as_the_cli_refuses_them(home: Path) -> None:
    from kameng_filer.errors import ConfigError
    from kameng_filer.settings_model import PluginSettings
    from kameng_filer.ui import settings_fields as sf

    fields = sf.form_fields(PluginSettings, {"region": "x", "api_token": "hidden"})
    assert [f.key for f in fields] == ["base_url", "timeout", "account", "region"]  # secrets never shown
    with pytest.raises(ConfigError) as caught:
        sf.save_channel("myplugin", {"extra_key": "api_token", "extra_value": "s3cret-v"}, sf.digest({}))
    errors = sf.field_errors(caught.value, "myplugin")
    assert "看起来是密码或令牌" in errors["api_token"] and "s3cret-v" not in str(caught.value)
    assert "s3cret-v" not in (home / "config.yaml").read_text("utf-8")


def test_calendar_status_names_the_workspace_holiday_file(page, server, home: Path) -> None:
    page.goto(f"{server.url}/settings")
    status = page.locator("#calendar").inner_text()
    assert "明年（2027年）：尚未收录" in status and "暂定" in status
    assert str(home / "holidays.yaml") in status  # KAMENG_HOME's file, in the status and in the CLI's warning
    (home / "holidays.yaml").write_text(
        "complete_years: [2027]\n2027:\n  holidays:\n    - 2027-01-01\n", "utf-8"
    )
    try:
        page.goto(f"{server.url}/settings")
        status = page.locator("#calendar").inner_text()
        assert "明年（2027年）：已收录" in status and "2027 来自您的节假日文件" in status
    finally:
        (home / "holidays.yaml").unlink()


def test_calendar_warning_follows_the_workspace_in_use(tmp_path: Path) -> None:
    from kameng_filer import home as homes
    from kameng_filer.timeutil import parse_iso
    from kameng_filer.ui.settings_calendar import calendar_status

    other = tmp_path / "other-workspace"
    with homes.using(homes.Home.at(other)):
        status = calendar_status(parse_iso("2026-11-12T10:00:00"))
    assert status["path"] == str(other / "holidays.yaml")
    assert any(str(other / "holidays.yaml") in w for w in status["warnings"])


def _post_channel(c: httpx.Client, name: str, data: dict[str, str]) -> httpx.Response:
    """Open the channel form (for its fingerprint) and post ``data`` to it as the page would."""
    import re

    shown = c.get(f"/settings/channels/{name}")
    seen = re.search(r'name="seen" value="([0-9a-f]+)"', shown.text)[1]
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', shown.text)[1]
    return c.post(f"/settings/channels/{name}", data={"csrf": csrf, "seen": seen, **data})


def test_secrets_in_values_refused_never_echoed_never_written(server, home: Path) -> None:
    from kameng_filer.errors import ConfigError
    from kameng_filer.settings_check import validate_config

    secret = "Zx9-secret-Q7"
    with httpx.Client(base_url=server.url, headers={"origin": server.url}, timeout=30) as c:
        c.get(server.entry_url)
        for url in (
            f"https://me:{secret}@www.heimao.example/",
            f"https://www.heimao.example/?access_token={secret}",
        ):
            r = _post_channel(c, "heimao", {"base_url": url, "target": "甲公司"})
            assert r.status_code == 200 and secret not in r.text
            with pytest.raises(ConfigError) as cli:
                validate_config({"channels": {"heimao": {"base_url": url}}})
            assert cli.value.problems[0]["message"] in r.text  # the CLI's message, at the field
            assert secret not in str(cli.value)
        r = _post_channel(c, "heimao", {"base_url": "https://x.example/\r\nX-Injected: 1"})
        assert "含有换行符" in r.text
        r = _post_channel(c, "email", {"password": secret, "smtp_pass": secret})  # not fields: never written
        assert r.status_code == 303
    assert secret not in (home / "config.yaml").read_text("utf-8")


def test_assisted_reasons_and_choices_checked_at_the_field(server) -> None:
    from kameng_filer.config import channel_settings

    with httpx.Client(base_url=server.url, headers={"origin": server.url}, timeout=30) as c:
        c.get(server.entry_url)
        r = _post_channel(c, "alipay", {"reasons": "没有冒号的一行"})
        assert "缺少冒号" in r.text and 'data-key="reasons"' in r.text
        r = _post_channel(c, "alipay", {"reasons": "invalid_card_kye：商品问题", "text_max_len": "3"})
        assert "不是问题类型" in r.text and "invalid_card_key" in r.text and "不能小于 5" in r.text
        r = _post_channel(c, "card_platform@xingchen", {"mode": "ftp", "smtp_port": "25"})
        assert "不在可选范围内" in r.text  # a forged choice; keys not of this channel are not read
        r = _post_channel(
            c,
            "alipay",
            {"reasons": "invalid_card_key：商品问题\nnot_delivered: 未收到货", "text_max_len": "500"},
        )
        assert r.status_code == 303
    assert channel_settings("alipay") == {
        "reasons": {"invalid_card_key": "商品问题", "not_delivered": "未收到货"},
        "text_max_len": 500,
    }


def test_saving_a_channel_keeps_the_hand_written_file(server, home: Path) -> None:
    from kameng_filer.config import channel_settings, load_config

    path = home / "config.yaml"
    before = path.read_text("utf-8")
    hand = (
        "# 我的设置（手写）\n"
        "channels:\n"
        "  12315:   # 全国12315平台\n"
        "    handling_address: 浙江省杭州市西湖区  # 住所地\n"
        "    timeout: 30\n"
        "  heimao:\n"
        "    target: '某某公司'   # 引号保留\n"
    )
    path.write_text(hand, "utf-8")
    try:
        with httpx.Client(base_url=server.url, headers={"origin": server.url}, timeout=30) as c:
            c.get(server.entry_url)
            r = _post_channel(c, "12315", {"handling_address": "浙江省杭州市西湖区", "timeout": "90"})
            assert r.status_code == 303
            text = path.read_text("utf-8")
            for kept in ("# 我的设置（手写）", "# 全国12315平台", "# 住所地", "'某某公司'   # 引号保留"):
                assert kept in text
            assert "timeout: 90" in text and channel_settings("12315")["timeout"] == 90
            r = _post_channel(c, "email", {"smtp_host": "smtp.example.com"})  # a new section added
            assert r.status_code == 303 and "# 住所地" in path.read_text("utf-8")
            assert load_config()["channels"]["email"] == {"smtp_host": "smtp.example.com"}
    finally:
        path.write_text(before, "utf-8")
