"""``kameng completion SHELL``: print the shell completion script (same as ``kameng --show-completion``)."""

from __future__ import annotations

from enum import StrEnum

import typer

from kameng_filer.cli.common import fail, handle_errors


class Shell(StrEnum):
    """Shells Typer can complete for."""

    bash = "bash"
    zsh = "zsh"
    fish = "fish"
    powershell = "powershell"
    pwsh = "pwsh"


@handle_errors
def completion(
    shell: Shell = typer.Argument(..., help="shell 名称：bash、zsh、fish、powershell 或 pwsh"),
) -> None:
    """输出命令补全脚本，例如 kameng completion bash >> ~/.bashrc（自动安装用 kameng --install-completion）。"""
    try:
        from typer._completion_shared import get_completion_script
    except ImportError:  # pragma: no cover - a Typer without it
        fail(
            "这个版本的 Typer 不能直接输出补全脚本",
            hint="改用 kameng --show-completion 或 kameng --install-completion",
        )
        return
    typer.echo(get_completion_script(prog_name="kameng", complete_var="_KAMENG_COMPLETE", shell=shell.value))


def register(app: typer.Typer) -> None:
    """Add ``completion`` to the ``kameng`` app."""
    app.command("completion")(completion)
