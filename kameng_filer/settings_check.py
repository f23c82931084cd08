"""Validate ``config.yaml`` data against ``kameng_filer.settings_model``: every problem with its path and line.

Secret-looking keys are refused by pattern (``kameng_filer.secrets.looks_secret``) before anything else,
and their values are never shown. Unknown keys get the closest valid key (difflib).
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from kameng_filer.errors import ConfigError, KamengError
from kameng_filer.secrets import looks_secret
from kameng_filer.settings_model import (
    BUILTIN,
    TOP_LEVEL,
    NotifySettings,
    PluginSettings,
    known_keys,
)

FREE_FORM = ("reasons",)
"""Mappings whose keys are data (problem types), not setting names: not scanned for secret-looking keys."""

DOCS = "各渠道可用的设置见 docs/channels.md 的「配置文件 config.yaml」一节"

_KINDS = {
    bool: "true/false",
    int: "整数",
    float: "数字",
    str: "文字",
    list: "列表",
    dict: "映射",
    type(None): "空",
}


class _Problems:
    """Problems found so far, each ``(path, message, is_secret)``."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str, bool]] = []

    def add(self, path: str, message: str, *, secret: bool = False) -> None:
        self.items.append((path, message, secret))

    def raise_if_any(self, source: str, text: str | None, *, label: str = "配置文件 ") -> None:
        """``ConfigError`` listing every problem (with its YAML line when ``text`` is known)."""
        if not self.items:
            return
        from kameng_filer.case.loader import LineIndex

        index = LineIndex(text) if text else None
        lines = []
        for path, message, _ in self.items:
            line = index.line(path) if index and path else None
            at = f"（第 {line} 行）" if line else ""
            lines.append(f"  {path or '（最外层）'}{at}:{message}")
        secret = any(s for _, _, s in self.items)
        head = (
            f"{label}{source} 里写了密码或令牌：机密只能保存在密钥环或环境变量中"
            if secret
            else f"{label}{source} 有 {len(lines)} 处问题"
        )
        hint = (
            "删除这些项；密码用 kameng login <渠道> --account <账号> 存入密钥环，"
            "或设置环境变量 KAMENG_SECRET_<渠道>_<账号>；通知地址用 kameng notify add"
            if secret
            else f"改正后再运行；{DOCS}"
        )
        error = ConfigError(f"{head}:\n" + "\n".join(lines), hint=hint)
        error.problems = [{"path": p, "message": m} for p, m, _ in self.items]  # type: ignore[attr-defined]
        raise error


def kind(value: Any) -> str:
    """The Chinese name of a YAML value's type."""
    return _KINDS.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f"「{value[:60]}{'…' if len(value) > 60 else ''}」"
    if isinstance(value, bool | int | float):
        return str(value).lower() if isinstance(value, bool) else str(value)
    return kind(value)


