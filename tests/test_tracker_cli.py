"""The tracker's commands: ``tick --json``, ``status`` with a working-day countdown, ``timeline``, ``escalate``,
and clear Chinese errors for bad input."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from typer.testing import CliRunner

from kameng_filer.cli import app
from kameng_filer.store import Store
from kameng_filer.timeutil import parse_iso
from kameng_filer.tracker.testing import record_submitted

CASE = "km-2026-0001"
KAMENG = str(Path(__file__).resolve().parent.parent / ".venv" / "bin" / "kameng")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([KAMENG, *args], capture_output=True, text=True, env=env, timeout=120)


def test_tick_json_status_countdown_and_timeline(example_case: Path) -> None:
    store = Store.open()
    store.import_case(example_case)
    filing = record_submitted(
        store, CASE, "12315", "3301102026021312345678901", parse_iso("2026-02-13T10:00:00")
    )
    r = run("tick", "--now", "2026-02-13T10:05:00", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["now"] == "2026-02-13T10:05:00+08:00" and data["deadlines_refreshed"] >= 1

    r = run("status", CASE, "--now", "2026-02-24T10:00:00", "--json")
    assert r.returncode == 0, r.stderr
    [case] = json.loads(r.stdout)["cases"]
    [f] = [x for x in case["filings"] if x["filing_id"] == filing.id]
    assert f["complaint_no"] == "3301102026021312345678901"
    assert f["next_deadline"]["clock"] == "acceptance"
    assert f["next_deadline"]["due"] == "2026-03-02T23:59:59+08:00"
    assert f["next_deadline"]["working_days_left"] == 5  # 2/25, 2/26, 2/27, Sat 2/28 (调休), 3/2
    assert f["next_action"]["what"] == "到期后礼貌催办"

    table = run("status", "--now", "2026-02-24T10:00:00")
    assert table.returncode == 0 and "受理或不予受理的决定" in table.stdout

    r = run("timeline", CASE)
    assert r.returncode == 0 and "导入案件第 1 版" in r.stdout and "已提交" in r.stdout


def test_bad_input_gives_chinese_errors_not_tracebacks() -> None:
    r = run("tick", "--now", "明天")
    assert r.returncode == 2 and "不是有效的 ISO 时间" in r.stderr and "Traceback" not in r.stderr
    r = run("status", "no-such-case")
    assert r.returncode == 1 and "没有案件 no-such-case" in r.stderr
    r = run("timeline", "no-such-case")
    assert r.returncode == 1 and "没有案件" in r.stderr
    r = run("notify", "test")
    assert r.returncode == 1 and "还没有通知地址" in r.stderr
    r = run("notify", "remove", "nope")
    assert r.returncode == 1 and "没有名为「nope」的通知地址" in r.stderr


def test_escalate_needs_a_prepared_escalation_and_files_it(example_case: Path) -> None:
    store = Store.open()
    store.import_case(example_case)
    filed = parse_iso("2026-11-10T10:00:00")
    mail = record_submitted(
        store,
        CASE,
        "email",
        "<m@x>",
        filed,
        plan={"fields": {"to": "kefu@x.com", "subject": "s"}, "target": {"from": "a@b.c"}},
    )
    runner = CliRunner()
    r = runner.invoke(app, ["escalate", CASE, "--channel", "email", "--yes", "--now", "2026-11-10T10:05:00"])
    assert r.exit_code == 1 and "没有等待确认的升级" in r.output
    r = runner.invoke(
        app, ["reject", CASE, "--channel", "email", "--reason", "不同意", "--at", "2026-11-10T10:01:00"]
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["tick", "--now", "2026-11-10T10:02:00"])
    assert r.exit_code == 0 and "升级内容已准备" in r.output, r.output
    assert store.get_filing(CASE, "alipay") is None  # not filed without auto_escalate
    r = runner.invoke(app, ["escalate", CASE, "--channel", "email", "--yes", "--now", "2026-11-10T10:05:00"])
    assert r.exit_code == 0, r.output
    alipay = store.get_filing(CASE, "alipay")
    assert alipay is not None and alipay.state == "needs_person"  # the app steps are the person's
    assert mail.id
