"""A third kind of 卡盟 site the built-in profiles have never seen: "极光数卡 用户中心" (售后向导).

Unlike families A and B, this site is a script-driven single page:
- sign-in at ``/account/signin?return=…`` that sends the browser back to the page it came from;
- a two-step wizard at ``/service/apply``: step 1 picks the order in a searchable custom dropdown
  (``role=combobox`` + listbox with a search box, no native ``<select>``) and the reason in a button
  group (``aria-pressed``); "下一步" validates on the client and shows messages next to the fields;
- step 2: title (售后标题), the description in a contenteditable editor (问题说明), proof images through
  a "添加图片" button that opens a file chooser (no file input in the page) and uploads each file at
  once by XHR with the CSRF token from ``<meta name=csrf-token>``, the contact phone inside an iframe,
  and an agreement checkbox; "提交申请" validates on the client (errors as transient toasts), asks
  for confirmation in an HTML modal, posts by ``fetch`` and shows success in an HTML dialog — or, by
  the ``success`` option, in a native ``alert`` or a transient toast;
- every answer of the JSON endpoints is HTTP 200 with ``{"code": 0 | error, "msg": …}``;
- "我的售后" list ``/service/records`` (reconciliation, status) and a detail page with a message box.

Test-only: not registered in ``kameng_filer.twins.registry``; create it with ``ThirdTwin(tmp)``.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

from jinja2 import ChoiceLoader, DictLoader, Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from kameng_filer.twins.base import OperatorError, WebTwin
from kameng_filer.twins.state import FileInfo
from kameng_filer.twins.web import (
    TEMPLATES_DIR,
    csrf_ok,
    csrf_token,
    inspect_image,
    read_files,
    read_form,
    rotate_session,
    safe_next,
    session,
    store_upload,
)
from tests import canaries

WAITING, REPLIED, DONE, REFUSED, CLOSED = "待受理", "已回复", "已完成", "已拒绝", "已关闭"
ENDED = (DONE, REFUSED, CLOSED)
REASONS = {"no_card": "没收到卡密", "bad_card": "卡密无法使用", "mismatch": "与描述不符", "other": "其他问题"}
PROOF_TYPES = ("image/jpeg", "image/png", "image/webp")
TITLE_MIN, TITLE_MAX = 5, 60
DESC_MIN, DESC_MAX = 10, 2000
PHONE_RE = re.compile(r"^1\d{10}$")

DEFAULT_ORDERS = (
    ("KM20261102150012", "王者荣耀点券 1000点", "100.00"),
    ("KM20261020103344", "腾讯视频VIP会员 月卡", "25.00"),
    ("KM20260918220501", "Steam 钱包充值卡 100元", "98.00"),
)

_BASE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{% block title %}{% endblock %} - {{ twin.title }}</title>
<meta name="csrf-token" content="{{ csrf_token }}">
<style>
 body { font-family: "Noto Sans CJK SC", sans-serif; margin: 0; background: #eef1f6; }
 .top { background: #1f2d3d; color: #fff; padding: 10px 20px; display: flex; gap: 20px; }
 .top a { color: #cde; }
 .wrap { max-width: 820px; margin: 20px auto; background: #fff; padding: 20px 28px; border-radius: 8px; }
 .row { margin: 12px 0; } .lbl { display: block; font-weight: bold; margin: 6px 0; }
 .field-error { color: #c0392b; font-size: 13px; min-height: 1em; }
 .picker { position: relative; } .picker-face { border: 1px solid #bbb; padding: 6px 10px; cursor: pointer; }
 .picker-pop { position: absolute; background: #fff; border: 1px solid #bbb; width: 100%; z-index: 5; }
 .picker-pop li { list-style: none; padding: 6px 10px; cursor: pointer; } .picker-pop li:hover { background: #eef; }
 .btn-group button[aria-pressed=true] { background: #2b5fd9; color: #fff; }
 .editor { border: 1px solid #bbb; } .editor .toolbar { background: #f4f4f4; padding: 4px; font-size: 12px; }
 #desc { min-height: 120px; padding: 8px; white-space: pre-wrap; outline: none; }
 .modal { position: fixed; inset: 0; background: rgba(0,0,0,.4); display: flex; align-items: center; justify-content: center; }
 .modal[hidden] { display: none; } .modal .box { background: #fff; padding: 20px 28px; border-radius: 8px; min-width: 320px; }
 #toasts { position: fixed; top: 16px; right: 16px; } .toast { padding: 10px 16px; margin: 6px; border-radius: 4px; color: #fff; }
 .toast-error { background: #c0392b; } .toast-success { background: #27ae60; }
 iframe { border: 1px dashed #ccc; width: 100%; height: 110px; }
</style></head>
<body><div class="top"><b>{{ twin.title }}</b>
{% if user %}<a href="/service/apply">申请售后</a><a href="/service/records">我的售后</a><a href="/account/signout">退出登录</a>{% endif %}
</div><div class="wrap">
{% if flash %}<div class="flash {{ flash.kind }}" id="flash">{{ flash.text }}</div>{% endif %}
{% block body %}{% endblock %}</div></body></html>"""

