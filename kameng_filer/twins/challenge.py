"""The mid-flow image captcha: a submit is held back behind a "安全验证" challenge until a person solves it.

Real sites add an image/slider captcha to a submit when they feel suspicious. With the
``captcha_midflow`` switch the twin answers the next submit(s) with a challenge instead of storing
anything: the submitted body is kept server-side, the answer is posted to the same URL with
``?_challenge=<id>`` (field ``_challenge_answer``), and only a correct answer replays the kept submit to
the site (so the original submit goes through exactly once). A wrong answer shows a new image.

HTML form posts get an interstitial page; XHR (``X-Requested-With``) and ``/api/`` posts get JSON
``{"ok": false, "code": 4031, "msg": …, "challenge": {id, image, image_url, answer_url, answer_field}}``.
"""

from __future__ import annotations

import base64
import html
import secrets
import threading
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from starlette.responses import HTMLResponse, JSONResponse, Response

from kameng_filer.twins.captcha import CaptchaStore

Scope = MutableMapping[str, Any]

ANSWER_FIELD = "_challenge_answer"
QUERY_KEY = "_challenge"
IMAGE_PREFIX = "/security/captcha/"
CHALLENGE_CODE = 4031
MESSAGE = "检测到异常操作,请完成安全验证(输入图片中的字符)后继续提交"
WRONG = "验证码错误,请重新输入"


@dataclass
class Held:
    """A submit held back until its challenge is solved."""

    id: str
    path: str
    query: bytes
    body: bytes
    content_type: bytes
    captcha_id: str
    json: bool


def wants_json(scope: Scope) -> bool:
    """XHR / API requests get JSON answers, form posts an HTML page."""
    if scope["path"].startswith("/api/") or "/api/" in scope["path"]:
        return True
    headers = dict(scope.get("headers") or [])
    return headers.get(
        b"x-requested-with", b""
    ).lower() == b"xmlhttprequest" or b"application/json" in headers.get(b"accept", b"")


def challenge_id_of(scope: Scope) -> str | None:
    """The ``_challenge`` id in the query string (an answer to a challenge), else None."""
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get(QUERY_KEY)
    return values[0] if values else None


async def read_body(receive: Any) -> bytes:
    """The whole request body."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


class Challenges:
    """Held submits and their captchas for one twin."""

    def __init__(self, captchas: CaptchaStore, title: str) -> None:
        self.captchas = captchas
        self.title = title
        self._lock = threading.Lock()
        self._held: dict[str, Held] = {}

    def clear(self) -> None:
        """Forget every held submit."""
        with self._lock:
            self._held.clear()

    def pending(self) -> int:
        """How many submits are waiting for their challenge to be solved."""
        with self._lock:
            return len(self._held)

    async def hold(self, scope: Scope, receive: Any) -> Response:
        """Keep this submit back and answer with a challenge."""
        body = await read_body(receive)
        headers = dict(scope.get("headers") or [])
        cap = self.captchas.issue(None)
        held = Held(
            id=secrets.token_hex(8),
            path=scope["path"],
            query=scope.get("query_string", b""),
            body=body,
            content_type=headers.get(b"content-type", b""),
            captcha_id=cap.id,
            json=wants_json(scope),
        )
        with self._lock:
            self._held[held.id] = held
        return self.response(held)

    async def answer(
        self, scope: Scope, receive: Any, challenge_id: str
    ) -> tuple[Response | None, Held | None]:
        """Check an answer: (response to send, None) when wrong/unknown, (None, held submit) when solved."""
        body = await read_body(receive)
        given = (parse_qs(body.decode("utf-8", "replace")).get(ANSWER_FIELD) or [""])[0]
        with self._lock:
            held = self._held.get(challenge_id)
        if held is None or held.path != scope["path"]:
            return self.expired(wants_json(scope)), None
        if given and self.captchas.verify(given, captcha_id=held.captcha_id):
            with self._lock:
                self._held.pop(challenge_id, None)
            return None, held
        held.captcha_id = self.captchas.issue(None).id
        return self.response(held, error=WRONG if given else "请输入验证码"), None

    def image(self, captcha_id: str) -> Response:
        """The PNG of a challenge captcha."""
        cap = self.captchas.get(captcha_id)
        if cap is None or cap.used:
            return Response(status_code=404)
        return Response(self.captchas.png(cap), media_type="image/png", headers={"Cache-Control": "no-store"})

    def response(self, held: Held, *, error: str = "") -> Response:
        """The challenge as JSON or as an HTML page."""
        cap = self.captchas.get(held.captcha_id)
        assert cap is not None
        answer_url = f"{held.path}?{QUERY_KEY}={held.id}"
        image_url = f"{IMAGE_PREFIX}{cap.id}.png"
        if held.json:
            png = self.captchas.png(cap)
            msg = error or MESSAGE
            return JSONResponse(
                {
                    "ok": False,
                    "code": CHALLENGE_CODE,
                    "msg": msg,
                    "errors": [{"field": "", "message": msg}],
                    "challenge": {
                        "id": held.id,
                        "image": "data:image/png;base64," + base64.b64encode(png).decode("ascii"),
                        "image_url": image_url,
                        "answer_url": answer_url,
                        "answer_field": ANSWER_FIELD,
                    },
                }
            )
        note = f'<p class="challenge-error" role="alert">{html.escape(error)}</p>' if error else ""
        page = f"""<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>安全验证 - {html.escape(self.title)}</title></head>
<body>
<main>
  <h1>安全验证</h1>
  <div id="security-check" role="dialog" aria-label="安全验证">
    <p>{MESSAGE}。</p>
    {note}
    <form method="post" action="{html.escape(answer_url)}">
      <img id="security-captcha" class="captcha" alt="验证码" src="{image_url}" width="130" height="46">
      <label for="security-code">验证码</label>
      <input type="text" id="security-code" name="{ANSWER_FIELD}" autocomplete="off" required>
      <button type="submit" id="security-submit">继续提交</button>
    </form>
  </div>
</main>
</body>
</html>"""
        return HTMLResponse(page)

    def expired(self, as_json: bool) -> Response:
        """An answer to a challenge this twin does not know (reset, or already solved)."""
        msg = "安全验证已失效,请返回重新提交"
        if as_json:
            return JSONResponse(
                {"ok": False, "code": 4032, "msg": msg, "errors": [{"field": "", "message": msg}]}
            )
        return HTMLResponse(
            '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>安全验证已失效</title></head>'
            f'<body><main><h1>安全验证已失效</h1><p class="challenge-error" role="alert">{msg}</p></main></body></html>',
            status_code=410,
        )


def replay_scope(scope: Scope, held: Held) -> Scope:
    """The original submit's scope (same cookies, the held body's content type and length)."""
    headers = [(k, v) for k, v in scope.get("headers") or [] if k not in (b"content-type", b"content-length")]
    headers.append((b"content-type", held.content_type))
    headers.append((b"content-length", str(len(held.body)).encode("ascii")))
    return {**scope, "headers": headers, "query_string": held.query}


def replay_receive(receive: Any, body: bytes) -> Any:
    """A ``receive`` that hands out ``body`` first, then waits on the real connection."""
    sent = False

    async def _receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return _receive
