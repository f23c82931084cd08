"""File through a site's JSON API with httpx (no browser), as a profile's ``api`` section describes.

Sites often answer HTTP 200 with an error code in the body: success is ``ok_path == ok_value`` (or one
of a list), ``expired_values`` mean "log in again", the message is at ``message_path``. A CSRF token is
fetched before every POST when ``csrf_url`` is set (from JSON or by regex from a page) and sent as a
header and/or form field. The session cookie is kept per channel account in a 0600 file.

A site that answers the create request with a captcha challenge instead (``{"challenge": {id, image,
answer_url, answer_field}}``, see ``kameng_filer.twins.challenge``) gets the person's answer posted to
``answer_url``; only then is the held request accepted. A rate-limit answer (HTTP 429 or a "操作过于频繁"
message) is a definite refusal: retryable, and nothing needs reconciling.
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import httpx

from kameng_filer.adapter import (
    DryRunComplete,
    FilingContext,
    FilingPlan,
    FollowUpResult,
    Receipt,
    StatusReport,
)
from kameng_filer.crashpoints import crash_point
from kameng_filer.errors import (
    ChannelRejected,
    ChannelUnreachable,
    FilingError,
    SessionExpired,
)
from kameng_filer.filing import proof
from kameng_filer.filing.boundary import ask_challenge, is_rate_limited, not_delivered
from kameng_filer.filing.profile import ApiSpec, Profile, fmt
from kameng_filer.timeutil import now

if TYPE_CHECKING:
    from kameng_filer.filing.site_driver import SiteAdapter

CHALLENGE_ROUNDS = 3


def dig(data: Any, path: str) -> Any:
    """``data['a']['b']`` for ``path='a.b'`` (None when missing)."""
    for part in path.split(".") if path else []:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


class ApiClient:
    """An httpx client for one channel account whose cookies survive between runs."""

    def __init__(
        self, adapter: SiteAdapter, prof: Profile, ctx: FilingContext, values: dict[str, Any]
    ) -> None:
        assert prof.api is not None
        self.adapter = adapter
        self.prof = prof
        self.api: ApiSpec = prof.api
        self.ctx = ctx
        self.values = values
        self.account = str(values.get("account") or adapter.account())
        self.cookie_file = ctx.session_file(self.account or "guest").with_suffix(".cookies.json")
        timeout = float(adapter.settings.get("timeout", 20))
        self.client = httpx.AsyncClient(base_url=prof.base_url, timeout=timeout, follow_redirects=True)
        self.last_status: int | None = None
        if self.cookie_file.exists():
            try:
                for name, value in json.loads(self.cookie_file.read_text(encoding="utf-8")).items():
                    self.client.cookies.set(name, value)
            except (OSError, ValueError):
                pass

    async def __aenter__(self) -> ApiClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()

    def save_cookies(self) -> None:
        """Persist the session cookies (0600)."""
        self.cookie_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.cookie_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({c.name: c.value for c in self.client.cookies.jar}, fh)

    async def csrf(self) -> dict[str, Any]:
        """Request keywords carrying a fresh CSRF token (header and/or form field), or nothing."""
        api = self.api
        if not api.csrf_url:
            return {}
        resp = await self.client.get(fmt(api.csrf_url, self.values))
        resp.raise_for_status()  # httpx errors are translated at the boundary around the adapter call
        token: Any = None
        if api.csrf_path:
            try:
                token = dig(resp.json(), api.csrf_path)
            except ValueError:
                token = None
        elif api.csrf_pattern:
            m = re.search(api.csrf_pattern, resp.text)
            token = m.group(1) if m else None
        if not token:
            raise FilingError(
                "没有从渠道拿到 CSRF 令牌",
                channel=self.ctx.channel,
                hint="检查站点配置 api.csrf_url / csrf_path / csrf_pattern(kameng adapter check)",
            )
        out: dict[str, Any] = {}
        if api.csrf_header:
            out["headers"] = {api.csrf_header: str(token)}
        if api.csrf_field:
            out["field"] = (api.csrf_field, str(token))
        return out

    async def post(
        self,
        url: str,
        *,
        data: dict[str, Any] | None = None,
        json_body: dict[str, Any] | None = None,
        files: Any = None,
    ) -> dict[str, Any]:
        """A POST with the CSRF token added (when the profile asks for one)."""
        extra = await self.csrf()
        kw: dict[str, Any] = {}
        if "headers" in extra:
            kw["headers"] = extra["headers"]
        if "field" in extra:
            name, token = extra["field"]
            if json_body is not None:
                json_body = {**json_body, name: token}
            else:
                data = {**(data or {}), name: token}
        if json_body is not None:
            kw["json"] = json_body
        if data is not None:
            kw["data"] = data
        if files:
            kw["files"] = files
        return await self.call("POST", url, **kw)

    async def call(self, method: str, url: str, **kw: Any) -> dict[str, Any]:
        """One request returning the JSON body; httpx's errors (transport, 4xx/5xx) propagate to the
        boundary around the adapter call, which makes them ``ChannelUnreachable`` / ``ChannelRejected``."""
        self.last_status = None
        resp = await self.client.request(method, fmt(url, self.values), **kw)
        self.last_status = resp.status_code
        resp.raise_for_status()
        try:
            body = resp.json()
        except ValueError:
            raise ChannelUnreachable("渠道接口返回的不是 JSON", channel=self.ctx.channel) from None
        if not isinstance(body, dict):
            raise ChannelUnreachable("渠道接口返回格式异常", channel=self.ctx.channel)
        return body

    def ok(self, body: dict[str, Any]) -> bool:
        """Whether an API answer means success."""
        value = dig(body, self.api.ok_path)
        ok = self.api.ok_value
        return value in ok if isinstance(ok, list) else value == ok

    def expired(self, body: dict[str, Any]) -> bool:
        """Whether an API answer means the session is gone."""
        value = dig(body, self.api.ok_path)
        return value is not None and value in self.api.expired_values

    def message(self, body: dict[str, Any]) -> str:
        """The API's error message."""
        return str(dig(body, self.api.message_path) or "未知错误")

    async def logged_in(self) -> bool:
        """True when the stored cookie still works (probing the list endpoint)."""
        if not self.api.list_url:
            return False
        body = await self.call("GET", self.api.list_url)
        return self.ok(body)

    async def login(self) -> None:
        """Log in through the API; the person reads the captcha image."""
        api = self.api
        if not api.login_url:
            return
        password = self.ctx.secret(self.account)
        last = ""
        for _ in range(3):
            extra: dict[str, Any] = {}
            if api.captcha_url:
                cap = await self.call("GET", api.captcha_url)
                data = cap.get("data", cap)
                image = str(data.get("image", ""))
                shot = self.ctx.artifacts / f"captcha-{int(time.time() * 1000)}.png"
                if image.startswith("data:"):
                    shot.write_bytes(base64.b64decode(image.split(",", 1)[1]))
                elif data.get("image_url"):
                    resp = await self.client.get(data["image_url"])
                    shot.write_bytes(resp.content)
                answer = await self.ctx.person.ask_code(self.ctx.channel, "请输入图片中的验证码", image=shot)
                extra = {"captcha_id": str(data.get("captcha_id", "")), "captcha": answer}
            values = {**self.values, "username": self.account, "password": password, **extra}
            payload = {k: fmt(v, values) for k, v in api.login_fields.items()}
            if api.login_format == "form":
                body = await self.post(api.login_url, data=payload)
            else:
                body = await self.post(api.login_url, json_body=payload)
            if self.ok(body):
                self.save_cookies()
                return
            last = self.message(body)
            if "验证码" not in last:
                break
        raise ChannelRejected(f"登录失败：{last}", channel=self.ctx.channel, hint="检查账号密码（kameng login）")

    async def answer_challenges(self, body: dict[str, Any]) -> dict[str, Any]:
        """While the site holds the request behind a captcha, ask the person and post the answer."""
        for _ in range(CHALLENGE_ROUNDS):
            challenge = body.get("challenge")
            if not isinstance(challenge, dict) or not challenge.get("answer_url"):
                return body
            shot = self.ctx.artifacts / f"challenge-{int(time.time() * 1000)}.png"
            image = str(challenge.get("image", ""))
            if image.startswith("data:"):
                shot.write_bytes(base64.b64decode(image.split(",", 1)[1]))
            elif challenge.get("image_url"):
                resp = await self.client.get(str(challenge["image_url"]))
                shot.write_bytes(resp.content)
            answer = await ask_challenge(self.ctx, shot)
            field = str(challenge.get("answer_field") or "_challenge_answer")
            body = await self.post(str(challenge["answer_url"]), data={field: answer})
        if isinstance(body.get("challenge"), dict):
            not_delivered(self.ctx)
            raise ChannelRejected(
                f"提交时的安全验证（图片验证码）{CHALLENGE_ROUNDS} 次都没有通过，投诉没有提交",
                channel=self.ctx.channel,
                hint="重新运行同一命令，仔细核对图片中的字符",
            )
        return body

    async def ensure_login(self) -> None:
        """Log in unless the stored session still works."""
        if not await self.logged_in():
            await self.login()


