"""The workspace refuses requests without the token, with a foreign Host, and cross-site POSTs."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import httpx
import pytest

from kameng_filer.ui.security import cookie_name, csrf_token, host_ok
from tests.ui_support import CASE, running, seed_home


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_home(tmp_path_factory.mktemp("ui-home"))


@pytest.fixture(scope="module")
def server(seeded: Path):
    with running() as srv:
        yield srv


@pytest.fixture(autouse=True)
def _home(seeded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAMENG_HOME", str(seeded))


def _client(server, *, cookie: bool = True) -> httpx.Client:
    client = httpx.Client(base_url=server.url, timeout=30)
    if cookie:
        client.cookies.set(cookie_name(server.port), server.app.state.token)
    return client


def test_without_token_refused(server) -> None:
    with _client(server, cookie=False) as c:
        for path in ("/", f"/cases/{CASE}", "/deadlines.ics", "/static/style.css"):
            r = c.get(path)
            assert r.status_code == 403, path
            assert "需要带令牌的地址" in r.text and "kameng ui" in r.text
        r = c.get("/?token=wrong")
        assert r.status_code == 403 and "令牌不正确" in r.text
        c.cookies.set(cookie_name(server.port), "wrong")
        assert c.get("/").status_code == 403


def test_token_once_then_cookie_and_no_secret_in_pages(server) -> None:
    token = server.app.state.token
    with _client(server, cookie=False) as c:
        r = c.get(f"/cases/{CASE}?token={token}&x=1")
        assert r.status_code == 303
        assert r.headers["location"] == f"/cases/{CASE}?x=1"  # the token leaves the address bar
        cookie = r.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie
        for path in ("/", f"/cases/{CASE}", "/deadlines.ics"):
            r = c.get(path)
            assert r.status_code == 200, path
            assert token not in r.text
            assert r.headers["cache-control"] == "no-store"
            assert r.headers["x-frame-options"] == "DENY"
            assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def test_foreign_host_refused(server) -> None:
    """DNS rebinding: a page of evil.example resolving to 127.0.0.1 sends ``Host: evil.example``."""
    with _client(server) as c:
        for host in (
            "evil.example",
            f"evil.example:{server.port}",
            f"127.0.0.1:{server.port + 1}",
            "",
            "[::1",
        ):
            r = c.get("/", headers={"Host": host})
            assert r.status_code in (400, 421), host  # h11 itself rejects an empty/broken Host
        assert c.get("/", headers={"Host": f"localhost:{server.port}"}).status_code == 200


def test_host_ok_rules() -> None:
    assert host_ok("127.0.0.1:8000", 8000) and host_ok("localhost:8000", 8000)
    assert not host_ok("127.0.0.1.evil.example:8000", 8000)
    assert not host_ok("127.0.0.1:8001", 8000) and not host_ok(None, 8000)
    assert not host_ok("127.0.0.1:99999", 8000)


def test_cross_site_post_refused(server) -> None:
    url = f"/cases/{CASE}/export"
    good = {"csrf": csrf_token(server.app.state.token), "public": "0"}
    own = f"http://127.0.0.1:{server.port}"
    with _client(server) as c:
        r = c.post(url, data=good, headers={"Origin": "http://evil.example"})
        assert r.status_code == 403 and "拒绝来自其他网站的提交" in r.text
        r = c.post(url, data=good, headers={"Referer": "http://evil.example/page"})
        assert r.status_code == 403
        r = c.post(url, data=good)  # neither Origin nor Referer
        assert r.status_code == 403
        r = c.post(url, data={**good, "csrf": "0" * 64}, headers={"Origin": own})
        assert r.status_code == 403 and "表单已失效" in r.text
        r = c.post(url, data={"public": "1"}, headers={"Origin": own})
        assert r.status_code == 403
        r = c.post(url, data=good, headers={"Origin": own})
        assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
        assert "%E6%9D%90%E6%96%99%E5%8C%85.zip" in r.headers["content-disposition"]  # 材料包.zip
        names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
        assert names


def test_bad_paths_are_chinese_pages(server) -> None:
    own = f"http://127.0.0.1:{server.port}"
    with _client(server) as c:
        for path in ("/cases/no-such-case", "/cases/..%2F..%2Fetc%2Fpasswd", "/nothing", "/static/../app.py"):
            r = c.get(path)
            assert r.status_code == 404, path
            assert "Traceback" not in r.text and "内部错误" not in r.text
        assert "本地存储中没有案件 no-such-case" in c.get("/cases/no-such-case").text
        csrf = csrf_token(server.app.state.token)
        r = c.post("/cases/no-such-case/export", data={"csrf": csrf}, headers={"Origin": own})
        assert r.status_code == 404 and "没有案件" in r.text
        assert c.get("/", params={"q": "\x00"}).status_code == 200


def test_case_text_is_escaped_not_run(server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A title or summary holding HTML shows as text on every page (autoescape), never as markup."""
    import shutil

    from kameng_filer.store import Store

    monkeypatch.setenv("KAMENG_HOME", str(tmp_path / "home"))
    folder = tmp_path / "case"
    shutil.copytree(Path(__file__).resolve().parent.parent / "examples", folder)
    case_file = folder / "case.yaml"
    hostile = "<script>alert(1)</script>\"'&"
    text = case_file.read_text(encoding="utf-8")
    text = text.replace(
        "title: 王者荣耀点券充值未到账", f"title: '点券未到账 {hostile.replace(chr(39), chr(39) * 2)}'"
    )
    case_file.write_text(text, encoding="utf-8")
    store = Store.open()
    try:
        store.import_case(case_file)
    finally:
        store.close()
    with _client(server) as c:
        for path in ("/", f"/cases/{CASE}"):
            r = c.get(path)
            assert r.status_code == 200, path
            assert "<script>alert(1)</script>" not in r.text
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
        ics = c.get("/deadlines.ics").text  # no filings: an empty calendar, still valid
        assert "BEGIN:VCALENDAR" in ics and "BEGIN:VEVENT" not in ics


