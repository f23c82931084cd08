"""卡盟 family B twin over real HTTP: SMS verification via the outbox, complaints, statuses, expiry, faults."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from kameng_filer.testing import (
    advance_clock,
    card_b_verify,
    csrf_from,
    latest_sms_code,
    operator,
    read_outbox,
    set_faults,
)
from kameng_filer.timeutil import now as bj_now

ROOT = Path(__file__).resolve().parent.parent
CHAT_PNG = (ROOT / "examples" / "evidence" / "chat.png").read_bytes()
ORDER, PHONE = "KM20261102150012", "13800138000"
CP_RE = re.compile(r"^CP(\d{6})\d{6}$")
ERROR_RE = re.compile(r'<div class="error" id="([^"]+)"[^>]*>([^<]+)</div>')
GOOD = {
    "complaint_type": "not_received",
    "description": "支付成功后点券一直未到账,商家拖延不处理,要求退款。",
    "contact": "13800138000",
}


def errors_of(html: str) -> dict[str, str]:
    return dict(ERROR_RE.findall(html))


@pytest.fixture
def guest(card_b_twin):
    """A client that passed order + phone + SMS verification."""
    with httpx.Client(base_url=card_b_twin.url, timeout=30) as client:
        r = card_b_verify(client)
        assert r.status_code == 303 and r.headers["location"] == "/complaint/form"
        yield client


def file_complaint(client: httpx.Client, fields: dict | None = None, files=None) -> httpx.Response:
    page = client.get("/complaint/form")
    data = {"csrf_token": csrf_from(page.text), **(GOOD if fields is None else fields)}
    return client.post("/complaint/form", data=data, files=files)


def filed_number(client: httpx.Client, **kw) -> str:
    r = file_complaint(client, **kw)
    assert r.status_code == 303, errors_of(r.text)
    done = client.get("/complaint/done").text
    return re.search(r'<strong id="complaint-no">(\w+)</strong>', done).group(1)


# ---- SMS verification ----------------------------------------------------------------------------


def test_verify_page_labels(card_b_twin) -> None:
    html = httpx.get(card_b_twin.url + "/complaint").text
    for label, field_id in (("订单号", "order_no"), ("下单手机号", "phone"), ("短信验证码", "sms_code")):
        assert f'<label for="{field_id}">{label}</label>' in html
    assert 'formaction="/complaint/send-code"' in html and ">获取验证码</button>" in html
    assert 'id="verify-submit">下一步</button>' in html


def test_sms_code_goes_to_outbox_with_cooldown(card_b_twin) -> None:
    with httpx.Client(base_url=card_b_twin.url) as c:
        token = csrf_from(c.get("/complaint").text)
        r = c.post("/complaint/send-code", data={"csrf_token": token, "order_no": ORDER, "phone": PHONE})
        assert r.status_code == 200
        assert (
            "验证码已发送至 138****8000" in r.text and "disabled" in r.text and 'data-cooldown="60"' in r.text
        )
        msgs = read_outbox(card_b_twin.url, PHONE)
        assert (
            len(msgs) == 1 and re.fullmatch(r"\d{6}", msgs[0]["code"]) and msgs[0]["code"] in msgs[0]["text"]
        )
        assert msgs[0]["code"] not in r.text
        r = c.post("/complaint/send-code", data={"csrf_token": token, "order_no": ORDER, "phone": PHONE})
        assert r.status_code == 422 and errors_of(r.text)["send-code-error"].startswith("发送过于频繁")
        assert len(read_outbox(card_b_twin.url)) == 1
        advance_clock(card_b_twin.url, 61)
        c.post("/complaint/send-code", data={"csrf_token": token, "order_no": ORDER, "phone": PHONE})
        assert len(read_outbox(card_b_twin.url)) == 2
    lines = (card_b_twin.data_dir / "outbox.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2


@pytest.mark.parametrize(
    ("order", "phone", "expected"),
    [
        (ORDER, "13900139000", {"phone-error": "订单号与下单手机号不匹配"}),
        ("KM404", PHONE, {"phone-error": "订单号与下单手机号不匹配"}),
        (ORDER, "12345", {"phone-error": "请输入正确的 11 位手机号"}),
        ("", PHONE, {"order_no-error": "请输入订单号"}),
    ],
)
def test_sms_refused_for_wrong_order_or_phone(card_b_twin, order, phone, expected) -> None:
    with httpx.Client(base_url=card_b_twin.url) as c:
        token = csrf_from(c.get("/complaint").text)
        r = c.post("/complaint/send-code", data={"csrf_token": token, "order_no": order, "phone": phone})
        assert r.status_code == 422 and errors_of(r.text) == expected
    assert read_outbox(card_b_twin.url) == []


def test_wrong_expired_and_missing_codes(card_b_twin) -> None:
    with httpx.Client(base_url=card_b_twin.url) as c:
        token = csrf_from(c.get("/complaint").text)
        verify = {"csrf_token": token, "order_no": ORDER, "phone": PHONE}
        r = c.post("/complaint/verify", data={**verify, "sms_code": "000000"})
        assert errors_of(r.text) == {"sms_code-error": "请先获取短信验证码"}
        c.post("/complaint/send-code", data=verify)
        code = latest_sms_code(card_b_twin.url, PHONE)
        wrong = "111111" if code != "111111" else "222222"
        r = c.post("/complaint/verify", data={**verify, "sms_code": wrong})
        assert r.status_code == 422 and errors_of(r.text) == {"sms_code-error": "验证码错误"}
        assert c.get("/complaint/form").status_code == 303
        advance_clock(card_b_twin.url, 301)
        r = c.post("/complaint/verify", data={**verify, "sms_code": code})
        assert errors_of(r.text) == {"sms_code-error": "验证码已过期,请重新获取"}
        c.post("/complaint/send-code", data=verify)
        code = latest_sms_code(card_b_twin.url, PHONE)
        r = c.post("/complaint/verify", data={**verify, "sms_code": code})
        assert r.status_code == 303
        # a code works once
        r = c.post("/complaint/verify", data={**verify, "sms_code": code})
        assert errors_of(r.text) == {"sms_code-error": "请先获取短信验证码"}


def test_too_many_wrong_codes(card_b_twin) -> None:
    with httpx.Client(base_url=card_b_twin.url) as c:
        token = csrf_from(c.get("/complaint").text)
        verify = {"csrf_token": token, "order_no": ORDER, "phone": PHONE}
        c.post("/complaint/send-code", data=verify)
        code = latest_sms_code(card_b_twin.url, PHONE)
        wrong = "111111" if code != "111111" else "222222"
        for _ in range(5):
            c.post("/complaint/verify", data={**verify, "sms_code": wrong})
        r = c.post("/complaint/verify", data={**verify, "sms_code": code})
        assert errors_of(r.text) == {"sms_code-error": "验证码错误次数过多,请重新获取"}


# ---- complaint -----------------------------------------------------------------------------------


def test_form_needs_verification(card_b_twin) -> None:
    with httpx.Client(base_url=card_b_twin.url) as c:
        r = c.get("/complaint/form")
        assert r.status_code == 303 and r.headers["location"] == "/complaint"
        assert "请重新验证订单" in c.get("/complaint").text


def test_complaint_form_labels(guest) -> None:
    html = guest.get("/complaint/form").text
    for label, field_id in (
        ("投诉类型", "complaint_type"),
        ("问题描述", "description"),
        ("联系方式", "contact"),
    ):
        assert f'<label for="{field_id}">{label}</label>' in html
    assert '<label for="images">图片凭证(选填)</label>' in html
    for value, label in (
        ("not_received", "未收到货"),
        ("invalid_key", "卡密无效"),
        ("not_as_described", "与描述不符"),
        ("other", "其他"),
    ):
        assert f'<option value="{value}">{label}</option>' in html
    assert (
        'id="freeze-notice"' in html and ORDER in html and 'id="complaint-submit">提交投诉</button>' in html
    )


def test_complaint_receipt_number_and_password_shown_once(guest, card_b_twin) -> None:
    r = file_complaint(guest, files=[("images", ("chat.png", CHAT_PNG, "image/png"))])
    assert r.status_code == 303 and r.headers["location"] == "/complaint/done"
    done = guest.get("/complaint/done").text
    number = re.search(r'<strong id="complaint-no">(\w+)</strong>', done).group(1)
    password = re.search(r'<strong id="query-password">(\w+)</strong>', done).group(1)
    m = CP_RE.match(number)
    assert m and m.group(1) == bj_now().strftime("%y%m%d")
    assert len(password) == 8
    again = guest.get("/complaint/done").text
    assert password not in again and 'id="receipt-gone"' in again
    sub = card_b_twin.state.submissions[0]
    assert sub["number"] == number and sub["fields"]["complaint_type"] == "未收到货"
    assert sub["fields"]["order_no"] == ORDER and sub["files"][0]["name"] == "chat.png"
    assert card_b_twin.orders[ORDER].settlement_frozen is True
    assert password not in (card_b_twin.data_dir / "state.json").read_text(encoding="utf-8")
    # query by number + password from a fresh browser
    with httpx.Client(base_url=card_b_twin.url) as other:
        token = csrf_from(other.get("/query/password").text)
        bad = other.post(
            "/query/password", data={"csrf_token": token, "complaint_no": number, "query_password": "x"}
        )
        assert errors_of(bad.text) == {"query_password-error": "投诉编号或查询密码错误"}
        ok = other.post(
            "/query/password", data={"csrf_token": token, "complaint_no": number, "query_password": password}
        )
        assert ok.headers["location"] == f"/complaints/{number}"
        page = other.get(ok.headers["location"]).text
        assert '<span id="complaint-status" class="status">待处理</span>' in page


BAD = [
    ({"complaint_type": ""}, None, {"complaint_type-error": "请选择投诉类型"}),
    ({"description": "没到账"}, None, {"description-error": "问题描述需为 10–2000 个字,当前 3 个字"}),
    ({"contact": "abc"}, None, {"contact-error": "请填写正确的 QQ 号或手机号"}),
    ({"contact": ""}, None, {"contact-error": "请填写联系方式"}),
    (
        {},
        [("images", ("x.png", b"plain text", "image/png"))],
        {"images-error": "图片仅支持 JPG/PNG/WebP 图片:x.png"},
    ),
    (
        {},
        [("images", ("b.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (5 * 1024 * 1024), "image/png"))],
        {"images-error": "图片单张不能超过 5MB:b.png"},
    ),
]


@pytest.mark.parametrize(("fields", "files", "expected"), BAD)
def test_complaint_validation_stores_nothing(guest, card_b_twin, fields, files, expected) -> None:
    r = file_complaint(guest, {**GOOD, **fields}, files=files)
    assert r.status_code == 422 and errors_of(r.text) == expected
    assert card_b_twin.complaints == {} and not card_b_twin.orders[ORDER].settlement_frozen


def test_qq_contact_accepted(guest) -> None:
    assert file_complaint(guest, {**GOOD, "contact": "12345678"}).status_code == 303


def test_one_active_complaint_and_five_per_order(guest, card_b_twin) -> None:
    first = filed_number(guest)
    r = file_complaint(guest)
    assert r.status_code == 422
    assert errors_of(r.text) == {"form-error": f"该订单已有处理中的投诉({first}),请在投诉查询中补充说明"}
    operator(card_b_twin.url, first, "resolve", "已退款")
    for _ in range(4):
        number = filed_number(guest)
        operator(card_b_twin.url, number, "reject", "重复投诉")
    r = file_complaint(guest)
    assert errors_of(r.text) == {"form-error": "该订单的投诉次数已达上限(5 次)"}
    assert len(card_b_twin.complaints) == 5


def test_merchant_reply_platform_intervention_and_followups(guest, card_b_twin) -> None:
    number = filed_number(guest)
    page = guest.get(f"/complaints/{number}").text
    token = csrf_from(page)
    assert 'id="intervene-form"' not in page
    r = guest.post(f"/complaints/{number}/intervene", data={"csrf_token": token})
    assert r.status_code == 422 and "商家回复后才可申请" in r.text
    assert operator(card_b_twin.url, number, "reply", "系统延迟,稍后到账")["status"] == "商家已回复"
    page = guest.get(f"/complaints/{number}").text
    assert 'id="intervene-submit">申请平台介入</button>' in page and "系统延迟,稍后到账" in page
    r = guest.post(f"/complaints/{number}/intervene", data={"csrf_token": token})
    assert r.status_code == 303
    assert card_b_twin.complaints[number].status == "平台介入"
    r = guest.post(f"/complaints/{number}/followup", data={"csrf_token": token, "followup": "至今仍未到账。"})
    assert r.status_code == 303
    assert operator(card_b_twin.url, number, "reply", "平台已核实")["status"] == "平台介入"
    page = guest.get(f"/complaints/{number}").text
    assert "至今仍未到账" in page and '<span class="who">平台</span>' in page
    assert operator(card_b_twin.url, number, "resolve", "已为您退款")["status"] == "已解决"
    page = guest.get(f"/complaints/{number}").text
    assert 'id="followup-form"' not in page and "投诉已结束,无法补充说明" in page
    r = guest.post(f"/complaints/{number}/followup", data={"csrf_token": token, "followup": "谢谢"})
    assert r.status_code == 422 and errors_of(r.text) == {"followup-error": "投诉已结束,无法补充说明"}
    assert not card_b_twin.orders[ORDER].settlement_frozen
    statuses = [s["status"] for s in card_b_twin.state.status_history]
    assert statuses == ["待处理", "商家已回复", "平台介入", "已解决"]
    r = httpx.post(f"{card_b_twin.url}/_twin/operator/{number}", json={"action": "reply", "text": "x"})
    assert r.status_code == 409


def test_operator_intervene_reject_and_close_unsupported(guest, card_b_twin) -> None:
    number = filed_number(guest)
    assert (
        httpx.post(f"{card_b_twin.url}/_twin/operator/{number}", json={"action": "close"}).status_code == 409
    )
    assert operator(card_b_twin.url, number, "intervene", "平台介入处理")["status"] == "平台介入"
    assert operator(card_b_twin.url, number, "reject", "证据不足")["status"] == "已驳回"


def test_query_by_sms_lists_order_complaints(guest, card_b_twin) -> None:
    number = filed_number(guest)
    with httpx.Client(base_url=card_b_twin.url) as other:
        assert other.get("/complaints").status_code == 303
        advance_clock(card_b_twin.url, 61)  # SMS cooldown for this phone
        r = card_b_verify(other, purpose="query")
        assert r.headers["location"] == "/complaints"
        listing = other.get("/complaints").text
        assert (
            f'data-complaint="{number}"' in listing
            and '<td class="complaint-status status">待处理</td>' in listing
        )
        assert 'id="settlement-frozen"' in listing


def test_guest_access_expires_after_24_hours(guest, card_b_twin) -> None:
    number = filed_number(guest)
    advance_clock(card_b_twin.url, 24 * 3600 + 1)
    r = guest.get("/complaint/form")
    assert r.status_code == 303 and r.headers["location"] == "/complaint"
    assert guest.get(f"/complaints/{number}").headers["location"] == "/query"


def test_expire_sessions_fault(guest, card_b_twin) -> None:
    page = guest.get("/complaint/form").text
    set_faults(card_b_twin.url, expire_sessions=True)
    r = guest.post("/complaint/form", data={"csrf_token": csrf_from(page), **GOOD})
    assert r.status_code == 303 and r.headers["location"] == "/complaint"
    assert card_b_twin.complaints == {}


def test_drop_after_submit_complaint_is_stored(guest, card_b_twin) -> None:
    set_faults(card_b_twin.url, drop_after_submit=1)
    with pytest.raises(httpx.RemoteProtocolError):
        file_complaint(guest)
    assert len(card_b_twin.complaints) == 1
    number = next(iter(card_b_twin.complaints))
    assert f'data-complaint="{number}"' in guest.get("/complaints").text


def test_changed_labels(card_b_twin) -> None:
    set_faults(card_b_twin.url, labels="changed")
    html = httpx.get(card_b_twin.url + "/complaint").text
    assert '<label for="phone">下单手机号</label>' not in html
    assert '<label for="mobile">手机号码</label>' in html and 'id="btn-sms"' in html


def test_time_stamps_are_beijing(guest, card_b_twin) -> None:
    number = filed_number(guest)
    created = datetime.fromisoformat(card_b_twin.records()[0]["created_at"])
    assert created.utcoffset().total_seconds() == 8 * 3600
    assert number.startswith("CP" + created.strftime("%y%m%d"))
