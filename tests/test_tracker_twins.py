"""The tracker against the web twins in real Chromium: status reads, a follow-up as a 卡盟 ticket reply and
as a 12315 材料补充, pausing while the platform waits for the person, result → reminders, and
reconciling a follow-up whose pass died mid-way (found on the site: not sent again; absent: sent once)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select, update

from kameng_filer import paths
from kameng_filer.config import load_config, save_config
from kameng_filer.demo import DemoAnswerer
from kameng_filer.filing.person import ScriptedPerson
from kameng_filer.secrets import env_name
from kameng_filer.store import Store
from kameng_filer.timeutil import parse_iso
from kameng_filer.tracker import actions as act
from kameng_filer.tracker.models import DbAction, DbDeadline, DbTracking
from kameng_filer.tracker.testing import NotificationReceiver
from kameng_filer.tracker.tick import run_pass
from tests import canaries
from tests.filing_support import configure, file_now, scripted, twins_running

pytestmark = pytest.mark.browser

CASE = "km-2026-0001"


def at(text: str) -> datetime:
    return parse_iso(text)


def tick(text: str):
    return run_pass(Store.open(), at(text))


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch):
    with NotificationReceiver() as r:
        monkeypatch.setenv(env_name("notify", "p"), r.url)
        yield r


def _notify_and_polite(receiver: NotificationReceiver) -> None:
    cfg = load_config()
    cfg["notify"] = {"urls": [{"name": "p", "masked": receiver.url, "ref": "env"}]}
    save_config(cfg)
    (paths.user_schedules_dir() / "_common.yaml").write_text(
        yaml.safe_dump({"polling": {"min_gap_seconds": 0}}), encoding="utf-8"
    )


def _place(filing_id: int, when: datetime) -> None:
    Store.open().update_filing(filing_id, submitted_at=when)


def _deadline(filing_id: int, clock: str) -> DbDeadline:
    with Store.open().session() as s:
        return s.scalars(
            select(DbDeadline).where(DbDeadline.filing_id == filing_id, DbDeadline.clock == clock)
        ).one()


def _user_replies(twin) -> list[str]:
    return [r["text"] for r in twin.records()[0]["replies"] if r["by"] == "user"]


@pytest.fixture
def card(tmp_path: Path, receiver, example_case: Path):
    with twins_running(tmp_path, ["card_a"]) as ts:
        configure(ts, ["card_platform@a"])
        _notify_and_polite(receiver)
        out = file_now(example_case, ["card_platform@a"], scripted(ts, ["card_platform@a"]))[0]
        assert out.state == "submitted", out
        _place(out.filing_id, at("2026-11-10T10:00:00"))  # Tuesday
        yield ts["card_a"], out


def test_ticket_follow_up_pause_result_and_reminders(card, receiver) -> None:
    twin, out = card
    number = out.receipt["complaint_no"]
    tick("2026-11-10T10:05:00")  # starts tracking, reads 待客服回复
    with Store.open().session() as s:
        assert s.get(DbTracking, out.filing_id).last_raw == "待客服回复"
    assert _deadline(out.filing_id, "review").due_at.isoformat() == "2026-11-11T10:00:00+08:00"

    report = tick("2026-11-11T10:30:00")  # 24 h review lapsed, inside quiet hours → ticket reply
    replies = _user_replies(twin)
    assert len(replies) == 1 and "想了解进展是否有更新" in replies[0] and number in replies[0]
    assert [a["status"] for a in report.actions if a["kind"] == "follow_up"][-1] == "done"

    twin.operate(number, "reply", "请提供游戏内充值记录截图")  # staff asks → 待用户回复
    tick("2026-11-11T17:00:00")
    assert _deadline(out.filing_id, "review").state == "fulfilled"
    assert _deadline(out.filing_id, "processing").state == "paused"  # waiting for the person
    notes = [m for m in receiver.messages if m["title"].startswith("状态变化")]
    assert notes and "请提供游戏内充值记录截图" in notes[-1]["message"] and "等你回复" in notes[-1]["message"]

    twin.operate(number, "resolve", "已为您全额退款")
    tick("2026-11-12T10:00:00")
    with Store.open().session() as s:
        track = s.get(DbTracking, out.filing_id)
        assert track.last_raw == "已解决" and not track.open and track.next_poll_at is None
    window = _deadline(out.filing_id, "review_window")
    assert window.due_at.isoformat() == "2026-11-16T23:59:59+08:00"  # 2 working days after Thursday
    titles = [m["title"] for m in receiver.messages]
    assert any(t.startswith("期限开始：对处理结果申请复核") for t in titles)
    assert any(t.startswith("期限开始：核实处理结果已执行") for t in titles)
    assert len(_user_replies(twin)) == 1  # nothing else was posted


def _dead_owner() -> str:
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return f"{socket.gethostname()}:{proc.stdout.strip()}"


def _crashed_follow_up(filing_id: int, text: str) -> None:
    """A follow-up claimed by a process that died before it recorded the outcome."""
    store = Store.open()
    claimed = act.claim(
        store,
        f"follow_up:{filing_id}:1",
        "follow_up",
        case_id=CASE,
        filing_id=filing_id,
        at=at("2026-11-11T10:30:00"),
        detail={"number": 1, "text": text, "channel": "card_platform@a"},
    )
    assert claimed is not None
    with store.transaction() as s:
        s.execute(update(DbAction).where(DbAction.id == claimed.id).values(owner=_dead_owner()))
        s.execute(
            update(DbTracking)
            .where(DbTracking.filing_id == filing_id)
            .values(follow_ups=1, last_follow_up_at=at("2026-11-11T10:30:00"))
        )


def test_follow_up_already_on_the_site_is_reconciled_not_sent_again(card) -> None:
    twin, out = card
    tick("2026-11-10T10:05:00")
    text = "您好,我的投诉于11月10日提交,想了解进展是否有更新?(重启前已发出)"
    _crashed_follow_up(out.filing_id, text)
    twin.user_reply(twin.tickets[out.receipt["complaint_no"]], text)  # it did reach the site before the crash
    tick("2026-11-11T10:35:00")
    assert _user_replies(twin) == [text]
    action = act.get(Store.open(), f"follow_up:{out.filing_id}:1")
    assert action.status == "done" and action.detail.get("reconciled") is True


def test_follow_up_lost_in_a_crash_is_sent_exactly_once(card) -> None:
    twin, out = card
    tick("2026-11-10T10:05:00")
    text = "您好,我的投诉于11月10日提交,想了解进展是否有更新?(重启前未发出)"
    _crashed_follow_up(out.filing_id, text)
    tick("2026-11-11T10:35:00")
    tick("2026-11-11T10:40:00")
    assert _user_replies(twin) == [text]
    assert act.get(Store.open(), f"follow_up:{out.filing_id}:1").status == "done"


def test_12315_follow_up_is_a_supplement(tmp_path: Path, receiver, example_case: Path) -> None:
    with twins_running(tmp_path, ["gov12315"]) as ts:
        save_config({"channels": {"12315": {"account": "demo12315", "base_url": ts["gov12315"].url}}})
        os.environ[env_name("12315", "demo12315")] = canaries.TWIN_PASSWORD
        _notify_and_polite(receiver)
        person = ScriptedPerson(DemoAnswerer({"12315": ts["gov12315"].url}), quiet=True)
        out = file_now(example_case, ["12315"], person)[0]
        assert out.state == "submitted", out
        _place(out.filing_id, at("2026-11-10T10:00:00"))
        tick("2026-11-10T10:05:00")
        assert _deadline(out.filing_id, "acceptance").due_at.isoformat() == "2026-11-19T23:59:59+08:00"
        tick("2026-11-19T16:00:00")
        [complaint] = ts["gov12315"].records()
        assert complaint["supplements"] == []
        report = tick("2026-11-20T09:30:00")  # acceptance (7 working days) lapsed → 材料补充
        [complaint] = ts["gov12315"].records()
        assert len(complaint["supplements"]) == 1, report.to_dict()
        text = complaint["supplements"][0]["text"]
        assert "现补充说明如下" in text and len(text) <= 500  # 12315: 材料补充, not a progress question
        assert any(m["title"].startswith("已催办") for m in receiver.messages)
        assert json.dumps(report.to_dict(), ensure_ascii=False).count("follow_up") >= 1


def test_a_status_read_that_needs_the_person_is_skipped_and_noted(card, receiver) -> None:
    from kameng_filer.testing import set_faults

    twin, out = card
    set_faults(twin.url, expire_sessions=True)  # the stored login is gone: the captcha needs the person
    report = tick("2026-11-10T10:05:00")
    [polled] = report.polled
    assert polled["skipped"] == "需要本人操作"
    noted = act.get(Store.open(), f"status_poll:{out.filing_id}:person:2026-11-10")
    assert noted is not None and noted.status == "pending_person"
    assert any(m["title"].startswith("需要登录") for m in receiver.messages)
    assert not report.errors
    tick("2026-11-10T16:30:00")  # read again later, noted only once that day
    notes = [m for m in receiver.messages if m["title"].startswith("需要登录")]
    assert len(notes) == 1
