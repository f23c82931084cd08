"""卡盟 family C twin over plain HTTP: the habits of a real PHP 发卡 system's member ticket module.

Logged-out pages and unknown pages answer 200, the 购买凭证 widget takes exactly one slowly uploaded
file, the receipt page moves on to the list at once, status cells carry an icon-font ligature, and
detail pages are addressed by the site's own id.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kameng_filer.twins.card_c import CardCTwin
from kameng_filer.twins.registry import available

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
)


@pytest.fixture
def twin(tmp_path: Path) -> Iterator[CardCTwin]:
    with CardCTwin(tmp_path / "twins", upload_delay_s=0.0, list_delay_s=0.0) as t:
        yield t


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert m, html[:300]
    return m.group(1)


def _login(client: httpx.Client) -> None:
    token = _csrf(client.get("/user/login").text)
    r = client.post("/user/login", data={"csrf_token": token, "username": "demo", "password": "demo-pass"})
    assert r.status_code == 302 and r.headers["location"] == "/user/index"


def _file(client: httpx.Client, *, upload: bool = True) -> httpx.Response:
    token = _csrf(client.get("/user/ticket/add").text)
    attachment = ""
    if upload:
        up = client.post(
            "/user/upload", data={"csrf_token": token}, files={"file": ("pay.png", PNG, "image/png")}
        )
        attachment = up.json()["data"]["id"]
    return client.post(
        "/user/ticket/add",
        data={
            "csrf_token": token,
            "title": "订单未到账请退款",
            "order_sn": "KM20261102150012",
            "category": "充值未到账",
            "content": "付款后一直没有到账,请尽快退款处理。",
            "attachment_id": attachment,
        },
    )


def test_registered(tmp_path: Path) -> None:
    assert "card_c" in available()


def test_logged_out_and_unknown_pages_answer_200(twin: CardCTwin) -> None:
    with httpx.Client(base_url=twin.url) as client:
        r = client.get("/user/ticket/add")
        assert r.status_code == 200 and "登录会话过期" in r.text
        assert r.headers["refresh"] == "2;url=/user/login"
        assert "退出登录" not in r.text
        missing = client.get("/no/such/page")
        assert missing.status_code == 200 and "页面不存在" in missing.text


def test_a_login_that_keeps_no_session_still_lands_on_the_index(tmp_path: Path) -> None:
    with CardCTwin(tmp_path / "t", drop_login_session=True) as t, httpx.Client(base_url=t.url) as client:
        _login(client)
        page = client.get("/user/index")
        assert page.status_code == 200 and "登录会话过期" in page.text


def test_one_proof_upload_per_request_and_none_means_refused(twin: CardCTwin) -> None:
    with httpx.Client(base_url=twin.url) as client:
        _login(client)
        refused = _file(client, upload=False)
        assert refused.status_code == 200 and "请上传购买凭证" in refused.text
        assert twin.records() == []
        done = _file(client)
        number = re.search(r'id="ticket-no">(GD\d{17})<', done.text).group(1)
        assert "location.replace('/user/ticket')" in done.text  # the receipt page moves on at once
        assert 'href="/user/ticket/detail?id=7"' in done.text
        assert twin.upload_posts == 1
        [ticket] = twin.records()
        assert ticket["ticket_no"] == number and len(ticket["files"]) == 1


def test_list_status_has_an_icon_ligature_and_detail_is_by_site_id(twin: CardCTwin) -> None:
    with httpx.Client(base_url=twin.url) as client:
        _login(client)
        _file(client)
        [ticket] = twin.records()
        listing = client.get("/user/ticket").text
        assert '<i class="material-icons">schedule</i>' in listing
        assert 'href="/user/ticket/detail?id=7"' in listing
        detail = client.get("/user/ticket/detail", params={"id": 7}).text
        assert ticket["ticket_no"] in detail and "待客服回复" in detail
        by_number = client.get("/user/ticket/detail", params={"id": ticket["ticket_no"]})
        assert by_number.status_code == 200 and "页面不存在" in by_number.text
        twin.operator(ticket["ticket_no"], "reply", "请提供付款截图原图")
        detail = client.get("/user/ticket/detail", params={"id": 7}).text
        assert "客服已回复" in detail and ">chat</i>" in detail