def _values(plan: FilingPlan, api: ApiSpec | None = None) -> dict[str, Any]:
    values = {**plan.target.get("vars", {}), **plan.fields, "account": plan.target.get("account", "")}
    for name, mapping in (api.options if api else {}).items():
        if name in values and str(values[name]) in mapping:
            values[name] = mapping[str(values[name])]
    return values


async def submit_http(
    adapter: SiteAdapter, prof: Profile, plan: FilingPlan, ctx: FilingContext
) -> Receipt:
    """Create the complaint through the JSON API."""
    assert prof.api is not None
    api = prof.api
    values = _values(plan, api)
    data = {k: fmt(v, values) for k, v in api.create_fields.items()}
    files = (
        [(api.file_field, (f.upload_name, f.path.read_bytes(), f.mime)) for f in plan.files]
        if api.file_field
        else []
    )
    async with ApiClient(adapter, prof, ctx, values) as api_client:
        ctx.progress("登录（接口）")
        await api_client.ensure_login()
        if ctx.dry_run:
            preview = ctx.artifacts / "dry-run-request.json"
            preview.write_text(
                json.dumps(
                    {"url": api.create_url, "fields": data, "files": [f.upload_name for f in plan.files]},
                    ensure_ascii=False,
                    indent=2,
                ),
                encoding="utf-8",
            )
            raise DryRunComplete(None, f"HTTP 请求已准备，未发送：{preview}")
        ctx.progress("提交（接口）")
        await ctx.about_to_submit(data)
        try:
            body = await api_client.post(api.create_url, data=data, files=files or None)
            body = await api_client.answer_challenges(body)
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code == 429:  # refused for coming too often: nothing was stored
                not_delivered(ctx)
            raise
        crash_point("after_click")  # fault injection: the site has the complaint, its answer is unread
        if not api_client.ok(body):
            message = api_client.message(body)
            if api_client.expired(body) or (not api.expired_values and "登录" in message):
                not_delivered(ctx)
                raise SessionExpired(message, channel=ctx.channel)
            if is_rate_limited(message):
                not_delivered(ctx)
                raise ChannelUnreachable(f"渠道提示：{message}", channel=ctx.channel)
            raise ChannelRejected(f"渠道拒绝了提交：{message}", channel=ctx.channel)
        number = dig(body, api.number_path)
        if not number:
            raise FilingError(
                "渠道接口没有返回投诉编号",
                channel=ctx.channel,
                detail=json.dumps(body, ensure_ascii=False)[:300],
            )
        saved = ctx.artifacts / f"receipt-{number}.json"
        saved.write_text(json.dumps(body, ensure_ascii=False, indent=2), encoding="utf-8")
        return Receipt(
            complaint_no=str(number),
            filed_at=now(),
            status=dig(body, "data.status"),
            html=saved,
            extra={"via": "api"},
        )


