"""Complaint texts: every channel × purpose, limits, fitting, masking, overrides, evidence index, CLI."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kameng_filer import paths, registry
from kameng_filer.case import Case, load_case
from kameng_filer.case.loader import parse_text, validate
from kameng_filer.case.model import Payment, PaymentMethod
from kameng_filer.errors import AdapterNotFound, RenderError
from kameng_filer.render import (
    DROP_ORDER,
    PURPOSES,
    RenderContext,
    drop_order,
    mask_fields,
    mask_text,
    render,
    render_all,
    render_evidence_index,
)
from kameng_filer.render.env import environment
from kameng_filer.render.filters import bjtime, money, monthday
from kameng_filer.render.mask import (
    id_checksum_ok,
    mask_address,
    mask_card_key,
    mask_email,
    mask_patterns,
    mask_phone,
)
from kameng_filer.render.purposes import offered

KAMENG = Path(sys.executable).parent / "kameng"
CHANNELS = ("card_platform", "email", "alipay", "wechat_pay", "12315", "consumer_association", "heimao")
EMOTIONAL = ("骗子", "垃圾", "无良", "黑心", "坑人", "骗人", "奸商", "黑店", "流氓", "无耻")
NARRATIVE = {
    "card_platform": "content",
    "email": "body",
    "alipay": "content",
    "wechat_pay": "detail",
    "12315": "content",
    "consumer_association": "facts",
    "heimao": "description",
}
FULL_CONTEXT = RenderContext(
    prior_channel="卡盟平台工单/投诉",
    complaint_no="TK261102153012ED3448BA",
    filed_at=datetime(2026, 11, 2, 18, 0),
    last_status="处理中",
    result="商家称已发货，不予退款",
    result_at=datetime(2026, 11, 5, 10, 0),
)


def _valid_id(prefix17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return prefix17 + "10X98765432"[sum(int(c) * w for c, w in zip(prefix17, weights, strict=True)) % 11]


def _case(case_path: Path, mutate: Any = None) -> Case:
    """The example case (from its tmp copy), optionally changed by ``mutate(raw)`` before validation."""
    raw = parse_text(case_path.read_text(encoding="utf-8"))
    if mutate is not None:
        raw = copy.deepcopy(raw)
        mutate(raw)
    result = validate(raw, source=None, base_dir=case_path.parent, lines=None)
    assert result.case is not None, result.findings
    return result.case


@pytest.fixture
def case(example_case: Path) -> Case:
    return _case(example_case)


def _paid_for(case: Case, channel: str) -> Case:
    """``case`` paid through ``channel`` when that is a payment channel (it takes only its own payments)."""
    if channel not in ("alipay", "wechat_pay"):
        return case
    payment = Payment(method=PaymentMethod(channel), transaction_no="4200001234202611020000000001")
    return case.model_copy(update={"order": case.order.model_copy(update={"payment": payment})})


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[。?!])|\n", text) if s.strip()]


# --- every channel × purpose ---------------------------------------------------------------


def test_registry_has_the_seven_channels() -> None:
    assert set(CHANNELS) <= set(registry.names())


def test_environment_is_strict() -> None:
    env = environment()
    assert env.undefined is jinja2.StrictUndefined
    assert environment() is env  # cached


@pytest.mark.parametrize("context", [None, FULL_CONTEXT], ids=["no-prior", "prior"])
@pytest.mark.parametrize("purpose", PURPOSES)
@pytest.mark.parametrize("channel", CHANNELS)
def test_every_text_renders_within_limits_with_order_and_facts(
    case: Case, channel: str, purpose: str, context: RenderContext | None
) -> None:
    spec = registry.spec(channel)
    case = _paid_for(case, channel)
    if not offered(channel, purpose):
        with pytest.raises(RenderError, match="没有“复核”程序"):
            render(case, channel, purpose, context)
        return
    out = render(case, channel, purpose, context)
    assert out.channel == channel and out.purpose == purpose
    assert list(out.fields) == [f.name for f in spec.rendered_fields]
    assert out.fields, "every channel has rendered fields"
    for fs in spec.rendered_fields:
        text = out.fields[fs.name]
        assert fs.check_text(text) is None, (fs.name, len(text))
        assert case.order.order_no in text, fs.name
        assert "充值/商品未到账" in text or "点券一直未到账" in text, fs.name
        assert not any(w in text for w in EMOTIONAL), fs.name
        assert "None" not in text and "{{" not in text and "{%" not in text
        if fs.kind != "textarea":
            assert "\n" not in text
    story = out.fields[NARRATIVE[channel]]
    assert "支付成功后点券一直未到账，商家以“系统延迟”为由拖延" in story
    assert "100.00元" in story
    assert "全额退款100.00元至原支付账户" in story or channel in ("12315", "consumer_association")


def test_complaint_cites_rules_law_and_lists_evidence(case: Case) -> None:
    body = render(case, "email", "complaint").fields["body"]
    subject = render(case, "email", "complaint").fields["subject"]
    assert subject == "订单KM20261102150012-充值/商品未到账，附支付凭证等4项证据"
    assert "2026年11月2日 15:00" in body  # time + event + demand
    assert "《星辰卡盟用户协议》第5.3条" in body
    assert "《电子商务法》第20条" in body  # non-delivery → e-commerce law art. 20
    assert "补偿10.00元（延迟发货补偿）" in body
    for ev in case.evidence:
        assert ev.description.split(",")[0] in body
        assert ev.path.name in body
    assert body.index("【诉求】") > body.index("【经过】")


def test_punitive_demand_cites_article_55(example_case: Path) -> None:
    def mutate(raw: dict) -> None:
        raw["problem"]["type"] = "false_promise"
        raw["demands"].append({"type": "punitive_damages", "amount": "500.00"})

    out = render(_case(example_case, mutate), "12315", "complaint")
    assert "《消费者权益保护法》第55条" in out.fields["content"]
    assert "依据《消费者权益保护法》第55条赔偿500.00元" in out.fields["request"]


def test_wechat_detail_at_most_300(case: Case) -> None:
    for purpose in ("complaint", "follow_up", "escalation"):
        detail = render(_paid_for(case, "wechat_pay"), "wechat_pay", purpose, FULL_CONTEXT).fields["detail"]
        assert 1 <= len(detail) <= 300


def test_12315_three_parts(case: Case) -> None:
    spec = registry.spec("12315")
    respondent = spec.field("respondent_name")
    assert not respondent.rendered and respondent.source == "respondent.legal_name"
    assert {f.name for f in spec.rendered_fields} == {"request", "content"}
    for purpose in ("complaint", "follow_up", "escalation"):
        out = render(case, "12315", purpose, FULL_CONTEXT)
        request, content = out.fields["request"], out.fields["content"]
        assert request.startswith("就订单KM20261102150012（充值/商品未到账），请求被投诉方：")
        assert "1. 全额退款100.00元至原支付账户；2. 补偿10.00元（延迟发货补偿）。" in request
        assert "星辰网络科技有限公司" in content
        assert "【理由】" in content
    content = render(case, "12315", "complaint").fields["content"]
    assert "【事实】" in content and "【证据】" in content
    assert content.index("【事实】") < content.index("【理由】") < content.index("【证据】")


def test_follow_up_without_prior_filing_invents_nothing(case: Case) -> None:
    text = render(case, "alipay", "follow_up").fields["content"]
    assert text.startswith("您好，我的投诉（订单KM20261102150012）已提交，想了解进展是否有更新？")
    assert "投诉编号" not in text and "目前显示" not in text and "月" not in text.split("?")[0]


def test_follow_up_escalation_review_use_the_earlier_filing(case: Case) -> None:
    follow = render(case, "card_platform", "follow_up", FULL_CONTEXT).fields["content"]
    assert follow.startswith(
        "您好，我的投诉（订单KM20261102150012，投诉编号TK261102153012ED3448BA）于11月2日"
        "通过平台客服工单提交，目前显示“处理中”，想了解进展是否有更新？"
    )
    esc = render(case, "email", "escalation", FULL_CONTEXT).fields["body"]
    assert (
        "处理结果为“商家称已发货，不予退款”，我认为不符合《星辰卡盟用户协议》第5.3条的规定，现申请升级复核。"
        in esc
    )
    assert "请调取原投诉记录（投诉编号TK261102153012ED3448BA）" in esc
    review = render(case, "email", "review", FULL_CONTEXT).fields["body"]
    assert (
        "您好，本人通过平台客服工单就订单KM20261102150012提出的投诉（投诉编号TK261102153012ED3448BA），"
        "于2026年11月5日收到处理结果“商家称已发货，不予退款”" in review
    )
    assert "现申请复核" in review


def test_escalation_without_prior_filing_is_neutral(case: Case) -> None:
    esc = render(case, "card_platform", "escalation").fields["content"]
    assert "处理结果为" not in esc and "投诉编号" not in esc
    assert "本人就订单KM20261102150012的下述问题，依据《星辰卡盟用户协议》第5.3条" in esc


def test_render_all_matches_render(case: Case) -> None:
    every = render_all(case)
    assert set(every) == set(registry.names()) - {"wechat_pay"}  # an Alipay-paid order
    for name, out in every.items():
        assert out.fields == render(case, name).fields


def test_unknown_channel_and_purpose(case: Case) -> None:
    with pytest.raises(AdapterNotFound, match="未知渠道"):
        render(case, "no_such_channel")
    with pytest.raises(RenderError, match="未知的文本用途"):
        render(case, "email", "threat")


# --- fitting --------------------------------------------------------------------------------


def _long_timeline(n: int) -> Any:
    def mutate(raw: dict) -> None:
        raw["timeline"] = [
            {
                "at": f"2026-11-{3 + i // 24:02d}T{i % 24:02d}:10:00",
                "event": f"第{i + 1}次查看游戏内点券余额，仍为12，没有充值记录，商家未回复消息",
            }
            for i in range(n)
        ]

    return mutate


def test_fitting_drops_evidence_before_facts_and_never_cuts_a_sentence(example_case: Path) -> None:
    case = _case(example_case, _long_timeline(150))
    out = render(case, "card_platform", "complaint")
    text = out.fields["content"]
    assert len(text) <= 5000
    gone = out.dropped["content"]
    assert "evidence" in gone and "timeline" in gone
    assert gone.index("evidence") < gone.index("timeline")
    assert gone == [p for p in drop_order("card_platform") if p in gone]  # in the declared order
    assert "【证据】" not in text
    assert case.order.order_no in text and "支付成功后点券一直未到账" in text
    assert "全额退款100.00元至原支付账户" in text
    full = render(case, "card_platform", "complaint", fit=False).fields["content"]
    assert len(full) > 5000
    full_sentences = set(_sentences(full))
    for sentence in _sentences(text):
        assert sentence in full_sentences, sentence


def test_fitting_short_field_keeps_core(example_case: Path) -> None:
    case = _paid_for(_case(example_case, _long_timeline(40)), "wechat_pay")
    out = render(case, "wechat_pay", "complaint")
    detail = out.fields["detail"]
    assert len(detail) <= 300
    assert "timeline" in out.dropped["detail"]
    assert "KM20261102150012" in detail and "100.00元" in detail
    assert detail.endswith("。")
    full_sentences = set(_sentences(render(case, "wechat_pay", "complaint", fit=False).fields["detail"]))
    assert all(s in full_sentences for s in _sentences(detail))


def test_dropped_lists_only_parts_that_changed_the_text(case: Case) -> None:
    out = render(case, "alipay", "complaint")
    gone = out.dropped["content"]
    assert "closing" not in gone and "evidence" not in gone  # the compact text has neither
    assert set(gone) <= set(DROP_ORDER)
    assert "email" not in render(case, "email", "complaint").dropped


def test_long_summary_is_shortened_and_impossible_fit_names_the_field(example_case: Path) -> None:
    def mutate(raw: dict) -> None:
        raw["problem"]["summary"] = "支付成功后点券一直未到账。" * 30

    case = _paid_for(_case(example_case, mutate), "wechat_pay")
    out = render(case, "wechat_pay", "complaint")  # fitting shortens the summary instead of failing
    assert len(out.fields["detail"]) <= 300 and out.dropped["detail"][-1] == "summary"
    assert "全额退款100.00元至原支付账户" in out.fields["detail"]  # the demand is never cut
    assert render(case, "email", "complaint").fields["body"].count("支付成功后点券一直未到账") == 30

    def mutate_demand(raw: dict) -> None:
        raw["demands"][1]["note"] = "延迟发货给本人造成的损失" * 30  # a demand is never shortened

    with pytest.raises(RenderError) as info:
        render(_paid_for(_case(example_case, mutate_demand), "wechat_pay"), "wechat_pay", "complaint")
    assert info.value.field == "detail"
    assert "投诉详情" in info.value.message and "300" in info.value.message


# --- masking for the public channel ---------------------------------------------------------

ID_NUMBER = _valid_id("11010519900307123")
CARD_KEY = "XK9D7Q2MPL8Z44TTAB12"
OTHER_ID = _valid_id("44030419851120456")


def _personal(raw: dict) -> None:
    raw["complainant"]["id_number"] = ID_NUMBER
    raw["order"]["card_key"] = CARD_KEY
    raw["order"]["account"] = "qq88776655"
    raw["problem"]["summary"] = (
        f"支付成功后点券一直未到账，卡密{CARD_KEY}兑换失败，商家以“系统延迟”为由拖延；"
        f"我的电话13800138000，邮箱zhangsan@example.com，身份证{ID_NUMBER}"
    )
    raw["timeline"].append(
        {
            "at": "2026-11-02T18:00:00",
            "event": "商家要求把卡密寄到北京市朝阳区望京街道某小区3号楼502，并留电话13800138000",
        }
    )
    raw["timeline"].append(
        {
            "at": "2026-11-02T18:05:00",
            "event": f"客服让我联系另一位买家 13912345678 或 lisi@qq.com，对方身份证{OTHER_ID},"
            "地址浙江省杭州市余杭区文一西路969号3幢201室，卡密 ABCD-EFGH-1234-5678",
        }
    )
    raw["contacts"][0]["summary"] = "询问到账情况，并提供账号qq88776655，商家称系统延迟"
    raw["evidence"][1]["description"] = "支付宝账单详情，付款人手机13800138000"


def test_heimao_texts_contain_no_personal_data(example_case: Path) -> None:
    case = _case(example_case, _personal)
    secrets = (
        "13800138000",
        "zhangsan@example.com",
        "望京街道",
        "3号楼502",
        ID_NUMBER,
        CARD_KEY,
        "13912345678",
        "lisi@qq.com",
        OTHER_ID,
        "文一西路969号",
        "ABCD-EFGH-1234-5678",
        "qq88776655",
    )
    for purpose in ("complaint", "follow_up", "escalation"):
        for context in (None, FULL_CONTEXT):
            out = render(case, "heimao", purpose, context)
            for name, text in out.fields.items():
                for secret in secrets:
                    assert secret not in text, (purpose, name, secret)
                assert case.order.order_no in text
    description = render(case, "heimao", "complaint").fields["description"]
    assert "138****8000" in description and "z***@example.com" in description
    assert "北京市***" in description and "浙江省杭州市***" in description
    assert "****AB12" in description and "XK9D" not in description and "110***********" + ID_NUMBER[-4:] in description
    assert "139****5678" in description and "l***@qq.com" in description


def test_private_channels_keep_contact_but_never_the_full_card_key(example_case: Path) -> None:
    def mutate(raw: dict) -> None:
        raw["order"]["card_key"] = CARD_KEY
        raw["problem"]["type"] = "invalid_card_key"

    case = _case(example_case, mutate)
    body = render(case, "email", "complaint").fields["body"]
    assert CARD_KEY not in body and "涉及卡密（只显示末尾几位）：****AB12" in body
    assert "13800138000" in body  # e-mail to the platform is private: contact details stay
    assert "《消费者权益保护法》第24条" in body


def test_mask_fields_masks_only_public_channels(example_case: Path) -> None:
    case = _case(example_case, _personal)
    values = {
        "target": "星辰卡盟",
        "note": "联系电话13800138000",
        "tags": ["邮箱 zhangsan@example.com"],
        "amount": 100,
    }
    masked = mask_fields(case, registry.spec("heimao"), values)
    assert masked == {
        "target": "星辰卡盟",
        "note": "联系电话138****8000",
        "tags": ["邮箱 z***@example.com"],
        "amount": 100,
    }
    assert mask_fields(case, registry.spec("email"), values) == values


def test_mask_helpers() -> None:
    assert mask_phone("13800138000") == "138****8000"
    assert mask_phone("+86 138-0013-8000") == "138****8000"
    assert mask_phone("0571-88886666") == "0571-****6666"
    assert mask_email("zhangsan@example.com") == "z***@example.com"
    assert mask_address("北京市朝阳区望京街道某小区3号楼502") == "北京市***"
    assert mask_address("浙江省杭州市余杭区某路88号") == "浙江省杭州市***"
    assert mask_address("广西壮族自治区南宁市青秀区民族大道1号") == "广西壮族自治区南宁市***"
    assert mask_card_key("ABCD1234EFGH5678") == "****5678"  # at most the last 4
    assert id_checksum_ok(ID_NUMBER) and not id_checksum_ok(
        ID_NUMBER[:-1] + ("0" if ID_NUMBER[-1] != "0" else "1")
    )
    wrong = ID_NUMBER[:-1] + ("0" if ID_NUMBER[-1] != "0" else "1")
    assert mask_patterns(f"编号{wrong}") == f"编号110***********{wrong[-4:]}"  # a mistyped check digit is still an ID
    assert mask_patterns(f"身份证{ID_NUMBER}") == f"身份证110***********{ID_NUMBER[-4:]}"
    assert mask_patterns("在杭州市的网吧充值100元") == "在杭州市的网吧充值100元"
    assert mask_patterns("密码:abc123456") == "密码:****56"


def test_mask_text_keeps_the_case_identifiers(case: Case) -> None:
    text = (
        "订单KM20261102150012，交易号2026110222001400000000001234，信用代码91330100MA2XXXXXXX，电话13800138000"
    )
    masked = mask_text(text, case)
    assert "KM20261102150012" in masked and "2026110222001400000000001234" in masked
    assert "91330100MA2XXXXXXX" in masked and "138****8000" in masked
    assert "****0012" in mask_text(text)  # without the case, a long code looks like a card key


# --- user template overrides ----------------------------------------------------------------


def test_user_template_overrides_builtin(case: Case, kameng_home: Path) -> None:
    folder = paths.user_templates_dir() / "card_platform"
    folder.mkdir(parents=True)
    (folder / "complaint.j2").write_text(
        "{% block title %}自定义标题 订单{{ f.order_no }}{% endblock %}\n"
        "{% block content %}自定义正文：订单{{ f.order_no }},{{ f.summary }}，金额{{ f.amount|money }}。{% endblock %}\n",
        encoding="utf-8",
    )
    assert paths.user_templates_dir().is_relative_to(kameng_home)
    out = render(case, "card_platform")
    assert out.fields["title"] == "自定义标题 订单KM20261102150012"
    assert out.fields["content"].startswith("自定义正文：订单KM20261102150012，支付成功后")
    assert render(case, "email").fields["subject"].startswith("订单KM20261102150012-")  # others untouched


def test_user_template_can_extend_the_builtin_and_replace_one_block(case: Case) -> None:
    builtin = render(case, "heimao")
    folder = paths.user_templates_dir() / "heimao"
    folder.mkdir(parents=True)
    (folder / "complaint.j2").write_text(
        '{% extends "builtin/heimao/complaint.j2" %}\n'
        "{% block title %}{{ f.platform }}订单{{ f.order_no }}未到账，电话13800138000{% endblock %}\n",
        encoding="utf-8",
    )
    out = render(case, "heimao")
    assert out.fields["title"] == "星辰卡盟订单KM20261102150012未到账，电话138****8000"  # still masked
    assert out.fields["description"] == builtin.fields["description"]


def test_user_macros_override_is_used(case: Case) -> None:
    common = paths.user_templates_dir() / "_common"
    common.mkdir(parents=True)
    builtin = (Path(__file__).resolve().parent.parent / "templates" / "_common" / "macros.j2").read_text(
        "utf-8"
    )
    (common / "macros.j2").write_text(
        builtin.replace('title="基本情况"', 'title="订单情况"'), encoding="utf-8"
    )
    assert "【订单情况】" in render(case, "email").fields["body"]


@pytest.mark.parametrize(
    ("source", "needle"),
    [
        (
            "{% block title %}订单{{ f.order_no }}{{ no_such_variable }}{% endblock %}{% block content %}x{% endblock %}",
            "不存在的变量",
        ),
        ("{% block title %}订单{{ f.order_no }}{% endblock %}", "缺少字段「content」"),
        ("{% block title %}{% if %}{% endblock %}", "语法错误"),
        (
            "{% block title %}订单{{ f.order_no }}{% if show.not_a_part %}x{% endif %}{% endblock %}"
            "{% block content %}订单{{ f.order_no }}正文内容足够长的一段文字。{% endblock %}",
            "不存在的变量",
        ),
    ],
)
def test_broken_user_template_gives_render_error(case: Case, source: str, needle: str) -> None:
    folder = paths.user_templates_dir() / "card_platform"
    folder.mkdir(parents=True)
    (folder / "complaint.j2").write_text(source, encoding="utf-8")
    with pytest.raises(RenderError, match=needle):
        render(case, "card_platform")


def test_user_template_too_short_for_min_len(case: Case) -> None:
    folder = paths.user_templates_dir() / "card_platform"
    folder.mkdir(parents=True)
    (folder / "complaint.j2").write_text(
        "{% block title %}短{% endblock %}{% block content %}订单正文内容。{% endblock %}"
    )
    with pytest.raises(RenderError) as info:
        render(case, "card_platform")
    assert info.value.field == "title" and "至少 4 个字" in info.value.message


# --- filters and the evidence index --------------------------------------------------------


def test_filters() -> None:
    assert money(Decimal("100")) == "100.00元"
    assert money(Decimal("9.5")) == "9.50元"
    assert bjtime(datetime(2026, 11, 2, 7, 0, tzinfo=UTC)) == "2026年11月2日 15:00"
    assert monthday(datetime(2026, 11, 2, 15, 0)) == "11月2日"


def test_evidence_index_with_hashes_and_sizes(case: Case) -> None:
    hashes = {ev.id: hashlib.sha256(ev.path.read_bytes()).hexdigest() for ev in case.evidence}
    text = render_evidence_index(case, hashes)
    assert text.startswith("# 证据清单")
    assert "KM20261102150012" in text and "共 4 项" in text
    for n, ev in enumerate(case.evidence, start=1):
        line = next(ln for ln in text.splitlines() if ln.startswith(f"| {n} | {ev.id} |"))
        assert ev.path.name in line and hashes[ev.id] in line
        assert ev.description in line
        size = ev.path.stat().st_size
        assert (f"{size} B" if size < 1024 else f"{size / 1024:.1f} KB") in line
    plain = render_evidence_index(case)
    assert "SHA-256" not in plain and "| 1 | order | 订单信息 |" in plain


def test_evidence_index_marks_missing_files(example_case: Path) -> None:
    case = _case(example_case)
    case.evidence[0].path.unlink()
    assert "文件缺失" in render_evidence_index(case)


# --- CLI -------------------------------------------------------------------------------------


def _kameng(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(KAMENG), *args], capture_output=True, text=True, timeout=120, check=False)


def test_cli_json_shape(example_case: Path) -> None:
    proc = _kameng("render", str(example_case), "--channel", "12315", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) == {"channel", "purpose", "fields"}
    assert data["channel"] == "12315" and data["purpose"] == "complaint"
    assert set(data["fields"]) == {"request", "content"}
    assert data["fields"] == render(load_case(example_case).case, "12315").fields


def test_cli_panels_and_context_options(example_case: Path) -> None:
    proc = _kameng(
        "render", str(example_case), "-c", "alipay", "-p", "review",
        "--prior-channel", "alipay", "--result", "商家拒绝退款", "--result-at", "2026-11-05T10:00",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "问题描述(content)" in proc.stdout and "/ 上限 200" in proc.stdout
    assert "为符合字数上限已省略" in proc.stdout
    proc = _kameng("render", str(example_case), "-c", "card_platform", "-p", "follow_up", "--json",
                   "--complaint-no", "TK1", "--filed-at", "2026-11-02T18:00", "--status", "处理中")  # fmt: skip
    content = json.loads(proc.stdout)["fields"]["content"]
    assert "投诉编号TK1）于11月2日提交，目前显示“处理中”" in content


def test_cli_errors(example_case: Path, tmp_path: Path) -> None:
    proc = _kameng("render", str(example_case), "--channel", "nope")
    assert proc.returncode == 1 and "未知渠道" in proc.stderr and "Traceback" not in proc.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: x\ntitle: t\norder: {order_no: A1}\n", encoding="utf-8")
    proc = _kameng("render", str(broken), "--channel", "email", "--json")
    assert proc.returncode == 1 and "complainant" in proc.stderr and proc.stdout == ""
    proc = _kameng("render", str(tmp_path / "missing.yaml"), "--channel", "email")
    assert proc.returncode == 2 and "找不到案件文件" in proc.stderr
    proc = _kameng("render", str(example_case), "--channel", "email", "--filed-at", "yesterday")
    assert proc.returncode == 2 and "--filed-at" in proc.stderr


# --- sparse and fuzzed cases -----------------------------------------------------------------


def _sparse(raw: dict) -> None:
    for key in ("timeline", "contacts", "evidence", "demands", "rules", "platform_policy"):
        raw.pop(key, None)
    raw["respondent"] = {"platform": "某卡盟"}
    raw["complainant"] = {"name": "李四", "phone": "13912345678"}
    for key in ("payment", "promise", "ordered_at", "paid_at"):
        raw["order"].pop(key, None)
    raw["problem"] = {"type": "other", "summary": "购买的会员卡无法登录使用"}


@pytest.mark.parametrize("channel", CHANNELS)
def test_sparse_case_renders_every_purpose_without_inventing(example_case: Path, channel: str) -> None:
    case = _case(example_case, _sparse)
    for purpose in filter(lambda p: offered(channel, p), PURPOSES):
        out = render(case, channel, purpose)
        for fs in registry.spec(channel).rendered_fields:
            text = out.fields[fs.name]
            assert fs.check_text(text) is None
            assert case.order.order_no in text
            assert "None" not in text and "元至原支付账户" not in text
            assert "《" not in text  # no rule and no law for “other”: nothing is cited


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    summary=st.text(min_size=1, max_size=400).filter(lambda s: s.strip()),
    events=st.lists(st.text(min_size=1, max_size=120).filter(lambda s: s.strip()), max_size=12),
    product=st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40
    ).filter(lambda s: s.strip()),
    amount=st.decimals(min_value=0, max_value=100000, places=2, allow_nan=False),
)
def test_fuzzed_case_texts_fit_or_raise_render_error(
    example_case: Path, summary: str, events: list[str], product: str, amount: Decimal
) -> None:
    def mutate(raw: dict) -> None:
        raw["problem"]["summary"] = summary
        raw["order"]["product"] = product
        raw["order"]["amount"] = str(amount)
        raw["timeline"] = [{"at": f"2026-11-02T{10 + i}:00:00", "event": e} for i, e in enumerate(events)]

    raw = parse_text(example_case.read_text(encoding="utf-8"))
    mutate(raw)
    result = validate(raw, source=None, base_dir=example_case.parent, lines=None)
    if result.case is None:  # e.g. whitespace-only text after stripping: the loader reports it
        return
    for channel in CHANNELS:
        spec = registry.spec(channel)
        try:
            out = render(_paid_for(result.case, channel), channel)
        except RenderError as exc:
            assert exc.field in {f.name for f in spec.rendered_fields}
            continue
        for fs in spec.rendered_fields:
            assert fs.check_text(out.fields[fs.name]) is None


def test_broken_user_macros_give_render_error(case: Case) -> None:
    common = paths.user_templates_dir() / "_common"
    common.mkdir(parents=True)
    (common / "macros.j2").write_text("{% macro subject(f, show) %}{{ f.order_no }}{% endmacro %}{{ 1 / 0 }}")
    with pytest.raises(RenderError, match=r"_common/macros\.j2"):
        render(case, "email")
