"""``kameng render``: print a case's complaint texts for one channel and purpose."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path

import typer
from rich.cells import cell_len, chop_cells
from rich.markup import escape
from rich.panel import Panel
from rich.text import Text

from kameng_filer import registry
from kameng_filer.case import load_case
from kameng_filer.case.model import Case
from kameng_filer.cli.common import console, err_console, fail, handle_errors, print_json
from kameng_filer.errors import AdapterNotFound, ConfigError
from kameng_filer.findings import SEVERITY_LABEL, sort_findings
from kameng_filer.render import PART_LABELS, PURPOSE_LABELS, RenderContext, render
from kameng_filer.timeutil import parse_iso


class Purpose(StrEnum):
    """What the text is for."""

    complaint = "complaint"
    follow_up = "follow_up"
    escalation = "escalation"
    review = "review"


def _load_or_exit(path: Path) -> Case:
    """The case at ``path``; schema errors are printed (exit 1), unreadable files exit 2."""
    result = load_case(path)
    if result.case is None or any(f.severity == "error" for f in result.findings):
        err_console.print(f"[bold red]案件文件有错误，无法生成文本：[/]{escape(str(path))}")
        for f in sort_findings(result.findings):
            where = f"{f.path}" + (f"（第 {f.line} 行）" if f.line else "")
            err_console.print(f"  [{SEVERITY_LABEL[f.severity]}] {where}:{f.message}", markup=False)
            if f.hint:
                err_console.print(f"      建议：{f.hint}", markup=False)
        raise typer.Exit(1)
    return result.case


def _when(value: str | None, option: str) -> datetime | None:
    if not value:
        return None
    try:
        return parse_iso(value)
    except ValueError:
        fail(f"{option} 不是有效的 ISO 时间：{value}", hint="例如 2026-11-02T18:00:00", code=2)
        raise  # unreachable


def _fold(text: str, width: int) -> str:
    """Break long lines at the display width (Chinese has no spaces for rich's word wrap)."""
    out: list[str] = []
    for line in text.splitlines() or [""]:
        out.extend(chop_cells(line, width) if cell_len(line) > width else [line])
    return "\n".join(out)


def _channel_title(value: str) -> str:
    """A registered channel name becomes its title; anything else is kept as written."""
    if value in registry.names():
        try:
            return registry.spec(value).title
        except (AdapterNotFound, ConfigError):
            return value
    return value


def register(app: typer.Typer) -> None:
    """Add ``kameng render`` to the CLI."""

    @app.command("render")
    @handle_errors
    def render_cmd(
        case_file: Path = typer.Argument(..., metavar="CASE", help="案件文件（case.yaml / case.json）"),
        channel: str = typer.Option(..., "--channel", "-c", help="渠道名，如 card_platform、12315、heimao"),
        purpose: Purpose = typer.Option(Purpose.complaint, "--purpose", "-p", help="文本用途"),
        as_json: bool = typer.Option(False, "--json", help='只输出 {"channel", "purpose", "fields"} JSON'),
        prior_channel: str = typer.Option("", "--prior-channel", help="此前投诉的渠道（渠道名或名称）"),
        complaint_no: str = typer.Option("", "--complaint-no", help="此前投诉的编号"),
        filed_at: str = typer.Option("", "--filed-at", help="此前投诉的提交时间（ISO）"),
        status: str = typer.Option("", "--status", help="此前投诉当前显示的状态，如 处理中"),
        result: str = typer.Option("", "--result", help="收到的处理结果原文"),
        result_at: str = typer.Option("", "--result-at", help="收到处理结果的时间（ISO）"),
        reason: str = typer.Option("", "--reason", help="认为处理结果不当的理由"),
    ) -> None:
        """按渠道与用途生成投诉文本（投诉 / 进展查询 / 升级投诉 / 复核申请），逐字段显示字数与上限。"""
        spec = registry.spec(channel)
        case = _load_or_exit(case_file)
        context = RenderContext(
            prior_channel=_channel_title(prior_channel.strip()),
            complaint_no=complaint_no,
            filed_at=_when(filed_at, "--filed-at"),
            last_status=status,
            result=result,
            result_at=_when(result_at, "--result-at"),
            reason=reason,
        )
        rendered = render(case, channel, purpose.value, context)
        if as_json:
            print_json(rendered.to_dict())
            return
        console.print(
            f"[bold]{spec.title}[/] · {PURPOSE_LABELS[purpose.value]} · 订单 {case.order.order_no}"
            + (" · [yellow]公开渠道，个人信息已打码[/]" if spec.public else "")
        )
        for fs in spec.rendered_fields:
            text = rendered.fields[fs.name]
            limit = f" / 上限 {fs.max_len}" if fs.max_len else ""
            panel = Panel(
                Text(_fold(text, max(20, console.width - 4)), no_wrap=True),
                title=f"{fs.label}({fs.name})",
                title_align="left",
                subtitle=f"{len(text)} 字{limit}",
                subtitle_align="right",
            )
            console.print(panel, soft_wrap=False)
            gone = rendered.dropped.get(fs.name)
            if gone:
                console.print(f"[dim]为符合字数上限已省略：{'、'.join(PART_LABELS[p] for p in gone)}[/]")
