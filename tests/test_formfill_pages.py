"""The form runner on small pages in real Chromium: native validation, nested iframes, alerts, wizard stalls."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from kameng_filer.errors import ChannelRejected
from kameng_filer.filing.browser_pool import BrowserPool
from kameng_filer.filing.formfill import FormRunner
from kameng_filer.filing.person import NoPerson
from kameng_filer.filing.profile import Profile

pytestmark = pytest.mark.browser


class Ctx:
    """A minimal filing context that records the ``submitting`` mark."""

    channel = "test"
    dry_run = False

    def __init__(self, artifacts: Path) -> None:
        self.person = NoPerson()
        self.artifacts = artifacts
        self.marked: list[dict[str, Any]] = []

    async def about_to_submit(self, values: dict[str, Any]) -> None:
        self.marked.append(values)

    def progress(self, text: str) -> None:
        pass


def profile(**extra: Any) -> Profile:
    data: dict[str, Any] = {
        "name": "inline",
        "title": "inline",
        "base_url": "http://127.0.0.1:1/",
        "fields": {"title": {"label": "标题"}},
        "steps": [{"fill": "title"}],
        "submit": {"role": "button", "name": "提交"},
        "receipt": {"pattern": r"NO\d{6}"},
    }
    data.update(extra)
    return Profile.model_validate(data)


async def run(
    html: str, prof: Profile, values: dict[str, Any], tmp_path: Path, *, submit: bool = True
) -> tuple[FormRunner, Any]:
    pool = BrowserPool()
    try:
        page = await (await pool.context()).new_page()
        await page.set_content(html)
        runner = FormRunner(page, prof, values, [], Ctx(tmp_path))
        await runner.run(prof.steps)
        result = await runner.submit(prof.receipt) if submit else None
        return runner, result
    finally:
        await pool.close()


def test_native_required_field_blocks_the_submit_and_is_reported(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("KAMENG_RECEIPT_TIMEOUT_MS", "5000")
    html = """<form onsubmit="event.preventDefault(); document.body.append('NO123456')">
      <label for=t>标题</label><input id=t>
      <label for=c>联系电话</label><input id=c required>
      <button>提交</button></form>"""
    with pytest.raises(ChannelRejected) as info:
        asyncio.run(run(html, profile(), {"title": "测试标题"}, tmp_path))
    assert "联系电话" in info.value.message


def test_fields_in_nested_iframes(tmp_path: Path) -> None:
    inner = "<label for=x>联系电话</label><input id=x>"
    outer = f"<iframe id=inner srcdoc='{inner}'></iframe>"
    html = f"""<iframe id=outer srcdoc="{outer}"></iframe>
      <button onclick="const d = document.querySelector('#outer').contentDocument.querySelector('#inner').contentDocument;
        document.body.append('NO' + d.querySelector('#x').value.slice(-6))">提交</button>"""
    prof = profile(
        fields={"phone": {"label": "联系电话", "frame": ["iframe#outer", "iframe#inner"]}},
        steps=[{"fill": "phone"}],
    )
    runner, (number, where) = asyncio.run(run(html, prof, {"phone": "13800138000"}, tmp_path))
    assert number == "NO138000" and where == "page"
    assert runner.ctx.marked, "the submitting mark was written before the click"


def test_an_alert_matching_error_pattern_rejects(tmp_path: Path) -> None:
    html = """<label for=t>标题</label><input id=t>
      <button onclick="alert('提交失败:标题含有敏感词')">提交</button>"""
    with pytest.raises(ChannelRejected) as info:
        asyncio.run(run(html, profile(error_pattern="失败"), {"title": "测试标题"}, tmp_path))
    assert "标题含有敏感词" in info.value.message


def test_a_wizard_that_does_not_move_on_reports_the_page_message(tmp_path: Path) -> None:
    html = """<label for=t>标题</label><input id=t><p class=err></p>
      <button onclick="document.querySelector('.err').textContent = '请先上传凭证'">下一步</button>
      <section hidden><label for=d>说明</label><input id=d></section>"""
    prof = profile(
        steps=[
            {"fill": "title"},
            {"click": {"role": "button", "name": "下一步"}},
            {"wait": {"label": "说明"}, "timeout_ms": 1500},
        ],
        errors={"css": ".err"},
    )
    with pytest.raises(ChannelRejected) as info:
        asyncio.run(run(html, prof, {"title": "测试标题"}, tmp_path, submit=False))
    assert info.value.message == "页面提示：请先上传凭证"


def test_a_long_typed_text_gets_time_in_proportion_to_its_length(tmp_path: Path) -> None:
    """Typing key by key a text longer than one action's timeout allows (a long 12315 text on a busy
    machine) is not "无法操作": the typing gets time per key."""
    text = "投诉内容逐字输入" * 5  # 40 keys at 50 ms: over the 1 s action timeout below

    async def go() -> str:
        pool = BrowserPool()
        try:
            page = await (await pool.context()).new_page()
            await page.set_content("<label for=c>内容</label><textarea id=c></textarea>")
            page.set_default_timeout(1000)
            prof = profile(
                fields={"content": {"label": "内容", "widget": "type", "type_delay_ms": 50}},
                steps=[{"fill": "content"}],
            )
            runner = FormRunner(page, prof, {"content": text}, [], Ctx(tmp_path))
            await runner.run(prof.steps)
            return await page.input_value("#c")
        finally:
            await pool.close()

    assert asyncio.run(go()) == text