_SIGNIN = """{% extends "third/base.html" %}{% block title %}登录{% endblock %}{% block body %}
<h1>账号登录</h1>
<form method="post" action="/account/signin" id="signin">
<input type="hidden" name="csrf_token" value="{{ csrf_token }}"><input type="hidden" name="return" value="{{ ret }}">
<div class="row"><label class="lbl" for="acct">登录账号</label><input id="acct" name="acct" value="{{ account }}"></div>
<div class="row"><label class="lbl" for="pwd">登录密码</label><input id="pwd" name="pwd" type="password"></div>
{% if error %}<div class="form-tip" id="signin-error">{{ error }}</div>{% endif %}
<button type="submit">登录</button></form>{% endblock %}"""

_APPLY = """{% extends "third/base.html" %}{% block title %}申请售后{% endblock %}{% block body %}
<h1>申请售后</h1>
<form id="apply" novalidate onsubmit="return false">
<input type="hidden" name="csrf_token" id="csrf" value="{{ csrf_token }}">
<section id="step1">
  <h2>第一步:选择订单与原因</h2>
  <div class="row"><span class="lbl" id="order-lbl">关联订单</span>
    <div class="picker"><div class="picker-face" id="order-combo" role="combobox" tabindex="0" aria-labelledby="order-lbl"
      aria-haspopup="listbox" aria-expanded="false">请选择订单</div>
      <div class="picker-pop" id="order-pop" hidden>
        <input type="text" id="order-search" placeholder="搜索订单号或商品" autocomplete="off">
        <ul role="listbox" id="order-list">{% for o in orders %}
          <li role="option" aria-selected="false" data-value="{{ o[0] }}">{{ o[0] }} · {{ o[1] }} · ¥{{ o[2] }}</li>{% endfor %}
        </ul></div></div>
    <input type="hidden" name="order_no" id="order_no"><div class="field-error" id="order-error"></div></div>
  <div class="row"><span class="lbl" id="reason-lbl">售后原因</span>
    <div class="btn-group" role="group" aria-labelledby="reason-lbl">{% for k, v in reasons.items() %}
      <button type="button" data-value="{{ k }}" aria-pressed="false">{{ v }}</button>{% endfor %}</div>
    <input type="hidden" name="reason" id="reason"><div class="field-error" id="reason-error"></div></div>
  <button type="button" id="next-btn">下一步</button>
</section>
<section id="step2" hidden>
  <h2>第二步:描述问题</h2>
  <div class="row"><label class="lbl" for="title">售后标题</label><input id="title" name="title" maxlength="{{ title_max }}"></div>
  <div class="row"><span class="lbl" id="desc-lbl">问题说明</span>
    <div class="editor"><div class="toolbar">B I U · 支持 Markdown</div>
      <div id="desc" role="textbox" aria-multiline="true" aria-labelledby="desc-lbl" contenteditable="true"></div></div>
    <div id="desc-count">0 / {{ desc_max }}</div></div>
  <div class="row"><span class="lbl">凭证截图</span><button type="button" id="add-proof">添加图片</button>
    <ul id="proof-list"></ul><div class="field-error" id="proof-error"></div></div>
  <div class="row"><span class="lbl">联系方式</span><iframe id="contact-frame" title="联系方式" src="/service/contact-frame"></iframe></div>
  <div class="row"><label><input type="checkbox" id="agree"> 我已阅读并同意《售后服务规则》</label></div>
  <button type="button" id="prev-btn">上一步</button> <button type="button" id="submit-btn">提交申请</button>
</section></form>
<div class="modal" id="confirm-modal" role="dialog" aria-modal="true" aria-labelledby="confirm-title" hidden><div class="box">
  <h3 id="confirm-title">确认提交售后申请?</h3><p>提交后商家将收到通知。</p>
  <button type="button" id="confirm-cancel">取消</button> <button type="button" id="confirm-ok">确认提交</button></div></div>
<div class="modal" id="result-modal" role="dialog" aria-modal="true" aria-labelledby="result-title" hidden><div class="box">
  <h3 id="result-title">提交成功</h3><p>售后单号:<b id="result-no"></b></p><p>我们将在 24 小时内受理。</p>
  <a href="/service/records">查看我的售后</a></div></div>
<div id="toasts"></div>
<script>
(() => {
  const $ = (id) => document.getElementById(id);
  const csrf = document.querySelector('meta[name=csrf-token]').content;
  const mode = {{ success|tojson }}, toastMs = {{ toast_ms }};
  let pending = 0;
  const toast = (text, kind) => {
    const el = document.createElement('div');
    el.className = 'toast toast-' + kind; el.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    el.textContent = text; $('toasts').appendChild(el); setTimeout(() => el.remove(), toastMs);
  };
  // searchable custom dropdown
  const combo = $('order-combo'), pop = $('order-pop'), search = $('order-search');
  const openPop = (open) => { pop.hidden = !open; combo.setAttribute('aria-expanded', String(open)); if (open) search.focus(); };
  combo.addEventListener('click', () => openPop(pop.hidden));
  search.addEventListener('input', () => {
    const q = search.value.trim();
    document.querySelectorAll('#order-list li').forEach((li) => { li.hidden = q && !li.textContent.includes(q); });
  });
  document.querySelectorAll('#order-list li').forEach((li) => li.addEventListener('click', () => {
    $('order_no').value = li.dataset.value; combo.textContent = li.textContent;
    document.querySelectorAll('#order-list li').forEach((x) => x.setAttribute('aria-selected', String(x === li)));
    $('order-error').textContent = ''; openPop(false);
  }));
  // button group
  document.querySelectorAll('.btn-group button').forEach((b) => b.addEventListener('click', () => {
    document.querySelectorAll('.btn-group button').forEach((x) => x.setAttribute('aria-pressed', String(x === b)));
    $('reason').value = b.dataset.value; $('reason-error').textContent = '';
  }));
  $('next-btn').addEventListener('click', () => {
    let ok = true;
    if (!$('order_no').value) { $('order-error').textContent = '请选择关联订单'; ok = false; }
    if (!$('reason').value) { $('reason-error').textContent = '请选择售后原因'; ok = false; }
    if (ok) { $('step1').hidden = true; $('step2').hidden = false; }
  });
  $('prev-btn').addEventListener('click', () => { $('step2').hidden = true; $('step1').hidden = false; });
  // editor with a live counter
  const desc = $('desc');
  desc.addEventListener('input', () => { $('desc-count').textContent = desc.innerText.trim().length + ' / {{ desc_max }}'; });
  // upload through a chooser, at once, by XHR
  $('add-proof').addEventListener('click', () => {
    const input = document.createElement('input');
    input.type = 'file'; input.accept = 'image/*';
    input.addEventListener('change', async () => {
      const file = input.files[0]; if (!file) return;
      pending += 1; $('proof-error').textContent = '';
      const body = new FormData(); body.append('file', file);
      try {
        const resp = await fetch('/service/upload', {method: 'POST', headers: {'X-CSRF-Token': csrf}, body});
        const data = await resp.json();
        if (data.code === 0) {
          const li = document.createElement('li'); li.className = 'proof-item'; li.dataset.id = data.data.id;
          li.textContent = data.data.name; $('proof-list').appendChild(li);
        } else { $('proof-error').textContent = data.msg; }
      } catch (e) { $('proof-error').textContent = '上传失败,请重试'; }
      pending -= 1;
    });
    input.click();
  });
  const check = () => {
    const title = $('title').value.trim(), text = desc.innerText.trim();
    const frame = $('contact-frame').contentDocument;
    const phone = frame ? frame.getElementById('phone').value.trim() : '';
    if (title.length < {{ title_min }} || title.length > {{ title_max }}) return '售后标题需 {{ title_min }}–{{ title_max }} 个字';
    if (text.length < {{ desc_min }}) return '问题说明至少 {{ desc_min }} 个字';
    if (pending > 0) return '图片上传中,请稍候';
    if (!document.querySelector('#proof-list li')) return '请至少上传一张凭证截图';
    if (!/^1\\d{10}$/.test(phone)) return '请在联系方式中填写 11 位手机号';
    if (!$('agree').checked) return '请先同意《售后服务规则》';
    return null;
  };
  $('submit-btn').addEventListener('click', () => {
    const problem = check();
    if (problem) { toast(problem, 'error'); return; }
    $('confirm-modal').hidden = false;
  });
  $('confirm-cancel').addEventListener('click', () => { $('confirm-modal').hidden = true; });
  $('confirm-ok').addEventListener('click', async () => {
    $('confirm-modal').hidden = true;
    const frame = $('contact-frame').contentDocument;
    const body = new URLSearchParams({
      csrf_token: $('csrf').value, order_no: $('order_no').value, reason: $('reason').value,
      title: $('title').value.trim(), description: desc.innerText.trim(),
      contact_phone: frame.getElementById('phone').value.trim(), contact_qq: frame.getElementById('qq').value.trim(),
      proof_ids: [...document.querySelectorAll('#proof-list li')].map((li) => li.dataset.id).join(','),
      agree: $('agree').checked ? '1' : '',
    });
    let data;
    try { data = await (await fetch('/service/apply', {method: 'POST', body})).json(); }
    catch (e) { toast('网络异常,请稍后再试', 'error'); return; }
    if (data.code !== 0) { toast(data.msg, 'error'); return; }
    const no = data.data.no;
    if (mode === 'alert') { alert('提交成功!售后单号:' + no); location.href = '/service/records'; }
    else if (mode === 'toast') { toast('提交成功,售后单号 ' + no, 'success'); setTimeout(() => { location.href = '/service/records'; }, toastMs + 300); }
    else { $('result-no').textContent = no; $('result-modal').hidden = false; }
  });
})();
</script>{% endblock %}"""