async def find_existing_http(
    adapter: SiteAdapter, prof: Profile, plan: FilingPlan, ctx: FilingContext
) -> Receipt | None:
    """Look the complaint up in the API's list by order number; adopt an item only when proven ours
    (``kameng_filer.filing.proof``), reading its detail (``status_url``) when the item alone cannot tell."""
    from kameng_filer.filing.reconcile_web import wanted_texts

    assert prof.api is not None
    api = prof.api
    if not api.list_url:
        return None
    values = _values(plan)
    known = getattr(ctx, "known_numbers", set())
    wanted = wanted_texts(adapter, plan)
    mark = getattr(ctx, "submit_mark", None)
    unproven: list[proof.Candidate] = []
    async with ApiClient(adapter, prof, ctx, values) as client:
        await client.ensure_login()
        body = await client.call("GET", api.list_url)
        if not client.ok(body):  # "busy", "not logged in" (HTTP 200 with an error code): unknown, not empty
            if client.expired(body):
                raise SessionExpired(f"查询投诉列表时登录已失效：{client.message(body)}", channel=ctx.channel)
            raise ChannelUnreachable(f"渠道拒绝了查询：{client.message(body)}", channel=ctx.channel)
        items = dig(body, api.list_items_path)
        if items is None:
            items = []
        if not isinstance(items, list):
            raise ChannelUnreachable(
                f"渠道的投诉列表格式异常（{api.list_items_path} 不是列表）", channel=ctx.channel
            )
        for item in items:
            if str(item.get(api.list_match_key, "")) != str(values.get("order_no", "")):
                continue
            number = str(item.get(api.list_number_key, ""))
            if not number or number in known:
                continue
            c = _candidate(item, number, api.list_created_key)
            page = (prof.list_page.detail_url if prof.list_page else None) or api.status_url
            if page:  # a link the person can open (the site's page when the profile knows it)
                c.link = urljoin(prof.base_url, fmt(page, {**values, "complaint_no": number}).lstrip("/"))
            if proof.needs_detail(c, wanted) and api.status_url:  # also when its time reads earlier
                detail = await client.call("GET", fmt(api.status_url, {**values, "complaint_no": number}))
                c.text += "\n" + flat_text(detail)
            judged = proof.verdict(c, wanted, mark)
            if judged == proof.OURS:
                return Receipt(
                    complaint_no=number,
                    filed_at=c.created.at if c.created and c.created.span.days < 1 else now(),
                    status=item.get("status"),
                    reconciled=True,
                    extra={"via": "api"},
                )
            if judged != proof.EARLIER:
                unproven.append(c)
    if unproven and not getattr(ctx, "person_says_new", False):
        raise proof.UnprovenMatch(
            unproven, channel=ctx.channel, order_no=str(values.get("order_no", "")), case_id=plan.case_id
        )
    return None


