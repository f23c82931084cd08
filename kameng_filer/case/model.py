"""The case record: one dispute, written once (pydantic models; the example's fields are the contract)."""

from __future__ import annotations

import difflib
import os
import re
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PrivateAttr,
)
from pydantic_core import PydanticCustomError

from kameng_filer.case.containment import Refusal, evidence_refusal, real_folder, real_path, written_path
from kameng_filer.errors import CaseInvalid
from kameng_filer.textforms import normalise
from kameng_filer.timeutil import as_shanghai

MAX_QUANTITY = 1_000_000
"""More than a million items in one virtual-goods order is a typo."""
MAX_AMOUNT = Decimal("100000000")
"""Amounts of 100 million yuan or more are typos for a virtual-goods order (and overflow nothing)."""


class ProblemType(StrEnum):
    """Problem families from domain.md (三明确 ①). Values are the YAML spelling."""

    # 交易类
    not_delivered = "not_delivered"
    quantity_mismatch = "quantity_mismatch"
    invalid_card_key = "invalid_card_key"
    short_validity = "short_validity"
    not_as_described = "not_as_described"
    auto_renewal = "auto_renewal"
    delayed_delivery = "delayed_delivery"
    merchant_vanished = "merchant_vanished"
    # 服务类
    false_promise = "false_promise"
    refund_refused = "refund_refused"
    no_response = "no_response"
    membership_not_activated = "membership_not_activated"
    # 安全类
    account_stolen = "account_stolen"
    data_leak = "data_leak"
    abnormal_transaction = "abnormal_transaction"
    other = "other"


PROBLEM_LABELS: dict[ProblemType, str] = {
    ProblemType.not_delivered: "充值/商品未到账",
    ProblemType.quantity_mismatch: "到账数量不符",
    ProblemType.invalid_card_key: "卡密无效/已被使用",
    ProblemType.short_validity: "卡密有效期过短",
    ProblemType.not_as_described: "货不对板（与描述不符）",
    ProblemType.auto_renewal: "自动续费未告知扣款",
    ProblemType.delayed_delivery: "延迟发货",
    ProblemType.merchant_vanished: "商家失联/跑路",
    ProblemType.false_promise: "虚假承诺",
    ProblemType.refund_refused: "售后推诿/拒绝退款",
    ProblemType.no_response: "客服不回复",
    ProblemType.membership_not_activated: "会员权益未开通",
    ProblemType.account_stolen: "账号被盗/盗刷",
    ProblemType.data_leak: "个人信息泄露",
    ProblemType.abnormal_transaction: "交易记录异常",
    ProblemType.other: "其他",
}

PROBLEM_SYNONYMS: dict[str, ProblemType] = {
    # common English spellings
    "card_key_used": ProblemType.invalid_card_key,
    "used_card_key": ProblemType.invalid_card_key,
    "card_key_invalid": ProblemType.invalid_card_key,
    "invalid_key": ProblemType.invalid_card_key,
    "invalid_code": ProblemType.invalid_card_key,
    "key_used": ProblemType.invalid_card_key,
    "merchant_unreachable": ProblemType.merchant_vanished,
    "merchant_gone": ProblemType.merchant_vanished,
    "seller_vanished": ProblemType.merchant_vanished,
    "seller_unreachable": ProblemType.merchant_vanished,
    "not_received": ProblemType.not_delivered,
    "undelivered": ProblemType.not_delivered,
    "auto_renew": ProblemType.auto_renewal,
    "subscription": ProblemType.auto_renewal,
    "refund_denied": ProblemType.refund_refused,
    "no_refund": ProblemType.refund_refused,
    "late_delivery": ProblemType.delayed_delivery,
    "wrong_quantity": ProblemType.quantity_mismatch,
    "account_hacked": ProblemType.account_stolen,
    "privacy_leak": ProblemType.data_leak,
    "false_advertising": ProblemType.false_promise,
    # Chinese words people use
    "卡密无效": ProblemType.invalid_card_key,
    "卡密已使用": ProblemType.invalid_card_key,
    "卡密已被使用": ProblemType.invalid_card_key,
    "卡密错误": ProblemType.invalid_card_key,
    "无法兑换": ProblemType.invalid_card_key,
    "未到账": ProblemType.not_delivered,
    "没到账": ProblemType.not_delivered,
    "未发货": ProblemType.not_delivered,
    "数量不符": ProblemType.quantity_mismatch,
    "少到账": ProblemType.quantity_mismatch,
    "有效期过短": ProblemType.short_validity,
    "货不对板": ProblemType.not_as_described,
    "与描述不符": ProblemType.not_as_described,
    "自动续费": ProblemType.auto_renewal,
    "自动扣款": ProblemType.auto_renewal,
    "延迟发货": ProblemType.delayed_delivery,
    "商家失联": ProblemType.merchant_vanished,
    "商家跑路": ProblemType.merchant_vanished,
    "跑路": ProblemType.merchant_vanished,
    "虚假承诺": ProblemType.false_promise,
    "虚假宣传": ProblemType.false_promise,
    "拒绝退款": ProblemType.refund_refused,
    "售后推诿": ProblemType.refund_refused,
    "客服不回复": ProblemType.no_response,
    "会员未开通": ProblemType.membership_not_activated,
    "账号被盗": ProblemType.account_stolen,
    "盗刷": ProblemType.account_stolen,
    "信息泄露": ProblemType.data_leak,
    "个人信息泄露": ProblemType.data_leak,
    "交易异常": ProblemType.abnormal_transaction,
    "其他": ProblemType.other,
}
"""Problem types as people write them: the Chinese labels and common synonyms (docs/case-format.md)."""


