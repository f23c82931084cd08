"""Masking personal data for public channels (黑猫投诉): phones, e-mails, addresses, ID numbers, card keys.

Text is first normalised (full-width letters, digits, ＠ and hyphens as ASCII, see ``kameng_filer.textforms``). Two
layers then run: the case's own personal values (complainant name, phone, e-mail, address, ID number,
the order's card key and game account) are found in any written form (spaces, dots, hyphens, full
width, shortened addresses) and replaced; then regular expressions catch any other mobile/landline
number, e-mail (also ``(at)``), ID number (18 digits with a plausible birth date, or the old 15-digit
form), bank card number, card key, QQ number, WeChat id, game account or street address.
Identifiers that must stay readable (order number, transaction number, credit code, shop id,
complaint numbers) are shielded from both layers. Card keys show at most their last 4 characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from kameng_filer.pii import (
    ACCOUNT,
    ADDRESS,
    ADDRESS_DISTRICT,
    CARD_DIGITS,
    CARD_GROUPS,
    CARD_LABELLED,
    CARD_LONG,
    CARD_PLAIN,
    CJK,
    COLON,
    EMAIL,
    ID_NUMBER,
    ID_OLD,
    LANDLINE,
    MOBILE,
    MUNICIPALITIES,
    OPT_SEP,
    QQ,
    WECHAT,
    WXID,
)
from kameng_filer.textforms import (
    AT,
    DOT,
    SEP,
    SEP_CHARS,
    SqueezedText,
    address_variants,
    compact,
    looks_like_id,
    luhn_ok,
    normalise,
    squeeze,
)

if TYPE_CHECKING:
    from kameng_filer.case.model import Case
    from kameng_filer.channels import ChannelSpec

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def mask_phone(value: str) -> str:
    """``13800138000`` → ``138****8000``; ``0571-88886666`` / ``(010)88886666`` → ``0571-****6666``."""
    digits = re.sub(r"\D", "", normalise(value))
    if len(digits) >= 11 and re.fullmatch(r"(?:0{0,2}86)?1[3-9]\d{9}", digits):
        d = digits[-11:]
        return f"{d[:3]}****{d[-4:]}"
    if digits.startswith("0") and 10 <= len(digits) <= 12:
        area = digits[:3] if digits[1] in "12" else digits[:4]
        return f"{area}-****{digits[-4:]}"
    if len(digits) >= 7:
        return "*" * (len(digits) - 4) + digits[-4:]
    return "****"


def mask_email(value: str) -> str:
    """``zhangsan@example.com`` (also ``zhangsan(at)example.com``) → ``z***@example.com``."""
    m = re.fullmatch(rf"\s*(\S+?)\s*{AT}\s*(.+?)\s*", normalise(value), re.I)
    if not m:
        return "***"
    domain = re.sub(rf"\s*{DOT}\s*", ".", m.group(2), flags=re.I)
    return f"{m.group(1)[:1]}***@{domain}"


def mask_address(value: str) -> str:
    """Keep the province and city only: ``浙江省杭州市余杭区某路88号`` → ``浙江省杭州市***``."""
    value = normalise(value.strip())
    m = re.match(
        rf"^((?:[{CJK}]{{2,7}}?(?:省|自治区|特别行政区))?)((?:[{CJK}]{{1,7}}?(?:市|自治州|地区|盟))?)",
        value,
    )
    head = (m.group(1) + m.group(2)) if m else ""
    if not head:
        head = next((c for c in MUNICIPALITIES if value.startswith(c)), "")
    return f"{head}***"


def mask_id_number(value: str) -> str:
    """``110101199003071234`` → ``110***********1234`` (separators and full width dropped)."""
    value = compact(value)
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_card_key(value: str) -> str:
    """A card key, password or card number: at most its last 4 characters (``****5678``)."""
    value = compact(value)
    if len(value) >= 12:
        return f"****{value[-4:]}"
    if len(value) >= 6:
        return f"****{value[-2:]}"
    return "****"


def mask_account(value: str) -> str:
    """A game account, QQ number, WeChat id or user name: first2****last2."""
    value = compact(value) or value.strip()
    if len(value) >= 6:
        return f"{value[:2]}****{value[-2:]}"
    return "****"


def mask_name(value: str) -> str:
    """The complainant's name: the surname only (``张三`` → ``张*``, ``欧阳娜娜`` → ``欧***``)."""
    name = re.sub(r"\s+", "", value)
    return name[:1] + "*" * max(len(name) - 1, 1)


