"""CLI output that tells the truth: ids and counts never cut, Chinese words for every state and kind, user
text never read as rich markup, technical details only with -v, the last failure wins, suggested commands
run as printed, and no spinner fragments when output is piped."""

from __future__ import annotations

import io
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner

from kameng_filer.cli import app, verbosity
from kameng_filer.cli import common as cli_common
from kameng_filer.store import Store
from kameng_filer.timeutil import parse_iso
from kameng_filer.tracker.testing import record_submitted

LONG_CASE = "km-2026-0001-xingchen-dianquan-weidaozhang-buchong"
LONG_SITE = "card_platform@xingchen-km-official"
LONG_NO = "GD2026110310000000123456789012"
PLAYWRIGHT = "Error: Page.goto: net::ERR_CONNECTION_REFUSED at http://127.0.0.1:9/login"
ENGLISH = re.compile(
    r"\b(planned|submitting|submitted|needs_person|failed|follow_up|notification|escalation)\b"
)


@pytest.fixture
def width() -> Iterator[object]:
    """Set the consoles' width like COLUMNS would (restored afterwards)."""
    saved = (cli_common.console._width, cli_common.err_console._width)

    def set_width(n: int) -> None:
        cli_common.console._width = n
        cli_common.err_console._width = n

    yield set_width
    cli_common.console._width, cli_common.err_console._width = saved


@pytest.fixture
def verbose_off() -> Iterator[None]:
    """Verbosity back to normal after the test."""
    before = verbosity.level()
    yield
    verbosity.set_level(before)


def _long_case(example_case: Path) -> Path:
    data = yaml.safe_load(example_case.read_text(encoding="utf-8"))
    data["id"] = LONG_CASE
    example_case.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return example_case


def invoke(*args: str) -> tuple[int, str]:
    """Run ``kameng ARGS`` in-process; (exit code, stdout + stderr)."""
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes is not None else "")


@pytest.fixture
def stored(example_case: Path) -> Store:
    """A stored case with a long id and a submitted filing with a long channel name and receipt number."""
    store = Store.open()
    store.import_case(_long_case(example_case))
    record_submitted(store, LONG_CASE, LONG_SITE, LONG_NO, parse_iso("2026-11-03T10:00:00"))
    code, out = invoke("tick", "--now", "2026-11-03T10:05:00")  # computes the deadlines
    assert code == 0, out
    return store


@pytest.mark.parametrize("columns", [80, 100, 120])
def test_ids_numbers_and_counts_are_never_cut(stored: Store, width, columns: int) -> None:
    width(columns)
    code, out = invoke("status", "--now", "2026-11-03T12:00:00")
    assert code == 0, out
    for whole in (LONG_CASE, LONG_SITE, LONG_NO):
        assert whole in out, (columns, whole, out)
    assert re.search(r"还剩 \d+ 个工作日", out), out
    assert "…" not in out
    code, out = invoke("cases")
    assert code == 0 and LONG_CASE in out and "…" not in out, out
    code, out = invoke("timeline", LONG_CASE)
    assert code == 0 and LONG_NO in out and "…" not in out, out


@pytest.mark.parametrize("columns", [80, 100, 120])
def test_run_results_keep_receipt_numbers_whole(columns: int) -> None:
    from kameng_filer.cli.outcomes import outcome_view
    from kameng_filer.filing.engine import Outcome

    outcomes = [
        Outcome(
            LONG_SITE, "submitted", receipt={"complaint_no": LONG_NO, "screenshot": "/tmp/x/receipt.png"}
        ),
        Outcome("12315", "failed", error=f"无法连接渠道网站({PLAYWRIGHT})", hint="稍后重新运行同一命令"),
        Outcome("email", "planned", receipt={"complaint_no": "<20261103100000.4242@kameng.example>"}),
    ]
    buf = io.StringIO()
    con = Console(file=buf, width=columns, highlight=False, soft_wrap=True)
    con.print(outcome_view(outcomes, console=con))
    out = buf.getvalue()
    for whole in (LONG_SITE, LONG_NO, "<20261103100000.4242@kameng.example>", "/tmp/x/receipt.png"):
        assert whole in out, (columns, out)
    assert "已演练（未提交）" in out and "无法连接渠道网站" in out and "net::ERR" not in out


