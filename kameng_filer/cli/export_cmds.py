"""``kameng export``: one zip bundle of a stored case (record, evidence, receipts, timeline, summary)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from kameng_filer.cli.common import console, err_console, handle_errors, print_json


@handle_errors
def export(
    case_id: str = typer.Argument(..., help="已导入案件的编号（见 kameng cases）"),
    output: Path | None = typer.Option(
        None, "--output", "--out", "-o", help="输出的 zip 文件（默认：当前文件夹下的 <案件编号>-材料包.zip）"
    ),
    case_version: int | None = typer.Option(None, "--case-version", min=1, help="案件版本（默认最新版）"),
    old_version: int | None = typer.Option(None, "--version", min=1, hidden=True, help="同 --case-version（旧写法）"),
    public: bool = typer.Option(
        False, "--public", help="公开版：遮盖手机号、邮箱、住址、身份证号、卡密；证据图片和 PDF 用黑框遮盖后才包含，去除拍摄信息"
    ),
    force: bool = typer.Option(False, "--force", help="输出文件已存在时覆盖"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出结果"),
) -> None:
    """导出案件材料包（zip）：案件记录、证据与证据清单、每次投诉的回执、时间线和中文摘要，供律师、12315、法院使用。"""
    from kameng_filer.export import export_case
    from kameng_filer.outpath import check_output

    if output is not None and not output.expanduser().exists():
        output = check_output(output, option="--output")
    version = case_version or old_version
    result = export_case(case_id, output, version=version, public=public, force=force)
    if as_json:
        print_json(
            {
                "path": str(result.path),
                "case_id": result.case_id,
                "version": result.version,
                "public": result.public,
                "size": result.size,
                "filings": result.filings,
                "members": result.members,
                "skipped": result.skipped,
            }
        )
        return
    kind = "公开版" if public else "完整版（含个人信息，请只交给处理机构）"
    console.print(
        f"[green]已导出[/] 案件 [bold]{escape(result.case_id)}[/] 第 {result.version} 版 → "
        f"{escape(str(result.path))}"
    )
    console.print(
        f"{kind};{len(result.members)} 个文件，{result.filings} 条投诉记录，{result.size / 1024:.1f} KB"
    )
    for item in result.skipped:
        err_console.print(f"[yellow]未包含：[/]{escape(item)}")


def register(app: typer.Typer) -> None:
    """Add ``export`` to the ``kameng`` app."""
    app.command("export")(export)
