"""A rich console that never passes control or bidi characters from data through to the terminal.

Titles, names and messages come from case files, channel pages and e-mails; an ANSI escape or a
right-to-left override in them must not recolour, clear or retitle the person's terminal, nor make a
line read differently than it is. Every string printed is cleaned (``textsafe.clean_for_terminal``)
before rich lays it out, and every rendered segment again before it is written; rich's own control
segments (cursor moves of progress displays) are kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.segment import Segment
from rich.text import Text

from kameng_filer.textsafe import clean_for_terminal


class SafeConsole(Console):
    """``rich.console.Console`` that strips control and bidi characters from everything it prints."""

    def render_str(self, text: str, **kwargs: Any) -> Text:
        """``Console.render_str`` on the cleaned text (markup still applies)."""
        return super().render_str(clean_for_terminal(text), **kwargs)

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        """Clean each data segment (``Text`` objects built elsewhere) before rich renders the buffer."""
        return super()._render_buffer(
            seg if seg.control else Segment(clean_for_terminal(seg.text), seg.style) for seg in buffer
        )
