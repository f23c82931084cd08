"""支付宝 / 微信支付 assisted channels: the prepared plan, the guided steps, the complaint number, ``kameng report``.

The engine runs for real (``kameng_filer.filing.run.prepare/execute``) with a real store in this
test's ``KAMENG_HOME``; a ``ScriptedPerson`` stands in for the person tapping through the app.
"""

from __future__ import annotations

import asyncio
import io
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from PIL import Image
from rich.console import Console
from typer.testing import CliRunner

from kameng_filer import registry
from kameng_filer.case import load_case
from kameng_filer.case.model import Case
from kameng_filer.cli import app
from kameng_filer.errors import ConfigError, FilingError, RenderError
from kameng_filer.filing.engine import FileOptions, Outcome
from kameng_filer.filing.person import NoPerson, ScriptedPerson
from kameng_filer.filing.run import execute, prepare
from kameng_filer.render import render
from kameng_filer.store import Store
from kameng_filer.timeutil import parse_iso

NOW = parse_iso("2026-11-03T10:00:00")
CASE_ID = "km-2026-0001"
ALIPAY_NO = "2026110300000000001234567"
WECHAT_NO = "200201820261103080076610000"
runner = CliRunner()
AlipayAdapter = registry.adapter_class("alipay")
WechatPayAdapter = registry.adapter_class("wechat_pay")


def edit_case(path: Path, change: Any) -> Path:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(raw)
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def as_wechat(raw: dict[str, Any]) -> None:
    raw["order"]["payment"] = {"method": "wechat_pay", "transaction_no": "4200001234202611020000000001"}


def load(path: Path) -> Case:
    result = load_case(path)
    assert result.case is not None, result.findings
    return result.case


def noisy_png(path: Path, size: tuple[int, int]) -> Path:
    """A PNG that compresses badly (random pixels), so byte limits really bite."""
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(path, format="PNG")
    return path


def add_big_evidence(path: Path) -> Path:
    """Add a large noisy PNG, a GIF and two more images to the case (6 images + a 4000 px one)."""
    folder = path.parent / "evidence"
    noisy_png(folder / "big.png", (2600, 2000))
    Image.new("RGB", (4000, 300), (200, 30, 30)).save(folder / "wide.png")
    Image.new("P", (300, 200), 3).save(folder / "anim.gif", format="GIF")

    def change(raw: dict[str, Any]) -> None:
        raw["evidence"][0:0] = [
            {"id": "big", "kind": "problem_proof", "file": "evidence/big.png", "description": "高分辨率截图"},
            {"id": "wide", "kind": "problem_proof", "file": "evidence/wide.png", "description": "超宽长图"},
            {"id": "anim", "kind": "other", "file": "evidence/anim.gif", "description": "GIF 动图"},
        ]

    return edit_case(path, change)


def scripted(texts: dict[str, list[str]]) -> tuple[ScriptedPerson, Console]:
    console = Console(record=True, width=400, color_system=None)

    async def answer(channel: str, prompt: str, image: Path | None) -> str:
        return ""

    return ScriptedPerson(answer, texts=texts, console=console), console


def file_case(case_ref: str, channel: str, person: Any, **opts: Any) -> Outcome:
    with Store.open() as store:
        prepared = prepare(store, case_ref, [channel], now=NOW)
        assert not prepared.failed, [o.to_dict() for o in prepared.failed]
        outcomes = asyncio.run(
            execute(store, prepared, person, FileOptions(**opts), console=None, show_progress=False)
        )
    assert len(outcomes) == 1
    return outcomes[0]


def check_images(plan: Any, field: Any) -> None:
    assert plan.files, "no images prepared"
    assert len(plan.files) <= field.max_files
    for f in plan.files:
        data = f.path.read_bytes()
        assert len(data) == f.size <= field.max_bytes
        with Image.open(io.BytesIO(data)) as img:
            assert max(img.size) <= field.max_pixels
            assert field.accept == ("image/jpeg", "image/png")
            assert Image.MIME[img.format] in field.accept and Image.MIME[img.format] == f.mime
            assert "exif" not in img.info
        assert f.path.parent == Path(plan.target["images_dir"])
        assert f.path.name == f.upload_name and f.upload_name[:2].isdigit()


