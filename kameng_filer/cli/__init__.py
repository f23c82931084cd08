"""The ``kameng`` command line: each sub-module registers its commands; a module loads only when used."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import typer

from kameng_filer.cli import verbosity
from kameng_filer.cli.click_zh import ZhContext, translate_builtin_options
from kameng_filer.cli.command_index import INDEX
from kameng_filer.cli.lazy import LazyGroup

# Command modules (``kameng_filer.cli.<name>``, each with ``register(app)``), in ``kameng --help`` order.
# After adding one, regenerate the help index: ``python -m kameng_filer.cli.gen_index --write``.
_MODULES = (
    "case_cmds",
    "render_cmds",
    "store_cmds",
    "deadline_cmds",
    "twin_cmds",
    "file_cmds",
    "tracker_cmds",
    "adapter_cmds",
    "report_cmds",
    "plan_cmds",
    "export_cmds",
    "ocr_cmds",
    "ui_cmds",
    "completion_cmds",
)

_SETTINGS: dict[str, Any] = {
    "add_completion": False,
    "pretty_exceptions_enable": False,
    "rich_markup_mode": "rich",
}


class KamengGroup(LazyGroup):
    """The ``kameng`` group: commands from ``_MODULES``, listed for --help from ``command_index``.

    ``main`` reports every error itself, in Chinese (or as JSON when ``--json`` is among the arguments).
    """

    package = __name__
    modules = _MODULES
    index = INDEX
    app_settings = _SETTINGS
    context_class = ZhContext

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        translate_builtin_options(self)

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command line; errors become Chinese messages or ``{"error": …}`` JSON, never tracebacks."""
        from kameng_filer.cli.runner import run

        argv = list(sys.argv[1:] if args is None else args)
        code = run(
            lambda: super(KamengGroup, self).main(
                args=argv, prog_name=prog_name, complete_var=complete_var, standalone_mode=False, **extra
            ),
            argv,
        )
        if not standalone_mode:
            return code
        sys.exit(code)


app = typer.Typer(
    name="kameng",
    help="kameng-filer：卡盟/发卡平台消费纠纷投诉工具 —— 一份案件记录，检查、撰写、提交、跟踪。",
    no_args_is_help=True,
    cls=KamengGroup,
    **{**_SETTINGS, "add_completion": True},
)


def _show_version(value: bool) -> None:
    if value:
        from kameng_filer import __version__

        typer.echo(f"kameng-filer {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    ctx: typer.Context,
    verbose: int = typer.Option(
        0, "--verbose", "-v", count=True, help="显示技术细节（-vv 更详细）；日志同时输出到终端"
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="只输出错误和结果，不显示进度和提示"),
    version: bool = typer.Option(
        False, "--version", callback=_show_version, is_eager=True, help="显示版本号并退出"
    ),
) -> None:
    # global options; the group's help text comes from ``typer.Typer(help=...)`` above
    verbosity.set_level(-1 if quiet and not verbose else verbose)
    from kameng_filer.cli import runner

    runner.start_logging(ctx.invoked_subcommand)


def main() -> None:
    """Console-script entry point."""
    app()
