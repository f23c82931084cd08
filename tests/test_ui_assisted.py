"""Assisted channels in the workspace (real Chromium): step cards with copy buttons and the prepared images,
recording the complaint number and status (as ``kameng report``), and the read-only phone guide of LAN
mode (``kameng ui --lan``), refused without its token."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from kameng_filer.store import Store
from kameng_filer.ui import UiServer, create_app
from kameng_filer.ui.lan import LanAccess
from tests.ui_browser import shoot, workspace_page
from tests.ui_filing_support import CASE, ROOT
from tests.ui_support import browser_fixtures

pytestmark = [pytest.mark.browser]
NUMBER = "2026112200012345678"
APP_SHOT = ROOT / "examples" / "evidence" / "order.png"
"""Stands in for the App's complaint page: a phone screenshot with the person's details on it."""


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("ui-assisted-home")
    folder = home.parent / f"{home.name}-case"
    shutil.copytree(ROOT / "examples", folder)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KAMENG_HOME", str(home))
        store = Store.open()
        try:
            store.import_case(folder / "case.yaml")
        finally:
            store.close()
    return home


@pytest.fixture(autouse=True)
def _env(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAMENG_HOME", str(home))


@pytest.fixture(scope="module")
def lan() -> LanAccess:
    return LanAccess(host="127.0.0.2")  # the LAN listener's address (a second loopback address in tests)


@pytest.fixture(scope="module")
def server(home: Path, lan: LanAccess):
    with UiServer(create_app(lan=lan), lan=True) as srv:
        yield srv


screens, browser, _page = browser_fixtures("ui-assisted-screens")


def _filing():
    store = Store.open(readonly=True)
    try:
        return store.get_filing(CASE, "alipay"), store.events(CASE)
    finally:
        store.close()


def test_walk_alipay_steps_copy_images_and_record_number_and_status(browser, server, screens, home: Path) -> None:
    with workspace_page(browser, server.entry_url) as page:
        page.context.grant_permissions(["clipboard-read", "clipboard-write"])
        page.goto(f"{server.url}/cases/{CASE}")
        page.click("a[href='/cases/km-2026-0001/assisted/alipay']")
        assert page.locator(".step").count() >= 3
        assert page.locator(".phone-qr img").evaluate("i => i.naturalWidth") > 100
        images = page.locator(".prepared-images img")
        assert images.count() >= 1
        assert all(images.nth(i).evaluate("i => i.naturalWidth") > 0 for i in range(images.count()))
        text = page.locator("#guide-text").inner_text()
        assert 10 < len(text) <= 200  # the app's limit
        button = page.locator("button[data-copy='guide-text']")
        button.click()
        expect(button).to_have_text("已复制")  # the clipboard promise settles after the click
        assert page.evaluate("navigator.clipboard.readText()") == text
        shoot(page, screens, "assisted-guide")

        form = page.locator("form.record-number")
        form.locator("input[name=value]").fill("不是单号")
        form.locator("button").click()
        assert "不像投诉单号" in page.locator("form.record-number .field-error").inner_text()
        assert _filing()[0] is None  # nothing recorded
        form = page.locator("form.record-number")
        form.locator("input[name=value]").fill(NUMBER)
        fake = {"name": "../../etc/app.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n not a picture"}
        form.locator("input[name=screenshot]").set_input_files(fake)
        form.locator("button").click()
        assert "不是可以读取的图片" in page.locator("form.record-number .field-error").inner_text()
        assert _filing()[0] is None  # nothing recorded, nothing kept
        assert not list((home / "artifacts").rglob("*-reports/*"))
        form = page.locator("form.record-number")
        form.locator("input[name=value]").fill(NUMBER)
        form.locator("input[name=screenshot]").set_input_files(
            {"name": "../../支付宝 截图.png", "mimeType": "image/png", "buffer": APP_SHOT.read_bytes()}
        )
        form.locator("button").click()
        assert "已记录投诉单号" in page.locator("[role=status]").inner_text()
        assert page.locator(".filing-state").inner_text() == "已提交"

        page.locator("form.record-status input[name=value]").fill("商家已回复")
        page.locator("form.record-status input[name=note]").fill("商家说三天内退款")
        page.locator("form.record-status button").click()
        assert "已记录状态" in page.locator("[role=status]").inner_text()
        page.locator("form.record-status input[name=value]").fill("看不懂的状态")
        page.locator("form.record-status button").click()
        assert "不认识" in page.locator("form.record-status .field-error").inner_text()
        shoot(page, screens, "assisted-recorded")
        # the App's screenshot is the receipt's: shown on the dispute page
        page.goto(f"{server.url}/cases/{CASE}")
        thumb = page.locator("#channels img.thumb")
        expect(thumb).to_have_count(1)
        page.wait_for_function("() => document.querySelector('#channels img.thumb').naturalWidth > 0")
    filing, events = _filing()
    assert filing.state == "submitted" and filing.complaint_no == NUMBER
    statuses = [e for e in events if e.kind == "status"]
    assert len(statuses) == 1 and statuses[0].data["raw"] == "商家已回复"
    kept = Path(filing.receipt["screenshot"])
    assert kept.parent.name == "alipay-reports" and kept.parent.parent.parent == home / "artifacts"
    assert "etc" not in kept.name and "截图" not in kept.name and kept.read_bytes() == APP_SHOT.read_bytes()


def test_app_screenshot_goes_masked_into_the_public_export(browser, server, home: Path) -> None:
    """The App screenshot kept by the walk above: as it is in the full export, masked in the public one."""
    import io
    import zipfile

    filing, _ = _filing()
    if filing is None or not filing.receipt.get("screenshot"):
        pytest.skip("needs the screenshot recorded by the walk test")
    kept = Path(filing.receipt["screenshot"])
    csrf = server.app.state.kit.csrf
    bundles = {}
    with httpx.Client(base_url=server.url, timeout=120, headers={"Origin": server.url}) as client:
        client.get(server.entry_url)
        for public in ("0", "1"):
            r = client.post(f"/cases/{CASE}/export", data={"csrf": csrf, "public": public})
            assert r.status_code == 200, r.text[:300]
            bundles[public] = zipfile.ZipFile(io.BytesIO(r.content))
    full = [n for n in bundles["0"].namelist() if n.endswith(kept.name)]
    assert len(full) == 1 and bundles["0"].read(full[0]) == kept.read_bytes()
    masked = [n for n in bundles["1"].namelist() if n.endswith(kept.name)]
    assert len(masked) == 1
    picture = bundles["1"].read(masked[0])
    assert picture != kept.read_bytes() and picture.startswith(b"\x89PNG")


def test_phone_guide_read_only_with_token_refused_without(browser, server, lan, screens) -> None:
    url = lan.guide_url(CASE, "alipay")
    assert url.startswith(f"http://127.0.0.2:{server.port}/phone/")
    path = url.split(f":{server.port}", 1)[1]
    lan_host = {"Host": f"192.0.2.7:{server.port}"}
    with httpx.Client(base_url=server.url, timeout=30) as client:
        ok = client.get(path, headers=lan_host)
        assert ok.status_code == 200 and "操作指引" in ok.text
        assert "<form" not in ok.text and "csrf" not in ok.text and server.app.state.token not in ok.text
        wrong = re.sub(r"/phone/[^/]+/", "/phone/not-the-token/", path)
        assert client.get(wrong, headers=lan_host).status_code == 404
        assert client.post(path, headers=lan_host).status_code == 405
        # the workspace itself: not from the network, not without the session cookie
        assert client.get("/", headers=lan_host).status_code == 421
        assert client.get(f"/cases/{CASE}/assisted/alipay").status_code == 403
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(server.url + path)
        assert page.locator(".step").count() >= 3
        assert page.locator(".prepared-images img").first.evaluate("i => i.naturalWidth") > 0
        page.screenshot(path=str(screens / "phone-guide-phone.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        assert errors == []
    finally:
        context.close()


def test_phone_guide_needs_lan_mode(home: Path) -> None:
    access = LanAccess(host="192.0.2.7")
    with UiServer(create_app()) as srv, httpx.Client(base_url=srv.url, timeout=30) as client:
        access.port_ref[0] = srv.port
        path = access.guide_url(CASE, "alipay").split(f":{srv.port}", 1)[1]
        assert client.get(path).status_code == 403  # no LAN mode: the phone path is a workspace page


def test_bad_guide_requests_are_chinese_pages(server) -> None:
    with httpx.Client(base_url=server.url, timeout=30, headers={"Origin": server.url}) as client:
        client.get(server.entry_url)
        wrong_payment = client.get(f"/cases/{CASE}/assisted/wechat_pay")  # the example was paid by Alipay
        assert wrong_payment.status_code == 400 and "微信支付" in wrong_payment.text
        assert "Traceback" not in wrong_payment.text
        assert client.get(f"/cases/{CASE}/assisted/email").status_code == 404
        assert client.get("/cases/km-nope/assisted/alipay").status_code == 404
        for name in ("..%2F..%2Fkameng.db", "01-..", "guide.md", "x" * 300):
            assert client.get(f"/cases/{CASE}/assisted/alipay/images/{name}").status_code == 404
        stale = client.post(f"/cases/{CASE}/assisted/alipay/number", data={"value": NUMBER})
        assert stale.status_code == 403 and "表单已失效" in stale.text
        csrf = server.app.state.kit.csrf
        empty = client.post(f"/cases/{CASE}/assisted/alipay/number", data={"csrf": csrf, "value": " "})
        assert empty.status_code == 200 and "请填写投诉单号" in empty.text
        long = client.post(f"/cases/{CASE}/assisted/alipay/status", data={"csrf": csrf, "value": "x" * 600})
        assert "内容太长" in long.text
        assert client.post(f"/cases/{CASE}/assisted/alipay/other", data={"csrf": csrf}).status_code == 404


def test_kameng_ui_lan_says_what_the_network_may_open(kameng_home: Path) -> None:
    import os
    import signal
    import subprocess

    kameng = str(Path(__file__).resolve().parent.parent / ".venv" / "bin" / "kameng")
    proc = subprocess.Popen(
        [kameng, "ui", "--lan", "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200", "BROWSER": "false"},
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        for line in proc.stdout:
            lines.append(line)
            if "局域网访问已开启" in line:
                break
        url = next(x.strip() for x in lines if x.startswith("http://"))
        port = re.search(r":(\d+)/", url)[1]
        with httpx.Client(timeout=30, follow_redirects=True) as client:
            assert client.get(url).status_code == 200  # the workspace on 127.0.0.1 as usual
            assert client.get(f"http://127.0.0.1:{port}/phone/guess/{CASE}/alipay").status_code == 404
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0 and "Traceback" not in err


def test_app_screenshot_check_refuses_what_is_not_a_usable_picture() -> None:
    import io

    from PIL import Image

    from kameng_filer.errors import KamengError
    from kameng_filer.ui import appshot

    def picture(fmt: str, size: tuple[int, int] = (40, 80), mode: str = "RGB") -> bytes:
        out = io.BytesIO()
        Image.new(mode, size, "white").save(out, format=fmt)
        return out.getvalue()

    png = picture("PNG")
    assert appshot.checked_image(png) == (png, ".png")
    jpeg = picture("JPEG")
    assert appshot.checked_image(jpeg) == (jpeg, ".jpg")
    kept, suffix = appshot.checked_image(picture("WEBP"))
    assert suffix == ".png" and kept.startswith(b"\x89PNG")  # kept as PNG, which every page shows
    refused = {
        "empty": b"",
        "gif": picture("GIF"),
        "truncated": png[: len(png) // 2],
        "text named .png": b"\x89PNG\r\n\x1a\n" + b"x" * 100,
        "too big": b"\x89PNG" + b"\0" * appshot.MAX_BYTES,
        "too many pixels": picture("PNG", (8000, 6000), "1"),  # 1 bit a pixel: small to make
    }
    for what, data in refused.items():
        with pytest.raises(KamengError) as err:
            appshot.checked_image(data)
        assert err.value.hint == appshot.HINT, what
        assert "Traceback" not in err.value.message and err.value.message.endswith("。"), what
