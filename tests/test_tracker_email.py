"""Follow-ups on the SMTP twin driven by a simulated clock: quiet hours (20:00, Sunday, 调休 Saturday), the
cap of N follow-ups with spacing, escalation along the plan, rejection, review-window and refund
reminders, the limitation warning — and every notification arriving at a local HTTP receiver."""

from __future__ import annotations

import email
import email.policy
import json
import os
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from typer.testing import CliRunner

from kameng_filer import paths
from kameng_filer.cli import app
from kameng_filer.config import load_config, save_config
from kameng_filer.filing.person import NoPerson
from kameng_filer.secrets import env_name
from kameng_filer.store import Store
from kameng_filer.timeutil import parse_iso
from kameng_filer.tracker import notify
from kameng_filer.tracker.models import DbAction, DbDeadline
from kameng_filer.tracker.testing import NotificationReceiver, record_submitted
from kameng_filer.tracker.tick import run_pass
from tests import canaries
from tests.filing_support import file_now

CASE = "km-2026-0001"
TO = "kefu@xingchen-km.example.com"


def at(text: str) -> datetime:
    return parse_iso(text)


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch):
    with NotificationReceiver() as r:
        yield r


@pytest.fixture
def setup(email_twin, receiver, monkeypatch: pytest.MonkeyPatch, example_case: Path):
    """SMTP twin + notification receiver configured; polite gap 0 for speed."""
    save_config(
        {
            "channels": {
                "email": {"smtp_host": email_twin.host, "smtp_port": email_twin.port, "to": TO, "timeout": 5}
            }
        }
    )
    _entry, warning = notify.add(receiver.url, "phone")
    assert warning and env_name("notify", "phone") in warning  # CI has no keyring: the URL goes to an env var
    monkeypatch.setenv(env_name("notify", "phone"), receiver.url)
    user_policy("_common.yaml", {"polling": {"min_gap_seconds": 0}})
    return email_twin, receiver, example_case


def user_policy(name: str, data: dict) -> None:
    (paths.user_schedules_dir() / name).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def file_email(case_path: Path, filed: datetime) -> int:
    """File the complaint mail for real (SMTP twin), then place it at ``filed`` on the simulated clock."""
    out = file_now(case_path, ["email"], NoPerson())[0]
    assert out.state == "submitted", out
    store = Store.open()
    store.update_filing(out.filing_id, submitted_at=filed)
    return out.filing_id


def follow_up_mails(twin) -> list[email.message.EmailMessage]:
    mails = []
    for m in twin.messages():
        msg = email.message_from_bytes(twin.raw(m["seq"]), policy=email.policy.default)
        if msg["In-Reply-To"]:
            mails.append(msg)
    return mails


def actions(kind: str | None = None) -> list[DbAction]:
    with Store.open().session() as s:
        stmt = select(DbAction).order_by(DbAction.id)
        if kind:
            stmt = stmt.where(DbAction.kind == kind)
        return list(s.scalars(stmt))


def tick(text: str):
    return run_pass(Store.open(), at(text))


def test_notification_urls_are_secrets_config_keeps_a_masked_form(setup) -> None:
    _, receiver, _ = setup
    assert notify.entries(load_config()) == [
        {"name": "phone", "masked": f"json://127.0.0.1:{receiver.port}/", "ref": "env"}
    ]
    result = notify.send("测试", "内容")
    assert result.sent == ["phone"] and receiver.titles() == ["测试"]
    r = CliRunner().invoke(app, ["notify", "add", f"dingtalk://{canaries.NOTIFY_TOKEN}/", "--name", "ding"])
    assert r.exit_code == 0, r.output
    text = paths.config_path().read_text(encoding="utf-8")
    assert canaries.NOTIFY_TOKEN not in text and f"dingtalk://{canaries.NOTIFY_TOKEN[:3]}***" in text
    assert notify.mask("json://user:pw@127.0.0.1:9/hook?token=abc") == "json://127.0.0.1:9/***"
    bad = CliRunner().invoke(app, ["notify", "add", "nosuchscheme://x"])
    assert bad.exit_code != 0 and "无法识别的通知地址" in bad.output
    listed = CliRunner().invoke(app, ["notify", "list"])
    assert "KAMENG_SECRET_NOTIFY_DING" in listed.output and canaries.NOTIFY_TOKEN not in listed.output


