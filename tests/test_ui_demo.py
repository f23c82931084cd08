"""``kameng ui --demo``: the twins running and both example disputes stored; filing one from the page with
the labelled 演示 button reading the twin's captcha; the CLI starts, serves the demo folder and stops."""

from __future__ import annotations

import os
import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from kameng_filer.store import Store
from kameng_filer.ui import UiServer, create_app
from kameng_filer.ui.demo import demo_workspace
from tests.ui_browser import chromium, shoot, workspace_page
from tests.ui_support import cli_workspace

pytestmark = [pytest.mark.browser]


def _file_with_the_demo_button(page, channel: str, shown: str, answered, value: str) -> None:
    """File ``channel`` from the open filing page, let the 演示 button answer the question showing
    ``shown``, wait for ``answered(value)``, send, and see it submitted."""
    page.check(f"input[value='{channel}']")
    page.click("button[value='file']")
    page.wait_for_selector(f"form.ask {shown}", timeout=90000)
    page.click("form.ask button.demo")
    answered(value, timeout=30000)
    page.click("form.ask button[type=submit]")
    page.wait_for_selector("#run[data-finished='1']", timeout=90000)
    assert page.locator(".run-channel .progress").inner_text().startswith("已提交")


def test_demo_workspace_files_from_the_page_with_the_demo_button(tmp_path: Path) -> None:
    home = tmp_path / "demo"
    with (
        demo_workspace(home) as answerer,
        UiServer(create_app(demo=answerer)) as server,
        chromium() as browser,
    ):
        assert os.environ["KAMENG_HOME"] == str(home)
        with workspace_page(browser, server.entry_url) as page:
            body = page.locator("main").inner_text()
            assert "王者荣耀点券充值未到账" in body and "Steam充值卡卡密无效" in body
            page.goto(f"{server.url}/cases/km-2026-0001/file")
            names = page.locator("input[name=channel]").evaluate_all("l => l.map(i => i.value)")
            assert {"card_platform@demo-a", "card_platform@demo-b", "12315", "heimao", "alipay"} <= set(names)
            answered = page.locator("form.ask input.answer")
            _file_with_the_demo_button(
                page, "card_platform@demo-a", "img.captcha", expect(answered).not_to_have_value, ""
            )
            shoot(page, tmp_path, "demo-filed")
            page.goto(
                f"{server.url}/cases/km-2026-0001/file"
            )  # a QR login: the script scans, the person confirms
            status = page.locator("form.ask .answer-status")
            _file_with_the_demo_button(
                page, "heimao", "img.qr", expect(status).to_contain_text, "已在孪生站点扫码"
            )
        store = Store.open(readonly=True)
        try:
            assert {c.id for c in store.list_cases()} == {"km-2026-0001", "km-2026-0002"}
            filed = {f.channel for f in store.filings("km-2026-0001", states=["submitted"])}
            assert filed == {"card_platform@demo-a", "heimao"}
        finally:
            store.close()
    assert "KAMENG_HOME" not in os.environ or os.environ["KAMENG_HOME"] != str(home)


def test_demo_button_is_not_offered_outside_the_demo(tmp_path: Path) -> None:
    with UiServer(create_app()) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        client.get(server.entry_url)
        r = client.post(
            "/runs/none/demo-answer",
            data={"csrf": server.app.state.kit.csrf, "question": "x"},
            headers={"Origin": server.url},
        )
        assert r.status_code == 404 and "error" in r.json()


def test_kameng_ui_demo_serves_the_examples_and_stops(kameng_home: Path) -> None:
    with cli_workspace("--demo") as (proc, url):
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/\?token=[\w-]{40,}", url), url
        with httpx.Client(timeout=30, follow_redirects=True) as client:
            r = client.get(url)
            assert r.status_code == 200
            assert "王者荣耀点券充值未到账" in r.text and "Steam充值卡卡密无效" in r.text
    out, err = proc.stopped
    assert proc.returncode == 0, err
    assert "工作台已停止" in out and "Traceback" not in err
    assert "演示数据保存在" in err
    assert [
        p for p in kameng_home.rglob("demo") if p.is_dir()
    ]  # the demo's own folder inside the data folder
