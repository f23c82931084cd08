"""``kameng deadline``: compute a due time in Chinese working days, calendar days or hours."""

from __future__ import annotations

import re
from datetime import datetime
from typing import NoReturn

import typer
from rich.markup import escape

from kameng_filer.cli.common import console, fail, handle_errors, print_json
from kameng_filer.timeutil import parse_iso
from kameng_filer.workdays import (
    Due,
    add_days,
    add_hours,
    add_working_days,
    format_cn,
    override_path,
)

MAX_WORKING_DAYS = 2500
MAX_DAYS = 3660
MAX_HOURS = 87840


def _bad(message: str, hint: str | None = None) -> NoReturn:
    """Chinese usage error, exit 2."""
    fail(message, hint=hint, code=2)
    raise AssertionError("unreachable")  # pragma: no cover


def _parse_start(text: str | None) -> datetime:
    if text is None or not text.strip():
        _bad("缺少 --from（起算时间）", hint="例如 --from 2026-02-13T10:00:00 或 --from 2026-02-13")
    try:
        start = parse_iso(text)
    except ValueError:
        _bad(
            f"--from 不是有效的 ISO 日期或时间：{text}",
            hint="例如 2026-02-13、2026-02-13T10:00:00 或 2026-02-13T10:00:00+08:00（无时区按北京时间）",
        )
    if not 1901 <= start.year <= 2099:
        _bad(f"--from 的年份 {start.year} 超出支持范围 1901–2099")
    return start


def _parse_count(option: str, text: str, *, maximum: int, allow_fraction: bool = False) -> float:
    value = text.strip()
    pattern = r"\d+(\.\d+)?" if allow_fraction else r"\d+"
    if not re.fullmatch(pattern, value):
        kind = "正数" if allow_fraction else "正整数"
        _bad(f"{option} 应当是{kind}，不是「{text}」", hint=f"例如 {option} 7")
    number = float(value) if allow_fraction else int(value)
    if number <= 0:
        _bad(f"{option} 必须大于 0", hint=f"例如 {option} 7")
    if number > maximum:
        _bad(f"{option} 太大（最多 {maximum}）")
    return number


def _compute(
    start: datetime, working_days: str | None, days: str | None, hours: str | None, roll: bool
) -> Due:
    given = [
        name
        for name, v in (("--working-days", working_days), ("--days", days), ("--hours", hours))
        if v is not None
    ]
    if len(given) != 1:
        what = "没有给出" if not given else f"同时给出了 {'、'.join(given)}"
        _bad(
            f"--working-days、--days、--hours 必须且只能给一个（{what}）",
            hint="例如 kameng deadline --from 2026-02-13 --working-days 3",
        )
    try:
        if working_days is not None:
            return add_working_days(
                start, int(_parse_count("--working-days", working_days, maximum=MAX_WORKING_DAYS))
            )
        if days is not None:
            return add_days(start, int(_parse_count("--days", days, maximum=MAX_DAYS)), roll_to_workday=roll)
        assert hours is not None
        return add_hours(start, _parse_count("--hours", hours, maximum=MAX_HOURS, allow_fraction=True))
    except ValueError as exc:  # CalendarRangeError: beyond the years the calendar can compute
        _bad(f"无法计算：{exc}")


def register(app: typer.Typer) -> None:
    """Add ``kameng deadline`` to the app."""

    @app.command("deadline")
    @handle_errors
    def deadline(
        start: str | None = typer.Option(
            None, "--from", help="起算时间（ISO，如 2026-02-13T10:00:00；无时区按北京时间）"
        ),
        working_days: str | None = typer.Option(None, "--working-days", help="N 个工作日（起始日不计入）"),
        days: str | None = typer.Option(None, "--days", help="N 个自然日（到期日遇节假日顺延）"),
        hours: str | None = typer.Option(None, "--hours", help="N 小时整（不顺延）"),
        no_roll: bool = typer.Option(False, "--no-roll", help="配合 --days：到期日遇节假日不顺延"),
        as_json: bool = typer.Option(False, "--json", help="只输出 JSON:{due, due_date, provisional}"),
    ) -> None:
        """计算截止时间：N 个工作日 / N 天 / N 小时之后（按 12315 办法第四十五条的规则）。"""
        begin = _parse_start(start)
        if no_roll and days is None:
            _bad("--no-roll 只能和 --days 一起用")
        due = _compute(begin, working_days, days, hours, roll=not no_roll)
        if as_json:
            print_json(due.to_dict())
            return
        label = "截止（暂定）" if due.provisional else "截止"
        console.print(f"{label}:{format_cn(due.due)}")
        console.print(f"[dim]规则：{escape(due.rule)}[/]")
        if due.provisional:
            console.print(f"[yellow]暂定：[/]{escape(due.reason)}。")
            console.print(
                f"[yellow]建议：[/]升级 chinese-calendar，或在 {escape(str(override_path()))} 中补充该年的放假日与调休上班日"
                "（写上 complete_years 即视为完整），格式见 docs/deadlines.md。"
            )
