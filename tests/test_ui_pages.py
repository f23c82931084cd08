"""The workspace in the real Chromium: home, .ics export, dispute page, export; desktop and phone width.

Screenshots of every page at both widths are saved under the pytest temporary folder (``ui-screens``).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from tests.ui_browser import shoot
from tests.ui_support import CASE, browser_fixtures, workspace_fixtures

pytestmark = [pytest.mark.browser]

RED = "rgb(198, 40, 40)"
INTERNAL_WORDS = ("submitted", "filing_state", "follow_up", "planned", "lapsed", "complaint", "None")


seeded, _home, server = workspace_fixtures("ui-home")
screens, browser, page = browser_fixtures("ui-screens")


def _visible_text(page) -> str:
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    return page.inner_text("main")


def test_home_shows_states_numbers_countdowns(page, server, screens: Path) -> None:
    assert page.url == f"{server.url}/"  # the token left the address bar
    assert page.get_by_role("heading", name="我的纠纷").is_visible()
    card = page.locator("section.case")
    assert "王者荣耀点券充值未到账" in card.inner_text()
    twelve = card.locator("li.filing", has_text="全国12315平台")
    assert "已提交" in twelve.inner_text() and "3301102026110212345678901" in twelve.inner_text()
    overdue = twelve.locator(".countdown")
    assert overdue.inner_text() == "已逾期"
    assert overdue.evaluate("e => getComputedStyle(e).color") == RED
    heimao = card.locator("li.filing", has_text="黑猫投诉")
    assert "17358899" in heimao.inner_text() and "到期后礼貌催办" in heimao.inner_text()
    running_clock = heimao.locator(".countdown")
    assert running_clock.inner_text() == "还剩 6 个工作日"
    assert running_clock.evaluate("e => getComputedStyle(e).color") != RED
    calendar = page.locator("ol.deadlines li")
    assert calendar.count() == 4 and "已逾期" in calendar.first.inner_text()
    assert "（暂定）" in calendar.last.inner_text()  # 3-year limitation runs into unpublished holidays
    shoot(page, screens, "home")
    text = _visible_text(page)
    for word in INTERNAL_WORDS:
        assert not re.search(rf"\b{word}\b", text), word


def test_ics_export_imports_as_calendar(page) -> None:
    with page.expect_download() as info:
        page.get_by_role("link", name="导出到手机日历（.ics）").click()
    download = info.value
    assert download.suggested_filename == "kameng-deadlines.ics"
    body = Path(download.path()).read_bytes()
    text = body.decode("utf-8")
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert text.count("BEGIN:VEVENT") == 4
    assert "DTSTART:20261111T155959Z" in text  # 2026-11-11 23:59:59 Beijing time
    assert all(len(line.encode()) <= 75 for line in body.decode().split("\r\n"))
    unfolded = text.replace("\r\n ", "")
    assert "SUMMARY:受理或不予受理的决定（全国12315平台）" in unfolded


def test_dispute_page(page, screens: Path) -> None:
    page.locator("section.case h2").get_by_role("link", name="王者荣耀点券充值未到账").click()
    page.wait_for_url(f"**/cases/{CASE}")
    assert page.get_by_role("heading", name="王者荣耀点券充值未到账").is_visible()
    plan = page.locator("#plan")
    assert "理由：" in plan.inner_text()
    excluded = plan.locator("ul.excluded li", has_text="消费者协会")
    assert "12315" in excluded.inner_text()  # 12315 ⟂ 消协
    check = page.locator("#check")
    at_field = check.locator("dd", has=page.locator(".finding.warning")).first
    assert "平台投诉时限" in at_field.inner_text() and "建议：" in at_field.inner_text()
    assert check.locator("dt", has_text="platform_policy.complaint_window").count() == 1
    texts = page.locator("#texts")
    texts.locator("summary", has_text="全国12315平台").click()
    counts = texts.locator(".count").all_inner_texts()
    assert any(re.fullmatch(r"\d+ 字 / 上限 \d+", c) for c in counts)
    assert "没有“复核”程序" in texts.inner_text()
    timeline = page.locator("#timeline").inner_text()
    assert "待提交 → 已提交" in timeline and "3301102026110212345678901" in timeline
    receipts = page.locator("#channels table")
    assert "17358899" in receipts.inner_text()
    shot = receipts.locator("tr", has_text="17358899").locator("img.thumb")
    shot.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=shot.element_handle())
    assert receipts.locator("tr", has_text="3301102026110212345678901").locator("img").count() == 0
    shoot(page, screens, "case")
    text = _visible_text(page)
    for word in ("filing_state", "submitted", "follow_up", "None"):
        assert not re.search(rf"\b{word}\b", text), word


def test_export_button_downloads_the_bundle(page, tmp_path: Path) -> None:
    page.goto(page.url.rstrip("/") + f"/cases/{CASE}")
    with page.expect_download() as info:
        page.get_by_role("button", name="导出完整版（含个人信息）").click()
    download = info.value
    assert download.suggested_filename == f"{CASE}-材料包.zip"
    target = tmp_path / "bundle.zip"
    download.save_as(target)
    with zipfile.ZipFile(target) as zf:
        names = zf.namelist()
    assert sum(n.lower().endswith(".png") for n in names) >= 4  # the example's evidence screenshots
    assert page.url.endswith(f"/cases/{CASE}")  # the page stays; nothing half-written is left
