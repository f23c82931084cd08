"""卡盟 family C twin: the member ticket module of an open-source PHP 发卡 system, as it really behaves.

Where families A and B are kind, family C keeps the habits that misled a profile on the real site:

- **logged-out pages answer HTTP 200**: any ``/user/…`` page without a session is an interstitial
  "登录会话过期" page (``Refresh: 2;url=/user/login`` header), and an unknown page or ticket id is a
  "页面不存在" page, also with status 200;
- the 购买凭证 widget takes **exactly one file**: a hidden ``<input type=file>`` behind a "上传凭证" button
  that uploads at once by XHR (slowly) and puts the attachment id into a hidden field; the button
  disappears after the first upload, and a ticket is refused without a finished upload;
- the **receipt** page shows the ticket number, then the site redirects to the (slow) ticket list;
- **status cells hold an icon-font ligature** (``<i class="material-icons">schedule</i>待客服回复``);
- **detail pages are addressed by the site's own id** (``/user/ticket/detail?id=7``), not the number.

Options: ``username``/``password``, ``upload_delay_s`` (each upload's answer), ``list_delay_s`` (the
list page), ``redirect_ms`` (receipt page → list), ``drop_login_session`` (a login that "succeeds"
but keeps no session, like a cookie the browser refused).
"""

from __future__ import annotations

import asyncio
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from kameng_filer.twins.base import FieldName, OperatorError, WebTwin
from kameng_filer.twins.state import FileInfo
from kameng_filer.twins.web import (
    csrf_ok,
    inspect_image,
    read_files,
    read_form,
    rotate_session,
    session,
    store_upload,
)

WAIT_STAFF = "待客服回复"
REPLIED = "客服已回复"
DONE = "已完成"
CLOSED = "已关闭"
ENDED = (DONE, CLOSED)
ICONS = {WAIT_STAFF: "schedule", REPLIED: "chat", DONE: "check_circle", CLOSED: "cancel"}
"""Material icon ligature shown before each status word (its text is part of the cell's DOM text)."""

CATEGORIES = ("订单问题", "充值未到账", "卡密问题", "其他")
PROOF_TYPES = ("image/jpeg", "image/png", "image/webp")
PROOF_MAX_BYTES = 5 * 1024 * 1024
TITLE_MIN, TITLE_MAX = 4, 60
CONTENT_MIN, CONTENT_MAX = 10, 2000
EXPIRED_REFRESH = "2;url=/user/login"

DEFAULT_ORDERS = (
    ("KM20261102150012", "王者荣耀点券 1000点", "100.00"),
    ("KM20261020103344", "腾讯视频VIP会员 月卡", "25.00"),
)


