"""Which channel field an input on a recorded page takes, guessed from everything the page says about it.

Real sites do not always tie labels to inputs (``<label for>`` naming an id that does not exist) and
use placeholders such as ``••••••••``. A guess therefore weighs, in order: the input's type
(``password``), an ``autocomplete`` naming a login (``username``, ``current-password``), a login
form's shape (the input just before the password is the account, even when it takes an e-mail or a
phone number), the other ``autocomplete`` tokens, the tied label, the text next to the input, its ``name``/``id``, and a
placeholder made of words. Every guess says where it came from, so the draft can show it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

GUESSES: tuple[tuple[str, str], ...] = (
    ("订单", "order_no"),
    ("单号", "order_no"),
    ("标题", "title"),
    ("主题", "title"),
    ("优先", "priority"),
    ("紧急", "priority"),
    ("类型", "complaint_type"),
    ("原因", "complaint_type"),
    ("分类", "complaint_type"),
    ("凭证", "proof"),
    ("截图", "proof"),
    ("图片", "proof"),
    ("附件", "proof"),
    ("密码", "password"),
    ("用户名", "username"),
    ("账号", "username"),
    ("帐号", "username"),
    ("登录名", "username"),
    ("手机", "contact"),
    ("电话", "contact"),
    ("联系", "contact"),
    ("邮箱", "contact"),
    ("内容", "content"),
    ("描述", "content"),
    ("说明", "content"),
)
"""Words of a label → the card_platform field they usually take (first match wins)."""

NAME_HINTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("password", "passwd", "pwd", "pass"), "password"),
    (("username", "user", "account", "acct", "login", "uname", "loginname"), "username"),
    (("order", "orderno", "orderid", "trade"), "order_no"),
    (("title", "subject"), "title"),
    (("phone", "mobile", "tel", "contact", "email", "mail", "qq"), "contact"),
    (("content", "desc", "description", "message", "detail", "body", "remark"), "content"),
    (("priority", "urgency", "level"), "priority"),
    (("type", "category", "reason", "kind"), "complaint_type"),
    (("proof", "image", "img", "file", "attachment", "upload", "pic"), "proof"),
)
"""Tokens of an input's ``name`` / ``id`` → the field (``login_pwd`` → password, ``orderNo`` → order_no)."""

AUTOCOMPLETE = {
    "username": "username",
    "email": "contact",
    "tel": "contact",
    "tel-national": "contact",
    "current-password": "password",
    "new-password": "password",
}
"""``autocomplete`` tokens that name what an input takes (HTML standard)."""

CAPTCHA = re.compile(r"验证码|captcha|vcode|verify_?code", re.I)
WORDLESS = re.compile(r"^[\W_]*$")
"""A placeholder without letters or CJK (``••••••••``, ``****``) says nothing."""


@dataclass
class Guess:
    """The field a recorded input probably takes, and why (``None`` when nothing said)."""

    field: str | None
    why: str


def guess_field(label: str) -> str | None:
    """The channel field a label probably means, e.g. ``售后标题`` → ``title``."""
    for word, name in GUESSES:
        if word in label:
            return name
    return None


def _tokens(raw: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", raw or "")
    return [t for t in re.split(r"[^a-z0-9]+", spaced.lower()) if t]


def guess_from_name(raw: str) -> str | None:
    """The field an input's ``name``/``id`` suggests (by whole tokens, or the whole name)."""
    tokens = _tokens(raw)
    joined = "".join(tokens)
    for words, name in NAME_HINTS:
        if any(w in tokens for w in words) or joined in words:
            return name
    return None


def is_captcha(f: dict[str, Any]) -> bool:
    """An image/SMS code box (belongs in a ``captcha``/``sms`` step, not in ``fields``)."""
    text = " ".join(str(f.get(k) or "") for k in ("label", "near", "placeholder", "name", "id"))
    return bool(CAPTCHA.search(text))


def guess(f: dict[str, Any]) -> Guess:
    """The field for one scanned input (see the module docstring for the order of evidence)."""
    kind = (f.get("type") or "").lower()
    auto = (f.get("autocomplete") or "").lower().split()
    if kind == "password":
        return Guess("password", "type=password")
    named = [(AUTOCOMPLETE[t], t) for t in auto if t in AUTOCOMPLETE]
    if named and named[0][0] in ("password", "username"):
        return Guess(named[0][0], f"autocomplete={named[0][1]}")
    if f.get("before_password"):  # an e-mail or phone box there is the account one logs in with
        return Guess("username", "登录表单里密码框前面的输入框")
    if named:
        return Guess(named[0][0], f"autocomplete={named[0][1]}")
    placeholder = "" if WORDLESS.match(f.get("placeholder") or "") else f.get("placeholder") or ""
    for source, text in (("标签", f.get("label")), ("旁边的文字", f.get("near"))):
        if text and (target := guess_field(text)):
            return Guess(target, f"{source}「{text}」")
    for attr in ("name", "id"):
        if f.get(attr) and (target := guess_from_name(f[attr])):
            return Guess(target, f"{attr}={f[attr]}")
    if placeholder and (target := guess_field(placeholder)):
        return Guess(target, f"placeholder「{placeholder}」")
    return Guess(None, "")


def describe_input(f: dict[str, Any]) -> str:
    """What the page says about an input, for the author (type, name, id, placeholder, nearby text)."""
    parts = [f"{k}={f[k]}" for k in ("type", "name", "id", "autocomplete", "placeholder") if f.get(k)]
    if f.get("near"):
        parts.append(f"旁边的文字「{f['near']}」")
    if f.get("label_for"):
        parts.append(f"<label for={f['label_for']}> 没有对应的 id")
    return " ".join(parts) or "没有任何标识"
