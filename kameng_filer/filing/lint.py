"""``kameng adapter check``: validate a site profile and lint it (field path + what to do), without a browser."""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kameng_filer.errors import ConfigError, KamengError
from kameng_filer.filing.profile import Action, Binding, Locator, Profile, load_profile, profile_sources

CASE_VARS = (
    "case_id",
    "order_no",
    "product",
    "amount",
    "quantity",
    "paid_date",
    "transaction_no",
    "name",
    "phone",
    "email",
    "address",
    "platform",
    "legal_name",
    "respondent_address",
    "merchant",
    "shop_id",
)
"""Case values every profile may reference as ``{name}`` (see ``kameng_filer.filing.web.case_vars``)."""

EXTRA_VARS = ("complaint_no", "text", "account", "username", "password", "captcha", "captcha_id")
"""Values available in some places: the complaint number (list/detail/follow-up), the follow-up text, login."""


@dataclass
class CheckResult:
    """Problems (the profile cannot work) and warnings (it works, but is fragile or odd)."""

    source: str
    profile: Profile | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when there are no errors."""
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "source": self.source,
            "name": self.profile.name if self.profile else None,
            "channel": channel_of(self.profile) if self.profile else None,
            "ok": self.ok,
            "errors": self.errors,
            "warnings": self.warnings,
        }


def channel_of(prof: Profile) -> str:
    """The channel (adapter) a profile is for: its ``channel`` key, else the adapter that ships it as default."""
    if prof.channel:
        return prof.channel
    from kameng_filer import registry

    for name in registry.names():
        try:
            cls = registry.adapter_class(name)
        except KamengError:
            continue
        if getattr(cls, "default_profile", None) == prof.name:
            return name
    return "card_platform"


def planned_keys(channel: str, prof: Profile) -> set[str]:
    """The value names the channel's adapter plans for the bundled example case (empty when it cannot plan)."""
    from kameng_filer import registry
    from kameng_filer.case import load_case
    from kameng_filer.demo import example_case

    try:
        cls = registry.adapter_class(channel)
        with example_case() as path:
            case = load_case(path).case
            if case is None:
                return set()
            adapter = cls({"profile": prof.source or prof.name})
            adapter.profile = lambda: prof  # type: ignore[method-assign]
            return set(adapter.plan(case).fields)
    except Exception:  # a plugin that cannot plan the example: fall back to the declared fields
        return set()


def _placeholders(template: str) -> list[str]:
    try:
        return [name for _, name, _, _ in string.Formatter().parse(template) if name]
    except ValueError:
        return ["{格式错误}"]


def _steps(prof: Profile) -> list[tuple[str, Action]]:
    out = [(f"steps[{i}]", s) for i, s in enumerate(prof.steps)]
    if prof.login:
        out += [(f"login.steps[{i}]", s) for i, s in enumerate(prof.login.steps)]
    if prof.list_page:
        out += [(f"list.steps[{i}]", s) for i, s in enumerate(prof.list_page.steps)]
    if prof.follow_up:
        out += [(f"follow_up.steps[{i}]", s) for i, s in enumerate(prof.follow_up.steps)]
    return out


def _locators(prof: Profile) -> list[tuple[str, Locator]]:
    out: list[tuple[str, Locator]] = [(f"fields.{k}", b) for k, b in prof.fields.items()]
    for where, s in _steps(prof):
        for key in ("click", "wait"):
            loc = getattr(s, key)
            if loc is not None:
                out.append((f"{where}.{key}", loc))
    out.append(("submit", prof.submit))
    if prof.confirm:
        out.append(("confirm", prof.confirm))
    if prof.follow_up:
        out += [("follow_up.text", prof.follow_up.text), ("follow_up.submit", prof.follow_up.submit)]
    return out


