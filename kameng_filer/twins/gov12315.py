"""Twin of 全国12315平台 (https://www.12315.cn/cuser/): the complaint wizard with its hard widgets.

Login (account + password + image captcha) → 我要投诉 → 须知 (agree enabled after a countdown, checked
again on the server) → respondent (server search + pick, or manual name + address) → consumer's
address → case info (商品名称, typeahead 商品类别, 销售方式 网购 → 电商平台/入驻商户, 问题类别, cascading
处理单位 reset by 销售方式, typed-only 内容 with counter, 订单号, XHR uploads) → 25-digit number; 我的投诉
list and detail with status history and 材料补充. Operator verbs: accept, reject, mediate, conclude
(alias resolve), terminate, reply.
"""

from __future__ import annotations

import math
import re
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from kameng_filer.timeutil import parse_iso
from kameng_filer.twins.base import FieldName, FileInfo, OperatorError, field_names
from kameng_filer.twins.faults import Scope
from kameng_filer.twins.outside_common import (
    DOC_TYPES,
    MB,
    OutsideTwin,
    favicon_route,
    inspect_file,
    keep_file,
    login_redirect,
    new_digits,
    static_route,
)
from kameng_filer.twins.web import csrf_ok, read_files, read_form, rotate_session, safe_next, session

ACCOUNTS = {"demo12315": {"password": "demo-pass", "name": "张三", "phone": "13800138000"}}

ENTERPRISES = (
    ("E0001", "星辰网络科技有限公司", "浙江省杭州市余杭区某路88号", "91330100MA2XXXXXXX"),
    ("E0002", "星辰数码科技有限公司", "浙江省宁波市鄞州区某街12号", "91330212MA2YYYYYYY"),
    ("E0003", "杭州星辰文化传媒有限公司", "浙江省杭州市西湖区某巷3号", "91330106MA2ZZZZZZZ"),
    ("E0004", "北京某某游戏科技有限公司", "北京市海淀区某大街1号", "91110108MA0AAAAAAA"),
    ("E0005", "深圳市某某网络有限公司", "广东省深圳市南山区某路66号", "91440300MA5BBBBBBB"),
    ("E0006", "上海某某电子商务有限公司", "上海市浦东新区某路200号", "91310115MA1CCCCCCC"),
)

CATEGORIES = {
    "1301": "虚拟商品/网络游戏充值",
    "1302": "虚拟商品/游戏点卡",
    "1303": "虚拟商品/会员充值",
    "1304": "虚拟商品/话费流量充值",
    "1305": "虚拟商品/礼品卡、购物卡",
    "1306": "虚拟商品/游戏账号及装备",
    "0101": "家用电器/电视机",
    "0102": "家用电器/空调器",
    "0201": "服装鞋帽/服装",
    "0301": "食品/预包装食品",
    "0401": "通讯器材/手机",
    "0501": "日用百货/化妆品",
    "1101": "互联网服务/网络购物服务",
    "1102": "互联网服务/网络游戏服务",
    "1201": "教育培训服务/职业技能培训",
    "9999": "其他商品/其他",
}

REGION_TREE: dict[str, tuple[str, dict[str, tuple[str, dict[str, str]]]]] = {
    "110000": ("北京市", {"110100": ("北京市", {
        "110101": "东城区", "110105": "朝阳区", "110106": "丰台区", "110108": "海淀区"})}),
    "310000": ("上海市", {"310100": ("上海市", {"310101": "黄浦区", "310115": "浦东新区"})}),
    "320000": ("江苏省", {
        "320100": ("南京市", {"320102": "玄武区", "320106": "鼓楼区"}),
        "320500": ("苏州市", {"320508": "姑苏区", "320505": "虎丘区"})}),
    "330000": ("浙江省", {
        "330100": ("杭州市", {"330102": "上城区", "330106": "西湖区", "330108": "滨江区", "330110": "余杭区"}),
        "330200": ("宁波市", {"330203": "海曙区", "330212": "鄞州区"})}),
    "440000": ("广东省", {
        "440100": ("广州市", {"440104": "越秀区", "440106": "天河区"}),
        "440300": ("深圳市", {"440304": "福田区", "440305": "南山区"})}),
}  # fmt: skip

SALES_METHODS = ("网购", "实体店", "电视购物", "其他")
PROBLEM_CATEGORIES = ("合同", "质量", "售后服务", "虚假宣传", "价格", "其他")
LIMITS = {"product_name": 50, "request": 500, "content": 2000, "order_no": 64, "supplement": 500}
CONTENT_MIN = 20
MAX_FILES = 5
MAX_BYTES = 5 * MB
CLOSED = ("不予受理", "已办结", "终止调解")
TYPING_RATIO = 2
CREDIT_CODE = re.compile(r"[0-9A-Z]{18}")
"""统一社会信用代码: 18 digits or capital letters (the check digit is not verified)."""
"""The 内容 must have arrived by at least one trusted typing event per this many characters."""