_CONTACT = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>联系方式</title></head><body>
<div><label for="phone">联系电话</label> <input id="phone" type="tel" maxlength="11"></div>
<div><label for="qq">QQ(选填)</label> <input id="qq"></div></body></html>"""

_RECORDS = """{% extends "third/base.html" %}{% block title %}我的售后{% endblock %}{% block body %}
<h1>我的售后</h1>
<form method="get"><label for="kw">订单号</label> <input id="kw" name="kw" value="{{ kw }}"> <button>搜索</button></form>
{% if rows %}<table id="records"><tr><th>售后单号</th><th>订单</th><th>标题</th><th>状态</th></tr>
{% for r in rows %}<tr class="record" data-no="{{ r.number }}"><td class="no"><a href="/service/records/{{ r.number }}">{{ r.number }}</a></td>
<td class="order">{{ r.order_no }}</td><td>{{ r.title }}</td><td class="st">{{ r.status }}</td></tr>{% endfor %}</table>
{% else %}<p id="records-empty">暂无售后记录</p>{% endif %}{% endblock %}"""

_DETAIL = """{% extends "third/base.html" %}{% block title %}{{ r.number }}{% endblock %}{% block body %}
<h1>售后单 <span id="rec-no">{{ r.number }}</span></h1>
<p>状态:<b id="rec-status">{{ r.status }}</b> · 订单 {{ r.order_no }} · {{ r.reason }}</p>
<h3>{{ r.title }}</h3><pre id="rec-desc">{{ r.description }}</pre>
<ol id="thread">{% for m in r.messages %}<li class="msg by-{{ m.by }}">{{ m.text }}</li>{% endfor %}</ol>
{% if r.status in ended %}<p id="closed">售后单已完结,不能再留言</p>{% else %}
<form method="post" action="/service/records/{{ r.number }}/message"><input type="hidden" name="csrf_token" value="{{ csrf_token }}">
<label class="lbl" for="msg">补充留言</label><textarea id="msg" name="msg"></textarea>
<div class="field-error">{{ error or "" }}</div><button type="submit">发送留言</button></form>{% endif %}{% endblock %}"""

PAGES = {
    "third/base.html": _BASE,
    "third/signin.html": _SIGNIN,
    "third/apply.html": _APPLY,
    "third/records.html": _RECORDS,
    "third/detail.html": _DETAIL,
}


@dataclass
class Aftersale:
    """One 售后单."""

    number: str
    user: str
    order_no: str
    reason: str
    title: str
    description: str
    contact_phone: str
    files: list[FileInfo]
    status: str
    created_at: datetime
    messages: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "number": self.number,
            "user": self.user,
            "order_no": self.order_no,
            "reason": self.reason,
            "title": self.title,
            "description": self.description,
            "contact_phone": self.contact_phone,
            "files": [f.to_dict() for f in self.files],
            "status": self.status,
            "created_at": self.created_at.isoformat(timespec="seconds"),
            "messages": list(self.messages),
        }


class ThirdTwin(WebTwin):
    """极光数卡: a wizard-style 售后 form with custom widgets, XHR uploads, iframes and dialogs."""

    name: ClassVar[str] = "card_c"
    title: ClassVar[str] = "极光数卡 用户中心"
    session_ttl: ClassVar[timedelta] = timedelta(hours=2)

    def __init__(
        self,
        data_dir: Path | str,
        *,
        success: str = "dialog",
        username: str = "jg_demo",
        password: str = canaries.THIRD_SITE_PASSWORD,
        orders: tuple[tuple[str, str, str], ...] = DEFAULT_ORDERS,
        toast_ms: int = 1500,
        upload_delay: float = 0.3,
    ) -> None:
        if success not in ("dialog", "alert", "toast"):
            raise ValueError("success must be dialog, alert or toast")
        self.success = success
        self.username, self.password = username, password
        self.order_rows = orders
        self.toast_ms = toast_ms
        self.upload_delay = upload_delay
        self.items: dict[str, Aftersale] = {}
        self.uploads: dict[str, tuple[str, FileInfo]] = {}
        super().__init__(data_dir)
        self.env = Environment(
            loader=ChoiceLoader([DictLoader(PAGES), FileSystemLoader(str(TEMPLATES_DIR))]),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )

    # ---- WebTwin ---------------------------------------------------------------------------
    def seed(self) -> None:
        """No 售后单 yet; the member's orders."""
        with self.lock:
            self.items = {}
            self.uploads = {}

    def records(self) -> list[dict[str, Any]]:
        """Every 售后单."""
        with self.lock:
            return [a.to_dict() for a in self.items.values()]

    def info(self) -> dict[str, Any]:
        """Account and orders."""
        return {
            "accounts": [{"username": self.username, "password": self.password}],
            "orders": [{"order_no": o[0], "product": o[1], "amount": o[2]} for o in self.order_rows],
        }

    def operate(self, number: str, action: str, text: str = "") -> dict[str, Any]:
        """reply → 已回复; resolve → 已完成; reject → 已拒绝; close → 已关闭."""
        item = self.items.get(number)
        if item is None:
            raise OperatorError(f"售后单 {number} 不存在", 404)
        if action == "intervene":
            raise OperatorError("本站没有平台介入")
        if item.status in ENDED:
            raise OperatorError(f"售后单已完结(当前状态:{item.status})")
        if text.strip():
            item.messages.append({"by": "staff", "text": text.strip()})
            self.state.record_message(number, "operator", text.strip())
        item.status = {"reply": REPLIED, "resolve": DONE, "reject": REFUSED, "close": CLOSED}[action]
        self.state.record_status(number, item.status, "operator", action)
        return item.to_dict()

    def site_routes(self) -> list[BaseRoute]:
        """Pages and the JSON endpoints."""
        return [
            Route("/", self.home),
            Route("/account/signin", self.signin_page, methods=["GET"]),
            Route("/account/signin", self.signin_submit, methods=["POST"]),
            Route("/account/signout", self.signout),
            Route("/service/apply", self.apply_page, methods=["GET"]),
            Route("/service/apply", self.apply_submit, methods=["POST"]),
            Route("/service/contact-frame", self.contact_frame),
            Route("/service/upload", self.upload, methods=["POST"]),
            Route("/service/records", self.records_page),
            Route("/service/records/{number}", self.detail_page),
            Route("/service/records/{number}/message", self.message, methods=["POST"]),
            Route("/api/signin", self.api_signin, methods=["POST"]),
            Route("/api/csrf", self.api_csrf),
            Route("/api/aftersale", self.api_aftersale, methods=["GET", "POST"]),
            Route("/api/aftersale/{number}", self.api_detail),
        ]

    # ---- helpers -----------------------------------------------------------------------------
    def _user(self, request: Request) -> str | None:
        sess = session(request, create=False)
        return sess.data.get("user") if sess else None

    def _to_signin(self, request: Request) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/account/signin?return={quote(target, safe='')}", status_code=303)

    def page(self, request: Request, template: str, status: int = 200, **ctx: Any) -> Response:
        """A page of this site."""
        return self.render(request, f"third/{template}", status, user=self._user(request), **ctx)

    def new_number(self) -> str:
        """``JG`` + yymmdd + ``-`` + 5 digits."""
        while True:
            number = "JG" + self.clock.now().strftime("%y%m%d") + f"-{secrets.randbelow(100000):05d}"
            if number not in self.items:
                return number

    def validate(
        self, user: str, values: dict[str, str], upload_ids: list[str], sid: str
    ) -> tuple[dict[str, str], list[FileInfo]]:
        """Server-side checks of one application: (errors by field, files)."""
        errors: dict[str, str] = {}
        if values.get("order_no") not in {o[0] for o in self.order_rows}:
            errors["order_no"] = "订单不存在或不属于当前账号"
        if values.get("reason") not in REASONS:
            errors["reason"] = "请选择售后原因"
        title = values.get("title", "")
        if not TITLE_MIN <= len(title) <= TITLE_MAX:
            errors["title"] = f"售后标题需 {TITLE_MIN}–{TITLE_MAX} 个字"
        desc = values.get("description", "")
        if not DESC_MIN <= len(desc) <= DESC_MAX:
            errors["description"] = f"问题说明需 {DESC_MIN}–{DESC_MAX} 个字"
        if not PHONE_RE.match(values.get("contact_phone", "")):
            errors["contact_phone"] = "请填写 11 位手机号"
        files = [self.uploads[i][1] for i in upload_ids if i in self.uploads and self.uploads[i][0] == sid]
        if not files:
            errors["proof"] = "请至少上传一张凭证截图"
        return errors, files

    def create(self, user: str, values: dict[str, str], files: list[FileInfo], *, via: str) -> Aftersale:
        """Store a checked application (status 待受理)."""
        with self.lock:
            item = Aftersale(
                number=self.new_number(),
                user=user,
                order_no=values["order_no"],
                reason=REASONS[values["reason"]],
                title=values["title"],
                description=values["description"],
                contact_phone=values["contact_phone"],
                files=files,
                status=WAITING,
                created_at=self.clock.now(),
            )
            self.items[item.number] = item
            fields = {
                k: item.to_dict()[k] for k in ("order_no", "reason", "title", "description", "contact_phone")
            }
            self.state.record_submission(item.number, "aftersale", fields, files, user=user, via=via)
            self.state.record_status(item.number, WAITING, "system", "created")
            return item

    # ---- pages -------------------------------------------------------------------------------
    async def home(self, request: Request) -> Response:
        """Straight to the 售后 form."""
        return RedirectResponse("/service/apply", status_code=303)

    async def signin_page(self, request: Request) -> Response:
        """Sign-in form (remembers where to go back to)."""
        ret = safe_next(request.query_params.get("return"), "/service/records")
        return self.page(request, "signin.html", ret=ret, account="", error=None)

    async def signin_submit(self, request: Request) -> Response:
        """Check the password; back to ``return``."""
        form = await read_form(request)
        ret = safe_next(str(form.get("return") or ""), "/service/records")
        if not csrf_ok(request, form):
            return self.page(
                request, "signin.html", 419, ret=ret, account="", error="页面已过期,请刷新后重试"
            )
        account, pwd = str(form.get("acct") or "").strip(), str(form.get("pwd") or "")
        if account != self.username or pwd != self.password:
            self.state.record_login(account, False, "账号或密码不正确")
            return self.page(request, "signin.html", 422, ret=ret, account=account, error="账号或密码不正确")
        sess = rotate_session(request)
        sess.data["user"] = account
        sess.data.pop("csrf", None)
        self.state.record_login(account, True)
        return RedirectResponse(ret, status_code=303)

    async def signout(self, request: Request) -> Response:
        """Forget the login."""
        sess = session(request, create=False)
        if sess:
            sess.data.pop("user", None)
        return RedirectResponse("/account/signin", status_code=303)

    async def apply_page(self, request: Request) -> Response:
        """The wizard."""
        if not self._user(request):
            return self._to_signin(request)
        return self.page(
            request,
            "apply.html",
            orders=self.order_rows,
            reasons=REASONS,
            success=self.success,
            toast_ms=self.toast_ms,
            title_min=TITLE_MIN,
            title_max=TITLE_MAX,
            desc_min=DESC_MIN,
            desc_max=DESC_MAX,
        )

    async def contact_frame(self, request: Request) -> Response:
        """The embedded contact form (an iframe)."""
        return Response(_CONTACT, media_type="text/html; charset=utf-8")

    async def upload(self, request: Request) -> Response:
        """One image at once (XHR): HTTP 200 with ``code``."""
        user = self._user(request)
        form = await read_form(request)
        if not user:
            return _err(4010, "登录已过期,请重新登录")
        if not csrf_ok(request, form):
            return _err(4190, "页面已过期(CSRF 校验失败),请刷新页面")
        await asyncio.sleep(self.upload_delay)
        files = await read_files(form, "file")
        if len(files) != 1:
            return _err(4220, "请选择一张图片")
        name, data = files[0]
        up = inspect_image(name, data, allowed=PROOF_TYPES, max_bytes=5 * 1024 * 1024, label="凭证截图")
        if up.problem:
            self.state.record_rejection("upload", {"file": up.problem}, user=user)
            return _err(4220, up.problem)
        info = store_upload(up, self.uploads_dir)
        sess = session(request)
        assert sess is not None
        upload_id = secrets.token_hex(6)
        with self.lock:
            self.uploads[upload_id] = (sess.id, info)
        return _ok({"id": upload_id, "name": name})

    async def apply_submit(self, request: Request) -> Response:
        """The wizard's final POST (fetch): HTTP 200 with ``code``."""
        user = self._user(request)
        form = await read_form(request)
        if not user:
            return _err(4010, "登录已过期,请重新登录")
        if not csrf_ok(request, form):
            return _err(4190, "页面已过期(CSRF 校验失败),请刷新页面")
        values = {
            k: str(form.get(k) or "").strip()
            for k in ("order_no", "reason", "title", "description", "contact_phone")
        }
        sess = session(request)
        assert sess is not None
        errors, files = self.validate(
            user, values, [i for i in str(form.get("proof_ids") or "").split(",") if i], sess.id
        )
        if form.get("agree") != "1":
            errors["agree"] = "请先同意《售后服务规则》"
        if errors:
            self.state.record_rejection("aftersale", errors, user=user)
            return _err(4220, next(iter(errors.values())), errors=errors)
        item = self.create(user, values, files, via="form")
        self.lose_response(request)
        return _ok({"no": item.number, "status": item.status})

    async def records_page(self, request: Request) -> Response:
        """我的售后, optionally filtered by order number."""
        user = self._user(request)
        if not user:
            return self._to_signin(request)
        kw = request.query_params.get("kw", "").strip()
        rows = [a for a in self.items.values() if a.user == user and (not kw or kw in a.order_no)]
        return self.page(
            request, "records.html", rows=sorted(rows, key=lambda a: a.created_at, reverse=True), kw=kw
        )

    async def detail_page(self, request: Request) -> Response:
        """One 售后单 with its messages."""
        user = self._user(request)
        if not user:
            return self._to_signin(request)
        item = self.items.get(request.path_params["number"])
        if item is None or item.user != user:
            return self.page(request, "records.html", 404, rows=[], kw="")
        return self.page(request, "detail.html", r=item, ended=ENDED, error=None)

    async def message(self, request: Request) -> Response:
        """The member's follow-up message."""
        user = self._user(request)
        if not user:
            return self._to_signin(request)
        form = await read_form(request)
        item = self.items.get(request.path_params["number"])
        if item is None or item.user != user or not csrf_ok(request, form):
            return self.page(request, "records.html", 404, rows=[], kw="")
        text = str(form.get("msg") or "").strip()
        if item.status in ENDED or not text:
            error = "售后单已完结,不能再留言" if item.status in ENDED else "请填写留言"
            return self.page(request, "detail.html", 422, r=item, ended=ENDED, error=error)
        with self.lock:
            item.messages.append({"by": "user", "text": text})
            self.state.record_message(item.number, "user", text)
        self.flash(request, "留言已发送")
        return RedirectResponse(f"/service/records/{item.number}", status_code=303)

    # ---- JSON API (HTTP 200 + code) --------------------------------------------------------------
    async def api_signin(self, request: Request) -> Response:
        """``{"account", "password"}`` → session cookie."""
        try:
            body = await request.json()
        except ValueError:
            return _err(4000, "请求格式错误")
        if body.get("account") != self.username or body.get("password") != self.password:
            self.state.record_login(str(body.get("account")), False, "账号或密码不正确", via="api")
            return _err(2001, "账号或密码不正确")
        sess = rotate_session(request)
        sess.data["user"] = self.username
        self.state.record_login(self.username, True, via="api")
        return _ok({"user": self.username})

    async def api_csrf(self, request: Request) -> Response:
        """The session's CSRF token."""
        return _ok({"token": csrf_token(request)})

    async def api_aftersale(self, request: Request) -> Response:
        """GET: list (``?order_no=``); POST (multipart, header X-CSRF-Token): create with files ``proof``."""
        user = self._user(request)
        if not user:
            return _err(4010, "请先登录")
        if request.method == "GET":
            order_no = request.query_params.get("order_no", "")
            items = [
                {"no": a.number, "order_no": a.order_no, "status": a.status}
                for a in self.items.values()
                if a.user == user and (not order_no or a.order_no == order_no)
            ]
            return _ok({"items": items})
        form = await read_form(request)
        if not csrf_ok(request, form):
            return _err(4190, "CSRF 校验失败")
        values = {
            k: str(form.get(k) or "").strip()
            for k in ("order_no", "reason", "title", "description", "contact_phone")
        }
        values["reason"] = next(
            (k for k, v in REASONS.items() if values["reason"] in (k, v)), values["reason"]
        )
        infos = []
        for name, data in await read_files(form, "proof"):
            up = inspect_image(name, data, allowed=PROOF_TYPES, max_bytes=5 * 1024 * 1024, label="凭证截图")
            if up.problem:
                return _err(4220, up.problem)
            infos.append(store_upload(up, self.uploads_dir))
        errors, _ = self.validate(user, values, [], "")
        errors.pop("proof", None)
        if not infos:
            errors["proof"] = "请至少上传一张凭证截图"
        if errors:
            self.state.record_rejection("aftersale", errors, user=user, via="api")
            return _err(4220, next(iter(errors.values())), errors=errors)
        item = self.create(user, values, infos, via="api")
        self.lose_response(request)
        return _ok({"no": item.number, "status": item.status})

    async def api_detail(self, request: Request) -> Response:
        """Status and messages of one 售后单."""
        user = self._user(request)
        if not user:
            return _err(4010, "请先登录")
        item = self.items.get(request.path_params["number"])
        if item is None or item.user != user:
            return _err(4040, "售后单不存在")
        return _ok({"status": item.status, "replies": item.messages})


def _ok(data: dict[str, Any]) -> JSONResponse:
    return JSONResponse({"code": 0, "msg": "ok", "data": data})


def _err(code: int, msg: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"code": code, "msg": msg, **extra})
