"""Channel settings as a form: fields built from the channel's pydantic settings model, Chinese labels,
saved into the same ``config.yaml`` the CLI reads and checked by the same code (``settings_check``).

What the form cannot show (keys of other channels, ``notify``, nested plugin values) is kept as it is in
the file; the file is re-read on every show and save, so hand edits are seen; a section changed by hand
after the form was opened is not overwritten. Secret-looking keys are refused with the CLI's message.
"""

from __future__ import annotations

import hashlib
import json
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

from kameng_filer.errors import ConfigError, KamengError

LABELS: dict[str, tuple[str, str]] = {
    "profile": ("站点配置名", "profiles 文件夹里的站点配置名或文件路径；不填时用渠道名 @ 后面的名字"),
    "account": (
        "登录账号",
        "登录这个渠道用的用户名、手机号或邮箱；密码在上面的「保存账号和密码」里存入密钥环",
    ),
    "base_url": ("网址", "只在站点换了网址时填写，必须以 http:// 或 https:// 开头；不填用站点配置里的网址"),
    "mode": ("提交方式", "browser：用浏览器填表；http：直接调用站点接口（站点配置支持时）"),
    "timeout": ("超时（秒）", "等待站点响应的最长时间，大于 0、最多 3600"),
    "from": ("发件人地址", "只写地址本身，如 me@example.com"),
    "to": ("收件人", "一个地址，或用逗号分隔的多个地址"),
    "cc": ("抄送", "一个地址，或用逗号分隔的多个地址；可不填"),
    "smtp_host": ("SMTP 服务器", "如 smtp.qq.com"),
    "smtp_port": ("SMTP 端口", "1–65535，如 465（SSL）或 587（STARTTLS）"),
    "ssl": ("使用 SSL", "465 端口一般选「是」"),
    "starttls": ("使用 STARTTLS", "587 端口一般选「是」"),
    "username": ("SMTP 账号", "登录邮箱服务器用的账号；授权码在上面的「保存账号和密码」里存入密钥环"),
    "handling_address": ("处理地址", "12315 表单里选择的处理地区（如 浙江省杭州市西湖区）"),
    "product_category": ("商品类别", "12315 表单里选择的商品或服务类别"),
    "target": ("被投诉企业", "黑猫投诉里要投诉的企业名称"),
    "route": ("提交途径", "web：消协的网页表单；email：发邮件（用下面的邮件设置）"),
    "association_name": ("消协名称", "如 杭州市消费者权益保护委员会"),
    "complaint_no_pattern": ("投诉单号格式", "检查您记录的投诉单号用的正则表达式；不懂就不要填"),
    "reasons": (
        "问题类型对应的选项",
        "每行一项：问题类型代号：App 里选的投诉原因，如 invalid_card_key：商品问题（代号见 docs/case-format.md）",
    ),
    "text_max_len": ("文字长度上限", "App 里投诉说明最多能写的字数，5–5000"),
}
"""Chinese label and help of each settings key (plugins' own keys fall back to their description)."""

CHOICE_LABELS = {
    "browser": "browser（浏览器填表）",
    "http": "http（站点接口）",
    "web": "web（网页表单）",
    "email": "email（邮件）",
}
Kind = Literal["text", "number", "bool", "choice", "map"]


@dataclass
class FormField:
    """One input of the channel form."""

    key: str
    label: str
    help: str
    kind: Kind
    value: str = ""
    choices: list[tuple[str, str]] = field(default_factory=list)


def _base(annotation: Any) -> Any:
    """The annotation without ``None`` and ``Annotated``."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            rest = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = rest[0] if len(rest) == 1 else str
        else:
            return annotation


def _kind(annotation: Any) -> tuple[Kind, list[str]]:
    base = _base(annotation)
    if typing.get_origin(base) is Literal:
        return "choice", [str(a) for a in typing.get_args(base)]
    if base is bool:
        return "bool", []
    if base in (int, float):
        return "number", []
    if base is dict or typing.get_origin(base) is dict:
        return "map", []
    return "text", []


def _shown(value: Any, kind: Kind) -> str:
    if value is None:
        return ""
    if kind == "bool":
        return "true" if value is True else "false" if value is False else str(value)
    if kind == "map":
        return "\n".join(f"{k}：{v}" for k, v in value.items()) if isinstance(value, dict) else ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if isinstance(value, dict) else str(value)


def form_fields(model: type[BaseModel], section: dict[str, Any]) -> list[FormField]:
    """The inputs of ``model`` (YAML key order of the model), filled from the file's ``section``."""
    from kameng_filer.secrets import looks_secret

    out = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        kind, options = _kind(info.annotation)
        label, help_text = LABELS.get(key, (info.title or key, info.description or ""))
        choices = [(o, CHOICE_LABELS.get(o, o)) for o in options]
        out.append(FormField(key, label, help_text, kind, _shown(section.get(key), kind), choices))
    known = {f.key for f in out}
    if model.model_config.get("extra") == "allow":  # a plugin without a model: its other plain keys
        for key, value in section.items():
            plain = isinstance(key, str) and not looks_secret(key) and not isinstance(value, dict | list)
            if plain and key not in known:
                out.append(FormField(key, key, "插件渠道的设置", "text", _shown(value, "text")))
    return out