def _type_key(value: str) -> str:
    return re.sub(r"[\s\-]+", "_", value.strip()).lower()


def _problem_type(value: Any) -> Any:
    """A problem type id, Chinese label or synonym → the id (unknown values are left to the enum check)."""
    if not isinstance(value, str):
        return value
    key = _type_key(value)
    if key in ProblemType.__members__:
        return key
    labels = {lab: t for t, lab in PROBLEM_LABELS.items()}
    for part_label, t in list(labels.items()):
        for part in re.split(r"[/()()]", part_label):
            if part:
                labels.setdefault(part, t)
    hit = PROBLEM_SYNONYMS.get(key) or labels.get(value.strip())
    return hit.value if hit is not None else value


def closest_problem_type(value: str) -> ProblemType | None:
    """The problem type closest to an unrecognised spelling (by id, label or synonym), or None."""
    key = _type_key(str(value))
    names: dict[str, ProblemType] = {t.value: t for t in ProblemType}
    names.update(PROBLEM_SYNONYMS)
    names.update({lab: t for t, lab in PROBLEM_LABELS.items()})
    for name, t in names.items():
        if name in key or (len(key) >= 2 and key in name):
            return t
    best = difflib.get_close_matches(key, list(names), n=1, cutoff=0.5)
    return names[best[0]] if best else None


PROBLEM_FAMILY: dict[ProblemType, str] = {
    **{
        t: "交易类"
        for t in (
            ProblemType.not_delivered,
            ProblemType.quantity_mismatch,
            ProblemType.invalid_card_key,
            ProblemType.short_validity,
            ProblemType.not_as_described,
            ProblemType.auto_renewal,
            ProblemType.delayed_delivery,
            ProblemType.merchant_vanished,
        )
    },
    **{
        t: "服务类"
        for t in (
            ProblemType.false_promise,
            ProblemType.refund_refused,
            ProblemType.no_response,
            ProblemType.membership_not_activated,
        )
    },
    **{
        t: "安全类"
        for t in (ProblemType.account_stolen, ProblemType.data_leak, ProblemType.abnormal_transaction)
    },
    ProblemType.other: "其他",
}


class PaymentMethod(StrEnum):
    """How the order was paid."""

    alipay = "alipay"
    wechat_pay = "wechat_pay"
    bank_card = "bank_card"
    balance = "balance"
    other = "other"


class ContactWith(StrEnum):
    """Who the person talked to before complaining."""

    merchant = "merchant"
    platform_support = "platform_support"
    payment = "payment"
    other = "other"


class EvidenceKind(StrEnum):
    """What a piece of evidence proves (evidence chain: order + communication + problem)."""

    order_info = "order_info"
    payment_proof = "payment_proof"
    communication = "communication"
    problem_proof = "problem_proof"
    promise = "promise"
    other = "other"


class DemandType(StrEnum):
    """What the person asks for."""

    refund = "refund"
    redeliver = "redeliver"
    compensation = "compensation"
    punitive_damages = "punitive_damages"
    apology = "apology"
    other = "other"


def _yuan(value: Any) -> Any:
    if isinstance(value, bool):
        raise PydanticCustomError("amount_invalid", "金额应当是数字")
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, str):
        value = value.strip().removeprefix("¥").removeprefix("￥").removesuffix("元").strip()
    return value


