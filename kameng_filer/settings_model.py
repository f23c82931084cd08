"""Pydantic models of ``config.yaml``: one settings model per channel kind, plus ``notify``.

Every key an adapter reads from its settings is declared here; anything else is an unknown key. Plugin
adapters may declare their own model as ``Adapter.settings_model``; plugins without one get
``PluginSettings`` (any keys, typed ``base_url``/``timeout``). Values are checked, never trusted: e-mail
addresses are parsed (no CR/LF header injection), URLs must be http(s), numbers must be in range.
"""

from __future__ import annotations

import difflib
import re
from email.utils import getaddresses, parseaddr
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
_ADDR = re.compile(r"^[^\s@<>()\[\],;:\"\\]+@[^\s@<>()\[\],;:\"\\]+$")
_HOST = re.compile(r"^[\w.\-]+$|^\[[0-9A-Fa-f:.]+\]$")


def _no_control(value: str) -> str:
    if "\r" in value or "\n" in value:
        raise ValueError("含有换行符（可能被用来伪造邮件头或请求头）→ 写在一行里")
    if _CONTROL.search(value):
        raise ValueError("含有控制字符 → 删除不可见字符")
    return value


def _not_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("应为数字，不是 true/false")
    return value


Text = Annotated[str, AfterValidator(_no_control)]


def _one_address(text: str) -> str:
    """Validate one ``addr`` or ``Name <addr>``; the text as written (stripped)."""
    _no_control(text)
    text = text.strip()
    name, addr = parseaddr(text)
    if not addr or not _ADDR.match(addr):
        raise ValueError(f"「{text}」不是有效的邮件地址 → 写成 name@example.com")
    if "," in name or ";" in name:
        raise ValueError(f"「{text}」的显示名里有逗号或分号 → 去掉显示名，只写地址")
    return text


def _addresses(value: Any) -> str:
    """A single address, a comma-separated string or a list of addresses → ``a@x, b@y``."""
    if isinstance(value, str):
        _no_control(value)
        if not value.strip():
            return ""  # written but left empty: the same as not set
        parts = _split(value)
    elif isinstance(value, list):
        parts = []
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise ValueError(f"第 {i + 1} 项不是邮件地址文字 → 每项写一个地址，如 - name@example.com")
            parts.append(_one_address(item))
    else:
        raise ValueError("应为邮件地址，或邮件地址的列表")
    return ", ".join(parts)  # an empty list is the same as not set


def _split(text: str) -> list[str]:
    """Split ``a@x, B <b@y>`` into its addresses (quoted display names may contain commas)."""
    found = getaddresses([text])
    if len(found) <= 1:
        return [_one_address(text)] if text.strip() else []
    out = []
    for _, addr in found:
        if not addr:
            raise ValueError(f"「{text.strip()}」里有空的邮件地址 → 用逗号分隔完整的地址")
        out.append(_one_address(addr))
    return out


def _single_address(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("应为一个邮件地址")
    if not value.strip():
        return ""
    text = _one_address(value)
    if parseaddr(text)[1] != text:
        raise ValueError(f"「{text}」：发件人只写地址本身 → 写成 me@example.com")
    return text


def _http_url(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("应为网址文字")
    _no_control(value)
    value = value.strip()
    if not value:
        return ""  # written but left empty: the profile's own base_url is used
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
        raise ValueError(f"「{value}」不是 http:// 或 https:// 网址 → 写成 https://站点域名/")
    _no_secret_in_url(parts)
    return value


def _no_secret_in_url(parts: Any) -> None:
    """Refuse a password or a token inside a URL (never echoing it): secrets live in keyring."""
    from urllib.parse import parse_qsl

    from kameng_filer.secrets import looks_secret

    fix = "→ 网址里只写站点地址；密码用 kameng login 存入密钥环"
    if parts.password is not None:
        raise ValueError(f"网址里写了密码（用户名：密码@ 的形式），不能写在配置文件里 {fix}")
    names = [k for k, _ in parse_qsl(parts.query, keep_blank_values=True) if looks_secret(k)]
    if names:
        raise ValueError(f"网址里的参数「{names[0]}」看起来是令牌或密码，不能写在配置文件里 {fix}")


def _hostname(value: str) -> str:
    value = value.strip()
    if not value or not _HOST.match(value):
        raise ValueError(f"「{value}」不是主机名 → 写成 smtp.example.com 或 IP 地址")
    return value


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"不是有效的正则表达式（{exc}）") from None
    return value


Addresses = Annotated[str, BeforeValidator(_addresses)]
Address = Annotated[str, BeforeValidator(_single_address)]
HttpUrl = Annotated[str, BeforeValidator(_http_url)]
Host = Annotated[Text, AfterValidator(_hostname)]
Seconds = Annotated[float, BeforeValidator(_not_bool), Field(gt=0, le=3600)]
Port = Annotated[int, BeforeValidator(_not_bool), Field(ge=1, le=65535)]
Pattern = Annotated[Text, AfterValidator(_regex)]


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)