def test_tick_speaks_chinese_and_keeps_brackets(capsys: pytest.CaptureFixture[str]) -> None:
    from kameng_filer.cli.tracker_cmds import _print_report
    from kameng_filer.tracker.context import PassReport

    report = PassReport(now=parse_iso("2026-11-03T10:00:00"))
    report.action("k1", "follow_up", "done", "第 1 次催办已发出 [status] 已读", channel="email")
    report.action("k2", "notification", "pending_person", "[bold]节假日[/bold] 数据缺失")
    report.action("k3", "escalation", "failed", "升级失败", channel=LONG_SITE)
    report.action("k4", "reminder", "done", "期限提醒")
    report.polled.append({"channel": "12315", "filing_id": 3, "raw": "[处理中] 已转交"})
    _print_report(report)
    out = capsys.readouterr().out
    assert not ENGLISH.search(out), out
    assert "催办 email(已完成)" in out and "通知(等待本人操作)" in out and "升级" in out and "提醒" in out
    assert "[status] 已读" in out and "[bold]节假日[/bold]" in out and "[处理中] 已转交" in out


def _failed_filing(store: Store, case_id: str, *errors: str) -> int:
    """A filing that failed once per error, recorded the way the engine records a rerun that fails again."""
    f = store.create_filing(case_id, "12315", at=parse_iso("2026-11-03T10:00:00"))
    for n, error in enumerate(errors):
        at = parse_iso(f"2026-11-0{3 + n}T11:00:00")
        if n:
            store.update_filing(f.id, error=None, at=at)  # a rerun reuses the record (engine._one)
        store.update_filing(f.id, state="failed", error=error, at=at)
    return f.id


def test_timeline_words_and_technical_detail_only_with_v(
    example_case: Path, verbose_off: None, width
) -> None:
    width(200)
    store = Store.open()
    store.import_case(example_case)
    _failed_filing(store, "km-2026-0001", f"无法连接渠道网站({PLAYWRIGHT})")
    code, out = invoke("timeline", "km-2026-0001")
    assert code == 0, out
    assert "待提交 → 失败" in out and "无法连接渠道网站" in out
    assert not ENGLISH.search(out) and "net::ERR" not in out and "Page.goto" not in out
    assert "-v" in out  # says where the detail is
    code, out = invoke("-v", "timeline", "km-2026-0001")
    assert code == 0 and "net::ERR_CONNECTION_REFUSED" in out, out
    code, out = invoke("timeline", "km-2026-0001", "--json")
    import json

    events = json.loads(out)["events"]
    [failed] = [e for e in events if e["kind"] == "filing_state" and e["data"]["to"] == "failed"]
    assert "net::ERR_CONNECTION_REFUSED" in failed["detail"] and "net::ERR" not in failed["text"]


def test_last_failure_wins_in_timeline_and_export(example_case: Path, tmp_path: Path, width) -> None:
    import zipfile

    width(160)

    store = Store.open()
    store.import_case(example_case)
    _failed_filing(store, "km-2026-0001", "登录失败:验证码错误", "渠道服务器错误(HTTP 503)")
    code, out = invoke("timeline", "km-2026-0001", "--json")
    import json

    texts = [e["text"] for e in json.loads(out)["events"] if e["kind"] == "filing_state"]
    assert "HTTP 503" in texts[-1], texts
    code, out = invoke("status", "km-2026-0001", "--json")
    [filing] = json.loads(out)["cases"][0]["filings"]
    assert filing["error"] == "渠道服务器错误(HTTP 503)", filing
    code, out = invoke("status", "km-2026-0001")
    assert "HTTP 503" in out and "验证码错误" not in out, out
    code, out = invoke("export", "km-2026-0001", "-o", str(tmp_path / "b.zip"))
    assert code == 0, out
    with zipfile.ZipFile(tmp_path / "b.zip") as z:
        summary = z.read("案件摘要.md").decode("utf-8")
    [row] = [line for line in summary.splitlines() if line.startswith("| 全国12315平台")]
    assert "HTTP 503" in row and "验证码错误" not in row, row
    history = [line for line in summary.splitlines() if "验证码错误" in line or "HTTP 503" in line]
    assert "HTTP 503" in history[-1], history


def test_working_shows_progress_only_on_a_terminal() -> None:
    from kameng_filer.cli.progress import working

    piped = io.StringIO()
    con = Console(file=piped, force_terminal=False)
    with working(con, "正在跟踪") as update:
        update("读取状态")
    assert piped.getvalue() == ""
    with working(con, "正在生成", plain=True) as update:
        update("第 1 页")
    assert piped.getvalue() == "正在生成\n正在生成:第 1 页\n"
    tty = io.StringIO()
    con = Console(file=tty, force_terminal=True, width=80)
    with working(con, "正在跟踪") as update:
        update("读取状态")
    assert "正在跟踪" in tty.getvalue()