TRANSITIONS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "accept": (("待受理",), "已受理", "您的投诉已受理,我局将组织调解。"),
    "reject": (("待受理",), "不予受理", "经审查,您的投诉不符合受理条件,决定不予受理。"),
    "mediate": (("已受理",), "调解中", "已通知被投诉方,调解进行中。"),
    "conclude": (("已受理", "调解中"), "已办结", "经调解,双方达成一致,投诉已办结。"),
    "resolve": (("已受理", "调解中"), "已办结", "经调解,双方达成一致,投诉已办结。"),
    "terminate": (("调解中",), "终止调解", "双方未能达成一致,终止调解。"),
}


def _region_maps() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    names: dict[str, str] = {}
    parents: dict[str, str] = {}
    units: dict[str, str] = {}
    for pcode, (pname, cities) in REGION_TREE.items():
        names[pcode], parents[pcode] = pname, ""
        for ccode, (cname, districts) in cities.items():
            names[ccode], parents[ccode] = cname, pcode
            for dcode, dname in districts.items():
                names[dcode], parents[dcode] = dname, ccode
                units[dcode] = f"{cname}{dname}市场监督管理局"
    return names, parents, units


REGION_NAMES, REGION_PARENTS, UNITS = _region_maps()


def region_children(parent: str) -> list[dict[str, str]]:
    """Provinces (``parent`` empty), a province's cities or a city's districts (with their unit)."""
    out = []
    for code, up in REGION_PARENTS.items():
        if up == parent:
            item = {"code": code, "name": REGION_NAMES[code]}
            if code in UNITS:
                item["unit"] = UNITS[code]
            out.append(item)
    return out


def search_categories(q: str, limit: int = 10) -> list[dict[str, str]]:
    """Categories whose name contains ``q`` (what the typeahead shows)."""
    q = q.strip().lower()
    if not q:
        return []
    return [{"code": c, "name": n} for c, n in CATEGORIES.items() if q in n.lower()][:limit]


def search_enterprises(q: str, limit: int = 10) -> list[dict[str, str]]:
    """Enterprises whose name contains ``q`` (at least 2 characters)."""
    q = q.strip()
    if len(q) < 2:
        return []
    return [{"id": i, "name": n, "address": a, "credit_code": c} for i, n, a, c in ENTERPRISES if q in n][
        :limit
    ]


