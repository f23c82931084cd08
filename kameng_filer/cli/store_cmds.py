"""Local-store commands: ``kameng add`` (import a case), ``kameng cases``, ``kameng evidence`` (证据清单)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

import typer
from rich.markup import escape

from kameng_filer.cli.common import console, err_console, handle_errors, print_json
from kameng_filer.cli.tables import data_table, idcol, numcol, textcol
from kameng_filer.errors import CaseInvalid
from kameng_filer.findings import Finding
from kameng_filer.timeutil import as_shanghai


class IndexFormat(StrEnum):
    """Output formats of the evidence index."""

    md = "md"
    json = "json"


def _print_findings(findings: list[Finding]) -> None:
    labels = {"error": "[bold red]错误[/]", "warning": "[yellow]警告[/]", "hint": "[cyan]建议[/]"}
    for f in findings:
        where = f"{f.path}" + (f"（第 {f.line} 行）" if f.line else "")
        err_console.print(f"{labels.get(f.severity, f.severity)} {escape(where)}:{escape(f.message)}")
        if f.hint:
            err_console.print(f"    [dim]建议：{escape(f.hint)}[/]")


@handle_errors
def add(
    case: Path = typer.Argument(..., help="案件文件（case.yaml / case.json），或包含它的文件夹"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出结果"),
) -> None:
    """导入案件：证据按 SHA-256 存入本地证据库；修改后再次导入会保存为新版本，旧版本和证据都保留。"""
    from kameng_filer.store import Store
    from kameng_filer.store.evidence_index import EVIDENCE_KIND_LABELS, human_size
    from kameng_filer.store.sniff import mime_label

    with Store.open() as store:
        try:
            result = store.import_case(case)
        except CaseInvalid as exc:
            if as_json:
                error = {"code": "case_invalid", "message": exc.message, "hint": "运行 kameng check 查看全部问题"}
                print_json({"error": error, "findings": [f.to_dict() for f in exc.issues]})
            else:
                _print_findings(exc.issues)
            raise
    if as_json:
        print_json(
            {
                "case_id": result.case_id,
                "version": result.version,
                "created": result.created,
                "evidence": [r.to_dict() for r in result.evidence],
                "warnings": [w.to_dict() for w in result.warnings],
            }
        )
        return
    if result.created:
        what = "新案件" if result.version == 1 else "新版本"
        console.print(
            f"[green]已导入[/] 案件 [bold]{escape(result.case_id)}[/]：第 {result.version} 版（{what}）"
        )
    else:
        console.print(
            f"案件 [bold]{escape(result.case_id)}[/] 的内容和证据与已存储的第 {result.version} 版相同，未新建版本"
        )
    if result.evidence:
        rows = [
            [
                r.evidence_id,
                EVIDENCE_KIND_LABELS.get(r.kind, r.kind),
                r.original_name,
                r.sha256[:12],
                human_size(r.size),
                mime_label(r.mime),
            ]
            for r in result.evidence
        ]
        cols = [
            idcol("证据"),
            idcol("类别"),
            textcol("原文件"),
            idcol("SHA-256"),
            numcol("大小"),
            textcol("实际类型"),
        ]
        console.print(data_table(cols, rows, title="证据", console=console))
    else:
        console.print("（本案件未附证据）")
    _print_findings(result.warnings)


@handle_errors
def cases(as_json: bool = typer.Option(False, "--json", help="以 JSON 输出")) -> None:
    """列出本地存储中的案件：编号、标题、版本数、最近导入时间、投诉记录数。"""
    from kameng_filer.store import Store

    with Store.open(readonly=True) as store:
        rows = store.list_cases()
    if as_json:
        print_json(
            {
                "cases": [
                    {
                        "id": c.id,
                        "title": c.title,
                        "versions": c.versions,
                        "updated_at": c.updated_at.isoformat(),
                        "filings": c.filings,
                    }
                    for c in rows
                ]
            }
        )
        return
    if not rows:
        console.print(
            "还没有导入任何案件。导入：[bold]kameng add 案件文件[/]（案件文件换成你的 case.yaml 路径）"
        )
        return
    cols = [idcol("案件编号"), textcol("标题"), numcol("版本数"), idcol("最近导入"), numcol("投诉记录")]
    table_rows = [
        [c.id, c.title, str(c.versions), f"{as_shanghai(c.updated_at):%Y-%m-%d %H:%M}", str(c.filings)]
        for c in rows
    ]
    console.print(data_table(cols, table_rows, title=f"已存储的案件({len(rows)} 个)", console=console))


@handle_errors
def evidence(
    case_id: str = typer.Argument(..., help="已导入案件的编号（见 kameng cases）"),
    case_version: int | None = typer.Option(None, "--case-version", min=1, help="案件版本（默认最新版）"),
    old_version: int | None = typer.Option(None, "--version", min=1, hidden=True, help="同 --case-version（旧写法）"),
    fmt: IndexFormat = typer.Option(IndexFormat.md, "--format", help="输出格式：md（Markdown）或 json"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出（同 --format json）"),
) -> None:
    """输出证据清单：每项证据的说明、原文件名、格式、大小和 SHA-256 指纹。"""
    if as_json:
        fmt = IndexFormat.json
    from kameng_filer.store import Store
    from kameng_filer.store.evidence_index import evidence_json, evidence_markdown
    from kameng_filer.timeutil import now

    with Store.open(readonly=True) as store:
        version = case_version or old_version
        number = version if version is not None else store.current_version(case_id)
        rows = store.evidence_index(case_id, number)
        case = store.get_case(case_id, number)
    if fmt == IndexFormat.json:
        print_json(evidence_json(case, number, rows))
        return
    from kameng_filer.textsafe import clean_for_terminal

    sys.stdout.write(clean_for_terminal(evidence_markdown(case, number, rows, generated_at=now())))
    sys.stdout.flush()


def register(app: typer.Typer) -> None:
    """Add ``add``, ``cases``, ``evidence`` and ``restore`` to the ``kameng`` app."""
    app.command("add")(add)
    app.command("cases")(cases)
    app.command("evidence")(evidence)
    from kameng_filer.cli.restore_cmd import restore

    app.command("restore")(restore)
