"""Masking personal data for public channels (黑猫投诉): phones, e-mails, addresses, ID numbers, card keys.

Two layers: the case's own personal values (complainant phone, e-mail, address, ID number, the order's
card key and game account) are replaced wherever they appear, then regular expressions catch any
other mobile/landline number, e-mail, 18-digit ID number (checksum-validated), card key or street
address. Identifiers that must stay readable (order number, transaction number, credit code, shop id,
complaint numbers) are shielded from the regexes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kameng_filer.case.model import Case
    from kameng_filer.channels import ChannelSpec

_CJK = "\u4e00-\u9fff"
_MUNICIPALITIES = ("北京", "上海", "天津", "重庆")

_EMAIL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_ID_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
    r"(?![0-9A-Za-z])"
)
_MOBILE = re.compile(r"(?<![\d+])(?:(?:\+|00)?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)")
_LANDLINE = re.compile(r"(?<![\d-])(0\d{2,3})[\s-](\d{7,8})(?![\d-])")
_CARD_LABELLED = re.compile(
    r"(卡密|卡号|密码|兑换码|激活码|充值码|CDKEY|CDK)(\s*[::是为]?\s*)([A-Za-z0-9][A-Za-z0-9\-]{5,})", re.I
)
_CARD_GROUPS = re.compile(r"(?<![A-Za-z0-9\-])[A-Za-z0-9]{4,8}(?:-[A-Za-z0-9]{4,8}){2,}(?![A-Za-z0-9\-])")
_CARD_LONG = re.compile(
    r"(?<![A-Za-z0-9])(?=[A-Za-z0-9]*[A-Za-z])(?=[A-Za-z0-9]*\d)[A-Za-z0-9]{16,}(?![A-Za-z0-9])"
)
_ADDR_CH = rf"[{_CJK}A-Za-z0-9#\-()()]"
_ADDRESS = re.compile(
    rf"(?P<head>(?:[{_CJK}]{{2,7}}?(?:省|自治区|特别行政区))?[{_CJK}]{{1,7}}?(?:市|自治州|地区))"
    rf"(?P<tail>{_ADDR_CH}{{0,30}}?(?:区|县|旗|镇|乡|街道|大道|路|街|巷|弄|村|小区|大厦)"
    rf"{_ADDR_CH}{{0,40}}(?:\d+|号|室|栋|幢|楼|层|单元|座))(?![\d.元])"
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def mask_phone(value: str) -> str:
    """``13800138000`` → ``138****8000``; ``0571-88886666`` → ``0571-****6666``."""
    value = value.strip()
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 11 and re.fullmatch(r"(?:0{0,2}86)?1[3-9]\d{9}", digits):
        d = digits[-11:]
        return f"{d[:3]}****{d[-4:]}"
    m = re.fullmatch(r"(0\d{2,3})[\s-]?(\d{7,8})", value)
    if m:
        return f"{m.group(1)}-****{m.group(2)[-4:]}"
    if len(digits) >= 7:
        return "*" * (len(digits) - 4) + digits[-4:]
    return "****"


def mask_email(value: str) -> str:
    """``zhangsan@example.com`` → ``z***@example.com``."""
    local, sep, domain = value.strip().partition("@")
    if not sep:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_address(value: str) -> str:
    """Keep the province and city only: ``浙江省杭州市余杭区某路88号`` → ``浙江省杭州市***``."""
    value = value.strip()
    m = re.match(
        rf"^((?:[{_CJK}]{{2,7}}?(?:省|自治区|特别行政区))?)((?:[{_CJK}]{{1,7}}?(?:市|自治州|地区|盟))?)",
        value,
    )
    head = (m.group(1) + m.group(2)) if m else ""
    if not head:
        head = next((c for c in _MUNICIPALITIES if value.startswith(c)), "")
    return f"{head}***"


def mask_id_number(value: str) -> str:
    """``110101199003071234`` → ``110***********1234``."""
    value = value.strip()
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_card_key(value: str) -> str:
    """A card key or password: first4****last4 (shorter keys keep fewer characters)."""
    value = value.strip()
    if len(value) >= 12:
        return f"{value[:4]}****{value[-4:]}"
    if len(value) >= 6:
        return f"{value[:2]}****{value[-2:]}"
    return "****"


def mask_account(value: str) -> str:
    """A game account or user name: first2****last2."""
    value = value.strip()
    if len(value) >= 6:
        return f"{value[:2]}****{value[-2:]}"
    return "****"


def id_checksum_ok(value: str) -> bool:
    """True when an 18-character ID number's last character is its GB 11643 check digit."""
    if len(value) != 18 or not value[:17].isdigit():
        return False
    total = sum(int(ch) * w for ch, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == value[17].upper()


def _sub_id(m: re.Match[str]) -> str:
    return mask_id_number(m.group(0)) if id_checksum_ok(m.group(0)) else m.group(0)


def _sub_landline(m: re.Match[str]) -> str:
    return f"{m.group(1)}-****{m.group(2)[-4:]}"


def _sub_card_labelled(m: re.Match[str]) -> str:
    return m.group(1) + m.group(2) + mask_card_key(m.group(3))


def _sub_address(m: re.Match[str]) -> str:
    return m.group("head") + "***"


_CARD_LABELS = re.compile(r"卡密|卡号|密码|兑换码|激活码|充值码|CDK", re.I)
_ADDRESS_HINT = re.compile(r"市|自治州|地区")

# (pattern, replacement, cheap pre-check). Each pre-check is a piece every match of its pattern must
# contain, so when it finds nothing the (much slower) pattern cannot match and is skipped:
# an ID number starts with 17 digits; a mobile number holds 1[3-9] and a digit; a landline a digit, a
# separator and 7 digits; grouped card keys 4 letters/digits, "-", 4 more; long card keys 16 in a row.
_REGEX_STEPS: tuple[tuple[re.Pattern[str], Any, re.Pattern[str] | None], ...] = (
    (_EMAIL, lambda m: mask_email(m.group(0)), re.compile("@")),
    (_ID_NUMBER, _sub_id, re.compile(r"\d{17}")),
    (_MOBILE, lambda m: mask_phone(m.group(0)), re.compile(r"1[3-9]\d")),
    (_LANDLINE, _sub_landline, re.compile(r"\d[\s-]\d{7}")),
    (_CARD_LABELLED, _sub_card_labelled, _CARD_LABELS),
    (_CARD_GROUPS, lambda m: mask_card_key(m.group(0)), re.compile(r"[A-Za-z0-9]{4}-[A-Za-z0-9]{4}")),
    (_CARD_LONG, lambda m: mask_card_key(m.group(0)), re.compile(r"[A-Za-z0-9]{16}")),
    (_ADDRESS, _sub_address, _ADDRESS_HINT),
)


def mask_patterns(text: str) -> str:
    """Mask every phone, e-mail, ID number, card key and address the regular expressions find."""
    for rx, repl, hint in _REGEX_STEPS:
        if hint is None or hint.search(text):
            text = rx.sub(repl, text)
    return text


class Masker:
    """Masks text for a public channel using the case's own personal values and the regexes.

    ``protect`` adds identifiers that must stay readable (e.g. an earlier complaint number).
    """

    def __init__(self, case: Case | None = None, protect: Iterable[str] = ()) -> None:
        personal: dict[str, str] = {}
        shield: list[str] = [p.strip() for p in protect if p and len(p.strip()) >= 4]
        if case is not None:
            c = case.complainant
            pairs = (
                (c.phone, mask_phone),
                (c.email, mask_email),
                (c.address, mask_address),
                (c.id_number, mask_id_number),
                (case.order.card_key, mask_card_key),
                (case.order.account, mask_account),
            )
            for value, fn in pairs:
                if value and len(value.strip()) >= 3:
                    personal[value.strip()] = fn(value)
            r = case.respondent
            ids = [
                case.order.order_no,
                case.order.payment.transaction_no if case.order.payment else None,
                r.credit_code,
                r.merchant.shop_id if r.merchant else None,
                r.merchant.shop_url if r.merchant else None,
                r.website,
            ]
            shield += [v.strip() for v in ids if v and len(v.strip()) >= 4 and v.strip() not in personal]
        self._personal = sorted(personal.items(), key=lambda kv: -len(kv[0]))
        self._shield = sorted(set(shield), key=len, reverse=True)

    def text(self, text: str) -> str:
        """``text`` with every personal value and pattern masked; shielded identifiers kept as they are."""
        if not text:
            return text
        kept: list[str] = []
        for value in self._shield:
            if value in text:
                text = text.replace(value, chr(0xE000 + len(kept)))
                kept.append(value)
        for value, masked in self._personal:
            if value in text:
                text = text.replace(value, masked)
        text = mask_patterns(text)
        for i, value in enumerate(kept):
            text = text.replace(chr(0xE000 + i), value)
        return text

    def value(self, value: Any) -> Any:
        """Mask a field value: strings are masked, lists/tuples/dicts recursively, anything else as is."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list | tuple):
            return type(value)(self.value(v) for v in value)
        if isinstance(value, Mapping):
            return {k: self.value(v) for k, v in value.items()}
        return value


def mask_text(text: str, case: Case | None = None, protect: Iterable[str] = ()) -> str:
    """Mask arbitrary text with the case's own personal values (when given) and the regexes."""
    return Masker(case, protect).text(text)


def mask_fields(case: Case, spec: ChannelSpec, values: Mapping[str, Any]) -> dict[str, Any]:
    """The field values an adapter sends, masked when the channel is public (``spec.public``).

    Adapters of public channels call this on every non-file value they are about to send, so
    nothing personal reaches the public page even outside the rendered texts.
    """
    if not spec.public:
        return dict(values)
    masker = Masker(case)
    return {k: masker.value(v) for k, v in values.items()}
