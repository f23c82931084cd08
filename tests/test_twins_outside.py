"""Outside-channel twins (12315, 黑猫投诉, 消协) over real HTTP and in real Chromium.

Server-side rules are checked with httpx; the browser-only behaviours (countdown, paste block, counter,
typeahead, cascade reset, upload widget, QR polling, tag buttons) are checked in Chromium, each in a way
that fails when the value is set directly instead of typed, picked or clicked.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import ExifTags, Image
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from kameng_filer.browser import launch_options
from kameng_filer.testing import (
    advance_clock,
    captcha_answer,
    csrf_from,
    latest_sms_code,
    operator,
    set_faults,
    twin_state,
)
from kameng_filer.twins import TwinSet, start_twins
from kameng_filer.twins.gov12315 import Gov12315Twin, create_twin

ROOT = Path(__file__).resolve().parent.parent
ORDER_PNG = (ROOT / "examples" / "evidence" / "order.png").read_bytes()
CHAT_PNG = (ROOT / "examples" / "evidence" / "chat.png").read_bytes()
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
CONTENT = (
    "2026年11月2日在星辰卡盟购买王者荣耀点券1000点,支付成功后一直未到账,商家以系统延迟为由拖延,要求退款未果。"
)
GOV_FORM = {
    "product_name": "王者荣耀点券 1000点",
    "category_code": "1302",
    "category_text": "虚拟商品/游戏点卡",
    "sales_method": "网购",
    "platform_name": "星辰卡盟",
    "merchant_name": "小王点卡",
    "problem_category": "合同",
    "unit_province": "330000",
    "unit_city": "330100",
    "unit_district": "330110",
    "request": "退还货款100元并赔偿延迟损失10元",
    "content": CONTENT,
    "content_typed": str(len(CONTENT)),
    "content_keys": "0",
    "order_no": "KM20261102150012",
}
HEIMAO_FORM = {
    "company_query": "星辰卡盟",
    "company_id": "C1001",
    "issues": ["未发货", "不予退款"],
    "demands": ["退款"],
    "amount": "100.00",
    "title": "星辰卡盟点券未到账拒不退款",
    "description": "支付成功后点券一直未到账,商家以系统延迟为由拖延,要求退款未果。",
    "agree": "1",
}
ASSOC_FORM = {
    "name": "张三",
    "phone": "13800138000",
    "address": "北京市朝阳区望京街道某小区3号楼502",
    "respondent_name": "星辰网络科技有限公司",
    "respondent_address": "浙江省杭州市余杭区某路88号",
    "respondent_phone": "",
    "purchase_date": "2026-11-02",
    "goods": "王者荣耀点券 1000点",
    "amount": "100.00",
    "facts": "支付成功后点券一直未到账,商家以系统延迟为由拖延,要求退款未果。",
    "demand": "退还货款100元",
}


def png(w: int = 40, h: int = 30) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), (10, 120, 200)).save(buf, "PNG")
    return buf.getvalue()


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 0.0)}
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buf, "JPEG", exif=exif)
    return buf.getvalue()


# ---- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwinSet]:
    with start_twins(
        ["gov12315", "heimao", "association"],
        data_dir=tmp_path_factory.mktemp("outside-twins"),
        options={"gov12315": {"notice_seconds": 2}},
    ) as ts:
        yield ts


@pytest.fixture
def gov(twins: TwinSet) -> Any:
    t = twins["gov12315"]
    t.reset()
    return t


@pytest.fixture
def heimao(twins: TwinSet) -> Any:
    t = twins["heimao"]
    t.reset()
    return t


@pytest.fixture
def assoc(twins: TwinSet) -> Any:
    t = twins["association"]
    t.reset()
    return t


@pytest.fixture
def client(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A factory of httpx clients (closed after the test)."""
    made: list[httpx.Client] = []

    def make(base_url: str, **kw: Any) -> httpx.Client:
        c = httpx.Client(base_url=base_url, timeout=20, **kw)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(**launch_options())
        yield b
        b.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(locale="zh-CN")
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


# ---- 12315 helpers ------------------------------------------------------------------------------


def gov_login(c: httpx.Client, *, captcha: str | None = None, password: str = "demo-pass") -> httpx.Response:
    page = c.get("/cuser/login")
    c.get("/cuser/captcha.png")
    answer = (
        captcha if captcha is not None else captcha_answer(str(c.base_url), c.cookies.get("gov12315_session"))
    )
    data = {"csrf_token": csrf_from(page.text), "next": "/cuser/home", "username": "demo12315"}
    return c.post("/cuser/login", data={**data, "password": password, "captcha": answer or ""})


def gov_to_info(c: httpx.Client, *, agree: bool = True) -> str:
    """Log in and pass 须知 (clock advanced), respondent and address; returns the CSRF token."""
    assert gov_login(c).status_code == 303
    tok = csrf_from(c.get("/cuser/complaint/notice").text)
    if agree:
        advance_clock(str(c.base_url), 3)
        r = c.post("/cuser/complaint/agree", data={"csrf_token": tok})
        assert r.headers["location"] == "/cuser/complaint/respondent"
        r = c.post(
            "/cuser/complaint/respondent", data={"csrf_token": tok, "mode": "pick", "enterprise_id": "E0001"}
        )
        assert r.headers["location"] == "/cuser/complaint/address"
        r = c.post(
            "/cuser/complaint/address",
            data={"csrf_token": tok, "consumer_address": "北京市朝阳区望京街道某小区3号楼502"},
        )
        assert r.headers["location"] == "/cuser/complaint/info"
    return tok


def gov_submit(c: httpx.Client, tok: str, files: list[str] | None = None, **over: Any) -> httpx.Response:
    data: dict[str, Any] = {"csrf_token": tok, **GOV_FORM, **over}
    data = {k: v for k, v in data.items() if v is not None}
    if files:
        data["attachment_ids"] = files
    return c.post("/cuser/complaint/submit", data=data, headers={"X-Requested-With": "XMLHttpRequest"})


def gov_upload(c: httpx.Client, tok: str, name: str, data: bytes, mime: str = "image/png") -> httpx.Response:
    return c.post("/cuser/api/upload", files={"file": (name, data, mime)}, headers={"X-CSRF-Token": tok})


def errors(r: httpx.Response) -> dict[str, str]:
    return {e["field"]: e["message"] for e in r.json()["errors"]}


def gov_file(c: httpx.Client, **over: Any) -> str:
    tok = gov_to_info(c)
    r = gov_submit(c, tok, **over)
    assert r.status_code == 200, r.text
    return r.json()["number"]


