"""Tables that never cut what people need: ids, numbers, receipt numbers and counts stay whole.

Rich's own column sizing shrinks every column evenly when a table is too wide, and cuts cells with "…".
Here the widths are decided up front: *kept* columns (ids, numbers, counts, short phrases whose every line
must stay whole) get their full width; only *free-text* columns wrap (folding, never an ellipsis). When the
kept columns and a minimum of the free text do not fit the terminal, the rows are printed one field per
line instead (vertical layout), so nothing is ever truncated.

Cells are plain strings (printed literally: no rich markup is interpreted, so ``[status]`` or a title from a
case file stays as written) or ``rich.text.Text`` for styled cells.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rich.cells import cell_len
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from kameng_filer.textsafe import clean_for_terminal

Cell = str | Text | None

MIN_FREE = 10
"""Narrowest a free-text column may become before the vertical layout is used (cells)."""


@dataclass(frozen=True)
class Col:
    """One column: ``keep`` columns are never broken inside a line; the others wrap."""

    header: str
    keep: bool = False
    justify: Literal["left", "right", "center"] = "left"
    min_width: int = MIN_FREE


def idcol(header: str) -> Col:
    """A column of ids / receipt numbers / channel names: never broken."""
    return Col(header, keep=True)


def numcol(header: str) -> Col:
    """A column of counts or numbers: never broken, right-aligned."""
    return Col(header, keep=True, justify="right")


def textcol(header: str, min_width: int = MIN_FREE) -> Col:
    """A column of free text: wraps (folds long words) when space is short, never cut."""
    return Col(header, keep=False, min_width=min_width)


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
"""Control and bidi characters: never sent to the terminal from a table cell (ANSI escapes, overrides)."""


def as_text(cell: Cell) -> Text:
    """A cell as rich ``Text``; strings are taken literally (no markup, no control characters)."""
    if cell is None:
        return Text("—")
    if isinstance(cell, Text):
        return cell
    return Text(clean_for_terminal(str(cell)))  # whole escape sequences, control and bidi characters


def _longest_line(text: Text) -> int:
    return max((cell_len(line) for line in text.plain.split("\n")), default=0)


def _overhead(n: int) -> int:
    return (n + 1) + 2 * n  # vertical borders + one cell of padding on each side


def column_widths(cols: Sequence[Col], rows: Sequence[Sequence[Text]], width: int) -> list[int] | None:
    """Content widths that fit ``width`` with every kept column whole, or None when they cannot."""
    natural = [
        max([cell_len(c.header)] + [_longest_line(r[i]) for r in rows]) or 1 for i, c in enumerate(cols)
    ]
    room = width - _overhead(len(cols))
    if sum(natural) <= room:
        return natural
    widths = list(natural)
    free = [i for i, c in enumerate(cols) if not c.keep]
    left = room - sum(natural[i] for i, c in enumerate(cols) if c.keep)
    floors = {i: min(natural[i], max(cols[i].min_width, cell_len(cols[i].header))) for i in free}
    if not free or left < sum(floors.values()):
        return None
    # columns that need less than an equal share keep their natural width ...
    pending = sorted(free, key=lambda i: natural[i])
    while pending and natural[pending[0]] <= left // len(pending):
        i = pending.pop(0)
        widths[i] = natural[i]
        left -= natural[i]
    # ... the others share the rest in proportion to their natural width, none below its floor
    while pending:
        total = sum(natural[i] for i in pending)
        under = [i for i in pending if left * natural[i] // total < floors[i]]
        if not under:
            for i in pending:
                widths[i] = left * natural[i] // total
            widths[pending[-1]] += left - sum(widths[i] for i in pending)
            break
        for i in under:
            widths[i] = floors[i]
            left -= floors[i]
            pending.remove(i)
    return widths


def data_table(
    cols: Sequence[Col], rows: Sequence[Sequence[Cell]], *, title: str | None = None, console: Console
) -> RenderableType:
    """A table sized for ``console`` (kept columns whole), or a vertical list when it cannot fit."""
    cells = [[as_text(c) for c in row] for row in rows]
    widths = column_widths(cols, cells, console.width)
    if widths is None:
        return vertical(cols, cells, title=title)
    table = Table(expand=False)
    for col, w in zip(cols, widths, strict=True):
        table.add_column(
            col.header,
            justify=col.justify,
            width=w,
            no_wrap=col.keep,
            overflow="fold",
        )
    for row in cells:
        table.add_row(*row)
    if not title:
        return table
    # the title on its own line: a table title would be folded to the table's width (cutting an id in it)
    return Group(Text(_CONTROL.sub("", title), style="bold"), table)


def vertical(cols: Sequence[Col], rows: Sequence[Sequence[Text]], *, title: str | None = None) -> Group:
    """Rows as blocks of ``列名:值`` lines (for terminals too narrow for a table)."""
    parts: list[RenderableType] = []
    if title:
        parts.append(Text(_CONTROL.sub("", title), style="bold"))
    for n, row in enumerate(rows, start=1):
        parts.append(Text(f"—— {n} ——", style="dim"))
        for col, cell in zip(cols, row, strict=True):
            value = cell.copy()
            lines = value.split("\n")
            head = Text(f"{col.header}:", style="bold")
            first = lines[0] if lines else Text("")
            parts.append(Text.assemble(head, first))
            indent = " " * (cell_len(col.header) + 2)
            parts.extend(Text.assemble(indent, line) for line in lines[1:])
    return Group(*parts)
