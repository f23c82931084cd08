"""``kameng adapter record|try|check`` against pages shaped like a real 发卡 site, and readable captchas.

Small pages are served by a real HTTP server on 127.0.0.1 (``PageServer``); the 12315 twin stands in
for a site whose upload widget sends files at once.
"""

from __future__ import annotations

import asyncio
import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from PIL import Image
from typer.testing import CliRunner

from kameng_filer.case import load_case
from kameng_filer.cli import app
from kameng_filer.demo import DemoAnswerer
from kameng_filer.errors import FormChanged
from kameng_filer.filing.browser_pool import BrowserPool
from kameng_filer.filing.formfill import FormRunner
from kameng_filer.filing.person import NoPerson, ScriptedPerson
from kameng_filer.filing.probe import ProbeContext, try_profile
from kameng_filer.filing.profile import parse_profile
from kameng_filer.filing.record import build_draft
from kameng_filer.secrets import env_name
from tests import canaries
from tests.filing_support import twins_running

ENV = {"COLUMNS": "200", "NO_COLOR": "1"}

LOGIN_PAGE = """<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>会员登录</title></head><body>
<form method="post" action="/login">
  <div class="form-group"><label for="user">用户名</label>
    <input type="text" id="f_u" name="u" placeholder="手机号/邮箱/用户名"></div>
  <div class="form-group"><label for="pass">密码</label>
    <input type="password" id="f_p" name="p" placeholder="••••••••"></div>
  <div class="form-group"><label for="code">验证码</label>
    <input type="text" id="f_c" name="c"><img src="/captcha.png" alt=""></div>
  <div class="form-group"><input type="text" name="xq_ref"></div>
  <button type="submit">登录</button>
</form></body></html>"""

TICKET_PAGE = """<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>提交工单</title></head><body>
<form method="post" action="/ticket" onsubmit="return false">
  <label for="t">标题</label><input id="t" name="title">
  <label for="o">订单号</label><input id="o" name="order" disabled>
  <label for="d">内容</label><textarea id="d" name="content"></textarea>
  <input type="file" id="proof-input" name="proof" hidden>
  <button type="button" id="proof-btn" style="display:none">上传凭证</button>
  <button type="submit">提交工单</button>
</form></body></html>"""

TABLE_FORM_PAGE = """<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>投诉</title></head><body>
<form><table>
  <tr><td>订单编号</td><td><input type="text" name="f1"></td></tr>
  <tr><td>问题描述</td><td><textarea name="f2"></textarea></td></tr>
  <tr><td><span>联系QQ</span></td><td><input type="text" name="f3" autocomplete="off"></td></tr>
</table><button type="submit">提交投诉</button></form></body></html>"""

WIZARD_PAGE = """<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>售后申请</title></head><body>
<form onsubmit="return false"><label for="t">标题</label><input id="t" name="title">
  <button type="button" disabled>下一步</button></form></body></html>"""

TICKET_PROFILE = {
    "name": "local-ticket",
    "channel": "card_platform",
    "title": "本地工单页",
    "base_url": "http://127.0.0.1:1/",
    "fields": {
        "title": {"label": "标题"},
        "order": {"label": "订单号", "field": "order_no"},
        "contact": {"label": "联系方式"},
        "proof": {"css": "#proof-btn", "widget": "upload", "chooser": True},
        "content": {"label": "内容"},
    },
    "steps": [{"goto": "/ticket"}, {"fill": ["title", "order", "contact", "proof", "content"]}],
    "submit": {"role": "button", "name": "提交工单"},
    "receipt": {"pattern": "TK\\d+"},
    "errors": {"css": ".error"},
}


def _size(path: Path) -> tuple[int, int]:
    with Image.open(path) as img:
        return img.size


def _png(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (240, 240, 240)).save(buf, "PNG")
    return buf.getvalue()


