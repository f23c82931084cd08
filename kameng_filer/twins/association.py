"""Twin of a consumer association's (消费者协会) generic online complaint form (channels.md §5).

One page, no login: complainant name/phone/address, respondent name/address/phone, purchase date,
goods or service, amount, facts, demand, attachments (images/PDF) → receipt ``XH`` + yyyymmdd + 4-digit
serial → progress query by number + phone. Statuses 已登记 → 已受理 → 调解中 → 已办结 / 不予受理.
Operator verbs: accept, reject, mediate, conclude (alias resolve), reply.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from kameng_filer.twins.base import FieldName, OperatorError, field_names
from kameng_filer.twins.outside_common import (
    DOC_TYPES,
    MB,
    OutsideTwin,
    favicon_route,
    inspect_file,
    keep_file,
)
from kameng_filer.twins.web import csrf_ok, read_files, read_form

LIMITS = {"name": 30, "address": 200, "respondent_name": 100, "goods": 100, "facts": 2000, "demand": 500,
          "files": 8}  # fmt: skip
FACTS_MIN = 20
DEMAND_MIN = 4
MAX_BYTES = 5 * MB
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|400-?\d{3}-?\d{4})$")
AMOUNT_RE = re.compile(r"^\d{1,8}(\.\d{1,2})?$")
TRANSITIONS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "accept": (("已登记",), "已受理", "您的投诉已受理,我会将联系被投诉方进行调解。"),
    "reject": (("已登记", "已受理"), "不予受理", "经审查,您的投诉不属于本会受理范围,不予受理。"),
    "mediate": (("已受理",), "调解中", "已联系被投诉方,调解进行中。"),
    "conclude": (("已受理", "调解中"), "已办结", "经调解,双方达成和解,投诉已办结。"),
    "resolve": (("已受理", "调解中"), "已办结", "经调解,双方达成和解,投诉已办结。"),
}
TEXT_KEYS = ("name", "phone", "address", "respondent_name", "respondent_address", "respondent_phone",
             "purchase_date", "goods", "amount", "facts", "demand")  # fmt: skip


class AssociationTwin(OutsideTwin):
    """The consumer association twin."""

    name: ClassVar[str] = "association"
    title: ClassVar[str] = "消费者协会"
    operator_actions: ClassVar[tuple[str, ...]] = (*TRANSITIONS, "reply")
    submit_paths: ClassVar[tuple[str, ...]] = ("/complaint",)
    fields_normal: ClassVar[dict[str, FieldName]] = field_names({
        "name": ("投诉人姓名", "name"),
        "phone": ("投诉人电话", "phone"),
        "address": ("投诉人地址", "address"),
        "respondent_name": ("被投诉方名称", "respondent_name"),
        "respondent_address": ("被投诉方地址", "respondent_address"),
        "respondent_phone": ("被投诉方电话", "respondent_phone"),
        "purchase_date": ("购买日期", "purchase_date"),
        "goods": ("商品或服务", "goods"),
        "amount": ("金额(元)", "amount"),
        "facts": ("事实经过", "facts"),
        "demand": ("投诉要求", "demand"),
        "attachments": ("附件", "attachments"),
        "q_no": ("登记号", "q_no"),
        "q_phone": ("联系电话", "q_phone"),
    })  # fmt: skip
    fields_changed: ClassVar[dict[str, FieldName]] = field_names({
        "name": ("姓名", "complainant"),
        "phone": ("手机号码", "tel"),
        "address": ("联系地址", "addr"),
        "respondent_name": ("商家名称", "merchant"),
        "respondent_address": ("商家地址", "merchant_addr"),
        "respondent_phone": ("商家电话", "merchant_tel"),
        "purchase_date": ("消费日期", "buy_date"),
        "goods": ("消费项目", "item"),
        "amount": ("消费金额", "money"),
        "facts": ("投诉事由", "reason"),
        "demand": ("诉求", "appeal"),
        "attachments": ("证据材料", "evidence"),
        "q_no": ("受理编号", "reg_no"),
        "q_phone": ("手机号", "mobile"),
    })  # fmt: skip

    def seed(self) -> None:
        """No complaints."""
        self.complaints: dict[str, dict[str, Any]] = {}

    def info(self) -> dict[str, Any]:
        """Pages and operator verbs."""
        return {
            "start": "/complaint",
            "query": "/query",
            "receipt_format": "XH + yyyymmdd + 4位流水号",
            "operator_actions": list(self.operator_actions),
        }

    def records(self) -> list[dict[str, Any]]:
        """Every complaint with its fields, files and history."""
        with self.lock:
            return [dict(c) for c in self.complaints.values()]

    def operate(self, number: str, action: str, text: str = "") -> dict[str, Any]:
        """Advance a complaint like the association's staff."""
        c = self.complaints.get(number)
        if c is None:
            raise OperatorError(f"没有登记号为 {number} 的投诉", 404)
        if action == "reply":
            if not text.strip():
                raise OperatorError("reply 需要 text", 400)
            c["history"].append({"at": self.now_text(), "status": c["status"], "text": text})
            self.state.record_message(number, "operator", text)
            return dict(c)
        allowed, new, default = TRANSITIONS[action]
        if c["status"] not in allowed:
            raise OperatorError(f"投诉当前状态为“{c['status']}”,不能执行 {action}")
        c["status"] = new
        c["history"].append({"at": self.now_text(), "status": new, "text": text or default})
        self.state.record_status(number, new, "operator", text or default)
        return dict(c)

    def site_routes(self) -> list[BaseRoute]:
        """The form, the receipt and the progress query."""
        return [
            Route("/", lambda request: RedirectResponse("/complaint", status_code=303)),
            Route("/complaint", self.form, methods=["GET", "POST"]),
            Route("/complaint/done/{number}", self.done),
            Route("/query", self.query),
            favicon_route(),
        ]

    def page(self, request: Request, template: str, status: int = 200, **ctx: Any) -> Response:
        """Render ``association/<template>``."""
        return self.render(request, f"association/{template}", status, **ctx)

    def _form_page(self, request: Request, v: dict[str, str], errors: list[str], status: int = 200):
        today = self.clock.now().date().isoformat()
        return self.page(request, "form.html", status, v=v, errors=errors, limits=LIMITS, today=today)

    def _validate(self, v: dict[str, str]) -> dict[str, str]:
        errors: dict[str, str] = {}
        if not 1 <= len(v["name"]) <= LIMITS["name"]:
            errors["name"] = "请填写投诉人姓名"
        if not PHONE_RE.match(v["phone"]):
            errors["phone"] = "请填写正确的投诉人电话"
        if not 5 <= len(v["address"]) <= LIMITS["address"]:
            errors["address"] = "请填写投诉人地址(5–200字)"
        if not 2 <= len(v["respondent_name"]) <= LIMITS["respondent_name"]:
            errors["respondent_name"] = "请填写被投诉方名称"
        if len(v["respondent_address"]) > LIMITS["address"]:
            errors["respondent_address"] = "被投诉方地址不能超过200字"
        if v["respondent_phone"] and not PHONE_RE.match(v["respondent_phone"]):
            errors["respondent_phone"] = "被投诉方电话格式不正确"
        try:
            bought = date.fromisoformat(v["purchase_date"])
            if not date(1990, 1, 1) <= bought <= self.clock.now().date():
                errors["purchase_date"] = "购买日期不能晚于今天"
        except ValueError:
            errors["purchase_date"] = "请选择购买日期"
        if not 1 <= len(v["goods"]) <= LIMITS["goods"]:
            errors["goods"] = "请填写商品或服务"
        try:
            if not AMOUNT_RE.match(v["amount"]) or Decimal(v["amount"]) <= 0:
                errors["amount"] = "请填写正确的金额"
        except InvalidOperation:
            errors["amount"] = "请填写正确的金额"
        if not FACTS_MIN <= len(v["facts"]) <= LIMITS["facts"]:
            errors["facts"] = f"事实经过需{FACTS_MIN}–{LIMITS['facts']}字"
        if not DEMAND_MIN <= len(v["demand"]) <= LIMITS["demand"]:
            errors["demand"] = f"投诉要求需{DEMAND_MIN}–{LIMITS['demand']}字"
        return errors

    async def form(self, request: Request) -> Response:
        """The complaint form; POST validates everything and issues the ``XH…`` number."""
        if request.method == "GET":
            return self._form_page(request, dict.fromkeys(TEXT_KEYS, ""), [])
        form = await read_form(request)
        f = self.f
        v = {k: str(form.get(f[k].id) or "").strip() for k in TEXT_KEYS}
        errors = {} if csrf_ok(request, form) else {"csrf": "页面已过期,请刷新后重试"}
        errors.update(self._validate(v))
        raw = await read_files(form, f["attachments"].id)
        uploads = []
        if len(raw) > LIMITS["files"]:
            errors["attachments"] = f"附件最多{LIMITS['files']}个"
        else:
            for name, data in raw:
                up = inspect_file(name, data, allowed=DOC_TYPES, max_bytes=MAX_BYTES)
                if up.problem:
                    errors["attachments"] = up.problem
                    break
                uploads.append(up)
        if errors:
            self.state.record_rejection("complaint", errors)
            return self._form_page(request, v, list(errors.values()), 400)
        with self.lock:
            now = self.clock.now()
            prefix = f"XH{now:%Y%m%d}"
            serial = 1 + sum(1 for n in self.complaints if n.startswith(prefix))
            number = f"{prefix}{serial:04d}"
            files = [keep_file(u, self.uploads_dir) for u in uploads]
            self.complaints[number] = {
                "number": number,
                **v,
                "attachments": [fi.to_dict() for fi in files],
                "created_at": now.isoformat(timespec="seconds"),
                "date": now.strftime("%Y-%m-%d"),
                "status": "已登记",
                "history": [{"at": self.now_text(), "status": "已登记", "text": "投诉已登记,等待审核"}],
            }
            self.state.record_submission(number, "complaint", v, files)
            self.state.record_status(number, "已登记", "user", "投诉已登记")
        self.lose_response(request)
        return RedirectResponse(f"/complaint/done/{number}", status_code=303)

    async def done(self, request: Request) -> Response:
        """The receipt page."""
        c = self.complaints.get(request.path_params["number"])
        if c is None:
            return self.page(request, "query.html", 404, c=None, no="", phone="", searched=True)
        return self.page(request, "done.html", c=c)

    async def query(self, request: Request) -> Response:
        """Progress query: the number and the complainant's phone must both match."""
        f = self.f
        no = request.query_params.get(f["q_no"].id, "").strip()
        phone = request.query_params.get(f["q_phone"].id, "").strip()
        searched = bool(no or phone)
        c = self.complaints.get(no)
        if c is not None and c["phone"] != phone:
            c = None
        status = 404 if searched and c is None else 200
        return self.page(request, "query.html", status, c=c, no=no, phone=phone, searched=searched)


def create_twin(data_dir: Path | str, **options: Any) -> AssociationTwin:
    """A new (not started) consumer association twin."""
    return AssociationTwin(data_dir, **options)