class ProfileSettings(_Settings):
    """A channel that files through a site profile (card platforms, and the base of 12315/heimao/association)."""

    profile: Text | None = None
    account: Text | None = None
    base_url: HttpUrl | None = None
    mode: Literal["browser", "http"] | None = None
    timeout: Seconds | None = None


class _Smtp(_Settings):
    sender: Address | None = Field(None, alias="from")
    to: Addresses | None = None
    cc: Addresses | None = None
    smtp_host: Host | None = None
    smtp_port: Port | None = None
    ssl: bool | None = None
    starttls: bool | None = None
    username: Text | None = None
    timeout: Seconds | None = None


class EmailSettings(_Smtp):
    """The e-mail channel: SMTP server, sender and recipients (the password lives in keyring)."""


class Gov12315Settings(ProfileSettings):
    """12315: profile settings plus the handling address and the product category to pick."""

    handling_address: Text | None = None
    product_category: Text | None = None


class HeimaoSettings(ProfileSettings):
    """黑猫投诉: profile settings plus the company to complain about."""

    target: Text | None = None


class AssociationSettings(ProfileSettings, _Smtp):
    """Consumer association: its web form (profile settings) or ``route: email`` (SMTP settings)."""

    route: Literal["web", "email"] | None = None
    association_name: Text | None = None


class AssistedSettings(_Settings):
    """An app the person operates (Alipay, WeChat Pay): the number pattern and reason overrides."""

    complaint_no_pattern: Pattern | None = None
    reasons: dict[str, Text] | None = None

    @field_validator("reasons")
    @classmethod
    def _problem_types(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        from kameng_filer.case.model import ProblemType

        known = [t.value for t in ProblemType]
        for key in value or {}:
            if key not in known:
                close = difflib.get_close_matches(key, known, n=1)
                tip = f"是不是「{close[0]}」？" if close else f"可用:{'、'.join(known)}"
                raise ValueError(f"「{key}」不是问题类型 → {tip}")
        return value


class AlipaySettings(AssistedSettings):
    """Alipay: assisted settings plus the text length limit."""

    text_max_len: Annotated[int, BeforeValidator(_not_bool), Field(ge=5, le=5000)] | None = None


class PluginSettings(BaseModel):
    """A plugin channel without a declared model: any keys (never secrets), typed common ones."""

    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    base_url: HttpUrl | None = None
    timeout: Seconds | None = None
    account: Text | None = None


class NotifyEntry(_Settings):
    """One notification target: the URL itself is a secret and lives in keyring or an env variable."""

    name: Text
    masked: Text = ""
    ref: Literal["keyring", "env"] = "keyring"


class NotifySettings(_Settings):
    """The ``notify`` section (written by ``kameng notify add``)."""

    urls: list[NotifyEntry] | None = None


BUILTIN: dict[str, type[BaseModel]] = {
    "card_platform": ProfileSettings,
    "email": EmailSettings,
    "12315": Gov12315Settings,
    "heimao": HeimaoSettings,
    "consumer_association": AssociationSettings,
    "alipay": AlipaySettings,
    "wechat_pay": AssistedSettings,
}
"""Settings model of each built-in channel (by adapter name, the part before ``@``)."""

TOP_LEVEL = ("channels", "notify")
"""Keys allowed at the top of ``config.yaml``."""


def known_keys(model: type[BaseModel]) -> list[str]:
    """The YAML keys a model accepts (aliases where set)."""
    return sorted(info.alias or name for name, info in model.model_fields.items())