# ---- 12315 over HTTP ----------------------------------------------------------------------------


def test_gov_login_needs_captcha_and_password(gov: Any, client: Any) -> None:
    c = client(gov.url)
    r = gov_login(c, captcha="WRONG")
    assert r.status_code == 400 and "验证码错误" in r.text
    r = gov_login(c, password="nope")
    assert r.status_code == 400 and "账号或密码错误" in r.text
    assert c.get("/cuser/complaint/notice").headers["location"].startswith("/cuser/login?next=")
    r = gov_login(c)
    assert r.status_code == 303 and r.headers["location"] == "/cuser/home"
    page = c.get("/cuser/home")
    assert "我要投诉" in page.text and "demo12315" in page.text
    logins = twin_state(gov.url)["logins"]
    assert [x["ok"] for x in logins] == [False, False, True]


def test_gov_agree_only_after_countdown(gov: Any, client: Any) -> None:
    c = client(gov.url)
    gov_login(c)
    page = c.get("/cuser/complaint/notice")
    assert re.search(
        r'<button type="submit" id="agree-btn" data-seconds="2" disabled>请阅读须知\(2秒\)</button>',
        page.text,
    )
    tok = csrf_from(page.text)
    early = c.post("/cuser/complaint/agree", data={"csrf_token": tok})
    assert early.status_code == 400 and "倒计时结束后再同意" in early.text
    # skipping the agree step: the next steps send the person back to 须知
    assert c.get("/cuser/complaint/respondent").headers["location"] == "/cuser/complaint/notice"
    advance_clock(gov.url, 2.1)
    assert (
        c.post("/cuser/complaint/agree", data={"csrf_token": tok}).headers["location"]
        == "/cuser/complaint/respondent"
    )
    assert c.get("/cuser/complaint/respondent").status_code == 200


def test_gov_submit_without_agree_step_is_rejected(gov: Any, client: Any) -> None:
    c = client(gov.url)
    tok = gov_to_info(c, agree=False)
    r = gov_submit(c, tok)
    assert r.status_code == 400
    assert errors(r)["agree"] == "请先阅读并同意投诉须知"
    assert twin_state(gov.url)["records"] == []


def test_gov_typeahead_value_must_come_from_the_list(gov: Any, client: Any) -> None:
    c = client(gov.url)
    tok = gov_to_info(c)
    found = c.get("/cuser/api/categories", params={"q": "点卡"}).json()
    assert found == [{"code": "1302", "name": "虚拟商品/游戏点卡"}]
    names = [x["name"] for x in c.get("/cuser/api/categories", params={"q": "虚拟商品"}).json()]
    assert {"虚拟商品/网络游戏充值", "虚拟商品/游戏点卡", "虚拟商品/会员充值"} <= set(names)
    for over in (
        {"category_code": ""},
        {"category_code": "9999"},
        {"category_code": "1302", "category_text": "点卡"},
    ):
        r = gov_submit(c, tok, **over)
        assert r.status_code == 400 and errors(r)["category_code"] == "请从列表中选择商品类别"
    assert gov_submit(c, tok).status_code == 200


