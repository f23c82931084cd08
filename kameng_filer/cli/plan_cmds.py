"""``kameng plan`` (which channels, in what order, and why) and ``kameng letter`` (the printable 投诉书 PDF)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from kameng_filer.cli.caseref import open_store_if_any, resolve_case
from kameng_filer.cli.common import console, err_console, handle_errors, parse_now, print_json


def channel_title(channel: str) -> str:
    """A plan step's title: the manual steps' own, else the channel's declared title."""
    from kameng_filer import registry
    from kameng_filer.errors import KamengError
    from kameng_filer.planner import MANUAL_TITLES

    if channel in MANUAL_TITLES:
        return MANUAL_TITLES[channel]
    try:
        return registry.spec(channel).title
    except KamengError:
        return channel


def _title(channel: str, purpose: str = "complaint") -> str:
    base = channel_title(channel)
    return f"{base}·升级" if purpose == "escalation" else base


def register(app: typer.Typer) -> None:
    """Add ``plan`` and ``letter``."""

    @app.command("plan")
    @handle_errors
    def plan_cmd(
        case: str = typer.Argument(..., help="案件文件（或文件夹）路径，或已保存的案件编号"),
        as_json: bool = typer.Option(False, "--json", help="以 JSON 输出 {steps, excluded}"),
        parallel: bool = typer.Option(
            False, "--parallel", help="并行：允许的渠道同时提交（仍不会同时选12315和消协）"
        ),
        now: str = typer.Option(None, "--now", help="按这个时间计算期限（ISO，默认现在）"),
    ) -> None:
        """推荐投诉渠道、顺序和时机，并说明每一步的理由与被排除的渠道。"""
        from kameng_filer.planner import plan_channels

        store = open_store_if_any()
        ref = resolve_case(case, store)
        filed: set[str] = set()
        if store is not None and ref.stored:
            filed = {
                f.channel.split("@", 1)[0]
                for f in store.filings(case_id=ref.id, states=["submitted"])
                if f.purpose == "complaint"
            }
        result = plan_channels(ref.case, now=parse_now(now), parallel=parallel, filed=filed)
        if as_json:
            print_json(result.to_dict())
            return
        _print_plan(case, ref, result, parallel)

    @app.command("letter")
    @handle_errors
    def letter_cmd(
        case: str = typer.Argument(..., help="案件文件（或文件夹）路径，或已保存的案件编号"),
        out: Path = typer.Option(
            None, "--output", "--out", "-o", help="PDF 保存位置（默认当前目录 letter-案件编号.pdf）"
        ),
        to: str = typer.Option(None, "--to", help="收信的消协名称，如 杭州市消费者权益保护委员会"),
        as_json: bool = typer.Option(False, "--json", help="以 JSON 输出 {path, case_id}"),
    ) -> None:
        """生成可打印的消协投诉书 PDF（含证据清单与每张证据图片）。"""
        from kameng_filer.cli.progress import working
        from kameng_filer.config import channel_settings
        from kameng_filer.letter import write_letter_pdf
        from kameng_filer.outpath import check_output, output_error

        store = open_store_if_any()
        ref = resolve_case(case, store)
        hashes: dict[str, str] = {}
        if store is not None and ref.stored and ref.path is None:
            hashes = {row.evidence_id: row.sha256 for row in store.evidence_index(ref.id)}
        addressee = to or channel_settings("consumer_association").get("association_name")
        target = check_output(out or Path.cwd() / f"letter-{ref.id}.pdf", option="--output")
        with working(err_console, "正在生成投诉书 PDF（排版并压缩证据图片）"):
            try:
                path = write_letter_pdf(ref.case, target, hashes=hashes, addressee=addressee)
            except OSError as exc:
                raise output_error(target, exc, option="--output") from None
        if as_json:
            print_json({"path": str(path), "case_id": ref.id})
            return
        console.print(f"已生成投诉书：{escape(str(path))}")
        console.print("打印后在签名处签字、写上日期，连同证据材料一起递交或邮寄给消费者协会。")


def _print_plan(case: str, ref: Any, result: Any, parallel: bool) -> None:
    from kameng_filer.cli.suggest import file_commands
    from kameng_filer.config import load_config
    from kameng_filer.errors import KamengError

    head = f"投诉渠道计划：{ref.case.title}({ref.id})" + ("— 并行提交" if parallel else "— 逐级推进")
    console.print(f"[bold]{escape(head)}[/]")
    for n, step in enumerate(result.steps, start=1):
        color = "green" if step.done else "cyan"
        title = escape(_title(step.channel, step.purpose))
        console.print(f"\n[bold]{n}. {title}[/]  [{color}]{escape(step.when)}[/]")
        console.print(f"   理由：{escape(step.reason)}")
        if step.missing:
            need = "、".join(f"{m.label}({m.field})" for m in step.missing)
            console.print(f"   [yellow]需补充：{escape(need)}[/]")
    if result.excluded:
        console.print("\n[bold]不采用的渠道[/]")
        for e in result.excluded:
            console.print(f"- {escape(_title(e.channel))}:{escape(e.reason)}")
    if ref.case.evidence:  # where each file really is (symlinks resolved): what would be sent
        stored_copy = ref.stored and ref.path is None
        console.print("\n[bold]已保存的证据副本[/]" if stored_copy else "\n[bold]证据文件的实际位置[/]")
        for ev in ref.case.evidence:
            console.print(f"- {ev.id}:{ev.real_path}", markup=False)
    fileable = result.channels()
    if not fileable:
        return
    try:
        config = load_config()
    except KamengError as exc:  # a command printed now would fail on the same settings
        console.print(f"\n[yellow]注意：[/]{escape(exc.message)}")
        console.print("配置文件修正后再运行 kameng plan，会给出可直接运行的提交命令。")
        return
    suggestion = file_commands(case, fileable, config)
    if suggestion.commands:
        console.print("\n可用工具提交的渠道：")
        for line in suggestion.commands:
            console.print(f"  {escape(line)}")
    for note in suggestion.notes:
        console.print(f"[yellow]注意：[/]{escape(note)}")
