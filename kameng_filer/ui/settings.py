"""The settings page: channel settings and accounts (passwords only into keyring, never shown back),
notification URLs with a test button, and the working-day calendar's status.

Same engine as the CLI: ``secrets.set_secret`` (``kameng login``), ``tracker.notify`` (``kameng notify``),
``config.save_config`` (validated like every config change), ``workdays.calendar_warnings``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from kameng_filer import registry
from kameng_filer.errors import KamengError
from kameng_filer.timeutil import as_shanghai
from kameng_filer.ui import security
from kameng_filer.ui.kit import Kit

SITE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
DONE = {
    "account": "账号已保存，密码已存入系统密钥环。",
    "notify": "通知地址已保存（地址存入系统密钥环，这里只显示遮盖后的形式）。",
    "removed": "通知地址已删除。",
}


def _message(exc: KamengError) -> str:
    return f"{exc.message}{'。建议：' + exc.hint if exc.hint else ''}"


def channel_name(value: str) -> str:
    """A channel the person typed or chose (``email``, ``card_platform@站点``), or ``KamengError``."""
    value = value.strip()
    base, _, site = value.partition("@")
    if base not in registry.names():
        raise KamengError(f"未知渠道「{value}」", hint=f"可用的渠道：{'、'.join(registry.names())}")
    if site and not SITE.fullmatch(site):
        raise KamengError(
            f"站点名「{site}」无效", hint="站点名只用字母、数字、点、横线和下划线，如 card_platform@xingchen"
        )
    return value


def account_key(channel: str) -> str:
    """The config key holding the login of ``channel`` (``account``, or ``username`` for SMTP)."""
    from kameng_filer.settings_check import model_for

    fields = model_for(channel).model_fields
    for key in ("account", "username"):
        if key in fields:
            return key
    raise KamengError(
        f"渠道「{channel}」不需要在这里登录",
        hint="支付宝、微信支付等辅助渠道在手机 App 里由您本人操作，不保存密码",
    )


def _password_state(channel: str, account: str) -> str:
    from kameng_filer.secrets import get_secret

    if not account:
        return "未设置账号"
    try:
        get_secret(channel, account)
    except KamengError:
        return "未保存"
    return "已保存"


def overview(now: datetime) -> dict[str, Any]:
    """Configured channels (secrets left out), notification targets (masked) and calendar warnings."""
    from kameng_filer.config import load_config
    from kameng_filer.secrets import keyring_usable, looks_secret
    from kameng_filer.tracker import notify
    from kameng_filer.workdays import calendar_warnings

    problems: list[str] = []
    try:
        cfg = load_config()
    except KamengError as exc:
        cfg, problems = {}, [_message(exc)]
    channels = []
    for name, section in sorted((cfg.get("channels") or {}).items()):
        if not isinstance(section, dict):
            continue
        account = str(section.get("account") or section.get("username") or "")
        base = str(name).split("@", 1)[0]
        title = registry.spec(base).title if base in registry.names() else str(name)
        shown = [
            (k, v)
            for k, v in section.items()
            if k not in ("account", "username") and not looks_secret(k) and not isinstance(v, dict | list)
        ]
        channels.append(
            {
                "name": name,
                "title": title,
                "account": account,
                "password": _password_state(str(name), account),
                "settings": shown,
            }
        )
    try:
        targets = notify.entries(cfg)
    except KamengError as exc:
        targets, problems = [], [*problems, _message(exc)]
    return {
        "channels": channels,
        "choices": registry.names(),
        "targets": targets,
        "keyring": keyring_usable(),
        "calendar": calendar_warnings(now),
        "problems": problems,
    }


def save_account(channel: str, account: str, password: str) -> None:
    """``kameng login`` from the page: the password into keyring, the account into config.yaml."""
    from kameng_filer.config import load_config, save_config
    from kameng_filer.secrets import set_secret

    channel = channel_name(channel)
    account = account.strip()
    if not account:
        raise KamengError("账号不能为空", hint="填写登录这个渠道用的用户名、手机号或邮箱")
    if not password:
        raise KamengError("密码为空，没有保存", hint="填写密码后再点保存")
    key = account_key(channel)
    set_secret(channel, account, password)
    cfg = load_config()
    channels = dict(cfg.get("channels") or {})
    section = dict(channels.get(channel) or {})
    section[key] = account
    if "@" in channel and "profile" not in section:  # NAME@PROFILE picks the site profile (as filing does)
        section["profile"] = channel.split("@", 1)[1]
    channels[channel] = section
    cfg["channels"] = channels
    save_config(cfg)


def routes(kit: Kit) -> list[Route]:
    """The settings page and its forms."""
    page, problem, csrf, now_fn = kit.page, kit.problem, kit.csrf, kit.now

    async def render(request: Request, **extra: Any) -> Response:
        data = await run_in_threadpool(overview, as_shanghai(now_fn()))
        done = DONE.get(request.query_params.get("done", ""), "")
        ctx = {"done": done, "errors": {}, "sent": None, "entered": {}, **data, **extra}
        return page(request, "settings.html", title="设置", **ctx)

    async def show(request: Request) -> Response:
        return await render(request)

    async def form_of(request: Request) -> Any:
        form = await request.form(max_files=0, max_fields=20)
        return form if security.same(form.get(security.CSRF_FIELD), csrf) else None  # type: ignore[arg-type]

    async def account(request: Request) -> Response:
        form = await form_of(request)
        if form is None:
            return problem(request, 403, "表单已失效或不是从工作台提交的。", "请刷新页面后再点一次按钮。")
        channel = str(form.get("channel") or form.get("channel_other") or "")
        try:
            await run_in_threadpool(
                save_account, channel, str(form.get("account", "")), str(form.get("password", ""))
            )
        except KamengError as exc:
            return await render(
                request,
                errors={"account": _message(exc)},
                entered={"channel": channel, "account": form.get("account", "")},
            )
        return RedirectResponse("/settings?done=account", status_code=303)

    async def notify_add(request: Request) -> Response:
        from kameng_filer.tracker import notify

        form = await form_of(request)
        if form is None:
            return problem(request, 403, "表单已失效或不是从工作台提交的。", "请刷新页面后再点一次按钮。")
        name = str(form.get("name", "")).strip() or None
        try:
            _entry, warning = await run_in_threadpool(notify.add, str(form.get("url", "")), name)
        except KamengError as exc:
            return await render(request, errors={"notify": _message(exc)})
        if warning:
            return await render(request, errors={"notify": warning})
        return RedirectResponse("/settings?done=notify", status_code=303)

    async def notify_remove(request: Request) -> Response:
        from kameng_filer.tracker import notify

        form = await form_of(request)
        if form is None:
            return problem(request, 403, "表单已失效或不是从工作台提交的。", "请刷新页面后再点一次按钮。")
        try:
            await run_in_threadpool(notify.remove, str(form.get("name", "")))
        except KamengError as exc:
            return await render(request, errors={"notify": _message(exc)})
        return RedirectResponse("/settings?done=removed", status_code=303)

    async def notify_test(request: Request) -> Response:
        from kameng_filer.tracker import notify

        form = await form_of(request)
        if form is None:
            return problem(request, 403, "表单已失效或不是从工作台提交的。", "请刷新页面后再点一次按钮。")
        try:
            result = await run_in_threadpool(
                notify.send, "kameng 通知测试", "这是一条测试消息：收到说明通知设置正确。"
            )
        except KamengError as exc:
            return await render(request, errors={"notify": _message(exc)})
        sent = {"sent": result.sent, "failed": result.failed, "missing": result.missing}
        return await render(request, sent=sent)

    return [
        Route("/settings", show),
        Route("/settings/account", account, methods=["POST"]),
        Route("/settings/notify", notify_add, methods=["POST"]),
        Route("/settings/notify/remove", notify_remove, methods=["POST"]),
        Route("/settings/notify/test", notify_test, methods=["POST"]),
    ]