# ---------------------------------------------------------------------------------------- plans


def test_alipay_plan_prepares_every_answer_within_limits(example_case: Path) -> None:
    case = load(add_big_evidence(example_case))
    adapter = AlipayAdapter()
    plan = adapter.plan(case)
    f = plan.fields
    assert f["trade_no"] == "2026110222001400000000001234"
    assert f["reason"] == "未收到货"
    assert f["demand"] == "退款"
    assert f["amount"] == "100.00"
    assert f["phone"] == "13800138000"
    assert 5 <= len(f["content"]) <= 200
    assert "KM20261102150012" in f["content"]
    check_images(plan, adapter.spec.field("images"))
    assert len(plan.files) == 6  # 7 images, the app takes 6
    assert any("最多上传 6 张" in n for n in plan.notes)
    big = next(p for p in plan.files if p.evidence_id == "big")
    assert big.mime in ("image/jpeg", "image/png") and big.size < (
        Path(example_case.parent / "evidence/big.png").stat().st_size
    )
    gif = next(p for p in plan.files if p.evidence_id == "anim")
    assert gif.mime in ("image/png", "image/jpeg")
    assert plan.lookup_key == "KM20261102150012"


def test_wechat_plan_prepares_every_answer_within_limits(example_case: Path) -> None:
    case = load(add_big_evidence(edit_case(example_case, as_wechat)))
    adapter = WechatPayAdapter()
    plan = adapter.plan(case)
    f = plan.fields
    assert f["transaction_id"] == "4200001234202611020000000001"
    assert f["problem_type"] == "申请退款"
    assert f["refund_amount"] == "100.00"
    assert 1 <= len(f["detail"]) <= 300
    check_images(plan, adapter.spec.field("images"))
    assert len(plan.files) == 4
    big = next(p for p in plan.files if p.evidence_id == "big")
    assert big.size <= 2 * 1024 * 1024 and big.mime == "image/jpeg"  # a noisy PNG cannot stay PNG under 2 MB


def test_wechat_problem_type_without_refund_follows_the_problem(example_case: Path) -> None:
    def change(raw: dict[str, Any]) -> None:
        as_wechat(raw)
        raw["demands"] = [{"type": "redeliver", "quantity": 1}]

    case = load(edit_case(example_case, change))
    plan = WechatPayAdapter().plan(case)
    assert plan.fields["problem_type"] == "服务权益未生效"
    assert plan.fields["refund_amount"] is None
    case.problem.type = case.problem.type.__class__("data_leak")
    assert WechatPayAdapter().reason(case) == "其他"


def test_refund_is_capped_at_the_amount_paid(example_case: Path) -> None:
    def change(raw: dict[str, Any]) -> None:
        as_wechat(raw)
        raw["demands"][0]["amount"] = "300.00"

    plan = WechatPayAdapter().plan(load(edit_case(example_case, change)))
    assert plan.fields["refund_amount"] == "100.00"


@pytest.mark.parametrize(
    ("problem", "reason"),
    [
        ("not_delivered", "未收到货"),
        ("invalid_card_key", "商品/服务有问题"),
        ("false_promise", "商家欺诈"),
        ("data_leak", "其他"),
    ],
)
def test_alipay_reason_from_problem_type(example_case: Path, problem: str, reason: str) -> None:
    case = load(edit_case(example_case, lambda raw: raw["problem"].update(type=problem)))
    assert AlipayAdapter().reason(case) == reason


def test_reason_override_from_settings(example_case: Path) -> None:
    case = load(example_case)
    assert AlipayAdapter({"reasons": {"not_delivered": "其他"}}).reason(case) == "其他"
    with pytest.raises(ConfigError, match="不是支付宝的选项"):
        AlipayAdapter({"reasons": {"not_delivered": "退钱"}}).reason(case)


def test_alipay_text_limit_is_configurable(example_case: Path) -> None:
    case = load(example_case)
    full = render(case, "alipay", fit=False).fields["content"]
    default = AlipayAdapter().plan(case).fields["content"]
    assert len(default) <= 200
    roomy = AlipayAdapter({"text_max_len": 2000}).plan(case).fields["content"]
    assert roomy == full and len(roomy) > len(default)
    with pytest.raises(RenderError, match="最多 40 个字"):
        AlipayAdapter({"text_max_len": 40}).plan(case)
    with pytest.raises(ConfigError, match="text_max_len"):
        AlipayAdapter({"text_max_len": "lots"}).plan(case)