def test_quiet_hours_a_lapse_at_20_00_waits_for_09_00_next_working_day(setup) -> None:
    twin, receiver, case = setup
    user_policy("email.yaml", {"clocks": {"reply": {"duration": {"hours": 24}}}})
    fid = file_email(case, at("2026-11-10T20:00:00"))  # Tuesday 20:00 → lapses Wednesday 20:00
    tick("2026-11-11T19:00:00")
    tick("2026-11-11T20:30:00")
    assert follow_up_mails(twin) == []
    with Store.open().session() as s:
        row = s.scalars(
            select(DbDeadline).where(DbDeadline.filing_id == fid, DbDeadline.clock == "reply")
        ).one()
        assert row.state == "lapsed"
        assert row.next_action_at.isoformat() == "2026-11-12T09:00:00+08:00"
    tick("2026-11-12T08:59:00")
    assert follow_up_mails(twin) == []
    report = tick("2026-11-12T09:00:00")
    [mail] = follow_up_mails(twin)
    original = twin.messages()[0]["message_id"]
    assert mail["In-Reply-To"] == original and mail["Subject"].startswith("Re: ")
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "想了解进展是否有更新" in body and "KM20261102150012" in body
    assert [a["status"] for a in report.actions if a["kind"] == "follow_up"][-1] == "done"
    assert any(t.startswith("已催办") for t in receiver.titles())


def test_quiet_hours_weekend_waits_for_monday_but_a_make_up_saturday_is_a_working_day(setup) -> None:
    twin, _, case = setup
    user_policy("email.yaml", {"clocks": {"reply": {"duration": {"hours": 24}}}})
    file_email(case, at("2026-11-13T11:00:00"))  # Friday → lapses Saturday 11:00
    tick("2026-11-14T12:00:00")
    tick("2026-11-15T15:00:00")  # Sunday
    assert follow_up_mails(twin) == []
    tick("2026-11-16T09:00:00")  # Monday
    assert len(follow_up_mails(twin)) == 1

    store = Store.open()
    second = record_submitted(
        store,
        CASE,
        "email",
        twin.messages()[0]["message_id"],
        at("2026-02-27T10:00:00"),
        plan={
            "fields": {"to": TO, "subject": "订单KM20261102150012-投诉"},
            "target": {"from": "zhangsan@example.com"},
        },
    )
    tick("2026-02-28T10:30:00")  # Saturday 2/28/2026 is a 调休 working day: goes out at once
    assert len(follow_up_mails(twin)) == 2
    assert [a.key for a in actions("follow_up")][-1] == f"follow_up:{second.id}:1"