def _money(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise PydanticCustomError("amount_invalid", "金额应当是有限的数字")
    if value < 0:
        raise PydanticCustomError("amount_negative", "金额不能为负")
    if value >= MAX_AMOUNT:
        raise PydanticCustomError(
            "amount_too_large", "金额过大（应小于 {limit} 元）", {"limit": f"{MAX_AMOUNT:,}"}
        )
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


Yuan = Annotated[
    Decimal,
    BeforeValidator(_yuan),
    AfterValidator(_money),
    PlainSerializer(lambda v: f"{v:.2f}", return_type=str, when_used="json"),
]


def _to_text(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    return value


Text = Annotated[str, BeforeValidator(_to_text)]


def _shanghai(value: datetime) -> datetime:
    try:
        return as_shanghai(value)
    except OverflowError:
        raise PydanticCustomError("date_out_of_range", "日期超出可用范围") from None


_CN_TIME = re.compile(
    r"(\d{4})\s*[年/.\-]\s*(\d{1,2})\s*[月/.\-]\s*(\d{1,2})\s*[日号]?"
    r"(?:\s*[T\s]?\s*(\d{1,2})\s*[:：时点]\s*(?:(\d{1,2})\s*分?)?(?:\s*[:：]?\s*(\d{1,2})\s*秒?)?)?"
)


def _people_time(value: Any) -> Any:
    """Times as people write them: ``2026/11/05 21:13``, ``2026年11月5日 21:13``, ``2026.11.5 21时13分``."""
    if not isinstance(value, str):
        return value
    m = _CN_TIME.fullmatch(normalise(value).strip())
    if m is None:
        return value
    y, mo, d, h, mi, sec = (int(g) if g else 0 for g in m.groups())
    try:
        return datetime(y, mo, d, h, mi, sec)
    except ValueError:
        return value


ShanghaiTime = Annotated[datetime, BeforeValidator(_people_time), AfterValidator(_shanghai)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", str_strip_whitespace=True, use_enum_values=False)


class Complainant(_Model):
    """投诉人."""

    name: Text = Field(min_length=1, description="真实姓名")
    phone: Text = Field(min_length=1, description="手机号")
    email: Text | None = None
    address: Text | None = Field(None, description="联系地址（12315 必填）")
    id_number: Text | None = Field(None, description="身份证号（仅在渠道要求时使用）")


class Merchant(_Model):
    """The seller on the platform."""

    name: Text | None = None
    shop_id: Text | None = None
    shop_url: Text | None = None


class Respondent(_Model):
    """被投诉方."""

    platform: Text = Field(min_length=1, description="平台名称（用户熟知的名字）")
    legal_name: Text | None = Field(None, description="平台经营主体全称（12315/消协/法院）")
    credit_code: Text | None = Field(None, description="统一社会信用代码")
    address: Text | None = Field(None, description="经营地址（12315 必填）")
    website: Text | None = None
    phone: Text | None = None
    email: Text | None = Field(None, description="平台投诉邮箱")
    merchant: Merchant | None = None


class Payment(_Model):
    """How the order was paid."""

    method: PaymentMethod
    transaction_no: Text | None = Field(None, description="支付宝交易号 / 微信支付单号")


class Order(_Model):
    """The disputed order."""

    order_no: Text = Field(min_length=1, description="订单号")
    product: Text = Field(min_length=1, description="商品名称")
    quantity: int = Field(1, ge=1, le=MAX_QUANTITY)
    amount: Yuan = Field(description="实付金额（元）")
    ordered_at: ShanghaiTime | None = None
    paid_at: ShanghaiTime | None = None
    payment: Payment | None = None
    promise: Text | None = Field(None, description="商家的承诺（可选）")
    account: Text | None = Field(None, description="充值的游戏账号（可选）")
    card_key: Text | None = Field(None, description="卡密（敏感，只在私密渠道使用）")


class Problem(_Model):
    """三明确 ①: the specific problem."""

    type: Annotated[ProblemType, BeforeValidator(_problem_type)]
    summary: Text = Field(min_length=1)
    discovered_at: ShanghaiTime | None = None


class TimelineEntry(_Model):
    """One dated event."""

    at: ShanghaiTime
    event: Text = Field(min_length=1)


class Contact(_Model):
    """Prior contact with the merchant, platform support or payment provider."""

    at: ShanghaiTime
    with_: ContactWith = Field(alias="with")
    channel: Text | None = None
    summary: Text = Field(min_length=1)
    evidence: list[Text] = Field(default_factory=list)

    model_config = ConfigDict(extra="allow", populate_by_name=True, str_strip_whitespace=True)


class Evidence(_Model):
    """One evidence file; ``file`` is relative to the case file."""

    id: Text = Field(min_length=1)
    kind: EvidenceKind
    file: Text = Field(min_length=1)
    description: Text = Field(min_length=1)

    _resolved: Path | None = PrivateAttr(default=None)
    _real: Path | None = PrivateAttr(default=None)
    _refusal: Refusal | None = PrivateAttr(default=None)
    _refused: Path | None = PrivateAttr(default=None)
    _origin: Path | None = PrivateAttr(default=None)

    @property
    def path(self) -> Path:
        """The evidence file's absolute path (resolved against the case file's folder).

        Raises ``CaseInvalid`` when the file lies outside the case folder (see ``containment``), so
        no command can read it; a path set later (the stored copy of the evidence) is not refused.
        """
        resolved = self._resolved if self._resolved is not None else Path(self.file)
        if self._refusal is not None and resolved == self._refused:
            raise CaseInvalid(f"证据「{self.id}」：{self._refusal.message}", hint=self._refusal.hint)
        return resolved

    @property
    def real_path(self) -> Path:
        """Where the file really is (symlinks resolved), for showing in plans and confirmations."""
        if self._origin is not None:
            return self._origin
        if self._resolved is not None and self._resolved != self._refused:
            return Path(os.path.realpath(self._resolved))
        return self._real if self._real is not None else Path(os.path.realpath(self.file))

    def came_from(self, real: Path) -> None:
        """Remember where this (stored) evidence's file was read from, for ``real_path``."""
        self._origin = real

    @property
    def refusal(self) -> Refusal | None:
        """Why this evidence may not be read (outside the case folder), or None."""
        return self._refusal if self._resolved == self._refused else None


class Demand(_Model):
    """诉求: concrete and executable."""

    type: DemandType
    amount: Yuan | None = None
    quantity: int | None = Field(None, ge=1, le=MAX_QUANTITY)
    to: Text | None = None
    note: Text | None = None


class Rule(_Model):
    """A platform rule or law that supports the demand."""

    source: Text = Field(min_length=1)
    article: Text | None = None
    text: Text = Field(min_length=1)


class PlatformPolicy(_Model):
    """The platform's own limits."""

    complaint_window: timedelta | None = Field(None, description="ISO 8601 时长，如 P7D")
    window_starts: str = Field("paid_at", description="窗口起点：paid_at | ordered_at | discovered_at")


class Case(_Model):
    """One dispute, the single source every check, text and filing comes from."""

    id: Text = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    title: Text = Field(min_length=1)
    complainant: Complainant
    respondent: Respondent
    order: Order
    problem: Problem
    timeline: list[TimelineEntry] = Field(default_factory=list)
    contacts: list[Contact] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    demands: list[Demand] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    platform_policy: PlatformPolicy | None = None
    auto_escalate: bool = Field(False, description="允许跟踪器自动提交升级投诉")
    allow_outside: list[Text] = Field(
        default_factory=list,
        description="允许读取证据的案件文件夹以外的文件夹（绝对路径；系统目录和 ~/.ssh 等始终拒绝）",
    )
    policies: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="按渠道覆盖期限策略（键为渠道名或 card_platform@站点，值的格式同 schedules/*.yaml，见 docs/deadlines.md）",
    )

    texts: dict[str, dict[str, dict[str, Text]]] = Field(
        default_factory=dict,
        description="本人改写的渠道文本：渠道 → 用途 → 字段 → 文本，代替自动生成的文本（kameng ui 的“改写文本”，见 docs/ui.md）",
    )

    _base_dir: Path | None = PrivateAttr(default=None)
    _source: Path | None = PrivateAttr(default=None)

    @property
    def base_dir(self) -> Path:
        """Folder that evidence paths are relative to."""
        return self._base_dir or Path.cwd()

    @property
    def source(self) -> Path | None:
        """The case file this record was loaded from, if any."""
        return self._source

    def bind(self, source: Path | None, base_dir: Path) -> Case:
        """Remember where the case came from and resolve evidence paths against ``base_dir``."""
        self._source = source
        self._base_dir = base_dir
        case_dir = real_folder(base_dir) if self.evidence else base_dir
        for ev in self.evidence:
            p = written_path(base_dir, ev.file)
            ev._resolved = p
            ev._real = real_path(base_dir, ev.file)
            ev._refusal = evidence_refusal(
                base_dir, ev.file, self.allow_outside, real=ev._real, case_dir=case_dir
            )
            ev._refused = p if ev._refusal is not None else None
        return self

    def evidence_by_id(self, evidence_id: str) -> Evidence | None:
        """The evidence item with this id, or None."""
        return next((e for e in self.evidence if e.id == evidence_id), None)

    @property
    def refund_amount(self) -> Decimal | None:
        """Sum of refund demands, or None when no refund is asked."""
        amounts = [d.amount for d in self.demands if d.type == DemandType.refund and d.amount is not None]
        return sum(amounts, Decimal("0.00")) if amounts else None

    @property
    def total_demand(self) -> Decimal:
        """Sum of every demand amount."""
        return sum((d.amount for d in self.demands if d.amount is not None), Decimal("0.00"))
