"""卡盟 family A twin over real HTTP: login with captcha, 工单 form and JSON API, statuses, faults."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from PIL import Image

from kameng_filer.testing import advance_clock, captcha_answer, card_a_login, csrf_from, operator, set_faults
from kameng_filer.timeutil import SHANGHAI
from kameng_filer.timeutil import now as bj_now

ROOT = Path(__file__).resolve().parent.parent
ORDER_PNG = (ROOT / "examples" / "evidence" / "order.png").read_bytes()
TK_RE = re.compile(r"^TK(\d{12})[0-9A-F]{8}$")
ERROR_RE = re.compile(r'<div class="error" id="([^"]+)"[^>]*>([^<]+)</div>')


def errors_of(html: str) -> dict[str, str]:
    """Validation messages on a page by element id."""
    return dict(ERROR_RE.findall(html))


def jpeg_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buf, "JPEG", exif=exif.tobytes())
    return buf.getvalue()


def webp() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 40), (0, 90, 200)).save(buf, "WEBP")
    return buf.getvalue()


GOOD = {
    "ticket_type": "aftersale",
    "order_id": "KM20261102150012",
    "order_no": "",
    "priority": "high",
    "title": "王者荣耀点券充值未到账",
    "content": "支付成功后点券一直未到账,商家以系统延迟为由拖延,要求退款 100 元。",
}


@pytest.fixture
def member(card_a_twin):
    """A logged-in httpx client of the family-A twin."""
    with httpx.Client(base_url=card_a_twin.url, timeout=30) as client:
        r = card_a_login(client)
        assert r.status_code == 303
        yield client


def post_ticket(client: httpx.Client, fields: dict[str, str] | None = None, files=None) -> httpx.Response:
    page = client.get("/tickets/new")
    data = {"csrf_token": csrf_from(page.text), **(GOOD if fields is None else fields)}
    if files is None:
        files = [("proof", ("order.png", ORDER_PNG, "image/png"))]
    return client.post("/tickets/new", data=data, files=files or None)


# ---- login ---------------------------------------------------------------------------------------


def test_pages_need_login_and_keep_next(card_a_twin) -> None:
    with httpx.Client(base_url=card_a_twin.url) as c:
        r = c.get("/tickets/new")
        assert r.status_code == 303 and r.headers["location"] == "/login?next=/tickets/new"
        page = c.get("/login", params={"next": "/tickets/new"})
        for label, field_id in (("用户名", "username"), ("密码", "password"), ("验证码", "captcha")):
            assert f'<label for="{field_id}">{label}</label>' in page.text
        assert 'id="captcha-img"' in page.text and 'name="csrf_token"' in page.text


def test_wrong_captcha_refused_with_new_captcha(card_a_twin) -> None:
    with httpx.Client(base_url=card_a_twin.url) as c:
        page = c.get("/login", params={"next": "/tickets/new"})
        c.get("/captcha.png")
        sid = c.cookies["card_a_session"]
        first = captcha_answer(card_a_twin.url, sid)
        wrong = "ZZZZ" if first != "ZZZZ" else "YYYY"
        data = {
            "csrf_token": csrf_from(page.text),
            "next": "/tickets/new",
            "username": "demo",
            "password": "demo-pass",
            "captcha": wrong,
        }
        r = c.post("/login", data=data)
        assert r.status_code == 422
        assert errors_of(r.text) == {"captcha-error": "验证码错误,请重新输入"}
        assert 'src="/captcha.png?v=' in r.text
        assert captcha_answer(card_a_twin.url, sid) is None  # the old one is used up
        # still not logged in
        assert c.get("/tickets").status_code == 303
        # the right answer of the NEW captcha works, and the login goes back to next
        c.get("/captcha.png")
        data["captcha"] = captcha_answer(card_a_twin.url, sid).lower()
        r = c.post("/login", data=data)
        assert r.status_code == 303 and r.headers["location"] == "/tickets/new"
        assert c.get("/tickets/new").status_code == 200
    logins = card_a_twin.state.logins
    assert [x["ok"] for x in logins] == [False, True]


def test_wrong_password_and_missing_csrf(card_a_twin) -> None:
    with httpx.Client(base_url=card_a_twin.url) as c:
        assert card_a_login(c, password="nope").status_code == 422
        r = card_a_login(c, password="nope")
        assert errors_of(r.text) == {"password-error": "用户名或密码错误"}
        assert c.post("/login", data={"username": "demo"}).status_code == 419


def test_login_rotates_session(card_a_twin) -> None:
    with httpx.Client(base_url=card_a_twin.url) as c:
        c.get("/login")
        before = c.cookies["card_a_session"]
        card_a_login(c)
        assert c.cookies["card_a_session"] != before


# ---- the ticket form -----------------------------------------------------------------------------


def test_form_labels_and_widgets(member) -> None:
    html = member.get("/tickets/new").text
    for label, field_id in (
        ("工单类型", "ticket_type"),
        ("选择订单", "order_id"),
        ("订单号", "order_no"),
        ("购买凭证", "proof"),
        ("标题", "title"),
        ("内容", "content"),
    ):
        assert f'<label for="{field_id}">{label}</label>' in html
    assert "<legend>优先级</legend>" in html
    for key, label in (("low", "低"), ("medium", "中"), ("high", "高")):
        assert f'<label for="priority-{key}">{label}</label>' in html
    assert '<option value="aftersale">售后支持</option>' in html
    assert (
        '<option value="KM20261102150012">KM20261102150012 | 王者荣耀点券 1000点 | ¥100.00</option>' in html
    )
    assert "KM20261025201533" not in html  # a guest order is not in the member's picker
    assert 'id="security-warning"' in html and "完整卡密" in html
    assert 'enctype="multipart/form-data"' in html and 'maxlength="32"' in html


def test_ticket_created_with_tk_number_in_beijing_time(member, card_a_twin) -> None:
    exif_jpg = jpeg_with_exif()
    r = post_ticket(
        member,
        files=[
            ("proof", ("order.png", ORDER_PNG, "image/png")),
            ("proof", ("photo.jpg", exif_jpg, "image/jpeg")),
            ("proof", ("shot.webp", webp(), "image/webp")),
        ],
    )
    assert r.status_code == 303
    number = r.headers["location"].rsplit("/", 1)[1]
    m = TK_RE.match(number)
    assert m, number
    stamped = datetime.strptime(m.group(1), "%y%m%d%H%M%S").replace(tzinfo=SHANGHAI)
    assert abs((stamped - bj_now()).total_seconds()) < 30
    detail = member.get(r.headers["location"]).text
    assert f'<span id="ticket-no">{number}</span>' in detail
    assert '<span id="ticket-status" class="status">待客服回复</span>' in detail
    assert f"工单提交成功,工单号:{number}" in detail
    listing = member.get("/tickets").text
    assert f'data-ticket="{number}"' in listing and "KM20261102150012" in listing
    sub = card_a_twin.state.submissions[0]
    assert sub["number"] == number and sub["via"] == "form" and sub["user"] == "demo"
    assert sub["fields"] == {
        "ticket_type": "售后支持",
        "order_no": "KM20261102150012",
        "priority": "高",
        "title": GOOD["title"],
        "content": GOOD["content"],
    }
    files = {f["name"]: f for f in sub["files"]}
    assert files["photo.jpg"]["exif"] is True and files["order.png"]["exif"] is False
    assert files["shot.webp"]["mime"] == "image/webp"
    import hashlib

    assert files["order.png"]["sha256"] == hashlib.sha256(ORDER_PNG).hexdigest()
    assert files["order.png"]["size"] == len(ORDER_PNG)
    assert (card_a_twin.data_dir / files["order.png"]["stored_as"]).read_bytes() == ORDER_PNG


def test_typed_guest_order_number(member, card_a_twin) -> None:
    r = post_ticket(member, {**GOOD, "order_id": "", "order_no": "KM20261025201533"})
    assert r.status_code == 303
    assert card_a_twin.records()[0]["order_no"] == "KM20261025201533"


def test_presale_needs_no_order_or_proof(member) -> None:
    r = post_ticket(member, {**GOOD, "ticket_type": "presale", "order_id": ""}, files=[])
    assert r.status_code == 303


BAD_CASES = [
    ("no type", {"ticket_type": ""}, None, {"ticket_type-error": "请选择工单类型"}),
    ("no order", {"order_id": ""}, None, {"order_id-error": "售后工单请选择订单或填写订单号"}),
    (
        "order too long",
        {"order_id": "", "order_no": "K" * 33},
        None,
        {"order_no-error": "订单号不能超过 32 个字符"},
    ),
    (
        "unknown order",
        {"order_id": "", "order_no": "KM00000000000000"},
        None,
        {"order_no-error": "订单不存在,请核对订单号"},
    ),
    ("mismatch", {"order_no": "KM20261020103344"}, None, {"order_no-error": "所选订单与填写的订单号不一致"}),
    ("title short", {"title": "退款"}, None, {"title-error": "标题长度需为 4–100 个字,当前 2 个字"}),
    ("title long", {"title": "长" * 101}, None, {"title-error": "标题长度需为 4–100 个字,当前 101 个字"}),
    ("content short", {"content": "没到账"}, None, {"content-error": "内容至少 10 个字"}),
    ("no proof", {}, [], {"proof-error": "售后工单必须上传购买凭证"}),
    (
        "text as png",
        {},
        [("proof", ("fake.png", b"not an image at all", "image/png"))],
        {"proof-error": "购买凭证仅支持 JPG/PNG/WebP 图片:fake.png"},
    ),
    (
        "gif",
        {},
        [("proof", ("a.gif", b"GIF89a" + b"\0" * 40, "image/gif"))],
        {"proof-error": "购买凭证仅支持 JPG/PNG/WebP 图片:a.gif"},
    ),
    (
        "broken png",
        {},
        [("proof", ("cut.png", ORDER_PNG[:200], "image/png"))],
        {"proof-error": "购买凭证图片已损坏,无法识别:cut.png"},
    ),
    (
        "too big",
        {},
        [("proof", ("big.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (10 * 1024 * 1024), "image/png"))],
        {"proof-error": "购买凭证单张不能超过 10MB:big.png"},
    ),
    (
        "six files",
        {},
        [("proof", (f"{i}.png", ORDER_PNG, "image/png")) for i in range(6)],
        {"proof-error": "购买凭证最多上传 5 张"},
    ),
]


@pytest.mark.parametrize(
    ("fields", "files", "expected"), [c[1:] for c in BAD_CASES], ids=[c[0] for c in BAD_CASES]
)
def test_validation_errors_shown_next_to_field_and_nothing_stored(
    member, card_a_twin, fields, files, expected
):
    r = post_ticket(member, {**GOOD, **fields}, files=files)
    assert r.status_code == 422
    assert errors_of(r.text) == expected
    assert 'id="form-alert"' in r.text
    assert card_a_twin.tickets == {} and card_a_twin.state.submissions == []
    assert card_a_twin.state.rejections[-1]["form"] == "ticket"
    if fields.get("title"):
        assert f'value="{fields["title"]}"' in r.text  # values are kept
    uploads = card_a_twin.data_dir / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())  # no file kept either


def test_missing_csrf_stores_nothing(member, card_a_twin) -> None:
    r = member.post("/tickets/new", data=GOOD, files=[("proof", ("order.png", ORDER_PNG, "image/png"))])
    assert r.status_code == 419 and "页面已过期" in r.text
    assert card_a_twin.tickets == {}


def test_rate_limit_five_per_ten_minutes(member, card_a_twin) -> None:
    for _ in range(5):
        assert post_ticket(member).status_code == 303
    r = post_ticket(member)
    assert r.status_code == 429
    assert errors_of(r.text)["form-error"].startswith("操作过于频繁")
    assert len(card_a_twin.tickets) == 5
    advance_clock(card_a_twin.url, 601)
    assert post_ticket(member).status_code == 303
    assert len(card_a_twin.tickets) == 6


# ---- statuses and replies ------------------------------------------------------------------------


def test_status_cycle_and_replies_until_resolved(member, card_a_twin) -> None:
    number = post_ticket(member).headers["location"].rsplit("/", 1)[1]
    rec = operator(card_a_twin.url, number, "reply", "您好,请提供游戏区服和角色名。")
    assert rec["status"] == "待用户回复"
    page = member.get(f"/tickets/{number}").text
    assert "请提供游戏区服和角色名" in page and '<label for="reply_content">回复内容</label>' in page
    r = member.post(
        f"/tickets/{number}/reply", data={"csrf_token": csrf_from(page), "reply_content": "微信区,角色名张三"}
    )
    assert r.status_code == 303
    assert card_a_twin.tickets[number].status == "待客服回复"
    # empty reply refused
    r = member.post(f"/tickets/{number}/reply", data={"csrf_token": csrf_from(page), "reply_content": " "})
    assert r.status_code == 422 and errors_of(r.text) == {"reply_content-error": "请填写回复内容"}
    assert operator(card_a_twin.url, number, "resolve", "已退款 100 元。")["status"] == "已解决"
    token = csrf_from(page)
    page = member.get(f"/tickets/{number}").text
    assert 'id="reply-form"' not in page and "工单已结束,无法继续回复" in page
    r = member.post(f"/tickets/{number}/reply", data={"csrf_token": token, "reply_content": "还有问题"})
    assert r.status_code == 422 and "工单已结束,无法继续回复" in r.text
    with pytest.raises(RuntimeError, match="409"):
        operator(card_a_twin.url, number, "reply", "再说一句")
    statuses = [s["status"] for s in card_a_twin.state.status_history]
    assert statuses == ["待客服回复", "待用户回复", "待客服回复", "已解决"]
    by = [(m["by"], m["text"]) for m in card_a_twin.state.messages]
    assert by[1] == ("user", "微信区,角色名张三")


def test_operator_close_reject_and_unknown(member, card_a_twin) -> None:
    a = post_ticket(member).headers["location"].rsplit("/", 1)[1]
    assert operator(card_a_twin.url, a, "close")["status"] == "已关闭"
    b = post_ticket(member).headers["location"].rsplit("/", 1)[1]
    assert operator(card_a_twin.url, b, "reject", "不属于售后范围")["status"] == "已关闭"
    with pytest.raises(RuntimeError, match="404"):
        operator(card_a_twin.url, "TK000000000000AAAAAAAA", "reply", "x")
    r = httpx.post(f"{card_a_twin.url}/_twin/operator/{b}", json={"action": "fly"})
    assert r.status_code == 400
    c = post_ticket(member).headers["location"].rsplit("/", 1)[1]
    r = httpx.post(f"{card_a_twin.url}/_twin/operator/{c}", json={"action": "intervene"})
    assert r.status_code == 409


def test_other_members_ticket_is_hidden(card_a_twin, member, tmp_path) -> None:
    number = post_ticket(member).headers["location"].rsplit("/", 1)[1]
    with httpx.Client(base_url=card_a_twin.url) as stranger:
        assert stranger.get(f"/tickets/{number}").status_code == 303


# ---- JSON API ------------------------------------------------------------------------------------


def api_login(client: httpx.Client, twin_url: str, *, wrong: bool = False) -> dict:
    cap = client.get("/api/captcha").json()
    assert cap["code"] == 0 and cap["data"]["image"].startswith("data:image/png;base64,")
    assert client.get(cap["data"]["image_url"]).headers["content-type"] == "image/png"
    answer = captcha_answer(twin_url, captcha_id=cap["data"]["captcha_id"])
    body = {
        "username": "demo",
        "password": "demo-pass",
        "captcha_id": cap["data"]["captcha_id"],
        "captcha": "WRONG" if wrong else answer,
    }
    return client.post("/api/login", json=body).json()


def api_create(client: httpx.Client, **overrides) -> httpx.Response:
    data = {
        "ticket_type": "售后支持",
        "order_no": "KM20261102150012",
        "priority": "高",
        "title": GOOD["title"],
        "content": GOOD["content"],
        **overrides,
    }
    return client.post("/api/tickets", data=data, files=[("proof", ("order.png", ORDER_PNG, "image/png"))])


def test_api_errors_are_http_200_with_code(card_a_twin) -> None:
    with httpx.Client(base_url=card_a_twin.url) as c:
        r = api_create(c)
        assert r.status_code == 200 and r.json() == {"code": 4010, "msg": "未登录或登录已过期"}
        assert c.get("/api/tickets").json()["code"] == 4010
        assert api_login(c, card_a_twin.url, wrong=True)["code"] == 4001
        assert api_login(c, card_a_twin.url)["code"] == 0
        r = api_create(c, title="短")
        body = r.json()
        assert r.status_code == 200 and body["code"] == 4220
        assert body["msg"] == "标题长度需为 4–100 个字,当前 1 个字" and "title" in body["errors"]
        assert card_a_twin.tickets == {}


def test_api_create_list_detail_reply(card_a_twin) -> None:
    with httpx.Client(base_url=card_a_twin.url) as c:
        assert api_login(c, card_a_twin.url)["code"] == 0
        assert next(o["order_no"] for o in c.get("/api/orders").json()["data"]["items"]) == "KM20261102150012"
        created = api_create(c).json()
        assert created["code"] == 0
        number = created["data"]["ticket_no"]
        assert TK_RE.match(number)
        items = c.get("/api/tickets", params={"order_no": "KM20261102150012"}).json()["data"]["items"]
        assert [i["ticket_no"] for i in items] == [number]
        assert c.get("/api/tickets", params={"order_no": "KM20261020103344"}).json()["data"]["items"] == []
        operator(card_a_twin.url, number, "reply", "请稍等")
        detail = c.get(f"/api/tickets/{number}").json()["data"]
        assert detail["status"] == "待用户回复" and detail["replies"][0]["text"] == "请稍等"
        assert detail["priority"] == "高" and detail["files"][0]["name"] == "order.png"
        r = c.post(f"/api/tickets/{number}/reply", json={"content": "好的"}).json()
        assert r["code"] == 0 and r["data"]["status"] == "待客服回复"
        operator(card_a_twin.url, number, "close")
        r = c.post(f"/api/tickets/{number}/reply", json={"content": "再问"}).json()
        assert r == {"code": 4090, "msg": "工单已结束,无法继续回复"}
        assert c.get("/api/tickets/TK000000000000AAAAAAAA").json()["code"] == 4040
    assert card_a_twin.state.submissions[0]["via"] == "api"


def test_api_rate_limit(card_a_twin) -> None:
    with httpx.Client(base_url=card_a_twin.url) as c:
        api_login(c, card_a_twin.url)
        for _ in range(5):
            assert api_create(c).json()["code"] == 0
        r = api_create(c)
        assert r.status_code == 200 and r.json()["code"] == 4290 and "操作过于频繁" in r.json()["msg"]
        set_faults(card_a_twin.url, rate_limit=1)
        advance_clock(card_a_twin.url, 601)
        assert api_create(c).json()["code"] == 4290  # the switch, not the window
        assert api_create(c).json()["code"] == 0


def test_browser_login_cookie_works_for_api(member, card_a_twin) -> None:
    assert api_create(member).json()["code"] == 0


# ---- faults on the real flow ---------------------------------------------------------------------


def test_drop_after_submit_stores_ticket_but_loses_response(member, card_a_twin) -> None:
    set_faults(card_a_twin.url, drop_after_submit=1)
    with pytest.raises(httpx.RemoteProtocolError):
        post_ticket(member)
    assert len(card_a_twin.tickets) == 1
    number = next(iter(card_a_twin.tickets))
    # reconciliation: the "my tickets" list by order number shows it
    listing = member.get("/tickets", params={"q_order_no": "KM20261102150012"}).text
    assert f'data-ticket="{number}"' in listing
    assert post_ticket(member).status_code == 303  # switch used up


def test_drop_after_submit_on_api(card_a_twin) -> None:
    with httpx.Client(base_url=card_a_twin.url) as c:
        api_login(c, card_a_twin.url)
        set_faults(card_a_twin.url, drop_after_submit=1)
        with pytest.raises(httpx.RemoteProtocolError):
            api_create(c)
        items = c.get("/api/tickets", params={"order_no": "KM20261102150012"}).json()["data"]["items"]
        assert len(items) == 1


def test_changed_labels_break_old_selectors(member, card_a_twin) -> None:
    set_faults(card_a_twin.url, labels="changed")
    html = member.get("/tickets/new").text
    assert '<label for="title">标题</label>' not in html and 'id="ticket-submit"' not in html
    assert '<label for="subject">工单主题</label>' in html and 'id="btn-create"' in html
    r = post_ticket(member)  # a stale form with the old names
    assert r.status_code == 422 and card_a_twin.tickets == {}
    fields = {
        "category": "aftersale",
        "related_order": "KM20261102150012",
        "urgency": "high",
        "subject": GOOD["title"],
        "description": GOOD["content"],
    }
    r = post_ticket(member, fields, files=[("attachment", ("order.png", ORDER_PNG, "image/png"))])
    assert r.status_code == 303
    set_faults(card_a_twin.url, labels="normal")
    assert '<label for="title">标题</label>' in member.get("/tickets/new").text


def test_expire_sessions_logs_everybody_out(member, card_a_twin) -> None:
    page = member.get("/tickets/new").text
    set_faults(card_a_twin.url, expire_sessions=True)
    assert member.get("/tickets").headers["location"] == "/login?next=/tickets"
    data = {"csrf_token": csrf_from(page), **GOOD}
    r = member.post("/tickets/new", data=data, files=[("proof", ("order.png", ORDER_PNG, "image/png"))])
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert "登录已过期" in member.get(r.headers["location"]).text
    assert card_a_twin.tickets == {}
    assert api_create(member).json()["code"] == 4010


def test_idle_session_expires_after_two_hours(member, card_a_twin) -> None:
    advance_clock(card_a_twin.url, timedelta(hours=2, minutes=1).total_seconds())
    assert member.get("/tickets").status_code == 303