def test_tick_piped_prints_no_spinner_or_escape_codes(example_case: Path) -> None:
    store = Store.open()
    store.import_case(example_case)
    code, out = invoke("tick", "--now", "2026-11-03T10:05:00")
    assert code == 0, out
    assert "\x1b[" not in out and not re.search("[\u2800-\u28ff]", out), out


def test_suggestions_name_real_channels() -> None:
    from kameng_filer.cli.suggest import file_commands

    none = file_commands("my case", ["card_platform", "email"], {})
    assert none.commands == ["kameng file 'my case' --channels email"]
    assert "kameng adapters list" in none.notes[0]
    one = file_commands("c", ["card_platform", "alipay"], {"channels": {"card_platform@a": {}, "email": {}}})
    assert one.commands == ["kameng file c --channels card_platform@a,alipay"]
    two = file_commands("c", ["card_platform"], {"channels": {"card_platform@a": {}, "card_platform@b": {}}})
    assert two.commands == [
        "kameng file c --channels card_platform@a",
        "kameng file c --channels card_platform@b",
    ]
    for cmd in none.commands + one.commands + two.commands:
        assert shlex.split(cmd)[0] == "kameng"


def test_plan_suggests_a_file_command_that_runs_as_printed(example_case: Path, tmp_path: Path) -> None:
    from tests.filing_support import configure, file_now, scripted, twins_running

    store = Store.open()
    store.import_case(example_case)
    for channel, number in (("alipay", "2026110322001"), ("12315", "33011020261103"), ("heimao", "17300001")):
        record_submitted(store, "km-2026-0001", channel, number, parse_iso("2026-11-03T10:00:00"))
    with twins_running(tmp_path, ["card_a"]) as ts:
        configure(ts, ["card_platform@api"])
        # the person logged in once before (the captcha is theirs to read); the session is kept
        [first] = file_now(
            example_case, ["card_platform@api"], scripted(ts, ["card_platform@api"]), dry_run=True
        )
        assert first.state == "planned", first
        code, out = invoke("plan", "km-2026-0001")
        assert code == 0, out
        commands = [line.strip() for line in out.splitlines() if line.strip().startswith("kameng file ")]
        assert commands == ["kameng file km-2026-0001 --channels card_platform@api"], out
        args = shlex.split(commands[0])[1:]
        code, out = invoke(*args, "--dry-run")
        assert code == 0 and "已演练（未提交）" in out, out
        # not a terminal: progress came as plain lines, no spinner frames or cursor codes
        assert "card_platform@api:" in out and "\x1b[" not in out and not re.search("[\u2800-\u28ff]", out)


COMMAND = re.compile(r"kameng(?: (?!\s)[^\s,。;:()、，；：（）]+)+")


def test_commands_in_tracker_messages_run_as_printed(example_case: Path) -> None:
    from kameng_filer.tracker import notices

    store = Store.open()
    store.import_case(example_case)
    record_submitted(
        store, "km-2026-0001", "card_platform@a", "GD20261103001", parse_iso("2026-11-03T10:00:00")
    )
    at = parse_iso("2026-11-05T10:00:00")
    texts = [
        notices.status_changed(
            "km-2026-0001", "card_platform@a", "GD20261103001", "已完成", at, {"state": "resolved"}
        ).body,
        notices.status_changed(
            "km-2026-0001", "card_platform@a", "GD20261103001", "已关闭", at, {"state": "closed"}
        ).body,
        notices._hint("refund_check", "km-2026-0001", "card_platform@a"),
        notices._hint("review_window", "km-2026-0001", "card_platform@a"),
        notices._hint("supplement", "km-2026-0001", "card_platform@a"),
    ]
    code, out = invoke("escalate", "km-2026-0001", "--channel", "card_platform@a", "--yes")
    assert code == 1 and "没有等待确认的升级" in out, out
    texts.append(out)
    commands = [c for text in texts for c in COMMAND.findall(text)]
    assert len(commands) >= 8 and "kameng tick" in commands, commands
    for cmd in commands:
        args = shlex.split(cmd)[1:]
        code, out = invoke(*args, "--at", "2026-11-05T11:00:00") if args[0] == "report" else invoke(*args)
        assert code == 0, (cmd, out)


