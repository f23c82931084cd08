"""Texts an expert would sign (issue 14): every channel × purpose × realistic case, as text or as refusal.

Property checks over every rendered text: Chinese prose punctuation is full-width, no internal id or
tool label leaks into a text, a purpose a channel does not offer is refused with the real next step,
and fitting succeeds by shortening. Cases: the two example cases and realistic variants of them
(auto-renewal, vanished merchant, dead card key against “概不退换”, a person's own text with ASCII
punctuation, a long reason, a glued rule citation).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any

import pytest

from kameng_filer import registry
from kameng_filer.case import Case
from kameng_filer.errors import RenderError
from kameng_filer.render import PURPOSES, RenderContext, render
from kameng_filer.render.punct import fullwidth_prose
from kameng_filer.render.purposes import offered
from tests import render_golden

EXAMPLES = render_golden.CASES
CHANNELS = ("card_platform", "email", "alipay", "wechat_pay", "12315", "consumer_association", "heimao")
PRIOR = RenderContext(
    prior_channel="卡盟平台工单/投诉",
    complaint_no="TK261102153012ED3448BA",
    filed_at=datetime(2026, 11, 2, 18, 0),
    last_status="处理中",
    result="商家称已发货,不予退款",
    result_at=datetime(2026, 11, 5, 10, 0),
    reason="商家提供的发货记录与游戏内充值记录不符,平台客服只转述商家说法,没有核实游戏方的充值流水",
)
CONTEXTS = {"none": None, "prior": PRIOR}

_CJK = r"[\u3400-\u9fff]"
ASCII_BETWEEN_CHINESE = re.compile(rf"{_CJK}\s*[,:;()]\s*{_CJK}|{_CJK}\s*[,;(]|[;)]\s*{_CJK}")
"""An ASCII comma/colon/semicolon/bracket between two Chinese characters, or leaning on one."""
INTERNAL = re.compile(
    r"card_platform|wechat_pay|consumer_association|heimao|gov12315|unit_province|unit_city|"
    r"\bseed\s*\d|卡盟平台工单/投诉|「[^」]*(?:工单|投诉)[^」]*」|\bNone\b|\{\{|\{%"
)
"""Channel ids, field ids, seed numbers, the tool's own channel labels, template leftovers."""


def _auto_renewal(raw: dict) -> None:
    raw["title"] = "视频会员自动续费未提醒"
    raw["order"].update(
        product="某视频会员连续包月", amount="1.00", ordered_at="2026-07-05T10:00:00", paid_at="2026-07-05T10:00:30"
    )
    raw["order"]["promise"] = "开通页写“首月1元，可随时取消”"
    raw["problem"] = {
        "type": "auto_renewal",
        "summary": "7月5日支付1元开通首月会员后，8月至10月每月被自动扣款30元，扣款前没有任何提醒",
        "discovered_at": "2026-10-06T09:00:00",
    }
    raw["timeline"] = [{"at": "2026-07-05T10:00:30", "event": "支付1元开通首月会员"}] + [
        {"at": f"2026-{m:02d}-05T03:00:00", "event": "自动续费扣款30元，扣款前未收到任何提醒"} for m in (8, 9, 10)
    ]
    raw["contacts"] = [
        {"at": "2026-10-06T09:30:00", "with": "merchant", "channel": "在线客服", "summary": "要求退还三次扣款，客服称开通即同意自动续费"}
    ]
    raw["demands"] = [{"type": "refund", "amount": "90.00", "to": "original_payment", "note": "退还三次自动续费扣款"}]


def _vanished(raw: dict) -> None:
    raw["problem"] = {"type": "merchant_vanished", "summary": "付款后店铺关闭,商家的联系方式全部失效"}


def _dead_key(raw: dict) -> None:
    raw["problem"] = {
        "type": "invalid_card_key",
        "summary": "收到的卡密兑换时提示已被使用,商家称“卡密发出后概不退换”",
    }


