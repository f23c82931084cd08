"""The patterns of personal data, in one place: phones, landlines, ID numbers, card keys, bank cards, e-mail,
QQ/WeChat ids, game accounts and addresses.

Three users read text for personal data and must agree on what it looks like:

- text masking for public channels (``render.mask``) uses the text patterns (``MOBILE``, ``EMAIL`` …);
- the checks of free text for secrets (``checks.secrets_in_text``) use ``GROUPED_KEY``, ``LABELLED_KEY``,
  ``LONG_RUN``, ``ID_NUMBER_LOOSE`` and ``PASSWORD``;
- reading screenshots (``ocr.fields``) reports card keys and phones with ``READ_*``;
- picture redaction (``ocr.redact``) uses ``OCR_LINE_PATTERNS`` (one OCR line at a time, with the labels
  screenshots show) plus ``LANDLINE``, ``WXID`` and ``OCR_LONG_KEY``.

The written forms of one value (full width, separators) are in ``textforms``; this module only holds patterns.
"""

from __future__ import annotations

import re

from kameng_filer.textforms import AT, DOT, SEP

# ---- text (masking for public channels) ------------------------------------------------------------

CJK = "\u4e00-\u9fff"
MUNICIPALITIES = ("北京", "上海", "天津", "重庆")
OPT_SEP = f"{SEP}?"  # one optional separator between two digits
COLON = r"\s*(?:[:：=]|是|为)?\s*"

EMAIL = re.compile(
    rf"[A-Za-z0-9][A-Za-z0-9._%+\-]*\s*{AT}\s*[A-Za-z0-9\-]+(?:\s*{DOT}\s*[A-Za-z0-9\-]+)*\s*{DOT}\s*[A-Za-z]{{2,}}",
    re.I,
)
ID_NUMBER = re.compile(rf"(?<![0-9A-Za-z])[1-9](?:{OPT_SEP}\d){{16}}{OPT_SEP}[\dXx](?![0-9A-Za-z])")
ID_OLD = re.compile(rf"(?<![0-9A-Za-z])[1-9](?:{OPT_SEP}\d){{14}}(?![0-9A-Za-z])")
CARD_DIGITS = re.compile(rf"(?<![\d])\d{{4}}(?:{SEP}\d{{4}}){{2,3}}(?:{SEP}?\d{{1,3}})?(?![\d])")
CARD_PLAIN = re.compile(r"(?<![0-9A-Za-z])\d{16,19}(?![0-9A-Za-z])")
MOBILE = re.compile(rf"(?<![\d+])(?:(?:\+|00)?8{OPT_SEP}6{SEP}?)?1{OPT_SEP}[3-9](?:{OPT_SEP}\d){{9}}(?!\d)")
LANDLINE = re.compile(
    rf"(?<![\d.])(?:[(（]0\d{{2,3}}[)）]|0\d{{2,3}}){OPT_SEP}[1-9](?:{OPT_SEP}\d){{6,7}}(?![\d])"
)
CARD_LABELLED = re.compile(
    rf"(银行卡号|银行卡|信用卡号?|卡密|卡号|密码|兑换码|激活码|充值码|CDKEY|CDK)({COLON})([A-Za-z0-9](?:{OPT_SEP}[A-Za-z0-9]){{5,}})", re.I
)
QQ = re.compile(rf"(?<![A-Za-z])(QQ号码|QQ号|QQ|扣扣号?|企鹅号)({COLON})([1-9](?:{OPT_SEP}\d){{4,11}})(?!\d)", re.I)
WECHAT = re.compile(
    rf"(?<![A-Za-z])(微信号|微信|VX号?|WX号?|V信|weixin|wechat)({COLON})"
    r"(wxid_[A-Za-z0-9_\-]{4,}|[A-Za-z][A-Za-z0-9_\-]{5,19})(?![A-Za-z0-9_\-])",
    re.I,
)
WXID = re.compile(r"(?<![A-Za-z0-9])wxid_[A-Za-z0-9_\-]{4,}")
ACCOUNT = re.compile(
    rf"(?<![A-Za-z])(游戏账号|游戏帐号|充值账号|充值帐号|账号|帐号|账户|用户名|UID|角色ID|玩家ID|用户ID)({COLON})"
    r"(?!\d{4}[-/.年])([A-Za-z0-9][A-Za-z0-9_.@\-]{3,31}+)(?![元块个次])",
    re.I,
)
CARD_GROUPS = re.compile(
    r"(?<![A-Za-z0-9\-])(?:[A-Za-z0-9]{4,8}(?:-[A-Za-z0-9]{4,8}){2,}|[A-Z0-9]{4,8}(?: [A-Z0-9]{4,8}){2,})"
    r"(?![A-Za-z0-9\-])"
)
CARD_LONG = re.compile(
    r"(?<![A-Za-z0-9])(?=[A-Za-z0-9]*[A-Za-z])(?=[A-Za-z0-9]*\d)[A-Za-z0-9]{16,}(?![A-Za-z0-9])"
)
ADDR_CH = rf"[{CJK}A-Za-z0-9#\-()()]"
ADDR_LEAD = r"(?P<lead>(?:(?:收货|联系|家庭|通讯|邮寄|居住|现)?(?:地址|住址)(?:是|为|[:：])?\s*|家住|住在|位于)?)"
ADDR_END = r"(?:\d+|号|室|栋|幢|楼|层|单元|座)(?![\d.元])"
STREET = "街道|大道|路|街|巷|弄|村|小区|大厦|镇|乡|花园|公寓|社区"
ADDRESS = re.compile(
    rf"{ADDR_LEAD}(?P<head>(?:[{CJK}]{{2,7}}?(?:省|自治区|特别行政区))?[{CJK}]{{1,7}}?(?:市|自治州|地区))"
    rf"(?P<tail>{ADDR_CH}{{0,30}}?(?:区|县|旗|{STREET}){ADDR_CH}{{0,40}}{ADDR_END})"
)
ADDRESS_DISTRICT = re.compile(
    rf"{ADDR_LEAD}(?P<head>)(?P<tail>(?![在于到从住是的和与及我你他她])[{CJK}]{{2,4}}?(?:区|县|旗)"
    rf"[{CJK}A-Za-z0-9]{{0,12}}?(?:{STREET}){ADDR_CH}{{0,40}}{ADDR_END})"
)


