"""Twin of 黑猫投诉 (https://tousu.sina.com.cn/): a public complaint platform behind a Weibo login.

Login by QR code (the page polls; the "person" confirms with ``POST /_twin/qr/{token}/scan``) or by SMS
code (outbox) → 发起投诉: 投诉对象 (server search + pick), 投诉问题 / 投诉要求 tag buttons, 涉诉金额,
标题 5–50, 描述 20–1500, ≤9 images (JPG/PNG/WebP ≤5 MB), agreement → 11-digit 投诉编号 → public page
``/complaint/view/{no}`` with a timeline; 处理中 → 已回复 → 已完成, then a 1–5 star rating.
Images are stored byte for byte under their original names, and every text field received is listed in
``/_twin/state`` (``received_texts``) so a test can prove no personal data reached this public site.
Operator verbs: reply, complete (alias resolve), note.
"""

from __future__ import annotations

import hashlib
import io
import re
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

from PIL import Image, ImageDraw
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from kameng_filer.twins.base import FieldName, OperatorError, field_names
from kameng_filer.twins.outside_common import (
    MB,
    OutsideTwin,
    favicon_route,
    gps_in,
    login_redirect,
    new_digits,
    static_route,
)
from kameng_filer.twins.web import (
    csrf_ok,
    inspect_image,
    read_files,
    read_form,
    rotate_session,
    safe_next,
    session,
    store_upload,
)

COMPANIES = (
    ("C1001", "星辰卡盟"),
    ("C1002", "星辰数码"),
    ("C1003", "小王点卡"),
    ("C1004", "腾讯游戏"),
    ("C1005", "网易游戏"),
    ("C1006", "闲鱼"),
    ("C1007", "支付宝"),
    ("C1008", "微信支付"),
)
ISSUE_TAGS = (
    "不予退款",
    "联系不到客服",
    "虚假宣传",
    "未发货",
    "商品与描述不符",
    "卡密无效",
    "乱扣费",
    "其他",
)
DEMAND_TAGS = ("退款", "道歉赔偿", "解释", "补发", "其他")
LIMITS = {"title_min": 5, "title_max": 50, "description_min": 20, "description_max": 1500, "images": 9}
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")
MAX_BYTES = 5 * MB
QR_TTL = timedelta(minutes=2)
SMS_TTL = timedelta(minutes=5)
SMS_WAIT = 60
SMS_TRIES = 5
QR_ACCOUNT = {"key": "weibo:7001", "nick": "猫爪用户2026"}
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
AMOUNT_RE = re.compile(r"^\d{1,7}(\.\d{1,2})?$")
REPLY_STATUSES = ("处理中", "已回复")


def qr_png(token: str, *, modules: int = 25, scale: int = 7) -> bytes:
    """A QR-like PNG for ``token``: three finder squares and data modules drawn from its hash."""
    bits = "".join(f"{b:08b}" for b in hashlib.sha512(token.encode()).digest() * 2)
    size = (modules + 8) * scale
    img = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(img)

    def cell(x: int, y: int) -> None:
        x0, y0 = (x + 4) * scale, (y + 4) * scale
        draw.rectangle((x0, y0, x0 + scale - 1, y0 + scale - 1), fill=0)

    finders = ((0, 0), (modules - 7, 0), (0, modules - 7))
    for fx, fy in finders:
        for i in range(7):
            for j in range(7):
                if i in (0, 6) or j in (0, 6) or (2 <= i <= 4 and 2 <= j <= 4):
                    cell(fx + i, fy + j)
    k = 0
    for y in range(modules):
        for x in range(modules):
            if any(fx - 1 <= x <= fx + 7 and fy - 1 <= y <= fy + 7 for fx, fy in finders):
                continue
            if bits[k % len(bits)] == "1":
                cell(x, y)
            k += 1
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