def _ascii_person(raw: dict) -> None:
    raw["problem"]["summary"] = "支付成功后点券一直未到账(已等3天);商家说:系统延迟,让我再等等"
    raw["timeline"][1]["event"] = "商家回复:系统延迟,半小时内到账(未兑现)"


def _glued_rule(raw: dict) -> None:
    raw["rules"] = [
        {"source": "商品页承诺", "article": "商品标题", "text": "秒到账,超时包退"},
        {"source": "《电子商务法》", "article": "第20条", "text": "应当按照承诺的时限交付商品"},
    ]


def _wholesale(raw: dict) -> None:
    raw["order"].update(product="王者荣耀点券 100点（批发）", quantity=60, amount="600.00")
    raw["demands"][0]["amount"] = "600.00"
    raw["problem"]["summary"] = "批发购买的60份点券付款后一直未到账，商家以“系统延迟”为由拖延"


def _minor(raw: dict) -> None:
    raw["complainant"]["name"] = "李四"
    raw["problem"] = {
        "type": "other",
        "summary": "本人的孩子（12岁）未经同意用本人支付宝充值100元购买点券，本人作为监护人申请退还",
    }


def _seller_fraud(raw: dict) -> None:
    _dead_key(raw)
    raw["demands"].append({"type": "punitive_damages", "amount": "564.00"})


def _bank_card(raw: dict) -> None:
    raw["order"]["payment"] = {"method": "bank_card"}


VARIANTS: dict[str, tuple[str, Callable[[dict], None] | None]] = {
    "first": ("first", None),
    "second": ("second", None),
    "auto-renewal": ("first", _auto_renewal),
    "vanished": ("first", _vanished),
    "dead-key": ("second", _dead_key),
    "ascii-person": ("first", _ascii_person),
    "glued-rule": ("first", _glued_rule),
    "wholesale": ("first", _wholesale),
    "minor": ("first", _minor),
    "seller-fraud": ("second", _seller_fraud),
    "bank-card": ("first", _bank_card),
}


PAID_WITH = {"alipay": "alipay", "wechat_pay": "wechat_pay"}
"""Payment channels and the payment method each one takes."""


def _paid_with(method: str) -> Callable[[dict], None]:
    def mutate(raw: dict) -> None:
        number = "4200001234202611020000000001" if method == "wechat_pay" else "2026110222001400000000001234"
        raw["order"]["payment"] = {"method": method, "transaction_no": number}

    return mutate


@cache
def _case(name: str, method: str | None = None) -> Case:
    base, mutate = VARIANTS[name]

    def both(raw: dict) -> None:
        if mutate is not None:
            mutate(raw)
        if method is not None:
            _paid_with(method)(raw)

    return render_golden.load_mutated(EXAMPLES[base], both, f"{name}-{method}")


def _method(case: Case) -> str | None:
    return case.order.payment.method.value if case.order.payment else None


def _outcomes() -> list[tuple[str, str, str, str, Any]]:
    """(variant, context, purpose, channel, text or refusal); payment channels also see the case paid through them."""
    out = []
    for variant in VARIANTS:
        for cname, ctx in CONTEXTS.items():
            for purpose in PURPOSES:
                for channel in CHANNELS:
                    cases = [(variant, _case(variant))]
                    if channel in PAID_WITH and _method(cases[0][1]) != PAID_WITH[channel]:
                        cases.append((f"{variant}+{channel}", _case(variant, PAID_WITH[channel])))
                    for name, case in cases:
                        try:
                            result: Any = render(case, channel, purpose, ctx)
                        except RenderError as exc:
                            result = exc
                        out.append((name, cname, purpose, channel, result))
    return out


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str, str, str, Any]]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KAMENG_HOME", str(tmp_path_factory.mktemp("kameng-texts")))
        return _outcomes()


def _texts(outcomes: list) -> list[tuple[str, str]]:
    return [
        (f"{v}|{c}|{p}|{ch}|{name}", text)
        for v, c, p, ch, out in outcomes
        if not isinstance(out, RenderError)
        for name, text in out.fields.items()
    ]


