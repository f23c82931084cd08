"""Progress for long steps: a spinner with the elapsed time on a terminal, plain lines (or nothing) otherwise.

Nothing animated is ever written to a pipe or a file: no spinner characters, no cursor codes. ``-q`` turns
progress off.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.markup import escape

from kameng_filer.cli import verbosity


def animated(console: Console) -> bool:
    """True when ``console`` writes to an interactive terminal that can show a spinner."""
    return console.is_terminal and not console.is_dumb_terminal


@contextmanager
def working(console: Console, message: str, *, plain: bool = False) -> Iterator[Callable[[str], None]]:
    """Show ``message`` with a spinner and the elapsed time while the block runs (terminal only).

    Yields ``update(text)`` to show what is being done now. When ``console`` is not a terminal,
    ``plain=True`` prints ``message`` and each update once as a plain line; otherwise nothing is printed.
    """
    if verbosity.level() < 0:
        yield lambda text: None
        return
    if not animated(console):
        if plain:
            console.print(escape(message), highlight=False)

            def say(text: str) -> None:
                console.print(escape(f"{message}:{text}"), highlight=False)

            yield say
        else:
            yield lambda text: None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(escape(message), total=None)

        def update(text: str) -> None:
            progress.update(task, description=escape(f"{message}:{text}"))

        yield update