def test_gov_untyped_content_is_rejected(gov: Any, client: Any) -> None:
    c = client(gov.url)
    tok = gov_to_info(c)
    for typed in ("0", "1", str(len(CONTENT) // 2 - 1), "nonsense"):
        r = gov_submit(c, tok, content_typed=typed)
        assert r.status_code == 400 and errors(r)["content"] == "内容与手工输入不符,请重新输入"
    r = gov_submit(c, tok, content="太短了", content_typed="3")
    assert errors(r)["content"] == "内容不少于20字"
    long = "长" * 2001
    assert errors(gov_submit(c, tok, content=long, content_typed="2001"))["content"] == "内容不能超过2000字"
    r = gov_submit(c, tok)
    assert r.status_code == 200
    rec = twin_state(gov.url)["records"][0]
    assert rec["content"] == CONTENT and rec["typing"]["typed_events"] == len(CONTENT)
    rejected = [x["errors"] for x in twin_state(gov.url)["rejections"] if x["form"] == "complaint"]
    assert len(rejected) == 6


def test_gov_handling_unit_needs_a_district_of_the_city(gov: Any, client: Any) -> None:
    c = client(gov.url)
    tok = gov_to_info(c)
    assert [x["name"] for x in c.get("/cuser/api/regions").json()][:2] == ["北京市", "上海市"]
    districts = c.get("/cuser/api/regions", params={"parent": "330100"}).json()
    assert {"code": "330110", "name": "余杭区", "unit": "杭州市余杭区市场监督管理局"} in districts
    for over in (
        {"unit_district": ""},
        {"unit_district": "110105"},
        {"unit_city": "330200"},
        {"unit_province": None},
    ):
        r = gov_submit(c, tok, **over)
        assert errors(r)["unit_district"] == "请选择处理单位(需选择到区县)"
    r = gov_submit(c, tok, sales_method="网购", platform_name="")
    assert errors(r)["platform_name"] == "网购请填写电商平台名称"
    assert errors(gov_submit(c, tok, sales_method="直播"))["sales_method"] == "请选择销售方式"
    assert errors(gov_submit(c, tok, problem_category="质量问题"))["problem_category"] == "请选择问题类别"
    assert errors(gov_submit(c, tok, product_name="王" * 51))["product_name"] == "商品名称不能超过50个字"
    assert gov_submit(c, tok, sales_method="实体店", platform_name="").status_code == 200
    rec = twin_state(gov.url)["records"][0]
    assert rec["unit_name"] == "杭州市余杭区市场监督管理局" and rec["platform_name"] == ""


def test_gov_upload_limits(gov: Any, client: Any) -> None:
    c = client(gov.url)
    tok = gov_to_info(c)
    r = gov_upload(c, tok, "note.txt", b"just text", "text/plain")
    assert r.status_code == 400 and r.json()["error"].startswith("仅支持JPG、PNG、PDF格式")
    r = gov_upload(c, tok, "fake.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    assert r.status_code == 400 and "损坏" in r.json()["error"]
    big = PDF[:-7] + b"0" * (5 * 1024 * 1024) + b"\n%%EOF\n"
    r = gov_upload(c, tok, "big.pdf", big, "application/pdf")
    assert r.status_code == 400 and r.json()["error"].startswith("单个文件不能超过5MB")
    assert gov_upload(c, tok, "x.png", png()).status_code == 200
    ids = [gov_upload(c, tok, f"p{i}.png", png(40 + i)).json()["id"] for i in range(4)]
    assert len(ids) == 4  # plus x.png above = 5
    r = gov_upload(c, tok, "order.pdf", PDF, "application/pdf")
    assert r.status_code == 400 and r.json()["error"] == "最多上传5个文件"
    assert c.request("DELETE", f"/cuser/api/upload/{ids[0]}", headers={"X-CSRF-Token": tok}).json()["ok"]
    pdf_id = gov_upload(c, tok, "order.pdf", PDF, "application/pdf").json()["id"]
    assert errors(gov_submit(c, tok, files=[ids[0]]))["attachments"] == "附件无效,请重新上传"
    assert errors(gov_submit(c, tok, files=["deadbeefdeadbeef"]))["attachments"] == "附件无效,请重新上传"
    r = gov_submit(c, tok, files=[ids[1], pdf_id])
    assert r.status_code == 200
    rec = twin_state(gov.url)["records"][0]
    assert [a["name"] for a in rec["attachments"]] == ["p1.png", "order.pdf"]
    assert rec["attachments"][1]["mime"] == "application/pdf"
    stored = gov.data_dir / rec["attachments"][1]["stored_as"]
    assert stored.read_bytes() == PDF


def test_gov_receipt_list_detail_and_statuses(gov: Any, client: Any) -> None:
    c = client(gov.url)
    number = gov_file(c)
    today = gov.clock.now().strftime("%Y%m%d")
    assert re.fullmatch(r"\d{25}", number) and number[:6] == "330110" and number[6:14] == today
    r = c.get(f"/cuser/complaint/success/{number}")
    assert f'<strong id="case-number">{number}</strong>' in r.text and "杭州市余杭区市场监督管理局" in r.text
    row = re.search(rf'<tr data-number="{number}">(.*?)</tr>', c.get("/cuser/complaints").text, re.S)
    assert row is not None
    for text in (
        "星辰网络科技有限公司",
        "王者荣耀点券 1000点",
        gov.clock.now().strftime("%Y-%m-%d"),
        "待受理",
    ):
        assert text in row.group(1)
    assert operator(gov.url, number, "accept")["status"] == "已受理"
    with pytest.raises(RuntimeError, match="409"):
        operator(gov.url, number, "terminate")
    assert operator(gov.url, number, "mediate")["status"] == "调解中"
    assert operator(gov.url, number, "reply", "商家同意退款,请注意查收")["status"] == "调解中"
    assert operator(gov.url, number, "conclude")["status"] == "已办结"
    detail = c.get(f"/cuser/complaints/{number}").text
    history = re.findall(r'<td class="status">([^<]+)</td>', detail)
    assert history == ["待受理", "已受理", "调解中", "调解中", "已办结"]
    assert "商家同意退款,请注意查收" in detail and '<dd id="status">已办结</dd>' in detail
    with pytest.raises(RuntimeError, match="400"):
        operator(gov.url, number, "approve")
    with pytest.raises(RuntimeError, match="404"):
        operator(gov.url, "1" * 25, "accept")
    # another bureau path: 不予受理, and 终止调解
    second = gov_file(c)
    assert operator(gov.url, second, "reject", "已由消费者协会受理")["status"] == "不予受理"
    third = gov_file(c)
    operator(gov.url, third, "accept")
    operator(gov.url, third, "mediate")
    assert operator(gov.url, third, "terminate")["status"] == "终止调解"
    statuses = {r["number"]: r["status"] for r in twin_state(gov.url)["records"]}
    assert statuses == {number: "已办结", second: "不予受理", third: "终止调解"}


def test_gov_supplement_while_open_refused_when_closed(gov: Any, client: Any) -> None:
    c = client(gov.url)
    number = gov_file(c)
    page = c.get(f"/cuser/complaints/{number}")
    assert (
        'id="supplement-form"' in page.text
        and '<label for="supplement_text" class="req">补充说明</label>' in page.text
    )
    tok = csrf_from(page.text)
    url = f"/cuser/complaints/{number}/supplement"
    r = c.post(url, data={"csrf_token": tok, "supplement_text": ""})
    assert r.status_code == 400 and "请填写补充说明" in r.text
    r = c.post(
        url,
        data={"csrf_token": tok, "supplement_text": "x"},
        files={"supplement_files": ("a.gif", b"GIF89a....", "image/gif")},
    )
    assert r.status_code == 400 and "仅支持" in r.text
    r = c.post(url, data={"csrf_token": tok, "supplement_text": "补充与商家的聊天记录"},
               files={"supplement_files": ("chat.png", CHAT_PNG, "image/png")})  # fmt: skip
    assert r.status_code == 303
    page = c.get(f"/cuser/complaints/{number}").text
    assert "补充材料已提交" in page and "补充与商家的聊天记录(附件:chat.png)" in page
    rec = twin_state(gov.url)["records"][0]
    assert rec["supplements"][0]["files"][0]["name"] == "chat.png"
    operator(gov.url, number, "reject")
    page = c.get(f"/cuser/complaints/{number}").text
    assert 'id="supplement-form"' not in page and "该投诉已不予受理,不能补充材料" in page
    r = c.post(url, data={"csrf_token": tok, "supplement_text": "再补充"})
    assert r.status_code == 409
    assert len(twin_state(gov.url)["records"][0]["supplements"]) == 1


def test_gov_respondent_search_pick_or_manual(gov: Any, client: Any) -> None:
    c = client(gov.url)
    gov_login(c)
    hits = c.get("/cuser/api/enterprises", params={"q": "星辰"}).json()
    assert hits[0] == {
        "id": "E0001",
        "name": "星辰网络科技有限公司",
        "address": "浙江省杭州市余杭区某路88号",
        "credit_code": "91330100MA2XXXXXXX",
    }
    assert len(hits) == 3 and c.get("/cuser/api/enterprises", params={"q": "星"}).json() == []
    tok = csrf_from(c.get("/cuser/complaint/notice").text)
    advance_clock(gov.url, 3)
    c.post("/cuser/complaint/agree", data={"csrf_token": tok})
    r = c.post("/cuser/complaint/respondent", data={"csrf_token": tok, "mode": "pick", "enterprise_id": ""})
    assert r.status_code == 400 and "请从搜索结果中选择被投诉企业" in r.text
    r = c.post(
        "/cuser/complaint/respondent",
        data={"csrf_token": tok, "mode": "manual", "ent_name": "某某小店", "ent_address": ""},
    )
    assert r.status_code == 400
    r = c.post("/cuser/complaint/respondent",
               data={"csrf_token": tok, "mode": "manual", "ent_name": "小王点卡工作室", "ent_address": "广东省深圳市南山区某路1号"})  # fmt: skip
    assert r.headers["location"] == "/cuser/complaint/address"
    assert (
        c.post("/cuser/complaint/address", data={"csrf_token": tok, "consumer_address": "北京"}).status_code
        == 400
    )
    c.post(
        "/cuser/complaint/address", data={"csrf_token": tok, "consumer_address": "北京市朝阳区望京街道某小区"}
    )
    assert gov_submit(c, tok).status_code == 200
    rec = twin_state(gov.url)["records"][0]
    assert (rec["enterprise_name"], rec["enterprise_manual"]) == ("小王点卡工作室", True)
    assert rec["consumer_address"] == "北京市朝阳区望京街道某小区"


def test_gov_changed_labels_fault(gov: Any, client: Any) -> None:
    c = client(gov.url)
    set_faults(gov.url, labels="changed")
    page = c.get("/cuser/login").text
    assert '<label for="login_name">用户名</label>' in page and 'id="username"' not in page
    set_faults(gov.url, labels="normal")
    assert '<label for="username">账号</label>' in c.get("/cuser/login").text


def test_gov_faults_answer_like_the_site(gov: Any, client: Any) -> None:
    c = client(gov.url)
    tok = gov_to_info(c)
    set_faults(gov.url, rate_limit=1)
    r = gov_submit(c, tok)
    assert r.status_code == 429 and r.json()["errors"][0]["message"] == "操作过于频繁,请稍后再试"
    set_faults(gov.url, drop_after_submit=1)
    with pytest.raises(httpx.RemoteProtocolError):
        gov_submit(c, tok)
    assert len(twin_state(gov.url)["records"]) == 1  # stored although the answer was lost
    set_faults(gov.url, expire_sessions=True)
    r = gov_submit(c, tok)
    assert r.status_code == 401 and r.json()["error"] == "登录已过期,请重新登录"
    assert c.get("/cuser/complaints").headers["location"] == "/cuser/login?next=/cuser/complaints"


def test_gov_countdown_is_configurable_within_bounds(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="2–600"):
        create_twin(tmp_path, notice_seconds=1)
    assert isinstance(create_twin(tmp_path), Gov12315Twin) and create_twin(tmp_path).notice_seconds == 10


# ---- 黑猫投诉 over HTTP ------------------------------------------------------------------------


def heimao_qr_login(c: httpx.Client) -> str:
    page = c.get("/login", params={"next": "/complaint/new"}).text
    token = re.search(r'data-token="([0-9a-f]+)"', page).group(1)  # type: ignore[union-attr]
    c.post(f"/_twin/qr/{token}/scan", json={})
    assert c.get(f"/login/qr/{token}/status").json()["state"] == "confirmed"
    return csrf_from(c.get("/complaint/new").text)


def heimao_submit(c: httpx.Client, tok: str, files: list[tuple[str, bytes, str]] | None = None, **over: Any):
    data: dict[str, Any] = {"csrf_token": tok, **HEIMAO_FORM, **over}
    data = {k: v for k, v in data.items() if v is not None}
    images = [
        ("images", f) for f in (files if files is not None else [("order.png", ORDER_PNG, "image/png")])
    ]
    return c.post("/complaint/new", data=data, files=images or None)


def test_heimao_qr_login_flow(heimao: Any, client: Any) -> None:
    c = client(heimao.url)
    r = c.get("/complaint/new")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/complaint/new"
    page = c.get("/login", params={"next": "/complaint/new"}).text
    token = re.search(r'data-token="([0-9a-f]+)"', page).group(1)  # type: ignore[union-attr]
    img = c.get(f"/login/qr/{token}.png")
    assert img.headers["content-type"] == "image/png" and Image.open(io.BytesIO(img.content)).size == (
        231,
        231,
    )
    assert c.get(f"/login/qr/{token}/status").json()["state"] == "waiting"
    assert twin_state(heimao.url)["logins"] == []
    other = client(heimao.url)  # someone else polling the token never gets the login
    assert other.get(f"/login/qr/{token}/status").status_code == 404
    assert c.post(f"/_twin/qr/{token}/scan", json={"confirm": False}).json()["state"] == "scanned"
    assert c.get(f"/login/qr/{token}/status").json()["state"] == "scanned"
    assert c.get("/complaint/new").status_code == 303
    c.post(f"/_twin/qr/{token}/scan", json={})
    assert c.get(f"/login/qr/{token}/status").json() == {"state": "confirmed", "redirect": "/complaint/new"}
    assert c.get("/complaint/new").status_code == 200
    assert c.get("/_twin/qr").json()["latest"] == token
    # an old code expires after 2 minutes
    page = client(heimao.url).get("/login").text
    old = re.search(r'data-token="([0-9a-f]+)"', page).group(1)  # type: ignore[union-attr]
    advance_clock(heimao.url, 121)
    assert c.post(f"/_twin/qr/{old}/scan", json={}).status_code == 409


def test_heimao_sms_login_via_outbox(heimao: Any, client: Any) -> None:
    c = client(heimao.url)
    tok = csrf_from(c.get("/login").text)
    send = lambda phone: c.post("/login/sms/send", data={"phone": phone}, headers={"X-CSRF-Token": tok})  # noqa: E731
    assert send("1380013800").json() == {"ok": False, "error": "请输入正确的手机号"}
    assert send("13800138000").json()["ok"]
    again = send("13800138000")
    assert again.status_code == 429 and "发送过于频繁" in again.json()["error"]
    code = latest_sms_code(heimao.url, "13800138000")
    assert code and re.fullmatch(r"\d{6}", code)
    wrong = "000000" if code != "000000" else "111111"
    form = {"csrf_token": tok, "phone": "13800138000", "next": "/my/complaints"}
    r = c.post("/login/sms", data={**form, "sms_code": wrong})
    assert r.status_code == 400 and "验证码错误" in r.text
    r = c.post("/login/sms", data={**form, "sms_code": code})
    assert r.status_code == 303 and r.headers["location"] == "/my/complaints"
    page = c.get("/my/complaints").text
    nick = re.search(r'id="current-user">([^<]+)<', page).group(1)  # type: ignore[union-attr]
    assert nick.startswith("黑猫用户") and "13800138000" not in page
    form["csrf_token"] = csrf_from(c.get("/login").text)
    r = c.post("/login/sms", data={**form, "sms_code": code})  # a code works once
    assert r.status_code == 400 and "验证码已失效" in r.text


def test_heimao_complaint_validation(heimao: Any, client: Any) -> None:
    c = client(heimao.url)
    tok = heimao_qr_login(c)
    cases = [
        ({"company_id": ""}, "请搜索并选择投诉对象"),
        ({"issues": None}, "请选择投诉问题"),
        ({"issues": ["跑路"]}, "请选择投诉问题"),
        ({"demands": None}, "请选择投诉要求"),
        ({"amount": "abc"}, "请填写正确的涉诉金额"),
        ({"amount": "0"}, "请填写正确的涉诉金额"),
        ({"title": "太短"}, "投诉标题需5–50字"),
        ({"title": "长" * 51}, "投诉标题需5–50字"),
        ({"description": "太短的描述"}, "投诉描述需20–1500字"),
        ({"description": "长" * 1501}, "投诉描述需20–1500字"),
        ({"agree": None}, "请阅读并同意《黑猫投诉用户协议》"),
    ]
    for over, message in cases:
        r = heimao_submit(c, tok, **over)
        assert r.status_code == 400 and message in r.text, over
    r = heimao_submit(c, tok, files=[(f"p{i}.png", png(), "image/png") for i in range(10)])
    assert "最多上传9张图片" in r.text
    r = heimao_submit(c, tok, files=[("scan.pdf", PDF, "application/pdf")])
    assert "图片仅支持 JPG/PNG/WebP 图片:scan.pdf" in r.text
    big = b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024)
    assert "不能超过 5MB" in heimao_submit(c, tok, files=[("big.jpg", big, "image/jpeg")]).text
    assert twin_state(heimao.url)["records"] == []
    r = heimao_submit(c, tok, files=[(f"p{i}.png", png(), "image/png") for i in range(9)])
    assert r.status_code == 303


def test_heimao_public_page_timeline_and_rating(heimao: Any, client: Any) -> None:
    c = client(heimao.url)
    tok = heimao_qr_login(c)
    r = heimao_submit(c, tok)
    number = r.headers["location"].rsplit("/", 1)[1]
    assert re.fullmatch(r"\d{11}", number)
    assert f'<strong id="complaint-no">{number}</strong>' in c.get(r.headers["location"]).text
    public = client(heimao.url)  # not logged in
    page = public.get(f"/complaint/view/{number}").text
    assert '<h1 id="title">星辰卡盟点券未到账拒不退款</h1>' in page
    assert HEIMAO_FORM["description"] in page and '<span id="status">处理中</span>' in page
    assert "未发货、不予退款" in page and "100.00元" in page and 'id="rate-form"' not in page
    img_src = re.search(r'<img src="(/complaint/image/[0-9a-f]+)"', page).group(1)  # type: ignore[union-attr]
    assert public.get(img_src).content == ORDER_PNG
    r = c.post(f"/complaint/view/{number}/rate", data={"csrf_token": tok, "rating": "5"})
    assert r.status_code == 409
    operator(heimao.url, number, "reply", "已核实,已为您退款")
    assert operator(heimao.url, number, "complete")["status"] == "已完成"
    with pytest.raises(RuntimeError, match="409"):
        operator(heimao.url, number, "reply", "again")
    page = public.get(f"/complaint/view/{number}").text
    timeline = re.findall(r'<span class="op">([^<]+)</span> <span class="st">([^<]+)</span>', page)
    assert timeline == [
        ("猫爪用户2026", "发起投诉"),
        ("黑猫投诉", "处理中"),
        ("星辰卡盟", "已回复"),
        ("星辰卡盟", "已完成"),
    ]
    assert "已核实,已为您退款" in page and 'id="rate-form"' not in page  # only the owner rates
    assert 'id="rate-form"' in c.get(f"/complaint/view/{number}").text
    assert (
        c.post(f"/complaint/view/{number}/rate", data={"csrf_token": tok, "rating": "6"}).status_code == 400
    )
    r = c.post(
        f"/complaint/view/{number}/rate", data={"csrf_token": tok, "rating": "4", "rating_text": "处理及时"}
    )
    assert r.status_code == 303
    page = public.get(f"/complaint/view/{number}").text
    assert '<p id="rating">用户评价:4星(处理及时)</p>' in page
    assert (
        c.post(f"/complaint/view/{number}/rate", data={"csrf_token": tok, "rating": "1"}).status_code == 409
    )
    assert twin_state(heimao.url)["records"][0]["rating"] == 4


def test_heimao_keeps_images_and_texts_as_received(heimao: Any, client: Any) -> None:
    """What a masking test relies on: the twin shows every text and the image bytes, names and EXIF/GPS."""
    c = client(heimao.url)
    tok = heimao_qr_login(c)
    c.get("/api/companies", params={"q": "星辰"})
    leaky = jpeg_with_gps()
    r = heimao_submit(
        c, tok, description="联系我 13800138000,地址北京市朝阳区望京街道某小区3号楼502,卡密 ABCD-EFGH-1234",
        files=[("13800138000_张三.jpg", leaky, "image/jpeg"), ("clean.png", ORDER_PNG, "image/png")],
    )  # fmt: skip
    assert r.status_code == 303
    state = twin_state(heimao.url)
    texts = [t["value"] for t in state["received_texts"]]
    assert "星辰" in texts and "13800138000_张三.jpg" in texts
    assert any("13800138000" in t and "ABCD-EFGH-1234" in t for t in texts)
    images = state["records"][0]["images"]
    assert [(i["name"], i["exif"], i["gps"]) for i in images] == [
        ("13800138000_张三.jpg", True, True),
        ("clean.png", False, False),
    ]
    assert c.get(f"/complaint/image/{images[0]['id']}").content == leaky
    assert state["submissions"][0]["fields"]["description"].startswith("联系我 13800138000")
    assert state["submissions"][0]["files"][0]["name"] == "13800138000_张三.jpg"


# ---- 消协 over HTTP ----------------------------------------------------------------------------


def assoc_submit(c: httpx.Client, files: list[tuple[str, bytes, str]] | None = None, **over: Any):
    tok = csrf_from(c.get("/complaint").text)
    data = {k: v for k, v in {"csrf_token": tok, **ASSOC_FORM, **over}.items() if v is not None}
    return c.post("/complaint", data=data, files=[("attachments", f) for f in files or []] or None)


def test_assoc_form_receipt_and_query(assoc: Any, client: Any) -> None:
    c = client(assoc.url)
    page = c.get("/complaint").text
    for key, label in (
        ("name", "投诉人姓名"),
        ("purchase_date", "购买日期"),
        ("facts", "事实经过"),
        ("attachments", "附件"),
    ):
        assert f'<label for="{key}"' in page and f">{label}</label>" in page
    assert 'type="date" id="purchase_date"' in page
    tomorrow = (assoc.clock.now().date() + timedelta(days=1)).isoformat()
    cases = [
        ({"name": ""}, "请填写投诉人姓名"),
        ({"phone": "12345"}, "请填写正确的投诉人电话"),
        ({"respondent_name": ""}, "请填写被投诉方名称"),
        ({"purchase_date": tomorrow}, "购买日期不能晚于今天"),
        ({"purchase_date": "2026/11/02"}, "请选择购买日期"),
        ({"amount": "-1"}, "请填写正确的金额"),
        ({"facts": "太短"}, "事实经过需20–2000字"),
        ({"demand": "退"}, "投诉要求需4–500字"),
    ]
    for over, message in cases:
        r = assoc_submit(c, **over)
        assert r.status_code == 400 and message in r.text, over
    r = assoc_submit(c, files=[("order.png", ORDER_PNG, "image/png"), ("letter.pdf", PDF, "application/pdf")])
    assert r.status_code == 303
    number = r.headers["location"].rsplit("/", 1)[1]
    assert number == f"XH{assoc.clock.now():%Y%m%d}0001"
    assert f'<strong id="receipt-no">{number}</strong>' in c.get(r.headers["location"]).text
    second = assoc_submit(c).headers["location"].rsplit("/", 1)[1]
    assert second == f"XH{assoc.clock.now():%Y%m%d}0002"
    q = c.get("/query", params={"q_no": number, "q_phone": "13800138000"})
    assert q.status_code == 200 and '<strong id="status">已登记</strong>' in q.text
    assert c.get("/query", params={"q_no": number, "q_phone": "13900000000"}).status_code == 404
    rec = twin_state(assoc.url)["records"][0]
    assert [a["name"] for a in rec["attachments"]] == ["order.png", "letter.pdf"]
    assert rec["purchase_date"] == "2026-11-02" and rec["amount"] == "100.00"


def test_assoc_changed_labels_fault(assoc: Any, client: Any) -> None:
    c = client(assoc.url)
    set_faults(assoc.url, labels="changed")
    page = c.get("/complaint").text
    assert '<label for="complainant" class="req">姓名</label>' in page and 'id="name"' not in page
    renamed = {
        "complainant": "张三", "tel": "13800138000", "addr": ASSOC_FORM["address"], "merchant": "星辰网络科技有限公司",
        "buy_date": "2026-11-02", "item": "王者荣耀点券", "money": "100", "reason": ASSOC_FORM["facts"], "appeal": "退还货款",
    }  # fmt: skip
    r = c.post("/complaint", data={"csrf_token": csrf_from(page), **renamed})
    assert r.status_code == 303
    assert twin_state(assoc.url)["records"][0]["name"] == "张三"
    r = assoc_submit(c)  # the old field names no longer work
    assert r.status_code == 400 and "请填写投诉人姓名" in r.text


def test_assoc_attachment_limits(assoc: Any, client: Any) -> None:
    c = client(assoc.url)
    assert "附件最多8个" in assoc_submit(c, files=[(f"p{i}.png", png(), "image/png") for i in range(9)]).text
    assert "仅支持JPG、PNG、PDF格式:a.txt" in assoc_submit(c, files=[("a.txt", b"hello", "text/plain")]).text
    big = b"\x89PNG\r\n\x1a\n" + b"0" * (5 * 1024 * 1024)
    assert "单个文件不能超过5MB" in assoc_submit(c, files=[("big.png", big, "image/png")]).text
    assert twin_state(assoc.url)["records"] == []


def test_assoc_statuses_via_operator(assoc: Any, client: Any) -> None:
    c = client(assoc.url)
    first = assoc_submit(c).headers["location"].rsplit("/", 1)[1]
    second = assoc_submit(c).headers["location"].rsplit("/", 1)[1]
    with pytest.raises(RuntimeError, match="409"):
        operator(assoc.url, first, "mediate")
    assert [operator(assoc.url, first, a)["status"] for a in ("accept", "mediate", "conclude")] == [
        "已受理",
        "调解中",
        "已办结",
    ]
    assert operator(assoc.url, second, "reject", "不属于本会受理范围")["status"] == "不予受理"
    page = c.get("/query", params={"q_no": first, "q_phone": "13800138000"}).text
    assert re.findall(r'<td class="status">([^<]+)</td>', page) == ["已登记", "已受理", "调解中", "已办结"]


# ---- browser: 12315 widgets ---------------------------------------------------------------------


def browser_login(context: BrowserContext, gov: Any) -> None:
    """Log the browser context in (the captcha answer is read through the test endpoint)."""
    req = context.request
    page = req.get(f"{gov.url}/cuser/login").text()
    req.get(f"{gov.url}/cuser/captcha.png")
    sid = next(c["value"] for c in context.cookies() if c["name"] == "gov12315_session")
    form = {
        "csrf_token": csrf_from(page),
        "next": "/cuser/home",
        "username": "demo12315",
        "password": "demo-pass",
    }
    r = req.post(f"{gov.url}/cuser/login", form={**form, "captcha": captcha_answer(gov.url, sid) or ""})
    assert r.url.endswith("/cuser/home")


def browser_to_info(context: BrowserContext, gov: Any) -> Page:
    """Logged in and past 须知/respondent/address (by plain requests); the page is at step 4."""
    browser_login(context, gov)
    req = context.request
    tok = csrf_from(req.get(f"{gov.url}/cuser/complaint/notice").text())
    advance_clock(gov.url, 3)
    req.post(f"{gov.url}/cuser/complaint/agree", form={"csrf_token": tok})
    req.post(
        f"{gov.url}/cuser/complaint/respondent",
        form={"csrf_token": tok, "mode": "pick", "enterprise_id": "E0001"},
    )
    req.post(
        f"{gov.url}/cuser/complaint/address",
        form={"csrf_token": tok, "consumer_address": "北京市朝阳区望京街道某小区"},
    )
    page = context.new_page()
    page.goto(f"{gov.url}/cuser/complaint/info")
    expect(page.locator("h1")).to_have_text("案件信息")
    return page


def fill_info_except_content(page: Page) -> None:
    page.get_by_label("商品名称").fill("王者荣耀点券 1000点")
    page.get_by_label("商品类别").press_sequentially("点卡")
    page.get_by_role("option", name="虚拟商品/游戏点卡").click()
    page.get_by_label("销售方式").select_option("网购")
    page.get_by_label("电商平台").fill("星辰卡盟")
    page.get_by_label("入驻商户").fill("小王点卡")
    page.get_by_label("问题类别").select_option("合同")
    page.get_by_label("处理单位(省)").select_option(label="浙江省")
    page.get_by_label("处理单位(市)").select_option(label="杭州市")
    page.get_by_label("处理单位(区县)").select_option(label="余杭区")
    page.get_by_label("投诉请求").fill("退还货款100元")
    page.get_by_label("订单号").fill("KM20261102150012")


def test_browser_gov_countdown_button(context: BrowserContext, gov: Any) -> None:
    browser_login(context, gov)
    page = context.new_page()
    page.goto(f"{gov.url}/cuser/home")
    page.get_by_role("link", name="我要投诉").first.click()
    agree = page.locator("#agree-btn")
    expect(agree).to_be_disabled()
    expect(agree).to_have_text("请阅读须知(2秒)")
    expect(agree).to_have_text("请阅读须知(1秒)")
    # a cheater who enables the button and clicks at once is refused by the server
    page.evaluate("document.getElementById('agree-btn').disabled = false")
    page.locator("#agree-btn").click()
    expect(page.get_by_role("alert")).to_contain_text("倒计时结束后再同意")
    expect(page).to_have_url(re.compile(r"/cuser/complaint/agree$"))
    agree = page.get_by_role("button", name="我已阅读并同意")
    expect(agree).to_be_enabled(timeout=5000)
    agree.click()
    expect(page).to_have_url(re.compile(r"/cuser/complaint/respondent$"))
    page.wait_for_load_state()  # the page script must be running before its widgets react
    page.get_by_label("搜索企业").fill("星辰")
    page.get_by_role("button", name="搜索", exact=True).click()
    page.get_by_role("button", name=re.compile("^星辰网络科技有限公司")).click()
    expect(page.locator("#ent-picked")).to_have_text(
        "已选择:星辰网络科技有限公司(浙江省杭州市余杭区某路88号)"
    )
    page.get_by_role("button", name="下一步").click()
    expect(page).to_have_url(re.compile(r"/cuser/complaint/address$"))


def test_browser_gov_paste_blocked_and_counter(context: BrowserContext, gov: Any) -> None:
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=gov.url)
    page = browser_to_info(context, gov)
    content = page.get_by_label("内容(事实与理由)")
    counter = page.locator("#content-counter")
    expect(counter).to_have_text("0/2000")
    page.evaluate("navigator.clipboard.writeText('粘贴进来的文字')")
    page.get_by_label("订单号").click()
    page.keyboard.press("Control+V")
    expect(page.get_by_label("订单号")).to_have_value("粘贴进来的文字")  # a real paste works elsewhere
    content.click()
    page.keyboard.press("Control+V")
    expect(content).to_have_value("")
    expect(page.locator("#content-tip")).to_have_text("为保证真实性,请手动输入")
    expect(counter).to_have_text("0/2000")
    page.keyboard.type("abc你好")
    expect(counter).to_have_text("5/2000")
    page.keyboard.press("Backspace")
    expect(counter).to_have_text("4/2000")
    page.keyboard.insert_text("长" * 1990)
    page.keyboard.type("一二三四五六七八九十")
    expect(content).to_have_value(re.compile(r"^abc你长+一二三四五六$"))
    expect(counter).to_have_text("2000/2000")


def test_browser_gov_fill_rejected_typing_accepted_with_uploads(
    context: BrowserContext, gov: Any, tmp_path: Path
) -> None:
    page = browser_to_info(context, gov)
    fill_info_except_content(page)
    content = page.get_by_label("内容(事实与理由)")
    # uploads: the styled button opens the file chooser, files go up at once and are listed
    (tmp_path / "order.png").write_bytes(ORDER_PNG)
    (tmp_path / "letter.pdf").write_bytes(PDF)
    (tmp_path / "notes.txt").write_text("不是图片")
    with page.expect_file_chooser() as fc:
        page.get_by_role("button", name="上传附件").click()
    fc.value.set_files([tmp_path / "order.png", tmp_path / "letter.pdf", tmp_path / "notes.txt"])
    expect(page.locator("#upload-list li")).to_have_count(2)
    expect(page.locator("#upload-error")).to_contain_text("notes.txt")
    page.get_by_role("button", name="删除 letter.pdf").click()
    expect(page.locator("#upload-list li")).to_have_count(1)
    # page.fill inserts the whole text at once: refused
    content.fill(CONTENT)
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.locator("#form-errors")).to_contain_text("内容与手工输入不符,请重新输入")
    # a value set by script: no input events at all, the counter does not move, refused as well
    content.evaluate("(el, v) => { el.value = v; }", CONTENT + "另附聊天记录")
    expect(page.locator("#content-counter")).to_have_text(f"{len(CONTENT)}/2000")  # still from the fill
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.locator("#form-errors")).to_contain_text("内容与手工输入不符")
    assert twin_state(gov.url)["records"] == []
    # typed like a person: accepted
    content.fill("")
    content.click()
    page.keyboard.type(CONTENT)
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page).to_have_url(re.compile(r"/cuser/complaint/success/\d{25}$"))
    number = page.locator("#case-number").inner_text()
    rec = twin_state(gov.url)["records"][0]
    assert rec["number"] == number and rec["content"] == CONTENT
    assert rec["category"] == "虚拟商品/游戏点卡" and rec["unit_code"] == "330110"
    assert [a["name"] for a in rec["attachments"]] == ["order.png"]
    assert rec["typing"]["typed_events"] >= len(CONTENT)