def test_plan_refuses_a_case_paid_another_way(example_case: Path) -> None:
    case = load(example_case)
    with pytest.raises(FilingError, match="是用支付宝付款的，不能向微信支付交易投诉") as info:
        WechatPayAdapter().plan(case)
    assert "alipay" not in info.value.message and "--channel alipay" in (info.value.hint or "")


# ------------------------------------------------------------------------- complaint numbers


@pytest.mark.parametrize("bad", ["", "   ", "abc", "12 34 56 78", "1234567", "投诉单号12345678", "A" * 65])
def test_alipay_number_validation_rejects(bad: str) -> None:
    assert AlipayAdapter().validate_number(bad)


@pytest.mark.parametrize("bad", ["", "abc123", "2002-0182", "1" * 65, "20020182 0200"])
def test_wechat_number_validation_rejects(bad: str) -> None:
    assert WechatPayAdapter().validate_number(bad)


def test_number_validation_accepts_and_is_configurable() -> None:
    assert AlipayAdapter().validate_number(ALIPAY_NO) is None
    assert AlipayAdapter().validate_number("CP2026ab") is None
    assert WechatPayAdapter().validate_number(WECHAT_NO) is None
    strict = AlipayAdapter({"complaint_no_pattern": r"\d{20,30}"})
    assert strict.validate_number("CP2026ab")
    assert strict.validate_number(ALIPAY_NO) is None
    with pytest.raises(ConfigError, match="正则"):
        AlipayAdapter({"complaint_no_pattern": "("}).validate_number("x")


# ------------------------------------------------------------------------------ guided filing


def test_guided_steps_in_order_then_number_recorded(example_case: Path) -> None:
    shot = example_case.parent / "evidence" / "order.png"
    person, console = scripted({"alipay": [ALIPAY_NO, str(shot)]})
    outcome = file_case(str(example_case), "alipay", person)
    assert outcome.state == "submitted", outcome.to_dict()
    assert outcome.receipt["complaint_no"] == ALIPAY_NO
    confirms = [p for ch, kind, p in person.log if kind == "confirm"]
    assert [c.split("步")[0] for c in confirms] == [f"第 {i}/9 " for i in range(1, 10)]
    shown = console.export_text()
    order = [
        "我的 → 账单",
        "核对支付宝交易号",
        "对此订单有疑问",
        "投诉原因选「未收到货」",
        "诉求选「退款」",
        "问题描述框",
        "上传图片凭证",
        "联系电话",
        "点「提交」",
    ]
    positions = [shown.index(s) for s in order]
    assert positions == sorted(positions)
    plan_text = AlipayAdapter().plan(load(example_case)).fields["content"]
    assert plan_text in shown  # ready to copy, shown whole
    texts = [p for ch, kind, p in person.log if kind == "text"]
    assert "投诉单号" in texts[0] and "截图" in texts[1]
    with Store.open() as store:
        filing = store.get_filing(CASE_ID, "alipay")
        assert filing.state == "submitted" and filing.complaint_no == ALIPAY_NO
        assert filing.submitted_values["reason"] == "未收到货"
        assert filing.submitting_at is not None  # marked before the final tap
        kept = Path(filing.receipt["screenshot"])
        assert kept.read_bytes() == shot.read_bytes() and kept != shot
        guide = Path(filing.receipt["extra"]["guide"])
        assert guide.is_file()


def test_wechat_guided_filing(example_case: Path) -> None:
    edit_case(example_case, as_wechat)
    person, console = scripted({"wechat_pay": [WECHAT_NO, ""]})
    outcome = file_case(str(example_case), "wechat_pay", person)
    assert outcome.state == "submitted", outcome.to_dict()
    assert outcome.receipt["complaint_no"] == WECHAT_NO
    assert outcome.receipt["screenshot"] is None
    shown = console.export_text()
    assert (
        shown.index("投诉商家") < shown.index("问题类型选「申请退款」") < shown.index("申请退款金额填 100.00")
    )