def _paid_through(variant: str, channel: str) -> bool:
    if channel not in PAID_WITH or variant.endswith(f"+{channel}"):
        return True
    return _method(_case(variant)) == PAID_WITH[channel]


def test_every_offered_purpose_renders_and_the_others_are_refused(outcomes: list) -> None:
    for variant, cname, purpose, channel, out in outcomes:
        where = (variant, cname, purpose, channel)
        if not offered(channel, purpose):
            assert isinstance(out, RenderError) and "没有“复核”程序" in out.message, where
            assert out.hint and "--purpose" in out.hint, where
        elif not _paid_through(variant, channel):
            assert isinstance(out, RenderError) and "只受理通过它付款的交易" in out.message, where
            assert out.hint and "投诉" in out.hint, where
        else:
            assert not isinstance(out, RenderError), (where, getattr(out, "message", ""))
            for fs in registry.spec(channel).rendered_fields:
                assert fs.check_text(out.fields[fs.name]) is None, (where, fs.name)


def test_chinese_prose_uses_full_width_punctuation(outcomes: list) -> None:
    bad = [(k, m.group()) for k, t in _texts(outcomes) for m in ASCII_BETWEEN_CHINESE.finditer(t)]
    assert not bad, bad[:10]


def test_no_internal_id_or_tool_label_in_any_text(outcomes: list) -> None:
    bad = [(k, m.group()) for k, t in _texts(outcomes) for m in INTERNAL.finditer(t)]
    assert not bad, bad[:10]


def test_review_never_renders_where_there_is_no_review(outcomes: list) -> None:
    for _, _, _, channel, out in outcomes:
        if channel in ("12315", "consumer_association", "heimao", "wechat_pay") and not isinstance(
            out, RenderError
        ):
            assert not any("申请复核" in t for t in out.fields.values()), channel


@pytest.mark.parametrize(
    ("channel", "step"),
    [
        ("12315", "行政复议"),
        ("12315", "人民法院起诉"),
        ("consumer_association", "支持起诉"),
        ("heimao", "补充投诉"),
        ("wechat_pay", "申请平台介入"),
    ],
)
def test_refusal_names_the_real_next_step(channel: str, step: str) -> None:
    with pytest.raises(RenderError) as info:
        render(_case("first"), channel, "review", PRIOR)
    assert step in info.value.hint


def test_12315_follow_up_is_a_supplement_not_a_progress_question() -> None:
    content = render(_case("first"), "12315", "follow_up", PRIOR).fields["content"]
    assert "现补充说明如下" in content and "进展" not in content
    assert content.startswith("本人已通过平台客服工单就订单KM20261102150012提交投诉")


def test_prior_channel_is_named_in_prose() -> None:
    for channel, field in (("email", "body"), ("card_platform", "content")):
        text = render(_case("first"), channel, "review", PRIOR).fields[field]
        assert "本人通过平台客服工单就订单KM20261102150012提出的投诉" in text
        assert "「" not in text


def test_alipay_escalation_with_a_realistic_reason_fits_by_shortening() -> None:
    out = render(_case("first"), "alipay", "escalation", PRIOR)
    content = out.fields["content"]
    assert len(content) <= 200 and out.dropped["content"][-1] == "summary"
    assert "全额退款100.00元至原支付账户" in content and content.endswith("。")
    for purpose in ("complaint", "follow_up", "escalation", "review"):
        assert len(render(_case("second", "alipay"), "alipay", purpose, PRIOR).fields["content"]) <= 200