# ---- free-text checks (secrets written into the case's texts) -------------------------------------

GROUPED_KEY = re.compile(
    r"(?<![A-Za-z0-9])(?:[A-Za-z0-9]{4,8}(?:-[A-Za-z0-9]{4,8}){2,}|[A-Z0-9]{4,8}(?: [A-Z0-9]{4,8}){2,})"
    r"(?![A-Za-z0-9-])"
)
LABELLED_KEY = re.compile(
    r"(?:卡密|兑换码|激活码|充值码|CDKEY|CDK)\s*(?:[:：=]|是|为)?\s*(?P<value>[A-Za-z0-9](?:[ \-]?[A-Za-z0-9]){5,})",
    re.IGNORECASE,
)
LONG_RUN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{16,}(?![A-Za-z0-9])")
ID_NUMBER_LOOSE = re.compile(r"(?<![0-9A-Za-z])\d(?:[ \-]?\d){16}[ \-]?[\dXx](?![0-9A-Za-z])")
PASSWORD = re.compile(
    r"(?:支付密码|登录密码|密码|口令|password|passwd|pwd)\s*(?:是|为|:|:|=)\s*(?P<value>[^\s,,。;;、)]+)",
    re.IGNORECASE,
)


# ---- OCR lines (picture redaction) -------------------------------------------------------------------