def test_ics_text_escaping_and_folding() -> None:
    from kameng_filer.ui.ics import escape_text, fold

    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    line = "SUMMARY:" + "受理或不予受理的决定" * 10
    folded = fold(line)
    parts = folded.split("\r\n ")
    assert len(parts) > 1 and "".join(parts) == line
    assert all(len(p.encode()) <= 75 for p in parts)  # never splits a 3-byte character


def test_wrong_method_and_broken_form_are_chinese_pages(server) -> None:
    own = {"Origin": f"http://127.0.0.1:{server.port}"}
    with _client(server) as c:
        for method, path in (
            ("POST", "/"),
            ("PUT", f"/cases/{CASE}/export"),
            ("GET", f"/cases/{CASE}/export"),
        ):
            r = c.request(method, path, headers=own)
            assert r.status_code == 405, (method, path)
            assert r.headers["content-type"].startswith("text/html") and "这个地址不能这样打开" in r.text
        broken = {**own, "content-type": "multipart/form-data; boundary=zz"}
        r = c.post(f"/cases/{CASE}/export", headers=broken, content=b"garbage")
        assert r.status_code == 400 and "提交的内容无法读取" in r.text
        assert "Invalid" not in r.text and "Traceback" not in r.text


def test_receipt_screenshot_only_from_the_data_folder(server) -> None:
    """Filing 2 (heimao) has its screenshot under artifacts; filing 1's receipt points outside: refused."""
    with _client(server) as c:
        r = c.get(f"/cases/{CASE}/receipts/2")
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"
        assert r.content.startswith(b"\x89PNG")
        for path in (f"/cases/{CASE}/receipts/1", f"/cases/{CASE}/receipts/99", "/cases/other/receipts/2"):
            r = c.get(path)
            assert r.status_code == 404, path
            assert "没有这张回执截图" in r.text
        assert c.get(f"/cases/{CASE}/receipts/..%2F1").status_code == 404
    with _client(server, cookie=False) as c:
        assert c.get(f"/cases/{CASE}/receipts/2").status_code == 403


def test_broken_database_is_a_chinese_page_and_the_server_goes_on(
    server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An engine error (here: a damaged database) shows its Chinese message and hint on every page;
    the server keeps answering on the same connection (no crash, no traceback)."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "kameng.sqlite3").write_bytes(b"this is not a database" * 100)
    monkeypatch.setenv("KAMENG_HOME", str(home))
    with _client(server) as c:
        for path in ("/", f"/cases/{CASE}", "/deadlines.ics", f"/cases/{CASE}/receipts/1"):
            r = c.get(path)
            assert r.status_code == 500, path
            assert "数据库文件已损坏" in r.text and "kameng restore" in r.text
            assert "Traceback" not in r.text


def test_two_workspaces_at_once_keep_their_own_cookie(server) -> None:
    """Cookies are shared by all ports of 127.0.0.1: each workspace names its cookie after its port."""
    with running() as other, httpx.Client(timeout=30) as c:
        for srv in (server, other):
            assert c.get(srv.entry_url).status_code == 303
        for srv in (server, other):
            assert c.get(f"{srv.url}/deadlines.ics").status_code == 200