def test_at_most_n_follow_ups_spaced_then_escalation_prepared(setup) -> None:
    twin, receiver, case = setup
    fid = file_email(case, at("2026-11-10T10:00:00"))  # reply: 5 wd → Tue 11/17 23:59:59
    sent_at: list[str] = []
    for day in range(10, 31):
        for hour in ("09:00", "15:00"):
            stamp = f"2026-11-{day:02d}T{hour}:00"
            before = len(follow_up_mails(twin))
            tick(stamp)
            tick(stamp)  # an overlapping / repeated pass at the same time sends nothing twice
            if len(follow_up_mails(twin)) > before:
                sent_at.append(stamp)
    assert sent_at == ["2026-11-18T09:00:00", "2026-11-23T09:00:00"]  # max 2, spaced 3 working days
    assert len(follow_up_mails(twin)) == 2
    assert {m["Message-ID"] for m in follow_up_mails(twin)} and len(
        {m["Message-ID"] for m in follow_up_mails(twin)}
    ) == 2
    [esc] = actions("escalation")
    assert esc.key == f"escalation:{fid}:auto" and esc.status == "pending_person"
    assert esc.at.isoformat() == "2026-11-26T09:00:00+08:00"  # one more spacing after the last follow-up
    assert '"channel": "alipay"' in esc.detail_json  # next step of the plan: paid by Alipay, small amount
    prepared = Path(json.loads(esc.detail_json)["prepared"])
    assert "KM20261102150012" in prepared.read_text(encoding="utf-8")
    titles = receiver.titles()
    assert sum(t.startswith("已催办") for t in titles) == 2
    assert sum(t.startswith("升级") for t in titles) == 1
    assert (
        len(titles) == len(set(titles)) + 1
    )  # the two follow-up notices share a title, nothing else repeats
    timeline = CliRunner().invoke(app, ["timeline", CASE])
    assert timeline.exit_code == 0, timeline.output
    assert "第 2 次催办" in timeline.output and "升级" in timeline.output


def test_auto_escalation_files_the_next_channel_through_the_engine(setup) -> None:
    _, _, case = setup
    case.write_text(case.read_text(encoding="utf-8") + "auto_escalate: true\n", encoding="utf-8")
    fid = file_email(case, at("2026-11-10T10:00:00"))
    store = Store.open()
    store.add_event(
        CASE,
        "reject",
        {"channel": "email", "reason": "答复没有退款"},
        filing_id=fid,
        at=at("2026-11-11T10:00:00"),
    )
    report = tick("2026-11-11T10:05:00")
    [esc] = actions("escalation")
    assert esc.status == "pending_person", (
        report.actions
    )  # alipay is assisted: the guide waits for the person
    alipay = store.get_filing(CASE, "alipay")
    assert alipay is not None and alipay.state == "needs_person"
    assert alipay.plan["fields"]["reason"]  # prepared exactly what the app asks
    tick("2026-11-11T10:10:00")
    assert len(actions("escalation")) == 1  # the reject event is handled once


def test_escalation_picks_12315_or_the_association_never_both(setup) -> None:
    _, _, case = setup
    store = Store.open()
    store.import_case(case)
    filed = at("2026-11-10T10:00:00")
    mail = record_submitted(
        store,
        CASE,
        "email",
        "<m@x>",
        filed,
        plan={"fields": {"to": TO, "subject": "s"}, "target": {"from": "a@b.c"}},
    )
    record_submitted(store, CASE, "alipay", "2026111000001234", filed)
    store.add_event(CASE, "reject", {"channel": "email"}, filing_id=mail.id, at=filed)
    tick("2026-11-10T10:05:00")
    steps = [json.loads(a.detail_json)["step"] for a in actions("escalation")]
    assert steps[0]["kind"] == "channel" and steps[0]["channel"] == "12315"  # the plan chose 12315 ...
    record_submitted(store, CASE, "consumer_association", "XH-1", filed)  # ... but the person went to 消协
    store.add_event(CASE, "reject", {"channel": "email"}, filing_id=mail.id, at=at("2026-11-10T11:00:00"))
    tick("2026-11-10T11:05:00")
    steps = [json.loads(a.detail_json)["step"] for a in actions("escalation")]
    assert steps[1]["kind"] == "none" and steps[1]["channel"] is None  # 12315 is ruled out now
    assert store.get_filing(CASE, "12315") is None