def test_case_text_is_shown_literally_not_as_markup(example_case: Path, width) -> None:
    width(100)
    data = yaml.safe_load(example_case.read_text(encoding="utf-8"))
    data["title"] = "[red]点券[/red]未到账 [link=http://x]"
    example_case.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    code, out = invoke("add", str(example_case))
    assert code == 0, out
    code, out = invoke("cases")
    assert code == 0 and "[red]点券[/red]未到账 [link=http://x]" in out, out

    from kameng_filer.adapter import FilingPlan
    from kameng_filer.filing.channels import resolve
    from kameng_filer.filing.run import plan_table

    adapter = resolve("email", {}).adapter
    plan = FilingPlan(
        "email", "km-1", "complaint", fields={"subject": "[bold]投诉[/bold]"}, notes=["[i]注意[/i]"]
    )
    buf = io.StringIO()
    Console(file=buf, width=100).print(plan_table(adapter, plan))
    assert "[bold]投诉[/bold]" in buf.getvalue() and "[i]注意[/i]" in buf.getvalue()


def test_narrow_terminal_lists_fields_vertically_with_ids_whole(stored: Store, width) -> None:
    width(50)
    code, out = invoke("status", "--now", "2026-11-03T12:00:00")
    assert code == 0 and f"投诉编号:{LONG_NO}" in out and f"渠道:{LONG_SITE}" in out, out
    assert re.search(r"还剩 \d+ 个工作日", out), out


def test_table_cells_never_send_control_characters() -> None:
    from kameng_filer.cli.tables import data_table, idcol, textcol

    buf = io.StringIO()
    con = Console(file=buf, width=80, force_terminal=False)
    con.print(
        data_table(
            [idcol("编号"), textcol("标题")], [["km-1", "\x1b]0;pwned\x07标题\u202e反转"]], console=con
        )
    )
    assert "\x1b" not in buf.getvalue() and "\u202e" not in buf.getvalue() and "标题" in buf.getvalue()


@pytest.mark.parametrize("columns", [80, 120])
def test_adapters_list_keeps_the_names_people_type(width, columns: int) -> None:
    width(columns)
    code, out = invoke("adapters", "list")
    assert code == 0, out
    for name in ("consumer_association", "card_platform", "card-a-twin", "gov12315-twin", "association-twin"):
        assert re.search(rf"(^|[\s│:]){re.escape(name)}([\s│]|$)", out, re.M), (name, out)


def test_tick_problems_name_the_action_in_chinese(example_case: Path) -> None:
    from kameng_filer.tracker import actions as act
    from kameng_filer.tracker.tick import _what

    store = Store.open()
    store.import_case(example_case)
    f = record_submitted(store, "km-2026-0001", "email", "<m@x>", parse_iso("2026-11-03T10:00:00"))
    action = act.claim(
        store,
        f"follow_up:{f.id}:1",
        "follow_up",
        case_id="km-2026-0001",
        filing_id=f.id,
        at=parse_iso("2026-11-05T10:00:00"),
    )
    assert action is not None
    assert _what(action) == f"催办（投诉记录 {f.id}）"


def test_wrong_channel_hint_names_the_filed_channels_and_a_runnable_command(example_case: Path) -> None:
    store = Store.open()
    store.import_case(example_case)
    record_submitted(
        store, "km-2026-0001", "card_platform@a", "GD20261103001", parse_iso("2026-11-03T10:00:00")
    )
    code, out = invoke("reject", "km-2026-0001", "--channel", "card_platform", "--reason", "只退了一半")
    assert code == 1 and "card_platform@a" in out, out
    cmd = next(c for c in COMMAND.findall(out) if c.startswith("kameng status"))
    code, out = invoke(*shlex.split(cmd)[1:])
    assert code == 0 and "GD20261103001" in out, out


def test_a_case_id_in_a_table_title_is_not_folded(example_case: Path, width) -> None:
    width(100)
    case_id = "km-2026-0001-" + "x" * 51  # the longest id the case format allows (64 characters)
    data = yaml.safe_load(example_case.read_text(encoding="utf-8"))
    data["id"] = case_id
    example_case.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    code, out = invoke("add", str(example_case))
    assert code == 0, out
    for args in (["timeline", case_id], ["status", case_id], ["cases"]):
        code, out = invoke(*args)
        assert code == 0 and case_id in out, (args, out)


