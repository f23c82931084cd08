"""Filing from the workspace in the real Chromium against the twins: dry run with screenshots, confirm,
live progress, captcha / SMS code / QR login answered in the page, two tabs filing exactly once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from kameng_filer.secrets import env_name
from kameng_filer.store import Store
from kameng_filer.timeutil import as_shanghai
from kameng_filer.ui import UiServer, create_app
from kameng_filer.workdays import default_calendar
from tests import canaries
from tests.ui_browser import chromium, shoot
from tests.ui_browser import workspace_page as chromium_page
from tests.ui_filing_support import CASE, answer_in_page, filing_home, in_thread

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


def _polite() -> None:
    """No minimum gap between status reads (the tracker passes below are minutes apart)."""
    import yaml

    from kameng_filer import paths

    (paths.user_schedules_dir() / "_common.yaml").write_text(
        yaml.safe_dump({"polling": {"min_gap_seconds": 0}}), encoding="utf-8"
    )


def _tick(text: str) -> list[dict]:
    """One tracker pass at ``text``; the actions it took."""
    from kameng_filer.timeutil import parse_iso
    from kameng_filer.tracker.tick import run_pass

    def one() -> list[dict]:
        store = Store.open()
        try:
            return run_pass(store, parse_iso(text)).actions
        finally:
            store.close()

    return in_thread(one)


def _card_a_filed(twins) -> object:
    """The card A filing (filed from the page by the first test, or here by the demo's scripted person)."""
    from tests.filing_support import file_now, scripted

    found = [f for f in _filings("card_platform@a") if f.state == "submitted"]
    if not found:
        in_thread(file_now, CASE, ["card_platform@a"], scripted(twins, ["card_platform@a"]))
        found = [f for f in _filings("card_platform@a") if f.state == "submitted"]
    return found[0]


def test_tracker_follow_up_reject_escalate_and_pdf_on_the_dispute_page(
    browser, server, twins, screens
) -> None:
    from kameng_filer.timeutil import parse_iso

    filing = _card_a_filed(twins)
    store = Store.open()
    try:
        store.update_filing(filing.id, submitted_at=parse_iso("2026-11-10T10:00:00"))
    finally:
        store.close()
    _polite()
    _tick("2026-11-10T10:05:00")
    _tick("2026-11-11T10:30:00")  # the 24 h review lapsed: the tracker follows up on the twin
    twins["card_a"].operate(filing.complaint_no, "reply", "请提供游戏内充值记录截图")
    _tick("2026-11-11T17:00:00")
    (record,) = [r for r in twins["card_a"].records() if r["ticket_no"] == filing.complaint_no] or [None]
    assert record is not None and any(r["by"] == "user" for r in record["replies"])

    with chromium_page(browser, server.entry_url) as page:
        page.goto(f"{server.url}/cases/{CASE}")
        history = page.locator("#timeline").inner_text()
        assert "催办" in history and "请提供游戏内充值记录截图" in history
        sent = page.locator("#channels .filing", has_text="工单/投诉(a)").locator(".follow-ups").inner_text()
        assert sent.startswith("已发出 1 次"), sent  # follow-ups sent; the planned next step is below it
        shoot(page, screens, "case-after-tick")

        page.click("a[href='/cases/km-2026-0001/actions']")
        page.locator("#number select").select_option("alipay")
        page.locator("#number input[name=value]").fill("不是 单号")
        page.locator("#number button").click()
        assert "不像投诉单号" in page.locator("#number .field-error").inner_text()
        page.locator("#escalate select").select_option("card_platform@a")
        page.locator("#escalate button").click()
        assert "没有等待确认的升级" in page.locator("#escalate .field-error").inner_text()
        page.locator("#reject select").select_option("card_platform@a")
        page.locator("#reject input[name=reason]").fill("只退了一半")
        page.locator("#reject button").click()
        assert "已记录：不接受处理结果" in page.locator("[role=status]").inner_text()
        shoot(page, screens, "case-actions")

        # the tracker prepares the escalation; filing it from the page logs in again (the twin dropped
        # every session): the captcha is shown enlarged in the run page and answered there
        # the next working day at 10:00, inside quiet hours (which skip weekends and holidays)
        today = as_shanghai(datetime.now(UTC))
        workday = default_calendar().next_workday(today.date())
        day = today.replace(year=workday.year, month=workday.month, day=workday.day, hour=10, minute=0)
        actions = _tick(day.isoformat())
        assert [a["status"] for a in actions if a["kind"] == "escalation"][-1] == "pending_person", actions
        twins["card_a"].expire_sessions()
        before = len(twins["card_a"].records())
        page.locator("#escalate select").select_option("card_platform@a")
        page.locator("#escalate button").click()
        page.wait_for_url("**/runs/*")
        assert page.locator("h1").inner_text() == "提交升级"
        captcha = page.locator("form.ask img.captcha")
        captcha.wait_for()
        page.wait_for_function("() => document.querySelector('form.ask img.captcha').naturalWidth > 0")
        assert captcha.evaluate("i => i.naturalWidth") >= 200  # enlarged for the person
        shoot(page, screens, "escalate-captcha")
        answered = answer_in_page(page, twins)
        assert any("验证码" in p for p in answered), answered
        progress = page.locator(".run-channel .progress").first.inner_text()
        assert progress.startswith("升级已完成："), progress
        assert len(twins["card_a"].records()) == before + 1  # filed once

        page.goto(f"{server.url}/cases/{CASE}")
        history = page.locator("#timeline").inner_text()
        assert "升级" in history
        for word in ("pending_person", "submitted", "escalation", "needs_person", "internal"):
            assert word not in history, word

        pdf = page.request.get(f"{server.url}/cases/{CASE}/summary.pdf")
        assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.body().startswith(b"%PDF") and len(pdf.body()) > 5000
    store = Store.open(readonly=True)
    try:
        rejects = [e for e in store.events(CASE) if e.kind == "reject"]
    finally:
        store.close()
    assert len(rejects) == 1 and rejects[0].data["reason"] == "只退了一半"


def test_bad_filing_requests_are_chinese_messages(server) -> None:
    import httpx

    csrf = server.app.state.kit.csrf
    with httpx.Client(base_url=server.url, timeout=60, headers={"Origin": server.url}) as client:
        client.get(server.entry_url)
        none = client.post(f"/cases/{CASE}/file", data={"csrf": csrf, "mode": "dry"})
        assert none.status_code == 200 and "请至少选择一个渠道" in none.text
        odd = client.post(f"/cases/{CASE}/file", data={"csrf": csrf, "channel": "../../etc", "mode": "dry"})
        assert "没有这个渠道：../../etc" in odd.text
        assert client.post(f"/cases/{CASE}/file", data={"channel": "heimao"}).status_code == 403
        assert client.get("/cases/km-nope/file").status_code == 404
        assert client.get("/runs/not-a-run").status_code == 404
        assert client.get("/runs/not-a-run/events").status_code == 404
        answer = client.post("/runs/not-a-run/answer", data={"csrf": csrf, "question": "q", "value": "1"})
        assert answer.status_code == 404 and answer.json()["error"]["message"]
        assert client.get("/runs/not-a-run/outcomes/0/shots/0").status_code == 404
        none = client.post(f"/cases/{CASE}/actions/escalate", data={"csrf": csrf, "channel": "heimao"})
        assert none.status_code == 200 and "没有等待确认的升级" in none.text
        empty = client.post(f"/cases/{CASE}/actions/escalate", data={"csrf": csrf, "channel": ""})
        assert empty.status_code == 200 and "请选择渠道" in empty.text
        forged = client.post(f"/cases/{CASE}/actions/escalate", data={"channel": "card_platform@a"})
        assert forged.status_code == 403