def holds_secret(text: str) -> bool:
    """True when typed text carries a password or token (a URL's ``user:pw@`` or ``?access_token=``)."""
    from urllib.parse import parse_qsl, urlsplit

    from kameng_filer.secrets import looks_secret

    try:
        parts = urlsplit(text.strip())
        query = parse_qsl(parts.query, keep_blank_values=True)
        return parts.password is not None or any(looks_secret(k) for k, _ in query)
    except ValueError:
        return False


def digest(section: Any) -> str:
    """A fingerprint of a section as read from the file (to notice hand edits made meanwhile)."""
    text = json.dumps(section, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _parsed(kind: Kind, text: str) -> Any:
    """The YAML value of one posted input; text the checks will explain when it is not a number."""
    if kind == "bool":
        return {"true": True, "false": False}.get(text, text)
    if kind == "number":
        for convert in (int, float):
            try:
                return convert(text)
            except ValueError:
                continue
        return text
    if kind == "map":
        out: dict[str, str] = {}
        for line in text.splitlines():
            if not line.strip():
                continue
            key, sep, value = line.replace("：", ":", 1).partition(":")
            if not sep:
                raise ValueError(f"「{line.strip()[:60]}」缺少冒号 → 每行写成 问题类型：选项")
            out[key.strip()] = value.strip()
        return out
    return text


def updated_section(
    name: str, fields: list[FormField], posted: dict[str, str], section: dict[str, Any]
) -> dict[str, Any]:
    """``section`` with the form's inputs applied: empty inputs remove the key, the rest is kept;
    ``ConfigError`` (problems by path, like the file check's) for an input that cannot be read."""
    result = dict(section)
    problems = []
    for f in fields:
        text = posted.get(f.key, "").strip()
        if not text:
            result.pop(f.key, None)
        elif text != f.value:  # unchanged inputs keep the file's own spelling (a list stays a list)
            try:
                result[f.key] = _parsed(f.kind, text)
            except ValueError as exc:
                problems.append({"path": f"channels.{name}.{f.key}", "message": str(exc)})
    if problems:
        error = ConfigError(f"渠道「{name}」的设置有 {len(problems)} 处问题", hint="改正后再保存")
        error.problems = problems  # type: ignore[attr-defined]
        raise error
    extra_key = posted.get("extra_key", "").strip()
    if extra_key:
        result[extra_key] = posted.get("extra_value", "").strip()
    return result


def field_errors(exc: ConfigError, channel: str) -> dict[str, str]:
    """The check's messages by form field (``channels.<channel>.<key>…`` → key); others under ``""``."""
    prefix = f"channels.{channel}."
    out: dict[str, str] = {}
    for problem in getattr(exc, "problems", None) or []:
        path, message = str(problem.get("path", "")), str(problem.get("message", ""))
        key = path[len(prefix) :].split(".", 1)[0].split("[", 1)[0] if path.startswith(prefix) else ""
        out[key] = f"{out[key]}；{message}" if key in out else message
    if not out:
        out[""] = exc.message
    return out


def _sections() -> tuple[dict[str, Any], dict[str, Any]]:
    """The whole validated settings file and its ``channels`` mapping (copies, names as text)."""
    from kameng_filer.config import load_config

    cfg = load_config()
    return cfg, dict(cfg.get("channels") or {})


def channel_form(name: str) -> dict[str, Any]:
    """What the channel page shows: the inputs filled from the file, and the section's fingerprint."""
    from kameng_filer.settings_check import model_for

    _cfg, channels = _sections()
    section = channels.get(name)
    section = section if isinstance(section, dict) else {}
    model = model_for(name)
    return {
        "fields": form_fields(model, section),
        "seen": digest(section),
        "configured": name in channels,
        "plugin_extra": model.model_config.get("extra") == "allow",
    }


def save_channel(name: str, posted: dict[str, str], seen: str) -> None:
    """Apply the posted inputs to ``channels.<name>`` and save (``ConfigError`` with the CLI's messages)."""
    from kameng_filer.settings_check import model_for
    from kameng_filer.ui.settings_write import write_channel

    _cfg, channels = _sections()
    section = channels.get(name)
    section = section if isinstance(section, dict) else {}
    if not seen or seen != digest(section):
        raise KamengError(
            f"config.yaml 里渠道「{name}」的设置在您打开这个页面之后被改过（可能是手动编辑）",
            hint="页面现在显示的是文件里的最新设置；核对后重新填写，再点保存",
        )
    write_channel(name, updated_section(name, form_fields(model_for(name), section), posted, section))


def remove_channel(name: str) -> None:
    """Delete ``channels.<name>`` from the settings file (passwords in keyring are left alone)."""
    from kameng_filer.ui.settings_write import write_channel

    _cfg, channels = _sections()
    if name in channels:
        write_channel(name, None)
