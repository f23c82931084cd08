"""The settings page: channel settings and accounts (passwords only into keyring, never shown back),
notification URLs with a test button, the working-day calendar's status and the LAN access switch.

Same engine as the CLI: ``secrets.set_secret`` (``kameng login``), ``tracker.notify`` (``kameng notify``),
``config.save_config`` (validated like every config change, ``ui.settings_fields`` builds the channel
forms), ``workdays.calendar_warnings`` (``ui.settings_calendar``), ``ui.lan`` (phone access).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from kameng_filer import registry
from kameng_filer.errors import ConfigError, KamengError
from kameng_filer.timeutil import as_shanghai
from kameng_filer.ui import security
from kameng_filer.ui.kit import Kit

SITE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
DONE = {
    "account": "账号已保存，密码已存入系统密钥环。",
    "notify": "通知地址已保存（地址存入系统密钥环，这里只显示遮盖后的形式）。",
    "removed": "通知地址已删除。",
    "channel": "渠道设置已保存到 config.yaml。",
    "channel_removed": "渠道设置已从 config.yaml 删除（密钥环里的密码没有动）。",
    "lan_on": "局域网访问已开启：支付宝/微信支付的操作指引页会显示二维码。",
    "lan_off": "局域网访问已关闭：手机上的旧地址不再能打开。",
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
    from kameng_filer.ui.settings_calendar import calendar_status

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
        "calendar": calendar_status(now),
        "problems": problems,
    }


def save_account(channel: str, account: str, password: str) -> None:
    """``kameng login`` from the page: the password into keyring, the account into config.yaml."""
    from kameng_filer.config import load_config
    from kameng_filer.secrets import set_secret
    from kameng_filer.ui.settings_write import write_channel

    channel = channel_name(channel)
    account = account.strip()
    if not account:
        raise KamengError("账号不能为空", hint="填写登录这个渠道用的用户名、手机号或邮箱")
    if not password:
        raise KamengError("密码为空，没有保存", hint="填写密码后再点保存")
    key = account_key(channel)
    cfg = load_config()  # a broken file is reported before the password is stored
    set_secret(channel, account, password)
    section = dict((cfg.get("channels") or {}).get(channel) or {})
    section[key] = account
    if "@" in channel and "profile" not in section:  # NAME@PROFILE picks the site profile (as filing does)
        section["profile"] = channel.split("@", 1)[1]
    write_channel(channel, section)


def configured_name(value: str) -> str:
    """A channel whose settings the page edits: ``channel_name`` but not the bare ``card_platform``."""
    name = channel_name(value)
    if "@" not in name and _needs_profile(name):
        raise KamengError(
            "卡盟渠道要写站点配置名", hint=f"写成 {name}@站点配置名，如 {name}@xingchen"
        )
    return name


def _needs_profile(name: str) -> bool:
    """True for a profile-driven channel without a default site profile (it is set up per site)."""
    from kameng_filer.filing.web import ProfileAdapter

    try:
        cls = registry.adapter_class(name)
    except KamengError:
        return False
    return issubclass(cls, ProfileAdapter) and not cls.default_profile


def lan_state(lan: Any) -> dict[str, Any]:
    """Whether LAN access is on, and the address the phone reaches while it is."""
    on = lan is not None and lan.enabled
    return {"on": on, "address": f"http://{lan.host}:{lan.port_ref[0]}" if on else ""}


def routes(kit: Kit) -> list[Route]:
    """The settings page and its forms."""
    from kameng_filer.ui import settings_fields as sf

    page, problem, csrf, now_fn = kit.page, kit.problem, kit.csrf, kit.now

    async def render(request: Request, **extra: Any) -> Response:
        data = await run_in_threadpool(overview, as_shanghai(now_fn()))
        done = DONE.get(request.query_params.get("done", ""), "")
        ctx = {"done": done, "errors": {}, "sent": None, "entered": {}, "lan": lan_state(kit.lan), **data}
        return page(request, "settings.html", title="设置", **{**ctx, **extra})

    async def show(request: Request) -> Response:
        return await render(request)

    async def form_of(request: Request, max_fields: int = 20) -> Any:
        form = await request.form(max_files=0, max_fields=max_fields)
        return form if security.same(form.get(security.CSRF_FIELD), csrf) else None  # type: ignore[arg-type]

    def stale(request: Request) -> Response:
        return problem(request, 403, "表单已失效或不是从工作台提交的。", "请刷新页面后再点一次按钮。")

    async def channel_page(
        request: Request, name: str, errors: dict[str, str], posted: Any = None
    ) -> Response:
        try:
            data = await run_in_threadpool(sf.channel_form, name)
        except KamengError as exc:  # the file itself is broken: the CLI's message, nothing to edit yet
            return problem(
                request, 400, _message(exc), "改正 config.yaml 后刷新本页，或在终端运行 kameng plan 查看。"
            )
        known = {f.key for f in data["fields"]}
        if posted is not None:  # show what was typed next to its message (never the extra value or a secret)
            for f in data["fields"]:
                typed = str(posted.get(f.key, f.value))
                f.value = "" if sf.holds_secret(typed) else typed
        other = [m for k, m in errors.items() if k not in known]
        base = name.split("@", 1)[0]
        title = registry.spec(base).title if base in registry.names() else name
        return page(
            request,
            "settings_channel.html",
            title=f"渠道设置：{title}",
            channel=name,
            channel_title=title,
            errors=errors,
            other_errors=other,
            action=f"/settings/channels/{quote(name, safe='@')}",
            **data,
        )

    async def channel_show(request: Request) -> Response:
        try:
            name = configured_name(request.path_params["name"])
        except KamengError as exc:
            return await render(request, errors={"channel": _message(exc)})
        return await channel_page(request, name, {})

    async def channel_choose(request: Request) -> Response:
        base = str(request.query_params.get("channel", "")).strip()
        site = str(request.query_params.get("site", "")).strip()
        try:
            name = configured_name(f"{base}@{site}" if site else base)
        except KamengError as exc:
            return await render(request, errors={"channel": _message(exc)}, entered={"site": site})
        return RedirectResponse(f"/settings/channels/{quote(name, safe='@')}", status_code=303)

    async def channel_save(request: Request) -> Response:
        form = await form_of(request, max_fields=60)
        if form is None:
            return stale(request)
        try:
            name = configured_name(request.path_params["name"])
        except KamengError as exc:
            return await render(request, errors={"channel": _message(exc)})
        if form.get("remove") == "1":
            await run_in_threadpool(sf.remove_channel, name)
            return RedirectResponse("/settings?done=channel_removed#channels", status_code=303)
        posted = {k: str(v) for k, v in form.items() if isinstance(v, str)}
        try:
            await run_in_threadpool(sf.save_channel, name, posted, posted.get("seen", ""))
        except ConfigError as exc:
            return await channel_page(request, name, sf.field_errors(exc, name), posted)
        except KamengError as exc:  # e.g. the section was changed by hand meanwhile: show the file's values
            return await channel_page(request, name, {"": _message(exc)})
        return RedirectResponse("/settings?done=channel#channels", status_code=303)

    async def lan_switch(request: Request) -> Response:
        form = await form_of(request)
        if form is None:
            return stale(request)
        nxt = str(form.get("next") or "")
        target = nxt if nxt.startswith(("/cases/", "/settings")) and "//" not in nxt else "/settings"
        try:
            if form.get("on") == "1":
                await run_in_threadpool(kit.lan.turn_on, request.app, request.app.state.port_ref[0])
                done = "lan_on"
            else:
                await run_in_threadpool(kit.lan.turn_off)
                done = "lan_off"
        except KamengError as exc:
            return await render(request, errors={"lan": _message(exc)})
        if target == "/settings":
            return RedirectResponse(f"/settings?done={done}#lan", status_code=303)
        return RedirectResponse(target, status_code=303)

    async def account(request: Request) -> Response:
        form = await form_of(request)
        if form is None:
            return stale(request)
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
            return stale(request)
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
            return stale(request)
        try:
            await run_in_threadpool(notify.remove, str(form.get("name", "")))
        except KamengError as exc:
            return await render(request, errors={"notify": _message(exc)})
        return RedirectResponse("/settings?done=removed", status_code=303)

    async def notify_test(request: Request) -> Response:
        from kameng_filer.tracker import notify

        form = await form_of(request)
        if form is None:
            return stale(request)
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
        Route("/settings/channel", channel_choose),
        Route("/settings/channels/{name}", channel_show),
        Route("/settings/channels/{name}", channel_save, methods=["POST"]),
        Route("/settings/lan", lan_switch, methods=["POST"]),
    ]
