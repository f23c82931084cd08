"""Filing from the workspace on the browser channels test_ui_file.py does not cover — family C, 12315 and
the consumer association — answering 12315's login captcha in the page, in the demo workspace (both example
disputes: 12315 and the association never get the same dispute)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kameng_filer.store import Store
from kameng_filer.ui import UiServer, create_app
from kameng_filer.ui.demo import demo_workspace
from tests.ui_browser import chromium, shoot, workspace_page
from tests.ui_filing_support import answer_in_page

pytestmark = [pytest.mark.browser]


def _file(page, url: str, case: str, channels: list[str], person) -> list[str]:
    """Choose ``channels`` on ``case``'s filing page, file, answer in the page; the prompts answered."""
    page.goto(f"{url}/cases/{case}/file")
    for channel in channels:
        page.check(f"input[value='{channel}']")
    page.click("button[value='file']")
    page.wait_for_url("**/runs/*")
    answered = answer_in_page(page, None, person=person)
    progress = page.locator(".run-channel .progress").all_inner_texts()
    assert len(progress) == len(channels) and all(t.startswith("已提交") for t in progress), progress
    return answered


def _submitted(case: str) -> dict[str, str]:
    store = Store.open(readonly=True)
    try:
        return {f.channel: f.complaint_no for f in store.filings(case, states=["submitted"])}
    finally:
        store.close()


def test_family_c_12315_and_the_association_filed_from_the_page(tmp_path: Path) -> None:
    with (
        demo_workspace(tmp_path / "demo") as person,
        UiServer(create_app()) as server,
        chromium() as browser,
        workspace_page(browser, server.entry_url) as page,
    ):
        first = ["card_platform@demo-c", "12315"]
        answered = _file(page, server.url, "km-2026-0001", first, person)
        assert any("验证码" in p for p in answered), answered  # 12315's login captcha, in the page
        shoot(page, tmp_path, "file-c-12315")
        _file(page, server.url, "km-2026-0002", ["consumer_association"], person)  # no login there
        shoot(page, tmp_path, "file-association")

        filed = _submitted("km-2026-0001")
        assert set(filed) == set(first) and all(filed.values()), filed
        assert set(_submitted("km-2026-0002")) == {"consumer_association"}
        page.goto(f"{server.url}/cases/km-2026-0001")
        body = page.locator("main").inner_text()
        assert all(no in body for no in filed.values())  # the receipts on the dispute page
