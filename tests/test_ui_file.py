"""Filing from the workspace in the real Chromium against the twins: dry run with screenshots, confirm,
live progress, captcha / SMS code / QR login answered in the page, two tabs filing exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest

from kameng_filer.secrets import env_name
from kameng_filer.store import Store
from kameng_filer.ui import UiServer, create_app
from tests import canaries
from tests.ui_browser import chromium, shoot
from tests.ui_browser import workspace_page as chromium_page
from tests.ui_filing_support import CASE, answer_in_page, filing_home

pytestmark = [pytest.mark.browser]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ui-file-home")


@pytest.fixture(scope="module")
def twins(home: Path):
    with filing_home(home) as ts:
        yield ts


@pytest.fixture(autouse=True)
def _env(home: Path, twins, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAMENG_HOME", str(home))
    monkeypatch.setenv(env_name("card_platform@a", "demo"), canaries.TWIN_PASSWORD)


@pytest.fixture(scope="module")
def server(twins):
    with UiServer(create_app()) as srv:
        yield srv


@pytest.fixture(scope="module")
def screens(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ui-file-screens")


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def _filings(channel: str) -> list:
    store = Store.open(readonly=True)
    try:
        return [f for f in store.filings(case_id=CASE) if f.channel == channel]
    finally:
        store.close()


def test_dry_run_then_file_answering_captcha_and_sms_in_the_page(browser, server, twins, screens) -> None:
    with chromium_page(browser, server.entry_url) as page:
        page.goto(f"{server.url}/cases/{CASE}")
        page.click("a[href='/cases/km-2026-0001/file']")
        shoot(page, screens, "file-form")
        page.check("input[value='card_platform@a']")
        page.check("input[value='card_platform@b']")
        page.click("button[value='dry']")
        page.wait_for_url("**/runs/*")
        answered = answer_in_page(page, twins)
        assert any("验证码" in p for p in answered), answered
        assert page.locator(".run-channel").count() == 2
        for state in page.locator(".run-channel .progress").all_inner_texts():
            assert "已演练" in state
        shots = page.locator("img.shot")
        assert shots.count() >= 2
        assert all(shots.nth(i).evaluate("i => i.naturalWidth") > 0 for i in range(shots.count()))
        assert page.locator("#plans dt", has_text="订单号").count() >= 1
        shoot(page, screens, "file-dry-run")
        assert _filings("card_platform@a") == []  # a dry run sends nothing

        page.click("#confirm button[type=submit]")
        page.wait_for_url("**/runs/*")
        page.wait_for_selector("#run[data-dry='0']")
        answered = answer_in_page(page, twins)
        assert any("短信" in p for p in answered), answered
        shoot(page, screens, "file-done")
        texts = page.locator(".run-channel .progress").all_inner_texts()
        assert all(t.startswith("已提交") for t in texts), texts
    for channel in ("card_platform@a", "card_platform@b"):
        (f,) = _filings(channel)
        assert f.state == "submitted" and f.complaint_no
    assert len(twins["card_a"].records()) == 1 and len(twins["card_b"].records()) == 1


def test_two_tabs_file_a_channel_exactly_once_qr_login_in_the_page(browser, server, twins, screens) -> None:
    with (
        chromium_page(browser, server.entry_url) as first,
        chromium_page(browser, server.entry_url) as second,
    ):
        for page in (first, second):
            page.goto(f"{server.url}/cases/{CASE}/file")
            page.check("input[value='heimao']")
        first.click("button[value='file']")
        first.wait_for_url("**/runs/*")
        answer_in_page(first, twins, stop_at_ask=True)  # tab 1 holds the channel, waiting for the QR scan
        assert first.locator("form.ask img.qr").count() == 1
        shoot(first, screens, "file-qr")

        second.click("button[value='file']")
        second.wait_for_url("**/runs/*")
        second.wait_for_selector("#run[data-finished='1']", timeout=60000)
        assert "另一运行正在提交" in second.locator(".run-channel .progress").inner_text()
        assert "另一个运行正在提交此渠道" in second.locator(".run-channel .result").inner_text()
        shoot(second, screens, "file-second-tab")

        answer_in_page(first, twins)
        assert first.locator(".run-channel .progress").inner_text().startswith("已提交")
    (f,) = _filings("heimao")
    assert f.state == "submitted"
    assert len(twins["heimao"].records()) == 1
