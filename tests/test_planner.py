"""The channel plan: one case per rule of domain.md "Choosing channels", and the ``kameng plan --json`` shape."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import EXAMPLE_CASE

from kameng_filer.case.model import Case
from kameng_filer.planner import ChannelPlan, plan_channels
from kameng_filer.timeutil import parse_iso

NOW = parse_iso("2026-11-03T10:00:00")
KAMENG = Path(sys.executable).parent / "kameng"
RAW: dict[str, Any] = yaml.safe_load(EXAMPLE_CASE.read_text(encoding="utf-8"))


def make(change: Callable[[dict[str, Any]], None] | None = None) -> Case:
    """The example case with ``change`` applied to its raw data."""
    raw = copy.deepcopy(RAW)
    if change:
        change(raw)
    return Case.model_validate(raw)


def channels(plan: ChannelPlan) -> list[str]:
    return [s.channel if s.purpose == "complaint" else f"{s.channel}:{s.purpose}" for s in plan.steps]


def step(plan: ChannelPlan, key: str):
    return next(s for s in plan.steps if s.key == key)


def excluded(plan: ChannelPlan) -> dict[str, str]:
    return {e.channel: e.reason for e in plan.excluded}


def test_example_ladder_inside_first_payment_early_for_small_amounts() -> None:
    plan = plan_channels(make(), now=NOW)
    order = channels(plan)
    assert order[0] == "card_platform"  # the merchant was already contacted (contacts)
    assert "merchant" not in order
    assert order.index("alipay") < order.index("card_platform:escalation") < order.index("12315")
    assert step(plan, "alipay").after == "card_platform"
    assert "小额" in step(plan, "alipay").reason
    assert step(plan, "card_platform:escalation").after == "card_platform"
    assert step(plan, "heimao").after == "card_platform:escalation"
    assert order.index("heimao") > order.index("card_platform:escalation")
    ex = excluded(plan)
    assert "consumer_association" in ex and "第16条" in ex["consumer_association"]
    assert "wechat_pay" in ex and "email" in ex


def test_payment_channel_later_for_larger_amounts() -> None:
    def change(raw: dict[str, Any]) -> None:
        raw["order"]["amount"] = "500.00"
        raw["demands"][0]["amount"] = "500.00"

    plan = plan_channels(make(change), now=NOW)
    order = channels(plan)
    assert order.index("card_platform:escalation") < order.index("alipay")
    assert step(plan, "alipay").after == "card_platform:escalation"
    assert "不属小额" in step(plan, "alipay").reason


def test_wechat_payment_picks_wechat_pay() -> None:
    def change(raw: dict[str, Any]) -> None:
        raw["order"]["payment"] = {"method": "wechat_pay", "transaction_no": "4200001234202611020000000001"}

    plan = plan_channels(make(change), now=NOW)
    assert "wechat_pay" in channels(plan)
    assert "alipay" not in channels(plan)
    assert "微信支付" in excluded(plan)["alipay"]


def test_no_payment_channel_for_bank_card() -> None:
    def change(raw: dict[str, Any]) -> None:
        raw["order"]["payment"] = {"method": "bank_card"}

    plan = plan_channels(make(change), now=NOW)
    assert not {"alipay", "wechat_pay"} & set(channels(plan))
    assert "银行卡" in excluded(plan)["alipay"]


def test_merchant_first_when_not_contacted() -> None:
    def change(raw: dict[str, Any]) -> None:
        raw["contacts"] = []

    plan = plan_channels(make(change), now=NOW)
    first = plan.steps[0]
    assert first.channel == "merchant" and first.manual and first.when == "立即"
    assert step(plan, "card_platform").after == "merchant"
    assert "merchant" not in plan.channels()


@pytest.mark.parametrize(
    ("label", "change"),
    [
        ("fraud", lambda raw: raw["problem"].update(type="false_promise")),
        ("vanished", lambda raw: raw["problem"].update(type="merchant_vanished") or raw.update(contacts=[])),
        ("large", lambda raw: raw["order"].update(amount="1500.00")),
    ],
)
def test_fraud_vanished_or_large_go_to_12315_early(
    label: str, change: Callable[[dict[str, Any]], None]
) -> None:
    plan = plan_channels(make(change), now=NOW)
    s12315 = step(plan, "12315")
    assert s12315.after == "card_platform", label
    assert "不必等待升级" in s12315.reason
    assert "consumer_association" not in channels(plan)
    if label == "vanished":
        assert "merchant" in excluded(plan) and "失联" in excluded(plan)["merchant"]
        assert step(plan, "card_platform").when.startswith("立即")
        assert step(plan, "alipay").after is None  # a vanished merchant: the payment channel at once
    legal = step(plan, "legal")
    assert legal.manual and "小额诉讼" in legal.reason and "住所地" in legal.reason
    if label == "large":
        assert legal.after == "12315"
    else:  # a vanished merchant or evidence of fraud: the police at once, not after the other channels
        assert legal.when == "立即" and legal.after is None and "现在就向公安机关报案" in legal.reason
    assert ("第55条" in legal.reason) == (label != "large")  # vanishing after payment is evidence of fraud


def test_large_amount_orders_12315_before_the_late_payment_step() -> None:
    plan = plan_channels(make(lambda raw: raw["order"].update(amount="1500.00")), now=NOW)
    order = channels(plan)
    assert order.index("12315") < order.index("alipay")


@pytest.mark.parametrize(
    ("missing_path", "label"),
    [
        (("respondent", "legal_name"), "被投诉方全称"),
        (("respondent", "address"), "被投诉方地址"),
        (("complainant", "address"), "投诉人地址"),
    ],
)
def test_missing_12315_prerequisites_choose_the_association(
    missing_path: tuple[str, str], label: str
) -> None:
    def change(raw: dict[str, Any]) -> None:
        raw[missing_path[0]].pop(missing_path[1])

    plan = plan_channels(make(change), now=NOW)
    assert "12315" not in channels(plan)
    assert "consumer_association" in channels(plan)
    reason = excluded(plan)["12315"]
    assert label in reason and "第10条" in reason
    fields = {m.field for m in plan.missing}
    assert ".".join(missing_path) in fields
    ex = next(e for e in plan.excluded if e.channel == "12315")
    assert ".".join(missing_path) in {m.field for m in ex.missing}
    assert "未选12315" in step(plan, "consumer_association").reason


VARIANTS: list[Callable[[dict[str, Any]], None]] = [
    lambda raw: None,
    lambda raw: raw["respondent"].pop("legal_name"),
    lambda raw: raw["problem"].update(type="false_promise"),
    lambda raw: raw["order"].update(amount="5000.00"),
    lambda raw: raw.update(contacts=[]),
    lambda raw: raw["complainant"].pop("address"),
    lambda raw: raw["problem"].update(discovered_at="2021-01-01T10:00:00"),
]


@pytest.mark.parametrize("parallel", [False, True])
@pytest.mark.parametrize("variant", range(len(VARIANTS)))
def test_never_both_12315_and_association(variant: int, parallel: bool) -> None:
    plan = plan_channels(make(VARIANTS[variant]), now=NOW, parallel=parallel)
    chosen = {s.channel for s in plan.steps} & {"12315", "consumer_association"}
    assert len(chosen) == 1
    other = ({"12315", "consumer_association"} - chosen).pop()
    assert other in excluded(plan)


def test_parallel_puts_allowed_channels_in_one_immediate_step() -> None:
    def change(raw: dict[str, Any]) -> None:
        raw["respondent"]["email"] = "kefu@xingchen-km.example.com"

    plan = plan_channels(make(change), now=NOW, parallel=True)
    immediate = [s for s in plan.steps if s.purpose == "complaint" and not s.manual]
    assert {s.channel for s in immediate} == {"card_platform", "email", "alipay", "12315", "heimao"}
    assert all(s.when == "立即（并行提交）" and s.after is None for s in immediate)
    assert step(plan, "card_platform:escalation").after == "card_platform"
    assert plan.channels() == ["card_platform", "email", "alipay", "12315", "heimao"]


def test_window_closing_puts_platform_first() -> None:
    def change(raw: dict[str, Any]) -> None:
        raw["contacts"] = []
        raw["platform_policy"] = {"complaint_window": "PT1H"}  # "到账问题需在1小时内投诉"

    plan = plan_channels(make(change), now=parse_iso("2026-11-02T15:40:00"))
    first = plan.steps[0]
    assert first.channel == "card_platform"
    assert first.when.startswith("立即") and "2026-11-02 16:00" in first.when
    assert first.after is None
    merchant = step(plan, "merchant")
    assert "同时" in merchant.when
    assert first.deadline is not None


def test_window_closed_still_files_platform_and_moves_payment_up() -> None:
    plan = plan_channels(make(), now=parse_iso("2026-11-20T10:00:00"))
    platform = step(plan, "card_platform")
    assert "已过平台投诉时限" in platform.when
    assert step(plan, "alipay").after is None
    assert step(plan, "alipay").when == "立即"


def test_window_open_mentions_the_deadline() -> None:
    plan = plan_channels(make(), now=NOW)
    assert "2026-11-09 15:00" in step(plan, "card_platform").reason


def test_limitation_passed_excludes_12315_but_only_warns_about_the_court() -> None:
    def change(raw: dict[str, Any]) -> None:
        raw["problem"]["type"] = "false_promise"

    plan = plan_channels(make(change), now=parse_iso("2030-01-10T10:00:00"))
    ex = excluded(plan)
    assert "12315" in ex and "3年" in ex["12315"] and "第16条" in ex["12315"]
    assert "legal" not in ex  # a court does not raise limitation by itself; the other side may still pay
    assert "第188条" in step(plan, "legal").reason and "不会主动适用" in step(plan, "legal").reason
    assert "consumer_association" in channels(plan)
    assert "电话确认" in step(plan, "consumer_association").reason
    assert "card_platform" in channels(plan)


def test_email_when_the_platform_publishes_a_mailbox() -> None:
    plan = plan_channels(make(lambda raw: raw["respondent"].update(email="ts@xingchen.example.com")), now=NOW)
    email = step(plan, "email")
    assert "ts@xingchen.example.com" in email.reason
    assert email.when == "与平台工单同时"


def test_unavailable_channels_are_excluded() -> None:
    plan = plan_channels(make(), now=NOW, available={"card_platform", "alipay", "consumer_association"})
    assert "heimao" in excluded(plan) and "未安装" in excluded(plan)["heimao"]
    assert "12315" in excluded(plan)
    assert "consumer_association" in channels(plan)


def test_a_filed_association_rules_out_12315() -> None:
    plan = plan_channels(make(), now=NOW, filed={"consumer_association"})
    assert "12315" in excluded(plan) and "消费者协会" in excluded(plan)["12315"]
    assoc = step(plan, "consumer_association")
    assert assoc.done and assoc.when == "已提交"
    assert "consumer_association" not in plan.channels() and "card_platform" in plan.channels()


def test_missing_transaction_number_is_reported_on_the_payment_step() -> None:
    plan = plan_channels(make(lambda raw: raw["order"]["payment"].pop("transaction_no")), now=NOW)
    assert [m.field for m in step(plan, "alipay").missing] == ["order.payment.transaction_no"]


def test_plan_json_via_the_real_command(example_case: Path) -> None:
    proc = subprocess.run(
        [str(KAMENG), "plan", str(example_case), "--json", "--now", "2026-11-03T10:00:00"],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) == {"steps", "excluded"}
    assert data["steps"] and data["excluded"]
    for item in data["steps"]:
        assert {"channel", "when", "reason"} <= set(item)
        assert item["when"] and item["reason"]
    for item in data["excluded"]:
        assert {"channel", "reason"} <= set(item)
    chosen = {s["channel"] for s in data["steps"]}
    assert not {"12315", "consumer_association"} <= chosen
    assert data["steps"][0]["channel"] == "card_platform"


def test_plan_text_and_errors_via_the_real_command(example_case: Path) -> None:
    proc = subprocess.run(
        [str(KAMENG), "plan", str(example_case), "--parallel", "--now", "2026-11-03T10:00:00"],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "并行" in proc.stdout and "不采用的渠道" in proc.stdout
    bad = subprocess.run(
        [str(KAMENG), "plan", "no-such-case"], capture_output=True, text=True, timeout=120, check=False
    )
    assert bad.returncode == 1
    assert "找不到案件" in bad.stderr and "Traceback" not in bad.stderr


def test_demanding_art_55_is_no_evidence_of_fraud() -> None:
    def change(raw: dict[str, Any]) -> None:
        raw["demands"].append({"type": "punitive_damages", "amount": "500.00"})

    plan = plan_channels(make(change), now=NOW)
    assert step(plan, "12315").after != "card_platform"  # not urgent: the demand proves nothing
    legal = step(plan, "legal")
    assert "涉嫌欺诈" not in legal.reason and "第55条" not in legal.reason and legal.when != "立即"


def test_small_claims_court_is_offered_for_small_amounts_too() -> None:
    plan = plan_channels(make(lambda raw: raw["order"].update(amount="100.00")), now=NOW)
    legal = step(plan, "legal")
    assert legal.manual and "小额诉讼" in legal.reason and "住所地" in legal.reason
    assert "1000" not in legal.reason


def test_auto_renewal_plan_mentions_the_12315_report() -> None:
    def change(raw: dict[str, Any]) -> None:
        raw["problem"].update(type="auto_renewal", summary="开通首月会员后每月被自动扣款30元，扣款前没有提醒")

    plan = plan_channels(make(change), now=NOW)
    assert "我要举报" in step(plan, "12315").reason