def test_rejected_result_word_and_reject_command_escalate(setup) -> None:
    _, receiver, case = setup
    fid = file_email(case, at("2026-11-10T10:00:00"))
    runner = CliRunner()
    r = runner.invoke(
        app, ["report", CASE, "--channel", "email", "--status", "已驳回", "--at", "2026-11-11T10:00:00"]
    )
    assert r.exit_code == 0, r.output
    tick("2026-11-11T10:01:00")
    keys = [a.key for a in actions("escalation")]
    assert len(keys) == 1 and keys[0].startswith("escalation:status:")
    r = runner.invoke(
        app, ["reject", CASE, "--channel", "email", "--reason", "不同意", "--at", "2026-11-12T10:00:00"]
    )
    assert r.exit_code == 0, r.output
    tick("2026-11-12T10:01:00")
    keys = [a.key for a in actions("escalation")]
    assert len(keys) == 2 and keys[1].startswith("escalation:reject:")
    assert any(t.startswith("状态变化") for t in receiver.titles())
    bad = runner.invoke(app, ["reject", CASE, "--channel", "heimao"])
    assert bad.exit_code == 1 and "没有已提交的投诉" in bad.output
    assert fid


def test_result_brings_review_window_and_refund_reminders(setup) -> None:
    _, receiver, case = setup
    fid = file_email(case, at("2026-11-10T10:00:00"))
    runner = CliRunner()
    r = runner.invoke(
        app, ["report", CASE, "--channel", "email", "--status", "处理完成", "--at", "2026-11-12T16:00:00"]
    )
    assert r.exit_code == 0, r.output
    tick("2026-11-12T16:05:00")
    with Store.open().session() as s:
        rows = {d.clock: d for d in s.scalars(select(DbDeadline).where(DbDeadline.filing_id == fid))}
    assert rows["reply"].state == "fulfilled"
    assert rows["review_window"].due_at.isoformat() == "2026-11-16T23:59:59+08:00"  # 2 wd: Fri 13, Mon 16
    assert rows["refund_check"].due_at.isoformat() == "2026-11-17T23:59:59+08:00"  # 3 wd
    started = [t for t in receiver.titles() if t.startswith("期限开始")]
    assert len(started) == 2 and any("复核" in t for t in started) and any("退款" in t for t in started)
    tick("2026-11-16T00:30:00")  # 24 h before the review window ends
    assert any(t.startswith("期限临近：对处理结果申请复核") for t in receiver.titles())
    tick("2026-11-17T00:30:00")
    assert any(t.startswith("期限已到：对处理结果申请复核") for t in receiver.titles())
    r = runner.invoke(
        app, ["report", CASE, "--channel", "email", "--status", "退款已到账", "--at", "2026-11-17T10:00:00"]
    )
    assert r.exit_code == 0, r.output
    tick("2026-11-18T10:00:00")
    assert not any(t.startswith("期限已到：核实处理结果") for t in receiver.titles())  # refund arrived in time
    reminders = [a.key for a in actions("reminder")]
    assert len(reminders) == len(set(reminders)) == 4


def test_limitation_near_warns_once_per_case(setup) -> None:
    _, receiver, case = setup
    store = Store.open()
    store.import_case(case)
    filed = at("2026-11-10T10:00:00")
    for ch in ("alipay", "wechat_pay"):
        record_submitted(store, CASE, ch, "2026111000009999", filed)
    tick("2026-11-10T10:05:00")
    tick("2029-09-01T10:00:00")  # limitation: discovered 2026-11-02 + 3 years, warned 90 days before
    warned = [t for t in receiver.titles() if "诉讼时效" in t]
    assert warned == ["期限临近：诉讼时效(3 年) · km-2026-0001"]


def test_notification_failure_is_retried_later(setup, monkeypatch: pytest.MonkeyPatch) -> None:
    _, receiver, case = setup
    monkeypatch.setenv(env_name("notify", "phone"), "json://127.0.0.1:9/")  # nothing listens there
    user_policy("email.yaml", {"clocks": {"reply": {"duration": {"hours": 24}}}})
    file_email(case, at("2026-11-10T10:00:00"))
    tick("2026-11-11T10:00:01")
    failed = [a for a in actions("notification") if a.status == "failed"]
    assert failed and receiver.titles() == []
    monkeypatch.setenv(env_name("notify", "phone"), receiver.url)
    tick("2026-11-11T10:05:00")
    assert any(t.startswith("已催办") for t in receiver.titles())
    assert os.environ[env_name("notify", "phone")] == receiver.url
