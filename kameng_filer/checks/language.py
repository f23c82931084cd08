"""Emotional or insulting words and shouting punctuation in what the person wrote (facts, not feelings)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from kameng_filer.checks.base import Context, free_texts
from kameng_filer.findings import Finding

# Fields whose text ends up in the complaint as the person's own words.
LANGUAGE_LISTS = (("timeline", "event"), ("contacts", "summary"), ("demands", "note"))
_SHOUTING = re.compile(r"[!！]{2,}|[?？]{2,}|[!！?？]{3,}")


def check(ctx: Context) -> Iterator[Finding]:
    """One warning per field with lexicon words (the factual rewrite as hint); a hint for !!!/???."""
    for path, text in free_texts(ctx.raw, lists=LANGUAGE_LISTS):
        if path in ("order.product", "order.promise"):
            continue  # the merchant's words, quoted as evidence
        yield from text_findings(ctx, path, text)


def text_findings(ctx: Context, path: str, text: str) -> Iterator[Finding]:
    """Emotional words (warning) and shouting punctuation (hint) in one text the person wrote."""
    lex = ctx.lexicon
    words = lex.find("emotional", text)
    if words:
        quoted = "、".join(f"“{w}”" for w in words)
        yield ctx.finding(
            "language.emotional",
            path,
            f"含有情绪化或侮辱性用语：{quoted} —— 投诉应只写时间、事实和诉求，情绪化表述会降低受理和处理效果",
            lex.hint("emotional", words) or "删除这些词，改写为事实",
        )
    if _SHOUTING.search(text):
        yield ctx.finding(
            "language.punctuation",
            path,
            "含有连续的感叹号或问号",
            "用句号平实陈述；处理人员更重视事实和数字",
        )
