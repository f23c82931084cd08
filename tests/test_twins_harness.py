"""The twin harness: loopback-only server, async use, registry, faults, captcha, outbox, state, reset."""

from __future__ import annotations

import asyncio
import io
import json
import socket
import time

import httpx
import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from kameng_filer.testing import (
    advance_clock,
    captcha_answer,
    read_outbox,
    reset_twin,
    set_faults,
    twin,
    twin_state,
)
from kameng_filer.twins import TwinServer, available, start_twins
from kameng_filer.twins.captcha import ALPHABET
from kameng_filer.twins.registry import UnknownTwin, create_twin


def _hello_app() -> Starlette:
    async def hello(request):
        return PlainTextResponse("你好")

    return Starlette(routes=[Route("/", hello)])


def _refused(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return False
    except OSError:
        return True


@pytest.mark.parametrize("host", ["0.0.0.0", "localhost", "::1", "192.168.1.10", ""])
def test_server_refuses_any_host_but_loopback(host: str) -> None:
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        TwinServer(_hello_app(), "x", host=host)


def test_server_picks_free_port_answers_and_stops() -> None:
    server = TwinServer(_hello_app(), "hello")
    with server:
        assert server.port and server.port > 0
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert httpx.get(server.url + "/").text == "你好"
        port = server.port
        # bound to 127.0.0.1 only: another loopback address of this machine is not served
        assert _refused("127.0.0.2", port)
    assert not server.running
    assert _refused("127.0.0.1", port)


def test_server_fixed_port_in_use_is_a_clear_error() -> None:
    with TwinServer(_hello_app(), "first") as first:
        second = TwinServer(_hello_app(), "second", port=first.port)
        with pytest.raises(RuntimeError, match="无法绑定"):
            second.start()


async def test_server_usable_inside_running_event_loop() -> None:
    async with TwinServer(_hello_app(), "async") as server, httpx.AsyncClient() as client:
        r = await client.get(server.url + "/")
        assert r.text == "你好"
        # the caller's loop stays free while the twin answers
        results = await asyncio.gather(*(client.get(server.url + "/") for _ in range(5)))
        assert all(x.status_code == 200 for x in results)


def test_registry_lists_and_refuses_unknown(tmp_path) -> None:
    names = available()
    assert {"card_a", "card_b", "email"} <= set(names)
    with pytest.raises(UnknownTwin, match="card_a"):
        create_twin("no_such_twin", tmp_path)


def test_start_twins_gives_running_set_and_stops_all(tmp_path) -> None:
    with start_twins(["card_a", "card_b", "email"], data_dir=tmp_path) as twins:
        assert set(twins) == {"card_a", "card_b", "email"}
        assert httpx.get(twins["card_a"].url + "/_twin/health").text == "ok"
        assert httpx.get(twins["card_b"].url + "/_twin/health").text == "ok"
        assert twins["email"].host == "127.0.0.1" and twins["email"].port > 0
        ports = [twins["card_a"].port, twins["card_b"].port, twins["email"].port]
        assert len(set(ports)) == 3
    for port in ports:
        assert _refused("127.0.0.1", port)
    assert (tmp_path / "card_a" / "state.json").exists()


def test_start_twins_consecutive_ports(tmp_path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        base = probe.getsockname()[1]
    if base > 65000:
        base = 20000
    try:
        twins = start_twins(["card_a", "card_b"], data_dir=tmp_path, base_port=base)
    except RuntimeError:
        pytest.skip("consecutive ports not free on this machine")
    with twins:
        assert twins["card_a"].port == base and twins["card_b"].port == base + 1


def test_captcha_image_and_answer_only_on_test_endpoint(card_a_twin) -> None:
    with httpx.Client(base_url=card_a_twin.url) as c:
        page = c.get("/login")
        img = c.get("/captcha.png")
        assert img.headers["content-type"] == "image/png"
        with Image.open(io.BytesIO(img.content)) as im:
            assert im.size == (130, 46)
        sid = c.cookies["card_a_session"]
        answer = captcha_answer(card_a_twin.url, sid)
        assert answer and 4 <= len(answer) <= 5 and set(answer) <= set(ALPHABET)
        assert answer not in page.text and answer.encode() not in img.content
        # a new image replaces the session's previous answer
        c.get("/captcha.png")
        newer = captcha_answer(card_a_twin.url, sid)
        assert newer is not None
        listing = httpx.get(card_a_twin.url + "/_twin/captcha", params={"session": sid}).json()
        assert listing["latest"] == newer
        assert [x["used"] for x in listing["captchas"]][:2] == [False, True]


def test_fault_http_500_counts_down(card_a_twin) -> None:
    set_faults(card_a_twin.url, http_500=2)
    with httpx.Client(base_url=card_a_twin.url) as c:
        assert [c.get("/").status_code for _ in range(3)] == [500, 500, 200]
        # test endpoints are never affected
        set_faults(card_a_twin.url, http_500=1)
        assert c.get("/_twin/health").status_code == 200
        assert "服务器内部错误" in c.get("/").text


def test_fault_delay(card_a_twin) -> None:
    set_faults(card_a_twin.url, delay=0.6)
    start = time.monotonic()
    httpx.get(card_a_twin.url + "/")
    assert time.monotonic() - start >= 0.55
    set_faults(card_a_twin.url, delay=0)
    start = time.monotonic()
    httpx.get(card_a_twin.url + "/")
    assert time.monotonic() - start < 0.5


def test_fault_drop_closes_without_answer(card_a_twin) -> None:
    set_faults(card_a_twin.url, drop=1)
    with httpx.Client(base_url=card_a_twin.url) as c:
        with pytest.raises(httpx.RemoteProtocolError):
            c.get("/")
        assert c.get("/").status_code == 200


def test_fault_rate_limit_refuses_submits(card_a_twin) -> None:
    set_faults(card_a_twin.url, rate_limit=1)
    with httpx.Client(base_url=card_a_twin.url) as c:
        assert c.get("/").status_code == 200  # GETs pass
        assert c.post("/login", data={}).status_code != 429  # other POSTs (login, SMS…) pass too
        r = c.post("/tickets/new", data={})
        assert r.status_code == 429 and "操作过于频繁" in r.text
        api = c.post("/api/tickets", data={})
        assert api.status_code == 200 and api.json()["code"] == 4010  # counter used up: normal answer


def test_fault_bad_requests_are_400(card_a_twin) -> None:
    url = card_a_twin.url + "/_twin/faults"
    assert httpx.post(url, json={"nope": 1}).status_code == 400
    assert httpx.post(url, json={"http_500": -1}).status_code == 400
    assert httpx.post(url, json={"labels": "weird"}).status_code == 400
    assert httpx.post(url, content=b"[1]").status_code == 400
    assert httpx.get(url).json()["faults"]["http_500"] == 0


def test_state_is_json_and_saved(card_a_twin) -> None:
    state = twin_state(card_a_twin.url)
    assert state["channel"] == "card_a"
    for key in ("submissions", "rejections", "logins", "messages", "status_history", "records", "faults"):
        assert key in state
    saved = json.loads((card_a_twin.data_dir / "state.json").read_text(encoding="utf-8"))
    assert saved["channel"] == "card_a"


def test_clock_advance_and_reset(card_a_twin) -> None:
    before = card_a_twin.clock.now()
    advance_clock(card_a_twin.url, 3600)
    assert (card_a_twin.clock.now() - before).total_seconds() >= 3599
    set_faults(card_a_twin.url, http_500=5, labels="changed")
    reset_twin(card_a_twin.url)
    assert card_a_twin.clock.offset == 0
    assert card_a_twin.faults.snapshot()["http_500"] == 0 and not card_a_twin.faults.labels_changed


def test_outbox_memory_file_and_endpoint(card_b_twin) -> None:
    card_b_twin.outbox.send("13800138000", "123456", "验证码 123456")
    msgs = read_outbox(card_b_twin.url, "13800138000")
    assert msgs[-1]["code"] == "123456" and msgs[-1]["channel"] == "card_b"
    assert read_outbox(card_b_twin.url, "13900000000") == []
    line = (card_b_twin.data_dir / "outbox.jsonl").read_text(encoding="utf-8").splitlines()[-1]
    assert json.loads(line)["phone"] == "13800138000"


def test_testing_twin_context_manager() -> None:
    with twin("card_b") as t:
        url = t.url
        assert httpx.get(url + "/_twin/health").status_code == 200
    assert _refused("127.0.0.1", int(url.rsplit(":", 1)[1]))
