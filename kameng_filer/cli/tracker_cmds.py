"""Tracker commands: ``tick``, ``watch``, ``status``, ``timeline``, ``reject``, ``escalate``, ``notify``."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

import typer
from rich.markup import escape

from kameng_filer.cli.common import console, err_console, fail, handle_errors, print_json
from kameng_filer.errors import KamengError
from kameng_filer.timeutil import as_shanghai, parse_iso


def _now(value: str | None, option: str = "--now") -> datetime:
    """``--now`` (or ``option``, ISO) or the tracker's clock (real time, or ``KAMENG_SIMULATED_CLOCK``)."""
    if value:
        try:
            return parse_iso(value)
        except ValueError:
            fail(f"{option} 不是有效的 ISO 时间：{value}", hint="例如 2026-11-20T10:00:00", code=2)
    from kameng_filer.tracker import clock

    return clock.now()


def _store(*, readonly: bool = False) -> Any:
    from kameng_filer.store import Store

    return Store.open(readonly=readonly)


def _print_report(report: Any) -> None:
    from kameng_filer import wording

    console.print(f"跟踪时间：{report.now:%Y-%m-%d %H:%M:%S}（北京时间）")
    for w in report.warnings:
        console.print(f"[yellow]提醒：[/]{escape(w)}")
    for item in report.polled:
        what = item.get("raw") or item.get("skipped") or item.get("error") or ""
        mark = "（有变化）" if item.get("changed") else ""
        console.print(f"读取状态 {escape(item['channel'])} #{item['filing_id']}:{escape(str(what))}{mark}")
    for a in report.actions:
        console.print(escape(wording.action_line(a)))
    for e in report.errors:
        err_console.print(f"[red]问题：[/]{escape(e)}")
    if not (report.polled or report.actions):
        console.print("没有到期的事项。")


def _filing_for(store: Any, case_id: str, channel: str) -> Any:
    candidates = [f for f in store.filings(case_id, channel=channel) if f.state == "submitted"]
    if not candidates:
        filed = sorted({f.channel for f in store.filings(case_id, states=["submitted"])})
        known = (
            f"该案件已提交的渠道：{'、'.join(filed)}（渠道名要与提交时一致）"
            if filed
            else "该案件还没有已提交的投诉"
        )
        raise KamengError(
            f"案件 {case_id} 在渠道 {channel} 没有已提交的投诉",
            hint=f"{known}；各渠道的状态：kameng status {case_id}",
        )
    return max(candidates, key=lambda f: (f.submitted_at or f.created_at, f.id))


def record_reject(
    store: Any, case: str, channel: str, reason: str | None, at: datetime
) -> tuple[Any, Any, dict]:
    """Record that the person does not accept ``channel``'s result (``kameng reject``): (filing, event, data)."""
    if not store.has_case(case):
        raise KamengError(f"本地存储中没有案件 {case}", hint="用 kameng cases 查看已保存的案件")
    filing = _filing_for(store, case, channel)
    data = {"channel": channel, "reason": (reason or "").strip(), "complaint_no": filing.complaint_no}
    ev = store.add_event(case, "reject", data, filing_id=filing.id, at=at)
    return filing, ev, data


