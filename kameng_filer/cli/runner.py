"""Runs one ``kameng`` command line: JSON mode, the log file, and every error reported in Chinese."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import typer

from kameng_filer.cli import click_zh, logfile, verbosity
from kameng_filer.cli.click_zh import click
from kameng_filer.cli.common import (
    err_console,
    json_mode,
    json_output,
    report_error,
    report_exception,
    wants_json,
)

_handlers: list[logging.Handler] = []
_command = [""]  # the sub-command being run, for the log
# click >= 8.2 / typer's vendored click; older click prints the help and exits by itself
_NO_ARGS_IS_HELP: Any = getattr(click.exceptions, "NoArgsIsHelpError", ())
log = logging.getLogger("kameng_filer.cli")


def start_logging(command: str | None = None) -> None:
    """Open the log file for ``command`` (called by the root callback once options are parsed)."""
    stop_logging()
    _command[0] = command or ""
    _handlers.extend(logfile.start())


def stop_logging() -> None:
    """Close the log file opened by ``start_logging``."""
    logfile.stop(_handlers)
    _handlers.clear()


def run(invoke: Callable[[], Any], argv: Sequence[str]) -> int:
    """Call ``invoke`` (Click's main, not standalone) and turn what it raises into an exit code."""
    code = 1
    with json_output(wants_json(argv)):
        try:
            rv = invoke()
            code = rv if isinstance(rv, int) and not isinstance(rv, bool) else 0
        except _NO_ARGS_IS_HELP as exc:  # the help was printed already
            text = exc.format_message()
            if text.strip():
                click.echo(text, err=True)
            code = exc.exit_code
        except click.exceptions.UsageError as exc:
            code = _usage_error(exc)
        except click.exceptions.ClickException as exc:  # e.g. FileError
            text = click_zh.translate_value_message(exc.format_message()) or "无法完成操作"
            report_error(f"{text}。", code="error", detail=exc.format_message())
            code = exc.exit_code
        except typer.Abort:
            report_error("已取消，未做任何更改。", code="aborted")
            code = 1
        except BrokenPipeError:  # the reader went away (``kameng … | head``): stop quietly, like click
            _silence_stdout()
            code = 1
        except (Exception, KeyboardInterrupt) as exc:
            code = report_exception(exc)
        finally:
            if _handlers:
                # the command's name only: arguments may hold paths, names and addresses
                log.info("kameng %s: 退出码 %s", _command[0] or "-", code)
            stop_logging()
            verbosity.set_level(verbosity.NORMAL)
    return code


def _silence_stdout() -> None:
    import os
    import sys

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the interpreter's final flush must not fail again
    except (OSError, ValueError, AttributeError):  # not a real file (tests): nothing to silence
        pass


def _usage_error(exc: Any) -> int:
    problem = click_zh.describe(exc)
    report_error(problem.message, hint=problem.hint, code="usage", detail=problem.detail)
    if problem.usage and not json_mode():
        err_console.print(f"[dim]{click_zh.USAGE_PREFIX}{problem.usage}[/]", markup=True, highlight=False)
    return int(exc.exit_code)
