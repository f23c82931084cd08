"""卡盟 family A twin: member login with image captcha, 工单 (tickets) by form and by JSON API.

Reproduces channels.md §1 family A: 售前咨询/售后支持; for 售后 an order picked from the member's
orders or a typed order number (≤32), a mandatory 购买凭证 image (JPG/PNG/WebP by content, ≤10 MB,
≤5 files), priority 低/中/高, title 4–100, Markdown content; 5 tickets per 10 minutes per user;
ticket number ``TK`` + yymmddHHMMSS (Beijing) + 8 uppercase hex; statuses 待客服回复 ⇄ 待用户回复 →
已解决 / 已关闭. Pages are plain HTML forms with ``<label for>``; the API answers HTTP 200 with
``{"code": 0, "data": …}`` or ``{"code": 4xxx, "msg": "…"}``.
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from kameng_filer.twins.base import FieldName, OperatorError, WebTwin
from kameng_filer.twins.faults import Scope
from kameng_filer.twins.state import FileInfo
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

WAIT_STAFF = "待客服回复"
WAIT_USER = "待用户回复"
RESOLVED = "已解决"
CLOSED = "已关闭"
ENDED = (RESOLVED, CLOSED)
ENDED_MESSAGE = "工单已结束,无法继续回复"

TICKET_TYPES = {"presale": "售前咨询", "aftersale": "售后支持"}
PRIORITIES = {"low": "低", "medium": "中", "high": "高"}
PROOF_TYPES = ("image/jpeg", "image/png", "image/webp")
PROOF_MAX_BYTES = 10 * 1024 * 1024
PROOF_MAX_FILES = 5
TITLE_MIN, TITLE_MAX = 4, 100
CONTENT_MIN, CONTENT_MAX = 10, 5000
ORDER_NO_MAX = 32
ORDER_NO_RE = re.compile(r"^[A-Za-z0-9_-]+$")
RATE_MESSAGE = "操作过于频繁:每 10 分钟最多提交 5 个工单,请稍后再试"

API_NOT_LOGGED_IN = 4010
API_CAPTCHA = 4001
API_CREDENTIALS = 4002
API_VALIDATION = 4220
API_RATE = 4290
API_NOT_FOUND = 4040
API_ENDED = 4090


@dataclass
class Order:
    """A seeded order (owner None = a guest order)."""

    order_no: str
    product: str
    amount: str
    ordered_at: str
    owner: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "order_no": self.order_no,
            "product": self.product,
            "amount": self.amount,
            "ordered_at": self.ordered_at,
        }


@dataclass
class Ticket:
    """One 工单 with its thread."""

    number: str
    user: str
    ticket_type: str
    order_no: str
    priority: str
    title: str
    content: str
    files: list[FileInfo]
    status: str
    created_at: datetime
    updated_at: datetime
    replies: list[dict[str, Any]] = field(default_factory=list)

    @property
    def active(self) -> bool:
        """Replies are still allowed."""
        return self.status not in ENDED

    def summary(self) -> dict[str, Any]:
        """List-row form."""
        return {
            "ticket_no": self.number,
            "title": self.title,
            "order_no": self.order_no,
            "status": self.status,
            "created_at": self.created_at.isoformat(timespec="seconds"),
            "updated_at": self.updated_at.isoformat(timespec="seconds"),
        }

    def to_dict(self) -> dict[str, Any]:
        """Full form (API detail, /_twin/state)."""
        return {
            **self.summary(),
            "user": self.user,
            "ticket_type": self.ticket_type,
            "priority": self.priority,
            "content": self.content,
            "files": [f.to_dict() for f in self.files],
            "replies": [dict(r) for r in self.replies],
        }


DEFAULT_ORDERS = (
    ("KM20261102150012", "王者荣耀点券 1000点", "100.00", "2026-11-02 15:00:12", "member"),
    ("KM20261020103344", "腾讯视频VIP会员 月卡", "25.00", "2026-10-20 10:33:44", "member"),
    ("KM20260918220501", "Steam 钱包充值卡 100元", "98.00", "2026-09-18 22:05:01", "member"),
    ("KM20261025201533", "网易云音乐黑胶VIP 月卡", "15.00", "2026-10-25 20:15:33", None),
)


class CardATwin(WebTwin):
    """卡盟 family A (member 工单) twin."""

    name: ClassVar[str] = "card_a"
    title: ClassVar[str] = "星辰卡盟 会员中心"
    session_ttl: ClassVar[timedelta] = timedelta(hours=2)
    submit_paths: ClassVar[tuple[str, ...]] = ("/tickets/new", "/api/tickets")
    fields_normal: ClassVar[dict[str, FieldName]] = {
        "username": FieldName("用户名", "username"),
        "password": FieldName("密码", "password"),
        "captcha": FieldName("验证码", "captcha"),
        "login_submit": FieldName("登录", "login-submit"),
        "ticket_type": FieldName("工单类型", "ticket_type"),
        "order_id": FieldName("选择订单", "order_id"),
        "order_no": FieldName("订单号", "order_no"),
        "proof": FieldName("购买凭证", "proof"),
        "priority": FieldName("优先级", "priority"),
        "title": FieldName("标题", "title"),
        "content": FieldName("内容", "content"),
        "submit": FieldName("提交工单", "ticket-submit"),
        "reply": FieldName("回复内容", "reply_content"),
        "reply_submit": FieldName("提交回复", "reply-submit"),
        "search": FieldName("订单号", "q_order_no"),
    }
    fields_changed: ClassVar[dict[str, FieldName]] = {
        "username": FieldName("账号", "account"),
        "password": FieldName("登录密码", "passwd"),
        "captcha": FieldName("图形验证码", "verify_code"),
        "login_submit": FieldName("立即登录", "btn-login"),
        "ticket_type": FieldName("问题分类", "category"),
        "order_id": FieldName("关联订单", "related_order"),
        "order_no": FieldName("订单编号", "order_sn"),
        "proof": FieldName("付款截图", "attachment"),
        "priority": FieldName("紧急程度", "urgency"),
        "title": FieldName("工单主题", "subject"),
        "content": FieldName("问题描述", "description"),
        "submit": FieldName("确认提交", "btn-create"),
        "reply": FieldName("追加回复", "message"),
        "reply_submit": FieldName("发送", "btn-reply"),
        "search": FieldName("订单编号", "kw_order"),
    }

    def __init__(
        self,
        data_dir: Path | str,
        *,
        username: str = "demo",
        password: str = "demo-pass",
        rate_limit: int = 5,
        rate_window: timedelta = timedelta(minutes=10),
        list_busy: int = 0,
    ) -> None:
        self.username = username
        self.list_busy = int(list_busy)
        """The next n ticket-list API calls answer HTTP 200 with ``{"code": 5030, "msg": "系统繁忙"}``."""
        self.password = password
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.orders: dict[str, Order] = {}
        self.tickets: dict[str, Ticket] = {}
        super().__init__(data_dir)

    # ---- WebTwin -------------------------------------------------------------------------------
    def seed(self) -> None:
        """The member ``demo`` with three orders (incl. the example's) and one guest order."""
        with self.lock:
            self.orders = {
                no: Order(no, product, amount, at, self.username if owner else None)
                for no, product, amount, at, owner in DEFAULT_ORDERS
            }
            self.tickets = {}

    def info(self) -> dict[str, Any]:
        """Seeded account and orders."""
        return {
            "accounts": [{"username": self.username, "password": self.password}],
            "orders": [o.to_dict() | {"owner": o.owner} for o in self.orders.values()],
            "pages": {"login": "/login", "tickets": "/tickets", "new_ticket": "/tickets/new"},
        }

    def records(self) -> list[dict[str, Any]]:
        """Every ticket."""
        with self.lock:
            return [t.to_dict() for t in self.tickets.values()]

    def operate(self, number: str, action: str, text: str = "") -> dict[str, Any]:
        """Customer service: reply → 待用户回复; resolve → 已解决; close/reject → 已关闭."""
        ticket = self.tickets.get(number)
        if ticket is None:
            raise OperatorError(f"工单 {number} 不存在", 404)
        if action == "intervene":
            raise OperatorError("A 类工单没有“平台介入”;可用:reply、resolve、reject、close")
        if not ticket.active:
            raise OperatorError(f"{ENDED_MESSAGE}(当前状态:{ticket.status})")
        if action == "reply" and not text.strip():
            raise OperatorError("客服回复内容不能为空", 400)
        if text.strip():
            self._add_reply(ticket, "staff", text.strip())
        new_status = {"reply": WAIT_USER, "resolve": RESOLVED, "close": CLOSED, "reject": CLOSED}[action]
        self._set_status(ticket, new_status, "operator", action)
        return ticket.to_dict()

    def rate_limited(self, scope: Scope) -> Response:
        """API: HTTP 200 with code 4290; pages: the 429 page."""
        if scope["path"].startswith("/api/"):
            return _api_error(API_RATE, "操作过于频繁,请稍后再试")
        return super().rate_limited(scope)

    def site_routes(self) -> list[BaseRoute]:
        """Pages and JSON API."""
        return [
            Route("/", self.home),
            Route("/login", self.login_page, methods=["GET"]),
            Route("/login", self.login_submit, methods=["POST"]),
            Route("/logout", self.logout, methods=["GET", "POST"]),
            Route("/captcha.png", self.captcha_png),
            Route("/tickets", self.ticket_list),
            Route("/tickets/new", self.new_ticket_page, methods=["GET"]),
            Route("/tickets/new", self.new_ticket_submit, methods=["POST"]),
            Route("/tickets/{number}", self.ticket_page),
            Route("/tickets/{number}/reply", self.ticket_reply, methods=["POST"]),
            Route("/api/captcha", self.api_captcha),
            Route("/api/captcha/{captcha_id}.png", self.api_captcha_png),
            Route("/api/login", self.api_login, methods=["POST"]),
            Route("/api/logout", self.api_logout, methods=["POST"]),
            Route("/api/orders", self.api_orders),
            Route("/api/tickets", self.api_tickets, methods=["GET", "POST"]),
            Route("/api/tickets/{number}", self.api_ticket),
            Route("/api/tickets/{number}/reply", self.api_reply, methods=["POST"]),
        ]

    # ---- domain ----------------------------------------------------------------------------------
    def _now(self) -> datetime:
        return self.clock.now()

    def _add_reply(self, ticket: Ticket, by: str, text: str) -> None:
        now = self._now()
        ticket.replies.append({"by": by, "text": text, "at": now.isoformat(timespec="seconds")})
        ticket.updated_at = now
        self.state.record_message(ticket.number, "user" if by == "user" else "operator", text)

    def _set_status(self, ticket: Ticket, status: str, by: str, note: str = "") -> None:
        ticket.status = status
        ticket.updated_at = self._now()
        self.state.record_status(ticket.number, status, by, note)

    def member_orders(self, user: str) -> list[Order]:
        """The member's own orders, newest first."""
        return sorted(
            (o for o in self.orders.values() if o.owner == user), key=lambda o: o.ordered_at, reverse=True
        )

    def new_number(self) -> str:
        """``TK`` + yymmddHHMMSS (Beijing time) + 8 uppercase hex, unique."""
        while True:
            number = "TK" + self._now().strftime("%y%m%d%H%M%S") + secrets.token_hex(4).upper()
            if number not in self.tickets:
                return number

    def rate_exceeded(self, user: str) -> bool:
        """True when ``user`` filed ``rate_limit`` tickets in the last ``rate_window``."""
        since = self._now() - self.rate_window
        return (
            sum(1 for t in self.tickets.values() if t.user == user and t.created_at > since)
            >= self.rate_limit
        )

    def validate(
        self, user: str, values: dict[str, str], files: list[tuple[str, bytes]]
    ) -> tuple[dict[str, str], dict[str, Any]]:
        """Server-side validation of a new ticket: (errors by field, cleaned values)."""
        errors: dict[str, str] = {}
        clean: dict[str, Any] = {}
        ttype = _pick(values.get("ticket_type", ""), TICKET_TYPES)
        if ttype is None:
            errors["ticket_type"] = "请选择工单类型"
        clean["ticket_type"] = TICKET_TYPES.get(ttype or "", "")
        aftersale = ttype == "aftersale"

        picked = values.get("order_id", "").strip()
        typed = values.get("order_no", "").strip()
        order_no = ""
        if picked:
            order = self.orders.get(picked)
            if order is None or order.owner != user:
                errors["order_id"] = "所选订单不存在"
            else:
                order_no = picked
        if typed:
            if len(typed) > ORDER_NO_MAX:
                errors["order_no"] = f"订单号不能超过 {ORDER_NO_MAX} 个字符"
            elif not ORDER_NO_RE.match(typed):
                errors["order_no"] = "订单号只能包含字母、数字、下划线或短横线"
            elif typed not in self.orders:
                errors["order_no"] = "订单不存在,请核对订单号"
            elif self.orders[typed].owner not in (None, user):
                errors["order_no"] = "该订单不属于当前账号"
            elif picked and picked != typed:
                errors["order_no"] = "所选订单与填写的订单号不一致"
            else:
                order_no = typed
        if aftersale and not picked and not typed:
            errors["order_id"] = "售后工单请选择订单或填写订单号"
        clean["order_no"] = order_no

        if aftersale and not files:
            errors["proof"] = "售后工单必须上传购买凭证"
        elif len(files) > PROOF_MAX_FILES:
            errors["proof"] = f"购买凭证最多上传 {PROOF_MAX_FILES} 张"
        else:
            uploads = [
                inspect_image(n, d, allowed=PROOF_TYPES, max_bytes=PROOF_MAX_BYTES, label="购买凭证")
                for n, d in files
            ]
            bad = [u.problem for u in uploads if u.problem]
            if bad:
                errors["proof"] = bad[0]
            clean["_uploads"] = uploads

        prio = _pick(values.get("priority", ""), PRIORITIES)
        if prio is None:
            errors["priority"] = "请选择优先级"
        clean["priority"] = PRIORITIES.get(prio or "", "")

        title = values.get("title", "").strip()
        if not title:
            errors["title"] = "请填写标题"
        elif not TITLE_MIN <= len(title) <= TITLE_MAX:
            errors["title"] = f"标题长度需为 {TITLE_MIN}–{TITLE_MAX} 个字,当前 {len(title)} 个字"
        clean["title"] = title

        content = values.get("content", "").strip()
        if not content:
            errors["content"] = "请填写内容"
        elif len(content) < CONTENT_MIN:
            errors["content"] = f"内容至少 {CONTENT_MIN} 个字"
        elif len(content) > CONTENT_MAX:
            errors["content"] = f"内容不能超过 {CONTENT_MAX} 个字,当前 {len(content)} 个字"
        clean["content"] = content
        return errors, clean

    def create(self, user: str, clean: dict[str, Any], *, via: str) -> Ticket:
        """Store a validated ticket (status 待客服回复)."""
        with self.lock:
            files = [store_upload(u, self.uploads_dir) for u in clean.get("_uploads", [])]
            now = self._now()
            ticket = Ticket(
                number=self.new_number(),
                user=user,
                ticket_type=clean["ticket_type"],
                order_no=clean["order_no"],
                priority=clean["priority"],
                title=clean["title"],
                content=clean["content"],
                files=files,
                status=WAIT_STAFF,
                created_at=now,
                updated_at=now,
            )
            self.tickets[ticket.number] = ticket
            fields = {k: v for k, v in clean.items() if not k.startswith("_")}
            self.state.record_submission(ticket.number, "ticket", fields, files, user=user, via=via)
            self.state.record_status(ticket.number, WAIT_STAFF, "system", "created")
            return ticket

    def user_reply(self, ticket: Ticket, text: str) -> str | None:
        """Append the member's reply; returns an error message or None."""
        text = text.strip()
        if not ticket.active:
            return ENDED_MESSAGE
        if not text:
            return "请填写回复内容"
        if len(text) > CONTENT_MAX:
            return f"回复内容不能超过 {CONTENT_MAX} 个字"
        with self.lock:
            self._add_reply(ticket, "user", text)
            self._set_status(ticket, WAIT_STAFF, "user", "reply")
        return None

    # ---- pages -----------------------------------------------------------------------------------
    def _user(self, request: Request) -> str | None:
        sess = session(request, create=False)
        return sess.data.get("user") if sess else None

    def _to_login(self, request: Request, *, expired: bool = False, target: str | None = None) -> Response:
        if expired:
            self.flash(request, "登录已过期,请重新登录", "error")
        nxt = target or request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(nxt)}", status_code=303)

    def page(self, request: Request, template: str, status: int = 200, **ctx: Any) -> Response:
        """Render a family-A page (adds the logged-in user)."""
        return self.render(request, f"card_a/{template}", status, user=self._user(request), **ctx)

    def _csrf_failed(self, request: Request, form_name: str) -> Response:
        self.state.record_rejection(form_name, {"csrf_token": "CSRF 校验失败"}, user=self._user(request))
        return self.render(
            request,
            "message.html",
            419,
            heading="页面已过期",
            message="页面已过期(CSRF 校验失败),请刷新页面后重试。",
            user=self._user(request),
        )

    async def home(self, request: Request) -> Response:
        """Entry page."""
        return self.page(request, "home.html")

    async def login_page(self, request: Request) -> Response:
        """Login form with image captcha."""
        nxt = safe_next(request.query_params.get("next"), "/tickets")
        return self.page(request, "login.html", next=nxt, errors={}, values={}, bust=secrets.token_hex(4))

    async def login_submit(self, request: Request) -> Response:
        """Check captcha first (always consumed), then username and password."""
        form = await read_form(request)
        f = self.f
        nxt = safe_next(str(form.get("next") or ""), "/tickets")
        if not csrf_ok(request, form):
            return self._csrf_failed(request, "login")
        username = str(form.get(f["username"].id) or "").strip()
        password = str(form.get(f["password"].id) or "")
        answer = str(form.get(f["captcha"].id) or "")
        sess = session(request)
        assert sess is not None
        errors: dict[str, str] = {}
        if not username:
            errors["username"] = "请输入用户名"
        if not password:
            errors["password"] = "请输入密码"
        if not answer.strip():
            errors["captcha"] = "请输入验证码"
        elif not self.captchas.verify(answer, session=sess.id):
            errors["captcha"] = "验证码错误,请重新输入"
        if not errors and (username != self.username or password != self.password):
            errors["password"] = "用户名或密码错误"
        if errors:
            self.state.record_login(username, False, next(iter(errors.values())))
            return self.page(
                request,
                "login.html",
                422,
                next=nxt,
                errors=errors,
                values={"username": username},
                bust=secrets.token_hex(4),
            )
        self.state.record_login(username, True)
        new = rotate_session(request)
        new.data["user"] = username
        return RedirectResponse(nxt, status_code=303)

    async def logout(self, request: Request) -> Response:
        """End the member session."""
        sess = session(request, create=False)
        if sess:
            sess.data.pop("user", None)
        return RedirectResponse("/login", status_code=303)

    async def ticket_list(self, request: Request) -> Response:
        """我的工单: number, title, order, status, date; optional filter by order number."""
        user = self._user(request)
        if not user:
            return self._to_login(request)
        q = request.query_params.get(self.f["search"].id, request.query_params.get("order_no", "")).strip()
        with self.lock:
            rows = [t for t in self.tickets.values() if t.user == user and (not q or t.order_no == q)]
        rows.sort(key=lambda t: t.created_at, reverse=True)
        return self.page(request, "tickets.html", tickets=rows, q=q)

    def _form_ctx(self, user: str, values: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
        return {
            "orders": self.member_orders(user),
            "values": values,
            "errors": errors,
            "ticket_types": TICKET_TYPES,
            "priorities": PRIORITIES,
            "limits": {
                "title_min": TITLE_MIN,
                "title_max": TITLE_MAX,
                "order_no_max": ORDER_NO_MAX,
                "files": PROOF_MAX_FILES,
            },
        }

    async def new_ticket_page(self, request: Request) -> Response:
        """提交工单 form."""
        user = self._user(request)
        if not user:
            return self._to_login(request)
        return self.page(request, "new_ticket.html", **self._form_ctx(user, {"priority": "low"}, {}))

    async def new_ticket_submit(self, request: Request) -> Response:
        """Validate; on success store, then redirect to the ticket page (the receipt)."""
        form = await read_form(request)
        user = self._user(request)
        if not user:
            return self._to_login(request, expired=True, target="/tickets/new")
        if not csrf_ok(request, form):
            return self._csrf_failed(request, "ticket")
        f = self.f
        keys = ("ticket_type", "order_id", "order_no", "priority", "title", "content")
        values = {k: str(form.get(f[k].id) or "") for k in keys}
        if self.rate_exceeded(user):
            self.state.record_rejection("ticket", {"form": RATE_MESSAGE}, user=user)
            ctx = self._form_ctx(user, values, {"form": RATE_MESSAGE})
            return self.page(request, "new_ticket.html", 429, **ctx)
        files = await read_files(form, f["proof"].id)
        errors, clean = self.validate(user, values, files)
        if errors:
            self.state.record_rejection("ticket", errors, user=user)
            return self.page(request, "new_ticket.html", 422, **self._form_ctx(user, values, errors))
        ticket = self.create(user, clean, via="form")
        self.flash(request, f"工单提交成功,工单号:{ticket.number}")
        self.lose_response(request)
        return RedirectResponse(f"/tickets/{ticket.number}", status_code=303)

    def _own_ticket(self, request: Request, user: str) -> Ticket | None:
        ticket = self.tickets.get(request.path_params["number"])
        return ticket if ticket is not None and ticket.user == user else None

    async def ticket_page(self, request: Request) -> Response:
        """Ticket detail: number, status, thread, reply box until ended."""
        user = self._user(request)
        if not user:
            return self._to_login(request)
        ticket = self._own_ticket(request, user)
        if ticket is None:
            return self.render(
                request,
                "message.html",
                404,
                heading="工单不存在",
                message="工单不存在或无权查看。",
                user=user,
            )
        return self.page(request, "ticket.html", ticket=ticket, errors={}, ended_message=ENDED_MESSAGE)

    async def ticket_reply(self, request: Request) -> Response:
        """The member replies on the detail page."""
        form = await read_form(request)
        user = self._user(request)
        if not user:
            return self._to_login(request, expired=True, target=f"/tickets/{request.path_params['number']}")
        if not csrf_ok(request, form):
            return self._csrf_failed(request, "reply")
        ticket = self._own_ticket(request, user)
        if ticket is None:
            return self.render(
                request,
                "message.html",
                404,
                heading="工单不存在",
                message="工单不存在或无权查看。",
                user=user,
            )
        error = self.user_reply(ticket, str(form.get(self.f["reply"].id) or ""))
        if error:
            self.state.record_rejection("reply", {"reply": error}, user=user)
            return self.page(
                request,
                "ticket.html",
                422,
                ticket=ticket,
                errors={"reply": error},
                ended_message=ENDED_MESSAGE,
            )
        self.flash(request, "回复成功")
        return RedirectResponse(f"/tickets/{ticket.number}", status_code=303)

    # ---- JSON API -----------------------------------------------------------------------------------
    async def api_captcha(self, request: Request) -> Response:
        """A captcha for API login: id + PNG (data URL and image URL)."""
        sess = session(request)
        assert sess is not None
        cap = self.captchas.issue(None)
        png = self.captchas.png(cap)
        data = {
            "captcha_id": cap.id,
            "image": "data:image/png;base64," + base64.b64encode(png).decode("ascii"),
            "image_url": f"/api/captcha/{cap.id}.png",
        }
        return _api_ok(data)

    async def api_captcha_png(self, request: Request) -> Response:
        """The image of an API captcha."""
        cap = self.captchas.get(request.path_params["captcha_id"])
        if cap is None or cap.used:
            return Response(status_code=404)
        return Response(self.captchas.png(cap), media_type="image/png", headers={"Cache-Control": "no-store"})

    async def _api_body(self, request: Request) -> Any:
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                body = await request.json()
            except ValueError:
                return None
            return body if isinstance(body, dict) else None
        return await read_form(request)

    async def api_login(self, request: Request) -> Response:
        """username, password, captcha_id, captcha → session cookie."""
        body = await self._api_body(request)
        if body is None:
            return _api_error(API_VALIDATION, "请求格式错误")
        username = str(body.get("username") or "").strip()
        password = str(body.get("password") or "")
        captcha_id = str(body.get("captcha_id") or "")
        answer = str(body.get("captcha") or "")
        if not captcha_id or not answer or not self.captchas.verify(answer, captcha_id=captcha_id):
            self.state.record_login(username, False, "验证码错误", via="api")
            return _api_error(API_CAPTCHA, "验证码错误,请重新获取")
        if username != self.username or password != self.password:
            self.state.record_login(username, False, "用户名或密码错误", via="api")
            return _api_error(API_CREDENTIALS, "用户名或密码错误")
        self.state.record_login(username, True, via="api")
        sess = rotate_session(request)
        sess.data["user"] = username
        return _api_ok({"username": username})

    async def api_logout(self, request: Request) -> Response:
        """End the session."""
        sess = session(request, create=False)
        if sess:
            sess.data.pop("user", None)
        return _api_ok({})

    async def api_orders(self, request: Request) -> Response:
        """The member's orders."""
        user = self._user(request)
        if not user:
            return _api_error(API_NOT_LOGGED_IN, "未登录或登录已过期")
        return _api_ok({"items": [o.to_dict() for o in self.member_orders(user)]})

    async def api_tickets(self, request: Request) -> Response:
        """GET: list (``?order_no=`` filter, for reconciliation); POST: create (multipart)."""
        user = self._user(request)
        if request.method == "GET":
            if not user:
                return _api_error(API_NOT_LOGGED_IN, "未登录或登录已过期")
            with self.lock:
                busy, self.list_busy = self.list_busy > 0, max(0, self.list_busy - 1)
            if busy:  # a real site's "busy" answer: HTTP 200, an error code, no items
                return _api_error(5030, "系统繁忙,请稍后再试")
            q = request.query_params.get("order_no", "").strip()
            with self.lock:
                rows = [t for t in self.tickets.values() if t.user == user and (not q or t.order_no == q)]
            rows.sort(key=lambda t: t.created_at, reverse=True)
            return _api_ok({"items": [t.summary() for t in rows], "total": len(rows)})
        body = await self._api_body(request)
        if not user:
            return _api_error(API_NOT_LOGGED_IN, "未登录或登录已过期")
        if body is None:
            return _api_error(API_VALIDATION, "请求格式错误")
        keys = ("ticket_type", "order_id", "order_no", "priority", "title", "content")
        values = {k: str(body.get(k) or "") for k in keys}
        if self.rate_exceeded(user):
            self.state.record_rejection("ticket", {"form": RATE_MESSAGE}, user=user, via="api")
            return _api_error(API_RATE, RATE_MESSAGE)
        files = await read_files(body, "proof") if hasattr(body, "getlist") else []
        errors, clean = self.validate(user, values, files)
        if errors:
            self.state.record_rejection("ticket", errors, user=user, via="api")
            return _api_error(API_VALIDATION, next(iter(errors.values())), errors=errors)
        ticket = self.create(user, clean, via="api")
        self.lose_response(request)
        return _api_ok(
            {
                "ticket_no": ticket.number,
                "status": ticket.status,
                "created_at": ticket.summary()["created_at"],
            }
        )

    async def api_ticket(self, request: Request) -> Response:
        """Status and replies of one ticket."""
        user = self._user(request)
        if not user:
            return _api_error(API_NOT_LOGGED_IN, "未登录或登录已过期")
        ticket = self._own_ticket(request, user)
        if ticket is None:
            return _api_error(API_NOT_FOUND, "工单不存在")
        return _api_ok(ticket.to_dict())

    async def api_reply(self, request: Request) -> Response:
        """The member replies (field ``content``)."""
        body = await self._api_body(request)
        user = self._user(request)
        if not user:
            return _api_error(API_NOT_LOGGED_IN, "未登录或登录已过期")
        ticket = self._own_ticket(request, user)
        if ticket is None:
            return _api_error(API_NOT_FOUND, "工单不存在")
        error = self.user_reply(ticket, str((body or {}).get("content") or ""))
        if error:
            self.state.record_rejection("reply", {"content": error}, user=user, via="api")
            return _api_error(API_ENDED if error == ENDED_MESSAGE else API_VALIDATION, error)
        return _api_ok({"ticket_no": ticket.number, "status": ticket.status})


def _pick(value: str, choices: dict[str, str]) -> str | None:
    """Accept a choice by its key (``aftersale``) or by its Chinese label (``售后支持``)."""
    value = value.strip()
    if value in choices:
        return value
    for key, label in choices.items():
        if value == label:
            return key
    return None


def _api_ok(data: dict[str, Any]) -> JSONResponse:
    return JSONResponse({"code": 0, "msg": "ok", "data": data})


def _api_error(code: int, msg: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"code": code, "msg": msg, **extra})


def create_twin(data_dir: Path, **options: Any) -> CardATwin:
    """Registry factory: options ``username``, ``password``, ``rate_limit``, ``rate_window``, ``list_busy``."""
    return CardATwin(data_dir, **options)
