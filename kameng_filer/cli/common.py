"""Shared CLI plumbing: the console, error reporting in Chinese, JSON output, ``--now`` parsing."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import typer
from rich.console import Console

from kameng_filer.errors import KamengError
from kameng_filer.timeutil import now as _now
from kameng_filer.timeutil import parse_iso

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])


def print_json(data: Any) -> None:
    """Print JSON (UTF-8, not ASCII-escaped) on stdout and nothing else."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()


def fail(message: str, *, hint: str | None = None, code: int = 1) -> None:
    """Print a Chinese error on stderr and exit with ``code``."""
    err_console.print(f"[bold red]错误:[/] {message}")
    if hint:
        err_console.print(f"[yellow]建议:[/] {hint}")
    raise typer.Exit(code)


def handle_errors(func: F) -> F:
    """Turn ``KamengError`` into a Chinese message and its exit code; never a traceback for bad input."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except KamengError as exc:
            err_console.print(f"[bold red]错误:[/] {exc.message}")
            if exc.hint:
                err_console.print(f"[yellow]建议:[/] {exc.hint}")
            if exc.detail:
                err_console.print(f"[dim]detail: {exc.detail}[/]")
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err_console.print("已中断。")
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except Exception as exc:  # an unexpected bug: log the traceback, show a short Chinese message
            where = _log_crash(exc)
            err_console.print(f"[bold red]内部错误:[/] {type(exc).__name__}: {exc}")
            err_console.print(f"详细信息已记录到 {where},请附上此文件报告问题。已保存的数据不受影响。")
            raise typer.Exit(70) from None

    return wrapper  # type: ignore[return-value]


def _log_crash(exc: BaseException) -> str:
    import traceback
    from datetime import datetime as _dt

    try:
        from kameng_filer.paths import sub

        path = sub("logs") / f"crash-{_dt.now().strftime('%Y%m%d-%H%M%S')}.log"
        path.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
        return str(path)
    except Exception:
        return "(无法写入日志)"


def parse_now(value: str | None) -> datetime:
    """``--now`` as an aware datetime (naive = Asia/Shanghai); the real time when absent."""
    if not value:
        return _now()
    try:
        return parse_iso(value)
    except ValueError:
        fail(f"--now 不是有效的 ISO 时间:{value}", hint="例如 2026-11-20T10:00:00", code=2)
        raise  # unreachable