def test_browser_gov_typeahead_must_be_picked(context: BrowserContext, gov: Any) -> None:
    page = browser_to_info(context, gov)
    fill_info_except_content(page)
    page.get_by_label("内容(事实与理由)").click()
    page.keyboard.type(CONTENT)
    box = page.get_by_label("商品类别")
    code = page.locator("#category-code")
    expect(code).to_have_value("1302")
    box.press("End")
    page.keyboard.type("x")  # editing after the pick clears the chosen value
    expect(code).to_have_value("")
    box.fill("")
    page.keyboard.type("会员")
    expect(page.get_by_role("option", name="虚拟商品/会员充值")).to_be_visible()
    expect(code).to_have_value("")
    page.get_by_label("订单号").click()  # typed but not picked
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.locator("#form-errors")).to_contain_text("请从列表中选择商品类别")
    box.fill("")
    box.press_sequentially("充值")
    expect(page.get_by_role("listbox", name="候选类别").get_by_role("option")).to_have_count(3)
    box.press("ArrowDown")
    box.press("ArrowDown")
    box.press("Enter")
    expect(box).to_have_value("虚拟商品/会员充值")
    expect(code).to_have_value("1303")
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page).to_have_url(re.compile(r"/success/\d{25}$"))


def test_browser_gov_cascade_reset_by_sales_method(context: BrowserContext, gov: Any) -> None:
    page = browser_to_info(context, gov)
    fill_info_except_content(page)
    page.get_by_label("内容(事实与理由)").click()
    page.keyboard.type(CONTENT)
    expect(page.locator("#unit-name")).to_have_text("处理单位:杭州市余杭区市场监督管理局")
    expect(page.get_by_label("电商平台")).to_be_visible()
    page.get_by_label("销售方式").select_option("实体店")
    expect(page.get_by_label("电商平台")).to_be_hidden()
    expect(page.get_by_label("处理单位(省)")).to_have_value("")
    expect(page.get_by_label("处理单位(市)")).to_be_disabled()
    expect(page.get_by_label("处理单位(区县)")).to_be_disabled()
    expect(page.get_by_label("处理单位(区县)").locator("option")).to_have_count(1)
    expect(page.locator("#unit-reset-tip")).to_have_text("销售方式已变更,请重新选择处理单位")
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.locator("#form-errors")).to_contain_text("请选择处理单位(需选择到区县)")
    page.get_by_label("处理单位(省)").select_option(label="北京市")
    page.get_by_label("处理单位(市)").select_option(label="北京市")
    page.get_by_label("处理单位(区县)").select_option(label="朝阳区")
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page).to_have_url(re.compile(r"/success/110105\d{19}$"))
    rec = twin_state(gov.url)["records"][0]
    assert rec["sales_method"] == "实体店" and rec["unit_name"] == "北京市朝阳区市场监督管理局"


