"""The ``kameng`` command line: each sub-module registers its commands; a module loads only when used."""

from __future__ import annotations

from typing import Any

import typer

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
)

_SETTINGS: dict[str, Any] = {
    "add_completion": False,
    "pretty_exceptions_enable": False,
    "rich_markup_mode": "rich",
}


class KamengGroup(LazyGroup):
    """The ``kameng`` group: commands from ``_MODULES``, listed for --help from ``command_index``."""

    package = __name__
    modules = _MODULES
    index = INDEX
    app_settings = _SETTINGS


app = typer.Typer(
    name="kameng",
    help="kameng-filer:卡盟/发卡平台消费纠纷投诉工具 —— 一份案件记录,检查、撰写、提交、跟踪。",
    no_args_is_help=True,
    cls=KamengGroup,
    **_SETTINGS,
)


@app.callback()
def _root() -> None:
    # Makes Typer build a group although no command is registered on ``app`` itself.
    pass


def main() -> None:
    """Console-script entry point."""
    app()