def lint(prof: Profile) -> tuple[list[str], list[str]]:
    """(errors, warnings) for a profile that already passed validation."""
    from kameng_filer import registry

    errors: list[str] = []
    warnings: list[str] = []
    channel = channel_of(prof)
    spec_fields: dict[str, Any] = {}
    try:
        spec_fields = {f.name: f for f in registry.spec(channel).fields}
    except KamengError as exc:
        errors.append(f"channel: {exc.message} → 写一个已注册的渠道名（kameng adapters list）")
    login_keys = {prof.login.account_field, prof.login.secret_field} if prof.login else set()
    planned = planned_keys(channel, prof)
    known = set(spec_fields) | set(CASE_VARS) | login_keys | planned

    if not prof.base_url.startswith(("http://", "https://")):
        errors.append(f"base_url: {prof.base_url!r} 不是网址 → 写成 https://站点域名/")

    used: set[str] = set()
    for _, s in _steps(prof):
        if s.fill:
            used.update([s.fill] if isinstance(s.fill, str) else s.fill)
    used.update(b.fallback for b in prof.fields.values() if b.fallback)
    for key, b in prof.fields.items():
        where = f"fields.{key}"
        if key not in used:
            warnings.append(f"{where}：没有任何步骤填写它 → 在 steps 的 fill 里加上 {key}，或删掉它")
            continue
        _lint_binding(where, key, b, spec_fields, known, errors, warnings)
    if prof.follow_up:
        _lint_binding(
            "follow_up.text",
            "text",
            prof.follow_up.text,
            spec_fields,
            known | {"text"},
            errors,
            warnings,
            value_expected=False,
        )

    for where, loc in _locators(prof):
        if loc.strategies() == ["css"]:
            warnings.append(
                f"{where}：只用 CSS 定位（{loc.css}），站点改版时最容易失效 → 优先写页面上看得到的文字：label / role+name / placeholder"
            )

    templates = [(f"{w}.goto", s.goto) for w, s in _steps(prof) if s.goto]
    templates += [(f"{w}.wait_url", s.wait_url) for w, s in _steps(prof) if s.wait_url]
    templates += [  # the texts of if_visible / unless_visible may use {variables}
        (f"{w}.{cond}.{k}", v)
        for w, s in _steps(prof)
        for cond in ("if_visible", "unless_visible")
        if (loc := getattr(s, cond)) is not None
        for k in ("label", "name", "placeholder", "text", "css")
        if isinstance(v := getattr(loc, k), str)
    ]
    with_number = set(known) | {"complaint_no"}
    detail_templates: list[tuple[str, str]] = []
    if prof.list_page:
        templates += [("list.url", prof.list_page.url), ("list.match", prof.list_page.match)]
        if prof.list_page.detail_url:
            detail_templates.append(("list.detail_url", prof.list_page.detail_url))
        if not prof.status_words:
            warnings.append(
                "status_words: 有 list 却没有状态词 → 把站点的状态文字映射到 open/replied/resolved/…"
            )
        if not prof.list_page.status and not prof.list_page.detail_status:
            warnings.append("list: 没有 status 或 detail_status → 无法查询投诉状态")
        if not prof.list_page.created and not prof.list_page.detail_created:
            warnings.append(
                "list: 没有 created 或 detail_created（网站显示的提交时间）→ 核对时只能凭内容证明是本工具提交的，"
                "本人早先就同一订单开的投诉会让核对停下来请你确认"
            )
    if prof.follow_up:
        detail_templates.append(("follow_up.url", prof.follow_up.url))
    for where, tpl in detail_templates:
        names = set(_placeholders(tpl))
        if names & {"detail_url", "row_href"} and prof.list_page is None:
            errors.append(f"{where}: {{detail_url}} / {{row_href}} 需要 list 段（从列表行的链接读出详情地址）")
        templates.append((where, tpl.replace("{detail_url}", "").replace("{row_href}", "")))
    _lint_limits(prof, spec_fields, errors)
    _lint_options(prof, errors)
    _lint_schedule(prof, channel, errors)
    _lint_login(prof, warnings)
    if prof.login:
        templates += [("login.url", prof.login.url)] + (
            [("login.check_url", prof.login.check_url)] if prof.login.check_url else []
        )
    for where, tpl in templates:
        for name in _placeholders(tpl or ""):
            if name not in with_number:
                errors.append(f"{where}：引用了未知的变量 {{{name}}} → 可用：{'、'.join(sorted(with_number))}")

    if prof.api is not None:
        api_known = with_number | set(EXTRA_VARS)
        api = prof.api
        if api.list_url and not api.list_created_key:
            warnings.append(
                "api.list_created_key: 没有填写列表项里的提交时间字段 → 核对时只能凭内容证明是本工具提交的"
            )
        items = [(f"api.create_fields.{k}", v) for k, v in api.create_fields.items()]
        items += [(f"api.login_fields.{k}", v) for k, v in api.login_fields.items()]
        items += [
            (f"api.{k}", getattr(api, k))
            for k in ("create_url", "list_url", "status_url", "reply_url", "csrf_url")
            if getattr(api, k)
        ]
        for where, tpl in items:
            for name in _placeholders(tpl):
                if name not in api_known:
                    errors.append(
                        f"{where}：引用了未知的变量 {{{name}}} → 可用：{'、'.join(sorted(api_known))}"
                    )
    elif prof.mode == "http":
        errors.append("mode: http 需要 api 段")
    return errors, warnings


def _lint_limits(prof: Profile, spec_fields: dict[str, Any], errors: list[str]) -> None:
    """Every ``limits`` entry names a channel field and sets only limits that act on its kind."""
    for name, limit in prof.limits.items():
        where = f"limits.{name}"
        if name == "follow_up":  # the follow-up text (tracker), not a form field
            keys = {"max_len"}
        elif spec_fields and name not in spec_fields:
            errors.append(
                f"{where}：「{name}」不是该渠道的字段，这条限制不会起作用 → 可用：{'、'.join(spec_fields)}"
            )
            continue
        elif not spec_fields:
            continue
        else:
            keys = {"max_files"} if spec_fields[name].kind == "file" else {"min_len", "max_len"}
        for key in sorted(limit.model_fields_set - keys):
            errors.append(f"{where}.{key}：对这个字段不起作用 → 这里只能写 {'、'.join(sorted(keys))}")