def test_the_persons_ascii_punctuation_is_written_full_width() -> None:
    body = render(_case("ascii-person"), "email", "complaint").fields["body"]
    assert "点券一直未到账（已等3天）；商家说：系统延迟，让我再等等。" in body
    assert "商家回复：系统延迟，半小时内到账（未兑现）" in body


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("订单号KM123,通过支付宝实付100.00元(支付宝交易号2026)。", "订单号KM123，通过支付宝实付100.00元（支付宝交易号2026）。"),
        ("时间:09:20 联系商家;商家称(已发货)", "时间：09:20 联系商家；商家称（已发货）"),
        ("价格1,200元", "价格1,200元"),
        ("see (Steam, Inc.) https://a.example/x?y=1", "see (Steam, Inc.) https://a.example/x?y=1"),
        ("卡密无效!为什么?", "卡密无效！为什么？"),
        ("理由: 商家拒绝", "理由：商家拒绝"),
    ],
)
def test_fullwidth_prose(raw: str, expected: str) -> None:
    assert fullwidth_prose(raw) == expected


# --- facts cross-checked and citations merged (issue 14 items 3, 6, 8) ------------------------------


def test_rule_source_and_article_are_not_glued_and_each_citation_is_cited_once() -> None:
    content = render(_case("glued-rule"), "12315", "complaint").fields["content"]
    assert "商品页承诺（商品标题）" in content and "商品页承诺商品标题" not in content
    assert content.count("《电子商务法》第20条") == 1  # the person's rule cites the built-in article


def test_dead_key_cites_unfair_terms_law_not_the_delivery_article() -> None:
    body = render(_case("dead-key"), "email", "complaint").fields["body"]
    assert "《电子商务法》第51条" not in body  # helps the seller in a dead-key dispute
    for cite in ("《消费者权益保护法》第26条", "《民法典》第497条", "《电子商务法》第49条", "《消费者权益保护法》第48条"):
        assert cite in body, cite
    assert body.count("2014年3月15日起施行") == 1  # the version once per regulation


def test_auto_renewal_cites_the_implementing_regulation() -> None:
    content = render(_case("auto-renewal"), "12315", "complaint").fields["content"]
    assert "《消费者权益保护法实施条例》第10条（2024年7月1日起施行）" in content
    assert "《网络交易监督管理办法》第18条（2021年5月1日起施行）" in content


def test_an_event_in_timeline_and_contacts_is_printed_once() -> None:
    body = render(_case("second"), "email", "complaint").fields["body"]
    assert body.count("09:20") == 1, body
    assert "通过店铺客服联系商家" in body


@pytest.mark.parametrize("variant", ["first", "vanished"])
def test_plan_prints_no_seed_numbers_or_internal_words(variant: str) -> None:
    import json

    from kameng_filer.planner import plan_channels

    def no_contacts(raw: dict) -> None:
        raw["contacts"] = []
        raw["evidence"] = [e for e in raw["evidence"] if e["kind"] != "communication"]

    case = render_golden.load_mutated(EXAMPLES["first"], no_contacts) if variant == "first" else _case(variant)
    plan = json.dumps(plan_channels(case, now=datetime(2026, 11, 3, 10, 0)).to_dict(), ensure_ascii=False)
    assert not re.search(r"seed\s*\d", plan), plan


def test_the_in_platform_seller_is_named_and_the_platform_asked_to_disclose_it() -> None:
    content = render(_case("dead-key"), "12315", "complaint").fields["content"]
    assert "入驻商户“极速点卡店”交付的卡密无法正常使用" in content
    assert "被投诉方交付的卡密" not in content  # the respondent is the platform, not the seller
    assert "真实名称、地址和有效联系方式" in content and "先行赔偿" in content


# --- a payment channel takes only orders paid through it (issue 14 item 5) -------------------------


@pytest.mark.parametrize(
    ("variant", "method", "channel", "paid", "route"),
    [
        ("first", None, "wechat_pay", "用支付宝付款", "--channel alipay"),
        ("second", None, "alipay", "用微信支付付款", "--channel wechat_pay"),
        ("first", "bank_card", "alipay", "用银行卡付款", "发卡银行"),
        ("first", "bank_card", "wechat_pay", "用银行卡付款", "发卡银行"),
        ("first", "balance", "alipay", "用平台余额付款", "--channel card_platform"),
    ],
)
def test_payment_channel_for_another_payment_method_is_refused(
    variant: str, method: str | None, channel: str, paid: str, route: str
) -> None:
    for purpose in PURPOSES:
        with pytest.raises(RenderError) as info:
            render(_case(variant, method), channel, purpose, PRIOR)
        if offered(channel, purpose):
            assert paid in info.value.message and "只受理通过它付款的交易" in info.value.message
            assert route in (info.value.hint or "")


