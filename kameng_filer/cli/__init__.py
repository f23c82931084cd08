"""The ``kameng`` command line: each sub-module registers its commands on one Typer app."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="kameng",
    help="kameng-filer:卡盟/发卡平台消费纠纷投诉工具 —— 一份案件记录,检查、撰写、提交、跟踪。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

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
)

for _name in _MODULES:
    importlib.import_module(f"kameng_filer.cli.{_name}").register(app)


def main() -> None:
    """Console-script entry point."""
    app()