def register(app: typer.Typer) -> None:
    """Add the tracker commands and the ``notify`` group."""

    @app.command("tick")
    @handle_errors
    def tick_cmd(
        now: str = typer.Option(None, "--now", help="按这个时间跟踪一次（ISO，默认现在；用于脚本和测试）"),
        as_json: bool = typer.Option(False, "--json", help="以 JSON 输出"),
    ) -> None:
        """跟踪一次：读取状态、计算期限、按需催办/升级/提醒，并发送通知（适合 cron）。"""
        from kameng_filer.cli.progress import working
        from kameng_filer.tracker.tick import run_pass

        store = _store()
        at = _now(now)
        try:
            with working(err_console, "正在跟踪：读取状态、计算期限、催办、升级、发送通知"):
                report = run_pass(store, at)
        finally:
            store.close()
        if as_json:
            print_json(report.to_dict())
        else:
            _print_report(report)

    @app.command("watch")
    @handle_errors
    def watch_cmd(
        interval: float = typer.Option(300.0, "--interval", min=0.2, help="每隔多少秒跟踪一次"),
        as_json: bool = typer.Option(False, "--json", help="每条消息输出一行 JSON:{at, message}"),
    ) -> None:
        """常驻运行：按间隔自动跟踪（同一数据文件夹只能运行一个;Ctrl-C 或 SIGTERM 停止）。"""
        from kameng_filer.tracker import daemon

        if not as_json:
            daemon.watch(interval)
            return
        from kameng_filer.cli.common import print_json_line

        def say(text: str) -> None:
            print_json_line({"at": _now(None).isoformat(), "message": text})

        plain, daemon._say = daemon._say, say  # the passes report through the module's _say
        try:
            daemon.watch(interval, say=say)
        finally:
            daemon._say = plain

    @app.command("status")
    @handle_errors
    def status_cmd(
        case: str = typer.Argument(None, help="已保存的案件编号（不写则列出全部案件）"),
        now: str = typer.Option(None, "--now", help="按这个时间计算倒计时（ISO）"),
        as_json: bool = typer.Option(False, "--json", help="以 JSON 输出"),
    ) -> None:
        """各案件、各渠道的状态、投诉编号、最新进展、下一个期限（工作日倒计时）和下一步动作。"""
        from kameng_filer.tracker.overview import case_status

        store = _store(readonly=True)
        at = as_shanghai(_now(now))
        cases = [c for c in store.list_cases() if case is None or c.id == case]
        if case and not cases:
            raise KamengError(f"本地存储中没有案件 {case}", hint="用 kameng cases 查看已保存的案件")
        data = [case_status(store, c.id, at, c.title) for c in cases]
        if as_json:
            print_json({"now": at.isoformat(), "cases": data})
            return
        if not data:
            console.print("还没有保存的案件。")
        for item in data:
            _status_table(item)

    @app.command("timeline")
    @handle_errors
    def timeline_cmd(
        case: str = typer.Argument(..., help="已保存的案件编号"),
        as_json: bool = typer.Option(False, "--json", help="以 JSON 输出"),
    ) -> None:
        """案件的完整经过：导入、提交、状态、催办、升级、提醒和通知。"""
        from kameng_filer.cli import verbosity
        from kameng_filer.cli.tables import data_table, idcol, textcol
        from kameng_filer.tracker.overview import timeline_entry

        store = _store(readonly=True)
        if not store.has_case(case):
            raise KamengError(f"本地存储中没有案件 {case}", hint="用 kameng cases 查看已保存的案件")
        events = store.events(case)
        lines = [(e, *timeline_entry(e)) for e in events]
        if as_json:
            print_json(
                {
                    "case": case,
                    "events": [
                        {
                            "at": e.at.isoformat(),
                            "kind": e.kind,
                            "label": label,
                            "filing_id": e.filing_id,
                            "text": text,
                            "detail": detail or None,
                            "data": e.data,
                        }
                        for e, label, text, detail in lines
                    ],
                }
            )
            return
        verbose = verbosity.level() > 0
        rows = []
        hidden = 0
        for e, label, text, detail in lines:
            if detail and verbose:
                text += f"\n技术细节：{detail}"
            elif detail:
                hidden += 1
            rows.append([f"{as_shanghai(e.at):%Y-%m-%d %H:%M}", label, text])
        cols = [idcol("时间（北京）"), idcol("类别"), textcol("内容", min_width=40)]
        console.print(data_table(cols, rows, title=f"案件 {case} 的经过", console=console))
        if hidden:
            console.print(f"[dim]有 {hidden} 条记录附有技术细节：加 -v 显示，或用 --json 查看。[/]")

    @app.command("reject")
    @handle_errors
    def reject_cmd(
        case: str = typer.Argument(..., help="已保存的案件编号"),
        channel: str = typer.Option(
            ..., "--channel", "-c", help="不接受哪个渠道的处理结果（如 card_platform@站点）"
        ),
        reason: str = typer.Option(None, "--reason", "-r", help="不接受的理由（会写进升级/复核申请）"),
        at: str = typer.Option(None, "--at", help="时间（ISO，默认现在）"),
        as_json: bool = typer.Option(False, "--json", help="以 JSON 输出"),
    ) -> None:
        """记录本人不接受某渠道的处理结果；下一次跟踪时按渠道计划升级。"""
        filing, ev, data = record_reject(_store(), case, channel, reason, _now(at, "--at"))
        if as_json:
            print_json({"case": case, "channel": channel, "filing_id": filing.id, "event_id": ev.id, **data})
            return
        console.print(
            f"已记录：不接受「{escape(channel)}」投诉 {escape(filing.complaint_no or '')} 的处理结果。"
            "下一次跟踪（kameng tick 或 kameng watch）时会按渠道计划准备升级。"
        )

    @app.command("escalate")
    @handle_errors
    def escalate_cmd(
        case: str = typer.Argument(..., help="已保存的案件编号"),
        channel: str = typer.Option(..., "--channel", "-c", help="为哪个渠道的投诉提交已准备好的升级"),
        yes: bool = typer.Option(False, "--yes", "-y", help="不再询问确认"),
        now: str = typer.Option(None, "--now", help="时间（ISO，默认现在）"),
        as_json: bool = typer.Option(False, "--json", help="以 JSON 输出跟踪结果"),
    ) -> None:
        """提交跟踪器已准备好的升级（案件没有 auto_escalate 时，升级需要本人确认）。"""
        from kameng_filer.filing.person import default_person
        from kameng_filer.tracker.manual import escalate_prepared

        store = _store()
        if not store.has_case(case):
            raise KamengError(f"本地存储中没有案件 {case}", hint="用 kameng cases 查看已保存的案件")
        if not yes:
            if not sys.stdin.isatty():
                fail("需要确认后才会提交，但当前没有终端可以确认", hint="确认内容无误后加 --yes 重新运行")
            if not typer.confirm("确认提交已准备好的升级？", default=False):
                raise typer.Exit(0)
        report = escalate_prepared(store, case, channel, _now(now), person=default_person(err_console))
        if as_json:
            print_json(report.to_dict())
            return
        _print_report(report)

    notify_app = typer.Typer(
        help="通知：把催办、升级、状态变化和期限提醒推送给你（apprise 地址）", no_args_is_help=True
    )
    app.add_typer(notify_app, name="notify")

    @notify_app.command("add")
    @handle_errors
    def notify_add(
        url: str = typer.Argument(..., help="apprise 通知地址（含令牌，属于秘密）；写 - 则从标准输入读取"),
        name: str = typer.Option(None, "--name", "-n", help="给这个地址起个名字（默认 n1、n2…）"),
        as_json: bool = typer.Option(False, "--json", help="以 JSON 输出 {name, masked, warning}"),
    ) -> None:
        """添加通知地址：地址存入系统密钥环，配置文件只记录遮盖后的形式。"""
        from kameng_filer.tracker import notify

        value = sys.stdin.readline().strip() if url == "-" else url
        if not value:
            fail("没有读到通知地址", code=2)
        entry, warning = notify.add(value, name)
        if as_json:
            print_json({"name": entry["name"], "masked": entry["masked"], "warning": warning})
            return
        console.print(f"已添加通知「{escape(entry['name'])}」：{escape(entry['masked'])}")
        if warning:
            err_console.print(f"[yellow]注意：[/]{escape(warning)}")

    @notify_app.command("list")
    @handle_errors
    def notify_list(as_json: bool = typer.Option(False, "--json", help="以 JSON 输出")) -> None:
        """列出通知地址（只显示遮盖后的形式）。"""
        from kameng_filer.secrets import env_name
        from kameng_filer.tracker import notify

        items = notify.entries()
        if as_json:
            print_json({"urls": items})
            return
        if not items:
            console.print("还没有通知地址：kameng notify add URL")
        for e in items:
            where = "密钥环" if e.get("ref") == "keyring" else f"环境变量 {env_name(notify.SCOPE, e['name'])}"
            console.print(f"{escape(e['name'])}: {escape(str(e.get('masked')))}（地址保存在{where}）")

    @notify_app.command("remove")
    @handle_errors
    def notify_remove(
        name: str = typer.Argument(..., help="通知名称（kameng notify list 可查看）"),
        as_json: bool = typer.Option(False, "--json", help="以 JSON 输出 {removed}"),
    ) -> None:
        """删除一个通知地址（配置和密钥环里的都删除）。"""
        from kameng_filer.tracker import notify

        if not notify.remove(name):
            fail(f"没有名为「{name}」的通知地址", hint="kameng notify list 查看", error="not_found")
        if as_json:
            print_json({"removed": name})
            return
        console.print(f"已删除通知「{escape(name)}」")

    @notify_app.command("test")
    @handle_errors
    def notify_test(
        as_json: bool = typer.Option(False, "--json", help="以 JSON 输出 {sent, failed, missing}"),
    ) -> None:
        """向每个通知地址发送一条测试消息。"""
        from kameng_filer.tracker import notify

        if not notify.entries():
            fail("还没有通知地址", hint="先运行 kameng notify add URL", error="not_found")
        result = notify.send("kameng 通知测试", "这是一条测试消息：收到说明通知设置正确。")
        if as_json:
            bad = not result.ok or bool(result.failed or result.missing)
            data: dict[str, Any] = {"sent": result.sent, "failed": result.failed, "missing": result.missing}
            if bad:
                data["error"] = {
                    "code": "notify_failed",
                    "message": "有通知地址没有送达",
                    "hint": "检查 failed / missing 中的地址：kameng notify list",
                }
            print_json(data)
            raise typer.Exit(1 if bad else 0)
        for name in result.sent:
            console.print(f"[green]已送达[/] {escape(name)}")
        for name in result.failed:
            err_console.print(f"[red]发送失败[/] {escape(name)}")
        for name in result.missing:
            err_console.print(f"[red]找不到地址[/] {escape(name)}（密钥环里没有，也没有对应的环境变量）")
        if not result.ok or result.failed or result.missing:
            raise typer.Exit(1)