def flat_text(data: Any) -> str:
    """Every text value in a JSON answer, one per line (what the site shows of a complaint)."""
    if isinstance(data, dict):
        return "\n".join(flat_text(v) for v in data.values())
    if isinstance(data, list):
        return "\n".join(flat_text(v) for v in data)
    return "" if data is None else str(data)


def _candidate(item: dict[str, Any], number: str, created_key: str | None) -> proof.Candidate:
    """A list item as a reconciliation candidate (its values as text, its creation time)."""
    text = flat_text(item)
    created = proof.parse_site_time(str(item.get(created_key) or "")) if created_key else None
    return proof.Candidate(number, status=str(item.get("status") or ""), text=text, created=created)


async def status_http(
    adapter: SiteAdapter, prof: Profile, receipt: dict[str, Any], ctx: FilingContext
) -> StatusReport:
    """Read a complaint's status from the API."""
    assert prof.api is not None
    values = {**receipt.get("vars", {}), "complaint_no": receipt["complaint_no"]}
    async with ApiClient(adapter, prof, ctx, values) as client:
        await client.ensure_login()
        body = await client.call("GET", prof.api.status_url or "")
        if not client.ok(body):
            raise ChannelRejected(client.message(body), channel=ctx.channel)
        raw = str(dig(body, prof.api.status_path) or "")
        replies = dig(body, prof.api.replies_path) or []
        return StatusReport(raw=raw, state=adapter.normalise(raw), checked_at=now(), replies=list(replies))


async def follow_up_http(
    adapter: SiteAdapter, prof: Profile, receipt: dict[str, Any], text: str, ctx: FilingContext
) -> FollowUpResult:
    """Post a reply through the API."""
    assert prof.api is not None
    if not prof.api.reply_url:
        return FollowUpResult(sent=False, needs_person=True, instructions=text)
    values = {**receipt.get("vars", {}), "complaint_no": receipt["complaint_no"]}
    async with ApiClient(adapter, prof, ctx, values) as client:
        await client.ensure_login()
        body = await client.post(prof.api.reply_url, json_body={prof.api.reply_field: text})
        if not client.ok(body):
            raise ChannelRejected(f"渠道拒绝了追问：{client.message(body)}", channel=ctx.channel)
    return FollowUpResult(sent=True, reference=receipt["complaint_no"])


class HttpDriver:
    """Reaches a profile's site through its JSON API (``mode: http``), chosen by ``ProfileAdapter.driver()``."""

    def __init__(self, adapter: SiteAdapter, prof: Profile) -> None:
        self.adapter = adapter
        self.prof = prof

    async def submit(self, plan: FilingPlan, ctx: FilingContext) -> Receipt:
        """POST the complaint (``submit_http``)."""
        return await submit_http(self.adapter, self.prof, plan, ctx)

    async def find_existing(self, plan: FilingPlan, ctx: FilingContext) -> Receipt | None:
        """Look the complaint up in the API's list (``find_existing_http``)."""
        return await find_existing_http(self.adapter, self.prof, plan, ctx)

    async def status(self, receipt: dict[str, Any], ctx: FilingContext) -> StatusReport:
        """Read the status from the API (``status_http``)."""
        return await status_http(self.adapter, self.prof, receipt, ctx)

    async def follow_up(self, receipt: dict[str, Any], text: str, ctx: FilingContext) -> FollowUpResult:
        """Post a reply through the API (``follow_up_http``)."""
        return await follow_up_http(self.adapter, self.prof, receipt, text, ctx)

    def can_search(self) -> bool:
        """True when the API's list can be searched without knowing the complaint number."""
        api = self.prof.api
        return bool(api and api.list_url and "{complaint_no}" not in api.list_url)