def _strings(data: Any) -> list[str]:
    """Every string value in a dumped profile."""
    if isinstance(data, dict):
        return [t for v in data.values() for t in _strings(v)]
    if isinstance(data, list):
        return [t for v in data for t in _strings(v)]
    return [data] if isinstance(data, str) else []


def _lint_options(prof: Profile, errors: list[str]) -> None:
    """Every fixed value in ``options`` is filled somewhere: a field named so (its key or ``field:``) or
    a ``{name}`` in the profile; otherwise it would be planned and silently never sent."""
    if not prof.options:
        return
    names = {b.field or k for k, b in prof.fields.items()}
    texts = _strings(prof.model_dump(exclude={"options"}))
    for key in prof.options:
        if key not in names and not any(f"{{{key}}}" in t for t in texts):
            errors.append(
                f"options.{key}：没有字段或 {{{key}}} 用到这个固定值，它不会被填写 → "
                f"在 fields 里加一个 field: {key} 的字段，或删掉它"
            )


def _lint_schedule(prof: Profile, channel: str, errors: list[str]) -> None:
    """The ``schedule`` overrides are a valid change of the channel's deadline policy (every key, at
    any depth, is one the policy knows)."""
    if not prof.schedule:
        return
    from kameng_filer.tracker.channel_io import base_channel
    from kameng_filer.tracker.policy import load_policy

    try:
        load_policy(base_channel(channel), profile_overrides=prof.schedule)
    except ConfigError as exc:
        lines = [ln.strip() for ln in exc.message.splitlines() if ln.strip()]
        detail = "; ".join(lines[1:]) if len(lines) > 1 else lines[0]
        errors.append(f"schedule: {detail} → {exc.hint or '格式见 docs/deadlines.md'}")


def _lint_login(prof: Profile, warnings: list[str]) -> None:
    """Warn where the login state cannot be proven (a marker that logged-out pages show as well)."""
    login = prof.login
    if login is None:
        return
    marker = login.logged_in
    words = " ".join(filter(None, (marker.label, marker.name, marker.text, marker.placeholder)))
    if ("登录" in words and "退出" not in words) or (marker.css or "").strip() in (
        "body",
        "html",
        "main",
        "form",
    ):
        warnings.append(
            f"login.logged_in: 「{marker.describe()}」未登录的页面上可能也有，证明不了已登录 → "
            "写只有登录后才有的元素，如 {role: link, name: 退出登录}"
        )


def _lint_binding(
    where: str,
    key: str,
    b: Binding,
    spec_fields: dict[str, Any],
    known: set[str],
    errors: list[str],
    warnings: list[str],
    *,
    value_expected: bool = True,
) -> None:
    name = b.field or key
    if b.value is not None:
        for var in _placeholders(b.value):
            if var not in known:
                errors.append(f"{where}.value: 引用了未知的变量 {{{var}}} → 可用：{'、'.join(sorted(known))}")
    elif value_expected and b.widget != "upload" and name not in known:
        errors.append(
            f"{where}：要填的值「{name}」不是渠道字段，也不是案件变量 → 用 field: 指向其中之一"
            f"（{'、'.join(sorted(known))}），或写 value: 固定值"
        )
    spec = spec_fields.get(name)
    if spec is not None and spec.options and b.options:
        for option in b.options:
            if option not in spec.options:
                warnings.append(
                    f"{where}.options: 「{option}」不是该字段可能的值 → 可能的值：{'、'.join(spec.options)}"
                )
    if b.widget == "upload" and b.chooser and b.multiple is False and b.uploaded is None:
        warnings.append(
            f"{where}：点按钮选文件、立即上传的控件最好写 uploaded（每传完一个文件出现的元素），否则只能等网络空闲"
        )


def check(ref: str) -> CheckResult:
    """Load (by name or path) and lint a profile; never raises for a broken profile."""
    source = ref
    p = Path(ref)
    if p.suffix in (".yaml", ".yml") and not p.exists():
        return CheckResult(source, errors=[f"文件不存在：{ref} → 检查路径"])
    if not p.exists():
        found = profile_sources().get(ref)
        if found:
            source = f"{found[0]}:{found[1]}"
    try:
        prof = load_profile(ref)
    except ConfigError as exc:
        lines = [ln.strip() for ln in exc.message.splitlines()[1:] if ln.strip()] or [exc.message]
        if exc.hint and len(lines) == 1 and "→" not in lines[0]:
            lines = [f"{lines[0]} → {exc.hint}"]
        return CheckResult(source, errors=lines)
    errors, warnings = lint(prof)
    return CheckResult(source, profile=prof, errors=errors, warnings=warnings)
