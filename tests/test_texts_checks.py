"""Checks of what the texts will say: emotional or vague wording never reaches a channel unconfirmed.

12315, 消协 and 黑猫 refuse such a text as an error at its field; the other channels refuse it unless
``--force "理由"`` overrides it, and the reason is recorded with the filing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from kameng_filer.case.loader import parse_text
from kameng_filer.checks import check_path
from kameng_filer.checks.channel_severity import for_channels
from kameng_filer.cli import app
from kameng_filer.findings import has_errors
from kameng_filer.store import Store
from tests.filing_support import NOW, configure, file_now, scripted, twins_running

EMOTIONAL = "卡密无效，你们就是骗子！垃圾平台…不然曝光你们"


def _write(case_file: Path, **changes: Any) -> Path:
    raw = parse_text(case_file.read_text("utf-8"))
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = raw
        for key in parents:
            node = node[key]
        node[last] = value
    case_file.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), "utf-8")
    return case_file


def _codes(case_file: Path) -> set[tuple[str, str, str]]:
    _, found = check_path(case_file, now=NOW)
    return {(f.code, f.path, f.severity) for f in found}


@pytest.mark.parametrize(
    ("summary", "words"),
    [
        (EMOTIONAL, ("骗子", "垃圾平台", "曝光")),
        ("充值后一直没到账，太坑了", ("太坑了",)),
        ("商家说等着瞧，吃相难看", ("等着瞧", "吃相难看")),
    ],
)
def test_emotional_words_are_flagged(example_case: Path, summary: str, words: tuple[str, ...]) -> None:
    _write(example_case, problem__summary=summary)
    _, found = check_path(example_case, now=NOW)
    (f,) = [f for f in found if f.code == "language.emotional" and f.path == "problem.summary"]
    assert all(w in f.message for w in words), f.message
    assert f.hint


def test_vague_demand_is_flagged(example_case: Path) -> None:
    raw = parse_text(example_case.read_text("utf-8"))
    raw["demands"] = [{"type": "other", "note": "给我个说法，你们看着办"}]
    example_case.write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    assert ("demands.vague_phrase", "demands[0].note", "warning") in _codes(example_case)


def test_text_warnings_are_errors_for_regulators_and_public_sites(example_case: Path) -> None:
    _write(example_case, problem__summary=EMOTIONAL)
    _, found = check_path(example_case, now=NOW)
    assert not has_errors(found)  # `kameng check` alone: a warning
    for channel, name in (("12315", "12315"), ("consumer_association", "消协"), ("heimao", "黑猫投诉")):
        out = for_channels(found, [channel], override="理由")  # no override on these channels
        (f,) = [f for f in out if f.code == "language.emotional"]
        assert f.severity == "error" and f.path == "problem.summary" and name in f.message
    for channel in ("card_platform@a", "email", "alipay"):
        (f,) = [f for f in for_channels(found, [channel], None) if f.code == "language.emotional"]
        assert f.severity == "error" and "--force" in f.message
        (f,) = [f for f in for_channels(found, [channel], "客服要求原话") if f.code == "language.emotional"]
        assert f.severity == "warning"


def test_file_on_12315_refuses_the_emotional_text(example_case: Path, kameng_home: Path) -> None:
    _write(example_case, problem__summary=EMOTIONAL)
    for extra in ([], ["--force", "我坚持"]):
        r = CliRunner().invoke(
            app, ["file", str(example_case), "-c", "12315", "--yes", "--json", *extra], catch_exceptions=False
        )
        assert r.exit_code == 1, r.output
        out = json.loads(r.stdout)
        assert out["filings"] == [] and out["error"]["code"] == "case_invalid"
        (f,) = [f for f in out["findings"] if f["code"] == "language.emotional"]
        assert f["severity"] == "error" and f["path"] == "problem.summary" and f["hint"]


def test_other_channels_need_an_override_which_is_recorded(
    example_case: Path, kameng_home: Path, tmp_path: Path
) -> None:
    _write(example_case, problem__summary="充值后一直没到账，太坑了")
    r = CliRunner().invoke(app, ["file", str(example_case), "-c", "email", "--yes", "--json"])
    assert r.exit_code == 1 and json.loads(r.stdout)["error"]["code"] == "case_invalid"
    with twins_running(tmp_path, ["email"]) as ts:
        configure(ts, ["email"])
        (out,) = file_now(example_case, ["email"], scripted(ts, ["email"]), force_reason="客服要求原话转述")
    assert out.state == "submitted", out
    assert Store.open().get_filing("km-2026-0001", "email").force_reason == "客服要求原话转述"


# --- problem types and times as people write them -------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("卡密无效", "invalid_card_key"),
        ("card_key_used", "invalid_card_key"),
        ("merchant_unreachable", "merchant_vanished"),
        ("卡密无效/已被使用", "invalid_card_key"),
        ("自动续费未告知扣款", "auto_renewal"),
        ("Auto-Renewal", "auto_renewal"),
        ("商家跑路", "merchant_vanished"),
    ],
)
def test_problem_type_labels_and_synonyms_are_accepted(
    example_case: Path, written: str, expected: str
) -> None:
    _write(example_case, problem__type=written)
    result, found = check_path(example_case, now=NOW)
    assert result.case is not None and result.case.problem.type.value == expected
    assert not [f for f in found if f.path == "problem.type" and f.severity == "error"]


def test_unknown_problem_type_gets_the_closest_id(example_case: Path) -> None:
    _write(example_case, problem__type="card_used")
    _, found = check_path(example_case, now=NOW)
    (f,) = [f for f in found if f.path == "problem.type"]
    assert f.severity == "error" and "invalid_card_key" in f.hint and "卡密无效" in f.hint


@pytest.mark.parametrize(
    "written",
    [
        "2026/11/02 15:00",
        "2026年11月2日 15:00",
        "2026年11月2日15时00分",
        "2026.11.02 15:00",
        "２０２６/11/02 15:00",
    ],
)
def test_times_as_people_write_them(example_case: Path, written: str) -> None:
    _write(example_case, order__paid_at=written)
    result, found = check_path(example_case, now=NOW)
    assert result.case is not None, [f.message for f in found if f.severity == "error"]
    assert f"{result.case.order.paid_at:%Y-%m-%d %H:%M}" == "2026-11-02 15:00"


def test_an_impossible_time_is_still_an_error(example_case: Path) -> None:
    _write(example_case, order__paid_at="2026/13/02 15:00")
    _, found = check_path(example_case, now=NOW)
    assert ("schema.datetime", "order.paid_at", "error") in {(f.code, f.path, f.severity) for f in found}


# --- evidence hints per problem type ----------------------------------------------------------------


def _proof_hint(case_file: Path, problem_type: str) -> str:
    raw = parse_text(case_file.read_text("utf-8"))
    raw["problem"]["type"] = problem_type
    raw["evidence"] = [e for e in raw["evidence"] if e["kind"] != "problem_proof"]
    case_file.write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    _, found = check_path(case_file, now=NOW)
    (f,) = [f for f in found if f.code == "evidence.chain.problem_proof"]
    return f.hint


def test_evidence_hints_fit_the_problem_type(example_case: Path) -> None:
    renewal = _proof_hint(example_case, "auto_renewal")
    assert "卡密" not in renewal and "扣款" in renewal and "提醒" in renewal
    used = _proof_hint(example_case, "invalid_card_key")
    assert "游戏运营方" in used and "兑换时间" in used and "兑换账号" in used
    assert "到账" in _proof_hint(example_case, "not_delivered")


# --- who is protected and the payment route ---------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"problem__summary": "批发100张点卡转卖给客户，卡密全部无效"}, "protection.resale"),
        ({"order__quantity": 200}, "protection.resale"),
        ({"problem__summary": "购买的外挂无法使用，商家不退款"}, "protection.cheat"),
        ({"problem__summary": "用别人的信用卡充值后被冻结"}, "protection.stolen_card"),
        ({"problem__summary": "在平台买号后账号被找回"}, "protection.account_trade"),
        ({"problem__summary": "我儿子偷偷用我的手机充值了100元"}, "protection.minor"),
        ({"problem__type": "auto_renewal"}, "payment.cancel_renewal"),
        ({"problem__summary": "商家让我扫码转账到个人收款码，付款后一直未到账"}, "payment.personal_qr"),
        ({"order__payment__method": "bank_card"}, "payment.bank_card"),
    ],
)
def test_protection_and_payment_route(example_case: Path, changes: dict, code: str) -> None:
    before = {c for c, _, _ in _codes(example_case)}
    assert code not in before
    _write(example_case, **changes)
    _, found = check_path(example_case, now=NOW)
    (f,) = [f for f in found if f.code == code]
    assert f.hint and f.message


def test_minor_and_resale_explain_the_law(example_case: Path) -> None:
    _write(example_case, problem__summary="我女儿在游戏里充值了300元")
    _, found = check_path(example_case, now=NOW)
    (f,) = [f for f in found if f.code == "protection.minor"]
    assert "第19条" in f.message and "第145条" in f.message and "监护人" in f.hint
    _write(example_case, problem__summary="批发的点卡无法兑换")
    _, found = check_path(example_case, now=NOW)
    (f,) = [f for f in found if f.code == "protection.resale"]
    assert "12315" in f.message and "第55条" in f.message


# --- a schema error does not hide the other checks -------------------------------------------------


def test_a_broken_field_does_not_hide_the_other_checks(example_case: Path) -> None:
    raw = parse_text(example_case.read_text("utf-8"))
    raw["problem"]["type"] = "服务差"
    raw["order"]["ordered_at"] = "昨天"
    raw["demands"] = [{"type": "refund", "to": "original_payment"}, {"type": "other", "note": "你们看着办"}]
    example_case.write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    result, found = check_path(example_case, now=NOW)
    assert result.case is None  # still not a valid case: filing refuses it
    got = {(f.code, f.path) for f in found}
    assert ("schema.enum", "problem.type") in got and ("schema.datetime", "order.ordered_at") in got
    assert ("demands.no_amount", "demands[0].amount") in got  # a case rule, run on the rest
    assert ("demands.vague_phrase", "demands[1].note") in got
    assert not [f for f in found if f.path == "problem.type" and f.code != "schema.enum"]
    assert not [f for f in found if f.code == "check.internal"]


def test_check_does_not_say_ready_when_the_wording_must_change(example_case: Path, kameng_home: Path) -> None:
    _write(example_case, problem__summary="充值后一直没到账，太坑了")
    r = CliRunner().invoke(app, ["check", str(example_case), "--now", "2026-11-03T10:00:00", "--no-read"])
    assert "可以提交" not in r.stdout and "12315" in r.stdout and "--force" in r.stdout, r.stdout


# --- wording checks for a stored case id, payment route on file (issue 14 items 1, 5) --------------


def test_a_stored_case_id_gets_the_wording_checks_too(example_case: Path, kameng_home: Path) -> None:
    _write(example_case, problem__summary=EMOTIONAL)
    Store.open().import_case(example_case)
    for channel in ("12315", "email"):
        r = CliRunner().invoke(app, ["file", "km-2026-0001", "-c", channel, "--yes", "--json"])
        assert r.exit_code == 1, r.output
        out = json.loads(r.stdout)
        assert out["error"]["code"] == "case_invalid", out
        (f,) = [f for f in out["findings"] if f["code"] == "language.emotional"]
        assert f["severity"] == "error" and f["path"] == "problem.summary"


def test_file_refuses_a_payment_channel_the_order_was_not_paid_through(
    example_case: Path, kameng_home: Path
) -> None:
    r = CliRunner().invoke(app, ["file", str(example_case), "-c", "wechat_pay", "--yes", "--json"])
    assert r.exit_code == 1, r.output
    (filing,) = json.loads(r.stdout)["filings"]
    assert filing["state"] == "failed" and "微信" in filing["error"] and filing["hint"]


# --- facts cross-checked before rendering (issue 14 item 3) ---------------------------------------

RENEWAL = {
    "order__amount": "90.00",
    "order__product": "某视频会员连续包月",
    "order__paid_at": "2026-07-05T10:00:30",
    "order__ordered_at": "2026-07-05T10:00:00",
    "problem__type": "auto_renewal",
    "problem__summary": "7月5日支付1元开通首月会员后，8月至10月每月被自动扣款30元，扣款前没有任何提醒",
    "timeline": [{"at": "2026-07-05T10:00:30", "event": "支付1元开通首月会员"}]
    + [{"at": f"2026-{m:02d}-05T03:00:00", "event": "自动续费扣款30元"} for m in (8, 9, 10)],
    "demands": [{"type": "refund", "amount": "90.00", "to": "original_payment"}],
}


@pytest.mark.parametrize("timeline", [True, False], ids=["timeline", "summary-only"])
def test_auto_renewal_total_as_the_order_amount_is_flagged(example_case: Path, timeline: bool) -> None:
    changes = dict(RENEWAL)
    if not timeline:
        changes["timeline"] = []
    _write(example_case, **changes)
    _, found = check_path(example_case, now=NOW)
    (f,) = [f for f in found if f.code == "facts.renewal_amount"]
    assert f.path == "order.amount" and "3次" in f.message and "实付90.00元" in f.message
    assert "1.00元" in f.hint


def test_auto_renewal_with_the_first_payment_as_amount_is_consistent(example_case: Path) -> None:
    from kameng_filer.case import load_case
    from kameng_filer.render import render

    _write(example_case, **{**RENEWAL, "order__amount": "1.00"})
    codes = {c for c, _, _ in _codes(example_case)}
    assert "facts.renewal_amount" not in codes
    assert "demands.refund_exceeds_paid" not in codes  # 90 refunded of 1 + 3 × 30 paid
    case = load_case(example_case).case
    assert case is not None
    content = render(case, "12315", "complaint").fields["content"]
    assert "实付1.00元（支付宝交易号2026110222001400000000001234）。此后被自动续费扣款3次，共90.00元。" in content
    assert "实付90" not in content


def test_several_orders_under_one_order_number_are_flagged(example_case: Path) -> None:
    _write(example_case, order__product="原神创世结晶（两单，每单1200元）", order__quantity=2, order__amount="1200.00")
    codes = {(c, p) for c, p, _ in _codes(example_case)}
    assert ("facts.several_orders", "order.order_no") in codes
    assert ("facts.amount_mismatch", "order.amount") in codes  # 2 × 1200 ≠ 1200


def test_timeline_payment_amount_against_the_order(example_case: Path) -> None:
    raw = parse_text(example_case.read_text("utf-8"))
    raw["timeline"][0]["event"] = "支付成功，实付120元，订单状态为“待发货”"
    _write(example_case, timeline=raw["timeline"])
    codes = {(c, p) for c, p, _ in _codes(example_case)}
    assert ("facts.amount_mismatch", "timeline[0].event") in codes


def test_payment_proof_naming_another_method_is_flagged(example_case: Path) -> None:
    raw = parse_text(example_case.read_text("utf-8"))
    raw["evidence"][1]["description"] = "微信支付账单详情，显示交易单号与支付时间"
    _write(example_case, evidence=raw["evidence"])
    (f,) = [f for f in check_path(example_case, now=NOW)[1] if f.code == "facts.payment_method"]
    assert "微信支付" in f.message and "支付宝" in f.message and "alipay" not in f.message


def test_the_example_cases_have_no_fact_findings(example_case: Path) -> None:
    assert not [c for c, _, _ in _codes(example_case) if c.startswith("facts.")]


def test_an_expired_limitation_warns_without_excluding_routes(example_case: Path) -> None:
    from datetime import datetime

    _, found = check_path(example_case, now=datetime(2030, 1, 5, 10, 0))
    (f,) = [f for f in found if f.code == "limitation.expired"]
    assert f.severity == "warning" and "只能与平台协商" not in f.message + f.hint
    assert "不会主动适用" in f.message and "自愿退款" in f.message and "起诉" in f.hint


def test_12315_confirmation_table_shows_chinese_labels_not_field_ids(example_case: Path, kameng_home: Path) -> None:
    from rich.console import Console

    from kameng_filer.case import load_case
    from kameng_filer.filing.channels import resolve
    from kameng_filer.filing.run import plan_table
    from kameng_filer.ui.runs import plan_view

    inst = resolve("12315", {"channels": {"12315": {"base_url": "http://127.0.0.1:9", "account": "demo"}}})
    case = load_case(example_case).case
    assert case is not None
    plan = inst.adapter.plan(case)
    console = Console(record=True, width=200)
    console.print(plan_table(inst.adapter, plan))
    shown = console.export_text()
    assert "处理单位（省）" in shown and "处理单位（市）" in shown
    view = plan_view(inst.adapter, plan)
    labels = [row["label"] for row in view["rows"]]
    assert not [x for x in labels if re.fullmatch(r"[a-z_]+", x)], labels
    assert not re.search(r"\b(unit_province|unit_city|unit_district|respondent_credit_code)\b", shown)


# --- routes beside the complaint (issue 14 items 9, 12) -------------------------------------------


def test_auto_renewal_and_false_advertising_are_told_about_the_12315_report(example_case: Path) -> None:
    _write(example_case, **{**RENEWAL, "order__amount": "1.00"})
    (f,) = [f for f in check_path(example_case, now=NOW)[1] if f.code == "route.report_12315"]
    assert "我要举报" in f.message and "消费者协会" in f.hint


def test_a_vanished_merchant_means_a_police_report_at_once(example_case: Path) -> None:
    _write(example_case, problem__type="merchant_vanished", problem__summary="付款后店铺关闭，商家的联系方式全部失效")
    (f,) = [f for f in check_path(example_case, now=NOW)[1] if f.code == "route.police"]
    assert "现在就向公安机关报案" in f.message and "不必等" in f.message and "一起报案" in f.hint


def test_the_example_case_gets_no_route_findings(example_case: Path) -> None:
    assert not [c for c, _, _ in _codes(example_case) if c.startswith("route.")]