# --- art. 55 aimed at the seller, only with evidence of fraud (issue 14 item 2) --------------------


def _punitive(raw: dict) -> None:
    raw["demands"].append({"type": "punitive_damages", "amount": "500.00"})


def _used_key_punitive(raw: dict) -> None:
    _dead_key(raw)
    _punitive(raw)


@pytest.mark.parametrize("channel", CHANNELS)
def test_punitive_damages_without_evidence_of_fraud_stay_out_of_the_texts(channel: str) -> None:
    case = render_golden.load_mutated(EXAMPLES["first"], _punitive)
    if channel == "wechat_pay":
        case = render_golden.paid_through(case, channel)
    for text in render(case, channel, "complaint").fields.values():
        assert "第55条" not in text and "惩罚性赔偿" not in text, (channel, text)


@pytest.mark.parametrize("channel", ["12315", "email", "consumer_association", "heimao", "card_platform"])
def test_punitive_damages_with_evidence_of_fraud_are_claimed_from_the_seller(channel: str) -> None:
    case = render_golden.load_mutated(EXAMPLES["second"], _used_key_punitive)
    text = "\n".join(render(case, channel, "complaint").fields.values())
    assert "由入驻商户“极速点卡店”依据《消费者权益保护法》第55条赔偿500.00元" in text, text
    assert "被投诉方依据《消费者权益保护法》第55条" not in text


def test_the_fraud_grounds_are_evidence_not_the_demand() -> None:
    from kameng_filer.render.fraud import case_fraud_grounds

    assert case_fraud_grounds(render_golden.load_mutated(EXAMPLES["first"], _punitive)) == ()
    assert case_fraud_grounds(_case("vanished")) == ("商家收款后失联",)
    assert "售出前已被使用" in case_fraud_grounds(_case("dead-key"))[0]

    def no_proof(raw: dict) -> None:
        _dead_key(raw)
        raw["evidence"] = [e for e in raw["evidence"] if e["kind"] != "problem_proof"]

    assert case_fraud_grounds(render_golden.load_mutated(EXAMPLES["second"], no_proof)) == ()


# --- properties over every rendered text (issue 14 "How it is judged") ----------------------------


def test_no_text_holds_an_emotional_word_or_a_vague_demand(outcomes: list) -> None:
    from kameng_filer.checks.lexicon import load_lexicon

    lex = load_lexicon()
    bad = [
        (k, words)
        for k, t in _texts(outcomes)
        for section in ("emotional", "vague_demands")
        if (words := lex.find(section, t))
    ]
    assert not bad, bad[:5]


def test_every_problem_family_is_in_the_golden_set() -> None:
    families = {_case(v).problem.type.value for v in VARIANTS}
    assert {"auto_renewal", "merchant_vanished", "invalid_card_key", "not_delivered"} <= families
    assert {"wholesale", "minor", "seller-fraud", "bank-card"} <= set(VARIANTS)


def test_a_bank_card_order_gets_no_payment_channel_text(outcomes: list) -> None:
    for variant, _, purpose, channel, out in outcomes:
        if variant == "bank-card" and channel in PAID_WITH and offered(channel, purpose):
            assert isinstance(out, RenderError) and "用银行卡付款" in out.message
            assert "发卡银行" in (out.hint or "")


def test_the_seller_is_at_fault_and_pays_the_punitive_damages() -> None:
    content = render(_case("seller-fraud"), "12315", "complaint").fields
    request, text = content["request"], content["content"]
    assert "由入驻商户“极速点卡店”依据《消费者权益保护法》第55条赔偿564.00元" in request
    assert "入驻商户“极速点卡店”交付的卡密无法正常使用" in text and "先行赔偿" in text
