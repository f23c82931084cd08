"""卡盟 family B twin: guest complaint by order number + purchase phone + SMS code.

Reproduces channels.md §1 family B: the buyer proves ownership with the order number and the phone
used at purchase plus a 6-digit SMS code (sent to the twin's outbox; 60 s resend cooldown), then
files 投诉类型 / 问题描述 / 联系方式 / optional images. Receipt: complaint number ``CP`` + 12 digits
(yymmdd + 6 random digits) and a 查询密码 shown once. One active complaint per order, at most 5 per
order; filing freezes the merchant's settlement. Statuses 待处理 → 商家已回复 → 平台介入 →
已解决 / 已驳回; the buyer may 申请平台介入 after a merchant reply and add 补充说明 while active.
Guest access expires 24 h after verification.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from kameng_filer.twins.base import FieldName, OperatorError, WebTwin
from kameng_filer.twins.state import FileInfo
from kameng_filer.twins.web import (
    csrf_ok,
    inspect_image,
    mask_phone,
    read_files,
    read_form,
    session,
    store_upload,
)

PENDING = "待处理"
MERCHANT_REPLIED = "商家已回复"
PLATFORM = "平台介入"
RESOLVED = "已解决"
REJECTED = "已驳回"
ACTIVE = (PENDING, MERCHANT_REPLIED, PLATFORM)
ENDED_MESSAGE = "投诉已结束,无法补充说明"

COMPLAINT_TYPES = {
    "not_received": "未收到货",
    "invalid_key": "卡密无效",
    "not_as_described": "与描述不符",
    "other": "其他",
}
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")
IMAGE_MAX_BYTES = 5 * 1024 * 1024
IMAGE_MAX_FILES = 5
DESC_MIN, DESC_MAX = 10, 2000
FOLLOWUP_MAX = 1000
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
QQ_RE = re.compile(r"^[1-9]\d{4,11}$")
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"

DEFAULT_ORDERS = (
    ("KM20261102150012", "王者荣耀点券 1000点", "100.00", "2026-11-02 15:00:12", "13800138000", "小王点卡"),
    ("KM20261030120845", "和平精英 60点券", "6.00", "2026-10-30 12:08:45", "13800138000", "小王点卡"),
    ("KM20261101090930", "爱奇艺黄金会员 季卡", "58.00", "2026-11-01 09:09:30", "13900139000", "影音小铺"),
)


@dataclass
class GuestOrder:
    """A seeded order and the phone used to buy it."""

    order_no: str
    product: str
    amount: str
    ordered_at: str
    phone: str
    merchant: str
    settlement_frozen: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "order_no": self.order_no,
            "product": self.product,
            "amount": self.amount,
            "ordered_at": self.ordered_at,
            "phone": self.phone,
            "merchant": self.merchant,
            "settlement_frozen": self.settlement_frozen,
        }


@dataclass
class Complaint:
    """One guest complaint with its thread."""

    number: str
    order_no: str
    phone: str
    complaint_type: str
    description: str
    contact: str
    files: list[FileInfo]
    status: str
    created_at: datetime
    updated_at: datetime
    password_sha256: str
    replies: list[dict[str, Any]] = field(default_factory=list)

    @property
    def active(self) -> bool:
        """Still being handled."""
        return self.status in ACTIVE

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (no password)."""
        return {
            "complaint_no": self.number,
            "order_no": self.order_no,
            "phone": self.phone,
            "complaint_type": self.complaint_type,
            "description": self.description,
            "contact": self.contact,
            "files": [f.to_dict() for f in self.files],
            "status": self.status,
            "created_at": self.created_at.isoformat(timespec="seconds"),
            "updated_at": self.updated_at.isoformat(timespec="seconds"),
            "replies": [dict(r) for r in self.replies],
        }


@dataclass
class SmsCode:
    """A code sent for (order, phone)."""

    code: str
    sent_at: datetime
    attempts: int = 0
    used: bool = False