class Gov12315Twin(OutsideTwin):
    """The 12315 twin; ``notice_seconds`` is the 须知 countdown (default 10, at least 2).

    ``credit_code_required``: the manual entry of an enterprise the search cannot find asks for its
    统一社会信用代码 too (optional by default, like the real site's form).
    """

    name: ClassVar[str] = "gov12315"
    title: ClassVar[str] = "全国12315平台"
    operator_actions: ClassVar[tuple[str, ...]] = (*TRANSITIONS, "reply")
    submit_paths: ClassVar[tuple[str, ...]] = ("/cuser/complaint/submit",)
    fields_normal: ClassVar[dict[str, FieldName]] = field_names({
        "username": ("账号", "username"),
        "password": ("密码", "password"),
        "captcha": ("验证码", "captcha"),
        "ent_search": ("搜索企业", "ent_search"),
        "ent_name": ("企业名称", "ent_name"),
        "ent_address": ("企业地址", "ent_address"),
        "ent_credit_code": ("统一社会信用代码", "ent_credit_code"),
        "consumer_address": ("消费者地址", "consumer_address"),
        "product_name": ("商品名称", "product_name"),
        "category": ("商品类别", "category_text"),
        "sales_method": ("销售方式", "sales_method"),
        "platform_name": ("电商平台", "platform_name"),
        "merchant_name": ("入驻商户", "merchant_name"),
        "problem_category": ("问题类别", "problem_category"),
        "unit_province": ("处理单位(省)", "unit_province"),
        "unit_city": ("处理单位(市)", "unit_city"),
        "unit_district": ("处理单位(区县)", "unit_district"),
        "request": ("投诉请求", "request"),
        "content": ("内容(事实与理由)", "content"),
        "order_no": ("订单号", "order_no"),
        "attachments": ("附件", "attachments"),
        "supplement_text": ("补充说明", "supplement_text"),
        "supplement_files": ("补充材料", "supplement_files"),
    })  # fmt: skip
    fields_changed: ClassVar[dict[str, FieldName]] = field_names({
        "username": ("用户名", "login_name"),
        "password": ("登录密码", "login_pwd"),
        "captcha": ("图形验证码", "img_code"),
        "ent_search": ("企业查询", "corp_query"),
        "ent_name": ("被投诉企业名称", "corp_name"),
        "ent_address": ("被投诉企业地址", "corp_addr"),
        "ent_credit_code": ("被投诉企业统一社会信用代码", "corp_uscc"),
        "consumer_address": ("联系地址", "contact_addr"),
        "product_name": ("商品或服务名称", "goods_name"),
        "category": ("商品分类", "goods_type_text"),
        "sales_method": ("购买方式", "buy_way"),
        "platform_name": ("平台名称", "plat_name"),
        "merchant_name": ("店铺名称", "shop_name"),
        "problem_category": ("问题类型", "issue_type"),
        "unit_province": ("受理地区(省)", "area_prov"),
        "unit_city": ("受理地区(市)", "area_city"),
        "unit_district": ("受理地区(区县)", "area_dist"),
        "request": ("诉求", "appeal"),
        "content": ("投诉内容", "complaint_text"),
        "order_no": ("订单编号", "order_id"),
        "attachments": ("证据材料", "evidence_files"),
        "supplement_text": ("补充内容", "append_text"),
        "supplement_files": ("补充附件", "append_files"),
    })  # fmt: skip

    def __init__(
        self,
        data_dir: Path | str,
        *,
        notice_seconds: float = 10,
        credit_code_required: bool = False,
        manual_entry: bool = True,
    ) -> None:
        if not 2 <= float(notice_seconds) <= 600:
            raise ValueError("须知倒计时 notice_seconds 需在 2–600 秒之间")
        self.notice_seconds = float(notice_seconds)
        self.credit_code_required = bool(credit_code_required)
        self.manual_entry = bool(manual_entry)
        """False: no "找不到企业?手工填写" entry (an enterprise the search cannot find cannot be named)."""
        super().__init__(data_dir)

    # ---- WebTwin hooks -------------------------------------------------------------------------
    def seed(self) -> None:
        """Seeded account ``demo12315`` / ``demo-pass``; no complaints, no uploads."""
        self.accounts = {k: dict(v) for k, v in ACCOUNTS.items()}
        self.complaints: dict[str, dict[str, Any]] = {}
        self.uploads: dict[str, dict[str, Any]] = {}

    def info(self) -> dict[str, Any]:
        """Seeded account, pages, countdown and operator verbs."""
        return {
            "accounts": [{"username": u, "password": a["password"]} for u, a in self.accounts.items()],
            "login": "/cuser/login",
            "start": "/cuser/complaint/notice",
            "list": "/cuser/complaints",
            "notice_seconds": self.notice_seconds,
            "operator_actions": list(self.operator_actions),
            "enterprises": [n for _, n, _, _ in ENTERPRISES],
        }

    def records(self) -> list[dict[str, Any]]:
        """Every complaint with fields, status history, supplements and files."""
        with self.lock:
            return [self._public(c) for c in self.complaints.values()]

    def operate(self, number: str, action: str, text: str = "") -> dict[str, Any]:
        """Advance a complaint like the market-regulation bureau."""
        c = self.complaints.get(number)
        if c is None:
            raise OperatorError(f"没有编号为 {number} 的投诉", 404)
        if action == "reply":
            if not text.strip():
                raise OperatorError("reply 需要 text", 400)
            c["history"].append({"at": self.now_text(), "status": c["status"], "text": text})
            self.state.record_message(number, "operator", text)
            return self._public(c)
        allowed, new, default = TRANSITIONS[action]
        if c["status"] not in allowed:
            raise OperatorError(f"投诉当前状态为“{c['status']}”,不能执行 {action}")
        c["status"] = new
        c["history"].append({"at": self.now_text(), "status": new, "text": text or default})
        self.state.record_status(number, new, "operator", text or default)
        return self._public(c)

    def rate_limited(self, scope: Scope) -> Response:
        """操作过于频繁: JSON for the page's XHR calls, the shared HTML page otherwise."""
        if scope["path"].startswith(("/cuser/api/", "/cuser/complaint/submit")):
            message = "操作过于频繁,请稍后再试"
            return JSONResponse(
                {"ok": False, "error": message, "errors": [{"field": "", "message": message}]}, 429
            )
        return super().rate_limited(scope)

    def site_routes(self) -> list[BaseRoute]:
        """The 12315 pages and their JSON API."""
        return [
            Route("/", self.root),
            Route("/cuser", self.root),
            Route("/cuser/", self.root),
            Route("/cuser/login", self.login, methods=["GET", "POST"]),
            Route("/cuser/captcha.png", self.captcha_png),
            Route("/cuser/logout", self.logout),
            Route("/cuser/home", self.home),
            Route("/cuser/complaint/notice", self.notice),
            Route("/cuser/complaint/agree", self.agree, methods=["POST"]),
            Route("/cuser/complaint/respondent", self.respondent, methods=["GET", "POST"]),
            Route("/cuser/complaint/address", self.address, methods=["GET", "POST"]),
            Route("/cuser/complaint/info", self.info_page),
            Route("/cuser/complaint/submit", self.submit, methods=["POST"]),
            Route("/cuser/complaint/success/{number}", self.success),
            Route("/cuser/complaints", self.list_page),
            Route("/cuser/complaints/{number}", self.detail),
            Route("/cuser/complaints/{number}/supplement", self.supplement, methods=["POST"]),
            Route("/cuser/api/enterprises", self.api_enterprises),
            Route("/cuser/api/categories", self.api_categories),
            Route("/cuser/api/regions", self.api_regions),
            Route("/cuser/api/upload", self.api_upload, methods=["POST"]),
            Route("/cuser/api/upload/{upload_id}", self.api_upload_delete, methods=["DELETE"]),
            static_route("/cuser/static/gov12315.js", "gov12315.js"),
            favicon_route(),
        ]

    # ---- helpers -------------------------------------------------------------------------------
    def _user(self, request: Request) -> str | None:
        sess = session(request, create=False)
        return sess.data.get("user") if sess else None

    def _draft(self, request: Request) -> dict[str, Any]:
        sess = session(request)
        assert sess is not None
        return sess.data.get("draft") or {}

    def page(self, request: Request, template: str, status: int = 200, **ctx: Any) -> Response:
        """Render ``gov12315/<template>`` with the logged-in user."""
        return self.render(request, f"gov12315/{template}", status, user=self._user(request), **ctx)

    def _public(self, c: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in c.items() if not k.startswith("_")}

    def _new_number(self, region: str, today: datetime) -> str:
        while True:
            number = f"{region}{today:%Y%m%d}{new_digits(11)}"
            if number not in self.complaints:
                return number

    def _redirect(self, path: str) -> Response:
        return RedirectResponse(path, status_code=303)

    def _guard(self, request: Request, need: str) -> Response | None:
        """Login plus the wizard step ``need`` (agreed / enterprise / consumer_address) done before."""
        if not self._user(request):
            return login_redirect(request, "/cuser/login")
        draft = self._draft(request)
        order = ("agreed", "enterprise", "consumer_address")
        for step in order[: order.index(need) + 1]:
            if not draft.get(step):
                self.flash(
                    request, "请按步骤填写投诉信息" if step != "agreed" else "请先阅读并同意投诉须知", "error"
                )
                back = {
                    "agreed": "/cuser/complaint/notice",
                    "enterprise": "/cuser/complaint/respondent",
                    "consumer_address": "/cuser/complaint/address",
                }
                return self._redirect(back[step])
        return None

    # ---- pages ---------------------------------------------------------------------------------
    async def root(self, request: Request) -> Response:
        """Portal entry."""
        return self._redirect("/cuser/home" if self._user(request) else "/cuser/login")

    async def login(self, request: Request) -> Response:
        """Account + password + image captcha."""
        nxt = safe_next(request.query_params.get("next"), "/cuser/home")
        ctx = {"next": nxt, "username": "", "captcha_src": f"/cuser/captcha.png?t={secrets.token_hex(4)}"}
        if request.method == "GET":
            return self.page(request, "login.html", error=None, **ctx)
        form = await read_form(request)
        f = self.f
        username = str(form.get(f["username"].id) or "").strip()
        ctx["username"] = username
        ctx["next"] = safe_next(str(form.get("next") or ""), "/cuser/home")
        sess = session(request)
        assert sess is not None
        if not csrf_ok(request, form):
            return self.page(request, "login.html", 400, error="页面已过期,请刷新后重试", **ctx)
        if not username or not form.get(f["password"].id) or not form.get(f["captcha"].id):
            return self.page(request, "login.html", 400, error="请输入账号、密码和验证码", **ctx)
        if not self.captchas.verify(str(form.get(f["captcha"].id)), session=sess.id):
            self.state.record_login(username, False, "验证码错误")
            return self.page(request, "login.html", 400, error="验证码错误,请重新输入", **ctx)
        account = self.accounts.get(username)
        if account is None or account["password"] != form.get(f["password"].id):
            self.state.record_login(username, False, "账号或密码错误")
            return self.page(request, "login.html", 400, error="账号或密码错误", **ctx)
        sess = rotate_session(request)
        sess.data.clear()
        sess.data["user"] = username
        self.state.record_login(username, True)
        return self._redirect(ctx["next"])

    async def logout(self, request: Request) -> Response:
        """Forget the login."""
        sess = session(request, create=False)
        if sess:
            sess.data.clear()
        return self._redirect("/cuser/login")

    async def home(self, request: Request) -> Response:
        """个人中心 with 我要投诉 / 我的投诉."""
        if not self._user(request):
            return login_redirect(request, "/cuser/login")
        return self.page(request, "home.html")

    async def notice(self, request: Request) -> Response:
        """须知: starts a new draft and the countdown (also timed on the server)."""
        if not self._user(request):
            return login_redirect(request, "/cuser/login")
        sess = session(request)
        assert sess is not None
        sess.data["draft"] = {"notice_at": self.clock.now().isoformat(), "uploads": []}
        return self.page(request, "notice.html", seconds=math.ceil(self.notice_seconds), error=None, step=1)

    async def agree(self, request: Request) -> Response:
        """同意: accepted only once the countdown has really elapsed."""
        if not self._user(request):
            return login_redirect(request, "/cuser/login")
        form = await read_form(request)
        draft = self._draft(request)
        if not csrf_ok(request, form) or "notice_at" not in draft:
            return self._redirect("/cuser/complaint/notice")
        elapsed = (self.clock.now() - parse_iso(draft["notice_at"])).total_seconds()
        if elapsed < self.notice_seconds - 0.05:
            left = math.ceil(self.notice_seconds - elapsed)
            self.state.record_rejection("agree", {"agree": "须知倒计时未结束"}, user=self._user(request))
            return self.page(
                request, "notice.html", 400, seconds=left, error="请仔细阅读须知,倒计时结束后再同意", step=1
            )
        draft["agreed"] = True
        return self._redirect("/cuser/complaint/respondent")

    async def respondent(self, request: Request) -> Response:
        """Step 2: pick a searched enterprise, or type its name and address."""
        if (stop := self._guard(request, "agreed")) is not None:
            return stop
        ctx = {
            "step": 2,
            "credit_code_required": self.credit_code_required,
            "manual": None,
            "manual_entry": self.manual_entry,
        }
        if request.method == "GET":
            return self.page(request, "respondent.html", error=None, **ctx)
        form = await read_form(request)
        f = self.f
        draft = self._draft(request)
        error = None
        if not csrf_ok(request, form):
            error = "页面已过期,请刷新后重试"
        elif form.get("mode") == "manual" and not self.manual_entry:
            error = "请从搜索结果中选择被投诉企业"
        elif form.get("mode") == "manual":
            name = str(form.get(f["ent_name"].id) or "").strip()
            address = str(form.get(f["ent_address"].id) or "").strip()
            code = str(form.get(f["ent_credit_code"].id) or "").strip().upper()
            if not 2 <= len(name) <= 100 or not 5 <= len(address) <= 200:
                error = "请填写被投诉企业名称(2–100字)和地址(5–200字)"
            elif self.credit_code_required and not code:
                error = "请填写被投诉企业的统一社会信用代码"
            elif code and not CREDIT_CODE.fullmatch(code):
                error = "统一社会信用代码应为18位数字或大写字母"
            else:
                draft["enterprise"] = {
                    "id": "",
                    "name": name,
                    "address": address,
                    "credit_code": code,
                    "manual": True,
                }
        else:
            found = [e for e in ENTERPRISES if e[0] == form.get("enterprise_id")]
            if not found:
                error = "请从搜索结果中选择被投诉企业,或点击“找不到企业?手工填写”"
            else:
                eid, name, address, _ = found[0]
                draft["enterprise"] = {
                    "id": eid,
                    "name": name,
                    "address": address,
                    "credit_code": found[0][3],
                    "manual": False,
                }
        if error:
            self.state.record_rejection("respondent", {"enterprise": error}, user=self._user(request))
            if form.get("mode") == "manual":
                ctx["manual"] = {
                    "name": str(form.get(f["ent_name"].id) or ""),
                    "address": str(form.get(f["ent_address"].id) or ""),
                    "credit_code": str(form.get(f["ent_credit_code"].id) or ""),
                }
            return self.page(request, "respondent.html", 400, error=error, **ctx)
        return self._redirect("/cuser/complaint/address")

    async def address(self, request: Request) -> Response:
        """Step 3: the consumer's address (name and phone come from the account)."""
        if (stop := self._guard(request, "enterprise")) is not None:
            return stop
        draft = self._draft(request)
        user = self._user(request)
        account = self.accounts[user] if user else {}
        ctx = {"enterprise": draft["enterprise"], "account": account, "step": 3}
        if request.method == "GET":
            return self.page(
                request, "address.html", error=None, value=draft.get("consumer_address", ""), **ctx
            )
        form = await read_form(request)
        value = str(form.get(self.f["consumer_address"].id) or "").strip()
        if not csrf_ok(request, form):
            return self.page(
                request, "address.html", 400, error="页面已过期,请刷新后重试", value=value, **ctx
            )
        if not 5 <= len(value) <= 200:
            self.state.record_rejection("address", {"consumer_address": "地址需5–200字"}, user=user)
            return self.page(
                request, "address.html", 400, error="请填写消费者详细地址(5–200字)", value=value, **ctx
            )
        draft["consumer_address"] = value
        return self._redirect("/cuser/complaint/info")

    async def info_page(self, request: Request) -> Response:
        """Step 4: case information (submitted by XHR to ``/cuser/complaint/submit``)."""
        if (stop := self._guard(request, "consumer_address")) is not None:
            return stop
        return self.page(
            request,
            "info.html",
            enterprise=self._draft(request)["enterprise"],
            limits=LIMITS,
            max_files=MAX_FILES,
            sales_methods=SALES_METHODS,
            problem_categories=PROBLEM_CATEGORIES,
            step=4,
        )

    def _validate(self, form: Any, draft: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
        """Check the case-info form against the real site's rules; (errors, cleaned values)."""
        f = self.f
        get = lambda key: str(form.get(f[key].id) or "").strip()  # noqa: E731
        errors: dict[str, str] = {}
        v: dict[str, Any] = {}
        if not draft.get("agreed"):
            errors["agree"] = "请先阅读并同意投诉须知"
        if not draft.get("enterprise") or not draft.get("consumer_address"):
            errors["steps"] = "请按步骤填写被投诉企业和消费者地址"
        v["product_name"] = get("product_name")
        if not v["product_name"]:
            errors["product_name"] = "请填写商品名称"
        elif len(v["product_name"]) > LIMITS["product_name"]:
            errors["product_name"] = f"商品名称不能超过{LIMITS['product_name']}个字"
        code = str(form.get("category_code") or "")
        v["category_code"], v["category"] = code, get("category")
        if code not in CATEGORIES or CATEGORIES[code] != v["category"]:
            errors["category_code"] = "请从列表中选择商品类别"
        v["sales_method"] = get("sales_method")
        if v["sales_method"] not in SALES_METHODS:
            errors["sales_method"] = "请选择销售方式"
        v["platform_name"] = get("platform_name") if v["sales_method"] == "网购" else ""
        v["merchant_name"] = get("merchant_name") if v["sales_method"] == "网购" else ""
        if v["sales_method"] == "网购" and not 1 <= len(v["platform_name"]) <= 100:
            errors["platform_name"] = "网购请填写电商平台名称"
        v["problem_category"] = get("problem_category")
        if v["problem_category"] not in PROBLEM_CATEGORIES:
            errors["problem_category"] = "请选择问题类别"
        prov, city, dist = get("unit_province"), get("unit_city"), get("unit_district")
        if not (
            dist in UNITS and REGION_PARENTS.get(dist) == city and REGION_PARENTS.get(city) == prov and prov
        ):
            errors["unit_district"] = "请选择处理单位(需选择到区县)"
        else:
            v["unit_code"], v["unit_name"] = dist, UNITS[dist]
            v["unit_path"] = "/".join(REGION_NAMES[c] for c in (prov, city, dist))
        v["request"] = get("request")
        if not 5 <= len(v["request"]) <= LIMITS["request"]:
            errors["request"] = f"请填写投诉请求(5–{LIMITS['request']}字)"
        content = str(form.get(f["content"].id) or "")
        v["content"] = content
        typed, keys = _int(form.get("content_typed")), _int(form.get("content_keys"))
        v["typing"] = {"typed_events": typed, "keydowns": keys, "length": len(content)}
        if len(content.strip()) < CONTENT_MIN:
            errors["content"] = f"内容不少于{CONTENT_MIN}字"
        elif len(content) > LIMITS["content"]:
            errors["content"] = f"内容不能超过{LIMITS['content']}字"
        elif typed * TYPING_RATIO < len(content):
            errors["content"] = "内容与手工输入不符,请重新输入"
        v["order_no"] = get("order_no")
        if len(v["order_no"]) > LIMITS["order_no"]:
            errors["order_no"] = f"订单号不能超过{LIMITS['order_no']}个字符"
        ids = [str(i) for i in form.getlist("attachment_ids")]
        live = [i for i in draft.get("uploads", []) if not self.uploads[i]["deleted"]]
        if len(ids) > MAX_FILES:
            errors["attachments"] = f"最多上传{MAX_FILES}个附件"
        elif any(i not in live for i in ids) or len(set(ids)) != len(ids):
            errors["attachments"] = "附件无效,请重新上传"
        v["attachment_ids"] = ids
        return errors, v

    async def submit(self, request: Request) -> Response:
        """XHR submit of step 4: JSON errors, or the 25-digit number and the receipt page."""
        user = self._user(request)
        if not user:
            return login_redirect(request, "/cuser/login")
        form = await read_form(request)
        if not csrf_ok(request, form):
            return JSONResponse(
                {"ok": False, "errors": [{"field": "", "message": "页面已过期,请刷新后重试"}]}, 403
            )
        sess = session(request)
        assert sess is not None
        with self.lock:
            draft = sess.data.get("draft") or {}
            errors, v = self._validate(form, draft)
            if errors:
                self.state.record_rejection("complaint", errors, user=user)
                items = [{"field": k, "message": m} for k, m in errors.items()]
                return JSONResponse({"ok": False, "errors": items}, 400)
            now = self.clock.now()
            number = self._new_number(v["unit_code"], now)
            files: list[FileInfo] = [self.uploads[i]["info"] for i in v.pop("attachment_ids")]
            ent = draft["enterprise"]
            c = {
                "number": number,
                "user": user,
                "enterprise_id": ent["id"],
                "enterprise_name": ent["name"],
                "enterprise_address": ent["address"],
                "enterprise_manual": ent["manual"],
                "enterprise_credit_code": ent.get("credit_code", ""),
                "consumer_address": draft["consumer_address"],
                **v,
                "attachments": [fi.to_dict() for fi in files],
                "created_at": now.isoformat(timespec="seconds"),
                "date": now.strftime("%Y-%m-%d"),
                "status": "待受理",
                "history": [{"at": self.now_text(), "status": "待受理", "text": "投诉已提交,等待受理"}],
                "supplements": [],
            }
            self.complaints[number] = c
            fields = {k: c[k] for k in c if k not in ("history", "supplements", "attachments", "status")}
            self.state.record_submission(number, "complaint", fields, files, user=user)
            self.state.record_status(number, "待受理", "user", "投诉已提交")
            sess.data.pop("draft", None)
        self.lose_response(request)
        return JSONResponse({"ok": True, "number": number, "redirect": f"/cuser/complaint/success/{number}"})

    def _own(self, request: Request, number: str) -> dict[str, Any] | None:
        c = self.complaints.get(number)
        return c if c is not None and c["user"] == self._user(request) else None

    async def success(self, request: Request) -> Response:
        """The receipt page with the 25-digit number."""
        if not self._user(request):
            return login_redirect(request, "/cuser/login")
        c = self._own(request, request.path_params["number"])
        if c is None:
            return self.page(request, "missing.html", 404)
        return self.page(request, "success.html", c=c)

    async def list_page(self, request: Request) -> Response:
        """我的投诉: number, enterprise, product, date, status (newest first)."""
        user = self._user(request)
        if not user:
            return login_redirect(request, "/cuser/login")
        mine = [c for c in reversed(self.complaints.values()) if c["user"] == user]
        return self.page(request, "list.html", complaints=mine)

    def _detail(self, request: Request, c: dict[str, Any], status: int = 200, error: str | None = None):
        return self.page(
            request, "detail.html", status, c=c, closed=c["status"] in CLOSED, error=error, limits=LIMITS
        )

    async def detail(self, request: Request) -> Response:
        """Detail with status history, supplements and the 材料补充 form while not closed."""
        if not self._user(request):
            return login_redirect(request, "/cuser/login")
        c = self._own(request, request.path_params["number"])
        if c is None:
            return self.page(request, "missing.html", 404)
        return self._detail(request, c)

    async def supplement(self, request: Request) -> Response:
        """材料补充: text (1–500) and up to 5 images/PDF of ≤5 MB, only while the case is open."""
        user = self._user(request)
        if not user:
            return login_redirect(request, "/cuser/login")
        c = self._own(request, request.path_params["number"])
        if c is None:
            return self.page(request, "missing.html", 404)
        form = await read_form(request)
        f = self.f
        text = str(form.get(f["supplement_text"].id) or "").strip()
        error = None
        if not csrf_ok(request, form):
            error = "页面已过期,请刷新后重试"
        elif c["status"] in CLOSED:
            error = f"该投诉已{c['status']},不能补充材料"
        elif not 1 <= len(text) <= LIMITS["supplement"]:
            error = f"请填写补充说明(1–{LIMITS['supplement']}字)"
        raw = await read_files(form, f["supplement_files"].id)
        uploads = []
        if error is None and len(raw) > MAX_FILES:
            error = f"最多上传{MAX_FILES}个文件"
        for name, data in raw if error is None else []:
            up = inspect_file(name, data, allowed=DOC_TYPES, max_bytes=MAX_BYTES)
            if up.problem:
                error = up.problem
                break
            uploads.append(up)
        if error:
            self.state.record_rejection("supplement", {"supplement": error}, user=user)
            status = 409 if c["status"] in CLOSED else 400
            return self._detail(request, c, status, error)
        with self.lock:
            files = [keep_file(u, self.uploads_dir) for u in uploads]
            c["supplements"].append(
                {"at": self.now_text(), "text": text, "files": [fi.to_dict() for fi in files]}
            )
            self.state.record_message(c["number"], "user", text, kind="supplement")
            self.state.record_submission(
                c["number"], "supplement", {"number": c["number"], "text": text}, files, user=user
            )
        self.flash(request, "补充材料已提交")
        self.lose_response(request)
        return self._redirect(f"/cuser/complaints/{c['number']}")

    # ---- JSON API ------------------------------------------------------------------------------
    async def api_enterprises(self, request: Request) -> Response:
        """Enterprise search (name contains ``q``, at least 2 characters)."""
        if not self._user(request):
            return login_redirect(request, "/cuser/login")
        return JSONResponse(search_enterprises(request.query_params.get("q", "")))

    async def api_categories(self, request: Request) -> Response:
        """商品类别 suggestions for the typeahead."""
        if not self._user(request):
            return login_redirect(request, "/cuser/login")
        return JSONResponse(search_categories(request.query_params.get("q", "")))

    async def api_regions(self, request: Request) -> Response:
        """Provinces (no ``parent``), cities of a province, districts of a city."""
        if not self._user(request):
            return login_redirect(request, "/cuser/login")
        return JSONResponse(region_children(request.query_params.get("parent", "")))

    async def api_upload(self, request: Request) -> Response:
        """One file per request (images/PDF, ≤5 MB, ≤5 per complaint); returns its id."""
        user = self._user(request)
        if not user:
            return login_redirect(request, "/cuser/login")
        form = await read_form(request)
        sess = session(request)
        assert sess is not None
        draft = sess.data.get("draft") or {}

        def refuse(message: str, status: int = 400) -> Response:
            self.state.record_rejection("upload", {"attachments": message}, user=user)
            return JSONResponse({"ok": False, "error": message}, status)

        if not csrf_ok(request, form):
            return refuse("页面已过期,请刷新后重试", 403)
        if not draft.get("agreed"):
            return refuse("请先阅读并同意投诉须知")
        raw = await read_files(form, "file")
        if len(raw) != 1:
            return refuse("请选择一个文件")
        with self.lock:
            live = [i for i in draft["uploads"] if not self.uploads[i]["deleted"]]
            if len(live) >= MAX_FILES:
                return refuse(f"最多上传{MAX_FILES}个文件")
            up = inspect_file(*raw[0], allowed=DOC_TYPES, max_bytes=MAX_BYTES)
            if up.problem:
                return refuse(up.problem)
            info = keep_file(up, self.uploads_dir)
            upload_id = secrets.token_hex(8)
            self.uploads[upload_id] = {"info": info, "session": sess.id, "deleted": False}
            draft["uploads"].append(upload_id)
        return JSONResponse(
            {"ok": True, "id": upload_id, "name": info.name, "size": info.size, "mime": info.mime}
        )

    async def api_upload_delete(self, request: Request) -> Response:
        """删除 an uploaded file of the current draft."""
        if not self._user(request):
            return login_redirect(request, "/cuser/login")
        sess = session(request)
        assert sess is not None
        item = self.uploads.get(request.path_params["upload_id"])
        if not csrf_ok(request, None) or item is None or item["session"] != sess.id:
            return JSONResponse({"ok": False, "error": "附件不存在"}, 404)
        item["deleted"] = True
        return JSONResponse({"ok": True})


def _int(value: Any) -> int:
    try:
        return max(0, int(str(value)))
    except ValueError:
        return 0


def create_twin(data_dir: Path | str, **options: Any) -> Gov12315Twin:
    """A new (not started) 12315 twin; options: ``notice_seconds``, ``credit_code_required``,
    ``manual_entry`` (False: no manual entry for an enterprise the search cannot find)."""
    return Gov12315Twin(data_dir, **options)