def id_checksum_ok(value: str) -> bool:
    """True when an 18-character ID number's last character is its GB 11643 check digit."""
    if len(value) != 18 or not value[:17].isdigit():
        return False
    total = sum(int(ch) * w for ch, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == value[17].upper()


def _sub_id(m: re.Match[str]) -> str:
    return mask_id_number(m.group(0)) if looks_like_id(m.group(0)) else m.group(0)


def _sub_card_plain(m: re.Match[str]) -> str:
    return mask_card_key(m.group(0)) if luhn_ok(m.group(0)) else m.group(0)


def _sub_labelled(fn: Any) -> Any:
    def sub(m: re.Match[str]) -> str:
        return m.group(1) + m.group(2) + fn(m.group(3))

    return sub


def _sub_address(m: re.Match[str]) -> str:
    return m.group("lead") + m.group("head") + "***"


_SEPS = re.escape(SEP_CHARS)
_CARD_LABELS = re.compile(r"卡密|卡号|银行卡|信用卡|密码|兑换码|激活码|充值码|CDK", re.I)
_ADDRESS_HINT = re.compile(r"市|自治州|地区")
_DISTRICT_HINT = re.compile(r"区|县|旗")

# (pattern, replacement, cheap pre-check). Each pre-check is a piece every match of its pattern must
# contain, so when it finds nothing the (much slower) pattern cannot match and is skipped.
_REGEX_STEPS: tuple[tuple[re.Pattern[str], Any, re.Pattern[str] | None], ...] = (
    (EMAIL, lambda m: mask_email(m.group(0)), re.compile("@|at", re.I)),
    (WXID, lambda m: mask_account(m.group(0)), re.compile("wxid_", re.I)),
    (QQ, _sub_labelled(mask_account), re.compile("QQ|扣扣|企鹅", re.I)),
    (WECHAT, _sub_labelled(mask_account), re.compile(rf"(?:信|VX|WX|号|weixin|wechat){COLON}[A-Za-z]", re.I)),
    (ID_NUMBER, _sub_id, re.compile(rf"\d[\d{_SEPS}]{{16}}")),
    (ID_OLD, _sub_id, re.compile(rf"\d[\d{_SEPS}]{{14}}")),
    (LANDLINE, lambda m: mask_phone(m.group(0)), re.compile(rf"0\d{{2,3}}[)）]?{OPT_SEP}[1-9](?:{OPT_SEP}\d){{6}}")),
    (CARD_DIGITS, lambda m: mask_card_key(m.group(0)), re.compile(rf"\d{{4}}{SEP}\d{{4}}")),
    (CARD_PLAIN, _sub_card_plain, re.compile(r"\d{16}")),
    (MOBILE, lambda m: mask_phone(m.group(0)), re.compile(rf"1{OPT_SEP}[3-9](?:{OPT_SEP}\d){{9}}")),
    (CARD_LABELLED, _sub_labelled(mask_card_key), _CARD_LABELS),
    (ACCOUNT, _sub_labelled(mask_account), re.compile(rf"(?:号|户|名|ID){COLON}[A-Za-z0-9]", re.I)),
    (CARD_GROUPS, lambda m: mask_card_key(m.group(0)), re.compile(r"[A-Za-z0-9]{4}[- ][A-Za-z0-9]{4}")),
    (CARD_LONG, lambda m: mask_card_key(m.group(0)), re.compile(r"[A-Za-z0-9]{16}")),
    (ADDRESS, _sub_address, _ADDRESS_HINT),
    (ADDRESS_DISTRICT, _sub_address, _DISTRICT_HINT),
)


def mask_patterns(text: str) -> str:
    """Mask every phone, e-mail, ID number, card key, account and address the regular expressions find."""
    text = normalise(text)
    for rx, repl, hint in _REGEX_STEPS:
        if hint is None or hint.search(text):
            text = rx.sub(repl, text)
    return text


class Masker:
    """Masks text for a public channel using the case's own personal values and the regexes.

    ``protect`` adds identifiers that must stay readable (e.g. an earlier complaint number).
    """

    def __init__(self, case: Case | None = None, protect: Iterable[str] = ()) -> None:
        shield: list[str] = [normalise(p.strip()) for p in protect if p and len(p.strip()) >= 4]
        self._personal: tuple[tuple[str, str, bool], ...] = ()
        if case is not None:
            c, o, r = case.complainant, case.order, case.respondent
            own = (c.id_number, c.phone, c.email, c.address, o.card_key, o.account, c.name)
            ids = (
                o.order_no,
                o.payment.transaction_no if o.payment else None,
                r.credit_code,
                r.merchant.shop_id if r.merchant else None,
                r.merchant.shop_url if r.merchant else None,
                r.website,
            )
            self._personal, case_shield = _learn(own, ids)
            shield += case_shield
        self._shield = sorted(set(shield), key=len, reverse=True)

    def _mask_personal(self, text: str) -> str:
        """Replace the case's own values wherever they appear, whatever the separators between characters."""
        squeezed = SqueezedText(text)
        spans: list[tuple[int, int, str]] = []
        for key, masked, phone in self._personal:
            for start, end in squeezed.find_all(key, phone_prefix=phone):
                if all(end <= s or start >= e for s, e, _ in spans):
                    spans.append((start, end, masked))
        for start, end, masked in sorted(spans, reverse=True):
            text = text[:start] + masked + text[end:]
        return text

    def text(self, text: str) -> str:
        """``text`` with every personal value and pattern masked; shielded identifiers kept as they are."""
        if not text:
            return text
        text = normalise(text)
        kept: list[str] = []
        for value in self._shield:
            if value in text:
                text = text.replace(value, chr(0xE000 + len(kept)))
                kept.append(value)
        if self._personal:
            text = self._mask_personal(text)
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


_OWN_MASKS = (mask_id_number, mask_phone, mask_email, mask_address, mask_card_key, mask_account, mask_name)


@lru_cache(maxsize=256)
def _learn(
    own: tuple[str | None, ...], ids: tuple[str | None, ...]
) -> tuple[tuple[tuple[str, str, bool], ...], tuple[str, ...]]:
    """The case's personal values as (squeezed form, masked form, is a phone), longest first, and the
    identifiers to shield (order/transaction numbers …, unless they equal a personal value)."""
    seen: set[str] = set()
    found: dict[str, tuple[str, str, bool]] = {}
    for value, fn in zip(own, _OWN_MASKS, strict=True):
        if not value or len(value.strip()) < 2:
            continue
        seen.add(compact(value))
        forms = address_variants(value) if fn is mask_address else [value]
        for form in forms:
            key = squeeze(form)
            if len(key) >= (2 if fn is mask_name else 5) and key not in found:
                found[key] = (key, fn(form), fn is mask_phone)
    personal = tuple(sorted(found.values(), key=lambda e: -len(e[0])))
    shield = tuple(normalise(v.strip()) for v in ids if v and len(v.strip()) >= 4 and compact(v) not in seen)
    return personal, shield


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