# ---- browser: 黑猫投诉 and 消协 ---------------------------------------------------------------


def test_browser_heimao_qr_login_and_complaint(context: BrowserContext, heimao: Any, tmp_path: Path) -> None:
    page = context.new_page()
    page.goto(f"{heimao.url}/complaint/new")
    expect(page).to_have_url(re.compile(r"/login\?next=/complaint/new$"))
    token = page.locator("#qr-img").get_attribute("data-token")
    expect(page.locator("#qr-status")).to_have_text("请使用微博客户端扫码登录")
    httpx.post(f"{heimao.url}/_twin/qr/{token}/scan", json={"confirm": False}, timeout=10)
    expect(page.locator("#qr-status")).to_have_text("已扫码,请在手机上确认")
    httpx.post(f"{heimao.url}/_twin/qr/{token}/scan", json={}, timeout=10)
    expect(page).to_have_url(re.compile(r"/complaint/new$"))
    page.wait_for_load_state()  # the page script must be running before its widgets react
    page.get_by_label("投诉对象").press_sequentially("星辰")
    page.get_by_role("button", name="星辰卡盟").click()
    expect(page.locator("#company-picked")).to_have_text("已选择:星辰卡盟")
    issues = page.get_by_role("group", name="投诉问题")
    issues.get_by_role("button", name="未发货").click()
    issues.get_by_role("button", name="其他").click()
    issues.get_by_role("button", name="其他").click()  # toggled off again
    expect(issues.get_by_role("button", name="未发货")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("group", name="投诉要求").get_by_role("button", name="退款", exact=True).click()
    page.get_by_label("涉诉金额(元)").fill("100.00")
    page.get_by_label("投诉标题").fill(HEIMAO_FORM["title"])
    expect(page.locator("#title-counter")).to_have_text(f"{len(HEIMAO_FORM['title'])}/50")
    page.get_by_label("投诉描述").fill(HEIMAO_FORM["description"])
    (tmp_path / "evidence-1.png").write_bytes(ORDER_PNG)
    with page.expect_file_chooser() as fc:
        page.get_by_role("button", name="上传图片").click()
    fc.value.set_files(tmp_path / "evidence-1.png")
    expect(page.locator("#image-list li")).to_have_count(1)
    page.get_by_label("我已阅读并同意").check()
    page.get_by_role("button", name="提交投诉").click()
    expect(page).to_have_url(re.compile(r"/complaint/success/\d{11}$"))
    number = page.locator("#complaint-no").inner_text()
    page.get_by_role("link", name="查看投诉").click()
    expect(page.locator("#title")).to_have_text(HEIMAO_FORM["title"])
    expect(page.locator("#timeline li")).to_have_count(2)
    rec = twin_state(heimao.url)["records"][0]
    assert (rec["number"], rec["issues"], rec["demands"]) == (number, ["未发货"], ["退款"])
    assert rec["images"][0]["name"] == "evidence-1.png"
    operator(heimao.url, number, "complete", "已退款")
    page.reload()
    page.get_by_role("button", name="4星").click()
    expect(page.get_by_role("button", name="5星")).to_have_attribute("aria-pressed", "false")
    page.get_by_label("评价内容").fill("处理及时")
    page.get_by_role("button", name="提交评价").click()
    expect(page.locator("#rating")).to_have_text("用户评价:4星(处理及时)")


def test_browser_assoc_form_and_query(context: BrowserContext, assoc: Any, tmp_path: Path) -> None:
    page = context.new_page()
    page.goto(assoc.url)
    labels = {
        "投诉人姓名": "张三",
        "投诉人电话": "13800138000",
        "投诉人地址": ASSOC_FORM["address"],
        "被投诉方名称": ASSOC_FORM["respondent_name"],
        "被投诉方地址": ASSOC_FORM["respondent_address"],
        "购买日期": "2026-11-02",
        "商品或服务": ASSOC_FORM["goods"],
        "金额(元)": "100.00",
        "事实经过": ASSOC_FORM["facts"],
        "投诉要求": ASSOC_FORM["demand"],
    }
    for label, value in labels.items():
        page.get_by_label(label, exact=True).fill(value)
    (tmp_path / "order.png").write_bytes(ORDER_PNG)
    page.get_by_label("附件").set_input_files(tmp_path / "order.png")
    page.get_by_role("button", name="提交投诉").click()
    number = page.locator("#receipt-no").inner_text()
    assert re.fullmatch(r"XH\d{8}\d{4}", number)
    page.get_by_role("link", name="查询处理进度").click()
    page.get_by_label("登记号").fill(number)
    page.get_by_label("联系电话").fill("13800138000")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#status")).to_have_text("已登记")
    assert twin_state(assoc.url)["records"][0]["attachments"][0]["name"] == "order.png"