class HeimaoTwin(OutsideTwin):
    """The 黑猫投诉 twin."""

    name: ClassVar[str] = "heimao"
    title: ClassVar[str] = "黑猫投诉"
    operator_actions: ClassVar[tuple[str, ...]] = ("reply", "complete", "resolve", "note")
    submit_paths: ClassVar[tuple[str, ...]] = ("/complaint/new",)
    fields_normal: ClassVar[dict[str, FieldName]] = field_names({
        "phone": ("手机号", "phone"),
        "sms_code": ("验证码", "sms_code"),
        "company": ("投诉对象", "company_query"),
        "amount": ("涉诉金额(元)", "amount"),
        "title": ("投诉标题", "title"),
        "description": ("投诉描述", "description"),
        "images": ("图片", "images"),
        "rating_text": ("评价内容", "rating_text"),
    })  # fmt: skip
    fields_changed: ClassVar[dict[str, FieldName]] = field_names({
        "phone": ("手机号码", "mobile"),
        "sms_code": ("短信验证码", "verify_code"),
        "company": ("被投诉商家", "merchant_kw"),
        "amount": ("金额", "money"),
        "title": ("标题", "subject"),
        "description": ("详细描述", "detail"),
        "images": ("上传凭证", "pics"),
        "rating_text": ("评价", "comment"),
    })  # fmt: skip

    # ---- WebTwin hooks -------------------------------------------------------------------------
    def seed(self) -> None:
        """Seeded companies and the QR account; no complaints, tokens, codes or received texts."""
        self.users: dict[str, dict[str, str]] = {QR_ACCOUNT["key"]: {"nick": QR_ACCOUNT["nick"]}}
        self.complaints: dict[str, dict[str, Any]] = {}
        self.qr_tokens: dict[str, dict[str, Any]] = {}
        self.sms_codes: dict[str, dict[str, Any]] = {}
        self.images: dict[str, dict[str, Any]] = {}
        self.received_texts: list[dict[str, Any]] = []

    def info(self) -> dict[str, Any]:
        """Login routes, companies and operator verbs."""
        return {
            "login": "/login",
            "qr_account": QR_ACCOUNT["nick"],
            "start": "/complaint/new",
            "public_page": "/complaint/view/{number}",
            "companies": [n for _, n in COMPANIES],
            "operator_actions": list(self.operator_actions),
        }

    def records(self) -> list[dict[str, Any]]:
        """Every complaint as stored (images with name, size, sha256, EXIF/GPS flags)."""
        with self.lock:
            return [dict(c) for c in self.complaints.values()]

    def snapshot(self) -> dict[str, Any]:
        """``/_twin/state`` plus ``received_texts``: every text field any site request carried."""
        data = super().snapshot()
        with self.lock:
            data["received_texts"] = [dict(t) for t in self.received_texts]
        return data

    def operate(self, number: str, action: str, text: str = "") -> dict[str, Any]:
        """Merchant reply, completion, or a platform note on a complaint."""
        c = self.complaints.get(number)
        if c is None:
            raise OperatorError(f"没有编号为 {number} 的投诉", 404)
        if action == "note":
            if not text.strip():
                raise OperatorError("note 需要 text", 400)
            self._timeline(c, "黑猫投诉", c["status"], text)
            self.state.record_message(number, "platform", text)
            return dict(c)
        if c["status"] not in REPLY_STATUSES:
            raise OperatorError(f"投诉当前状态为“{c['status']}”,不能执行 {action}")
        if action == "reply":
            new, text = "已回复", text or "您好,已收到您的投诉,我们将尽快核实处理。"
            self.state.record_message(number, "merchant", text)
        else:
            new, text = "已完成", text or "已为用户处理完毕,投诉已完成。"
        c["status"] = new
        self._timeline(c, c["company_name"], new, text)
        self.state.record_status(number, new, "merchant", text)
        return dict(c)

    def site_routes(self) -> list[BaseRoute]:
        """The 黑猫投诉 pages, JSON API and the test-only QR scan."""
        return [
            Route("/", self.home),
            Route("/login", self.login),
            Route("/login/qr/{token}.png", self.qr_image),
            Route("/login/qr/{token}/status", self.qr_status),
            Route("/login/sms/send", self.sms_send, methods=["POST"]),
            Route("/login/sms", self.sms_login, methods=["POST"]),
            Route("/logout", self.logout),
            Route("/complaint/new", self.new, methods=["GET", "POST"]),
            Route("/complaint/success/{number}", self.success),
            Route("/complaint/view/{number}", self.view),
            Route("/complaint/view/{number}/rate", self.rate, methods=["POST"]),
            Route("/complaint/image/{image_id}", self.image),
            Route("/my/complaints", self.mine),
            Route("/api/companies", self.api_companies),
            Route("/_twin/qr", self.t_qr_list),
            Route("/_twin/qr/{token}/scan", self.t_qr_scan, methods=["POST"]),
            static_route("/static/heimao.js", "heimao.js"),
            favicon_route(),
        ]

    # ---- helpers -------------------------------------------------------------------------------
    def _user(self, request: Request) -> str | None:
        sess = session(request, create=False)
        return sess.data.get("user") if sess else None

    def page(self, request: Request, template: str, status: int = 200, **ctx: Any) -> Response:
        """Render ``heimao/<template>`` with the logged-in nickname."""
        user = self._user(request)
        nick = self.users[user]["nick"] if user in self.users else None
        return self.render(request, f"heimao/{template}", status, user=nick, **ctx)

    def _timeline(self, c: dict[str, Any], operator: str, status: str, text: str) -> None:
        c["timeline"].append({"operator": operator, "status": status, "at": self.now_text(), "text": text})

    def _received(self, source: str, items: list[tuple[str, str]]) -> None:
        at = self.clock.now().isoformat(timespec="seconds")
        with self.lock:
            for field, value in items:
                if value:
                    self.received_texts.append({"at": at, "source": source, "field": field, "value": value})

    def _login(self, request: Request, key: str, via: str) -> None:
        sess = rotate_session(request)
        sess.data.clear()
        sess.data["user"] = key
        self.state.record_login(self.users[key]["nick"], True, via=via)

    # ---- login ---------------------------------------------------------------------------------
    async def home(self, request: Request) -> Response:
        """Front page: 发起投诉 and the latest public complaints."""
        latest = list(reversed(self.complaints.values()))[:10]
        return self.page(request, "home.html", latest=latest)

    async def login(self, request: Request) -> Response:
        """QR tab (a fresh token, polled by the page) and SMS tab."""
        return self._login_page(request, safe_next(request.query_params.get("next"), "/complaint/new"))

    def _login_page(
        self, request: Request, nxt: str, error: str | None = None, status: int = 200
    ) -> Response:
        sess = session(request)
        assert sess is not None
        token = secrets.token_hex(12)
        with self.lock:
            self.qr_tokens[token] = {
                "state": "waiting",
                "created": self.clock.now(),
                "session": sess.id,
                "next": nxt,
            }
        return self.page(request, "login.html", status, token=token, next=nxt, error=error)

    def _qr_state(self, item: dict[str, Any]) -> str:
        if item["state"] in ("waiting", "scanned") and self.clock.now() - item["created"] > QR_TTL:
            item["state"] = "expired"
        return item["state"]

    async def qr_image(self, request: Request) -> Response:
        """The QR code PNG of a login token."""
        token = request.path_params["token"]
        if token not in self.qr_tokens:
            return Response(status_code=404)
        return Response(qr_png(token), media_type="image/png", headers={"Cache-Control": "no-store"})

    async def qr_status(self, request: Request) -> Response:
        """Polled by the login page: waiting / scanned / confirmed (logs this session in) / expired."""
        item = self.qr_tokens.get(request.path_params["token"])
        sess = session(request, create=False)
        if item is None or sess is None or sess.id != item["session"]:
            return JSONResponse({"state": "expired"}, 404)
        with self.lock:
            state = self._qr_state(item)
            if state == "confirmed" and not item.get("used"):
                item["used"] = True
                self._login(request, QR_ACCOUNT["key"], "qr")
        return JSONResponse({"state": state, "redirect": item["next"] if state == "confirmed" else None})

    async def t_qr_list(self, request: Request) -> Response:
        """Test/demo only: login tokens, newest first, with their state."""
        with self.lock:
            items = [
                {
                    "token": t,
                    "state": self._qr_state(i),
                    "created": i["created"].isoformat(timespec="seconds"),
                }
                for t, i in reversed(self.qr_tokens.items())
            ]
        return JSONResponse({"tokens": items, "latest": items[0]["token"] if items else None})

    async def t_qr_scan(self, request: Request) -> Response:
        """Test/demo only: the person scans the code (``{"confirm": false}`` = scanned, not confirmed)."""
        item = self.qr_tokens.get(request.path_params["token"])
        if item is None:
            return JSONResponse({"error": "没有这个二维码"}, 404)
        try:
            body = await self._json_body(request)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, 400)
        with self.lock:
            if self._qr_state(item) not in ("waiting", "scanned"):
                return JSONResponse({"error": f"二维码状态为 {item['state']},不能扫码"}, 409)
            item["state"] = "confirmed" if body.get("confirm", True) else "scanned"
        return JSONResponse({"state": item["state"]})

    async def sms_send(self, request: Request) -> Response:
        """获取验证码: a 6-digit code to the SMS outbox; once per 60 s per phone."""
        form = await read_form(request)
        phone = str(form.get("phone") or "").strip()
        if not csrf_ok(request, form):
            return JSONResponse({"ok": False, "error": "页面已过期,请刷新后重试"}, 403)
        if not PHONE_RE.match(phone):
            return JSONResponse({"ok": False, "error": "请输入正确的手机号"}, 400)
        now = self.clock.now()
        with self.lock:
            last = self.sms_codes.get(phone)
            if last and (now - last["at"]).total_seconds() < SMS_WAIT:
                wait = SMS_WAIT - int((now - last["at"]).total_seconds())
                return JSONResponse({"ok": False, "error": f"发送过于频繁,请{wait}秒后再试"}, 429)
            code = new_digits(6)
            self.sms_codes[phone] = {"code": code, "at": now, "tries": 0}
            self.outbox.send(phone, code, f"【微博】验证码{code},5分钟内有效,请勿泄露。如非本人操作,请忽略。")
        return JSONResponse({"ok": True, "wait": SMS_WAIT})

    async def sms_login(self, request: Request) -> Response:
        """短信登录: phone + the code from the SMS."""
        form = await read_form(request)
        f = self.f
        phone = str(form.get(f["phone"].id) or "").strip()
        code = str(form.get(f["sms_code"].id) or "").strip()
        nxt = safe_next(str(form.get("next") or ""), "/complaint/new")
        if not csrf_ok(request, form):
            return self._login_page(request, nxt, "页面已过期,请刷新后重试", 400)
        with self.lock:
            item = self.sms_codes.get(phone)
            error = None
            if item is None or self.clock.now() - item["at"] > SMS_TTL or item["tries"] >= SMS_TRIES:
                error = "验证码已失效,请重新获取"
            elif item["code"] != code:
                item["tries"] += 1
                error = "验证码错误"
            if error:
                self.state.record_login(phone, False, error, via="sms")
                return self._login_page(request, nxt, error, 400)
            del self.sms_codes[phone]
            key = f"sms:{hashlib.sha256(phone.encode()).hexdigest()[:12]}"
            self.users.setdefault(key, {"nick": f"黑猫用户{int(key[4:12], 16) % 10000:04d}"})
            self._login(request, key, "sms")
        return RedirectResponse(nxt, status_code=303)

    async def logout(self, request: Request) -> Response:
        """Forget the login."""
        sess = session(request, create=False)
        if sess:
            sess.data.clear()
        return RedirectResponse("/", status_code=303)

    # ---- complaint -----------------------------------------------------------------------------
    def _empty(self) -> dict[str, Any]:
        keys = ("company_query", "company_id", "company_name", "amount", "title", "description")
        return {**dict.fromkeys(keys, ""), "issues": [], "demands": [], "agree": False}

    def _form_page(self, request: Request, v: dict[str, Any], errors: list[str], status: int = 200):
        return self.page(
            request,
            "new.html",
            status,
            v=v,
            errors=errors,
            issue_tags=ISSUE_TAGS,
            demand_tags=DEMAND_TAGS,
            limits=LIMITS,
        )

    async def new(self, request: Request) -> Response:
        """发起投诉: the form; POST validates, stores images as received and issues the number."""
        user = self._user(request)
        if not user:
            return login_redirect(request, "/login")
        if request.method == "GET":
            return self._form_page(request, self._empty(), [])
        form = await read_form(request)
        f = self.f
        texts = [
            (k, str(x)) for k in form for x in form.getlist(k) if isinstance(x, str) and k != "csrf_token"
        ]
        self._received("complaint", texts)
        get = lambda key: str(form.get(f[key].id) or "").strip()  # noqa: E731
        companies = dict(COMPANIES)
        v = {
            "company_query": get("company"),
            "company_id": str(form.get("company_id") or ""),
            "issues": [str(x) for x in form.getlist("issues")],
            "demands": [str(x) for x in form.getlist("demands")],
            "amount": get("amount"),
            "title": get("title"),
            "description": str(form.get(f["description"].id) or "").strip(),
            "agree": form.get("agree") == "1",
        }
        v["company_name"] = companies.get(v["company_id"], "")
        errors: dict[str, str] = {}
        if not csrf_ok(request, form):
            errors["csrf"] = "页面已过期,请刷新后重试"
        if not v["company_name"]:
            errors["company"] = "请搜索并选择投诉对象"
        if not v["issues"] or any(x not in ISSUE_TAGS for x in v["issues"]):
            errors["issues"] = "请选择投诉问题"
        if not v["demands"] or any(x not in DEMAND_TAGS for x in v["demands"]):
            errors["demands"] = "请选择投诉要求"
        if not AMOUNT_RE.match(v["amount"]) or float(v["amount"]) <= 0:
            errors["amount"] = "请填写正确的涉诉金额"
        if not LIMITS["title_min"] <= len(v["title"]) <= LIMITS["title_max"]:
            errors["title"] = f"投诉标题需{LIMITS['title_min']}–{LIMITS['title_max']}字"
        if not LIMITS["description_min"] <= len(v["description"]) <= LIMITS["description_max"]:
            errors["description"] = f"投诉描述需{LIMITS['description_min']}–{LIMITS['description_max']}字"
        raw = await read_files(form, f["images"].id)
        self._received("complaint", [("image_name", name) for name, _ in raw])
        uploads = []
        if len(raw) > LIMITS["images"]:
            errors["images"] = f"最多上传{LIMITS['images']}张图片"
        else:
            for name, data in raw:
                up = inspect_image(name, data, allowed=IMAGE_TYPES, max_bytes=MAX_BYTES, label="图片")
                if up.problem:
                    errors["images"] = up.problem
                    break
                uploads.append(up)
        if not v["agree"]:
            errors["agree"] = "请阅读并同意《黑猫投诉用户协议》"
        if errors:
            self.state.record_rejection("complaint", errors, user=self.users[user]["nick"])
            return self._form_page(request, v, list(errors.values()), 400)
        with self.lock:
            number = self._new_number()
            images = []
            for up in uploads:
                info = store_upload(up, self.uploads_dir)
                image_id = secrets.token_hex(8)
                self.images[image_id] = {"info": info, "path": self.data_dir / info.stored_as}
                images.append({"id": image_id, **info.to_dict(), "gps": gps_in(up.data)})
            nick = self.users[user]["nick"]
            c = {
                "number": number,
                "user": user,
                "author": nick,
                "company_id": v["company_id"],
                "company_name": v["company_name"],
                "issues": v["issues"],
                "demands": v["demands"],
                "amount": v["amount"],
                "title": v["title"],
                "description": v["description"],
                "images": images,
                "created_at": self.clock.now().isoformat(timespec="seconds"),
                "date": self.clock.now().strftime("%Y-%m-%d"),
                "status": "处理中",
                "timeline": [],
                "rating": None,
                "rating_text": "",
            }
            self._timeline(c, nick, "发起投诉", v["title"])
            self._timeline(c, "黑猫投诉", "处理中", "投诉已通过审核,已分配商家处理")
            self.complaints[number] = c
            fields: dict[str, Any] = {}
            for key, value in texts:
                if key in ("issues", "demands"):
                    fields.setdefault(key, []).append(value)
                else:
                    fields[key] = value
            self.state.record_submission(number, "complaint", fields, [self.images[i["id"]]["info"] for i in images],
                                         user=nick)  # fmt: skip
            self.state.record_status(number, "处理中", "platform", "投诉已提交")
        self.lose_response(request)
        return RedirectResponse(f"/complaint/success/{number}", status_code=303)

    def _new_number(self) -> str:
        while True:
            number = "17" + new_digits(9)
            if number not in self.complaints:
                return number

    async def success(self, request: Request) -> Response:
        """The receipt with the 11-digit 投诉编号."""
        c = self.complaints.get(request.path_params["number"])
        if c is None or c["user"] != self._user(request):
            return self.page(request, "missing.html", 404)
        return self.page(request, "success.html", c=c)

    async def view(self, request: Request, error: str | None = None, status: int = 200) -> Response:
        """Public page: title, description, images, timeline; the owner rates once it is 已完成."""
        c = self.complaints.get(request.path_params["number"])
        if c is None:
            return self.page(request, "missing.html", 404)
        can_rate = c["status"] == "已完成" and c["rating"] is None and c["user"] == self._user(request)
        return self.page(request, "view.html", status, c=c, can_rate=can_rate, error=error)

    async def rate(self, request: Request) -> Response:
        """评价: 1–5 stars (+ optional text ≤200) after 已完成, once, by the complainant."""
        user = self._user(request)
        if not user:
            return login_redirect(request, "/login")
        c = self.complaints.get(request.path_params["number"])
        if c is None:
            return self.page(request, "missing.html", 404)
        form = await read_form(request)
        text = str(form.get(self.f["rating_text"].id) or "").strip()
        self._received("rating", [("rating_text", text)])
        rating = str(form.get("rating") or "")
        if not csrf_ok(request, form) or c["user"] != user:
            return await self.view(request, "无权评价该投诉", 403)
        if c["status"] != "已完成" or c["rating"] is not None:
            return await self.view(request, "投诉完成后才能评价,且只能评价一次", 409)
        if rating not in ("1", "2", "3", "4", "5") or len(text) > 200:
            return await self.view(request, "请选择1–5星评分(评价内容不超过200字)", 400)
        with self.lock:
            c["rating"], c["rating_text"] = int(rating), text
            self._timeline(c, c["author"], "已完成", f"用户评价:{rating}星" + (f",{text}" if text else ""))
            self.state.record_message(c["number"], "user", f"{rating}星 {text}".strip(), kind="rating")
        return RedirectResponse(f"/complaint/view/{c['number']}", status_code=303)

    async def image(self, request: Request) -> Response:
        """A complaint image, byte for byte as it was uploaded."""
        item = self.images.get(request.path_params["image_id"])
        if item is None:
            return Response(status_code=404)
        return Response(item["path"].read_bytes(), media_type=item["info"].mime)

    async def mine(self, request: Request) -> Response:
        """我的投诉 list."""
        user = self._user(request)
        if not user:
            return login_redirect(request, "/login")
        mine = [c for c in reversed(self.complaints.values()) if c["user"] == user]
        return self.page(request, "mine.html", complaints=mine)

    async def api_companies(self, request: Request) -> Response:
        """投诉对象 search (name contains ``q``)."""
        q = request.query_params.get("q", "").strip()
        self._received("company_search", [("q", q)])
        if not q:
            return JSONResponse([])
        return JSONResponse([{"id": i, "name": n} for i, n in COMPANIES if q.lower() in n.lower()])


def create_twin(data_dir: Path | str, **options: Any) -> HeimaoTwin:
    """A new (not started) 黑猫投诉 twin."""
    return HeimaoTwin(data_dir, **options)