def test_invalid_number_from_the_person_ends_needs_person(example_case: Path) -> None:
    person, _ = scripted({"alipay": ["not a number!"]})
    outcome = file_case(str(example_case), "alipay", person)
    assert outcome.state == "needs_person"
    assert "不像投诉单号" in outcome.error
    with Store.open() as store:
        assert store.get_filing(CASE_ID, "alipay").complaint_no is None


def test_without_a_person_the_guide_is_written_and_the_channel_needs_the_person(example_case: Path) -> None:
    outcome = file_case(str(example_case), "alipay", NoPerson(Console(file=io.StringIO())))
    assert outcome.state == "needs_person"
    assert "只能由本人在支付宝 App 中提交" in outcome.error
    assert f"kameng report {CASE_ID} --channel alipay --number" in outcome.hint
    guide = Path(outcome.error.rsplit("操作指引已写到 ", 1)[1].strip())
    text = guide.read_text(encoding="utf-8")
    plan = AlipayAdapter().plan(load(example_case))
    for value in (
        "2026110222001400000000001234",
        "未收到货",
        "退款",
        "100.00",
        "13800138000",
        plan.fields["content"],
    ):
        assert value in text
    for f in plan.files:
        assert str(f.path) in text and f.path.is_file()
    with Store.open() as store:
        filing = store.get_filing(CASE_ID, "alipay")
        assert filing.state == "needs_person" and filing.submitting_at is None


def test_dry_run_writes_the_guide_and_files_nothing(example_case: Path) -> None:
    person, _ = scripted({})
    outcome = file_case(str(example_case), "alipay", person, dry_run=True)
    assert outcome.state == "planned"
    assert "guide.md" in outcome.hint
    assert not [entry for entry in person.log if entry[1] == "confirm"]
    with Store.open() as store:
        assert store.get_filing(CASE_ID, "alipay") is None


def test_interrupted_submit_asks_the_person_instead_of_filing_twice(example_case: Path) -> None:
    with Store.open() as store:
        store.import_case(example_case)
        filing = store.create_filing(CASE_ID, "alipay")
        store.update_filing(filing.id, state="submitting")
    person, _ = scripted({"alipay": [ALIPAY_NO]})
    outcome = file_case(str(example_case), "alipay", person)
    assert outcome.state == "submitted"
    assert outcome.receipt["reconciled"] is True and outcome.receipt["complaint_no"] == ALIPAY_NO
    assert not [entry for entry in person.log if entry[1] == "confirm"]  # no second walk through the app


def test_status_and_follow_up_are_for_the_person() -> None:
    adapter = WechatPayAdapter()
    with pytest.raises(FilingError, match="只能由本人在微信 App 里查看"):
        asyncio.run(adapter.status({"complaint_no": WECHAT_NO}, None))  # type: ignore[arg-type]
    result = asyncio.run(adapter.follow_up({"complaint_no": WECHAT_NO}, "您好,想了解进展。", None))  # type: ignore[arg-type]
    assert not result.sent and result.needs_person
    assert "您好,想了解进展。" in result.instructions and WECHAT_NO in result.instructions
    assert "账单详情" in result.instructions


# ------------------------------------------------------------------------------ kameng report


def report(*args: str) -> Any:
    return runner.invoke(app, ["report", *args])