@dataclass
class Ticket:
    """One ticket: the site's own id (URLs) and its number (shown to the member)."""

    id: int
    number: str
    user: str
    category: str
    order_no: str
    title: str
    content: str
    files: list[FileInfo]
    status: str
    created_at: datetime
    replies: list[dict[str, Any]] = field(default_factory=list)

    @property
    def icon(self) -> str:
        """The icon-font ligature shown before the status word."""
        return ICONS.get(self.status, "info")

    def shown_created(self, style: str, now: datetime) -> str:
        """The creation time as the list shows it: ``beijing`` (``2026-11-03 10:00:05``), ``utc``
        (``2026-11-03 02:00:05 UTC``, a server left on UTC), ``12h`` (``2026/11/03 10:00:05 AM``) or
        ``relative`` (``刚刚`` / ``3分钟前``)."""
        at = self.created_at
        if style == "utc":
            return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        if style == "12h":
            return at.strftime("%Y/%m/%d %I:%M:%S %p")
        if style == "relative" and now - at < timedelta(hours=1):
            minutes = int((now - at).total_seconds() // 60)
            return f"{minutes}分钟前" if minutes else "刚刚"
        return at.strftime("%Y-%m-%d %H:%M:%S")

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (``/_twin/state``)."""
        return {
            "id": self.id,
            "ticket_no": self.number,
            "user": self.user,
            "category": self.category,
            "order_no": self.order_no,
            "title": self.title,
            "content": self.content,
            "status": self.status,
            "created_at": self.created_at.isoformat(timespec="seconds"),
            "files": [f.to_dict() for f in self.files],
            "replies": [dict(r) for r in self.replies],
        }


class CardCTwin(WebTwin):
    """卡盟 family C (PHP 发卡 system, member ticket module) twin."""

    name: ClassVar[str] = "card_c"
    title: ClassVar[str] = "云梦发卡 用户中心"
    session_ttl: ClassVar[timedelta] = timedelta(hours=2)
    submit_paths: ClassVar[tuple[str, ...]] = ("/user/ticket/add",)
    fields_normal: ClassVar[dict[str, FieldName]] = {
        "username": FieldName("账号", "username"),
        "password": FieldName("密码", "password"),
        "title": FieldName("工单标题", "title"),
        "order_no": FieldName("关联订单号", "order_sn"),
        "category": FieldName("问题类型", "category"),
        "content": FieldName("问题描述", "content"),
        "proof": FieldName("购买凭证", "proof-file"),
        "submit": FieldName("提交工单", "ticket-submit"),
        "reply": FieldName("回复内容", "reply_content"),
        "reply_submit": FieldName("提交回复", "reply-submit"),
    }

    def __init__(
        self,
        data_dir: Path | str,
        *,
        username: str = "demo",
        password: str = "demo-pass",
        upload_delay_s: float = 0.6,
        list_delay_s: float = 1.0,
        redirect_ms: int = 150,
        drop_login_session: bool = False,
        date_style: str = "beijing",
        relative_links: bool = False,
    ) -> None:
        self.username = username
        self.password = password
        self.upload_delay_s = upload_delay_s
        self.list_delay_s = list_delay_s
        self.redirect_ms = redirect_ms
        self.drop_login_session = drop_login_session
        if date_style not in ("beijing", "utc", "12h", "relative"):
            raise ValueError(f"date_style: {date_style!r} 不是 beijing / utc / 12h / relative")
        self.date_style = date_style
        """How the list shows creation times (``Ticket.shown_created``)."""
        self.relative_links = relative_links
        """The list's row links are relative to a ``<base href="/user/ticket/">`` (``detail?id=7``)."""
        self.tickets: dict[int, Ticket] = {}
        self.attachments: dict[str, tuple[str, FileInfo]] = {}
        self.upload_posts = 0
        """How many upload requests the widget sent (each is one XHR)."""
        super().__init__(data_dir)

    # ---- WebTwin -------------------------------------------------------------------------------
    def seed(self) -> None:
        """The member ``demo``; no tickets, no attachments."""
        with self.lock:
            self.tickets = {}
            self.attachments = {}
            self.upload_posts = 0

    def info(self) -> dict[str, Any]:
        """Seeded account and pages."""
        return {
            "accounts": [{"username": self.username, "password": self.password}],
            "orders": [{"order_no": n, "product": p, "amount": a} for n, p, a in DEFAULT_ORDERS],
            "pages": {"login": "/user/login", "tickets": "/user/ticket", "new_ticket": "/user/ticket/add"},
        }

    def records(self) -> list[dict[str, Any]]:
        """Every ticket."""
        with self.lock:
            return [t.to_dict() for t in self.tickets.values()]

    def by_number(self, number: str) -> Ticket | None:
        """The ticket with this number (shown to members), or None."""
        return next((t for t in self.tickets.values() if t.number == number), None)

    def operate(self, number: str, action: str, text: str = "") -> dict[str, Any]:
        """Staff: reply → 客服已回复; resolve → 已完成; close/reject → 已关闭."""
        ticket = self.by_number(number)
        if ticket is None:
            raise OperatorError(f"工单 {number} 不存在", 404)
        if action == "intervene":
            raise OperatorError("C 类工单没有“平台介入”;可用:reply、resolve、reject、close")
        if ticket.status in ENDED:
            raise OperatorError(f"工单已结束(当前状态:{ticket.status})")
        if text.strip():
            self._reply(ticket, "staff", text.strip())
        status = {"reply": REPLIED, "resolve": DONE, "close": CLOSED, "reject": CLOSED}[action]
        ticket.status = status
        self.state.record_status(ticket.number, status, "operator", action)
        return ticket.to_dict()

    def site_routes(self) -> list[BaseRoute]:
        """Member pages; everything unknown is a 200 "页面不存在" page."""
        return [
            Route("/", self.home),
            Route("/user/login", self.login_page, methods=["GET"]),
            Route("/user/login", self.login_submit, methods=["POST"]),
            Route("/user/logout", self.logout),
            Route("/user/index", self.index),
            Route("/user/ticket", self.ticket_list),
            Route("/user/ticket/add", self.add_page, methods=["GET"]),
            Route("/user/ticket/add", self.add_submit, methods=["POST"]),
            Route("/user/ticket/detail", self.detail),
            Route("/user/ticket/reply", self.reply, methods=["POST"]),
            Route("/user/upload", self.upload, methods=["POST"]),
            Route("/{rest:path}", self.not_found, methods=["GET", "POST"]),
        ]

    # ---- helpers ---------------------------------------------------------------------------------
    def _user(self, request: Request) -> str | None:
        sess = session(request, create=False)
        return sess.data.get("user") if sess else None

    def page(self, request: Request, template: str, **ctx: Any) -> Response:
        """Every page answers 200, whatever it says (like the real site)."""
        return self.render(request, f"card_c/{template}", 200, user=self._user(request), **ctx)

    def expired(self, request: Request) -> Response:
        """The logged-out interstitial: HTTP 200 with a ``Refresh`` header to the login page."""
        response = self.render(request, "card_c/expired.html", 200, user=None)
        response.headers["Refresh"] = EXPIRED_REFRESH
        return response

    def _reply(self, ticket: Ticket, by: str, text: str) -> None:
        at = self.clock.now().isoformat(timespec="seconds")
        ticket.replies.append({"by": by, "text": text, "at": at})
        self.state.record_message(ticket.number, "user" if by == "user" else "operator", text)

    def _new_number(self) -> str:
        while True:
            number = "GD" + self.clock.now().strftime("%Y%m%d%H%M%S") + f"{secrets.randbelow(1000):03d}"
            if self.by_number(number) is None:
                return number

    # ---- pages ---------------------------------------------------------------------------------
    async def home(self, request: Request) -> Response:
        """Entry page."""
        return self.page(request, "home.html")

    async def not_found(self, request: Request) -> Response:
        """Unknown page: "页面不存在", with status 200."""
        return self.page(request, "notfound.html")

    async def login_page(self, request: Request) -> Response:
        """账号 + 密码."""
        return self.page(request, "login.html", error="", username="")

    async def login_submit(self, request: Request) -> Response:
        """Wrong credentials: the form again (200) with a message; right ones: to the member index."""
        form = await read_form(request)
        if not csrf_ok(request, form):
            return self.page(request, "login.html", error="页面已过期,请刷新后重试", username="")
        username = str(form.get("username") or "").strip()
        password = str(form.get("password") or "")
        if username != self.username or password != self.password:
            self.state.record_login(username, False, "账号或密码错误")
            return self.page(request, "login.html", error="账号或密码错误", username=username)
        self.state.record_login(username, True)
        new = rotate_session(request)
        if not self.drop_login_session:
            new.data["user"] = username
        return RedirectResponse("/user/index", status_code=302)

    async def logout(self, request: Request) -> Response:
        """End the session."""
        sess = session(request, create=False)
        if sess:
            sess.data.pop("user", None)
        return RedirectResponse("/user/login", status_code=302)

    async def index(self, request: Request) -> Response:
        """Member home."""
        if not self._user(request):
            return self.expired(request)
        return self.page(request, "index.html")

    async def ticket_list(self, request: Request) -> Response:
        """我的工单 (slow): number, title, order, status with its icon, link to ``detail?id=``."""
        if not self._user(request):
            return self.expired(request)
        await asyncio.sleep(self.list_delay_s)
        user = self._user(request)
        with self.lock:
            rows = sorted(
                (t for t in self.tickets.values() if t.user == user), key=lambda t: t.id, reverse=True
            )
        shown = {t.id: t.shown_created(self.date_style, self.clock.now()) for t in rows}
        return self.page(
            request, "tickets.html", tickets=rows, shown=shown, relative_links=self.relative_links
        )

    def _form(self, request: Request, values: dict[str, str], error: str = "") -> Response:
        return self.page(
            request,
            "add.html",
            values=values,
            error=error,
            categories=CATEGORIES,
            limits={"title_min": TITLE_MIN, "title_max": TITLE_MAX},
        )

    async def add_page(self, request: Request) -> Response:
        """提交工单 form with the one-file upload widget."""
        if not self._user(request):
            return self.expired(request)
        return self._form(request, {})

    async def upload(self, request: Request) -> Response:
        """The widget's XHR upload (one file per request): answers slowly with an attachment id."""
        user = self._user(request)
        form = await read_form(request)
        with self.lock:
            self.upload_posts += 1
        if not user:
            return JSONResponse({"code": 401, "msg": "登录会话过期"})
        if not csrf_ok(request, form):
            return JSONResponse({"code": 419, "msg": "页面已过期,请刷新后重试"})
        files = await read_files(form, "file")
        await asyncio.sleep(self.upload_delay_s)
        if len(files) != 1:
            return JSONResponse({"code": 422, "msg": "请选择一张图片"})
        up = inspect_image(*files[0], allowed=PROOF_TYPES, max_bytes=PROOF_MAX_BYTES, label="购买凭证")
        if up.problem:
            return JSONResponse({"code": 422, "msg": up.problem})
        info = store_upload(up, self.uploads_dir)
        key = secrets.token_hex(6)
        with self.lock:
            self.attachments[key] = (user, info)
        return JSONResponse({"code": 0, "msg": "上传成功", "data": {"id": key, "name": info.name}})

    def _validate(self, user: str, values: dict[str, str]) -> tuple[str, list[FileInfo]]:
        title, content = values["title"], values["content"]
        if not TITLE_MIN <= len(title) <= TITLE_MAX:
            return f"工单标题需为 {TITLE_MIN}–{TITLE_MAX} 个字", []
        if values["category"] not in CATEGORIES:
            return "请选择问题类型", []
        if not re.fullmatch(r"[A-Za-z0-9_-]{4,32}", values["order_sn"]):
            return "请填写正确的订单号", []
        if not CONTENT_MIN <= len(content) <= CONTENT_MAX:
            return f"问题描述需为 {CONTENT_MIN}–{CONTENT_MAX} 个字", []
        found = self.attachments.get(values["attachment_id"])
        if found is None or found[0] != user:
            return "请上传购买凭证(上传完成后再提交)", []
        return "", [found[1]]

    async def add_submit(self, request: Request) -> Response:
        """Store the ticket and show its number, then (script) move on to the list."""
        form = await read_form(request)
        user = self._user(request)
        if not user:
            return self.expired(request)
        keys = ("title", "order_sn", "category", "content", "attachment_id")
        values = {k: str(form.get(k) or "").strip() for k in keys}
        if not csrf_ok(request, form):
            return self._form(request, values, "页面已过期,请刷新后重试")
        error, files = self._validate(user, values)
        if error:
            self.state.record_rejection("ticket", {"form": error}, user=user)
            return self._form(request, values, error)
        with self.lock:
            ticket = Ticket(
                id=len(self.tickets) + 7,
                number=self._new_number(),
                user=user,
                category=values["category"],
                order_no=values["order_sn"],
                title=values["title"],
                content=values["content"],
                files=files,
                status=WAIT_STAFF,
                created_at=self.clock.now(),
            )
            self.tickets[ticket.id] = ticket
            self.attachments.pop(values["attachment_id"], None)
            fields = {k: ticket.to_dict()[k] for k in ("category", "order_no", "title", "content")}
            self.state.record_submission(ticket.number, "ticket", fields, files, user=user)
            self.state.record_status(ticket.number, WAIT_STAFF, "system", "created")
        self.lose_response(request)
        return self.page(request, "done.html", ticket=ticket, redirect_ms=self.redirect_ms)

    def _own(self, request: Request, user: str) -> Ticket | None:
        raw = request.query_params.get("id", "")
        ticket = self.tickets.get(int(raw)) if raw.isdigit() else None
        return ticket if ticket is not None and ticket.user == user else None

    def _ticket_or_page(self, request: Request) -> tuple[str, Ticket | None, Response | None]:
        """(user, the member's ticket ``?id=``, None) or the page to answer instead (expired / 404 as 200)."""
        user = self._user(request)
        if not user:
            return "", None, self.expired(request)
        ticket = self._own(request, user)
        return user, ticket, (self.page(request, "notfound.html") if ticket is None else None)

    async def detail(self, request: Request) -> Response:
        """``detail?id=<site id>``; anything else is the 200 "页面不存在" page."""
        _, ticket, other = self._ticket_or_page(request)
        if other is not None or ticket is None:
            return other or self.page(request, "notfound.html")
        return self.page(request, "detail.html", ticket=ticket, error="")

    async def reply(self, request: Request) -> Response:
        """The member's reply on the detail page."""
        form = await read_form(request)
        user, ticket, other = self._ticket_or_page(request)
        if other is not None or ticket is None:
            return other or self.page(request, "notfound.html")
        text = str(form.get("reply_content") or "").strip()
        error = ""
        if not csrf_ok(request, form):
            error = "页面已过期,请刷新后重试"
        elif ticket.status in ENDED:
            error = "工单已结束,无法回复"
        elif not text:
            error = "请填写回复内容"
        if error:
            self.state.record_rejection("reply", {"reply": error}, user=user)
            return self.page(request, "detail.html", ticket=ticket, error=error)
        with self.lock:
            self._reply(ticket, "user", text)
            ticket.status = WAIT_STAFF
            self.state.record_status(ticket.number, WAIT_STAFF, "user", "reply")
        return RedirectResponse(f"/user/ticket/detail?id={ticket.id}", status_code=302)


def create_twin(data_dir: Path, **options: Any) -> CardCTwin:
    """Registry factory: options ``username``, ``password``, ``upload_delay_s``, ``list_delay_s``,
    ``redirect_ms``, ``drop_login_session``, ``date_style``, ``relative_links``."""
    return CardCTwin(data_dir, **options)