def _closest(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"未知设置「{key}」，是不是「{close[0]}」？"
    return f"未知设置「{key}」→ 可用的设置：{'、'.join(known) or '（无）'}"


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel]:
    """The (nested) model that owns the last element of a pydantic ``loc``."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", {})
        info = next((i for n, i in fields.items() if (i.alias or n) == part), None)
        if info is None:
            break
        ann = info.annotation
        while typing.get_origin(ann) in (typing.Union, types.UnionType, list):
            ann = next((a for a in typing.get_args(ann) if a is not type(None)), ann)
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            current = ann
    return current if isinstance(current, type) and issubclass(current, BaseModel) else model


def explain(err: Any, model: type[BaseModel]) -> str:
    """A Chinese message for one pydantic error (never pydantic's English)."""
    etype = err.get("type", "")
    ctx = err.get("ctx") or {}
    value = err.get("input")
    shown = _show(value)
    now = f"，现在是{shown}" if shown.startswith("「") or shown in _KINDS.values() else f"，现在是 {shown}"
    loc = tuple(err.get("loc", ()))
    if etype == "extra_forbidden":
        return _closest(str(loc[-1]) if loc else "", known_keys(_model_at(model, loc)))
    if etype == "missing":
        return "缺少必填项"
    if etype == "value_error":
        return str(err.get("msg", "")).removeprefix("Value error, ")
    if etype in ("int_parsing", "int_type", "int_from_float"):
        return f"应为整数{now}"
    if etype in ("float_parsing", "float_type", "finite_number"):
        return f"应为数字{now}"
    if etype == "greater_than":
        return f"应大于 {ctx.get('gt')}{now}"
    if etype == "greater_than_equal":
        return f"不能小于 {ctx.get('ge')}{now}"
    if etype == "less_than_equal":
        return f"不能大于 {ctx.get('le')}{now}"
    if etype == "less_than":
        return f"应小于 {ctx.get('lt')}{now}"
    if etype in ("string_type", "string_unicode"):
        return f"应为文字{now}"
    if etype in ("bool_parsing", "bool_type"):
        return f"应为 true 或 false{now}"
    if etype in ("dict_type", "model_type", "model_attributes_type", "mapping_type"):
        return f"应为映射（键：值）{now}"
    if etype in ("list_type", "iterable_type"):
        return f"应为列表（每项以 - 开头）{now}"
    if etype == "literal_error":
        return f"取值 {_show(value)} 不在可选范围内 → 可选：{ctx.get('expected', '')}"
    if etype in ("string_too_short", "too_short"):
        return "不能为空"
    return f"取值无效{now}"


def _secrets(value: Any, path: str, problems: _Problems, hint_scope: str) -> list[str]:
    """Report secret-looking keys under ``value`` (recursively); the top-level ones found, to drop them."""
    found = []
    if isinstance(value, dict):
        for k, v in value.items():
            sub = f"{path}.{k}" if path else str(k)
            if isinstance(k, str) and looks_secret(k):
                problems.add(sub, f"「{k}」看起来是密码或令牌，不能写在配置文件里{hint_scope}", secret=True)
                found.append(k)
            elif k not in FREE_FORM:
                _secrets(v, sub, problems, hint_scope)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _secrets(item, f"{path}[{i}]", problems, hint_scope)
    return found


def model_for(key: str, problems: _Problems | None = None, path: str = "") -> type[BaseModel]:
    """The settings model of a channel key (``NAME`` or ``NAME@INSTANCE``); plugins may declare their own."""
    base = key.partition("@")[0]
    if base in BUILTIN:
        return BUILTIN[base]
    from kameng_filer import registry

    names = registry.names()
    if base not in names:
        close = difflib.get_close_matches(base, names, n=1, cutoff=0.8)
        if close and problems is not None:
            problems.add(path, f"未知渠道「{base}」，是不是「{close[0]}」？（用 kameng adapters list 查看渠道）")
        return PluginSettings
    try:
        declared = getattr(registry.adapter_class(base), "settings_model", None)
    except KamengError:  # a broken plugin is reported when it is used, not while reading settings
        return PluginSettings
    if isinstance(declared, type) and issubclass(declared, BaseModel):
        return declared
    return PluginSettings


def _section(key: str, section: Any, problems: _Problems) -> dict[str, Any] | None:
    """Validate one ``channels.<key>`` mapping; the normalised settings, or None when it has problems."""
    path = f"channels.{key}"
    if section is None:
        return {}
    if not isinstance(section, dict):
        problems.add(
            path,
            f"应为映射（设置名：值），现在是{kind(section)} → 在「{key}：」下面缩进写设置，如 account: 我的账号",
        )
        return None
    scope = f" → 删除它，把密码存入密钥环：kameng login {key} --account <账号>"
    before = len(problems.items)
    dropped = _secrets(section, path, problems, scope)
    bad_keys = [k for k in section if not isinstance(k, str)]
    for k in bad_keys:
        problems.add(f"{path}.{k}", f"设置名 {_show(k)} 应为文字 → 加引号")
    model = model_for(key, problems, path)
    data = {k: v for k, v in section.items() if k not in dropped and k not in bad_keys}
    try:
        settings = model.model_validate(data)
    except ValidationError as exc:
        from kameng_filer.case.loader import dotted

        for err in exc.errors(include_url=False):
            problems.add(f"{path}.{dotted(tuple(err['loc']))}".rstrip("."), explain(err, model))
        return None
    if len(problems.items) > before:
        return None
    return settings.model_dump(by_alias=True, exclude_unset=True)


def _channel_key(key: Any, problems: _Problems) -> str | None:
    """A channel key as text: YAML reads ``12315:`` as a number, which is taken as the name ``12315``."""
    if isinstance(key, str):
        return key
    if isinstance(key, int) and not isinstance(key, bool):
        return str(key)
    problems.add(f"channels.{key}", f'渠道名 {_show(key)} 应为文字 → 加引号，例如 "{key}":')
    return None


def _channels(value: Any, problems: _Problems) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.add(
            "channels",
            f"应为映射（渠道名：设置），现在是{kind(value)} → 每个渠道写成「渠道名：」，下面缩进写它的设置"
            "（见 README「配置与机密」）",
        )
        return {}
    out: dict[str, Any] = {}
    for raw_key, section in value.items():
        key = _channel_key(raw_key, problems)
        if key is None:
            continue
        if key in out:
            problems.add(f"channels.{key}", f"渠道「{key}」写了两次 → 合并成一段")
            continue
        _section(key, section, problems)
        out[key] = section
    return out


def _notify(value: Any, problems: _Problems) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        problems.add("notify", f"应为映射，现在是{kind(value)} → 用 kameng notify add 添加通知地址")
        return
    dropped = _secrets(value, "notify", problems, " → 用 kameng notify add 保存通知地址")
    urls = value.get("urls")
    if isinstance(urls, str):
        problems.add(
            "notify.urls",
            "通知地址含令牌，不能直接写在配置文件里 → 删除它，改用命令保存：kameng notify add <通知地址>",
            secret=True,
        )
        return
    if isinstance(urls, list):
        for i, item in enumerate(urls):
            if isinstance(item, str):
                problems.add(
                    f"notify.urls[{i}]",
                    "通知地址含令牌，不能直接写在配置文件里 → 删除它，改用命令保存：kameng notify add <通知地址>",
                    secret=True,
                )
        if any(isinstance(item, str) for item in urls):
            return
    try:
        NotifySettings.model_validate({k: v for k, v in value.items() if k not in dropped})
    except ValidationError as exc:
        from kameng_filer.case.loader import dotted

        for err in exc.errors(include_url=False):
            problems.add(f"notify.{dotted(tuple(err['loc']))}".rstrip("."), explain(err, NotifySettings))


def validate_config(data: Any, *, source: str = "config.yaml", text: str | None = None) -> dict[str, Any]:
    """The settings with channel names as text; ``ConfigError`` listing every problem."""
    if not isinstance(data, dict):
        raise ConfigError(
            f"配置文件 {source} 的最外层应为映射（键：值），现在是{kind(data)}",
            hint="参照 README 的「配置与机密」一节：最外层写 channels: 和 notify:",
        )
    problems = _Problems()
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "channels":
            out["channels"] = _channels(value, problems)
        elif key == "notify":
            _notify(value, problems)
            out["notify"] = value
        elif isinstance(key, str) and looks_secret(key):
            problems.add(key, f"「{key}」看起来是密码或令牌，不能写在配置文件里", secret=True)
        else:
            problems.add(
                str(key), _closest(str(key), list(TOP_LEVEL)).replace("未知设置", "未知的最外层键", 1)
            )
    problems.raise_if_any(source, text)
    return out


def checked_section(name: str, config: dict[str, Any]) -> dict[str, Any]:
    """Validated, normalised settings of ``channels.<name>`` in already-loaded ``config`` ({} when absent)."""
    channels = config.get("channels") if isinstance(config, dict) else None
    if channels is None:
        return {}
    problems = _Problems()
    if not isinstance(channels, dict):
        validate_config(config)
        return {}
    section = channels.get(name)
    if section is None and name.isdigit():
        section = channels.get(int(name))
    settings = _section(name, section, problems)
    problems.raise_if_any("config.yaml", None)
    return settings or {}


def check_settings(key: str, settings: dict[str, Any], source: str) -> dict[str, Any]:
    """Validate settings assembled outside the file (config plus command-line overrides) like a section."""
    problems = _Problems()
    checked = _section(key, settings, problems)
    problems.raise_if_any(source, None, label="")
    return checked or {}