def _status_table(item: dict[str, Any]) -> None:
    from kameng_filer import wording
    from kameng_filer.cli.tables import data_table, idcol, textcol

    rows = []
    for f in item["filings"]:
        d = f["next_deadline"]
        if d:
            when = parse_iso(d["due"])
            left = d["working_days_left"]
            count = "已逾期" if d["state"] == "lapsed" else f"还剩 {left} 个工作日"
            prov = "\n（暂定）" if d["provisional"] else ""
            deadline = f"{d['title']}\n{when:%Y-%m-%d %H:%M}\n{count}{prov}"
        else:
            deadline = "—"
        a = f["next_action"]
        action = f"{parse_iso(a['at']):%Y-%m-%d %H:%M}\n{a['what']}" if a else "—"
        if f["escalated"]:
            action += "（已升级）"
        purpose = "" if f["purpose"] == "complaint" else f"({wording.purpose(f['purpose'])})"
        rows.append(
            [
                f["channel"] + purpose,
                f["state_label"],
                f["complaint_no"] or "—",
                _progress(f),
                deadline,
                action,
            ]
        )
    cols = [
        idcol("渠道"),
        idcol("状态"),
        idcol("投诉编号"),
        textcol("最新进展"),
        textcol("下一个期限", min_width=17),
        textcol("下一步", min_width=16),
    ]
    console.print(data_table(cols, rows, title=f"{item['case']} {item['title']}", console=console))


def _progress(f: dict[str, Any]) -> str:
    """The latest status, or for a filing that is not submitted the reason of its latest failure."""
    from kameng_filer import wording

    if f["last_status"]:
        return str(f["last_status"])
    reason, _detail = wording.split_technical(f.get("error") or "")
    return f"原因：{reason}" if reason else "—"
