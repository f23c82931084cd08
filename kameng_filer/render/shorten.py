"""Last-resort fitting: shorten the person's own long prose (summary, reason) at clause boundaries.

When a field is still too long with every optional part dropped, the texts must still fit: the
reason given for an escalation or review is shortened first (or left out when not even its first
clause fits), then the problem summary, keeping the leading clauses whole. The order number, amount and demands are never touched.
"""

from __future__ import annotations

import dataclasses
import re

from kameng_filer.render.context import RenderContext
from kameng_filer.render.facts import Facts
from kameng_filer.render.filters import clause

_CLAUSES = re.compile(r"[^。！？；，,;!?\n]+[。！？；，,;!?\n]*")
MIN_LEFT = 10
"""A text is never shortened below this many characters."""


def shorten_text(text: str, cut: int, *, hard: bool = False) -> str | None:
    """``text`` at least ``cut`` characters shorter, ending at a clause boundary; None when impossible.

    When not even the first clause fits, ``hard`` cuts inside it and marks the cut with ``……``;
    otherwise the answer is None.
    """
    target = len(text) - cut
    if target < MIN_LEFT:
        return None
    out = ""
    for piece in _CLAUSES.findall(text):
        if len(clause(out + piece)) + 1 > target:
            break
        out += piece
    out = clause(out)
    if out:
        return out + "。"
    return clause(text[: target - 2]) + "……" if hard else None


def shorten_inputs(facts: Facts, context: RenderContext, cut: int) -> tuple[Facts, RenderContext] | None:
    """Facts and context with the reason (first, or left out) or the summary shortened by ``cut`` characters."""
    if context.reason:
        reason = shorten_text(context.reason, cut) or ""
        return facts, dataclasses.replace(context, reason=reason)
    summary = shorten_text(facts.summary, max(cut, 1), hard=True)
    if summary is not None:
        return dataclasses.replace(facts, summary=summary), context
    # The summary is as short as it gets: leave out the earlier result's date, its wording, the basis.
    if context.result_at is not None:
        return facts, dataclasses.replace(context, result_at=None)
    if context.result:
        return facts, dataclasses.replace(context, result="")
    if facts.basis:
        return dataclasses.replace(facts, basis=""), context
    return None