class PageServer:
    """A real HTTP server on 127.0.0.1 answering fixed pages (path → (content type, body))."""

    def __init__(self, pages: dict[str, tuple[str, bytes]]) -> None:
        self.pages = pages
        self.hits: list[tuple[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                server.hits.append((self.command, self.path))
                path = self.path.split("?", 1)[0]
                kind, body = server.pages.get(path, ("text/html; charset=utf-8", b"<h1>404</h1>"))
                self.send_response(200 if path in server.pages else 404)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> PageServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def site() -> Iterator[PageServer]:
    """The login page, a ticket form and a 50×24 px captcha, like the real 发卡 system's."""
    html = "text/html; charset=utf-8"
    pages = {
        "/login": (html, LOGIN_PAGE.encode()),
        "/ticket": (html, TICKET_PAGE.encode()),
        "/wizard": (html, WIZARD_PAGE.encode()),
        "/table": (html, TABLE_FORM_PAGE.encode()),
        "/captcha.png": ("image/png", _png(50, 24)),
    }
    with PageServer(pages) as server:
        yield server


# ---------------------------------------------------------------- record


@pytest.mark.browser
def test_record_maps_untied_labels_and_bullet_placeholders_and_names_what_it_could_not(
    site: PageServer, tmp_path: Path
) -> None:
    out = tmp_path / "login.yaml"
    r = CliRunner().invoke(app, ["adapter", "record", site.url + "/login", "--out", str(out)], env=ENV)
    assert r.exit_code == 0, r.output
    text = out.read_text(encoding="utf-8")
    prof = parse_profile(text, origin="draft")
    user, password = prof.fields["f_u"], prof.fields["f_p"]
    assert user.field == "username", text  # not "contact" from the 手机号 placeholder
    assert password.field == "password", text  # type=password, whatever its placeholder
    # <label for=user> is tied to nothing: the placeholder with words finds the box
    assert user.placeholder == "手机号/邮箱/用户名" and user.label is None
    assert password.css == "#f_p"
    assert password.placeholder is None  # ••••••••  is no locator
    assert "f_c" not in prof.fields and "captcha 步骤" in text  # the captcha box goes to login.steps
    assert "<label for=user> 没有对应的 id" in text
    assert "xq_ref" in r.stderr and "没能对应" in r.stderr  # what it could not map, shown
    assert "登录页" in text


@pytest.mark.browser
def test_record_reads_the_text_beside_inputs_in_a_table_layout(site: PageServer) -> None:
    r = CliRunner().invoke(app, ["adapter", "record", site.url + "/table"], env=ENV)
    assert r.exit_code == 0, r.output
    prof = parse_profile(r.stdout, origin="draft")
    assert prof.fields["f1"].field == "order_no" and prof.fields["f1"].css == '[name="f1"]'
    assert prof.fields["f2"].field == "content" and prof.fields["f2"].widget == "text"
    assert prof.fields["f3"].field == "contact"
    assert "旁边的文字「订单编号」" in r.stdout and "没能对应" not in r.stderr
    assert prof.submit.name == "提交投诉"


def test_record_guesses_from_autocomplete_and_names_without_a_browser() -> None:
    scan = {
        "fields": [
            {"key": "a1", "label": "", "widget": "text", "type": "email", "autocomplete": "username"},
            {"key": "b2", "label": "", "widget": "text", "type": "tel", "autocomplete": "tel", "name": "b2"},
            {"key": "login_pwd", "label": "", "widget": "text", "type": "text", "name": "login_pwd"},
            {"key": "orderNo", "label": "", "widget": "text", "type": "text", "name": "orderNo"},
            {"key": "z", "label": "", "widget": "text", "type": "text", "placeholder": "****"},
        ],
        "buttons": [{"name": "提交", "submit": True}],
    }
    result = build_draft("https://shop.example/new", scan, {})
    prof = parse_profile(result.text, origin="draft")
    assert prof.fields["a1"].field == "username"
    assert prof.fields["b2"].field == "contact"
    assert prof.fields["login_pwd"].field == "password"
    assert prof.fields["orderno"].field == "order_no"
    assert [line.split("(")[0] for line in result.unmapped] == ["z"]


# ---------------------------------------------------------------- try


def _local_profile(tmp_path: Path, site: PageServer) -> Path:
    path = tmp_path / "local-ticket.yaml"
    path.write_text(
        yaml.safe_dump({**TICKET_PROFILE, "base_url": site.url + "/"}, allow_unicode=True), encoding="utf-8"
    )
    return path


@pytest.mark.browser
def test_try_reports_every_field_and_says_what_it_found(
    site: PageServer, tmp_path: Path, example_case: Path
) -> None:
    prof = _local_profile(tmp_path, site)
    case = load_case(example_case).case
    result = asyncio.run(try_profile(str(prof), case, person=NoPerson(), timeout_ms=800))
    assert result.error is None, result
    by_key = {i.key: i for i in result.items if i.kind == "field"}
    assert set(by_key) == {"title", "order", "contact", "proof", "content"}
    assert by_key["title"].ok and by_key["content"].ok  # the field after the failures was still filled
    order = by_key["order"]
    assert not order.ok and "订单号" in order.reason and "不可用（disabled）" in order.reason
    assert "Timeout" not in order.reason and "响应超时" not in order.reason
    assert by_key["contact"].tried == ["label=联系方式：找到 0 个，可见 0 个"]
    assert by_key["proof"].tried == ["css=#proof-btn：找到 1 个，可见 0 个，都是隐藏的"]
    assert not result.ok


@pytest.mark.browser
def test_try_names_a_wizard_button_that_cannot_be_clicked(
    site: PageServer, tmp_path: Path, example_case: Path
) -> None:
    data = {**TICKET_PROFILE, "base_url": site.url + "/"}
    data["steps"] = [
        {"goto": "/wizard"},
        {"fill": ["title"]},
        {"click": {"role": "button", "name": "下一步"}, "timeout_ms": 800},
        {"fill": ["content"]},
    ]
    prof = tmp_path / "wizard.yaml"
    prof.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    case = load_case(example_case).case
    result = asyncio.run(try_profile(str(prof), case, person=NoPerson(), timeout_ms=800))
    assert result.error is None, result  # not "渠道网页响应超时"
    step = next(i for i in result.items if i.kind == "step" and not i.ok)
    assert "下一步" in step.reason and "role=button name=下一步" in step.reason
    assert "不可用（disabled）" in step.reason and "Timeout" not in step.reason
    content = next(i for i in result.items if i.key == "content")
    assert not content.ok and "没有执行到" in content.reason


@pytest.mark.browser
def test_try_json_output_prints_selectors_literally_and_the_table_too(
    site: PageServer, tmp_path: Path, example_case: Path
) -> None:
    data = {**TICKET_PROFILE, "base_url": site.url + "/"}
    data["fields"] = {"title": {"css": "#t:not([hidden])"}}
    data["steps"] = [{"goto": "/ticket"}, {"fill": ["title"]}]
    prof = tmp_path / "literal.yaml"
    prof.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    r = CliRunner().invoke(app, ["adapter", "try", str(prof), "--case", str(example_case)], env=ENV)
    assert "#t:not([hidden])" in r.stdout, r.stdout
    check = CliRunner().invoke(app, ["adapter", "check", str(prof)], env=ENV)
    assert "#t:not([hidden])" in check.stdout, check.stdout


def test_check_prints_selectors_with_brackets_literally(tmp_path: Path) -> None:
    data = {**TICKET_PROFILE, "base_url": "https://shop.example/"}
    data["fields"] = {**TICKET_PROFILE["fields"], "title": {"css": ".empty-list:not([hidden])"}}
    prof = tmp_path / "brackets.yaml"
    prof.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    r = CliRunner().invoke(app, ["adapter", "check", str(prof)], env=ENV)
    assert ".empty-list:not([hidden])" in r.stdout, r.stdout


@pytest.mark.browser
@pytest.mark.slow
def test_try_uploads_nothing_unless_asked(tmp_path: Path, example_case: Path, monkeypatch) -> None:
    case = load_case(example_case).case
    with twins_running(tmp_path, ["gov12315"]) as ts:
        twin = ts["gov12315"]
        monkeypatch.setenv(env_name("12315@gov12315-twin", "demo12315"), canaries.TWIN_PASSWORD)
        person = ScriptedPerson(DemoAnswerer({"12315@gov12315-twin": twin.url}), quiet=True)
        settings = {"base_url": twin.url, "account": "demo12315"}

        def run(upload: bool):
            return asyncio.run(
                try_profile("gov12315-twin", case, person=person, settings=settings, upload=upload)
            )

        dry = run(False)
        assert dry.ok, dry.to_dict()
        assert twin.uploads == {} and twin.snapshot()["submissions"] == []  # nothing but the login
        files = next(i for i in dry.items if i.key == "attachments")
        assert files.ok and "没有上传" in files.reason and "--upload" in files.reason
        assert any(i.kind == "step" and i.skipped and "上传" in i.reason for i in dry.items)
        picked = {i.key: i for i in dry.items if i.kind == "field"}
        assert picked["ent_pick"].ok and not picked["ent_pick"].skipped  # a known company is picked
        assert picked["ent_name"].skipped  # so the manual-entry branch is not taken

        sent = run(True)
        assert sent.ok, sent.to_dict()
        assert len(twin.uploads) == 4 and twin.snapshot()["submissions"] == []


# ---------------------------------------------------------------- stuck elements in a filing


@pytest.mark.browser
def test_a_disabled_field_in_a_filing_names_field_locator_and_state(site: PageServer, tmp_path: Path) -> None:
    prof = parse_profile(
        yaml.safe_dump({**TICKET_PROFILE, "base_url": site.url + "/"}, allow_unicode=True), origin="t"
    )

    async def go() -> FormChanged:
        pool = BrowserPool()
        try:
            ctx = ProbeContext("card_platform@local", NoPerson(), tmp_path, pool)
            page = await ctx.new_page()
            page.set_default_timeout(800)
            runner = FormRunner(page, prof, {"order_no": "KM1"}, [], ctx)
            await runner.run([prof.steps[0]])
            with pytest.raises(FormChanged) as info:
                await runner.fill("order", prof.fields["order"])
            return info.value
        finally:
            await pool.close()

    err = asyncio.run(go())
    assert "订单号" in err.message and "label=订单号" in err.message
    assert "不可用（disabled）" in err.message and "Timeout" in (err.detail or "")


# ---------------------------------------------------------------- captcha


@pytest.mark.browser
def test_a_tiny_captcha_is_saved_enlarged_for_the_person(site: PageServer, tmp_path: Path) -> None:
    prof = parse_profile(
        yaml.safe_dump(
            {
                **TICKET_PROFILE,
                "base_url": site.url + "/",
                "login": {
                    "url": "/login",
                    "logged_in": {"css": "#nobody"},
                    "steps": [{"captcha": {"image": {"css": "img"}, "input": {"css": "#f_c"}}}],
                },
            },
            allow_unicode=True,
        ),
        origin="t",
    )
    seen: list[tuple[int, int]] = []

    async def answer(channel: str, prompt: str, image: Path | None) -> str:
        assert image is not None
        seen.append(_size(image))
        return "ABCD"

    async def go() -> None:
        pool = BrowserPool()
        try:
            ctx = ProbeContext("card_platform@local", ScriptedPerson(answer, quiet=True), tmp_path, pool)
            page = await ctx.new_page()
            runner = FormRunner(page, prof, {}, [], ctx)
            await page.goto(site.url + "/login")
            await runner.run(prof.login.steps)
        finally:
            await pool.close()

    asyncio.run(go())
    assert seen == [(200, 96)]  # 50×24 shown 4× (nearest neighbour), the file the person opens
    shots = list(tmp_path.glob("captcha-*.png"))
    assert len(shots) == 1 and _size(shots[0]) == (200, 96)


def test_nobody_at_the_terminal_is_pointed_to_the_enlarged_image(tmp_path: Path) -> None:
    from kameng_filer.errors import HumanActionRequired

    shot = tmp_path / "captcha.png"
    shot.write_bytes(_png(50, 24))
    with pytest.raises(HumanActionRequired) as info:
        asyncio.run(NoPerson().ask_code("card_platform", "请输入图片中的验证码", image=shot))
    assert str(shot) in info.value.message
    assert _size(shot) == (200, 96)
    wide = tmp_path / "wide.png"
    wide.write_bytes(_png(260, 92))
    with pytest.raises(HumanActionRequired):
        asyncio.run(NoPerson().ask_code("card_platform", "验证码", image=wide))
    assert _size(wide) == (260, 92)  # already readable: left alone


def test_the_terminal_draws_the_enlarged_captcha_in_blocks(tmp_path: Path) -> None:
    from kameng_filer.filing.readable import enlarge_image, terminal_picture

    shot = tmp_path / "captcha.png"
    shot.write_bytes(_png(50, 24))
    assert enlarge_image(shot) == (200, 96)
    picture = terminal_picture(shot)
    assert picture is not None
    lines = picture.plain.splitlines()
    assert len(lines) == 19 and {len(line) for line in lines} == {80}  # two pixel rows per line
    broken = tmp_path / "not-an-image.png"
    broken.write_bytes(b"<html>")
    assert terminal_picture(broken) is None and enlarge_image(broken) == (0, 0)


def test_the_person_at_a_terminal_sees_the_enlarged_captcha_path_and_picture(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rich.console import Console

    from kameng_filer.filing.person import TerminalPerson

    shot = tmp_path / "captcha.png"
    shot.write_bytes(_png(50, 24))
    console = Console(
        file=io.StringIO(), force_terminal=True, color_system="truecolor", width=120, highlight=False
    )
    monkeypatch.setattr("sys.stdin", io.StringIO("AB12\n"))
    person = TerminalPerson(console, open_images=False)
    answer = asyncio.run(person.ask_code("card_platform@shop", "请输入图片中的验证码", image=shot))
    assert answer == "AB12"
    shown = console.file.getvalue()
    assert str(shot) in shown and "▀" in shown
    assert _size(shot) == (200, 96)


def test_check_names_an_unknown_variable_in_a_step_condition(tmp_path: Path) -> None:
    data = {**TICKET_PROFILE, "base_url": "https://shop.example/"}
    data["steps"] = [
        {"goto": "/ticket"},
        {"fill": ["title", "order", "contact", "proof"]},
        {"fill": ["content"], "unless_visible": {"css": "li:has-text('{respondnt_name}')"}},
    ]
    prof = tmp_path / "cond.yaml"
    prof.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    r = CliRunner().invoke(app, ["adapter", "check", str(prof), "--json"], env=ENV)
    assert r.exit_code == 1, r.stdout
    errors = json.loads(r.stdout)["errors"]
    assert any(e.startswith("steps[2].unless_visible.css") and "{respondnt_name}" in e for e in errors)
