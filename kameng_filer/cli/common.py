"""Shared CLI plumbing: the console, error reporting in Chinese, JSON output, ``--now`` parsing.

Every error goes through ``report_error``: a Chinese message and a next step on stderr, or — when the
command was asked for ``--json`` — ``{"error": {"code", "message", "hint"}}`` on stdout, so a script
always gets one JSON document.
"""

from __future__ import annotations

import contextvars
import functools
import json
import logging
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

import typer
from rich.markup import escape

from kameng_filer.cli import verbosity
from kameng_filer.cli.safe_console import SafeConsole
from kameng_filer.errors import KamengError
from kameng_filer.openstores import closing_opened
from kameng_filer.timeutil import now as _now
from kameng_filer.timeutil import parse_iso

console = SafeConsole(highlight=False, soft_wrap=True)
err_console = SafeConsole(stderr=True, highlight=False, soft_wrap=True)
log = logging.getLogger("kameng_filer.cli")

F = TypeVar("F", bound=Callable[..., Any])

_json_mode: contextvars.ContextVar[bool] = contextvars.ContextVar("kameng_json_mode", default=False)
_json_printed: contextvars.ContextVar[bool] = contextvars.ContextVar("kameng_json_printed", default=False)


def wants_json(args: Sequence[str]) -> bool:
    """True when the command line asks for JSON output (``--json`` or ``--format json``)."""
    args = list(args)
    if "--" in args:
        args = args[: args.index("--")]
    for i, arg in enumerate(args):
        if arg == "--json" or arg == "--format=json":
            return True
        if arg == "--format" and i + 1 < len(args) and args[i + 1] == "json":
            return True
    return False


def json_mode() -> bool:
    """True while the running command was asked for JSON output."""
    return _json_mode.get()


@contextmanager
def json_output(enabled: bool) -> Iterator[None]:
    """Within the block, errors are reported as JSON on stdout when ``enabled`` (or already so)."""
    outer = _json_mode.get()
    mode = _json_mode.set(enabled or outer)
    printed = None if outer else _json_printed.set(False)
    try:
        yield
    finally:
        if printed is not None:
            _json_printed.reset(printed)
        _json_mode.reset(mode)


def print_json(data: Any) -> None:
    """Print JSON (UTF-8, not ASCII-escaped) on stdout and nothing else."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()
    _json_printed.set(True)


def print_json_line(data: Any) -> None:
    """Print one compact JSON document on its own line (a stream of events, e.g. ``watch --json``)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def error_code(exc: BaseException | type) -> str:
    """A stable snake_case code for an error class: ``CaseUnreadable`` -> ``case_unreadable``."""
    name = exc.__name__ if isinstance(exc, type) else type(exc).__name__
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def report_error(
    message: str, *, hint: str | None = None, code: str = "error", detail: str | None = None
) -> None:
    """Show an error: JSON on stdout in JSON mode (once per command), else Chinese text on stderr.

    ``detail`` (technical text, often English) is shown only with ``-v`` and always written to the log.
    """
    log.info("%s [%s]%s", message, code, f" detail: {detail}" if detail else "")
    if json_mode() and not _json_printed.get():
        error: dict[str, Any] = {"code": code, "message": message, "hint": hint or ""}
        if detail and verbosity.verbose():
            error["detail"] = detail
        print_json({"error": error})
        return
    err_console.print(f"[bold red]错误：[/] {escape(message)}")
    if hint:
        err_console.print(f"[yellow]建议：[/] {escape(hint)}")
    if detail and verbosity.verbose():
        err_console.print(f"[dim]详细：{escape(detail)}[/]")


def fail(message: str, *, hint: str | None = None, code: int = 1, error: str = "invalid_input") -> None:
    """Report a Chinese error (see ``report_error``; ``error`` is the JSON code) and exit with ``code``."""
    report_error(message, hint=hint, code=error)
    raise typer.Exit(code)


def report_exception(exc: BaseException) -> int:
    """Report an exception escaping a command in Chinese (crash log for bugs); its exit code."""
    from kameng_filer.paths import data_os_error

    exc = data_os_error(exc) or exc  # the data folder is read-only, not ours or full: not a bug
    if isinstance(exc, KamengError):
        report_error(exc.message, hint=exc.hint, code=error_code(exc), detail=exc.detail)
        return exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        report_error("已中断。", code="interrupted")
        return 130
    where = _log_crash(exc)
    report_error(
        "内部错误：命令没有完成",
        hint=(
            f"这是程序的缺陷，不是您的操作问题。详细信息已记录到 {where}，请附上此文件报告问题。已保存的数据不受影响。"
            if where
            else "这是程序的缺陷，不是您的操作问题。数据文件夹和临时文件夹都无法写入，没有留下日志文件："
            "请用 -v 重新运行，把屏幕上的全部信息附在问题报告里。已保存的数据不受影响。"
        ),
        code="internal",
        detail=f"{type(exc).__name__}: {exc}",
    )
    return 70


def handle_errors(func: F) -> F:
    """Turn errors into a Chinese message (or a JSON error) and their exit code; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        as_json = bool(kwargs.get("as_json")) or str(getattr(kwargs.get("fmt"), "value", "")) == "json"
        with json_output(as_json), closing_opened():
            try:
                return func(*args, **kwargs)
            except (typer.Exit, typer.Abort, SystemExit):
                raise
            except Exception as exc:
                raise typer.Exit(report_exception(exc)) from None
            except KeyboardInterrupt as exc:
                raise typer.Exit(report_exception(exc)) from None

    return wrapper  # type: ignore[return-value]


def _log_crash(exc: BaseException) -> str | None:
    import traceback
    from datetime import datetime as _dt

    log.error("internal error", exc_info=exc)
    try:
        from kameng_filer.paths import sub

        path = sub("logs") / f"crash-{_dt.now().strftime('%Y%m%d-%H%M%S')}.log"
        path.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
        return str(path)
    except Exception:
        import tempfile

        try:
            with tempfile.NamedTemporaryFile(
                "w", prefix="kameng-crash-", suffix=".log", delete=False, encoding="utf-8"
            ) as fh:
                fh.write("".join(traceback.format_exception(exc)))
            return fh.name
        except OSError:
            return None


def parse_now(value: str | None, *, option: str = "--now") -> datetime:
    """``--now`` (or the time option ``option``) as an aware datetime (naive = Asia/Shanghai); now when absent."""
    if not value:
        return _now()
    try:
        return parse_iso(value)
    except ValueError:
        fail(f"{option} 不是有效的 ISO 时间：{value}", hint="例如 2026-11-20T10:00:00", code=2)
        raise  # unreachable
