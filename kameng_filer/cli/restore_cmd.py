"""``kameng restore``: list the automatic database backups, or put one back in place."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import typer
from rich.markup import escape

from kameng_filer.cli.common import console, err_console, handle_errors, print_json
from kameng_filer.errors import StoreError

_KINDS = {"auto": "改动后", "daily": "每日", "migrate": "升级前"}
_SH = ZoneInfo("Asia/Shanghai")


@handle_errors
def restore(
    backup: str = typer.Argument(
        None, metavar="备份文件", help="备份文件名（见 kameng restore --list；默认最新的可用备份）"
    ),
    list_only: bool = typer.Option(False, "--list", help="只列出自动备份，不恢复"),
    force: bool = typer.Option(False, "--force", help="当前数据库完好时也恢复（会丢掉备份之后的记录）"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出结果"),
) -> None:
    """从自动备份恢复数据库（数据库丢失、被清空或损坏时）；原文件移到 replaced/ 保留。"""
    from kameng_filer import paths
    from kameng_filer.store.backup import find_backup, inspect, list_backups, newest_usable

    db = paths.home_path() / "kameng.sqlite3"
    found = list_backups(db)
    if list_only:
        _print_list(found, as_json)
        return
    if not found:
        raise StoreError(
            f"没有自动备份：{db.parent / 'backups'} 里没有备份文件",
            hint=f"如果有自己备份的数据库文件，把它复制为 {db}",
        )
    chosen = newest_usable(db) if backup is None else find_backup(db, backup)
    if chosen is None and backup is None:
        raise StoreError(
            f"{db.parent / 'backups'} 里的备份都已损坏", hint=f"如果有自己备份的数据库文件，把它复制为 {db}"
        )
    if chosen is None:
        raise StoreError(f"没有名为 {backup} 的备份", hint="kameng restore --list 列出全部备份")
    inspect(chosen.path)
    from kameng_filer.store.restore import restore as do_restore

    result = do_restore(db, chosen, force=force)
    at = chosen.at.astimezone(_SH)
    if as_json:
        print_json(
            {
                "restored": chosen.path.name,
                "backup_time": at.isoformat(),
                "cases": result.content.cases,
                "filings": result.content.filings,
                "kept_aside": [str(p) for p in result.kept_aside],
                "newer_artifacts": [str(p) for p in result.newer_artifacts],
            }
        )
        return
    console.print(
        f"[green]已恢复[/] 备份 {escape(chosen.path.name)}（北京时间 {at:%Y-%m-%d %H:%M}）："
        f"{result.content.cases} 个案件，{result.content.filings} 条投诉记录"
    )
    for p in result.kept_aside:
        console.print(f"原文件已移到：{escape(str(p))}")
    err_console.print(
        "[yellow]注意：[/]备份之后的改动（包括之后提交的投诉）不在备份里。先用 kameng status 核对；"
        "备份之后已经提交过的投诉，不要再次提交。"
    )
    if result.newer_artifacts:
        err_console.print("这些投诉材料文件夹比备份新，对应的投诉可能是备份之后提交的：")
        for p in result.newer_artifacts:
            err_console.print(f"  {escape(str(p))}")


def _print_list(found: list, as_json: bool) -> None:
    from kameng_filer.store.backup import inspect

    rows = []
    for b in found:
        try:
            c = inspect(b.path)
            cases, filings = c.cases, c.filings
        except StoreError:
            cases = filings = None
        rows.append((b, cases, filings))
    if as_json:
        print_json(
            {
                "backups": [
                    {
                        "name": b.path.name,
                        "kind": b.kind,
                        "time": b.at.astimezone(_SH).isoformat(),
                        "size": b.size,
                        "cases": cases,
                        "filings": filings,
                    }
                    for b, cases, filings in rows
                ]
            }
        )
        return
    if not rows:
        console.print("还没有自动备份（数据库有改动后会自动备份）。")
        return
    from kameng_filer.cli.tables import data_table, idcol, numcol

    table_rows = [
        [
            b.path.name,
            _KINDS.get(b.kind, b.kind),
            f"{b.at.astimezone(_SH):%Y-%m-%d %H:%M}",
            "损坏" if cases is None else str(cases),
            "" if filings is None else str(filings),
        ]
        for b, cases, filings in rows
    ]
    cols = [idcol("备份文件"), idcol("类别"), idcol("时间（北京）"), numcol("案件"), numcol("投诉记录")]
    title = f"自动备份（{len(rows)} 个，最新的在前）"
    console.print(data_table(cols, table_rows, title=title, console=console))
    console.print("恢复：kameng restore 备份文件名（不写文件名则恢复最新的一个）")