OCR_LINE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("身份证号", re.compile(r"(?<![0-9A-Za-z])\d{6}(?:19|20)\d{2}\d{7}[\dXx](?![0-9A-Za-z])")),
    ("手机号", re.compile(r"(?<!\d)1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)|(?<!\d)1[3-9]\d\*{4}\d{4}(?!\d)")),
    ("邮箱", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")),
    ("卡密", re.compile(r"(?:卡密|卡号|密码|激活码|兑换码|CDK|cdk|CDKEY|充值码)\s*:?\s*([A-Za-z0-9][A-Za-z0-9 -]{3,63})")),
    ("卡密", re.compile(r"(?<![A-Za-z0-9])(?=[A-Za-z0-9-]*[A-Za-z])[A-Za-z0-9]{2,8}(?:-[A-Za-z0-9]{2,8}){2,7}(?![A-Za-z0-9])")),
    ("卡密", re.compile(r"(?<![A-Za-z0-9-])\d{4,6}(?:[- ]\d{4,6}){2,7}(?![A-Za-z0-9-])")),
    ("QQ/微信号", re.compile(r"(?:QQ|qq|企鹅|扣扣)\s*(?:号)?\s*:?\s*([1-9]\d{4,11})")),
    ("QQ/微信号", re.compile(r"(?:微信号|微信|wx|WX|vx|VX|V信)\s*:?\s*([A-Za-z][A-Za-z0-9_-]{5,19}|1[3-9]\d{9})")),
    ("游戏账号", re.compile(r"(?:游戏账号|充值账号|账号|帐号|角色ID|角色id|UID|uid|玩家ID)\s*:?\s*([^\s:]{3,40})")),
    ("姓名", re.compile(r"(?:收货人|联系人|姓名|真实姓名|买家姓名)\s*:?\s*([\u4e00-\u9fff]{2,4})")),
    ("住址", re.compile(r"(?:地址|收货地址|联系地址|住址)\s*:?\s*(.{4,80})")),
)

OCR_LONG_KEY = re.compile(r"(?<![A-Za-z0-9])(?=[A-Za-z0-9]*[A-Za-z])(?=[A-Za-z0-9]*\d)[A-Za-z0-9]{12,40}(?![A-Za-z0-9])")
NOT_KEY_BEFORE = re.compile(r"(?:订单号|订单编号|单号|交易号|订单|流水号)\s*:?\s*$")

READ_CARD_LABELLED = re.compile(r"(?:卡密|卡号|密码|激活码|兑换码|CDK|cdk)\s*:?\s*([A-Za-z0-9][A-Za-z0-9-]{5,63})")
"""``kameng read``: a card key after its label (reported as a secret field, never put into a draft)."""
READ_CARD_GROUPS = re.compile(r"(?<![A-Za-z0-9])([A-Za-z0-9]{2,6}(?:-[A-Za-z0-9]{3,6}){2,7})(?![A-Za-z0-9])")
READ_PHONE = re.compile(r"(?<!\d)(1[3-9]\d{9})(?!\d)")

CARD_KEY_LABELS = frozenset({"卡密", "卡号", "密码", "激活码", "兑换码", "CDK", "cdk", "CDKEY", "充值码"})
"""Labels after which a screenshot shows a card key (its value may be in the next OCR box)."""
_VALUE_LABEL = (
    r"(?P<label>(?<!记)密码|卡密|卡号|激活码|兑换码|CDKEY|CDK|cdk|充值码|手机号?|联系电话|电话|身份证号?|"
    r"QQ|qq|微信号?|游戏账号|充值账号|账号|UID|uid)\s*(?:号码)?\s*:?\s*"
)
VALUE_LABEL_AT_END = re.compile(_VALUE_LABEL + "$")
PARTIAL_VALUE_AT_END = re.compile(_VALUE_LABEL + r"(?P<value>[A-Za-z0-9][A-Za-z0-9 -]*)$")
"""An OCR box that ends with a label and nothing after it (its value is in the next box), or with a label
and the first part of its value (``PARTIAL_VALUE_AT_END``)."""
CONTINUED_VALUE = re.compile(r"^\s*([A-Za-z0-9@_][A-Za-z0-9@_. -]{1,63}?)(?=\s*$|\s*[^A-Za-z0-9@_. -])")
"""The letters/digits that start an OCR box (the rest of a value split from the box before)."""
