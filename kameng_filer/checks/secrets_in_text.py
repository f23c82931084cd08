"""Secrets written into free text (card keys, ID numbers, bank cards, passwords) — texts get sent and published."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from kameng_filer.checks.base import Context, free_texts, get, items, text_of
from kameng_filer.findings import Finding
from kameng_filer.pii import GROUPED_KEY, LABELLED_KEY, LONG_RUN, PASSWORD
from kameng_filer.pii import ID_NUMBER_LOOSE as ID_NUMBER
from kameng_filer.textforms import compact, looks_like_id, loose_pattern, luhn_ok, normalise

MIN_KEY_CHARS = 12
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
SECRET_LISTS = (
    ("timeline", "event"),
    ("contacts", "summary"),
    ("contacts", "channel"),
    ("evidence", "description"),
    ("demands", "note"),
)


def mask(value: str) -> str:
    """Show only the ends of a secret: ``ABCD-****-****-WXYZ`` → ``ABC…YZ``."""
    if len(value) <= 6:
        return value[:1] + "…"
    return f"{value[:3]}…{value[-2:]}"


def id_checksum_ok(number: str) -> bool:
    """GB 11643 check digit of an 18-digit resident ID number."""
    if not re.fullmatch(r"\d{17}[\dXx]", number):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def _plausible_birth(number: str) -> bool:
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return 1900 <= born.year <= 2100


def _known_ids(raw: object) -> set[str]:
    """Identifiers that look like keys but are meant to be shared (order/transaction numbers …)."""
    values = [
        get(raw, "id"),
        get(raw, "order", "order_no"),
        get(raw, "order", "account"),
        get(raw, "order", "payment", "transaction_no"),
        get(raw, "respondent", "credit_code"),
        get(raw, "respondent", "merchant", "shop_id"),
    ]
    values += [item.get("id") for _, item in items(raw, "evidence")]
    return {t.strip().upper() for v in values if (t := text_of(v)) and t.strip()}


def _is_mask(token: str) -> bool:
    """Placeholders and masked keys (``XXXX-XXXX-XXXX-1234``, ``0000000000000000``) are not secrets."""
    chars = token.replace("-", "").upper()
    return chars.count("X") * 2 >= len(chars) or len(set(chars)) == 1


def check(ctx: Context) -> Iterator[Finding]:
    """Card keys, ID numbers, bank card numbers and passwords in free text."""
    raw = ctx.raw
    known = _known_ids(raw)
    card_key = text_of(get(raw, "order", "card_key"))
    card_key = card_key.strip() if card_key and len(card_key.strip()) >= 6 else None
    for path, text in free_texts(raw, lists=SECRET_LISTS):
        yield from _scan(ctx, path, text, known, card_key)


def _scan(ctx: Context, path: str, text: str, known: set[str], card_key: str | None) -> Iterator[Finding]:
    flagged: set[str] = set()
    text = normalise(text)
    own = loose_pattern(card_key, "key") if card_key else None
    for m in re.finditer(own, text, re.IGNORECASE) if own else ():
        flagged.add(m.group(0).upper())
        if len(flagged) == 1:
            yield _card_key(ctx, path, m.group(0), "与 order.card_key 相同")
    for m in GROUPED_KEY.finditer(text):
        token = m.group(0)
        if _seen(token, flagged) or token.upper() in known or _is_mask(token):
            continue
        if not re.search(r"\d", token) or len(compact(token)) < MIN_KEY_CHARS or looks_like_id(token):
            continue
        flagged.add(token.upper())
        yield _card_key(ctx, path, token, "格式为分段卡密")
    for m in ID_NUMBER.finditer(text):
        number = compact(m.group(0))
        if number.upper() in known or not _plausible_birth(number):
            continue
        flagged.add(number.upper())
        if id_checksum_ok(number):
            yield ctx.finding(
                "secret.id_number",
                path,
                f"文本中写有身份证号（{mask(number)}）：投诉文本会发给平台，部分渠道（如黑猫投诉）公开展示",
                "从文本中删除身份证号；渠道确实需要时填写 complainant.id_number，只在私密渠道使用",
            )
        else:
            yield ctx.finding(
                "secret.id_like",
                path,
                f"文本中有疑似身份证号的 18 位数字（{mask(number)}）",
                "如果是身份证号，请删除；如果是订单号，请同时填写到 order.order_no 以免误报",
            )
    for m in LONG_RUN.finditer(text):
        token = m.group(0)
        up = token.upper()
        if up in flagged or up in known or any(up in k or k in up for k in flagged) or _is_mask(token):
            continue
        if token.isdigit():
            if 16 <= len(token) <= 19 and luhn_ok(token):
                flagged.add(up)
                yield ctx.finding(
                    "secret.bank_card",
                    path,
                    f"文本中有疑似银行卡号（{mask(token)}）",
                    "删除卡号；退款账户只写“原支付账户”；如果是订单号或交易号，请填到对应字段以免误报",
                )
            continue
        if re.search(r"\d", token) and re.search(r"[A-Za-z]", token):
            flagged.add(up)
            yield ctx.finding(
                "secret.key_like",
                path,
                f"文本中有疑似卡密/密钥的长串（{mask(token)}）",
                "如果是卡密，请删除（写“卡密末四位XXXX”即可），卡密填在 order.card_key；"
                "如果是订单号/交易号，请填到对应字段以免误报",
            )
    for m in LABELLED_KEY.finditer(text):
        token = m.group("value")
        if _seen(token, flagged) or token.upper() in known or _is_mask(token) or not re.search(r"\d", token):
            continue
        flagged.add(token.upper())
        yield _card_key(ctx, path, token, "写在“卡密/兑换码”之后")
    for m in PASSWORD.finditer(text):
        yield ctx.finding(
            "secret.password",
            path,
            f"文本中写有密码（{mask(m.group('value'))}）：任何渠道都不需要你的密码",
            "删除密码；如果密码已经发给过别人，立即修改",
        )


def _seen(token: str, flagged: set[str]) -> bool:
    """True when ``token`` is (part of) a key already reported, in any spacing."""
    up = compact(token).upper()
    return any(up in compact(f).upper() or compact(f).upper() in up for f in flagged)


def _card_key(ctx: Context, path: str, token: str, why: str) -> Finding:
    return ctx.finding(
        "secret.card_key",
        path,
        f"文本中写有完整卡密（{mask(token)},{why}）：投诉文本会发给商家和平台，部分渠道公开展示，卡密可能被他人兑换",
        "只写卡密末四位（例如“卡密末四位 7K2Q”）；完整卡密填在 order.card_key，只在私密渠道使用",
    )