def test_report_records_number_then_statuses(example_case: Path, tmp_path: Path) -> None:
    outcome = file_case(str(example_case), "alipay", NoPerson(Console(file=io.StringIO())))
    assert outcome.state == "needs_person"
    shot = example_case.parent / "evidence" / "chat.png"
    res = report(
        CASE_ID,
        "--channel",
        "alipay",
        "--number",
        ALIPAY_NO,
        "--screenshot",
        str(shot),
        "--json",
        "--at",
        "2026-11-03T11:00:00",
    )
    assert res.exit_code == 0, res.output
    with Store.open() as store:
        filing = store.get_filing(CASE_ID, "alipay")
        assert filing.state == "submitted" and filing.complaint_no == ALIPAY_NO
        assert Path(filing.receipt["screenshot"]).read_bytes() == shot.read_bytes()
    seen = [
        ("待处理", "open"),
        ("商家已回复", "replied"),
        ("平台介入", "escalated"),
        ("已完成", "resolved"),
        ("撤诉", "withdrawn"),
    ]
    for hour, (word, _) in enumerate(seen, start=12):
        res = report(
            CASE_ID,
            "-c",
            "alipay",
            "--status",
            word,
            "--at",
            f"2026-11-03T{hour}:00:00",
            "--note",
            f"看到{word}",
        )
        assert res.exit_code == 0, res.output
        assert f"已记录状态「{word}」" in res.output
    with Store.open() as store:
        events = store.events(CASE_ID, kinds=["status"])
        assert [(e.data["raw"], e.data["state"]) for e in events] == seen
        assert all(e.filing_id == filing.id and e.data["complaint_no"] == ALIPAY_NO for e in events)
        assert events[1].at == parse_iso("2026-11-03T13:00:00")
        assert events[2].data["event"] == "platform_intervened"
        assert events[1].data["note"] == "看到商家已回复"
    again = report(CASE_ID, "-c", "alipay", "--number", ALIPAY_NO)
    assert again.exit_code == 0 and "此前已记录" in again.output
    other = report(CASE_ID, "-c", "alipay", "--number", "2026110399999999999")
    assert other.exit_code == 1 and "已记录投诉编号" in other.output


def test_report_number_without_any_filing_creates_it(example_case: Path) -> None:
    edit_case(example_case, as_wechat)
    res = report(
        str(example_case), "--channel", "wechat_pay", "--number", WECHAT_NO, "--status", "处理中", "--json"
    )
    assert res.exit_code == 0, res.output
    with Store.open() as store:
        filing = store.get_filing(CASE_ID, "wechat_pay")
        assert filing.state == "submitted" and filing.complaint_no == WECHAT_NO
        (event,) = store.events(CASE_ID, kinds=["status"])
        assert event.data["state"] == "replied"  # 微信支付「处理中」= the merchant has replied


def test_report_status_for_a_web_channel(example_case: Path) -> None:
    report(str(example_case), "-c", "12315", "--number", "1110106002023021136490869")
    res = report(CASE_ID, "-c", "12315", "--status", "不予受理", "--note", "理由:已向消协投诉")
    assert res.exit_code == 0, res.output
    with Store.open() as store:
        (event,) = store.events(CASE_ID, kinds=["status"])
        assert event.data["state"] == "rejected" and event.data["event"] == "not_accepted"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no-such-case", "-c", "alipay", "--number", ALIPAY_NO], "找不到案件"),
        ([CASE_ID, "-c", "qq_pay", "--number", ALIPAY_NO], "未知渠道"),
        ([CASE_ID, "-c", "alipay", "--number", "abc"], "不像投诉单号"),
        ([CASE_ID, "-c", "wechat_pay", "--number", "ABC123456"], "不像投诉单号"),
        ([CASE_ID, "-c", "alipay", "--status", "商家已回复"], "还没有投诉记录"),
        ([CASE_ID, "-c", "alipay"], "没有要记录的内容"),
        ([CASE_ID, "-c", "alipay", "--number", ALIPAY_NO, "--screenshot", "/nope.png"], "找不到文件"),
    ],
)
def test_report_errors_are_clear_chinese(example_case: Path, args: list[str], message: str) -> None:
    with Store.open() as store:
        store.import_case(example_case)
    res = report(*args)
    assert res.exit_code != 0
    assert message in res.output
    assert "Traceback" not in res.output
    with Store.open() as store:
        assert store.get_filing(CASE_ID, "alipay") is None


def test_report_unknown_status_word_needs_a_state(example_case: Path) -> None:
    report(str(example_case), "-c", "alipay", "--number", ALIPAY_NO)
    res = report(CASE_ID, "-c", "alipay", "--status", "神秘状态")
    assert res.exit_code == 1 and "不认识" in res.output and "商家已回复" in res.output
    res = report(CASE_ID, "-c", "alipay", "--status", "神秘状态", "--state", "escalated")
    assert res.exit_code == 0, res.output
    with Store.open() as store:
        (event,) = store.events(CASE_ID, kinds=["status"])
        assert event.data["raw"] == "神秘状态" and event.data["state"] == "escalated"
