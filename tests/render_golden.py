"""Golden complaint texts: every channel × purpose × context for the example cases and stressed variants.

``tests/test_render_stable.py`` compares today's output with ``tests/data/render_golden.json`` byte for
byte, so a speed-up of the renderer (``kameng_filer.render``) cannot change a single character.

Regenerate the golden file (only when a template or the renderer changes the texts on purpose, after
reading the diff)::

    .venv/bin/python -m tests.render_golden
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "data" / "render_golden.json"
CASES = {"first": ROOT / "examples" / "case.yaml", "second": ROOT / "examples" / "second" / "case.yaml"}
CHANNELS = ("card_platform", "email", "alipay", "wechat_pay", "12315", "consumer_association", "heimao")


def _long_summary(raw: dict) -> None:
    raw["problem"]["summary"] = (
        "支付成功后点券一直未到账,商家先以“系统延迟”为由拖延,随后又称需要人工审核,"
        "多次催促后仍未处理,订单状态始终为待发货,本人已按平台规则提交退款申请但无人受理"
    )


def _huge_summary(raw: dict) -> None:
    raw["problem"]["summary"] = "商家收款后一直未发货并拒绝退款," * 80


def _busy(raw: dict) -> None:
    raw["timeline"] = [
        {
            "at": f"2026-11-{2 + i // 6:02d}T{9 + i % 6:02d}:10:00",
            "event": f"第{i + 1}次查看订单,仍显示待发货",
        }
        for i in range(18)
    ]
    raw["contacts"] = [
        {
            "at": f"2026-11-{2 + i // 4:02d}T{10 + i % 4:02d}:20:00",
            "with": ("merchant", "platform_support", "payment", "other")[i % 4],
            "channel": "站内消息",
            "summary": f"第{i + 1}次联系,对方称正在处理,请耐心等待",
        }
        for i in range(10)
    ]


def _rules(raw: dict) -> None:
    raw["rules"] = [
        {
            "source": f"《星辰卡盟交易规则{i}》",
            "article": f"第{i}.{i}条",
            "text": "商品超过约定时限未交付的,用户可申请全额退款," * 3,
        }
        for i in range(1, 5)
    ]


def _personal(raw: dict) -> None:
    raw["problem"]["summary"] = (
        "商家要我把身份证号110101199003074514和电话13800138000、邮箱zhangsan@example.com发给他,"
        "又让我联系0571-88886666,地址写北京市朝阳区望京街道某小区3号楼502,卡密ABCD-EFGH-IJKL-MNOP无效"
    )
    raw["order"]["card_key"] = "ABCD1234EFGH5678"
    raw["order"]["account"] = "player_zhangsan"
    raw["timeline"].append(
        {"at": "2026-11-02T18:00:00", "event": "商家发来卡号 AB12CD34EF56GH78JK 仍无法使用"}
    )


def _punitive(raw: dict) -> None:
    raw["problem"]["type"] = "false_promise"
    raw["demands"].append({"type": "punitive_damages", "amount": "500.00"})
    raw["demands"].append({"type": "apology"})


def _bare(raw: dict) -> None:
    for key in ("rules", "contacts", "timeline"):
        raw.pop(key, None)
    raw["order"].pop("promise", None)
    raw["respondent"].pop("merchant", None)


def _long_product(raw: dict) -> None:
    raw["order"]["product"] = "王者荣耀点券 1000点 限时特惠 全区全服通用 自动充值 秒到账 " * 3
    raw["order"]["quantity"] = 3


VARIANTS: dict[str, tuple[str, Callable[[dict], None] | None]] = {
    "first": ("first", None),
    "second": ("second", None),
    "first-long-summary": ("first", _long_summary),
    "second-long-summary": ("second", _long_summary),
    "first-huge-summary": ("first", _huge_summary),
    "first-busy": ("first", _busy),
    "second-busy": ("second", _busy),
    "first-rules": ("first", _rules),
    "first-personal": ("first", _personal),
    "second-punitive": ("second", _punitive),
    "first-bare": ("first", _bare),
    "second-long-product": ("second", _long_product),
}


def _contexts() -> dict[str, Any]:
    from kameng_filer.render import RenderContext

    return {
        "none": None,
        "number": RenderContext(complaint_no="TK261102153012ED3448BA"),
        "full": RenderContext(
            prior_channel="卡盟平台工单/投诉",
            complaint_no="TK261102153012ED3448BA",
            filed_at=datetime(2026, 11, 2, 18, 0),
            last_status="处理中",
            result="商家称已发货,不予退款",
            result_at=datetime(2026, 11, 5, 10, 0),
            reason="商家提供的发货记录与游戏内充值记录不符,电话13800138000可联系本人",
        ),
    }


def load_variant(name: str) -> Any:
    """The ``Case`` of one variant (the example case changed by the variant's mutation)."""
    base, mutate = VARIANTS[name]
    return load_mutated(CASES[base], mutate, name)


def load_mutated(path: Path, mutate: Callable[[dict], None] | None, name: str = "") -> Any:
    """The ``Case`` of the case file at ``path`` changed by ``mutate(raw)`` before validation."""
    from kameng_filer.case.loader import parse_text, validate

    raw = parse_text(path.read_text(encoding="utf-8"))
    if mutate is not None:
        raw = copy.deepcopy(raw)
        mutate(raw)
    result = validate(raw, source=None, base_dir=path.parent, lines=None)
    assert result.case is not None, (name, result.findings)
    return result.case


def paid_through(case: Any, channel: str) -> Any:
    """``case`` paid through ``channel`` when that is a payment channel (it refuses other payments)."""
    from kameng_filer.case.model import Payment, PaymentMethod

    if channel not in ("alipay", "wechat_pay") or (case.order.payment and case.order.payment.method == channel):
        return case
    payment = Payment(method=PaymentMethod(channel), transaction_no="4200001234202611020000000001")
    return case.model_copy(update={"order": case.order.model_copy(update={"payment": payment})})


def _outcome(call: Callable[[], Any]) -> Any:
    from kameng_filer.errors import RenderError

    try:
        out = call()
    except RenderError as exc:
        return {"error": exc.message, "field": exc.field}
    return {"fields": out.fields, "dropped": out.dropped}


def dump() -> dict[str, Any]:
    """Every outcome of every variant × context × purpose × channel, fitted and unfitted (``|nofit``).

    ``render_all`` must give exactly what ``render`` gives channel by channel: the key ``…|all`` holds
    ``"same"`` when it does, else what differed. A payment channel renders the case as paid through it
    (``render_all`` is compared on the channels the case itself was paid for).
    """
    from kameng_filer.render import PURPOSES, render

    data: dict[str, Any] = {}
    for variant in VARIANTS:
        case = load_variant(variant)
        for cname, ctx in _contexts().items():
            for purpose in PURPOSES:
                head = f"{variant}|{cname}|{purpose}"
                for channel in CHANNELS:
                    own = paid_through(case, channel)
                    data[f"{head}|{channel}"] = _outcome(partial(render, own, channel, purpose, ctx))
                    data[f"{head}|{channel}|nofit"] = _outcome(
                        partial(render, own, channel, purpose, ctx, fit=False)
                    )
                usable = tuple(c for c in CHANNELS if paid_through(case, c) is case)
                every = _outcome(partial(_every, case, purpose, ctx, usable))
                if "error" in every:
                    first_error = next(
                        data[f"{head}|{c}"] for c in usable if "error" in data[f"{head}|{c}"]
                    )
                    data[f"{head}|all"] = "same" if every == first_error else every
                else:
                    alone = {c: data[f"{head}|{c}"] for c in usable}
                    data[f"{head}|all"] = "same" if every["fields"] == alone else every
    return data


class _All:
    """``render_all``'s result shaped like one ``RenderedText`` for ``_outcome``."""

    def __init__(self, texts: dict[str, Any]) -> None:
        self.fields = {n: {"fields": t.fields, "dropped": t.dropped} for n, t in texts.items()}
        self.dropped: dict[str, Any] = {}


def _every(case: Any, purpose: str, ctx: Any, channels: tuple[str, ...]) -> _All:
    from kameng_filer.render import render_all

    return _All(render_all(case, purpose, channels, ctx))


def digest(outcome: Any) -> str:
    """The first 24 hex digits of the SHA-256 of an outcome's canonical JSON."""
    blob = json.dumps(outcome, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:24]


def golden(data: dict[str, Any]) -> dict[str, Any]:
    """The stored form: the full texts of the two unchanged example cases, a digest for everything."""
    texts = {k: v for k, v in data.items() if k.split("|")[0] in CASES and not k.endswith(("|nofit", "|all"))}
    return {"texts": texts, "digests": {k: digest(v) for k, v in data.items()}}


def main() -> int:
    """Write the golden file from the current renderer (a fresh, empty data folder: built-in templates).

    ``--full PATH`` writes every outcome in full instead (for comparing two versions by hand).
    """
    os.environ["KAMENG_HOME"] = tempfile.mkdtemp(prefix="kameng-golden-")
    args = sys.argv[1:]
    full = bool(args) and args[0] == "--full"
    target = Path(args[1]) if full else GOLDEN
    data = dump()
    target.parent.mkdir(parents=True, exist_ok=True)
    out = data if full else golden(data)
    target.write_text(json.dumps(out, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