class CardBTwin(WebTwin):
    """卡盟 family B (guest complaint by order) twin."""

    name: ClassVar[str] = "card_b"
    title: ClassVar[str] = "星辰发卡 订单投诉"
    session_ttl: ClassVar[timedelta] = timedelta(hours=24)
    submit_paths: ClassVar[tuple[str, ...]] = ("/complaint/form",)
    fields_normal: ClassVar[dict[str, FieldName]] = {
        "order_no": FieldName("订单号", "order_no"),
        "phone": FieldName("下单手机号", "phone"),
        "send_code": FieldName("获取验证码", "send-code"),
        "sms_code": FieldName("短信验证码", "sms_code"),
        "verify_submit": FieldName("下一步", "verify-submit"),
        "query_submit": FieldName("查询", "query-submit"),
        "complaint_type": FieldName("投诉类型", "complaint_type"),
        "description": FieldName("问题描述", "description"),
        "contact": FieldName("联系方式", "contact"),
        "images": FieldName("图片凭证", "images"),
        "submit": FieldName("提交投诉", "complaint-submit"),
        "complaint_no": FieldName("投诉编号", "complaint_no"),
        "query_password": FieldName("查询密码", "query_password"),
        "password_submit": FieldName("查询", "password-submit"),
        "followup": FieldName("补充说明", "followup"),
        "followup_submit": FieldName("提交补充说明", "followup-submit"),
        "intervene": FieldName("申请平台介入", "intervene-submit"),
    }
    fields_changed: ClassVar[dict[str, FieldName]] = {
        "order_no": FieldName("订单编号", "order_sn"),
        "phone": FieldName("手机号码", "mobile"),
        "send_code": FieldName("发送验证码", "btn-sms"),
        "sms_code": FieldName("验证码", "verify_code"),
        "verify_submit": FieldName("验证并继续", "btn-verify"),
        "query_submit": FieldName("立即查询", "btn-query"),
        "complaint_type": FieldName("问题类型", "reason"),
        "description": FieldName("详细说明", "detail"),
        "contact": FieldName("联系电话/QQ", "contact_info"),
        "images": FieldName("上传截图", "pics"),
        "submit": FieldName("确认提交", "btn-submit"),
        "complaint_no": FieldName("投诉单号", "case_no"),
        "query_password": FieldName("查询码", "query_code"),
        "password_submit": FieldName("查询投诉", "btn-pwd"),
        "followup": FieldName("追加说明", "append"),
        "followup_submit": FieldName("提交", "btn-append"),
        "intervene": FieldName("请求平台处理", "btn-platform"),
    }

    def __init__(
        self,
        data_dir: Path | str,
        *,
        guest_ttl: timedelta = timedelta(hours=24),
        sms_cooldown: timedelta = timedelta(seconds=60),
        code_ttl: timedelta = timedelta(minutes=5),
        max_per_order: int = 5,
    ) -> None:
        self.guest_ttl = guest_ttl
        self.sms_cooldown = sms_cooldown
        self.code_ttl = code_ttl
        self.max_per_order = max_per_order
        self.orders: dict[str, GuestOrder] = {}
        self.complaints: dict[str, Complaint] = {}
        self.codes: dict[tuple[str, str], SmsCode] = {}
        super().__init__(data_dir)

    # ---- WebTwin ---------------------------------------------------------------------------------
    def seed(self) -> None:
        """Three orders (incl. the example's ``KM20261102150012`` / ``13800138000``); no complaints."""
        with self.lock:
            self.orders = {row[0]: GuestOrder(*row) for row in DEFAULT_ORDERS}
            self.complaints = {}
            self.codes = {}

    def info(self) -> dict[str, Any]:
        """Seeded orders with their purchase phones."""
        return {
            "orders": [o.to_dict() for o in self.orders.values()],
            "pages": {"complaint": "/complaint", "query": "/query", "query_by_password": "/query/password"},
        }

    def records(self) -> list[dict[str, Any]]:
        """Every complaint."""
        with self.lock:
            return [c.to_dict() for c in self.complaints.values()]

    def operate(self, number: str, action: str, text: str = "") -> dict[str, Any]:
        """Merchant/platform side: reply, intervene, resolve (已解决), reject (已驳回)."""
        c = self.complaints.get(number)
        if c is None:
            raise OperatorError(f"投诉 {number} 不存在", 404)
        if action == "close":
            raise OperatorError("B 类投诉没有“关闭”;可用:reply、intervene、resolve、reject")
        if not c.active:
            raise OperatorError(f"投诉已结束(当前状态:{c.status})")
        text = text.strip()
        if action == "reply":
            if not text:
                raise OperatorError("回复内容不能为空", 400)
            if c.status == PLATFORM:
                self._add_reply(c, "platform", text)
            else:
                self._add_reply(c, "merchant", text)
                self._set_status(c, MERCHANT_REPLIED, "merchant", "reply")
        elif action == "intervene":
            if c.status == PLATFORM:
                raise OperatorError("平台已介入")
            if text:
                self._add_reply(c, "platform", text)
            self._set_status(c, PLATFORM, "platform", "intervene")
        else:
            if text:
                self._add_reply(c, "platform", text)
            self._set_status(c, RESOLVED if action == "resolve" else REJECTED, "platform", action)
            self.orders[c.order_no].settlement_frozen = False
        return c.to_dict()

    def site_routes(self) -> list[BaseRoute]:
        """Pages (no JSON API on this family)."""
        return [
            Route("/", self.home),
            Route("/complaint", self.complaint_verify_page, methods=["GET"]),
            Route("/complaint/send-code", self.complaint_send_code, methods=["POST"]),
            Route("/complaint/verify", self.complaint_verify, methods=["POST"]),
            Route("/complaint/form", self.complaint_form_page, methods=["GET"]),
            Route("/complaint/form", self.complaint_form_submit, methods=["POST"]),
            Route("/complaint/done", self.complaint_done),
            Route("/query", self.query_page, methods=["GET"]),
            Route("/query/send-code", self.query_send_code, methods=["POST"]),
            Route("/query/verify", self.query_verify, methods=["POST"]),
            Route("/query/password", self.password_page, methods=["GET"]),
            Route("/query/password", self.password_submit, methods=["POST"]),
            Route("/complaints", self.complaint_list),
            Route("/complaints/{number}", self.complaint_page),
            Route("/complaints/{number}/followup", self.followup, methods=["POST"]),
            Route("/complaints/{number}/intervene", self.intervene, methods=["POST"]),
        ]

    # ---- domain ----------------------------------------------------------------------------------
    def _now(self) -> datetime:
        return self.clock.now()

    def _add_reply(self, c: Complaint, by: str, text: str) -> None:
        now = self._now()
        c.replies.append({"by": by, "text": text, "at": now.isoformat(timespec="seconds")})
        c.updated_at = now
        self.state.record_message(
            c.number, "user" if by == "user" else "operator", text, kind="followup" if by == "user" else by
        )

    def _set_status(self, c: Complaint, status: str, by: str, note: str = "") -> None:
        c.status = status
        c.updated_at = self._now()
        self.state.record_status(c.number, status, by, note)

    def send_code(self, order_no: str, phone: str) -> tuple[dict[str, str], str | None]:
        """Send a 6-digit code for (order, phone): (errors, masked phone on success)."""
        errors: dict[str, str] = {}
        if not order_no:
            errors["order_no"] = "请输入订单号"
        if not PHONE_RE.match(phone):
            errors["phone"] = "请输入正确的 11 位手机号"
        if errors:
            return errors, None
        order = self.orders.get(order_no)
        if order is None or order.phone != phone:
            return {"phone": "订单号与下单手机号不匹配"}, None
        with self.lock:
            now = self._now()
            prev = self.codes.get((order_no, phone))
            if prev is not None and now - prev.sent_at < self.sms_cooldown:
                wait = int((self.sms_cooldown - (now - prev.sent_at)).total_seconds()) + 1
                return {"send_code": f"发送过于频繁,请 {wait} 秒后再获取"}, None
            code = f"{secrets.randbelow(1_000_000):06d}"
            self.codes[(order_no, phone)] = SmsCode(code, now)
            minutes = int(self.code_ttl.total_seconds() // 60)
            self.outbox.send(
                phone,
                code,
                f"【星辰发卡】您正在进行订单投诉验证,验证码 {code},{minutes} 分钟内有效,请勿告诉他人。",
            )
        return {}, mask_phone(phone)

    def check_code(self, order_no: str, phone: str, given: str) -> str | None:
        """Verify an SMS code; returns an error message or None (the code is then used up)."""
        if not given:
            return "请输入短信验证码"
        with self.lock:
            entry = self.codes.get((order_no, phone))
            if entry is None or entry.used:
                return "请先获取短信验证码"
            if self._now() - entry.sent_at > self.code_ttl:
                return "验证码已过期,请重新获取"
            if entry.attempts >= 5:
                return "验证码错误次数过多,请重新获取"
            if not secrets.compare_digest(given, entry.code):
                entry.attempts += 1
                return "验证码错误"
            entry.used = True
        return None

    def new_number(self) -> str:
        """``CP`` + yymmdd (Beijing) + 6 random digits, unique."""
        while True:
            number = "CP" + self._now().strftime("%y%m%d") + f"{secrets.randbelow(1_000_000):06d}"
            if number not in self.complaints:
                return number

    def order_complaints(self, order_no: str) -> list[Complaint]:
        """Complaints of one order, newest first."""
        with self.lock:
            rows = [c for c in self.complaints.values() if c.order_no == order_no]
        return sorted(rows, key=lambda c: c.created_at, reverse=True)

    # ---- guest access ----------------------------------------------------------------------------
    def _guest(self, request: Request) -> dict[str, Any] | None:
        """The verified (order, phone) of this session, while unexpired."""
        sess = session(request, create=False)
        guest = sess.data.get("guest") if sess else None
        if not guest:
            return None
        if self._now() - datetime.fromisoformat(guest["verified_at"]) > self.guest_ttl:
            sess.data.pop("guest", None)
            return None
        return guest

    def _granted(self, request: Request, c: Complaint) -> bool:
        guest = self._guest(request)
        if guest and guest["order_no"] == c.order_no:
            return True
        sess = session(request, create=False)
        at = (sess.data.get("granted", {}) if sess else {}).get(c.number)
        return bool(at) and self._now() - datetime.fromisoformat(at) <= self.guest_ttl

    def _expired(self, request: Request, to: str) -> Response:
        self.flash(request, "访问已过期或尚未验证,请重新验证订单", "error")
        return RedirectResponse(to, status_code=303)

    def page(self, request: Request, template: str, status: int = 200, **ctx: Any) -> Response:
        """Render a family-B page."""
        return self.render(request, f"card_b/{template}", status, **ctx)

    def _csrf_failed(self, request: Request, form_name: str) -> Response:
        self.state.record_rejection(form_name, {"csrf_token": "CSRF 校验失败"})
        return self.render(
            request,
            "message.html",
            419,
            heading="页面已过期",
            message="页面已过期(CSRF 校验失败),请刷新页面后重试。",
        )

    # ---- pages -----------------------------------------------------------------------------------
    async def home(self, request: Request) -> Response:
        """Entry page."""
        return self.page(request, "home.html")

    def _verify_ctx(self, purpose: str, values: dict[str, str], errors: dict[str, str], **extra: Any) -> dict:
        base = "/complaint" if purpose == "complaint" else "/query"
        return {
            "purpose": purpose,
            "heading": "订单投诉 · 验证订单" if purpose == "complaint" else "投诉查询 · 订单验证",
            "send_action": f"{base}/send-code",
            "verify_action": f"{base}/verify",
            "submit": self.f["verify_submit" if purpose == "complaint" else "query_submit"],
            "values": values,
            "errors": errors,
            "sent_to": extra.get("sent_to"),
            "cooldown": extra.get("cooldown", 0),
        }

    async def complaint_verify_page(self, request: Request) -> Response:
        """Page 1: order number + purchase phone + SMS code."""
        return self.page(request, "verify.html", **self._verify_ctx("complaint", {}, {}))

    async def query_page(self, request: Request) -> Response:
        """Query by order number + phone + SMS code."""
        return self.page(request, "verify.html", **self._verify_ctx("query", {}, {}))

    async def _send(self, request: Request, purpose: str) -> Response:
        form = await read_form(request)
        if not csrf_ok(request, form):
            return self._csrf_failed(request, f"{purpose}_sms")
        f = self.f
        values = {
            "order_no": str(form.get(f["order_no"].id) or "").strip(),
            "phone": str(form.get(f["phone"].id) or "").strip(),
        }
        errors, masked = self.send_code(values["order_no"], values["phone"])
        if errors:
            self.state.record_rejection(f"{purpose}_sms", errors)
            return self.page(request, "verify.html", 422, **self._verify_ctx(purpose, values, errors))
        ctx = self._verify_ctx(
            purpose, values, {}, sent_to=masked, cooldown=int(self.sms_cooldown.total_seconds())
        )
        return self.page(request, "verify.html", **ctx)

    async def _verify(self, request: Request, purpose: str) -> Response:
        form = await read_form(request)
        if not csrf_ok(request, form):
            return self._csrf_failed(request, f"{purpose}_verify")
        f = self.f
        values = {k: str(form.get(f[k].id) or "").strip() for k in ("order_no", "phone", "sms_code")}
        errors: dict[str, str] = {}
        if not values["order_no"]:
            errors["order_no"] = "请输入订单号"
        if not PHONE_RE.match(values["phone"]):
            errors["phone"] = "请输入正确的 11 位手机号"
        if not errors:
            problem = self.check_code(values["order_no"], values["phone"], values["sms_code"])
            if problem:
                errors["sms_code"] = problem
        if errors:
            self.state.record_login(values["phone"], False, next(iter(errors.values())), via=purpose)
            self.state.record_rejection(f"{purpose}_verify", errors)
            return self.page(request, "verify.html", 422, **self._verify_ctx(purpose, values, errors))
        self.state.record_login(values["phone"], True, via=purpose)
        sess = session(request)
        assert sess is not None
        sess.data["guest"] = {
            "order_no": values["order_no"],
            "phone": values["phone"],
            "verified_at": self._now().isoformat(),
        }
        return RedirectResponse(
            "/complaint/form" if purpose == "complaint" else "/complaints", status_code=303
        )

    async def complaint_send_code(self, request: Request) -> Response:
        """获取验证码 on the complaint page."""
        return await self._send(request, "complaint")

    async def query_send_code(self, request: Request) -> Response:
        """获取验证码 on the query page."""
        return await self._send(request, "query")

    async def complaint_verify(self, request: Request) -> Response:
        """下一步: check the code, open page 2."""
        return await self._verify(request, "complaint")

    async def query_verify(self, request: Request) -> Response:
        """查询: check the code, list the order's complaints."""
        return await self._verify(request, "query")

    def _form_ctx(self, guest: dict[str, Any], values: dict[str, str], errors: dict[str, str]) -> dict:
        return {
            "order": self.orders[guest["order_no"]],
            "values": values,
            "errors": errors,
            "types": COMPLAINT_TYPES,
            "limits": {"desc_min": DESC_MIN, "desc_max": DESC_MAX, "files": IMAGE_MAX_FILES},
        }

    async def complaint_form_page(self, request: Request) -> Response:
        """Page 2: the complaint form (verified guests only)."""
        guest = self._guest(request)
        if guest is None:
            return self._expired(request, "/complaint")
        return self.page(request, "complaint_form.html", **self._form_ctx(guest, {}, {}))

    async def complaint_form_submit(self, request: Request) -> Response:
        """Validate, enforce one active / five per order, store, show the receipt once."""
        form = await read_form(request)
        guest = self._guest(request)
        if guest is None:
            return self._expired(request, "/complaint")
        if not csrf_ok(request, form):
            return self._csrf_failed(request, "complaint")
        f = self.f
        values = {
            k: str(form.get(f[k].id) or "").strip() for k in ("complaint_type", "description", "contact")
        }
        files = await read_files(form, f["images"].id)
        errors: dict[str, str] = {}
        ctype = values["complaint_type"]
        if ctype not in COMPLAINT_TYPES:
            ctype = next((k for k, v in COMPLAINT_TYPES.items() if v == ctype), "")
        if not ctype:
            errors["complaint_type"] = "请选择投诉类型"
        desc = values["description"]
        if not desc:
            errors["description"] = "请填写问题描述"
        elif not DESC_MIN <= len(desc) <= DESC_MAX:
            errors["description"] = f"问题描述需为 {DESC_MIN}–{DESC_MAX} 个字,当前 {len(desc)} 个字"
        contact = values["contact"]
        if not contact:
            errors["contact"] = "请填写联系方式"
        elif not (PHONE_RE.match(contact) or QQ_RE.match(contact)):
            errors["contact"] = "请填写正确的 QQ 号或手机号"
        uploads = []
        if len(files) > IMAGE_MAX_FILES:
            errors["images"] = f"图片最多上传 {IMAGE_MAX_FILES} 张"
        else:
            uploads = [
                inspect_image(n, d, allowed=IMAGE_TYPES, max_bytes=IMAGE_MAX_BYTES, label="图片")
                for n, d in files
            ]
            bad = [u.problem for u in uploads if u.problem]
            if bad:
                errors["images"] = bad[0]
        with self.lock:
            existing = self.order_complaints(guest["order_no"])
            active = [c for c in existing if c.active]
            if active:
                errors["form"] = f"该订单已有处理中的投诉({active[0].number}),请在投诉查询中补充说明"
            elif len(existing) >= self.max_per_order:
                errors["form"] = f"该订单的投诉次数已达上限({self.max_per_order} 次)"
            if errors:
                self.state.record_rejection("complaint", errors)
                return self.page(request, "complaint_form.html", 422, **self._form_ctx(guest, values, errors))
            password = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(8))
            now = self._now()
            stored = [store_upload(u, self.uploads_dir) for u in uploads]
            c = Complaint(
                number=self.new_number(),
                order_no=guest["order_no"],
                phone=guest["phone"],
                complaint_type=COMPLAINT_TYPES[ctype],
                description=desc,
                contact=contact,
                files=stored,
                status=PENDING,
                created_at=now,
                updated_at=now,
                password_sha256=hashlib.sha256(password.encode()).hexdigest(),
            )
            self.complaints[c.number] = c
            self.orders[c.order_no].settlement_frozen = True
            fields = {
                "order_no": c.order_no,
                "phone": c.phone,
                "complaint_type": c.complaint_type,
                "description": desc,
                "contact": contact,
            }
            self.state.record_submission(c.number, "complaint", fields, stored, user=c.phone)
            self.state.record_status(c.number, PENDING, "system", "created")
        sess = session(request)
        assert sess is not None
        sess.data["just_filed"] = {"number": c.number, "password": password}
        self.lose_response(request)
        return RedirectResponse("/complaint/done", status_code=303)

    async def complaint_done(self, request: Request) -> Response:
        """The receipt: complaint number and the 查询密码 (shown once)."""
        sess = session(request)
        assert sess is not None
        filed = sess.data.pop("just_filed", None)
        return self.page(request, "done.html", filed=filed)

    async def password_page(self, request: Request) -> Response:
        """Query by complaint number + 查询密码."""
        return self.page(request, "password.html", values={}, errors={})

    async def password_submit(self, request: Request) -> Response:
        """Check number + password; open the complaint."""
        form = await read_form(request)
        if not csrf_ok(request, form):
            return self._csrf_failed(request, "query_password")
        f = self.f
        number = str(form.get(f["complaint_no"].id) or "").strip()
        password = str(form.get(f["query_password"].id) or "").strip()
        c = self.complaints.get(number)
        digest = hashlib.sha256(password.encode()).hexdigest()
        if c is None or not secrets.compare_digest(digest, c.password_sha256):
            errors = {"query_password": "投诉编号或查询密码错误"}
            self.state.record_login(number, False, errors["query_password"], via="password")
            return self.page(request, "password.html", 422, values={"complaint_no": number}, errors=errors)
        self.state.record_login(number, True, via="password")
        sess = session(request)
        assert sess is not None
        sess.data.setdefault("granted", {})[c.number] = self._now().isoformat()
        return RedirectResponse(f"/complaints/{c.number}", status_code=303)

    async def complaint_list(self, request: Request) -> Response:
        """The verified order's complaints with status."""
        guest = self._guest(request)
        if guest is None:
            return self._expired(request, "/query")
        order = self.orders[guest["order_no"]]
        return self.page(
            request, "complaints.html", order=order, complaints=self.order_complaints(order.order_no)
        )

    def _detail(
        self, request: Request, c: Complaint, status: int = 200, errors: dict | None = None
    ) -> Response:
        return self.page(
            request,
            "complaint.html",
            status,
            c=c,
            order=self.orders[c.order_no],
            errors=errors or {},
            ended_message=ENDED_MESSAGE,
            can_intervene=c.status == MERCHANT_REPLIED,
        )

    def _find(self, request: Request) -> Complaint | None:
        return self.complaints.get(request.path_params["number"])

    async def complaint_page(self, request: Request) -> Response:
        """One complaint: status, replies, 补充说明 box, 申请平台介入 button."""
        c = self._find(request)
        if c is None or not self._granted(request, c):
            return self._expired(request, "/query")
        return self._detail(request, c)

    async def followup(self, request: Request) -> Response:
        """补充说明 by the buyer while active."""
        form = await read_form(request)
        c = self._find(request)
        if c is None or not self._granted(request, c):
            return self._expired(request, "/query")
        if not csrf_ok(request, form):
            return self._csrf_failed(request, "followup")
        text = str(form.get(self.f["followup"].id) or "").strip()
        error = None
        if not c.active:
            error = ENDED_MESSAGE
        elif not text:
            error = "请填写补充说明"
        elif len(text) > FOLLOWUP_MAX:
            error = f"补充说明不能超过 {FOLLOWUP_MAX} 个字"
        if error:
            self.state.record_rejection("followup", {"followup": error})
            return self._detail(request, c, 422, {"followup": error})
        with self.lock:
            self._add_reply(c, "user", text)
        self.flash(request, "补充说明已提交")
        return RedirectResponse(f"/complaints/{c.number}", status_code=303)

    async def intervene(self, request: Request) -> Response:
        """申请平台介入 (only after a merchant reply)."""
        form = await read_form(request)
        c = self._find(request)
        if c is None or not self._granted(request, c):
            return self._expired(request, "/query")
        if not csrf_ok(request, form):
            return self._csrf_failed(request, "intervene")
        if c.status != MERCHANT_REPLIED:
            error = "当前状态不能申请平台介入(商家回复后才可申请)"
            self.state.record_rejection("intervene", {"intervene": error})
            return self._detail(request, c, 422, {"intervene": error})
        with self.lock:
            self._set_status(c, PLATFORM, "user", "intervene")
            self.state.record_message(c.number, "user", "申请平台介入", kind="intervene")
        self.flash(request, "已申请平台介入,平台客服将在 3 个工作日内处理")
        return RedirectResponse(f"/complaints/{c.number}", status_code=303)


def create_twin(data_dir: Path, **options: Any) -> CardBTwin:
    """Registry factory: options ``guest_ttl``, ``sms_cooldown``, ``code_ttl``, ``max_per_order``."""
    return CardBTwin(data_dir, **options)