def test_plan_with_broken_settings_suggests_no_command_that_would_fail(
    example_case: Path, kameng_home: Path
) -> None:
    (kameng_home / "config.yaml").write_text("channels: 5\n", encoding="utf-8")
    code, out = invoke("plan", str(example_case))
    assert code == 0, out
    assert "kameng file" not in out and "config.yaml" in out, out
    assert "修正后再运行 kameng plan" in out


def test_restore_list_keeps_backup_names_whole(example_case: Path, kameng_home: Path, width) -> None:
    from kameng_filer.store.backup import list_backups

    width(80)
    Store.open().import_case(example_case)
    backups = list_backups(kameng_home / "kameng.sqlite3")
    assert backups, "the first writable open of the day keeps a backup"
    code, out = invoke("restore", "--list")
    assert code == 0, out
    for b in backups:
        assert b.path.name in out, (b.path.name, out)


def test_watch_pass_lines_speak_chinese(
    example_case: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import time

    from kameng_filer.tracker import daemon

    store = Store.open()
    store.import_case(example_case)
    record_submitted(
        store, "km-2026-0001", "12315", "3301102026110312345678901", parse_iso("2026-11-03T10:00:00")
    )
    code, out = invoke(
        "report", "km-2026-0001", "--channel", "12315", "--status", "已受理", "--at", "2026-11-04T10:00:00"
    )
    assert code == 0, out
    monkeypatch.setenv("KAMENG_SIMULATED_CLOCK", f"2026-11-20T10:05:00+08:00@{time.time():.3f}x1")
    capsys.readouterr()
    daemon.scheduled_pass()
    out = capsys.readouterr().out
    assert "提醒 12315(已完成)" in out, out
    assert not ENGLISH.search(out) and " done" not in out and "reminder" not in out, out


def test_tick_on_a_terminal_shows_progress_on_stderr(example_case: Path) -> None:
    import os
    import pty
    import subprocess
    import sys

    Store.open().import_case(example_case)
    kameng = str(Path(sys.executable).with_name("kameng"))
    primary, secondary = pty.openpty()
    try:
        proc = subprocess.run(
            [kameng, "tick", "--now", "2026-11-03T10:05:00"],
            stdout=subprocess.PIPE,
            stderr=secondary,
            env={**os.environ, "COLUMNS": "100", "TERM": "xterm"},
            timeout=120,
        )
        os.close(secondary)
        secondary = -1
        chunks = []
        while True:
            try:
                data = os.read(primary, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
    finally:
        if secondary != -1:
            os.close(secondary)
        os.close(primary)
    assert proc.returncode == 0
    assert "正在跟踪" in b"".join(chunks).decode("utf-8", "replace")
    assert b"\x1b[" not in proc.stdout  # stdout is a pipe: plain text only


def test_login_hints_run_as_printed() -> None:
    from kameng_filer.errors import SecretMissing
    from kameng_filer.filing.preflight import missing_account
    from kameng_filer.secrets import get_secret

    with pytest.raises(SecretMissing) as err:
        get_secret("card_platform@a", "")
    hints = [err.value.hint or "", missing_account("card_platform@a").hint]
    commands = [c for h in hints for c in COMMAND.findall(h) if c.startswith("kameng login")]
    assert len(commands) == 2, hints
    for cmd in commands:
        code, out = invoke(*shlex.split(cmd)[1:])
        assert code != 2 and "多余的参数" not in out, (cmd, out)  # parsed as printed (no keyring or terminal here)


def test_paths_with_brackets_are_printed_literally(tmp_path: Path) -> None:
    folder = tmp_path / "[bold]纠纷"
    folder.mkdir()
    case = folder / "case.yaml"
    case.write_text("id: km-1\ntitle: 只有标题\n", encoding="utf-8")  # schema errors
    code, out = invoke("render", str(case), "--channel", "email")
    assert code == 1 and "[bold]纠纷" in out, out


def test_new_suggests_a_check_command_that_runs_as_printed(tmp_path: Path) -> None:
    folder = tmp_path / "我的 纠纷"
    code, out = invoke("new", str(folder))
    assert code == 0, out
    cmd = next(line.split("：", 1)[1] for line in out.splitlines() if "kameng check" in line)
    args = shlex.split(cmd)
    assert args[:2] == ["kameng", "check"] and args[2] == str(folder), args
    code, out = invoke(*args[1:])
    assert code in (0, 1) and "案件检查" in out, out  # the template still has gaps to fill: checked, not refused
