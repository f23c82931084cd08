"""A Typer group that imports a command module only when one of its commands runs.

``kameng --help`` lists every command from a generated index (``command_index.py``: per module, the
command names and the first paragraph of their help), so it never imports the command modules and
the heavy libraries behind them (SQLAlchemy, Playwright, APScheduler, Jinja2, …). Running a command,
or asking for its own ``--help``, imports its module, calls its ``register(app)`` on a private Typer
app and uses the commands that produces — the docstrings stay the single source of the help texts.

A module listed in ``modules`` but missing from the index still works (it is imported for
``--help``, which is then slower); ``tests/test_cli_startup.py`` fails until the index is regenerated
with ``python -m kameng_filer.cli.gen_index --write``.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

from kameng_filer.cli.click_zh import localize

if TYPE_CHECKING:  # typer >= 0.20 vendors click as typer._click; older typer uses click itself
    from typer import _click as click

# (command name, module, first help paragraph or None when hidden), in the order ``--help`` lists them
Index = Sequence[tuple[str, str, str | None]]

_APPS: dict[str, typer.Typer] = {}  # module -> the Typer app its register() filled (once per process)


class LazyGroup(TyperGroup):
    """Root group whose sub-commands come from ``register(app)`` modules imported on first use.

    Subclasses set ``package`` (where the modules live), ``modules`` (their names, in help order),
    ``index`` (the generated table) and ``app_settings`` (Typer settings for each module's app).
    """

    package: ClassVar[str] = ""
    modules: ClassVar[Sequence[str]] = ()
    index: ClassVar[Index] = ()
    app_settings: ClassVar[Mapping[str, Any]] = {}

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._loaded: dict[str, list[str]] = {}  # module -> its command names
        self._listing = False

    # -- loading

    def _entry(self, name: str) -> tuple[str, str, str | None] | None:
        for entry in self.index:
            if entry[0] == name and entry[1] in self.modules:
                return entry
        return None

    def load(self, module: str) -> list[str]:
        """Import ``module`` (once per process), add its commands to this group; their names."""
        if module not in self._loaded:
            commands = module_commands(f"{self.package}.{module}", self.app_settings)
            for name, cmd in commands.items():
                localize(cmd)
                self.commands.setdefault(name, cmd)
            self._loaded[module] = list(commands)
        return self._loaded[module]

    def load_all(self) -> None:
        """Import every command module (needed to list commands missing from the index)."""
        for module in self.modules:
            self.load(module)

    # -- click.Group interface

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Command names in help order: the index, then commands of modules it does not cover yet."""
        names = [name for name, module, _ in self.index if module in self.modules]
        indexed = {module for _, module, _ in self.index}
        for module in self.modules:
            if module not in indexed:  # not indexed yet: import it to learn its commands
                names.extend(n for n in self.load(module) if n not in names)
        names.extend(n for n in self.commands if n not in names)
        return names

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The real command (its module imported now); a light placeholder while listing for --help."""
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        entry = self._entry(cmd_name)
        if self._listing and entry is not None:
            return _placeholder(cmd_name, entry[2])
        if entry is not None:
            self.load(entry[1])
        else:  # unknown name: load everything so new modules resolve and typos get suggestions
            self.load_all()
        return self.commands.get(cmd_name)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Render this group's help from the index, without importing the command modules."""
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


def _placeholder(name: str, help_text: str | None) -> click.Command:
    """A command that only carries what the commands table of ``--help`` shows."""
    return TyperCommand(name, help=help_text, hidden=help_text is None)


def module_commands(qualname: str, settings: Mapping[str, Any]) -> dict[str, click.Command]:
    """Import ``qualname``, run its ``register(app)`` once per process and build its click commands."""
    app = _APPS.get(qualname)
    if app is None:
        app = typer.Typer(**settings)
        importlib.import_module(qualname).register(app)
        _APPS[qualname] = app
    return dict(typer.main.get_group(app).commands)
